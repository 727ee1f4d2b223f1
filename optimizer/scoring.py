r"""Scoring sets of municipalities as groups: money, continuity, objective value.

The value of a new group *S* going live in year *t* with package *v* is its expected
net present value at ``planning_fy`` (:math:`t_0`)

.. math:: \mathrm{NPV}(S) = \big(E[R(S)]\, B(S) - K(S)\big)\, A(t)
          - \big(C(S) - \mathrm{Sub}(S) + T(S)\big)\,(1+d)^{-(t - 1 - t_0)}

with :math:`B` the members' baseline cost, :math:`K` the annual coordination cost of
:func:`coordination_batch` (travel to meetings: spread is a cost), :math:`A` the annuity of
:mod:`optimizer.cost`, :math:`C` the one-off costs, :math:`\mathrm{Sub}` the 特別交付税
support and :math:`T` the contract extension / early-exit costs. Expanding an existing
group *G* by joiners *J* is valued against the status quo: the joiners' savings plus
the existing members' extra savings from the larger group,
:math:`E[R(G\cup J)]B(G\cup J) - E[R(G)]B(G)`, less the joiners' own costs.

The objective value of a group is

.. math:: V = w_s\,\mathrm{NPV} + w_c\, c\,(\kappa(S)\,|S| - \kappa(G)\,|G|)/100

with :math:`\kappa` the continuity score (0-100), :math:`c` = ``continuity_value_yen``
and :math:`G = \emptyset` for a new group. Unless given, the go-live year is the best
in :math:`[\max(t_0+\text{lead}, \min_i y_i), \max(t_0+\text{lead}, \max_i y_i)]` (renewal
years :math:`y_i` of the members who move) and the package the best of the members'
current ones (the group's, for an expansion); ties go to the earlier year and the
package of the member with the lower code.

All functions work on batches: a matrix of member positions, one set per row, ``-1``
padding shorter rows; :func:`score_group` scores one set through the same code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import cost
from .context import Context
from .continuity import Continuity, continuity, continuity_batch
from .errors import InputError, Problem
from .rules import Base, base_of, eligible, pair_distances, violations


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
    npv_yen: float  # municipal account (net of 特別交付税)
    national_npv_yen: float  # national account (特別交付税 excluded: a transfer)
    continuity: Continuity
    value: float  # the objective's value of this group (account chosen by the scenario, continuity, participation)
    shares: list[dict] | None = None
    allocation: dict | None = None  # method, in_core, epsilon_yen
    coalition_values: dict[str, int] | None = None
    value_yen: int | None = None  # the municipal value being shared (new group: its NPV; expansion: the increment)
    violations: list[dict] = field(default_factory=list)
    note: str | None = None  # "alone" (one member) or "existing group G…"
    warnings: list[str] = field(default_factory=list)
    coordination_cost_yen: float = 0.0  # annual; already deducted from annual_savings_yen

    @property
    def kind(self) -> str:
        if self.note == "alone":
            return "alone"
        return "expand" if self.base_group_id else "new"

    @property
    def movers(self) -> list[str]:
        """The municipalities that move into the group: a new group's members, an expansion's joiners."""
        return self.joining if self.base_group_id else self.members

    @property
    def in_core(self) -> bool | None:
        return None if self.allocation is None else self.allocation["in_core"]

    def shares_frame(self):
        """Per-member shares as a pandas DataFrame (empty unless scored with ``shares=True``)."""
        import pandas as pd

        return pd.DataFrame(self.shares or [])

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
            "coordination_cost_yen": round(self.coordination_cost_yen),
            "npv_yen": round(self.npv_yen),
            "accounts": {"municipal_npv_yen": round(self.npv_yen), "national_npv_yen": round(self.national_npv_yen)},
            "value": round(self.value),
            "value_yen": self.value_yen,
            "continuity": self.continuity.as_dict(),
            "allocation": self.allocation,
            "shares": self.shares,
            "coalition_values": self.coalition_values,
            "violations": self.violations,
            "note": self.note,
            "warnings": self.warnings,
        }


def _reduction_location(ctx: Context, P: np.ndarray, valid: np.ndarray, switch: np.ndarray) -> np.ndarray:
    n = valid.sum(axis=1)
    p = np.maximum(ctx.registry_population[P], 100.0)
    pmax = np.where(valid, p, 1.0).max(axis=1)
    pmin = np.where(valid, p, np.inf).min(axis=1)
    with np.errstate(divide="ignore"):
        gap = np.where(n >= 2, np.log10(pmax / pmin), 0.0)
    share = (switch & valid).sum(axis=1) / np.maximum(n, 1)
    return cost.reduction_location(n, gap, share, ctx.model)


def money_batch(ctx: Context, M: np.ndarray, vendor: np.ndarray, year: np.ndarray, base: Base | None = None,
                coordination: np.ndarray | None = None) -> dict:
    """Money figures of each row at a given package (vendor code) and go-live year.

    For a new group a row of fewer than two members is worth nothing (NPV 0).
    ``coordination``: :func:`coordination_batch` of ``M`` if already computed.
    """
    m, sc = ctx.model, ctx.scenario
    valid = M >= 0
    P = np.where(valid, M, 0)
    n = valid.sum(axis=1)
    cols = np.arange(M.shape[1])[None, :]
    moving = valid & (cols >= (base.size if base else 0))
    switch = ctx.vendor_code[P] != vendor[:, None]
    loc = _reduction_location(ctx, P, valid, switch)
    rate = cost.expected_reduction(loc, m)
    baseline_i = ctx.baseline[P] * valid
    baseline = baseline_i.sum(axis=1)
    coord_i = coordination_batch(ctx, M) if coordination is None else coordination
    annual = rate * baseline - coord_i.sum(axis=1)
    old_rate = 0.0  # the existing group's expected rate today (expansions are valued against it)
    old_coord_i = np.zeros(M.shape[1])
    if base is not None:
        b = base.idx[None, :]
        old = _reduction_location(ctx, b, np.ones_like(b, dtype=bool), np.zeros_like(b, dtype=bool))
        old_rate = float(cost.expected_reduction(old, m)[0])
        old_coord_i[: base.size] = coordination_batch(ctx, b)[0]
        annual = annual - old_rate * float(ctx.baseline[base.idx].sum()) + old_coord_i.sum()
    reg = ctx.registry_population[P]
    factor = ctx.migration_factor[ctx.vendor_code[P], vendor[:, None]]
    one_off_i = np.where(moving, cost.member_one_off(reg, factor, m), 0.0)
    corr = ctx.subsidy_corr[P]
    fixed = np.where((n >= 2) & (base is None), m.planning_group_yen, 0.0)
    group_corr = (corr * reg * valid).sum(axis=1) / np.maximum((reg * valid).sum(axis=1), 1.0)
    one_off = one_off_i.sum(axis=1) + fixed
    subsidy = m.subsidy_rate * ((one_off_i * corr).sum(axis=1) + fixed * group_corr)
    timing_i = np.where(moving, cost.timing_cost(baseline_i, ctx.renewal[P], year[:, None], m), 0.0)
    timing = timing_i.sum(axis=1)
    annuity = cost.annuity(year, sc.planning_fy, m)
    disc = cost.discount(year - 1, sc.planning_fy, m)
    npv = annual * annuity - (one_off - subsidy + timing) * disc  # municipal account: 特別交付税 is income
    national = npv - subsidy * disc  # national account: the transfer excluded
    if base is None:
        npv = np.where(n >= 2, npv, 0.0)
        national = np.where(n >= 2, national, 0.0)
    return {"loc": loc, "baseline": baseline, "annual": annual, "one_off": one_off, "subsidy": subsidy,
            "national_npv": national,
            "timing": timing, "npv": npv, "one_off_i": one_off_i, "baseline_i": baseline_i, "rate": rate,
            "timing_i": timing_i, "annuity": annuity, "cost_discount": disc, "fixed": fixed, "group_corr": group_corr,
            "old_rate": old_rate, "coordination_i": coord_i, "coordination": coord_i.sum(axis=1) - old_coord_i.sum(),
            "old_coordination_i": old_coord_i}


def coordination_batch(ctx: Context, M: np.ndarray) -> np.ndarray:
    r"""Annual coordination cost of each member (rows x columns, yen): staff travel to the group's meetings.

    .. math:: k_i = c_{km}\, d(i, m(S)), \qquad m(S) = \arg\min_{j \in S} \sum_{i \in S} d(i, j)

    with :math:`c_{km}` = ``coordination_yen_per_km`` and :math:`m(S)` the group's central
    member (its medoid: the meeting place that minimises total travel; ties to the first).
    Zero for padding and for a one-member set.
    """
    valid = M >= 0
    D, both = pair_distances(ctx, M)
    D = np.where(both, D, 0.0).astype(float)
    total = np.where(valid, D.sum(axis=1), np.inf)
    centre = np.argmin(total, axis=1)
    return ctx.model.coordination_yen_per_km * D[np.arange(len(M)), :, centre] * valid


def _options(ctx: Context, M: np.ndarray, base: Base | None, go_live, vendor):
    """Package options (list of vendor-code arrays) and go-live year options (list of (years, ok))."""
    valid = M >= 0
    P = np.where(valid, M, 0)
    rows = np.arange(len(M))
    if vendor is not None:
        vendors = [np.full(len(M), ctx.vendor_ids[vendor])]
    elif base is not None:
        vendors = [np.full(len(M), ctx.vendor_code[base.idx[0]])]
    elif ctx.scenario.vendor_mode == "same":
        vendors = [ctx.vendor_code[P[rows, np.argmax(valid, axis=1)]]]
    else:
        vendors = [np.where(valid[:, j], ctx.vendor_code[P[:, j]], -1) for j in range(M.shape[1])]
    if go_live is not None:
        return vendors, [(np.full(len(M), int(go_live)), np.ones(len(M), dtype=bool))]
    moving = valid & (np.arange(M.shape[1])[None, :] >= (base.size if base else 0))
    r = ctx.renewal[P]
    first = ctx.scenario.planning_fy + ctx.model.lead_years
    lo = np.maximum(first, np.where(moving, r, 10**6).min(axis=1))
    hi = np.maximum(first, np.where(moving, r, -10**6).max(axis=1))
    span = int((hi - lo).max()) if len(M) else 0
    return vendors, [(lo + o, lo + o <= hi) for o in range(span + 1)]


def batch_scores(ctx: Context, M: np.ndarray, base: Base | None = None, go_live=None, vendor=None,
                 rational: bool = False, maximise: str = "value") -> dict:
    """Best option of each row over packages and go-live years, with its figures.

    ``maximise`` is ``"value"`` (the objective) or ``"npv"`` (the municipal account, used for a
    coalition's own best option). With ``rational``, options whose municipal NPV is negative
    are not usable (:func:`optimizer.sharing.rational_batch`); a row without a usable option
    gets value ``-inf``.

    Returns a dict of arrays: ``value``, ``npv`` (municipal), ``national_npv``, ``go_live``,
    ``vendor`` (code) and the money and continuity figures of the chosen option.
    """
    M = np.asarray(M, dtype=np.int64)
    sc = ctx.scenario
    cont = continuity_batch(ctx, M)
    n = (M >= 0).sum(axis=1)
    cterm = cont["score"] * n
    if base is not None:
        bc = continuity_batch(ctx, base.idx[None, :])["score"][0]
        cterm = cterm - bc * base.size
    cvalue = sc.weight_continuity * sc.continuity_value_yen * cterm / 100.0
    cvalue = cvalue + sc.participation_weight_yen * (n - (base.size if base else 0)) * (n >= 2)
    vendors, years = _options(ctx, M, base, go_live, vendor)
    # every (package, year) option of every row in one vectorised evaluation
    opts = [(v, y, ok) for v in vendors for y, ok in years]
    m = len(M)
    V = np.concatenate([np.where(v >= 0, v, 0) for v, _, _ in opts])
    Y = np.concatenate([y for _, y, _ in opts])
    usable = np.concatenate([(v >= 0) & ok for v, _, ok in opts])
    money = money_batch(ctx, np.tile(M, (len(opts), 1)), V, Y, base,
                        coordination=np.tile(coordination_batch(ctx, M), (len(opts), 1)))
    if rational:
        usable &= rational_batch(money["npv"])
    account = money["national_npv"] if sc.objective_account == "national" else money["npv"]
    value = np.where(usable, sc.weight_savings * account + np.tile(cvalue, len(opts)), -np.inf)
    target = value if maximise == "value" else np.where(usable, money["npv"], -np.inf)
    choice = np.argmax(target.reshape(len(opts), m), axis=0)  # first best: earlier package column, earlier year
    pick = choice * m + np.arange(m)
    best = {k: v[pick] for k, v in money.items() if np.ndim(v) and len(v) == len(V)}
    best.update({"value": value[pick], "go_live": Y[pick], "vendor": V[pick]})
    best["continuity"] = cont["score"]
    best["pairing_ok"] = cont["pairing_ok"]
    best.update({f"continuity_{k}": cont[k] for k in ("pairing", "spread", "reachability", "max_distance_km")})
    return best


def rational_batch(npv) -> np.ndarray:
    """Individual rationality, batch form: a group (or an expansion) whose municipal NPV is at
    least 0 has an allocation giving every member (the existing group as one player) at least its
    outside option (0: alone, or the group unchanged); the nucleolus of :mod:`optimizer.sharing`
    is such an allocation. Below 0, no allocation can: shares sum to the NPV."""
    return np.asarray(npv) >= -0.5  # half a yen: rounding


CONTINUITY_KEYS = ("continuity", "pairing_ok", "continuity_pairing", "continuity_spread", "continuity_reachability",
                   "continuity_max_distance_km")


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
    if not codes:
        raise InputError(Problem("members", None, None, "no members given"))
    if vendor is not None and vendor not in ctx.vendor_ids:
        raise InputError(Problem("vendor", None, None, f"unknown vendor '{vendor}'"))
    base = None
    if base_group is not None:
        if base_group not in ctx.data.group_members:
            raise InputError(Problem("groups", None, "group_id", f"unknown group '{base_group}'"))
        base = base_of(ctx, base_group)
        existing = set(ctx.data.group_members[base_group])
        joining = [c for c in codes if c not in existing]
        codes = sorted(existing) + joining
    idx = ctx.positions(codes)
    existing_group = next((g for g, ms in ctx.data.group_members.items() if sorted(ms) == codes), None)
    if base is None and len(codes) == 1:
        return _alone(ctx, codes, idx)
    rational = ctx.scenario.require_individual_rationality
    best = batch_scores(ctx, idx[None, :], base, go_live, vendor, rational=rational)
    if not np.isfinite(best["value"][0]):  # no option leaves every member at least as well off: score the best
        best = batch_scores(ctx, idx[None, :], base, go_live, vendor)
    one = {k: (v[0] if np.ndim(v) else v) for k, v in best.items()}
    gs = GroupScore(
        members=sorted(codes),
        joining=codes[base.size:] if base else [],
        base_group_id=base_group,
        go_live_fy=int(one["go_live"]),
        vendor=ctx.vendor_names[int(one["vendor"])],
        baseline_cost_yen=float(one["baseline"]),
        reduction_rate=cost.reduction_distribution(float(one["loc"]), ctx.model),
        annual_savings_yen=float(one["annual"]),
        one_off_cost_yen=float(one["one_off"]),
        subsidy_yen=float(one["subsidy"]),
        timing_cost_yen=float(one["timing"]),
        npv_yen=float(one["npv"]),
        national_npv_yen=float(one["national_npv"]),
        continuity=continuity(ctx, idx, {k: best[k] for k in CONTINUITY_KEYS}),
        value=float(one["value"]),
        note=f"existing group {existing_group}" if existing_group and base is None else None,
        coordination_cost_yen=float(one["coordination"]),
    )
    if not gs.continuity.pairing_ok:
        gs.warnings.append("members exposed to a tsunami hazard without a safe partner (unexposed nearby, or far "
                           "away): " + ", ".join(f"{c} {ctx.data.name(c)}" for c in gs.continuity.unpaired))
    gs.violations = rule_violations(ctx, codes, idx, base, existing_group is not None and base is None)
    if shares:
        from .sharing import allocate, individually_rational  # sharing builds on this module

        own = member_accounts(ctx, codes, gs.go_live_fy, gs.vendor, base=base)
        allocate(ctx, gs, idx, base, own)
        losers = individually_rational(gs.shares)
        if losers and rational:
            gs.violations.append({"rule": "individual_rationality", "message": (
                f"{', '.join(losers)} would be worse off than alone / the group unchanged under any split: "
                f"the group's municipal NPV is {gs.npv_yen:,.0f} yen")})
    elif rational and not rational_batch(gs.npv_yen):
        gs.violations.append({"rule": "individual_rationality", "message": (
            f"the group's municipal NPV is {gs.npv_yen:,.0f} yen: some member would be worse off than alone")})
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
                      value=0.0, value_yen=0, note="alone",
                      violations=[{"rule": "size", "message": f"{codes[0]} {ctx.data.name(codes[0])} alone: a group "
                                   f"needs at least {ctx.scenario.min_size} members"}])


def coalition_npv(ctx: Context, idx: np.ndarray, vendor: int, go_live: int, masks: np.ndarray) -> np.ndarray:
    """Expected NPV of each coalition (rows of boolean ``masks`` over ``idx``) formed as a new group.

    Sub-coalitions keep the group's go-live year and package; fewer than two members are worth 0.
    """
    masks = np.atleast_2d(masks)
    M = np.where(masks, np.asarray(idx)[None, :], -1)
    k = len(M)
    return money_batch(ctx, M, np.full(k, vendor), np.full(k, go_live))["npv"]


def member_accounts(ctx: Context, codes: list[str], go_live: int, vendor: str, base_group: str | None = None,
                    base: Base | None = None) -> dict[str, dict[str, float]]:
    """Each member's own account in a group: its savings less its own costs, in NPV yen.

    A moving member gains :math:`E[R]\\,b_i A` and pays its one-off costs net of its
    subsidy, its timing costs and its population share of the group-level cost; an
    existing member of an expanded group gains the rise of the group's rate on its own
    baseline. The accounts add up to the group's NPV.
    """
    if base is None and base_group is not None:
        base = base_of(ctx, base_group)
    order = list(codes)
    if base is not None:
        existing = [ctx.codes[i] for i in base.idx]
        order = existing + [c for c in codes if c not in set(existing)]
    idx = ctx.positions(order)
    money = money_batch(ctx, idx[None, :], np.array([ctx.vendor_ids[vendor]]), np.array([go_live]), base)
    m = ctx.model
    rate, A, disc = float(money["rate"][0]), float(money["annuity"][0]), float(money["cost_discount"][0])
    b = money["baseline_i"][0]
    reg = ctx.registry_population[idx]
    own_cost = money["one_off_i"][0] * (1 - m.subsidy_rate * ctx.subsidy_corr[idx]) + money["timing_i"][0]
    own_cost = own_cost + float(money["fixed"][0]) * reg / reg.sum() * (1 - m.subsidy_rate * float(money["group_corr"][0]))
    gain = rate * b - money["coordination_i"][0]
    if base is not None:
        gain[: base.size] = (rate - money["old_rate"]) * b[: base.size] - (
            money["coordination_i"][0][: base.size] - money["old_coordination_i"][: base.size])
    return {c: {"annual_savings_yen": float(gain[k]), "npv_yen": float(gain[k] * A - own_cost[k] * disc)}
            for k, c in enumerate(order)}
