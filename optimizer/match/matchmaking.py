"""Which group should this municipality join, and why.

:func:`match` offers, for one municipality *i*:

* **join** any existing group near it (its prefecture and the bordering ones) that can take
  a joiner by *hard fact*: open to new members, not full, not locked, open in the scenario,
  and joiners allowed (``max_joiners`` > 0). Members join groups one by one as their own
  contracts end (総務省 2016), so besides the group's next renewal the renewals one cycle
  (``GROUP_CYCLE_YEARS`` = 5) before and after are tried, and the one breaking fewest rules
  is kept. The business rules it would still break (distance, renewal, vendor,
  connectivity, pairing) are **reasons**, listed with the option (``breaks_rules``), never
  silent removals;
* **stay** in its current group, for a member (evaluated as if choosing afresh);
* **new** group: the best few rule-compliant groups containing *i* among the eligible
  municipalities nearby (the solver's candidates containing *i*);
* **alone**: the baseline.

Options are ranked by the model of :mod:`optimizer.match.ranking`, fitted at run time on the
memberships of the data given: the log-odds that a municipality like *i* chooses a group
like this one, from distance, neighbourhood, prefecture, population scale, 市/町村 mix,
spread, size and hazard pairing. Options that follow every rule of the plan and leave every
member at least as well off (individual rationality) come first; then *alone*; then the
others, each saying what it breaks. The features that speak most for and against an option
are its first reasons; the money (the municipality's own account and its nucleolus share of
the group's value, :mod:`optimizer.model.sharing`) and the group's figures are those of
:func:`~optimizer.model.group.score_group`, shown beside (``value_yen``: share plus continuity,
times the chance a new group forms, ``partner_agreement_p`` per partner).

The result also says what the prefecture's optimal plan (:func:`optimizer.solve.plan.propose`,
same scenario; the caller passes it in) does with *i*, and, where its top option differs, why.
Every reason is a :class:`~optimizer.text.Msg`: the outputs write it in the run's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError, Problem
from ..model.context import Context
from ..model.group import GroupScore, score_group
from ..model.rules import base_of, eligible, violations
from ..model.scoring import schedule_money
from ..solve.candidates import closed_to_joiners, enumerate_candidates
from ..text import Items, Msg
from .precedents import group_name, short_name
from .ranking import FEATURES, GroupFrame, model_for, pair_features

GROUP_CYCLE_YEARS = 5
NEW_OPTIONS = 3


@dataclass
class Option:
    """One option for the municipality: join, stay, new or alone.

    ``value_yen`` is what the option is worth to the municipality in yen (its share plus its continuity
    value, times the chance a new group forms); ``model_score`` is the ranking model's log-odds that a
    municipality like it chooses this group (``None`` for *alone*). ``own`` is the municipality's row of
    the group's table: ``npv_yen`` (own account), ``annual_savings_yen``, ``share_yen``, ``transfer_yen``,
    ``shapley_yen`` and ``individually_rational``.
    """

    kind: str
    group_id: str | None
    partners: list[str]
    value_yen: float
    npv_yen: float  # the group's NPV (as `score` reports it)
    annual_savings_yen: float
    continuity_score: float | None
    go_live_fy: int | None
    own: dict
    reasons: list[Msg]
    group: GroupScore | None = None
    rank: int = 0
    model_score: float | None = None
    features: dict | None = None
    breaks_rules: list[str] = field(default_factory=list)
    group_name: str | Msg | None = None
    group_gain_yen: int | None = None  # join/stay: what the existing members gain after sharing
    joins_at_renewal_fy: int | None = None  # join/stay: the group renewal the join aligns with
    formation_probability: float | None = None  # new: the chance every partner agrees
    in_plan: bool = False  # the prefecture's plan chooses this option (its figures are the plan's)

    @property
    def admissible(self) -> bool:
        """An option the plan could take: it breaks no rule and leaves every member at least as well off."""
        return not self.breaks_rules and self.own["individually_rational"]


@dataclass
class MatchResult:
    """What :func:`match` returns: the ranked options (``options``, best first, *alone* always among them),
    what the prefecture's plan does with the municipality (``plan``), the groups that cannot take it and
    why (``blocked_groups``) and the precedents to learn from (filled by the caller)."""

    municipality: str
    name: str
    prefecture: str
    current_group: str | None
    note: Msg | None
    eligible: bool
    plan: dict
    options: list[Option]
    blocked_groups: dict[str, Msg]
    scenario: object = None  # the scenario the options were scored under
    precedents: list[dict] = field(default_factory=list)
    plan_groups: list = field(default_factory=list)  # the prefecture plan's groups (drawn beside the options)

    @property
    def top(self) -> Option:
        return self.options[0]


def _million(v: float) -> str:
    """Signed millions of yen for a reason; amounts under half a million read as ±0, never "+0"."""
    return "±0" if abs(v) < 5e5 else f"{v / 1e6:+,.0f}"


def _scope(ctx: Context, code: str) -> list[str]:
    """The municipality's prefecture and every prefecture it borders (land or sea)."""
    prefs = {code[:2]} | {n[:2] for n in ctx.data.graph.neighbors(code)}
    m = ctx.data.municipalities
    return sorted(m.index[m["prefecture_code"].isin(prefs)])


