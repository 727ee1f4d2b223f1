"""Which existing groups are most like a municipality or a proposed group: whose advisers to invite.

Similarity (0-1) is a weighted mean of: size of members (mean population, log scale, 0.25),
member count (0.15), same vendor (0.15), same prefecture (0.2) or region (0.1), coastal share
(0.15) and island share (0.1). Each precedent says why it is similar (:class:`~optimizer.text.Msg`).
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from ..errors import InputError, Problem
from ..inputs.synthetic import REGIONS
from ..model.context import Context
from ..text import Msg

REGION_OF = {p: r for r, ps in REGIONS.items() for p in ps}
WEIGHTS = {"size": 0.25, "members": 0.15, "vendor": 0.15, "place": 0.2, "coast": 0.15, "islands": 0.1}


def island_codes(ctx: Context) -> set[str]:
    """Municipalities off the four main islands (land components of fewer than 100 municipalities)."""
    key = "island_codes"
    if key not in ctx.data.memo:
        g = nx.Graph()
        g.add_nodes_from(ctx.codes)
        edges = ctx.data.edges
        land = edges[edges["kind"] == "land"]
        g.add_edges_from(zip(land["a"], land["b"]))
        ctx.data.memo[key] = {c for comp in nx.connected_components(g) if len(comp) < 100 for c in comp}
    return ctx.data.memo[key]


def _profile(ctx: Context, codes: list[str], vendor: str | None) -> dict:
    idx = ctx.positions(codes)
    islands = island_codes(ctx)
    return {"population": float(ctx.population[idx].sum()), "members": len(codes),
            "mean_population": float(ctx.population[idx].mean()),
            "vendor": vendor, "prefectures": {c[:2] for c in codes}, "regions": {REGION_OF[c[:2]] for c in codes},
            "coastal_share": float(ctx.coastal[idx].mean()), "island_share": float(np.mean([c in islands for c in codes]))}


def group_name(ctx: Context, gid: str) -> str | Msg:
    """A group's name (:meth:`optimizer.inputs.dataset.Dataset.group_name`)."""
    return ctx.data.group_name(gid)


def short_name(ctx: Context, codes: list[str]) -> Msg:
    """A set named by its two most populous members (:meth:`optimizer.inputs.dataset.Dataset.place_name`)."""
    return ctx.data.place_name(codes)


def precedents(ctx: Context, codes: list[str], top: int = 5) -> list[dict]:
    """The existing groups most similar to a municipality or a proposed group, with the similarity explained.

    Parameters
    ----------
    ctx : Context
    codes : list of str
        One municipality, or the members of a (proposed) group; groups holding any of them are skipped.
    top : int
        How many to return, most similar first.

    Returns
    -------
    list of dict
        ``group_id``, ``name``, ``members``, ``population``, ``vendor``, ``start_fy``, ``similarity`` (0-1),
        ``components`` (each part's 0-1 value) and ``why`` (:class:`~optimizer.text.Msg` list).
    """
    for c in codes:
        if c not in ctx.pos:
            raise InputError(Problem("--members", None, None, Msg("input.unknown_code", value=c)))
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
        sim = sum(WEIGHTS[k] * v for k, v in parts.items())
        why = []
        if parts["place"] == 1.0:
            why.append(Msg("precedent.same_prefecture"))
        elif parts["place"] == 0.5:
            why.append(Msg("precedent.same_region"))
        if parts["size"] > 0.7:
            why.append(Msg("precedent.similar_size", mean=g["mean_population"]))
        if parts["vendor"]:
            why.append(Msg("precedent.same_vendor", vendor=g["vendor"]))
        if g["coastal_share"] > 0 and q["coastal_share"] > 0 and parts["coast"] > 0.7:
            why.append(Msg("precedent.coastal_mix"))
        if g["island_share"] > 0 and q["island_share"] > 0:
            why.append(Msg("precedent.islands"))
        out.append({"group_id": gid, "name": group_name(ctx, gid), "members": g["members"],
                    "population": int(g["population"]), "vendor": g["vendor"],
                    "start_fy": int(ctx.data.groups.at[gid, "start_fy"]), "similarity": round(sim, 3),
                    "components": {k: round(v, 2) for k, v in parts.items()}, "why": why})
    out.sort(key=lambda r: (-r["similarity"], r["group_id"]))
    return out[:top]
