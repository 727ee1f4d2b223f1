"""Maps of a plan: a PNG for documents and a self-contained interactive HTML map.

The PNG uses matplotlib with the IPAexGothic font shipped by ``matplotlib-fontja``, so
Japanese labels render on any machine. The HTML map is one file with everything inline
(SVG polygons, styles, script, data): it works on closed networks (LGWAN) with no CDN
and no map tiles. Clicking a municipality shows its group, members, savings,
continuity and renewal years.
"""

from __future__ import annotations

import io
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib_fontja  # noqa: E402,F401  (registers and selects IPAexGothic)
import numpy as np  # noqa: E402
import shapely  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from .data import Dataset  # noqa: E402
from .fonts import font_face_css  # noqa: E402
from .textout import escape_html  # noqa: E402

PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45", "#469990",
           "#9a6324", "#800000", "#808000", "#000075", "#fabed4", "#ffd8b1", "#aaffc3", "#dcbeff", "#a9a9a9"]
EXISTING = "#c8d3e0"

LABELS = {
    "ja": {"title": "自治体クラウド グループ案", "grey": "提案なし（単独・対象外）", "existing": "既存グループ（{n}）", "existing_plain": "既存グループ", "joiner": "太枠：既存グループへの新規参加", "coastal": "沿岸団体",
           "other": "その他", "group": "案", "synthetic": "※ベンダ・更新年度は合成データ（サンプル）",
           "credit": "「国土数値情報（行政区域データ）」（国土交通省）を加工して作成"},
    "en": {"title": "Joint-cloud group proposals", "grey": "no proposal (alone or not eligible)", "existing": "existing groups ({n})", "existing_plain": "existing groups", "joiner": "bold outline: joins an existing group", "coastal": "coastal",
           "other": "other", "group": "proposal", "synthetic": "* vendors and renewal years are SYNTHETIC sample data",
           "credit": "「国土数値情報（行政区域データ）」（国土交通省）を加工して作成"},
}


ROADMAP_LABELS = {
    "ja": {"title": "ロードマップ", "founded": "設立", "joins": "参加", "members": "共同利用の団体数",
           "npv": "累積NPV（億円・団体会計）", "more": "ほか{n}グループ（価値の小さい順に省略）",
           "kpi": "年度別の指標", "group": "グループ"},
    "en": {"title": "Roadmap", "founded": "founded", "joins": "joins", "members": "municipalities in joint clouds",
           "npv": "cumulative NPV (100 M yen, municipal account)", "more": "and {n} more groups (smallest value)",
           "kpi": "KPI by fiscal year", "group": "group"},
}
#: Groups drawn in the roadmap chart at most (the largest by value); the rest are counted under it.
GANTT_MAX = 30