def _own(ctx, code, g: GroupScore) -> tuple[dict, float]:
    """The municipality's row of the group's table (own account, its share, the transfer) and its value in yen."""
    sh = next(s for s in g.shares if s["code"] == code)
    cont = ctx.scenario.weight_continuity * ctx.scenario.continuity_value_yen * g.continuity.score / 100.0
    own = {"npv_yen": sh["own_npv_yen"], "annual_savings_yen": sh["annual_savings_yen"], "share_yen": sh["share_yen"],
           "transfer_yen": sh["transfer_yen"], "shapley_yen": sh["shapley_yen"],
           "individually_rational": not any(v["rule"] == "individual_rationality" for v in g.violations)}
    return own, ctx.scenario.weight_savings * sh["share_yen"] + cont


def _facts(ctx: Context, code: str, g: GroupScore) -> list[Msg]:
    i = ctx.pos[code]
    others = [c for c in g.members if c != code]
    adjacent = [c for c in others if ctx.pos[c] in ctx.adjacency[i]]
    renew = [int(ctx.renewal[ctx.pos[c]]) for c in g.members]
    switching = [c for c in g.members if ctx.vendor[ctx.pos[c]] != g.vendor and (not g.base_group_id or c in g.joining)]
    out = []
    if adjacent:
        out.append(Msg("match.fact.adjacent", n=len(adjacent), names=Items(ctx.data.name(c) for c in adjacent[:4])))
    spread = max(renew) - min(renew)
    out.append(Msg("match.fact.renewal", spread=spread) if spread else Msg("match.fact.renewal_same"))
    if switching:
        out.append(Msg("match.fact.migrate", vendor=g.vendor, n=len(switching)))
    else:
        out.append(Msg("match.fact.same_vendor", vendor=g.vendor))
    if g.continuity.exposed:
        out.append(Msg("match.fact.paired" if g.continuity.pairing_ok else "match.fact.unpaired"))
    r = g.reduction_rate
    out.append(Msg("match.fact.rate", p10=r["p10"], p90=r["p90"], p50=r["p50"]))
    return out


def _hard_block(ctx: Context, gid: str) -> Msg | None:
    """Why a group cannot take a joiner at all, by hard fact (closed, locked, full), else ``None``."""
    sc = ctx.scenario
    if why := closed_to_joiners(ctx, gid):
        return why
    if sc.max_joiners == 0:
        return Msg("match.no_joiners_allowed")
    if len(ctx.data.group_members[gid]) >= int(ctx.data.groups.at[gid, "max_members"]):
        return Msg("match.full", n=int(ctx.data.groups.at[gid, "max_members"]))
    return None


