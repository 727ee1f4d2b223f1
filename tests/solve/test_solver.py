import copy
import itertools
import json
import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from optimizer.model import cost
from optimizer.solve.candidates import enumerate_candidates
from optimizer.config import Scenario
from optimizer.model.context import Context
from optimizer.errors import InputError, ValidationFailure
from optimizer.solve.plan import prefecture_blocks, propose, scope_codes
from optimizer.model.rules import eligible, violations
from optimizer.model.group import score_group
from optimizer.model.scoring import batch_scores
from optimizer.solve.packing import Requirements, solve
from optimizer.solve.verify import check_plan

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wakayama(ctx):
    return propose(ctx, ["30"])[0]


def test_wakayama_plan_is_optimal_and_every_group_passes_independent_checks(ctx, data, wakayama):
    assert wakayama.status == "OPTIMAL" and wakayama.gap == 0 and wakayama.groups
    g = data.graph
    sc = ctx.scenario
    for grp in wakayama.groups:
        movers = grp.joining if grp.base_group_id else grp.members
        rows = data.survey.loc[movers]
        assert rows.cloud_status.isin(["none", "solo"]).all() and rows.willing.all()
        for c in movers:  # each joins within the window of one of its contract ends, in the horizon
            year = grp.join_fy[c]
            assert ctx.first_fy <= year <= ctx.last_fy
            assert cost.years_from_contract_end(int(rows.at[c, "next_renewal_fy"]), year, sc.model) <= \
                sc.renewal_window_years
        assert sc.min_size <= len(grp.members) <= sc.max_size or grp.base_group_id
        sub = g.subgraph(grp.members)
        assert nx.is_connected(sub) or grp.base_group_id
        assert plan_distance_ok(ctx, grp)


def plan_distance_ok(ctx, grp) -> bool:
    idx = ctx.positions(grp.members)
    return float(ctx.distance[np.ix_(idx, idx)].max()) <= ctx.scenario.max_member_distance_km or bool(grp.base_group_id)


def test_plan_scores_equal_the_score_of_the_same_members(ctx, wakayama):
    for grp in wakayama.groups:
        fresh = score_group(ctx, grp.members, go_live=grp.go_live_fy, vendor=grp.vendor, base_group=grp.base_group_id,
                            join=grp.join_fy)
        assert fresh.npv_yen == pytest.approx(grp.npv_yen)
        assert fresh.continuity.score == grp.continuity.score


def _brute_force_groups(ctx, scope):
    elig = [ctx.pos[c] for c in scope if eligible(ctx, ctx.pos[c]) is None]
    found = set()
    for k in range(ctx.scenario.min_size, ctx.scenario.max_size + 1):
        for combo in itertools.combinations(sorted(elig), k):
            if not violations(ctx, np.array(combo)):
                found.add(combo)
    if ctx.scenario.require_individual_rationality:  # the money rule: some option where no member loses
        rows = sorted(found)
        width = max(map(len, rows))
        M = np.array([list(r) + [-1] * (width - len(r)) for r in rows])
        ok = np.isfinite(batch_scores(ctx, M, None, rational=True)["value"])
        found = {r for r, k in zip(rows, ok) if k}
    return found


@pytest.mark.parametrize("pref,mode", [("37", "migrate"), ("05", "migrate"), ("34", "same")])
def test_enumeration_finds_exactly_the_groups_the_rules_allow(data, pref, mode):
    # the search space (sets connected over links) equals the rules when connect_km = link_km = 0
    ctx = Context(data, Scenario(vendor_mode=mode, connect_km=0, pairing="hard"))
    scope = scope_codes(ctx, [pref])
    cs = enumerate_candidates(ctx, scope, prune=False)
    new = {c.members for c in cs.candidates if c.base_group is None}
    assert new == _brute_force_groups(ctx, scope)


def test_cp_sat_optimum_equals_brute_force_packing(data):
    ctx = Context(data, Scenario(vendor_mode="migrate"))
    cs = enumerate_candidates(ctx, scope_codes(ctx, ["37"]))
    sol = solve(cs, Requirements([], []))
    assert sol.status == "OPTIMAL"
    cands = cs.candidates
    best = 0.0

    def search(k, used, groups, value):
        nonlocal best
        best = max(best, value)
        for j in range(k, len(cands)):
            c = cands[j]
            keys = set(c.members) | ({("G", c.base_group)} if c.base_group else set())
            if used.isdisjoint(keys):
                search(j + 1, used | keys, groups, value + c.value)

    search(0, frozenset(), [], 0.0)
    assert sol.objective == pytest.approx(best)


