r"""Cost model: what a municipality's systems cost alone and in a shared system; one-off costs, subsidy, timing.

**Alone.** Cost base of municipality *i* with registry population :math:`p_i` (住民基本台帳; the
systems serve registered residents): the annual running cost of the systems that move,

.. math:: b_i = f\, s \, p_i \, c(p_i), \qquad c(p) = a\,(p/10^4)^{-\alpha} + b\,(p/10^5)^{\beta}

with :math:`c` the whole per-resident IT budget (基幹系+内部系, 整備費+運用費; U-shaped: 11,700 yen
per resident under 20 thousand, 3,100 at 100-200 thousand, rising above 200 thousand), :math:`s`
the running share of the scope (``core_running_share``, plus ``internal_running_share`` for
``cost_scope = "core_internal"``) and :math:`f` the level of running costs after a migration
(``post_migration_cost_factor``, 1 = FY2017). The survey's ``annual_it_cost_yen`` replaces
:math:`p_i c(p_i)`, its ``core_system_cost_yen`` the core part; solo clouds are scaled by
``solo_cost_factor``.

**In a shared system.** A member's running cost has a part that is its *system* (package,
infrastructure, operation; share :math:`\delta` = ``system_share``) and a part of its *own*
(interfaces, local work; :math:`1-\delta`), which stays with it. A group runs one system: its
largest member's (the host :math:`h = \arg\max_i b_i`), extended to each other member at a
fraction :math:`\lambda` of what that member's own system costs. The group's running cost is

.. math:: C(S) = (1-\delta)\sum_{i\in S} b_i \;+\; \underbrace{\delta\Big(b_h + \lambda \sum_{j \ne h} b_j\Big)}_{\Phi(S):\ \text{the shared system}},
          \qquad \Delta(S) = \sum_i b_i - C(S) = \theta\Big(\sum_i b_i - \max_i b_i\Big),

with :math:`\theta = \delta(1-\lambda)` = ``sharing_saving``, **fitted** (``tools/fit_value_model.py``,
maximum likelihood on the running-cost case studies and the 2016 spread of 45 groups' reductions):
two equals save :math:`\theta/2`, a group of many similar members nearly :math:`\theta`, a city
with villages little (弘前: 11% reported). The shared system is split among the members by
population (人口割): member *i* pays :math:`(1-\delta) b_i + w_i \Phi(S)`, :math:`w_i = p_i/P_S`, so its
own saving is :math:`\delta b_i - w_i\Phi(S)` -- much for a small town far up the per-resident
curve, little for a city near its floor. Members changing package lose ``switch_penalty`` of
their running cost each year. Savings are not clipped: a group can cost more than its members alone.

**Who joins.** The case studies are groups that did form; who forms them is a separate, revealed
preference. Larger municipalities carry more work of their own (中核市・政令市 functions), which a
shared uncustomised package does not fit: a share :math:`1 - s(p)` of a member's work is non-standard
(:func:`standard_share`: 0 up to ``standard_below_pop``, 1 from ``custom_from_pop``, linear in log
population between), and fitting it to the package costs once
:math:`Z_i = \kappa (1 - s(p_i))\, b_i` (:func:`standardisation`, :math:`\kappa` =
``standardisation_years``). Crossing a prefecture line costs ``cross_prefecture_yen`` a year for each
prefecture beyond the first (:mod:`optimizer.model.scoring`). Both are calibrated on who really joins
(``tools/fit_value_model.py``).

**Uncertainty.** A group's rate :math:`r(S) = \Delta(S)/\sum_i b_i` has the fitted spread: its outcome
is :math:`r(S) + e`, :math:`e \sim N(0, \sigma^2)` (``outcome_sd``), and :math:`\theta` has the bootstrap
standard error ``sharing_saving_sd``; p10/p90 are the normal quantiles of both together.

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

    :math:`b_i = f\, s \cdot \mathrm{IT}_i` with :math:`\mathrm{IT}_i` the whole IT budget (the survey's
    ``annual_it_cost_yen`` where given, else :math:`p_i c(p_i)`, solo clouds scaled), :math:`s` the
    scope's running share (:func:`scope_share`) and :math:`f` the post-migration level. A survey value of
    ``core_system_cost_yen`` (the municipality's own figure for its 基幹系 running cost) replaces the core part.
    """
    pop = np.asarray(pop, dtype=float)
    est = per_resident_cost(pop, m) * np.maximum(pop, 100.0)
    est = np.where(np.asarray(solo, dtype=bool), est * m.solo_cost_factor, est)
    rep = np.asarray(reported_it, dtype=float)
    whole = np.where(np.isfinite(rep) & (rep > 0), rep, est)
    core = np.asarray(reported_core, dtype=float)
    core = np.where(np.isfinite(core) & (core > 0), core, whole * m.core_running_share)
    return m.post_migration_cost_factor * (core + (whole * m.internal_running_share if scope == "core_internal" else 0.0))