def _join_options(ctx: Context, code: str, scope: list[str],
                  current: str | None = None) -> tuple[list[Option], dict[str, Msg]]:
    """Every group near the municipality that may take a joiner by hard fact; the business rules it would
    break (distance, renewal, vendor, connectivity, pairing) are reasons, not removals."""
    i = ctx.pos[code]
    options, blocked = [], {}
    near = {ctx.pos[c] for c in scope}
    for gid in sorted(ctx.data.group_members):
        if not any(ctx.pos[c] in near for c in ctx.data.group_members[gid]):
            continue
        if why := _hard_block(ctx, gid):
            blocked[gid] = why
            continue
        nxt = int(ctx.data.groups.at[gid, "next_renewal_fy"])
        best = None
        for renewal in (nxt, nxt - GROUP_CYCLE_YEARS, nxt + GROUP_CYCLE_YEARS):
            base = base_of(ctx, gid, renewal)
            broken = violations(ctx, np.concatenate([base.idx, [i]]), base)
            broken.pop("size", None)  # capacity is checked above as a hard fact
            if best is None or len(broken) < len(best[1]):
                best = (renewal, broken)
            if not broken:
                break
        renewal, broken = best
        g = score_group(ctx, ctx.data.group_members[gid] + [code], base_group=gid, shares=True)
        own, value = _own(ctx, code, g)
        size = len(g.members) - 1
        kind = "stay" if gid == current else "join"
        name = group_name(ctx, gid)
        if kind == "stay":
            reasons = [Msg("match.stay", name=name, n=size)]
        else:
            when = "" if renewal == nxt else Msg("match.aligned", fy=renewal)
            reasons = [Msg("match.join", name=name, n=size) + when]
        reasons += _facts(ctx, code, g)
        gain = sum(s["share_yen"] for s in g.shares if s["role"] == "existing")
        own_gain = sum(s["own_npv_yen"] for s in g.shares if s["role"] == "existing")
        if own_gain >= 0:
            reasons.append(Msg("match.existing_gain", gain=_million(gain)))
        elif gain >= 0:
            reasons.append(Msg("match.existing_compensated", own=_million(own_gain), gain=_million(gain)))
        if not own["individually_rational"]:
            reasons.append(Msg("match.breaks_ir", loss=_million(own_gain)))
        for rule, msg in broken.items():
            reasons.append(Msg("match.breaks_rule", rule=Msg(f"rule.name.{rule}"), message=msg))
        options.append(Option(kind, gid, [c for c in g.members if c != code], value, g.npv_yen,
                              g.annual_savings_yen, g.continuity.score, g.go_live_fy, own, reasons, g,
                              group_gain_yen=round(gain), joins_at_renewal_fy=renewal, group_name=name,
                              breaks_rules=sorted(broken)))
    return options, blocked


def _new_options(ctx: Context, code: str, scope: list[str]) -> list[Option]:
    cs = enumerate_candidates(ctx, scope, seed=code, expansions=False)
    scored = []
    if cs.candidates:  # this municipality's own account in every candidate, in one batch
        width = max(len(c.members) for c in cs.candidates)
        M = np.full((len(cs.candidates), width), -1, dtype=np.int64)
        J = np.full_like(M, -1)
        for r, c in enumerate(cs.candidates):
            M[r, : len(c.members)] = c.members
            J[r, : len(c.join)] = c.join
        money = schedule_money(ctx, M, np.array([c.vendor for c in cs.candidates]), J)
        own = (money["savings_npv_i"] - money["cost_npv_i"])[M == ctx.pos[code]]
        for c, npv in zip(cs.candidates, own):
            scored.append((float(npv), [ctx.codes[k] for k in c.members], c))
    scored.sort(key=lambda t: (-t[0], t[1]))
    options = []
    for _, codes, c in scored[: NEW_OPTIONS + 1]:  # the best by own account; shares (nucleolus) for these only
        g = score_group(ctx, codes, go_live=c.go_live, vendor=ctx.vendor_names[c.vendor], shares=True,
                        join=dict(zip(codes, c.join)))
        own, value = _own(ctx, code, g)
        partners = [p for p in g.members if p != code]
        reasons = [Msg("match.new", n=len(partners), names=Items(ctx.data.name(p) for p in partners))]
        reasons += _facts(ctx, code, g)
        p_form = ctx.model.partner_agreement_p ** len(partners)
        reasons.append(Msg("match.formation", p=p_form, n=len(partners)))
        options.append(Option("new", None, partners, p_form * value, g.npv_yen, g.annual_savings_yen,
                              g.continuity.score, g.go_live_fy, own, reasons, g,
                              formation_probability=round(p_form, 3), group_name=short_name(ctx, g.members)))
    options.sort(key=lambda o: (-o.value_yen, o.partners))
    return options[:NEW_OPTIONS]


