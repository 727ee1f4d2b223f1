"""Sweeps: reproducible draws, the same results on any number of workers (a real Dask scheduler and worker
included), firm and open decisions that the draws support, a robust plan validated like any plan."""

import json
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

import optimizer as lg
from optimizer.config import scenario_from_dict
from optimizer.robust import summary
from optimizer.robust.draws import apply, draw, uncertainty
from optimizer.solve.plan import scope_codes
from optimizer.solve.verify import check_plan
from support import ROOT, cli


def _signature(res) -> list:
    return [(r["index"], r["groups"], round(r["value"])) for r in res.results]


@pytest.fixture(scope="module")
def wakayama_sweep(data):
    return lg.sweep(data, ["30"], draws=16, seed=7, workers=0)


def test_a_draw_is_the_same_whoever_computes_it_and_changes_only_uncertain_values(ctx, data):
    u = uncertainty(data, ctx.scenario, scope_codes(ctx, ["30"]))
    a, b = draw(u, data, ctx.scenario, 7, 3), draw(u, data, ctx.scenario, 7, 3)
    assert a == b and draw(u, data, ctx.scenario, 7, 4) != a
    changed = set(a.renewal) | set(a.vendor) | set(a.willing)
    assert changed <= set(u.renewal) | set(u.vendor) | set(u.willing)
    assert not any(c in data.group_of for c in changed)  # an existing member's values follow its group
    d2, _ = apply(data, ctx.scenario, a)
    for c, shift in a.renewal.items():
        assert d2.survey.at[c, "next_renewal_fy"] == data.survey.at[c, "next_renewal_fy"] + shift
    untouched = [c for c in data.survey.index if c not in changed]
    assert (d2.survey.loc[untouched, "vendor"] == data.survey.loc[untouched, "vendor"]).all()


def test_a_range_in_the_scenario_is_drawn_between_its_bounds_and_the_run_uses_its_midpoint(ctx, data):
    sc = scenario_from_dict({"model": {"discount_rate": {"low": 0.01, "high": 0.03}}})
    assert sc.model.discount_rate == pytest.approx(0.02) and sc.ranges == (("model.discount_rate", 0.01, 0.03),)
    u = uncertainty(data, sc, scope_codes(ctx, ["30"]))
    rates = [draw(u, data, sc, 0, k).model["discount_rate"] for k in range(50)]
    assert 0.01 <= min(rates) < 0.015 and 0.025 < max(rates) <= 0.03


def test_frequencies_firm_and_open_decisions_follow_from_the_draws(data, wakayama_sweep):
    res = wakayama_sweep
    n = res.draws
    together = {}
    for r in res.results:  # recount from the draws' plans
        for base, movers in r["groups"]:
            everyone = sorted((data.group_members.get(base, []) if base else []) + list(movers))
            for i, a in enumerate(everyone):
                for b in everyone[i + 1:]:
                    if a in movers or b in movers:
                        together[(a, b)] = together.get((a, b), 0) + 1
    assert {(p["a"], p["b"]): p["frequency"] for p in res.pairs} == {k: round(v / n, 4) for k, v in together.items()}
    assert all(p["frequency"] >= res.firm_share for p in res.firm["pairs"])
    firm_or_open = set(res.firm["municipalities"]) | {o["code"] for o in res.open}
    placed = {c for r in res.results for _, movers in r["groups"] for c in movers}
    assert firm_or_open <= placed and not set(res.firm["municipalities"]) & {o["code"] for o in res.open}
    for o in res.open:
        assert sum(x["frequency"] for x in o["options"]) <= 1 + 1e-9
        assert all(0.05 <= h["strength"] <= 1 for h in o["hinges_on"])


def test_an_input_that_decides_a_placement_is_what_it_hinges_on():
    rng = np.random.default_rng(0)
    x = rng.random(200)
    noise = rng.random(200)
    outcome = ["A" if v < 0.5 else "B" for v in x]
    assert summary.correlation_ratio(outcome, x) > 0.6
    assert summary.correlation_ratio(outcome, noise) < 0.05
    rare = np.zeros(200)
    rare[:2] = 1.0  # moved in two draws only: cannot be said to decide anything
    assert summary.correlation_ratio(["A"] * 2 + ["B"] * 198, rare) == 0.0


def test_the_robust_plan_is_validated_and_valued_over_every_draw(ctx, data, wakayama_sweep):
    res = wakayama_sweep
    plan = res.robust_plan
    assert plan is not None and check_plan(ctx, plan, scope_codes(ctx, ["30"])) == []
    v = res.robust_values
    assert len(v["value"]) == len(v["npv"]) == len(v["regret"]) == res.draws
    assert min(v["regret"]) >= -1.0  # no plan beats a draw's own optimum (rounding)
    q = res.npv_yen
    assert q["p10"] <= q["p50"] <= q["p90"]
    out = lg.as_dict(res, data=data, lang="en")
    assert {"draws", "seed", "pairs", "groups", "firm", "open", "robust_plan", "npv_yen"} <= set(out)
    assert out["robust_plan"]["criterion"] == "expected" and out["robust_plan"]["groups"]


def test_same_results_on_one_local_worker_and_in_process(data, wakayama_sweep):
    local = lg.sweep(data, ["30"], draws=16, seed=7, workers=1)
    assert _signature(local) == _signature(wakayama_sweep)
    assert [g.members for g in local.robust_plan.groups] == [g.members for g in wakayama_sweep.robust_plan.groups]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_a_real_scheduler_and_worker_in_separate_processes_give_the_same_sweep(data, wakayama_sweep, tmp_path):
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    bin_dir = __import__("pathlib").Path(sys.executable).parent
    sched = subprocess.Popen([str(bin_dir / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                              "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = None
    try:
        time.sleep(2)
        worker = subprocess.Popen([str(bin_dir / "dask"), "worker", address, "--nworkers", "1", "--nthreads", "1",
                                   "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
        time.sleep(3)
        p = cli("sweep", "--pref", "30", "--draws", "16", "--seed", "7", "--scheduler", address, "--json",
                "--out", str(tmp_path))
        assert p.returncode == 0, p.stderr
        out = json.loads(p.stdout)
        assert out["stats"]["workers"] == 1
        got = [(r["index"], [(g["base_group_id"], tuple(g["movers"])) for g in r["groups"]], r["value"])
               for r in out["draw_results"]]
        assert got == _signature(wakayama_sweep)
        assert {"sweep.json", "sweep_pairs.csv", "report.html", "map.html", "sweep.png"} <= {
            f.name for f in tmp_path.iterdir()}
    finally:
        for proc in (worker, sched):
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=30)