def roadmap_png(data: Dataset, plan, names: list[str], lang: str = "ja") -> bytes:
    """The roadmap as a PNG: which group forms when and who joins when (Gantt-style, one row per
    proposed group, ``names`` its labels), and the KPI curve by fiscal year (municipalities in
    joint clouds; cumulative NPV)."""
    L = ROADMAP_LABELS[lang]
    groups = list(enumerate(plan.groups))[:GANTT_MAX]
    years = [k["fy"] for k in plan.kpi] or [plan.scenario.planning_fy]
    lo, hi = min(years), max(years)
    rows = max(1, len(groups))
    fig, (ax, kx) = plt.subplots(2, 1, figsize=(10, 2.2 + 0.32 * rows + 3.0), dpi=100,
                                 gridspec_kw={"height_ratios": [0.6 + 0.32 * rows, 3.0]})
    for r, (k, g) in enumerate(groups):
        y = rows - 1 - r
        color = PALETTE[k % len(PALETTE)]
        ax.barh(y, hi + 1 - g.founded_fy, left=g.founded_fy, height=0.55, color=color, alpha=0.35)
        for step in g.timeline:
            first = step["fy"] == g.founded_fy and g.kind == "new"
            ax.scatter([step["fy"] + 0.5], [y], marker="D" if first else "o", s=40, color=color, edgecolor="#222",
                       zorder=3)
            ax.annotate(f"+{len(step['joining'])}", (step["fy"] + 0.5, y), xytext=(6, 4), textcoords="offset points",
                        fontsize=7)
    ax.set_yticks(range(rows))
    ax.set_yticklabels([names[k] for k, _ in groups][::-1] if groups else [""], fontsize=7)
    ax.scatter([], [], marker="D", color="#888", label=L["founded"])
    ax.scatter([], [], marker="o", color="#888", label=L["joins"])
    ax.legend(loc="lower right", fontsize=7)
    title = L["title"] + (" — " + L["more"].format(n=len(plan.groups) - GANTT_MAX) if len(plan.groups) > GANTT_MAX
                          else "")
    ax.set_title(title, fontsize=10)
    xs = [k["fy"] + 0.5 for k in plan.kpi]
    kx.plot(xs, [k["municipalities_in_groups"] for k in plan.kpi], marker="o", color="#4363d8", label=L["members"])
    kx.set_ylabel(L["members"], fontsize=8, color="#4363d8")
    for a in (ax, kx):  # both panels on the same fiscal-year axis
        a.set_xlim(lo, hi + 1)
        a.set_xticks([y + 0.5 for y in range(lo, hi + 1)])
        a.set_xticklabels([f"FY{y}" for y in range(lo, hi + 1)], fontsize=7)
    k2 = kx.twinx()
    k2.bar(xs, [k["cumulative_npv_yen"] / 1e8 for k in plan.kpi], width=0.5, color="#3cb44b", alpha=0.35)
    k2.set_ylabel(L["npv"], fontsize=8, color="#2a7a34")
    kx.set_zorder(k2.get_zorder() + 1)
    kx.patch.set_visible(False)
    kx.set_title(L["kpi"], fontsize=10)
    if plan.synthetic:
        fig.text(0.01, 0.005, LABELS[lang]["synthetic"], fontsize=7, color="#444444")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def _scope(data: Dataset, plan) -> list[str]:
    m = data.municipalities
    return sorted(m.index[m["prefecture_code"].isin(plan.prefectures)])


