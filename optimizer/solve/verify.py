"""Independent validator: re-checks a plan against the scenario and the input data.

Its findings are diagnostics for developers (a plan that fails is a bug, raised as
:class:`~optimizer.errors.ValidationFailure`), so they are written in English here, not in the catalogue.

Written apart from the model: it does not look at candidates or at the CP-SAT model,
only at the plan's groups and the data. For every plan it checks that

* every member of a proposed group is in scope and eligible (joiners of an expansion
  too), no municipality is in two groups, existing members stay exactly as they are,
  and an existing group is expanded at most once;
* every group satisfies every business rule of :mod:`optimizer.model.rules`, and in a roadmap every
  year of its schedule does (each join's timing, the founding cohort, the members present
  connected and, with hard pairing, paired);
* every reported figure equals a fresh :func:`~optimizer.model.scoring.score_group` of the
  same members, go-live year and package, in both accounts;
* the members' shares add up to the group's value to the yen, as do their own accounts
  and annual savings, and (``require_individual_rationality``) no member's share is below
  staying alone; the plan's stability record agrees with the shares (no member more than
  epsilon below its outside option; each listed blocker beats the shares by at most epsilon);
* ``together``, ``apart``, ``alone`` and ``locked`` hold;
* the objective is the sum of the group values and ``alone`` lists exactly the
  eligible municipalities in scope that are in no group; every municipality in scope in no
  group is listed once with a reason, and the roadmap's KPI table adds up to the groups' NPV.
"""

from __future__ import annotations

import math

from ..errors import ValidationFailure
from ..model.context import Context
from ..model.group import score_group
from ..model.rules import base_of, eligible, schedule_violations, violations

FIELDS = ("npv_yen", "national_npv_yen", "annual_savings_yen", "one_off_cost_yen", "subsidy_yen", "value")


def check_plan(ctx: Context, plan, scope: list[str]) -> list[str]:
    """Every violation of ``plan`` (a :class:`~optimizer.solve.plan.Plan`) as a sentence; empty if valid."""
    sc = ctx.scenario
    problems: list[str] = []
    scope_set = set(scope)
    seen: dict[str, str] = {}
    expanded: set[str] = set()
    group_of_code: dict[str, int] = {}
    for k, g in enumerate(plan.groups):
        gid = f"group {k + 1}"
        movers = g.joining if g.base_group_id else g.members
        if g.base_group_id:
            if g.base_group_id in expanded:
                problems.append(f"{gid}: existing group {g.base_group_id} expanded twice")
            expanded.add(g.base_group_id)
            existing = ctx.data.group_members.get(g.base_group_id)
            if existing is None:
                problems.append(f"{gid}: unknown existing group {g.base_group_id}")
                continue
            if sorted(set(g.members) - set(g.joining)) != sorted(existing):
                problems.append(f"{gid}: the members of {g.base_group_id} were changed")
        for c in movers:
            if c not in scope_set:
                problems.append(f"{gid}: {c} is outside the instance")
            elif why := eligible(ctx, ctx.pos[c]):
                problems.append(f"{gid}: {why}")
        for c in g.members:
            if c in seen:
                problems.append(f"{gid}: {c} is also in {seen[c]}")
            seen.setdefault(c, gid)
            group_of_code[c] = k
        base = base_of(ctx, g.base_group_id) if g.base_group_id else None
        order = (sorted(set(g.members) - set(g.joining)) + list(g.joining)) if base else list(g.members)
        for rule, msg in violations(ctx, ctx.positions(order), base).items():
            problems.append(f"{gid}: rule '{rule}' broken: {msg}")
        if sorted(g.join_fy) != sorted(movers):
            problems.append(f"{gid}: join years given for {sorted(g.join_fy)}, not for exactly its moving members")
            continue
        if ctx.roadmap:  # the schedule, year by year: timing of each join, the founding cohort, who is present
            join = [g.join_fy.get(c, -1) for c in order]
            for rule, msg in schedule_violations(ctx, ctx.positions(order), join, base).items():
                problems.append(f"{gid}: rule '{rule}' broken: {msg}")
        elif len(set(g.join_fy.values())) > 1:
            problems.append(f"{gid}: members join in different years in a single-wave plan")
        fresh = score_group(ctx, g.members, go_live=g.go_live_fy, vendor=g.vendor, base_group=g.base_group_id,
                            join=g.join_fy)
        for f in FIELDS:
            a, b = getattr(g, f), getattr(fresh, f)
            if not math.isclose(a, b, rel_tol=1e-9, abs_tol=1.0):
                problems.append(f"{gid}: {f} is {a:,.0f} but re-scoring gives {b:,.0f}")
        if not math.isclose(g.continuity.score, fresh.continuity.score, abs_tol=0.01):
            problems.append(f"{gid}: continuity {g.continuity.score} but re-scoring gives {fresh.continuity.score}")
        problems += [f"{gid}: {p}" for p in check_shares(g, sc.require_individual_rationality)]

    for T in sc.together:
        ks = {group_of_code.get(c) for c in T}
        if len(ks) != 1 or None in ks:
            existing = {ctx.group_of.get(c) for c in T}
            if not (len(existing) == 1 and None not in existing and all(c not in group_of_code for c in T)):
                problems.append(f"together {T} is not in one group")
    for Q in sc.apart:
        ks = [group_of_code.get(c, ctx.group_of.get(c)) for c in Q]
        ks = [k for k in ks if k is not None]
        if len(ks) != len(set(ks)):
            problems.append(f"apart {Q} share a group")
    for c in sc.alone:
        if c in group_of_code:
            problems.append(f"{c} must stay alone but is in group {group_of_code[c] + 1}")
    for c in sc.locked:
        if c in group_of_code and c not in ctx.group_of:
            problems.append(f"{c} is locked but is in group {group_of_code[c] + 1}")

    problems += check_stability(plan)
    total = sum(g.value for g in plan.groups)
    if not math.isclose(plan.objective, total, rel_tol=1e-9, abs_tol=1.0):
        problems.append(f"objective {plan.objective:,.0f} differs from the sum of group values {total:,.0f}")
    in_groups = {c for g in plan.groups for c in (g.joining if g.base_group_id else g.members)}
    expected_alone = sorted(c for c in scope if eligible(ctx, ctx.pos[c]) is None and c not in in_groups)
    if sorted(plan.eligible_alone) != expected_alone:
        problems.append("the 'alone' list does not match the eligible municipalities outside every group")
    # everyone accounted for: each municipality in scope in no group, once, with a reason
    in_any = {c for g in plan.groups for c in g.members} | {c for c in scope if c in ctx.group_of}
    listed = [r["code"] for r in plan.left_out]
    if sorted(listed) != sorted(c for c in scope if c not in in_any):
        problems.append("the list of municipalities in no group does not match the plan")
    if any(not r.get("reason_code") for r in plan.left_out):
        problems.append("a municipality in no group has no reason")
    kpi = plan.kpi
    if kpi:  # the roadmap's table adds up: the years' NPV plus what falls after them is the groups' NPV
        total = kpi[-1]["cumulative_npv_yen"] + plan.npv_after_horizon
        if abs(total - sum(g.npv_yen for g in plan.groups)) > len(kpi) + 1:
            problems.append(f"the KPI's cumulative NPV and what falls after the horizon sum to {total:,.0f}, not the "
                            f"groups' NPV {sum(g.npv_yen for g in plan.groups):,.0f}")
    return problems


