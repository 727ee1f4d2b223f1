"""Command line: ``lgcloud`` (installed) or ``python cli.py`` (in the repository): the same program.

Every command prints a readable table by default and JSON with ``--json``. Input
problems exit with code 2 and a message naming file, row and column; an infeasible
scenario exits with 3. Files are written atomically.
"""

from __future__ import annotations

import functools
from pathlib import Path
import sys

import click

from .errors import InfeasibleError, InputError, Problem
from .textout import table, to_json, write_atomic


_HAZARD: dict = {"path": None}


def _data_options(command):
    @functools.wraps(command)
    def inner(*args, hazard=None, **kwargs):
        _HAZARD["path"] = hazard
        return command(*args, **kwargs)

    f = click.option("--hazard", type=click.Path(dir_okay=False),
                     help="Hazard exposure CSV (code, hazard, class), e.g. official designations; replaces the "
                          "geometric exposure of the hazards it names.")(inner)
    f = click.option("--group-members", "group_members", type=click.Path(dir_okay=False),
                     help="Group member list (default: beside --groups, else shipped).")(f)
    f = click.option("--groups", type=click.Path(dir_okay=False), help="Groups CSV (default: shipped, real 2017-10).")(f)
    f = click.option("--survey", type=click.Path(dir_okay=False),
                     help="Survey CSV, one row per municipality (default: shipped sample, partly synthetic).")(f)
    return f


def _json_option(f):
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(f)


def _handle_errors(f):
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        try:
            return f(*args, **kwargs)
        except InputError as exc:
            if kwargs.get("as_json"):  # machine-readable too: the problems as JSON on stdout
                click.echo(to_json({"ok": False, "problems": [
                    {"file": p.file, "row": p.row, "line": p.line if p.line is not None else (
                        p.row + 1 if p.row is not None else None), p.label: p.column, "message": p.message}
                    for p in exc.problems]}))
            click.echo(f"error: {len(exc.problems)} problem(s) in the input:", err=True)
            for p in exc.problems:
                click.echo(f"  {p}", err=True)
            sys.exit(exc.exit_code)
        except OSError as exc:  # e.g. --out names a file, or the disk is full
            click.echo(f"error: cannot write {exc.filename or ''}: {exc.strerror or exc}", err=True)
            sys.exit(1)
        except InfeasibleError as exc:
            if exc.result is not None and kwargs.get("as_json"):
                click.echo(to_json(exc.result))
            click.echo("INFEASIBLE: no plan satisfies the scenario:", err=True)
            for r in exc.reasons:
                click.echo(f"  - {r}", err=True)
            sys.exit(exc.exit_code)

    return wrapper


def _load(survey=None, groups=None, group_members=None):
    from .data import load

    return load(survey=survey, groups=groups, group_members=group_members, hazard=_HAZARD["path"])


def _codes(value: str) -> list[str]:
    return [c.strip() for c in value.replace(" ", ",").split(",") if c.strip()]


def _prefs(values) -> list[str]:
    out = []
    for v in values:
        for p in _codes(v):
            if not (p.isdigit() and len(p) <= 2 and 1 <= int(p) <= 47):
                raise InputError(Problem("--pref", None, None, f"'{p:.20}' is not a prefecture code 01-47"))
            out.append(p.zfill(2))
    if not out:
        raise InputError(Problem("--pref", None, None, "no prefecture code given (01-47)"))
    return sorted(set(out))


def current_fy(today=None) -> int:
    """The Japanese fiscal year of a date (April to March)."""
    import datetime

    today = today or datetime.date.today()
    return today.year if today.month >= 4 else today.year - 1


def _scenario(path, survey):
    """The scenario of a run. With the user's own survey and no ``planning_fy`` in the scenario file, planning
    starts in the current fiscal year; the shipped sample (2017 data) keeps its own default (FY2018)."""
    import tomllib

    from .api import scenario_of

    sc = scenario_of(path)
    if survey:
        explicit = path is not None and "planning_fy" in tomllib.loads(Path(path).read_bytes().decode("utf-8-sig"))
        if not explicit:
            sc = sc.replace(planning_fy=current_fy())
    return sc


