r"""Fair sharing of a group's value: the coalition game, the nucleolus, individual rationality.

The game
--------
The players of a **new group** *N* are its members; its value :math:`v(N)` is the group's
municipal NPV (what members pay and save, net of 特別交付税) at the plan's go-live year and
package. For an **expansion** of an existing group *G* by joiners *J*, the players are the
joiners and *G* as **one** player; :math:`v(N)` is the expansion's incremental municipal NPV
over the status quo (*G* continuing unchanged). *G* plays as one player because its members
decide on joiners together, through the group's council (協議会), and each existing member
gains the same rise of the group's rate on its own cost base; *G*'s share is split among its
members in proportion to that cost base (i.e. to their own gains).

A sub-coalition :math:`S \subsetneq N` is worth its **own best option**: the best municipal
NPV over its own go-live years and packages, if it is admissible under the business rules
(as a new group, or as an expansion of *G* when :math:`G \in S`), and at least what its
members can get by splitting into admissible sub-groups (the superadditive cover):

.. math:: v(S) = \max\Big(\hat v(S),\ \max_{T \subsetneq S,\ T \ni \min S} v(T) + v(S \setminus T)\Big),
          \qquad v(\{i\}) = 0,

with :math:`\hat v(S) = \max(0, \mathrm{NPV}^*(S))` for admissible *S* (:math:`-\infty`
otherwise). A single player's outside option is 0: staying alone, or the group unchanged.

The allocation
--------------
The **nucleolus** on the imputation set (:math:`x(N) = v(N)`, :math:`x_i \ge v(\{i\})`):
lexicographically maximise the smallest excesses :math:`e(S) = x(S) - v(S)` by a sequence of
linear programmes (GLOP, OR-Tools' simplex). The first LP

.. math:: \max t \quad\text{s.t.}\quad x(S) - v(S) \ge t\ \ \forall S \ne N,\ \emptyset;
          \quad x(N) = v(N); \quad x_i \ge 0

gives the least-core value :math:`\varepsilon = \max(0, -t^*)`: the core is non-empty iff
:math:`t^* \ge 0`, and then the nucleolus lies in the core. Each further LP fixes the excess of
the coalitions whose constraints bind in every optimum (positive dual) and drops coalitions
whose excess is then determined, until the allocation is unique. Exact (all :math:`2^n`
coalitions) up to ``EXACT_MAX`` = 12 players; beyond that the Shapley value is estimated from
2,000 seeded random orders, clipped at the outside options and rescaled to :math:`v(N)`, and
the core is not checked (``in_core`` null).

Shares are rounded to the yen by largest remainders, so they sum exactly to the value. The
Shapley value of the same game is reported beside them as a reference.

Individual rationality
----------------------
:func:`individually_rational` is the rule: every member's share at least its outside option.
Because the nucleolus is an imputation, it holds exactly when :math:`v(N) \ge 0`; that is the
batch form (:func:`optimizer.model.scoring.rational_batch`) used by candidate generation.
"""

from __future__ import annotations

from math import factorial

import numpy as np

from ..text import Msg
from . import cost
from .rules import GROUP_RULES, base_of, passes
from .scoring import batch_scores, coalition_npv, status_quo

EXACT_MAX = 12
PERMUTATIONS = 2000
JSON_MAX_PLAYERS = 10  # coalition values are written out for games of up to this many players
_SCALE = 1e6  # LPs in millions of yen


def all_masks(n: int) -> np.ndarray:
    """Every subset of ``n`` players as boolean rows; row ``k`` is the bitmask ``k``."""
    ids = np.arange(2**n)
    return ((ids[:, None] >> np.arange(n)[None, :]) & 1).astype(bool)


