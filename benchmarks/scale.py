"""Larger groups and looser links, prefecture by prefecture, beside today's defaults in the same run.

    python benchmarks/scale.py [--prefs 13,30] [--max-size 12] [--link-km 20] [--mode migrate] [--budget 60]

For each prefecture, one fresh process (so that its peak memory is its own) solves the
instance twice: at the defaults (``max_size`` 8, ``link_km`` 0: "today") and at the larger
setting; it prints feasible sets grown, candidates, whether the search space was completed
inside the work budget, CP-SAT status and gap, wall seconds (enumeration + solve +
scoring + validation) and the process's peak resident memory after each run.
The summary names the slowest prefecture and counts those proven optimal.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
from optimizer.config import Scenario
from optimizer.model.context import Context
from optimizer.inputs.dataset import load
from optimizer.solve.plan import propose
d = load()
out = []
for label, kw in (("today", dict(max_size=8, link_km=0.0)), ("large", dict(max_size={size}, link_km={link}))):
    sc = Scenario(vendor_mode={mode!r}, time_limit_s={budget}, **kw)
    ctx = Context(d, sc)
    ctx.adjacency_matrix
    t0 = time.perf_counter()
    p = propose(ctx, [{pref!r}])[0]
    out.append(dict(label=label, status=p.status, gap=None if p.gap != p.gap else p.gap,
                    sets=p.stats["feasible_sets"], candidates=p.stats["candidates"],
                    complete=p.stats["search_complete"], stopped=p.stats.get("stopped", ""),
                    seconds=time.perf_counter() - t0, objective=p.objective,
                    rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
print(json.dumps(out))
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prefs", default=",".join(f"{k:02d}" for k in range(1, 48)))
    ap.add_argument("--max-size", type=int, default=12)
    ap.add_argument("--link-km", type=float, default=20.0)
    ap.add_argument("--mode", default="migrate")
    ap.add_argument("--budget", type=float, default=60.0)
    args = ap.parse_args()
    rows = []
    print(f"{'pref':4} {'setting':6} {'sets':>9} {'cands':>8} {'done':>5} {'status':9} {'gap':>7} {'s':>6} {'MB':>6}")
    for pref in args.prefs.split(","):
        code = CHILD.format(root=str(ROOT), size=args.max_size, link=args.link_km, mode=args.mode,
                            budget=args.budget, pref=pref)
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ))
        if r.returncode != 0:
            print(pref, "FAILED", r.stderr[-500:])
            continue
        for x in json.loads(r.stdout):
            x["pref"] = pref
            rows.append(x)
            gap = "-" if x["gap"] is None else f"{x['gap']:.4f}"
            print(f"{pref:4} {x['label']:6} {x['sets']:9,d} {x['candidates']:8,d} {str(x['complete']):>5} "
                  f"{x['status']:9} {gap:>7} {x['seconds']:6.1f} {x['rss_mb']:6.0f}  {x['stopped']}", flush=True)
    for label in ("today", "large"):
        sel = [x for x in rows if x["label"] == label]
        if not sel:
            continue
        slow = max(sel, key=lambda x: x["seconds"])
        print(f"[{label}] proven optimal {sum(x['status'] == 'OPTIMAL' for x in sel)}/{len(sel)}; search complete "
              f"{sum(x['complete'] for x in sel)}/{len(sel)}; slowest {slow['pref']} {slow['seconds']:.1f} s; "
              f"peak memory {max(x['rss_mb'] for x in sel):,.0f} MB; within budget+10 s: "
              f"{sum(x['seconds'] <= args.budget + 10 for x in sel)}/{len(sel)}")


if __name__ == "__main__":
    main()
