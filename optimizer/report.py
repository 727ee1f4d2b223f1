"""Reports for people: the prefecture's proposal report and the advisor's proposal for one municipality.

Both are written as Markdown and as one self-contained HTML file (styles inline, the map
embedded as a data URI) so they open on closed networks. Japanese by default,
``lang="en"`` for English. Every report ends with an assumptions section that names the
data sources and marks synthetic data plainly.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

from .data import SOURCES, Dataset
from .fonts import font_face_css
from .hazard import HAZARD_LABELS
from .maps import plan_html, plan_png, roadmap_png
from .scoring import score_group
from .textout import escape_html, plain_text, write_folder

T = {
    "ja": {
        "title": "自治体クラウド グループ案 報告書", "summary": "概要", "status": "求解状況",
        "groups": "提案グループ", "alone": "提案なし（単独）の団体", "members": "構成団体", "name": "団体名",
        "code": "団体コード", "pop": "人口", "vendor": "現行ベンダ", "renew": "更新年度", "role": "区分",
        "joining": "新規参加", "existing": "既存構成団体", "timeline": "スケジュール", "costs": "費用と効果",
        "baseline": "現行の年間情報システム経費（推計）", "savings": "年間削減額（期待値）",
        "savings_range": "年間削減額 p10〜p90", "range": "削減率 p10／p50／p90",
        "oneoff": "一時経費（共同化計画・移行・研修等）", "subsidy": "特別交付税措置（見込み）", "npv": "正味現在価値（NPV）",
        "shares": "団体別の収支と配分", "share_savings": "年間削減額", "own": "自団体の収支（NPV）",
        "share": "配分額（NPV）", "transfer": "調整額", "shapley": "シャープレイ値（参考）", "better": "現状より有利",
        "total": "合計", "national": "正味現在価値（国全体：特別交付税を除く）",
        "alloc_note": ("配分額は仁（nucleolus）による：どの部分グループも単独で組むより不利にならない配分（コア）が"
                       "存在すればその中から選ばれる。調整額 = 配分額 − 自団体の収支（団体間の精算額、合計0）。"
                       "既存グループの構成団体は一体として配分を受け、経費規模に比例して分ける。"),
        "core_ok": "配分はコアに含まれる（どの部分グループも離脱の利益なし）",
        "core_empty": "コアは空：最小コア配分（ε = {e}）", "core_na": "コアは未確認（構成団体が多いため）",
        "continuity": "業務継続", "score": "業務継続スコア", "assumptions": "前提と出典",
        "plan_fy": "計画年度", "study": "共同化の検討・調達", "golive": "稼働", "kind_new": "新規グループ",
        "kind_expand": "既存グループ{g}への参加", "objective": "目的関数値", "bound": "上界", "lp_bound": "（LP緩和による）", "gap": "最適性ギャップ",
        "yes": "○", "no": "×", "coastal": "沿岸", "inland": "内陸", "pairing_ok": "津波の被災想定が異なる相互支援先が成立",
        "pairing_ng": "津波想定区域の団体に相互支援の相手がいない", "map": "地図（詳細は map.html）",
        "match_title": "{name} のグループ参加に関する提案", "options": "選択肢", "precedents": "参考となる先行グループ",
        "similarity": "類似度", "why": "理由", "note_synth": "※ 本報告のベンダ・更新年度等は合成データ（サンプル）に基づきます。",
        "params": "主なパラメータ", "warn": "注意", "bands": "人口規模別の参加と効果",
        "band_cols": ["人口規模", "対象団体", "参加団体", "年間削減額", "配分額（NPV）"],
        "solver_note": ("求解状況の読み方：OPTIMAL＝候補グループの中でこれより価値の高い案がないことを証明済み。"
                        "目的関数値＝各グループの価値（国全体のNPV＋業務継続の価値）の合計で、NPVとは一致しない。"
                        "上界＝どの案もこれを超えないことが保証された値。ギャップ＝上界と目的関数値の差の割合。"),
        "data_year": ("データの基準：既存グループ 2017年10月（総務省調べ）、人口 2020年国勢調査・2022年住民基本台帳、"
                      "行政区域 2021年1月。計画年度 FY{fy}{fy_note}。"),
        "fy_shipped": "（同梱のサンプルデータは2017年度の状況を表すため、その翌年度を計画年度としている）",
        "expand_rule": ("既存グループへの参加の条件：各参加団体が既存構成団体のいずれかから{join:g} km以内、"
                        "1回に最大{mj}団体、グループの定員（{cap}団体）まで。新規グループの規模（{lo}〜{hi}団体）・"
                        "距離（{dist:g} km）の上限は適用しない。"),
        "alternatives": "代替案の比較", "alt_cols": ["案", "位置づけ", "価値", "最適案との差", "最適案と異なるグループ"],
        "alt_best": "最適案（証明済み）", "alt_best_unproven": "最良の案（未証明）", "alt_rank": "第{n}位の案（最適案より{pct:.1%}低い）",
        "alt_files": "各代替案のファイルは alt{n}/ フォルダにある（地図・CSV・GeoJSON）。",
        "cont_parts": "（相互支援 {p}、分散 {s}、到達性 {r}；最大距離 {d} km）",
        "roadmap": "ロードマップ", "kpi_cols": ["年度", "共同利用の団体数", "グループ数", "クラウド導入団体数",
                                                "年間削減額", "累積NPV（団体会計）"],
        "after": "計画期間後に計上されるNPV（各団体の削減は参加から{h}年間）", "plan_npv": "提案グループのNPV合計",
        "national_kpi": ("国のKPI：クラウド導入市区町村数 2014年度 550団体、2017年度までに倍増（約1,000団体）が目標。"
                         "「クラウド導入団体数」は共同利用（既存・提案グループ）と単独クラウドの合計（本表の対象団体内）。"),
        "horizon": "計画期間 FY{a}〜FY{b}：グループは FY{c} 以降に設立され、各団体は契約の終わる年度に合わせて参加する。",
        "single_wave": "単一時点の計画（roadmap_years = 1）：各グループの構成団体は同じ年度に稼働する。",
        "founding": "設立", "joins": "参加", "left_out": "グループに入らない団体と理由", "pref": "都道府県",
        "left_cols": ["団体コード", "団体名", "理由"],
        "study_only": "共同化の検討・調達",
        "params_lines": [
            "計画年度 FY{fy}；新規グループ {lo}〜{hi}団体；更新時期の差 {win}年以内；ベンダ {vm}；構成団体間の距離 {dist:g} km以内；"
            "連結性：陸・海・交通の隣接または{ck:g} km以内の飛び地（候補は隣接関係{lk}から生成）；津波の相互支援 {pair}"
            "（対象：{hz}；被災想定区域 {src}）；県境を越えるグループ {cross}；調整費 {coord:,.0f}円/km/年",
            "経費曲線は総務省FY2017の数値に当てはめ（2万人未満 11,724円/人、10〜20万人 3,096円/人）；削減率 {r0:.2f} + "
            "{slope:.3f} ln n（2016年の45グループの分布で推定）",
            "NPVは稼働から{hy}年間、割引率{dr:.0%}；特別交付税 = 対象経費 × {sr} × 財政力補正（仮定：clip({ci} − 財政力指数, "
            "{cmin}, {cmax})）",
            "一時経費の水準は桁の目安（仮定；docs/model.md）",
            "フォント：IPAexゴシック（IPAフォントライセンスv1.0）をサブセットで埋め込み",
        ],
        "synth_long": ("同梱の調査票のベンダ・更新年度・単独クラウドの状況・意向は合成データ（乱数の種を固定した生成器、"
                       "optimizer/synthetic.py）。既存グループの構成は実データ（総務省、2017年10月）。"),
        "pair_words": {"weighted": "評価に反映", "hard": "必須"}, "src_words": ("ジオメトリから推定（公式指定ではない）", "指定ファイル"),
        "yesno": ("可", "不可"),
    },
    "en": {
        "title": "Joint-cloud group proposals", "summary": "Summary", "status": "Solver status",
        "groups": "Proposed groups", "alone": "Municipalities left alone", "members": "Members", "name": "name",
        "code": "code", "pop": "population", "vendor": "vendor now", "renew": "renewal FY", "role": "role",
        "joining": "joining", "existing": "existing member", "timeline": "Timeline", "costs": "Costs and savings",
        "baseline": "Current annual IT cost (estimate)", "savings": "Expected savings per year",
        "savings_range": "Savings per year, p10 - p90",
        "range": "Reduction p10 / p50 / p90", "oneoff": "One-off costs (planning, migration, training...)",
        "subsidy": "Special allocation tax support (expected)", "npv": "Net present value (NPV)",
        "shares": "Per-member accounts and shares", "share_savings": "savings / year", "own": "own account (NPV)",
        "share": "share (NPV)", "transfer": "transfer", "shapley": "Shapley value (reference)",
        "better": "better than now", "total": "total", "national": "Net present value, national (transfers excluded)",
        "alloc_note": ("Shares are the nucleolus: whenever a split exists that leaves no sub-group better off on its "
                       "own (the core), the share is in it. Transfer = share - own account (settled between "
                       "members, sums to 0). An existing group takes one share, split by its members' cost base."),
        "core_ok": "the shares are in the core (no sub-group gains by leaving)",
        "core_empty": "the core is empty: least-core shares (ε = {e})", "core_na": "core not checked (many members)",
        "continuity": "Business continuity", "score": "continuity score", "assumptions": "Assumptions and sources",
        "plan_fy": "planning FY", "study": "joint study and procurement", "golive": "go-live",
        "kind_new": "new group", "kind_expand": "joining existing group {g}", "objective": "objective",
        "bound": "bound", "lp_bound": " (from the LP relaxation)", "gap": "optimality gap", "yes": "yes", "no": "no", "coastal": "coastal", "inland": "inland",
        "pairing_ok": "mutual support across tsunami hazard areas in place", "pairing_ng": "members in a tsunami hazard area lack a safe partner",
        "map": "Map (interactive: map.html)", "match_title": "Proposal for {name}", "options": "Options",
        "precedents": "Precedent groups to learn from", "similarity": "similarity", "why": "why",
        "note_synth": "* Vendors and renewal years in this report are SYNTHETIC sample data.",
        "params": "Main parameters", "warn": "Warning", "bands": "Participation and money by population band",
        "band_cols": ["population", "eligible", "placed", "savings / year", "shares (NPV)"],
        "solver_note": ("How to read the solver status: OPTIMAL = proven that no plan among the candidate groups is "
                        "worth more. Objective = the sum of the groups' values (national NPV plus the value of business "
                        "continuity), so it differs from the NPV. Bound = a value no plan can exceed. Gap = how far "
                        "the objective is below the bound."),
        "data_year": ("Data reference dates: existing groups October 2017 (MIC survey), population 2020 census and "
                      "2022 resident register, boundaries January 2021. Planning year FY{fy}{fy_note}."),
        "fy_shipped": " (the shipped sample describes FY2017, so planning starts the year after)",
        "expand_rule": ("Rules for joining an existing group: each joiner within {join:g} km of one of its members, "
                        "at most {mj} joiners at a time, up to the group's capacity ({cap}); the size ({lo}-{hi}) and "
                        "distance ({dist:g} km) limits of new groups do not apply."),
        "alternatives": "Alternatives compared", "alt_cols": ["plan", "standing", "value", "below the best",
                                                              "groups that differ from the best"],
        "alt_best": "the optimum (proven)", "alt_best_unproven": "best found (not proven)",
        "alt_rank": "{n}th best, {pct:.1%} below the optimum",
        "alt_files": "Each alternative's files are in the folder alt{n}/ (map, CSV, GeoJSON).",
        "cont_parts": " (mutual support {p}, spread {s}, reachability {r}; largest distance {d} km)",
        "roadmap": "Roadmap", "kpi_cols": ["FY", "municipalities in joint clouds", "groups", "municipalities with a cloud",
                                           "savings in the year", "cumulative NPV (municipal)"],
        "after": "NPV falling after the horizon (each member's savings count for {h} years from joining)",
        "plan_npv": "NPV of the proposed groups",
        "national_kpi": ("National KPI: 550 municipalities with a cloud in FY2014, target about 1,000 (doubled) by "
                         "FY2017. 'Municipalities with a cloud' counts joint clouds (existing and proposed groups) and "
                         "solo clouds among the municipalities of this table."),
        "horizon": "Horizon FY{a}-FY{b}: groups are founded from FY{c}; members join as their contracts end.",
        "single_wave": "Single-wave plan (roadmap_years = 1): each group's members go live in one year.",
        "founding": "founded", "joins": "joining", "left_out": "Municipalities in no group, and why",
        "pref": "prefecture",
        "left_cols": ["code", "name", "reason"],
        "study_only": "joint study and procurement",
        "params_lines": [
            "planning FY{fy}; new groups of {lo}-{hi} members; renewal years within {win} years; vendor mode {vm}; "
            "members within {dist:g} km of each other; connectivity: land, sea or transit links or hops up to {ck:g} km "
            "(candidates grown over links{lk}); tsunami mutual support {pair} (hazards: {hz}; exposure {src}); "
            "groups across prefecture lines {cross}; coordination cost {coord:,.0f} yen per km a year",
            "cost curve fitted to MIC FY2017 figures (11,724 yen per resident under 20k, 3,096 yen at 100k-200k); "
            "reduction {r0:.2f} + {slope:.3f} ln n (calibrated on the 2016 spread of 45 groups)",
            "NPV over {hy} years from go-live at {dr:.0%}; special allocation tax = eligible cost x {sr} x fiscal "
            "correction (assumed clip({ci} - fiscal strength index, {cmin}, {cmax}))",
            "one-off cost levels are order-of-magnitude assumptions (docs/model.md)",
            "font: IPAexGothic (IPA Font License v1.0), embedded as a subset",
        ],
        "synth_long": ("The shipped survey's vendors, renewal years, solo-cloud status and willingness are synthetic "
                       "(seeded generator, optimizer/synthetic.py); group membership is real (MIC, October 2017)."),
        "pair_words": {"weighted": "weighted in the score", "hard": "required"},
        "src_words": ("from geometry, not an official designation", "from a supplied file"),
        "yesno": ("allowed", "not allowed"),
    },
}


def _yen(v: float, lang: str) -> str:
    if lang == "ja":
        return f"{v / 1e6:,.1f} 百万円"
    return f"{v / 1e6:,.1f} M yen"


def _yen_exact(v: int, lang: str) -> str:
    """Whole yen, for tables whose rows must visibly add up to the total."""
    return f"{int(v):,} 円" if lang == "ja" else f"{int(v):,} yen"


def _join(items, lang: str, sep_ja: str = "、") -> str:
    """A list in prose: Japanese punctuation in Japanese, commas in English."""
    return (sep_ja if lang == "ja" else ", ").join(items)


def _md_table(headers: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(plain_text(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(plain_text(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def _assumptions(data: Dataset, scenario, lang: str) -> str:
    t = T[lang]
    m = scenario.model
    lines = [f"## {t['assumptions']}", ""]
    if data.synthetic_rows:
        lines += [f"**{t['note_synth']}** {t['synth_long']}", ""]
    lines += [f"- {s}" for s in SOURCES]
    lines += ["", f"### {t['params']}", ""]
    supplied = data.hazard is not None and (data.hazard["source"] == "file").any()
    sc = scenario
    values = dict(fy=sc.planning_fy, lo=sc.min_size, hi=sc.max_size, win=sc.renewal_window_years, vm=sc.vendor_mode,
                  dist=sc.max_member_distance_km, ck=sc.connect_km,
                  lk=(f"・{sc.link_km:g} km以内" if lang == "ja" else f" and pairs within {sc.link_km:g} km")
                  if sc.link_km else "", pair=t["pair_words"][sc.pairing],
                  hz=("、".join(HAZARD_LABELS.get(h, h) for h in sc.pairing_hazards) if lang == "ja"
                      else ", ".join(sc.pairing_hazards)),
                  src=t["src_words"][1 if supplied else 0], cross=t["yesno"][0 if sc.cross_prefecture else 1],
                  coord=m.coordination_yen_per_km, r0=m.reduction_r0, slope=m.reduction_size_slope, hy=m.horizon_years,
                  dr=m.discount_rate, sr=m.subsidy_rate, ci=m.subsidy_corr_intercept, cmin=m.subsidy_corr_min,
                  cmax=m.subsidy_corr_max)
    lines += [f"- {line.format(**values)}" for line in t["params_lines"]]
    return "\n".join(lines)


def _savings_at(ctx, g, rate: float) -> float:
    """Annual savings if the group's reduction rate were ``rate`` (an expansion: net of what the group saves now)."""
    if not g.base_group_id:
        return rate * g.baseline_cost_yen - g.coordination_cost_yen
    # the expected figure is rate_mean * B - old; shift it by the difference of rates
    return g.annual_savings_yen + (rate - g.reduction_rate["mean"]) * g.baseline_cost_yen