# --- the game ------------------------------------------------------------------------------------------
def _own_best(ctx, rows: np.ndarray, base) -> np.ndarray:
    """Best municipal NPV of each admissible row (-inf if a rule is broken), at its own best option."""
    ok = passes(ctx, rows, base, GROUP_RULES)
    out = np.full(len(rows), -np.inf)
    if ok.any():
        sel = np.nonzero(ok)[0]
        out[sel] = batch_scores(ctx, rows[sel], base, maximise="npv")["npv"]
    return out


def superadditive_cover(raw: np.ndarray, n: int) -> np.ndarray:
    """:math:`v(S)` = best split of *S* into blocks worth ``raw`` (singletons worth 0), by bitmask."""
    v = np.where(np.isfinite(raw), np.maximum(raw, 0.0), -np.inf)
    v[0] = 0.0
    for k in range(n):
        v[1 << k] = max(0.0, v[1 << k])
    order = sorted(range(1, 2**n), key=lambda s: bin(s).count("1"))
    for s in order:
        low = s & -s
        rest = s ^ low
        best = v[s]
        sub = rest
        while True:  # blocks T containing the lowest player: T = low | sub, sub a proper subset of rest
            t = low | sub
            if t != s:
                best = max(best, v[t] + v[s ^ t])
            if sub == 0:
                break
            sub = (sub - 1) & rest
        v[s] = best
    return v


def coalition_values(ctx, idx: np.ndarray, base=None, grand_value: float | None = None):
    """Players and :math:`v(S)` for every subset (by bitmask) of a group's game.

    ``idx`` are all member positions (an expansion: the existing members first). Returns
    ``(players, values)``: player labels (codes, or the group id for the existing group)
    and an array of length :math:`2^n`; ``grand_value`` (the plan's realised value)
    replaces :math:`\\hat v(N)`.
    """
    idx = np.asarray(idx, dtype=np.int64)
    if base is None:
        players = [ctx.codes[i] for i in idx]
        blocks = [[int(i)] for i in idx]
    else:
        joiners = idx[base.size:]
        players = [base.group_id] + [ctx.codes[i] for i in joiners]
        blocks = [[int(i) for i in base.idx]] + [[int(i)] for i in joiners]
    n = len(players)
    masks = all_masks(n)
    width = len(idx)
    raw = np.full(2**n, -np.inf)
    with_base = masks[:, 0] if base is not None else np.zeros(2**n, dtype=bool)
    for use_base in (False, True):
        sel = np.nonzero((with_base == use_base) & (masks.sum(axis=1) >= 2))[0]
        if len(sel) == 0:
            continue
        rows = np.full((len(sel), width), -1, dtype=np.int64)
        for r, s in enumerate(sel):
            members = [i for k in np.nonzero(masks[s])[0] for i in blocks[k]]
            rows[r, : len(members)] = members
        raw[sel] = _own_best(ctx, rows, base_of(ctx, base.group_id) if use_base else None)
    v = superadditive_cover(raw, n)
    if grand_value is not None:  # the value being shared is what the plan's group realises
        v[-1] = grand_value
    return players, v


# --- allocations -----------------------------------------------------------------------------------------
def shapley(values: np.ndarray, n: int) -> np.ndarray:
    """Exact Shapley values from ``values[mask]`` for every bitmask of ``n`` players."""
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
    return phi / PERMUTATIONS


def least_core(values: np.ndarray, n: int) -> tuple[np.ndarray, float]:
    """An allocation of the least core and :math:`t^*` (>= 0 iff the core is non-empty), in the values' units."""
    x, t, _ = _excess_lp(values, n, np.arange(1, 2**n - 1), [], [])
    return x, t


