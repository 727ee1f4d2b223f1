r"""Hazard exposure: which municipalities one disaster can strike together.

Each municipality has an exposure *class* per *hazard*:

========================  =====================================================================
hazard                    meaning
========================  =====================================================================
``nankai``                tsunami of the Nankai / Sagami troughs: the Pacific coast from 房総 to
                          the east coast of 九州, the Seto Inland Sea, the 伊豆・小笠原 islands
``japan_trench``          tsunami of the Japan and Kuril (千島) trenches: the Pacific coast of
                          北海道 and of 東北 down to 茨城 and north-east 千葉
``other_coast``           any other sea coast (Sea of Japan, East China Sea, 南西諸島, オホーツク海)
========================  =====================================================================

Classes are ``none``, ``exposed`` and ``special`` (a designated special-strengthening area,
e.g. 南海トラフ地震津波避難対策特別強化地域); ``exposed`` and ``special`` both count as exposed.

Default: derived from geometry
------------------------------
The shipped ``data/systems/hazard.csv`` is **derived from the boundary geometry, not from an
official designation**: every coastline segment of the boundary file (an arc used by one
municipality only, see :func:`optimizer.inputs.geography.coastline_segments`) is assigned to a sea
area by its midpoint, with the coarse longitude/latitude lines of :func:`sea_area`; a
municipality is ``exposed`` to a hazard when at least ``COASTAL_MIN_KM`` (1 km) of its coast
lies in that hazard's sea area. Shores of the large lakes (琵琶湖, 霞ヶ浦・北浦, 猪苗代湖) are
not sea. The lines are an assumption, stated here and in the data README.

Official designations
---------------------
The intended input is the official lists (南海トラフ地震防災対策推進地域: 707 municipalities,
津波避難対策特別強化地域: 139, 2014; 日本海溝・千島海溝周辺海溝型地震防災対策推進地域 and its
特別強化地域). They are not shipped: no complete, credited per-municipality list is in the
project's sources (only the counts). A user supplies them with ``--hazard FILE`` (columns
``code, hazard, class``); a hazard named in the file replaces the geometric classes of that
hazard for every municipality (unlisted ones become ``none``); hazards the file does not name
keep their geometric classes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..config import HAZARDS
from ..errors import InputError, Problem
from ..text import Msg
from .graph import COASTAL_MIN_KM  # coast in a sea area for exposure (km), as for "coastal"
from .schema import HAZARD_COLUMNS
from .tables import parse_table

__all__ = ["HAZARDS", "CLASSES", "sea_area", "geometry_exposure", "read_hazard_file", "combine", "exposure_counts",
           "exposure_matrix"]
CLASSES = ("none", "exposed", "special")


#: Lakes whose shores are not sea: (lon_min, lon_max, lat_min, lat_max).
LAKES = {
    "琵琶湖": (135.83, 136.30, 34.95, 35.56),
    "霞ヶ浦・北浦": (140.20, 140.62, 35.90, 36.22),
    "猪苗代湖": (139.95, 140.15, 37.40, 37.62),
}


def _japan_sea_line(lon: np.ndarray) -> np.ndarray:
    """Latitude separating the Pacific / Seto coast (south) from the Sea of Japan coast (north) of
    本州 and 山口 (a step function in longitude read off the coastline)."""
    return np.select([lon < 130.9, lon < 132.2, lon < 133.0, lon < 137.0, lon < 139.0],
                     [0.0, 34.15, 34.60, 35.30, 35.90], 36.50)


def sea_area(lon, lat) -> np.ndarray:
    """The sea area (``nankai``, ``japan_trench``, ``other_coast``; ``lake``) of coast points.

    Coarse lines (an assumption, documented in the module docstring):

    * 北海道 (lat >= 41.35): ``japan_trench`` east of 140.4 E and south of the line
      lat = 42.8 + 0.3 (lon - 141) (the Pacific coast from 函館 to 根室); else ``other_coast``.
    * 東北 and 関東 east of 140.8 E (35.3 <= lat < 41.35; from 36.9 N southward east of
      140.3 E): ``japan_trench``.
    * south of 28 N (南西諸島 but not 小笠原, east of 140 E): ``other_coast``.
    * elsewhere: ``nankai`` south of :func:`_japan_sea_line` (and east of 130.9 E in 九州),
      ``other_coast`` north of it (the Sea of Japan coast, 九州's west coast).
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    out = np.full(lon.shape, "other_coast", dtype=object)
    hokkaido = lat >= 41.35
    out[hokkaido & (lon >= 140.4) & (lat < 42.8 + 0.3 * (lon - 141.0))] = "japan_trench"
    honshu = ~hokkaido & (lat >= 28.0)
    trench = honshu & (((lat >= 36.9) & (lon >= 140.8)) | ((lat >= 35.3) & (lat < 36.9) & (lon >= 140.3)))
    out[trench] = "japan_trench"
    south = honshu & ~trench & (lat < _japan_sea_line(lon))
    out[south] = "nankai"
    out[(lat < 28.0) & (lon > 140.0)] = "nankai"  # 小笠原 (伊豆・小笠原 trench)
    for lo0, lo1, la0, la1 in LAKES.values():
        out[(lon >= lo0) & (lon <= lo1) & (lat >= la0) & (lat <= la1)] = "lake"
    return out


def geometry_exposure(segments: pd.DataFrame, codes) -> pd.DataFrame:
    """Exposure classes derived from coastline segments (``code, km, lon, lat``).

    Returns one row per (code, hazard) for every code in ``codes``: ``code``, ``hazard``,
    ``class`` (``exposed`` or ``none``), ``coastline_km`` (coast in that hazard's sea area).
    """
    seg = segments.assign(area=sea_area(segments["lon"], segments["lat"]))
    km = seg.groupby(["code", "area"])["km"].sum().unstack(fill_value=0.0)
    rows = []
    for c in codes:
        for h in HAZARDS:
            k = float(km.at[c, h]) if c in km.index and h in km.columns else 0.0
            rows.append({"code": c, "hazard": h, "class": "exposed" if k >= COASTAL_MIN_KM else "none",
                         "coastline_km": round(k, 2)})
    return pd.DataFrame(rows)


def read_hazard_file(path: str | Path, known_codes: dict[str, str]) -> pd.DataFrame:
    """Read and validate a user's exposure file (``code, hazard, class``; Japanese labels accepted:
    団体コード, 災害, 区分 with 南海トラフ津波 / 推進地域 / 特別強化地域 ...).

    Validated like the survey (:func:`optimizer.inputs.tables.parse_table`): every problem at once,
    with file, row and column. Raises :class:`~optimizer.errors.InputError`.
    """
    name = Path(path).name
    df, problems = parse_table(path, HAZARD_COLUMNS, known_codes)
    if not problems and df.empty:
        problems.append(Problem(name, None, None, Msg("input.no_rows")))
    if "row_" in df:
        first: dict = {}
        for row, c, h in zip(df["row_"], df["code"], df["hazard"]):
            if h is None or not c:
                continue
            if (c, h) in first:
                problems.append(Problem(name, row, "hazard", Msg("input.hazard_twice", code=c, hazard=h, first=first[(c, h)])))
            first.setdefault((c, h), row)
    if problems:
        raise InputError(problems)
    return df[["code", "hazard", "class"]].astype(str).reset_index(drop=True)


def combine(geometric: pd.DataFrame, supplied: pd.DataFrame | None) -> pd.DataFrame:
    """Geometric classes, with every hazard named in ``supplied`` replaced by the supplied classes.

    Adds a ``source`` column: ``geometry`` or ``file``.
    """
    out = geometric.assign(source="geometry")
    if supplied is None or supplied.empty:
        return out
    named = set(supplied["hazard"])
    given = supplied.set_index(["code", "hazard"])["class"]
    rows = out["hazard"].isin(named)
    keys = list(zip(out.loc[rows, "code"], out.loc[rows, "hazard"]))
    out.loc[rows, "class"] = [given.get(k, "none") for k in keys]
    out.loc[rows, "source"] = "file"
    return out


def exposure_counts(table: pd.DataFrame) -> dict[str, dict]:
    """Per hazard: municipalities exposed (``exposed`` or ``special``) and where the classes came from."""
    out = {}
    for h in HAZARDS:
        rows = table[table["hazard"] == h]
        out[h] = {"exposed": int(rows["class"].isin(("exposed", "special")).sum()),
                  "source": "file" if (rows["source"] == "file").any() else "geometry"}
    return out


def exposure_matrix(table: pd.DataFrame, codes: list[str]) -> np.ndarray:
    """Boolean matrix (municipality x hazard in :data:`HAZARDS` order): exposed or special."""
    pos = {c: i for i, c in enumerate(codes)}
    E = np.zeros((len(codes), len(HAZARDS)), dtype=bool)
    hz = {h: k for k, h in enumerate(HAZARDS)}
    exposed = table[table["class"].isin(("exposed", "special"))]
    for c, h in zip(exposed["code"], exposed["hazard"]):
        if c in pos and h in hz:
            E[pos[c], hz[h]] = True
    return E
