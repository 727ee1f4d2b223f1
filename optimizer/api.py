"""The Python API for notebooks and scripts; the CLI is a thin layer over it.

>>> import optimizer as lg
>>> data = lg.load()
>>> s = lg.score(data, ["30341", "30361", "30362"])
>>> s.continuity.pairing_ok
True
"""

from __future__ import annotations

from pathlib import Path

from .config import Scenario, load_scenario
from .context import Context
from .data import Dataset, load
from .scoring import GroupScore, score_group

_CONTEXTS: dict[tuple[int, str], Context] = {}


def scenario_of(scenario: Scenario | str | Path | None) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    return load_scenario(scenario)


def context(data: Dataset, scenario: Scenario | str | Path | None = None) -> Context:
    """The scoring context for ``data`` under ``scenario`` (cached per dataset and scenario)."""
    sc = scenario_of(scenario)
    key = (id(data), repr(sc))
    if key not in _CONTEXTS:
        if len(_CONTEXTS) > 8:
            _CONTEXTS.clear()
        _CONTEXTS[key] = Context(data, sc)
    return _CONTEXTS[key]


def score(data: Dataset, members: list[str], go_live: int | None = None, scenario=None,
          base_group: str | None = None, shares: bool = True) -> GroupScore:
    """Score ``members`` as one group (see :mod:`optimizer.scoring`)."""
    return score_group(context(data, scenario), list(members), go_live=go_live, base_group=base_group, shares=shares)


__all__ = ["load", "Scenario", "score", "context", "Dataset"]
