r"""Fit the value model to the published figures and to who really joins, with its uncertainty.

    python tools/fit_value_model.py [--draws 200] [--seed 0] [--skip-plans]

Three stages, each printed beside a naive answer; the knob values of ``optimizer/config.py`` are
what this prints (``tests/model/test_value_model.py`` checks it).

**1. The saving from sharing** (``sharing_saving`` :math:`\theta`, ``outcome_sd`` :math:`\sigma`,
``sharing_saving_sd``). A group runs its largest member's system, extended to the others
(``optimizer/model/cost.py``); its annual saving is

.. math:: \Delta(S) = \theta \Big(\sum_{i \in S} b_i - \max_{i \in S} b_i\Big),

so its reduction rate is :math:`r(S) = \theta\,x(S)`, :math:`x(S) = 1 - \max_i b_i / \sum_i b_i`: two
equals save :math:`\theta/2`, a group dominated by one member little (a city with villages), many
similar members nearly :math:`\theta`. A group's reported outcome is :math:`r(S) + e`,
:math:`e \sim N(0, \sigma^2)`. Maximum likelihood on (a) the case studies that report a
running-cost reduction (like-for-like; cases with another basis are printed beside, not fitted)
and (b) the 2016 distribution of 45 groups' reductions over four bins, approximated by the 59 real
groups of 2017 (multinomial likelihood of the bin counts). Uncertainty: a bootstrap over the cases
and the bin counts (``--draws`` refits).

**2. Who joins: the cost of standardising work** (``standard_below_pop`` :math:`p_0`,
``custom_from_pop`` :math:`p_1`; ``standardisation_years`` :math:`\kappa` is an assumption, one
contract term). A member's share of non-standard work :math:`1 - s(p)` rises from 0 at :math:`p_0` to 1
at :math:`p_1` (linear in log population); fitting it to the uncustomised shared package costs
:math:`\kappa (1 - s(p_i)) b_i` once. The saving of stage 1 is unchanged (the case studies are groups that
did form). Revealed preference: :math:`(p_0, p_1)` minimise the total-variation distance between the
population-band mix of the municipalities placed by per-prefecture plans (odd prefecture codes)
and the mix of the 312 members of joint clouds in 2016 (CAO WG14: 265 / 43 / 4 / 0 under 50
thousand / 50-200 / 200-500 / 500 thousand or more); checked on the even prefecture codes.

**3. Who groups with whom: crossing a prefecture line** (``cross_prefecture_yen``). 4 of the 59
real groups (2017) cross a prefecture line. Plans of four regions solved as one instance each
(東北, 中部, 中国, 九州) choose the grid value whose share of crossing groups is nearest; checked on
関東, 近畿 and 四国.

Sources: ``../shared/data/case_studies_h29.csv`` (総務省 2017), ``jichitai_cloud_group_cases.csv``
(press and public material, per-row source keys there), ``jichitai_cloud_reduction_distribution``
and ``seed_figures.json`` (総務省, groups analysed 2016-01), ``cloud_adoption_by_population_2016.csv``
(内閣府 WG14, 2016), the shipped real groups (総務省, 2017-10). Figures only; nothing copied.
"""

from __future__ import annotations

import argparse
import sys
from math import erf, sqrt
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimizer.config import ModelParameters, Scenario  # noqa: E402
from optimizer.inputs.dataset import load  # noqa: E402
from optimizer.model import cost  # noqa: E402
from optimizer.model.context import Context  # noqa: E402

#: 総務省, the 45 groups with a confirmed figure of the 56 analysed in 2016-01: <20%, 20-30%, 30-40%, >=40%.
BINS_2016 = np.array([9, 7, 18, 11], dtype=float)
BIN_EDGES = (0.2, 0.3, 0.4)

