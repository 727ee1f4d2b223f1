r"""Scoring sets of municipalities as groups: money, continuity, objective value.

The value of a new group *S* going live in year *t* with package *v* is its expected
net present value at ``planning_fy`` (:math:`t_0`)

.. math:: \mathrm{NPV}(S) = \big(E[R(S)]\, B(S) - K(S)\big)\, A(t)
          - \big(C(S) - \mathrm{Sub}(S) + T(S)\big)\,(1+d)^{-(t - 1 - t_0)}

with :math:`B` the members' baseline cost, :math:`K` the annual coordination cost of
:func:`coordination_batch` (travel to meetings: spread is a cost), :math:`A` the annuity of
:mod:`optimizer.model.cost`, :math:`C` the one-off costs, :math:`\mathrm{Sub}` the 特別交付税
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

In a roadmap (``roadmap_years`` > 1) members may also go live in different years: the value of
a join schedule is :func:`schedule_money` (the rate of the members present each year, each
member's savings from its own join year), the schedules tried are :func:`schedules`, and a
group's ``join_fy``, ``timeline`` and ``cashflow`` say who goes live when and what falls in
which fiscal year.

All functions work on batches: a matrix of member positions, one set per row, ``-1``
padding shorter rows; :func:`optimizer.model.group.score_group` scores one set through the same code.
"""

from __future__ import annotations

import numpy as np

from . import cost
from .context import Context
from .continuity import continuity_batch
from .rules import Base, base_of, pair_distances, schedule_check, timing_check


def unique_rows(a: np.ndarray) -> np.ndarray:
    """The distinct rows of an integer matrix, in lexicographic order (``np.unique(a, axis=0)``, faster:
    a lexsort over the columns instead of a sort of the rows as opaque records)."""
    if len(a) < 2:
        return a
    s = a[np.lexsort(a.T[::-1])]
    keep = np.ones(len(s), dtype=bool)
    keep[1:] = np.any(s[1:] != s[:-1], axis=1)
    return s[keep]


def _running(ctx: Context, M: np.ndarray, present: np.ndarray, switch: np.ndarray, k_i: np.ndarray) -> dict:
    """Each present member's annual saving in the shared system (:func:`optimizer.model.cost.shared_system`, its
    人口割 share of the shared system) less its coordination ``k_i`` and its share of the cross-prefecture cost."""
    P = np.where(M >= 0, M, 0)
    parts = cost.shared_system(ctx.baseline[P], ctx.registry_population[P], present, switch, ctx.model)
    annual_i = np.where(present, parts["own"] - k_i - _cross_prefecture(ctx, P, present, parts["weight"]), 0.0)
    return {**parts, "annual_i": annual_i}