def _shares_section(g, lang: str) -> list[str]:
    """The members' table (savings, own account, share, transfer, Shapley) with its total row, and the method."""
    t = T[lang]
    cols = ("annual_savings_yen", "own_npv_yen", "share_yen", "transfer_yen", "shapley_yen")
    rows = [[x["name"], t["existing"] if x["role"] == "existing" else t["joining"]]
            + [_yen_exact(x[k], lang) for k in cols] + [t["yes"] if x["better_than_outside_option"] else t["no"]]
            for x in g.shares]
    rows.append([f"**{t['total']}**", ""] + [_yen_exact(sum(x[k] for x in g.shares), lang) for k in cols] + [""])
    a = g.allocation
    core = (t["core_na"] if a["in_core"] is None else t["core_ok"] if a["in_core"]
            else t["core_empty"].format(e=_yen(a["epsilon_yen"], lang)))
    headers = [t["name"], t["role"], t["share_savings"], t["own"], t["share"], t["transfer"], t["shapley"], t["better"]]
    return [f"#### {t['shares']}", "", _md_table(headers, rows), "", f"- {t['alloc_note']}", f"- {core}", ""]


def _group_section(data: Dataset, ctx, k: int, g, lang: str) -> str:
    t = T[lang]
    s, mu = data.survey, data.municipalities
    full = g if g.shares is not None else score_group(ctx, g.members, go_live=g.go_live_fy, vendor=g.vendor, join=g.join_fy,
                                                      base_group=g.base_group_id, shares=True)
    kind = t["kind_new"] if g.kind == "new" else t["kind_expand"].format(g=g.base_group_id)
    prefs = data.prefecture_names(g.members)
    cross = (f" ({'県境を越える' if lang == 'ja' else 'across prefecture lines'}: {_join(prefs, lang, '・')})"
             if len(prefs) > 1 else "")
    lines = [f"### P{k:02d}: {kind}{cross}", ""]
    if g.base_group_id:
        sc = ctx.scenario
        cap = int(data.groups.at[g.base_group_id, "max_members"]) if g.base_group_id in data.groups.index else "-"
        lines += [f"> {t['expand_rule'].format(join=sc.join_link_km, mj=sc.max_joiners, cap=cap, lo=sc.min_size, hi=sc.max_size, dist=sc.max_member_distance_km)}", ""]
    rows = []
    for c in g.members:
        role = t["joining"] if (g.kind == "new" or c in g.joining) else t["existing"]
        renew = [str(s.at[c, "next_renewal_fy"])] if c in s.index else []
        if c in s.index and s.at[c, "second_renewal_fy"] is not None:
            renew.append(str(s.at[c, "second_renewal_fy"]))
        coast = t["coastal"] if mu.at[c, "coastal"] else t["inland"]
        rows.append([c, mu.at[c, "name"], role, f"{int(mu.at[c, 'population']):,}", s.at[c, "vendor"] if c in s.index
                     else "", ", ".join(renew), coast])
    lines += [f"#### {t['members']}", "", _md_table([t["code"], t["name"], t["role"], t["pop"], t["vendor"],
                                                     t["renew"], f"{t['coastal']}/{t['inland']}"], rows), ""]
    sc = ctx.scenario
    study = (f"FY{sc.planning_fy}" if g.go_live_fy - 1 <= sc.planning_fy
             else f"FY{sc.planning_fy}–{g.go_live_fy - 1}")
    steps = []
    for k2, step in enumerate(g.timeline):
        word = t["founding"] if k2 == 0 and g.kind == "new" else t["joins"]
        names = _join([data.name(c) for c in step["joining"]], lang)
        steps.append(f"FY{step['fy']}: {word}（{names}が稼働）" if lang == "ja"
                     else f"FY{step['fy']}: {word}, {names} go{'es' if len(step['joining']) == 1 else ''} live")
    lines += [f"#### {t['timeline']}", "",
              f"- FY{sc.planning_fy}: {t['plan_fy']} → {study}: {t['study']} ({g.vendor})"]
    lines += [f"- {x}" for x in steps] + [""]
    r = g.reduction_rate
    lines += [f"#### {t['costs']}", "", _md_table(["", ""], [
        [t["baseline"], _yen(g.baseline_cost_yen, lang)],
        [t["range"], f"{r['p10']:.0%} / {r['p50']:.0%} / {r['p90']:.0%}"],
        [t["savings"], _yen(g.annual_savings_yen, lang)],
        ["調整費（年・削減額から控除済）" if lang == "ja" else "coordination cost per year (deducted)",
         _yen(g.coordination_cost_yen, lang)],
        [t["savings_range"], f"{_yen(_savings_at(ctx, g, r['p10']), lang)} – {_yen(_savings_at(ctx, g, r['p90']), lang)}"],
        [t["oneoff"], _yen(g.one_off_cost_yen, lang)],
        [t["subsidy"], _yen(g.subsidy_yen, lang)],
        [t["npv"], f"{_yen(g.npv_yen, lang)} ({_yen_exact(round(g.npv_yen), lang)})"],
        [t["national"], _yen(g.national_npv_yen, lang)],
    ]), ""]
    if full.shares:
        lines += _shares_section(full, lang)
    c = g.continuity
    lines += [f"#### {t['continuity']}", "",
              f"- {t['score']}: **{c.score}** / 100" + t["cont_parts"].format(
                  p=c.components["pairing"], s=c.components["spread"], r=c.components["reachability"],
                  d=c.max_distance_km),
              f"- {t['pairing_ok'] if c.pairing_ok else t['pairing_ng']}"
              + "".join(f" ({HAZARD_LABELS[h] if lang == 'ja' else h}: {_join([data.name(x) for x in xs], lang)})"
                        for h, xs in (c.exposed or {}).items()), ""]
    for w in full.warnings:
        lines.append(f"- {t['warn']}: {w}")
    return "\n".join(lines)


