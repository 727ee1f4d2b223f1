"""Results as plain data for JSON: the one place the JSON interface's keys are written.

Every function takes finished results (plans with shares, scored groups, match results) and
returns dicts of numbers, codes and text; a :class:`~optimizer.text.Msg` becomes text in the
language asked for. Nothing here computes a figure.
"""

from __future__ import annotations

import math

from ..inputs.dataset import SOURCES
from ..text import Msg, both, say


def _text(v, lang: str):
    """Messages in ``lang``; dicts and lists walked; anything else as it is."""
    if isinstance(v, Msg):
        return say(v, lang)
    if isinstance(v, dict):
        return {k: _text(x, lang) for k, x in v.items()}
    if isinstance(v, list):
        return [_text(x, lang) for x in v]
    return v


def _nan_none(v, digits: int | None = None):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return round(v, digits) if digits is not None else round(v)


def continuity_dict(c) -> dict:
    return {"score": c.score, "pairing_ok": c.pairing_ok, "coastal": c.coastal, "inland": c.inland,
            "exposed": c.exposed, "unpaired": c.unpaired, "max_distance_km": c.max_distance_km,
            "components": c.components}


def allocation_dict(a: dict | None, lang: str = "en") -> dict | None:
    if a is None:
        return None
    out = {**a, "method": say(Msg(f"alloc.method.{a['method']}"), lang)}
    if a.get("reference"):
        out["reference"] = say(Msg(f"alloc.method.{a['reference']}"), lang)
    return out


def note_of(g, lang: str = "en") -> str | None:
    """The group's note: ``alone``, or the existing group its members are exactly."""
    if g.kind == "alone":
        return "alone"
    return say(Msg("score.note_existing", group=g.existing_group_id), lang) if g.existing_group_id else None


def violations_list(g, lang: str = "en") -> list[dict]:
    return [{"rule": v["rule"], "message": say(v["message"], lang)} for v in g.violations]


def group_score_dict(g, lang: str = "en") -> dict:
    """A scored group as ``lgcloud score --json`` writes it."""
    return {
        "members": g.members,
        "kind": g.kind,
        "base_group_id": g.base_group_id,
        "joining": g.joining,
        "go_live_fy": g.go_live_fy,
        "founded_fy": g.founded_fy,
        "timeline": g.timeline,
        "vendor": g.vendor,
        "baseline_cost_yen": round(g.baseline_cost_yen),
        "reduction_rate": {k: round(v, 4) for k, v in g.reduction_rate.items()},
        "annual_savings_yen": round(g.annual_savings_yen),
        "one_off_cost_yen": round(g.one_off_cost_yen),
        "subsidy_yen": round(g.subsidy_yen),
        "timing_cost_yen": round(g.timing_cost_yen),
        "coordination_cost_yen": round(g.coordination_cost_yen),
        "npv_yen": round(g.npv_yen),
        "accounts": {"municipal_npv_yen": round(g.npv_yen), "national_npv_yen": round(g.national_npv_yen)},
        "value_yen": g.value_yen,
        "continuity": continuity_dict(g.continuity),
        "allocation": allocation_dict(g.allocation, lang),
        "shares": g.shares,
        "cost_split": g.cost_split,
        "coalition_values": g.coalition_values,
        "violations": violations_list(g, lang),
        "note": note_of(g, lang),
        "warnings": [say(w, lang) for w in g.warnings],
    }


def plan_group_dict(g, names: dict[str, str]) -> dict:
    """One group of a plan, as ``proposals.json`` writes it."""
    prefs = sorted({c[:2] for c in g.members})
    return {
        "id": g.id,
        "kind": g.kind,
        "base_group_id": g.base_group_id,
        "members": g.members,
        "member_names": [names.get(c, c) for c in g.members],
        "joining": g.joining,
        "go_live_fy": g.go_live_fy,
        "founded_fy": g.founded_fy,
        "timeline": g.timeline,
        "join_fy": g.join_fy,
        "vendor": g.vendor,
        "reduction_rate": {k: round(v, 4) for k, v in g.reduction_rate.items()},
        "baseline_cost_yen": round(g.baseline_cost_yen),
        "annual_savings_yen": round(g.annual_savings_yen),
        "one_off_cost_yen": round(g.one_off_cost_yen),
        "subsidy_yen": round(g.subsidy_yen),
        "npv_yen": round(g.npv_yen),
        "accounts": {"municipal_npv_yen": round(g.npv_yen), "national_npv_yen": round(g.national_npv_yen)},
        "value": round(g.value),
        "value_yen": g.value_yen,
        "allocation": allocation_dict(g.allocation),
        "shares": g.shares,
        "cost_split": g.cost_split,
        "coalition_values": g.coalition_values,
        "continuity_score": g.continuity.score,
        "pairing_ok": g.continuity.pairing_ok,
        "prefectures": prefs,
        "cross_prefecture": len(prefs) > 1,
    }


