"""Derive the share of the per-resident IT budget that is the running cost of the systems that move.

    python tools/fit_cost_base.py

The FY2017 per-resident curve (``optimizer.model.cost.per_resident_cost``) covers the whole IT
budget: 基幹系 + 内部系, 整備費 + 運用費. The ~30% reductions, and the 2016 spread, concern
the *running* cost of the systems moved into the joint cloud. Published group cases that
state the members' current cost of their core (基幹系) systems give that share directly:
reported annual core cost / curve estimate of the members' whole IT budget. The median of
the cases is the default ``core_running_share``; 吾妻郡 (a whole-IT baseline) is printed as a
check of the curve itself, not used in the fit.

Sources: ``../shared/data/jichitai_cloud_group_cases.csv`` (press and public material, per-row
source keys there). Facts only; the figures are quoted, not copied.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimizer.model import cost  # noqa: E402
from optimizer.config import ModelParameters  # noqa: E402
from optimizer.inputs.dataset import load  # noqa: E402

# (label, prefecture, member names, reported annual cost of the scope in yen, scope)
CASES = [
    ("有田・御坊・美浜・由良・印南・上富田", "和歌山県", ["有田市", "御坊市", "美浜町", "由良町", "印南町", "上富田町"],
     20.1e8 / 5, "基幹系 (5-year baseline 20.1 億円)"),
    ("周南・下松・光・柳井・阿武", "山口県", ["周南市", "下松市", "光市", "柳井市", "阿武町"],
     60e8 / 10, "基幹系 (10-year baseline 60 億円)"),
    ("高石市・忠岡町", "大阪府", ["高石市", "忠岡町"], 1.2e8, "住基・税・福祉 running (1.2 億円/year)"),
]
CHECK = ("吾妻郡6町村", "群馬県", ["中之条町", "長野原町", "嬬恋村", "草津町", "高山村", "東吾妻町"], 6e8,
         "all IT, annual (6+ 億円)")


def curve_total(data, pref: str, names: list[str], m: ModelParameters) -> float:
    mu = data.municipalities
    total = 0.0
    for n in names:
        row = mu[(mu["name"] == n) & (mu["prefecture"] == pref)]
        p = float(row["registry_population"].iloc[0])
        total += float(cost.per_resident_cost(p, m)) * p
    return total


def main() -> None:
    data, m = load(), ModelParameters()
    ratios = []
    for label, pref, names, reported, scope in CASES:
        est = curve_total(data, pref, names, m)
        ratios.append(reported / est)
        print(f"{label:34} {scope:38} reported {reported / 1e8:5.2f} 億円/yr, curve {est / 1e8:5.2f}, "
              f"share {reported / est:.3f}")
    label, pref, names, reported, scope = CHECK
    est = curve_total(data, pref, names, m)
    print(f"check: {label} {scope}: reported / curve = {reported / est:.2f} (the curve itself, not fitted here)")
    print(f"\ncore_running_share = median {np.median(ratios):.2f} (n={len(ratios)}, range "
          f"{min(ratios):.2f}-{max(ratios):.2f}); config default {m.core_running_share}")


if __name__ == "__main__":
    main()
