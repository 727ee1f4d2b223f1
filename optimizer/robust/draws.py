r"""Draws of the uncertain inputs: what a sweep perturbs, one draw at a time, reproducibly.

Uncertain are

* the fitted model parameters, from their standard errors: ``sharing_saving`` ~ N(θ, sd(θ)) (the bootstrap
  of ``tools/fit_value_model.py``), clipped to (0, ``system_share``];
* every scenario key given as a range in the TOML (``discount_rate = {low = 0.01, high = 0.03}`` in the
  ``[model]`` table): uniform between (whole numbers for whole-number keys);
* the survey values marked synthetic or uncertain (``synthetic_fields``, ``uncertain_fields``) of the
  municipalities in scope: a renewal year moves one year earlier or later with probability
  ``renewal_shift_p`` (the second renewal with it); a vendor is another one, drawn from the
  prefecture's survey, with probability ``vendor_change_p``; a willingness is the other way with
  probability ``willing_flip_p``.

Draw *k* of a sweep with seed *s* uses the random generator seeded ``(s, k)`` and visits the
municipalities in code order, so it is the same whichever worker computes it and however many
there are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..config import Scenario
from ..inputs.dataset import Dataset

#: Survey fields a draw can perturb, as named in ``synthetic_fields`` / ``uncertain_fields``.
FIELDS = ("next_renewal_fy", "vendor", "willing")


@dataclass(frozen=True)
class Uncertainty:
    """What is uncertain in a sweep's scope: the municipalities whose renewal, vendor or willingness is
    uncertain (codes, sorted), each prefecture's vendors (for a changed vendor), the scenario's ranges."""

    renewal: tuple[str, ...]
    vendor: tuple[str, ...]
    willing: tuple[str, ...]
    vendors_by_prefecture: dict = field(default_factory=dict)
    ranges: tuple = ()


@dataclass(frozen=True)
class Draw:
    """One draw: model and scenario values, and the survey changes (code -> new value; only the changed)."""

    index: int
    model: dict
    scenario: dict
    renewal: dict
    vendor: dict
    willing: dict

    def inputs(self) -> dict[str, float]:
        """Every drawn input as a number (what an open decision can hinge on): parameters by key, survey
        changes as ``renewal:<code>`` (years moved), ``vendor:<code>`` (1 if changed), ``willing:<code>``."""
        out = {f"model.{k}": float(v) for k, v in self.model.items()}
        out.update({k: float(v) for k, v in self.scenario.items()})
        out.update({f"renewal:{c}": float(v) for c, v in self.renewal.items()})
        out.update({f"vendor:{c}": 1.0 for c in self.vendor})
        out.update({f"willing:{c}": 1.0 for c in self.willing})
        return out


def uncertainty(data: Dataset, scenario: Scenario, codes: list[str]) -> Uncertainty:
    """The uncertain survey values of the municipalities ``codes`` (not members of an existing group: theirs
    follow the group) and the scenario's ranges."""
    sv = data.survey
    marked: dict[str, set[str]] = {f: set() for f in FIELDS}
    for c in sorted(codes):
        if c not in sv.index or c in data.group_of:
            continue
        names = set()
        for col in ("synthetic_fields", "uncertain_fields"):
            if col in sv.columns:
                names |= {x.strip() for x in str(sv.at[c, col] or "").split(";") if x.strip()}
        for f in FIELDS:
            if f in names:
                marked[f].add(c)
    prefs = {c[:2] for c in codes}
    by_pref = {p: sorted(set(sv.loc[[c for c in sv.index if c[:2] == p], "vendor"].dropna())) for p in sorted(prefs)}
    return Uncertainty(tuple(sorted(marked["next_renewal_fy"])), tuple(sorted(marked["vendor"])),
                       tuple(sorted(marked["willing"])), by_pref, scenario.ranges)


def draw(u: Uncertainty, data: Dataset, scenario: Scenario, seed: int, index: int) -> Draw:
    """Draw ``index`` of a sweep seeded ``seed`` (see the module docstring)."""
    rng = np.random.default_rng([seed, index])
    m = scenario.model
    theta = float(np.clip(rng.normal(m.sharing_saving, m.sharing_saving_sd), 1e-3, m.system_share))
    model = {"sharing_saving": theta}
    top = {}
    for key, lo, hi in u.ranges:
        name = key.removeprefix("model.")
        default = getattr(m if key.startswith("model.") else scenario, name)
        v = int(rng.integers(int(lo), int(hi) + 1)) if isinstance(default, int) else float(rng.uniform(lo, hi))
        (model if key.startswith("model.") else top)[name] = v
    sv = data.survey
    renewal, vendor, willing = {}, {}, {}
    for c in u.renewal:  # every uncertain value draws its numbers, moved or not: draws stay aligned by code
        move, up = rng.random(), rng.random()
        if move < scenario.renewal_shift_p:
            renewal[c] = 1 if up < 0.5 else -1
    for c in u.vendor:
        change, pick = rng.random(), rng.random()
        others = [v for v in u.vendors_by_prefecture.get(c[:2], []) if v != sv.at[c, "vendor"]]
        if change < scenario.vendor_change_p and others:
            vendor[c] = others[int(pick * len(others))]
    for c in u.willing:
        if rng.random() < scenario.willing_flip_p:
            willing[c] = not bool(sv.at[c, "willing"])
    return Draw(index, model, top, renewal, vendor, willing)


def apply(data: Dataset, scenario: Scenario, d: Draw) -> tuple[Dataset, Scenario]:
    """The data and scenario of a draw (the geometry re-used)."""
    sc = scenario.replace(model={**d.model}, **d.scenario) if (d.model or d.scenario) else scenario
    if not (d.renewal or d.vendor or d.willing):
        return data.with_changes(), sc
    sv = data.survey.copy()
    for c, shift in d.renewal.items():
        sv.at[c, "next_renewal_fy"] = int(sv.at[c, "next_renewal_fy"]) + shift
        second = sv.at[c, "second_renewal_fy"] if "second_renewal_fy" in sv.columns else None
        if second is not None and not pd.isna(second):
            sv.at[c, "second_renewal_fy"] = int(second) + shift
    for c, v in d.vendor.items():
        sv.at[c, "vendor"] = v
    for c, w in d.willing.items():
        sv.at[c, "willing"] = w
    return data.with_changes(survey=sv), sc