SYNTHETIC_LINE = "NOTE: vendors and renewal years in the shipped survey are SYNTHETIC; use --survey for real data."


def _synthetic(d, out: dict) -> bool:
    """Mark a result that synthetic survey values fed: the note goes into the JSON, the caller prints the line."""
    if d.synthetic_rows:
        from .data import SYNTHETIC_NOTE

        out["synthetic_note"] = SYNTHETIC_NOTE
    return bool(d.synthetic_rows)


#: The most members ``score`` accepts (the largest real group has 34).
MAX_MEMBERS = 60


def _member_codes(value: str) -> list[str]:
    codes = _codes(value)
    problems = []
    if not codes:
        problems.append(Problem("--members", None, None, "no municipality code given"))
    if len(codes) > MAX_MEMBERS:
        problems.append(Problem("--members", None, None, f"{len(codes)} codes: at most {MAX_MEMBERS} members"))
    twice = sorted({c for c in codes if codes.count(c) > 1})
    if twice:
        problems.append(Problem("--members", None, None, f"listed twice: {', '.join(twice)[:200]}"))
    if problems:
        raise InputError(problems)
    return codes


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="lgcloud", message="lgcloud %(version)s")
def main():
    """lgcloud: group formation and matchmaking for 自治体クラウド (municipal joint cloud).

    Data: real boundaries (国土数値情報), population, fiscal strength and the real 2017
    groups; the shipped survey's vendors and renewal years are SYNTHETIC. Bring your
    own with --survey/--groups.
    """


@main.command()
@_data_options
@_json_option
@_handle_errors
def info(survey, groups, group_members, as_json):
    """Summary of the loaded data and its sources."""
    from .data import SOURCES, SYNTHETIC_NOTE
    from .hazard import exposure_counts

    d = _load(survey, groups, group_members)
    out = {
        "municipalities": int(len(d.municipalities)),
        "prefectures": int(d.municipalities["prefecture_code"].nunique()),
        "groups": int(len(d.groups)),
        "memberships": int(len(d.members)),
        "survey": {"path": str(d.paths["survey"]), "rows": int(len(d.survey)), "synthetic_rows": d.synthetic_rows,
                   "by_status": {k: int(v) for k, v in d.survey["cloud_status"].value_counts().sort_index().items()}},
        "hazard": {"path": str(d.paths["hazard"]),
                   "exposed": {h: v["exposed"] for h, v in sorted(exposure_counts(d.hazard).items())},
                   "source": sorted(set(d.hazard.source))},
        "sources": SOURCES,
        "synthetic_note": SYNTHETIC_NOTE if d.synthetic_rows else None,
    }
    if as_json:
        click.echo(to_json(out))
        return
    status_words = {"none": "no cloud", "solo": "own cloud", "group": "in a group"}
    sv = out["survey"]
    rows = [{"item": k, "value": out[k]} for k in ("municipalities", "prefectures", "groups", "memberships")]
    rows += [{"item": "survey", "value": f"{sv['path']} ({sv['rows']:,} rows, {sv['synthetic_rows']:,} with "
                                         "synthetic values)"}]
    rows += [{"item": f"  {status_words.get(k, k)}", "value": v} for k, v in sv["by_status"].items()]
    hz = out["hazard"]
    rows += [{"item": "hazard exposure", "value": f"{hz['path']} ({' and '.join(hz['source'])})"}]
    rows += [{"item": f"  exposed: {h}", "value": n} for h, n in hz["exposed"].items()]
    click.echo(table(rows))
    if out["synthetic_note"]:
        click.echo("NOTE: " + out["synthetic_note"])
    click.echo("sources:\n  " + "\n  ".join(SOURCES))


