import networkx as nx
import numpy as np
import shapely

from optimizer.inputs import geography


def test_point_contact_is_not_adjacency(data):
    b = data.boundaries
    land = set(zip(data.edges.a[data.edges.kind == "land"], data.edges.b[data.edges.kind == "land"]))
    left, right = b.sindex.query(b.geometry.values, predicate="touches")
    geoms = b.geometry.values
    codes = b.index.to_numpy()
    point_only = [(codes[i], codes[j]) for i, j in zip(left, right) if i < j
                  and shapely.length(shapely.intersection(geoms[i].boundary, geoms[j].boundary)) == 0]
    assert point_only, "the real data has point contacts to test against"
    for a, c in point_only:
        assert (min(a, c), max(a, c)) not in land


def test_shared_border_length_agrees_with_polygon_intersection(data):
    land = data.edges[data.edges.kind == "land"].nlargest(40, "shared_border_km")
    g = data.boundaries.geometry
    for a, c, km in zip(land.a, land.b, land.shared_border_km):
        inter = shapely.length(shapely.intersection(g[a].boundary, g[c].boundary)) / 1000
        assert abs(inter - km) / km < 0.03, (a, c, inter, km)


def test_wakayama_graph_is_connected_with_the_real_coastal_towns(data):
    g = data.prefecture_graph(["30"])
    assert g.number_of_nodes() == 30 and nx.is_connected(g)
    assert not g.nodes["30341"]["coastal"]  # かつらぎ町 inland
    assert g.nodes["30361"]["coastal"] and g.nodes["30362"]["coastal"]  # 湯浅町, 広川町


def test_kitayama_exclave_is_joined_by_land_through_its_neighbours(data):
    g = data.prefecture_graph(["30"])
    links = [(u, v, e) for u, v, e in g.edges("30427", data=True)]
    assert links and all(e["kind"] == "land" and e["via"] for _, _, e in links)
    assert all(not n.startswith("30") for _, _, e in links for n in e["via"])
    # across the border the real land neighbours are kept in the national graph
    assert {n[:2] for n in data.graph.neighbors("30427")} <= {"24", "29"}


def test_tokyo_islands_are_reached_by_visible_sea_links(data):
    g = data.prefecture_graph(["13"])
    assert nx.is_connected(g)
    sea = [(u, v, e) for u, v, e in g.edges(data=True) if e["kind"] == "sea"]
    assert any("13421" in (u, v) for u, v, _ in sea)  # 小笠原村
    assert all(e["gap_km"] > 0 and e["distance_km"] > 0 for _, _, e in sea)


def test_every_prefecture_and_the_country_are_connected(data):
    assert nx.is_connected(data.graph)
    for p in sorted(data.municipalities.prefecture_code.unique()):
        assert nx.is_connected(data.prefecture_graph([p])), p


def test_cross_border_edges_are_kept_when_prefectures_are_selected_together(data):
    g = data.prefecture_graph(["29", "30"])
    assert any(u[:2] != v[:2] for u, v in g.edges)
    assert g.has_edge("29449", "30427") or g.has_edge("30427", "29449")


def test_landlocked_prefectures_have_no_coast(data):
    m = data.municipalities
    for p in ("09", "10", "11", "19", "20", "21", "25", "29"):
        assert not m.loc[m.prefecture_code == p, "coastal"].any(), p


def test_shipped_coastline_matches_the_geometry(data):
    km = geography.coastline_km(data.topology)
    np.testing.assert_allclose(km.loc[data.municipalities.index].round(2), data.municipalities["coastline_km"], atol=0.01)


def test_shipped_edges_equal_a_fresh_derivation_from_the_boundaries(data):
    from optimizer.inputs.graph import national_edges

    fresh = national_edges(data.topology, data.boundaries, data.municipalities)
    shipped = data.edges
    key = ["a", "b"]
    a = fresh.sort_values(key).reset_index(drop=True)
    b = shipped.sort_values(key).reset_index(drop=True)
    assert list(a["a"]) == list(b["a"]) and list(a["b"]) == list(b["b"]) and list(a["kind"]) == list(b["kind"])
    for col in ("shared_border_km", "distance_km", "gap_km"):
        assert np.allclose(a[col].to_numpy(float), b[col].to_numpy(float), atol=1e-5)


def test_pairwise_distances_equal_the_haversine_of_every_pair(data):
    from optimizer.inputs.geography import haversine_km, pairwise_km

    m = data.municipalities
    lat, lon = m["lat"].to_numpy(float), m["lon"].to_numpy(float)
    ref = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    D = pairwise_km(lat, lon)
    assert np.allclose(D, ref, rtol=1e-12, atol=1e-9) and (D.astype(np.float32) == ref.astype(np.float32)).mean() > 0.9999
