"""Rebuild the shipped data in ``data/`` from the reference folder ``../shared/data``.

Run once by a maintainer (not at run time, not by users):

    python tools/build_data.py [--shared ../shared/data] [--seed 20171001]

It writes ``data/systems/municipalities.csv``, ``groups.csv``, ``group_members.csv``,
``edges.csv`` (the national graph, optimizer/inputs/graph.py), ``hazard.csv`` (exposure derived from geometry, optimizer/inputs/hazard.py), ``survey.csv`` (real group membership, synthetic remainder; see optimizer/inputs/synthetic.py)
and ``vendors.csv``. Outputs are deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimizer.inputs import geography, hazard, synthetic  # noqa: E402
from optimizer.inputs.graph import COASTAL_MIN_KM  # noqa: E402

DESIGNATED_SUFFIXES = {"00", "30", "40", "50"}


def kind_of(code: str, name: str) -> str:
    if name.endswith("区"):
        return "特別区"
    if name.endswith("市"):
        return "政令指定都市" if code[2] == "1" and code[3:] in DESIGNATED_SUFFIXES else "市"
    return name[-1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--seed", type=int, default=synthetic.DEFAULT_SEED)
    args = ap.parse_args()
    src = Path(args.shared)
    out = ROOT / "data" / "systems"
    out.mkdir(parents=True, exist_ok=True)
    topo_src = src / "boundaries" / "N03-21_210101_designated_city.topojson"
    topo_dst = ROOT / "data" / "boundaries" / topo_src.name
    if not topo_dst.exists():
        shutil.copyfile(topo_src, topo_dst)

    pop = pd.read_csv(src / "municipalities_population.csv", dtype=str)
    fis = pd.read_csv(src / "fiscal_strength.csv", dtype=str)[["code", "fiscal_strength_index_fy2021"]]
    topo = geography.read_topology(topo_dst)
    bnd = geography.read_boundaries(topo_dst)
    coast = geography.coastline_km(topo)
    pts = geography.representative_points(bnd)

    m = pop.merge(fis, on="code", how="left")
    m["prefecture_code"] = m["code"].str[:2]
    m["kind"] = [kind_of(c, n) for c, n in zip(m.code, m.name)]
    m = m.join(pts, on="code").join(coast, on="code")
    m["coastline_km"] = m["coastline_km"].round(2)
    m["coastal"] = m["coastline_km"] >= COASTAL_MIN_KM
    muni = pd.DataFrame(
        {
            "code": m.code,
            "prefecture_code": m.prefecture_code,
            "prefecture": m.prefecture,
            "name": m.name,
            "kind": m.kind,
            "population": m.pop_census2020_prelim.astype(int),
            "registry_population": m.pop_juki_20220101.astype(int),
            "area_km2": m.area_km2_20260701.astype(float),
            "lat": m.lat,
            "lon": m.lon,
            "coastal": m.coastal,
            "coastline_km": m.coastline_km,
            "fiscal_strength_index": m.fiscal_strength_index_fy2021.astype(float),
        }
    ).sort_values("code")
    assert len(muni) == 1741 and muni.code.is_unique
    muni.to_csv(out / "municipalities.csv", index=False, encoding="utf-8")
    from optimizer.inputs.graph import national_edges

    edges = national_edges(topo, bnd, muni.set_index("code", drop=False))
    edges.to_csv(out / "edges.csv", index=False, encoding="utf-8", float_format="%.6f")
    exposure = hazard.geometry_exposure(geometry_segments := geography.coastline_segments(topo_dst), muni.code)
    exposure.to_csv(out / "hazard.csv", index=False, encoding="utf-8")
    del geometry_segments

    eg = pd.read_csv(src / "existing_groups_h29.csv", dtype=str)
    first = eg.groupby("group_id", sort=True).first()
    groups = pd.DataFrame(
        {
            "group_id": first.index.to_numpy(),
            "name": first.group_name.fillna(""),
            "prefectures": first.prefectures,
            "start_fy": first.start_fy.astype(int),
            "listed_member_count": first.listed_member_count.astype(int),
            "listed_population": first.listed_group_population.astype(int),
        }
    ).reset_index(drop=True)
    members = eg[["group_id", "member_code", "member_name", "note"]].rename(
        columns={"member_code": "code", "member_name": "name", "note": "transcription_note"}
    )
    survey, groups = synthetic.generate(muni[["code", "population"]], groups, members, seed=args.seed)
    groups.to_csv(out / "groups.csv", index=False, encoding="utf-8")
    members.to_csv(out / "group_members.csv", index=False, encoding="utf-8")
    survey.to_csv(out / "survey.csv", index=False, encoding="utf-8")
    synthetic.vendor_table().to_csv(out / "vendors.csv", index=False, encoding="utf-8")
    print(f"wrote {len(muni)} municipalities, {len(groups)} groups, {len(members)} memberships, "
          f"survey with {(survey.cloud_status == 'solo').sum()} solo / {(survey.cloud_status == 'none').sum()} none")


if __name__ == "__main__":
    main()
