"""The business rules, each defined once as a named predicate over sets of municipalities.

A rule's ``check(ctx, M, base)`` takes a matrix ``M`` of member positions, one set per
row (``-1`` pads shorter rows), and returns a boolean array: the rule holds for that
set. ``rule(ctx, idx, base)`` asks the same of one set and returns ``None`` or a
:class:`~optimizer.text.Msg` naming the members and values that break it. Candidate enumeration checks
whole levels of sets at once, the validator, matchmaking and infeasibility
explanations check single sets: all through these definitions.

``base`` is ``None`` for a new group; for an expansion it is the existing group
(:class:`Base`), whose members are the first ``base.size`` columns of every row.

Rules
-----
``size``
    new: ``min_size <= |S| <= max_size``; expansion: 1 to ``max_joiners`` joiners and
    at most the group's ``max_members`` in all.
``population``
    total census population at most ``max_population``.
``renewal``
    next renewal years at most ``renewal_window_years`` apart (members of an existing
    group renew with their group); in a roadmap (``roadmap_years`` > 1) the contract ends
    (next renewal + k ``contract_years``) within the window round the contract cycle.
``vendor``
    with ``vendor_mode = "same"``, one package for all (the group's for an expansion).
``distance``
    new: every pair within ``max_member_distance_km``; expansion: every joiner within
    that distance of the other joiners and of at least one existing member.
``prefecture`` (when ``cross_prefecture`` is false)
    new: all members in one prefecture; expansion: every joiner in a prefecture of
    the group's members.
``connected``
    the members induce a connected subgraph of the graph of land neighbours, sea
    links, transit links and pairs at most ``connect_km`` apart (an existing group
    counts as one node: joiners must link to one of its members, within
    ``join_link_km``, or to each other).
``pairing`` (when ``pairing = "hard"``)
    separation from a common disaster: for every hazard *h* of ``pairing_hazards``,
    every member exposed to *h* (every exposed joiner, for an expansion) has a safe
    partner in the group: a member **not exposed to h** within ``support_km``, or a
    member at least ``hazard_separation_km`` away (one event does not strike both;
    certificates can be issued from the shared cloud). A group without exposed
    members passes. With ``pairing = "weighted"`` the same test scores continuity
    (:mod:`optimizer.model.continuity`) instead of excluding groups.

Rules of a roadmap's schedule (each member's join year ``J``), checked on a set and its years:
``timing`` (:func:`timing_check`: every join in the horizon, within ``renewal_window_years`` of
one of the member's contract ends), ``cohort`` (a new group is founded by ``min_size``
members) and, year by year, ``connected`` and ``pairing`` on the members present
(:func:`schedule_check`, :func:`schedule_violations`).

:func:`eligible` says who may take part at all: cloud status ``none`` or ``solo``,
``willing``, not listed in the scenario's ``alone`` or ``locked``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..text import Items, Msg
from .context import Context
from .cost import years_from_contract_end


@dataclass(frozen=True)
class Base:
    """An existing group being expanded."""

    group_id: str
    idx: np.ndarray  # member positions
    max_members: int
    renewal_fy: int | None = None  # the group renewal joiners align with (default: its next renewal)

    @property
    def size(self) -> int:
        return len(self.idx)


def base_of(ctx: Context, group_id: str, renewal_fy: int | None = None) -> Base:
    g = ctx.data.groups.loc[group_id]
    return Base(group_id, ctx.positions(ctx.data.group_members[group_id]), int(g["max_members"]), renewal_fy)


@dataclass(frozen=True)
class Rule:
    name: str
    hereditary: bool  # once broken by a set, broken by every superset (used to prune enumeration)
    check: Callable[..., np.ndarray]
    explain: Callable[..., str]

    def __call__(self, ctx: Context, idx, base: Base | None = None) -> Msg | None:
        idx = np.asarray(idx, dtype=np.int64)
        return None if bool(self.check(ctx, idx[None, :], base)[0]) else self.explain(ctx, idx, base)


def _label(ctx: Context, i) -> str:
    return f"{ctx.codes[i]} {ctx.data.name(ctx.codes[i])}"


def _masked(M: np.ndarray):
    valid = M >= 0
    return np.where(valid, M, 0), valid


# --- size -------------------------------------------------------------------------------------------
def _size_check(ctx, M, base=None):
    n = (M >= 0).sum(axis=1)
    sc = ctx.scenario
    if base is None:
        return (n >= sc.min_size) & (n <= sc.max_size)
    joiners = n - base.size
    return (joiners >= 1) & (joiners <= sc.max_joiners) & (n <= base.max_members)


def _size_explain(ctx, idx, base=None):
    sc = ctx.scenario
    if base is None:
        return Msg("rule.size.new", n=len(idx), lo=sc.min_size, hi=sc.max_size)
    return Msg("rule.size.expand", joiners=len(idx) - base.size, group=base.group_id, members=base.size,
               most=sc.max_joiners, cap=base.max_members)


# --- population ---------------------------------------------------------------------------------------
def _population_check(ctx, M, base=None):
    P, valid = _masked(M)
    return (ctx.population[P] * valid).sum(axis=1) <= ctx.scenario.max_population


def _population_explain(ctx, idx, base=None):
    return Msg("rule.population", total=int(ctx.population[idx].sum()), limit=ctx.scenario.max_population)


# --- renewal ------------------------------------------------------------------------------------------
def _renewals(ctx, P, base):
    r = ctx.renewal[P]
    if base is not None and base.renewal_fy is not None:
        r = r.copy()
        r[:, : base.size] = base.renewal_fy
    return r


def _renewal_check(ctx, M, base=None):
    P, valid = _masked(M)
    r = _renewals(ctx, P, base)
    return renewal_spread(ctx, r, valid) <= ctx.scenario.renewal_window_years


def renewal_spread(ctx, r: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Years spanned by the members' renewals (rows): in a single-wave plan the next renewal years'
    range; in a roadmap the shortest arc of the contract cycle holding every member's contract ends
    (a 2018 renewal and a 2022 one are 1 year apart: contracts end in 2023 and 2022)."""
    if not ctx.roadmap:
        return np.where(valid, r, -10**6).max(axis=1) - np.where(valid, r, 10**6).min(axis=1)
    C = ctx.model.contract_years
    phase = np.where(valid, np.mod(r - ctx.scenario.planning_fy, C), 10**6)
    s = np.sort(phase, axis=1)
    n = valid.sum(axis=1)
    gaps = np.diff(s, axis=1)
    gaps = np.where(np.arange(gaps.shape[1])[None, :] < (n - 1)[:, None], gaps, -1)
    wrap = s[:, 0] + C - s[np.arange(len(s)), np.maximum(n - 1, 0)]
    widest = np.maximum(gaps.max(axis=1, initial=-1), wrap)
    return np.where(n >= 2, C - widest, 0)