#: Case studies with a published reduction (percent), by member codes, with the basis of the figure:
#: ``running`` (the running cost of the systems moved: like-for-like with the model) or ``other`` (total cost
#: over a period including one-off costs, a partial scope, a target, or a basis not stated).
CASES = [
    ("C1 南国市・香南市・香美市", ["39204", "39211", "39212"], 23.7, "running", "運用コスト, 3 cities (総務省 2017)"),
    ("C4 岡崎市・豊橋市 (国保・年金)", ["23202", "23201"], 25.0, "running",
     "running cost over 5 years of 国保・年金 (the 税総合 figure, 70%, compares with per-tax legacy systems)"),
    ("C5 弘前市・大鰐町・田舎館村・西目屋村", ["02202", "02362", "02367", "02343"], 11.0, "running",
     "運用コスト, about 11% on average for the 4 (read as the group's total)"),
    ("置賜 8 市町", ["06202", "06213", "06381", "06382", "06209", "06401", "06402", "06403"], 40.0, "running",
     "annual saving about 2 億円 (APPLIC)"),
    ("有田・御坊・美浜・由良・印南・上富田", ["30204", "30205", "30381", "30383", "30390", "30404"], 26.4, "running",
     "core running cost over 5 years, 20.1 -> 14.8 億円"),
    ("高石市・忠岡町", ["27225", "27341"], 29.0, "running", "annual running cost 1.2 -> 0.8-0.9 億円 (25-33%)"),
    ("C2 埼玉県町村会 (18)", "G015", 44.6, "other", "total cost over 5 years, items not stated"),
    ("C3 橋本市・大和郡山市", ["30203", "29203"], 30.0, "other", "'cost', basis not stated"),
    ("C6 長岡市ほか4", ["15202", "15204", "15211", "15225", "15586"], 50.0, "other", "expenses over 10 years"),
    ("秋田県12町村 (G009)", "G009", 46.7, "other", "reported, basis not stated"),
    ("小平・東村山・東久留米", ["13211", "13213", "13222"], 20.0, "other", "a target"),
]

#: 内閣府 WG14 (2016): members of joint clouds by population band (<50k, 50-200k, 200-500k, >=500k).
JOINT_2016 = np.array([265, 43, 4, 0], dtype=float)
BANDS = ((0, 50_000), (50_000, 200_000), (200_000, 500_000), (500_000, 10**10))
#: Real groups (総務省 2017-10): 4 of 59 cross a prefecture line.
CROSSING_REAL = 4 / 59
REGIONS = {"東北": range(2, 8), "関東": range(8, 15), "中部": range(15, 24), "近畿": range(24, 31),
           "中国": range(31, 36), "四国": range(36, 40), "九州": range(40, 48)}
FIT_REGIONS, CHECK_REGIONS = ("東北", "中部", "中国", "九州"), ("関東", "近畿", "四国")
P0_GRID = (15_000.0, 20_000.0, 30_000.0, 50_000.0)
P1_GRID = (700_000.0, 1_000_000.0, 2_000_000.0, 3_000_000.0, 5_000_000.0)
CROSS_GRID = (3e6, 10e6, 15e6, 20e6, 25e6, 30e6, 40e6, 50e6, 100e6)
#: Stage 2 and 3 plans: one wave, a fixed budget and seed (the scenario's).
PLAN_SCENARIO = {"roadmap_years": 1, "time_limit_s": 30.0}


# ---------------------------------------------------------------------------------------------- stage 1
def case_codes(data, spec) -> list[str]:
    return data.group_members[spec] if isinstance(spec, str) else list(spec)


def structure(data, codes: list[str], m: ModelParameters) -> float:
    """:math:`x(S) = 1 - \\max_i b_i / \\sum_i b_i` of a member set at the curve's cost (the rate per unit of
    :math:`\\theta`), as :func:`optimizer.model.cost.shared_system` computes it."""
    n = len(codes)
    pop = data.municipalities.loc[codes, "registry_population"].to_numpy(float)
    nan = np.full(n, np.nan)
    b = cost.baseline_cost(pop, nan, nan, np.zeros(n, bool), m)
    parts = cost.shared_system(b[None, :], pop[None, :], np.ones((1, n), bool), np.zeros((1, n), bool), m)
    return float(parts["structure"][0])


def bin_probabilities(rate: np.ndarray, sigma: float) -> np.ndarray:
    """Mean probability of each 2016 bin over groups whose outcomes are N(rate, sigma^2)."""
    cdf = np.vectorize(lambda z: 0.5 * (1.0 + erf(z / sqrt(2.0))))
    e = np.asarray(BIN_EDGES)[None, :]
    c = cdf((e - np.asarray(rate)[:, None]) / sigma)
    return np.diff(np.hstack([np.zeros((len(rate), 1)), c, np.ones((len(rate), 1))]), axis=1).mean(axis=0)


