r"""Choosing the best set of groups: a set-packing model solved with OR-Tools CP-SAT.

Formulation
-----------
Let :math:`\mathcal C` be the candidate groups of :mod:`optimizer.solve.candidates` (new
groups and expansions), :math:`V_c` the exact value of candidate *c* (in yen,
rounded), :math:`x_c \in \{0, 1\}` "candidate *c* is formed".

.. math::

    \max \sum_{c} V_c x_c \quad\text{s.t.}\quad
    \sum_{c \ni i} x_c \le 1 \;\; \forall i, \qquad
    \sum_{c \text{ expands } G} x_c \le 1 \;\; \forall G,

and, each switched on by an assumption literal :math:`a_k` so that CP-SAT can name a
small infeasible subset,

* ``together`` set *T*: :math:`\sum_{c \ni i} x_c = 1` and
  :math:`\sum_{c \ni i,\, c \not\supseteq T} x_c = 0` for :math:`i \in T`;
* ``apart`` set *Q*: :math:`\sum_{c:\,|c \cap Q| \ge 2} x_c = 0`.

Municipalities in no chosen candidate stay alone. With ``participation_mode =
"lexicographic"`` the model is solved twice: first :math:`\max \sum_c |c|\,x_c` (municipalities
placed; for an expansion its joiners), then the value above: one objective in which each
municipality placed weighs more than the total value of all candidates. Its objective, bound
is reported in the value's terms when proven; otherwise the bound is unknown in those terms
(reported as NaN) and the gap is that of the combined objective. Solves are deterministic: one
worker, a fixed seed and a *deterministic* time limit (with the wall-clock budget left as a
backstop; a solve it ends is reported as not proven).

The candidates are exact (every feasible group is enumerated, up to safe pruning), so
the objective is exactly the scoring model's and the relaxation is tight: CP-SAT proves
optimality in seconds on every prefecture, where an assignment model with flow
connectivity stalls with large gaps (``benchmarks/formulations.py``, ``docs/model.md``).
Status, bound and gap are reported as CP-SAT gives them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from .candidates import CandidateSet


@dataclass
class Solution:
    status: str
    chosen: list[int]  # indices into the candidate list
    objective: float  # sum of exact (unrounded) values of the chosen candidates
    best_bound: float
    gap: float
    solve_seconds: float
    core: list[str] = field(default_factory=list)  # names of conflicting requirements when infeasible
    dropped: int = 0  # candidates left out of the model by reduced-cost fixing (:func:`reduced_cost_keep`)
    bound_source: str | None = "CP-SAT"  # or "LP relaxation" when the LP's bound is the tighter one; None: no bound
    clock: bool = False  # the wall-clock backstop cut a phase: the result may differ on another machine


@dataclass
class Requirements:
    """Scenario requirements on the packing, with human-readable names for the assumptions."""

    together: list[list[int]]
    apart: list[list[int]]


def build_model(cs: CandidateSet, req: Requirements):
    """The CP-SAT model: variables, packing constraints, requirements (with assumption literals), objective."""
    model = cp_model.CpModel()
    cands = cs.candidates
    x = [model.NewBoolVar(f"x{k}") for k in range(len(cands))]
    covering: dict[int, list[int]] = {}
    expanding: dict[str, list[int]] = {}
    for k, c in enumerate(cands):
        for i in c.members:
            covering.setdefault(i, []).append(k)
        if c.base_group:
            expanding.setdefault(c.base_group, []).append(k)
    _packing(model, x, covering, expanding)
    assumptions = _requirements(model, x, cs, req)
    model.Maximize(sum(int(round(c.value)) * x[k] for k, c in enumerate(cands)))
    return model, x, assumptions


def _packing(model, x, covering, expanding):
    for ks in covering.values():
        if len(ks) > 1:
            model.AddAtMostOne(x[k] for k in ks)
    for ks in expanding.values():
        if len(ks) > 1:
            model.AddAtMostOne(x[k] for k in ks)


def _requirements(model, x, cs: CandidateSet, req: Requirements) -> dict[str, object]:
    cands = cs.candidates
    everyone = [set(c.members) | cs.base_members.get(c.base_group, frozenset()) for c in cands]
    lits = {}
    for t, T in enumerate(req.together):
        a = model.NewBoolVar(f"together{t}")
        lits[f"together:{t}"] = a
        tset = set(T)
        for i in T:
            if i not in cs.eligible_set:
                continue  # an existing member is covered by its group; an eligible partner must join it
            ks = [k for k, c in enumerate(cands) if i in c.members]
            model.Add(sum(x[k] for k in ks) == 1).OnlyEnforceIf(a)
            partial = [k for k in ks if not tset <= everyone[k]]
            if partial:
                model.Add(sum(x[k] for k in partial) == 0).OnlyEnforceIf(a)
    for q, Q in enumerate(req.apart):
        a = model.NewBoolVar(f"apart{q}")
        lits[f"apart:{q}"] = a
        qset = set(Q)
        bad = [k for k in range(len(cands)) if len(qset & everyone[k]) >= 2]
        if bad:
            model.Add(sum(x[k] for k in bad) == 0).OnlyEnforceIf(a)
    return lits


def solve(cs: CandidateSet, req: Requirements, seed: int = 0, work: float = 10.0, deadline: float = float("inf"),
          forbid: list[list[int]] | None = None, lexicographic: bool = False,
          blocks: list[int] | None = None) -> Solution:
    """Solve the packing model; ``forbid`` lists earlier solutions to exclude (for alternatives).

    ``work``: the solver's budget in CP-SAT's deterministic seconds (counted work, not the clock), shared by
    the start phases as fixed shares: the same inputs give the same plan on an idle or a busy machine.
    ``deadline`` (``time.perf_counter()``): the wall-clock backstop; a phase it cuts sets ``clock``.
    ``lexicographic``: most municipalities placed first, then most value (one objective).
    ``blocks``: a label per candidate (e.g. its prefecture; -1 for a candidate spanning blocks): a
    large model of several blocks (the national one) starts from price and branch (the LP relaxation,
    then :func:`restricted_packing`), or, when its budget cannot hold the LP, from the blocks' own
    optima combined (:func:`block_packing`). The LP's bound is reported when it is the tighter one.
    """
    t_start = time.perf_counter()
    hint = greedy_packing(cs, req)
    plain = not (forbid or lexicographic or req.together or req.apart)
    duals, start, clock = None, None, False
    if blocks is None and plain and len(cs.candidates) >= LP_START_MIN_CANDIDATES:
        start, duals, clock = lp_packing(cs, deadline=deadline)
    elif blocks is not None and plain and len(cs.candidates) >= PRESOLVE_MIN_CANDIDATES:
        # the national model: price and branch (the LP relaxation, then the integer packing of the candidates
        # it prices best); the prefectures' optima, combined, when the budget cannot hold the LP
        if NATIONAL_LP_SHARE * work >= LP_SECONDS_PER_CANDIDATE * len(cs.candidates):
            _, duals, clock = lp_packing(cs, deadline=deadline, dive=False)
        if duals is not None:
            start, c2 = restricted_packing(cs, duals, hint, seed, min(RESTRICTED_SECONDS, RESTRICTED_SHARE * work),
                                           deadline=deadline)
        else:
            start, c2 = block_packing(cs, blocks, seed, BLOCK_SHARE * work, deadline=deadline)
        clock = clock or c2
    if start is not None and sum(cs.candidates[k].value for k in start) > sum(cs.candidates[k].value for k in hint):
        hint = start
    if duals is None:
        sol = _solve(cs, req, seed, work, deadline, hint, t_start, forbid=forbid, lexicographic=lexicographic,
                     plain=plain)
    else:
        sol = _solve_reduced(cs, req, seed, work, deadline, hint, t_start, duals)
        lp_bound = relaxation_bound(duals)
        if sol.status == "FEASIBLE" and not lp_bound >= sol.best_bound:
            # two valid bounds (the LP's and CP-SAT's): the tighter one is reported
            sol.best_bound, sol.bound_source = lp_bound, "LP relaxation"
            sol.gap = abs(lp_bound - sol.objective) / max(1.0, abs(lp_bound))
    sol.clock = sol.clock or clock
    if sol.best_bound != sol.best_bound:  # no bound: say none, not where it would have come from
        sol.bound_source = None
    return sol


def _solve_reduced(cs: CandidateSet, req: Requirements, seed: int, work: float, deadline: float, hint: list[int],
                   t_start: float, duals) -> Solution:
    """:func:`_solve` on the candidates that some plan as good as ``hint`` may contain (reduced-cost fixing,
    :func:`reduced_cost_keep`): the same optimum, and a proof on them is a proof on all."""
    keep = reduced_cost_keep(duals, sum(int(round(cs.candidates[k].value)) for k in hint))
    keep[hint] = True  # kept by the bound already (see reduced_cost_keep); never lost to rounding
    if keep.all():
        return _solve(cs, req, seed, work, deadline, hint, t_start)
    index = np.nonzero(keep)[0]
    sub = subset(cs, index)
    position = {int(k): j for j, k in enumerate(index)}
    sol = _solve(sub, req, seed, work, deadline, [position[k] for k in hint], t_start)
    sol.chosen = sorted(int(index[j]) for j in sol.chosen)
    sol.dropped = len(cs.candidates) - len(index)
    return sol


def _solve(cs: CandidateSet, req: Requirements, seed: int, work: float, deadline: float, hint: list[int],
           t_start: float, forbid: list[list[int]] | None = None, lexicographic: bool = False,
           plain: bool = True) -> Solution:
    """Build the model, hint it (completely when ``plain``: the hint is then feasible), solve, read the solution."""
    model, x, lits = build_model(cs, req)
    for chosen in forbid or []:
        model.Add(sum(x[k] for k in chosen) <= len(chosen) - 1) if chosen else model.AddBoolOr(x)
    model.AddAssumptions(list(lits.values()))
    if lexicographic and cs.candidates:
        # one objective, exactly lexicographic: a municipality placed outweighs all the value there is
        values = [int(round(c.value)) for c in cs.candidates]
        weight = lexicographic_weight(cs, values)
        model.Maximize(sum((weight * len(c.members) + v) * x[k] for k, (c, v) in enumerate(zip(cs.candidates, values))))
    chosen = set(hint)
    for k in range(len(x)) if plain else hint:  # a complete hint when it is feasible by construction
        model.AddHint(x[k], k in chosen)
    solver = _solver(seed, work, deadline)
    if len(cs.candidates) < PRESOLVE_MIN_CANDIDATES:
        solver.parameters.cp_model_presolve = False
    status = solver.Solve(model)
    secs = time.perf_counter() - t_start
    sol = _solution(solver, status, secs, x, cs, lits)
    sol.clock = clock_ended(solver, status)
    if sol.status == "UNKNOWN" and hint and not forbid and not (req.together or req.apart):
        # the budget ended before CP-SAT found a plan: the greedy packing is feasible, with no bound
        return Solution("FEASIBLE", hint, float(sum(cs.candidates[k].value for k in hint)), float("nan"),
                        float("nan"), secs, bound_source=None, clock=sol.clock)
    if lexicographic and cs.candidates and sol.status in ("OPTIMAL", "FEASIBLE"):
        # proven: the bound is the value found; else only the combined objective has a bound (gap in its terms)
        combined = solver.ObjectiveValue()
        sol.gap = 0.0 if sol.status == "OPTIMAL" else abs(sol.best_bound - combined) / max(1.0, abs(sol.best_bound))
        sol.best_bound = sol.objective if sol.status == "OPTIMAL" else float("nan")
    return sol


#: Below this many candidates CP-SAT's presolve costs more than it saves: 北海道's roadmap (21 k candidates) is
#: proven optimal in 1.7 s without it, 4.5 s with it; the national model (190-340 k) needs it (without, a 10 %
#: gap after 100 s).
PRESOLVE_MIN_CANDIDATES = 50_000


#: Share of the solver's time the block solves of :func:`block_packing` may use.
BLOCK_SHARE = 0.7


def block_packing(cs: CandidateSet, blocks: list[int], seed: int, work: float,
                  deadline: float = float("inf")) -> tuple[list[int], bool]:
    """The optimum of each block's own candidates (a prefecture's groups), solved block by block and
    combined: a feasible plan of the whole model (blocks share no municipality and, when labelled
    by :func:`optimizer.solve.plan.prefecture_blocks`, no existing group; should two blocks expand one,
    the more valuable expansion is kept; candidates labelled -1 are left out). The national model's start:
    CP-SAT alone, from a greedy start, stays below it for minutes (``docs/model.md``). ``work``: the
    deterministic seconds shared by the blocks in proportion to their candidates (at most 10 each);
    ``deadline``: the wall-clock backstop. Returns the packing and whether the backstop cut a block."""
    members: dict[int, list[int]] = {}
    for k, b in enumerate(blocks):
        if b >= 0:
            members.setdefault(b, []).append(k)
    chosen: list[int] = []
    total = sum(len(ks) for ks in members.values())
    clock = False
    for b, ks in sorted(members.items(), key=lambda kv: -len(kv[1])):
        if time.perf_counter() >= deadline:
            clock = True
            break
        sub = subset(cs, ks)
        model, x, _ = build_model(sub, Requirements([], []))
        for j in greedy_packing(sub, Requirements([], [])):
            model.AddHint(x[j], True)
        solver = _solver(seed, min(work * len(ks) / total, 10.0), deadline)
        solver.parameters.cp_model_presolve = len(ks) >= PRESOLVE_MIN_CANDIDATES
        status = solver.Solve(model)
        clock = clock or clock_ended(solver, status)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            chosen += [ks[j] for j in range(len(ks)) if solver.BooleanValue(x[j])]
    kept: dict[str, int] = {}  # an existing group expanded from two blocks: the more valuable expansion
    for k in sorted(chosen, key=lambda k: -cs.candidates[k].value):
        g = cs.candidates[k].base_group
        if g is not None:
            kept.setdefault(g, k)
    chosen = [k for k in chosen if cs.candidates[k].base_group is None or kept[cs.candidates[k].base_group] == k]
    # candidates spanning blocks (and blocks the backstop cut off): filled in best value first where they fit
    return greedy_packing(cs, Requirements([], []), start=chosen), clock


#: From this many candidates a large model starts from an LP dive (:func:`lp_packing`) of at most
#: :data:`LP_DIVE_ROUNDS` LPs (counted, not timed): on 茨城 at ``max_size`` 12 / ``link_km`` 20 (79 k candidates)
#: it finds a plan worth 5.88 bn yen in 1 s, where the greedy start is worth 5.48 bn and CP-SAT reaches 5.59 bn in
#: 120 s.
LP_START_MIN_CANDIDATES = 20_000
LP_DIVE_ROUNDS = 300


def lp_packing(cs: CandidateSet, deadline: float = float("inf"),
               dive: bool = True) -> tuple[list[int], tuple | None, bool]:
    r"""A packing by diving on the LP relaxation (GLOP): solve

    .. math:: \max \sum_c V_c x_c \quad\text{s.t.}\quad \sum_{c \ni i} x_c \le 1,\;
              \sum_{c \text{ expands } G} x_c \le 1,\; 0 \le x_c \le 1,

    fix the candidate with the largest fractional :math:`x_c` (the most valuable among equals) to 1
    and every candidate sharing a municipality or an existing group with it to 0, and repeat until
    the LP is integral or :data:`LP_DIVE_ROUNDS` LPs are solved (then the candidates fixed so far). Completed
    best value first (:func:`greedy_packing`). A start for CP-SAT, feasible by construction; its value is a
    lower bound, not a proof. Also returns the first LP's duals, row matrix and values, for
    :func:`reduced_cost_keep`, :func:`restricted_packing` and :func:`relaxation_bound` (``None`` if it
    was not solved), and whether the wall-clock backstop ``deadline`` cut the dive (GLOP runs to its own
    optimum: deterministic). ``dive=False``: the first LP only (the packing is then the greedy one).
    """
    from ortools.linear_solver.python import model_builder as mb

    cands = cs.candidates
    row_of, A = packing_matrix(cs)
    At = A.T.tocsr()
    v = np.array([float(round(c.value)) for c in cands])
    lo, hi = np.zeros(len(cands)), np.where(v > 0, 1.0, 0.0)
    fixed: list[int] = []
    root = None  # duals of the first (undived) LP
    clock = False
    for _ in range(LP_DIVE_ROUNDS):
        if time.perf_counter() >= deadline:
            clock = True
            break
        model = mb.Model()
        model.helper.fill_model_from_sparse_data(lo, hi, v, np.full(len(row_of), -np.inf), np.ones(len(row_of)), A)
        model.helper.set_maximize(True)
        lp = mb.Solver("glop")
        if np.isfinite(deadline):
            lp.set_time_limit_in_seconds(max(0.1, deadline - time.perf_counter()))
        if lp.solve(model) != mb.SolveStatus.OPTIMAL:
            clock = clock or time.perf_counter() >= deadline
            break
        x = lp.values(model.get_variables()).to_numpy()
        if root is None:
            root = lp.dual_values(model.get_linear_constraints()).to_numpy()
            if not dive:
                break
        frac = (x > 1e-6) & (x < 1 - 1e-6)
        if not frac.any():
            fixed = sorted(set(fixed) | set(np.nonzero(x > 0.5)[0].tolist()))
            break
        # the largest x_c; among equals (to 1e-6) the most valuable candidate
        k = int(np.argmax(np.where(frac, np.round(x, 6) + 1e-7 * v / max(v.max(), 1.0), -1.0)))
        fixed.append(k)
        lo[k] = 1.0
        rows = At[k].indices
        hi[np.setdiff1d(A[rows].indices, [k])] = 0.0
    kept, used = [], set()  # a packing by construction; checked, so that LP tolerances can never break it
    for k in sorted(fixed, key=lambda k: -cands[k].value):
        if used.isdisjoint(packing_keys(cands[k])):
            used.update(packing_keys(cands[k]))
            kept.append(k)
    return greedy_packing(cs, Requirements([], []), start=kept), (None if root is None else (root, A, v)), clock


def packing_matrix(cs: CandidateSet):
    """The packing rows (:func:`packing_keys`: municipalities and expanded groups, numbered in order of
    first use) and the 0/1 matrix rows x candidates (scipy.sparse CSR)."""
    import scipy.sparse as sp  # imported here: only large models (never match's path) need it

    row_of: dict = {}
    ri, ci = [], []
    for k, c in enumerate(cs.candidates):
        for key in packing_keys(c):
            ri.append(row_of.setdefault(key, len(row_of)))
            ci.append(k)
    return row_of, sp.csr_matrix((np.ones(len(ri)), (ri, ci)), shape=(len(row_of), len(cs.candidates)))


def reduced_values(duals) -> tuple[np.ndarray, float]:
    r"""Reduced values :math:`r_c = V_c - \sum_{\text{rows } \ni c} \pi` for the LP's duals clipped at 0,
    and the bound they give, :math:`\bar z = \sum \pi + \sum_c \max(r_c, 0)`: for any prices
    :math:`\pi \ge 0`, every packing is worth at most :math:`\bar z` (weak duality; valid whatever the
    LP's tolerances, since it only uses :math:`\pi \ge 0`)."""
    pi, A, v = duals
    pi = np.maximum(pi, 0.0)
    r = v - A.T @ pi
    return r, float(pi.sum() + np.maximum(r, 0.0).sum())


def relaxation_bound(duals) -> float:
    """The LP relaxation's bound on every packing, in rounded yen (:func:`reduced_values`)."""
    return reduced_values(duals)[1]


#: The price-and-branch start (:func:`restricted_packing`) solves the integer packing of this many
#: candidates, those of largest reduced value, for this many deterministic seconds (fixed, so that the plan
#: is reproducible whenever the budget holds them), at most this share of the solver's time. On the
#: national roadmap (327 k candidates) it finds a plan worth 202.25 bn yen, where the prefectures' optima
#: combined are worth 195.46 bn and CP-SAT from them stays below 202 bn in 120 s; neither more candidates
#: (30 k, 40 k) nor more time improves it.
RESTRICTED_COLUMNS = 15_000
RESTRICTED_SECONDS = 22.0
RESTRICTED_SHARE = 0.4
#: The national LP's deadline, as a share of the solver's time (GLOP needs about 12 s on the roadmap's 327 k
#: candidates; past it, the start is the prefectures' optima, :func:`block_packing`).
NATIONAL_LP_SHARE = 0.4
#: GLOP's time per candidate on the national model, measured on a 2-core machine (12 s for 327 k): a budget
#: whose LP share cannot hold it goes straight to :func:`block_packing`.
LP_SECONDS_PER_CANDIDATE = 4e-5


def restricted_packing(cs: CandidateSet, duals, start: list[int], seed: int, time_limit: float,
                       deadline: float = float("inf")) -> tuple[list[int], bool]:
    r"""Price and branch: the integer packing (CP-SAT) of the :data:`RESTRICTED_COLUMNS` candidates of
    largest reduced value :math:`r_c` (:func:`reduced_values`) and those of ``start`` (a packing, its
    hint), completed best value first. A feasible plan of the whole model, and a start for it, not a
    proof: a candidate left out may be in the optimum. ``time_limit``: CP-SAT's deterministic limit
    (so the result is reproducible); ``deadline``: the wall-clock backstop (returned: whether it cut the solve).
    """
    r, _ = reduced_values(duals)
    n = min(len(r), RESTRICTED_COLUMNS)
    top = np.argsort(-r, kind="stable")[:n]
    index = np.union1d(top, np.asarray(start, dtype=int)).astype(int)
    sub = subset(cs, index)
    model, x, _ = build_model(sub, Requirements([], []))
    hinted = set(start)
    for j, k in enumerate(index):
        model.AddHint(x[j], int(k) in hinted)
    solver = _solver(seed, time_limit, deadline)
    chosen = list(start)
    status = solver.Solve(model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        chosen = [int(index[j]) for j in range(len(index)) if solver.BooleanValue(x[j])]
    return greedy_packing(cs, Requirements([], []), start=chosen), clock_ended(solver, status)


def reduced_cost_keep(duals, lower: float) -> np.ndarray:
    r"""Candidates that some plan worth at least ``lower`` (a plan already found) may contain: reduced-cost
    fixing, a safe reduction. ``duals``: the first LP's duals, row matrix and (rounded) values, from
    :func:`lp_packing`.

    For any prices :math:`\pi \ge 0` on the packing rows (here the LP's duals, clipped at 0) and
    reduced values :math:`r_c = V_c - \sum_{\text{rows } \ni c} \pi`, every packing *x* has
    :math:`\sum_c V_c x_c \le \sum \pi + \sum_c \max(r_c, 0) =: \bar z` (weak duality), and one
    that contains *c* with :math:`r_c < 0` is worth at most :math:`\bar z + r_c`. Candidates with
    :math:`\bar z + r_c < \text{lower}` (less a margin for rounding) are in no plan as good as the one
    found, so the model without them has the same optimum and the same bound: a proof on it is a
    proof on all candidates. The plan found keeps all its candidates (each has :math:`\bar z + r_c \ge`
    its value).
    """
    r, bound = reduced_values(duals)
    margin = 1e-6 * abs(lower) + 1e3  # yen: far above the LP's floating-point error
    return bound + np.minimum(r, 0.0) >= lower - margin


def subset(cs: CandidateSet, index) -> CandidateSet:
    """The candidates ``index`` of ``cs`` (in that order), with its municipalities and groups."""
    return CandidateSet(eligible=cs.eligible, candidates=[cs.candidates[k] for k in index], groups=cs.groups,
                        base_members=cs.base_members)


def packing_keys(c) -> tuple:
    """What a candidate uses up in a packing, in a fixed order: its (new) members and, for an expansion,
    its group."""
    return (*c.members, ("G", c.base_group)) if c.base_group else tuple(c.members)


def greedy_packing(cs: CandidateSet, req: Requirements, start: list[int] | None = None) -> list[int]:
    """Candidates taken best value first while they share no municipality and expand no group twice.

    The solver's hint (a feasible start when there are no requirements) and the benchmarks' baseline.
    ``start``: candidates already chosen (a packing) that the greedy extends.
    """
    chosen = list(start or [])
    used: set = set().union(*(packing_keys(cs.candidates[k]) for k in chosen))
    for k in sorted(range(len(cs.candidates)), key=lambda k: -cs.candidates[k].value):
        c = cs.candidates[k]
        if c.value <= 0:
            break
        if used.isdisjoint(packing_keys(c)):
            used.update(packing_keys(c))
            chosen.append(k)
    return sorted(chosen)


def lexicographic_weight(cs: CandidateSet, values: list[int]) -> int:
    r"""A weight per municipality placed above the value of every packing: :math:`1 + \sum_i \max_{c \ni i}
    \max(V_c, 0)/|c|` (a packing's value is the sum over its members of their candidates' value per member), so
    the lexicographic objective stays far inside CP-SAT's 64-bit range (the sum of all values did not, on the
    national model)."""
    best: dict = {}
    for c, v in zip(cs.candidates, values):
        if v > 0 and c.members:
            per = v / len(c.members)
            for i in c.members:
                best[i] = max(best.get(i, 0.0), per)
    return int(sum(best.values())) + 1


def _solver(seed: int, work: float, deadline: float = float("inf")) -> cp_model.CpSolver:
    """One worker, a fixed seed, a deterministic limit of ``work`` (counted, not timed) and the wall-clock
    ``deadline`` as a backstop only (:func:`clock_ended` tells whether it ended a solve)."""
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.num_workers = 1
    p.random_seed = seed
    p.max_deterministic_time = work
    p.max_time_in_seconds = max(0.1, deadline - time.perf_counter()) if np.isfinite(deadline) else 1e7
    # Lighter presolve: on large packing models the time goes into presolve, not search.
    p.merge_at_most_one_work_limit = 0
    p.cp_model_probing_level = 0
    p.max_presolve_iterations = 1
    # The LP relaxation of set packing is nearly tight: with the full linearisation CP-SAT proves the national
    # instance (~190k candidates) optimal in ~32 s; with the default level it stalls at a 1.9% gap in 60 s.
    p.linearization_level = 2
    return solver


def clock_ended(solver: cp_model.CpSolver, status) -> bool:
    """Whether the wall-clock backstop, not the deterministic limit, ended a solve that is not finished."""
    if status in (cp_model.OPTIMAL, cp_model.INFEASIBLE, cp_model.MODEL_INVALID):
        return False
    p = solver.parameters
    return solver.WallTime() >= 0.99 * p.max_time_in_seconds and (
        solver.ResponseProto().deterministic_time < 0.99 * p.max_deterministic_time)


def _solution(solver, status, secs: float, x, cs: CandidateSet, lits) -> Solution:
    name = solver.StatusName(status)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        chosen = [k for k in range(len(x)) if solver.BooleanValue(x[k])]
        objective = float(sum(cs.candidates[k].value for k in chosen))
        bound = float(solver.BestObjectiveBound()) if cs.candidates else 0.0
        bound = max(bound, objective) if status == cp_model.OPTIMAL else bound
        gap = 0.0 if status == cp_model.OPTIMAL else abs(bound - objective) / max(1.0, abs(bound))
        return Solution(name, chosen, objective, bound, gap, secs)
    if status == cp_model.INFEASIBLE:
        names = {v.Index(): k for k, v in lits.items()}
        core = [names[i] for i in solver.SufficientAssumptionsForInfeasibility() if i in names]
        return Solution("INFEASIBLE", [], 0.0, 0.0, 0.0, secs, core=core)
    return Solution(name, [], 0.0, float("nan"), float("nan"), secs)
