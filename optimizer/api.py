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
from .inputs.dataset import Dataset, load
from .match import matchmaking
from .match.precedents import precedents as _precedents
from .model.context import Context
from .model.group import GroupScore, score_group
from .render import payload
from .robust import SweepResult
from .robust import run as _sweep
from .solve import plan as _plan
from .solve.plan import Plan, Proposal

#: Contexts kept per dataset (in ``Dataset.memo``), the most recent first; older ones are dropped.
MAX_CONTEXTS = 8


def scenario_of(scenario: Scenario | str | Path | None) -> Scenario:
    """A :class:`Scenario` from a scenario, a TOML path, or ``None`` (the defaults)."""
    if isinstance(scenario, Scenario):
        return scenario
    return load_scenario(scenario)


def context(data: Dataset, scenario: Scenario | str | Path | None = None) -> Context:
    """The scoring context for ``data`` under ``scenario``, kept in ``data.memo`` for re-use.

    Parameters
    ----------
    data : Dataset
    scenario : Scenario, path of a TOML file, or None (defaults)

    Returns
    -------
    Context
    """
    sc = scenario_of(scenario)
    contexts: dict = data.memo.setdefault("contexts", {})
    key = repr(sc)
    ctx = contexts.get(key)
    if ctx is None:
        reuse = next(iter(contexts.values()), None)  # same geography: its distances and links are re-used
        ctx = Context(data, sc, reuse=reuse)
        if len(contexts) >= MAX_CONTEXTS:
            contexts.pop(next(iter(contexts)))
        contexts[key] = ctx
    return ctx


def expanded_group(data: Dataset, members: list[str]) -> str | None:
    """The existing group that ``members`` expand: all of its members and at least one other; else None."""
    given = set(members)
    found = [g for g, codes in data.group_members.items() if set(codes) < given]
    return found[0] if len(found) == 1 else None


def score(data: Dataset, members: list[str], go_live: int | None = None, scenario=None,
          base_group: str | None = None, shares: bool = True, as_new: bool = False,
          join: dict[str, int] | None = None, vendor: str | None = None) -> GroupScore:
    """Score a set of municipalities as one group.

    Parameters
    ----------
    data : Dataset
    members : list of str
        5-digit codes. When they hold every member of one existing group plus others they are scored as
        that group's expansion (as ``propose`` does), unless ``as_new`` or another ``base_group`` is given.
    go_live : int, optional
        The go-live fiscal year; default the best admissible one.
    scenario : Scenario, path or None
    base_group : str, optional
        The existing group being expanded.
    shares : bool
        Compute each member's share (the nucleolus) and the core check.
    as_new : bool
        Score as a new group even when the members expand an existing one.
    join : dict, optional
        Each moving member's go-live year (a roadmap schedule); default the best schedule.
    vendor : str, optional
        The group's package (vendor id); default the best of the members'.

    Returns
    -------
    GroupScore
        Money in both accounts (yen), reduction rate p10/p50/p90, continuity, shares, broken rules.
    """
    if base_group is None and not as_new:
        base_group = expanded_group(data, list(members))
    return score_group(context(data, scenario), list(members), go_live=go_live, base_group=base_group, shares=shares,
                       join=join, vendor=vendor)


def propose(data: Dataset, prefectures: list[str], scenario=None, alternatives: int = 1) -> Plan | list[Plan]:
    """The best plan for some prefectures, proven optimal over the candidate groups when the budget allows.

    Parameters
    ----------
    data : Dataset
    prefectures : list of str
        2-digit codes; several prefectures are one instance (groups may cross their lines).
    scenario : Scenario, path or None
    alternatives : int
        With more than 1, the best plans in order (each distinct), as a list.

    Returns
    -------
    Plan or list of Plan
        Status, objective, bound and gap as CP-SAT reported them; the groups with their money and shares;
        every plan has passed the independent validator.
    """
    plans = _plan.propose(context(data, scenario), [p.zfill(2) for p in prefectures], alternatives=alternatives)
    return plans if alternatives > 1 else plans[0]


def proposal(data: Dataset, prefectures: list[str] | None = None, scenario=None, alternatives: int = 1,
             progress=None) -> Proposal:
    """A whole ``propose`` run, ready to be written (:func:`optimizer.render.outputs.proposal_files`):
    the plans, the comparisons of the alternatives and, for the whole country (``prefectures=None``),
    the national summary."""
    ctx = context(data, scenario)
    prefs = _plan.all_prefectures(ctx) if prefectures is None else [p.zfill(2) for p in prefectures]
    return _plan.proposal(ctx, prefs, alternatives=alternatives, progress=progress)


def plan_of(ctx: Context, prefecture: str) -> Plan:
    """The plan of one prefecture under ``ctx``'s scenario (with its shares, as ``propose`` gives it), kept in
    ``ctx.memo``: what ``match`` states for each municipality of it, with the same figures."""
    key = ("plan", prefecture)
    if key not in ctx.memo:
        ctx.memo[key] = _plan.propose(ctx, [prefecture])[0]
    return ctx.memo[key]


def match(data: Dataset, code: str, top: int = 5, scenario=None) -> matchmaking.MatchResult:
    """Which group should this municipality join, and why.

    Parameters
    ----------
    data : Dataset
    code : str
        The municipality's 5-digit code.
    top : int
        Options to show (*alone* is always shown too).
    scenario : Scenario, path or None

    Returns
    -------
    MatchResult
        Ranked options (join, stay, new, alone), each with its money and reasons; what the prefecture's
        plan does with the municipality and why it may differ; the most similar existing groups
        (``precedents``). :func:`as_dict` gives it as text in Japanese or English.
    """
    ctx = context(data, scenario)
    res = matchmaking.match(ctx, code, plan_of(ctx, code[:2]) if code in ctx.pos else None, top=top)
    res.precedents = _precedents(ctx, [code])
    return res