def test_same_seed_gives_the_same_plan(data):
    ctx = Context(data, Scenario(vendor_mode="migrate", seed=3))
    a = propose(ctx, ["20"])[0]
    b = propose(Context(data, Scenario(vendor_mode="migrate", seed=3)), ["20"])[0]
    assert [g.members for g in a.groups] == [g.members for g in b.groups]
    assert a.objective == b.objective


def test_validator_rejects_deliberately_broken_plans(data):
    ctx = Context(data, Scenario(vendor_mode="migrate"))
    plan = propose(ctx, ["37"])[0]
    scope = scope_codes(ctx, ["37"])
    assert check_plan(ctx, plan, scope) == []
    g0 = plan.groups[0]
    assert g0.kind == "new"

    broken = copy.deepcopy(plan)
    broken.groups[0].npv_yen += 1_000_000
    assert any("npv_yen" in p for p in check_plan(ctx, broken, scope))

    broken = copy.deepcopy(plan)
    broken.groups[0].members = sorted(g0.members + ["37201"])  # 高松市: not willing (survey)
    assert any("not willing" in p for p in check_plan(ctx, broken, scope))

    broken = copy.deepcopy(plan)
    broken.groups[0].members = sorted(g0.members + ["30202"])  # outside the instance
    assert any("outside the instance" in p for p in check_plan(ctx, broken, scope))

    broken = copy.deepcopy(plan)
    broken.groups.append(copy.deepcopy(g0))
    problems = check_plan(ctx, broken, scope)
    assert any("also in" in p for p in problems) and any("objective" in p for p in problems)

    broken = copy.deepcopy(plan)
    by_year = {int(ctx.renewal[ctx.pos[c]]): c for c in scope if eligible(ctx, ctx.pos[c]) is None}
    trio = [by_year[2018], by_year[2020], by_year[2022]]  # contract ends 2018/23, 2020/25, 2022/27: 3 years of 5
    broken.groups[0].members = sorted(trio)
    broken.groups[0].join_fy = {c: 2022 for c in trio}
    assert any("rule 'renewal'" in p for p in check_plan(ctx, broken, scope))

    broken = copy.deepcopy(plan)
    broken.eligible_alone = broken.eligible_alone[1:]
    assert any("'alone' list" in p for p in check_plan(ctx, broken, scope))

    with pytest.raises(ValidationFailure):
        from optimizer.solve.verify import validate_plan
        validate_plan(ctx, broken, scope)


def test_validator_rejects_a_disconnected_group(data):
    ctx = Context(data, Scenario(vendor_mode="migrate", renewal_window_years=10, connect_km=0, open_groups="none"))
    plan = propose(ctx, ["30"])[0]
    broken = copy.deepcopy(plan)
    k, g0 = next((k, g) for k, g in enumerate(plan.groups) if g.kind == "new")
    idx = ctx.positions(g0.members)
    placed = {c for g in plan.groups for c in g.members}
    far = [c for c in scope_codes(ctx, ["30"]) if c not in placed and not ctx.rule_links[ctx.pos[c], idx].any()][:1]
    broken.groups[k].members = sorted(g0.members + far)
    broken.eligible_alone = [c for c in plan.eligible_alone if c not in far]
    problems = check_plan(ctx, broken, scope_codes(ctx, ["30"]))
    assert any("rule 'connected'" in p for p in problems), problems


def test_together_with_renewal_outside_the_window_is_infeasible_and_named(data):
    ctx = Context(data, Scenario(together=[["30341", "30206"]], roadmap_years=1))  # a single wave
    plan = propose(ctx, ["30"])[0]
    assert plan.status == "INFEASIBLE"
    reasons = [str(r) for r in plan.infeasibility]
    assert any("30341" in r and "30206" in r and "3 years from G042's renewal (2019), window 2" in r for r in reasons)
    # in a roadmap 田辺市 joins G042 when its contract ends: the same requirement holds
    plan = propose(Context(data, Scenario(together=[["30341", "30206"]])), ["30"])[0]
    assert plan.status == "OPTIMAL" and any({"30341", "30206"} <= set(g.members) for g in plan.groups)


