"""Reports for people: the prefecture's proposal report and the advisor's proposal for one municipality.

Both are produced as Markdown from Jinja templates (``templates/*.md.j2``) and converted to one
self-contained HTML page (styles and a Japanese font subset inline, images as data URIs) with
markdown-it, so they open on closed networks. Every text comes from the catalogue
(:mod:`optimizer.text`) in the run's language; every cell of user text is escaped for Markdown
(it is shown as text, never as markup) and markdown-it escapes any HTML. Every report ends with
the assumptions: the data's sources, synthetic data marked plainly, and the settings of the run
with their sources (from the knobs of :mod:`optimizer.config`).

This module renders finished results (a :class:`~optimizer.solve.plan.Proposal`, a match
result); it computes nothing.
"""

from __future__ import annotations

import math

from ..config import ModelParameters, Scenario, knobs
from ..inputs.dataset import SOURCES
from ..text import Items, Msg, say, t as text
from .charts import roadmap_png, sweep_png
from .maps import MapView, label_of, plan_html, plan_png
from .pages import ENV, Bold, cell, markdown_to_html, scenario_suffix


class Fmt:
    """Numbers written for people in one language: yen in 百万円 (M yen), whole yen, percent, lists."""

    def __init__(self, lang: str):
        self.lang = lang

    def t(self, key: str, **kw):
        return text(self.lang, key, **kw)

    def say(self, msg) -> str:
        return say(msg, self.lang)

    def yen(self, v: float) -> str:
        return self.t("fmt.million_yen", v=v / 1e6)

    def exact(self, v) -> str:
        """Whole yen."""
        return self.t("fmt.yen", v=int(v))

    def tenths(self, units: int) -> str:
        """An amount in tenths of a million yen (see :func:`tenths`) as "1,234.5" (the table says 百万円)."""
        return f"{units / 10:,.1f}"

    def join(self, items) -> str:
        return say(Items(items), self.lang)

    def fy(self, year) -> str:
        """A fiscal year: 2023年度 / FY2023."""
        return self.t("unit.FY", v=year)


def tenths(values, total: float | None = None) -> list[int]:
    """Yen amounts rounded to 0.1 百万円 (units of 100,000 yen) so that the rounded rows add up to the rounded
    total (largest remainders get the odd tenths; ``total`` defaults to the rows' sum): a table in 百万円 that
    visibly adds up. The yen themselves are in the CSV and JSON."""
    units = [v / 1e5 for v in values]
    total = sum(values) if total is None else total
    floors = [math.floor(u) for u in units]
    missing = round(total / 1e5) - sum(floors)
    order = sorted(range(len(units)), key=lambda i: (-(units[i] - floors[i]), i))
    for i in order[:max(0, missing)]:
        floors[i] += 1
    return floors


def _render(template: str, lang: str, **context) -> str:
    f = Fmt(lang)
    return ENV.get_template(template).render(t=f.t, lang=lang, **context)


# --- the pieces of a report -----------------------------------------------------------------------------------
def _value(f: Fmt, name: str, k, v) -> str:
    """A knob's value in words: percent for shares, units, choices and lists in the language."""
    if isinstance(v, bool):
        return f.t("report.yesno")[0 if v else 1]
    if k.choices and isinstance(v, str):
        return f.t(f"choice.{v}")
    if isinstance(v, list):
        if not v:
            return "-"
        if name == "pairing_hazards":
            return f.join(Msg(f"hazard.{h}") for h in v)
        return f.join(" + ".join(x) if isinstance(x, list) else str(x) for x in v)
    if isinstance(v, str):
        return f.t(f"choice.{v}") if v in ("all", "none") else v
    if k.unit == "share":
        return f"{v * 100:g}%"
    if k.unit:
        return f.t(f"unit.{k.unit}", v=v)
    return f"{v:g}"


def assumptions(data, scenario, lang: str) -> dict:
    """The assumptions section's context: sources, the hazard source, and every knob with its value and source."""
    f = Fmt(lang)
    supplied = data.hazard is not None and (data.hazard["source"] == "file").any()
    rows = []
    for obj, cls in ((scenario, Scenario), (scenario.model, ModelParameters)):
        for name, k in knobs(cls).items():
            if k.kind == "budget":
                continue
            label = k.ja if lang == "ja" else k.en
            source = k.source_ja if lang == "ja" else k.source_en
            rows.append([label, _value(f, name, k, getattr(obj, name)), f.t(f"knob.kind.{k.kind}"), source])
    return {"sources": SOURCES, "synthetic": data.synthetic,
            "params_lines": [f.t("report.hazard_source", src=f.t("report.src_words")[1 if supplied else 0]),
                             f.t("report.one_off_note"), f.t("report.font_credit")],
            "knob_headers": f.t("report.knob_cols"), "knob_rows": rows}


