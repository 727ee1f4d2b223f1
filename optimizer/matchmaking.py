"""Which group should this municipality join, and why -- and which precedents to learn from.

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

Options are ranked by the model of :mod:`optimizer.ranking`, fitted at run time on the
memberships of the data given: the log-odds that a municipality like *i* chooses a group
like this one, from distance, neighbourhood, prefecture, population scale, 市/町村 mix,
spread, size and hazard pairing. Options that follow every rule of the plan and leave every
member at least as well off (individual rationality) come first; then *alone*; then the
others, each saying what it breaks. The features that speak most for and against an option
are its first reasons; the money (the municipality's own account and its nucleolus share of
the group's value, :mod:`optimizer.sharing`) and the group's figures are those of
:func:`~optimizer.scoring.score_group`, shown beside (``value_yen``: share plus continuity,
times the chance a new group forms, ``partner_agreement_p`` per partner).

The result also says what the prefecture's optimal plan (:func:`optimizer.plan.propose`,
same scenario) does with *i*, and, where its top option differs, why in one sentence.

:func:`precedents` finds the most similar existing groups (population, size, vendor,
region, coastal mix, islands) -- their advisers are the people to invite.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from .candidates import closed_to_joiners, enumerate_candidates
from .context import Context
from .errors import InputError, Problem
from .ranking import model_for
from .rules import base_of, eligible, violations
from .scoring import GroupScore, schedule_money, score_group
from .synthetic import REGIONS  # noqa: I001

GROUP_CYCLE_YEARS = 5
NEW_OPTIONS = 3

REGION_OF = {p: r for r, ps in REGIONS.items() for p in ps}


@dataclass
class Option:
    kind: str
    group_id: str | None
    partners: list[str]
    score: float
    npv_yen: float  # the group's NPV (as `score` reports it)
    annual_savings_yen: float
    continuity_score: float | None
    go_live_fy: int | None
    municipality: dict
    reasons: list[str]
    group: GroupScore | None = None
    rank: int = 0
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"rank": self.rank, "kind": self.kind, "group_id": self.group_id, "partners": self.partners,
                "score": self.extra.get("model_score"), "value_yen": round(self.score), "npv_yen": round(self.npv_yen),
                "annual_savings_yen": round(self.annual_savings_yen), "continuity_score": self.continuity_score,
                "go_live_fy": self.go_live_fy, "municipality": self.municipality, "reasons": both(self.reasons),
                **self.extra}


def _million(v: float) -> str:
    """Signed millions of yen for a reason; amounts under half a million read as ±0, never "+0"."""
    return "±0" if abs(v) < 5e5 else f"{v / 1e6:+,.0f}"


class Bi(str):
    """Text in the requested language that carries both languages (``.ja``, ``.en``): the JSON gives
    every reason in both, the table and report the requested one."""

    def __new__(cls, lang: str, ja: str, en: str):
        obj = super().__new__(cls, ja if lang == "ja" else en)
        obj.lang, obj.ja, obj.en = lang, ja, en
        return obj

    def __add__(self, other):
        return Bi(self.lang, self.ja + getattr(other, "ja", str(other)), self.en + getattr(other, "en", str(other)))


def _t(lang: str, ja: str, en: str) -> Bi:
    return Bi(lang, ja, en)


def both(texts: list) -> dict[str, list[str]]:
    """A list of reasons in both languages (plain text, e.g. a rule's message, is the same in both)."""
    return {"ja": [getattr(t, "ja", str(t)) for t in texts], "en": [getattr(t, "en", str(t)) for t in texts]}


def _scope(ctx: Context, code: str) -> list[str]:
    """The municipality's prefecture and every prefecture it borders (land or sea)."""
    prefs = {code[:2]} | {n[:2] for n in ctx.data.graph.neighbors(code)}
    m = ctx.data.municipalities
    return sorted(m.index[m["prefecture_code"].isin(prefs)])


def _own(ctx, code, g: GroupScore) -> dict:
    """The municipality's row of the group's table: own account, its share (nucleolus) and the transfer."""
    sh = next(s for s in g.shares if s["code"] == code)
    cont = ctx.scenario.weight_continuity * ctx.scenario.continuity_value_yen * g.continuity.score / 100.0
    return {"npv_yen": sh["own_npv_yen"], "annual_savings_yen": sh["annual_savings_yen"], "share_yen": sh["share_yen"],
            "transfer_yen": sh["transfer_yen"], "shapley_yen": sh["shapley_yen"],
            "individually_rational": not any(v["rule"] == "individual_rationality" for v in g.violations),
            "score": ctx.scenario.weight_savings * sh["share_yen"] + cont}


def _facts(ctx: Context, code: str, g: GroupScore, lang: str) -> list[str]:
    i = ctx.pos[code]
    others = [c for c in g.members if c != code]
    adjacent = [c for c in others if ctx.pos[c] in ctx.adjacency[i]]
    renew = [int(ctx.renewal[ctx.pos[c]]) for c in g.members]
    switching = [c for c in g.members if ctx.vendor[ctx.pos[c]] != g.vendor and (not g.base_group_id or c in g.joining)]
    out = []
    if adjacent:
        out.append(_t(lang, f"隣接{len(adjacent)}団体（{'、'.join(ctx.data.name(c) for c in adjacent[:4])}）",
                      f"{len(adjacent)} neighbouring member(s) ({', '.join(ctx.data.name(c) for c in adjacent[:4])})"))
    spread = max(renew) - min(renew)
    out.append(_t(lang, f"更新時期の差{spread}年以内", f"renewal years within {spread} year(s)"))
    if switching:
        out.append(_t(lang, f"ベンダ{g.vendor}に統一（{len(switching)}団体が移行）",
                      f"one package {g.vendor} ({len(switching)} member(s) migrate)"))
    else:
        out.append(_t(lang, f"全団体が同一ベンダ{g.vendor}", f"all on the same vendor {g.vendor}"))
    if g.continuity.exposed:
        out.append(_t(lang, "津波の被災想定が異なる相互支援先あり" if g.continuity.pairing_ok
                      else "津波想定区域の団体に相互支援先が不足",
                      "mutual support across tsunami hazard areas in place" if g.continuity.pairing_ok
                      else "members in a tsunami hazard area lack a safe partner"))
    r = g.reduction_rate
    out.append(_t(lang, f"削減率 {r['p10']:.0%}〜{r['p90']:.0%}（中央値{r['p50']:.0%}）",
                  f"reduction {r['p10']:.0%}-{r['p90']:.0%} (median {r['p50']:.0%})"))
    return out


def group_name(ctx: Context, gid: str) -> str:
    """A group's name; a group without one is named by its largest members (e.g. "野田村・普代村ほか2団体")."""
    name = str(ctx.data.groups.at[gid, "name"]) if gid in ctx.data.groups.index else ""
    if name and name.lower() != "nan":
        return name
    codes = sorted(ctx.data.group_members.get(gid, []), key=lambda c: (-ctx.population[ctx.pos[c]], c))
    return _short_name(ctx, codes, "ja")


def _short_name(ctx: Context, codes: list[str], lang: str) -> str:
    """A group named by its first two members and how many more ("A・Bほか2団体", "A, B and 2 more")."""
    more = len(codes) - 2
    return _t(lang, "・".join(ctx.data.name(c) for c in codes[:2]) + (f"ほか{more}団体" if more > 0 else ""),
              ", ".join(ctx.data.name(c) for c in codes[:2]) + (f" and {more} more" if more > 0 else ""))


def _hard_block(ctx: Context, gid: str) -> str | None:
    """Why a group cannot take a joiner at all, by hard fact (closed, locked, full), else ``None``."""
    sc = ctx.scenario
    if why := closed_to_joiners(ctx, gid):
        return why
    if sc.max_joiners == 0:
        return "no joiners allowed (scenario: max_joiners = 0)"
    if len(ctx.data.group_members[gid]) >= int(ctx.data.groups.at[gid, "max_members"]):
        return f"full ({int(ctx.data.groups.at[gid, 'max_members'])} members)"
    return None


def _join_options(ctx: Context, code: str, scope: list[str], lang: str,
                  current: str | None = None) -> tuple[list[Option], dict[str, str]]:
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
        own = _own(ctx, code, g)
        size = len(g.members) - 1
        kind = "stay" if gid == current else "join"
        when = (_t(lang, "", "") if renewal == nxt else
                _t(lang, f"（同グループの{renewal}年度更新に合わせて）", f" (aligned with its FY{renewal} renewal)"))
        name = group_name(ctx, gid)
        if kind == "stay":
            reasons = [_t(lang, f"現在の所属グループ（{name}、{size}団体）にとどまる",
                          f"stay in its current group ({name}, {size} members)")]
        else:
            reasons = [_t(lang, f"既存グループ「{name}」（{size}団体）に参加", f"join {name} ({size} members)") + when]
        reasons += _facts(ctx, code, g, lang)
        gain = sum(s["share_yen"] for s in g.shares if s["role"] == "existing")
        own_gain = sum(s["own_npv_yen"] for s in g.shares if s["role"] == "existing")
        if own_gain >= 0:
            reasons.append(_t(lang, f"既存構成団体にも便益 {_million(gain)}百万円（NPV・配分後）",
                              f"existing members gain too: {_million(gain)} M yen (NPV, after sharing)"))
        elif gain >= 0:
            reasons.append(_t(lang, f"規模差で既存構成団体の削減率が下がる（{_million(own_gain)}百万円）ため、"
                                    f"調整後の配分で既存構成団体に {_million(gain)}百万円",
                              f"the size gap lowers the group's rate ({_million(own_gain)} M yen for existing members); "
                              f"after sharing they get {_million(gain)} M yen"))
        if not own["individually_rational"]:
            reasons.append(_t(lang, f"個別合理性を満たさない：既存構成団体が{_million(own_gain)}百万円の損（提案の規則に反する）",
                              f"breaks individual rationality: the existing members would lose {_million(own_gain)} M yen "
                              "(a rule of the plan)"))
        for rule, msg in broken.items():
            reasons.append(_t(lang, f"規則に反する（{RULE_JA.get(rule, rule)}）：{msg}", f"breaks the {rule} rule: {msg}"))
        options.append(Option(kind, gid, [c for c in g.members if c != code], own.pop("score"), g.npv_yen,
                              g.annual_savings_yen, g.continuity.score, g.go_live_fy, own, reasons, g,
                              extra={"group_gain_yen": round(gain), "joins_at_renewal_fy": renewal,
                                     "group_name": name, "breaks_rules": sorted(broken)}))
    return options, blocked


RULE_JA = {"distance": "距離", "renewal": "更新時期", "vendor": "ベンダ", "connected": "連結性", "pairing": "相互支援",
           "population": "人口", "prefecture": "県境"}


def _new_options(ctx: Context, code: str, scope: list[str], lang: str) -> list[Option]:
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
        own = _own(ctx, code, g)
        partners = [p for p in g.members if p != code]
        reasons = [_t(lang, f"{len(partners)}団体と新グループ（{'、'.join(ctx.data.name(p) for p in partners)}）",
                      f"new group with {len(partners)} partner(s) ({', '.join(ctx.data.name(p) for p in partners)})")]
        reasons += _facts(ctx, code, g, lang)
        p_form = ctx.model.partner_agreement_p ** len(partners)
        reasons.append(_t(lang, f"新グループ成立の見込み {p_form:.0%}（{len(partners)}団体の合意が必要）",
                          f"{p_form:.0%} chance the group forms ({len(partners)} partners must agree)"))
        options.append(Option("new", None, partners, p_form * own.pop("score"), g.npv_yen, g.annual_savings_yen,
                              g.continuity.score, g.go_live_fy, own, reasons, g,
                              extra={"formation_probability": round(p_form, 3), "breaks_rules": [],
                                     "group_name": _short_name(ctx, g.members, lang)}))
    options.sort(key=lambda o: (-o.score, o.partners))
    return options[:NEW_OPTIONS]


def _model_scores(ctx: Context, code: str, options: list[Option], lang: str, model) -> None:
    """Score every join/stay/new option with the ranking ``model``, and put the features that speak for and
    against it first among its reasons."""
    from .ranking import FEATURES, GroupFrame, pair_features

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
        score = float(model.score(x)[0])
        o.extra["model_score"] = round(score, 4)
        o.extra["features"] = {f: round(float(v), 4) for f, v in zip(FEATURES, x)}
        contrib = model.contributions(x)
        order = np.argsort(-contrib, kind="stable")
        pro = [j for j in order[:3] if contrib[j] > 0.05]
        con = [j for j in order[::-1][:1] if contrib[j] < -0.05]
        words = [_feature_reason(FEATURES[j], x[j], lang, True) for j in pro]
        words += [_t(lang, "一方：", "but: ") + _feature_reason(FEATURES[j], x[j], lang, False) for j in con]
        o.reasons[1:1] = [w for w in words if w]


def _feature_reason(name: str, v: float, lang: str, pro: bool = True) -> str:
    """A feature's value in words an advisor can repeat (``pro``: it speaks for the option)."""
    km = float(np.expm1(v))
    texts = {
        "log_near_km": (f"最寄りの構成団体まで {km:.0f} km", f"{km:.0f} km to the nearest member"),
        "near_vs_best": ("最も近いグループ" if v < 1e-6 else ("最も近いグループとの距離の差が小さい" if pro else
                                                           "より近いグループがある"),
                         "the nearest group" if v < 1e-6 else ("nearly as near as the nearest group" if pro else
                                                               "a nearer group exists")),
        "near_vs_spacing": ("構成団体どうしの間隔と同程度の距離" if v < 0.5 else "構成団体どうしの間隔より遠い",
                            "about as far as the members are from each other" if v < 0.5
                            else "farther than the members are from each other"),
        "log_centre_km": (f"グループの中心まで {km:.0f} km", f"{km:.0f} km to the group's centre"),
        "adjacent": ("構成団体と隣接" if v > 0.5 else "構成団体と隣接していない",
                     "borders a member" if v > 0.5 else "borders no member"),
        "neighbour_share": (f"グループに加入している隣接団体の{v:.0%}がこのグループ",
                            f"{v:.0%} of its neighbours in groups are in this one"),
        "nearest5_share": (f"近くの加入団体5つのうち{round(5 * v)}つがこのグループ",
                           f"{round(5 * v)} of the 5 nearest group members are in this one"),
        "same_prefecture": (f"構成団体の{v:.0%}が同じ都道府県", f"{v:.0%} of the members are in its prefecture"),
        "scale_gap": ("人口規模が構成団体に近い" if v < 0.3 else "人口規模が構成団体と異なる",
                      "population scale close to the members'" if v < 0.3 else "population scale unlike the members'"),
        "city_gap": ("市・町村の構成が近い" if v < 0.5 else "市・町村の構成が異なる",
                     "a similar mix of cities and towns" if v < 0.5 else "a different mix of cities and towns"),
        "log_spread_km": (f"構成団体の広がり {km:.0f} km", f"members spread over {km:.0f} km"),
        "log_size": (f"{np.exp(v):.0f}団体のグループ", f"a group of {np.exp(v):.0f}"),
        "safe_partner": ("津波の被災想定が異なる相互支援先がいる" if v > 0 else "津波の被災想定が同じ団体ばかり",
                         "a partner outside its tsunami hazard area" if v > 0 else "no partner outside its tsunami hazard area"),
    }
    ja, en = texts.get(name, (name, name))
    return _t(lang, ja, en)


def _plan_view(ctx: Context, code: str, lang: str) -> dict:
    """What the prefecture's optimal plan (``propose``, same scenario) does with this municipality."""
    from .plan import propose

    key = ("_plan_view", code[:2])
    if key not in ctx.__dict__:  # one plan per prefecture and context (a notebook asks about many municipalities)
        # the statement needs only who goes where: the same plan `propose` validates in full
        ctx.__dict__[key] = propose(ctx, [code[:2]], validate=False, shares=False)[0]
    plan = ctx.__dict__[key]
    for k, g in enumerate(plan.groups, start=1):
        if code in g.members:
            gid = g.base_group_id if g.base_group_id else f"P{k:02d}"
            moving = code in g.movers
            fy = g.join_fy.get(code, g.go_live_fy)
            later = "" if fy == g.founded_fy else _t(lang, f"（{g.founded_fy}年度の設立後、契約の終わる{fy}年度に参加）",
                                                     f" (joining in FY{fy}, when its contract ends)")
            what = (_t(lang, f"{group_name(ctx, g.base_group_id)}に{fy}年度に参加",
                       f"joins {group_name(ctx, g.base_group_id)} in FY{fy}") if g.base_group_id and moving
                    else _t(lang, f"{group_name(ctx, g.base_group_id)}にとどまる（{len(g.joining)}団体が新規参加）",
                            f"stays in {group_name(ctx, g.base_group_id)} ({len(g.joining)} joiner(s))")
                    if g.base_group_id else
                    _t(lang, f"新グループ {gid}（{'、'.join(ctx.data.name(c) for c in g.members if c != code)}）を"
                             f"{g.founded_fy}年度に設立" + getattr(later, "ja", later), f"founds new group {gid} with "
                             f"{', '.join(ctx.data.name(c) for c in g.members if c != code)} in FY{g.founded_fy}"
                             + getattr(later, "en", later)))
            return {"group_id": g.base_group_id, "members": g.members, "fy": fy, "status": plan.status,
                    "reason": what}
    if code in ctx.group_of:
        gid = ctx.group_of[code]
        return {"group_id": gid, "members": None, "fy": None, "status": plan.status,
                "reason": _t(lang, f"{group_name(ctx, gid)}にとどまる（変更なし）", f"stays in {group_name(ctx, gid)} (unchanged)")}
    why = eligible(ctx, ctx.pos[code])
    left = next((r for r in plan.left_out if r["code"] == code), None)
    if why is None and left is not None and left["reason_code"] != "partners_elsewhere":
        why = _t(lang, f"単独のまま：{left['reason_ja']}", f"stays alone: {left['reason_en']}")
    return {"group_id": None, "members": None, "fy": None, "status": plan.status,
            "reason": why or _t(lang, "単独のまま：県全体の最適案では、この団体を含むグループより他の組み合わせの価値が高い",
                                "stays alone: in the prefecture's optimum other combinations are worth more than any "
                                "group with it")}


def match(ctx: Context, code: str, top: int = 5, lang: str = "ja") -> dict:
    """Ranked options for one municipality (see module docstring)."""
    if code not in ctx.pos:
        raise InputError(Problem("--municipality", None, None, f"unknown municipality code '{code}'"))
    if lang not in ("ja", "en"):
        raise InputError(Problem("--lang", None, None, "must be ja or en"))
    plan = _plan_view(ctx, code, lang)
    current = ctx.group_of.get(code)
    # the ranking learns from every membership but this municipality's own
    model = model_for(ctx, exclude=frozenset({code}) if current is not None else frozenset())
    if current is not None:  # evaluate as if choosing afresh: out of its group, its survey values kept
        ctx = Context(ctx.data.without_member(code), ctx.scenario, reuse=ctx)
    i = ctx.pos[code]
    not_eligible = eligible(ctx, i)
    scope = _scope(ctx, code)
    options: list[Option] = []
    blocked: dict[str, str] = {}
    if not not_eligible or current is not None:
        joins, blocked = _join_options(ctx, code, scope, lang, current)
        options = joins + ([] if not_eligible else _new_options(ctx, code, scope, lang))
        if not_eligible:  # e.g. unwilling, or alone/locked by the scenario: only staying where it is
            options = [o for o in options if o.kind == "stay"]
    _model_scores(ctx, code, options, lang, model)
    alone_reasons = [_t(lang, "単独：比較の基準", "stay alone: the baseline")]
    if not_eligible:
        alone_reasons.append(not_eligible)
    elif not options:
        alone_reasons.append(_t(lang, "参加できるグループがない", "no group can take it"))
        for gid, why in list(blocked.items())[:5]:
            alone_reasons.append(f"{gid}: {why}")
    elif not any(map(_admissible, options)):
        alone_reasons.append(_t(lang, "規則をすべて満たす選択肢がない", "no option follows every rule of the plan"))
        for o in sorted(options, key=lambda o: -o.extra["model_score"])[:3]:
            why = ", ".join(o.extra.get("breaks_rules") or ["individual_rationality"])
            alone_reasons.append(f"{o.extra.get('group_name') or o.group_id}: {why}")
    alone = Option("alone", None, [], 0.0, 0.0, 0.0, None, None,
                   {"npv_yen": 0, "annual_savings_yen": 0, "share_yen": 0, "transfer_yen": 0,
                    "shapley_yen": None, "individually_rational": True}, alone_reasons, extra={"breaks_rules": []})
    # the model ranks; an option that breaks a rule of the plan or leaves someone worse off comes after "alone"
    by_model = sorted(options, key=lambda o: (-o.extra["model_score"], o.group_id or ""))
    ranked = [o for o in by_model if _admissible(o)] + [alone] + [o for o in by_model if not _admissible(o)]
    shown = ranked[:top]
    if alone not in shown:
        shown.append(alone)
    for r, o in enumerate(shown, start=1):
        o.rank = r
    first = shown[0]
    if first.group_id in ctx.data.groups.index:
        plan["group_renewal_fy"] = int(ctx.data.groups.at[first.group_id, "next_renewal_fy"])
    agree = (first.kind == "alone" and plan["group_id"] is None and plan["members"] is None) or (
        first.group_id is not None and first.group_id == plan["group_id"]) or (
        first.kind == "new" and plan["members"] is not None and sorted(plan["members"]) == sorted(first.group.members))
    if not agree:
        plan["differs"] = _why_differs(first, plan, lang)
    note = None
    if current is not None:
        note = _t(lang, f"{ctx.data.name(code)}は{group_name(ctx, current)}（{current}）の構成団体です。"
                        "選択肢は、いま改めて選ぶ場合として評価しています。",
                  f"{ctx.data.name(code)} is a member of {group_name(ctx, current)} ({current}); the options are "
                  "evaluated as if it were choosing afresh.")
    return {"municipality": code, "name": ctx.data.name(code), "prefecture": ctx.data.municipalities.at[code, "prefecture"],
            "current_group": current, "note": note, "eligible": not not_eligible, "plan": plan,
            "candidates": [o.as_dict() for o in shown], "blocked_groups": blocked, "options": shown}


def _admissible(o: Option) -> bool:
    """An option the plan could take: it breaks no rule and leaves every member at least as well off."""
    return not o.extra.get("breaks_rules") and o.municipality["individually_rational"]


def _why_differs(first: Option, plan: dict, lang: str) -> str:
    """One sentence: why the top-ranked option is not what the prefecture's optimal plan does."""
    if first.extra.get("breaks_rules"):
        return _t(lang, f"上位の選択肢は規則（{'、'.join(RULE_JA.get(r, r) for r in first.extra['breaks_rules'])}）に"
                        "反するため、最適案には含まれない",
                  f"the top option breaks the {', '.join(first.extra['breaks_rules'])} rule(s), which the plan keeps")
    aligned = first.extra.get("joins_at_renewal_fy")
    if first.kind in ("join", "stay") and aligned is not None and plan.get("group_renewal_fy") not in (None, aligned):
        return _t(lang, f"上位の選択肢はグループの{aligned}年度更新に合わせた参加。最適案（一斉移行の1時点の案）は"
                        f"次回更新（{plan['group_renewal_fy']}年度）での参加だけを扱い、そこでは更新時期の差が"
                        "許容範囲を超える",
                  f"the top option joins at the group's FY{aligned} renewal; the plan (one wave) considers joins at "
                  f"its next renewal (FY{plan['group_renewal_fy']}) only, where the renewal years are too far apart")
    if not first.municipality["individually_rational"]:
        return _t(lang, "上位の選択肢では既存構成団体が損をするため、最適案には含まれない",
                  "in the top option the group's existing members would lose, so the plan does not take it")
    if first.kind == "alone":
        return _t(lang, "最適案は県全体の価値を最大にするため、この団体にも参加を求めている",
                  "the plan maximises the prefecture's total value and places this municipality in a group")
    if first.kind == "new":
        return _t(lang, "新グループは全構成団体の合意が必要で、最適案では相手の団体が別のグループに入る",
                  "a new group needs every partner to agree; in the plan its partners are placed elsewhere")
    return _t(lang, "最適案では、このグループの定員・相手は県全体でより価値の高い組み合わせに使われる",
              "in the plan, that group's capacity and partners are worth more to the prefecture in another combination")


# --- precedents ---------------------------------------------------------------------------------------

def _island_codes(ctx: Context) -> set[str]:
    """Municipalities off the four main islands (land components of fewer than 100 municipalities)."""
    if "islands" not in ctx.__dict__:
        g = nx.Graph()
        g.add_nodes_from(ctx.codes)
        edges = ctx.data.edges
        land = edges[edges["kind"] == "land"]
        g.add_edges_from(zip(land["a"], land["b"]))
        ctx.__dict__["islands"] = {c for comp in nx.connected_components(g) if len(comp) < 100 for c in comp}
    return ctx.__dict__["islands"]


def _profile(ctx: Context, codes: list[str], vendor: str | None) -> dict:
    idx = ctx.positions(codes)
    islands = _island_codes(ctx)
    return {"population": float(ctx.population[idx].sum()), "members": len(codes),
            "mean_population": float(ctx.population[idx].mean()),
            "vendor": vendor, "prefectures": {c[:2] for c in codes}, "regions": {REGION_OF[c[:2]] for c in codes},
            "coastal_share": float(ctx.coastal[idx].mean()), "island_share": float(np.mean([c in islands for c in codes]))}


def precedents(ctx: Context, codes: list[str], top: int = 5, lang: str = "ja") -> list[dict]:
    """The existing groups most similar to a municipality or a proposed group, with the similarity explained.

    Similarity (0-1) is a weighted mean of: size of members (mean population, log
    scale, 0.25), member count (0.15), same vendor (0.15), same prefecture (0.2) or
    region (0.1), coastal share (0.15) and island share (0.1).
    """
    for c in codes:
        if c not in ctx.pos:
            raise InputError(Problem("--members", None, None, f"unknown municipality code '{c}'"))
    vendors = {ctx.vendor[ctx.pos[c]] for c in codes}
    q = _profile(ctx, codes, vendors.pop() if len(vendors) == 1 else None)
    out = []
    for gid, members in sorted(ctx.data.group_members.items()):
        if set(codes) & set(members):
            continue
        g = _profile(ctx, members, str(ctx.data.groups.at[gid, "vendor"]))
        parts = {
            "size": 1 - min(1.0, abs(np.log10(q["mean_population"] / g["mean_population"])) / 1.5),
            "members": 1 - min(1.0, abs(np.log(max(q["members"], 2) / g["members"])) / 2.5),
            "vendor": 1.0 if q["vendor"] and q["vendor"] == g["vendor"] else 0.0,
            "place": 1.0 if q["prefectures"] & g["prefectures"] else (0.5 if q["regions"] & g["regions"] else 0.0),
            "coast": 1 - abs(q["coastal_share"] - g["coastal_share"]),
            "islands": 1 - abs(q["island_share"] - g["island_share"]),
        }
        w = {"size": 0.25, "members": 0.15, "vendor": 0.15, "place": 0.2, "coast": 0.15, "islands": 0.1}
        sim = sum(w[k] * v for k, v in parts.items())
        why = []
        if parts["place"] == 1.0:
            why.append(_t(lang, "同じ都道府県", "same prefecture"))
        elif parts["place"] == 0.5:
            why.append(_t(lang, "同じ地方", "same region"))
        if parts["size"] > 0.7:
            why.append(_t(lang, f"団体規模が近い（平均{g['mean_population']:,.0f}人）",
                          f"similar member size (mean {g['mean_population']:,.0f})"))
        if parts["vendor"]:
            why.append(_t(lang, f"同じベンダ{g['vendor']}", f"same vendor {g['vendor']}"))
        if g["coastal_share"] > 0 and q["coastal_share"] > 0 and parts["coast"] > 0.7:
            why.append(_t(lang, "沿岸団体を含む構成が近い", "similar coastal mix"))
        if g["island_share"] > 0 and q["island_share"] > 0:
            why.append(_t(lang, "離島を含む", "includes islands"))
        out.append({"group_id": gid, "name": ctx.data.groups.at[gid, "name"] or "", "members": g["members"],
                    "population": int(g["population"]), "vendor": g["vendor"],
                    "start_fy": int(ctx.data.groups.at[gid, "start_fy"]), "similarity": round(sim, 3),
                    "components": {k: round(v, 2) for k, v in parts.items()}, "why": why})
    out.sort(key=lambda r: (-r["similarity"], r["group_id"]))
    return out[:top]
