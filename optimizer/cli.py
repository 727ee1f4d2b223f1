"""Command line: ``lgcloud`` (installed) or ``python cli.py`` (in the repository): the same program.

Every command prints a readable table by default and JSON with ``--json``, in Japanese by default
and in English with ``--lang en``. Input problems exit with code 2 and a message naming file, row
and column; an infeasible scenario exits with 3. Files are written atomically.
"""

from __future__ import annotations

import datetime
import functools
import os
import sys
import tomllib
from pathlib import Path

import click

from . import api
from .config import Scenario
from .errors import InfeasibleError, InputError, Problem
from .render import payload
from .render.files import check_target, to_json, write_atomic, write_folder
from .render.tables import table
from .text import Items, Msg, say, t


def _data_options(command):
    f = click.option("--hazard", type=click.Path(dir_okay=False),
                     help="Hazard exposure CSV (code, hazard, class), e.g. official designations; replaces the "
                          "geometric exposure of the hazards it names.")(command)
    f = click.option("--group-members", "group_members", type=click.Path(dir_okay=False),
                     help="Group member list (default: beside --groups, else shipped).")(f)
    f = click.option("--groups", type=click.Path(dir_okay=False), help="Groups CSV (default: shipped, real 2017-10).")(f)
    f = click.option("--survey", type=click.Path(dir_okay=False),
                     help="Survey CSV, one row per municipality (default: shipped sample, partly synthetic).")(f)
    return f


def _json_option(f):
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(f)


def _lang_option(f):
    return click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True,
                        help="Language of tables, messages and files.")(f)


def _handle_errors(f):
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        lang = kwargs.get("lang", "ja")
        try:
            return f(*args, **kwargs)
        except InputError as exc:
            if kwargs.get("as_json"):  # machine-readable too: the problems as JSON on stdout
                click.echo(to_json({"ok": False, "problems": [
                    {"file": p.file, "row": p.row, "line": p.shown_line, p.label: p.column,
                     "message": say(p.message, lang)} for p in exc.problems]}))
            click.echo(t(lang, "cli.input_problems", n=len(exc.problems)), err=True)
            for p in exc.problems:
                click.echo(f"  {p.render(lang)}", err=True)
            sys.exit(exc.exit_code)
        except BrokenPipeError:  # the reader went away (e.g. `| head`): stop quietly, as other shell tools do
            sys.stderr.close()
            os._exit(0)
        except OSError as exc:  # e.g. --out names a file, or the disk is full
            click.echo(t(lang, "cli.cannot_write", name=exc.filename or "", why=exc.strerror or exc), err=True)
            sys.exit(1)
        except InfeasibleError as exc:
            if exc.result is not None and kwargs.get("as_json"):
                click.echo(to_json(exc.result))
            click.echo(t(lang, "cli.infeasible"), err=True)
            for r in exc.reasons:
                click.echo(f"  - {say(r, lang)}", err=True)
            sys.exit(exc.exit_code)

    return wrapper


def _load(survey=None, groups=None, group_members=None, hazard=None):
    return api.load(survey=survey, groups=groups, group_members=group_members, hazard=hazard)


def _codes(value: str) -> list[str]:
    return [c.strip() for c in value.replace(" ", ",").split(",") if c.strip()]


def _prefs(values) -> list[str]:
    out = []
    for v in values:
        for p in _codes(v):
            if not (p.isdigit() and len(p) <= 2 and 1 <= int(p) <= 47):
                raise InputError(Problem("--pref", None, None, Msg("cli.not_pref", value=f"{p:.20}")))
            out.append(p.zfill(2))
    if not out:
        raise InputError(Problem("--pref", None, None, Msg("cli.no_pref")))
    return sorted(set(out))


def current_fy(today=None) -> int:
    """The Japanese fiscal year of a date (April to March)."""
    today = today or datetime.date.today()
    return today.year if today.month >= 4 else today.year - 1


def _scenario(path, survey):
    """The scenario of a run. With the user's own survey and no ``planning_fy`` in the scenario file, planning
    starts in the current fiscal year; the shipped sample (2017 data) keeps its own default (FY2018)."""
    sc = api.scenario_of(path)
    if survey:
        explicit = path is not None and "planning_fy" in tomllib.loads(Path(path).read_bytes().decode("utf-8-sig"))
        if not explicit:
            sc = sc.replace(planning_fy=current_fy())
    return sc


def _instance(prefs, all_prefs, scenario, survey, groups, group_members, hazard):
    """What ``propose`` and ``sweep`` solve: the prefectures (``None``: the whole country), the data and the
    scenario."""
    if bool(prefs) == all_prefs:
        raise InputError(Msg("cli.propose.pref_or_all"))
    plist = None if all_prefs else _prefs(prefs)
    return plist, _load(survey, groups, group_members, hazard), _scenario(scenario, survey)