def _lp_model(mb, lower: np.ndarray, objective: np.ndarray, A: np.ndarray, lo: np.ndarray, hi: np.ndarray):
    """The LP max objective.x s.t. lo <= A x <= hi, x >= lower, as an OR-Tools model. Small matrices row by
    row; large ones (12 players: 4,096 rows) in one sparse call, which imports scipy.sparse (0.2 s)."""
    model = mb.Model()
    if A.shape[0] > 300:
        import scipy.sparse as sp

        model.helper.fill_model_from_sparse_data(lower, np.full(len(lower), np.inf), objective, lo, hi,
                                                 sp.csr_matrix(A))
    else:
        x = [model.new_var(lb, np.inf, False, None) for lb in lower]
        h = model.helper
        for row, a, b in zip(A, lo, hi):
            ct = h.add_linear_constraint()
            h.set_constraint_lower_bound(ct, float(a))
            h.set_constraint_upper_bound(ct, float(b))
            nz = np.flatnonzero(row)
            h.add_terms_to_constraint(ct, [x[j] for j in nz], row[nz].tolist())
        for j in np.flatnonzero(objective):
            h.set_var_objective_coefficient(x[j].index, float(objective[j]))
    model.helper.set_maximize(True)
    return model


def _excess_lp(values, n, free, fixed, fixed_excess):
    """max t s.t. x(S) - v(S) >= t (free S), x(S) - v(S) = e_S (fixed S), x(N) = v(N), x >= 0.

    Solved with GLOP (OR-Tools' simplex, deterministic); returns x and t in yen and, scaled,
    t and the duals of the free rows (positive: the row binds in every optimum).
    """
    from ortools.linear_solver.python import model_builder as mb

    M = all_masks(n).astype(float)
    v = values / _SCALE
    free_rows = np.hstack([M[free], -np.ones((len(free), 1))])  # x(S) - t >= v(S)
    eq_rows = np.array([np.append(M[-1], 0.0)] + [np.append(M[s], 0.0) for s in fixed])
    eq_rhs = np.array([v[-1]] + [v[s] + e for s, e in zip(fixed, fixed_excess)])
    model = _lp_model(mb, np.r_[np.zeros(n), -np.inf], np.r_[np.zeros(n), 1.0], np.vstack([free_rows, eq_rows]),
                      np.r_[v[free], eq_rhs], np.r_[np.full(len(free), np.inf), eq_rhs])
    solver = mb.Solver("glop")
    if solver.solve(model) != mb.SolveStatus.OPTIMAL:
        raise RuntimeError(f"nucleolus LP failed: {solver.status_string}")
    x = solver.values(model.get_variables()).to_numpy()
    # GLOP's duals of these >= rows in a maximisation are <= 0: negated, positive means binding
    duals = -solver.dual_values(model.get_linear_constraints()).to_numpy()[: len(free)]
    return x[:n] * _SCALE, x[-1] * _SCALE, (x[-1], duals)


def nucleolus(values: np.ndarray, n: int, tol: float = 1e-9) -> tuple[np.ndarray, float]:
    """The nucleolus on the imputation set and the first LP's :math:`t^*` (see the module docstring)."""
    if values[-1] < 0:
        raise ValueError("no imputation: the grand coalition's value is negative")
    M = all_masks(n).astype(float)
    free = np.arange(1, 2**n - 1)
    fixed: list[int] = []
    fixed_excess: list[float] = []
    basis = [M[-1]]
    t_first = None
    x = np.full(n, values[-1] / n)
    while len(free):
        x, t, (t_scaled, duals) = _excess_lp(values, n, free, fixed, fixed_excess)
        t_first = t if t_first is None else t_first
        binding = free[duals > tol]
        if len(binding) == 0:  # degenerate duals: fix the tight ones
            slack = M[free] @ (x / _SCALE) - values[free] / _SCALE - t_scaled
            binding = free[slack <= 1e-9]
        for s in binding:
            fixed.append(int(s))
            fixed_excess.append(t_scaled)
            basis.append(M[s])
        _, sv, vt = np.linalg.svd(np.array(basis), full_matrices=False)
        q = vt[sv > 1e-9 * sv[0]].T  # orthonormal basis of the span of the fixed coalitions and N
        if q.shape[1] >= n:
            break
        # drop coalitions whose excess the fixed ones already determine (their vector is in the span)
        r = M[free] - (M[free] @ q) @ q.T
        free = free[np.abs(r).max(axis=1) > 1e-9]
        free = np.setdiff1d(free, binding)
    if t_first is None:
        t_first = 0.0
    return np.maximum(x, 0.0), t_first


