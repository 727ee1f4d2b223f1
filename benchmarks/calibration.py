"""Calibration of the reduction model, in sample and out of sample, beside naive baselines.

    python benchmarks/calibration.py

The reduction rate's location is :math:`\\ell = r_0 + s \\ln n - \\gamma g` (n members, g the
population gap in decades; real groups run one package, so no switching term). The fit
(:func:`fit`) chooses :math:`(r_0, s)` on a grid to minimise

    total variation distance between the predicted and the reported 2016 bin shares
    (>=40%: 11, 30-40%: 18, 20-30%: 7, <20%: 9 of 45 confirmed groups)
  + mean absolute error of the predicted median (p50) on the case studies with a figure,

with the noise (sigma, shortfall) and gamma kept at their stated values. Printed:

1. in sample: the fit on everything, beside the shipped defaults;
2. leave-one-case-out: refit without each case study, predict it (MAE, bias, p10-p90
   coverage), beside the flat median of the other cases' reported reductions;
3. 5-fold cross-validated bin distance over the 59 real groups (seeded folds): refit
   on four folds (their bins and every case), predict the held-out groups' bin shares,
   beside a flat median (every held-out group at the training cases' median).

Nothing here is tuned to the test: the grid and the loss are fixed above.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimizer.model import cost  # noqa: E402
from optimizer.config import ModelParameters  # noqa: E402
from optimizer.inputs.dataset import load  # noqa: E402

REPORTED = {"<20%": 9, "20-30%": 7, "30-40%": 18, ">=40%": 11}  # 総務省, groups analysed 2016-01

# Case studies with a published reduction (%), by member codes. C1-C6: case_studies_h29.csv (総務省 2017);
# the rest: jichitai_cloud_group_cases.csv (press and public material; several are planned figures).
CASES = [
    ("C1 南国市・香南市・香美市", ["39204", "39211", "39212"], 23.7),
    ("C2 埼玉県町村会 (18)", "G015", 44.6),
    ("C3 橋本市・大和郡山市", ["30203", "29203"], 30.0),
    ("C4 岡崎市・豊橋市", ["23202", "23201"], 45.5),
    ("C5 弘前市ほか3町村", ["02202", "02362", "02367", "02343"], 11.0),
    ("C6 新潟県 長岡市ほか4", ["15202", "15204", "15211", "15225", "15586"], 50.0),
    ("置賜 (G010; 6 of the 7 reported)", "G010", 40.0),
    ("周南・下松・光・柳井・阿武", ["35215", "35207", "35210", "35212", "35502"], 50.0),
    ("秋田県12町村 (G009)", "G009", 46.7),
    ("有田・御坊・美浜・由良・印南・上富田", ["30204", "30205", "30381", "30383", "30390", "30404"], 26.4),
    ("小平・東村山・東久留米", ["13211", "13213", "13222"], 20.0),
]
R0_GRID = np.round(np.arange(0.15, 0.4501, 0.005), 3)
SLOPE_GRID = np.round(np.arange(0.0, 0.1001, 0.005), 3)
FOLDS = 5
SEED = 0


def features(data, codes: list[str]) -> tuple[float, float]:
    """(n, population gap in decades) of a member set, as the scoring model computes them."""
    p = np.maximum(data.municipalities.loc[codes, "registry_population"].to_numpy(float), 100.0)
    return len(codes), float(np.log10(p.max() / p.min())) if len(codes) >= 2 else 0.0


def locations(X: np.ndarray, r0, slope, m: ModelParameters) -> np.ndarray:
    """Locations for every (r0, slope) pair on the grid (rows) and group (columns)."""
    r0, slope = np.asarray(r0)[:, None], np.asarray(slope)[:, None]
    return r0 + slope * np.log(X[None, :, 0]) - m.reduction_gap_penalty * X[None, :, 1]


def p50(loc, m: ModelParameters):
    return np.clip(loc + cost._offsets(m.reduction_sigma, m.reduction_shortfall_p, m.reduction_shortfall)[1],
                   m.reduction_min, m.reduction_max)


def bin_shares(loc_row: np.ndarray, m: ModelParameters) -> np.ndarray:
    return cost.bin_probabilities(loc_row, m).mean(axis=0)


def tvd(a, b) -> float:
    return 0.5 * float(np.abs(np.asarray(a) - np.asarray(b)).sum())


def fit(G: np.ndarray, C: np.ndarray, c_rep: np.ndarray, rep: np.ndarray, m: ModelParameters) -> tuple[float, float]:
    """Grid fit of (r0, slope): bin TVD over groups ``G`` + case MAE over cases ``C`` (features, reported)."""
    r0, sl = np.meshgrid(R0_GRID, SLOPE_GRID, indexing="ij")
    r0, sl = r0.ravel(), sl.ravel()
    LG = locations(G, r0, sl, m)
    probs = cost.bin_probabilities(LG.ravel(), m).reshape(len(r0), len(G), 4).mean(axis=1)
    loss = 0.5 * np.abs(probs - rep[None, :]).sum(axis=1)
    if len(C):
        loss = loss + np.abs(p50(locations(C, r0, sl, m), m) - c_rep[None, :]).mean(axis=1)
    k = int(np.argmin(loss))  # ties: the first on the grid
    return float(r0[k]), float(sl[k])


def main() -> None:
    data = load()
    m = ModelParameters()
    rep = np.array(list(REPORTED.values()), dtype=float)
    rep /= rep.sum()
    G = np.array([features(data, codes) for _, codes in sorted(data.group_members.items())])
    C = np.array([features(data, data.group_members[c] if isinstance(c, str) else c) for _, c, _ in CASES])
    c_rep = np.array([r for _, _, r in CASES]) / 100.0

    # 1. in sample
    r0, sl = fit(G, C, c_rep, rep, m)
    print("1. IN SAMPLE (all 59 groups' bins + all 11 cases)")
    for label, (a, b) in (("fit", (r0, sl)), ("shipped defaults", (m.reduction_r0, m.reduction_size_slope))):
        loc = locations(G, [a], [b], m)[0]
        pred = bin_shares(loc, m)
        err = 100 * (p50(locations(C, [a], [b], m)[0], m) - c_rep)
        print(f"   {label:17} r0 {a:.3f} slope {b:.3f}: bins " + " / ".join(f"{x:.1%}" for x in pred)
              + " vs reported " + " / ".join(f"{x:.1%}" for x in rep)
              + f"; TVD {tvd(pred, rep):.3f}; case MAE {np.abs(err).mean():.1f} pt, bias {err.mean():+.1f} pt")

    # 2. leave one case out
    print("\n2. LEAVE-ONE-CASE-OUT (refit on the 59 groups' bins + the other 10 cases)")
    o10, o50, o90, _ = cost._offsets(m.reduction_sigma, m.reduction_shortfall_p, m.reduction_shortfall)
    errs, base_errs, covered = [], [], 0
    for k, (label, _, reported) in enumerate(CASES):
        keep = np.arange(len(CASES)) != k
        a, b = fit(G, C[keep], c_rep[keep], rep, m)
        loc = float(locations(C[k:k + 1], [a], [b], m)[0, 0])
        lo, mid, hi = (100 * float(np.clip(loc + o, m.reduction_min, m.reduction_max)) for o in (o10, o50, o90))
        flat = 100 * float(np.median(c_rep[keep]))
        errs.append(mid - reported)
        base_errs.append(flat - reported)
        covered += lo <= reported <= hi
        print(f"   {label:34} reported {reported:5.1f}%  model p50 {mid:5.1f}% (p10-p90 {lo:4.1f}-{hi:4.1f}; "
              f"r0 {a:.3f} slope {b:.3f})  flat median {flat:5.1f}%")
    errs, base_errs = np.array(errs), np.array(base_errs)
    print(f"   model:       MAE {np.abs(errs).mean():.1f} pt, bias {errs.mean():+.1f} pt, p10-p90 coverage "
          f"{covered}/{len(CASES)}")
    print(f"   flat median: MAE {np.abs(base_errs).mean():.1f} pt, bias {base_errs.mean():+.1f} pt")

    # 3. cross-validated bin distance
    print(f"\n3. {FOLDS}-FOLD CROSS-VALIDATED BIN DISTANCE over the 59 real groups (seed {SEED})")
    folds = np.array_split(np.random.default_rng(SEED).permutation(len(G)), FOLDS)
    model_tvd, flat_tvd = [], []
    for f, test in enumerate(folds):
        train = np.setdiff1d(np.arange(len(G)), test)
        a, b = fit(G[train], C, c_rep, rep, m)
        pred = bin_shares(locations(G[test], [a], [b], m)[0], m)
        flat = np.median(c_rep)
        onehot = np.histogram([flat], bins=[-1, 0.2, 0.3, 0.4, 2])[0].astype(float)
        model_tvd.append(tvd(pred, rep))
        flat_tvd.append(tvd(onehot, rep))
        print(f"   fold {f + 1}: {len(test):2} held-out groups, model TVD {model_tvd[-1]:.3f}, flat median "
              f"({flat:.1%}) TVD {flat_tvd[-1]:.3f}")
    print(f"   mean: model {np.mean(model_tvd):.3f}, flat median {np.mean(flat_tvd):.3f}")
    print(f"\nSUMMARY in-sample fit r0 {r0:.3f} slope {sl:.3f} (defaults {m.reduction_r0} / {m.reduction_size_slope}); "
          f"LOCO case MAE {np.abs(errs).mean():.1f} pt vs flat {np.abs(base_errs).mean():.1f}; "
          f"coverage {covered}/{len(CASES)}; CV bin TVD {np.mean(model_tvd):.3f} vs flat {np.mean(flat_tvd):.3f}")


if __name__ == "__main__":
    main()
