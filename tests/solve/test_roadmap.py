"""The roadmap: groups founded in a fiscal year, members joining as their contracts end."""

import copy

import numpy as np
import pytest

from optimizer.model import cost
from optimizer.config import Scenario
from optimizer.model.context import Context
from optimizer.solve.plan import propose
from optimizer.model.rules import base_of
from optimizer.model.group import score_group
from optimizer.model.scoring import money_batch, schedule_money
from optimizer.render import payload
from optimizer.solve.plan import Proposal
from optimizer.solve.verify import check_plan


@pytest.fixture(scope="module")
def wave(data):
    return Context(data, Scenario(roadmap_years=1))


@pytest.fixture(scope="module")
def wakayama(ctx):
    return propose(ctx, ["30"])[0]


@pytest.fixture(scope="module")
def nagano(ctx):
    """長野: new groups whose members join over several years."""
    return propose(ctx, ["20"])[0]


def test_a_one_year_schedule_is_the_single_wave_money_to_the_yen(ctx):
    rng = np.random.default_rng(0)
    codes = ["30341", "30361", "30362", "30366", "30201"]
    for _ in range(5):
        k = int(rng.integers(2, 5))
        idx = ctx.positions(sorted(rng.choice(codes, k, replace=False)))
        year = int(rng.integers(2019, 2027))
        v = np.array([ctx.vendor_code[idx[0]]])
        a = money_batch(ctx, idx[None, :], v, np.array([year]))
        b = schedule_money(ctx, idx[None, :], v, np.full((1, k), year))
        for key in ("npv", "national_npv", "annual", "one_off", "subsidy", "timing"):
            assert a[key][0] == pytest.approx(b[key][0], abs=1e-3), key
    base = base_of(ctx, "G042")  # an expansion too
    M = np.concatenate([base.idx, ctx.positions(["30201", "30202"])])[None, :]
    v = np.array([ctx.vendor_code[base.idx[0]]])
    J = np.where(np.arange(M.shape[1]) < base.size, -1, 2021)[None, :]
    a = money_batch(ctx, M, v, np.array([2021]), base)
    b = schedule_money(ctx, M, v, J, base)
    assert a["npv"][0] == pytest.approx(b["npv"][0], abs=1e-3)


def test_joining_at_a_contract_end_costs_no_timing_and_between_ends_the_cheaper_way(ctx):
    m = ctx.model
    assert cost.timing_cost(1.0, 2020, 2025, m) == 0  # the next contract end after 2020
    assert cost.timing_cost(1.0, 2020, 2021, m) == pytest.approx(m.extension_premium)
    assert cost.timing_cost(1.0, 2020, 2024, m) == pytest.approx(min(4 * m.extension_premium, m.early_exit_cost))
    assert cost.timing_cost(1.0, 2020, 2018, m) == pytest.approx(2 * m.early_exit_cost)


def test_wakayama_roadmap_places_tanabe_in_a_year_its_contract_allows(ctx, wakayama):
    plan = wakayama
    assert plan.status == "OPTIMAL" and plan.gap == 0
    assert check_plan(ctx, plan, sorted(c for c in ctx.codes if c[:2] == "30")) == []
    g = next(g for g in plan.groups if "30206" in g.members)  # 田辺市, left alone by the single-wave plan
    year = g.join_fy["30206"]
    assert ctx.first_fy <= year <= ctx.last_fy
    assert cost.years_from_contract_end(ctx.renewal[ctx.pos["30206"]], year, ctx.model) <= \
        ctx.scenario.renewal_window_years
    assert {"fy": year, "joining": ["30206"]} in g.timeline or any("30206" in s["joining"] for s in g.timeline)
    assert plan.horizon == {"from_fy": 2018, "to_fy": 2027, "first_go_live_fy": 2019, "single_wave": False}


def test_everyone_outside_a_group_is_listed_with_a_reason(ctx, wakayama):
    scope = [c for c in ctx.codes if c[:2] == "30"]
    in_group = {c for g in wakayama.groups for c in g.members} | {c for c in scope if c in ctx.group_of}
    listed = {r["code"]: r for r in wakayama.left_out}
    assert set(listed) == set(scope) - in_group
    assert all(r["reason_code"] for r in listed.values())
    texts = payload.left_out_list(wakayama)
    assert all(r["reason"] and r["reason_ja"] and r["reason_en"] for r in texts)
    assert listed["30207"]["reason_code"] == "unwilling"  # 新宮市 answered not willing


