"""Set packing over enumerated candidates vs an assignment model with flow connectivity.

    python benchmarks/formulations.py [--prefs 01,20,46,13] [--time-limit 60]

Both models describe the same feasible groups (new groups only: size, population,
renewal window, vendor, distance, connectivity in the eligible graph, coastal pairing),
and both maximise a linear objective they can state exactly: the number of
municipalities placed in a group. (The product's objective, the scored NPV, is a
non-linear function of the whole member set; only the candidate model can carry it
exactly, which is the main reason for the choice. This run compares the two
formulations' strength and speed where both are exact.)

* **set packing**: enumerate every feasible group, ``max sum |c| x_c`` s.t. each
  municipality in at most one chosen group;
* **assignment**: slots ``k``; ``x[i,k]`` member, ``y[k]`` slot used; renewal bounds per
  slot; pairwise distance conflicts; pairing as ``x[i,k] <= sum_partners x[j,k]``;
  connectivity by a single-commodity flow from one root per slot over the eligible
  graph's arcs.

Prints per prefecture: status, objective, bound, gap and seconds of both (CP-SAT, one
worker, same time limit).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np
from ortools.sat.python import cp_model

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimizer.solve.candidates import enumerate_candidates  # noqa: E402
from optimizer.config import Scenario  # noqa: E402
from optimizer.model.context import Context  # noqa: E402
from optimizer.inputs.dataset import load  # noqa: E402
from optimizer.solve.plan import scope_codes  # noqa: E402


def _params(solver, time_limit):
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_time_in_seconds = time_limit


def set_packing(ctx, scope, time_limit):
    t0 = time.perf_counter()
    cs = enumerate_candidates(ctx, scope, prune=False, expansions=False)
    m = cp_model.CpModel()
    x = [m.NewBoolVar("") for _ in cs.candidates]
    cover = {}
    for k, c in enumerate(cs.candidates):
        for i in c.members:
            cover.setdefault(i, []).append(x[k])
    for xs in cover.values():
        m.AddAtMostOne(xs)
    m.Maximize(sum(len(c.members) * x[k] for k, c in enumerate(cs.candidates)))
    s = cp_model.CpSolver()
    _params(s, time_limit)
    st = s.Solve(m)
    return {"status": s.StatusName(st), "obj": s.ObjectiveValue() if cs.candidates else 0,
            "bound": s.BestObjectiveBound() if cs.candidates else 0, "secs": time.perf_counter() - t0,
            "size": len(cs.candidates), "eligible": cs.eligible}


def assignment(ctx, elig: list[int], time_limit):
    sc, mp = ctx.scenario, ctx.model
    t0 = time.perf_counter()
    n = len(elig)
    K = max(1, n // sc.min_size)
    m = cp_model.CpModel()
    x = {(i, k): m.NewBoolVar("") for i in range(n) for k in range(K)}
    y = [m.NewBoolVar("") for _ in range(K)]
    root = {(i, k): m.NewBoolVar("") for i in range(n) for k in range(K)}
    ren = ctx.renewal[elig]
    pop = ctx.population[elig].astype(int)
    D = ctx.distance[np.ix_(elig, elig)]
    A = ctx.adjacency_matrix[np.ix_(elig, elig)]
    arcs = [(i, j) for i in range(n) for j in range(n) if i != j and A[i, j]]
    for i in range(n):
        m.AddAtMostOne(x[i, k] for k in range(K))
    for k in range(K):
        size = sum(x[i, k] for i in range(n))
        m.Add(size >= sc.min_size * y[k])
        m.Add(size <= sc.max_size * y[k])
        if k + 1 < K:
            m.Add(y[k] >= y[k + 1])
        m.Add(sum(int(p) * x[i, k] for i, p in enumerate(pop)) <= sc.max_population)
        lo = m.NewIntVar(int(ren.min()), int(ren.max()), "")
        hi = m.NewIntVar(int(ren.min()), int(ren.max()), "")
        m.Add(hi - lo <= sc.renewal_window_years)
        for i in range(n):
            m.Add(lo <= int(ren[i])).OnlyEnforceIf(x[i, k])
            m.Add(hi >= int(ren[i])).OnlyEnforceIf(x[i, k])
        if sc.vendor_mode == "same":
            for i, j in itertools.combinations(range(n), 2):
                if ctx.vendor[elig[i]] != ctx.vendor[elig[j]]:
                    m.AddBoolOr([x[i, k].Not(), x[j, k].Not()])
        for i, j in zip(*np.nonzero(np.triu(D > sc.max_member_distance_km, 1))):
            m.AddBoolOr([x[int(i), k].Not(), x[int(j), k].Not()])
        if sc.pairing == "hard":  # separation from a common disaster, per pairing hazard
            E = ctx.exposed[elig]
            for i in range(n):
                for h in np.nonzero(E[i])[0]:
                    partners = [j for j in range(n) if j != i and (
                        (not E[j, h] and D[i, j] <= mp.support_km) or D[i, j] >= mp.hazard_separation_km)]
                    m.Add(x[i, k] <= sum(x[j, k] for j in partners))
        # connectivity: one root per used slot sends (size - 1) units, every other member keeps one
        m.Add(sum(root[i, k] for i in range(n)) == y[k])
        f = {(i, j): m.NewIntVar(0, sc.max_size - 1, "") for i, j in arcs}
        for i, j in arcs:
            m.Add(f[i, j] <= (sc.max_size - 1) * x[i, k])
            m.Add(f[i, j] <= (sc.max_size - 1) * x[j, k])
        for i in range(n):
            m.AddImplication(root[i, k], x[i, k])
            out_f = sum(f[i, j] for (a, j) in arcs if a == i)
            in_f = sum(f[a, i] for (a, j) in arcs if j == i)
            # net outflow: size - 1 at the root, -1 at any other member, 0 outside
            net = m.NewIntVar(-1, sc.max_size - 1, "")
            m.Add(out_f - in_f == net)
            m.Add(net == size - 1).OnlyEnforceIf(root[i, k])
            m.Add(net == -1).OnlyEnforceIf([x[i, k], root[i, k].Not()])
            m.Add(net == 0).OnlyEnforceIf(x[i, k].Not())
    m.Maximize(sum(x.values()))
    s = cp_model.CpSolver()
    _params(s, time_limit)
    st = s.Solve(m)
    ok = st in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    return {"status": s.StatusName(st), "obj": s.ObjectiveValue() if ok else float("nan"),
            "bound": s.BestObjectiveBound(), "secs": time.perf_counter() - t0, "size": len(x)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prefs", default="01,20,46,13")
    ap.add_argument("--modes", default="same,migrate")
    ap.add_argument("--time-limit", type=float, default=60.0)
    args = ap.parse_args()
    data = load()
    for mode in args.modes.split(","):
        ctx = Context(data, Scenario(vendor_mode=mode))
        _ = ctx.adjacency_matrix
        for pref in args.prefs.split(","):
            scope = scope_codes(ctx, [pref])
            sp = set_packing(ctx, scope, args.time_limit)
            asg = assignment(ctx, sp["eligible"], args.time_limit)
            gap = abs(asg["bound"] - asg["obj"]) / max(1.0, abs(asg["bound"])) if asg["obj"] == asg["obj"] else float("nan")
            print(f"{mode:7} {pref}  eligible {len(sp['eligible']):3d} | set packing: {sp['status']:8} obj {sp['obj']:5.0f} "
                  f"bound {sp['bound']:5.0f} {sp['secs']:6.2f} s ({sp['size']} candidates) | assignment: "
                  f"{asg['status']:8} obj {asg['obj']:5.0f} bound {asg['bound']:6.1f} gap {gap:6.1%} {asg['secs']:6.2f} s "
                  f"({asg['size']} x-vars)", flush=True)


if __name__ == "__main__":
    main()
