"""Maps of a plan: a PNG for documents and a self-contained interactive HTML map.

The PNG uses matplotlib with the IPAexGothic font shipped by ``matplotlib-fontja``, so
Japanese labels render on any machine. The HTML map is one file rendered from the template
``templates/map.html.j2`` with everything inline (SVG polygons, styles, script, data): it works
on closed networks (LGWAN) with no CDN and no map tiles. Clicking a municipality shows its
group, members, savings, continuity and renewal years.

Both draw a :class:`MapView`: the groups to colour and the prefectures in view, taken from a
finished plan or match result.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field, replace

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib_fontja  # noqa: E402,F401  (registers and selects IPAexGothic)
import numpy as np  # noqa: E402
import shapely  # noqa: E402
from matplotlib import patheffects  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from ..text import say, t  # noqa: E402
from .fonts import font_face_css  # noqa: E402
from .pages import ENV, scenario_suffix  # noqa: E402
from .palette import EXISTING, OTHER, PALETTE  # noqa: E402


#: Pairs grouped in fewer draws than this are not drawn (they are in sweep_pairs.csv).
PAIR_LINE_MIN = 0.1


@dataclass
class MapView:
    """What a map shows: ``groups`` (each with ``id``, ``members``, ``joining``, ``base_group_id``...), the
    prefectures in view, everyone left out with the reason, the fiscal years of the roadmap, and
    whether synthetic values fed the results."""

    prefectures: list[str]
    groups: list
    left_out: list[dict] = field(default_factory=list)
    years: tuple[int, int] | None = None
    synthetic: bool = False
    pairs: list[dict] = field(default_factory=list)  # a sweep's co-grouping frequencies: a, b, frequency
    firm_share: float = 0.9
    scenario_label: str = ""  # the scenario file of the run (``whatif.toml#1a2b3c4d``), named in the title

    @classmethod
    def of_plan(cls, plan) -> "MapView":
        years = [k["fy"] for k in plan.kpi]
        joins = [y for g in plan.groups for y in g.join_fy.values()]
        return cls(plan.prefectures, plan.groups, plan.left_out,
                   (min(years), max(years)) if years and joins else None, plan.synthetic,
                   scenario_label=plan.scenario.label)

    @classmethod
    def of_sweep(cls, res, data) -> "MapView":
        """The robust plan, with the pairs grouped in at least :data:`PAIR_LINE_MIN` of the draws drawn by how
        often; an existing group's members are drawn as one point (its largest member), so a joiner shows one
        line to the group rather than one to each of its members."""
        pop = data.municipalities["population"]
        anchor = {c: max(m, key=lambda x: (int(pop.get(x, 0)), x)) for g, m in data.group_members.items() for c in m}
        best: dict = {}
        for p in res.pairs:
            a, b = anchor.get(p["a"], p["a"]), anchor.get(p["b"], p["b"])
            if a != b and p["frequency"] >= PAIR_LINE_MIN:
                key = (min(a, b), max(a, b))
                best[key] = max(best.get(key, 0.0), p["frequency"])
        pairs = [{"a": a, "b": b, "frequency": f} for (a, b), f in sorted(best.items())]
        return replace(cls.of_plan(res.robust_plan), pairs=pairs, firm_share=res.firm_share)

    @classmethod
    def of_match(cls, res, synthetic: bool) -> "MapView":
        """The municipality's prefecture: its top option's group (if it has one), then the prefecture plan's other
        groups, so that every municipality the plan places is drawn in its group."""
        groups = [o.group for o in res.options if o.group is not None][:1]
        taken = {c for g in groups for c in g.members}
        groups += [g for g in res.plan_groups if not taken & set(g.movers)]
        prefs = sorted({res.municipality[:2]} | {c[:2] for g in groups[:1] for c in g.members})
        return cls(prefs, groups, synthetic=synthetic, scenario_label=res.scenario.label if res.scenario else "")


def _label(g, k: int) -> str:
    """A group's id in a plan, or its place in the view (a match's option has no plan id)."""
    return g.id or f"P{k + 1:02d}"


#: A group's name in a label (legends, charts) is cut to this many characters.
LABEL_CHARS = 14
#: Municipalities in no proposed group are named too (smaller, in grey) when a map shows at most this many prefectures:
#: a prefecture's or a region's map names everyone, the national map only the proposals.
QUIET_LABEL_PREFECTURES = 3
#: Legends list at most this many groups (the national plan has about 200), then say how many more.
LEGEND_MAX = 24


def label_of(data, g, lang: str = "ja") -> str:
    """A proposed group's short label without its id: "G042 和歌山県電…共同化検討部会＋2" for an expansion (the real
    group's name, its middle cut to fit :data:`LABEL_CHARS`), "A・Bほか2団体" for a new group (its two most
    populous members)."""
    if g.base_group_id:
        name = say(data.group_name(g.base_group_id), lang)
        name = name if len(name) <= LABEL_CHARS else name[:6] + "…" + name[-(LABEL_CHARS - 7):]  # keep both ends
        return f"{g.base_group_id} {name}＋{len(g.joining)}" if lang == "ja" else f"{g.base_group_id} {name} +{len(g.joining)}"
    return say(data.place_name(g.members), lang)


def _scope(data, view: MapView) -> list[str]:
    m = data.municipalities
    return sorted(m.index[m["prefecture_code"].isin(view.prefectures)])


def _quiet(view: MapView, codes: list[str], named: set[str]) -> list[str]:
    """The municipalities of ``codes`` outside ``named`` (the proposals) to name in the quieter style: all of them
    on a map of at most :data:`QUIET_LABEL_PREFECTURES` prefectures, none on a larger one."""
    if len(set(view.prefectures)) > QUIET_LABEL_PREFECTURES:
        return []
    return [c for c in codes if c not in named]


def plan_png(data, view: MapView, lang: str = "ja", highlight: str | None = None, title: str | None = None) -> bytes:
    """A PNG map: each proposed group in its own colour, existing groups shaded, coastal members marked."""
    def L(key, **kw):
        return t(lang, f"map.{key}", **kw)

    codes = _scope(data, view)
    b = data.boundaries.loc[codes]
    group_of = {c: k for k, g in enumerate(view.groups) for c in g.members}
    existing = {c for c in codes if c in data.group_of and c not in group_of}
    fig, ax = plt.subplots(figsize=(9, 9), dpi=110)
    b.plot(ax=ax, color=OTHER, edgecolor="#999999", linewidth=0.4)
    if existing:
        b.loc[sorted(existing)].plot(ax=ax, color=EXISTING, edgecolor="#7f8fa6", linewidth=0.5, hatch="///")
    handles = []
    # one plot call per layer: geopandas redraws the figure after each call
    drawn = [(c, PALETTE[k % len(PALETTE)]) for k, g in enumerate(view.groups) for c in g.members if c in b.index]
    if drawn:
        b.loc[[c for c, _ in drawn]].plot(ax=ax, color=[col for _, col in drawn], alpha=0.75, edgecolor="#333333",
                                          linewidth=0.6)
    for k, g in enumerate(view.groups[:LEGEND_MAX]):
        label = f"{_label(g, k)} {label_of(data, g, lang)}"
        handles.append(Patch(facecolor=PALETTE[k % len(PALETTE)], edgecolor="#333333", label=label))
    if len(view.groups) > LEGEND_MAX:
        handles.append(Patch(facecolor="white", edgecolor="white", label=L("more", n=len(view.groups) - LEGEND_MAX)))
    joiners = [c for g in view.groups for c in g.joining if c in b.index]
    if joiners:
        b.loc[joiners].boundary.plot(ax=ax, color="#111111", linewidth=1.8)
    pts = b.representative_point()
    for p in sorted(view.pairs, key=lambda p: p["frequency"]):  # the firmest on top
        if p["a"] in pts.index and p["b"] in pts.index:
            firm = p["frequency"] >= view.firm_share
            ax.plot([pts.loc[p["a"]].x, pts.loc[p["b"]].x], [pts.loc[p["a"]].y, pts.loc[p["b"]].y],
                    color="#b2182b" if firm else "#555555", linewidth=0.4 + 3.0 * p["frequency"],
                    alpha=0.35 + 0.6 * p["frequency"], linestyle="-" if firm else "--", zorder=4)
    if view.pairs:
        handles.append(plt.Line2D([], [], color="#b2182b", linewidth=3, label=L("pair_firm",
                                                                                 pct=f"{view.firm_share:.0%}")))
        handles.append(plt.Line2D([], [], color="#555555", linewidth=1, linestyle="--", label=L("pair_open")))
    focus = [c for c in codes if c in group_of or c == highlight]
    if focus:  # frame the proposals (a prefecture's remote islands would shrink them to dots)
        x0, y0, x1, y1 = b.loc[focus].total_bounds
        mx, my = 0.12 * max(x1 - x0, 1.0), 0.12 * max(y1 - y0, 1.0)
        ax.set_xlim(x0 - mx, x1 + mx)
        ax.set_ylim(y0 - my, y1 + my)
        ax.set_aspect("equal")
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    quiet = [c for c in _quiet(view, codes, set(focus)) if x0 <= pts.loc[c].x <= x1 and y0 <= pts.loc[c].y <= y1]
    for c in _labelled(ax, data, pts, focus, highlight, then=quiet):
        x, y = pts.loc[c].x, pts.loc[c].y
        if c in group_of or c == highlight:
            ax.annotate(data.name(c), (x, y), fontsize=7, ha="center", va="center",
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7})
        else:  # in no proposed group: smaller, grey, no box
            ax.annotate(data.name(c), (x, y), fontsize=6, color="#555555", ha="center", va="center",
                        path_effects=[patheffects.withStroke(linewidth=2, foreground="white", alpha=0.8)])
    coastal = [c for c in group_of if c in b.index and data.municipalities.at[c, "coastal"]]
    if coastal:
        ax.scatter(pts.loc[coastal].x, pts.loc[coastal].y - 2500, marker="v", s=18, color="#1f4e79", zorder=5)
        handles.append(plt.Line2D([], [], marker="v", color="#1f4e79", linestyle="", label=L("coastal")))
    if any(g.joining for g in view.groups):
        handles.append(Patch(facecolor="white", edgecolor="#111111", linewidth=1.8, label=L("joiner")))
    if highlight and highlight in b.index:
        b.loc[[highlight]].boundary.plot(ax=ax, color="black", linewidth=2.2)
    handles.append(Patch(facecolor=EXISTING, edgecolor="#7f8fa6", hatch="///",
                         label=L("existing", n=len({data.group_of[c] for c in existing}))))
    handles.append(Patch(facecolor=OTHER, edgecolor="#999999", label=L("grey")))
    # outside the map, so that it never covers a municipality
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, framealpha=0.9)
    prefs = sorted(data.municipalities.loc[codes, "prefecture"].unique())
    where = t(lang, "report.nation") if len(set(view.prefectures)) >= 47 else t(lang, "sep.dot").join(prefs)
    suffix = scenario_suffix(view.scenario_label, lang)
    ax.set_title(title or f"{L('title')}{t(lang, 'report.title_sep')}{where}{suffix}")
    ax.set_axis_off()
    note = L("credit") + ("\n" + L("synthetic") if view.synthetic else "")
    fig.text(0.01, 0.01, note, fontsize=7, color="#444444")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _labelled(ax, data, pts, codes: list[str], first: str | None = None, fontsize: float = 7,
              then: list[str] = ()) -> list[str]:
    """The municipalities to name on a map, largest first, skipping any whose label would overlap one
    already placed (label boxes estimated in display pixels from the name's length and the font size);
    ``then`` (the quieter labels) only after every one of ``codes``, where there is room left."""
    everyone = list(codes) + [c for c in then if c not in set(codes)]
    if not everyone:
        return []
    fig = ax.figure
    fig.canvas.draw()  # fix the axes' transform
    xy = ax.transData.transform(np.column_stack([pts.loc[everyone].x, pts.loc[everyone].y]))
    where = dict(zip(everyone, xy))
    px = fontsize * fig.dpi / 72.0
    pop = data.municipalities["population"]
    first_tier = set(codes)
    order = sorted(everyone, key=lambda c: (c not in first_tier, c != first, -int(pop.get(c, 0)), c))
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


def _svg_labels(data, b, codes: list[str], width: float, height: float, first=None, size: float = 10,
                then: list[str] = ()) -> list[dict]:
    """Names of ``codes`` at their representative points (SVG coordinates), largest first, none overlapping;
    then names of ``then`` where there is room left, marked ``quiet`` (drawn smaller and grey)."""
    first_tier = set(codes)
    everyone = list(codes) + [c for c in then if c not in first_tier]
    if not everyone:
        return []
    x0, y0, scale = _svg_frame(list(b.geometry.values), width, height)
    pts = b.loc[everyone].representative_point()
    pop = data.municipalities["population"]
    kept, out = [], []
    for c in sorted(everyone, key=lambda c: (c not in first_tier, c != first, -int(pop.get(c, 0)), c)):
        x, y = (pts.loc[c].x - x0) * scale, height - (pts.loc[c].y - y0) * scale
        half = 0.5 * size * len(data.name(c)) + 1
        if all(abs(x - kx) > half + kh or abs(y - ky) > 1.2 * size for kx, ky, kh in kept):
            kept.append((x, y, half))
            out.append({"x": f"{x:.1f}", "y": f"{y:.1f}", "text": data.name(c), "quiet": c not in first_tier})
    return out


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


def _svg_pairs(data, b, view: MapView, width: float, height: float) -> list[dict]:
    """A sweep's pairs as SVG lines between representative points: width and opacity by frequency."""
    if not view.pairs:
        return []
    x0, y0, scale = _svg_frame(list(b.geometry.values), width, height)
    pts = b.representative_point()
    out = []
    for p in sorted(view.pairs, key=lambda p: p["frequency"]):
        if p["a"] in pts.index and p["b"] in pts.index:
            xa, ya = (pts.loc[p["a"]].x - x0) * scale, height - (pts.loc[p["a"]].y - y0) * scale
            xb, yb = (pts.loc[p["b"]].x - x0) * scale, height - (pts.loc[p["b"]].y - y0) * scale
            firm = p["frequency"] >= view.firm_share
            out.append({"x1": f"{xa:.1f}", "y1": f"{ya:.1f}", "x2": f"{xb:.1f}", "y2": f"{yb:.1f}",
                        "color": "#b2182b" if firm else "#555555", "width": f"{0.5 + 3.5 * p['frequency']:.2f}",
                        "opacity": f"{0.35 + 0.6 * p['frequency']:.2f}", "dash": "" if firm else "4 3",
                        "title": f"{data.name(p['a'])} – {data.name(p['b'])}: {p['frequency']:.0%}"})
    return out


MAP_WORDS = ("click", "pop", "vendor", "renew", "existing", "proposal", "members", "golive", "savings", "npv", "cont",
             "pair", "cross", "none", "stays", "million", "coastal", "yes", "no", "range", "join", "left", "year",
             "all", "sep", "na", "fy", "mark", "national", "own_head", "group_head", "own_savings", "own_npv", "share", "money_note")


def plan_html(data, view: MapView, lang: str = "ja", highlight: str | None = None,
              nav: list[tuple[str, str | None]] | None = None) -> str:
    """A self-contained interactive map (inline SVG + script; no network access).

    ``nav``: (label, relative link) of the other plans of the run (``None``: this page), shown as a
    switch at the top (alternatives of ``--alternatives``)."""
    def L(key, **kw):
        return t(lang, f"map.{key}", **kw)

    codes = _scope(data, view)
    b = data.boundaries.loc[codes]
    w, h = 900, 760
    paths = _svg_paths(list(b.geometry.values), w, h)
    group_of = {c: k for k, g in enumerate(view.groups) for c in g.members}
    info = {}
    left = {r["code"]: t(lang, f"reason.{r['reason_code']}") for r in view.left_out}
    for c in codes:
        vendor, renewal = data.systems_of(c)
        rec = {"name": data.name(c), "population": int(data.municipalities.at[c, "population"]),
               "coastal": bool(data.municipalities.at[c, "coastal"]), "renewal": renewal, "vendor": vendor,
               "existing": data.group_of.get(c)}
        if c in group_of:
            k = group_of[c]
            g = view.groups[k]
            share = next((s for s in g.shares or [] if s["code"] == c), None)
            rec["proposal"] = {"id": _label(g, k), "kind": g.kind, "base": g.base_group_id,
                               "members": [data.name(x) for x in g.members], "go_live": g.go_live_fy,
                               "vendor": g.vendor, "savings": round(g.annual_savings_yen), "npv": round(g.npv_yen),
                               "national": round(g.national_npv_yen),
                               # the clicked municipality's own figures (its row of the group's shares)
                               "own": None if share is None else {"savings": share["annual_savings_yen"],
                                                                  "npv": share["own_npv_yen"],
                                                                  "share": share["share_yen"]},
                               "p10": g.reduction_rate["p10"], "p90": g.reduction_rate["p90"],
                               "continuity": g.continuity.score,
                               "pairing": g.continuity.pairing_ok if g.continuity.assessed else None,
                               "prefectures": data.prefecture_names(g.members), "join": g.join_fy.get(c)}
        if c in left:
            rec["left"] = left[c]
        info[c] = rec
    shapes = []
    for c, d in zip(codes, paths):
        fill = PALETTE[group_of[c] % len(PALETTE)] if c in group_of else EXISTING if c in data.group_of else OTHER
        joining = c in group_of and c in view.groups[group_of[c]].joining
        style = "stroke:#000;stroke-width:2.5" if c == highlight else ("stroke:#111;stroke-width:1.8" if joining else "")
        year = view.groups[group_of[c]].join_fy.get(c) if c in group_of else None
        shapes.append({"code": c, "d": d, "fill": fill, "style": style, "name": data.name(c),
                       "join": year if view.years else None, "before": EXISTING if c in data.group_of else OTHER})
    named = [c for c in codes if c in group_of or c == highlight]
    names = _svg_labels(data, b, named, w, h, highlight, then=_quiet(view, codes, set(named)))
    lines = _svg_pairs(data, b, view, w, h)
    legend = [{"style": f"background:{PALETTE[k % len(PALETTE)]}", "label": f"{_label(g, k)} {label_of(data, g, lang)}"}
              for k, g in enumerate(view.groups[:LEGEND_MAX])]
    if len(view.groups) > LEGEND_MAX:
        legend.append({"style": "background:#fff", "label": L("more", n=len(view.groups) - LEGEND_MAX)})
    legend.append({"style": f"background:{EXISTING}", "label": L("existing_plain")})
    legend.append({"style": f"background:{OTHER};border:1px solid #999;box-sizing:border-box", "label": L("grey")})
    if any(g.joining for g in view.groups):
        legend.append({"style": "background:#fff;border:2px solid #111;box-sizing:border-box", "label": L("joiner")})
    if lines:
        legend.append({"style": "background:#b2182b;height:4px", "label": L("pair_firm", pct=f"{view.firm_share:.0%}")})
        legend.append({"style": "background:#555;height:2px", "label": L("pair_open")})
    context = dict(lang=lang, title=L("title") + scenario_suffix(view.scenario_label, lang), nav=nav, years=view.years, width=w, height=h, shapes=shapes, lines=lines,
                   names=names, legend=legend, synthetic=L("synthetic") if view.synthetic else "", credit=L("credit"),
                   info=info, words={k: t(lang, f"mapjs.{k}") for k in MAP_WORDS})
    template = ENV.get_template("map.html.j2")
    page = template.render(font_css="", **context)
    # the panel's words and figures are in the page as escaped JSON (\uXXXX): subset the font to them as well
    shown = json.dumps([info, context["words"]], ensure_ascii=False)
    return template.render(font_css=font_face_css(page + shown), **context)
