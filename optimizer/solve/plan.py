"""Proposing plans: candidates -> CP-SAT -> exact scores -> independent verification.

:func:`propose` is what ``lgcloud propose`` runs. A :class:`Plan` holds the solver's
status, objective, bound and gap as CP-SAT reported them, the proposed groups (each a
:class:`~optimizer.model.group.GroupScore` with its ``id``), the eligible municipalities left
alone and, when the scenario is infeasible, the conflicting requirements
(:class:`~optimizer.text.Msg`). :class:`Proposal` is one run: the plans and what the outputs
show beside them (comparisons of alternatives, the national summary).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..config import Scenario
from ..errors import InputError, Problem
from ..model.context import Context
from ..model.group import GroupScore, score_group
from ..model.rules import HEREDITARY, base_of, eligible, violations
from ..text import Items, Msg
from .candidates import Budget, closed_to_joiners, enumerate_candidates
from .packing import Requirements, Solution, solve
from .roadmap import NATIONAL_KPI, horizon, kpi, left_out, npv_after
from .stability import stabilise
from .verify import validate_plan


#: Shares of the wall-clock backstop ``wall_limit_s``: candidate growth is cut at the first, the solver at the
#: second (the limits that decide a plan are counted work: ``max_candidate_sets``, ``time_limit_s``).
ENUMERATION_SHARE, SOLVE_SHARE = 0.6, 0.9


def group_id(k: int) -> str:
    """The label of a plan's ``k``-th group (1-based): ``P01``, ``P02``, ... -- the one place ids are made."""
    return f"P{k:02d}"


@dataclass
class Plan:
    """One plan: the solver's status and bound, the groups (best value first, each with its ``id``), the
    eligible municipalities left alone (``eligible_alone``, codes) and everyone in scope in no group with
    the reason (``left_out``, records), and the roadmap's horizon and KPI by fiscal year."""

    status: str
    objective: float
    best_bound: float
    gap: float
    solve_seconds: float
    scenario: Scenario
    prefectures: list[str]
    groups: list[GroupScore] = field(default_factory=list)
    eligible_alone: list[str] = field(default_factory=list)
    infeasibility: list[Msg] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    synthetic: bool = False
    participation: list[dict] = field(default_factory=list)  # by population band, see participation()
    horizon: dict = field(default_factory=dict)  # from_fy, to_fy (optimizer.solve.roadmap.horizon)
    kpi: list[dict] = field(default_factory=list)  # by fiscal year (optimizer.solve.roadmap.kpi)
    left_out: list[dict] = field(default_factory=list)  # everyone in scope in no group: code, name, reason_code
    npv_after_horizon: float = 0.0  # the groups' discounted net falling after the horizon's last year
    rank: int = 1  # 1: the best plan; k: the k-th best distinct plan (--alternatives)
    below_best: float = 0.0  # share of the best plan's objective this plan falls short by
    stability: dict | None = None  # whole-plan least core (optimizer.solve.stability.stabilise); None without shares

    @property
    def proven(self) -> bool:
        """The best plan, proven optimal over the candidate groups."""
        return self.rank <= 1 and self.status == "OPTIMAL"

    def group(self, gid: str) -> GroupScore:
        """The group with id ``gid`` (``P01``, ...)."""
        return next(g for g in self.groups if g.id == gid)

    def to_geodataframe(self, data):
        """:meth:`to_frame` with member polygons (EPSG:4326), for maps and GIS."""
        import geopandas as gpd

        df = self.to_frame()
        if df.empty:
            return gpd.GeoDataFrame(df, geometry=[], crs="EPSG:4326")
        geom = data.boundaries.geometry.to_crs("EPSG:4326").loc[df["code"]].values
        return gpd.GeoDataFrame(df.assign(name=[data.name(c) for c in df["code"]]), geometry=geom, crs="EPSG:4326")

    def groups_frame(self) -> pd.DataFrame:
        """One row per proposed group with its figures (yen, fiscal years)."""
        return pd.DataFrame([{
            "id": g.id, "kind": g.kind, "base_group_id": g.base_group_id, "members": g.members, "joining": g.joining,
            "go_live_fy": g.go_live_fy, "founded_fy": g.founded_fy, "vendor": g.vendor,
            "baseline_cost_yen": g.baseline_cost_yen, "reduction_p50": g.reduction_rate["p50"],
            "annual_savings_yen": g.annual_savings_yen, "one_off_cost_yen": g.one_off_cost_yen,
            "subsidy_yen": g.subsidy_yen, "npv_yen": g.npv_yen, "national_npv_yen": g.national_npv_yen,
            "value": g.value, "continuity_score": g.continuity.score, "pairing_ok": g.continuity.pairing_ok,
        } for g in self.groups])

    def to_frame(self) -> pd.DataFrame:
        """One row per (group, member)."""
        rows = []
        for g in self.groups:
            for c in g.members:
                rows.append({"group": g.id, "kind": g.kind, "base_group_id": g.base_group_id, "code": c,
                             "joining": c in g.joining or g.kind == "new", "go_live_fy": g.go_live_fy,
                             "join_fy": g.join_fy.get(c), "vendor": g.vendor, "npv_yen": g.npv_yen,
                             "continuity_score": g.continuity.score})
        return pd.DataFrame(rows)