def _renewal_explain(ctx, idx, base=None):
    r = _renewals(ctx, idx[None, :], base)[0]
    w = ctx.scenario.renewal_window_years
    if ctx.roadmap:
        span = int(renewal_spread(ctx, r[None, :], np.ones((1, len(r)), dtype=bool))[0])
        ends = Items(f"{_label(ctx, i)} {int(y)}" for i, y in zip(idx, r))
        return Msg("rule.renewal.cycle", every=ctx.model.contract_years, ends=ends, span=span, window=w)
    if base is not None:
        rg = int(r[0])
        far = max(range(base.size, len(idx)), key=lambda j: abs(int(r[j]) - rg))
        return Msg("rule.renewal.expand", member=_label(ctx, idx[far]), year=r[far], gap=abs(int(r[far]) - rg),
                   group=base.group_id, group_year=rg, window=w)
    lo, hi = idx[np.argmin(r)], idx[np.argmax(r)]
    return Msg("rule.renewal.new", a=_label(ctx, lo), a_year=r.min(), b=_label(ctx, hi), b_year=r.max(),
               gap=r.max() - r.min(), window=w)


# --- vendor -------------------------------------------------------------------------------------------
def _vendor_check(ctx, M, base=None):
    if ctx.scenario.vendor_mode != "same":
        return np.ones(len(M), dtype=bool)
    P, valid = _masked(M)
    v = ctx.vendor_code[P]
    first = v[np.arange(len(M)), np.argmax(valid, axis=1)]
    return np.all((v == first[:, None]) | ~valid, axis=1)


def _vendor_explain(ctx, idx, base=None):
    return Msg("rule.vendor", parts=Items(f"{_label(ctx, i)}: {ctx.vendor[i]}" for i in idx))


# --- distance -----------------------------------------------------------------------------------------
def pair_distances(ctx, M):
    """Distances between the members of each row (rows x columns x columns) and which pairs are both real."""
    P, valid = _masked(M)
    D = ctx.distance[P[:, :, None], P[:, None, :]]
    both = valid[:, :, None] & valid[:, None, :]
    return D, both