def _overwrite_option(f):
    return click.option("--overwrite", is_flag=True,
                        help="Replace the previous run in the output folder (as a whole); never an input file.")(f)


def _write(out_dir, files: dict, overwrite: bool, *inputs) -> list:
    """Write a run's folder (:func:`optimizer.render.files.write_folder`): refused over another run's files
    without ``--overwrite``, never over an input file; the manifest records the command."""
    command = " ".join(["lgcloud", *sys.argv[1:]])
    return write_folder(out_dir, files, overwrite=overwrite, inputs=[p for p in inputs if p], command=command)


def _synthetic(d, out: dict) -> bool:
    """Mark a result that synthetic survey values fed: the note goes into the JSON, the caller prints the line."""
    if d.synthetic:
        out["synthetic_note"] = say(Msg("data.synthetic_note"), "en")
    return d.synthetic


#: The most members ``score`` accepts (the largest real group has 34).
MAX_MEMBERS = 60


def _member_codes(value: str) -> list[str]:
    codes = _codes(value)
    problems = []
    if not codes:
        problems.append(Problem("--members", None, None, Msg("cli.no_code")))
    if len(codes) > MAX_MEMBERS:
        problems.append(Problem("--members", None, None, Msg("cli.too_many_codes", n=len(codes), most=MAX_MEMBERS)))
    twice = sorted({c for c in codes if codes.count(c) > 1})
    if twice:
        problems.append(Problem("--members", None, None, Msg("cli.codes_twice", codes=", ".join(twice)[:200])))
    if problems:
        raise InputError(problems)
    return codes


def _headers(lang: str, key: str) -> dict[str, str]:
    return t(lang, key)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="lgcloud", message="lgcloud %(version)s")
def main():
    """lgcloud: group formation and matchmaking for 自治体クラウド (municipal joint cloud).

    Data: real boundaries (国土数値情報), population, fiscal strength and the real 2017
    groups; the shipped survey's vendors and renewal years are SYNTHETIC. Bring your
    own with --survey/--groups. Output in Japanese by default, --lang en for English.
    """


@main.command()
@_data_options
@_json_option
@_lang_option
@_handle_errors
def info(survey, groups, group_members, hazard, as_json, lang):
    """Summary of the loaded data and its sources."""
    from .inputs.dataset import SOURCES
    from .inputs.hazard import exposure_counts

    d = _load(survey, groups, group_members, hazard)
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
        "synthetic_note": say(Msg("data.synthetic_note"), "en") if d.synthetic else None,
    }
    if as_json:
        click.echo(to_json(out))
        return
    sv = out["survey"]
    rows = [{"item": t(lang, f"cli.info.{k}"), "value": out[k]}
            for k in ("municipalities", "prefectures", "groups", "memberships")]
    rows += [{"item": t(lang, "cli.info.survey"), "value": t(lang, "cli.info.survey_value", path=sv["path"],
                                                              rows=sv["rows"], synthetic=sv["synthetic_rows"])}]
    rows += [{"item": "  " + t(lang, f"cli.status.{k}"), "value": v} for k, v in sv["by_status"].items()]
    hz = out["hazard"]
    rows += [{"item": t(lang, "cli.info.hazard"), "value": t(lang, "cli.info.hazard_value", path=hz["path"],
                                                             source=Items(t(lang, f"cli.hazard_source.{s}")
                                                                          for s in hz["source"]))}]
    rows += [{"item": "  " + t(lang, "cli.info.exposed", hazard=Msg(f"hazard.{h}")), "value": n}
             for h, n in hz["exposed"].items()]
    click.echo(table(rows, headers=_headers(lang, "cli.info.headers")))
    if d.synthetic:
        click.echo(t(lang, "cli.synthetic_line"))
    click.echo(t(lang, "cli.sources") + "\n  " + "\n  ".join(SOURCES))


@main.command()
@_json_option
@_lang_option
@_handle_errors
def scenario(as_json, lang):
    """Every scenario key: default, unit, accepted values, basis and source (keys in a TOML --scenario file)."""
    from .config import ModelParameters, Scenario, knobs

    rows = []
    for cls, prefix in ((Scenario, ""), (ModelParameters, "model.")):
        defaults = cls()
        for name, k in knobs(cls).items():
            v = getattr(defaults, name)
            accepted = " / ".join(k.choices) if k.choices else (f"{k.lo:g}–{k.hi:g}" if k.lo is not None else "")
            shown = ",".join(map(str, v)) if isinstance(v, list) else f"{v:g}" if isinstance(v, float) else str(v)
            rows.append({"key": prefix + name, "default": shown,
                         "unit": t(lang, f"unitname.{k.unit}") if k.unit else "", "accepted": accepted, "label": k.ja if lang == "ja" else k.en,
                         "basis": t(lang, f"knob.kind.{k.kind}"),
                         "source": k.source_ja if lang == "ja" else k.source_en})
    if as_json:
        click.echo(to_json(rows))
        return
    click.echo(table(rows, ["key", "label", "default", "unit", "accepted", "basis"],
                     _headers(lang, "cli.scenario.headers"), lang=lang))
    click.echo(t(lang, "cli.scenario.more"))


