"""Proposing plans: candidates -> CP-SAT -> exact scores -> independent validation.

:func:`propose` is what ``lgcloud propose`` runs. A :class:`Plan` holds the solver's
status, objective, bound and gap as CP-SAT reported them, the proposed groups (each a
:class:`~optimizer.scoring.GroupScore`), the municipalities left alone and, when the
scenario is infeasible, the conflicting requirements in words.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .candidates import enumerate_candidates
from .config import Scenario
from .context import Context
from .errors import InputError, Problem
from .rules import HEREDITARY, base_of, eligible, violations
from .scoring import GroupScore, score_group
from .solver import Requirements, Solution, solve
from .validator import validate_plan


@dataclass
class Plan:
    status: str
    objective: float
    best_bound: float
    gap: float
    solve_seconds: float
    scenario: Scenario
    prefectures: list[str]
    groups: list[GroupScore] = field(default_factory=list)
    alone: list[str] = field(default_factory=list)
    infeasibility: list[str] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    synthetic: bool = False
    participation: list[dict] = field(default_factory=list)  # by population band, see participation()

    def as_dict(self, names: dict[str, str] | None = None) -> dict:
        names = names or {}
        groups = []
        for k, g in enumerate(self.groups, start=1):
            groups.append({
                "id": f"P{k:02d}",
                "kind": g.kind,
                "base_group_id": g.base_group_id,
                "members": g.members,
                "member_names": [names.get(c, c) for c in g.members],
                "joining": g.joining,
                "go_live_fy": g.go_live_fy,
                "vendor": g.vendor,
                "reduction_rate": {k2: round(v, 4) for k2, v in g.reduction_rate.items()},
                "baseline_cost_yen": round(g.baseline_cost_yen),
                "annual_savings_yen": round(g.annual_savings_yen),
                "one_off_cost_yen": round(g.one_off_cost_yen),
                "subsidy_yen": round(g.subsidy_yen),
                "npv_yen": round(g.npv_yen),
                "accounts": {"municipal_npv_yen": round(g.npv_yen), "national_npv_yen": round(g.national_npv_yen)},
                "value": round(g.value),
                "value_yen": g.value_yen,
                "allocation": g.allocation,
                "shares": g.shares,
                "coalition_values": g.coalition_values,
                "continuity_score": g.continuity.score,
                "pairing_ok": g.continuity.pairing_ok,
            })
        return {
            "status": self.status,
            "objective": round(self.objective),
            "best_bound": None if np.isnan(self.best_bound) else round(self.best_bound),
            "gap": None if np.isnan(self.gap) else round(self.gap, 6),
            "solve_seconds": round(self.solve_seconds, 3),
            "prefectures": self.prefectures,
            "scenario": self.scenario.effective(),
            "groups": groups,
            "alone": self.alone,
            "participation": self.participation,
            "infeasibility": self.infeasibility,
            "stats": self.stats,
            "synthetic_data": self.synthetic,
        }

    def to_geodataframe(self, data):
        """:meth:`to_frame` with member polygons (EPSG:4326), for maps and GIS."""
        import geopandas as gpd

        df = self.to_frame()
        if df.empty:
            return gpd.GeoDataFrame(df, geometry=[], crs="EPSG:4326")
        geom = data.boundaries.geometry.to_crs("EPSG:4326").loc[df["code"]].values
        return gpd.GeoDataFrame(df.assign(name=[data.name(c) for c in df["code"]]), geometry=geom, crs="EPSG:4326")

    def groups_frame(self) -> pd.DataFrame:
        """One row per proposed group with its figures."""
        return pd.DataFrame([{**{k: v for k, v in g.as_dict().items() if k not in ("continuity", "shares", "warnings")},
                              "id": f"P{k:02d}", "continuity_score": g.continuity.score,
                              "pairing_ok": g.continuity.pairing_ok} for k, g in enumerate(self.groups, start=1)])

    def to_frame(self) -> pd.DataFrame:
        """One row per (group, member)."""
        rows = []
        for k, g in enumerate(self.groups, start=1):
            for c in g.members:
                rows.append({"group": f"P{k:02d}", "kind": g.kind, "base_group_id": g.base_group_id, "code": c,
                             "joining": c in g.joining or g.kind == "new", "go_live_fy": g.go_live_fy,
                             "vendor": g.vendor, "npv_yen": g.npv_yen, "continuity_score": g.continuity.score})
        return pd.DataFrame(rows)


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
        movers = set(g.joining if g.base_group_id else g.members)
        for s in g.shares or []:
            r = rows[band(s["code"])]
            r["placed"] += s["code"] in movers
            r["annual_savings_yen"] += s["annual_savings_yen"]
            r["share_yen"] += s["share_yen"]
    return list(rows.values())


def scope_codes(ctx: Context, prefectures: list[str]) -> list[str]:
    m = ctx.data.municipalities
    unknown = [p for p in prefectures if p not in set(m["prefecture_code"])]
    if unknown:
        raise InputError([Problem("--pref", None, None, f"unknown prefecture code '{p}'") for p in unknown])
    return sorted(m.index[m["prefecture_code"].isin(prefectures)])


def check_scenario_lists(ctx: Context, scope: list[str]) -> None:
    """Unknown codes and contradictory lists are input errors (exit 2), reported all at once."""
    sc = ctx.scenario
    problems = []
    groups = set(ctx.data.group_members)
    def unknown(c: str) -> str:
        hint = f"; did you mean '{c.zfill(5)}' ({ctx.data.name(c.zfill(5))})? codes are 5-digit text" \
            if c.isdigit() and c.zfill(5) in ctx.pos and c != c.zfill(5) else ""
        return f"unknown municipality code '{c}'{hint}"

    for key in ("together", "apart"):
        for s in getattr(sc, key):
            for c in s:
                if c not in ctx.pos:
                    problems.append(Problem("scenario", None, key, unknown(c), label="key"))
                elif c not in scope:
                    problems.append(Problem("scenario", None, key, f"{c} {ctx.data.name(c)} is outside the selected prefectures", label="key"))
    for key in ("alone", "locked"):
        for c in getattr(sc, key):
            if c not in ctx.pos and not (key == "locked" and c in groups):
                problems.append(Problem("scenario", None, key, unknown(c), label="key"))
    if isinstance(sc.open_groups, list):
        problems += [Problem("scenario", None, "open_groups", f"unknown group '{g}'", label="key") for g in sc.open_groups
                     if g not in groups]
    together_codes = {c for t in sc.together for c in t}
    for c in sorted(together_codes & (set(sc.alone) | set(sc.locked))):
        problems.append(Problem("scenario", None, "together",
                                f"{c} must be together with others but is also listed as alone/locked", label="key"))
    for q in sc.apart:
        for t in sc.together:
            both = set(q) & set(t)
            if len(both) >= 2:
                problems.append(Problem("scenario", None, "apart",
                                        f"{sorted(both)} must be apart but are also required together", label="key"))
    if problems:
        raise InputError(problems)


def _explain_together(ctx: Context, T: list[str]) -> list[str]:
    """Why no admissible group holds all of ``T``, in words."""
    sc = ctx.scenario
    head = " and ".join(T) + " must be together, but "
    reasons = [why for c in T if ctx.group_of.get(c) is None and (why := eligible(ctx, ctx.pos[c]))]
    groups = sorted({ctx.group_of[c] for c in T if c in ctx.group_of})
    if len(groups) > 1:
        reasons.append(f"they belong to different existing groups ({', '.join(groups)})")
    base = base_of(ctx, groups[0]) if len(groups) == 1 else None
    if base is not None:
        gid = base.group_id
        if sc.open_groups == "none" or (isinstance(sc.open_groups, list) and gid not in sc.open_groups) \
                or not bool(ctx.data.groups.at[gid, "open_to_new_members"]) or gid in sc.locked:
            reasons.append(f"existing group {gid} does not accept joiners")
        joiners = [c for c in T if c not in ctx.group_of]
        idx = np.concatenate([base.idx, ctx.positions(joiners)])
        if len(joiners) > sc.max_joiners:
            reasons.append(f"{len(joiners)} joiners exceed max_joiners {sc.max_joiners}")
    else:
        idx = ctx.positions(T)
        if len(T) > sc.max_size:
            reasons.append(f"{len(T)} members exceed max_size {sc.max_size}")
    if not reasons:
        reasons += list(violations(ctx, idx, base, HEREDITARY).values())
    if not reasons:
        rest = violations(ctx, idx, base)
        rest.pop("size", None)
        detail = "; ".join(rest.values())
        reasons.append(f"no connected group of at most {sc.max_size if base is None else 'max_joiners'} members "
                       f"containing them passes every rule" + (f" ({detail})" if detail else ""))
    return [head + r for r in reasons]


def _admissible_alone(ctx: Context, cs, T: list[str]) -> bool:
    """Whether some candidate group holds all of ``T`` (so ``T`` conflicts only with other requirements)."""
    want = set(T)
    for c in cs.candidates:
        members = {ctx.codes[i] for i in c.members} | set(ctx.data.group_members.get(c.base_group, []))
        if want <= members:
            return True
    return False


def explain(ctx: Context, cs, core: list[str]) -> list[str]:
    """The requirements named by CP-SAT's infeasible core, in words."""
    sc = ctx.scenario
    together = [list(sc.together[int(k.split(":")[1])]) for k in core if k.startswith("together:")]
    apart = [list(sc.apart[int(k.split(":")[1])]) for k in core if k.startswith("apart:")]
    out = [r for T in together if not _admissible_alone(ctx, cs, T) for r in _explain_together(ctx, T)]
    if len(together) + len(apart) > 1:
        names = ["together " + " + ".join(t) for t in together] + ["apart " + " / ".join(q) for q in apart]
        out.append("these requirements cannot all hold at once (each group can hold a municipality only once): "
                   + "; ".join(names))
    return out or ["the requirements conflict (CP-SAT found no plan)"]


