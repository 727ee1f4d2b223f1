r"""How far is the national roadmap from its optimum? A tighter bound than the solver's, computed offline.

    python benchmarks/national_bound.py [--region-seconds 20] [--time-limit 63]

``propose --all`` (migrate, 10-year roadmap) is not proven within its budget: it reports the tighter
of CP-SAT's bound and the LP relaxation's. This script solves the same national model as
``propose --all`` does at the defaults (its solver share of the budget, ``--time-limit``), then bounds
it by **Lagrangian decomposition by region** (the eight 地方区分), priced with the LP's duals:

Let :math:`\pi \ge 0` be the LP duals of the packing rows and :math:`r_c = V_c - \sum_{\text{rows}
\ni c}\pi` the reduced values. A candidate whose rows (members, expanded group) lie in one region
stays whole in that region's model; a candidate spanning regions is split into one piece per region
(the rows it has there), worth :math:`\mu_c^R = \lceil \sum_{\text{rows in } R}\pi + r_c\, n_R / n
\rceil` (:math:`n_R` of its *n* rows in *R*), so that :math:`\sum_R \mu_c^R \ge V_c`. Every national
packing restricted to a region is a packing of that region's model, so

.. math:: z^* \le \sum_R \bar z_R,

where :math:`\bar z_R` is CP-SAT's bound on region *R*'s model (integer there, so tighter than the
LP wherever a region's own LP is fractional). Pieces worth nothing are left out (a maximum never
needs them); of identical pieces the most valuable is kept.

Printed beside it: the plan's value, CP-SAT's and the LP's bounds, the 47 prefectures' own optima
combined (the per-prefecture path) and the greedy packing.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
from ortools.sat.python import cp_model

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimizer.solve import packing as S  # noqa: E402
from optimizer.solve.candidates import enumerate_candidates  # noqa: E402
from optimizer.config import Scenario  # noqa: E402
from optimizer.model.context import Context  # noqa: E402
from optimizer.inputs.dataset import load  # noqa: E402
from optimizer.solve.plan import prefecture_blocks, scope_codes  # noqa: E402

#: The eight regions (地方区分) by prefecture code: 北海道, 東北, 関東, 中部, 近畿, 中国, 四国, 九州・沖縄.
REGIONS = [(1, 1), (2, 7), (8, 14), (15, 23), (24, 30), (31, 35), (36, 39), (40, 47)]


def region_models(cs, prefecture: np.ndarray, duals) -> list[dict[tuple, int]]:
    """Each region's packing model: {rows of a candidate or piece: its (integer) value}."""
    region_of = {p: r for r, (a, b) in enumerate(REGIONS) for p in range(a, b + 1)}
    group_region = {}
    for g, members in cs.base_members.items():
        (group_region[g],) = {region_of[int(prefecture[i])] for i in members}  # no real group spans regions

    def region(key) -> int:
        return group_region[key[1]] if isinstance(key, tuple) else region_of[int(prefecture[key])]

    pi = np.maximum(duals[0], 0.0)
    row, _ = S.packing_matrix(cs)  # the rows of lp_packing's LP, whose duals these are
    r, _ = S.reduced_values(duals)
    models: list[dict[tuple, int]] = [{} for _ in REGIONS]
    for k, c in enumerate(cs.candidates):
        keys = S.packing_keys(c)
        parts: dict[int, list] = {}
        for key in keys:
            parts.setdefault(region(key), []).append(key)
        for R, ks in parts.items():
            if len(parts) == 1:
                value = int(round(c.value))
            else:
                value = math.ceil(sum(pi[row[key]] for key in ks) + r[k] * len(ks) / len(keys))
            if value > 0:
                t = tuple(ks)
                models[R][t] = max(models[R].get(t, value), value)
    return models


def region_bound(model: dict[tuple, int], seconds: float) -> tuple[float, str, float]:
    """CP-SAT's bound on one region's packing model (and its status, its best value)."""
    m = cp_model.CpModel()
    items = list(model.items())
    x = [m.NewBoolVar(f"x{j}") for j in range(len(items))]
    covering: dict = {}
    for j, (keys, _) in enumerate(items):
        for key in keys:
            covering.setdefault(key, []).append(j)
    for js in covering.values():
        if len(js) > 1:
            m.AddAtMostOne(x[j] for j in js)
    m.Maximize(sum(v * x[j] for j, (_, v) in enumerate(items)))
    solver = S._solver(0, seconds)
    solver.parameters.cp_model_presolve = len(items) >= S.PRESOLVE_MIN_CANDIDATES
    status = solver.Solve(m)
    return solver.BestObjectiveBound(), solver.StatusName(status), solver.ObjectiveValue()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--region-seconds", type=float, default=20.0)
    ap.add_argument("--time-limit", type=float, default=63.0, help="the solver's time (propose --all at defaults: ~63 s)")
    a = ap.parse_args()
    data = load()
    ctx = Context(data, Scenario(time_limit_s=600))
    t = time.perf_counter()
    cs = enumerate_candidates(ctx, scope_codes(ctx, sorted(data.municipalities["prefecture_code"].unique())))
    print(f"national roadmap (migrate): {len(cs.candidates):,} candidates, enumerated in {time.perf_counter() - t:.1f} s")
    blocks = prefecture_blocks(ctx, cs)
    req = S.Requirements([], [])
    value = lambda ks: sum(cs.candidates[k].value for k in ks) / 1e9  # noqa: E731

    t = time.perf_counter()
    sol = S.solve(cs, req, seed=0, time_limit=a.time_limit, blocks=blocks)
    print(f"plan: {sol.status}, {sol.objective / 1e9:.2f} bn yen, reported bound {sol.best_bound / 1e9:.2f} bn "
          f"(gap {sol.gap:.2%}), {time.perf_counter() - t:.1f} s")
    by_blocks = S.block_packing(cs, blocks, 0, deadline=time.perf_counter() + 600)
    print(f"baselines: the prefectures' own optima combined {value(by_blocks):.2f} bn; greedy {value(S.greedy_packing(cs, req)):.2f} bn")

    t = time.perf_counter()
    _, duals = S.lp_packing(cs, deadline=math.inf, dive=False)
    lp = S.relaxation_bound(duals)
    print(f"LP relaxation bound {lp / 1e9:.2f} bn ({time.perf_counter() - t:.1f} s)")
    total, t = 0.0, time.perf_counter()
    for (a_, b_), model in zip(REGIONS, region_models(cs, np.asarray(ctx.prefecture), duals)):
        bound, status, best = region_bound(model, a.region_seconds)
        total += bound
        print(f"  region {a_:02d}-{b_:02d}: {len(model):>6,} candidates and pieces, {status:8s} "
              f"bound {bound / 1e9:7.3f} bn (best {best / 1e9:7.3f})")
    print(f"Lagrangian bound by region {total / 1e9:.2f} bn ({time.perf_counter() - t:.1f} s): the plan is within "
          f"{(total - sol.objective) / total:.2%} of the optimum (reported: {sol.gap:.2%}; LP alone: "
          f"{(lp - sol.objective) / lp:.2%})")


if __name__ == "__main__":
    main()