@main.command()
@_data_options
@_json_option
@_handle_errors
def validate(survey, groups, group_members, as_json):
    """Check survey, groups and hazard files; list every problem (exit 2) or print a summary."""
    from .hazard import exposure_counts

    d = _load(survey, groups, group_members)
    out = {"ok": True,
           "survey": {"path": str(d.paths["survey"]), "rows": int(len(d.survey))},
           "groups": {"path": str(d.paths["groups"]), "rows": int(len(d.groups))},
           "group_members": {"path": str(d.paths["group_members"]), "rows": int(len(d.members))},
           "hazard": exposure_counts(d.hazard),
           "not_in_survey": int(len(d.municipalities) - len(d.survey))}
    if as_json:
        click.echo(to_json(out))
        return
    click.echo(f"OK: {d.paths['survey']} ({len(d.survey)} municipalities), {d.paths['groups']} "
               f"({len(d.groups)} groups), {d.paths['group_members']} ({len(d.members)} memberships)")
    click.echo("hazard exposure: " + ", ".join(
        f"{h} {v['exposed']} exposed (from {d.paths['hazard'] if v['source'] == 'file' else 'geometry'})"
        for h, v in out["hazard"].items()))
    if out["not_in_survey"]:
        click.echo(f"note: {out['not_in_survey']} municipalities are not in the survey; they are not proposed for "
                   "any group")


@main.command()
@click.option("--pref", "prefs", multiple=True, required=True, help="Prefecture code (01-47); repeatable.")
@click.option("--out", type=click.Path(dir_okay=False), help="Write nodes and edges as GeoJSON for GIS.")
@_data_options
@_json_option
@_handle_errors
def graph(prefs, out, survey, groups, group_members, as_json):
    """The municipal graph of one or more prefectures (land and sea links)."""
    from .graph_io import graph_geojson, graph_json

    d = _load(survey, groups, group_members)
    g = d.prefecture_graph(_prefs(prefs))
    data = graph_json(g)
    if out:
        write_atomic(out, to_json(graph_geojson(g)))
    if as_json:
        click.echo(to_json(data))
    else:
        click.echo(table(data["nodes"], ["code", "name", "population", "coastal", "coastline_km", "group_id"]))
        click.echo()
        click.echo(table(data["edges"], ["a", "b", "kind", "shared_border_km", "distance_km", "via"]))
    if out or not as_json:
        click.echo(f"{len(data['nodes'])} municipalities, {len(data['edges'])} links"
                   + (f"; wrote {out}" if out else ""), err=as_json)


@main.command()
@click.option("--members", help="Comma-separated municipality codes.")
@click.option("--group", "group_id", help="Score an existing group, e.g. G015.")
@click.option("--go-live", "go_live", type=int, help="Go-live fiscal year (default: best admissible).")
@click.option("--as-new", is_flag=True, help="Score as a new group even when the members expand an existing one.")
@click.option("--scenario", type=click.Path(dir_okay=False), help="Scenario TOML (model parameters in [model]).")
@_data_options
@_json_option
@_handle_errors
def score(members, group_id, go_live, as_new, scenario, survey, groups, group_members, as_json):
    """Projected cost reduction, continuity and fair shares of a group.

    Members that include a whole existing group plus others are scored as its expansion
    (against the status quo, as `propose` does); --as-new scores them as a new group.
    """
    from .api import score as api_score

    if bool(members) == bool(group_id):
        raise InputError(Problem("--members/--group", None, None, "give either --members or --group"))
    d = _load(survey, groups, group_members)
    if group_id:
        if group_id not in d.group_members:
            raise InputError(Problem("--group", None, None, f"unknown group '{group_id:.40}' (see {d.paths['groups']})"))
        codes = d.group_members[group_id]
    else:
        codes = _member_codes(members)
    res = api_score(d, codes, go_live=go_live, scenario=_scenario(scenario, survey), as_new=as_new)
    out = res.as_dict()
    out.pop("value")
    synthetic = _synthetic(d, out)
    if as_json:
        click.echo(to_json(out))
        return
    click.echo(f"members: {', '.join(f'{c} {d.name(c)}' for c in out['members'])}")
    if res.kind == "alone":
        click.echo("alone: one municipality on its own is its outside option (no group, nothing changes); "
                   "give at least two codes")
        return
    if res.note:
        click.echo(f"note: these are exactly the members of {res.note.split()[-1]}; scored as if formed afresh")
    if res.base_group_id:
        click.echo(f"scored as an expansion of {res.base_group_id} by {', '.join(d.name(c) for c in res.joining)} "
                   "(against the status quo; --as-new to score as a new group)")
    r = out["reduction_rate"]
    click.echo(table([
        {"item": "go-live FY", "value": str(out["go_live_fy"]) if len(out["timeline"]) < 2 else "; ".join(
            f"{step['fy']}: {' '.join(d.name(c) for c in step['joining'])}" for step in out["timeline"])},
        {"item": "vendor", "value": out["vendor"]},
        {"item": "cost base: running cost of the systems that move (yen/yr)", "value": out["baseline_cost_yen"]},
        {"item": "reduction p10/p50/p90", "value": f"{r['p10']:.0%} / {r['p50']:.0%} / {r['p90']:.0%}"},
        {"item": "expected savings (yen/yr)", "value": out["annual_savings_yen"]},
        {"item": "one-off cost (yen)", "value": out["one_off_cost_yen"]},
        {"item": "特別交付税 (yen, income to members)", "value": out["subsidy_yen"]},
        {"item": "NPV, municipal account (yen)", "value": out["accounts"]["municipal_npv_yen"]},
        {"item": "NPV, national account (yen, transfers excluded)", "value": out["accounts"]["national_npv_yen"]},
        {"item": "continuity (0-100)", "value": out["continuity"]["score"]},
        {"item": "tsunami pairing (a safe partner for every exposed member)",
         "value": "yes" if out["continuity"]["pairing_ok"] else "no"},
    ]))
    if out["shares"]:
        a = out["allocation"]
        click.echo()
        click.echo(table(out["shares"], ["code", "name", "role", "annual_savings_yen", "own_npv_yen", "share_yen",
                                         "transfer_yen", "outside_option_yen", "shapley_yen"]))
        core = ("core not checked" if a["in_core"] is None else "in the core" if a["in_core"]
                else f"core empty (least-core ε {a['epsilon_yen']:,} yen)")
        click.echo(f"shares: {a['method']}, {core}; they sum to {out['value_yen']:,} yen (the value shared)")
    for v in out["violations"]:
        click.echo(f"rule broken ({v['rule']}): {v['message']}")
    if not out["violations"]:
        click.echo("every rule holds")
    if synthetic:
        click.echo(SYNTHETIC_LINE)
    for w in out["warnings"]:
        click.echo(f"warning: {w}")


