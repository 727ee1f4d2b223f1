"""Charts of a plan as PNG images (matplotlib, with the IPAexGothic font of ``matplotlib-fontja`` so
Japanese labels render on any machine): the roadmap.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib_fontja  # noqa: E402,F401  (registers and selects IPAexGothic)

from ..text import t  # noqa: E402
from .palette import PALETTE  # noqa: E402

#: Groups drawn in the roadmap chart at most (the largest by value); the rest are counted under it.
GANTT_MAX = 30


def roadmap_png(data, plan, names: list[str], lang: str = "ja") -> bytes:
    """The roadmap as a PNG: which group forms when and who joins when (Gantt-style, one row per
    proposed group, ``names`` its labels), and the KPI curve by fiscal year (municipalities in
    joint clouds; cumulative NPV)."""
    def L(key, **kw):
        return t(lang, f"chart.{key}", **kw)

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
    ax.scatter([], [], marker="D", color="#888", label=L("founded"))
    ax.scatter([], [], marker="o", color="#888", label=L("joins"))
    ax.legend(loc="lower right", fontsize=7)
    title = L("title") + (" — " + L("more", n=len(plan.groups) - GANTT_MAX) if len(plan.groups) > GANTT_MAX
                          else "")
    ax.set_title(title, fontsize=10)
    xs = [k["fy"] + 0.5 for k in plan.kpi]
    kx.plot(xs, [k["municipalities_in_groups"] for k in plan.kpi], marker="o", color="#4363d8", label=L("members"))
    kx.set_ylabel(L("members"), fontsize=8, color="#4363d8")
    for a in (ax, kx):  # both panels on the same fiscal-year axis
        a.set_xlim(lo, hi + 1)
        a.set_xticks([y + 0.5 for y in range(lo, hi + 1)])
        a.set_xticklabels([t(lang, "unit.FY", v=y) for y in range(lo, hi + 1)], fontsize=7)
    k2 = kx.twinx()
    k2.bar(xs, [k["cumulative_npv_yen"] / 1e8 for k in plan.kpi], width=0.5, color="#3cb44b", alpha=0.35)
    k2.set_ylabel(L("npv"), fontsize=8, color="#2a7a34")
    kx.set_zorder(k2.get_zorder() + 1)
    kx.patch.set_visible(False)
    kx.set_title(L("kpi"), fontsize=10)
    if plan.synthetic:
        fig.text(0.01, 0.005, t(lang, "map.synthetic"), fontsize=7, color="#444444")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def sweep_png(res, lang: str = "ja") -> bytes:
    """The robust plan's municipal NPV over the draws against each draw's own optimum (histograms, 億円)."""
    def L(key, **kw):
        return t(lang, f"chart.sweep.{key}", **kw)

    v = res.robust_values
    fig, ax = plt.subplots(figsize=(8, 4), dpi=100)
    own = [x / 1e8 for x in v["optimum_npv"]]
    robust = [x / 1e8 for x in v["npv"]]
    bins = max(10, min(40, len(own) // 5))
    lo, hi = min(own + robust), max(own + robust)
    edges = [lo + (hi - lo) * k / bins for k in range(bins + 1)] if hi > lo else bins
    ax.hist(own, bins=edges, color="#999999", alpha=0.6, label=L("optimum"))
    ax.hist(robust, bins=edges, color=PALETTE[0], alpha=0.7, label=L("robust", criterion=res.criterion))
    for q, style in (("p10", ":"), ("p50", "-"), ("p90", ":")):
        ax.axvline(res.npv_yen[q] / 1e8, color=PALETTE[0], linestyle=style, linewidth=1.2)
    ax.set_xlabel(L("x"))
    ax.set_ylabel(L("y", n=res.draws))
    ax.set_title(L("title", n=res.draws), fontsize=10)
    ax.legend(fontsize=8)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()

