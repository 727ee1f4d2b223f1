"""The municipal graph: land neighbours, sea links, and selections of prefectures.

Nodes are municipality codes. Every edge has ``kind`` (``"land"`` or ``"sea"``),
``shared_border_km`` (0 for sea links), ``distance_km`` (great-circle distance between
the two representative points), ``gap_km`` (polygon-to-polygon distance; 0 on land)
and ``via`` (codes passed through; empty except on transit edges of a selection).

Sea-link rule (national layer)
------------------------------
1. **Land** edges join municipalities that share a border of positive length.
2. **Near sea**: two coastal municipalities on *different land masses* (different
   components of the land graph) whose polygons are within ``sea_link_km``
   (default 10 km) are linked — bridges and short ferry crossings such as 明石–淡路.
3. **Prefecture closure**: inside each prefecture, parts that are still apart and lie on
   different land masses are joined, nearest pair first (Kruskal on the polygon gap),
   so that every prefecture's islands are reached from within the prefecture
   (e.g. 小笠原村 from the nearest 東京都 island, however far).
4. **National closure**: whatever national components remain are joined the same way.

Every sea edge records its polygon gap in ``gap_km``; nothing is linked silently.

Selections
----------
A selection of prefectures is the induced subgraph plus, where that leaves it
disconnected, **transit** edges: the two endpoints of the shortest path (by distance)
through municipalities outside the selection, with ``via`` naming them. 和歌山県北山村
(30427), whose land neighbours are all in 奈良 and 三重, is thus joined by land to the
rest of 和歌山 via 十津川村 instead of becoming an island.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
import pandas as pd

if TYPE_CHECKING:  # geopandas is imported where polygons are read (start-up time of the CLI)
    import geopandas as gpd

from .geography import Topology, haversine_km, land_borders, polygon_pairs_within

#: A municipality is coastal when at least this much of its boundary is coastline (km);
#: below it, the "coast" is a simplification artefact or a tiny lake shore.
COASTAL_MIN_KM = 1.0

#: Default maximum polygon gap for a near sea link between land masses (km).
SEA_LINK_KM = 10.0

NODE_ATTRS = ["name", "prefecture", "prefecture_code", "population", "coastal", "coastline_km", "lat", "lon"]


def _point_distance(munis: pd.DataFrame, a, b) -> np.ndarray:
    la, lb = munis.loc[a], munis.loc[b]
    return haversine_km(la.lat.to_numpy(), la.lon.to_numpy(), lb.lat.to_numpy(), lb.lon.to_numpy())


class _Vertices:
    """Polygon vertices (projected, metres) with their municipality, for nearest-pair queries.

    The distance between two sets of simplified polygons is taken between their
    vertices (a KD-tree query); the chosen pair's ``gap_km`` is then the exact
    polygon-to-polygon distance.
    """

    def __init__(self, boundaries: gpd.GeoDataFrame):
        self.geoms = boundaries.geometry
        import shapely  # imported here: only deriving the edges needs it (start-up time of the CLI)

        coords, owner = shapely.get_coordinates(boundaries.geometry.values, return_index=True)
        self.codes = boundaries.index.to_numpy()
        order = np.argsort(owner, kind="stable")
        self.coords, self.owner = coords[order], owner[order]
        self.pos = {c: i for i, c in enumerate(self.codes)}

    def points(self, codes: list[str]) -> tuple[np.ndarray, np.ndarray]:
        mask = np.isin(self.owner, [self.pos[c] for c in codes])
        return self.coords[mask], self.owner[mask]

    def nearest_pair(self, a: tuple, b: tuple) -> tuple[float, str, str]:
        """(approximate distance m, code in a, code in b) for two ``points()`` results."""
        from scipy.spatial import cKDTree  # imported here: only the national build needs it

        tree = cKDTree(b[0])
        dist, idx = tree.query(a[0])
        k = int(np.argmin(dist))
        return float(dist[k]), self.codes[a[1][k]], self.codes[b[1][idx[k]]]

    def gap_km(self, a: str, b: str) -> float:
        return float(self.geoms.loc[a].distance(self.geoms.loc[b])) / 1000.0


def _join_parts(vertices: _Vertices, parts: list[list[str]]) -> list[tuple[str, str, float]]:
    """Kruskal over parts: the nearest-pair links that connect all parts."""
    if len(parts) < 2:
        return []
    pts = [vertices.points(p) for p in parts]
    cand = sorted(
        (*vertices.nearest_pair(pts[i], pts[j]), i, j) for i, j in itertools.combinations(range(len(parts)), 2)
    )
    uf = nx.utils.UnionFind(range(len(parts)))
    links = []
    for _, a, b, i, j in cand:
        if uf[i] != uf[j]:
            uf.union(i, j)
            links.append((a, b, vertices.gap_km(a, b)))
    return links


def national_edges(
    topology: Topology, boundaries: gpd.GeoDataFrame, munis: pd.DataFrame, sea_link_km: float = SEA_LINK_KM
) -> pd.DataFrame:
    """All edges of the national graph (land and sea) as a frame, per the module rule.

    ``munis`` is indexed by code with ``lat``, ``lon``, ``coastal``, ``prefecture_code``.
    """
    land = land_borders(topology).assign(kind="land", gap_km=0.0)
    g = nx.Graph()
    g.add_nodes_from(munis.index)
    g.add_edges_from(zip(land.a, land.b))
    mass = {c: i for i, comp in enumerate(nx.connected_components(g)) for c in comp}

    coastal = munis.index[munis.coastal.to_numpy()]
    near = polygon_pairs_within(boundaries.loc[coastal], sea_link_km)
    near = near[near.a.map(mass) != near.b.map(mass)]
    sea = [(a, b, gap) for a, b, gap in near.itertuples(index=False)]
    g.add_edges_from((a, b) for a, b, _ in sea)

    vertices = _Vertices(boundaries)
    for _, codes in munis.groupby("prefecture_code").groups.items():
        # parts on the same land mass reach each other by land transit (see select())
        parts = _merge_parts_by_mass(g.subgraph(codes), mass)
        for link in _join_parts(vertices, parts):
            sea.append(link)
            g.add_edge(link[0], link[1])

    parts = [sorted(c) for c in nx.connected_components(g)]
    for link in _join_parts(vertices, parts):
        sea.append(link)
        g.add_edge(link[0], link[1])

    sea_df = pd.DataFrame(sea, columns=["a", "b", "gap_km"])
    swap = sea_df.a > sea_df.b
    sea_df.loc[swap, ["a", "b"]] = sea_df.loc[swap, ["b", "a"]].to_numpy()
    sea_df = sea_df.drop_duplicates(["a", "b"]).assign(kind="sea", shared_border_km=0.0)
    edges = pd.concat([land, sea_df], ignore_index=True)
    edges["distance_km"] = _point_distance(munis, edges.a, edges.b)
    return edges[["a", "b", "kind", "shared_border_km", "distance_km", "gap_km"]].sort_values(
        ["a", "b"], ignore_index=True
    )


def _merge_parts_by_mass(sub: nx.Graph, mass: dict) -> list[list[str]]:
    """Parts of a prefecture: its components, those on one land mass counted as one part.

    A part that is connected to another through a sea edge already is one component of
    ``sub``; components on the same land mass are merged into one part (land transit).
    """
    uf = nx.utils.UnionFind()
    for comp in nx.connected_components(sub):
        comp = sorted(comp)
        for c in comp:
            uf.union(comp[0], c)
        for c in comp:
            uf.union(comp[0], ("mass", mass[c]))
    parts: dict = {}
    for node in sub.nodes:
        parts.setdefault(uf[node], []).append(node)
    return [sorted(p) for p in parts.values()]


def build_graph(munis: pd.DataFrame, edges: pd.DataFrame, group_of: dict[str, str] | None = None) -> nx.Graph:
    """A networkx graph with node attributes from ``munis`` (indexed by code) and the edges."""
    g = nx.Graph()
    group_of = group_of or {}
    cols = [c for c in NODE_ATTRS if c in munis.columns]
    values = [munis[c].tolist() for c in cols]  # column lists: much faster than DataFrame.to_dict
    g.add_nodes_from((code, {"code": code, "group_id": group_of.get(code), **dict(zip(cols, row))})
                     for code, row in zip(munis.index, zip(*values)))
    attrs = [c for c in edges.columns if c not in ("a", "b")]
    g.add_edges_from((a, b, {"via": (), **dict(zip(attrs, row))})
                     for a, b, *row in zip(edges["a"], edges["b"], *(edges[c].tolist() for c in attrs)))
    return g


def select(graph: nx.Graph, prefectures: list[str] | None = None, codes: list[str] | None = None) -> nx.Graph:
    """Subgraph for some prefectures (2-digit codes) or codes, kept connected by transit edges.

    Components of the induced subgraph are joined, one at a time, by the shortest path
    (``distance_km``) through municipalities outside the selection; the new edge has
    ``kind`` "sea" if the path uses a sea link (else "land"), ``via`` = the path's
    interior, ``shared_border_km`` 0, and ``distance_km`` between the endpoints.
    """
    if codes is None:
        wanted = set(prefectures or [])
        codes = [n for n, d in graph.nodes(data=True) if d["prefecture_code"] in wanted]
    chosen = set(codes)
    sub = graph.subgraph(chosen).copy()
    while nx.number_connected_components(sub) > 1:
        comp = min(nx.connected_components(sub), key=min)

        def weight(u, v, d, comp=comp):
            # inside the selection only the start component is passable
            if u in chosen and u not in comp:
                return None
            return d["distance_km"]

        dist, paths = nx.multi_source_dijkstra(graph, comp, weight=weight)
        targets = [t for t in dist if t in chosen and t not in comp]
        if not targets:  # the national graph is connected, so this means a broken input
            raise ValueError(f"selection cannot be connected: {sorted(comp)[:5]}")
        t = min(targets, key=lambda n: (dist[n], n))
        path = paths[t]
        kinds = {graph.edges[u, v]["kind"] for u, v in zip(path, path[1:])}
        a, b = path[0], path[-1]
        da, db = graph.nodes[a], graph.nodes[b]
        sub.add_edge(
            a,
            b,
            kind="sea" if "sea" in kinds else "land",
            shared_border_km=0.0,
            distance_km=float(haversine_km(da["lat"], da["lon"], db["lat"], db["lon"])),
            gap_km=0.0 if kinds == {"land"} else float(
                sum(graph.edges[u, v]["gap_km"] for u, v in zip(path, path[1:]))
            ),
            via=tuple(path[1:-1]),
        )
    return sub
