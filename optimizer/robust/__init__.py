r"""Advice that survives uncertainty: draw the uncertain inputs, solve each draw exactly, say what is firm.

* :mod:`~optimizer.robust.draws` -- what is uncertain and one reproducible draw of it;
* :mod:`~optimizer.robust.engine` -- the draws as tasks on Dask (a local cluster or a scheduler);
* :mod:`~optimizer.robust.summary` -- pair and group frequencies, firm and open decisions, the robust plan.

:func:`run` is the whole sweep: the draws' optimal plans (phase 1), every candidate plan valued under
every draw (phase 2), the robust plan re-scored, shared and validated at the base inputs like any plan.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..model.context import Context
from ..solve.plan import Plan, placement, plan_of, propose, regrouped, scope_codes
from . import engine, summary
from .draws import uncertainty


@dataclass
class SweepResult:
    """A sweep: its settings, the draws' results and what they say (see :mod:`optimizer.robust.summary`)."""

    prefectures: list[str]
    draws: int
    seed: int
    criterion: str
    firm_share: float
    results: list[dict]  # per draw: index, status, groups (keys), value, npv, inputs
    pairs: list[dict]
    groups: list[dict]
    firm: dict  # {"groups": [...], "pairs": [...], "municipalities": [...]}
    open: list[dict]
    base_plan: Plan
    robust_plan: Plan | None
    robust_values: dict = field(default_factory=dict)  # value / npv per draw, regret per draw, how often optimal
    uncertain: dict = field(default_factory=dict)  # what was drawn: counts of uncertain values, parameters, ranges
    stats: dict = field(default_factory=dict)

    @property
    def npv_yen(self) -> dict:
        """The robust plan's municipal NPV over the draws: p10, p50, p90."""
        return summary.quantiles(self.robust_values["npv"]) if self.robust_values else {}


def run(ctx: Context, prefectures: list[str], draws: int, seed: int = 0, scheduler: str | None = None,
        workers: int | None = None, progress=None) -> SweepResult:
    """Sweep ``draws`` draws of the uncertain inputs over ``prefectures`` (one instance) at ``ctx``'s
    data and scenario; ``scheduler``: a Dask scheduler address; ``workers``: local processes (0: in this
    process). ``progress(stage, done, total)`` reports as draws finish."""
    t0 = time.perf_counter()
    sc = ctx.scenario
    data = ctx.data
    scope = scope_codes(ctx, prefectures)
    u = uncertainty(data, sc, scope)
    job = engine.Job(engine.lite(data), sc, list(prefectures), u, seed)
    base = propose(ctx, prefectures, validate=False, shares=False)[0]
    stage = (lambda name: (lambda k, n: progress(name, k, n))) if progress else (lambda name: None)
    with engine.cluster(scheduler, workers) as client:
        results = engine.run(client, job, engine.solve_draw, [(k,) for k in range(draws)], stage("draws"))
        plans = {tuple(r["groups"]) for r in results} | {tuple(placement_keys(base))}
        plans = sorted(plans, key=str)
        keys = sorted({k for p in plans for k in p}, key=str)
        t1 = time.perf_counter()
        values = engine.run(client, job, engine.evaluate_draw, [(k, keys) for k in range(draws)], stage("values"))
        workers_used = len(client.scheduler_info()["workers"]) if client is not None else 0
    V = np.stack(values)  # draws x groups x (value, npv)
    col = {k: j for j, k in enumerate(keys)}
    P = np.zeros((len(plans), len(keys)))
    for i, p in enumerate(plans):
        P[i, [col[k] for k in p]] = 1.0
    value = P @ V[:, :, 0].T  # plans x draws
    npv = P @ V[:, :, 1].T
    own = np.array([[tuple(r["groups"]) == p for r in results] for p in plans])
    optimum = np.array([r["value"] for r in results])
    robust, chosen = None, None
    for i in summary.choose(value, own, sc.robust_criterion):
        try:
            robust = plan_of(ctx, prefectures, list(plans[i]))
        except KeyError:  # a group not admissible at the base inputs: not a plan to adopt
            continue
        chosen = i
        robust.stats["chosen_from_draws"] = sc.robust_criterion
        break
    firm_share = sc.firm_share
    pairs = summary.pair_frequencies(results, data)
    groups = summary.group_frequencies(results, data)
    firm_munis, open_ = summary.open_decisions(results, data, firm_share)
    firm = {"groups": [g for g in groups if g["frequency"] >= firm_share],
            "pairs": [p for p in pairs if p["frequency"] >= firm_share], "municipalities": firm_munis}
    robust_values = {}
    if chosen is not None:
        robust_values = {"value": value[chosen].tolist(), "npv": npv[chosen].tolist(),
                         "regret": (optimum - value[chosen]).tolist(), "optimal_in": int(own[chosen].sum()),
                         "optimum_npv": [r["npv"] for r in results],
                         "regrouped_from_base": regrouped(base, robust),
                         "summary": {"value": {"mean": int(round(value[chosen].mean())),
                                               **summary.quantiles(value[chosen])},
                                     "regret": {"mean": int(round((optimum - value[chosen]).mean())),
                                                **summary.quantiles(optimum - value[chosen]),
                                                "max": int(round((optimum - value[chosen]).max()))}}}
    stats = {"seconds": round(time.perf_counter() - t0, 3), "draw_seconds": round(t1 - t0, 3),
             "workers": workers_used, "distinct_plans": len({tuple(r["groups"]) for r in results}),
             "candidate_plans": len(plans),
             "unproven_draws": sum(r["status"] != "OPTIMAL" for r in results)}
    uncertain = {"renewal": len(u.renewal), "vendor": len(u.vendor), "willing": len(u.willing),
                 "parameters": ["model.sharing_saving"] + [k for k, _, _ in u.ranges],
                 "ranges": [{"key": k, "low": lo, "high": hi} for k, lo, hi in u.ranges]}
    return SweepResult(list(prefectures), draws, seed, sc.robust_criterion, firm_share, results, pairs, groups,
                       firm, open_, base, robust, robust_values, uncertain, stats)


def placement_keys(plan: Plan) -> list:
    """A plan's groups as keys (existing group, sorted movers)."""
    return sorted({v for v in placement(plan).values()}, key=str)