@dataclass
class Proposal:
    """One ``propose`` run, ready for the outputs: its plans (best first), what the alternatives change
    against the best (:func:`compare`), and for a national run its summary by prefecture and totals."""

    plans: list[Plan]
    prefectures: list[str]
    comparisons: list[dict] = field(default_factory=list)  # compare(best, plan) for every plan
    by_prefecture: list[dict] | None = None  # national runs (:func:`by_prefecture`)
    totals: dict | None = None
    national_kpi: dict | None = None

    @property
    def best(self) -> Plan:
        return self.plans[0]


#: Population bands of the participation report (census population), as (label, lower, upper).
BANDS = (("<20k", 0, 20_000), ("20k-50k", 20_000, 50_000), ("50k-200k", 50_000, 200_000), (">=200k", 200_000, None))


def participation(ctx: Context, groups: list[GroupScore], eligible_codes: list[str]) -> list[dict]:
    """Municipalities placed and money by population band: eligible, placed, their annual savings and shares.

    A municipality is *placed* when it moves into a group (a new group's member or a joiner);
    ``annual_savings_yen`` and ``share_yen`` sum the members' rows (existing members of an
    expanded group count in their band too), so the bands add up to the plan's totals.
    """
    pop = ctx.data.municipalities["population"]
    rows = {b[0]: {"band": b[0], "eligible": 0, "placed": 0, "annual_savings_yen": 0, "share_yen": 0} for b in BANDS}

    def band(code: str) -> str:
        p = pop.at[code]
        return next(lbl for lbl, lo, hi in BANDS if p >= lo and (hi is None or p < hi))

    for c in eligible_codes:
        rows[band(c)]["eligible"] += 1
    for g in groups:
        movers = set(g.movers)
        for s in g.shares or []:
            r = rows[band(s["code"])]
            r["placed"] += s["code"] in movers
            r["annual_savings_yen"] += s["annual_savings_yen"]
            r["share_yen"] += s["share_yen"]
    return list(rows.values())


def scope_codes(ctx: Context, prefectures: list[str]) -> list[str]:
    """The municipalities of some prefectures (2-digit codes), sorted; an unknown code is an input error."""
    m = ctx.data.municipalities
    unknown = [p for p in prefectures if p not in set(m["prefecture_code"])]
    if unknown:
        raise InputError([Problem("--pref", None, None, Msg("plan.unknown_pref", code=p)) for p in unknown])
    return sorted(m.index[m["prefecture_code"].isin(prefectures)])


def check_surveyed(ctx: Context, prefectures: list[str]) -> None:
    """A prefecture without a survey row cannot be planned (every municipality would be 'not surveyed' and the
    plan an empty optimum): an input error naming the prefectures and the survey file (exit 2)."""
    rows = {ctx.codes[i][:2] for i in range(len(ctx.codes)) if ctx.surveyed[i]}
    missing = [p for p in prefectures if p not in rows]
    if missing:
        names = ctx.data.municipalities.drop_duplicates("prefecture_code").set_index("prefecture_code")["prefecture"]
        raise InputError(Problem(ctx.data.paths["survey"].name, None, None, Msg(
            "plan.no_survey_rows", prefs=Items(f"{p} {names.get(p, '')}" for p in missing))))