def stability_message(st: dict) -> Msg:
    """One sentence on the plan's stability (``Plan.stability``)."""
    if st.get("in_core") is None:
        return Msg("stability.undefined")
    if st["in_core"]:
        return Msg("stability.in_core", n=st["candidates"])
    return Msg("stability.blocked", eps=st["epsilon_yen"], k=len(st["blocking"]), n=st["candidates"])


def shares_table(g, f: Fmt) -> dict:
    """The members' table (savings, own account, share, transfer, Shapley) with its total row, and the method."""
    cols = ("annual_savings_yen", "own_npv_yen", "share_yen", "transfer_yen", "outside_option_yen")
    yes, no = f.t("report.yes"), f.t("report.no")
    split = g.cost_split or {"transfers_yen": {}}
    gaps = [split["transfers_yen"].get(x["code"], 0) for x in g.shares]
    # in 百万円, each column rounded so that its rows add up to its total row
    shown = {k: tenths([x[k] for x in g.shares]) for k in cols[:4]}
    shown[cols[4]] = [round(x[cols[4]] / 1e5) for x in g.shares]
    shown["gap"] = tenths(gaps)
    rows = [[x["name"], f.t("report.existing") if x["role"] == "existing" else f.t("report.joining")]
            + [f.tenths(shown[k][r]) for k in cols] + [f.tenths(shown["gap"][r]),
                                                        yes if x["better_than_outside_option"] else no]
            for r, x in enumerate(g.shares)]
    rows.append([Bold(f.t("report.total")), ""] + [Bold(f.tenths(sum(shown[k]))) for k in cols[:4]]
                + ["", f.tenths(sum(shown["gap"])), ""])
    a = g.allocation
    core = (f.t("report.core_na") if a["in_core"] is None else f.t("report.core_ok") if a["in_core"]
            else f.t("report.core_empty", e=f.yen(a["epsilon_yen"])))
    headers = [f.t(f"report.{k}") for k in ("name", "role", "share_savings", "own", "share", "transfer", "outside",
                                             "formula_gap", "better")]
    rule = (f.t("report.cost_split", e=split["equal_weight"], p=split["population_weight"])
            if g.cost_split else None)
    return {"headers": headers, "rows": rows, "core": core, "cost_split": rule}


