r"""Cost model: baseline IT cost, the group's reduction rate, one-off costs, subsidy and timing.

Cost base of municipality *i* with registry population :math:`p_i` (住民基本台帳; the
systems serve registered residents): the annual running cost of the systems that move,

.. math:: b_i = s \, p_i \, c(p_i), \qquad c(p) = a\,(p/10^4)^{-\alpha} + b\,(p/10^5)^{\beta}

with :math:`c` the whole per-resident IT budget (基幹系+内部系, 整備費+運用費; U-shaped: 11,700 yen
per resident under 20 thousand, 3,100 at 100-200 thousand, rising above 200 thousand) and
:math:`s` the running share of the scope (``core_running_share``, plus
``internal_running_share`` for ``cost_scope = "core_internal"``). The survey's
``annual_it_cost_yen`` replaces :math:`p_i c(p_i)`, its ``core_system_cost_yen`` replaces the
core part; solo-cloud members are scaled by ``solo_cost_factor``.

Reduction rate of a group *S* with :math:`n = |S|` members, population gap
:math:`g = \log_{10}(p_{max}/p_{min})` and share :math:`w` of members changing package:

.. math:: \ell(S) = r_0 + s \ln n - \gamma g - \omega w, \qquad
          R(S) = \ell(S) + \varepsilon,\quad
          \varepsilon \sim (1-q)\,\mathcal N(0,\sigma^2) + q\,\mathcal N(-\delta,\sigma^2)

The mixture's second component is the share of groups that fall short (customisation
kept, part of the systems moved). The model is a location family, so the quantiles
are :math:`\ell(S) + z_k` with fixed offsets :math:`z_k`; the expected rate
:math:`\ell(S) - q\delta` drives money figures (clipped to
``[reduction_min, reduction_max]``).

One-off costs per member: planning, consultant, data migration
(base + per resident, times a factor for the package move: same / both support
中間標準レイアウト / other), training, stabilisation; plus a planning cost per group. All
are eligible for 特別交付税: subsidy = eligible × 0.5 × 財政力補正(FSI).

Timing: a member whose next renewal :math:`y_i` is before go-live :math:`t` extends its
contract (premium × annual cost × :math:`(t - y_i)`); one renewing after go-live leaves
early (exit cost × annual cost × :math:`(y_i - t)`). Savings accrue for
``horizon_years`` from go-live, discounted to ``planning_fy``:
:math:`A(t) = \sum_{k=0}^{H-1} (1+d)^{-(t - t_0 + k)}`.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ..config import ModelParameters


def per_resident_cost(pop, m: ModelParameters):
    """U-shaped annual IT cost per resident (yen) at population ``pop``."""
    p = np.maximum(np.asarray(pop, dtype=float), 100.0)
    return m.cost_a_yen * (p / 1e4) ** (-m.cost_alpha) + m.cost_b_yen * (p / 1e5) ** m.cost_beta


def scope_share(scope: str, m: ModelParameters) -> float:
    """Share of the whole IT budget that is the running cost of the systems that move under ``scope``."""
    return m.core_running_share + (m.internal_running_share if scope == "core_internal" else 0.0)


def baseline_cost(pop, reported_it, reported_core, solo, m: ModelParameters, scope: str = "core") -> np.ndarray:
    r"""Annual running cost (yen) of the systems that move: the cost base of savings and timing costs.

    :math:`b_i = s \cdot \mathrm{IT}_i` with :math:`\mathrm{IT}_i` the whole IT budget (the survey's
    ``annual_it_cost_yen`` where given, else :math:`p_i c(p_i)`, solo clouds scaled) and :math:`s` the
    scope's running share (:func:`scope_share`). A survey value of ``core_system_cost_yen`` (the
    municipality's own figure for its 基幹系 running cost) replaces the core part.
    """
    pop = np.asarray(pop, dtype=float)
    est = per_resident_cost(pop, m) * np.maximum(pop, 100.0)
    est = np.where(np.asarray(solo, dtype=bool), est * m.solo_cost_factor, est)
    rep = np.asarray(reported_it, dtype=float)
    whole = np.where(np.isfinite(rep) & (rep > 0), rep, est)
    core = np.asarray(reported_core, dtype=float)
    core = np.where(np.isfinite(core) & (core > 0), core, whole * m.core_running_share)
    return core + (whole * m.internal_running_share if scope == "core_internal" else 0.0)


def subsidy_correction(fsi, m: ModelParameters):
    """財政力補正 (assumption): rises as the fiscal strength index falls; 1.0 at FSI 0.5."""
    return np.clip(m.subsidy_corr_intercept - np.asarray(fsi, dtype=float), m.subsidy_corr_min, m.subsidy_corr_max)


def reduction_location(n, pop_gap_decades, switch_share, m: ModelParameters):
    """Location :math:`\\ell(S)` of the reduction-rate distribution (vectorised)."""
    n = np.maximum(np.asarray(n, dtype=float), 1.0)
    return (m.reduction_r0 + m.reduction_size_slope * np.log(n)
            - m.reduction_gap_penalty * np.asarray(pop_gap_decades) - m.reduction_switch_penalty * np.asarray(switch_share))


_ERFC = np.frompyfunc(math.erfc, 1, 1)


def ndtr(x):
    """Standard normal CDF, :math:`\\Phi(x) = \\tfrac12 \\operatorname{erfc}(-x/\\sqrt2)` (vectorised; the standard
    library's erfc, so that no SciPy module is imported at start-up)."""
    return 0.5 * np.asarray(_ERFC(-np.asarray(x, dtype=float) / math.sqrt(2.0)), dtype=float)


@lru_cache(maxsize=32)
def _offsets(sigma: float, q: float, delta: float) -> tuple[float, float, float, float]:
    """Quantile offsets (p10, p50, p90) and mean offset of the mixture noise."""
    def cdf(x):
        return (1 - q) * ndtr(x / sigma) + q * ndtr((x + delta) / sigma)

    qs = []
    for p in (0.1, 0.5, 0.9):  # bisection: the CDF is increasing
        lo, hi = -delta - 8 * sigma, 8 * sigma
        for _ in range(100):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if cdf(mid) < p else (lo, mid)
        qs.append(0.5 * (lo + hi))
    return (*qs, -q * delta)


def reduction_distribution(location, m: ModelParameters) -> dict[str, float]:
    """p10, p50, p90 and mean of the reduction rate for a location (clipped)."""
    o10, o50, o90, omean = _offsets(m.reduction_sigma, m.reduction_shortfall_p, m.reduction_shortfall)
    clip = lambda x: float(np.clip(x, m.reduction_min, m.reduction_max))  # noqa: E731
    return {"p10": clip(location + o10), "p50": clip(location + o50), "p90": clip(location + o90),
            "mean": clip(location + omean)}


def expected_reduction(location, m: ModelParameters):
    """Expected reduction rate (vectorised), used for all money figures."""
    omean = -m.reduction_shortfall_p * m.reduction_shortfall
    return np.clip(np.asarray(location) + omean, m.reduction_min, m.reduction_max)


def bin_probabilities(location, m: ModelParameters, edges=(0.2, 0.3, 0.4)) -> np.ndarray:
    """P(R < 20%), P(20-30%), P(30-40%), P(>= 40%) for each location (rows)."""
    loc = np.atleast_1d(np.asarray(location, dtype=float))[:, None]
    e = np.asarray(edges)[None, :]
    s, q, d = m.reduction_sigma, m.reduction_shortfall_p, m.reduction_shortfall
    cdf = (1 - q) * ndtr((e - loc) / s) + q * ndtr((e - loc + d) / s)
    return np.diff(np.hstack([np.zeros((len(loc), 1)), cdf, np.ones((len(loc), 1))]), axis=1)


def migration_factor(from_vendor: str, to_vendor: str, layout: dict[str, bool], m: ModelParameters) -> float:
    """Cost factor of moving data from one package to another."""
    if from_vendor == to_vendor:
        return m.migration_factor_same
    if layout.get(from_vendor) and layout.get(to_vendor):
        return m.migration_factor_layout
    return m.migration_factor_other


def member_one_off(pop, mig_factor, m: ModelParameters) -> np.ndarray:
    """Per-member one-off cost (yen), all subsidy-eligible: planning, consultant, migration, training, stabilisation."""
    pop = np.asarray(pop, dtype=float)
    migration = (m.migration_base_yen + m.migration_per_resident_yen * pop) * np.asarray(mig_factor)
    training = m.training_base_yen + m.training_per_resident_yen * pop
    return m.planning_member_yen + m.consultant_member_yen + migration + training + m.stabilisation_member_yen


def annuity(go_live, planning_fy: int, m: ModelParameters) -> np.ndarray:
    """Present value at ``planning_fy`` of 1 yen a year for ``horizon_years`` from ``go_live`` (vectorised)."""
    t = np.asarray(go_live, dtype=float) - planning_fy
    return ((1 + m.discount_rate) ** -(t[..., None] + np.arange(m.horizon_years))).sum(axis=-1)


def discount(year, planning_fy: int, m: ModelParameters) -> np.ndarray:
    """Discount factor from ``year`` back to ``planning_fy`` (vectorised)."""
    return (1 + m.discount_rate) ** -(np.asarray(year, dtype=float) - planning_fy)


def timing_cost(baseline, renewal, go_live, m: ModelParameters) -> np.ndarray:
    """Cost of going live in ``go_live`` for a member whose next renewal is ``renewal`` (yen, broadcasts).

    Its contracts end at the renewal and every ``contract_years`` after it. Going live before the
    next renewal means leaving the contract early (``early_exit_cost`` of the annual cost per
    remaining year); going live after a contract end means either extending the old contract to
    go-live (``extension_premium`` per year) or renewing and leaving the new contract early,
    whichever costs less. Going live at a contract end costs nothing.
    """
    gap = np.asarray(go_live, dtype=np.int64) - np.asarray(renewal, dtype=np.int64)  # whole fiscal years
    since = np.mod(gap, m.contract_years)  # years since the last contract end (gap >= 0)
    late = np.minimum(m.extension_premium * since, m.early_exit_cost * np.where(since > 0, m.contract_years - since, 0))
    return np.where(gap >= 0, late, -m.early_exit_cost * gap) * np.asarray(baseline)


def years_from_contract_end(renewal, year, m: ModelParameters) -> np.ndarray:
    """Years between ``year`` and the nearest contract end (next renewal + k ``contract_years``, k >= 0)."""
    gap = np.asarray(year, dtype=np.int64) - np.asarray(renewal, dtype=np.int64)
    since = np.mod(gap, m.contract_years)
    return np.where(gap >= 0, np.minimum(since, m.contract_years - since), -gap)


def next_contract_end(renewal, year, m: ModelParameters) -> np.ndarray:
    """The first contract end (next renewal + k ``contract_years``) in or after ``year``."""
    r = np.asarray(renewal)
    gap = np.asarray(year) - r
    k = np.maximum(0, -(-gap // m.contract_years))
    return r + k * m.contract_years
