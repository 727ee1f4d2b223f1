r"""Scoring a set of municipalities as a group: money, continuity, fair shares.

The value of a new group *S* going live in year *t* with package *v* is its expected
net present value at ``planning_fy``

.. math:: \mathrm{NPV}(S) = E[R(S)]\, B(S)\, A(t)
          - \big(C(S) - \mathrm{Sub}(S) + T(S)\big)\,(1+d)^{-(t - 1 - t_0)}

with :math:`B` the members' baseline cost, :math:`A` the annuity of
:mod:`optimizer.cost`, :math:`C` one-off costs, :math:`\mathrm{Sub}` the 特別交付税 support
and :math:`T` contract extension / early-exit costs. Expanding an existing group *G* by
joiners *J* is valued against the status quo: the joiners' savings plus the existing
members' extra savings from the larger group,
:math:`E[R(G\cup J)]B(G\cup J) - E[R(G)]B(G)`, less the joiners' own costs.

The solver's objective for one group is
``weight_savings * NPV + weight_continuity * continuity_value_yen * score/100 * |S|``
(for an expansion, the continuity term is the change over the existing group). When
``go_live`` or ``vendor`` is not given, the best admissible ones are chosen: go-live in
``[max(planning_fy + lead, min renewal), max(planning_fy + lead, max renewal)]``, the
package among the members' current ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import cost
from .context import Context
from .continuity import Continuity, continuity
from .errors import InputError, Problem
from .rules import safe_partners


@dataclass
class GroupScore:
    """The score of one (new or expanded) group. ``as_dict()`` gives the CLI/JSON form."""

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
    npv_yen: float
    continuity: Continuity
    value: float
    shares: list[dict] | None = None
    in_core: bool | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return "expand" if self.base_group_id else "new"

    def as_dict(self) -> dict:
        return {
            "members": self.members,
            "kind": self.kind,
            "base_group_id": self.base_group_id,
            "joining": self.joining,
            "go_live_fy": self.go_live_fy,
            "vendor": self.vendor,
            "baseline_cost_yen": round(self.baseline_cost_yen),
            "reduction_rate": {k: round(v, 4) for k, v in self.reduction_rate.items()},
            "annual_savings_yen": round(self.annual_savings_yen),
            "one_off_cost_yen": round(self.one_off_cost_yen),
            "subsidy_yen": round(self.subsidy_yen),
            "timing_cost_yen": round(self.timing_cost_yen),
            "npv_yen": round(self.npv_yen),
            "value": round(self.value),
            "continuity": self.continuity.as_dict(),
            "shares": self.shares,
            "in_core": self.in_core,
            "warnings": self.warnings,
        }


@dataclass(frozen=True)
class _Inputs:
    """Member arrays for one group at a fixed go-live year and package."""

    idx: np.ndarray
    is_new: np.ndarray  # True for members that pay one-off and timing costs (all, or the joiners)
    baseline: np.ndarray
    reg_pop: np.ndarray
    switch: np.ndarray
    one_off: np.ndarray
    corr: np.ndarray
    timing: np.ndarray
    annuity: float
    cost_discount: float


def go_live_options(ctx: Context, idx: np.ndarray) -> range:
    """Admissible go-live years for a member set (see module docstring)."""
    first = ctx.scenario.planning_fy + ctx.model.lead_years
    r = ctx.renewal[idx]
    return range(max(first, int(r.min())), max(first, int(r.max())) + 1)


def _inputs(ctx: Context, idx: np.ndarray, is_new: np.ndarray, go_live: int, vendor: str) -> _Inputs:
    m, sc = ctx.model, ctx.scenario
    factors = np.array([cost.migration_factor(ctx.vendor[i], vendor, ctx.layout, m) for i in idx])
    reg = ctx.registry_population[idx]
    base = ctx.baseline[idx]
    return _Inputs(
        idx=idx,
        is_new=is_new,
        baseline=base,
        reg_pop=reg,
        switch=(ctx.vendor[idx] != vendor).astype(float),
        one_off=np.where(is_new, cost.member_one_off(reg, factors, m), 0.0),
        corr=ctx.subsidy_corr[idx],
        timing=np.where(is_new, cost.timing_cost(base, ctx.renewal[idx], go_live, m), 0.0),
        annuity=cost.annuity(go_live, sc.planning_fy, m),
        cost_discount=cost.discount(go_live - 1, sc.planning_fy, m),
    )


def coalition_npv(ctx: Context, x: _Inputs, masks: np.ndarray) -> np.ndarray:
    """Expected NPV of each coalition (rows of the boolean ``masks``) formed as a new group.

    Sub-coalitions keep the group's go-live year and package. Coalitions of fewer
    than two members are worth 0 (nothing is shared).
    """
    m = ctx.model
    masks = np.atleast_2d(masks)
    mf = masks.astype(float)
    n = mf.sum(axis=1)
    p = np.maximum(x.reg_pop, 100.0)[None, :]
    with np.errstate(invalid="ignore", divide="ignore", all="ignore"):
        pmax = np.where(masks, p, 1.0).max(axis=1)
        pmin = np.where(masks, p, np.inf).min(axis=1)
        gap = np.where(n >= 2, np.log10(pmax / pmin), 0.0)
        switch_share = (mf @ x.switch) / np.maximum(n, 1)
        rate = cost.expected_reduction(cost.reduction_location(n, gap, switch_share, m), m)
        savings = rate * (mf @ x.baseline) * x.annuity
        pop = mf @ x.reg_pop
        group_corr = (mf @ (x.corr * x.reg_pop)) / np.maximum(pop, 1.0)
        group_fixed = np.where(n >= 2, m.planning_group_yen, 0.0)
        one_off = mf @ x.one_off + group_fixed
        subsidy = m.subsidy_rate * (mf @ (x.one_off * x.corr) + group_fixed * group_corr)
        npv = savings - (one_off - subsidy + mf @ x.timing) * x.cost_discount
    return np.where(n >= 2, npv, 0.0)


def _money(ctx: Context, x: _Inputs, base_idx: np.ndarray | None) -> dict:
    """Money figures of one group (new, or expansion when ``base_idx`` is given)."""
    m = ctx.model
    n = len(x.idx)
    p = np.maximum(x.reg_pop, 100.0)
    loc = float(cost.reduction_location(n, np.log10(p.max() / p.min()), x.switch.mean(), m))
    dist = cost.reduction_distribution(loc, m)
    baseline = float(x.baseline.sum())
    annual = dist["mean"] * baseline
    fixed = 0.0 if base_idx is not None else m.planning_group_yen
    if base_idx is not None:
        bp = np.maximum(ctx.registry_population[base_idx], 100.0)
        old_loc = float(cost.reduction_location(len(base_idx), np.log10(bp.max() / bp.min()), 0.0, m))
        annual -= float(cost.expected_reduction(old_loc, m)) * float(ctx.baseline[base_idx].sum())
    one_off = float(x.one_off.sum()) + fixed
    corr = float((x.corr * x.reg_pop).sum() / max(x.reg_pop.sum(), 1.0))
    subsidy = m.subsidy_rate * (float((x.one_off * x.corr).sum()) + fixed * corr)
    timing = float(x.timing.sum())
    npv = annual * x.annuity - (one_off - subsidy + timing) * x.cost_discount
    return {"baseline": baseline, "dist": dist, "annual": annual, "one_off": one_off, "subsidy": subsidy,
            "timing": timing, "npv": npv}


def _value(ctx: Context, npv: float, cont: Continuity, n: int, base_cont: tuple[float, int] | None) -> float:
    sc = ctx.scenario
    c = cont.score * n
    if base_cont:
        c -= base_cont[0] * base_cont[1]
    return sc.weight_savings * npv + sc.weight_continuity * sc.continuity_value_yen * c / 100.0


def score_group(
    ctx: Context,
    codes: list[str],
    go_live: int | None = None,
    vendor: str | None = None,
    base_group: str | None = None,
    shares: bool = False,
) -> GroupScore:
    """Score ``codes`` as one group.

    Parameters
    ----------
    ctx : the data and scenario.
    codes : all members (for an expansion: the existing members and the joiners).
    go_live : go-live fiscal year; default the best admissible year.
    vendor : the group's package; default the best of the members' (the group's for an expansion).
    base_group : id of the existing group being expanded, if any.
    shares : compute per-member shares (Shapley, core check).
    """
    codes = sorted(dict.fromkeys(codes))
    if len(codes) < 1:
        raise InputError(Problem("members", None, None, "no members given"))
    idx = ctx.positions(codes)
    base_idx = None
    base_cont = None
    if base_group is not None:
        if base_group not in ctx.data.group_members:
            raise InputError(Problem("groups", None, "group_id", f"unknown group '{base_group}'"))
        existing = ctx.data.group_members[base_group]
        base_idx = ctx.positions(existing)
        vendor = str(ctx.data.groups.at[base_group, "vendor"])
        bc = continuity(ctx, base_idx)
        base_cont = (bc.score, len(base_idx))
    is_new = np.array([base_group is None or c not in set(ctx.data.group_members[base_group]) for c in codes])
    years = [go_live] if go_live is not None else list(go_live_options(ctx, idx[is_new] if base_group else idx))
    vendors = [vendor] if vendor else sorted(set(ctx.vendor[idx]) - {""}) or [""]
    cont = continuity(ctx, idx)
    best = None
    for v in vendors:
        for y in years:
            x = _inputs(ctx, idx, is_new, y, v)
            money = _money(ctx, x, base_idx)
            val = _value(ctx, money["npv"], cont, len(idx), base_cont)
            if best is None or val > best[0] + 1e-6:
                best = (val, v, y, x, money)
    val, v, y, x, money = best
    gs = GroupScore(
        members=codes,
        joining=[c for c, new in zip(codes, is_new) if new] if base_group else [],
        base_group_id=base_group,
        go_live_fy=int(y),
        vendor=v,
        baseline_cost_yen=money["baseline"],
        reduction_rate=money["dist"],
        annual_savings_yen=money["annual"],
        one_off_cost_yen=money["one_off"],
        subsidy_yen=money["subsidy"],
        timing_cost_yen=money["timing"],
        npv_yen=money["npv"],
        continuity=cont,
        value=val,
    )
    if not cont.pairing_ok and cont.coastal:
        gs.warnings.append("coastal members without a safe (inland or distant) partner: " + ", ".join(
            c for c, ok in zip(codes, safe_partners(ctx, idx)) if not ok))
    if shares and len(codes) >= 2:
        from .sharing import allocate  # local: sharing imports this module

        allocate(ctx, gs, x)
    return gs