def _plan_table(data, plan) -> str:
    rows = []
    for k, g in enumerate(plan.groups, start=1):
        rows.append({
            "id": f"P{k:02d}", "kind": g.kind, "base": g.base_group_id or "",
            "members": (f"{g.base_group_id}({len(g.members) - len(g.joining)}) + " if g.base_group_id else "")
            + " ".join(data.name(c) for c in g.movers),
            "go-live": " → ".join(str(step["fy"]) for step in g.timeline), "vendor": g.vendor, "p50": f"{g.reduction_rate['p50']:.0%}",
            "savings/yr": round(g.annual_savings_yen), "NPV": round(g.npv_yen), "continuity": g.continuity.score,
        })
    return table(rows)


def _kpi_line(plan) -> str:
    """The roadmap in one line: municipalities in joint clouds at the start and end of the horizon."""
    if not plan.kpi:
        return ""
    a, b = plan.kpi[0], plan.kpi[-1]
    h = plan.horizon
    span = "single wave" if h.get("single_wave") else f"FY{h['from_fy']}-FY{h['to_fy']}"
    return (f"roadmap {span}: municipalities in joint clouds {a['municipalities_in_groups']} (FY{a['fy']}) -> "
            f"{b['municipalities_in_groups']} (FY{b['fy']}); cumulative NPV {b['cumulative_npv_yen']:,} yen by FY{b['fy']}")


def _status_line(plan) -> str:
    gap = "n/a" if plan.gap != plan.gap else f"{plan.gap:.2%}"
    source = " (LP relaxation)" if plan.stats.get("bound_source") == "LP relaxation" else ""
    return (f"{plan.label}: status {plan.status}; objective {plan.objective:,.0f}; bound {plan.best_bound:,.0f}{source}; gap {gap}; "
            f"{plan.stats.get('eligible', 0)} eligible, {plan.stats.get('candidates', 0)} candidates; "
            f"solved in {plan.solve_seconds:.2f} s")


