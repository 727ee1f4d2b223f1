"""Scoring speed: one group without Shapley (target < 1 ms), Shapley for 10 members (target < 1 s).

    python benchmarks/scoring_speed.py

Also the batch form the solver uses (groups per second), and the ratio of batch to
one-at-a-time scoring, measured in the same run.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimizer.config import Scenario  # noqa: E402
from optimizer.model.context import Context  # noqa: E402
from optimizer.inputs.dataset import load  # noqa: E402
from optimizer.model.scoring import batch_scores
from optimizer.model.group import score_group  # noqa: E402


def timeit(fn, n):
    fn()
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n


def main():
    data = load()
    ctx = Context(data, Scenario())
    three = ["30341", "30361", "30362"]
    one = timeit(lambda: score_group(ctx, three, go_live=2020), 2000)
    best = timeit(lambda: score_group(ctx, three), 2000)
    ten = list(data.municipalities.index[data.municipalities.prefecture_code == "20"][:10])
    shap = timeit(lambda: score_group(ctx, ten, shares=True), 20)
    rng = np.random.default_rng(0)
    M = np.sort(np.array([rng.choice(len(ctx.codes), 6, replace=False) for _ in range(20000)]), axis=1)
    t0 = time.perf_counter()
    batch_scores(ctx, M)
    batch = (time.perf_counter() - t0) / len(M)
    print(f"score one group, fixed go-live:          {one * 1e3:7.3f} ms")
    print(f"score one group, best go-live & package: {best * 1e3:7.3f} ms")
    print(f"shares, 10 members (1,023 coalition values, nucleolus LPs, Shapley): {shap * 1e3:7.1f} ms")
    print(f"batch scoring (6 members, migrate):      {batch * 1e6:7.1f} us per group ({1 / batch:,.0f} groups/s)")
    print(f"\nSUMMARY single score {best * 1e3:.3f} ms (target < 1 ms); shares-10 {shap:.3f} s (target < 1 s); "
          f"batch is {best / batch:.0f}x faster per group than one at a time")


if __name__ == "__main__":
    main()
