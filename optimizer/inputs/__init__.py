"""Stage 1, the inputs: files, their schemas and checks, the shipped data, geography and the municipal graph.

* :mod:`~optimizer.inputs.schema` -- the columns of the files a user may replace (survey, groups, members, hazard);
* :mod:`~optimizer.inputs.tables` -- reading and checking those files (every problem by file, row and column);
* :mod:`~optimizer.inputs.dataset` -- :class:`Dataset` and :func:`load`: everything the models read;
* :mod:`~optimizer.inputs.geography` / :mod:`~optimizer.inputs.graph` -- boundaries, coasts, land and sea links;
* :mod:`~optimizer.inputs.hazard` -- which municipalities one disaster can strike together;
* :mod:`~optimizer.inputs.synthetic` -- the seeded generator of the sample survey's synthetic fields.

Nothing here knows about groups, money or plans: the stages above read a :class:`Dataset`.
"""

from .dataset import Dataset, default_data_dir, load  # noqa: F401
