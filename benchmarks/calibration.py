"""Calibration of the reduction model against the published figures.

    python benchmarks/calibration.py

Scores every real 2017 group (member count, population gap; members share their
group's package), prints the model's predicted share of groups per reduction bin next
to the 2016 report (>=40%: 11, 30-40%: 18, 20-30%: 7, <20%: 9 of 45 confirmed), the
total variation distance between the two, the median predicted reduction, and the
error on each case study with a published figure (case_studies_h29 and the further
group cases).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimizer import cost  # noqa: E402
from optimizer.config import Scenario  # noqa: E402
from optimizer.context import Context  # noqa: E402
from optimizer.data import load  # noqa: E402
from optimizer.scoring import score_group  # noqa: E402

REPORTED = {"<20%": 9, "20-30%": 7, "30-40%": 18, ">=40%": 11}  # 総務省, groups analysed 2016-01

# Case studies with a published reduction (%), by member codes. C1-C6: case_studies_h29.csv (総務省 2017);
# the rest: jichitai_cloud_group_cases.csv (press and public material; several are planned figures).
CASES = [
    ("C1 南国市・香南市・香美市", ["39204", "39211", "39212"], 23.7),
    ("C2 埼玉県町村会 (18)", "G015", 44.6),
    ("C3 橋本市・大和郡山市", ["30203", "29203"], 30.0),
    ("C4 岡崎市・豊橋市", ["23202", "23201"], 45.5),
    ("C5 弘前市ほか3町村", ["02202", "02362", "02367", "02343"], 11.0),
    ("C6 新潟県 長岡市ほか4", ["15202", "15204", "15211", "15225", "15586"], 50.0),
    ("置賜 (G010; 6 of the 7 reported)", "G010", 40.0),
    ("周南・下松・光・柳井・阿武", ["35215", "35207", "35210", "35212", "35502"], 50.0),
    ("秋田県12町村 (G009)", "G009", 46.7),
    ("有田・御坊・美浜・由良・印南・上富田", ["30204", "30205", "30381", "30383", "30390", "30404"], 26.4),
    ("小平・東村山・東久留米", ["13211", "13213", "13222"], 20.0),
]


def main() -> None:
    data = load()
    ctx = Context(data, Scenario())
    m = ctx.model
    locs = []
    for gid, codes in sorted(data.group_members.items()):
        s = score_group(ctx, codes, go_live=int(data.groups.at[gid, "next_renewal_fy"]))
        locs.append((gid, len(codes), s.reduction_rate))
    # location of each scored group's distribution: its mean plus the shortfall offset
    loc = np.array([r["mean"] + m.reduction_shortfall_p * m.reduction_shortfall for _, _, r in locs])
    pred = cost.bin_probabilities(loc, m).mean(axis=0)
    rep = np.array(list(REPORTED.values()), dtype=float)
    rep /= rep.sum()
    tvd = 0.5 * np.abs(pred - rep).sum()
    print(f"{'bin':8} {'reported':>9} {'predicted':>9}")
    for (b, _), r, p in zip(REPORTED.items(), rep, pred):
        print(f"{b:8} {r:9.1%} {p:9.1%}")
    med = np.median([r["p50"] for _, _, r in locs])
    mean = np.mean([r["mean"] for _, _, r in locs])
    print(f"\nreal groups scored: {len(locs)}; median predicted reduction (p50) {med:.1%}, mean {mean:.1%}")
    print("\ncase studies (published vs predicted p10 / p50 / p90):")
    errors = []
    for label, members, pub in CASES:
        codes = data.group_members[members] if isinstance(members, str) else members
        s = score_group(ctx, codes)
        r = s.reduction_rate
        err = 100 * r["p50"] - pub
        errors.append(err)
        inside = r["p10"] * 100 <= pub <= r["p90"] * 100
        print(f"  {label:32} {pub:5.1f}%  {100 * r['p10']:5.1f} / {100 * r['p50']:5.1f} / {100 * r['p90']:5.1f}"
              f"  error {err:+5.1f} pt {'(within p10-p90)' if inside else '(OUTSIDE p10-p90)'}")
    errors = np.array(errors)
    print(f"\nSUMMARY total variation distance {tvd:.3f} (target <= 0.15); median p50 {med:.1%} "
          f"(target 25-40%); case-study MAE {np.abs(errors).mean():.1f} pt, bias {errors.mean():+.1f} pt")


if __name__ == "__main__":
    main()
