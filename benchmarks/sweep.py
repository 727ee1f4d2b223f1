"""Sweeps: cost beside one propose, whether what they call firm holds on draws they did not see, and the
cost of a national sweep.

    python benchmarks/sweep.py [--draws 200] [--fresh 50]

1. **Cost.** ``lgcloud sweep --pref 06 --draws 200`` and ``--pref 30 --draws 50`` as fresh processes (a local
   Dask cluster on the cores), beside one ``lgcloud propose --pref 06``: wall time and peak memory (resident set
   of the whole process tree, sampled every 0.2 s, and of its largest process).
2. **Firm holds out of sample.** For 和歌山 (30), 山形 (06) and 長野 (20): a sweep (seed 0) names the firm pairs;
   ``--fresh`` new draws with another seed (never seen by the sweep) are solved, and the share of those draws in
   which each firm pair is grouped together is averaged -- beside the same share for every pair the sweep ever
   grouped (the naive answer: trust any pairing the model once proposed).
3. **A national sweep.** One national draw solved in this process (enumeration and solve), timed: the cost of
   1,000 draws, and how many Dask workers (one core each) bring it under an hour.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimizer.api import context, sweep  # noqa: E402
from optimizer.config import Scenario  # noqa: E402
from optimizer.inputs.dataset import load  # noqa: E402
from optimizer.robust import engine  # noqa: E402
from optimizer.robust.draws import uncertainty  # noqa: E402
from optimizer.solve.plan import all_prefectures, scope_codes  # noqa: E402

FRESH_SEED = 10_000


def measured(args: list[str]) -> tuple[float, float, float]:
    """(wall seconds, peak resident MB of the process tree, of its largest process) of ``cli.py ARGS``."""
    t0 = time.perf_counter()
    p = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    peak = {"tree": 0.0, "one": 0.0}

    def sample():
        root = psutil.Process(p.pid)
        while p.poll() is None:
            try:
                procs = [root] + root.children(recursive=True)
                rss = [q.memory_info().rss for q in procs]
                peak["tree"] = max(peak["tree"], sum(rss) / 2**20)
                peak["one"] = max(peak["one"], max(rss) / 2**20)
            except psutil.Error:
                pass
            time.sleep(0.2)

    th = threading.Thread(target=sample)
    th.start()
    p.wait()
    th.join()
    if p.returncode:
        raise SystemExit(f"cli.py {' '.join(args)} failed ({p.returncode})")
    return time.perf_counter() - t0, peak["tree"], peak["one"]


def cost(draws: int) -> None:
    print("1. COST (fresh processes, 2 cores)")
    base = measured(["propose", "--pref", "06", "--out", "/tmp/lgcloud_bench_propose06", "--lang", "en"])
    print(f"   propose --pref 06: {base[0]:.1f} s, peak {base[1]:.0f} MB (tree) / {base[2]:.0f} MB (largest process)")
    for pref, n in (("06", draws), ("30", 50)):
        w, tree, one = measured(["sweep", "--pref", pref, "--draws", str(n), "--json", "--lang", "en"])
        print(f"   sweep --pref {pref} --draws {n}: {w:.1f} s ({w / base[0]:.1f}x one propose --pref 06), peak "
              f"{tree:.0f} MB tree ({tree / base[1]:.1f}x) / {one:.0f} MB largest process ({one / base[2]:.1f}x)")


def holdout(data, draws: int, fresh: int) -> None:
    print(f"\n2. FIRM PAIRS ON {fresh} FRESH DRAWS (seed {FRESH_SEED}; the sweep used seed 0, {draws} draws)")
    for pref in ("30", "06", "20"):
        res = sweep(data, [pref], draws=draws, seed=0)
        ctx = context(data)
        u = uncertainty(data, ctx.scenario, scope_codes(ctx, [pref]))
        job = engine.Job(engine.lite(data), ctx.scenario, [pref], u, FRESH_SEED)
        with engine.cluster() as client:
            new = engine.run(client, job, engine.solve_draw, [(k,) for k in range(fresh)])
        together = []
        for r in new:
            pairs = set()
            for base, movers in r["groups"]:
                everyone = sorted((data.group_members.get(base, []) if base else []) + list(movers))
                pairs |= {(a, b) for i, a in enumerate(everyone) for b in everyone[i + 1:]}
            together.append(pairs)

        def held(pairs) -> float:
            if not pairs:
                return float("nan")
            return float(np.mean([np.mean([(p["a"], p["b"]) in t for t in together]) for p in pairs]))

        firm = f"{held(res.firm['pairs']):.1%}" if res.firm["pairs"] else "- (none firm)"
        print(f"   {pref}: {len(res.firm['pairs'])} firm pairs stay together in {firm} of fresh "
              f"draws; all {len(res.pairs)} pairs ever grouped: {held(res.pairs):.1%}; firm groups "
              f"{len(res.firm['groups'])}, open decisions {len(res.open)}, distinct optimal plans "
              f"{res.stats['distinct_plans']} in {draws} draws")


def national(data) -> None:
    print("\n3. A NATIONAL DRAW (this process, one core)")
    sc = Scenario()
    ctx = context(data, sc)
    prefs = all_prefectures(ctx)
    u = uncertainty(data, sc, scope_codes(ctx, prefs))
    job = engine.Job(engine.lite(data), sc, prefs, u, 0)
    job.base()
    t0 = time.perf_counter()
    r = engine.solve_draw(job, 0)
    secs = time.perf_counter() - t0
    total = 1000 * secs
    print(f"   one national draw: {secs:.0f} s ({r['status']}); 1,000 draws: {total / 3600:.1f} core-hours; under an "
          f"hour on {int(np.ceil(total / 3600 / 0.9))} Dask workers (one core each, 90% busy)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--draws", type=int, default=200)
    ap.add_argument("--fresh", type=int, default=50)
    a = ap.parse_args()
    data = load()
    cost(a.draws)
    holdout(data, a.draws, a.fresh)
    national(data)


if __name__ == "__main__":
    main()