def _group(data, scenario, g, f: Fmt) -> dict:
    mu = data.municipalities
    kind = (f.t("report.kind_new", name=f.say(data.place_name(g.members))) if g.kind == "new" else
            f.t("report.kind_expand", g=g.base_group_id, name=f.say(data.group_name(g.base_group_id))))
    prefs = data.prefecture_names(g.members)
    cross = f.t("report.cross", prefs=Items(prefs, "sep.dot")) if len(prefs) > 1 else ""
    out = {"heading": f"{g.id}{f.t('report.title_sep')}{kind}{cross}", "expand_rule": None}
    if g.base_group_id:
        cap = int(data.groups.at[g.base_group_id, "max_members"]) if g.base_group_id in data.groups.index else "-"
        out["expand_rule"] = f.t("report.expand_rule", join=scenario.join_link_km, mj=scenario.max_joiners, cap=cap,
                                 lo=scenario.min_size, hi=scenario.max_size, dist=scenario.max_member_distance_km)
    rows = []
    for c in g.members:
        role = f.t("report.joining") if (g.kind == "new" or c in g.joining) else f.t("report.existing")
        vendor, renew = data.systems_of(c)
        coast = f.t("report.coastal") if mu.at[c, "coastal"] else f.t("report.inland")
        rows.append([c, mu.at[c, "name"], role, f"{int(mu.at[c, 'population']):,}", vendor,
                     ", ".join(map(str, renew)), coast])
    out["member_headers"] = [f.t(f"report.{k}") for k in ("code", "name", "role", "pop", "vendor", "renew")] + [
        f"{f.t('report.coastal')}/{f.t('report.inland')}"]
    out["member_rows"] = rows
    fy0 = scenario.planning_fy
    study = f.fy(fy0) if g.go_live_fy - 1 <= fy0 else f.t("unit.FY_span", a=fy0, b=g.go_live_fy - 1)
    steps = [f.t("report.plan_step", fy=fy0, study=study, vendor=g.vendor)]
    for k, step in enumerate(g.timeline):
        word = f.t("report.founding") if k == 0 and g.kind == "new" else f.t("report.joins")
        names = Items(data.name(c) for c in step["joining"])
        steps.append(f.say(Msg("report.step_one" if len(step["joining"]) == 1 else "report.step_many",
                               fy=step["fy"], word=word, names=names)))
    out["timeline"] = steps
    r = g.reduction_rate
    out["costs"] = [
        [f.t("report.baseline"), f.yen(g.baseline_cost_yen)],
        [f.t("report.range"), f"{r['p10']:.0%} / {r['p50']:.0%} / {r['p90']:.0%}"],
        [f.t("report.savings"), f.yen(g.annual_savings_yen)],
        [f.t("report.coordination"), f.yen(g.coordination_cost_yen)],
        [f.t("report.savings_range"), f"{f.yen(g.savings_at(r['p10']))} – {f.yen(g.savings_at(r['p90']))}"],
        [f.t("report.oneoff"), f.yen(g.one_off_cost_yen)],
        [f.t("report.subsidy"), f.yen(g.subsidy_yen)],
        [f.t("report.npv"), f.t("fmt.aside", x=f.yen(g.npv_yen), v=f.exact(round(g.npv_yen)))],
        [f.t("report.national"), f.yen(g.national_npv_yen)],
    ]
    out["shares"] = shares_table(g, f) if g.shares else None
    c = g.continuity
    out["continuity_score"] = f"{f.t('report.score')}{f.t('report.title_sep')}**{c.score}** / 100" + f.t(
        "report.cont_parts", p=c.components["pairing"] if c.assessed else f.t("report.not_assessed"),
        s=c.components["spread"], r=c.components["reachability"], d=c.max_distance_km)
    pairing = (f.t("report.pairing_na") if not c.assessed else
               f.t("report.pairing_ok") if c.pairing_ok else f.t("report.pairing_ng"))
    pairing += "".join(f.t("report.exposed_list", hazard=Msg(f"hazard.{h}"), names=Items(data.name(x) for x in xs))
                       for h, xs in (c.exposed or {}).items())
    out["pairing"] = pairing
    out["warnings"] = [f.say(w) for w in g.warnings]
    return out


def group_labels(data, plan, lang: str = "ja") -> list[str]:
    """Short labels of a plan's groups: "P01 G042 和歌山県電子自治…＋2" for an expansion (its name cut to
    :data:`LABEL_CHARS`), "P02 A・Bほか2団体" for a new group."""
    out = []
    for g in plan.groups:
        out.append(f"{g.id} {label_of(data, g, lang)}")
    return out


def plan_label(plan, lang: str) -> str:
    """How a plan stands, for the report: the proven optimum, the best found, or the n-th best."""
    if plan.rank <= 1:
        return text(lang, "report.alt_best" if plan.status == "OPTIMAL" else "report.alt_best_unproven")
    return text(lang, "report.alt_rank", n=plan.rank, pct=plan.below_best)


def _roadmap(data, run, f: Fmt) -> dict | None:
    plan = run.best
    h = plan.horizon
    if not plan.kpi:
        return None
    head = (f.t("report.single_wave") if h.get("single_wave") else
            f.t("report.horizon", a=h["from_fy"], b=h["to_fy"], c=h["first_go_live_fy"]))
    total = sum(round(g.npv_yen) for g in plan.groups)  # the groups' NPVs as each group shows them
    after = total - plan.kpi[-1]["cumulative_npv_yen"]  # what falls after the horizon (rounding: at most a yen a group)
    last, later = tenths([plan.kpi[-1]["cumulative_npv_yen"], after])  # the last two rows add up to the total
    rows = [[f.fy(k['fy']), k["municipalities_in_groups"], k["groups"], k["cloud_municipalities"],
             f.tenths(round(k["annual_savings_yen"] / 1e5)), f.tenths(round(k["cumulative_npv_yen"] / 1e5))]
            for k in plan.kpi]
    rows[-1][-1] = f.tenths(last)
    rows.append([f.t("report.after", h=plan.scenario.model.horizon_years), "", "", "", "", f.tenths(later)])
    rows.append([Bold(f.t("report.plan_npv")), "", "", "", "", Bold(f.tenths(last + later))])
    out = {"head": head, "rows": rows, "by_prefecture": None, "left_out": None,
           "note": f.t("report.kpi_note", h=plan.scenario.model.horizon_years)}
    if len(plan.prefectures) > 1 and run.by_prefecture:  # several prefectures: each one's count by year
        prefs = [r for r in run.by_prefecture if r["prefecture_code"] in plan.prefectures]
        out["by_prefecture"] = {"headers": [f.t("report.pref")] + [f.fy(k['fy']) for k in plan.kpi],
                                "rows": [[r["prefecture"]] + [k["municipalities_in_groups"] for k in r["kpi"]]
                                         for r in prefs]}
    if plan.left_out:
        out["left_out"] = [[r["code"], r["name"], f.t(f"reason.{r['reason_code']}")] for r in plan.left_out]
    return out