def neg_log_likelihood(theta: float, sigma: float, x_cases, y_cases, x_groups, counts) -> float:
    if not (0.0 < theta < 1.5 and 0.005 < sigma < 0.5):
        return 1e12
    r = theta * np.asarray(x_cases)
    ll = -0.5 * np.sum(((np.asarray(y_cases) - r) / sigma) ** 2) - len(r) * np.log(sigma)
    if counts is not None:
        q = bin_probabilities(theta * np.asarray(x_groups), sigma)
        ll += float(np.sum(counts * np.log(np.maximum(q, 1e-12))))
    return -ll


def fit(x_cases, y_cases, x_groups, counts=BINS_2016) -> tuple[float, float]:
    """Maximum likelihood (theta, sigma): a fine grid, then a local refinement (deterministic). ``counts=None``:
    the cases only."""
    from scipy.optimize import minimize

    grid = [(t, s) for t in np.arange(0.20, 0.90, 0.01) for s in np.arange(0.03, 0.20, 0.005)]
    t0, s0 = min(grid, key=lambda ts: neg_log_likelihood(*ts, x_cases, y_cases, x_groups, counts))
    res = minimize(lambda v: neg_log_likelihood(v[0], v[1], x_cases, y_cases, x_groups, counts), [t0, s0],
                   method="Nelder-Mead", options={"xatol": 1e-7, "fatol": 1e-9, "maxiter": 2000})
    return float(res.x[0]), float(res.x[1])


def stage_one_inputs(data, m: ModelParameters):
    """(structures of the 59 real groups, running cases [(label, x, reported rate)])."""
    groups = [structure(data, codes, m) for _, codes in sorted(data.group_members.items())]
    running = [(lab, structure(data, case_codes(data, c), m), r / 100) for lab, c, r, basis, _ in CASES
               if basis == "running"]
    return groups, running


def fit_sharing(data, m: ModelParameters) -> tuple[float, float]:
    """Stage 1: (theta, sigma) at the shipped data."""
    groups, running = stage_one_inputs(data, m)
    return fit([x for _, x, _ in running], [y for _, _, y in running], groups)


def bootstrap(data, m: ModelParameters, draws: int, seed: int) -> np.ndarray:
    """Refits of (theta, sigma): the cases with replacement, the bin counts multinomially."""
    groups, running = stage_one_inputs(data, m)
    xc, yc = np.array([x for _, x, _ in running]), np.array([y for _, _, y in running])
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(draws):
        k = rng.integers(0, len(xc), len(xc))
        counts = rng.multinomial(int(BINS_2016.sum()), BINS_2016 / BINS_2016.sum()).astype(float)
        out.append(fit(xc[k], yc[k], groups, counts))
    return np.array(out)


# ---------------------------------------------------------------------------------------------- stages 2, 3
def _plans(data, model: dict, instances: list[list[str]]):
    from optimizer.solve.plan import propose

    ctx = Context(data, Scenario(**PLAN_SCENARIO).replace(model=model))
    return [propose(ctx, prefs, validate=False, shares=False)[0] for prefs in instances]


def band_counts(data, plans) -> np.ndarray:
    """Municipalities placed by the plans (movers), by the 2016 population bands."""
    pop = data.municipalities["registry_population"]
    placed = [c for plan in plans for g in plan.groups for c in g.movers]
    return np.array([sum(lo <= pop[c] < hi for c in placed) for lo, hi in BANDS], dtype=float)


def tv(counts: np.ndarray, real: np.ndarray = JOINT_2016) -> float:
    """Total-variation distance between two band mixes."""
    return 0.5 * float(np.abs(counts / max(counts.sum(), 1) - real / real.sum()).sum())


def prefectures(data, parity: int) -> list[list[str]]:
    """Each prefecture of odd (1) or even (0) code as its own instance."""
    return [[p] for p in sorted(data.municipalities["prefecture_code"].unique()) if int(p) % 2 == parity]


def fit_standardisation(data, log=print) -> tuple[float, float]:
    """Stage 2: the (p0, p1) on the grid whose placements in odd prefectures mix like the 2016 joint clouds."""
    best = None
    for p0 in P0_GRID:
        for p1 in P1_GRID:
            counts = band_counts(data, _plans(data, {"standard_below_pop": p0, "custom_from_pop": p1},
                                              prefectures(data, 1)))
            log(f"   p0 {p0:>9,.0f}  p1 {p1:>11,.0f}: placed by band {counts.astype(int).tolist()}, "
                f"distance {tv(counts):.3f}")
            if best is None or tv(counts) < best[0] - 1e-12:
                best = (tv(counts), p0, p1)
    return best[1], best[2]


