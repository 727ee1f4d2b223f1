"""How well the value model predicts reported reductions, out of sample, beside naive answers.

    python benchmarks/calibration.py

The model (``optimizer/model/cost.py``, fitted by ``tools/fit_value_model.py``): a group's rate is
``theta * (1 - max_i b_i / sum_i b_i)``. Printed:

1. leave-one-case-out on the six like-for-like running-cost cases: refit theta (and sigma) on the other
   five and the 2016 bins, predict the held-out case; beside a constant 30%, the best constant (the
   median of the other cases) and the size-only model the project used before (``r0 + s ln n - 0.01
   log10(p_max/p_min)``, refit by least squares on the other cases); the same over all 11 cases
   (five of them on another basis: totals, targets, unstated);
2. the predicted spread (share of groups below 20% and at 40% or more) against the 2016 distribution
   of 45 groups: the model fitted on the cases only (the bins held out), the full fit (in sample),
   and the naive answers (a constant has no spread);
3. the 弘前-type case (a city with villages) and the uncertainty of theta (bootstrap).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

import fit_value_model as F  # noqa: E402
from optimizer.config import ModelParameters  # noqa: E402
from optimizer.inputs.dataset import load  # noqa: E402


def size_only(data, codes) -> tuple[float, float]:
    """(ln n, log10 population gap) of a member set: the features of the former size-only model."""
    p = np.maximum(data.municipalities.loc[codes, "registry_population"].to_numpy(float), 100.0)
    return float(np.log(len(codes))), float(np.log10(p.max() / p.min()))


def fit_size_only(X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least squares (r0, s) of ``y = r0 + s ln n - 0.01 gap``."""
    A = np.column_stack([np.ones(len(X)), X[:, 0]])
    coef, *_ = np.linalg.lstsq(A, y + 0.01 * X[:, 1], rcond=None)
    return float(coef[0]), float(coef[1])


def loco(data, m, cases, groups) -> dict:
    """Absolute errors (points) of each predictor, leaving each case out in turn."""
    x = np.array([F.structure(data, F.case_codes(data, c), m) for _, c, _, _, _ in cases])
    X = np.array([size_only(data, F.case_codes(data, c)) for _, c, _, _, _ in cases])
    y = np.array([r / 100 for _, _, r, _, _ in cases])
    err = {k: [] for k in ("model", "constant 30%", "best constant", "size-only model")}
    rows = []
    for k in range(len(cases)):
        keep = np.arange(len(cases)) != k
        theta, _ = F.fit(x[keep], y[keep], groups)
        r0, s = fit_size_only(X[keep], y[keep])
        pred = {"model": theta * x[k], "constant 30%": 0.30, "best constant": float(np.median(y[keep])),
                "size-only model": r0 + s * X[k, 0] - 0.01 * X[k, 1]}
        for name, p in pred.items():
            err[name].append(100 * abs(p - y[k]))
        rows.append((cases[k][0], 100 * y[k], {n: 100 * p for n, p in pred.items()}))
    return {"errors": {n: np.array(e) for n, e in err.items()}, "rows": rows}


def main() -> None:
    data, m = load(), ModelParameters()
    groups, _ = F.stage_one_inputs(data, m)
    running = [c for c in F.CASES if c[3] == "running"]
    for label, cases in (("the 6 running-cost cases (like for like)", running), ("all 11 cases", F.CASES)):
        res = loco(data, m, cases, groups)
        print(f"\n1. LEAVE-ONE-CASE-OUT on {label}: predicted rate (%) of the held-out case")
        print(f"   {'case':38} {'reported':>8} " + " ".join(f"{n:>16}" for n in res["errors"]))
        for name, rep, pred in res["rows"]:
            print(f"   {name:38} {rep:8.1f} " + " ".join(f"{pred[n]:16.1f}" for n in res["errors"]))
        print("   MAE (points)                                   " + " ".join(
            f"{e.mean():16.2f}" for e in res["errors"].values()))
    print("\n2. SPREAD of the 59 real groups' predicted outcomes against the 2016 report (45 groups)")
    rep = F.BINS_2016 / F.BINS_2016.sum()
    xc = [F.structure(data, F.case_codes(data, c), m) for _, c, _, b, _ in running]
    yc = [r / 100 for _, _, r, _, _ in running]
    theta_c, sigma_c = F.fit(xc, yc, groups, counts=None)
    for label, (theta, sigma) in (("model fitted on the cases only (bins held out)", (theta_c, sigma_c)),
                                  ("model, full fit (in sample)", (m.sharing_saving, m.outcome_sd))):
        q = F.bin_probabilities(theta * np.asarray(groups), sigma)
        print(f"   {label:48} below 20%: {q[0]:5.1%}   at 40% or more: {q[3]:5.1%}   (theta {theta:.3f}, "
              f"sigma {sigma:.3f})")
    print(f"   {'constant 30% (no spread)':48} below 20%: {0:5.1%}   at 40% or more: {0:5.1%}")
    print(f"   {'reported 2016':48} below 20%: {rep[0]:5.1%}   at 40% or more: {rep[3]:5.1%}")
    hiro = F.structure(data, ["02202", "02362", "02367", "02343"], m)
    print(f"\n3. 弘前市 with three villages (reported 11%): model {100 * m.sharing_saving * hiro:.1f}%, "
          f"constant 30%; theta {m.sharing_saving} +/- {m.sharing_saving_sd} (bootstrap sd, tools/fit_value_model.py)")


if __name__ == "__main__":
    main()
