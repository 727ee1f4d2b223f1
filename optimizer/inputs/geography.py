"""Municipal boundaries, their shared borders, coastlines and distances.

The shipped boundary file is a TopoJSON in which neighbouring municipalities share
their border *arcs* exactly (topology kept through simplification). That makes the
geometry questions the product asks exact and cheap:

* two municipalities are **land neighbours** iff they use a common arc; an arc is a
  polyline of at least two points, so a common arc always has positive length and a
  mere point contact (two polygons meeting in one vertex) is never adjacency;
* the **shared border length** of a pair is the summed geodesic length of their
  common arcs;
* an arc used by exactly one municipality (and by none of the excluded features,
  the 北方領土 villages and 所属未定地) lies on the sea or on a lake: its length is the
  municipality's **coastline**.

Polygons for maps and polygon-to-polygon distances come from the same file read with
GeoPandas (pyogrio/GDAL) and projected to :data:`JAPAN_CRS`, an Albers equal-area
projection centred on Japan (scale error below about 1% over the country).
Straight-line distances between representative points are great-circle distances.
"""

from __future__ import annotations

import json
from itertools import chain
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # geopandas is imported where polygons are read (start-up time of the CLI)
    import geopandas as gpd

#: Excluded features: the six 北方領土 villages (not administered) and 所属未定地 (no code).
NORTHERN_TERRITORIES = frozenset({"01695", "01696", "01697", "01698", "01699", "01700"})

#: Metric CRS used for polygon geometry: Albers equal-area centred on Japan, metres.
JAPAN_CRS = "+proj=aea +lat_0=35 +lon_0=137 +lat_1=30 +lat_2=42 +ellps=GRS80 +units=m +no_defs"

#: Geographic CRS of the source (JGD2000 longitude/latitude; treated as WGS84, < 1 m apart).
SOURCE_CRS = "EPSG:4326"

EARTH_RADIUS_KM = 6371.0088

CODE_FIELD = "N03_007"


@dataclass(frozen=True)
class Topology:
    """Arc topology of the municipal boundaries.

    Attributes
    ----------
    codes : list of str
        Code of each retained municipality, in file order.
    arc_lengths_km : numpy.ndarray
        Geodesic length of every arc in the file.
    arc_users : list of list of int
        For each arc, the indices (into ``codes``) of the retained municipalities using it.
    arc_excluded : numpy.ndarray of bool
        True where an excluded feature (北方領土, 所属未定地) uses the arc.
    """

    codes: list[str]
    arc_lengths_km: np.ndarray
    arc_users: list[list[int]]
    arc_excluded: np.ndarray


def haversine_km(lat1, lon1, lat2, lon2):
    """Great-circle distance in km (vectorised over numpy arrays)."""
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(v, dtype=float)) for v in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def pairwise_km(lat, lon) -> np.ndarray:
    """Great-circle distance between every pair of points (km): :func:`haversine_km` of all pairs, with the
    half-angle differences expanded (sin((b-a)/2) = sin(b/2)cos(a/2) - cos(b/2)sin(a/2)) so that no sine
    or cosine is taken of an n x n array (3x faster for the national matrix; the same values in float32)."""
    phi, lam = np.radians(np.asarray(lat, dtype=float)), np.radians(np.asarray(lon, dtype=float))
    sp, cp, sl, cl = np.sin(phi / 2), np.cos(phi / 2), np.sin(lam / 2), np.cos(lam / 2)
    dphi = np.outer(cp, sp)
    dphi -= np.outer(sp, cp)
    dlam = np.outer(cl, sl)
    dlam -= np.outer(sl, cl)
    a = dphi * dphi
    dlam *= dlam
    dlam *= np.outer(np.cos(phi), np.cos(phi))
    a += dlam
    np.clip(a, 0.0, 1.0, out=a)
    np.sqrt(a, out=a)
    np.arcsin(a, out=a)
    a *= 2 * EARTH_RADIUS_KM
    return a


