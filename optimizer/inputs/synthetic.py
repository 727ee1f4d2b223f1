"""Seeded generator of the *synthetic* parts of the sample survey.

What is public per municipality is its geography, population, fiscal strength and,
for 2017, its membership of a 自治体クラウド group. What is **not** public is its vendor,
its system renewal years, whether it runs a solo cloud and its IT cost. The shipped
``data/systems/survey.csv`` fills these with values drawn here, calibrated to the
public aggregates, and names every drawn column in ``synthetic_fields``.

Calibration
-----------
* **Solo cloud** (単独クラウド): for a municipality outside the real groups in population
  band *b*, ``P(solo) = solo_b / (N_b - G_b)`` where ``solo_b`` is the 2016 count of
  solo-cloud municipalities in the band (内閣府 WG資料, 2016-04-01: <50k 330,
  50k-200k 116, 200k-500k 24, >=500k 5), ``N_b`` the number of municipalities and
  ``G_b`` the group members in the band.
* **Vendors**: 15 vendors supply group systems (総務省 2016). Each region draws a
  Dirichlet(0.35) share over the vendors (a few strong regional suppliers); each
  prefecture mixes 60% of its region's shares with 40% of its own Dirichlet(0.5) draw;
  each municipality draws from its prefecture. Vendor names are placeholders.
* **Renewal years**: 5-year cycles. A municipality outside groups renews first in a
  uniformly drawn FY in 2018-2022 and again five years later (both in the survey
  window FY2018-FY2027). A group renews every five years from its start FY; its
  members share its vendor and renewal years.
* **Willingness** to join: 90% of municipalities without a cloud, 75% of solo-cloud ones
  (an assumption: the survey's free-text "reasons joint use is hard" exist but are not
  public).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .schema import AREA_COLUMNS, AREAS

#: Seed of the shipped sample.
DEFAULT_SEED = 20171001

N_VENDORS = 15
#: Vendors whose packages support the 中間標準レイアウト (assumption for the sample).
LAYOUT_VENDORS = 11

SURVEY_FIRST_FY = 2018
SURVEY_LAST_FY = 2027
RENEWAL_CYCLE_YEARS = 5

#: 2016 solo-cloud counts by population band (内閣府 第14回 地方行財政WG 資料6-2).
SOLO_CLOUD_2016 = [(0, 50_000, 330), (50_000, 200_000, 116), (200_000, 500_000, 24), (500_000, 10**9, 5)]

WILLING_P = {"none": 0.90, "solo": 0.75, "group": 1.0}

REGIONS = {
    "北海道": ["01"],
    "東北": ["02", "03", "04", "05", "06", "07"],
    "関東": ["08", "09", "10", "11", "12", "13", "14"],
    "中部": ["15", "16", "17", "18", "19", "20", "21", "22", "23"],
    "近畿": ["24", "25", "26", "27", "28", "29", "30"],
    "中国": ["31", "32", "33", "34", "35"],
    "四国": ["36", "37", "38", "39"],
    "九州沖縄": ["40", "41", "42", "43", "44", "45", "46", "47"],
}


def vendor_table() -> pd.DataFrame:
    """The 15 placeholder vendors (ベンダA..ベンダO) and their layout support."""
    ids = [f"V{i + 1:02d}" for i in range(N_VENDORS)]
    names = [f"ベンダ{chr(ord('A') + i)}" for i in range(N_VENDORS)]
    layout = [i < LAYOUT_VENDORS for i in range(N_VENDORS)]
    return pd.DataFrame({"vendor_id": ids, "name": names, "supports_standard_layout": layout, "synthetic": True})


def _prefecture_vendor_shares(rng: np.random.Generator) -> dict[str, np.ndarray]:
    shares = {}
    for _, prefs in REGIONS.items():
        region = rng.dirichlet(np.full(N_VENDORS, 0.35))
        for p in prefs:
            shares[p] = 0.6 * region + 0.4 * rng.dirichlet(np.full(N_VENDORS, 0.5))
    return shares


def next_renewal(start_fy: int, first_fy: int = SURVEY_FIRST_FY) -> int:
    """First renewal on a 5-year cycle from ``start_fy`` that falls in or after ``first_fy``."""
    k = max(0, -(-(first_fy - start_fy) // RENEWAL_CYCLE_YEARS))
    return start_fy + RENEWAL_CYCLE_YEARS * k


def generate(
    municipalities: pd.DataFrame, groups: pd.DataFrame, members: pd.DataFrame, seed: int = DEFAULT_SEED
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Draw the synthetic survey and the synthetic group attributes.

    Parameters
    ----------
    municipalities : frame with ``code``, ``population``.
    groups : frame with ``group_id``, ``start_fy``, ``listed_member_count``.
    members : frame with ``group_id``, ``code``.
    seed : random seed; the same seed gives the same files.

    Returns
    -------
    (survey, groups) : the survey frame (one row per municipality, survey schema) and
        ``groups`` with ``vendor``, ``next_renewal_fy``, ``open_to_new_members``,
        ``max_members`` and ``synthetic_fields`` added.
    """
    rng = np.random.default_rng(seed)
    muni = municipalities.sort_values("code").reset_index(drop=True)
    shares = _prefecture_vendor_shares(rng)
    vendors = vendor_table()["vendor_id"].to_numpy()
    group_of = dict(zip(members["code"], members["group_id"]))

    g = groups.sort_values("group_id").reset_index(drop=True).copy()
    first_pref = {gid: min(c for c in members.loc[members.group_id == gid, "code"])[:2] for gid in g.group_id}
    g["vendor"] = [rng.choice(vendors, p=shares[first_pref[gid]]) for gid in g.group_id]
    g["next_renewal_fy"] = [next_renewal(int(s)) for s in g.start_fy]
    # Groups are advised to provide for later joiners from the start (総務省 手順とポイント).
    g["open_to_new_members"] = True
    g["max_members"] = [int(n + max(2, round(0.3 * n))) for n in g.listed_member_count]
    g["synthetic_fields"] = "vendor;next_renewal_fy;open_to_new_members;max_members"
    gattr = g.set_index("group_id")

    pop = muni["population"].to_numpy()
    in_group = muni["code"].map(group_of).notna().to_numpy()
    p_solo = np.zeros(len(muni))
    for lo, hi, solo in SOLO_CLOUD_2016:
        band = (pop >= lo) & (pop < hi)
        free = int((band & ~in_group).sum())
        p_solo[band] = min(1.0, solo / free) if free else 0.0

    rows = []
    for i, m in muni.iterrows():
        code = m["code"]
        gid = group_of.get(code)
        if gid is not None:
            status, vendor = "group", gattr.at[gid, "vendor"]
            nxt = int(gattr.at[gid, "next_renewal_fy"])
            areas = {a: "joint" for a in AREAS}
            if gid == "G032":  # 岡崎市・豊橋市 share 国保・年金・税 only (総務省 2016 analysis)
                areas.update({"住民情報": "none", "福祉": "none"})
            synthetic = "vendor;next_renewal_fy;second_renewal_fy;willing"
        else:
            status = "solo" if rng.random() < p_solo[i] else "none"
            vendor = rng.choice(vendors, p=shares[code[:2]])
            nxt = int(rng.integers(SURVEY_FIRST_FY, SURVEY_FIRST_FY + RENEWAL_CYCLE_YEARS))
            areas = {a: status for a in AREAS}
            synthetic = "cloud_status;vendor;next_renewal_fy;second_renewal_fy;areas;willing"
        second = nxt + RENEWAL_CYCLE_YEARS
        rows.append(
            {
                "code": code,
                "cloud_status": status,
                "group_id": gid or "",
                "vendor": vendor,
                "next_renewal_fy": nxt,
                "second_renewal_fy": second if second <= SURVEY_LAST_FY else "",
                **{col: areas[a] for col, a in zip(AREA_COLUMNS, AREAS)},
                "annual_it_cost_yen": "",
                "willing": bool(rng.random() < WILLING_P[status]),
                "synthetic_fields": synthetic,
            }
        )
    return pd.DataFrame(rows), g