@main.command()
@click.option("--pref", "prefs", multiple=True, help="Prefecture code (01-47); several are solved as one instance.")
@click.option("--all", "all_prefs", is_flag=True, help="The whole country as one instance (groups may cross prefecture lines).")
@click.option("--scenario", type=click.Path(dir_okay=False), help="Scenario TOML (see optimizer/config.py).")
@click.option("--time-limit", type=click.FloatRange(0.001, 86_400),
              help="Work budget in seconds (enumeration and solver; default 120).")
@click.option("--seed", type=click.IntRange(0, 2**31 - 1), help="Solver seed (32-bit).")
@click.option("--alternatives", type=click.IntRange(1, 20), default=1, show_default=True,
              help="Return up to K distinct plans, best first.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Write proposals.json/.csv/.geojson (and for --pref: report.html/.md, map.png/.html) here.")
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True, help="Report language.")
@_data_options
@_json_option
@_handle_errors
def propose(prefs, all_prefs, scenario, time_limit, seed, alternatives, out_dir, lang, survey, groups,
            group_members, as_json):
    """Propose new groups and expansions of existing ones (CP-SAT, validated)."""
    from .api import context
    from .outputs import plan_payload, write_outputs
    from .plan import by_prefecture, propose as run, propose_all, totals
    from .roadmap import NATIONAL_KPI

    if bool(prefs) == all_prefs:
        raise InputError("give --pref (one or more) or --all")
    d = _load(survey, groups, group_members)
    sc = _scenario(scenario, survey)
    changes = {k: v for k, v in (("time_limit_s", time_limit), ("seed", seed)) if v is not None}
    sc = sc.replace(**changes) if changes else sc
    ctx = context(d, sc)
    if all_prefs:
        click.echo("solving the whole country as one instance ...", err=True)
        plan = propose_all(ctx)
        if plan.status == "INFEASIBLE":
            raise InfeasibleError(plan.infeasibility, plan_payload(d, [plan]))
        payload = plan_payload(d, [plan])
        payload["by_prefecture"] = by_prefecture(ctx, plan)
        payload["totals"] = totals(plan)
        payload["national_kpi"] = NATIONAL_KPI
        if out_dir:
            from .report import plan_files

            written = write_outputs(d, [plan], out_dir, {**plan_files(d, ctx, [plan], lang),
                                                         "proposals.json": to_json(payload)}, lang=lang)
        if as_json:
            click.echo(to_json(payload))
        else:
            click.echo(table([{"prefecture": r["prefecture"], "groups": r["groups"],
                               "cross-pref.": r["cross_prefecture_groups"], "moving": r["moving"],
                               "alone": r["alone"], "savings/yr": r["annual_savings_yen"]}
                              for r in payload["by_prefecture"]]))
            t = payload["totals"]
            click.echo(f"{t['groups']} groups ({t['new_groups']} new, {t['expansions']} expansions, "
                       f"{t['cross_prefecture_groups']} across prefecture lines), {t['municipalities_moving']} "
                       f"municipalities moving, NPV {t['npv_yen']:,} yen")
            click.echo(_status_line(plan))
            click.echo(_kpi_line(plan))
            if d.synthetic_rows:
                click.echo(SYNTHETIC_LINE)
        if out_dir:
            click.echo(f"wrote {', '.join(str(w) for w in written)}", err=as_json)
        return
    plist = _prefs(prefs)
    def report(k, plan):
        if alternatives > 1:
            click.echo(f"plan {k}/{alternatives}: {plan.label}, objective {plan.objective:,.0f}", err=True)

    plans = run(ctx, plist, alternatives=alternatives, progress=report)
    payload = plan_payload(d, plans)
    if plans[0].status == "INFEASIBLE":
        raise InfeasibleError(plans[0].infeasibility, payload)
    written = []
    if out_dir:
        from .report import plan_files

        written = write_outputs(d, plans, out_dir, plan_files(d, ctx, plans, lang), lang=lang)
    if as_json:
        click.echo(to_json(payload))
    else:
        for k, plan in enumerate(plans, start=1):
            if len(plans) > 1:
                click.echo(f"\n=== plan {k} (value lost vs best: {plans[0].objective - plan.objective:,.0f} yen)")
            click.echo(_plan_table(d, plan))
            click.echo(_status_line(plan))
        click.echo(_kpi_line(plans[0]))
        left = plans[0].left_out
        click.echo(f"in no group at the end ({len(left)}): "
                   + ("; ".join(f"{r['name']} ({r['reason_en']})" for r in left) or "-"))
        if d.synthetic_rows:
            click.echo(SYNTHETIC_LINE)
    if written:
        names = [str(w.relative_to(out_dir)) for w in written]
        click.echo(f"wrote {len(written)} files to {out_dir}: {', '.join(names)}", err=as_json)