def _cross_prefecture(ctx: Context, P: np.ndarray, valid: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Each member's share (by population) of its group's annual cost of coordinating two prefectures' support
    programmes: ``cross_prefecture_yen`` for every prefecture beyond the first (rows x columns)."""
    pref = np.sort(np.where(valid, ctx.prefecture[P], -1), axis=1)
    distinct = ((pref[:, 1:] != pref[:, :-1]) & (pref[:, 1:] >= 0)).sum(axis=1) + (pref[:, 0] >= 0)
    extra = np.maximum(distinct - 1, 0) * ctx.model.cross_prefecture_yen
    return extra[:, None] * weight


def status_quo(ctx: Context, base: Base | None, width: int) -> np.ndarray:
    """The annual saving each member of an expanded group has today (first columns of ``width``, zeros after): what
    an expansion is valued against. Zeros for a new group."""
    old = np.zeros(width)
    if base is None:
        return old
    M = base.idx[None, :]
    valid = np.ones_like(M, dtype=bool)
    old[: base.size] = _running(ctx, M, valid, ~valid, coordination_batch(ctx, M))["annual_i"][0]
    return old


def _one_off_terms(ctx: Context, P: np.ndarray, valid: np.ndarray, moving: np.ndarray, vendor: np.ndarray,
                   base: Base | None):
    """One-off costs of each moving member at the group's package (all, and those eligible for 特別交付税: all but
    standardising its work), each member's 財政力補正, the group's planning cost (a new group of two or more) and
    its population-weighted 補正."""
    m = ctx.model
    reg = ctx.registry_population[P]
    factor = ctx.migration_factor[ctx.vendor_code[P], vendor[:, None]]
    eligible_i = np.where(moving, cost.member_one_off(reg, factor, m), 0.0)
    one_off_i = eligible_i + np.where(moving, cost.standardisation(ctx.baseline[P], reg, m), 0.0)
    corr = ctx.subsidy_corr[P]
    fixed = np.where((valid.sum(axis=1) >= 2) & (base is None), m.planning_group_yen, 0.0)
    group_corr = (corr * reg * valid).sum(axis=1) / np.maximum((reg * valid).sum(axis=1), 1.0)
    return one_off_i, eligible_i, corr, fixed, group_corr


def _wave_npv(annual, one_off, subsidy, timing, annuity, disc, n, base: Base | None):
    """A wave's NPV in both accounts, from its annual savings (annuity factor ``annuity``) and its one-off,
    subsidy and timing terms (discounted by ``disc``); a new group of fewer than two members is worth 0."""
    npv = annual * annuity - (one_off - subsidy + timing) * disc  # municipal account: 特別交付税 is income
    national = npv - subsidy * disc  # national account: the transfer excluded
    if base is None:
        npv = np.where(n >= 2, npv, 0.0)
        national = np.where(n >= 2, national, 0.0)
    return npv, national


def money_batch(ctx: Context, M: np.ndarray, vendor: np.ndarray, year: np.ndarray, base: Base | None = None,
                coordination: np.ndarray | None = None, timing: np.ndarray | None = None) -> dict:
    """Money figures of each row at a given package (vendor code) and go-live year.

    For a new group a row of fewer than two members is worth nothing (NPV 0). An expansion is
    valued against the status quo (its existing members' savings today).
    ``coordination``: :func:`coordination_batch` of ``M`` if already computed; ``timing``: the
    members' timing costs (rows x columns) if already computed (they do not depend on the package).
    """
    m, sc = ctx.model, ctx.scenario
    valid = M >= 0
    P = np.where(valid, M, 0)
    n = valid.sum(axis=1)
    cols = np.arange(M.shape[1])[None, :]
    moving = valid & (cols >= (base.size if base else 0))
    switch = ctx.vendor_code[P] != vendor[:, None]
    coord_i = coordination_batch(ctx, M) if coordination is None else coordination
    run = _running(ctx, M, valid, switch, coord_i)
    annual_i = run["annual_i"] - status_quo(ctx, base, M.shape[1])[None, :]
    annual = annual_i.sum(axis=1)
    baseline_i = ctx.baseline[P] * valid
    one_off_i, eligible_i, corr, fixed, group_corr = _one_off_terms(ctx, P, valid, moving, vendor, base)
    one_off = one_off_i.sum(axis=1) + fixed
    subsidy = m.subsidy_rate * ((eligible_i * corr).sum(axis=1) + fixed * group_corr)
    timing_i = (np.where(moving, cost.timing_cost(baseline_i, ctx.renewal[P], year[:, None], m), 0.0)
                if timing is None else timing)
    timing = timing_i.sum(axis=1)
    annuity = cost.annuity(year, sc.planning_fy, m)
    disc = cost.discount(year - 1, sc.planning_fy, m)
    npv, national = _wave_npv(annual, one_off, subsidy, timing, annuity, disc, n, base)
    return {"structure": run["structure"], "rate": _rate(run), "baseline": run["total"], "annual": annual,
            "annual_i": annual_i, "one_off": one_off, "subsidy": subsidy, "national_npv": national,
            "timing": timing, "npv": npv, "one_off_i": one_off_i, "baseline_i": baseline_i,
            "timing_i": timing_i, "annuity": annuity, "cost_discount": disc, "fixed": fixed, "group_corr": group_corr,
            "coordination_i": coord_i, "coordination": _coordination(ctx, base, coord_i)}


def _rate(run: dict) -> np.ndarray:
    """The expected reduction rate of each row: the shared system's saving over the members' running cost."""
    return np.where(run["total"] > 0, run["saving"] / np.maximum(run["total"], 1.0), 0.0)


def _coordination(ctx: Context, base: Base | None, coord_i: np.ndarray) -> np.ndarray:
    """A group's annual coordination cost; an expansion's net of what its existing members pay today."""
    out = coord_i.sum(axis=1)
    if base is not None:
        out = out - float(coordination_batch(ctx, base.idx[None, :]).sum())
    return out


def coordination_batch(ctx: Context, M: np.ndarray) -> np.ndarray:
    r"""Annual coordination cost of each member (rows x columns, yen): staff travel to the group's meetings.

    .. math:: k_i = c_{km}\, \frac{1}{|S| - 1} \sum_{j \in S,\, j \ne i} d(i, j)

    with :math:`c_{km}` = ``coordination_yen_per_km``: meetings are held in turn at the members, so a
    member's travel follows its mean distance to the whole group (a joiner far from most members of
    a wide association pays for it, not only for its nearest member). Zero for padding and for a
    one-member set.
    """
    valid = M >= 0
    D, both = pair_distances(ctx, M)
    D = np.where(both, D, 0.0).astype(float)
    n = valid.sum(axis=1)
    mean = D.sum(axis=2) / np.maximum(n - 1, 1)[:, None]
    return ctx.model.coordination_yen_per_km * mean * valid


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
    if ctx.roadmap:  # a roadmap's waves: every year of the horizon (timing_check says which are usable)
        return vendors, [(np.full(len(M), y), np.ones(len(M), dtype=bool)) for y in range(ctx.first_fy, ctx.last_fy + 1)]
    moving = valid & (np.arange(M.shape[1])[None, :] >= (base.size if base else 0))
    r = ctx.renewal[P]
    first = ctx.scenario.planning_fy + ctx.model.lead_years
    lo = np.maximum(first, np.where(moving, r, 10**6).min(axis=1))
    hi = np.maximum(first, np.where(moving, r, -10**6).max(axis=1))
    span = int((hi - lo).max()) if len(M) else 0
    return vendors, [(lo + o, lo + o <= hi) for o in range(span + 1)]


def schedule_money(ctx: Context, M: np.ndarray, vendor: np.ndarray, J: np.ndarray, base: Base | None = None,
                   coordination: np.ndarray | None = None) -> dict:
    r"""Money figures of each row when each moving member goes live in its own year ``J`` (rows x columns).

    A group founded in :math:`f = \min_i J_i` grows as members join; in year *y* it is the shared
    system of the members present, :math:`S_y = \{i: J_i \le y\}`, and member *i* saves
    :math:`a_{i,y}` = its 人口割 saving in :math:`S_y` (:func:`optimizer.model.cost.shared_system`) less its
    coordination and cross-prefecture costs (an existing group's member: the change from its saving
    today). Each member's savings count for ``horizon_years`` from its own join year (an existing
    group's members from *f*), its one-off and timing costs in the year before it goes live, the
    group's planning cost the year before *f*:

    .. math:: \mathrm{NPV} = \sum_i \sum_{y=J_i}^{J_i+H-1} a_{i,y}\,\delta_y
              - \sum_i (C_i - \mathrm{Sub}_i + T_i)\,\delta_{J_i-1} - (C_0 - \mathrm{Sub}_0)\,\delta_{f-1}

    with :math:`\delta_y = (1+d)^{-(y-t_0)}`. When every member joins in one year this is exactly
    :func:`money_batch` (a test checks it to the yen). Returns the keys of :func:`money_batch`
    (``annual``, ``annual_i`` and ``rate`` at full strength) plus ``join`` (``J``, with the founding year for
    an existing group's members), ``savings_npv_i`` and ``cost_npv_i`` (each member's discounted
    savings and own costs, the group's planning cost split by registry population) and
    ``savings_by_year`` / ``cost_by_year`` (undiscounted, years ``f .. f + T - 1``).
    """
    m, sc = ctx.model, ctx.scenario
    M = np.asarray(M, dtype=np.int64)
    valid = M >= 0
    P = np.where(valid, M, 0)
    n = valid.sum(axis=1)
    bsize = base.size if base else 0
    cols = np.arange(M.shape[1])[None, :]
    moving = valid & (cols >= bsize)
    J = np.asarray(J, dtype=np.int64)
    f = np.where(moving, J, 10**6).min(axis=1)
    last = np.where(moving, J, -10**6).max(axis=1)
    Jf = np.where(moving, J, f[:, None])  # an existing group's members count from the first join
    switch = ctx.vendor_code[P] != vendor[:, None]
    b = ctx.baseline[P] * valid
    k_i = coordination_batch(ctx, M) if coordination is None else coordination
    old = status_quo(ctx, base, M.shape[1])[None, :]
    in_base = cols < bsize
    H = m.horizon_years
    T = int((last - f).max()) + H if len(M) else H
    savings_npv_i = np.zeros(M.shape)
    savings_by_year = np.zeros((len(M), T))
    running_by_year = np.zeros((len(M), T))  # the members present, every year they run (no counting window)
    present = np.zeros_like(valid)
    a_iy = np.zeros(M.shape)
    for t in range(T):
        y = f + t
        now = valid & (in_base | (J <= y[:, None]))
        changed = np.nonzero((now != present).any(axis=1))[0]  # the savings move only when a member joins
        present = now
        if len(changed):
            a_iy = a_iy.copy()
            a_iy[changed] = _running(ctx, M[changed], present[changed], switch[changed], k_i[changed])["annual_i"]
        counting = present & (y[:, None] < Jf + H)
        g = np.where(counting, a_iy - old, 0.0)
        savings_by_year[:, t] = g.sum(axis=1)
        running_by_year[:, t] = np.where(present, a_iy - old, 0.0).sum(axis=1)
        savings_npv_i += g * cost.discount(y, sc.planning_fy, m)[:, None]
    run = _running(ctx, M, valid, switch, k_i)
    annual_i = run["annual_i"] - old
    annual = annual_i.sum(axis=1)
    one_off_i, eligible_i, corr, fixed, group_corr = _one_off_terms(ctx, P, valid, moving, vendor, base)
    reg = ctx.registry_population[P]
    sub_i = m.subsidy_rate * eligible_i * corr
    fixed_sub = m.subsidy_rate * fixed * group_corr
    timing_i = np.where(moving, cost.timing_cost(b, ctx.renewal[P], J, m), 0.0)
    disc_i = cost.discount(Jf - 1, sc.planning_fy, m)
    disc_f = cost.discount(f - 1, sc.planning_fy, m)
    share = np.where(valid, reg, 0.0) / np.maximum((reg * valid).sum(axis=1), 1.0)[:, None]
    cost_npv_i = (one_off_i - sub_i + timing_i) * disc_i + ((fixed - fixed_sub) * disc_f)[:, None] * share
    npv = savings_npv_i.sum(axis=1) - cost_npv_i.sum(axis=1)
    national = npv - (sub_i * disc_i).sum(axis=1) - fixed_sub * disc_f
    cost_by_year = np.zeros((len(M), T + 1))  # years f - 1 .. f + T - 1: costs fall the year before go-live
    for t in range(T + 1):
        at = (Jf - 1 == (f - 1 + t)[:, None]) & moving
        cost_by_year[:, t] = np.where(at, one_off_i - sub_i + timing_i, 0.0).sum(axis=1)
    cost_by_year[:, 0] += fixed - fixed_sub
    if base is None:
        npv = np.where(n >= 2, npv, 0.0)
        national = np.where(n >= 2, national, 0.0)
    return {"structure": run["structure"], "baseline": run["total"], "annual": annual, "annual_i": annual_i,
            "one_off": one_off_i.sum(axis=1) + fixed, "subsidy": sub_i.sum(axis=1) + fixed_sub,
            "national_npv": national, "timing": timing_i.sum(axis=1), "npv": npv, "one_off_i": one_off_i,
            "baseline_i": b, "rate": _rate(run), "timing_i": timing_i, "fixed": fixed, "group_corr": group_corr,
            "coordination_i": k_i, "coordination": _coordination(ctx, base, k_i), "join": Jf,
            "savings_npv_i": savings_npv_i, "cost_npv_i": cost_npv_i, "savings_by_year": savings_by_year,
            "running_by_year": running_by_year, "cost_by_year": cost_by_year, "first_year": f}


def schedules(ctx: Context, M: np.ndarray, base: Base | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    r"""The roadmap's join schedules of each row: a list of ``(J, usable)`` (join years, rows x columns).

    For every founding year *f* in ``first_fy .. last_fy`` and every tolerance
    :math:`\theta = 0 .. w` (``renewal_window_years``): a member whose nearest contract end is at
    most :math:`\theta` years from *f* joins in *f* (paying the timing cost of the gap); every other
    member joins at its own next contract end after *f*. :math:`\theta = w` with every member
    within it is a single wave; :math:`\theta = 0` is "each joins as its contract ends". A
    schedule is usable when it passes :func:`optimizer.model.rules.timing_check` and its founding cohort
    is large enough (``min_size`` for a new group).
    """
    valid = M >= 0
    P = np.where(valid, M, 0)
    moving = valid & (np.arange(M.shape[1])[None, :] >= (base.size if base else 0))
    r = ctx.renewal[P]
    sc, m = ctx.scenario, ctx.model
    out = []
    for f in range(ctx.first_fy, ctx.last_fy + 1):
        dist = cost.years_from_contract_end(r, f, m)
        nxt = cost.next_contract_end(r, f + 1, m)
        for theta in range(min(sc.renewal_window_years, m.contract_years // 2) + 1):
            J = np.where(dist <= theta, f, nxt)
            J = np.where(J > ctx.last_fy, f, J)
            J = np.where(moving, J, -1)
            cohort = ((J == f) & moving).sum(axis=1)
            ok = timing_check(ctx, M, J, base) & (cohort >= (sc.min_size if base is None else 1))
            out.append((J, ok))
    return out


def batch_scores(ctx: Context, M: np.ndarray, base: Base | None = None, go_live=None, vendor=None,
                 rational: bool = False, maximise: str = "value", join=None) -> dict:
    """Best option of each row over packages and go-live years (a roadmap: join schedules), with its figures.

    ``maximise`` is ``"value"`` (the objective) or ``"npv"`` (the municipal account, used for a
    coalition's own best option). With ``rational``, options whose municipal NPV is negative
    are not usable (:func:`rational_batch`); a row without a usable option
    gets value ``-inf``. ``join`` (rows x columns of years) fixes each member's join year.

    Single wave (``roadmap_years`` 1): every package x go-live year between the movers' next
    renewals. Roadmap: every package x wave year of the horizon (each member within the window
    of a contract end) and, for the best wave's package, every staggered schedule of
    :func:`schedules`; a schedule
    whose members present in some year are not connected (or, with ``pairing = "hard"``, not
    paired) is not usable (:func:`optimizer.model.rules.schedule_check`).

    Returns a dict of arrays: ``value``, ``npv`` (municipal), ``national_npv``, ``go_live`` (the
    founding / first join year), ``join`` (each member's year), ``vendor`` (code) and the money
    and continuity figures of the chosen option, and ``npv_best``: the best municipal NPV among the
    usable options evaluated (every wave and the chosen schedule) -- what the members could get on their
    own account by forming the group (the plan's stability check, :mod:`optimizer.solve.stability`).
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
    m = len(M)
    moving = (M >= 0) & (np.arange(M.shape[1])[None, :] >= (base.size if base else 0))
    coord = coordination_batch(ctx, M)

    def evaluate(money, usable, cv):
        if rational:
            usable = usable & rational_batch(money["npv"])
        account = money["national_npv"] if sc.objective_account == "national" else money["npv"]
        value = np.where(usable, sc.weight_savings * account + cv, -np.inf)
        target = value if maximise == "value" else np.where(usable, money["npv"], -np.inf)
        return value, target

    if join is not None:  # one given schedule, every package option
        J = np.where(moving, np.asarray(join, dtype=np.int64), -1)
        V = np.concatenate([np.where(v >= 0, v, 0) for v in vendors])
        usable = np.concatenate([v >= 0 for v in vendors])
        money = schedule_money(ctx, np.tile(M, (len(vendors), 1)), V, np.tile(J, (len(vendors), 1)), base,
                               coordination=np.tile(coord, (len(vendors), 1)))
        value, target = evaluate(money, usable, np.tile(cvalue, len(vendors)))
        pick = np.argmax(target.reshape(len(vendors), m), axis=0) * m + np.arange(m)
        best = {k: v[pick] for k, v in money.items() if np.ndim(v) and len(v) == len(V)}
        best.update({"value": value[pick], "go_live": money["first_year"][pick], "vendor": V[pick],
                     "npv_best": _npv_best(money["npv"], usable, rational).reshape(len(vendors), m).max(axis=0)})
        return _with_continuity(best, cont)
    # every (package, year) wave of every row. The money of a wave separates: the package sets the annual
    # savings and the one-off costs, the year the timing costs and the discounting, so each package is
    # costed once and each year once, and only their combination is formed per option (:func:`_wave_npv`, as
    # in money_batch); the chosen option is then costed in full.
    P = np.where(M >= 0, M, 0)
    b_i = ctx.baseline[P] * (M >= 0)
    per_year = [np.where(moving, cost.timing_cost(b_i, ctx.renewal[P], y[:, None], ctx.model), 0.0) for y, _ in years]
    Vs = np.concatenate([np.where(v >= 0, v, 0) for v in vendors])
    zero = np.zeros((len(Vs), M.shape[1]))
    by_vendor = money_batch(ctx, np.tile(M, (len(vendors), 1)), Vs, np.tile(years[0][0], len(vendors)), base,
                            coordination=np.tile(coord, (len(vendors), 1)), timing=zero)
    annual = by_vendor["annual"].reshape(len(vendors), 1, m)
    one_off = by_vendor["one_off"].reshape(len(vendors), 1, m)
    subsidy = by_vendor["subsidy"].reshape(len(vendors), 1, m)
    timing = np.stack([t.sum(axis=1) for t in per_year])[None, :, :]
    Yk = np.stack([y for y, _ in years])
    annuity = cost.annuity(Yk, sc.planning_fy, ctx.model)[None, :, :]
    disc = cost.discount(Yk - 1, sc.planning_fy, ctx.model)[None, :, :]
    npv, national = _wave_npv(annual, one_off, subsidy, timing, annuity, disc, n, base)
    usable = np.stack([v >= 0 for v in vendors])[:, None, :] & np.stack([ok for _, ok in years])[None, :, :]
    if ctx.roadmap and go_live is None:  # a wave of the roadmap: in the horizon, each member near a contract end
        usable = usable & np.stack([timing_check(ctx, M, np.where(moving, y[:, None], -1), base)
                                    for y, _ in years])[None, :, :]
    value, target = evaluate({"npv": npv, "national_npv": national}, usable, cvalue[None, None, :])
    npv_best = _npv_best(npv, usable, rational).reshape(-1, m).max(axis=0)
    # first best: earlier package column, earlier year
    choice = np.argmax(target.reshape(len(vendors) * len(years), m), axis=0)
    rows = np.arange(m)
    kv, ky = choice // len(years), choice % len(years)
    V = Vs.reshape(len(vendors), m)[kv, rows]
    Y = Yk[ky, rows]
    timing_pick = np.stack(per_year)[ky, rows]
    best = money_batch(ctx, M, V, Y, base, coordination=coord, timing=timing_pick)
    best = {k: v for k, v in best.items() if np.ndim(v) and len(v) == m}
    best.update({"value": value.reshape(-1, m)[choice, rows], "go_live": Y, "vendor": V})
    best["join"] = np.where(moving, Y[:, None], -1)
    best_target = target.reshape(-1, m)[choice, rows]
    if ctx.roadmap and go_live is None:
        best = _best_schedules(ctx, M, base, best, best_target, coord, cvalue, evaluate)
    best["join"] = np.where(moving, best["join"], -1)
    best["npv_best"] = np.maximum(npv_best, np.where(np.isfinite(best["value"]), best["npv"], -np.inf))
    return _with_continuity(best, cont)


def _npv_best(npv: np.ndarray, usable: np.ndarray, rational: bool) -> np.ndarray:
    """Municipal NPV where the option is usable (and, with ``rational``, no member loses), else -inf."""
    ok = usable & rational_batch(npv) if rational else usable
    return np.where(ok, npv, -np.inf)


def _best_schedules(ctx, M, base, best, best_target, coord, cvalue, evaluate) -> dict:
    """Replace each row's best wave by its best schedule of :func:`schedules` (package fixed) where better."""
    vend = best["vendor"]
    cands = schedules(ctx, M, base)
    rows = np.concatenate([np.nonzero(ok)[0] for _, ok in cands]) if cands else np.zeros(0, dtype=np.int64)
    if len(rows) == 0:
        return best
    Js = np.concatenate([J[ok] for J, ok in cands])
    staggered = np.where(Js >= 0, Js, 10**6).min(axis=1) != Js.max(axis=1)  # waves were scored already
    rows, Js = rows[staggered], Js[staggered]
    if len(rows) == 0:
        return best
    key = unique_rows(np.hstack([rows[:, None], Js]))  # the same schedule reached from several (f, theta)
    rows, Js = key[:, 0], key[:, 1:]
    money = schedule_money(ctx, M[rows], vend[rows], Js, base, coordination=coord[rows])
    value, target = evaluate(money, np.ones(len(rows), dtype=bool), cvalue[rows])
    alive = np.isfinite(target)
    verified = np.zeros(len(rows), dtype=bool)  # schedules whose every year passed schedule_check
    while True:
        # per row, the best schedule still alive (first of equals: unique's order, earlier years first)
        t = np.where(alive, target, -np.inf)
        order = np.lexsort((-t, rows))
        first = np.ones(len(order), dtype=bool)
        first[1:] = rows[order][1:] != rows[order][:-1]
        top = order[first]
        top = top[np.isfinite(t[top]) & (t[top] > best_target[rows[top]])]
        check = top[~verified[top]]
        if len(check):
            bad = ~schedule_check(ctx, M[rows[check]], Js[check], base)
            verified[check[~bad]] = True
            if bad.any():
                alive[check[bad]] = False
                continue
        break
    if len(top):
        r = rows[top]
        for k, v in money.items():
            if np.ndim(v) and len(v) == len(rows) and k in best:
                if np.ndim(v) == 2 and best[k].shape[1] != v.shape[1]:
                    continue
                best[k] = best[k].copy()
                best[k][r] = v[top]
        best["value"] = best["value"].copy()
        best["value"][r] = value[top]
        best["go_live"] = best["go_live"].copy()
        best["go_live"][r] = money["first_year"][top]
        best["join"] = best["join"].copy()
        best["join"][r] = Js[top]
    return best


def _with_continuity(best: dict, cont: dict) -> dict:
    best["continuity"] = cont["score"]
    best["pairing_ok"] = cont["pairing_ok"]
    best.update({f"continuity_{k}": cont[k] for k in ("pairing", "spread", "reachability", "max_distance_km")})
    return best


def rational_batch(npv) -> np.ndarray:
    """Individual rationality, batch form: a group (or an expansion) whose municipal NPV is at
    least 0 has an allocation giving every member (the existing group as one player) at least its
    outside option (0: alone, or the group unchanged); the nucleolus of :mod:`optimizer.model.sharing`
    is such an allocation. Below 0, no allocation can: shares sum to the NPV."""
    return np.asarray(npv) >= -0.5  # half a yen: rounding


CONTINUITY_KEYS = ("continuity", "pairing_ok", "continuity_pairing", "continuity_spread", "continuity_reachability",
                   "continuity_max_distance_km")


def cashflow(ctx: Context, idx: np.ndarray, base: Base | None, vendor: int, join: list[int]) -> list[dict]:
    """A group's money by fiscal year, municipal account: ``savings_yen`` (that year's savings of
    the members counting: each member's first ``horizon_years``, the NPV's window), ``running_yen`` (that
    year's savings of every member running, whatever its year: what the group saves that year),
    ``cost_yen`` (one-off and timing costs net of 特別交付税, paid the year before go-live) and ``npv_yen``
    (the year's net, discounted to ``planning_fy``). The years' ``npv_yen`` sum to the group's NPV; after
    the last year listed every member runs and the group saves its full ``annual`` a year."""
    M = np.asarray(idx, dtype=np.int64)[None, :]
    money = schedule_money(ctx, M, np.array([vendor]), np.array([join]), base)
    f = int(money["first_year"][0])
    sav, cst, run = money["savings_by_year"][0], money["cost_by_year"][0], money["running_by_year"][0]
    years = range(f - 1, f + len(sav))
    out = []
    for k, y in enumerate(years):
        s_ = float(sav[k - 1]) if k >= 1 else 0.0
        c_ = float(cst[k])
        out.append({"fy": y, "savings_yen": s_, "running_yen": float(run[k - 1]) if k >= 1 else 0.0, "cost_yen": c_,
                    "npv_yen": (s_ - c_) * float(cost.discount(y, ctx.scenario.planning_fy, ctx.model))})
    return out


def coalition_npv(ctx: Context, idx: np.ndarray, vendor: int, go_live: int, masks: np.ndarray,
                  join: np.ndarray | None = None) -> np.ndarray:
    """Expected NPV of each coalition (rows of boolean ``masks`` over ``idx``) formed as a new group.

    Sub-coalitions keep the group's go-live year (or each member's ``join`` year) and package;
    fewer than two members are worth 0.
    """
    masks = np.atleast_2d(masks)
    M = np.where(masks, np.asarray(idx)[None, :], -1)
    k = len(M)
    J = np.where(masks, np.full(len(idx), go_live) if join is None else np.asarray(join)[None, :], -1)
    return schedule_money(ctx, M, np.full(k, vendor), J)["npv"]


def member_accounts(ctx: Context, codes: list[str], go_live: int, vendor: str, base_group: str | None = None,
                    base: Base | None = None, join: dict[str, int] | None = None) -> dict[str, dict[str, float]]:
    """Each member's own account in a group: its savings less its own costs, in NPV yen.

    A member gains its saving in the shared system (its 人口割 share, :func:`schedule_money`) in each
    year it counts and pays its one-off costs net of its subsidy, its timing costs and its
    registry-population share of the group-level cost; an existing member of an expanded group
    gains the change from its saving today. ``join`` gives each mover's year (default: all in
    ``go_live``). The accounts add up to the group's NPV.
    """
    if base is None and base_group is not None:
        base = base_of(ctx, base_group)
    order = list(codes)
    if base is not None:
        existing = [ctx.codes[i] for i in base.idx]
        order = existing + [c for c in codes if c not in set(existing)]
    idx = ctx.positions(order)
    b = base.size if base is not None else 0
    J = np.array([-1 if k < b else (join or {}).get(c, go_live) for k, c in enumerate(order)])
    money = schedule_money(ctx, idx[None, :], np.array([ctx.vendor_ids[vendor]]), J[None, :], base)
    gain = money["annual_i"][0]
    npv = money["savings_npv_i"][0] - money["cost_npv_i"][0]
    return {c: {"annual_savings_yen": float(gain[k]), "npv_yen": float(npv[k])} for k, c in enumerate(order)}