def round_to_total(x: np.ndarray, total: int) -> np.ndarray:
    """Whole yen summing exactly to ``total``: floors, then the remainder by largest fractional parts.

    ``x`` should already sum to ``total`` up to a few yen (LP tolerance); entries of ``x >= 0``
    stay ``>= 0`` as long as ``total >= 0``.
    """
    x = np.asarray(x, dtype=float)
    if len(x) == 0:
        return np.zeros(0, dtype=np.int64)
    base = np.floor(x).astype(np.int64)
    rest = int(total - base.sum())
    n = len(x)
    if rest >= 0:
        order = np.argsort(-(x - base), kind="stable")
        base += rest // n
        base[order[: rest % n]] += 1
    else:
        order = np.argsort(-x, kind="stable")  # take from the largest
        base -= (-rest) // n
        base[order[: (-rest) % n]] -= 1
    return base


def split_group_share(share: int, weights: np.ndarray) -> np.ndarray:
    """An existing group's share split among its members in proportion to ``weights``, to the yen."""
    w = np.asarray(weights, dtype=float)
    w = w / w.sum() if w.sum() > 0 else np.full(len(w), 1 / len(w))
    return round_to_total(share * w, share)


def individually_rational(shares: list[dict]) -> list[str]:
    """The rule: codes of members whose share is below their outside option (empty when it holds)."""
    return [s["code"] for s in shares if s["share_yen"] < s["outside_option_yen"]]


def allocate(ctx, gs, idx: np.ndarray, base, own: dict[str, dict]) -> None:
    """Fill ``gs.shares``, ``gs.allocation``, ``gs.coalition_values`` and ``gs.value_yen``.

    ``own`` are the members' own accounts (:func:`optimizer.model.scoring.member_accounts`). ``allocation["method"]``
    is ``nucleolus``, ``shapley_negative`` (no imputation: the value is negative) or ``shapley_sampled`` (more than
    :data:`EXACT_MAX` players).
    """
    value_yen = int(round(gs.npv_yen))
    gs.value_yen = value_yen
    players, values = (None, None)
    n_players = (len(idx) - base.size + 1) if base is not None else len(idx)
    if n_players <= EXACT_MAX:
        players, values = coalition_values(ctx, idx, base, grand_value=gs.npv_yen)
        phi = shapley(values, n_players)
        if value_yen >= 0:
            x, t = nucleolus(values, n_players)
            method = "nucleolus"
            in_core = bool(t >= -0.5)
            eps = 0 if in_core else int(round(-t))
        else:
            x, method, in_core, eps = phi, "shapley_negative", None, None
    else:  # a new group of more than EXACT_MAX members (score only: max_size <= 12, max_joiners <= 11)
        players = [ctx.codes[i] for i in idx]
        vendor = ctx.vendor_ids[gs.vendor]
        join = np.array([gs.join_fy.get(c, gs.go_live_fy) for c in players])

        def value(masks):
            return coalition_npv(ctx, idx, vendor, gs.go_live_fy, masks, join=join)

        phi = shapley_sampled(value, n_players, ctx.scenario.seed)
        phi = phi + (gs.npv_yen - phi.sum()) / n_players
        x = phi
        if value_yen >= 0:
            x = np.maximum(phi, 0.0)
            x = x * (gs.npv_yen / x.sum()) if x.sum() > 0 else np.full(n_players, gs.npv_yen / n_players)
        method, in_core, eps = "shapley_sampled", None, None
    player_yen = round_to_total(x, value_yen)
    shap_yen = round_to_total(phi, value_yen)
    order = [ctx.codes[i] for i in idx]
    if base is not None:
        b = ctx.baseline[idx[: base.size]]  # the existing members, in the order of idx
        member_share = np.concatenate([split_group_share(int(player_yen[0]), b), player_yen[1:]])
        member_shap = np.concatenate([split_group_share(int(shap_yen[0]), b), shap_yen[1:]])
    else:
        member_share, member_shap = player_yen, shap_yen
    own_yen = round_to_total([own[c]["npv_yen"] for c in order], value_yen)
    savings = round_to_total([own[c]["annual_savings_yen"] for c in order], int(round(gs.annual_savings_yen)))
    shares = []
    for k in np.argsort(order, kind="stable"):
        code = order[k]
        existing = base is not None and k < base.size
        shares.append({
            "code": code,
            "name": ctx.data.name(code),
            "role": "existing" if existing else "joining",
            "player": base.group_id if existing else code,
            "annual_savings_yen": int(savings[k]),
            "own_npv_yen": int(own_yen[k]),
            "share_yen": int(member_share[k]),
            "transfer_yen": int(member_share[k] - own_yen[k]),
            "outside_option_yen": 0,
            "shapley_yen": int(member_shap[k]),
        })
    for s in shares:
        s["better_than_outside_option"] = s["share_yen"] >= s["outside_option_yen"]
    gs.shares = shares
    gs.allocation = {"method": method, "in_core": in_core, "epsilon_yen": eps}
    if values is not None and n_players <= JSON_MAX_PLAYERS:
        masks = all_masks(n_players)
        gs.coalition_values = {",".join(sorted(p for p, on in zip(players, masks[s]) if on)): int(round(values[s]))
                               for s in range(1, 2**n_players)}
    if in_core is False:
        gs.warnings.append(Msg("share.core_empty", eps=eps))
    gs.cost_split = cost_split(ctx, gs)