@main.command()
@click.option("--municipality", "code", required=True, help="Municipality code, e.g. 05303 (小坂町).")
@click.option("--top", type=click.IntRange(1, 20), default=5, show_default=True, help="Options to show (alone is always shown).")
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True, help="Language of the reasons.")
@click.option("--scenario", type=click.Path(dir_okay=False), help="Scenario TOML.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Write the advisor's proposal here.")
@_data_options
@_json_option
@_handle_errors
def match(code, top, lang, scenario, out_dir, survey, groups, group_members, as_json):
    """Which group should this municipality join, and why? Ranked options with reasons."""
    from .api import match as api_match

    d = _load(survey, groups, group_members)
    scenario = _scenario(scenario, survey)
    res = api_match(d, code, top=top, lang=lang, scenario=scenario)
    out = {k: v for k, v in res.items() if k != "options"}
    synthetic = _synthetic(d, out)
    written = []
    if out_dir:
        from .report import write_match_report

        written = write_match_report(d, res, out_dir, lang=lang, scenario=scenario)
    if as_json:
        click.echo(to_json(out))
    else:
        click.echo(f"{res['municipality']} {res['name']} ({res['prefecture']})")
        if res["note"]:
            click.echo(res["note"])
        plan = res["plan"]
        click.echo(("都道府県の最適案では: " if lang == "ja" else "In the prefecture's optimal plan: ") + plan["reason"])
        if plan.get("differs"):
            click.echo(("最上位の選択肢と異なる理由: " if lang == "ja" else "Why the top option differs: ") + plan["differs"])
        for c in res["candidates"]:
            sep = "、" if lang == "ja" else ", "
            who = (c.get("group_name") or c["group_id"] or
                   (sep.join(d.name(p) for p in c["partners"]) if c["partners"] else "-"))
            click.echo(f"\n{c['rank']}. {c['kind']:5} {who}" + (f" ({c['group_id']})" if c["group_id"] else ""))
            model = "-" if c["score"] is None else f"{c['score']:+.2f}"
            click.echo(f"   model score {model}; value {c['value_yen']:,} yen; own NPV {c['municipality']['npv_yen']:,} "
                       f"yen; group NPV {c['npv_yen']:,} yen; continuity "
                       f"{'-' if c['continuity_score'] is None else c['continuity_score']}; go-live {c['go_live_fy'] or '-'}")
            for r in c["reasons"][lang]:
                click.echo(f"   - {r}")
        if synthetic:
            click.echo("\n" + SYNTHETIC_LINE)
    if written:
        click.echo(f"wrote {', '.join(str(w) for w in written)}", err=as_json)


@main.command()
@click.option("--municipality", "code", help="Municipality code.")
@click.option("--members", help="Comma-separated codes of a (proposed) group.")
@click.option("--top", type=click.IntRange(1, 59), default=5, show_default=True)
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True)
@_data_options
@_json_option
@_handle_errors
def precedents(code, members, top, lang, survey, groups, group_members, as_json):
    """The most similar existing groups: whose advisers to invite, with the similarity explained."""
    from .api import precedents as api_precedents

    if bool(code) == bool(members):
        raise InputError("give either --municipality or --members")
    d = _load(survey, groups, group_members)
    codes = [code] if code else _codes(members)
    res = api_precedents(d, codes, top=top, lang=lang)
    if as_json:
        click.echo(to_json({"query": codes, "precedents": res}))
        return
    click.echo(table([{"group": r["group_id"], "name": r["name"], "members": r["members"],
                       "population": r["population"], "similarity": r["similarity"],
                     "why": ("、" if lang == "ja" else "; ").join(r["why"])}
                      for r in res]))


if __name__ == "__main__":
    main()
