import numpy as np
import pytest

from optimizer.model import cost
from optimizer.api import score
from optimizer.config import ModelParameters, Scenario, scenario_from_dict
from optimizer.inputs.dataset import load
from optimizer.errors import InputError
from optimizer.model.group import score_group
from optimizer.model.scoring import coalition_npv


def test_coastal_group_requires_inland_partner(ctx):
    paired = score_group(ctx, ["30341", "30361", "30362"])
    alone = score_group(ctx, ["30361", "30362"])
    assert paired.continuity.pairing_ok and not alone.continuity.pairing_ok
    assert alone.continuity.score < paired.continuity.score
    assert set(paired.continuity.coastal) == {"30361", "30362"} and paired.continuity.inland == ["30341"]


def test_cost_curve_reproduces_the_published_band_figures(data):
    m = ModelParameters()
    p = data.municipalities["registry_population"].to_numpy(float)
    c = cost.per_resident_cost(p, m)
    assert c[p < 20_000].mean() == pytest.approx(11_724, rel=0.01)
    assert c[(p >= 100_000) & (p < 200_000)].mean() == pytest.approx(3_096, rel=0.01)
    assert (c * p).sum() == pytest.approx(4786e8, rel=0.01)
    assert cost.per_resident_cost(500_000, m) > cost.per_resident_cost(200_000, m)  # U-shape: rising again


def _shared(b, pop, m, switch=None):
    b, pop = np.atleast_2d(b).astype(float), np.atleast_2d(pop).astype(float)
    valid = np.ones_like(b, dtype=bool)
    return cost.shared_system(b, pop, valid, np.zeros_like(valid) if switch is None else np.atleast_2d(switch), m)


def test_two_equals_save_half_the_sharing_saving_and_many_equals_nearly_all():
    m = ModelParameters()
    two = _shared([1e8, 1e8], [3e4, 3e4], m)
    eight = _shared([1e8] * 8, [3e4] * 8, m)
    assert two["saving"][0] / 2e8 == pytest.approx(m.sharing_saving / 2)
    assert eight["saving"][0] / 8e8 == pytest.approx(m.sharing_saving * 7 / 8)


def test_a_city_with_villages_saves_little_and_the_villages_most_of_it():
    m = ModelParameters()
    city = _shared([2e9, 5e7, 5e7, 5e7], [180_000, 3_000, 3_000, 3_000], m)
    rate = city["saving"][0] / city["total"][0]
    assert rate < 0.1  # 弘前-type: a city with villages (reported about 11%)
    own = city["own"][0]
    assert (own[1:] / 5e7 > own[0] / 2e9).all()  # each village saves a larger share of its own cost
    assert own.sum() == pytest.approx(city["saving"][0])


def test_savings_are_not_clipped_when_changing_package_costs_more_than_sharing_saves():
    m = ModelParameters(switch_penalty=0.9)
    moved = _shared([1e8, 1e8], [3e4, 3e4], m, switch=[True, True])
    assert moved["saving"][0] < 0


def test_standardising_work_costs_more_per_yen_the_larger_the_member():
    m = ModelParameters()
    z = cost.standardisation(np.full(4, 1e8), np.array([10_000, 50_000, 500_000, 3_000_000]), m)
    assert z[0] == 0 and (np.diff(z) > 0).all()
    assert cost.standard_share(m.custom_from_pop * 2, m) == 0


def test_rate_spread_is_ordered_and_wider_for_a_larger_structure():
    m = ModelParameters()
    small, large = cost.rate_distribution(0.1, 0.2, m), cost.rate_distribution(0.3, 0.9, m)
    assert small["p10"] < small["p50"] < small["p90"]
    assert large["p90"] - large["p10"] > small["p90"] - small["p10"]


def test_shares_add_up_to_the_group_value_to_the_yen(ctx):
    s = score_group(ctx, ["30341", "30361", "30362", "30343", "30344"], shares=True)
    assert sum(x["share_yen"] for x in s.shares) == s.value_yen == round(s.npv_yen)
    assert sum(x["shapley_yen"] for x in s.shares) == s.value_yen
    assert s.allocation["method"] == "nucleolus" and s.in_core is not None


def test_shapley_for_many_members_is_sampled_and_still_adds_up(ctx, data):
    codes = data.group_members["G015"]  # 18 members
    s = score_group(ctx, codes, shares=True)
    assert s.in_core is None and "sampled" in s.allocation["method"]
    assert sum(x["share_yen"] for x in s.shares) == s.value_yen
    assert all(x["share_yen"] >= 0 for x in s.shares)