def _model_scores(ctx: Context, code: str, options: list[Option], model) -> None:
    """Score every join/stay/new option with the ranking ``model``, and put the features that speak for and
    against it first among its reasons."""
    groups = [o for o in options if o.kind != "alone"]
    if not groups:
        return
    real = GroupFrame.of(ctx)
    q = np.array([ctx.pos[code]])
    X_real, _ = pair_features(ctx, q, real, need=[real.ids.index(o.group_id) for o in groups if o.kind != "new"])
    for o in groups:
        if o.kind == "new":  # a hypothetical group: its features beside the real groups, as in training
            frame = GroupFrame(real.ids + ["new"], real.members + [ctx.positions(o.partners)])
            x = pair_features(ctx, q, frame, need=[len(real.ids)])[0][0, -1]
        else:
            x = X_real[0, real.ids.index(o.group_id)]
        o.model_score = round(float(model.score(x)[0]), 4)
        o.features = {f: round(float(v), 4) for f, v in zip(FEATURES, x)}
        contrib = model.contributions(x)
        order = np.argsort(-contrib, kind="stable")
        pro = [j for j in order[:3] if contrib[j] > 0.05]
        con = [j for j in order[::-1][:1] if contrib[j] < -0.05]
        words = [_feature_reason(FEATURES[j], x[j], True) for j in pro]
        words += [Msg("match.but", reason=_feature_reason(FEATURES[j], x[j], False)) for j in con]
        o.reasons[1:1] = words


def _feature_reason(name: str, v: float, pro: bool = True) -> Msg:
    """A feature's value in words an advisor can repeat (``pro``: it speaks for the option)."""
    km = f"{float(np.expm1(v)):.0f}"
    if name == "log_near_km":
        return Msg("feature.near_km", km=km)
    if name == "near_vs_best":
        return Msg("feature.nearest" if v < 1e-6 else ("feature.nearly_nearest" if pro else "feature.nearer_exists"))
    if name == "near_vs_spacing":
        return Msg("feature.spacing_alike" if v < 0.5 else "feature.spacing_farther")
    if name == "log_centre_km":
        return Msg("feature.centre_km", km=km)
    if name == "adjacent":
        return Msg("feature.adjacent" if v > 0.5 else "feature.not_adjacent")
    if name == "neighbour_share":
        return Msg("feature.neighbour_share", share=v)
    if name == "nearest5_share":
        return Msg("feature.nearest5", n=round(5 * v))
    if name == "same_prefecture":
        return Msg("feature.same_prefecture", share=v)
    if name == "scale_gap":
        return Msg("feature.scale_close" if v < 0.3 else "feature.scale_unlike")
    if name == "city_gap":
        return Msg("feature.city_alike" if v < 0.5 else "feature.city_unlike")
    if name == "log_spread_km":
        return Msg("feature.spread_km", km=km)
    if name == "log_size":
        return Msg("feature.size", n=f"{np.exp(v):.0f}")
    if name == "safe_partner":
        return Msg("feature.safe_partner" if v > 0 else "feature.no_safe_partner")
    return Msg("feature.other", name=name)