def plan_label(plan, lang: str = "ja") -> str:
    """How a plan stands: the proven optimum, or the n-th best and how far below the optimum."""
    t = T[lang]
    if plan.rank <= 1:
        return t["alt_best"] if plan.status == "OPTIMAL" else t["alt_best_unproven"]
    return t["alt_rank"].format(n=plan.rank, pct=plan.below_best)


def _alternatives_section(plans: list, lang: str) -> list[str]:
    from .plan import compare

    t = T[lang]
    rows = []
    best = plans[0]
    for p in plans:
        diff = compare(best, p)
        changed = len(diff["only_in_b"]) if p is not best else 0
        rows.append([str(p.rank), plan_label(p, lang), _yen(p.objective, lang),
                     _yen(best.objective - p.objective, lang), changed])
    return [f"### {t['alternatives']}", "", _md_table(t["alt_cols"], rows), "",
            f"- {t['alt_files'].format(n='2' if len(plans) == 2 else f'2〜{len(plans)}' if lang == 'ja' else f'2-{len(plans)}')}", ""]


def group_labels(data: Dataset, plan) -> list[str]:
    """Short labels of a plan's groups: "P01 G042+3" for an expansion, "P02 A・Bほか2" for a new group."""
    out = []
    for k, g in enumerate(plan.groups, start=1):
        if g.base_group_id:
            out.append(f"P{k:02d} {g.base_group_id}+{len(g.joining)}")
        else:
            top = sorted(g.members, key=lambda c: -int(data.municipalities.at[c, "population"]))
            more = f"+{len(top) - 2}" if len(top) > 2 else ""
            out.append(f"P{k:02d} {'・'.join(data.name(c) for c in top[:2])}{more}")
    return out