@main.command()
@_data_options
@_json_option
@_lang_option
@_handle_errors
def validate(survey, groups, group_members, hazard, as_json, lang):
    """Check survey, groups and hazard files; list every problem (exit 2) or print a summary."""
    from .inputs.hazard import exposure_counts

    d = _load(survey, groups, group_members, hazard)
    out = {"ok": True,
           "survey": {"path": str(d.paths["survey"]), "rows": int(len(d.survey))},
           "groups": {"path": str(d.paths["groups"]), "rows": int(len(d.groups))},
           "group_members": {"path": str(d.paths["group_members"]), "rows": int(len(d.members))},
           "hazard": exposure_counts(d.hazard),
           "not_in_survey": int(len(d.municipalities) - len(d.survey))}
    fy = current_fy() if survey else Scenario().planning_fy  # the planning year a run with these files gets
    past = d.renewals_before(fy)
    out["planning_fy"], out["renewal_before_planning_fy"] = fy, past
    if as_json:
        click.echo(to_json(out))
        return
    click.echo(t(lang, "cli.validate.ok", survey=d.paths["survey"], n_survey=len(d.survey), groups=d.paths["groups"],
                 n_groups=len(d.groups), members=d.paths["group_members"], n_members=len(d.members)))
    click.echo(t(lang, "cli.validate.hazard", items=Items(
        Msg("cli.validate.hazard_item", hazard=Msg(f"hazard.{h}"), n=v["exposed"],
            source=d.paths["hazard"] if v["source"] == "file" else Msg("cli.hazard_source.geometry"))
        for h, v in out["hazard"].items())))
    if out["not_in_survey"]:
        click.echo(t(lang, "cli.validate.not_in_survey", n=out["not_in_survey"]))
    if past:
        click.echo(t(lang, "cli.renewal_past", n=len(past), fy=fy, examples=Items(past[:5])), err=True)


@main.command()
@click.option("--pref", "prefs", multiple=True, required=True, help="Prefecture code (01-47); repeatable.")
@click.option("--out", type=click.Path(dir_okay=False), help="Write nodes and edges as GeoJSON for GIS.")
@_overwrite_option
@_data_options
@_json_option
@_lang_option
@_handle_errors
def graph(prefs, out, overwrite, survey, groups, group_members, hazard, as_json, lang):
    """The municipal graph of one or more prefectures (land and sea links)."""
    d = _load(survey, groups, group_members, hazard)
    g = d.prefecture_graph(_prefs(prefs))
    data = payload.graph_dict(g)
    if out:
        check_target(out, [survey, groups, group_members, hazard], overwrite)
        write_atomic(out, to_json(payload.graph_geojson(g)))
    if as_json:
        click.echo(to_json(data))
    else:
        heads = _headers(lang, "cli.graph.headers")
        click.echo(table(data["nodes"], ["code", "name", "population", "coastal", "coastline_km", "group_id"], heads,
                         lang=lang))
        click.echo()
        click.echo(table(data["edges"], ["a", "b", "kind", "shared_border_km", "distance_km", "via"], heads, lang=lang))
    if out or not as_json:
        click.echo(t(lang, "cli.graph.summary", nodes=len(data["nodes"]), edges=len(data["edges"]))
                   + (t(lang, "cli.graph.wrote", path=out) if out else ""), err=as_json)


@main.command()
@click.option("--members", help="Comma-separated municipality codes.")
@click.option("--group", "group_id", help="Score an existing group, e.g. G015.")
@click.option("--go-live", "go_live", type=click.IntRange(1990, 2060), help="Go-live fiscal year (default: best admissible).")
@click.option("--as-new", is_flag=True, help="Score as a new group even when the members expand an existing one.")
@click.option("--join", "join", help="Each moving member's go-live year, e.g. 30206=2022,30208=2023 (a staggered group).")
@click.option("--plan", "plan_file", type=click.Path(dir_okay=False),
              help="Score a group of a plan: its proposals.json (with --id).")
