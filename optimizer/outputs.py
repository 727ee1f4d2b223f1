"""Files written by ``propose --out DIR``: JSON, an Excel-friendly CSV and GeoJSON for QGIS.

Everything is rendered in memory first and each file is then replaced atomically, so
an error leaves no half-written output.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd

from .data import SOURCES, SYNTHETIC_NOTE, Dataset
from .plan import Plan
from .textout import csv_safe, to_json, write_folder

CSV_HEADERS = {
    "plan": "案", "group": "グループ案", "kind": "種別", "base_group_id": "既存グループID", "code": "団体コード",
    "name": "団体名", "prefecture": "都道府県",
    "cross_prefecture": "県境を越えるグループ", "joining": "新規参加", "population": "人口(2020国勢調査速報)",
    "vendor_now": "現行ベンダ", "vendor_now_name": "現行ベンダ名", "next_renewal_fy": "次期更新年度", "coastal": "沿岸",
    "go_live_fy": "稼働年度", "join_fy": "参加年度", "vendor": "採用ベンダ", "vendor_name": "採用ベンダ名", "reduction_p50": "削減率(中央値・%)",
    "annual_savings_yen": "グループ年間削減額(円・期待値)", "npv_yen": "グループNPV(円・団体会計)",
    "national_npv_yen": "グループNPV(円・国全体)", "member_annual_savings_yen": "団体の年間削減額(円)",
    "own_npv_yen": "団体の収支NPV(円)", "share_yen": "団体への配分額NPV(円)", "transfer_yen": "調整額(円)",
    "allocation": "配分方法",
    "coordination_cost_yen": "グループ年間調整費(円)",
    "continuity_score": "業務継続スコア", "pairing_ok": "津波相互支援ペア", "synthetic": "合成データを含む",
}
KIND_JA = {"new": "新規", "expand": "既存拡大", "alone": "単独"}
#: English headers (``--lang en``): the field names with the units spelled out.
CSV_HEADERS_EN = {k: k for k in CSV_HEADERS} | {"plan": "plan", "reduction_p50": "reduction_p50_percent",
                                                 "population": "population_2020_census"}


def plan_rows(data: Dataset, plans: list[Plan], lang: str = "ja") -> list[dict]:
    """One row per (plan, group, member); ``plan`` is the alternative's number."""
    kinds = KIND_JA if lang == "ja" else {k: k for k in KIND_JA}
    mark = ("○", "×") if lang == "ja" else ("yes", "no")
    m, s = data.municipalities, data.survey
    rows = []
    for p_no, plan in enumerate(plans, start=1):
        for k, g in enumerate(plan.groups, start=1):
            prefs = data.prefecture_names(g.members)
            share = {x["code"]: x for x in g.shares or []}
            for c in g.members:
                sh = share.get(c, {})
                rows.append({
                    "plan": p_no, "group": f"P{k:02d}", "kind": kinds[g.kind], "base_group_id": g.base_group_id or "",
                    "code": c, "name": m.at[c, "name"], "prefecture": m.at[c, "prefecture"],
                    "cross_prefecture": "・".join(prefs) if len(prefs) > 1 else "",
                    "joining": mark[0] if (g.kind == "new" or c in g.joining) else "",
                    "population": int(m.at[c, "population"]),
                    "vendor_now": s.at[c, "vendor"] if c in s.index else "",
                    "vendor_now_name": vendor_name(data, s.at[c, "vendor"]) if c in s.index else "",
                    "next_renewal_fy": s.at[c, "next_renewal_fy"] if c in s.index else "",
                    "coastal": mark[0] if m.at[c, "coastal"] else "", "go_live_fy": g.go_live_fy,
                    "join_fy": g.join_fy.get(c), "vendor": g.vendor,
                    "vendor_name": vendor_name(data, g.vendor),
                    "reduction_p50": round(100 * g.reduction_rate["p50"], 1), "annual_savings_yen": round(g.annual_savings_yen),
                    "coordination_cost_yen": round(g.coordination_cost_yen),
                    "npv_yen": round(g.npv_yen), "national_npv_yen": round(g.national_npv_yen),
                    "member_annual_savings_yen": sh.get("annual_savings_yen"), "own_npv_yen": sh.get("own_npv_yen"),
                    "share_yen": sh.get("share_yen"), "transfer_yen": sh.get("transfer_yen"),
                    "allocation": (g.allocation or {}).get("method", ""), "continuity_score": g.continuity.score,
                    "pairing_ok": mark[0] if g.continuity.pairing_ok else mark[1],
                    "synthetic": mark[0] if plan.synthetic else "",
                })
    return rows