def sweep_section(data, res, f: Fmt) -> dict:
    """The sweep's section of the report: what was drawn, the robust plan over the draws, what is firm, what is
    open and what it hinges on, the most frequent pairs."""
    from .payload import input_label

    names = data.municipalities["name"].to_dict()
    u, st, v = res.uncertain, res.stats, res.robust_values
    ranges = f.join(f"{input_label(r['key'], names, f.lang)} {r['low']:g}–{r['high']:g}" for r in u["ranges"])
    lines = [f.t("sweep.drawn", theta=data_theta(res), renewal=u["renewal"], vendor=u["vendor"], willing=u["willing"],
                 p_r=res.base_plan.scenario.renewal_shift_p, p_v=res.base_plan.scenario.vendor_change_p,
                 p_w=res.base_plan.scenario.willing_flip_p, ranges=ranges or "-"),
             f.t("sweep.solved", n=res.draws, proven=res.draws - st["unproven_draws"], plans=st["distinct_plans"],
                 seed=res.seed, s=st["seconds"], workers=st["workers"] or 1)]
    if res.robust_plan is not None:
        s = v["summary"]
        lines += [f.t(f"sweep.robust.{res.criterion}", k=v["optimal_in"], n=res.draws),
                  f.t("sweep.npv", p10=f.yen(res.npv_yen["p10"]), p50=f.yen(res.npv_yen["p50"]),
                      p90=f.yen(res.npv_yen["p90"])),
                  f.t("sweep.regret", mean=f.yen(s["regret"]["mean"]), p90=f.yen(s["regret"]["p90"]),
                      max=f.yen(s["regret"]["max"])),
                  f.t("sweep.vs_base", n=v["regrouped_from_base"])]
    else:
        lines.append(f.t("sweep.no_robust"))
    sep = f.t("sep.dot")
    firm_rows = [[sep.join(data.name(c) for c in g["movers"]), g["base_group_id"] or "-", f"{g['frequency']:.0%}"]
                 for g in res.firm["groups"]]
    def option(x) -> str:
        if x["alone"]:
            return f.t("sweep.alone")
        gid = x["base_group_id"]
        if not gid:
            return sep.join(data.name(c) for c in x["members"])
        existing = set(data.group_members.get(gid, []))
        return f.t("sweep.expansion", g=gid, n=len(existing),
                   names=sep.join(data.name(c) for c in x["members"] if c not in existing))

    open_rows = []
    for o in res.open:
        opts = f.join(f.t("fmt.aside", x=option(x), v=f"{x['frequency']:.0%}") for x in o["options"])
        hinge = f.join(f.t("fmt.aside", x=input_label(h["input"], names, f.lang), v=f"{h['strength']:.2f}")
                       for h in o["hinges_on"]) \
            or f.t("sweep.near_tie")
        open_rows.append([o["name"], cell(opts), cell(hinge)])
    pair_rows = [[data.name(p["a"]), data.name(p["b"]), f"{p['frequency']:.0%}"] for p in res.pairs[:PAIRS_SHOWN]]
    return {"draws": res.draws, "lines": lines, "firm_pct": f"{res.firm_share:.0%}", "firm_rows": firm_rows,
            "open_rows": open_rows, "pair_rows": pair_rows}


#: Pairs listed in the report (all are in sweep_pairs.csv).
PAIRS_SHOWN = 20


def data_theta(res) -> str:
    m = res.base_plan.scenario.model
    return f"{m.sharing_saving:g} ± {m.sharing_saving_sd:g}"