@click.option("--id", "plan_id", help="The plan's group id, e.g. P01 (with --plan).")
@click.option("--scenario", type=click.Path(dir_okay=False), help="Scenario TOML (model parameters in [model]).")
@_data_options
@_json_option
@_lang_option
@_handle_errors
def score(members, group_id, go_live, as_new, join, plan_file, plan_id, scenario, survey, groups, group_members,
          hazard, as_json, lang):
    """Projected cost reduction, continuity and fair shares of a group.

    Members that include a whole existing group plus others are scored as its expansion
    (against the status quo, as `propose` does); --as-new scores them as a new group.
    """
    if sum(map(bool, (members, group_id, plan_file))) != 1 or bool(plan_file) != bool(plan_id):
        raise InputError(Problem("--members/--group/--plan", None, None, Msg("cli.score.either")))
    d = _load(survey, groups, group_members, hazard)
    vendor = base = None
    joins = _joins(join) if join else None
    if plan_file:
        g = _plan_group(plan_file, plan_id)
        try:
            codes, base, vendor, go_live = [str(c) for c in g["members"]], g["base_group_id"], g["vendor"], int(
                g["go_live_fy"])
            joins = {str(c): int(y) for c, y in g["join_fy"].items()}
        except (KeyError, TypeError, ValueError, AttributeError):
            raise InputError(Problem(str(plan_file), None, None, Msg("cli.compare.not_a_run"))) from None
        if base is not None and base not in d.group_members or vendor not in d.vendors.index:
            raise InputError(Problem(str(plan_file), None, None, Msg("cli.compare.not_a_run")))
    elif group_id:
        if group_id not in d.group_members:
            raise InputError(Problem("--group", None, None, Msg("cli.score.unknown_group", group=f"{group_id:.40}",
                                                                file=d.paths["groups"])))
        codes = d.group_members[group_id]
    else:
        codes = _member_codes(members)
    if joins:
        unknown = [c for c in joins if c not in codes]
        if unknown:
            raise InputError(Problem("--join", None, None, Msg("cli.score.join_not_member", codes=Items(unknown))))
        go_live = go_live or min(joins.values())
    res = api.score(d, codes, go_live=go_live, scenario=_scenario(scenario, survey), as_new=as_new,
                    base_group=base, join=joins, vendor=vendor)
    if plan_file and g.get("shares"):  # the plan's own shares, set for the whole plan (not this group's alone)
        alloc = g.get("allocation") or {}
        res.shares, res.cost_split = g["shares"], g.get("cost_split")
        res.allocation = {"method": "plan_least_core", "in_core": alloc.get("in_core"),
                          "epsilon_yen": alloc.get("epsilon_yen", 0), "reference": "nucleolus"}
    out = payload.group_score_dict(res, lang)
    synthetic = _synthetic(d, out)
    if as_json:
        click.echo(to_json(out))
        return
    click.echo(t(lang, "cli.score.members", members=Items(f"{c} {d.name(c)}" for c in out["members"])))
    if res.violations:  # lead with what is wrong: the figures below are hypothetical
        click.echo(t(lang, "cli.score.breaks", n=len(res.violations)))
        for v in res.violations:
            click.echo(t(lang, "cli.score.broken", rule=Msg(f"rule.name.{v['rule']}"), message=v["message"]))
    if res.kind == "alone":
        click.echo(t(lang, "cli.score.alone"))
        return
    if res.existing_group_id:
        click.echo(t(lang, "cli.score.afresh", group=res.existing_group_id))
    if res.base_group_id:
        click.echo(t(lang, "cli.score.expansion", group=res.base_group_id, joiners=Items(d.name(c) for c in res.joining)))
    r = out["reduction_rate"]
    go = (str(out["go_live_fy"]) if len(out["timeline"]) < 2 else "; ".join(
        f"{step['fy']}: {' '.join(d.name(c) for c in step['joining'])}" for step in out["timeline"]))
    yes, no = t(lang, "cli.yes"), t(lang, "cli.no")
    items = [("go_live", go), ("vendor", out["vendor"]), ("baseline", out["baseline_cost_yen"]),
             ("rate", f"{r['p10']:.0%} / {r['p50']:.0%} / {r['p90']:.0%}"), ("savings", out["annual_savings_yen"]),
             ("one_off", out["one_off_cost_yen"]), ("subsidy", out["subsidy_yen"]),
             ("municipal", out["accounts"]["municipal_npv_yen"]), ("national", out["accounts"]["national_npv_yen"]),
             ("continuity", out["continuity"]["score"]), ("pairing", yes if out["continuity"]["pairing_ok"] else no)]
    click.echo(table([{"item": t(lang, f"cli.score.{k}"), "value": v} for k, v in items],
                     headers=_headers(lang, "cli.info.headers"), lang=lang))
    if res.shares:
        a = res.allocation
        click.echo()
        rows = [{**sh, "role": t(lang, "report.existing" if sh["role"] == "existing" else "report.joining")}
                for sh in res.shares]
        click.echo(table(rows, ["code", "name", "role", "annual_savings_yen", "own_npv_yen", "share_yen",
                                      "transfer_yen", "outside_option_yen", "shapley_yen"],
                         _headers(lang, "cli.score.share_headers"), lang=lang))
        core = (Msg("cli.score.core_na") if a["in_core"] is None else Msg("cli.score.core_ok") if a["in_core"]
                else Msg("cli.score.core_empty", eps=a["epsilon_yen"]))
        click.echo(t(lang, "cli.score.shares", method=Msg(f"alloc.method.{a['method']}"), core=core,
                     value=out["value_yen"]))
    if res.violations:
        click.echo(t(lang, "cli.score.hypothetical"))
    else:
        click.echo(t(lang, "cli.score.all_rules"))
    if plan_file:
        click.echo(t(lang, "cli.score.plan_shares"))
    if synthetic:
        click.echo(t(lang, "cli.synthetic_line"))
    for w in res.warnings:
        click.echo(t(lang, "cli.warning", message=w))


