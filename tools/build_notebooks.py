"""Write the three what-if notebooks and execute them in place (outputs stored).

    python tools/build_notebooks.py

The notebooks run against the shipped data; CI re-executes them (tests/test_notebooks.py).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NB = ROOT / "notebooks"

SYNTH = ("> **Note.** The shipped survey's vendors and renewal years are **synthetic** (seeded sample data); "
         "group membership, geography, population and fiscal strength are real. Replace them with your "
         "prefecture's survey: `lg.load(survey=..., groups=...)`.")


def md(s):
    return nbformat.v4.new_markdown_cell(s)


def code(s):
    return nbformat.v4.new_code_cell(s)


NOTEBOOKS = {
    "01_prefecture_candidates.ipynb": [
        md("# 01 · 都道府県のグループ案 (prefecture candidates)\n\nA prefecture's plan: which municipalities "
           "should form new groups or join existing ones, proven optimal by CP-SAT, with a map and a table.\n\n" + SYNTH),
        code("import optimizer as lg\nfrom IPython.display import Image, display\n\ndata = lg.load()\n"
             "scenario = lg.Scenario()  # defaults: see optimizer/config.py\nplan = lg.propose(data, ['30'], scenario=scenario)  # 和歌山県\n"
             "print(plan.status, 'gap', plan.gap, 'objective', f'{plan.objective:,.0f} yen')"),
        code("plan.groups_frame()[['id', 'kind', 'base_group_id', 'joining', 'go_live_fy', 'vendor', "
             "'annual_savings_yen', 'npv_yen', 'continuity_score', 'pairing_ok']]"),
        code("from optimizer.render.maps import MapView, plan_png\ndisplay(Image(plan_png(data, MapView.of_plan(plan))))"),
        code("members = plan.to_frame().assign(name=lambda d: d.code.map(data.name))\nmembers.head(20)"),
        md("## Shares, stability and the 負担金 rule\n\nShares are set for the whole plan: no candidate group may give all "
           "its members more than the plan does (the plan's core), or the plan states by how much the strongest "
           "candidates beat it (ε) and lists them. Each member's best alternative is what it could get elsewhere. "
           "For each group, the nearest 均等割 + 人口割 rule to the shares, and the transfers that make it exact."),
        code("import pandas as pd\nst = plan.stability\nprint('in core:', st['in_core'], '| epsilon:', f\"{st['epsilon_yen']:,} yen\","
             " '| candidates checked:', st['candidates'])\npd.DataFrame(st['blocking'])"),
        code("g = plan.groups[0]\nprint(g.id, g.members, g.cost_split['equal_weight'], '均等割 +', "
             "g.cost_split['population_weight'], '人口割')\n"
             "g.shares_frame()[['code', 'name', 'role', 'own_npv_yen', 'share_yen', 'outside_option_yen', 'transfer_yen']]"
             ".assign(formula_difference_yen=lambda d: d.code.map(g.cost_split['transfers_yen']))"),
    ],
    "02_advisor_proposal.ipynb": [
        md("# 02 · 支援アドバイザー向け提案 (advisor proposal)\n\n\"Where should 小坂町 go, and why?\" Ranked options "
           "with reasons, and the precedent groups whose advisers to invite.\n\n" + SYNTH),
        code("import pandas as pd\nimport optimizer as lg\n\ndata = lg.load()\nresult = lg.match(data, '05303', top=5)\n"
             "res = lg.as_dict(result, lang='ja')  # the result as plain data, its texts in Japanese\n"
             "print(res['note'])\nprint('plan:', res['plan']['reason'], res['plan'].get('differs', ''))\npd.DataFrame([{'rank': c['rank'], 'kind': c['kind'], 'group': c['group_id'], "
             "'name': c.get('group_name'), 'partners': ', '.join(data.name(p) for p in c['partners']), "
             "'model_score': c['score'], 'value_yen': c['value_yen'], "
             "'own_npv_yen': c['municipality']['npv_yen'], 'continuity': c['continuity_score']} for c in res['candidates']])"),
        code("for c in res['candidates']:\n    print(c['rank'], c['kind'], c['group_id'] or '')\n"
             "    for r in c['reasons']['ja']:\n        print('   -', r)"),
        code("pd.DataFrame(lg.precedents(data, ['05303']))[['group_id', 'name', 'members', 'population', 'similarity', 'why']]"),
        code("# the same in English\nen = lg.as_dict(result, lang='en')\n[c['reasons']['en'][:3] for c in en['candidates'][:3]]"),
    ],
    "03_what_if.ipynb": [
        md("# 03 · What-if scenarios\n\nChange the renewal window, the vendor mode and the pairing rule, force or "
           "forbid pairs, and compare the plans side by side (長野県, 20).\n\n" + SYNTH),
        code("import matplotlib.pyplot as plt\nimport matplotlib_fontja  # noqa: F401  Japanese labels\nimport pandas as pd\n"
             "import optimizer as lg\n\ndata = lg.load()\nbase = lg.Scenario()\n"
             "scenarios = {\n    'base (migrate, window 2)': base,\n    'same vendor only': base.replace(vendor_mode='same'),\n"
             "    'window 1 year': base.replace(renewal_window_years=1),\n    'window 3 years': base.replace(renewal_window_years=3),\n"
             "    'pairing hard': base.replace(pairing='hard'),\n"
             "    'continuity x5': base.replace(weight_continuity=5.0),\n}\n"
             "plans = {name: lg.propose(data, ['20'], scenario=sc) for name, sc in scenarios.items()}\n"
             "summary = pd.DataFrame([{'scenario': n, 'status': p.status, 'groups': len(p.groups), "
             "'npv_M_yen': sum(g.npv_yen for g in p.groups) / 1e6, "
             "'mean_continuity': sum(g.continuity.score for g in p.groups) / max(1, len(p.groups)), "
             "'alone': len(p.eligible_alone)} for n, p in plans.items()])\nsummary"),
        code("fig, ax = plt.subplots(figsize=(7, 4.5))\nax.scatter(summary.npv_M_yen, summary.mean_continuity)\n"
             "for _, r in summary.iterrows():\n    ax.annotate(r.scenario, (r.npv_M_yen, r.mean_continuity), fontsize=8)\n"
             "ax.set_xlabel('NPV of all proposed groups (百万円)')\nax.set_ylabel('平均 業務継続スコア')\n"
             "ax.set_title('長野県: savings vs continuity by scenario')\nplt.show()"),
        code("lg.compare(plans['base (migrate, window 2)'], plans['same vendor only'])"),
        code("# force a pair together and forbid another; an impossible requirement is explained\n"
             "first = plans['base (migrate, window 2)'].groups[0]\na, b = first.joining[:2] if len(first.joining) > 1 else first.members[:2]\n"
             "apart = lg.propose(data, ['20'], scenario=base.replace(apart=[[a, b]]))\n"
             "print('apart', a, b, '->', apart.status, f'value change {apart.objective - plans[\"base (migrate, window 2)\"].objective:,.0f} yen')\n"
             "# two eligible municipalities whose renewals are furthest apart cannot share a go-live: explained\n"
             "sv = data.survey\nel = sv[(sv.code.str[:2] == '20') & sv.cloud_status.isin(['none', 'solo']) & sv.willing]"
             ".sort_values(['next_renewal_fy', 'code'])\n"
             "far = lg.propose(data, ['20'], scenario=base.replace(together=[[el.code.iloc[0], el.code.iloc[-1]]]))\n"
             "print(far.status, far.infeasibility)"),
        md("## Islands and coasts: 沖縄 (47), 長崎 (42), 鹿児島 (46)\n\nThe pairing rule asks a member exposed to a "
           "tsunami hazard for a partner the same event cannot strike: a member *not exposed to that hazard* within "
           "`support_km` (60 km), or any member at least `hazard_separation_km` (100 km) away. Exposure comes from "
           "geometry by default (which sea a coast faces; `optimizer/inputs/hazard.py`): 沖縄's and 長崎's coasts face the "
           "East China Sea (`other_coast`, no pairing needed by default), part of 鹿児島 faces the Nankai trough.\n\n"
           "Compared below, municipalities placed in a group (of the eligible) and the members' mean continuity:\n\n"
           "* **before**: the earlier rule, emulated: every coastal municipality counts as exposed to one hazard, "
           "pairing hard, members at most 80 km apart (so the distant branch could never fire);\n"
           "* geometry-derived exposure, pairing **hard** vs **weighted** (the default);\n"
           "* a **supplied designation file** (`--hazard FILE`). No official per-municipality list is shipped; the "
           "file used here is **illustrative, not an official designation**: every coastal municipality of the "
           "three prefectures designated for a Nankai tsunami;\n"
           "* **per prefecture** vs one instance of all of 九州 and 沖縄 (40-47), where groups may cross prefecture "
           "lines (as `propose --all` does for the whole country)."),
        code("import tempfile\nfrom pathlib import Path\n\nISLANDS = {'47': '沖縄', '42': '長崎', '46': '鹿児島'}\n"
             "KYUSHU = [str(p) for p in range(40, 48)]\nm = data.municipalities\n"
             "coastal = m[m.prefecture_code.isin(ISLANDS) & m.coastal].code\n"
             "hz = Path(tempfile.mkdtemp()) / 'illustrative_designation.csv'\n"
             "pd.DataFrame({'code': coastal, 'hazard': 'nankai', 'class': 'exposed'}).to_csv(hz, index=False)\n"
             "designated = lg.load(hazard=hz)\nold = lg.load(hazard=hz)  # the 'before' rule: every coast exposed alike\n"
             "before = base.replace(pairing='hard', max_member_distance_km=80, model={'hazard_separation_km': 80})\n\n"
             "def island_rows(label, d, sc, prefs_sets):\n    rows = []\n    for prefs in prefs_sets:\n"
             "        p = lg.propose(d, prefs, scenario=sc)\n        for pref, name in ISLANDS.items():\n"
             "            if pref not in prefs:\n                continue\n"
             "            placed = [c for g in p.groups for c in (g.joining if g.base_group_id else g.members) if c[:2] == pref]\n"
             "            alone = [c for c in p.eligible_alone if c[:2] == pref]\n"
             "            scores = [g.continuity.score for g in p.groups for c in g.members if c[:2] == pref]\n"
             "            rows.append({'scenario': label, 'prefecture': name, 'status': p.status,\n"
             "                         'placed': len(placed), 'eligible': len(placed) + len(alone),\n"
             "                         'mean_continuity': round(sum(scores) / max(1, len(scores)), 1),\n"
             "                         'cross_prefecture_groups': sum(len({c[:2] for c in g.members}) > 1 and\n"
             "                                                        any(c[:2] == pref for c in g.members) for g in p.groups)})\n"
             "    return rows\n\nper_pref = [[p] for p in ISLANDS]\nrows = []\n"
             "rows += island_rows('before (coastal rule, hard, 80 km)', old, before, per_pref)\n"
             "rows += island_rows('geometry, hard', data, base.replace(pairing='hard'), per_pref)\n"
             "rows += island_rows('geometry, weighted (default)', data, base, per_pref)\n"
             "rows += island_rows('designation file (illustrative), hard', designated, base.replace(pairing='hard'), per_pref)\n"
             "rows += island_rows('designation file (illustrative), weighted', designated, base, per_pref)\n"
             "rows += island_rows('geometry, hard, 九州+沖縄 instance', data, base.replace(pairing='hard'), [KYUSHU])\n"
             "rows += island_rows('geometry, weighted, 九州+沖縄 instance', data, base, [KYUSHU])\n"
             "islands = pd.DataFrame(rows)\nislands.pivot(index='scenario', columns='prefecture', values='placed')"),
        code("islands.pivot(index='scenario', columns='prefecture', values='mean_continuity')"),
        code("islands"),
        md("## Participation vs value: the trade-off curve (長野県, 20)\n\nThe ministry counts municipalities in joint "
           "clouds; the optimiser maximises value. `participation_weight_yen` adds a value per municipality placed, "
           "`participation_mode = 'lexicographic'` places as many as possible first. Each point is a proven-optimal "
           "plan; the money axis is the plans' NPV in the national account (what the groups really save)."),
        code("weights = [0, 5e6, 10e6, 20e6, 50e6, 100e6]\ncurve = []\n"
             "for w in weights + ['lexicographic']:\n"
             "    sc = base.replace(participation_mode='lexicographic') if w == 'lexicographic' else "
             "base.replace(participation_weight_yen=w)\n"
             "    p = lg.propose(data, ['20'], scenario=sc)\n"
             "    curve.append({'setting': w if w == 'lexicographic' else f'{w / 1e6:.0f}M yen', 'status': p.status,\n"
             "                  'placed': sum(b['placed'] for b in p.participation),\n"
             "                  'placed_under_20k': p.participation[0]['placed'],\n"
             "                  'national_npv_M_yen': sum(g.national_npv_yen for g in p.groups) / 1e6})\n"
             "curve = pd.DataFrame(curve)\ncurve"),
        code("fig, ax = plt.subplots(figsize=(7, 4.5))\nax.plot(curve.placed, curve.national_npv_M_yen, marker='o')\n"
             "for _, r in curve.iterrows():\n    ax.annotate(r.setting, (r.placed, r.national_npv_M_yen), fontsize=8)\n"
             "ax.set_xlabel('municipalities placed in a group')\nax.set_ylabel('NPV, national account (百万円)')\n"
             "ax.set_title('長野県: value vs participation')\nplt.show()"),
        code("# who gets the value, by population band, at defaults\npd.DataFrame(plans['base (migrate, window 2)'].participation)"),
        md("## Roadmap vs single wave (長野県, 20)\n\nThe default plan is a 10-year roadmap (`roadmap_years = 10`): "
           "a group is founded in a fiscal year and members join as their contracts end. `roadmap_years = 1` is the "
           "single-wave plan: every group's members go live in one year, next renewals at most 2 years apart. The "
           "single wave is one admissible roadmap, so the roadmap's value is never lower; below, the municipalities "
           "in joint clouds and the cumulative NPV (municipal account) by fiscal year for both."),
        code("road = plans['base (migrate, window 2)']\nwave = lg.propose(data, ['20'], scenario=base.replace(roadmap_years=1))\n"
             "years = pd.DataFrame({'fy': [k['fy'] for k in road.kpi]})\n"
             "for name, p in (('roadmap', road), ('single wave', wave)):\n"
             "    by = {k['fy']: k for k in p.kpi}\n"
             "    years[f'{name}: in joint clouds'] = [by.get(fy, p.kpi[-1])['municipalities_in_groups'] for fy in years.fy]\n"
             "    years[f'{name}: cumulative NPV (M yen)'] = [round(by.get(fy, p.kpi[-1])['cumulative_npv_yen'] / 1e6) "
             "for fy in years.fy]\n"
             "print(f'value: roadmap {road.objective / 1e6:,.0f} M yen ({road.status}) vs single wave '\n"
             "      f'{wave.objective / 1e6:,.0f} M yen ({wave.status}); placed {sum(len(g.movers) for g in road.groups)} '\n"
             "      f'vs {sum(len(g.movers) for g in wave.groups)}')\nyears"),
        code("fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))\n"
             "for name, style in (('roadmap', '-o'), ('single wave', '--s')):\n"
             "    a1.plot(years.fy, years[f'{name}: in joint clouds'], style, label=name)\n"
             "    a2.plot(years.fy, years[f'{name}: cumulative NPV (M yen)'], style, label=name)\n"
             "a1.set_title('長野県: municipalities in joint clouds')\na2.set_title('長野県: cumulative NPV (百万円)')\n"
             "a1.legend()\na2.legend()\nplt.show()"),
        code("# who joins when, and everyone left out with the reason\n"
             "pd.DataFrame([{'group': g.id, 'fy': s['fy'], 'joining': '、'.join(data.name(c) for c in s['joining'])}\n"
             "              for g in road.groups for s in g.timeline])"),
        code("pd.DataFrame(lg.as_dict(road, data=data)['alone'])[['code', 'name', 'reason_en']]"),
        md("## What is firm, what is open (和歌山県, 30)\n\nThe plan above rests on a fitted value of sharing and on "
           "synthetic renewal years, vendors and willingness. `lg.sweep` draws them (each draw solved exactly; "
           "`workers=0` runs in this kernel, the default is a local Dask cluster, `scheduler=` an existing one) and "
           "says which pairs hold in at least 90% of the draws, which municipalities are open and what they hinge on, "
           "and a robust plan valued over every draw. 40 draws here; use 200 or more for advice."),
        code("res = lg.sweep(data, ['30'], draws=40, seed=0, workers=0)\n"
             "print(res.stats)\nprint('robust plan NPV over the draws (yen):', res.npv_yen)\n"
             "pd.DataFrame(res.pairs).head(10).assign(a_name=lambda d: d.a.map(data.name), b_name=lambda d: d.b.map(data.name))"),
        code("pd.DataFrame([{'municipality': o['name'], 'options': len(o['options']),\n"
             "               'hinges_on': ', '.join(f\"{h['input']} ({h['strength']:.2f})\" for h in o['hinges_on'])}\n"
             "              for o in res.open])"),
    ],
}


def main():
    NB.mkdir(exist_ok=True)
    for name, cells in NOTEBOOKS.items():
        nb = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                            "language": "python"}})
        NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
        nbformat.write(nb, NB / name)
        print("executed", name)


if __name__ == "__main__":
    main()