@pytest.mark.parametrize("pref", ["30", "20", "23", "47"])
def test_the_roadmap_is_never_below_the_single_wave_plan_valued_over_the_same_horizon(ctx, wave, pref):
    roadmap = propose(ctx, [pref])[0]
    single = propose(wave, [pref])[0]
    assert roadmap.status == single.status == "OPTIMAL"
    # the single-wave plan is one admissible roadmap: value each of its groups in the roadmap's accounts
    again = [score_group(ctx, g.members, go_live=g.go_live_fy, vendor=g.vendor, base_group=g.base_group_id,
                         join={c: g.go_live_fy for c in g.movers}) for g in single.groups]
    valued = sum(g.value for g in again)
    assert valued == pytest.approx(single.objective, abs=1.0)
    assert roadmap.objective >= valued - 1.0
    placed = sum(len(g.movers) for g in roadmap.groups)
    assert placed >= 1 and roadmap.kpi[-1]["municipalities_in_groups"] >= single.kpi[-1]["municipalities_in_groups"] - placed


def test_a_one_year_horizon_gives_the_single_wave_plan(wave):
    plan = propose(wave, ["30"])[0]
    assert plan.horizon["single_wave"]
    assert all(len(g.timeline) == 1 and g.timeline[0]["fy"] == g.go_live_fy for g in plan.groups)
    assert "30206" in {r["code"] for r in plan.left_out}  # 田辺市: its renewal is outside the window


def test_kpi_by_year_adds_up_to_the_groups_npv(ctx, wakayama):
    plan = wakayama
    years = [k["fy"] for k in plan.kpi]
    assert years == list(range(2018, 2028))
    total = plan.kpi[-1]["cumulative_npv_yen"] + round(plan.npv_after_horizon)
    assert abs(total - round(sum(g.npv_yen for g in plan.groups))) <= 1
    existing = sum(c[:2] == "30" for ms in ctx.data.group_members.values() for c in ms)  # members in scope
    assert plan.kpi[0]["municipalities_in_groups"] == existing  # FY2018: nobody has gone live yet
    assert plan.kpi[-1]["municipalities_in_groups"] == existing + sum(len(g.movers) for g in plan.groups)
    counts = [k["municipalities_in_groups"] for k in plan.kpi]
    assert counts == sorted(counts)


def test_validator_rechecks_every_year_of_a_schedule(ctx, nagano):
    scope = sorted(c for c in ctx.codes if c[:2] == "20")
    g = next(g for g in nagano.groups if len(g.timeline) > 1)
    k = nagano.groups.index(g)
    broken = copy.deepcopy(nagano)
    c = g.timeline[-1]["joining"][0]
    broken.groups[k].join_fy[c] = 2031  # after the horizon
    problems = check_plan(ctx, broken, scope)
    assert any("rule 'timing'" in p for p in problems), problems
    broken = copy.deepcopy(nagano)
    broken.groups[k].join_fy[c] = g.join_fy[c] - 1  # same rules, another year: the figures no longer match
    assert any("re-scoring" in p for p in check_plan(ctx, broken, scope))


def test_a_new_group_needs_a_founding_cohort_and_connected_members_each_year(data):
    ctx = Context(data, Scenario(open_groups="none"))
    plan = propose(ctx, ["20"])[0]
    scope = sorted(c for c in ctx.codes if c[:2] == "20")
    g = next(g for g in plan.groups if g.kind == "new")
    k = plan.groups.index(g)
    broken = copy.deepcopy(plan)
    first, *rest = sorted(g.members)
    broken.groups[k].join_fy = {c: (2019 if c == first else 2024) for c in g.members}  # a cohort of one
    assert any("rule 'cohort'" in p for p in check_plan(ctx, broken, scope))