def _joins(value: str) -> dict[str, int]:
    """``30206=2022,30208=2023`` as {code: fiscal year}."""
    out = {}
    for item in _codes(value):
        code, _, year = item.partition("=")
        if not (year.isdigit() and 1990 <= int(year) <= 2060 and code.isdigit()):
            raise InputError(Problem("--join", None, None, Msg("cli.score.join_format", item=f"{item:.30}")))
        out[code.zfill(5)] = int(year)
    return out


def _read_run(path: str) -> dict:
    """A run's proposals.json (``path``, or ``path``/proposals.json for an output folder); an input problem
    naming the file when it is not one."""
    import json as _json

    p = Path(path)
    f = p / "proposals.json" if p.is_dir() else p
    try:
        run = _json.loads(f.read_text(encoding="utf-8"))
        api.best_plan(run)
    except (OSError, ValueError):
        raise InputError(Problem(str(f), None, None, Msg("cli.compare.not_a_run"))) from None
    return run


def _plan_group(path: str, gid: str) -> dict:
    """Group ``gid`` of a plan's proposals.json (the best plan of a run with alternatives)."""
    for g in api.best_plan(_read_run(path))["groups"]:
        if isinstance(g, dict) and g.get("id") == gid:
            return g
    raise InputError(Problem(str(path), None, "--id", Msg("cli.score.no_such_group", id=f"{gid:.20}")))


def _plan_table(data, plan, lang: str) -> str:
    rows = []
    for g in plan.groups:
        rows.append({
            "id": g.id, "kind": t(lang, f"kind.{g.kind}"), "base": g.base_group_id or "",
            "members": (f"{g.base_group_id}({len(g.members) - len(g.joining)}) + " if g.base_group_id else "")
            + " ".join(data.name(c) for c in g.movers),
            "go-live": " → ".join(str(step["fy"]) for step in g.timeline), "vendor": g.vendor,
            "p50": f"{g.reduction_rate['p50']:.0%}", "savings/yr": round(g.annual_savings_yen), "NPV": round(g.npv_yen),
            "continuity": g.continuity.score,
        })
    return table(rows, headers=_headers(lang, "cli.plan.headers"), lang=lang)


def _kpi_line(plan, lang: str) -> str:
    """The roadmap in one line: municipalities in joint clouds at the start and end of the horizon."""
    if not plan.kpi:
        return ""
    a, b = plan.kpi[0], plan.kpi[-1]
    h = plan.horizon
    span = t(lang, "cli.kpi.single_wave") if h.get("single_wave") else t(lang, "unit.FY_span", a=h["from_fy"],
                                                                                 b=h["to_fy"])
    return t(lang, "cli.kpi.line", span=span, a=a["municipalities_in_groups"], a_fy=a["fy"],
             b=b["municipalities_in_groups"], b_fy=b["fy"], npv=b["cumulative_npv_yen"])


def _status_line(plan, lang: str) -> str:
    gap = t(lang, "na") if plan.gap != plan.gap else f"{plan.gap:.2%}"
    source = t(lang, "cli.lp_source") if plan.stats.get("bound_source") == "LP relaxation" else ""
    bound = t(lang, "na") if plan.best_bound != plan.best_bound else f"{plan.best_bound:,.0f}"
    return t(lang, "cli.status_line", label=payload.plan_label(plan, lang), status=t(lang, f"status.{plan.status}"),
             objective=f"{plan.objective:,.0f}", bound=bound, source=source, gap=gap,
             eligible=plan.stats.get("eligible", 0), candidates=plan.stats.get("candidates", 0),
             seconds=f"{plan.solve_seconds:.2f}")