def precedents(data: Dataset, codes: list[str], top: int = 5, lang: str = "ja", scenario=None) -> list[dict]:
    """The existing groups most like a municipality or a proposed group, with the similarity explained
    (``why`` in ``lang``); see :mod:`optimizer.match.precedents`."""
    return payload.precedent_dicts(_precedents(context(data, scenario), list(codes), top=top), lang)


def sweep(data: Dataset, prefectures: list[str] | None = None, draws: int = 100, seed: int = 0, scenario=None,
          scheduler: str | None = None, workers: int | None = None, progress=None) -> SweepResult:
    """Advice that survives uncertainty: ``draws`` draws of the uncertain inputs, each solved exactly.

    Parameters
    ----------
    data : Dataset
    prefectures : list of str or None
        2-digit codes, one instance (``None``: the whole country).
    draws, seed : int
        Draw *k* is seeded ``(seed, k)``: the same for any number of workers.
    scenario : Scenario, path or None
        Keys given as ranges (``{low, high}``) are drawn uniformly; see the ``uncertainty`` knobs.
    scheduler : str or None
        A Dask scheduler address (``tcp://host:8786``); default: a local cluster of processes.
    workers : int or None
        Local worker processes (default: the cores; 0: run in this process, no Dask).

    Returns
    -------
    SweepResult
        Pair and group frequencies, firm and open decisions (with what they hinge on), the robust plan
        (validated) with its NPV over the draws and what it gives up against each draw's optimum.
    """
    ctx = context(data, scenario)
    prefs = _plan.all_prefectures(ctx) if prefectures is None else [p.zfill(2) for p in prefectures]
    return _sweep(ctx, prefs, draws, seed=seed, scheduler=scheduler, workers=workers, progress=progress)


def compare(plan_a: Plan, plan_b: Plan) -> dict:
    """What changes from one plan to another.

    Parameters
    ----------
    plan_a, plan_b : Plan
        Two plans of the same instance (e.g. two scenarios, or the best plan and an alternative).

    Returns
    -------
    dict
        ``same_groups`` (count), ``only_in_a`` / ``only_in_b`` (groups: members, base group, value),
        ``value_a``, ``value_b``, ``value_difference`` and ``npv_difference`` (b - a, yen), the mean
        continuity of each, and the municipalities that move in one plan only (``moved_only_in_a``/``_b``).
    """
    return _plan.compare(plan_a, plan_b)


def best_plan(run) -> dict:
    """The best plan of a run's ``proposals.json`` (the first of its ``alternatives`` when it has several);
    ``ValueError`` when ``run`` is not one."""
    alternatives = run.get("alternatives") if isinstance(run, dict) else None
    plan = (alternatives[0] if alternatives else None) if isinstance(alternatives, list) else run
    if not (isinstance(plan, dict) and isinstance(plan.get("groups"), list)):
        raise ValueError("not the proposals.json of an lgcloud run")
    return plan


def compare_outputs(a: dict, b: dict) -> dict:
    """What changes between two runs' ``proposals.json`` (e.g. a baseline and a what-if): their scenarios,
    values, the groups in one only and the municipalities placed differently (another group, or placed in one
    run only)."""
    def placement(d):
        out = {}
        for g in best_plan(d)["groups"]:
            movers = g["joining"] if g["base_group_id"] else g["members"]
            for c in movers:
                out[c] = (g["base_group_id"], tuple(sorted(movers)))
        return out

    pa, pb = placement(a), placement(b)
    ga, gb = set(pa.values()), set(pb.values())
    moved = sorted(c for c in pa.keys() | pb.keys() if pa.get(c) != pb.get(c))
    A, B = best_plan(a), best_plan(b)
    return {"scenario_a": A["scenario"].get("label") or "", "scenario_b": B["scenario"].get("label") or "",
            "prefectures_a": A["prefectures"], "prefectures_b": B["prefectures"],
            "value_a": A["objective"], "value_b": B["objective"], "value_difference": B["objective"] - A["objective"],
            "npv_a": sum(g["npv_yen"] for g in A["groups"]), "npv_b": sum(g["npv_yen"] for g in B["groups"]),
            "same_groups": len(ga & gb), "only_in_a": [{"base_group_id": k[0], "movers": list(k[1])} for k in sorted(ga - gb, key=str)],
            "only_in_b": [{"base_group_id": k[0], "movers": list(k[1])} for k in sorted(gb - ga, key=str)],
            "municipalities_regrouped": moved}


def as_dict(result, lang: str = "ja", data: Dataset | None = None) -> dict:
    """A result as plain data (the JSON of the CLI), its texts in ``lang``: a :class:`MatchResult`, a
    :class:`GroupScore`, or a :class:`Plan` (``data`` gives the member names)."""
    if isinstance(result, matchmaking.MatchResult):
        return payload.match_dict(result, lang)
    if isinstance(result, GroupScore):
        return payload.group_score_dict(result, lang)
    if isinstance(result, Plan):
        return payload.plan_dict(result, {} if data is None else data.municipalities["name"].to_dict())
    if isinstance(result, SweepResult):
        return payload.sweep_dict(result, {} if data is None else data.municipalities["name"].to_dict(), lang)
    raise TypeError(f"no dict form for {type(result).__name__}")


__all__ = ["load", "Scenario", "score", "propose", "proposal", "sweep", "match", "precedents", "compare", "context",
           "as_dict", "Dataset"]