def plan_png(data: Dataset, plan, lang: str = "ja", highlight: str | None = None, title: str | None = None) -> bytes:
    """A PNG map: each proposed group in its own colour, existing groups shaded, coastal members marked."""
    L = LABELS[lang]
    codes = _scope(data, plan)
    b = data.boundaries.loc[codes]
    group_of = {c: k for k, g in enumerate(plan.groups) for c in g.members}
    existing = {c for c in codes if c in data.group_of and c not in group_of}
    fig, ax = plt.subplots(figsize=(9, 9), dpi=110)
    b.plot(ax=ax, color="#f4f4f4", edgecolor="#999999", linewidth=0.4)
    if existing:
        b.loc[sorted(existing)].plot(ax=ax, color=EXISTING, edgecolor="#7f8fa6", linewidth=0.5, hatch="///")
    handles = []
    # one plot call per layer: geopandas redraws the figure after each call
    drawn = [(c, PALETTE[k % len(PALETTE)]) for k, g in enumerate(plan.groups) for c in g.members if c in b.index]
    if drawn:
        b.loc[[c for c, _ in drawn]].plot(ax=ax, color=[col for _, col in drawn], alpha=0.75, edgecolor="#333333",
                                          linewidth=0.6)
    for k, g in enumerate(plan.groups):
        label = f"P{k + 1:02d}" + (f" ({g.base_group_id}+)" if g.base_group_id else "")
        handles.append(Patch(facecolor=PALETTE[k % len(PALETTE)], edgecolor="#333333", label=label))
    joiners = [c for g in plan.groups for c in g.joining if c in b.index]
    if joiners:
        b.loc[joiners].boundary.plot(ax=ax, color="#111111", linewidth=1.8)
    pts = b.representative_point()
    focus = [c for c in codes if c in group_of or c == highlight]
    if focus:  # frame the proposals (a prefecture's remote islands would shrink them to dots)
        x0, y0, x1, y1 = b.loc[focus].total_bounds
        mx, my = 0.12 * max(x1 - x0, 1.0), 0.12 * max(y1 - y0, 1.0)
        ax.set_xlim(x0 - mx, x1 + mx)
        ax.set_ylim(y0 - my, y1 + my)
        ax.set_aspect("equal")
    for c in _labelled(ax, data, pts, focus, highlight):
        x, y = pts.loc[c].x, pts.loc[c].y
        ax.annotate(data.name(c), (x, y), fontsize=7, ha="center", va="center",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7})
    coastal = [c for c in group_of if c in b.index and data.municipalities.at[c, "coastal"]]
    if coastal:
        ax.scatter(pts.loc[coastal].x, pts.loc[coastal].y - 2500, marker="v", s=18, color="#1f4e79", zorder=5)
        handles.append(plt.Line2D([], [], marker="v", color="#1f4e79", linestyle="", label=L["coastal"]))
    if any(g.joining for g in plan.groups):
        handles.append(Patch(facecolor="white", edgecolor="#111111", linewidth=1.8, label=L["joiner"]))
    if highlight and highlight in b.index:
        b.loc[[highlight]].boundary.plot(ax=ax, color="black", linewidth=2.2)
    handles.append(Patch(facecolor=EXISTING, edgecolor="#7f8fa6", hatch="///",
                         label=L["existing"].format(n=len({data.group_of[c] for c in existing}))))
    handles.append(Patch(facecolor="#f4f4f4", edgecolor="#999999", label=L["grey"]))
    # outside the map, so that it never covers a municipality
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, framealpha=0.9)
    ax.set_title(title or f"{L['title']}：{'・'.join(sorted(data.municipalities.loc[codes, 'prefecture'].unique()))}")
    ax.set_axis_off()
    note = L["credit"] + ("\n" + L["synthetic"] if plan.synthetic else "")
    fig.text(0.01, 0.01, note, fontsize=7, color="#444444")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _labelled(ax, data: Dataset, pts, codes: list[str], first: str | None = None, fontsize: float = 7) -> list[str]:
    """The municipalities to name on a map, largest first, skipping any whose label would overlap one
    already placed (label boxes estimated in display pixels from the name's length and the font size)."""
    if not codes:
        return []
    fig = ax.figure
    fig.canvas.draw()  # fix the axes' transform
    xy = ax.transData.transform(np.column_stack([pts.loc[codes].x, pts.loc[codes].y]))
    where = dict(zip(codes, xy))
    px = fontsize * fig.dpi / 72.0
    pop = data.municipalities["population"]
    order = sorted(codes, key=lambda c: (c != first, -int(pop.get(c, 0)), c))
    kept: list[tuple[str, float, float, float]] = []
    for c in order:
        (x, y), half_w = where[c], 0.55 * px * len(data.name(c)) + 2
        if all(abs(x - kx) > half_w + kw or abs(y - ky) > 1.3 * px for _, kx, ky, kw in kept):
            kept.append((c, x, y, half_w))
    return [c for c, *_ in kept]


def _svg_frame(geoms, width: float, height: float):
    bounds = np.array([g.bounds for g in geoms])
    x0, y0 = bounds[:, 0].min(), bounds[:, 1].min()
    x1, y1 = bounds[:, 2].max(), bounds[:, 3].max()
    return x0, y0, min(width / (x1 - x0), height / (y1 - y0))


def _svg_labels(data: Dataset, b, codes: list[str], width: float, height: float, first=None, size: float = 10) -> str:
    """Names of ``codes`` as SVG text at their representative points, largest first, none overlapping."""
    if not codes:
        return ""
    x0, y0, scale = _svg_frame(list(b.geometry.values), width, height)
    pts = b.loc[codes].representative_point()
    pop = data.municipalities["population"]
    kept, out = [], []
    for c in sorted(codes, key=lambda c: (c != first, -int(pop.get(c, 0)), c)):
        x, y = (pts.loc[c].x - x0) * scale, height - (pts.loc[c].y - y0) * scale
        half = 0.5 * size * len(data.name(c)) + 1
        if all(abs(x - kx) > half + kh or abs(y - ky) > 1.2 * size for kx, ky, kh in kept):
            kept.append((x, y, half))
            out.append(f'<text x="{x:.1f}" y="{y:.1f}">{escape_html(data.name(c))}</text>')
    return '<g class="names">' + "".join(out) + "</g>"


