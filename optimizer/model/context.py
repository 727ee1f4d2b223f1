"""Per-municipality arrays the models read, built once from a :class:`~optimizer.inputs.Dataset`.

Scoring is called hundreds of thousands of times by the solver, so the inputs are laid
out as numpy arrays indexed by position (``ctx.pos[code]``), with a full distance matrix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import networkx as nx
import numpy as np

from ..config import ModelParameters, Scenario
from ..errors import InputError, Problem
from ..inputs import hazard
from ..inputs.dataset import Dataset
from ..inputs.geography import pairwise_km
from ..text import Msg
from . import cost


@dataclass
class Context:
    data: Dataset
    scenario: Scenario
    reuse: "Context | None" = None  # a context on the same geography whose distances may be re-used
    #: results derived under this data and scenario, kept for re-use by the stages above (e.g. the prefecture's
    #: plan that ``match`` states), by key
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        d, m = self.data, self.scenario.model
        munis = d.municipalities
        self.codes: list[str] = list(munis.index)
        self.pos = {c: i for i, c in enumerate(self.codes)}
        sv = d.survey.reindex(self.codes)
        self.surveyed = sv["code"].notna().to_numpy()
        self.population = munis["population"].to_numpy(dtype=float)
        self.registry_population = munis["registry_population"].to_numpy(dtype=float)
        self.coastal = munis["coastal"].to_numpy(dtype=bool)
        self.prefecture = munis["prefecture_code"].astype(int).to_numpy()
        # hazard exposure (municipality x hazard of hazard.HAZARDS) and the hazards that need pairing
        self.hazard_exposed = (hazard.exposure_matrix(d.hazard, self.codes) if d.hazard is not None
                               else np.zeros((len(self.codes), len(hazard.HAZARDS)), dtype=bool))
        self.pairing_hazards = [h for h in hazard.HAZARDS if h in self.scenario.pairing_hazards]
        self.exposed = self.hazard_exposed[:, [hazard.HAZARDS.index(h) for h in self.pairing_hazards]]
        self.lat = munis["lat"].to_numpy(dtype=float)
        self.lon = munis["lon"].to_numpy(dtype=float)
        self.status = sv["cloud_status"].fillna("unknown").to_numpy(dtype=object)
        self.willing = sv["willing"].fillna(False).to_numpy(dtype=bool)
        self.vendor = sv["vendor"].fillna("").to_numpy(dtype=object, copy=True)
        self.renewal = sv["next_renewal_fy"].fillna(-1).to_numpy(dtype=int, copy=True)
        # members of an existing group renew and run the package with their group
        for gid, row in d.groups.iterrows():
            for c in d.group_members.get(gid, []):
                self.vendor[self.pos[c]] = row["vendor"]
                self.renewal[self.pos[c]] = int(row["next_renewal_fy"])
        vendor_ids = {v: k for k, v in enumerate(sorted(set(self.vendor)))}
        self.vendor_code = np.array([vendor_ids[v] for v in self.vendor], dtype=np.int64)
        self.vendor_names = sorted(vendor_ids, key=vendor_ids.get)
        for v in d.vendors.index:  # every known package can be a target
            if v not in vendor_ids:
                vendor_ids[v] = len(self.vendor_names)
                self.vendor_names.append(v)
        self.vendor_ids = vendor_ids
        layout = dict(zip(d.vendors.index, d.vendors["supports_standard_layout"]))
        self.migration_factor = np.array([[cost.migration_factor(a, b, layout, m) for b in self.vendor_names]
                                          for a in self.vendor_names])
        reported = sv["annual_it_cost_yen"].astype(float).to_numpy()
        reported_core = (sv["core_system_cost_yen"].astype(float).to_numpy() if "core_system_cost_yen" in sv
                         else np.full(len(self.codes), np.nan))
        self.fsi = munis["fiscal_strength_index"].fillna(0.5).to_numpy(dtype=float)
        self.model: ModelParameters = m
        self.baseline = cost.baseline_cost(self.registry_population, reported, reported_core, self.status == "solo", m,
                                           self.scenario.cost_scope)
        self.subsidy_corr = cost.subsidy_correction(self.fsi, m)
        self.group_of = d.group_of
        sc = self.scenario
        # the roadmap's years: groups go live from first_fy; in a roadmap (roadmap_years > 1) until last_fy
        self.roadmap = sc.roadmap_years > 1
        self.first_fy = sc.planning_fy + m.lead_years
        self.last_fy = sc.planning_fy + sc.roadmap_years - 1 if self.roadmap else None
        if self.reuse is not None and self.reuse.codes == self.codes:
            self.distance = self.reuse.distance
            if self.reuse.scenario.link_km == self.scenario.link_km:
                for key in ("adjacency", "adjacency_matrix"):
                    self.__dict__[key] = getattr(self.reuse, key)
        else:
            self.distance = pairwise_km(self.lat, self.lon).astype(np.float32)
        self.reuse = None  # keep no reference to the other context

    def positions(self, codes) -> np.ndarray:
        unknown = [c for c in codes if c not in self.pos]
        if unknown:
            raise InputError([Problem("members", None, None, Msg("input.unknown_code", value=c)) for c in unknown])
        return np.fromiter((self.pos[c] for c in codes), dtype=np.int64, count=len(codes))

    @cached_property
    def adjacency(self) -> list[set[int]]:
        """Neighbours by position: land and sea edges, each prefecture's transit edges
        (e.g. 北山村-新宮市 via 熊野市), plus pairs closer than ``link_km``."""
        graph = self.data.graph
        edges = list(graph.edges())
        by_pref: dict[str, list[str]] = {}
        for c in self.codes:
            by_pref.setdefault(c[:2], []).append(c)
        for p, codes in sorted(by_pref.items()):
            if nx.is_connected(graph.subgraph(codes)):
                continue  # a connected prefecture has no transit edges
            sub = self.data.prefecture_graph([p])
            edges += [(a, b) for a, b, via in sub.edges(data="via") if via]
        adj = [set() for _ in self.codes]
        for a, b in edges:
            i, j = self.pos[a], self.pos[b]
            adj[i].add(j)
            adj[j].add(i)
        if self.scenario.link_km > 0:
            ii, jj = np.nonzero(self.distance < self.scenario.link_km)
            for i, j in zip(ii, jj):
                if i != j:
                    adj[i].add(int(j))
        return adj

    @cached_property
    def rule_links(self) -> np.ndarray:
        """Links of the connectivity rule: :attr:`adjacency_matrix` plus pairs at most ``connect_km`` apart."""
        L = self.adjacency_matrix | (self.distance <= self.scenario.connect_km)
        np.fill_diagonal(L, False)
        return L

    @cached_property
    def adjacency_matrix(self) -> np.ndarray:
        """Boolean matrix form of :attr:`adjacency`."""
        A = np.zeros((len(self.codes), len(self.codes)), dtype=bool)
        for i, nb in enumerate(self.adjacency):
            A[i, list(nb)] = True
        return A
