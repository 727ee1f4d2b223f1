"""Fit the per-resident IT cost curve to the published FY2017 figures.

    python tools/fit_cost_curve.py

c(p) = a (p/1e4)^-alpha + b (p/1e5)^beta yen per registered resident, fitted (least squares on
log ratios) so that, over the shipped 住民基本台帳 populations, the curve reproduces 総務省's
FY2017 budget figures (municipal_it_cost_by_population_band_fy2017.csv): mean 11,724 yen under
20k, mean 3,096 yen at 100k-200k, national total 4,786 億円, <200k 2,374 億円 and >=200k 2,412 億円.
Prints the parameters used as defaults in optimizer/config.py and the fitted figures.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

ROOT = Path(__file__).resolve().parents[1]


def main():
    m = pd.read_csv(ROOT / "data" / "systems" / "municipalities.csv", dtype={"code": str})
    p = np.maximum(m["registry_population"].to_numpy(float), 100.0)

    def curve(x, pop):
        a, alpha, b, beta = x
        return a * (pop / 1e4) ** (-alpha) + b * (pop / 1e5) ** beta

    def figures(x):
        c = curve(x, p)
        total = c * p
        return np.array([c[p < 2e4].mean(), c[(p >= 1e5) & (p < 2e5)].mean(), total.sum(),
                         total[p < 2e5].sum(), total[p >= 2e5].sum()])

    target = np.array([11724, 3096, 4.786e11, 2.374e11, 2.412e11])
    fit = least_squares(lambda x: np.log(figures(x) / target), [5000, 0.8, 2000, 0.2],
                        bounds=([0, 0, 0, 0], [1e6, 3, 1e5, 2]))
    a, alpha, b, beta = fit.x
    print(f"cost_a_yen={a:.1f} cost_alpha={alpha:.4f} cost_b_yen={b:.1f} cost_beta={beta:.4f}")
    for name, got, want in zip(["<20k mean", "100-200k mean", "total", "<200k total", ">=200k total"],
                               figures(fit.x), target):
        print(f"  {name:14} fitted {got:,.0f}  published {want:,.0f}")
    return 0 if np.allclose(figures(fit.x), target, rtol=0.01) else 1


if __name__ == "__main__":
    sys.exit(main())