def check_scenario_lists(ctx: Context, scope: list[str]) -> None:
    """Unknown codes and contradictory lists are input errors (exit 2), reported all at once."""
    sc = ctx.scenario
    where = sc.label.split("#")[0] if sc.label else "scenario"  # the scenario file, by name
    problems = []
    groups = set(ctx.data.group_members)

    def unknown(c: str) -> Msg:
        if c.isdigit() and c.zfill(5) in ctx.pos and c != c.zfill(5):
            return Msg("plan.unknown_code_hint", code=c, fixed=c.zfill(5), name=ctx.data.name(c.zfill(5)))
        return Msg("input.unknown_code", value=c)

    for key in ("together", "apart"):
        for s in getattr(sc, key):
            for c in s:
                if c not in ctx.pos:
                    problems.append(Problem(where, None, key, unknown(c), label="key"))
                elif c not in scope:
                    problems.append(Problem(where, None, key, Msg("plan.outside_scope", code=c,
                                                                       name=ctx.data.name(c)), label="key"))
    for key in ("alone", "locked"):
        for c in getattr(sc, key):
            if c not in ctx.pos and not (key == "locked" and c in groups):
                problems.append(Problem(where, None, key, unknown(c), label="key"))
    if isinstance(sc.open_groups, list):
        problems += [Problem(where, None, "open_groups", Msg("score.unknown_group", group=g), label="key")
                     for g in sc.open_groups if g not in groups]
    together_codes = {c for t in sc.together for c in t}
    for c in sorted(together_codes & (set(sc.alone) | set(sc.locked))):
        problems.append(Problem(where, None, "together", Msg("plan.together_and_alone", code=c), label="key"))
    for q in sc.apart:
        for t in sc.together:
            both = set(q) & set(t)
            if len(both) >= 2:
                problems.append(Problem(where, None, "apart", Msg("plan.apart_and_together", codes=Items(sorted(both))),
                                        label="key"))
    if problems:
        raise InputError(problems)


def _explain_together(ctx: Context, T: list[str]) -> list[Msg]:
    """Why no admissible group holds all of ``T``."""
    sc = ctx.scenario
    reasons = [why for c in T if ctx.group_of.get(c) is None and (why := eligible(ctx, ctx.pos[c]))]
    groups = sorted({ctx.group_of[c] for c in T if c in ctx.group_of})
    if len(groups) > 1:
        reasons.append(Msg("plan.different_groups", groups=Items(groups)))
    base = base_of(ctx, groups[0]) if len(groups) == 1 else None
    if base is not None:
        gid = base.group_id
        if closed_to_joiners(ctx, gid):
            reasons.append(Msg("plan.no_joiners", group=gid))
        joiners = [c for c in T if c not in ctx.group_of]
        idx = np.concatenate([base.idx, ctx.positions(joiners)])
        if len(joiners) > sc.max_joiners:
            reasons.append(Msg("plan.too_many_joiners", n=len(joiners), most=sc.max_joiners))
    else:
        idx = ctx.positions(T)
        if len(T) > sc.max_size:
            reasons.append(Msg("plan.too_many_members", n=len(T), most=sc.max_size))
    if not reasons:
        reasons += list(violations(ctx, idx, base, HEREDITARY).values())
    if not reasons:
        rest = violations(ctx, idx, base)
        rest.pop("size", None)
        detail = Msg("plan.detail", detail=Items(rest.values(), "sep.clause")) if rest else ""
        reasons.append(Msg("plan.no_connected_group", most=sc.max_size if base is None else "max_joiners",
                           detail=detail))
    return [Msg("plan.together_but", codes=Items(T, "sep.and"), reason=r) for r in reasons]


def _admissible_alone(ctx: Context, cs, T: list[str]) -> bool:
    """Whether some candidate group holds all of ``T`` (so ``T`` conflicts only with other requirements)."""
    want = set(T)
    for c in cs.candidates:
        members = {ctx.codes[i] for i in c.members} | set(ctx.data.group_members.get(c.base_group, []))
        if want <= members:
            return True
    return False