#: roadmap.csv: one row per (fiscal year, group, municipality going live); Japanese headers (English with --lang en).
ROADMAP_HEADERS = {"fy": "年度", "group": "グループ", "base_group_id": "既存グループID", "code": "団体コード",
                   "name": "団体名", "step": "区分", "synthetic": "合成データを含む"}
ROADMAP_HEADERS_EN = {k: k for k in ROADMAP_HEADERS}


def roadmap_rows(data: Dataset, plan: Plan, lang: str = "ja") -> list[dict]:
    """Who goes live when: a new group's founding cohort is 設立 (founded), every later member and every
    joiner of an existing group 参加 (joins); sorted by year and group."""
    words = ("設立", "参加") if lang == "ja" else ("founded", "joins")
    rows = []
    for k, g in enumerate(plan.groups, start=1):
        for n, step in enumerate(g.timeline):
            for c in step["joining"]:
                rows.append({"fy": step["fy"], "group": f"P{k:02d}", "base_group_id": g.base_group_id or "", "code": c,
                             "name": data.name(c), "step": words[0] if n == 0 and g.kind == "new" else words[1],
                             "synthetic": ("○" if lang == "ja" else "yes") if plan.synthetic else ""})
    return sorted(rows, key=lambda r: (r["fy"], r["group"], r["code"]))


def roadmap_csv(data: Dataset, plan: Plan, lang: str = "ja") -> bytes:
    """roadmap.csv: UTF-8 with BOM for Excel, Japanese headers (English with ``lang="en"``)."""
    headers = ROADMAP_HEADERS if lang == "ja" else ROADMAP_HEADERS_EN
    df = pd.DataFrame(roadmap_rows(data, plan, lang), columns=list(ROADMAP_HEADERS)).rename(columns=headers)
    buf = io.StringIO()
    df.map(csv_safe).to_csv(buf, index=False)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def vendor_name(data: Dataset, vendor_id) -> str:
    v = data.vendors
    return str(v.at[vendor_id, "name"]) if vendor_id in v.index and "name" in v.columns else ""


def proposals_csv(data: Dataset, plans: list[Plan], lang: str = "ja") -> bytes:
    """UTF-8 with BOM (Excel opens it with Japanese intact); Japanese headers, English with ``lang="en"``."""
    headers = CSV_HEADERS if lang == "ja" else CSV_HEADERS_EN
    df = pd.DataFrame(plan_rows(data, plans, lang), columns=list(CSV_HEADERS)).rename(columns=headers).map(csv_safe)
    buf = io.StringIO()
    df.to_csv(buf, index=False)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def proposals_geojson(data: Dataset, plans: list[Plan]) -> str:
    """Member polygons (EPSG:4326) with their group's attributes; ``plans`` are alternatives of
    one instance, and only the best is drawn."""
    rows = pd.DataFrame(plan_rows(data, plans[:1]))
    if rows.empty:
        return json.dumps({"type": "FeatureCollection", "features": []})
    b = data.boundaries.loc[rows["code"]].to_crs("EPSG:4326").reset_index()
    gdf = b.merge(rows, on="code")
    gdf["geometry"] = gdf.geometry.simplify(0.0005)
    return gdf.to_json(drop_id=True, ensure_ascii=False)


def plan_payload(data: Dataset, plans: list[Plan]) -> dict:
    names = data.municipalities["name"].to_dict()
    if len(plans) == 1:
        out = plans[0].as_dict(names)
    else:
        best = plans[0].objective
        alts = []
        for p in plans:
            d = p.as_dict(names)
            d["value_lost"] = round(best - p.objective)
            alts.append(d)
        out = {"alternatives": alts}
    out["sources"] = SOURCES
    if any(p.synthetic for p in plans):
        out["synthetic_note"] = SYNTHETIC_NOTE
    return out


def write_outputs(data: Dataset, plans: list[Plan], out_dir: str | Path,
                  extra: dict[str, bytes | str] | None = None, lang: str = "ja") -> list[Path]:
    """Render every output in memory, then write them as a whole (:func:`~optimizer.textout.write_folder`)."""
    files: dict[str, bytes | str] = {
        "proposals.json": to_json(plan_payload(data, plans)),
        "proposals.csv": proposals_csv(data, plans[:1], lang),
        "proposals.geojson": proposals_geojson(data, plans[:1]),
        "roadmap.csv": roadmap_csv(data, plans[0], lang),
    }
    for k, p in enumerate(plans[1:], start=2):  # each alternative in its own folder, never summed with the best
        files[f"alt{k}/proposals.json"] = to_json(plan_payload(data, [p]))
        files[f"alt{k}/proposals.csv"] = proposals_csv(data, [p], lang)
        files[f"alt{k}/proposals.geojson"] = proposals_geojson(data, [p])
        files[f"alt{k}/roadmap.csv"] = roadmap_csv(data, p, lang)
    files.update(extra or {})
    return write_folder(out_dir, files)