def plan_markdown(data, run, lang: str = "ja", sweep=None) -> str:
    """The prefecture's report (report.md) of a :class:`~optimizer.solve.plan.Proposal`; with ``sweep`` (a
    sweep's result whose robust plan is the run's), its section on what is firm and what is open."""
    f = Fmt(lang)
    plan = run.best
    scenario = plan.scenario
    m = data.municipalities
    prefs = sorted(m.loc[m["prefecture_code"].isin(plan.prefectures), "prefecture"].unique())
    where = f.t("report.nation") if len(plan.prefectures) >= 47 else (
        f.join(prefs) if lang == "en" else "・".join(prefs))
    title = f.t("report.title") + f.t("report.title_sep") + where + scenario_suffix(scenario.label, lang)
    gap = f.t("na") if plan.gap != plan.gap else f"{plan.gap:.2%}"
    bound = f.yen(plan.best_bound) if plan.best_bound == plan.best_bound else f.t(
        "report.no_bound_robust" if plan.stats.get("chosen_from_draws") else
        "report.no_bound_incomplete" if not plan.stats.get("search_complete", True) else "report.no_bound_solver")
    lp = f.t("report.lp_bound") if plan.stats.get("bound_source") == "LP relaxation" else ""
    alone = f.join(data.name(c) for c in plan.eligible_alone) or "-"
    sc, colon = f.t("sep.clause"), f.t("report.title_sep")
    left = f"{f.t('report.left_out')}{colon}{len(plan.left_out)}"
    summary = [
        f"{f.t('report.status')}{colon}**{f.t('status.' + plan.status)}**{sc}{f.t('report.objective')} "
        f"{cell(f.yen(plan.objective))}{sc}{f.t('report.bound')} {cell(bound)}{lp}{sc}{f.t('report.gap')} {gap}",
        f"{f.t('report.groups')}{colon}{len(plan.groups)}{sc}{f.t('report.plan_npv')} "
        f"{cell(f.yen(sum(round(g.npv_yen) for g in plan.groups)))}{sc}"
        f"{f.t('report.savings')} {cell(f.yen(sum(round(g.annual_savings_yen) for g in plan.groups)))}",
        f"{f.t('report.alone')}{colon}" + f.t("fmt.aside", x=cell(alone), v=left),
    ]
    if plan.stats.get("stopped_by_clock"):
        summary.append(f.t("report.clock"))
    if plan.stability is not None:
        summary.append(f"{f.t('report.stability')}{f.t('report.title_sep')}{f.say(stability_message(plan.stability))}")
    if data.shipped("survey"):
        note = f.t("report.fy_shipped") if scenario.planning_fy == 2018 else ""
    else:
        past = data.renewals_before(scenario.planning_fy)
        note = f.t("report.fy_own", n=len(past))
    alternatives = None
    files_note = None
    if len(run.plans) > 1:
        alternatives = [[str(p.rank), plan_label(p, lang), f.yen(p.objective), f.yen(plan.objective - p.objective),
                         len(cmp["only_in_b"]) if p is not plan else 0, cmp["municipalities_regrouped"]]
                        for p, cmp in zip(run.plans, run.comparisons)]
        n = len(run.plans)
        files_note = f.t("report.alt_files", n="2" if n == 2 else (f"2〜{n}" if lang == "ja" else f"2-{n}"))
    savings = tenths([b["annual_savings_yen"] for b in plan.participation])  # the bands add up to the plan's totals
    shares = tenths([b["share_yen"] for b in plan.participation])
    bands = [[f.t(f"band.{b['band']}"), b["eligible"], b["placed"], f.tenths(sv), f.tenths(sh)]
             for b, sv, sh in zip(plan.participation, savings, shares)]
    return _render("report.md.j2", lang, title=title, summary=summary,
                   data_year=f.t("report.data_year", fy=scenario.planning_fy, fy_note=note),
                   alternatives=alternatives, alternatives_files=files_note, bands=bands,
                   roadmap=_roadmap(data, run, f), groups=[_group(data, scenario, g, f) for g in plan.groups],
                   sweep=sweep_section(data, sweep, f) if sweep is not None else None,
                   **assumptions(data, scenario, lang))