def _distance_check(ctx, M, base=None):
    D, both = pair_distances(ctx, M)
    lim = ctx.scenario.max_member_distance_km
    if base is None:
        return np.all((D <= lim) | ~both, axis=(1, 2))
    b = base.size
    joiners = both[:, b:, b:]
    ok_j = np.all((D[:, b:, b:] <= lim) | ~joiners, axis=(1, 2))
    near_base = np.any(D[:, b:, :b] <= lim, axis=2) | ~(M[:, b:] >= 0)
    return ok_j & near_base.all(axis=1)


def _distance_explain(ctx, idx, base=None):
    lim = ctx.scenario.max_member_distance_km
    D = ctx.distance[np.ix_(idx, idx)]
    if base is None:
        k = int(np.argmax(D))
        a, b = idx[k // len(idx)], idx[k % len(idx)]
        return Msg("rule.distance.new", a=_label(ctx, a), b=_label(ctx, b), km=f"{D.flat[k]:.0f}", limit=f"{lim:g}")
    b = base.size
    for j in range(b, len(idx)):
        if D[j, :b].min() > lim:
            return Msg("rule.distance.expand", member=_label(ctx, idx[j]), km=f"{D[j, :b].min():.0f}",
                       group=base.group_id, limit=f"{lim:g}")
    return Msg("rule.distance.joiners", group=base.group_id, limit=f"{lim:g}")


# --- prefecture -----------------------------------------------------------------------------------------
def _prefecture_check(ctx, M, base=None):
    if ctx.scenario.cross_prefecture:
        return np.ones(len(M), dtype=bool)
    P, valid = _masked(M)
    pref = np.where(valid, ctx.prefecture[P], -1)
    if base is None:
        first = pref[np.arange(len(M)), np.argmax(valid, axis=1)]
        return np.all((pref == first[:, None]) | ~valid, axis=1)
    home = np.unique(ctx.prefecture[base.idx])
    return np.all(np.isin(pref[:, base.size:], home) | ~valid[:, base.size:], axis=1)


def _prefecture_explain(ctx, idx, base=None):
    prefs = ctx.data.prefecture_names([ctx.codes[i] for i in idx])
    return Msg("rule.prefecture", n=len(prefs), prefs=Items(prefs))


# --- connected ----------------------------------------------------------------------------------------
def _connected_check(ctx, M, base=None):
    P, valid = _masked(M)
    A = ctx.rule_links[P[:, :, None], P[:, None, :]] & valid[:, :, None] & valid[:, None, :]
    K = M.shape[1]
    if base is not None:  # the existing members count as one node: fully link them to each other
        A[:, : base.size, : base.size] = True
        near = ctx.distance[P[:, : base.size, None], P[:, None, base.size:]] <= ctx.scenario.join_link_km
        near &= valid[:, None, base.size:]
        A[:, : base.size, base.size:] |= near
        A[:, base.size:, : base.size] |= near.transpose(0, 2, 1)
    # breadth-first from the first member: each step adds the members linked to those reached
    first = np.argmax(valid, axis=1)
    from_first = np.zeros((len(M), K), dtype=bool)
    from_first[np.arange(len(M)), first] = True
    for _ in range(K - 1):
        grown = from_first | np.any(A & from_first[:, None, :], axis=2)
        if np.array_equal(grown, from_first):
            break
        from_first = grown
    return np.all(from_first | ~valid, axis=1)


def _connected_explain(ctx, idx, base=None):
    members = [int(i) for i in idx]
    start = members[0]
    seen, stack = {start}, [start]
    if base is not None:
        seen |= set(int(i) for i in base.idx)
        stack = list(seen)
    near_base, base_set = set(), set()
    if base is not None:
        d = ctx.distance[np.ix_(base.idx, idx)].min(axis=0)
        near_base = {int(i) for i, km in zip(idx, d) if km <= ctx.scenario.join_link_km}
        base_set = set(base.idx.tolist())
    while stack:
        u = stack.pop()
        links = set(np.nonzero(ctx.rule_links[u])[0].tolist()) | (near_base if u in base_set else set())
        for j in links:
            if j in members and j not in seen:
                seen.add(j)
                stack.append(j)
    apart = [i for i in members if i not in seen]
    return Msg("rule.connected", apart=Items(_label(ctx, i) for i in apart), km=f"{ctx.scenario.connect_km:g}")


# --- pairing ------------------------------------------------------------------------------------------
def safe_partner_matrix(ctx, M) -> np.ndarray:
    """Per member (rows x columns): True unless exposed to a pairing hazard without a safe partner.

    For each hazard *h* of the scenario's ``pairing_hazards``: a member exposed to *h* needs
    another member not exposed to *h* within ``support_km`` (the *near* branch) or any
    member at least ``hazard_separation_km`` away (the *far* branch).
    """
    m = ctx.model
    P, valid = _masked(M)
    D, both = pair_distances(ctx, M)
    not_self = ~np.eye(M.shape[1], dtype=bool)[None]
    far = (D >= m.hazard_separation_km) & both & not_self
    any_far = far.any(axis=2)
    ok = np.ones(M.shape, dtype=bool)
    for h in range(ctx.exposed.shape[1]):
        E = ctx.exposed[P, h] & valid
        if not E.any():
            continue
        near_safe = (D <= m.support_km) & (~E & valid)[:, None, :] & both & not_self
        ok &= ~E | near_safe.any(axis=2) | any_far
    return ok | ~valid


def exposed_matrix(ctx, M) -> np.ndarray:
    """Per member: exposed to at least one pairing hazard."""
    P, valid = _masked(M)
    return ctx.exposed[P].any(axis=2) & valid if ctx.exposed.shape[1] else np.zeros(M.shape, dtype=bool)


def _pairing_check(ctx, M, base=None):
    if ctx.scenario.pairing != "hard":
        return np.ones(len(M), dtype=bool)
    ok = safe_partner_matrix(ctx, M)
    if base is not None:
        ok = ok[:, base.size:]
    return ok.all(axis=1)


def _pairing_explain(ctx, idx, base=None):
    ok = safe_partner_matrix(ctx, idx[None, :])[0]
    if base is not None:
        ok[: base.size] = True
    bad = []
    for i in idx[~ok]:
        hz = [h for k, h in enumerate(ctx.pairing_hazards) if ctx.exposed[i, k]]
        bad.append(Msg("rule.pairing.member", member=_label(ctx, i), hazards=Items(Msg(f"hazard.{h}") for h in hz)))
    return Msg("rule.pairing", bad=Items(bad), support=f"{ctx.model.support_km:g}",
               separation=f"{ctx.model.hazard_separation_km:g}")


SIZE = Rule("size", False, _size_check, _size_explain)
POPULATION = Rule("population", True, _population_check, _population_explain)
RENEWAL = Rule("renewal", True, _renewal_check, _renewal_explain)
VENDOR = Rule("vendor", True, _vendor_check, _vendor_explain)
DISTANCE = Rule("distance", True, _distance_check, _distance_explain)
PREFECTURE = Rule("prefecture", True, _prefecture_check, _prefecture_explain)
CONNECTED = Rule("connected", False, _connected_check, _connected_explain)
PAIRING = Rule("pairing", False, _pairing_check, _pairing_explain)

#: All group rules, in the order they are reported.
GROUP_RULES = (SIZE, POPULATION, RENEWAL, VENDOR, DISTANCE, PREFECTURE, CONNECTED, PAIRING)
#: The rules on where members are (distance, connectivity, hazard pairing): the geography of a group.
GEOGRAPHY_RULES = ("distance", "connected", "pairing")
HEREDITARY = tuple(r for r in GROUP_RULES if r.hereditary)


def passes(ctx: Context, rows: np.ndarray, base: Base | None, rules=GROUP_RULES) -> np.ndarray:
    """Which rows (member sets) satisfy every rule of ``rules`` (checked in order, on the survivors): the one
    definition of "admissible" that candidate generation, the sharing game and the validator use."""
    ok = np.ones(len(rows), dtype=bool)
    for rule in rules:
        sel = np.nonzero(ok)[0]
        if len(sel) == 0:
            break
        ok[sel] = rule.check(ctx, rows[sel], base)
    return ok


# --- the roadmap: rules on when members join -------------------------------------------------------------
def timing_check(ctx, M, J, base=None) -> np.ndarray:
    """Timing of each join (rows): every moving member joins in ``first_fy .. last_fy`` and within
    ``renewal_window_years`` of one of its contract ends (next renewal + k ``contract_years``)."""
    P, valid = _masked(M)
    moving = valid & (np.arange(M.shape[1])[None, :] >= (base.size if base is not None else 0))
    J = np.asarray(J)
    dist = years_from_contract_end(ctx.renewal[P], J, ctx.model)
    ok = (J >= ctx.first_fy) & (J <= ctx.last_fy) & (dist <= ctx.scenario.renewal_window_years)
    return np.all(ok | ~moving, axis=1)


def present_sets(M, J, base=None):
    """For each year a member joins, except the last: ``(year, row indices, those rows with only the
    members present that year)`` (an existing group's members are always present)."""
    valid = M >= 0
    moving = valid & (np.arange(M.shape[1])[None, :] >= (base.size if base is not None else 0))
    Jm = np.where(moving, J, 10**6)
    last = np.where(moving, J, -10**6).max(axis=1)
    out = []
    for y in np.unique(Jm[moving]):
        rows = np.nonzero(y < last)[0]
        if len(rows):
            sub = M[rows]
            keep = (~moving[rows]) | (Jm[rows] <= y)
            out.append((y, rows, np.where(keep & valid[rows], sub, -1)))
    return out


def schedule_check(ctx, M, J, base=None) -> np.ndarray:
    """The members present in every year of a schedule form an admissible group so far: a new
    group's founding cohort has ``min_size`` members, and every year's members are connected
    (and, with ``pairing = "hard"``, paired)."""
    M = np.asarray(M)
    ok = np.ones(len(M), dtype=bool)
    valid = M >= 0
    if base is None:
        f = np.where(valid, J, 10**6).min(axis=1)
        ok &= ((J == f[:, None]) & valid).sum(axis=1) >= ctx.scenario.min_size
    for _, rows, sub in present_sets(M, np.asarray(J), base):  # the rules read padding (-1) anywhere in a row
        good = CONNECTED.check(ctx, sub, base) & PAIRING.check(ctx, sub, base)
        ok[rows] &= good
    return ok


def schedule_violations(ctx, idx, join, base=None) -> dict[str, Msg]:
    """Every broken rule of one schedule (``join``: each member's year; an existing group's members
    ignored), by rule name: ``timing``, ``cohort``, and the year-by-year ``connected`` / ``pairing``."""
    idx = np.asarray(idx, dtype=np.int64)
    J = np.asarray(join, dtype=np.int64)
    out = {}
    b = base.size if base is not None else 0
    if not bool(timing_check(ctx, idx[None, :], J[None, :], base)[0]):
        bad = [Msg("rule.timing.member", member=_label(ctx, i), fy=y, renewal=ctx.renewal[i],
                   gap=int(years_from_contract_end(ctx.renewal[i], y, ctx.model)))
               for i, y in zip(idx[b:], J[b:])
               if not bool(timing_check(ctx, np.array([[i]]), np.array([[y]]))[0])]
        out["timing"] = Msg("rule.timing", bad=Items(bad), first=ctx.first_fy, last=ctx.last_fy,
                            window=ctx.scenario.renewal_window_years)
    if base is None:
        f = int(J.min())
        cohort = int((J == f).sum())
        if cohort < ctx.scenario.min_size:
            out["cohort"] = Msg("rule.cohort", n=cohort, fy=f, least=ctx.scenario.min_size)
    for y, _, sub in present_sets(idx[None, :], J[None, :], base):
        present = sub[0][sub[0] >= 0]
        for rule in (CONNECTED, PAIRING):
            if msg := rule(ctx, present, base):
                out.setdefault(rule.name, Msg("rule.in_year", fy=int(y), message=msg))
    return out


def eligible(ctx: Context, i: int) -> Msg | None:
    """Why municipality ``i`` may not join a new or expanded group (``None`` if it may)."""
    why = ineligibility(ctx, i)
    return None if why is None else why[1]


def ineligibility(ctx: Context, i: int) -> tuple[str, Msg] | None:
    """:func:`eligible` with a reason code: ``not_surveyed``, ``in_group``, ``unwilling`` or ``scenario``."""
    code, sc = ctx.codes[i], ctx.scenario
    if not ctx.surveyed[i]:
        return "not_surveyed", Msg("eligible.not_surveyed", member=_label(ctx, i))
    if ctx.status[i] == "group":
        return "in_group", Msg("eligible.in_group", member=_label(ctx, i), group=ctx.group_of.get(code))
    if not ctx.willing[i]:
        return "unwilling", Msg("eligible.unwilling", member=_label(ctx, i))
    if code in sc.alone:
        return "scenario", Msg("eligible.alone", member=_label(ctx, i))
    if code in sc.locked:
        return "scenario", Msg("eligible.locked", member=_label(ctx, i))
    return None


def violations(ctx: Context, idx, base: Base | None = None, rules=GROUP_RULES) -> dict[str, Msg]:
    """Every broken rule of one member set, by rule name (empty when all hold)."""
    out = {}
    for rule in rules:
        msg = rule(ctx, idx, base)
        if msg:
            out[rule.name] = msg
    return out