def explain(ctx: Context, cs, core: list[str]) -> list[Msg]:
    """The requirements named by CP-SAT's infeasible core, as messages."""
    sc = ctx.scenario
    together = [list(sc.together[int(k.split(":")[1])]) for k in core if k.startswith("together:")]
    apart = [list(sc.apart[int(k.split(":")[1])]) for k in core if k.startswith("apart:")]
    out = [r for T in together if not _admissible_alone(ctx, cs, T) for r in _explain_together(ctx, T)]
    if len(together) + len(apart) > 1:
        names = ([Msg("plan.req_together", codes=" + ".join(t)) for t in together]
                 + [Msg("plan.req_apart", codes=" / ".join(q)) for q in apart])
        out.append(Msg("plan.requirements_conflict", names=Items(names, "sep.clause")))
    return out or [Msg("plan.no_plan")]


def _plan_from(ctx: Context, cs, sol: Solution, scope, prefectures, stats, shares: bool = True) -> Plan:
    groups = []
    for k in sol.chosen:
        c = cs.candidates[k]
        base = c.base_group
        codes = [ctx.codes[i] for i in c.members]
        join = dict(zip(codes, c.join))
        if base:
            codes = ctx.data.group_members[base] + codes
        groups.append(score_group(ctx, codes, go_live=c.go_live, vendor=ctx.vendor_names[c.vendor], base_group=base,
                                  shares=shares, join=join))
    groups.sort(key=lambda g: (-g.value, g.members))
    for k, g in enumerate(groups, start=1):
        g.id = group_id(k)
    stability = stabilise(ctx, cs, sol.chosen, groups) if shares else None
    moved = {c for g in groups for c in g.movers}
    alone = sorted(ctx.codes[i] for i in cs.eligible if ctx.codes[i] not in moved)
    by_year = kpi(ctx, groups, scope)
    return Plan(status=sol.status, objective=sum(g.value for g in groups) if groups else 0.0,
                best_bound=sol.best_bound, gap=sol.gap, solve_seconds=sol.solve_seconds, scenario=ctx.scenario,
                prefectures=prefectures, groups=groups, eligible_alone=alone, stats=stats,
                synthetic=ctx.data.synthetic,
                participation=participation(ctx, groups, [ctx.codes[i] for i in cs.eligible]),
                horizon=horizon(ctx), kpi=by_year, left_out=left_out(ctx, groups, scope, cs),
                npv_after_horizon=npv_after(groups, by_year[-1]["fy"]), stability=stability)


