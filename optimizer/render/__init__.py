"""Stage 5, the outputs: finished results written for people and for other programs. Views only render.

* :mod:`~optimizer.render.payload` -- results as plain data: the JSON interface's keys;
* :mod:`~optimizer.render.files` -- CSV (Excel, with BOM), GeoJSON (QGIS), strict JSON, atomic writing;
* :mod:`~optimizer.render.report` -- the prefecture's report and the advisor's proposal (Markdown + HTML);
* :mod:`~optimizer.render.maps` / :mod:`~optimizer.render.charts` -- maps (PNG, interactive HTML) and the roadmap chart;
* :mod:`~optimizer.render.pages` -- the Jinja templates (``templates/``) and Markdown to HTML (markdown-it);
* :mod:`~optimizer.render.tables` -- aligned text tables for the terminal;
* :mod:`~optimizer.render.outputs` -- every file of a run, in memory;
* :mod:`~optimizer.render.fonts`, :mod:`~optimizer.render.palette` -- the embedded font and the colours.

A new output format goes here. Nothing here imports scoring, solving, matchmaking or the API: a view receives
finished results (plans with shares, match results with their precedents) and the data's names.
"""
