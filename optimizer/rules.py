"""The business rules, each defined once as a named predicate over a set of municipalities.

Every predicate takes the :class:`~optimizer.context.Context` and a numpy array of
member positions and returns ``None`` when the rule holds, or a sentence saying why it
does not (codes and values named). Candidate generation, the independent validator,
matchmaking and the infeasibility explanations all call these functions; the CP-SAT
model only chooses among sets that passed them.

Rules
-----
* :func:`eligible`: cloud status ``none`` or ``solo``, ``willing``, not listed in
  ``alone`` or ``locked``.
* :func:`size_ok`: ``min_size <= |S| <= max_size``.
* :func:`population_ok`: total census population ``<= max_population``.
* :func:`renewal_ok`: next renewal years at most ``renewal_window_years`` apart.
* :func:`vendor_ok`: in ``vendor_mode = "same"`` one vendor for all members.
* :func:`distance_ok`: every pair within ``max_member_distance_km``.
* :func:`connected`: the members induce a connected subgraph of the graph of land
  neighbours, sea links, transit links and pairs closer than ``link_km``.
* :func:`pairing_ok` (when ``require_inland_partner``): every coastal member has a safe
  partner: an inland member within ``support_km``, or a member at least
  ``hazard_separation_km`` away (not struck by the same tsunami; certificates can be
  issued from the shared cloud). A group without coastal members passes.
"""

from __future__ import annotations

import numpy as np

from .context import Context

Rule = "Callable[[Context, np.ndarray], str | None]"


def _names(ctx: Context, idx) -> str:
    return ", ".join(f"{ctx.codes[i]} {ctx.data.name(ctx.codes[i])}" for i in idx)


def eligible(ctx: Context, i: int) -> str | None:
    """Why municipality ``i`` may not take part in a new or expanded group (None if it may)."""
    code, sc = ctx.codes[i], ctx.scenario
    if not ctx.surveyed[i]:
        return f"{code} is not in the survey"
    if ctx.status[i] == "group":
        return f"{code} is already a member of {ctx.group_of.get(code)}"
    if not ctx.willing[i]:
        return f"{code} is not willing to join (survey)"
    if code in sc.alone:
        return f"{code} must stay alone (scenario)"
    if code in sc.locked:
        return f"{code} is locked (scenario)"
    return None


def size_ok(ctx: Context, idx: np.ndarray) -> str | None:
    sc = ctx.scenario
    if not sc.min_size <= len(idx) <= sc.max_size:
        return f"{len(idx)} members, outside the size bounds {sc.min_size}-{sc.max_size}"
    return None


def population_ok(ctx: Context, idx: np.ndarray) -> str | None:
    total = int(ctx.population[idx].sum())
    if total > ctx.scenario.max_population:
        return f"total population {total:,} exceeds {ctx.scenario.max_population:,}"
    return None


def renewal_ok(ctx: Context, idx: np.ndarray) -> str | None:
    r = ctx.renewal[idx]
    w = ctx.scenario.renewal_window_years
    if r.max() - r.min() > w:
        lo, hi = idx[np.argmin(r)], idx[np.argmax(r)]
        return (f"renewal years of {ctx.codes[lo]} ({r.min()}) and {ctx.codes[hi]} ({r.max()}) are "
                f"{r.max() - r.min()} years apart, window {w}")
    return None


def vendor_ok(ctx: Context, idx: np.ndarray) -> str | None:
    if ctx.scenario.vendor_mode != "same":
        return None
    v = ctx.vendor[idx]
    if len(set(v)) > 1:
        return f"different vendors ({', '.join(sorted(set(v)))}) with vendor_mode 'same'"
    return None


def distance_ok(ctx: Context, idx: np.ndarray) -> str | None:
    d = ctx.distance[np.ix_(idx, idx)]
    k = int(np.argmax(d))
    dmax = float(d.flat[k])
    if dmax > ctx.scenario.max_member_distance_km:
        a, b = idx[k // len(idx)], idx[k % len(idx)]
        return (f"{ctx.codes[a]} and {ctx.codes[b]} are {dmax:.0f} km apart, "
                f"max_member_distance_km {ctx.scenario.max_member_distance_km:g}")
    return None


def connected(ctx: Context, idx: np.ndarray) -> str | None:
    members = set(int(i) for i in idx)
    start = next(iter(members))
    seen, stack = {start}, [start]
    adj = ctx.adjacency
    while stack:
        for j in adj[stack.pop()]:
            if j in members and j not in seen:
                seen.add(j)
                stack.append(j)
    if len(seen) != len(members):
        return f"not connected: {_names(ctx, sorted(members - seen))} not linked to the others"
    return None


def safe_partners(ctx: Context, idx: np.ndarray) -> np.ndarray:
    """For each member: True if it is inland, or coastal with a safe partner in the group."""
    m = ctx.model
    d = ctx.distance[np.ix_(idx, idx)]
    inland = ~ctx.coastal[idx]
    near_inland = (d <= m.support_km) & inland[None, :]
    far = d >= m.hazard_separation_km
    np.fill_diagonal(near_inland, False)
    np.fill_diagonal(far, False)
    return inland | (near_inland | far).any(axis=1)


def pairing_ok(ctx: Context, idx: np.ndarray) -> str | None:
    if not ctx.scenario.require_inland_partner:
        return None
    ok = safe_partners(ctx, idx)
    if not ok.all():
        bad = idx[~ok]
        return (f"coastal {_names(ctx, bad)} without a safe partner: no inland member within "
                f"{ctx.model.support_km:g} km and none {ctx.model.hazard_separation_km:g} km or more away "
                "(require_inland_partner)")
    return None


#: Rules checked on every group, in the order reported.
GROUP_RULES = {
    "size": size_ok,
    "population": population_ok,
    "renewal": renewal_ok,
    "vendor": vendor_ok,
    "distance": distance_ok,
    "connected": connected,
    "pairing": pairing_ok,
}

#: Rules that, once broken by a set, stay broken for every superset (used to prune enumeration).
HEREDITARY = ("population", "renewal", "vendor", "distance")


def violations(ctx: Context, idx, rules=None, size: bool = True) -> dict[str, str]:
    """All broken rules of a member set, by rule name."""
    idx = np.asarray(idx, dtype=np.int64)
    out = {}
    for name, rule in GROUP_RULES.items():
        if (rules and name not in rules) or (name == "size" and not size):
            continue
        msg = rule(ctx, idx)
        if msg:
            out[name] = msg
    return out
