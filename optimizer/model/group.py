r"""One group, scored in full: its money in both accounts, its continuity, the rules it breaks and,
on request, each member's share (:mod:`optimizer.model.sharing`).

:func:`score_group` is what ``lgcloud score`` runs and what a plan's groups are re-scored with
(``solve``), through the batch code of :mod:`optimizer.model.scoring`: the same figures whichever
way a group is reached. A :class:`GroupScore` is plain data; writing it out is the job of
:mod:`optimizer.render`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError, Problem
from ..text import Items, Msg
from . import cost
from .context import Context
from .continuity import Continuity, continuity
from .rules import Base, base_of, eligible, schedule_violations, violations
from .scoring import CONTINUITY_KEYS, batch_scores, cashflow, member_accounts, rational_batch
from .sharing import allocate, individually_rational

#: The kinds of a group: a new group, an existing group with joiners, one municipality on its own.
KINDS = ("new", "expand", "alone")


@dataclass
class GroupScore:
    """The score of one (new, expanded or alone) group: plain data, in yen and fiscal years.

    ``id`` is the group's label in a plan (``P01``; :func:`optimizer.solve.plan.group_id`), ``None``
    outside one. ``kind`` is one of :data:`KINDS`. ``existing_group_id`` names the existing group
    whose members are exactly ``members`` (scored as if formed afresh), else ``None``.
    """

    members: list[str]
    joining: list[str]
    base_group_id: str | None
    go_live_fy: int
    vendor: str
    baseline_cost_yen: float
    reduction_rate: dict[str, float]
    annual_savings_yen: float
    one_off_cost_yen: float
    subsidy_yen: float
    timing_cost_yen: float
    npv_yen: float  # municipal account (net of 特別交付税)
    national_npv_yen: float  # national account (特別交付税 excluded: a transfer)
    continuity: Continuity
    value: float  # the objective's value of this group (account chosen by the scenario, continuity, participation)
    kind: str = "new"
    id: str | None = None
    existing_group_id: str | None = None
    shares: list[dict] | None = None
    allocation: dict | None = None  # method, in_core, epsilon_yen
    coalition_values: dict[str, int] | None = None
    cost_split: dict | None = None  # the nearest 均等割 + 人口割 formula to the shares (sharing.cost_split)
    value_yen: int | None = None  # the municipal value being shared (new group: its NPV; expansion: the increment)
    violations: list[dict] = field(default_factory=list)  # {"rule": name, "message": Msg}
    warnings: list[Msg] = field(default_factory=list)
    coordination_cost_yen: float = 0.0  # annual; already deducted from annual_savings_yen
    join_fy: dict[str, int] = field(default_factory=dict)  # each moving member's go-live year
    cashflow: list[dict] = field(default_factory=list)  # by fiscal year, municipal account (see scoring.cashflow)
    base_start_fy: int | None = None  # an expansion: the year the existing group started (groups.csv start_fy)

    @property
    def founded_fy(self) -> int:
        """The year the group was founded: a new group's first go-live, an existing group's start (its first
        join is ``timeline[0]``)."""
        return self.base_start_fy if self.base_group_id and self.base_start_fy is not None else self.go_live_fy

    @property
    def timeline(self) -> list[dict]:
        """Who goes live when: ``[{"fy", "joining": [codes]}]``, the founding cohort first."""
        years: dict[int, list[str]] = {}
        for c in self.movers:
            years.setdefault(self.join_fy.get(c, self.go_live_fy), []).append(c)
        return [{"fy": y, "joining": sorted(cs)} for y, cs in sorted(years.items())]

    @property
    def movers(self) -> list[str]:
        """The municipalities that move into the group: a new group's members, an expansion's joiners."""
        return self.joining if self.base_group_id else self.members

    @property
    def in_core(self) -> bool | None:
        return None if self.allocation is None else self.allocation["in_core"]

    def savings_at(self, rate: float) -> float:
        """Annual savings (yen) if the group's reduction rate were ``rate`` instead of its expected rate
        (an expansion: net of what the group saves now)."""
        if not self.base_group_id:
            return rate * self.baseline_cost_yen - self.coordination_cost_yen
        return self.annual_savings_yen + (rate - self.reduction_rate["mean"]) * self.baseline_cost_yen

    def shares_frame(self):
        """Per-member shares as a pandas DataFrame (empty unless scored with ``shares=True``)."""
        import pandas as pd

        return pd.DataFrame(self.shares or [])


def score_group(
    ctx: Context,
    codes: list[str],
    go_live: int | None = None,
    vendor: str | None = None,
    base_group: str | None = None,
    shares: bool = False,
    join: dict[str, int] | None = None,
) -> GroupScore:
    """Score ``codes`` as one group.

    Parameters
    ----------
    ctx : Context
        The data and scenario.
    codes : list of str
        All members (for an expansion: the existing members and the joiners).
    go_live : int, optional
        Go-live fiscal year; default the best admissible year.
    vendor : str, optional
        The group's package; default the best of the members' (the group's for an expansion).
    base_group : str, optional
        Id of the existing group being expanded, if any.
    shares : bool
        Compute per-member shares (the nucleolus, the core check; :mod:`optimizer.model.sharing`).
    join : dict, optional
        Each moving member's join year (a roadmap schedule); default the best schedule
        (single wave: all in ``go_live``).

    Returns
    -------
    GroupScore
    """
    codes = sorted(dict.fromkeys(codes))
    if not codes:
        raise InputError(Problem("members", None, None, Msg("score.no_members")))
    if vendor is not None and vendor not in ctx.vendor_ids:
        raise InputError(Problem("vendor", None, None, Msg("score.unknown_vendor", vendor=vendor)))
    base = None
    if base_group is not None:
        if base_group not in ctx.data.group_members:
            raise InputError(Problem("groups", None, "group_id", Msg("score.unknown_group", group=base_group)))
        base = base_of(ctx, base_group)
        existing = set(ctx.data.group_members[base_group])
        joining = [c for c in codes if c not in existing]
        codes = sorted(existing) + joining
    idx = ctx.positions(codes)
    existing_group = next((g for g, ms in ctx.data.group_members.items() if sorted(ms) == codes), None)
    if base is None and len(codes) == 1:
        return _alone(ctx, codes, idx)
    rational = ctx.scenario.require_individual_rationality
    J = None
    if join is not None:
        movers = codes[base.size:] if base else codes
        missing = [c for c in movers if c not in join]
        if missing:
            raise InputError(Problem("join", None, None, Msg("score.no_join_year", codes=Items(missing))))
        J = np.array([[-1 if base and k < base.size else int(join[c]) for k, c in enumerate(codes)]])
    best = batch_scores(ctx, idx[None, :], base, go_live, vendor, rational=rational, join=J)
    if not np.isfinite(best["value"][0]):  # no option leaves every member at least as well off: score the best
        best = batch_scores(ctx, idx[None, :], base, go_live, vendor, join=J)
    one = {k: (v[0] if np.ndim(v) else v) for k, v in best.items()}
    first = base.size if base else 0
    join_fy = {c: int(one["join"][k]) for k, c in enumerate(codes) if k >= first}
    afresh = existing_group if existing_group and base is None else None
    gs = GroupScore(
        members=sorted(codes),
        joining=codes[base.size:] if base else [],
        base_group_id=base_group,
        go_live_fy=int(one["go_live"]),
        vendor=ctx.vendor_names[int(one["vendor"])],
        baseline_cost_yen=float(one["baseline"]),
        reduction_rate=cost.rate_distribution(float(one["rate"]), float(one["structure"]), ctx.model),
        annual_savings_yen=float(one["annual"]),
        one_off_cost_yen=float(one["one_off"]),
        subsidy_yen=float(one["subsidy"]),
        timing_cost_yen=float(one["timing"]),
        npv_yen=float(one["npv"]),
        national_npv_yen=float(one["national_npv"]),
        continuity=continuity(ctx, idx, {k: best[k] for k in CONTINUITY_KEYS}),
        value=float(one["value"]),
        kind="expand" if base_group else "new",
        existing_group_id=afresh,
        coordination_cost_yen=float(one["coordination"]),
        join_fy=join_fy,
        base_start_fy=int(ctx.data.groups.at[base_group, "start_fy"]) if base_group else None,
    )
    gs.cashflow = cashflow(ctx, idx, base, int(one["vendor"]), [join_fy.get(c, -1) for c in codes])
    if not gs.continuity.pairing_ok:
        gs.warnings.append(Msg("score.unpaired", members=Items(f"{c} {ctx.data.name(c)}" for c in gs.continuity.unpaired)))
    gs.violations = rule_violations(ctx, codes, idx, base, afresh is not None)
    if ctx.roadmap and afresh is None:
        gs.violations += [{"rule": k, "message": v} for k, v in schedule_violations(
            ctx, idx, [join_fy.get(c, -1) for c in codes], base).items()]
    if shares:
        own = member_accounts(ctx, codes, gs.go_live_fy, gs.vendor, base=base, join=join_fy)
        allocate(ctx, gs, idx, base, own)
        losers = individually_rational(gs.shares)
        if losers and rational:
            gs.violations.append({"rule": "individual_rationality", "message": Msg(
                "score.losers", losers=Items(losers), npv=gs.npv_yen)})
    elif rational and not rational_batch(gs.npv_yen):
        gs.violations.append({"rule": "individual_rationality", "message": Msg("score.negative", npv=gs.npv_yen)})
    return gs


def rule_violations(ctx: Context, codes: list[str], idx: np.ndarray, base: Base | None,
                    is_existing_group: bool = False) -> list[dict]:
    """Every business rule a member set breaks, as ``{"rule", "message"}`` (eligibility of movers included)."""
    out = []
    if not is_existing_group:
        movers = codes[base.size:] if base is not None else codes
        for c in movers:
            if why := eligible(ctx, ctx.pos[c]):
                out.append({"rule": "eligibility", "message": why})
    out += [{"rule": k, "message": v} for k, v in violations(ctx, idx, base).items()]
    return out


def _alone(ctx: Context, codes: list[str], idx: np.ndarray) -> GroupScore:
    """A one-member 'group' is the municipality's outside option: nothing changes, nothing to share."""
    zero = {"p10": 0.0, "p50": 0.0, "p90": 0.0, "mean": 0.0}
    return GroupScore(members=codes, joining=[], base_group_id=None, go_live_fy=ctx.scenario.planning_fy,
                      vendor=ctx.vendor[idx[0]] or "", baseline_cost_yen=float(ctx.baseline[idx[0]]),
                      reduction_rate=zero, annual_savings_yen=0.0, one_off_cost_yen=0.0, subsidy_yen=0.0,
                      timing_cost_yen=0.0, npv_yen=0.0, national_npv_yen=0.0, continuity=continuity(ctx, idx),
                      value=0.0, value_yen=0, kind="alone",
                      violations=[{"rule": "size", "message": Msg(
                          "score.alone", code=codes[0], name=ctx.data.name(codes[0]), least=ctx.scenario.min_size)}])