def _roadmap_section(data: Dataset, plan, lang: str, ctx=None) -> list[str]:
    """The roadmap: horizon, the chart, the KPI table by year (it adds up to the groups' NPV), everyone left out."""
    t = T[lang]
    h = plan.horizon
    if not plan.kpi:
        return []
    head = (t["single_wave"] if h.get("single_wave") else
            t["horizon"].format(a=h["from_fy"], b=h["to_fy"], c=h["first_go_live_fy"]))
    rows = [[f"FY{k['fy']}", k["municipalities_in_groups"], k["groups"], k["cloud_municipalities"],
             _yen_exact(k["annual_savings_yen"], lang), _yen_exact(k["cumulative_npv_yen"], lang)] for k in plan.kpi]
    after = round(plan.npv_after_horizon)
    total = plan.kpi[-1]["cumulative_npv_yen"] + after
    rows.append([t["after"].format(h=plan.scenario.model.horizon_years), "", "", "", "", _yen_exact(after, lang)])
    rows.append([f"**{t['plan_npv']}**", "", "", "", "", f"**{_yen_exact(total, lang)}**"])
    lines = [f"## {t['roadmap']}", "", head, "", "![roadmap](roadmap.png)", "",
             _md_table(t["kpi_cols"], rows), "", f"> {t['national_kpi']}", ""]
    if len(plan.prefectures) > 1 and ctx is not None:  # several prefectures: each one's count by year
        from .plan import by_prefecture

        prefs = [r for r in by_prefecture(ctx, plan) if r["prefecture_code"] in plan.prefectures]
        yrs = [k["fy"] for k in plan.kpi]
        lines += [f"### {t['kpi_cols'][1]}", "", _md_table([t["pref"]] + [f"FY{y}" for y in yrs], [
            [r["prefecture"]] + [k["municipalities_in_groups"] for k in r["kpi"]] for r in prefs]), ""]
    if plan.left_out:
        key = "reason_ja" if lang == "ja" else "reason_en"
        lines += [f"### {t['left_out']}", "", _md_table(t["left_cols"], [
            [r["code"], r["name"], r[key]] for r in plan.left_out]), ""]
    return lines