def propose(ctx: Context, prefectures: list[str], alternatives: int = 1, validate: bool = True,
            progress=None, shares: bool = True) -> list[Plan]:
    """Best plan (and up to ``alternatives - 1`` next-best distinct plans) for some prefectures.

    Several prefectures are solved as one instance: groups may cross their borders.
    Every returned plan has passed :func:`~optimizer.solve.verify.validate_plan` (unless
    ``validate`` is false). ``progress(k, plan)`` is called as each plan is found. ``shares=False``
    leaves the members' shares out (who goes where, when, and the money of each group only: what
    ``match`` needs to state the plan); such a plan cannot be validated.
    """
    sc = ctx.scenario
    validate = validate and shares
    scope = scope_codes(ctx, prefectures)
    check_scenario_lists(ctx, scope)
    check_surveyed(ctx, prefectures)
    t0 = time.perf_counter()
    # the limits that decide the result are counted work (sets grown, CP-SAT's deterministic seconds), so the same
    # inputs give the same plan on an idle or a busy machine; the wall clock is only a backstop, and says so
    budget = Budget(sc.max_candidate_sets, sc.memory_limit_mb * 2**20, t0 + ENUMERATION_SHARE * sc.wall_limit_s)
    solve_deadline = t0 + SOLVE_SHARE * sc.wall_limit_s
    cs = enumerate_candidates(ctx, scope, budget=budget)
    t_enum = time.perf_counter() - t0
    req = Requirements(together=[[ctx.pos[c] for c in t] for t in sc.together],
                       apart=[[ctx.pos[c] for c in q] for q in sc.apart])
    stats = {"municipalities": len(scope), "eligible": len(cs.eligible), "open_groups": len(cs.groups),
             "feasible_sets": cs.enumerated, "candidates": len(cs.candidates),
             "enumeration_seconds": round(t_enum, 3),
             "search_space": Msg("plan.search_space", link=Msg("plan.search_link", km=f"{sc.link_km:g}")
                                 if sc.link_km else "", most=sc.max_size, joiners=sc.max_joiners),
             "search_complete": cs.complete}
    if not cs.complete:
        stats["stopped"] = cs.stopped
    if budget.clock:
        stats["stopped_by_clock"] = True
    plans: list[Plan] = []
    forbid: list[list[int]] = []
    for _ in range(max(1, alternatives)):
        if plans and time.perf_counter() > solve_deadline:  # the backstop: fewer alternatives than asked
            plans[0].stats["alternatives_stopped"] = Msg("plan.alternatives_stopped", n=len(plans))
            plans[0].stats["stopped_by_clock"] = True
            break
        sol = solve(cs, req, seed=sc.seed, work=sc.time_limit_s, deadline=solve_deadline, forbid=forbid,
                    lexicographic=sc.participation_mode == "lexicographic",
                    blocks=prefecture_blocks(ctx, cs) if len(prefectures) > 1 else None)
        if sol.dropped:  # reduced-cost fixing (optimizer.solve.packing.reduced_cost_keep): safe, the bound stands
            stats["candidates_dropped_by_reduced_cost"] = sol.dropped
        if sol.clock:
            stats["stopped_by_clock"] = True
        stats.pop("bound_source", None)
        if sol.status == "FEASIBLE" and cs.complete and sol.bound_source:
            stats["bound_source"] = sol.bound_source
        if not cs.complete:
            # a plan over the sets grown before the budget ran out: its bound says nothing of the sets not grown
            sol.status = {"OPTIMAL": "FEASIBLE", "INFEASIBLE": "UNKNOWN"}.get(sol.status, sol.status)
            sol.best_bound, sol.gap = float("nan"), float("nan")
        if sol.status == "INFEASIBLE":
            if plans:
                break  # no further distinct plan
            p = Plan("INFEASIBLE", 0.0, float("nan"), float("nan"), sol.solve_seconds, sc, prefectures,
                     infeasibility=explain(ctx, cs, sol.core), stats=stats, synthetic=ctx.data.synthetic)
            return [p]
        if sol.status not in ("OPTIMAL", "FEASIBLE"):
            plans.append(Plan(sol.status, 0.0, sol.best_bound, sol.gap, sol.solve_seconds, sc, prefectures,
                              stats=stats, synthetic=ctx.data.synthetic))
            break
        plan = _plan_from(ctx, cs, sol, scope, prefectures, dict(stats), shares=shares)
        if plans:  # an alternative: the best plan once the better ones are excluded, not an optimum of the instance
            plan.rank = len(plans) + 1
            plan.below_best = (plans[0].objective - plan.objective) / max(1.0, abs(plans[0].objective))
            plan.status = "FEASIBLE"
            plan.best_bound, plan.gap = plans[0].best_bound, (
                plans[0].best_bound - plan.objective) / max(1.0, abs(plans[0].best_bound))
            plan.stats.pop("bound_source", None)  # the best plan's bound, and its source
            if "bound_source" in plans[0].stats:
                plan.stats["bound_source"] = plans[0].stats["bound_source"]
        if validate:
            validate_plan(ctx, plan, scope)
        plans.append(plan)
        if progress:
            progress(len(plans), plan)
        forbid.append(sol.chosen)
        if not sol.chosen:
            break
    return plans


