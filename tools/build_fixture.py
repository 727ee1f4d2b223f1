"""Cut the small real test fixture ``tests/fixtures/kii/`` from the shipped data.

    python tools/build_fixture.py [--prefs 24 29 30] [--out tests/fixtures/kii]

The fixture is the 紀伊半島 (三重 24, 奈良 29, 和歌山 30): 98 municipalities with their real
boundaries, graph edges, hazard exposure, survey rows and the real groups lying inside them
(G040 spans 奈良 and 和歌山). It has the layout of ``data/`` (``boundaries/``, ``systems/``), so
``optimizer.load(data_dir=...)`` reads it like the shipped data. The boundary TopoJSON keeps only
the arcs its municipalities use (re-indexed), and the graph is the shipped one restricted to the
fixture, so a border with a municipality outside it is not mistaken for coast. The same shipped
data always gives the same fixture; run this again whenever ``data/`` is rebuilt.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
TOPO = "N03-21_210101_designated_city.topojson"


def cut_topology(topo: dict, keep: set[str]) -> dict:
    """The TopoJSON with only the features of ``keep`` (codes) and the arcs they use, re-indexed."""
    (name, obj), = topo["objects"].items()
    geoms = [g for g in obj["geometries"] if (g.get("properties") or {}).get("N03_007") in keep]
    used: dict[int, int] = {}

    def walk(arcs):
        if isinstance(arcs, int):
            a = arcs if arcs >= 0 else ~arcs
            used.setdefault(a, len(used))
            new = used[a]
            return new if arcs >= 0 else ~new
        return [walk(a) for a in arcs]

    out = [{**g, "arcs": walk(g["arcs"])} for g in geoms]
    arcs = [None] * len(used)
    for old, new in used.items():
        arcs[new] = topo["arcs"][old]
    return {"type": "Topology", "arcs": arcs, "transform": topo["transform"],
            "objects": {name: {"type": "GeometryCollection", "geometries": out}}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--prefs", nargs="+", default=["24", "29", "30"])
    ap.add_argument("--out", default=str(ROOT / "tests" / "fixtures" / "kii"))
    args = ap.parse_args()
    out = Path(args.out)
    (out / "systems").mkdir(parents=True, exist_ok=True)
    (out / "boundaries").mkdir(parents=True, exist_ok=True)
    sysd = DATA / "systems"

    def read(name):
        return pd.read_csv(sysd / name, dtype=str, keep_default_na=False)

    munis = read("municipalities.csv")
    munis = munis[munis["prefecture_code"].isin(args.prefs)]
    keep = set(munis["code"])
    members = read("group_members.csv")
    inside = members.groupby("group_id")["code"].apply(lambda cs: set(cs) <= keep)
    gids = set(inside[inside].index)
    groups = read("groups.csv")
    tables = {
        "municipalities.csv": munis,
        "survey.csv": read("survey.csv").pipe(lambda s: s[s["code"].isin(keep)]),
        "groups.csv": groups[groups["group_id"].isin(gids)],
        "group_members.csv": members[members["group_id"].isin(gids)],
        "vendors.csv": read("vendors.csv"),
        "hazard.csv": read("hazard.csv").pipe(lambda h: h[h["code"].isin(keep)]),
        "edges.csv": read("edges.csv").pipe(lambda e: e[e["a"].isin(keep) & e["b"].isin(keep)]),
    }
    for name, df in tables.items():
        df.to_csv(out / "systems" / name, index=False)
    topo = json.loads((DATA / "boundaries" / TOPO).read_text(encoding="utf-8"))
    (out / "boundaries" / TOPO).write_text(json.dumps(cut_topology(topo, keep), ensure_ascii=False,
                                                       separators=(",", ":")), encoding="utf-8")
    (out / "README.md").write_text(
        "# Test fixture: 紀伊半島 (三重・奈良・和歌山)\n\n"
        f"Cut from the shipped `data/` by `tools/build_fixture.py` (prefectures {', '.join(args.prefs)}): "
        f"{len(keep)} municipalities, {len(gids)} real groups lying inside them. Sources, reference dates and "
        "licences are those of the shipped data (`data/boundaries/README.md`, `data/systems/README.md`): "
        "「国土数値情報（行政区域データ）」（国土交通省）を加工して作成. The survey's vendors, renewal years, "
        "solo-cloud status and willingness are SYNTHETIC, as in the shipped sample.\n", encoding="utf-8")
    print(f"wrote {out}: {len(keep)} municipalities, {len(gids)} groups, "
          f"{len(tables['edges.csv'])} edges")


if __name__ == "__main__":
    main()