def plan_markdown(data: Dataset, ctx, plans: list, lang: str = "ja") -> str:
    t = T[lang]
    plan = plans[0]
    prefs = ("・" if lang == "ja" else ", ").join(sorted(data.municipalities.loc[data.municipalities["prefecture_code"].isin(plan.prefectures),
                                                     "prefecture"].unique()))
    lines = [f"# {t['title']}{'：' if lang == 'ja' else ': '}{prefs}", ""]
    if plan.synthetic:
        lines += [f"> {t['note_synth']}", ""]
    gap = "n/a" if plan.gap != plan.gap else f"{plan.gap:.2%}"
    lines += [f"## {t['summary']}", "",
              f"- {t['status']}: **{plan.status}**; {t['objective']} {_yen(plan.objective, lang)}; {t['bound']} "
              f"{_yen(plan.best_bound, lang) if plan.best_bound == plan.best_bound else 'n/a'}"
              f"{t['lp_bound'] if plan.stats.get('bound_source') == 'LP relaxation' else ''}; {t['gap']} {gap}",
              f"- {t['groups']}: {len(plan.groups)}; NPV {_yen(sum(g.npv_yen for g in plan.groups), lang)}; "
              f"{t['savings']} {_yen(sum(g.annual_savings_yen for g in plan.groups), lang)}",
              f"- {t['alone']}: {_join([data.name(c) for c in plan.alone], lang) or '-'}"
              f" ({t['left_out']}: {len(plan.left_out)})", "",
              f"> {t['solver_note']}", "",
              f"> {t['data_year'].format(fy=ctx.scenario.planning_fy, fy_note=t['fy_shipped'] if plan.synthetic and ctx.scenario.planning_fy == 2018 else '')}",
              ""]
    if len(plans) > 1:
        lines += _alternatives_section(plans, lang)
    if plan.participation:
        lines += [f"### {t['bands']}", "", _md_table(t["band_cols"], [
            [b["band"], b["eligible"], b["placed"], _yen_exact(b["annual_savings_yen"], lang),
             _yen_exact(b["share_yen"], lang)] for b in plan.participation]), ""]
    lines += _roadmap_section(data, plan, lang, ctx)
    lines += [f"## {t['map']}", "", "![map](map.png)", "", f"## {t['groups']}", ""]
    for k, g in enumerate(plan.groups, start=1):
        lines += [_group_section(data, ctx, k, g, lang), ""]
    lines.append(_assumptions(data, ctx.scenario, lang))
    return "\n".join(lines) + "\n"