def check_shares(g, rational: bool) -> list[str]:
    """The group's table adds up (shares, own accounts, annual savings) and, if ``rational``, no member loses."""
    out = []
    if g.shares is None:
        return ["no shares computed"]
    value = round(g.npv_yen)
    if g.value_yen != value:
        out.append(f"value_yen {g.value_yen} is not the group's municipal NPV {value}")
    for key, total in (("share_yen", value), ("own_npv_yen", value), ("annual_savings_yen", round(g.annual_savings_yen))):
        got = sum(s[key] for s in g.shares)
        if got != total:
            out.append(f"members' {key} sum to {got:,} yen, not the group's {total:,}")
    if sorted(s["code"] for s in g.shares) != sorted(g.members):
        out.append("the shares do not list exactly the members")
    if rational:  # individual rationality: no member below staying alone (0); an existing member: the group as it is
        out += [f"{s['code']} gets {s['share_yen']:,} yen, less than staying alone"
                for s in g.shares if s["share_yen"] < 0]
    return out


def check_stability(plan) -> list[str]:
    """The plan's stability record agrees with its shares: no member gets less than its outside option minus
    the plan's epsilon, the plan is in the core exactly when epsilon is 0, and each listed blocker beats the
    members' shares by at most epsilon (and by the amounts stated)."""
    st = plan.stability
    if st is None or st.get("in_core") is None:
        return []
    out = []
    eps = st["epsilon_yen"]
    if st["in_core"] != (eps == 0):
        out.append(f"in_core {st['in_core']} with epsilon {eps:,} yen")
    share = {}
    for g in plan.groups:
        for s in g.shares:
            share[s["code"]] = s["share_yen"]
            if s["share_yen"] < s["outside_option_yen"] - eps - len(g.members):
                out.append(f"{s['code']} gets {s['share_yen']:,} yen, more than epsilon {eps:,} below its outside "
                           f"option {s['outside_option_yen']:,}")
        if g.base_group_id:
            share[g.base_group_id] = sum(s["share_yen"] for s in g.shares if s["role"] == "existing")
    for b in st["blocking"]:
        got = sum(share.get(c, 0) for c in b["members"])
        if got != b["shares_sum_yen"]:
            out.append(f"blocking {b['members']}: the members' shares sum to {got:,}, not {b['shares_sum_yen']:,}")
        if b["value_yen"] - got > eps + len(b["members"]):
            out.append(f"blocking {b['members']} beats the plan by more than epsilon {eps:,}")
    return out


def validate_plan(ctx: Context, plan, scope: list[str]) -> None:
    """Raise :class:`~optimizer.errors.ValidationFailure` listing every violation of ``plan``."""
    problems = check_plan(ctx, plan, scope)
    if problems:
        raise ValidationFailure("plan failed validation:\n  " + "\n  ".join(problems))
