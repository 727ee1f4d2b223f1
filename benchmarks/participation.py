"""Who the national plan places, against who really joined (2016), beside naive answers.

    python benchmarks/participation.py

Runs ``propose --all`` (the national instance, one wave) at the defaults and with the two calibrated
costs of who joins switched off (``standardisation_years = 0``, ``cross_prefecture_yen = 0``: the value
model alone). Prints, side by side with the 2016 members of joint clouds (内閣府 WG14: by population
band) and the eligible municipalities (the naive answer "everyone who could, joins"):

* the population-band mix of the municipalities placed;
* municipalities of 500 thousand or more placed, the share of savings in groups with a member of
  200 thousand or more, the share of groups crossing a prefecture line (real 2017: 4 of 59) and the
  farthest joiner from its nearest member (the distance wall is ``max_member_distance_km``).

The standardisation knobs were fitted on odd prefecture codes and the crossing cost on four regions
(``tools/fit_value_model.py``); the national plan is not what they were fitted on.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimizer.config import Scenario  # noqa: E402
from optimizer.inputs.dataset import load  # noqa: E402
from optimizer.model.context import Context  # noqa: E402
from optimizer.model.rules import eligible  # noqa: E402
from optimizer.solve.plan import propose_all  # noqa: E402

BANDS = ((0, 50_000), (50_000, 200_000), (200_000, 500_000), (500_000, 10**10))
LABELS = ("<50k", "50-200k", "200-500k", ">=500k")
REAL_2016 = np.array([265, 43, 4, 0])
RUNS = [
    ("defaults", {}),
    ("value model alone (no who-joins costs)", {"standardisation_years": 0.0, "cross_prefecture_yen": 0.0}),
]


def figures(ctx, plan) -> dict:
    pop = ctx.data.municipalities["registry_population"]
    placed = [c for g in plan.groups for c in g.movers]
    counts = np.array([sum(lo <= pop[c] < hi for c in placed) for lo, hi in BANDS])
    savings = sum(g.annual_savings_yen for g in plan.groups)
    big = sum(g.annual_savings_yen for g in plan.groups if max(pop[c] for c in g.members) >= 200_000)
    cross = sum(len({c[:2] for c in g.members}) > 1 for g in plan.groups)
    far = 0.0
    for g in plan.groups:
        for c in g.movers:
            others = ctx.positions([x for x in g.members if x != c])
            far = max(far, float(ctx.distance[ctx.pos[c], others].min()))
    return {"counts": counts, "big": big / max(savings, 1.0), "cross": (cross, len(plan.groups)), "far": far,
            "status": plan.status, "gap": plan.gap}


def mix(counts) -> str:
    counts = np.asarray(counts, dtype=float)
    return " ".join(f"{c:6.0f} ({c / max(counts.sum(), 1):4.0%})" for c in counts)


def main() -> None:
    data = load()
    pop = data.municipalities["registry_population"]
    base = Context(data, Scenario(roadmap_years=1))
    elig = [c for c in base.codes if eligible(base, base.pos[c]) is None]
    elig_counts = np.array([sum(lo <= pop[c] < hi for c in elig) for lo, hi in BANDS])
    print(f"{'population band':44} " + " ".join(f"{b:>13}" for b in LABELS))
    print(f"{'joint-cloud members 2016 (real)':44} {mix(REAL_2016)}")
    print(f"{'eligible (naive: everyone who could joins)':44} {mix(elig_counts)}")
    rows = []
    for label, model in RUNS:
        t0 = time.perf_counter()
        ctx = Context(data, Scenario(roadmap_years=1, time_limit_s=180).replace(model=model))
        plan = propose_all(ctx)
        f = figures(ctx, plan)
        f["seconds"] = time.perf_counter() - t0
        rows.append((label, f))
        print(f"{'placed: ' + label:44} {mix(f['counts'])}")
    print()
    for label, f in rows:
        k, n = f["cross"]
        print(f"{label}: {f['status']} (gap {f['gap']:.4f}) in {f['seconds']:.0f} s; 500k+ placed {f['counts'][3]}; "
              f"savings in groups with a 200k+ member {f['big']:.1%}; groups crossing a prefecture line {k} of {n} "
              f"({k / max(n, 1):.1%}; real 4 of 59, 6.8%); farthest joiner from its nearest member {f['far']:.0f} km")


if __name__ == "__main__":
    main()