@main.command()
@click.option("--pref", "prefs", multiple=True, help="Prefecture code (01-47); several are solved as one instance.")
@click.option("--all", "all_prefs", is_flag=True, help="The whole country as one instance (groups may cross prefecture lines).")
@click.option("--scenario", type=click.Path(dir_okay=False), help="Scenario TOML (see lgcloud scenario).")
@click.option("--time-limit", type=click.FloatRange(0.001, 86_400),
              help="Solver work budget in deterministic seconds (counted, not the clock; default 60).")
@click.option("--seed", type=click.IntRange(0, 2**31 - 1), help="Solver seed (32-bit).")
@click.option("--alternatives", type=click.IntRange(1, 20), default=1, show_default=True,
              help="Return up to K distinct plans, best first.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Write proposals.json/.csv/.geojson, roadmap.csv, report.html/.md and map.png/.html here.")
@_overwrite_option
@_data_options
@_json_option
@_lang_option
@_handle_errors
def propose(prefs, all_prefs, scenario, time_limit, seed, alternatives, out_dir, overwrite, survey, groups,
            group_members, hazard, as_json, lang):
    """Propose new groups and expansions of existing ones (CP-SAT, validated)."""
    from .render.outputs import proposal_files

    plist, d, sc = _instance(prefs, all_prefs, scenario, survey, groups, group_members, hazard)
    changes = {k: v for k, v in (("time_limit_s", time_limit), ("seed", seed)) if v is not None}
    sc = sc.replace(**changes) if changes else sc
    past = d.renewals_before(sc.planning_fy) if survey else []
    if past:
        click.echo(t(lang, "cli.renewal_past", n=len(past), fy=sc.planning_fy, examples=Items(past[:5])), err=True)
    if all_prefs:
        click.echo(t(lang, "cli.propose.national"), err=True)

    def report(k, plan):
        if alternatives > 1:
            click.echo(t(lang, "cli.propose.progress", k=k, n=alternatives, label=payload.plan_label(plan, lang),
                         objective=f"{plan.objective:,.0f}"), err=True)

    run = api.proposal(d, plist, scenario=sc, alternatives=alternatives, progress=report)
    result = payload.proposal_dict(d, run)
    if run.best.status == "INFEASIBLE":
        raise InfeasibleError(run.best.infeasibility, result)
    written = _write(out_dir, proposal_files(d, run, lang), overwrite, survey, groups, group_members, hazard,
                     scenario) if out_dir else []
    if as_json:
        click.echo(to_json(result))
    elif run.totals is not None:  # the whole country: a table by prefecture
        click.echo(table([{"prefecture": r["prefecture"], "groups": r["groups"],
                           "cross": r["cross_prefecture_groups"], "moving": r["moving"],
                           "alone": r["alone"], "savings": r["annual_savings_yen"]}
                          for r in run.by_prefecture], headers=_headers(lang, "cli.national.headers"), lang=lang))
        tt = run.totals
        click.echo(t(lang, "cli.national.totals", groups=tt["groups"], new=tt["new_groups"], expand=tt["expansions"],
                     cross=tt["cross_prefecture_groups"], moving=tt["municipalities_moving"], npv=tt["npv_yen"]))
        click.echo(_status_line(run.best, lang))
        click.echo(_kpi_line(run.best, lang))
        if d.synthetic:
            click.echo(t(lang, "cli.synthetic_line"))
    else:
        plans = run.plans
        for k, plan in enumerate(plans, start=1):
            if len(plans) > 1:
                click.echo("\n" + t(lang, "cli.propose.plan_head", k=k, lost=f"{plans[0].objective - plan.objective:,.0f}"))
            click.echo(_plan_table(d, plan, lang))
            click.echo(_status_line(plan, lang))
        click.echo(_kpi_line(plans[0], lang))
        left = plans[0].left_out
        items = Items((t(lang, "fmt.aside", x=r["name"], v=Msg("reason." + r["reason_code"]))
                      for r in left), "sep.clause")
        click.echo(t(lang, "cli.propose.left_out", n=len(left), items=items if left else "-"))
        if d.synthetic:
            click.echo(t(lang, "cli.synthetic_line"))
    if written:
        names = [str(w.relative_to(out_dir)) for w in written]
        click.echo(t(lang, "cli.wrote", n=len(written), folder=out_dir, names=", ".join(names)), err=as_json)


