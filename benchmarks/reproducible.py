"""Same inputs, same plan: the national plan run twice, once on an idle machine and once beside busy processes.

    python benchmarks/reproducible.py [--busy 2] [--pref 06 ...]

Runs ``lgcloud propose --all --json`` (or the given prefectures) as a fresh process on an idle
machine, then again while ``--busy`` processes spin on the cores (2 cores: both busy). Prints
both runs' status, objective, bound and its source, wall time, and how many groups and
municipalities differ. Every limit that decides a plan is counted work (candidate sets grown,
CP-SAT's deterministic seconds); the wall clock is only a backstop, and a run it cuts says so.
The naive answer beside it: the same comparison with the limits read from the clock would differ
whenever the busy run is slower (the project's plans did, before 2026-12).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def spin() -> None:
    while True:
        pass


def run(args: list[str]) -> tuple[dict, float]:
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, str(ROOT / "cli.py"), "propose", *args, "--json", "--lang", "en"],
                       capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(p.stdout), time.perf_counter() - t0


def placement(out: dict) -> dict[str, tuple]:
    return {c: tuple(sorted(g["members"])) for g in out["groups"] for c in g["members"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--busy", type=int, default=2)
    ap.add_argument("--pref", action="append")
    a = ap.parse_args()
    args = [x for p in a.pref for x in ("--pref", p)] if a.pref else ["--all"]
    idle, t_idle = run(args)
    spinners = [mp.Process(target=spin, daemon=True) for _ in range(a.busy)]
    for s in spinners:
        s.start()
    try:
        busy, t_busy = run(args)
    finally:
        for s in spinners:
            s.terminate()
    for label, out, t in (("idle", idle, t_idle), (f"beside {a.busy} busy processes", busy, t_busy)):
        print(f"{label:28} {out['status']:9} objective {out['objective']:>16,} bound {out['best_bound']!s:>16} "
              f"(source {out['stats'].get('bound_source', 'none' if out['best_bound'] is None else 'CP-SAT')}) "
              f"groups {len(out['groups'])} wall {t:.1f} s clock-cut {bool(out['stats'].get('stopped_by_clock'))}")
    a_, b_ = placement(idle), placement(busy)
    moved = sum(a_.get(c) != b_.get(c) for c in set(a_) | set(b_))
    ga = {tuple(sorted(g["members"])) for g in idle["groups"]}
    gb = {tuple(sorted(g["members"])) for g in busy["groups"]}
    print(f"groups in one run only: {len(ga ^ gb)}; municipalities placed differently: {moved}; "
          f"objective difference: {busy['objective'] - idle['objective']:,} yen")


if __name__ == "__main__":
    main()