def crossing_share(data, model: dict, regions) -> tuple[int, int]:
    """(groups crossing a prefecture line, groups) of the regions' plans, each region one instance."""
    plans = _plans(data, model, [[f"{p:02d}" for p in REGIONS[r]] for r in regions])
    groups = [g for plan in plans for g in plan.groups]
    return sum(len({c[:2] for c in g.members}) > 1 for g in groups), len(groups)


def fit_cross_prefecture(data, model: dict, log=print) -> float:
    """Stage 3: the grid value whose share of crossing groups in the fitting regions is nearest the real share
    (``model``: stage 2's values)."""
    best = None
    for y in CROSS_GRID:
        k, n = crossing_share(data, {**model, "cross_prefecture_yen": y}, FIT_REGIONS)
        log(f"   {y / 1e6:6.1f} M yen: {k} of {n} groups cross ({k / n:.1%})")
        if best is None or abs(k / n - CROSSING_REAL) < best[0] - 1e-12:
            best = (abs(k / n - CROSSING_REAL), y)
    return best[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--draws", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-plans", action="store_true", help="stage 1 only (stages 2-3 solve plans, about 2 min)")
    args = ap.parse_args()
    data, m = load(), ModelParameters()
    theta, sigma = fit_sharing(data, m)
    print(f"1. SAVING FROM SHARING: theta {theta:.4f}, sigma {sigma:.4f} (6 running-cost cases + 2016 bins)")
    for lab, c, r, basis, note in CASES:
        x = structure(data, case_codes(data, c), m)
        print(f"   {lab:36} {basis:7} reported {r:5.1f}%  model {100 * theta * x:5.1f}%  ({note})")
    groups, _ = stage_one_inputs(data, m)
    q = bin_probabilities(theta * np.asarray(groups), sigma)
    print("   2016 bins <20 / 20-30 / 30-40 / >=40: model " + " / ".join(f"{v:.1%}" for v in q)
          + " vs reported " + " / ".join(f"{v:.1%}" for v in BINS_2016 / BINS_2016.sum()))
    d = bootstrap(data, m, args.draws, args.seed)
    print(f"   bootstrap ({args.draws} refits, seed {args.seed}): theta sd {d[:, 0].std(ddof=1):.4f} "
          f"(p10-p90 {np.percentile(d[:, 0], 10):.3f}-{np.percentile(d[:, 0], 90):.3f}), sigma sd "
          f"{d[:, 1].std(ddof=1):.4f}")
    knobs = [f"sharing_saving = {theta:.3f}", f"sharing_saving_sd = {d[:, 0].std(ddof=1):.3f}",
             f"outcome_sd = {sigma:.3f}"]
    if not args.skip_plans:
        print("\n2. WHO JOINS (fit on odd prefecture codes; 2016 joint-cloud members by band "
              f"{JOINT_2016.astype(int).tolist()})")
        p0, p1 = fit_standardisation(data)
        for label, model in (("fitted", {"standard_below_pop": p0, "custom_from_pop": p1}),
                             ("no standardisation cost (naive)", {"standardisation_years": 0.0})):
            for parity, half in ((1, "odd (fit)"), (0, "even (held out)")):
                counts = band_counts(data, _plans(data, model, prefectures(data, parity)))
                print(f"   {label:31} {half:16} placed by band {counts.astype(int).tolist()}, distance "
                      f"{tv(counts):.3f}")
        print(f"\n3. WHO GROUPS WITH WHOM (fit on {'・'.join(FIT_REGIONS)}; real {CROSSING_REAL:.1%} of groups cross)")
        joins = {"standard_below_pop": p0, "custom_from_pop": p1}
        y = fit_cross_prefecture(data, joins)
        for label, model in (("fitted", {**joins, "cross_prefecture_yen": y}),
                             ("no crossing cost (naive)", {**joins, "cross_prefecture_yen": 0.0})):
            k, n = crossing_share(data, model, CHECK_REGIONS)
            print(f"   {label:25} held out ({'・'.join(CHECK_REGIONS)}): {k} of {n} groups cross ({k / n:.1%})")
        knobs += [f"standard_below_pop = {p0:,.0f}", f"custom_from_pop = {p1:,.0f}", f"cross_prefecture_yen = {y:,.0f}"]
    print("\nknobs: " + ", ".join(knobs))


if __name__ == "__main__":
    main()
