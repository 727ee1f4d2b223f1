"""The municipal graph as plain data: JSON for the CLI, GeoJSON (points and lines) for GIS."""

from __future__ import annotations

import networkx as nx


def graph_json(g: nx.Graph) -> dict:
    """``{"nodes": [...], "edges": [...]}`` sorted by code."""
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


def graph_geojson(g: nx.Graph) -> dict:
    """Nodes as Points (representative points) and edges as LineStrings, EPSG:4326."""
    data = graph_json(g)
    pos = {n["code"]: (n["lon"], n["lat"]) for n in data["nodes"]}
    feats = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": list(pos[n["code"]])},
              "properties": {**n, "feature": "municipality"}} for n in data["nodes"]]
    feats += [{"type": "Feature", "geometry": {"type": "LineString", "coordinates": [list(pos[e["a"]]), list(pos[e["b"]])]},
               "properties": {**e, "feature": "link"}} for e in data["edges"]]
    return {"type": "FeatureCollection", "features": feats}