def plan_of(ctx: Context, prefectures: list[str], keys: list[tuple]) -> Plan:
    """The plan made of given groups -- ``keys``: (the existing group expanded or ``None``, the sorted codes of
    the municipalities that move) -- each at its best option under ``ctx``'s inputs, with shares, stability and
    validation like any plan (status ``FEASIBLE``: chosen, not optimised). Raises ``KeyError`` when a group is not
    an admissible candidate under these inputs."""
    sc = ctx.scenario
    scope = scope_codes(ctx, prefectures)
    t0 = time.perf_counter()
    cs = enumerate_candidates(ctx, scope, prune=False,
                              budget=Budget(sc.max_candidate_sets, sc.memory_limit_mb * 2**20))
    index = {(c.base_group, tuple(sorted(ctx.codes[i] for i in c.members))): k for k, c in enumerate(cs.candidates)
             if np.isfinite(c.value)}
    chosen = sorted(index[tuple(k)] for k in keys)
    sol = Solution("FEASIBLE", chosen, float(sum(cs.candidates[k].value for k in chosen)), float("nan"),
                   float("nan"), time.perf_counter() - t0, bound_source=None)
    stats = {"municipalities": len(scope), "eligible": len(cs.eligible), "candidates": len(cs.candidates),
             "search_complete": cs.complete}
    plan = _plan_from(ctx, cs, sol, scope, prefectures, stats)
    validate_plan(ctx, plan, scope)
    return plan


def prefecture_blocks(ctx: Context, cs) -> list[int]:
    """Each candidate's prefecture (-1 when its members, with an expanded group's, span several: a
    prefecture's joiners of a neighbouring prefecture's group would tie the blocks together)."""
    out = []
    for c in cs.candidates:
        idx = list(c.members) + (list(cs.base_members.get(c.base_group, ())) if c.base_group else [])
        prefs = set(ctx.prefecture[idx].tolist())
        out.append(prefs.pop() if len(prefs) == 1 else -1)
    return out


def propose_all(ctx: Context, progress=None) -> Plan:
    """The whole country as one instance: groups may cross prefecture lines (unless the scenario's
    ``cross_prefecture`` is false), with one proof of optimality (status, bound, gap) and one validation."""
    return propose(ctx, all_prefectures(ctx), progress=progress)[0]


def all_prefectures(ctx: Context) -> list[str]:
    """Every prefecture code of the data (``01`` .. ``47``)."""
    return sorted(ctx.data.municipalities["prefecture_code"].unique())


def proposal(ctx: Context, prefectures: list[str], alternatives: int = 1, progress=None) -> Proposal:
    """A whole ``propose`` run: the plans and what the outputs show beside them (the comparisons of the
    alternatives with the best plan and, when every prefecture is in the instance, the national summary)."""
    plans = propose(ctx, prefectures, alternatives=alternatives, progress=progress)
    run = Proposal(plans, prefectures, comparisons=[compare(plans[0], p) for p in plans])
    if prefectures == all_prefectures(ctx) and plans[0].status != "INFEASIBLE":
        run.by_prefecture, run.totals, run.national_kpi = by_prefecture(ctx, plans[0]), totals(plans[0]), NATIONAL_KPI
    elif len(prefectures) > 1:
        run.by_prefecture = by_prefecture(ctx, plans[0])
    return run


def group_prefectures(g: GroupScore) -> list[str]:
    """The prefecture codes of a group's members (more than one: a cross-prefecture group)."""
    return sorted({c[:2] for c in g.members})