def plan_label(plan, lang: str = "en") -> str:
    """How a plan stands: the proven optimum, the best found, or the n-th best and how far below."""
    if plan.stats.get("stopped_by_clock"):
        return say(Msg("plan.label.clock", status=plan.status.lower()), lang)
    if plan.stats.get("chosen_from_draws"):
        return say(Msg("plan.label.robust", criterion=Msg(f"choice.{plan.stats['chosen_from_draws']}")), lang)
    if plan.rank <= 1:
        return say(Msg("plan.label.optimum" if plan.status == "OPTIMAL" else "plan.label.best",
                       status=plan.status.lower()), lang)
    return say(Msg("plan.label.rank", n=plan.rank, pct=plan.below_best), lang)


def left_out_list(plan) -> list[dict]:
    """Everyone in scope in no group: ``reason`` (English), ``reason_ja`` and ``reason_en``."""
    out = []
    for r in plan.left_out:
        text = both(Msg(f"reason.{r['reason_code']}"))
        out.append({**r, "reason": text["en"], "reason_ja": text["ja"], "reason_en": text["en"]})
    return out


def plan_dict(plan, names: dict[str, str]) -> dict:
    """A plan as ``proposals.json`` writes it (one plan)."""
    return {
        "status": plan.status,
        "rank": plan.rank,
        "label": plan_label(plan),
        "below_best": round(plan.below_best, 6),
        "objective": round(plan.objective),
        "best_bound": _nan_none(plan.best_bound),
        "gap": _nan_none(plan.gap, 6),
        "solve_seconds": round(plan.solve_seconds, 3),
        "prefectures": plan.prefectures,
        "scenario": plan.scenario.effective(),
        "groups": [plan_group_dict(g, names) for g in plan.groups],
        "horizon": plan.horizon,
        "kpi": plan.kpi,
        "npv_after_horizon_yen": round(plan.npv_after_horizon),
        "alone": left_out_list(plan),
        "alone_codes": [r["code"] for r in plan.left_out],
        "eligible_alone": plan.eligible_alone,
        "participation": plan.participation,
        "stability": plan.stability,
        "infeasibility": [say(r, "en") for r in plan.infeasibility],
        "stats": _text(plan.stats, "en"),
        "synthetic_data": plan.synthetic,
    }


def input_label(key: str, names: dict[str, str], lang: str = "en") -> str:
    """What a drawn input is, in words: a parameter's label, or whose survey value (``renewal:<code>``...)."""
    from ..config import ModelParameters, Scenario, knobs

    if ":" in key:
        kind, code = key.split(":", 1)
        return say(Msg(f"sweep.input.{kind}", name=names.get(code, code), code=code), lang)
    name = key.removeprefix("model.")
    k = knobs(ModelParameters if key.startswith("model.") else Scenario).get(name)
    return (k.ja if lang == "ja" else k.en) if k else key


def sweep_dict(res, names: dict[str, str], lang: str = "en") -> dict:
    """A sweep as ``lgcloud sweep --json`` and ``sweep.json`` write it."""
    robust = None
    if res.robust_plan is not None:
        v = res.robust_values
        robust = {**plan_dict(res.robust_plan, names), "criterion": res.criterion,
                  "npv_yen": res.npv_yen,
                  "value_over_draws": v["summary"]["value"], "regret_yen": v["summary"]["regret"],
                  "optimal_in_draws": v["optimal_in"],
                  "municipalities_regrouped_from_base_plan": v["regrouped_from_base"]}
    open_ = [{**o, "hinges_on": [{**h, "label": input_label(h["input"], names, lang)} for h in o["hinges_on"]]}
             for o in res.open]
    return {
        "prefectures": res.prefectures, "draws": res.draws, "seed": res.seed, "criterion": res.criterion,
        "firm_share": res.firm_share, "uncertain": res.uncertain,
        "pairs": res.pairs, "groups": res.groups, "firm": res.firm, "open": open_,
        "robust_plan": robust, "npv_yen": res.npv_yen,
        "base_plan": {"objective": round(res.base_plan.objective), "status": res.base_plan.status,
                      "groups": [{"members": g.members, "base_group_id": g.base_group_id} for g in res.base_plan.groups]},
        "draw_results": [{"index": r["index"], "status": r["status"], "value": round(r["value"]), "npv": round(r["npv"]),
                          "groups": [{"base_group_id": b, "movers": list(c)} for b, c in r["groups"]]}
                         for r in res.results],
        "stats": res.stats, "synthetic_data": res.base_plan.synthetic,
    }


