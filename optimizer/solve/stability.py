r"""Whole-plan stability: shares no coalition of the candidate groups would leave the plan for.

The players are the eligible municipalities of the instance and the open existing groups (each one
player, as in a group's own game: :mod:`optimizer.model.sharing`). A plan chooses groups
:math:`G_1, \dots, G_k`; each shares its value :math:`v(G)` (its municipal NPV) among its players. A
player in no group gets 0 (it stays alone; an existing group not expanded stays as it is). A
candidate group :math:`c` (new, or an expansion: its joiners and the existing group) with best
municipal NPV :math:`v_c` **blocks** the plan when :math:`v_c > x(c)`: forming it instead could
give each of its players more than the plan does.

The least amount by which the best blockers beat the plan is the **plan's least core**:

.. math:: \varepsilon^* = \min \varepsilon \quad\text{s.t.}\quad x(c) \ge v_c - \varepsilon\ \ \forall c \notin \pi,
          \qquad x(G) = v(G)\ \ \forall G \in \pi, \qquad x_p = 0\ \ (p \text{ in no group}),
          \qquad x \ge 0,\ \varepsilon \ge 0.

Each group's own sub-coalitions (its game's values, :mod:`optimizer.model.sharing`) are among the rows, so
within a group too no sub-group beats its shares by more than :math:`\varepsilon^*`. The plan is **in the core** when :math:`\varepsilon^* = 0` (the set-packing LP's prices are such an
allocation when its relaxation is integral). Among the allocations reaching :math:`\varepsilon^*`
the shares are those closest (least total absolute change) to each group's own nucleolus, so a
plan without blockers keeps the groups' own fair split. A player's **outside option** is what it
could get elsewhere while everyone else keeps its plan share,

.. math:: o_p = \max\Big(0,\ \max_{c \ni p,\ c \notin \pi} v_c - x(c \setminus p)\Big),

so :math:`x_p \ge o_p - \varepsilon^*`. The candidates are those the solver chooses among (every admissible
set grown, less those a subset dominates); both LPs are solved with GLOP (OR-Tools' simplex,
deterministic), in millions of yen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model.group import GroupScore
from ..model.sharing import cost_split, round_to_total, split_group_share

#: At most this many blocking candidates listed (the strongest first).
BLOCKING_LISTED = 10
_SCALE = 1e6
_TOL_YEN = 1.0  # a candidate blocks when it beats the plan by more than this (rounding)


@dataclass
class Game:
    """The plan's game: player keys (a position, or ``"G:<id>"`` for an existing group), the candidate rows
    (player columns, values in yen), and the plan's groups as player columns with their values."""

    players: list
    rows: list[np.ndarray]
    values: np.ndarray
    groups: list[np.ndarray]
    group_values: np.ndarray


def _player_keys(ctx, g: GroupScore) -> list:
    if g.base_group_id:
        return [f"G:{g.base_group_id}"] + [ctx.pos[c] for c in g.joining]
    return [ctx.pos[c] for c in g.members]


def game(ctx, cs, chosen: list[int], groups: list[GroupScore]) -> Game:
    """The candidate rows and plan groups over the players (see the module docstring)."""
    keys: list = list(cs.eligible) + [f"G:{gid}" for gid in cs.groups]
    col = {k: j for j, k in enumerate(keys)}
    skip = set(chosen)
    rows, values = [], []
    for k, c in enumerate(cs.candidates):
        v = c.npv_best if np.isfinite(c.npv_best) else c.npv
        if k in skip or not np.isfinite(v) or v <= _TOL_YEN:
            continue
        r = [col[i] for i in c.members] + ([col[f"G:{c.base_group}"]] if c.base_group else [])
        rows.append(np.array(r, dtype=np.int64))
        values.append(v)
    for g in groups:  # each group's own sub-coalitions (its game, which candidate pruning may have dropped)
        for key, v in (g.coalition_values or {}).items():
            players = key.split(",")
            if len(players) == len(_player_keys(ctx, g)) or v <= _TOL_YEN:
                continue
            rows.append(np.array([col[f"G:{p}" if p == g.base_group_id else ctx.pos[p]] for p in players],
                                 dtype=np.int64))
            values.append(float(v))
    gcols = [np.array([col[k] for k in _player_keys(ctx, g)], dtype=np.int64) for g in groups]
    return Game(keys, rows, np.array(values, dtype=float), gcols, np.array([g.value_yen for g in groups], float))