def test_member_that_loses_on_its_own_account_is_compensated(survey_copy):
    df = survey_copy.df
    df.loc[df.code == "30206", "next_renewal_fy"] = "2027"  # would leave its contract 8 years early
    df.loc[df.code == "30206", "second_renewal_fy"] = ""
    d = load(survey=survey_copy.save(), groups=survey_copy.groups)
    s = score(d, ["30202", "30206", "30209"], go_live=2019)
    row = {x["code"]: x for x in s.shares}
    assert row["30206"]["own_npv_yen"] < 0  # its own savings do not cover its early exit
    if s.value_yen >= 0:  # the group as a whole gains: the split leaves nobody below its outside option
        assert row["30206"]["share_yen"] >= 0 and row["30206"]["transfer_yen"] > 0
        assert not any(v["rule"] == "individual_rationality" for v in s.violations)
    else:
        assert any(v["rule"] == "individual_rationality" for v in s.violations)



def test_expansion_is_valued_against_the_status_quo(ctx, data):
    base = data.group_members["G041"]
    joiner = "30201"
    exp = score_group(ctx, base + [joiner], base_group="G041")
    new = score_group(ctx, base + [joiner], vendor=exp.vendor, go_live=exp.go_live_fy)
    assert exp.joining == [joiner]
    assert exp.annual_savings_yen < new.annual_savings_yen  # existing members already save
    assert exp.one_off_cost_yen < new.one_off_cost_yen  # only the joiner pays one-off costs


def test_coalition_values_match_single_group_scoring(ctx):
    codes = ["30341", "30361", "30362"]
    s = score_group(ctx, codes)
    v = coalition_npv(ctx, ctx.positions(codes), ctx.vendor_ids[s.vendor], s.go_live_fy, np.ones((1, 3), bool))
    assert v[0] == pytest.approx(s.npv_yen)


def test_scenario_rejects_unknown_keys_and_bad_types():
    with pytest.raises(InputError, match="unknown key"):
        scenario_from_dict({"renewal_windows": 2})
    with pytest.raises(InputError, match="model.nope"):
        scenario_from_dict({"model": {"nope": 1}})
    with pytest.raises(InputError, match="whole number"):
        scenario_from_dict({"max_size": "six"})
    sc = scenario_from_dict({"vendor_mode": "migrate", "together": [["30341", "30361"]], "model": {"discount_rate": 0.03}})
    assert sc.vendor_mode == "migrate" and sc.model.discount_rate == 0.03 and sc.together == [["30341", "30361"]]


def test_later_go_live_extends_contracts_at_a_premium(ctx):
    early = score_group(ctx, ["30341", "30361", "30362"], go_live=2019)  # their renewal (G042's): no timing cost
    late = score_group(ctx, ["30341", "30361", "30362"], go_live=2021)  # two years of extension
    assert late.timing_cost_yen > early.timing_cost_yen
    assert late.npv_yen < early.npv_yen


def test_api_contexts_follow_their_dataset(data, survey_copy):
    from optimizer.api import context

    other = load(survey=survey_copy.save(), groups=survey_copy.groups)
    assert context(data).data is data and context(other).data is other
    assert context(data, Scenario(max_size=5)).scenario.max_size == 5


@pytest.mark.parametrize("roadmap_years", [10, 1])
def test_the_best_wave_equals_costing_every_package_and_year_in_full(data, roadmap_years):
    """batch_scores costs each package once and each year once (the money separates); the option it picks
    and its value must be those of costing every (package, year) option in full with money_batch."""
    from optimizer.solve.candidates import enumerate_candidates
    from optimizer.model.context import Context
    from optimizer.solve.plan import scope_codes
    from optimizer.model.rules import timing_check
    from optimizer.model.scoring import _options, batch_scores, money_batch

    ctx = Context(data, Scenario(vendor_mode="migrate", roadmap_years=roadmap_years))
    cs = enumerate_candidates(ctx, scope_codes(ctx, ["30"]), expansions=False)
    rows = [c.members for c in cs.candidates][:300]
    M = np.full((len(rows), max(map(len, rows))), -1)
    for r, c in enumerate(rows):
        M[r, : len(c)] = c
    sc = ctx.scenario
    vendors, years = _options(ctx, M, None, None, None)
    moving = M >= 0
    best = np.full(len(M), -np.inf)
    got = batch_scores(ctx, M, None, rational=True)
    cont = got["continuity"] * (M >= 0).sum(axis=1)
    cvalue = sc.weight_continuity * sc.continuity_value_yen * cont / 100.0 + sc.participation_weight_yen * (M >= 0).sum(axis=1)
    for v in vendors:
        for y, ok in years:
            money = money_batch(ctx, M, np.where(v >= 0, v, 0), y)
            usable = (v >= 0) & ok & (money["npv"] >= -0.5)
            if ctx.roadmap:
                usable &= timing_check(ctx, M, np.where(moving, y[:, None], -1), None)
            account = money["national_npv"] if sc.objective_account == "national" else money["npv"]
            best = np.maximum(best, np.where(usable, sc.weight_savings * account + cvalue, -np.inf))
    waves = got["join"].max(axis=1) == np.where(M >= 0, got["join"], 10**6).min(axis=1)  # the best is a wave
    assert waves.any()
    assert np.array_equal(got["value"][waves], best[waves])
    assert (got["value"] >= best - 1e-6).all()  # a staggered schedule, where chosen, is worth at least the best wave
