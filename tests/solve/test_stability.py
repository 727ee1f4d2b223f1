"""Whole-plan stability (山形: the issue's example), re-checked from fresh candidates and with another LP solver."""

import numpy as np
import pytest
from scipy.optimize import linprog

from optimizer.model import cost
from optimizer.solve.candidates import enumerate_candidates
from optimizer.solve.plan import propose, scope_codes


@pytest.fixture(scope="module")
def yamagata(ctx):
    plan = propose(ctx, ["06"])[0]
    cs = enumerate_candidates(ctx, scope_codes(ctx, ["06"]))
    return plan, cs


def _player_shares(plan) -> dict:
    x = {}
    for g in plan.groups:
        for s in g.shares:
            x[s["player"]] = x.get(s["player"], 0) + s["share_yen"]
    return x


def _coalitions(ctx, plan, cs):
    """(players, value) of every candidate not chosen and every sub-coalition of a chosen group."""
    chosen = {(tuple(sorted(g.joining if g.base_group_id else g.members)), g.base_group_id) for g in plan.groups}
    out = []
    for c in cs.candidates:
        key = (tuple(sorted(ctx.codes[i] for i in c.members)), c.base_group)
        if key in chosen or not np.isfinite(c.npv_best) or c.npv_best <= 1:
            continue
        out.append((list(key[0]) + ([c.base_group] if c.base_group else []), c.npv_best))
    for g in plan.groups:
        n = len({s["player"] for s in g.shares})
        for k, v in (g.coalition_values or {}).items():
            if len(k.split(",")) < n and v > 1:
                out.append((k.split(","), v))
    return out


def test_no_candidate_beats_the_plan_by_more_than_its_epsilon_and_one_beats_it_by_that(ctx, yamagata):
    plan, cs = yamagata
    st, x = plan.stability, _player_shares(plan)
    slack = [v - sum(x.get(p, 0) for p in players) for players, v in _coalitions(ctx, plan, cs)]
    assert max(slack) <= st["epsilon_yen"] + 10
    assert max(slack) >= st["epsilon_yen"] - 10  # epsilon is attained: it is the least amount, not a bound
    assert st["in_core"] == (st["epsilon_yen"] == 0)
    for b in st["blocking"]:  # listed blockers: the strongest first, stated against the plan's shares
        assert b["shares_sum_yen"] == sum(x.get(p, 0) for p in b["members"])
    gaps = [b["value_yen"] - b["shares_sum_yen"] for b in st["blocking"]]
    assert gaps == sorted(gaps, reverse=True) and (not gaps or gaps[0] == pytest.approx(max(slack), abs=10))


def test_epsilon_is_the_least_core_of_the_whole_plan_by_highs(ctx, yamagata):
    """The same LP solved independently (HiGHS through scipy, written from the definition)."""
    plan, cs = yamagata
    players = sorted({c for c in scope_codes(ctx, ["06"])} | set(cs.groups))
    col = {p: j for j, p in enumerate(players)}
    placed = {s["player"] for g in plan.groups for s in g.shares}
    n = len(players)
    A_ub, b_ub = [], []
    for members, v in _coalitions(ctx, plan, cs):  # -(x(c) + eps) <= -v
        row = np.zeros(n + 1)
        row[[col[p] for p in members]] = -1.0
        row[-1] = -1.0
        A_ub.append(row)
        b_ub.append(-v / 1e6)
    A_eq, b_eq = [], []
    for g in plan.groups:
        row = np.zeros(n + 1)
        row[[col[p] for p in {s["player"] for s in g.shares}]] = 1.0
        A_eq.append(row)
        b_eq.append(g.value_yen / 1e6)
    bounds = [(0, None if p in placed else 0) for p in players] + [(0, None)]
    c = np.zeros(n + 1)
    c[-1] = 1.0
    res = linprog(c, A_ub=np.array(A_ub), b_ub=b_ub, A_eq=np.array(A_eq), b_eq=b_eq, bounds=bounds, method="highs")
    assert res.status == 0
    assert res.fun * 1e6 == pytest.approx(plan.stability["epsilon_yen"], abs=10)


def test_outside_option_is_the_best_a_member_gets_elsewhere_while_the_others_keep_their_shares(ctx, yamagata):
    plan, cs = yamagata
    x = _player_shares(plan)
    best = {}
    chosen = {(tuple(sorted(g.joining if g.base_group_id else g.members)), g.base_group_id) for g in plan.groups}
    for c in cs.candidates:
        key = (tuple(sorted(ctx.codes[i] for i in c.members)), c.base_group)
        if key in chosen or c.npv_best <= 1:
            continue
        for code in key[0]:
            others = sum(x.get(p, 0) for p in key[0] if p != code) + (x.get(c.base_group, 0) if c.base_group else 0)
            best[code] = max(best.get(code, 0.0), c.npv_best - others)
    for g in plan.groups:
        for s in g.shares:
            if s["role"] == "joining" or not g.base_group_id:
                assert s["outside_option_yen"] >= round(best.get(s["code"], 0.0)) - 1
            assert s["share_yen"] >= s["outside_option_yen"] - plan.stability["epsilon_yen"] - len(g.shares)
            assert s["share_yen"] >= 0  # nobody below staying alone


def test_nearest_council_rule_plus_its_transfers_gives_exactly_the_shares(ctx, yamagata):
    plan, _ = yamagata
    m, fy0 = ctx.model, ctx.scenario.planning_fy
    for g in (g for g in plan.groups if g.kind == "new"):
        split = g.cost_split
        assert split["equal_weight"] + split["population_weight"] == pytest.approx(1.0)
        assert 0 <= split["equal_weight"] <= 1 and sum(split["transfers_yen"].values()) == 0
        idx = ctx.positions(g.members)
        ref = ctx.baseline[idx] * cost.annuity([g.join_fy[c] for c in g.members], fy0, m)
        share = np.array([next(s["share_yen"] for s in g.shares if s["code"] == c) for c in g.members])
        total = (ref - share).sum()
        w = ctx.registry_population[idx] / ctx.registry_population[idx].sum()
        formula = total * (split["equal_weight"] / len(idx) + split["population_weight"] * w)
        t = np.array([split["transfers_yen"][c] for c in g.members])
        assert np.abs(ref - formula + t - share).max() <= 2  # to the yen, up to the 4-decimal weight
        # the weight is the least-squares one: moving it either way fits the shares worse
        for d in (-0.01, 0.01):
            a = split["equal_weight"] + d
            if 0 <= a <= 1:
                worse = total * (a / len(idx) + (1 - a) * w)
                assert np.sum((ref - worse - share) ** 2) >= np.sum((ref - formula - share) ** 2) - 1
