"""The value model's fitted knobs are what tools/fit_value_model.py fits (no hand-tuned defaults)."""

import importlib.util

import pytest

from optimizer.config import ModelParameters
from support import ROOT


def load_tool():
    spec = importlib.util.spec_from_file_location("fit_value_model", ROOT / "tools" / "fit_value_model.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_sharing_saving_and_outcome_spread_are_the_maximum_likelihood_fit(data):
    tool, m = load_tool(), ModelParameters()
    theta, sigma = tool.fit_sharing(data, m)
    assert round(theta, 3) == m.sharing_saving and round(sigma, 3) == m.outcome_sd


def test_fit_predicts_the_city_with_villages_case_within_ten_points(data):
    tool, m = load_tool(), ModelParameters()
    x = tool.structure(data, ["02202", "02362", "02367", "02343"], m)  # 弘前市 and three villages: 11% reported
    assert abs(100 * m.sharing_saving * x - 11.0) < 10


@pytest.mark.slow
def test_standardisation_and_crossing_knobs_are_the_revealed_preference_fit(data):
    tool, m = load_tool(), ModelParameters()
    p0, p1 = tool.fit_standardisation(data, log=lambda *_: None)
    assert (p0, p1) == (m.standard_below_pop, m.custom_from_pop)
    joins = {"standard_below_pop": p0, "custom_from_pop": p1}
    assert tool.fit_cross_prefecture(data, joins, log=lambda *_: None) == m.cross_prefecture_yen