def by_prefecture(ctx: Context, plan: Plan) -> list[dict]:
    """The plan prefecture by prefecture: its members' rows summed, so the rows add up to the plan.

    ``groups``: groups with a member in the prefecture (a cross-prefecture group counts in each
    of its prefectures, and in ``cross_prefecture_groups``); ``moving``: municipalities of the
    prefecture moving into a group; money: the sums of the members' own rows (annual savings and
    allocated NPV shares), which add up to the groups' totals.
    """
    m = ctx.data.municipalities
    prefs = sorted(m["prefecture_code"].unique())
    rows = {p: {"prefecture_code": p, "prefecture": str(m.loc[m["prefecture_code"] == p, "prefecture"].iloc[0]),
                "eligible": 0, "groups": 0, "cross_prefecture_groups": 0, "moving": 0, "alone": 0,
                "annual_savings_yen": 0, "share_yen": 0} for p in prefs}
    for c in plan.eligible_alone:
        rows[c[:2]]["alone"] += 1
    for g in plan.groups:
        gp = group_prefectures(g)
        for p in gp:
            rows[p]["groups"] += 1
            rows[p]["cross_prefecture_groups"] += len(gp) > 1
        movers = set(g.movers)
        for sh in g.shares or []:
            r = rows[sh["code"][:2]]
            r["moving"] += sh["code"] in movers
            r["annual_savings_yen"] += sh["annual_savings_yen"]
            r["share_yen"] += sh["share_yen"]
    for r in rows.values():
        r["eligible"] = r["moving"] + r["alone"]
    # the roadmap by prefecture: municipalities in joint clouds by fiscal year (existing members, then movers live)
    years = [k["fy"] for k in plan.kpi]
    existing = {}
    for ms in ctx.data.group_members.values():
        for c in ms:
            existing[c[:2]] = existing.get(c[:2], 0) + 1
    for p, r in rows.items():
        joins = [y for g in plan.groups for c, y in g.join_fy.items() if c[:2] == p]
        r["kpi"] = [{"fy": fy, "municipalities_in_groups": existing.get(p, 0) + sum(y <= fy for y in joins)}
                    for fy in years]
    return list(rows.values())


def totals(plan: Plan) -> dict:
    """Headline figures of a (national) plan."""
    gs = plan.groups
    return {
        "status": plan.status,
        "groups": len(gs),
        "new_groups": sum(g.kind == "new" for g in gs),
        "expansions": sum(g.kind == "expand" for g in gs),
        "cross_prefecture_groups": sum(len(group_prefectures(g)) > 1 for g in gs),
        "municipalities_moving": sum(len(g.movers) for g in gs),
        "objective": round(plan.objective),
        # sums of the groups' figures as each group shows them (to the yen), so the headline is their sum
        "npv_yen": sum(round(g.npv_yen) for g in gs),
        "national_npv_yen": sum(round(g.national_npv_yen) for g in gs),
        "annual_savings_yen": sum(round(g.annual_savings_yen) for g in gs),
        "gap": None if plan.gap != plan.gap else plan.gap,
        "solve_seconds": round(plan.solve_seconds, 3),
    }


def compare(a: Plan, b: Plan) -> dict:
    """Groups that differ between two plans, and the value difference (b - a)."""
    def key(g):
        return (g.base_group_id, tuple(g.members))

    ka, kb = {key(g): g for g in a.groups}, {key(g): g for g in b.groups}
    only_a = [ka[k] for k in ka if k not in kb]
    only_b = [kb[k] for k in kb if k not in ka]
    moved_a = {c for g in a.groups for c in g.movers}
    moved_b = {c for g in b.groups for c in g.movers}
    return {
        "same_groups": len(ka.keys() & kb.keys()),
        "only_in_a": [{"members": g.members, "base_group_id": g.base_group_id, "value": round(g.value)} for g in only_a],
        "only_in_b": [{"members": g.members, "base_group_id": g.base_group_id, "value": round(g.value)} for g in only_b],
        "value_a": round(a.objective), "value_b": round(b.objective), "value_difference": round(b.objective - a.objective),
        "npv_difference": round(sum(g.npv_yen for g in b.groups) - sum(g.npv_yen for g in a.groups)),
        "continuity_a": round(float(np.mean([g.continuity.score for g in a.groups])), 2) if a.groups else None,
        "continuity_b": round(float(np.mean([g.continuity.score for g in b.groups])), 2) if b.groups else None,
        "moved_only_in_a": sorted(moved_a - moved_b), "moved_only_in_b": sorted(moved_b - moved_a),
        "municipalities_regrouped": regrouped(a, b),
    }


def placement(plan: Plan) -> dict[str, tuple]:
    """Each municipality that moves in the plan, with its group (existing group, sorted movers)."""
    return {c: (g.base_group_id, tuple(sorted(g.movers))) for g in plan.groups for c in g.movers}


def regrouped(a: Plan, b: Plan) -> int:
    """Municipalities placed differently in two plans: in another group (other partners) or placed in one only."""
    pa, pb = placement(a), placement(b)
    return sum(pa.get(c) != pb.get(c) for c in pa.keys() | pb.keys())