def _plan_from(ctx: Context, cs, sol: Solution, scope, prefectures, stats) -> Plan:
    groups = []
    for k in sol.chosen:
        c = cs.candidates[k]
        base = c.base_group
        codes = [ctx.codes[i] for i in c.members]
        if base:
            codes = ctx.data.group_members[base] + codes
        groups.append(score_group(ctx, codes, go_live=c.go_live, vendor=ctx.vendor_names[c.vendor], base_group=base,
                                  shares=True))
    groups.sort(key=lambda g: (-g.value, g.members))
    moved = {c for g in groups for c in (g.joining if g.base_group_id else g.members)}
    alone = sorted(ctx.codes[i] for i in cs.eligible if ctx.codes[i] not in moved)
    return Plan(status=sol.status, objective=sum(g.value for g in groups) if groups else 0.0,
                best_bound=sol.best_bound, gap=sol.gap, solve_seconds=sol.solve_seconds, scenario=ctx.scenario,
                prefectures=prefectures, groups=groups, alone=alone, stats=stats,
                synthetic=bool(ctx.data.synthetic_rows),
                participation=participation(ctx, groups, [ctx.codes[i] for i in cs.eligible]))


def propose(ctx: Context, prefectures: list[str], alternatives: int = 1, validate: bool = True,
            progress=None) -> list[Plan]:
    """Best plan (and up to ``alternatives - 1`` next-best distinct plans) for some prefectures.

    Several prefectures are solved as one instance: groups may cross their borders.
    Every returned plan has passed :func:`~optimizer.validator.validate_plan`.
    ``progress(k, plan)`` is called as each plan is found.
    """
    sc = ctx.scenario
    scope = scope_codes(ctx, prefectures)
    check_scenario_lists(ctx, scope)
    t0 = time.perf_counter()
    cs = enumerate_candidates(ctx, scope)
    t_enum = time.perf_counter() - t0
    req = Requirements(together=[[ctx.pos[c] for c in t] for t in sc.together],
                       apart=[[ctx.pos[c] for c in q] for q in sc.apart])
    stats = {"municipalities": len(scope), "eligible": len(cs.eligible), "open_groups": len(cs.groups),
             "feasible_sets": cs.enumerated, "candidates": len(cs.candidates),
             "enumeration_seconds": round(t_enum, 3)}
    plans: list[Plan] = []
    forbid: list[list[int]] = []
    for _ in range(max(1, alternatives)):
        sol = solve(cs, req, seed=sc.seed, time_limit=sc.time_limit_s, forbid=forbid,
                    lexicographic=sc.participation_mode == "lexicographic")
        if sol.status == "INFEASIBLE":
            if plans:
                break  # no further distinct plan
            p = Plan("INFEASIBLE", 0.0, float("nan"), float("nan"), sol.solve_seconds, sc, prefectures,
                     infeasibility=explain(ctx, cs, sol.core), stats=stats, synthetic=bool(ctx.data.synthetic_rows))
            return [p]
        if sol.status not in ("OPTIMAL", "FEASIBLE"):
            plans.append(Plan(sol.status, 0.0, sol.best_bound, sol.gap, sol.solve_seconds, sc, prefectures,
                              stats=stats, synthetic=bool(ctx.data.synthetic_rows)))
            break
        plan = _plan_from(ctx, cs, sol, scope, prefectures, dict(stats))
        if validate:
            validate_plan(ctx, plan, scope)
        plans.append(plan)
        if progress:
            progress(len(plans), plan)
        forbid.append(sol.chosen)
        if not sol.chosen:
            break
    return plans