def _decode_arc_points(topo: dict) -> tuple[np.ndarray, np.ndarray]:
    """Decode quantised, delta-encoded TopoJSON arcs: every point (lon, lat) and the arc it belongs to."""
    arcs = topo["arcs"]
    transform = topo.get("transform")
    counts = np.fromiter((len(a) for a in arcs), dtype=np.int64, count=len(arcs))
    flat = np.fromiter(chain.from_iterable(chain.from_iterable(arcs)), dtype=float)
    if flat.size != 2 * counts.sum():
        raise ValueError("TopoJSON arcs must hold two coordinates per point")
    pts = flat.reshape(-1, 2)
    arc_id = np.repeat(np.arange(len(arcs)), counts)
    if transform:
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        # cumulative sum within each arc: global cumsum minus the cumsum before the arc start
        csum = np.cumsum(pts, axis=0)
        before = np.vstack([np.zeros((1, 2)), csum[:-1]])
        pts = csum - before[starts][arc_id]
        pts = pts * np.asarray(transform["scale"]) + np.asarray(transform["translate"])
    return pts, arc_id


def _segments(pts: np.ndarray, arc_id: np.ndarray):
    """Each segment of every arc: its arc, geodesic length (km) and midpoint (lon, lat)."""
    lon, lat = pts[:, 0], pts[:, 1]
    same = arc_id[:-1] == arc_id[1:]
    seg = haversine_km(lat[:-1], lon[:-1], lat[1:], lon[1:])
    mid = (pts[:-1] + pts[1:]) / 2
    return arc_id[:-1][same], seg[same], mid[same]


def _decode_arc_lengths(topo: dict) -> np.ndarray:
    """Each arc's geodesic length in km."""
    pts, arc_id = _decode_arc_points(topo)
    arc, seg, _ = _segments(pts, arc_id)
    return np.bincount(arc, weights=seg, minlength=len(topo["arcs"]))


def coastline_segments(path: str | Path) -> pd.DataFrame:
    """Every coastline segment (on an arc used by exactly one retained municipality, see
    :func:`coastline_km`) with its municipality, length (km) and midpoint (``lon``, ``lat``).

    Used to say which sea a municipality's coast faces (:mod:`optimizer.inputs.hazard`).
    """
    with open(path, encoding="utf-8") as fh:
        topo = json.load(fh)
    topology = read_topology(path)
    pts, arc_id = _decode_arc_points(topo)
    arc, seg, mid = _segments(pts, arc_id)
    owner = np.full(len(topology.arc_users), -1)
    for a, us in enumerate(topology.arc_users):
        if len(us) == 1 and not topology.arc_excluded[a]:
            owner[a] = us[0]
    keep = owner[arc] >= 0
    codes = np.asarray(topology.codes)
    return pd.DataFrame({"code": codes[owner[arc[keep]]], "km": seg[keep], "lon": mid[keep, 0], "lat": mid[keep, 1]})


def _feature_arcs(geometry: dict) -> set[int]:
    """Indices of the arcs a TopoJSON Polygon/MultiPolygon uses (direction ignored)."""
    rings = geometry.get("arcs") or []
    if geometry["type"] == "MultiPolygon":
        rings = [ring for poly in rings for ring in poly]
    return {a if a >= 0 else ~a for ring in rings for a in ring}


def read_topology(path: str | Path) -> Topology:
    """Read the arc topology of a municipal TopoJSON file.

    Features without a code (所属未定地) and the 北方領土 villages are excluded from
    ``codes`` but remembered per arc, so that a border with them is not mistaken for
    coastline.
    """
    with open(path, encoding="utf-8") as fh:
        topo = json.load(fh)
    lengths = _decode_arc_lengths(topo)
    (obj,) = topo["objects"].values()
    codes: list[str] = []
    users: list[list[int]] = [[] for _ in range(len(lengths))]
    excluded = np.zeros(len(lengths), dtype=bool)
    for geom in obj["geometries"]:
        code = (geom.get("properties") or {}).get(CODE_FIELD)
        arcs = _feature_arcs(geom)
        if not code or code in NORTHERN_TERRITORIES:
            excluded[list(arcs)] = True
            continue
        idx = len(codes)
        codes.append(code)
        for a in arcs:
            users[a].append(idx)
    return Topology(codes=codes, arc_lengths_km=lengths, arc_users=users, arc_excluded=excluded)