def test_roadmap_outputs_csv_report_chart_and_a_year_control_on_the_map(data, ctx, wakayama, tmp_path):
    from optimizer.render.files import roadmap_csv
    from optimizer.render.report import plan_files

    raw = roadmap_csv(data, wakayama)
    assert raw.startswith("\ufeff".encode())
    text = raw.decode("utf-8-sig").splitlines()
    assert text[0].startswith("年度,グループ,既存グループID,団体コード,団体名,区分")
    assert any(",30206,田辺市,参加," in line for line in text)
    files = plan_files(data, Proposal([wakayama], ["30"]))
    assert files["roadmap.png"].startswith(b"\x89PNG")
    assert "## ロードマップ" in files["report.md"] and "![roadmap](roadmap.png)" in files["report.md"]
    assert 'src="data:image/png;base64,' in files["report.html"] and "グループに入らない団体と理由" in files["report.html"]
    assert 'type="range" id="year"' in files["map.html"] and 'data-join="' in files["map.html"]
    en = plan_files(data, Proposal([wakayama], ["30"]), lang="en")
    assert "## Roadmap" in en["report.md"]


def test_validator_rejects_a_plan_that_loses_a_municipality_or_a_yen(ctx, wakayama):
    scope = sorted(c for c in ctx.codes if c[:2] == "30")
    broken = copy.deepcopy(wakayama)
    broken.left_out = broken.left_out[1:]  # someone no longer accounted for
    assert any("in no group does not match" in p for p in check_plan(ctx, broken, scope))
    broken = copy.deepcopy(wakayama)
    broken.kpi[-1]["cumulative_npv_yen"] += 1_000  # the roadmap's table no longer adds up
    assert any("KPI's cumulative NPV" in p for p in check_plan(ctx, broken, scope))


def test_english_report_lists_with_commas_and_japanese_with_japanese_punctuation(data, ctx, nagano):
    from optimizer.render.report import plan_markdown

    en = plan_markdown(data, Proposal([nagano], ["20"]), lang="en")
    steps = [line for line in en.splitlines() if line.startswith("- FY20") and "go" in line]
    assert steps and not any("、" in line or "（" in line for line in steps)
    assert any(", " in line for line in steps)
    assert en.splitlines()[0].startswith("# Joint-cloud group proposals: ")
    ja = plan_markdown(data, Proposal([nagano], ["20"]), lang="ja")
    one = next(s for g in nagano.groups for s in g.timeline[1:] if len(s["joining"]) == 1)
    assert f"- {one['fy']}年度: 参加（{data.name(one['joining'][0])}が稼働）" in ja.splitlines()
    many = next(s for g in nagano.groups for s in g.timeline[1:] if len(s["joining"]) > 1)
    assert any(line.startswith(f"- {many['fy']}年度: 参加（") and "、" in line for line in ja.splitlines())


# --- the roadmap says what its numbers are (issue 23) ------------------------------------------------------
def test_a_years_savings_count_every_member_running_so_they_never_collapse(nagano):
    savings = [k["annual_savings_yen"] for k in nagano.kpi]
    assert savings == sorted(savings) and savings[-1] > 0  # members only join: the year's savings only grow
    live = [g for g in nagano.groups if max(g.join_fy.values()) <= nagano.kpi[-1]["fy"]]
    assert abs(savings[-1] - sum(g.annual_savings_yen for g in live)) <= len(live)
    window = [k["npv_window_savings_yen"] for k in nagano.kpi]
    assert all(w <= s + 1 for w, s in zip(window, savings))  # the NPV window's part, kept apart and labelled


def test_an_expanded_group_keeps_the_year_it_was_founded(ctx, wakayama):
    expansions = [g for g in wakayama.groups if g.base_group_id]
    assert expansions
    for g in expansions:
        start = int(ctx.data.groups.at[g.base_group_id, "start_fy"])
        assert g.founded_fy == start < g.timeline[0]["fy"] == g.go_live_fy
    assert all(g.founded_fy == g.go_live_fy for g in wakayama.groups if not g.base_group_id)


def test_a_city_too_big_for_any_partner_is_told_the_population_cap(ctx):
    from optimizer.solve.roadmap import left_out, population_bound

    assert population_bound(ctx, ctx.pos["01100"]) and population_bound(ctx, ctx.pos["14100"])  # 札幌, 横浜
    assert not population_bound(ctx, ctx.pos["30201"])  # 和歌山市 could group with a neighbour
    reasons = {r["code"]: r["reason_code"] for r in left_out(ctx, [], ["01100", "14100", "27100"])}
    assert reasons == {"01100": "population_cap", "14100": "population_cap", "27100": "population_cap"}