def subsidy_correction(fsi, m: ModelParameters):
    """財政力補正 (assumption): rises as the fiscal strength index falls; 1.0 at FSI 0.5."""
    return np.clip(m.subsidy_corr_intercept - np.asarray(fsi, dtype=float), m.subsidy_corr_min, m.subsidy_corr_max)


def standard_share(pop, m: ModelParameters) -> np.ndarray:
    r"""Share :math:`s(p)` of a municipality's work that is standard (can run on a shared package unchanged).

    .. math:: s(p) = 1 - \operatorname{clip}\Big(\frac{\log p - \log p_0}{\log p_1 - \log p_0}, 0, 1\Big)

    with :math:`p_0` = ``standard_below_pop`` and :math:`p_1` = ``custom_from_pop``: larger municipalities carry
    more functions of their own, which drives customisation.
    """
    lp = np.log(np.maximum(np.asarray(pop, dtype=float), 1.0))
    lo, hi = np.log(m.standard_below_pop), np.log(m.custom_from_pop)
    return 1.0 - np.clip((lp - lo) / (hi - lo), 0.0, 1.0)


def shared_system(b: np.ndarray, pop: np.ndarray, valid: np.ndarray, switch: np.ndarray, m: ModelParameters) -> dict:
    r"""The running-cost parts of groups (rows of members; ``valid`` marks real members, ``switch`` those
    changing package), vectorised.

    Returns per row: ``saving`` (:math:`\Delta(S)` less the switching losses), ``structure``
    (:math:`1 - \max_i b_i/\sum_i b_i`: the rate per unit of :math:`\theta`), ``shared``
    (:math:`\Phi(S)`); per member: ``own`` (annual saving under the 人口割 split, switching loss
    deducted; the members' ``own`` sum to ``saving``) and ``weight`` (:math:`w_i`). A row of one
    member saves nothing.
    """
    b = np.where(valid, b, 0.0)
    p = np.where(valid, np.maximum(pop, 1.0), 0.0)
    total = b.sum(axis=1)
    h = np.argmax(b, axis=1)
    rows = np.arange(len(b))
    host = b[rows, h]
    lam = 1.0 - m.sharing_saving / m.system_share if m.system_share > 0 else 0.0
    lam_i = np.full(b.shape, lam)
    lam_i[rows, h] = 1.0  # the host's own system: not extended
    extension = (lam_i * b).sum(axis=1) - host
    shared = m.system_share * (host + extension)
    w = p / np.maximum(p.sum(axis=1), 1.0)[:, None]
    loss = m.switch_penalty * np.where(switch & valid, b, 0.0)
    own = np.where(valid, m.system_share * b - w * shared[:, None], 0.0) - loss
    saving = m.system_share * (total - host - extension)
    with np.errstate(invalid="ignore", divide="ignore"):
        structure = np.where(total > 0, saving / np.where(total > 0, total, 1.0), 0.0) / max(m.sharing_saving, 1e-12)
    return {"saving": saving - loss.sum(axis=1), "structure": structure, "shared": shared,
            "own": own, "weight": w, "total": total}


#: The 10th and 90th percentiles of the standard normal.
Z90 = 1.2815515655446004


def rate_distribution(mean: float, structure: float, m: ModelParameters) -> dict[str, float]:
    """p10, p50, p90 and mean of a group's reduction rate: its expected rate ``mean`` with the fitted outcome
    spread and the uncertainty of ``sharing_saving`` (on ``structure``); not clipped."""
    sd = float(np.hypot(m.sharing_saving_sd * structure, m.outcome_sd))
    return {"p10": mean - Z90 * sd, "p50": mean, "p90": mean + Z90 * sd, "mean": mean}


def migration_factor(from_vendor: str, to_vendor: str, layout: dict[str, bool], m: ModelParameters) -> float:
    """Cost factor of moving data from one package to another."""
    if from_vendor == to_vendor:
        return m.migration_factor_same
    if layout.get(from_vendor) and layout.get(to_vendor):
        return m.migration_factor_layout
    return m.migration_factor_other


def standardisation(b, pop, m: ModelParameters) -> np.ndarray:
    r"""One-off cost (yen) of fitting a member's work to the shared, uncustomised package: its non-standard
    share of running cost, rebuilt as standard work over ``standardisation_years`` years of that cost,

    .. math:: Z_i = \kappa\,(1 - s(p_i))\, b_i

    (:func:`standard_share`); own staff work and process change, not eligible for 特別交付税.
    """
    return m.standardisation_years * (1.0 - standard_share(pop, m)) * np.asarray(b, dtype=float)


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