_WORKER: dict = {}


def _init_worker(paths: dict, scenario: Scenario) -> None:
    from .data import load

    d = load(survey=paths["survey"], groups=paths["groups"], group_members=paths["group_members"])
    _WORKER["ctx"] = Context(d, scenario)


def _solve_one(pref: str) -> tuple[str, Plan]:
    return pref, propose(_WORKER["ctx"], [pref])[0]


def propose_all(ctx: Context, workers: int = 2, progress=None) -> dict[str, Plan]:
    """Every prefecture solved on its own, in ``workers`` parallel processes.

    ``progress(pref)`` is called as each prefecture finishes.
    """
    from concurrent.futures import ProcessPoolExecutor

    prefs = sorted(ctx.data.municipalities["prefecture_code"].unique())
    paths = {k: str(v) for k, v in ctx.data.paths.items()}
    out: dict[str, Plan] = {}
    if workers <= 1:
        for p in prefs:
            out[p] = propose(ctx, [p])[0]
            progress and progress(p)
        return out
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(paths, ctx.scenario)) as ex:
        for pref, plan in ex.map(_solve_one, prefs):
            out[pref] = plan
            progress and progress(pref)
    return dict(sorted(out.items()))


def totals(plans: dict[str, Plan]) -> dict:
    ps = list(plans.values())
    return {
        "prefectures": len(ps),
        "optimal": sum(p.status == "OPTIMAL" for p in ps),
        "statuses": {s: sum(p.status == s for p in ps) for s in sorted({p.status for p in ps})},
        "groups": sum(len(p.groups) for p in ps),
        "new_groups": sum(g.kind == "new" for p in ps for g in p.groups),
        "expansions": sum(g.kind == "expand" for p in ps for g in p.groups),
        "municipalities_moving": sum(len(g.joining if g.base_group_id else g.members) for p in ps for g in p.groups),
        "objective": round(sum(p.objective for p in ps)),
        "npv_yen": round(sum(g.npv_yen for p in ps for g in p.groups)),
        "annual_savings_yen": round(sum(g.annual_savings_yen for p in ps for g in p.groups)),
        "max_gap": max((p.gap for p in ps if p.gap == p.gap), default=0.0),
        "participation": [{k: (v if k == "band" else sum(p.participation[b][k] for p in ps if p.participation))
                           for k, v in row.items()} for b, row in enumerate(next(
                               (p.participation for p in ps if p.participation), []))],
        "solve_seconds": round(sum(p.solve_seconds for p in ps), 3),
    }