def plan_files(data, run, lang: str = "ja", sweep=None) -> dict[str, bytes | str]:
    """report.md, report.html, roadmap.png, map.png and map.html of a proposal run (rendered in memory); each
    alternative's maps in ``altK/``. With ``sweep``: its section in the report, its pairs on the maps and
    sweep.png."""
    plans = run.plans
    view = MapView.of_sweep(sweep, data) if sweep is not None else MapView.of_plan(plans[0])
    png = plan_png(data, view, lang)
    md = plan_markdown(data, run, lang, sweep=sweep)
    word = text(lang, "report.plan_word")

    def nav(here: int) -> list[tuple[str, str | None]] | None:
        if len(plans) < 2:
            return None
        prefix = "" if here == 1 else "../"
        return [(f"{word}{k}", None if k == here else prefix + ("map.html" if k == 1 else f"alt{k}/map.html"))
                for k in range(1, len(plans) + 1)]

    road = roadmap_png(data, plans[0], group_labels(data, plans[0], lang), lang)
    images = {"map.png": png, "roadmap.png": road}
    if sweep is not None:
        images["sweep.png"] = sweep_png(sweep, lang)
    files = {**images, "map.html": plan_html(data, view, lang, nav=nav(1)), "report.md": md,
             "report.html": markdown_to_html(md, text(lang, "report.title"), lang, images)}
    for k, p in enumerate(plans[1:], start=2):
        files[f"alt{k}/map.png"] = plan_png(data, MapView.of_plan(p), lang)
        files[f"alt{k}/map.html"] = plan_html(data, MapView.of_plan(p), lang, nav=nav(k))
    return files


def match_markdown(data, res, lang: str = "ja") -> str:
    """The advisor's proposal (match_report.md) of a match result with its precedents."""
    f = Fmt(lang)
    options = []
    for o in res.options:
        who = (f.say(o.group_name) if o.group_name else f.join(data.name(p) for p in o.partners)) or "-"
        lines = []
        if o.kind != "alone":  # every figure names its account
            lines += [f.t("sep.clause").join(f"{f.t(label)} {f.yen(o.own[key])}" for label, key in (
                          ("report.own", "npv_yen"), ("report.share", "share_yen"), ("report.savings", "annual_savings_yen"))),
                      f.t("report.match_group_line", npv=f.yen(o.npv_yen), score=o.continuity_score,
                          fy=f.fy(o.go_live_fy))]
        lines += [f.say(r) for r in o.reasons]
        head = f"{o.rank}. {f.t(f'match.kind.{o.kind}')}{f.t('report.title_sep')}" + (
            f.t("fmt.aside", x=who, v=o.group_id) if o.group_id else who)
        options.append({"heading": head, "lines": lines})
    top = next((o for o in res.options if o.kind != "alone" and o.rank == 1), None)
    shares = shares_table(top.group, f) if top is not None and top.group is not None and top.group.shares else None
    if shares is not None:  # whose table it is: the first option's group
        shares["title"] = f.t("report.shares") + f.t("report.title_sep") + options[0]["heading"].split(". ", 1)[-1]
    precedents = [[p["group_id"], f.say(p["name"]) or "-", p["members"], f"{p['population']:,}", p["similarity"],
                   f.join(f.say(w) for w in p["why"])] for p in res.precedents]
    headers = [f.t("report.id"), f.t("report.name"), f.t("report.members"), f.t("report.pop"), f.t("report.similarity"),
               f.t("report.why")]
    return _render("match.md.j2", lang, title=f.t("report.match_title", name=res.name),
                   note=f.say(res.note) if res.note else None,
                   plan_line=f.t("cli.match.plan", status=Msg(f"status.{res.plan['status']}"), reason=res.plan["reason"]),
                   differs=f.t("cli.match.differs", reason=res.plan["differs"]) if res.plan.get("differs") else None, options=options,
                   shares=shares, precedent_headers=headers, precedents=precedents,
                   **assumptions(data, res.scenario, lang))


def match_files(data, res, lang: str = "ja") -> dict[str, bytes | str]:
    """The advisor's proposal: match_report.md/.html and its maps (``match_*`` names, so that a proposal
    written to the same folder keeps its own map and report)."""
    title = text(lang, "report.match_title", name=res.name)
    view = MapView.of_match(res, data.synthetic)
    png = plan_png(data, view, lang, highlight=res.municipality, title=title)
    md = match_markdown(data, res, lang)
    return {"match_report.md": md, "match_report.html": markdown_to_html(md, title, lang, {"match_map.png": png}),
            "match_map.png": png, "match_map.html": plan_html(data, view, lang, highlight=res.municipality)}


__all__ = ["plan_files", "plan_markdown", "match_files", "match_markdown", "markdown_to_html", "group_labels",
           "assumptions"]