def test_feasible_together_is_respected(data):
    ctx = Context(data, Scenario(vendor_mode="migrate", together=[["30202", "30209"]]))
    plan = propose(ctx, ["30"])[0]
    assert plan.status == "OPTIMAL"
    assert any({"30202", "30209"} <= set(g.members) for g in plan.groups)


def test_apart_is_respected(data):
    free = propose(Context(data, Scenario()), ["30"])[0]
    a, b = max(free.groups, key=lambda g: len(g.movers)).movers[:2]
    plan = propose(Context(data, Scenario(apart=[[a, b]])), ["30"])[0]
    assert not any({a, b} <= set(g.members) for g in plan.groups)
    assert plan.objective <= free.objective


def test_contradictory_lists_are_input_errors(data):
    ctx = Context(data, Scenario(together=[["30202", "30209"]], apart=[["30202", "30209"]]))
    with pytest.raises(InputError, match="must be apart but are also required together"):
        propose(ctx, ["30"])


def test_alternatives_are_distinct_and_ordered(data):
    plans = propose(Context(data, Scenario()), ["30"], alternatives=3)
    assert len(plans) == 3
    keys = [tuple(sorted(tuple(g.members) for g in p.groups)) for p in plans]
    assert len(set(keys)) == 3
    assert plans[0].objective >= plans[1].objective >= plans[2].objective


def test_several_prefectures_are_one_instance(data):
    # no expansions: two single-prefecture plans could each expand 橋本市・大和郡山市 (G040), which one plan cannot
    ctx = Context(data, Scenario(vendor_mode="migrate", open_groups="none"))
    plan = propose(ctx, ["29", "30"])[0]
    assert plan.status == "OPTIMAL" and plan.prefectures == ["29", "30"]
    single = sum(propose(ctx, [p])[0].objective for p in ("29", "30"))
    assert plan.objective >= single - 1  # a joint instance can only do at least as well


def _cli(*args):
    args = [*args, "--lang", "en"] if "--lang" not in args else list(args)
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True, cwd=ROOT)