def cost_split(ctx, gs) -> dict:
    r"""The 負担金 formula a council could adopt that comes nearest the shares: 均等割 + 人口割, and what is left.

    Member *i*'s payment implied by its share :math:`x_i` is :math:`c_i = a_i - x_i`, with :math:`a_i` what it
    would pay without the group over the horizon (its running cost alone, :math:`b_i` times the annuity from its
    join year; an existing member of an expanded group: its cost in the group today). The payments sum to
    :math:`T`; the formula pays :math:`T(\alpha/n + (1-\alpha) p_i/P)` (registry population). The weight
    :math:`\alpha \in [0, 1]` is the least-squares fit; the **transfers** :math:`t_i` = formula - payment (to the
    yen, summing to 0) make the formula equal the shares: :math:`x_i = a_i - \text{formula}_i + t_i`.
    Returns ``{equal_weight, population_weight, transfers_yen: {code: yen}}``.
    """
    m, sc = ctx.model, ctx.scenario
    codes = list(gs.members)
    idx = ctx.positions(codes)
    b = ctx.baseline[idx]
    years = np.array([gs.join_fy.get(c, gs.go_live_fy) for c in codes])
    annuity = cost.annuity(years, sc.planning_fy, m)
    ref = b * annuity
    if gs.base_group_id:
        base = base_of(ctx, gs.base_group_id)
        today = status_quo(ctx, base, len(codes))  # existing members first in gs.members
        ref = ref - today * annuity
    x = np.array([next(s["share_yen"] for s in gs.shares if s["code"] == c) for c in codes], dtype=float)
    pay = ref - x
    total = pay.sum()
    pop = ctx.registry_population[idx].astype(float)
    w = pop / pop.sum()
    u = total * (1.0 / len(codes) - w)
    r = pay - total * w
    alpha = round(float(np.clip((u @ r) / (u @ u), 0.0, 1.0)) if (u @ u) > 0 else 0.0, 4)  # as published
    formula = total * (alpha / len(codes) + (1 - alpha) * w)
    transfers = round_to_total(formula - pay, 0)
    return {"equal_weight": alpha, "population_weight": round(1 - alpha, 4),
            "transfers_yen": {c: int(t) for c, t in zip(codes, transfers)}}
