"""Running draws on Dask: a local cluster of processes (one solver thread each) or an existing scheduler.

Each draw is a task: rebuild the draw's inputs from the sweep's seed and the draw's index
(:mod:`optimizer.robust.draws`), grow the candidate groups, solve exactly (deterministic limits:
:mod:`optimizer.solve.packing`) and return the chosen groups. The job (data without geometry, scenario,
scope, what is uncertain) is scattered to every worker once; a worker builds the base context once and
re-uses its distances for every draw. Results are gathered by index, so they are identical for any
number of workers. ``workers=0`` runs the same tasks in this process (no Dask), for notebooks and tests.
"""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from ..config import Scenario
from ..inputs.dataset import Dataset
from ..model.context import Context
from ..model.rules import GROUP_RULES, base_of, eligible, passes
from ..model.scoring import batch_scores
from ..solve.candidates import Budget, enumerate_candidates
from ..solve.packing import Requirements, solve
from ..solve.plan import prefecture_blocks, scope_codes
from .draws import Uncertainty, apply, draw

#: A group of a plan: (the existing group it expands or None, the codes of the municipalities that move, sorted).
GroupKey = tuple


@dataclass
class Job:
    """What every task needs; scattered to the workers once."""

    data: Dataset
    scenario: Scenario
    prefectures: list[str]
    uncertainty: Uncertainty
    seed: int
    memo: dict = field(default_factory=dict, repr=False)

    def base(self) -> Context:
        """The base context (this worker's copy, built once)."""
        if "ctx" not in self.memo:
            self.memo["ctx"] = Context(self.data, self.scenario)
        return self.memo["ctx"]

    def context(self, index: int) -> tuple[Context, dict]:
        """Draw ``index``'s context (the base distances re-used) and its inputs."""
        d = draw(self.uncertainty, self.data, self.scenario, self.seed, index)
        data, sc = apply(self.data, self.scenario, d)
        return Context(data, sc, reuse=self.base()), d.inputs()


def lite(data: Dataset) -> Dataset:
    """The data without its polygons (workers need the graph, not the geometry), graph built first."""
    _ = data.graph
    out = data.with_changes()
    for key in ("boundaries", "topology"):
        out.__dict__.pop(key, None)
    return out


def key_of(ctx: Context, c) -> GroupKey:
    return (c.base_group, tuple(sorted(ctx.codes[i] for i in c.members)))


def solve_draw(job: Job, index: int) -> dict:
    """Draw ``index``: its optimal plan (group keys, objective, municipal NPV, status) and its inputs."""
    ctx, inputs = job.context(index)
    sc = ctx.scenario
    scope = scope_codes(ctx, job.prefectures)
    cs = enumerate_candidates(ctx, scope, budget=Budget(sc.max_candidate_sets, sc.memory_limit_mb * 2**20))
    sol = solve(cs, Requirements([], []), seed=sc.seed, work=sc.time_limit_s,
                blocks=prefecture_blocks(ctx, cs) if len(job.prefectures) > 1 else None)
    chosen = [cs.candidates[k] for k in sol.chosen]
    return {"index": index, "status": sol.status, "gap": sol.gap, "complete": cs.complete,
            "groups": sorted((key_of(ctx, c) for c in chosen), key=str), "value": float(sum(c.value for c in chosen)),
            "npv": float(sum(c.npv for c in chosen)), "inputs": inputs}


def evaluate_draw(job: Job, index: int, keys: list[GroupKey]) -> np.ndarray:
    """Each group's (value, municipal NPV) under draw ``index`` at its best option there; 0 where the group is
    not admissible in that draw (a mover not eligible, a rule broken, no usable option: its members stay as they
    are). Where members are does not change between draws, so the growth's geography holds in every draw."""
    ctx, _ = job.context(index)
    out = np.zeros((len(keys), 2))
    by_base: dict = {}
    for k, (base, codes) in enumerate(keys):
        by_base.setdefault(base, []).append((k, codes))
    for base, items in by_base.items():
        b = base_of(ctx, base) if base else None
        width = max(len(c) for _, c in items) + (b.size if b else 0)
        M = np.full((len(items), width), -1, dtype=np.int64)
        for r, (_, codes) in enumerate(items):
            row = (list(b.idx) if b else []) + [ctx.pos[c] for c in codes]
            M[r, : len(row)] = row
        movers_ok = np.array([all(eligible(ctx, ctx.pos[c]) is None for c in codes) for _, codes in items])
        ok = movers_ok & passes(ctx, M, b, GROUP_RULES)
        scores = batch_scores(ctx, M[ok], b, rational=ctx.scenario.require_individual_rationality) if ok.any() \
            else {"value": np.zeros(0), "npv": np.zeros(0)}
        vals = np.zeros((len(items), 2))
        vals[ok, 0] = np.where(np.isfinite(scores["value"]), scores["value"], 0.0)
        vals[ok, 1] = np.where(np.isfinite(scores["value"]), scores["npv"], 0.0)
        for r, (k, _) in enumerate(items):
            out[k] = vals[r]
    return out


@contextmanager
def cluster(scheduler: str | None = None, workers: int | None = None):
    """A Dask client: on ``scheduler`` (an address) or on a local cluster of ``workers`` processes (default:
    the cores), one thread each; ``workers=0``: ``None`` (tasks run in this process)."""
    if workers == 0 and not scheduler:
        yield None
        return
    from dask.distributed import Client, LocalCluster

    if scheduler:
        client = Client(scheduler)
        try:
            yield client
        finally:
            client.close()
        return
    n = workers or max(1, os.cpu_count() or 1)
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as lc, Client(lc) as client:
        yield client


def run(client, job: Job, fn, args: list[tuple], progress=None) -> list:
    """``fn(job, *a)`` for every ``a`` of ``args``, in order; ``progress(done, total)`` as tasks finish."""
    if client is None:
        out = []
        for k, a in enumerate(args, start=1):
            out.append(fn(job, *a))
            if progress:
                progress(k, len(args))
        return out
    from dask.distributed import as_completed

    shared = client.scatter(job, broadcast=True, hash=False)  # a fresh key: never one a finished phase released
    futures = [client.submit(fn, shared, *a, pure=False) for a in args]
    position = {f.key: k for k, f in enumerate(futures)}
    out: list = [None] * len(futures)
    for done, f in enumerate(as_completed(futures), start=1):
        out[position[f.key]] = f.result()
        if progress:
            progress(done, len(futures))
    return out
