r"""Fair sharing of a group's costs and savings.

Three rules are reported per member:

* **population-proportional** and **equal split** of the group-level one-off cost
  (joint planning), on top of each member's own one-off costs;
* the **Shapley value** of the savings game :math:`v(S)` = expected NPV of coalition
  *S* formed as its own group (same go-live year and package; :math:`v(S)=0` for
  :math:`|S|<2`, i.e. staying alone is the baseline):

  .. math:: \phi_i = \sum_{S \subseteq N\setminus\{i\}} \frac{|S|!\,(n-|S|-1)!}{n!}\,
            \big(v(S\cup\{i\}) - v(S)\big)

  exact for up to 12 members (all :math:`2^n` coalitions, vectorised), estimated from
  2,000 seeded random orders above that. :math:`\sum_i \phi_i = v(N)`.

Individual rationality: a member whose Shapley value is not positive is better off alone
and is flagged. For up to 12 members the Shapley allocation is checked against the
core: :math:`\sum_{i\in S}\phi_i \ge v(S)` for every coalition *S*.
"""

from __future__ import annotations

import numpy as np

from .scoring import GroupScore, coalition_npv

EXACT_MAX = 12
PERMUTATIONS = 2000


def _all_masks(n: int) -> np.ndarray:
    ids = np.arange(2**n)
    return ((ids[:, None] >> np.arange(n)[None, :]) & 1).astype(bool)


def shapley_exact(values: np.ndarray, n: int) -> np.ndarray:
    """Shapley values from ``values[mask]`` for every bitmask of ``n`` players."""
    from math import factorial

    sizes = np.array([bin(k).count("1") for k in range(2**n)])
    w = np.array([factorial(s) * factorial(n - s - 1) / factorial(n) for s in range(n)])
    phi = np.zeros(n)
    ids = np.arange(2**n)
    for i in range(n):
        without = ids[(ids >> i) & 1 == 0]
        phi[i] = np.sum(w[sizes[without]] * (values[without | (1 << i)] - values[without]))
    return phi


def shapley_sampled(value, n: int, seed: int) -> np.ndarray:
    """Shapley values estimated from random orders; ``value(masks)`` gives coalition values."""
    rng = np.random.default_rng(seed)
    perms = np.array([rng.permutation(n) for _ in range(PERMUTATIONS)])
    masks = np.zeros((PERMUTATIONS, n + 1, n), dtype=bool)
    for k in range(1, n + 1):
        masks[:, k, :] = masks[:, k - 1, :]
        masks[np.arange(PERMUTATIONS), k, perms[:, k - 1]] = True
    v = value(masks.reshape(-1, n)).reshape(PERMUTATIONS, n + 1)
    phi = np.zeros(n)
    np.add.at(phi, perms.ravel(), np.diff(v, axis=1).ravel())
    phi /= PERMUTATIONS
    total = value(np.ones((1, n), dtype=bool))[0]
    return phi + (total - phi.sum()) / n  # spread the sampling error so the shares add up to v(N)


def allocate(ctx, gs: GroupScore, idx: np.ndarray, vendor: int, go_live: int, best: dict) -> None:
    """Fill ``gs.shares`` and ``gs.in_core`` (and warnings) for a scored group."""
    m = ctx.model
    n = len(idx)

    def value(masks):
        return coalition_npv(ctx, idx, vendor, go_live, masks)

    if n <= EXACT_MAX:
        masks = _all_masks(n)
        values = value(masks)
        phi = shapley_exact(values, n)
        alloc = masks.astype(float) @ phi
        gs.in_core = bool(np.all(alloc >= values - 1e-6 * max(1.0, float(np.abs(values).max()))))
    else:
        phi = shapley_sampled(value, n, ctx.scenario.seed)
        gs.in_core = None
    order = [ctx.codes[i] for i in idx]
    one_off = best["one_off_i"][0]
    baseline = best["baseline_i"][0]
    rate = float(best["rate"][0])
    reg = ctx.registry_population[idx]
    fixed = 0.0 if gs.base_group_id else m.planning_group_yen
    shares = []
    for k in np.argsort(order):
        code = order[k]
        shares.append({
            "code": code,
            "name": ctx.data.name(code),
            "own_one_off_yen": round(float(one_off[k])),
            "cost_share_yen": round(float(one_off[k] + fixed * reg[k] / reg.sum())),
            "cost_share_equal_yen": round(float(one_off[k] + fixed / n)),
            "savings_yen": round(float(rate * baseline[k])),
            "shapley_yen": round(float(phi[k])),
            "better_than_alone": bool(phi[k] > 0),
        })
        if phi[k] <= 0:
            gs.warnings.append(f"{code} {ctx.data.name(code)} gains nothing in this group (Shapley share "
                               f"{phi[k]:,.0f} yen): better off alone")
    gs.shares = shares
    if gs.in_core is False:
        gs.warnings.append("the Shapley allocation is not in the core: some sub-group would do better on its own")
