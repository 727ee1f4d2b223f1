"""The roadmap of a plan: its horizon, the KPI by fiscal year, and everyone left out, with reasons.

A plan is a roadmap (:mod:`optimizer.model.scoring` values each group's join schedule; the
candidates and the solver are those of a single wave): each proposed group has a founding
year and a timeline of who goes live when. This module reads a plan year by year:

* :func:`kpi`: per fiscal year of the horizon, the municipalities in joint clouds (members of
  existing groups in scope, plus the proposed groups' members that have gone live), the
  groups, the year's savings and the cumulative NPV (municipal account) -- the figures the
  national KPI is stated in (クラウド導入市区町村数: 550 in FY2014, target about 1,000);
* :func:`left_out`: every municipality in scope in no group at the end of the horizon, with
  the reason in words (unwilling, not surveyed, a scenario requirement, no admissible partner,
  not profitable with any admissible partner, or its partners are worth more in other groups).

Every table adds up: the years' NPV plus what falls after the horizon is the plan's NPV.
"""

from __future__ import annotations

from ..model.context import Context
from ..model.rules import eligible, ineligibility

#: The national KPI of 自治体クラウド (総務省; shared seed figures ``kpi``): municipalities with a cloud
#: (クラウド導入市区町村数) in FY2014, and the target for FY2017 (倍増, about 1,000).
NATIONAL_KPI = {"fy2014_cloud_municipalities": 550, "target_fy2017": 1000}

#: Reason codes of :func:`left_out` (their sentences are ``reason.<code>`` in :mod:`optimizer.text`).
REASONS = ("unwilling", "not_surveyed", "scenario", "in_group", "no_partner", "not_profitable", "partners_elsewhere",
           "search_stopped")


def horizon(ctx: Context) -> dict:
    """The roadmap's fiscal years: ``from_fy`` (planning) to ``to_fy`` (last year a member may join)."""
    sc = ctx.scenario
    return {"from_fy": sc.planning_fy, "to_fy": ctx.last_fy if ctx.roadmap else sc.planning_fy,
            "first_go_live_fy": ctx.first_fy, "single_wave": not ctx.roadmap}


def kpi(ctx: Context, groups, scope: list[str]) -> list[dict]:
    """Per fiscal year of the horizon (to the last go-live year of a single wave): joint-cloud figures.

    ``municipalities_in_groups``: existing groups' members in scope plus proposed members gone
    live; ``groups``: existing groups with a member in scope plus new groups founded;
    ``cloud_municipalities``: the same plus solo clouds not in a group (the national KPI's
    measure); ``annual_savings_yen``: what the proposed groups save in that year, every member running
    (a group keeps saving after the NPV's window); ``npv_window_savings_yen``: the part of it inside each
    member's first ``horizon_years`` (what the NPV counts); ``cumulative_npv_yen``: their discounted net
    (municipal account) up to that year.
    """
    h = horizon(ctx)
    last = max([h["to_fy"]] + [max(g.join_fy.values(), default=g.go_live_fy) for g in groups])
    scope_set = set(scope)
    existing = {g for g, ms in ctx.data.group_members.items() if scope_set.intersection(ms)}
    existing_members = {c for g in existing for c in ctx.data.group_members[g] if c in scope_set}
    solo = {c for c in scope if ctx.status[ctx.pos[c]] == "solo"}
    out, cum = [], 0.0
    for fy in range(h["from_fy"], last + 1):
        live = {c for g in groups for c, y in g.join_fy.items() if y <= fy and c in scope_set}
        founded = sum(g.kind == "new" and g.founded_fy <= fy for g in groups)
        in_groups = existing_members | live
        cum += sum(cf["npv_yen"] for g in groups for cf in g.cashflow if cf["fy"] == fy)
        out.append({"fy": fy, "municipalities_in_groups": len(in_groups), "groups": len(existing) + founded,
                    "cloud_municipalities": len(in_groups | solo),
                    "annual_savings_yen": round(sum(running(g, fy) for g in groups)),
                    "npv_window_savings_yen": round(sum(cf["savings_yen"] for g in groups for cf in g.cashflow
                                                        if cf["fy"] == fy)),
                    "cumulative_npv_yen": round(cum)})
    return out


def running(g, fy: int) -> float:
    """What group ``g`` saves in ``fy`` with every member that has gone live (0 before it goes live)."""
    for cf in g.cashflow:
        if cf["fy"] == fy:
            return cf["running_yen"]
    last = max((cf["fy"] for cf in g.cashflow), default=None)
    return g.annual_savings_yen if last is not None and fy > last else 0.0


def npv_after(groups, to_fy: int) -> float:
    """The discounted net of the proposed groups that falls after ``to_fy`` (savings still counting)."""
    return sum(cf["npv_yen"] for g in groups for cf in g.cashflow if cf["fy"] > to_fy)


def population_bound(ctx: Context, i: int) -> bool:
    """Whether the population cap alone keeps ``i`` from every group: with its smallest eligible neighbour
    (or any eligible municipality of its prefecture) it already exceeds ``max_population``."""
    cap = ctx.scenario.max_population
    near = [j for j in ctx.adjacency[i] if eligible(ctx, j) is None] or [
        j for j in range(len(ctx.codes)) if ctx.prefecture[j] == ctx.prefecture[i] and j != i and eligible(ctx, j) is None]
    return bool(near) and ctx.population[i] + min(ctx.population[j] for j in near) > cap


def left_out(ctx: Context, groups, scope: list[str], cs=None) -> list[dict]:
    """Every municipality of ``scope`` in no group at the end of the plan, with its reason.

    ``cs`` (the :class:`~optimizer.solve.candidates.CandidateSet` the plan was chosen from) tells
    apart "no admissible partner" (in no set that passes every rule), "not profitable" (in such
    sets, in no candidate worth forming) and "partners elsewhere" (in candidates, not chosen).
    """
    placed = {c for g in groups for c in g.movers}
    feasible = {ctx.codes[i] for i in cs.in_feasible} if cs is not None else set()
    in_cand = set()
    if cs is not None:
        for c in cs.candidates:
            in_cand.update(ctx.codes[i] for i in c.members)
    out = []
    for c in scope:
        if c in placed or c in ctx.group_of:
            continue
        why = ineligibility(ctx, ctx.pos[c])
        if why is not None:
            code = why[0]
        elif c in in_cand:
            code = "partners_elsewhere"
        elif c in feasible:
            code = "not_profitable"
        elif cs is not None and not cs.complete:
            code = "search_stopped"
        elif population_bound(ctx, ctx.pos[c]):
            code = "population_cap"
        else:
            code = "no_partner"
        out.append({"code": c, "name": ctx.data.name(c), "reason_code": code})
    return out
