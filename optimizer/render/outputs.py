"""The files of a run, rendered in memory: what ``propose --out`` and ``match --out`` write (as a whole,
with :func:`optimizer.render.files.write_folder`)."""

from __future__ import annotations

from dataclasses import replace

from .files import groups_csv, pairs_csv, proposals_csv, proposals_geojson, roadmap_csv, to_json
from .payload import proposal_dict, sweep_dict
from .report import match_files, plan_files


def proposal_files(data, run, lang: str = "ja") -> dict[str, bytes | str]:
    """proposals.json/.csv/.geojson, roadmap.csv, the report and the maps of a
    :class:`~optimizer.solve.plan.Proposal`; each alternative's own files in ``altK/`` (never summed with the best)."""
    plans = run.plans
    files: dict[str, bytes | str] = {
        "proposals.json": to_json(proposal_dict(data, run)),
        "proposals.csv": proposals_csv(data, plans[:1], lang),
        "proposals.geojson": proposals_geojson(data, plans[0], lang),
        "roadmap.csv": roadmap_csv(data, plans[0], lang),
    }
    for k, p in enumerate(plans[1:], start=2):
        alone = replace(run, plans=[p], comparisons=[], by_prefecture=None, totals=None, national_kpi=None)
        files[f"alt{k}/proposals.json"] = to_json(proposal_dict(data, alone))
        files[f"alt{k}/proposals.csv"] = proposals_csv(data, [p], lang)
        files[f"alt{k}/proposals.geojson"] = proposals_geojson(data, p, lang)
        files[f"alt{k}/roadmap.csv"] = roadmap_csv(data, p, lang)
    files.update(plan_files(data, run, lang))
    return files


def sweep_files(data, res, run, lang: str = "ja") -> dict[str, bytes | str]:
    """A sweep's folder: sweep.json, sweep_pairs.csv, sweep_groups.csv, and the robust plan's files as ``propose``
    writes them (``run``: the robust plan as a proposal) with the sweep's section in the report, its pairs on the
    maps and sweep.png."""
    files: dict[str, bytes | str] = {
        "sweep.json": to_json(sweep_dict(res, data.municipalities["name"].to_dict(), "en")),
        "sweep_pairs.csv": pairs_csv(data, res, lang),
        "sweep_groups.csv": groups_csv(data, res, lang),
        "proposals.json": to_json(proposal_dict(data, run)),
        "proposals.csv": proposals_csv(data, run.plans, lang),
        "proposals.geojson": proposals_geojson(data, run.best, lang),
        "roadmap.csv": roadmap_csv(data, run.best, lang),
    }
    files.update(plan_files(data, run, lang, sweep=res))
    return files


__all__ = ["proposal_files", "match_files", "sweep_files"]
