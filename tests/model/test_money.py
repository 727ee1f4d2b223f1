"""Money that adds up: accounts, coalition values, the nucleolus, individual rationality, participation.

The core is re-checked here with an LP written independently of optimizer.model.sharing (scipy's
HiGHS over the published ``coalition_values``), on real instances.
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scipy.optimize import linprog

from optimizer.model import cost
from optimizer.api import context
from optimizer.config import ModelParameters, Scenario
from optimizer.model.context import Context
from optimizer.inputs.dataset import load
from optimizer.solve.plan import propose
from optimizer.model.sharing import nucleolus, superadditive_cover
from optimizer.render.payload import plan_dict
from optimizer.solve.verify import check_plan
from support import check_group_money, least_core_epsilon

ROOT = Path(__file__).resolve().parents[2]


def test_nucleolus_of_a_textbook_game_is_its_known_point():
    # v(1)=v(2)=v(3)=0, v(12)=v(13)=v(23)=60, v(N)=120: symmetric, core {x_i <= 60}: nucleolus (40, 40, 40)
    v = np.array([0, 0, 0, 60, 0, 60, 60, 120], dtype=float) * 1e6
    x, t = nucleolus(v, 3)
    assert x == pytest.approx([40e6] * 3, abs=1) and t == pytest.approx(20e6, abs=1)
    # glove game, 1 left glove (player 0), 2 right: the core is the single point (1, 0, 0)
    v = np.array([0, 0, 0, 1, 0, 1, 0, 1], dtype=float) * 1e6
    x, t = nucleolus(v, 3)
    assert x == pytest.approx([1e6, 0, 0], abs=1) and t == pytest.approx(0, abs=1)


def test_empty_core_is_reported_with_its_least_core_epsilon():
    # every pair worth 100, the three together only 120: no split satisfies all pairs (core empty)
    v = np.array([0, 0, 0, 100, 0, 100, 100, 120], dtype=float) * 1e6
    x, t = nucleolus(v, 3)
    assert t < 0 and -t == pytest.approx(least_core_epsilon(
        {"a": 0, "b": 0, "c": 0, "a,b": 100e6, "a,c": 100e6, "b,c": 100e6, "a,b,c": 120e6}), abs=1)
    assert x.sum() == pytest.approx(120e6) and (x >= 0).all()


def test_a_sub_coalition_is_worth_its_best_split():
    # players a, b, c: {a,b} worth 5, {c} alone 0, {a,b,c} as one block only 3 -> the cover is 5
    raw = np.full(8, -np.inf)
    raw[0b011] = 5.0
    raw[0b111] = 3.0
    v = superadditive_cover(raw, 3)
    assert v[0b111] == 5.0 and v[0b101] == 0.0


def test_new_group_shares_are_in_the_core(ctx):
    g = score_group_dict(ctx, ["30341", "30343", "30344", "30361", "30362"])
    assert g["allocation"]["method"] == "nucleolus"
    check_group_money(g)


def score_group_dict(ctx, codes, base_group=None):
    from optimizer.model.group import score_group

    from optimizer.render.payload import group_score_dict

    return group_score_dict(score_group(ctx, codes, base_group=base_group, shares=True))


def test_expansion_game_has_the_existing_group_as_one_player(ctx, data):
    members = data.group_members["G041"] + ["30202"]
    g = score_group_dict(ctx, members, base_group="G041")
    assert set(g["coalition_values"]) == {"G041", "30202", "30202,G041"}
    assert g["coalition_values"]["30202,G041"] == g["value_yen"] == g["npv_yen"]
    existing = [s for s in g["shares"] if s["role"] == "existing"]
    assert len(existing) == len(data.group_members["G041"]) and {s["player"] for s in existing} == {"G041"}
    check_group_money(g)


def test_the_two_accounts_differ_by_the_discounted_subsidy(ctx):
    from optimizer.model.group import score_group

    g = score_group(ctx, ["30341", "30361", "30362"])
    m = ctx.model
    disc = float(cost.discount(g.go_live_fy - 1, ctx.scenario.planning_fy, m))
    assert g.npv_yen - g.national_npv_yen == pytest.approx(g.subsidy_yen * disc, rel=1e-9)
    municipal = Context(ctx.data, Scenario(objective_account="municipal"))
    gm = score_group(municipal, ["30341", "30361", "30362"], go_live=g.go_live_fy, vendor=g.vendor)
    assert gm.value - g.value == pytest.approx(g.npv_yen - g.national_npv_yen, rel=1e-9)


def test_cost_base_is_the_running_cost_of_the_systems_that_move(data):
    m = ModelParameters()
    core = Context(data, Scenario())
    both = Context(data, Scenario(cost_scope="core_internal"))
    i = next(k for k, st in enumerate(core.status) if st == "none")
    whole = float(cost.per_resident_cost(core.registry_population[i], m) * core.registry_population[i])
    assert core.baseline[i] == pytest.approx(m.core_running_share * whole)
    assert both.baseline[i] == pytest.approx((m.core_running_share + m.internal_running_share) * whole)


def test_a_municipalitys_own_core_cost_overrides_the_model(survey_copy):
    df = survey_copy.df
    df["core_system_cost_yen"] = ""
    df.loc[df.code == "30201", "core_system_cost_yen"] = "123456789"
    d = load(survey=survey_copy.save(), groups=survey_copy.groups)
    ctx = Context(d, Scenario())
    assert ctx.baseline[ctx.pos["30201"]] == 123456789
    assert ctx.baseline[ctx.pos["30202"]] == pytest.approx(Context(load(), Scenario()).baseline[ctx.pos["30202"]])


def test_plan_groups_reconcile_and_nobody_loses(data):
    plans = propose(context(data, Scenario()), ["30", "29"])
    plan = plans[0]
    assert plan.status == "OPTIMAL" and plan.groups
    assert any(g.base_group_id for g in plan.groups) and any(not g.base_group_id for g in plan.groups)
    names = data.municipalities["name"].to_dict()
    for g in plan_dict(plan, names)["groups"]:
        check_group_money(g, plan.stability["epsilon_yen"])
    bands = plan.participation
    assert sum(b["placed"] for b in bands) == sum(len(g.joining if g.base_group_id else g.members) for g in plan.groups)
    assert sum(b["share_yen"] for b in bands) == sum(g.value_yen for g in plan.groups)


def test_validator_rejects_a_table_that_does_not_add_up(data):
    ctx = context(data, Scenario())
    plan = propose(ctx, ["30"])[0]
    assert check_plan(ctx, plan, plan_scope(data, "30")) == []
    plan.groups[0].shares[0]["share_yen"] += 1
    assert any("share_yen sum to" in p for p in check_plan(ctx, plan, plan_scope(data, "30")))
    plan.groups[0].shares[0]["share_yen"] = -1
    assert any("below its outside option" in p for p in check_plan(ctx, plan, plan_scope(data, "30")))


def plan_scope(data, pref):
    m = data.municipalities
    return sorted(m.index[m["prefecture_code"] == pref])


def test_participation_first_places_at_least_as_many_municipalities(data):
    base = propose(context(data, Scenario()), ["20"])[0]
    lex = propose(context(data, Scenario(participation_mode="lexicographic")), ["20"])[0]
    placed = lambda p: sum(b["placed"] for b in p.participation)  # noqa: E731
    assert lex.status == "OPTIMAL"
    assert placed(lex) >= placed(base)
    assert lex.objective <= base.objective + 1


def run_cli(*args):
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True, timeout=120)


def test_score_names_every_rule_a_set_breaks():
    out = json.loads(run_cli("score", "--members", "30201,01100", "--json").stdout)
    rules = {v["rule"] for v in out["violations"]}
    assert {"population", "distance", "connected"} <= rules


def test_score_of_one_member_says_alone():
    r = run_cli("score", "--members", "30201", "--lang", "en")
    assert r.returncode == 0 and "alone" in r.stdout and "27%" not in r.stdout
    out = json.loads(run_cli("score", "--members", "30201", "--json").stdout)
    assert out["kind"] == "alone" and out["annual_savings_yen"] == 0


def test_score_of_an_existing_groups_members_says_so(data):
    r = run_cli("score", "--group", "G041", "--lang", "en")
    assert r.returncode == 0 and "exactly the members of G041" in r.stdout
    assert "eligibility" not in r.stdout


def test_nucleolus_keeps_the_least_core_level_on_random_games():
    """The nucleolus first maximises the smallest excess: it can never fall below the least-core value."""
    from optimizer.model.sharing import all_masks, least_core

    rng = np.random.default_rng(7)
    for _ in range(150):
        n = int(rng.integers(2, 8))
        M = all_masks(n)
        w = rng.random(n) * 100
        v = np.array([w[M[s]].sum() * (1 + 0.3 * rng.random()) if M[s].sum() >= 2 else 0.0
                      for s in range(2**n)]) * 1e6
        x, t = nucleolus(v, n)
        _, t_lc = least_core(v, n)
        assert x.sum() == pytest.approx(v[-1], abs=1) and (x >= 0).all()
        assert (M.astype(float) @ x - v)[1:-1].min() >= min(t_lc, 0) - 1  # on the imputation set


def _tables_reconcile(md: str) -> int:
    """Every members' table in a report: member rows sum to the total row, column by column, as shown (百万円 to
    0.1, rounded so that they add up; the yen are checked in the JSON)."""
    checked = 0
    lines = md.splitlines()
    for k, line in enumerate(lines):
        if not (line.startswith("| ") and "配分額（NPV）" in line and "調整額" in line):  # a members' table header
            continue
        end = next((j for j in range(k, len(lines)) if not lines[j].startswith("|")), len(lines))
        cells = [[c.strip().strip("*") for c in r.strip("|").split("|")] for r in lines[k + 2:end]]
        total, members = cells[-1], cells[:-1]
        assert lines[end - 1].startswith("| **") and members
        for j in range(2, len(total)):
            if not total[j]:
                continue  # a column without a total (a member's best alternative)
            tenths = lambda c: round(float(c.replace(",", "")) * 10)  # noqa: E731
            assert sum(tenths(m[j]) for m in members) == tenths(total[j])
        checked += 1
    return checked


def test_report_and_match_report_tables_add_up(kii):
    import optimizer as lg
    from optimizer.render.report import match_markdown, plan_markdown

    run = lg.proposal(kii, ["30", "29"])
    kinds = {g.kind for g in run.best.groups}
    assert kinds == {"new", "expand"}  # a new group and an expansion are both checked
    assert _tables_reconcile(plan_markdown(kii, run)) == len(run.best.groups)
    res = lg.match(kii, "30206")
    assert _tables_reconcile(match_markdown(kii, res)) == 1


def test_nucleolus_lps_agree_with_highs_on_random_games():
    """GLOP (the product's LP solver) and HiGHS (scipy, the reference here) give the same nucleolus, on both
    ways the LP is built (row by row below 300 rows, one sparse matrix above: 9 players)."""
    from optimizer.model import sharing

    def highs_lp(values, n, free, fixed, fixed_excess):
        M = sharing.all_masks(n).astype(float)
        v = values / sharing._SCALE
        c = np.r_[np.zeros(n), -1.0]
        res = linprog(c, A_ub=np.hstack([-M[free], np.ones((len(free), 1))]), b_ub=-v[free],
                      A_eq=np.array([np.append(M[-1], 0.0)] + [np.append(M[s], 0.0) for s in fixed]),
                      b_eq=np.array([v[-1]] + [v[s] + e for s, e in zip(fixed, fixed_excess)]),
                      bounds=[(0.0, None)] * n + [(None, None)], method="highs")
        return res.x[:n] * sharing._SCALE, res.x[-1] * sharing._SCALE, (res.x[-1], -res.ineqlin.marginals)

    rng = np.random.default_rng(11)
    for n in [2, 3, 4, 5, 6, 7, 8, 9, 9]:
        M = sharing.all_masks(n)
        v = np.array([max(0.0, rng.normal(M[s].sum() * 1e7, 8e6)) if M[s].sum() >= 2 else 0.0 for s in range(2**n)])
        v[-1] = max(v[-1], 0.0) + rng.uniform(0, 3e7)
        x, t = nucleolus(v, n)
        glop = sharing._excess_lp
        sharing._excess_lp = highs_lp
        try:
            x_ref, t_ref = nucleolus(v, n)
        finally:
            sharing._excess_lp = glop
        assert np.abs(x - x_ref).max() < 1e-3 and abs(t - t_ref) < 1e-3  # yen
