"""Helpers shared by the tests (on the path through ``pythonpath`` in pyproject.toml)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
#: The small real fixture: 紀伊半島 (三重・奈良・和歌山), cut from the shipped data by tools/build_fixture.py.
KII = ROOT / "tests" / "fixtures" / "kii"


#: Headless Chromium or Chrome for the tests that open pages in a browser (LGCLOUD_CHROMIUM, else the PATH).
CHROMIUM = (os.environ.get("LGCLOUD_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
            or shutil.which("google-chrome"))


def require_chromium() -> None:
    """Skip a browser test without a browser; fail it in CI, which installs one (.ci/run)."""
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is required in CI (.ci/run installs it)")
        pytest.skip("chromium not installed (see the README: any Chromium or Chrome, or LGCLOUD_CHROMIUM)")


def headless_dom(url: str, tmp_path: Path, *flags: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """Open ``url`` in headless Chromium, let its scripts run (3 s of virtual time) and dump the DOM to stdout;
    ``flags`` add to the command line (a window size, logging)."""
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           "--disable-background-networking", "--disable-component-update", "--disable-sync",
                           f"--user-data-dir={tmp_path / 'chrome'}", *flags, "--virtual-time-budget=3000",
                           "--dump-dom", url], capture_output=True, text=True, timeout=timeout)


def cli(*args, check: bool = True) -> subprocess.CompletedProcess:
    """Run ``python cli.py ARGS`` in the repository, as a user would."""
    p = subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], capture_output=True, text=True,
                       cwd=ROOT)
    if check and p.returncode != 0:
        raise AssertionError(p.stderr)
    return p


def least_core_epsilon(coalition_values: dict[str, int]) -> float:
    """Smallest ε such that some imputation x (x >= 0, x(N) = v(N)) has x(S) >= v(S) - ε for every S
    (an LP written independently of optimizer.model.sharing: scipy's HiGHS)."""
    from scipy.optimize import linprog

    keys = list(coalition_values)
    players = sorted({p for k in keys for p in k.split(",")})
    grand = ",".join(sorted(players))
    n = len(players)
    rows, rhs = [], []
    for k, v in coalition_values.items():
        if k == grand:
            continue
        a = np.zeros(n + 1)
        for p in k.split(","):
            a[players.index(p)] = -1.0
        a[-1] = -1.0  # -x(S) - eps <= -v(S)
        rows.append(a)
        rhs.append(-v / 1e6)
    c = np.zeros(n + 1)
    c[-1] = 1.0
    res = linprog(c, A_ub=np.array(rows), b_ub=np.array(rhs), A_eq=[np.append(np.ones(n), 0.0)],
                  b_eq=[coalition_values[grand] / 1e6], bounds=[(0, None)] * n + [(None, None)], method="highs")
    assert res.status == 0
    return res.x[-1] * 1e6


def check_group_money(g: dict, plan_epsilon: int = 0) -> None:
    """Shares sum to the value to the yen; no member below staying alone, nor more than the plan's epsilon below its
    outside option; within the group, no sub-group beats the shares by more than the plan's epsilon where the
    group's own core is non-empty (least core otherwise)."""
    shares = g["shares"]
    assert sum(s["share_yen"] for s in shares) == g["value_yen"]
    assert sum(s["own_npv_yen"] for s in shares) == g["value_yen"]
    assert sum(s["annual_savings_yen"] for s in shares) == g["annual_savings_yen"]
    assert all(s["share_yen"] >= 0 for s in shares)
    assert all(s["share_yen"] >= s["outside_option_yen"] - plan_epsilon - len(shares) for s in shares)
    cv = g["coalition_values"]
    if cv is None:
        return
    eps = least_core_epsilon(cv)
    x = {}
    for s in shares:
        x[s["player"]] = x.get(s["player"], 0) + s["share_yen"]
    worst = min(sum(x[p] for p in k.split(",")) - v for k, v in cv.items())
    if eps <= 1.0:  # the core is non-empty: the allocation must be in it (rounding: a yen per player)
        assert g["allocation"]["in_core"] is True
        assert worst >= -len(x) - plan_epsilon
    else:
        assert g["allocation"]["in_core"] is False
        assert g["allocation"]["epsilon_yen"] == pytest.approx(eps, abs=len(x) + 1)
