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
    ctx = _CONTEXTS.get(key)
    if ctx is None or ctx.data is not data:  # an id can be re-used once a dataset is gone
        if len(_CONTEXTS) > 8:
            _CONTEXTS.clear()
        reuse = next((c for c in _CONTEXTS.values() if c.data is data), None)
        ctx = _CONTEXTS[key] = Context(data, sc, reuse=reuse)
    return ctx


def expanded_group(data: Dataset, members: list[str]) -> str | None:
    """The existing group that ``members`` expand: all of its members and at least one other; else None."""
    given = set(members)
    found = [g for g, codes in data.group_members.items() if set(codes) < given]
    return found[0] if len(found) == 1 else None


def score(data: Dataset, members: list[str], go_live: int | None = None, scenario=None,
          base_group: str | None = None, shares: bool = True, as_new: bool = False,
          join: dict[str, int] | None = None, vendor: str | None = None) -> GroupScore:
    """Score ``members`` as one group (see :mod:`optimizer.scoring`); ``join`` gives each moving
    member's go-live year (a roadmap schedule; default the best schedule), ``vendor`` the package.

    When ``members`` hold every member of one existing group plus others, they are scored
    as that group's expansion (as ``propose`` does), unless ``as_new`` or another
    ``base_group`` is given.
    """
    if base_group is None and not as_new:
        base_group = expanded_group(data, list(members))
    return score_group(context(data, scenario), list(members), go_live=go_live, base_group=base_group, shares=shares,
                       join=join, vendor=vendor)


def propose(data: Dataset, prefectures: list[str], scenario=None, alternatives: int = 1):
    """Best plan(s) for some prefectures (2-digit codes); see :mod:`optimizer.plan`."""
    from .plan import propose as _propose

    plans = _propose(context(data, scenario), [p.zfill(2) for p in prefectures], alternatives=alternatives)
    return plans if alternatives > 1 else plans[0]


def match(data: Dataset, code: str, top: int = 5, lang: str = "ja", scenario=None) -> dict:
    """Ranked options for one municipality; see :mod:`optimizer.matchmaking`."""
    from .matchmaking import match as _match

    return _match(context(data, scenario), code, top=top, lang=lang)


def precedents(data: Dataset, codes: list[str], top: int = 5, lang: str = "ja", scenario=None) -> list[dict]:
    """The existing groups most like ``codes``; see :func:`optimizer.matchmaking.precedents`."""
    from .matchmaking import precedents as _precedents

    return _precedents(context(data, scenario), list(codes), top=top, lang=lang)


def compare(plan_a, plan_b) -> dict:
    """Groups that differ between two plans and the value difference; see :func:`optimizer.plan.compare`."""
    from .plan import compare as _compare

    return _compare(plan_a, plan_b)


__all__ = ["load", "Scenario", "score", "propose", "match", "precedents", "compare", "context", "Dataset"]