def markdown_to_html(md: str, title: str, lang: str, images: dict[str, bytes] | None = None) -> str:
    """A small Markdown subset (headings, lists, tables, bold, quotes, images) to self-contained HTML."""
    images = images or {}
    out, in_list, table = [], False, []

    def inline(s: str) -> str:
        s = escape_html(s)
        return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", s)

    def flush_table():
        nonlocal table
        if table:
            head, body = table[0], table[2:]
            out.append("<table><thead><tr>" + "".join(f"<th>{inline(c)}</th>" for c in head) + "</tr></thead><tbody>"
                       + "".join("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in r) + "</tr>" for r in body)
                       + "</tbody></table>")
            table = []

    for line in md.splitlines():
        if line.startswith("|"):
            table.append([c.strip() for c in line.strip("|").split("|")])
            continue
        flush_table()
        if line.startswith("- "):
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{inline(line[2:])}</li>")
            continue
        if in_list:
            out.append("</ul>")
            in_list = False
        if m := re.match(r"^(#{1,4}) (.*)", line):
            n = len(m.group(1))
            out.append(f"<h{n}>{inline(m.group(2))}</h{n}>")
        elif (m := re.match(r"^!\[(.*)\]\((.*)\)$", line)) and m.group(2) in images:
            # only the report's own embedded images; any other image or link syntax stays text
            src = "data:image/png;base64," + base64.b64encode(images[m.group(2)]).decode()
            out.append(f'<p><img alt="{escape_html(m.group(1))}" src="{src}" style="max-width:100%"></p>')
        elif line.startswith("> "):
            out.append(f'<p class="note">{inline(line[2:])}</p>')
        elif line.strip():
            out.append(f"<p>{inline(line)}</p>")
    flush_table()
    if in_list:
        out.append("</ul>")
    page = f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{escape_html(title)}</title>
<style>/*FONT*/
body{{font-family:"lgcloud-ja","IPAexGothic","Noto Sans CJK JP","Hiragino Sans","Yu Gothic",sans-serif;max-width:1000px;margin:24px auto;
padding:0 16px;color:#222;line-height:1.6}} table{{border-collapse:collapse;margin:8px 0}}
th,td{{border:1px solid #ccc;padding:3px 8px;text-align:left}} th{{background:#f0f3f7}}
.note{{background:#fff4e5;border-left:4px solid #f0a020;padding:6px 10px}} h3{{border-bottom:2px solid #4363d8}}
</style></head><body>
{chr(10).join(out)}
</body></html>
"""
    return page.replace("/*FONT*/", font_face_css(page), 1)


def plan_files(data: Dataset, ctx, plans: list, lang: str = "ja") -> dict[str, bytes | str]:
    """report.md, report.html, map.png and map.html of a proposal run (rendered in memory)."""
    png = plan_png(data, plans[0], lang)
    md = plan_markdown(data, ctx, plans, lang)
    word = "案" if lang == "ja" else "plan "

    def nav(here: int) -> list[tuple[str, str | None]] | None:
        if len(plans) < 2:
            return None
        prefix = "" if here == 1 else "../"
        return [(f"{word}{k}", None if k == here else prefix + ("map.html" if k == 1 else f"alt{k}/map.html"))
                for k in range(1, len(plans) + 1)]

    road = roadmap_png(data, plans[0], group_labels(data, plans[0]), lang)
    files = {"map.png": png, "map.html": plan_html(data, plans[0], lang, nav=nav(1)), "report.md": md,
             "roadmap.png": road,
             "report.html": markdown_to_html(md, T[lang]["title"], lang, {"map.png": png, "roadmap.png": road})}
    for k, p in enumerate(plans[1:], start=2):
        files[f"alt{k}/map.png"] = plan_png(data, p, lang)
        files[f"alt{k}/map.html"] = plan_html(data, p, lang, nav=nav(k))
    return files


def match_markdown(data: Dataset, res: dict, precedents: list[dict], lang: str = "ja") -> str:
    t = T[lang]
    lines = [f"# {t['match_title'].format(name=res['name'])}", ""]
    if data.synthetic_rows:
        lines += [f"> {t['note_synth']}", ""]
    if res.get("note"):
        lines += [res["note"], ""]
    lines += ["![map](match_map.png)", "", f"## {t['options']}", ""]
    for c in res["candidates"]:
        who = c["group_id"] or _join([data.name(p) for p in c["partners"]], lang) or "-"
        lines += [f"### {c['rank']}. {c['kind']}: {who}", ""]
        if c["kind"] != "alone":
            lines += [f"- {t['npv']} ({res['name']}): {_yen(c['municipality']['npv_yen'], lang)}; "
                      f"{t['savings']} {_yen(c['municipality']['annual_savings_yen'], lang)}",
                      f"- {t['npv']} (group): {_yen(c['npv_yen'], lang)}; {t['score']} {c['continuity_score']}; "
                      f"{t['golive']} FY{c['go_live_fy']}"]
        lines += [f"- {r}" for r in c["reasons"][lang]] + [""]
    top = next((o for o in res["options"] if o.kind != "alone" and o.rank == 1), None)
    if top is not None and top.group is not None and top.group.shares:
        lines += _shares_section(top.group, lang)
    lines += [f"## {t['precedents']}", "", _md_table(
        ["ID", t["name"], t["members"], t["pop"], t["similarity"], t["why"]],
        [[p["group_id"], p["name"] or "-", p["members"], f"{p['population']:,}", p["similarity"], _join(p["why"], lang)]
         for p in precedents]), ""]
    return "\n".join(lines) + "\n"


def write_match_report(data: Dataset, res: dict, out_dir, lang: str = "ja", scenario=None) -> list[Path]:
    """The advisor's proposal for one municipality: match_report.md/.html and its map, written atomically."""
    from .api import context, precedents
    from .plan import Plan

    ctx = context(data, scenario)
    prec = precedents(data, [res["municipality"]], lang=lang)
    groups = [o.group for o in res["options"] if o.group is not None]
    prefs = sorted({res["municipality"][:2]} | {c[:2] for g in groups[:1] for c in g.members})
    pseudo = Plan("OPTIONS", 0.0, float("nan"), float("nan"), 0.0, ctx.scenario, prefs,
                  groups=groups[:1], synthetic=bool(data.synthetic_rows))
    title = T[lang]["match_title"].format(name=res["name"])
    png = plan_png(data, pseudo, lang, highlight=res["municipality"], title=title)
    md = match_markdown(data, res, prec, lang) + "\n" + _assumptions(data, ctx.scenario, lang) + "\n"
    # match_* names: a proposal written to the same folder keeps its own map and report
    files = {"match_report.md": md, "match_report.html": markdown_to_html(md, title, lang, {"match_map.png": png}),
             "match_map.png": png, "match_map.html": plan_html(data, pseudo, lang, highlight=res["municipality"])}
    return write_folder(out_dir, files)