def plan_statement(ctx: Context, code: str, plan) -> dict:
    """What the prefecture's plan (``plan``, a :class:`~optimizer.solve.plan.Plan` of the same scenario) does
    with this municipality: ``group_id``, ``members``, ``fy``, ``status`` and ``reason`` (a Msg)."""
    for g in plan.groups:
        if code in g.members:
            moving = code in g.movers
            fy = g.join_fy.get(code, g.go_live_fy)
            if g.base_group_id and moving:
                what = Msg("match.plan.joins", name=group_name(ctx, g.base_group_id), fy=fy)
            elif g.base_group_id:
                what = Msg("match.plan.stays_joined", name=group_name(ctx, g.base_group_id), n=len(g.joining))
            else:
                later = "" if fy == g.founded_fy else Msg("match.plan.later", founded=g.founded_fy, fy=fy)
                what = Msg("match.plan.founds", id=g.id, names=Items(ctx.data.name(c) for c in g.members if c != code),
                           founded=g.founded_fy, later=later)
            return {"group_id": g.base_group_id, "members": g.members, "fy": fy, "status": plan.status, "reason": what}
    if code in ctx.group_of:
        gid = ctx.group_of[code]
        return {"group_id": gid, "members": None, "fy": None, "status": plan.status,
                "reason": Msg("match.plan.stays", name=group_name(ctx, gid))}
    why = eligible(ctx, ctx.pos[code])
    left = next((r for r in plan.left_out if r["code"] == code), None)
    if why is None and left is not None and left["reason_code"] != "partners_elsewhere":
        why = Msg("match.plan.alone_because", reason=Msg(f"reason.{left['reason_code']}"))
    return {"group_id": None, "members": None, "fy": None, "status": plan.status,
            "reason": why or Msg("match.plan.alone_elsewhere")}


def match(ctx: Context, code: str, plan, top: int = 5) -> MatchResult:
    """Ranked options for one municipality (see the module docstring).

    Parameters
    ----------
    ctx : Context
    code : str
        The municipality (5-digit code).
    plan : Plan
        The plan of its prefecture under the same scenario (``propose(ctx, [code[:2]])``), which
        the result states and compares with.
    top : int
        Options to show; *alone* is always shown too.
    """
    if code not in ctx.pos:
        raise InputError(Problem("--municipality", None, None, Msg("input.unknown_code", value=code)))
    statement = plan_statement(ctx, code, plan)
    current = ctx.group_of.get(code)
    # the ranking learns from every membership but this municipality's own
    model = model_for(ctx, exclude=frozenset({code}) if current is not None else frozenset())
    if current is not None:  # evaluate as if choosing afresh: out of its group, its survey values kept
        ctx = Context(ctx.data.without_member(code), ctx.scenario, reuse=ctx)
    i = ctx.pos[code]
    not_eligible = eligible(ctx, i)
    scope = _scope(ctx, code)
    options: list[Option] = []
    blocked: dict[str, Msg] = {}
    if not not_eligible or current is not None:
        joins, blocked = _join_options(ctx, code, scope, current)
        options = joins + ([] if not_eligible else _new_options(ctx, code, scope))
        if not_eligible:  # e.g. unwilling, or alone/locked by the scenario: only staying where it is
            options = [o for o in options if o.kind == "stay"]
    planned = _plan_option(ctx, code, plan)
    if planned is not None:  # the plan's own option, with the plan's figures; the same group is not listed twice
        options = [o for o in options if not _same_group(o, planned)] + [planned]
    _model_scores(ctx, code, options, model)
    alone_reasons = [Msg("match.alone")]
    if not_eligible:
        alone_reasons.append(not_eligible)
    elif not options:
        alone_reasons.append(Msg("match.no_group"))
        for gid, why in list(blocked.items())[:5]:
            alone_reasons.append(Msg("match.blocked", group=gid, why=why))
    elif not any(o.admissible for o in options):
        alone_reasons.append(Msg("match.none_admissible"))
        for o in sorted(options, key=lambda o: -o.model_score)[:3]:
            rules = Items(Msg(f"rule.name.{r}") for r in (o.breaks_rules or ["individual_rationality"]))
            alone_reasons.append(Msg("match.blocked", group=o.group_name or o.group_id, why=rules))
    alone = Option("alone", None, [], 0.0, 0.0, 0.0, None, None,
                   {"npv_yen": 0, "annual_savings_yen": 0, "share_yen": 0, "transfer_yen": 0,
                    "shapley_yen": None, "individually_rational": True}, alone_reasons)
    # the plan's option first (the prefecture's plan, proven or best found); then the model ranks; an option that
    # breaks a rule of the plan or leaves someone worse off comes after "alone"
    by_model = sorted((o for o in options if o is not planned), key=lambda o: (-o.model_score, o.group_id or ""))
    ranked = ([planned] if planned is not None else []) + [o for o in by_model if o.admissible] + [alone] + [
        o for o in by_model if not o.admissible]
    shown = ranked[:top]
    if alone not in shown:
        shown.append(alone)
    for r, o in enumerate(shown, start=1):
        o.rank = r
    first = shown[0]
    if first.group_id in ctx.data.groups.index:
        statement["group_renewal_fy"] = int(ctx.data.groups.at[first.group_id, "next_renewal_fy"])
    agree = (first.kind == "alone" and statement["group_id"] is None and statement["members"] is None) or (
        first.group_id is not None and first.group_id == statement["group_id"]) or (
        first.kind == "new" and statement["members"] is not None
        and sorted(statement["members"]) == sorted(first.group.members))
    if not agree:
        statement["differs"] = _why_differs(first, statement)
    note = None
    if current is not None:
        note = Msg("match.note_member", name=ctx.data.name(code), group=group_name(ctx, current), id=current)
    return MatchResult(code, ctx.data.name(code), str(ctx.data.municipalities.at[code, "prefecture"]), current, note,
                       not not_eligible, statement, shown, blocked, scenario=ctx.scenario,
                       plan_groups=list(plan.groups) if plan is not None else [])


