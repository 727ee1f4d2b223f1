r"""Enumerating the feasible candidate groups of an instance, with their exact scores.

Candidates are grown level by level. Level :math:`k+1` holds every set
:math:`S \cup \{w\}` with :math:`S` on level *k* and *w* an eligible neighbour of *S*,
so every set is connected by construction; sets breaking a *hereditary* rule
(population, renewal window, vendor, distance: once broken, broken for every
superset) are dropped as soon as they appear, which is what keeps the enumeration
small. Sets of admissible size that also pass the other rules (pairing) become
candidates. Expansions of an existing open group *G* grow the same way from *G* (its
members count as one node), with the expansion forms of the rules.

Every candidate is scored with :func:`optimizer.model.scoring.batch_scores` (the same code
as ``score``). A candidate is dropped when

* it has no individually rational option (municipal NPV below 0: some member would be
  worse off than alone under any split, :func:`optimizer.model.scoring.rational_batch`), or
* its value is not positive (staying alone is at least as good), or
* one of its sub-groups with one member less is itself a candidate with at least the
  same value (*dominance*: in a set-packing optimum the sub-group can replace it,
  freeing a member) -- unless it holds a member of a ``together`` set, whose
  sub-groups may not be interchangeable.

Both reductions keep at least one optimal plan of the set-packing model.

The *search space* is the connected sets of the link graph (land, sea and transit links,
plus pairs closer than ``link_km``); the connectivity *rule* (``connect_km``) admits at
least these, so every candidate passes every rule, and the plan is proven optimal over
this space (stated in each plan's stats).

Work is bounded (:class:`Budget`): the growth checks the wall clock and the memory its
levels take as it goes; when either runs out it stops, keeps the candidates of the levels
it finished, and says so (:attr:`CandidateSet.complete` is false, with the reason). A plan
from an incomplete candidate set is never reported as proven optimal.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..model.context import Context
from ..model.rules import CONNECTED, HEREDITARY, PAIRING, Base, base_of, eligible, passes
from ..model.scoring import batch_scores, unique_rows
from ..text import Msg

CHUNK = 10_000


@dataclass
class Candidate:
    members: tuple[int, ...]  # positions; for an expansion, the joiners only
    base_group: str | None
    value: float
    npv: float
    go_live: int
    vendor: int
    join: tuple[int, ...] = ()  # each member's go-live year (same order as members; a roadmap's schedule)
    npv_best: float = float("nan")  # the best municipal NPV of its options: what its members could get by forming it


class BudgetExhausted(Exception):
    """Raised inside the growth when the work budget runs out (caught by the enumeration)."""


@dataclass
class Budget:
    """The work candidate growth may do, counted (sets grown; the bytes their candidates hold), so that the same
    inputs give the same candidates on an idle or a busy machine; and a wall-clock deadline
    (``time.perf_counter()`` seconds) as a backstop only: a run it cuts says so (``clock``) and is not
    reproducible."""

    max_sets: float = float("inf")
    memory_bytes: float = float("inf")
    deadline: float = float("inf")
    grown: int = 0  # sets grown so far (each one-member extension kept after deduplication)
    clock: bool = False  # the wall-clock backstop ended the growth

    def check(self, held_bytes: float = 0.0) -> None:
        if self.grown > self.max_sets:
            raise BudgetExhausted(Msg("budget.work", n=int(self.max_sets)))
        if held_bytes > self.memory_bytes:
            raise BudgetExhausted(Msg("budget.memory", mb=held_bytes / 2**20))
        if time.perf_counter() > self.deadline:
            self.clock = True
            raise BudgetExhausted(Msg("budget.clock"))


@dataclass
class CandidateSet:
    eligible: list[int]
    candidates: list[Candidate]
    groups: list[str]  # existing groups that accept joiners in this instance
    enumerated: int = 0  # sets that passed every rule, before value and dominance pruning
    ineligible: dict[int, str] = field(default_factory=dict)
    base_members: dict[str, frozenset] = field(default_factory=dict)
    complete: bool = True  # False when the work budget ran out before every feasible set was grown
    in_feasible: set = field(default_factory=set)  # eligible positions in some set that passes every rule
    stopped: Msg | None = None  # why and where the enumeration stopped

    @property
    def eligible_set(self) -> set[int]:
        return set(self.eligible)


#: Estimated bytes a scored candidate (and its entry in the dominance table) holds in Python objects.
CANDIDATE_BYTES = 600


def _grow(ctx: Context, level: np.ndarray, elig: np.ndarray, A: np.ndarray, base: Base | None,
          budget: Budget | None = None, held_before: float = 0.0) -> np.ndarray:
    """All connected one-member extensions of each row (local indices into ``elig``), deduplicated, pruned.

    ``budget`` is checked after every chunk (raises :class:`BudgetExhausted`); the memory
    counted is the new rows held plus the copy deduplication makes (about 3x), on top of
    ``held_before`` (what the enumeration already holds).
    """
    out = []
    grown = 0  # bytes of the new rows kept so far
    near_base = None
    if base is not None:  # eligible municipalities linked to the existing group (adjacent, or within join_link_km)
        near = ctx.adjacency_matrix[np.ix_(base.idx, elig)] | (ctx.distance[np.ix_(base.idx, elig)]
                                                                <= ctx.scenario.join_link_km)
        near_base = near.any(axis=0)[None, :]
    for s in range(0, len(level), CHUNK):
        chunk = level[s:s + CHUNK]
        nb = A[chunk].any(axis=1) if chunk.shape[1] else np.zeros((len(chunk), len(elig)), bool)
        if near_base is not None:
            nb |= near_base
        nb[np.arange(len(chunk))[:, None], chunk] = False
        rows, w = np.nonzero(nb)
        new = np.sort(np.hstack([chunk[rows], w[:, None]]), axis=1)
        new = unique_rows(new)
        new = new[passes(ctx, _with_base(elig[new], base), base, HEREDITARY)]
        out.append(new)
        grown += new.nbytes
        if budget is not None:
            budget.grown += len(new)
            budget.check(held_before + level.nbytes + 3 * grown)
    return unique_rows(np.vstack(out)) if out else np.zeros((0, level.shape[1] + 1), dtype=np.int64)


def _with_base(rows: np.ndarray, base: Base | None) -> np.ndarray:
    if base is None:
        return rows
    return np.hstack([np.broadcast_to(base.idx, (len(rows), base.size)), rows])


def closed_to_joiners(ctx: Context, gid: str) -> Msg | None:
    """Why existing group ``gid`` takes no joiners under the data and scenario (``None`` if it may)."""
    sc = ctx.scenario
    if not bool(ctx.data.groups.at[gid, "open_to_new_members"]):
        return Msg("closed.groups_file")
    if gid in sc.locked:
        return Msg("closed.locked")
    if sc.open_groups == "none" or (isinstance(sc.open_groups, list) and gid not in sc.open_groups):
        return Msg("closed.not_open")
    return None


def open_groups(ctx: Context, positions: set[int]) -> list[str]:
    """Existing groups with a member in ``positions`` that accept joiners under the scenario."""
    return [gid for gid, codes in sorted(ctx.data.group_members.items())
            if any(ctx.pos[c] in positions for c in codes) and closed_to_joiners(ctx, gid) is None]


def enumerate_candidates(ctx: Context, codes: list[str], prune: bool = True, seed: str | None = None,
                         expansions: bool = True, budget: Budget | None = None) -> CandidateSet:
    """All scored candidate groups (new and expansions) over the municipalities ``codes``.

    With ``seed`` (a code), only new groups containing that municipality are grown. With
    ``budget``, the growth stops when it runs out (the result says so: ``complete``, ``stopped``).
    """
    sc = ctx.scenario
    positions = set(ctx.positions(codes).tolist())
    ineligible = {i: why for i in sorted(positions) if (why := eligible(ctx, i))}
    elig = np.array(sorted(positions - set(ineligible)), dtype=np.int64)
    A = ctx.adjacency_matrix[np.ix_(elig, elig)]
    together = {ctx.pos[c] for t in sc.together for c in t if c in ctx.pos}
    cands: list[Candidate] = []
    enumerated = 0
    feasible: set[int] = set()

    final_rules = (PAIRING,) if sc.connect_km >= sc.link_km else (PAIRING, CONNECTED)

    def held() -> float:  # bytes held by the candidates and the dominance tables so far
        return CANDIDATE_BYTES * (len(cands) + enumerated)

    def add(level: np.ndarray, base: Base | None, k: int, previous: dict):
        nonlocal enumerated
        full = _with_base(elig[level], base)
        ok = passes(ctx, full, base, final_rules)
        size_ok = (k >= sc.min_size) if base is None else True
        values: dict[tuple, float] = {}
        if not size_ok or not ok.any():
            return values
        sel = np.nonzero(ok)[0]
        enumerated += len(sel)
        feasible.update(np.unique(elig[level[sel]]).tolist())
        for s in range(0, len(sel), CHUNK):
            if budget is not None:
                budget.check(held())
            part = sel[s:s + CHUNK]
            best = batch_scores(ctx, full[part], base, rational=sc.require_individual_rationality)
            keys = list(map(tuple, elig[level[part]].tolist()))
            joins = list(map(tuple, best["join"][:, base.size if base else 0:].tolist()))
            vals = best["value"].tolist()
            for r, (key, v) in enumerate(zip(keys, vals)):
                values[key] = v
                if not np.isfinite(v):
                    continue  # no option leaves every member at least as well off (individual rationality)
                if prune and together.isdisjoint(key):
                    if v <= 0:
                        continue
                    if any(previous.get(key[:j] + key[j + 1:], -np.inf) >= v for j in range(len(key))):
                        continue
                cands.append(Candidate(key, base.group_id if base else None, v, float(best["npv"][r]),
                                       int(best["go_live"][r]), int(best["vendor"][r]), joins[r],
                                       float(best["npv_best"][r])))
        return values

    groups = open_groups(ctx, positions) if expansions else []
    stopped = None
    where = Msg("budget.where.new", k=2)
    try:
        # expansions of open existing groups first: few sets, and the ones a prefecture most often wants
        for gid in groups:
            base = base_of(ctx, gid)
            level = np.zeros((1, 0), dtype=np.int64)
            previous = {}
            for k in range(1, min(sc.max_joiners, base.max_members - base.size) + 1):
                where = Msg("budget.where.joiners", k=k, group=gid)
                level = _grow(ctx, level, elig, A, base, budget, held())
                if len(level) == 0:
                    break
                previous = add(level, base, k, previous)
        # new groups, size by size
        level = np.arange(len(elig), dtype=np.int64)[:, None]
        if seed is not None:
            level = level[elig == ctx.pos[seed]]
        previous: dict = {}
        for k in range(2, sc.max_size + 1):
            where = Msg("budget.where.new", k=k)
            level = _grow(ctx, level, elig, A, None, budget, held())
            if len(level) == 0:
                break
            previous = add(level, None, k, previous)
    except BudgetExhausted as exc:
        stopped = Msg("budget.stopped", why=exc.args[0], where=where)
    bases = {g: frozenset(ctx.positions(ctx.data.group_members[g]).tolist()) for g in groups}
    return CandidateSet(eligible=elig.tolist(), candidates=cands, groups=groups, enumerated=enumerated,
                        ineligible=ineligible, base_members=bases, complete=stopped is None, stopped=stopped,
                        in_feasible=feasible)