def test_cli_propose_writes_outputs(tmp_path):
    p = _cli("propose", "--pref", "30", "--json", "--out", str(tmp_path), "--lang", "ja")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["status"] == "OPTIMAL" and out["gap"] == 0 and out["scenario"]["renewal_window_years"] == 2
    assert {"id", "kind", "base_group_id", "members", "joining", "go_live_fy", "vendor", "reduction_rate",
            "annual_savings_yen", "npv_yen", "continuity_score", "pairing_ok"} <= set(out["groups"][0])
    csv = (tmp_path / "proposals.csv").read_bytes()
    assert csv.startswith(b"\xef\xbb\xbf") and "団体コード".encode() in csv
    gj = json.loads((tmp_path / "proposals.geojson").read_text(encoding="utf-8"))
    assert gj["features"] and gj["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_cli_infeasible_exits_3_with_reason(tmp_path):
    sc = tmp_path / "s.toml"
    sc.write_text('roadmap_years = 1\ntogether = [["30341", "30206"]]\n', encoding="utf-8")
    p = _cli("propose", "--pref", "30", "--scenario", str(sc))
    assert p.returncode == 3 and "3 years from G042's renewal (2019), window 2" in p.stderr and "Traceback" not in p.stderr


def test_cli_unknown_scenario_key_exits_2(tmp_path):
    sc = tmp_path / "s.toml"
    sc.write_text('renewal_windw = 2\n', encoding="utf-8")
    p = _cli("propose", "--pref", "30", "--scenario", str(sc))
    assert p.returncode == 2 and "renewal_windw" in p.stderr and "Traceback" not in p.stderr


def test_conflicting_requirements_are_named_together(data):
    # {東かがわ市, さぬき市} and {さぬき市, 土庄町} are each admissible groups, but さぬき市 can be in one group only
    # and no admissible group holds all three: CP-SAT's core names both requirements
    for pair in (["37207", "37206"], ["37206", "37322"]):
        assert propose(Context(data, Scenario(together=[pair])), ["37"])[0].status == "OPTIMAL"
    plan = propose(Context(data, Scenario(together=[["37207", "37206"], ["37206", "37322"]])), ["37"])[0]
    assert plan.status == "INFEASIBLE"
    assert any("cannot all hold at once" in r and "37207" in r and "37322" in r for r in map(str, plan.infeasibility))


def test_cli_score_of_each_proposed_group_equals_the_plan():
    plan = json.loads(_cli("propose", "--pref", "30", "--json").stdout)
    for g in plan["groups"]:
        out = json.loads(_cli("score", "--members", ",".join(g["members"]), "--json").stdout)
        assert out["kind"] == g["kind"] and out["base_group_id"] == g["base_group_id"]
        assert out["npv_yen"] == g["npv_yen"] and out["go_live_fy"] == g["go_live_fy"]
        assert out["continuity"]["score"] == g["continuity_score"]


def test_reduced_cost_fixing_keeps_every_candidate_of_the_optimum(data, monkeypatch):
    """The LP start and its safe reduction (large models) change neither the optimum nor its proof."""
    from optimizer.solve import packing as S

    ctx = Context(data, Scenario())
    cs = enumerate_candidates(ctx, scope_codes(ctx, ["20"]))  # 長野: about 5,000 candidates
    full = solve(cs, Requirements([], []), work=60)
    assert full.status == "OPTIMAL" and full.dropped == 0  # below LP_START_MIN_CANDIDATES: no LP
    start, duals, clock = S.lp_packing(cs)
    assert not clock
    keys = [set(S.packing_keys(cs.candidates[k])) for k in start]
    assert all(a.isdisjoint(b) for a, b in itertools.combinations(keys, 2))  # the dive's plan is a packing
    keep = S.reduced_cost_keep(duals, round(full.objective))
    assert keep[full.chosen].all() and keep.sum() < len(cs.candidates) / 2
    monkeypatch.setattr(S, "LP_START_MIN_CANDIDATES", 0)
    reduced = solve(cs, Requirements([], []), work=60)
    assert reduced.status == "OPTIMAL" and reduced.dropped > 0
    assert round(reduced.objective) == round(full.objective) and reduced.best_bound == pytest.approx(full.best_bound)


def test_national_start_prices_then_packs_and_keeps_the_optimum_and_its_proof(data, monkeypatch):
    """The large multi-prefecture path (LP, then the integer packing of the best-priced candidates)
    returns packings, bounds every plan from above, and changes neither the optimum nor its proof."""
    from optimizer.solve import packing as S

    ctx = Context(data, Scenario())
    cs = enumerate_candidates(ctx, scope_codes(ctx, ["29", "30"]))  # 奈良 and 和歌山: groups may cross the line
    blocks = prefecture_blocks(ctx, cs)
    assert -1 in blocks  # cross-prefecture candidates exist
    req = Requirements([], [])
    full = solve(cs, req, work=60)  # one model, no blocks
    assert full.status == "OPTIMAL"
    _, duals, _ = S.lp_packing(cs, dive=False)
    assert S.relaxation_bound(duals) >= round(full.objective) - 1  # weak duality
    greedy = S.greedy_packing(cs, req)
    monkeypatch.setattr(S, "RESTRICTED_COLUMNS", 30)
    start, clock = S.restricted_packing(cs, duals, greedy, seed=0, time_limit=10)
    assert not clock
    keys = [set(S.packing_keys(cs.candidates[k])) for k in start]
    assert all(a.isdisjoint(b) for a, b in itertools.combinations(keys, 2))
    value = sum(cs.candidates[k].value for k in start)
    assert sum(cs.candidates[k].value for k in greedy) <= value <= full.objective + 1
    monkeypatch.setattr(S, "PRESOLVE_MIN_CANDIDATES", 0)  # take the national path on this small instance
    national = solve(cs, req, work=60, blocks=blocks)
    assert national.status == "OPTIMAL" and round(national.objective) == round(full.objective)
    assert national.best_bound == pytest.approx(full.best_bound) and national.bound_source == "CP-SAT"
