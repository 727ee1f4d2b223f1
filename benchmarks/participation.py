"""Who gets the value: municipalities placed and savings by population band, national plan, by objective mode.

    python benchmarks/participation.py

Runs ``propose --all`` (the national instance, migrate mode) under three objectives and prints,
per population band (<20k, 20-50k, 50-200k, >=200k): eligible municipalities, those placed
in a group, and the band's share of the national annual savings and of the shared NPV.
The first row set is the baseline (defaults: money and continuity only); the others value
participation (a weight per municipality placed; lexicographic: most placed, then value).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimizer.config import Scenario  # noqa: E402
from optimizer.model.context import Context  # noqa: E402
from optimizer.inputs.dataset import load  # noqa: E402
from optimizer.solve.plan import propose_all, totals  # noqa: E402

MODES = [
    ("defaults (baseline)", Scenario()),
    ("participation_weight_yen = 20M", Scenario(participation_weight_yen=20e6)),
    ("lexicographic (placed first)", Scenario(participation_mode="lexicographic")),
]


def main() -> None:
    data = load()
    for label, sc in MODES:
        t0 = time.perf_counter()
        plan = propose_all(Context(data, sc.replace(time_limit_s=180)))
        secs = time.perf_counter() - t0
        t = totals(plan)
        bands = plan.participation
        savings = sum(b["annual_savings_yen"] for b in bands)
        value = sum(b["share_yen"] for b in bands)
        placed = sum(b["placed"] for b in bands)
        print(f"\n{label}: national instance {t['status']} (gap {t['gap']}), {secs:.1f} s; placed {placed} of "
              f"{sum(b['eligible'] for b in bands)} eligible; annual savings {savings / 1e8:,.1f} 億円; "
              f"shared NPV {value / 1e8:,.1f} 億円")
        print(f"  {'band':9} {'eligible':>8} {'placed':>7} {'placed %':>8} {'savings %':>9} {'NPV %':>6}")
        for b in bands:
            print(f"  {b['band']:9} {b['eligible']:8} {b['placed']:7} {b['placed'] / max(1, b['eligible']):8.0%} "
                  f"{b['annual_savings_yen'] / savings:9.0%} {b['share_yen'] / value:6.0%}")


if __name__ == "__main__":
    main()