def land_borders(topology: Topology) -> pd.DataFrame:
    """Pairs of municipalities sharing a border of positive length.

    Returns
    -------
    pandas.DataFrame
        Columns ``a``, ``b`` (codes, ``a < b``) and ``shared_border_km``.
    """
    acc: dict[tuple[int, int], float] = {}
    for arc, us in enumerate(topology.arc_users):
        if len(us) < 2:
            continue
        for i in range(len(us)):
            for j in range(i + 1, len(us)):
                key = (min(us[i], us[j]), max(us[i], us[j]))
                acc[key] = acc.get(key, 0.0) + float(topology.arc_lengths_km[arc])
    codes = topology.codes
    rows = [(codes[i], codes[j], km) if codes[i] < codes[j] else (codes[j], codes[i], km) for (i, j), km in acc.items()]
    df = pd.DataFrame(rows, columns=["a", "b", "shared_border_km"])
    return df.sort_values(["a", "b"], ignore_index=True)


def coastline_km(topology: Topology) -> pd.Series:
    """Length of each municipality's boundary shared with no other land unit (sea or lake shore), km."""
    out = np.zeros(len(topology.codes))
    for arc, us in enumerate(topology.arc_users):
        if len(us) == 1 and not topology.arc_excluded[arc]:
            out[us[0]] += topology.arc_lengths_km[arc]
    return pd.Series(out, index=pd.Index(topology.codes, name="code"), name="coastline_km")


def read_boundaries(path: str | Path, crs: str | None = JAPAN_CRS) -> gpd.GeoDataFrame:
    """Municipal polygons, one row per retained municipality, indexed by code.

    Parameters
    ----------
    path : path to the TopoJSON file.
    crs : target CRS; ``None`` keeps longitude/latitude (EPSG:4326).
    """
    import geopandas as gpd  # imported here: reading polygons is for maps and derivations only (start-up time)

    gdf = gpd.read_file(path, columns=[CODE_FIELD])
    gdf = gdf[gdf[CODE_FIELD].notna() & ~gdf[CODE_FIELD].isin(NORTHERN_TERRITORIES)]
    gdf = gdf.rename(columns={CODE_FIELD: "code"})[["code", "geometry"]].set_crs(SOURCE_CRS)
    gdf = gdf.set_index("code").sort_index()
    return gdf.to_crs(crs) if crs else gdf


def representative_points(boundaries: gpd.GeoDataFrame) -> pd.DataFrame:
    """A point guaranteed inside each municipality (lat, lon in degrees)."""
    pts = boundaries.representative_point().to_crs(SOURCE_CRS)
    return pd.DataFrame({"lat": pts.y.round(5), "lon": pts.x.round(5)}, index=boundaries.index)


def polygon_pairs_within(boundaries: gpd.GeoDataFrame, km: float) -> pd.DataFrame:
    """All pairs of municipalities whose polygons are at most ``km`` apart (projected CRS).

    Returns columns ``a``, ``b`` (``a < b``) and ``gap_km`` (polygon-to-polygon distance).
    """
    geoms = boundaries.geometry.values
    left, right = boundaries.sindex.query(geoms, predicate="dwithin", distance=km * 1000.0)
    keep = left < right
    left, right = left[keep], right[keep]
    gap = geoms[left].distance(geoms[right]) / 1000.0
    codes = boundaries.index.to_numpy()
    return pd.DataFrame({"a": codes[left], "b": codes[right], "gap_km": gap})
