"""How long ``match`` takes: from the shell (start-up, loading, fitting, ranking) and in the Python API.

    python benchmarks/match_speed.py [--runs 5] [--code 30206]

Prints the median wall time of ``python3 cli.py match`` over several runs, and in one Python
session: loading the data, the first ``match`` (fits the ranking and solves the prefecture's
plan for the statement of what the plan does), and later ``match`` calls in the same prefecture.
Baselines beside it, interleaved run by run: ``python3 cli.py info`` (start-up and loading only)
and a fixed pure-Python loop (the speed of a shared virtual machine drifts by up to half).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def shell(args: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, check=True)
    return time.perf_counter() - t0


def reference() -> float:
    """A fixed pure-Python loop in a fresh interpreter: how fast this machine is right now."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "sum(range(3 * 10**7))"], check=True)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--code", default="30206")
    args = ap.parse_args()
    # interleaved, so that a machine whose speed drifts (shared virtual CPUs) slows all three alike
    ref, info, match_ = [], [], []
    for _ in range(args.runs):
        ref.append(reference())
        info.append(shell(["info"]))
        match_.append(shell(["match", "--municipality", args.code]))
    print(f"machine speed reference (fresh python, sum(range(3e7))) median {statistics.median(ref):.2f} s "
          f"(min {min(ref):.2f}, max {max(ref):.2f})")
    print(f"shell: cli.py info (start-up + load, baseline) median {statistics.median(info):.2f} s")
    print(f"shell: cli.py match --municipality {args.code} median {statistics.median(match_):.2f} s "
          f"(min {min(match_):.2f}, max {max(match_):.2f})")
    t0 = time.perf_counter()
    import optimizer as lg

    data = lg.load()
    _ = lg.context(data).adjacency_matrix
    t1 = time.perf_counter()
    lg.match(data, args.code)
    t2 = time.perf_counter()
    m = data.municipalities
    others = [c for c in m.index[m["prefecture_code"] == args.code[:2]] if c != args.code][:args.runs]
    later = []
    for c in others:
        t = time.perf_counter()
        lg.match(data, c)
        later.append(time.perf_counter() - t)
    print(f"API: import + load {t1 - t0:.2f} s; first match {t2 - t1:.2f} s (fits the ranking, solves the plan); "
          f"later matches in the prefecture median {statistics.median(later):.2f} s")


if __name__ == "__main__":
    main()