def proposal_dict(data, run) -> dict:
    """The whole ``propose`` run as ``proposals.json`` and ``propose --json`` write it: one plan's dict, or
    ``alternatives`` (each with ``value_lost``); a national run adds ``by_prefecture``, ``totals`` and
    ``national_kpi``; the data's credits (``sources``) and, where synthetic values fed it, ``synthetic_note``."""
    names = data.municipalities["name"].to_dict()
    plans = run.plans
    if len(plans) == 1:
        out = plan_dict(plans[0], names)
    else:
        best = plans[0].objective
        out = {"alternatives": [{**plan_dict(p, names), "value_lost": round(best - p.objective)} for p in plans]}
    if run.totals is not None:
        out["by_prefecture"] = run.by_prefecture
        out["totals"] = run.totals
        out["national_kpi"] = run.national_kpi
    out["sources"] = SOURCES
    if any(p.synthetic for p in plans):
        out["synthetic_note"] = say(Msg("data.synthetic_note"), "en")
    return out


def option_dict(o, lang: str) -> dict:
    """One option of ``match``: its reasons in both languages, names in ``lang``."""
    out = {"rank": o.rank, "kind": o.kind, "group_id": o.group_id, "partners": o.partners, "score": o.model_score,
           "value_yen": round(o.value_yen), "npv_yen": round(o.npv_yen), "annual_savings_yen": round(o.annual_savings_yen),
           "continuity_score": o.continuity_score, "go_live_fy": o.go_live_fy, "municipality": o.own, "in_plan": o.in_plan,
           "reasons": {k: [both(r)[k] for r in o.reasons] for k in ("ja", "en")}}
    if o.kind in ("join", "stay"):
        out.update({"group_gain_yen": o.group_gain_yen, "joins_at_renewal_fy": o.joins_at_renewal_fy,
                    "group_name": say(o.group_name, lang)})
    if o.kind == "new":
        out.update({"formation_probability": o.formation_probability, "group_name": say(o.group_name, lang)})
    out["breaks_rules"] = o.breaks_rules
    if o.model_score is not None:
        out.update({"model_score": o.model_score, "features": o.features})
    return out


def match_dict(res, lang: str) -> dict:
    """A :class:`~optimizer.match.matchmaking.MatchResult` as ``match --json`` writes it."""
    plan = {k: (say(v, lang) if isinstance(v, Msg) else v) for k, v in res.plan.items()}
    return {"municipality": res.municipality, "name": res.name, "prefecture": res.prefecture,
            "current_group": res.current_group, "note": None if res.note is None else say(res.note, lang),
            "eligible": res.eligible, "plan": plan, "candidates": [option_dict(o, lang) for o in res.options],
            "blocked_groups": {g: say(w, "en") for g, w in res.blocked_groups.items()}}


def precedent_dicts(precedents: list[dict], lang: str) -> list[dict]:
    return [{**p, "name": say(p["name"], lang), "why": [say(w, lang) for w in p["why"]]} for p in precedents]


def graph_dict(g) -> dict:
    """The municipal graph: ``{"nodes": [...], "edges": [...]}`` sorted by code."""
    nodes = []
    for code in sorted(g.nodes):
        d = g.nodes[code]
        nodes.append({
            "code": code, "name": d["name"], "prefecture": d["prefecture"], "population": int(d["population"]),
            "coastal": bool(d["coastal"]), "coastline_km": round(float(d["coastline_km"]), 2),
            "lat": float(d["lat"]), "lon": float(d["lon"]), "group_id": d.get("group_id"),
        })
    edges = []
    for a, b, e in sorted(g.edges(data=True), key=lambda t: tuple(sorted(t[:2]))):
        a, b = sorted((a, b))
        edges.append({
            "a": a, "b": b, "kind": e["kind"], "shared_border_km": round(float(e["shared_border_km"]), 3),
            "distance_km": round(float(e["distance_km"]), 3), "gap_km": round(float(e.get("gap_km", 0.0)), 3),
            "via": list(e.get("via") or ()),
        })
    return {"nodes": nodes, "edges": edges}


def graph_geojson(g) -> dict:
    """Nodes as Points (representative points) and edges as LineStrings, EPSG:4326."""
    data = graph_dict(g)
    pos = {n["code"]: (n["lon"], n["lat"]) for n in data["nodes"]}
    feats = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": list(pos[n["code"]])},
              "properties": {**n, "feature": "municipality"}} for n in data["nodes"]]
    feats += [{"type": "Feature", "geometry": {"type": "LineString", "coordinates": [list(pos[e["a"]]), list(pos[e["b"]])]},
               "properties": {**e, "feature": "link"}} for e in data["edges"]]
    return {"type": "FeatureCollection", "features": feats}