def compare(a: Plan, b: Plan) -> dict:
    """Groups that differ between two plans, and the value difference (b - a)."""
    def key(g):
        return (g.base_group_id, tuple(g.members))

    ka, kb = {key(g): g for g in a.groups}, {key(g): g for g in b.groups}
    only_a = [ka[k] for k in ka if k not in kb]
    only_b = [kb[k] for k in kb if k not in ka]
    moved_a = {c for g in a.groups for c in (g.joining if g.base_group_id else g.members)}
    moved_b = {c for g in b.groups for c in (g.joining if g.base_group_id else g.members)}
    return {
        "same_groups": len(ka.keys() & kb.keys()),
        "only_in_a": [{"members": g.members, "base_group_id": g.base_group_id, "value": round(g.value)} for g in only_a],
        "only_in_b": [{"members": g.members, "base_group_id": g.base_group_id, "value": round(g.value)} for g in only_b],
        "value_a": round(a.objective), "value_b": round(b.objective), "value_difference": round(b.objective - a.objective),
        "npv_difference": round(sum(g.npv_yen for g in b.groups) - sum(g.npv_yen for g in a.groups)),
        "continuity_a": round(float(np.mean([g.continuity.score for g in a.groups])), 2) if a.groups else None,
        "continuity_b": round(float(np.mean([g.continuity.score for g in b.groups])), 2) if b.groups else None,
        "moved_only_in_a": sorted(moved_a - moved_b), "moved_only_in_b": sorted(moved_b - moved_a),
    }
