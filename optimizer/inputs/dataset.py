"""Loading the shipped data (or a user's replacement survey and groups) into one :class:`Dataset`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import networkx as nx
import pandas as pd

from ..errors import InputError, Problem
from ..text import Msg
from . import geography, hazard as hz
from .graph import build_graph, national_edges, select
from .tables import check_inputs

BOUNDARY_FILE = "boundaries/N03-21_210101_designated_city.topojson"

#: Credits every output that uses the shipped data must carry.
SOURCES = [
    "「国土数値情報（行政区域データ）」（国土交通省）を加工して作成（2021年1月1日版；SmartNews Media Research Institute による簡略化）",
    "出典：総務省統計局 令和2年国勢調査 人口速報集計（e-Stat）",
    "出典：総務省 住民基本台帳に基づく人口、人口動態及び世帯数（令和4年1月1日現在）",
    "出典：国土地理院 全国都道府県市区町村別面積調（令和8年7月1日）",
    "出典：総務省 地方公共団体の主要財政指標一覧（令和3年度）",
    "自治体クラウドグループ一覧 総務省調べ（平成29年10月現在）",
]



def default_data_dir() -> Path:
    """``$LGCLOUD_DATA`` if set, else the repository's ``data/`` folder."""
    env = os.environ.get("LGCLOUD_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "data"


@dataclass
class Dataset:
    """Everything the models need, validated.

    Attributes
    ----------
    municipalities : DataFrame indexed by code (5-digit str): name, prefecture, population, ...
    survey : DataFrame indexed by code: cloud status, vendor, renewal years, willingness.
    groups : DataFrame indexed by group_id.
    members : DataFrame of (group_id, code).
    vendors : DataFrame indexed by vendor_id.
    paths : the files read, by role.
    hazard : exposure classes, one row per (code, hazard) (:mod:`optimizer.inputs.hazard`); None: none known.
    memo : results derived from this data and kept for re-use by the stages above (the ranking's training
        pairs and fits, the scoring contexts), by key; never part of the data.
    """

    municipalities: pd.DataFrame
    survey: pd.DataFrame
    groups: pd.DataFrame
    members: pd.DataFrame
    vendors: pd.DataFrame
    paths: dict[str, Path]
    hazard: pd.DataFrame | None = None
    memo: dict = field(default_factory=dict, repr=False, compare=False)
    #: the graph of a dataset with the same geography (:meth:`with_changes`), re-used with this data's group ids
    base_graph: nx.Graph | None = field(default=None, repr=False, compare=False)

    @cached_property
    def group_of(self) -> dict[str, str]:
        return dict(zip(self.members["code"], self.members["group_id"]))

    @cached_property
    def group_members(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for gid, code in zip(self.members["group_id"], self.members["code"]):
            out.setdefault(gid, []).append(code)
        return {g: sorted(v) for g, v in out.items()}

    @cached_property
    def topology(self) -> geography.Topology:
        return geography.read_topology(self.paths["boundaries"])

    @cached_property
    def boundaries(self):
        """Polygons in the metric :data:`~optimizer.inputs.geography.JAPAN_CRS`, indexed by code."""
        return geography.read_boundaries(self.paths["boundaries"])

    @cached_property
    def edges(self) -> pd.DataFrame:
        """Edges of the national graph (see :mod:`optimizer.inputs.graph`): read from the shipped ``edges.csv``
        (derived from the boundaries by ``tools/build_data.py``; ``tests/inputs/test_geography.py`` checks it
        equals a fresh derivation) when it exists, else derived from the boundaries (about 2 s)."""
        shipped = self.paths["municipalities"].with_name("edges.csv")
        if shipped.exists() and self.paths["boundaries"].resolve().parent.parent == shipped.resolve().parent.parent:
            return pd.read_csv(shipped, dtype={"a": str, "b": str, "kind": str})
        return national_edges(self.topology, self.boundaries, self.municipalities)

    @cached_property
    def graph(self) -> nx.Graph:
        """The national graph: 1,741 nodes, land and sea edges."""
        if self.base_graph is not None:  # a copy of the same geography's graph, with this data's group ids
            graph = self.base_graph.copy()
            nx.set_node_attributes(graph, {c: self.group_of.get(c) for c in graph}, "group_id")
            return graph
        return build_graph(self.municipalities, self.edges, self.group_of)

    def prefecture_graph(self, prefectures: list[str]) -> nx.Graph:
        """Graph of some prefectures (2-digit codes), kept connected (see :func:`optimizer.inputs.graph.select`)."""
        return select(self.graph, prefectures=prefectures)

    def systems_of(self, code: str) -> tuple[str, list[int]]:
        """A municipality's package and renewal years: its group's for a member of an existing group (members
        renew with their group), else its survey row's; ``("", [])`` when neither knows."""
        gid = self.group_of.get(code)
        if gid is not None and gid in self.groups.index:
            row = self.groups.loc[gid]
            return str(row["vendor"]), [int(row["next_renewal_fy"])]
        if code in self.survey.index:
            row = self.survey.loc[code]
            years = [int(row["next_renewal_fy"])]
            second = row.get("second_renewal_fy")
            if second is not None and second == second:
                years.append(int(second))
            return str(row["vendor"]), years
        return "", []

    def place_name(self, codes) -> Msg:
        """A set of municipalities named by its two most populous ("A・Bほか2団体", "A, B and 2 more")."""
        pop = self.municipalities["population"]
        top = sorted(codes, key=lambda c: (-int(pop.get(c, 0)), c))
        head = [self.name(c) for c in top[:2]]
        if len(head) < 2:
            return Msg("name.one", a=head[0] if head else "")
        more = len(top) - 2
        return Msg("name.short_more" if more > 0 else "name.short", a=head[0], b=head[1], more=more)

    def group_name(self, gid: str) -> str | Msg:
        """An existing group's name from the groups file; one without a name (blank or "-") is named by its
        members (:meth:`place_name`)."""
        name = str(self.groups.at[gid, "name"]) if gid in self.groups.index else ""
        if name.strip() and name.strip().lower() not in ("nan", "-", "none"):
            return name.strip()
        return self.place_name(self.group_members.get(gid, []))

    def shipped(self, role: str) -> bool:
        """Whether the file of ``role`` (``survey``, ``groups``...) is the shipped one."""
        return self.paths[role].resolve() == (default_data_dir() / "systems" / self.paths[role].name).resolve()

    def renewals_before(self, fy: int) -> list[str]:
        """Surveyed municipalities (and existing groups, by id) whose next renewal is before ``fy``: planning from
        ``fy``, their next contract end is taken as that year plus whole contract terms."""
        sv = self.survey["next_renewal_fy"].astype("Int64")
        out = sorted(sv.index[sv.notna() & (sv < fy)])
        gr = self.groups["next_renewal_fy"].astype("Int64")
        return out + sorted(gr.index[gr.notna() & (gr < fy)])

    @property
    def synthetic(self) -> bool:
        """Whether synthetic values feed results: survey rows, existing groups' rows (``synthetic_fields``) or
        vendors marked synthetic (the shipped groups and vendors stay synthetic beside a user's survey)."""
        groups = "synthetic_fields" in self.groups.columns and (self.groups["synthetic_fields"].fillna("") != "").any()
        vendors = "synthetic" in self.vendors.columns and self.vendors["synthetic"].astype(str).str.lower().eq(
            "true").any()
        return bool(self.synthetic_rows or groups or vendors)

    @property
    def synthetic_rows(self) -> int:
        """Survey rows with at least one synthetic value (named in their ``synthetic_fields``)."""
        return int((self.survey["synthetic_fields"].fillna("") != "").sum())

    def with_changes(self, survey: pd.DataFrame | None = None, members: pd.DataFrame | None = None) -> "Dataset":
        """A copy with another survey and/or membership, re-using the geometry already built."""
        new = Dataset(self.municipalities, self.survey if survey is None else survey, self.groups,
                      self.members if members is None else members, self.vendors, dict(self.paths), self.hazard,
                      base_graph=self.graph if "graph" in self.__dict__ else self.base_graph)
        for key in ("topology", "boundaries", "edges"):  # cached properties of the same geography
            if key in self.__dict__:
                new.__dict__[key] = self.__dict__[key]
        return new

    def without_member(self, code: str) -> "Dataset":
        """The data as if ``code`` had left its group (cloud status 'none', survey values kept)."""
        if code not in self.group_of:
            return self
        survey = self.survey.copy()
        survey.loc[code, "cloud_status"] = "none"
        survey.loc[code, "group_id"] = ""
        return self.with_changes(survey=survey, members=self.members[self.members["code"] != code])

    def prefecture_names(self, codes) -> list[str]:
        """The prefectures of some municipalities, by name, sorted (more than one: a group across a line)."""
        return sorted({str(self.municipalities.at[c, "prefecture"]) for c in codes})

    def name(self, code: str) -> str:
        return str(self.municipalities.at[code, "name"]) if code in self.municipalities.index else code


def _read_static(data_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    systems = data_dir / "systems"
    try:
        munis = pd.read_csv(systems / "municipalities.csv", dtype={"code": str, "prefecture_code": str})
        vendors = pd.read_csv(systems / "vendors.csv", dtype=str)
    except FileNotFoundError as exc:
        raise InputError(Problem(str(exc.filename), None, None,
                                 Msg("input.no_shipped_data"))) from None
    munis = munis.set_index("code", drop=False)
    munis.index.name = None
    vendors["supports_standard_layout"] = vendors["supports_standard_layout"].str.lower() == "true"
    vendors = vendors.set_index("vendor_id", drop=False)
    vendors.index.name = None
    return munis, vendors


def load(
    data_dir: str | Path | None = None,
    survey: str | Path | None = None,
    groups: str | Path | None = None,
    group_members: str | Path | None = None,
    hazard: str | Path | None = None,
) -> Dataset:
    """Load and validate the data.

    Parameters
    ----------
    data_dir : folder with ``boundaries/`` and ``systems/`` (default: the repository's ``data/``).
    survey, groups, group_members : replacement files in the schemas of
        :mod:`optimizer.inputs.schema`; default the shipped ones. Given ``groups`` without
        ``group_members``, the members file is looked for beside it as ``group_members.csv``.
    hazard : a file of exposure classes (``code, hazard, class``) replacing the geometric
        classes of the hazards it names (:mod:`optimizer.inputs.hazard`).

    Raises
    ------
    InputError
        Listing every problem in the inputs with file, row and column.
    """
    data_dir = Path(data_dir) if data_dir else default_data_dir()
    systems = data_dir / "systems"
    munis, vendors = _read_static(data_dir)
    survey = Path(survey) if survey else systems / "survey.csv"
    if groups and not group_members:
        group_members = Path(groups).with_name("group_members.csv")
    groups = Path(groups) if groups else systems / "groups.csv"
    group_members = Path(group_members) if group_members else systems / "group_members.csv"
    sv, gr, mb = check_inputs(survey, groups, group_members, munis, set(vendors.index))
    exposure = read_exposure(systems / "hazard.csv", hazard, munis)
    return Dataset(
        municipalities=munis,
        survey=sv,
        groups=gr,
        members=mb,
        vendors=vendors,
        paths={"boundaries": data_dir / BOUNDARY_FILE, "survey": survey, "groups": groups,
               "group_members": group_members, "municipalities": systems / "municipalities.csv",
               "hazard": Path(hazard) if hazard else systems / "hazard.csv"},
        hazard=exposure,
    )


def read_exposure(shipped: Path, supplied: str | Path | None, munis: pd.DataFrame) -> pd.DataFrame:
    """The geometric exposure classes shipped in ``hazard.csv``, overridden by a user's file."""
    try:
        geometric = pd.read_csv(shipped, dtype={"code": str, "hazard": str, "class": str})
    except FileNotFoundError:
        raise InputError(Problem(str(shipped), None, None, Msg("input.no_hazard_file"))) from None
    user = None
    if supplied is not None:
        user = hz.read_hazard_file(supplied, dict(zip(munis["code"], munis["name"])))
    return hz.combine(geometric, user)
