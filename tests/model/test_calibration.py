"""The fitted reduction parameters are what benchmarks/calibration.py fits (no hand-tuned defaults)."""

import importlib.util
from pathlib import Path

import numpy as np

from optimizer.config import ModelParameters
from optimizer.inputs.dataset import load

ROOT = Path(__file__).resolve().parents[2]


def load_benchmark():
    spec = importlib.util.spec_from_file_location("calibration", ROOT / "benchmarks" / "calibration.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_reduction_defaults_are_the_documented_fit():
    cal, data, m = load_benchmark(), load(), ModelParameters()
    rep = np.array(list(cal.REPORTED.values()), dtype=float)
    G = np.array([cal.features(data, codes) for _, codes in sorted(data.group_members.items())])
    C = np.array([cal.features(data, data.group_members[c] if isinstance(c, str) else c) for _, c, _ in cal.CASES])
    c_rep = np.array([r for _, _, r in cal.CASES]) / 100.0
    assert cal.fit(G, C, c_rep, rep / rep.sum(), m) == (m.reduction_r0, m.reduction_size_slope)
