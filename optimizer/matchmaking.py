"""Which group should this municipality join, and which precedents to learn from.

:func:`match` ranks three kinds of option for one municipality *i*:

* **join** an open existing group *G* whose rules admit *i* (capacity, vendor mode,
  connectivity, pairing, and the renewal window against the group's renewals). Members
  join existing groups one by one as their own contracts end (総務省 2016 analysis), so
  besides the group's next renewal the renewals one cycle (``GROUP_CYCLE_YEARS`` = 5)
  before and after it are considered: a joiner aligned with the group's previous
  renewal joins mid-cycle. The solver (``propose``) is stricter: it plans joins at the
  group's next renewal only;
* **new** group: the best few groups containing *i* among the eligible municipalities of
  its prefecture and the neighbouring ones (the solver's candidate groups containing *i*);
* **alone**: the baseline (score 0).

Options are ranked by *i*'s share of the group's value (the nucleolus of
:mod:`optimizer.sharing`: its own account -- savings less own costs, NPV -- plus the
transfer it settles with the other members) plus its continuity term
(``weight_continuity * continuity_value_yen * score / 100``) -- the per-member form of
the solver's objective. A new group is worth that only if it forms: every partner must
agree, each with probability ``partner_agreement_p``, so its score is multiplied by
:math:`p^{\text{partners}}`; joining an open existing group needs no new agreement. Every join/new option is re-checked with the business rules
and its group figures are those of :func:`~optimizer.scoring.score_group`.

:func:`precedents` finds the most similar existing groups (population, size, vendor,
region, coastal mix, islands) -- their advisers are the people to invite.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from .candidates import enumerate_candidates, open_groups
from .context import Context
from .errors import InputError, Problem
from .rules import base_of, eligible, violations
from .scoring import GroupScore, member_accounts, score_group
from .synthetic import REGIONS

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
                "score": round(self.score), "npv_yen": round(self.npv_yen),
                "annual_savings_yen": round(self.annual_savings_yen), "continuity_score": self.continuity_score,
                "go_live_fy": self.go_live_fy, "municipality": self.municipality, "reasons": self.reasons,
                **self.extra}


def _million(v: float) -> str:
    """Signed millions of yen for a reason; amounts under half a million read as ±0, never "+0"."""
    return "±0" if abs(v) < 5e5 else f"{v / 1e6:+,.0f}"


def _t(lang: str, ja: str, en: str) -> str:
    return ja if lang == "ja" else en


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


def _join_options(ctx: Context, code: str, scope: list[str], lang: str) -> tuple[list[Option], dict[str, str]]:
    i = ctx.pos[code]
    options, blocked = [], {}
    for gid in open_groups(ctx, {ctx.pos[c] for c in scope}):
        nxt = int(ctx.data.groups.at[gid, "next_renewal_fy"])
        why = None
        for renewal in (nxt, nxt - GROUP_CYCLE_YEARS, nxt + GROUP_CYCLE_YEARS):
            base = base_of(ctx, gid, renewal)
            idx = np.concatenate([base.idx, [i]])
            broken = violations(ctx, idx, base)
            if not broken:
                break
            why = why or "; ".join(broken.values())
        else:
            blocked[gid] = why
            continue
        g = score_group(ctx, ctx.data.group_members[gid] + [code], base_group=gid, shares=True)
        own = _own(ctx, code, g)
        size = len(g.members) - 1
        when = ("" if renewal == nxt else (f"（同グループの{renewal}年度更新に合わせて）" if lang == "ja"
                                            else f" (aligned with its FY{renewal} renewal)"))
        reasons = [_t(lang, f"既存グループ{gid}（{size}団体）に参加", f"join existing group {gid} ({size} members)") + when]
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
            reasons.append(_t(lang, "個別合理性を満たさない：どの配分でも現状より不利な団体が出る（提案の規則に反する）",
                              "breaks individual rationality: some member loses under any split (a rule of the plan)"))
        options.append(Option("join", gid, [c for c in g.members if c != code], own.pop("score"), g.npv_yen,
                              g.annual_savings_yen, g.continuity.score, g.go_live_fy, own, reasons, g,
                              extra={"group_gain_yen": round(gain), "joins_at_renewal_fy": renewal}))
    return options, blocked


def _new_options(ctx: Context, code: str, scope: list[str], lang: str) -> list[Option]:
    cs = enumerate_candidates(ctx, scope, seed=code, expansions=False)
    scored = []
    for c in cs.candidates:
        codes = [ctx.codes[k] for k in c.members]
        acc = member_accounts(ctx, codes, c.go_live, ctx.vendor_names[c.vendor])[code]
        scored.append((acc["npv_yen"], codes, c))
    scored.sort(key=lambda t: (-t[0], t[1]))
    options = []
    for _, codes, c in scored[: 4 * NEW_OPTIONS]:
        g = score_group(ctx, codes, go_live=c.go_live, vendor=ctx.vendor_names[c.vendor], shares=True)
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
                              extra={"formation_probability": round(p_form, 3)}))
    options.sort(key=lambda o: (-o.score, o.partners))
    return options[:NEW_OPTIONS]


def match(ctx: Context, code: str, top: int = 5, lang: str = "ja") -> dict:
    """Ranked options for one municipality (see module docstring)."""
    if code not in ctx.pos:
        raise InputError(Problem("--municipality", None, None, f"unknown municipality code '{code}'"))
    if lang not in ("ja", "en"):
        raise InputError(Problem("--lang", None, None, "must be ja or en"))
    current = ctx.group_of.get(code)
    if current is not None:  # evaluate as if choosing afresh: out of its group, its survey values kept
        ctx = Context(ctx.data.without_member(code), ctx.scenario, reuse=ctx)
    i = ctx.pos[code]
    not_eligible = eligible(ctx, i)
    scope = _scope(ctx, code)
    options: list[Option] = []
    blocked: dict[str, str] = {}
    if not not_eligible:
        joins, blocked = _join_options(ctx, code, scope, lang)
        options = joins + _new_options(ctx, code, scope, lang)
    alone_reasons = [_t(lang, "単独：比較の基準", "stay alone: the baseline")]
    for o in options:
        if current is not None and o.group_id == current:
            o.reasons.insert(0, _t(lang, f"現在の所属グループ（{current}）", f"its current group ({current})"))
    if not_eligible:
        alone_reasons.append(not_eligible)
    elif not options:
        alone_reasons.append(_t(lang, "規則を満たすグループ案がない", "no group option satisfies the rules"))
        for gid, why in list(blocked.items())[:5]:
            alone_reasons.append(f"{gid}: {why}")
    options.append(Option("alone", None, [], 0.0, 0.0, 0.0, None, None,
                          {"npv_yen": 0, "annual_savings_yen": 0, "share_yen": 0, "transfer_yen": 0,
                           "shapley_yen": None, "individually_rational": True}, alone_reasons))
    options.sort(key=lambda o: (-o.score, o.kind != "join", o.group_id or "", o.partners))
    alone = next(o for o in options if o.kind == "alone")
    shown = options[:top]
    if alone not in shown:
        shown.append(alone)
    for r, o in enumerate(shown, start=1):
        o.rank = r
    note = None
    if current is not None:
        note = _t(lang, f"{ctx.data.name(code)}は{current}の構成団体です。選択肢は、いま改めて選ぶ場合として評価しています。",
                  f"{ctx.data.name(code)} is a member of {current}; the options are evaluated as if it were choosing afresh.")
    return {"municipality": code, "name": ctx.data.name(code), "prefecture": ctx.data.municipalities.at[code, "prefecture"],
            "current_group": current, "note": note, "eligible": not not_eligible,
            "candidates": [o.as_dict() for o in shown], "blocked_groups": blocked, "options": shown}


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