@main.command()
@click.option("--pref", "prefs", multiple=True, help="Prefecture code (01-47); several are one instance.")
@click.option("--all", "all_prefs", is_flag=True, help="The whole country as one instance.")
@click.option("--draws", type=click.IntRange(1, 100_000), default=100, show_default=True,
              help="Draws of the uncertain inputs, each solved exactly.")
@click.option("--seed", type=click.IntRange(0, 2**31 - 1), default=0, show_default=True,
              help="Sweep seed: draw k is seeded (seed, k), the same on any number of workers.")
@click.option("--scenario", type=click.Path(dir_okay=False),
              help="Scenario TOML; a key given as {low = a, high = b} is drawn between a and b.")
@click.option("--scheduler", help="A Dask scheduler address (tcp://host:8786); default: a local cluster.")
@click.option("--workers", type=click.IntRange(0, 1024),
              help="Local worker processes (default: the cores; 0: in this process, no Dask).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Write sweep.json, sweep_pairs.csv, sweep_groups.csv and the robust plan's files here.")
@_overwrite_option
@_data_options
@_json_option
@_lang_option
@_handle_errors
def sweep(prefs, all_prefs, draws, seed, scenario, scheduler, workers, out_dir, overwrite, survey, groups,
          group_members, hazard, as_json, lang):
    """Advice that survives uncertainty: draw the uncertain inputs, solve each draw, say what is firm."""
    from .render.outputs import sweep_files
    from .solve.plan import Proposal

    plist, d, sc = _instance(prefs, all_prefs, scenario, survey, groups, group_members, hazard)
    last = {"stage": None, "shown": -1}

    def progress(stage, k, n):  # about every 10% of a stage, and its end
        step = max(1, n // 10)
        if k == n or k // step != last["shown"] or stage != last["stage"]:
            last.update(stage=stage, shown=k // step)
            click.echo(t(lang, f"cli.sweep.progress.{stage}", k=k, n=n), err=True)

    res = api.sweep(d, plist, draws=draws, seed=seed, scenario=sc, scheduler=scheduler, workers=workers,
                    progress=progress)
    names = d.municipalities["name"].to_dict()
    result = payload.sweep_dict(res, names, lang)
    run = Proposal([res.robust_plan], res.prefectures) if res.robust_plan is not None else None
    written = _write(out_dir, sweep_files(d, res, run, lang), overwrite, survey, groups, group_members, hazard,
                     scenario) if out_dir and run is not None else []
    if as_json:
        click.echo(to_json(result))
    else:
        click.echo(t(lang, "cli.sweep.summary", n=res.draws, plans=res.stats["distinct_plans"],
                     firm=len(res.firm["groups"]), pairs=len(res.firm["pairs"]), open=len(res.open),
                     s=res.stats["seconds"]))
        if res.robust_plan is not None:
            q = res.npv_yen
            click.echo(t(lang, "cli.sweep.robust", criterion=t(lang, f"choice.{res.criterion}"),
                         p10=f"{q['p10']:,}", p50=f"{q['p50']:,}", p90=f"{q['p90']:,}",
                         k=res.robust_values["optimal_in"], n=res.draws))
            click.echo(_plan_table(d, res.robust_plan, lang))
        for o in res.open[:10]:
            hinge = Items(payload.input_label(h["input"], names, lang) for h in o["hinges_on"]) if o["hinges_on"] \
                else t(lang, "sweep.near_tie")
            click.echo(t(lang, "cli.sweep.open", name=o["name"], k=len(o["options"]), hinge=hinge))
        if d.synthetic:
            click.echo(t(lang, "cli.synthetic_line"))
    if written:
        click.echo(t(lang, "cli.wrote", n=len(written), folder=out_dir,
                     names=", ".join(str(w.relative_to(out_dir)) for w in written)), err=as_json)


@main.command()
@click.option("--municipality", "code", required=True, help="Municipality code, e.g. 05303 (小坂町).")
@click.option("--top", type=click.IntRange(1, 20), default=5, show_default=True, help="Options to show (alone is always shown).")
@click.option("--scenario", type=click.Path(dir_okay=False), help="Scenario TOML.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Write the advisor's proposal here.")
@_overwrite_option
@_data_options
@_json_option
@_lang_option
@_handle_errors
def match(code, top, scenario, out_dir, overwrite, survey, groups, group_members, hazard, as_json, lang):
    """Which group should this municipality join, and why? Ranked options with reasons."""
    from .render.outputs import match_files

    d = _load(survey, groups, group_members, hazard)
    res = api.match(d, code, top=top, scenario=_scenario(scenario, survey))
    out = payload.match_dict(res, lang)
    synthetic = _synthetic(d, out)
    written = _write(out_dir, match_files(d, res, lang), overwrite, survey, groups, group_members, hazard,
                     scenario) if out_dir else []
    if as_json:
        click.echo(to_json({k: v for k, v in out.items()}))
    else:
        click.echo(t(lang, "cli.match.head", code=res.municipality, name=res.name, pref=res.prefecture))
        if res.note:
            click.echo(say(res.note, lang))
        click.echo(t(lang, "cli.match.plan", status=Msg(f"status.{res.plan['status']}"), reason=res.plan["reason"]))
        if res.plan.get("differs"):
            click.echo(t(lang, "cli.match.differs", reason=res.plan["differs"]))
        for o in res.options:
            who = say(o.group_name, lang) if o.group_name else (
                say(Items(d.name(p) for p in o.partners), lang) if o.partners else "-")
            gid = t(lang, "fmt.aside", x="", v=o.group_id) if o.group_id else ""
            click.echo(f"\n{o.rank}. {t(lang, 'match.kind.' + o.kind)} {who}{gid}")
            click.echo("   " + t(lang, "cli.match.figures", score="-" if o.model_score is None else f"{o.model_score:+.2f}",
                                  own=o.own["npv_yen"], share=o.own["share_yen"], npv=round(o.npv_yen),
                                  cont="-" if o.continuity_score is None else o.continuity_score,
                                  fy=o.go_live_fy or "-"))
            for r in o.reasons:
                click.echo(f"   - {say(r, lang)}")
        if synthetic:
            click.echo("\n" + t(lang, "cli.synthetic_line"))
    if written:
        click.echo(t(lang, "cli.wrote_list", names=", ".join(str(w) for w in written)), err=as_json)


@main.command()
@click.option("--municipality", "code", help="Municipality code.")
@click.option("--members", help="Comma-separated codes of a (proposed) group.")
@click.option("--top", type=click.IntRange(1, 59), default=5, show_default=True)
@_data_options
@_json_option
@_lang_option
@_handle_errors
def precedents(code, members, top, survey, groups, group_members, hazard, as_json, lang):
    """The most similar existing groups: whose advisers to invite, with the similarity explained."""
    if bool(code) == bool(members):
        raise InputError(Msg("cli.precedents.either"))
    d = _load(survey, groups, group_members, hazard)
    codes = [code] if code else _codes(members)
    res = api.precedents(d, codes, top=top, lang=lang)
    if as_json:
        click.echo(to_json({"query": codes, "precedents": res}))
        return
    click.echo(table([{"group": r["group_id"], "name": r["name"], "members": r["members"],
                       "population": r["population"], "similarity": r["similarity"],
                       "why": say(Items(r["why"]), lang)} for r in res],
                     headers=_headers(lang, "cli.precedents.headers"), lang=lang))


@main.command()
@click.argument("run_a", type=click.Path(exists=True))
@click.argument("run_b", type=click.Path(exists=True))
@_json_option
@_lang_option
@_handle_errors
def compare(run_a, run_b, as_json, lang):
    """What changes between two runs: two output folders (or their proposals.json), e.g. baseline and what-if."""
    runs = [_read_run(run_a), _read_run(run_b)]
    try:
        out = api.compare_outputs(*runs)
    except (KeyError, TypeError, IndexError, AttributeError):  # JSON, but not a run's proposals.json
        raise InputError(Problem(f"{run_a} / {run_b}", None, None, Msg("cli.compare.not_a_run"))) from None
    if as_json:
        click.echo(to_json(out))
        return
    default = t(lang, "csv.default_scenario")
    click.echo(t(lang, "cli.compare.head", a=run_a, sa=out["scenario_a"] or default, b=run_b,
                 sb=out["scenario_b"] or default))
    click.echo(t(lang, "cli.compare.values", va=f"{out['value_a']:,}", vb=f"{out['value_b']:,}",
                 d=f"{out['value_difference']:+,}", na=f"{out['npv_a']:,}", nb=f"{out['npv_b']:,}"))
    click.echo(t(lang, "cli.compare.groups", same=out["same_groups"], a=len(out["only_in_a"]), b=len(out["only_in_b"]),
                 n=len(out["municipalities_regrouped"])))
    moved = out["municipalities_regrouped"]
    if moved:
        known = {c: n for r in runs for g in api.best_plan(r)["groups"]
                 for c, n in zip(g["members"], g.get("member_names", []))}
        names = Items(f"{c} {known.get(c, '')}".strip() for c in moved[:COMPARE_LIST])
        more = len(moved) - COMPARE_LIST
        click.echo(t(lang, "cli.compare.moved_more", names=names, more=more) if more > 0 else
                   t(lang, "cli.compare.moved", names=names))


#: ``compare`` names at most this many regrouped municipalities (all of them are in --json).
COMPARE_LIST = 30


if __name__ == "__main__":
    main()