def _svg_paths(geoms, width: float, height: float):
    x0, y0, scale = _svg_frame(geoms, width, height)
    paths = []
    for g in geoms:
        g = shapely.simplify(g, 0.5 / scale)
        polys = list(g.geoms) if g.geom_type == "MultiPolygon" else [g]
        d = []
        for p in polys:
            for ring in [p.exterior, *p.interiors]:
                xy = np.asarray(ring.coords)
                sx = (xy[:, 0] - x0) * scale
                sy = height - (xy[:, 1] - y0) * scale
                d.append("M" + "L".join(f"{a:.1f},{b:.1f}" for a, b in zip(sx, sy)) + "Z")
        paths.append("".join(d))
    return paths


def _script_json(obj) -> str:
    """JSON safe inside a <script> element: '<', '>' and '&' as unicode escapes, so no text can close it."""
    return json.dumps(obj, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _nav(nav) -> str:
    if not nav:
        return ""
    items = [f"<strong>{escape_html(label)}</strong>" if href is None else
             f'<a href="{escape_html(href)}">{escape_html(label)}</a>' for label, href in nav]
    return '<p class="nav">' + " | ".join(items) + "</p>"


def plan_html(data: Dataset, plan, lang: str = "ja", highlight: str | None = None,
              nav: list[tuple[str, str | None]] | None = None) -> str:
    """A self-contained interactive map (inline SVG + script; no network access).

    ``nav``: (label, relative link) of the other plans of the run (``None``: this page), shown as a
    switch at the top (alternatives of ``--alternatives``)."""
    L = LABELS[lang]
    codes = _scope(data, plan)
    b = data.boundaries.loc[codes]
    w, h = 900, 760
    paths = _svg_paths(list(b.geometry.values), w, h)
    group_of = {c: k for k, g in enumerate(plan.groups) for c in g.members}
    s = data.survey
    info = {}
    key = "reason_ja" if lang == "ja" else "reason_en"
    left = {r["code"]: r[key] for r in getattr(plan, "left_out", [])}
    for c in codes:
        rec = {"name": data.name(c), "population": int(data.municipalities.at[c, "population"]),
               "coastal": bool(data.municipalities.at[c, "coastal"]),
               "renewal": [int(s.at[c, "next_renewal_fy"])] if c in s.index else [],
               "vendor": str(s.at[c, "vendor"]) if c in s.index else "", "existing": data.group_of.get(c)}
        if c in s.index and s.at[c, "second_renewal_fy"] is not None:
            rec["renewal"].append(int(s.at[c, "second_renewal_fy"]))
        if c in group_of:
            g = plan.groups[group_of[c]]
            rec["proposal"] = {"id": f"P{group_of[c] + 1:02d}", "kind": g.kind, "base": g.base_group_id,
                               "members": [data.name(x) for x in g.members], "go_live": g.go_live_fy,
                               "vendor": g.vendor, "savings": round(g.annual_savings_yen), "npv": round(g.npv_yen),
                               "p10": g.reduction_rate["p10"], "p90": g.reduction_rate["p90"],
                               "continuity": g.continuity.score, "pairing": g.continuity.pairing_ok,
                               "prefectures": data.prefecture_names(g.members),
                               "join": g.join_fy.get(c)}
        if c in left:
            rec["left"] = left[c]
        info[c] = rec
    shapes = []
    for c, d in zip(codes, paths):
        if c in group_of:
            fill = PALETTE[group_of[c] % len(PALETTE)]
        elif c in data.group_of:
            fill = EXISTING
        else:
            fill = "#f4f4f4"
        joining = c in group_of and c in plan.groups[group_of[c]].joining
        stroke = ' style="stroke:#000;stroke-width:2.5"' if c == highlight else (
            ' style="stroke:#111;stroke-width:1.8"' if joining else "")
        base_fill = EXISTING if c in data.group_of else "#f4f4f4"
        year = plan.groups[group_of[c]].join_fy.get(c) if c in group_of else None
        timing = f' data-join="{year}" data-fill="{fill}" data-before="{base_fill}"' if year else ""
        shapes.append(f'<path id="m{c}" data-code="{c}" d="{d}" fill="{fill}"{stroke}{timing}>'
                      f'<title>{escape_html(data.name(c))}</title></path>')
    names = _svg_labels(data, b, [c for c in codes if c in group_of or c == highlight], w, h, highlight)
    words = {
        "ja": {"click": "団体をクリックすると詳細を表示します", "pop": "人口", "vendor": "現行ベンダ", "renew": "更新年度",
               "existing": "既存グループ", "proposal": "グループ案", "members": "構成団体", "golive": "稼働年度",
               "savings": "年間削減額（期待値）", "npv": "NPV", "cont": "業務継続スコア", "pair": "津波相互支援ペア", "cross": "県境を越える",
               "none": "提案なし（単独、または対象外）", "stays": "既存グループ {g} の構成団体（変更なし）",
               "million": "百万円", "coastal": "沿岸", "yes": "成立", "no": "不成立", "range": "削減率",
               "join": "参加年度", "left": "グループに入らない理由", "year": "表示する年度", "all": "計画の最終形"},
        "en": {"click": "Click a municipality for details", "pop": "population", "vendor": "vendor now",
               "renew": "renewal FY", "existing": "existing group", "proposal": "proposal", "members": "members",
               "golive": "go-live FY", "savings": "expected savings / year", "npv": "NPV", "cont": "continuity",
               "pair": "tsunami mutual-support pairing", "cross": "across prefecture lines", "none": "no proposal (alone, or not eligible)",
               "stays": "member of existing group {g} (unchanged)", "million": "", "coastal": "coastal", "yes": "yes",
               "no": "no", "range": "reduction", "join": "joins in FY", "left": "in no group because",
               "year": "state in fiscal year", "all": "the whole plan"},
    }[lang]
    legend = "".join(f'<li><span style="background:{PALETTE[k % len(PALETTE)]}"></span>P{k + 1:02d}'
                     f'{escape_html(" (" + g.base_group_id + "+)") if g.base_group_id else ""}</li>'
                     for k, g in enumerate(plan.groups))
    legend += f'<li><span style="background:{EXISTING}"></span>{escape_html(L["existing_plain"])}</li>'
    legend += f'<li><span style="background:#f4f4f4;border:1px solid #999;box-sizing:border-box"></span>{escape_html(L["grey"])}</li>'
    if any(g.joining for g in plan.groups):
        legend += f'<li><span style="background:#fff;border:2px solid #111;box-sizing:border-box"></span>{escape_html(L["joiner"])}</li>'
    synthetic = f'<p class="note">{escape_html(L["synthetic"])}</p>' if plan.synthetic else ""
    years = [k["fy"] for k in getattr(plan, "kpi", [])]
    joins = [y for g in plan.groups for y in g.join_fy.values()]
    year_control = ""
    if years and joins:  # the state of the roadmap at a chosen fiscal year (per-year colouring)
        lo, hi = min(years), max(years)
        year_control = (f'<p><label for="year">{escape_html(words["year"])}</label> '
                        f'<input type="range" id="year" min="{lo}" max="{hi}" step="1" value="{hi}"> '
                        f'<output id="yearout">FY{hi}</output></p>')
    data_json = _script_json(info)
    words_json = _script_json(words)
    page = f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{escape_html(L['title'])}</title>
<style>/*FONT*/
body{{font-family:"lgcloud-ja","IPAexGothic","Noto Sans CJK JP","Hiragino Sans","Yu Gothic",sans-serif;margin:12px;color:#222}}
#wrap{{display:flex;gap:16px;align-items:flex-start}} svg{{border:1px solid #ccc;background:#eef5fb}}
path{{stroke:#777;stroke-width:0.6;cursor:pointer}} path:hover{{opacity:.7}}
.names text{{font-size:10px;text-anchor:middle;dominant-baseline:middle;pointer-events:none;fill:#111;
  paint-order:stroke;stroke:#fff;stroke-width:2.5px;stroke-linejoin:round}}
#panel{{min-width:280px;max-width:340px;font-size:14px}} ul.legend{{list-style:none;padding:0}}
ul.legend span{{display:inline-block;width:14px;height:14px;margin-right:6px;vertical-align:middle}}
.note{{font-size:12px;color:#555}} table{{border-collapse:collapse}} td{{padding:2px 6px;border-bottom:1px solid #eee}}
</style></head><body>
<h1>{escape_html(L['title'])}</h1>{_nav(nav)}{year_control}
<div id="wrap"><svg id="map" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img">{''.join(shapes)}{names}</svg>
<div id="panel"><p id="hint">{escape_html(words['click'])}</p><div id="detail"></div>
<ul class="legend">{legend}</ul>{synthetic}<p class="note">{escape_html(L['credit'])}</p></div></div>
<script id="data" type="application/json">{data_json}</script>
<script>
(function() {{
  var info = JSON.parse(document.getElementById('data').textContent);
  var W = {words_json};
  function esc(s) {{ return String(s).replace(/[&<>"]/g, function(c) {{ return {{'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}}[c]; }}); }}
  function yen(v) {{ return W.million ? (v / 1e6).toLocaleString(undefined, {{minimumFractionDigits: 1, maximumFractionDigits: 1}}) + ' ' + W.million : Math.round(v / 1e6).toLocaleString() + ' M yen'; }}
  function show(code) {{
    var r = info[code]; if (!r) return;
    var h = '<h2>' + esc(r.name) + ' <small>' + code + '</small></h2><table>';
    h += '<tr><td>' + W.pop + '</td><td>' + r.population.toLocaleString() + '</td></tr>';
    h += '<tr><td>' + W.vendor + '</td><td>' + esc(r.vendor) + '</td></tr>';
    h += '<tr><td>' + W.renew + '</td><td>' + r.renewal.join(', ') + '</td></tr>';
    if (r.coastal) h += '<tr><td>' + W.coastal + '</td><td>○</td></tr>';
    if (r.existing) h += '<tr><td>' + W.existing + '</td><td>' + esc(r.existing) + '</td></tr>';
    h += '</table>';
    var p = r.proposal;
    if (p) {{
      h += '<h3>' + W.proposal + ' ' + p.id + (p.base ? ' (' + esc(p.base) + '+)' : '') + '</h3><table>';
      h += '<tr><td>' + W.members + '</td><td>' + p.members.map(esc).join('、') + '</td></tr>';
      if (p.prefectures.length > 1) h += '<tr><td>' + W.cross + '</td><td>' + p.prefectures.map(esc).join('・') + '</td></tr>';
      h += '<tr><td>' + W.golive + '</td><td>' + p.go_live + ' (' + esc(p.vendor) + ')</td></tr>';
      if (p.join) h += '<tr><td>' + W.join + '</td><td>' + p.join + '</td></tr>';
      h += '<tr><td>' + W.range + '</td><td>' + Math.round(p.p10 * 100) + '–' + Math.round(p.p90 * 100) + '%</td></tr>';
      h += '<tr><td>' + W.savings + '</td><td>' + yen(p.savings) + '</td></tr>';
      h += '<tr><td>' + W.npv + '</td><td>' + yen(p.npv) + '</td></tr>';
      h += '<tr><td>' + W.cont + '</td><td>' + p.continuity + '</td></tr>';
      h += '<tr><td>' + W.pair + '</td><td>' + (p.pairing ? W.yes : W.no) + '</td></tr></table>';
    }} else {{ h += '<p>' + (r.existing ? W.stays.replace('{{g}}', esc(r.existing)) : W.none) + '</p>';
      if (r.left) h += '<p>' + W.left + ': ' + esc(r.left) + '</p>'; }}
    document.getElementById('detail').innerHTML = h;
  }}
  document.getElementById('map').addEventListener('click', function(e) {{
    var code = e.target.getAttribute('data-code'); if (code) show(code);
  }});
  if (location.hash.length > 1) show(location.hash.slice(1));  // map.html#30201 opens that municipality
  var year = document.getElementById('year');
  if (year) year.addEventListener('input', function() {{  // members not yet live are drawn as before they join
    var y = parseInt(year.value, 10);
    document.getElementById('yearout').textContent = 'FY' + y;
    document.querySelectorAll('path[data-join]').forEach(function(p) {{
      p.setAttribute('fill', parseInt(p.getAttribute('data-join'), 10) <= y ? p.getAttribute('data-fill') : p.getAttribute('data-before'));
    }});
  }});
}})();
</script></body></html>
"""
    return page.replace("/*FONT*/", font_face_css(page), 1)