def _solve(gm: Game, target: np.ndarray, eps_fixed: float | None):
    """LP 1 (``eps_fixed`` None): min epsilon. LP 2: min sum |x - target| with epsilon <= ``eps_fixed``."""
    import scipy.sparse as sp
    from ortools.linear_solver.python import model_builder as mb

    n, m = len(gm.players), len(gm.rows)
    placed = np.zeros(n, bool)
    for cols in gm.groups:
        placed[cols] = True
    # variables: x (n), epsilon (1), d (n: |x - target|, LP 2 only)
    nv = 2 * n + 1
    lower = np.r_[np.zeros(n), 0.0, np.zeros(n)]
    upper = np.r_[np.where(placed, np.inf, 0.0), np.inf if eps_fixed is None else eps_fixed / _SCALE + 1e-9,
                  np.full(n, np.inf)]
    r_i, c_i, val = [], [], []
    lo, hi = [], []
    for k, cols in enumerate(gm.rows):  # x(c) + eps >= v_c
        r_i += [k] * (len(cols) + 1)
        c_i += cols.tolist() + [n]
        val += [1.0] * (len(cols) + 1)
        lo.append(gm.values[k] / _SCALE)
        hi.append(np.inf)
    k = m
    for cols, v in zip(gm.groups, gm.group_values):  # x(G) = v(G)
        r_i += [k] * len(cols)
        c_i += cols.tolist()
        val += [1.0] * len(cols)
        lo.append(v / _SCALE)
        hi.append(v / _SCALE)
        k += 1
    if eps_fixed is not None:
        t = target / _SCALE
        for j in np.flatnonzero(placed):  # d_j >= x_j - t_j, d_j >= t_j - x_j
            r_i += [k, k, k + 1, k + 1]
            c_i += [n + 1 + j, j, n + 1 + j, j]
            val += [1.0, -1.0, 1.0, 1.0]
            lo += [-t[j], t[j]]
            hi += [np.inf, np.inf]
            k += 2
    A = sp.csr_matrix((val, (r_i, c_i)), shape=(k, nv))
    objective = np.zeros(nv)
    if eps_fixed is None:
        objective[n] = 1.0
    else:
        objective[n + 1:] = 1.0
    model = mb.Model()
    model.helper.fill_model_from_sparse_data(lower, upper, objective, np.array(lo), np.array(hi), A)
    model.helper.set_maximize(False)
    solver = mb.Solver("glop")
    if solver.solve(model) != mb.SolveStatus.OPTIMAL:
        raise RuntimeError(f"plan stability LP failed: {solver.status_string}")
    x = solver.values(model.get_variables()).to_numpy()
    return x[:n] * _SCALE, float(x[n]) * _SCALE


def outside_options(gm: Game, x: np.ndarray) -> np.ndarray:
    """:math:`o_p` of every player at the allocation ``x`` (yen)."""
    o = np.zeros(len(gm.players))
    for cols, v in zip(gm.rows, gm.values):
        rest = v - (x[cols].sum() - x[cols])
        np.maximum.at(o, cols, rest)
    return np.maximum(o, 0.0)


def stabilise(ctx, cs, chosen: list[int], groups: list[GroupScore]) -> dict:
    """Plan-level shares (replacing each group's ``share_yen``, ``transfer_yen``, ``outside_option_yen``) and the
    plan's ``stability`` record ``{in_core, epsilon_yen, blocking, candidates}``. Groups must carry shares."""
    gm = game(ctx, cs, chosen, groups)
    if any(v < 0 for v in gm.group_values):  # no allocation with x >= 0: stability is not defined
        return {"in_core": None, "epsilon_yen": None, "blocking": [], "candidates": len(gm.rows)}
    target = np.zeros(len(gm.players))
    for g, cols in zip(groups, gm.groups):
        target[cols] = _player_shares(g)
    _, eps = _solve(gm, target, None)
    eps_yen = 0 if eps < _TOL_YEN else int(np.ceil(eps))
    x, _ = _solve(gm, target, float(eps_yen))
    for g, cols in zip(groups, gm.groups):  # to the yen, each group's players summing to its value
        x[cols] = round_to_total(np.maximum(x[cols], 0.0), g.value_yen)
    o = outside_options(gm, x)
    blocking = []
    slack = np.array([v - x[cols].sum() for cols, v in zip(gm.rows, gm.values)])
    for k in np.argsort(-slack, kind="stable")[:BLOCKING_LISTED]:
        if slack[k] <= _TOL_YEN:
            break
        blocking.append({"members": _codes(ctx, gm, gm.rows[k]), "value_yen": int(round(gm.values[k])),
                         "shares_sum_yen": int(round(x[gm.rows[k]].sum()))})
    for g, cols in zip(groups, gm.groups):
        _apply(ctx, g, x[cols], o[cols])
    return {"in_core": eps_yen == 0, "epsilon_yen": eps_yen, "blocking": blocking, "candidates": len(gm.rows)}


def _player_shares(g: GroupScore) -> np.ndarray:
    """The group's own (nucleolus) shares by player, in :func:`_player_keys` order."""
    by = {s["code"]: s["share_yen"] for s in g.shares}
    if g.base_group_id:
        existing = sum(s["share_yen"] for s in g.shares if s["role"] == "existing")
        return np.array([existing] + [by[c] for c in g.joining], dtype=float)
    return np.array([by[c] for c in g.members], dtype=float)


def _codes(ctx, gm: Game, cols: np.ndarray) -> list[str]:
    out = []
    for j in cols:
        k = gm.players[j]
        out.append(k[2:] if isinstance(k, str) else ctx.codes[k])
    return sorted(out)


def _apply(ctx, g: GroupScore, x: np.ndarray, o: np.ndarray) -> None:
    """Write the plan-level shares and outside options into the group's member records."""
    by_code = {s["code"]: s for s in g.shares}
    if g.base_group_id:
        existing = [c for c in g.members if c not in g.joining]
        b = ctx.baseline[ctx.positions(existing)]
        for c, sx, so in zip(existing, split_group_share(int(x[0]), b), split_group_share(int(round(o[0])), b)):
            by_code[c]["share_yen"], by_code[c]["outside_option_yen"] = int(sx), int(so)
        pairs = zip(g.joining, x[1:], o[1:])
    else:
        pairs = zip(g.members, x, o)
    for c, sx, so in pairs:
        by_code[c]["share_yen"], by_code[c]["outside_option_yen"] = int(sx), int(round(so))
    for s in g.shares:
        s["transfer_yen"] = s["share_yen"] - s["own_npv_yen"]
        s["better_than_outside_option"] = s["share_yen"] >= s["outside_option_yen"]
    g.allocation = {**g.allocation, "method": "plan_least_core", "reference": g.allocation.get("method")}
    g.cost_split = cost_split(ctx, g)

