"""One typed configuration: the scenario (business rules, objective) and the model parameters.

Every field has a default and, in its comment, the source of that default or the stated
reason for it. A TOML scenario file overrides fields by name: scenario fields are
top-level keys, model parameters go in a ``[model]`` table. Unknown keys are an error.

Example::

    planning_fy = 2019
    renewal_window_years = 2
    vendor_mode = "migrate"
    together = [["30341", "30361"]]
    alone = ["30201"]

    [model]
    discount_rate = 0.03
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import InputError, Problem


@dataclass(frozen=True)
class ModelParameters:
    """Parameters of the cost, reduction, continuity and timing models."""

    # --- baseline annual IT cost per resident: c(p) = a (p/1e4)^-alpha + b (p/1e5)^beta yen
    # Fitted exactly (tools/fit_cost_curve.py) to 総務省 FY2017 budget figures: <20k band mean 11,724 yen,
    # 100k-200k band mean 3,096 yen, national total 4,786 億円 (3,742 yen/resident), <200k 2,374 億円,
    # >=200k 2,412 億円 (municipal_it_cost_by_population_band_fy2017.csv), on 住民基本台帳 2022 populations.
    cost_a_yen: float = 7039.3
    cost_alpha: float = 0.6003
    cost_b_yen: float = 1452.2
    cost_beta: float = 0.3458
    # Solo-cloud municipalities: the <20k 単独クラウド subgroup averaged 11,266 vs 11,724 yen (same source).
    solo_cost_factor: float = 0.961
    # --- cost base: the curve is the whole IT budget (基幹系+内部系, 整備費+運用費); reductions apply to the running
    # cost of the systems that move. Share of the curve that is the running cost of 基幹系: median of the three
    # published group cases stating their members' current core cost (tools/fit_cost_base.py: 0.39 / 0.59 / 0.75).
    core_running_share: float = 0.59
    # Running cost of 内部系 (internal administration) as a share of the curve: assumption (no per-scope figure in the
    # sources); used only with cost_scope = "core_internal" (just over half the 2016 groups also moved 内部系).
    internal_running_share: float = 0.15

    # --- reduction rate of a group: location r = r0 + size_slope ln(n) - gap_penalty log10(pmax/pmin)
    #     - switch_penalty (share of members changing package); outcome = r + N(0, sigma) with probability
    #     1 - shortfall_p, r - shortfall + N(0, sigma) otherwise (groups that keep customisations or move
    #     part of their systems).
    # r0 and size_slope are FITTED (benchmarks/calibration.py, grid fit on the 2016 spread 11/18/7/9 of 45 groups
    # plus the 11 published case studies; out-of-sample figures printed there).
    reduction_r0: float = 0.29
    reduction_size_slope: float = 0.055
    # ASSUMED (not fitted; the data cannot separate them from r0): the gap penalty (scale differences are a known
    # difficulty, 総務省 2016), the package-switch penalty, and the noise: sigma, the share of groups that fall short
    # and by how much (chosen so that the fitted model spreads like the 2016 report: 9 of 45 groups below 20%).
    reduction_gap_penalty: float = 0.01
    reduction_switch_penalty: float = 0.05  # re-learning and customisation when changing package
    reduction_sigma: float = 0.06
    reduction_shortfall_p: float = 0.25
    reduction_shortfall: float = 0.20
    reduction_min: float = 0.0  # bounds of the money figures' rate (assumption: no reported cut above 65%)
    reduction_max: float = 0.70

    # --- one-off costs (yen): ASSUMED, order-of-magnitude (no per-item figures in the sources); stated in every report
    planning_group_yen: float = 5_000_000  # 共同化計画 per group
    planning_member_yen: float = 1_000_000  # 共同化計画 per member
    consultant_member_yen: float = 3_000_000  # 導入コンサルタント per member
    migration_base_yen: float = 10_000_000  # データ移行 per member
    migration_per_resident_yen: float = 300.0
    migration_factor_same: float = 0.3  # same package: data moves into the shared instance
    migration_factor_layout: float = 0.6  # both packages support 中間標準レイアウト
    migration_factor_other: float = 1.0
    training_base_yen: float = 1_000_000  # 実務処理研修
    training_per_resident_yen: float = 50.0
    stabilisation_member_yen: float = 1_000_000  # 安定稼働コンサル (first year)
    # 特別交付税: eligible x 0.5 x 財政力補正; correction = clip(corr_intercept - FSI, corr_min, corr_max).
    # The official 財政力補正 formula is not public here: assumption, rises as the FSI falls, 1.0 at FSI 0.5.
    subsidy_rate: float = 0.5
    subsidy_corr_intercept: float = 1.5
    subsidy_corr_min: float = 0.5
    subsidy_corr_max: float = 1.5

    # --- timing
    lead_years: int = 1  # study period: 1-2 years most common (総務省 2016 analysis); go-live >= planning_fy + 1
    horizon_years: int = 5  # savings counted for 5 years after each member's go-live (a typical contract period)
    # contracts renew every contract_years: a member's contract ends are its next renewal year and every
    # contract_years after it (the survey's second renewal is next + 5 for every row of the sample; 5-year
    # contracts are the common term in the 2016 cases)
    contract_years: int = 5
    discount_rate: float = 0.02  # assumption (a low public-sector real rate)
    extension_premium: float = 0.10  # assumption; extending a contract to reach go-live: +10% of annual cost per year
    early_exit_cost: float = 0.30  # assumption; leaving a contract early: 30% of annual cost per remaining year

    # --- matchmaking: a new group forms only if every partner agrees; each does with this probability
    # (assumption: the sample's willingness rate; joining an open existing group needs no new agreement)
    partner_agreement_p: float = 0.9

    # --- coordination: members' staff travel to the group's meetings (協議会, 部会, joint procurement and
    # testing). ASSUMED: 24 round trips a year by 2 staff to the group's central member, 37 yen/km by car
    # (国家公務員等の旅費 車賃) plus staff time at 40 km/h and 3,500 yen/h: 24 x 2 x (37 + 2 x 3,500/40) ~ 10,000 yen
    # a year per km of one-way distance. A real cost in both accounts: it makes spread a value, not a wall.
    coordination_yen_per_km: float = 10_000.0

    # --- continuity (0-100 score: pairing 40, spread 30, reachability 30): ASSUMED weights and distances
    support_km: float = 60.0  # an exposed member's unexposed partner within this distance (湯浅町-かつらぎ町 ~25 km)
    # a partner this far away is not struck by the same event (the 2011 tsunami's worst damage spanned ~400 km of
    # coast, but a town hall 100 km away kept working in all but the hardest-hit areas: assumption)
    hazard_separation_km: float = 100.0
    spread_km: float = 20.0  # members all within this radius share one hazard
    reach_km: float = 80.0  # full reachability when all members are within this distance

    def __post_init__(self):
        problems = _range_problems(self, MODEL_RANGES, "model.")
        if not problems:
            if not self.reduction_shortfall_p < 1:
                problems.append(("model.reduction_shortfall_p", "must be below 1"))
            if self.core_running_share + self.internal_running_share > 1:
                problems.append(("model.internal_running_share", "core_running_share + internal_running_share must "
                                 "be at most 1"))
            if self.reduction_min > self.reduction_max:
                problems.append(("model.reduction_min", "must not exceed reduction_max"))
        if problems:
            raise InputError([Problem("scenario", None, k, m, label="key") for k, m in problems])


#: Accepted ranges (inclusive) of the numeric model parameters: anything else is an input error (finite only).
MODEL_RANGES = {
    "cost_a_yen": (0, 1e6), "cost_alpha": (0, 5), "cost_b_yen": (0, 1e6), "cost_beta": (0, 5),
    "solo_cost_factor": (0, 10), "core_running_share": (1e-9, 1), "internal_running_share": (0, 1),
    "reduction_r0": (-1, 1), "reduction_size_slope": (-1, 1), "reduction_gap_penalty": (0, 1),
    "reduction_switch_penalty": (0, 1), "reduction_sigma": (1e-6, 1), "reduction_shortfall_p": (0, 1),
    "reduction_shortfall": (0, 1), "reduction_min": (0, 1), "reduction_max": (0, 1),
    "planning_group_yen": (0, 1e12), "planning_member_yen": (0, 1e12), "consultant_member_yen": (0, 1e12),
    "migration_base_yen": (0, 1e12), "migration_per_resident_yen": (0, 1e6), "migration_factor_same": (0, 10),
    "migration_factor_layout": (0, 10), "migration_factor_other": (0, 10), "training_base_yen": (0, 1e12),
    "training_per_resident_yen": (0, 1e6), "stabilisation_member_yen": (0, 1e12), "subsidy_rate": (0, 1),
    "subsidy_corr_intercept": (0, 10), "subsidy_corr_min": (0, 10), "subsidy_corr_max": (0, 10),
    "lead_years": (0, 10), "horizon_years": (1, 50), "contract_years": (1, 20), "discount_rate": (0, 0.5), "extension_premium": (0, 10),
    "early_exit_cost": (0, 10), "partner_agreement_p": (0, 1), "coordination_yen_per_km": (0, 1e9),
    "support_km": (1e-6, 3000), "hazard_separation_km": (1e-6, 3000), "spread_km": (1e-6, 3000),
    "reach_km": (1e-6, 3000),
}

#: Accepted ranges (inclusive) of the numeric scenario keys.
SCENARIO_RANGES = {
    "planning_fy": (2000, 2060), "roadmap_years": (1, 30), "min_size": (2, 12), "max_size": (2, 12), "max_population": (1, 200_000_000),
    "renewal_window_years": (0, 30), "link_km": (0, 20), "connect_km": (0, 3000), "max_member_distance_km": (1e-6, 3000),
    "max_joiners": (0, 11), "join_link_km": (0, 3000), "weight_savings": (0, 1e6),
    "participation_weight_yen": (0, 1e12), "weight_continuity": (0, 1e6), "continuity_value_yen": (0, 1e12),
    "time_limit_s": (1e-3, 86_400), "memory_limit_mb": (1, 1_000_000), "seed": (0, 2**31 - 1),
}

#: Bounds on list sizes in a scenario.
MAX_LIST = 2000
MAX_SET = 60


def _range_problems(obj, ranges: dict, prefix: str = "") -> list[tuple[str, str]]:
    import math

    out = []
    for key, (lo, hi) in ranges.items():
        v = getattr(obj, key)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            out.append((prefix + key, f"must be a number, not {v!r}"))
        elif not math.isfinite(v):
            out.append((prefix + key, f"must be a finite number, not {v}"))
        elif not lo <= v <= hi:
            def fmt(x):
                return f"{x:,}" if isinstance(x, int) else f"{x:,.6g}"
            out.append((prefix + key, f"{fmt(v)} is outside the accepted range {fmt(lo)} to {fmt(hi)}"
                        + (f" ({RANGE_NOTES[key]})" if key in RANGE_NOTES else "")))
    return out


RANGE_NOTES = {
    "max_size": "candidate enumeration grows about 3x per member",
    "max_joiners": "the sharing game is exact up to 12 players",
    "link_km": "the candidate space grows too fast; connect_km sets the connectivity rule",
    "seed": "a 32-bit solver seed",
}


VENDOR_MODES = ("same", "migrate")
COST_SCOPES = ("core", "core_internal")
ACCOUNTS = ("national", "municipal")
PARTICIPATION_MODES = ("weighted", "lexicographic")
PAIRING_MODES = ("weighted", "hard")


@dataclass(frozen=True)
class Scenario:
    """Business rules and objective of a proposal run (see the module docstring for TOML)."""

    planning_fy: int = 2018  # first year of the national survey window FY2018-FY2027
    # The roadmap's horizon: fiscal years planning_fy .. planning_fy + roadmap_years - 1 (10: the survey window
    # FY2018-FY2027). Groups are founded in any year of it from planning_fy + model.lead_years and members join as
    # their contracts end (optimizer/roadmap.py). 1: the single-wave plan -- every group's members go live together
    # in one year, next renewals at most renewal_window_years apart.
    roadmap_years: int = 10
    min_size: int = 2
    max_size: int = 8  # real groups: 5-9 members most common (総務省 2016); larger groups grow by expansion
    max_population: int = 1_300_000  # largest real group 1.25 million (岐阜県市町村行政情報センター)
    # Members' contract ends at most 2 years apart: in a roadmap each member joins within this many years of one
    # of its contract ends (next renewal + k * contract_years; the rest of the gap is paid as timing costs), and
    # founding members' contract ends fall within this window of each other, counted round the contract cycle; in
    # a single-wave plan (roadmap_years = 1) the next renewal years themselves at most this far apart.
    renewal_window_years: int = 2
    # The search space of new groups: candidates are grown over land, sea and transit links plus pairs closer than
    # link_km (0 = links only). The plan is proven optimal over this space; it is stated in every plan's stats.
    link_km: float = 0.0
    # The connectivity RULE: members connected by links or hops of at most connect_km. 80 km admits the hops of
    # 55 of the 59 real groups of 2017 (tests/test_real_groups.py); a wide-area body is a day's meeting away.
    connect_km: float = 80.0
    # Hard wall on the distance between two members of a new group (the reach of a day trip). 200 km admits 56 of
    # the 59 real groups (prefecture-wide associations span up to 193 km); closer groups are favoured by the
    # coordination cost (model.coordination_yen_per_km) and the continuity score, not by this wall.
    max_member_distance_km: float = 200.0
    # Hazard pairing (optimizer/hazard.py): a member exposed to a hazard needs, within model.support_km, a member
    # not exposed to it, or a member at least model.hazard_separation_km away. "weighted" (default): pairing is
    # 40 of the 100 continuity points, valued like the rest of continuity; "hard": a group breaking it is not
    # admissible. Weighted by default: real groups did not always pair (four coastal 岩手 villages, G031), and the
    # hard rule strands island prefectures (notebook 03 has the figures).
    pairing: str = "weighted"
    pairing_hazards: list[str] = field(default_factory=lambda: ["nankai", "japan_trench"])  # hazards that need pairing
    cross_prefecture: bool = True  # groups may cross prefecture lines (4 of the 59 real groups do)
    vendor_mode: str = "migrate"  # "migrate": members may switch package (most real groups did); "same": one vendor
    open_groups: list[str] | str = "all"  # existing groups accepting joiners: "all", "none" or a list of ids
    max_joiners: int = 3  # joiners per existing group in one plan
    join_link_km: float = 30.0  # a joiner within this distance of an existing group's member is linked to it
    # (real groups are bodies, not contiguous areas: 81% of 2017 members border another member, 92% within 30 km)
    together: list[list[str]] = field(default_factory=list)
    apart: list[list[str]] = field(default_factory=list)
    alone: list[str] = field(default_factory=list)
    locked: list[str] = field(default_factory=list)  # codes or group ids kept exactly as they are
    # systems that move: "core" (基幹系: 住民記録, 税, 国保, 年金, 福祉; every 2016 group but one) or "core_internal"
    cost_scope: str = "core"
    # The account the optimiser maximises. "national" (default): resource cost, 特別交付税 excluded -- it is a transfer
    # from the national budget, so it should not decide which groups form (it changed the plan in 8 prefectures).
    # "municipal": what members pay and save, net of 特別交付税. Shares and individual rationality always use the
    # municipal account (what each member really pays); both accounts are reported everywhere.
    objective_account: str = "national"
    # individual rationality: a group is proposed only if every member (an existing group as one player) is at
    # least as well off under the allocation as alone / unchanged (optimizer/sharing.py)
    require_individual_rationality: bool = True
    weight_savings: float = 1.0  # objective weight on NPV (yen)
    # Participation: value per municipality placed in a group (the ministry's KPI counts municipalities in joint
    # clouds). 0 by default: money and continuity only. "lexicographic": most municipalities placed first, then
    # most value (the weight is then ignored).
    participation_weight_yen: float = 0.0
    participation_mode: str = "weighted"
    weight_continuity: float = 1.0  # objective weight on continuity value
    continuity_value_yen: float = 1_000_000  # value of a full continuity score per member (a preference)
    # Work budget shared by candidate enumeration and the solver: wall-clock seconds and memory for the candidate
    # sets (checked as they grow). When it runs out the plan says so: status FEASIBLE or UNKNOWN, bound and gap.
    time_limit_s: float = 120.0
    memory_limit_mb: float = 3000.0
    seed: int = 0
    model: ModelParameters = field(default_factory=ModelParameters)

    def __post_init__(self):
        problems = _range_problems(self, SCENARIO_RANGES)
        for key, allowed in (("vendor_mode", VENDOR_MODES), ("cost_scope", COST_SCOPES), ("pairing", PAIRING_MODES),
                             ("objective_account", ACCOUNTS), ("participation_mode", PARTICIPATION_MODES)):
            if getattr(self, key) not in allowed:
                problems.append((key, f"must be one of {', '.join(allowed)}, not '{getattr(self, key)}'"))
        for key in ("together", "apart"):
            sets = getattr(self, key)
            if not isinstance(sets, (list, tuple)) or len(sets) > MAX_LIST:
                problems.append((key, f"must be a list of at most {MAX_LIST} lists of codes"))
                continue
            for s in sets:
                if (not isinstance(s, (list, tuple)) or not 2 <= len(s) <= MAX_SET
                        or not all(isinstance(c, str) for c in s)):
                    problems.append((key, f"each entry is a list of 2 to {MAX_SET} codes (text), got {s!r:.80}"))
                elif len(set(s)) < len(s):
                    problems.append((key, f"a code is listed twice in {list(s)}"))
        for key in ("alone", "locked", "pairing_hazards"):
            items = getattr(self, key)
            if not isinstance(items, (list, tuple)) or len(items) > MAX_LIST or not all(isinstance(c, str) for c in items):
                problems.append((key, f"must be a list of at most {MAX_LIST} codes (text), got {items!r:.80}"))
        if isinstance(self.open_groups, list):
            if len(self.open_groups) > MAX_LIST or not all(isinstance(g, str) for g in self.open_groups):
                problems.append(("open_groups", "must be \"all\", \"none\" or a list of group ids"))
        elif self.open_groups not in ("all", "none"):
            problems.append(("open_groups", f"must be \"all\", \"none\" or a list of group ids, not {self.open_groups!r}"))
        if not problems:  # consistency between keys (each is a valid number now)
            if self.min_size > self.max_size:
                problems.append(("min_size", f"need min_size <= max_size (got {self.min_size}, {self.max_size})"))
            if self.roadmap_years > 1 and self.roadmap_years - 1 < self.model.lead_years:
                problems.append(("roadmap_years", f"({self.roadmap_years}) leaves no year to go live in: the first "
                                 f"go-live is planning_fy + model.lead_years ({self.model.lead_years})"))
            if self.connect_km < self.link_km:
                problems.append(("connect_km", f"({self.connect_km:g}) must be at least link_km ({self.link_km:g}): "
                                 "every candidate grown over link_km must be connected under the rule"))
            if self.model.hazard_separation_km > self.max_member_distance_km:
                problems.append(("model.hazard_separation_km", f"({self.model.hazard_separation_km:g}) exceeds "
                                 f"max_member_distance_km ({self.max_member_distance_km:g}): the distant-partner "
                                 "branch of the pairing rule could never apply"))
            from .hazard import HAZARDS

            bad = [h for h in self.pairing_hazards if h not in HAZARDS]
            if bad:
                problems.append(("pairing_hazards", f"unknown hazard {bad} (known: {', '.join(HAZARDS)})"))
        if problems:
            raise InputError([Problem("scenario", None, k, m, label="key") for k, m in problems])

    def effective(self) -> dict[str, Any]:
        """All parameters as plain data (for JSON output)."""
        return dataclasses.asdict(self)

    def replace(self, **changes) -> "Scenario":
        model_changes = changes.pop("model", None)
        model = dataclasses.replace(self.model, **model_changes) if isinstance(model_changes, dict) else (
            model_changes or self.model)
        return dataclasses.replace(self, model=model, **changes)


def _coerce(name: str, value: Any, default: Any, file: str) -> Any:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise InputError(Problem(file, None, name, f"must be true or false, not {value!r}", label="key"))
    elif isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(Problem(file, None, name, f"must be a whole number, not {value!r}", label="key"))
    elif isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(Problem(file, None, name, f"must be a number, not {value!r}", label="key"))
        value = float(value)
    elif isinstance(default, list):
        if not isinstance(value, list):
            raise InputError(Problem(file, None, name, f"must be a list, not {value!r}", label="key"))
        value = [[str(x) for x in v] if isinstance(v, list) else str(v) for v in value]
    return value


def scenario_from_dict(data: dict, file: str = "scenario") -> Scenario:
    """Build a :class:`Scenario` from a dict (as read from TOML); unknown keys are errors."""
    defaults = Scenario()
    if "require_inland_partner" in data and "pairing" not in data:  # the key of earlier versions
        data = dict(data)
        legacy = data.pop("require_inland_partner")
        if isinstance(legacy, bool):
            data = {**data, "pairing": "hard" if legacy else "weighted"}
        else:
            raise InputError(Problem(file, None, "require_inland_partner", "must be true or false (now: pairing = "
                                     "\"hard\" or \"weighted\")", label="key"))
    known = {f.name for f in fields(Scenario)} - {"model"}
    problems = [Problem(file, None, k, "unknown key", label="key") for k in data if k not in known | {"model"}]
    model_data = data.get("model", {})
    mknown = {f.name for f in fields(ModelParameters)}
    if not isinstance(model_data, dict):
        problems.append(Problem(file, None, "model", "must be a table", label="key"))
        model_data = {}
    problems += [Problem(file, None, f"model.{k}", "unknown key", label="key") for k in model_data if k not in mknown]
    if problems:
        raise InputError(problems)
    kwargs = {}
    for k, v in data.items():
        if k == "model":
            continue
        d = getattr(defaults, k)
        if k == "open_groups":
            if not (v in ("all", "none") or isinstance(v, list)):
                raise InputError(Problem(file, None, k, "must be \"all\", \"none\" or a list of group ids", label="key"))
            kwargs[k] = [str(x) for x in v] if isinstance(v, list) else v
            continue
        kwargs[k] = _coerce(k, v, d, file)
    mkwargs = {k: _coerce(f"model.{k}", v, getattr(defaults.model, k), file) for k, v in model_data.items()}
    problems = []
    try:
        model = ModelParameters(**mkwargs)
    except InputError as exc:
        problems += exc.problems
        model = ModelParameters()
    try:
        scenario = Scenario(model=model, **kwargs)
    except InputError as exc:
        problems += [p for p in exc.problems if p.column != "model.hazard_separation_km" or not problems]
    if problems:  # every problem at once, naming the file the keys came from
        raise InputError([dataclasses.replace(p, file=file) for p in problems])
    return scenario


MAX_SCENARIO_BYTES = 1 << 20


def load_scenario(path: str | Path | None) -> Scenario:
    """Read a TOML scenario; ``None`` gives the defaults."""
    if path is None:
        return Scenario()
    p = Path(path)
    try:
        if not p.is_file():
            raise InputError(Problem(str(p), None, None, "not a regular file (a scenario is a TOML text file)"))
        if p.stat().st_size > MAX_SCENARIO_BYTES:
            raise InputError(Problem(p.name, None, None, f"larger than {MAX_SCENARIO_BYTES // 1024} KB: not a scenario"))
        data = tomllib.loads(p.read_bytes().decode("utf-8-sig"))
    except OSError as exc:
        raise InputError(Problem(str(p), None, None, f"cannot read scenario: {exc.strerror}")) from None
    except UnicodeDecodeError as exc:
        raise InputError(Problem(p.name, None, None, f"not UTF-8 text (byte {exc.start}): save the scenario as "
                                 "UTF-8")) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(Problem(p.name, None, None, f"not valid TOML: {exc}")) from None
    except RecursionError:
        raise InputError(Problem(p.name, None, None, "not valid TOML: nested too deeply")) from None
    return scenario_from_dict(data, p.name)