def _plan_option(ctx: Context, code: str, plan) -> Option | None:
    """The prefecture plan's group for the municipality as an option, with the plan's own figures (its
    share set for the whole plan, its own account, the group's NPV in the municipal account); ``None``
    when the plan leaves it where it is."""
    if plan is None or not plan.groups or not plan.groups[0].shares:
        return None
    g = next((g for g in plan.groups if code in g.movers), None)
    if g is None:
        return None
    own, value = _own(ctx, code, g)
    kind = "join" if g.base_group_id else "new"
    name = group_name(ctx, g.base_group_id) if g.base_group_id else short_name(ctx, g.members)
    reason = Msg("match.in_plan", id=g.id, status=Msg(f"status.{plan.status}"), fy=g.join_fy.get(code, g.go_live_fy))
    return Option(kind, g.base_group_id, [c for c in g.members if c != code], value, g.npv_yen, g.annual_savings_yen,
                  g.continuity.score, g.join_fy.get(code, g.go_live_fy), own, [reason] + _facts(ctx, code, g), group=g,
                  group_name=name, breaks_rules=[], in_plan=True)


def _same_group(o: Option, planned: Option) -> bool:
    """Whether an option is the plan's group (the same existing group and members)."""
    return o.group is not None and o.group_id == planned.group_id and sorted(o.group.members) == sorted(
        planned.group.members)


def _why_differs(first: Option, plan: dict) -> Msg:
    """One sentence: why the top-ranked option is not what the prefecture's optimal plan does."""
    if first.breaks_rules:
        return Msg("match.differs.rules", rules=Items(Msg(f"rule.name.{r}") for r in first.breaks_rules))
    aligned = first.joins_at_renewal_fy
    if first.kind in ("join", "stay") and aligned is not None and plan.get("group_renewal_fy") not in (None, aligned):
        return Msg("match.differs.aligned", fy=aligned, next=plan["group_renewal_fy"])
    if not first.own["individually_rational"]:
        return Msg("match.differs.ir")
    if first.kind == "alone":
        return Msg("match.differs.alone")
    if first.kind == "new":
        return Msg("match.differs.new")
    return Msg("match.differs.capacity")
