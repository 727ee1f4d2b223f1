"""One typed configuration: the scenario (business rules, objective) and the model parameters.

Every setting is a **knob** declared once, here: its default, accepted range (or choices),
unit, the source of the default or the stated reason for it, and its label in Japanese and
English (:func:`knob`). The range checks, the report's assumptions section, ``lgcloud
scenario`` and the parameter table of ``docs/model.md`` (``tools/build_docs.py``) are all
derived from these declarations.

A TOML scenario file overrides knobs by name: scenario knobs are top-level keys, model
parameters go in a ``[model]`` table. Unknown keys are an error.

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
import hashlib
import math
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import InputError, Problem
from .text import Items, Msg

#: The hazards exposure is known for (``inputs.hazard``); ``pairing_hazards`` names some of them.
HAZARDS = ("nankai", "japan_trench", "other_coast")
VENDOR_MODES = ("same", "migrate")
COST_SCOPES = ("core", "core_internal")
ACCOUNTS = ("national", "municipal")
PARTICIPATION_MODES = ("weighted", "lexicographic")
PAIRING_MODES = ("weighted", "hard")

#: Bounds on list sizes in a scenario.
MAX_LIST = 2000
MAX_SET = 60


@dataclass(frozen=True)
class Knob:
    """What a setting is: unit, accepted range or choices, labels and the source of its default.

    ``kind`` says where the default comes from: ``fitted`` (estimated from the shipped figures by
    the script named in the source), ``published`` (a published figure), ``assumed`` (a stated
    assumption), ``rule`` (a business rule or a choice of the user), ``budget`` (how much work a
    run may do).
    """

    ja: str
    en: str
    unit: str = ""
    lo: float | None = None
    hi: float | None = None
    choices: tuple = ()
    kind: str = "assumed"
    source_en: str = ""
    source_ja: str = ""
    note_en: str = ""  # why the range is what it is (shown with a range error)
    note_ja: str = ""


def knob(default, *, ja: str, en: str, unit: str = "", lo=None, hi=None, choices: tuple = (), kind: str = "assumed",
         source_en: str = "", source_ja: str = "", note_en: str = "", note_ja: str = ""):
    """A dataclass field with its :class:`Knob` declaration (lists get a fresh copy per instance)."""
    meta = {"knob": Knob(ja, en, unit, lo, hi, tuple(choices), kind, source_en, source_ja, note_en, note_ja)}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


def knobs(cls) -> dict[str, Knob]:
    """The declared knobs of :class:`Scenario` or :class:`ModelParameters`, in declaration order."""
    return {f.name: f.metadata["knob"] for f in fields(cls) if "knob" in f.metadata}


#: What every one-off cost knob shares: yen, an order-of-magnitude assumption (no per-item figures in the sources).
ONE_OFF = dict(unit="yen", lo=0, hi=1e12, source_en="assumption, order of magnitude", source_ja="仮定（桁の目安）")


@dataclass(frozen=True)
class ModelParameters:
    """Parameters of the cost, reduction, continuity and timing models."""

    # --- baseline annual IT cost per resident: c(p) = a (p/1e4)^-alpha + b (p/1e5)^beta yen
    cost_a_yen: float = knob(
        7039.3, unit="yen", lo=0, hi=1e6, kind="fitted", ja="経費曲線 a（小規模側）", en="cost curve a (small-town term)",
        source_en="fitted exactly (tools/fit_cost_curve.py) to MIC FY2017 budgets: <20k band 11,724 yen/resident, "
                  "100k-200k 3,096 yen, national 478.6 bn yen, <200k 237.4 bn, >=200k 241.2 bn",
        source_ja="総務省2017年度予算の数値に厳密に当てはめ：2万人未満 11,724円/人、10〜20万人 3,096円/人、"
                  "全国 4,786億円、20万人未満 2,374億円、20万人以上 2,412億円")
    cost_alpha: float = knob(0.6003, lo=0, hi=5, kind="fitted", ja="経費曲線 α", en="cost curve alpha",
                             source_en="fitted with cost_a_yen", source_ja="経費曲線 a と同時に当てはめ")
    cost_b_yen: float = knob(1452.2, unit="yen", lo=0, hi=1e6, kind="fitted", ja="経費曲線 b（大規模側）",
                             en="cost curve b (large-city term)", source_en="fitted with cost_a_yen",
                             source_ja="経費曲線 a と同時に当てはめ")
    cost_beta: float = knob(0.3458, lo=0, hi=5, kind="fitted", ja="経費曲線 β", en="cost curve beta",
                            source_en="fitted with cost_a_yen", source_ja="経費曲線 a と同時に当てはめ")
    solo_cost_factor: float = knob(
        0.961, lo=0, hi=10, kind="published", ja="単独クラウドの経費係数", en="solo-cloud cost factor",
        source_en="MIC FY2017: the <20k solo-cloud subgroup averaged 11,266 against 11,724 yen per resident",
        source_ja="総務省2017年度：2万人未満の単独クラウド団体 11,266円/人（全体 11,724円/人）")
    # --- cost base: the curve is the whole IT budget (基幹系+内部系, 整備費+運用費); reductions apply to the running
    # cost of the systems that move
    core_running_share: float = knob(
        0.59, unit="share", lo=1e-9, hi=1, kind="fitted", ja="基幹系の運用経費の割合", en="core running share",
        source_en="median of three published group cases stating their members' core cost (tools/fit_cost_base.py: "
                  "0.39 / 0.59 / 0.75)",
        source_ja="構成団体の基幹系経費を公表した3事例の中央値（0.39／0.59／0.75）")
    internal_running_share: float = knob(
        0.15, unit="share", lo=0, hi=1, ja="内部系の運用経費の割合", en="internal-systems running share",
        source_en="assumption (no per-scope figure in the sources); used with cost_scope = core_internal only",
        source_ja="仮定（範囲別の数値が出典にない）；移行する業務システムが基幹系と内部系のときのみ")

    # --- the value of sharing one system (optimizer/model/cost.py): a group runs its largest member's system,
    # extended to the other members; its annual saving is sharing_saving x (sum of the members' running costs - the
    # largest); FITTED by tools/fit_value_model.py (maximum likelihood on the running-cost case studies and the 2016
    # distribution of 45 groups' reductions; bootstrap for the standard error)
    sharing_saving: float = knob(
        0.493, unit="share", lo=0, hi=1, kind="fitted", ja="共有による削減割合（最大団体以外の経費に対して）",
        en="saving from sharing (share of the other members' running cost)",
        source_en="fitted by tools/fit_value_model.py: maximum likelihood on 6 running-cost case studies and the 2016 "
                  "spread of 45 groups' reductions (11/18/7/9 over >=40/30-40/20-30/<20%)",
        source_ja="6件の運用経費の事例と2016年の45グループの削減率の分布から最尤推定")
    sharing_saving_sd: float = knob(0.024, unit="share", lo=0, hi=1, kind="fitted",
                                    ja="共有による削減割合の標準誤差", en="standard error of the saving from sharing",
                                    source_en="bootstrap over the cases and the 2016 bin counts (200 refits)",
                                    source_ja="事例と2016年の分布のブートストラップ（200回の再推定）")
    outcome_sd: float = knob(0.073, unit="share", lo=1e-6, hi=1, kind="fitted",
                             ja="グループごとの削減率のばらつき（標準偏差）", en="spread of a group's outcome (sd of its rate)",
                             source_en="fitted with sharing_saving: what the model does not explain of a group's reported "
                                       "reduction", source_ja="削減割合と同時に推定：モデルで説明できない各グループの削減率の差")
    system_share: float = knob(
        0.8, unit="share", lo=0, hi=1, ja="共有できる経費の割合（システム本体）", en="share of the running cost that is the system",
        source_en="assumption: package, infrastructure and operation; the rest (interfaces, local work) stays with each "
                  "member. Only splits the shared cost among members (own accounts), not the group's saving",
        source_ja="仮定：パッケージ・基盤・運用。残り（連携・庁内作業）は各団体に残る。団体間の経費の分け方だけに影響し、"
                  "グループの削減額には影響しない")
    standard_below_pop: float = knob(
        20_000.0, unit="residents", lo=1, hi=1e8, kind="fitted", ja="業務がすべて標準で共有できる人口（これ以下）",
        en="population up to which a member's work is all standard",
        source_en="calibrated (tools/fit_value_model.py) on who really joins: the 2016 share of cloud adopters in a "
                  "joint cloud by population band (45% under 50 thousand, 27%, 14%, none at 500 thousand or more)",
        source_ja="較正（手順は docs/model.md）：2016年のクラウド導入団体のうち自治体クラウドの割合（人口規模別）")
    custom_from_pop: float = knob(
        5_000_000.0, unit="residents", lo=1, hi=1e8, kind="fitted", ja="業務がすべて独自（共有できない）となる人口（これ以上）",
        en="population from which a member's work is all its own (nothing to share)",
        source_en="calibrated with standard_below_pop: larger municipalities carry more functions of their own "
                  "(core and designated cities), which drives customisation (MIC 2016); between the two, the share that cannot be "
                  "shared rises linearly in log population",
        source_ja="standard_below_popと同時に較正：規模が大きいほど独自の事務（中核市・政令市）が多く、カスタマイズが増える"
                  "（総務省 2016）。両者の間では共有できない割合が人口の対数に比例して増える")
    standardisation_years: float = knob(
        5.0, unit="years", lo=0, hi=50, ja="業務標準化の一時費用（独自部分の運用経費の年数）",
        en="one-off cost of standardising work (years of the non-standard part's running cost)",
        source_en="assumption: rebuilding the non-standard work costs what running it costs over one contract term "
                  "(5 years); own staff work, not eligible for the special allocation tax. standard_below_pop and custom_from_pop are "
                  "calibrated with it",
        source_ja="仮定：独自部分の業務を標準に合わせる費用は、その部分の1契約期間（5年）分の運用経費。職員の作業で特別交付税の"
                  "対象外。standard_below_pop・custom_from_popはこの値で較正")
    switch_penalty: float = knob(0.05, unit="share", lo=0, hi=1, ja="パッケージを移行する団体の経費増（年あたり）",
                                 en="running cost a member changing package loses",
                                 source_en="assumption: re-learning and customisation, a share of the member's running "
                                           "cost each year", source_ja="仮定：業務の習熟とカスタマイズ（各年の経費に対する割合）")
    post_migration_cost_factor: float = knob(
        1.0, lo=0.1, hi=10, ja="移行後の運用経費の水準（倍）", en="running cost level after migration (times)",
        source_en="1 = the FY2017 cost level of the curve; reported post-migration running costs of the standardisation "
                  "era are 1.6x (Tokyo estimate) to 2.3x on average and up to 5.7x (core cities, 2025)",
        source_ja="1 = 経費曲線の2017年度の水準。標準化後の移行後の運用経費は1.6倍（東京都の試算）、中核市平均2.3倍・最大5.7倍（2025年）")

    # --- one-off costs (yen): ASSUMED, order-of-magnitude (no per-item figures in the sources)
    planning_group_yen: float = knob(5_000_000, **ONE_OFF, ja="共同化計画（グループあたり）", en="joint planning per group")
    planning_member_yen: float = knob(1_000_000, **ONE_OFF, ja="共同化計画（団体あたり）", en="joint planning per member")
    consultant_member_yen: float = knob(3_000_000, **ONE_OFF, ja="導入コンサルタント（団体あたり）",
                                        en="consultant per member")
    migration_base_yen: float = knob(10_000_000, **ONE_OFF, ja="データ移行（団体あたり定額）", en="data migration per member")
    migration_per_resident_yen: float = knob(300.0, **ONE_OFF, ja="データ移行（住民1人あたり）",
                                             en="data migration per resident")
    migration_factor_same: float = knob(0.3, lo=0, hi=10, ja="移行係数（同じパッケージ）", en="migration factor, same package",
                                        source_en="assumption: data moves into the shared instance",
                                        source_ja="仮定：共同利用の環境へデータを移すだけ")
    migration_factor_layout: float = knob(0.6, lo=0, hi=10, ja="移行係数（中間標準レイアウト対応）",
                                          en="migration factor, both support the standard layout",
                                          source_en="assumption: the standard intermediate data layout lowers migration cost",
                                          source_ja="仮定：中間標準レイアウトで移行経費が下がる")
    migration_factor_other: float = knob(1.0, lo=0, hi=10, ja="移行係数（その他）", en="migration factor, other packages",
                                         source_en="assumption", source_ja="仮定")
    training_base_yen: float = knob(1_000_000, **ONE_OFF, ja="研修（団体あたり定額）", en="training per member")
    training_per_resident_yen: float = knob(50.0, **ONE_OFF, ja="研修（住民1人あたり）", en="training per resident")
    stabilisation_member_yen: float = knob(1_000_000, **ONE_OFF, ja="安定稼働支援（団体あたり・初年度）",
                                           en="stabilisation support per member (first year)")
    # 特別交付税: eligible x 0.5 x 財政力補正; correction = clip(corr_intercept - FSI, corr_min, corr_max)
    subsidy_rate: float = knob(0.5, unit="share", lo=0, hi=1, kind="published", ja="特別交付税の措置率",
                               en="special allocation tax rate", source_en="MIC: eligible cost x 0.5 x fiscal correction",
                               source_ja="総務省：対象経費 × 0.5 × 財政力補正")
    subsidy_corr_intercept: float = knob(
        1.5, lo=0, hi=10, ja="財政力補正の切片（補正 = 切片 − 財政力指数）", en="fiscal correction intercept (intercept - FSI)",
        source_en="assumption: the official formula is not public here; rises as the FSI falls, 1.0 at FSI 0.5",
        source_ja="仮定：公式の算式は非公開；財政力指数が低いほど大きく、0.5で1.0")
    subsidy_corr_min: float = knob(0.5, lo=0, hi=10, ja="財政力補正の下限", en="fiscal correction floor",
                                   source_en="assumption", source_ja="仮定")
    subsidy_corr_max: float = knob(1.5, lo=0, hi=10, ja="財政力補正の上限", en="fiscal correction cap",
                                   source_en="assumption", source_ja="仮定")

    # --- timing
    lead_years: int = knob(1, unit="years", lo=0, hi=10, kind="published", ja="検討期間（年）", en="study period",
                           source_en="MIC 2016 analysis: 1-2 years most common; go-live >= planning_fy + 1",
                           source_ja="総務省 2016：1〜2年が最多；稼働は計画年度の翌年以降")
    horizon_years: int = knob(5, unit="years", lo=1, hi=50, ja="削減を数える年数（稼働から）", en="years of savings counted",
                              source_en="a typical contract period", source_ja="一般的な契約期間")
    contract_years: int = knob(
        5, unit="years", lo=1, hi=20, kind="published", ja="契約期間（年）", en="contract term",
        source_en="the survey's second renewal is next + 5 for every row of the sample; 5-year contracts are the "
                  "common term in the 2016 cases", source_ja="調査の2回目の更新は次回 + 5年；2016年の事例で一般的な契約期間")
    discount_rate: float = knob(0.02, unit="share", lo=0, hi=0.5, ja="割引率", en="discount rate",
                                source_en="assumption (a low public-sector real rate)", source_ja="仮定（公共部門の低い実質金利）")
    extension_premium: float = knob(0.10, unit="share", lo=0, hi=10, ja="契約延長の割増（年あたり）",
                                    en="contract extension premium per year",
                                    source_en="assumption: +10% of the annual cost per year extended",
                                    source_ja="仮定：延長1年ごとに年間経費の10%")
    early_exit_cost: float = knob(0.30, unit="share", lo=0, hi=10, ja="中途解約の費用（残期間1年あたり）",
                                  en="early exit cost per remaining year",
                                  source_en="assumption: 30% of the annual cost per remaining year",
                                  source_ja="仮定：残り1年ごとに年間経費の30%")

    # --- matchmaking
    partner_agreement_p: float = knob(
        0.9, unit="share", lo=0, hi=1, ja="新グループの相手が合意する確率", en="chance a new group's partner agrees",
        source_en="assumption: the sample's willingness rate; joining an open existing group needs no new agreement",
        source_ja="仮定：サンプルの参加意向の割合；既存グループへの参加は新たな合意を要しない")

    # --- coordination: members' staff travel to the group's meetings
    coordination_yen_per_km: float = knob(
        10_000.0, unit="yen/km/year", lo=0, hi=1e9, ja="調整費（片道1kmあたり・年）", en="coordination cost per km a year",
        source_en="assumption: 24 round trips a year by 2 staff, to meetings held in turn at the members (a member's cost "
                  "follows its mean distance to the others), 37 yen/km by car (national civil servants' travel rules) "
                  "plus staff time at 40 km/h and 3,500 yen/h",
        source_ja="仮定：年24往復・2名、会議は構成団体の持ち回り（各団体の経費は他団体までの平均距離に比例）、車賃37円/km"
                  "（国家公務員等の旅費）と移動時間（時速40km・3,500円/時）")

    cross_prefecture_yen: float = knob(
        30_000_000, unit="yen", lo=0, hi=1e10, kind="fitted", ja="県境を越える調整費（追加の都道府県1つあたり・年）",
        en="cross-prefecture coordination per extra prefecture a year",
        source_en="calibrated (tools/fit_value_model.py) on who really groups with whom: 4 of the 59 real groups (2017) "
                  "cross a prefecture line; fitted on Tohoku, Chubu, Chugoku and Kyushu, checked on Kanto, Kinki and Shikoku. It stands for all "
                  "that keeps groups within a prefecture (two prefectures' support programmes and councils to align), "
                  "not an observed price",
        source_ja="較正（手順は docs/model.md）：実在の59グループ（2017年）のうち県境を越えるのは4。東北・中部・中国・九州で"
                  "推定し、関東・近畿・四国で確認。グループを県内にとどめる要因（2県の支援施策・協議会の調整）全体を表す値で、"
                  "観測された価格ではない")

    # --- continuity (0-100 score: pairing 40, spread 30, reachability 30): ASSUMED weights and distances
    support_km: float = knob(60.0, unit="km", lo=1e-6, hi=3000, ja="相互支援の相手までの距離", en="support distance",
                             source_en="assumption (湯浅町-かつらぎ町 ~25 km)", source_ja="仮定（湯浅町–かつらぎ町 約25km）")
    hazard_separation_km: float = knob(
        100.0, unit="km", lo=1e-6, hi=3000, ja="同じ災害に遭わない距離", en="hazard separation",
        source_en="assumption: a town hall 100 km away kept working in all but the hardest-hit areas of 2011",
        source_ja="仮定：2011年、最も被害の大きい地域を除き100km離れた庁舎は機能した")
    spread_km: float = knob(20.0, unit="km", lo=1e-6, hi=3000, ja="分散の基準距離", en="spread radius",
                            source_en="assumption: members all within this radius share one hazard",
                            source_ja="仮定：この範囲内の団体は同じ災害に遭う")
    reach_km: float = knob(80.0, unit="km", lo=1e-6, hi=3000, ja="到達性の基準距離", en="reach distance",
                           source_en="assumption: full reachability within this distance",
                           source_ja="仮定：この距離以内なら到達性は満点")

    def __post_init__(self):
        problems = range_problems(self, "model.")
        if not problems:
            if self.core_running_share + self.internal_running_share > 1:
                problems.append(("model.internal_running_share", Msg("config.shares_at_most_one")))
            if self.custom_from_pop <= self.standard_below_pop:
                problems.append(("model.custom_from_pop", Msg("config.custom_below_standard")))
            if self.system_share < self.sharing_saving:
                problems.append(("model.system_share", Msg("config.system_below_saving", saving=self.sharing_saving)))
        if problems:
            raise InputError([Problem("scenario", None, k, m, label="key") for k, m in problems])


def range_problems(obj, prefix: str = "") -> list[tuple[str, Msg]]:
    """Every knob of ``obj`` outside its declared range or choices, as ``(key, message)``."""
    out = []
    for key, k in knobs(type(obj)).items():
        v = getattr(obj, key)
        if k.choices:
            if v not in k.choices:
                out.append((prefix + key, Msg("config.choice", choices=Items(k.choices), value=v)))
            continue
        if k.lo is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            out.append((prefix + key, Msg("config.not_number", value=repr(v))))
        elif not math.isfinite(v):
            out.append((prefix + key, Msg("config.not_finite", value=v)))
        elif not k.lo <= v <= k.hi:
            def fmt(x):
                return f"{x:,}" if isinstance(x, int) else f"{x:,.6g}"
            note = Msg("config.range_note", en=k.note_en, ja=k.note_ja) if k.note_en else ""
            out.append((prefix + key, Msg("config.out_of_range", value=fmt(v), lo=fmt(k.lo), hi=fmt(k.hi), note=note)))
    return out


@dataclass(frozen=True)
class Scenario:
    """Business rules, objective and work budget of a run; ``model`` holds the model parameters.

    Every field is a knob (:func:`knob`): its default, unit, accepted range and source are declared
    with it, listed by ``lgcloud scenario`` and in ``docs/model.md``. Build one directly
    (``Scenario(renewal_window_years=3)``), change one (``scenario.replace(vendor_mode="same",
    model={"discount_rate": 0.03})``) or read a TOML file (:func:`load_scenario`). An invalid value raises
    :class:`~optimizer.errors.InputError` naming every bad key.

    Examples
    --------
    >>> Scenario(renewal_window_years=3).replace(model={"discount_rate": 0.03}).model.discount_rate
    0.03
    """

    planning_fy: int = knob(2018, unit="FY", lo=2000, hi=2060, kind="rule", ja="計画年度", en="planning fiscal year",
                            source_en="first year of the national survey window FY2018-FY2027",
                            source_ja="国のクラウド導入等計画調査の期間 2018〜2027年度 の初年度")
    # Groups are founded in any year of the roadmap from planning_fy + model.lead_years and members join as their
    # contracts end (optimizer/solve/roadmap.py). 1: the single-wave plan.
    roadmap_years: int = knob(10, unit="years", lo=1, hi=30, kind="rule", ja="ロードマップの年数", en="roadmap horizon",
                              source_en="the survey window FY2018-FY2027; 1 = single wave (all members go live together)",
                              source_ja="調査期間 2018〜2027年度；1 = 一斉移行（全団体が同じ年度に稼働）")
    min_size: int = knob(2, unit="members", lo=2, hi=12, kind="rule", ja="新グループの最小団体数", en="smallest new group",
                         source_en="a group shares a system between at least two members",
                         source_ja="2団体以上で共同利用する")
    max_size: int = knob(8, unit="members", lo=2, hi=12, kind="rule", ja="新グループの最大団体数", en="largest new group",
                         source_en="real groups: 5-9 members most common (MIC 2016); larger groups grow by expansion",
                         source_ja="実際のグループは5〜9団体が最多（総務省 2016）；大きなグループは拡大で育つ",
                         note_en="candidate enumeration grows about 3x per member", note_ja="候補の数は1団体増えるごとに約3倍")
    max_population: int = knob(1_300_000, unit="residents", lo=1, hi=200_000_000, kind="rule",
                               ja="グループの総人口の上限", en="largest group population",
                               source_en="largest real group 1.25 million (岐阜県市町村行政情報センター)",
                               source_ja="最大の実グループ 125万人（岐阜県市町村行政情報センター）")
    renewal_window_years: int = knob(
        2, unit="years", lo=0, hi=30, kind="rule", ja="更新時期の許容差（年）", en="renewal window",
        source_en="members' contract ends at most 2 years apart: each member joins within this many years of one of "
                  "its contract ends; in a single wave the next renewals themselves at most this far apart",
        source_ja="契約の終わる時期の差は2年以内：各団体は契約の終わる年度から この年数以内に参加する")
    link_km: float = knob(0.0, unit="km", lo=0, hi=20, kind="rule", ja="候補生成の追加リンク距離",
                          en="extra links for growing candidates",
                          source_en="candidates are grown over land, sea and transit links plus pairs closer than this "
                                    "(0 = links only); the plan is proven optimal over this space",
                          source_ja="候補は陸・海・交通の隣接とこの距離未満の組で生成（0 = 隣接のみ）；最適性はこの範囲で証明",
                          note_en="the candidate space grows too fast; connect_km sets the connectivity rule",
                          note_ja="候補が増えすぎる；連結性の規則は飛び地距離で設定")
    connect_km: float = knob(80.0, unit="km", lo=0, hi=3000, kind="rule", ja="連結性の飛び地距離", en="connectivity hop",
                             source_en="admits the hops of 55 of the 59 real groups of 2017 (tests); a day's meeting away",
                             source_ja="2017年の実グループ59のうち55の飛び地を許容；日帰りで会議できる距離")
    max_member_distance_km: float = knob(
        200.0, unit="km", lo=1e-6, hi=3000, kind="rule", ja="構成団体間の最大距離", en="largest distance between members",
        source_en="a day trip; admits 56 of the 59 real groups (prefecture-wide associations span up to 193 km)",
        source_ja="日帰りの範囲；実グループ59のうち56を許容（県域の協議会は最大193km）")
    pairing: str = knob("weighted", choices=PAIRING_MODES, kind="rule", ja="津波の相互支援", en="tsunami mutual support",
                        source_en="weighted: 40 of the 100 continuity points; hard: a rule. Weighted by default: real "
                                  "groups did not always pair, and the hard rule strands island prefectures",
                        source_ja="評価に反映：業務継続スコア100点中40点；必須：規則として適用。実グループは必ずしも組んでおらず、"
                                  "必須にすると離島の多い県でグループができないため、既定は評価に反映")
    pairing_hazards: list[str] = knob(["nankai", "japan_trench"], choices=(), kind="rule",
                                      ja="相互支援を求める災害", en="hazards that need pairing",
                                      source_en="the two trench tsunamis with national designations",
                                      source_ja="国の指定がある2つの海溝型地震の津波")
    cross_prefecture: bool = knob(True, kind="rule", ja="県境を越えるグループ", en="groups across prefecture lines",
                                  source_en="4 of the 59 real groups cross a line", source_ja="実グループ59のうち4が県境を越える")
    vendor_mode: str = knob("migrate", choices=VENDOR_MODES, kind="rule", ja="ベンダ", en="vendor mode",
                            source_en="migrate: members may switch package (most real groups did); same: one vendor",
                            source_ja="パッケージの移行を認める（多くの実グループ）、または同一ベンダのみ")
    open_groups: list[str] | str = knob("all", kind="rule", ja="参加を受け入れる既存グループ",
                                        en="existing groups accepting joiners",
                                        source_en="\"all\", \"none\" or a list of group ids",
                                        source_ja="すべて、なし、またはグループ番号（G015など）の一覧")
    max_joiners: int = knob(3, unit="members", lo=0, hi=11, kind="rule", ja="既存グループへの参加団体数の上限",
                            en="joiners per existing group",
                            source_en="in one plan", source_ja="1つの案で",
                            note_en="the sharing game is exact up to 12 players", note_ja="配分のゲームは12者まで厳密")
    join_link_km: float = knob(30.0, unit="km", lo=0, hi=3000, kind="rule", ja="既存グループへの参加距離",
                               en="joiner's link to an existing group",
                               source_en="real groups are bodies, not contiguous areas: 81% of 2017 members border "
                                         "another member, 92% within 30 km",
                               source_ja="実グループは連続した区域ではない：2017年の構成団体の81%が他の構成団体と隣接、92%が30km以内")
    together: list[list[str]] = knob([], kind="rule", ja="同じグループにする団体", en="must be together",
                                     source_en="the user's requirement", source_ja="利用者の指定")
    apart: list[list[str]] = knob([], kind="rule", ja="別のグループにする団体", en="must be apart",
                                  source_en="the user's requirement", source_ja="利用者の指定")
    alone: list[str] = knob([], kind="rule", ja="単独のままにする団体", en="must stay alone",
                            source_en="the user's requirement", source_ja="利用者の指定")
    locked: list[str] = knob([], kind="rule", ja="現状のまま固定する団体・グループ", en="kept exactly as they are",
                             source_en="codes or group ids (the user's requirement)", source_ja="団体コードまたはグループ番号（利用者の指定）")
    cost_scope: str = knob("core", choices=COST_SCOPES, kind="rule", ja="移行する業務システム", en="systems that move",
                           source_en="core: the core systems (resident records, tax, national health insurance, pension, welfare; every 2016 group but one); "
                                     "core_internal: the internal systems too",
                           source_ja="基幹系（住民記録・税・国保・年金・福祉；2016年は1グループを除く全て）、または内部系も")
    objective_account: str = knob(
        "national", choices=ACCOUNTS, kind="rule", ja="最適化する会計", en="account the optimiser maximises",
        source_en="national: resource cost, the special allocation tax excluded (a transfer should not decide which groups form); "
                  "municipal: what members pay and save. Shares always use the municipal account",
        source_ja="国全体（特別交付税は移転なので除く）、または団体会計（団体の収支）。配分は常に団体会計")
    require_individual_rationality: bool = knob(
        True, kind="rule", ja="個別合理性", en="individual rationality",
        source_en="a group is proposed only if every member is at least as well off as alone / unchanged",
        source_ja="全構成団体が単独・現状以上に有利な場合に限り提案")
    weight_savings: float = knob(1.0, lo=0, hi=1e6, kind="rule", ja="NPVの重み", en="weight on NPV",
                                 source_en="objective weight", source_ja="目的関数の重み")
    participation_weight_yen: float = knob(
        0.0, unit="yen", lo=0, hi=1e12, kind="rule", ja="参加1団体あたりの価値", en="value per municipality placed",
        source_en="the ministry's KPI counts municipalities in joint clouds; 0: money and continuity only",
        source_ja="国の成果指標は共同利用の団体数；0 = 金額と業務継続のみ")
    participation_mode: str = knob("weighted", choices=PARTICIPATION_MODES, kind="rule", ja="参加の扱い",
                                   en="participation mode",
                                   source_en="lexicographic: most municipalities placed first, then most value",
                                   source_ja="参加団体数を最優先し、次に価値とすることもできる")
    weight_continuity: float = knob(1.0, lo=0, hi=1e6, kind="rule", ja="業務継続の重み", en="weight on continuity",
                                    source_en="objective weight", source_ja="目的関数の重み")
    continuity_value_yen: float = knob(1_000_000, unit="yen", lo=0, hi=1e12, kind="rule",
                                       ja="業務継続スコア満点の価値（団体あたり）", en="value of full continuity per member",
                                       source_en="a preference", source_ja="選好（仮定）")
    time_limit_s: float = knob(60.0, unit="s", lo=1e-3, hi=86_400, kind="budget", ja="求解の作業予算（決定的秒）",
                               en="solver work budget (deterministic seconds)",
                               source_en="CP-SAT's deterministic time, counted work, not the clock: the same inputs give "
                                         "the same plan on an idle or a busy machine; the national roadmap is proven "
                                         "optimal in about 6",
                               source_ja="CP-SATの決定的時間（時計ではなく作業量）：同じ入力なら混雑した計算機でも同じ計画。"
                                         "全国のロードマップは約6で最適性を証明")
    max_candidate_sets: int = knob(2_000_000, unit="sets", lo=1, hi=10**9, kind="budget",
                                   ja="候補の作業予算（生成する組の数）", en="candidate work budget (sets grown)",
                                   source_en="counted work: the national roadmap grows about 355 thousand sets",
                                   source_ja="作業量で数える：全国のロードマップで約35.5万組")
    wall_limit_s: float = knob(900.0, unit="s", lo=1e-3, hi=604_800, kind="budget", ja="実時間の上限（秒・安全装置）",
                               en="wall-clock backstop (seconds)",
                               source_en="only a backstop: a run it cuts says so in its status and report, and is not "
                                         "reproducible", source_ja="安全装置のみ：これで打ち切った結果は状態と報告書に明記され、再現性はない")
    memory_limit_mb: float = knob(3000.0, unit="MB", lo=1, hi=1_000_000, kind="budget", ja="候補の記憶容量の上限",
                                  en="memory for candidate sets", source_en="checked as the sets grow (counted)",
                                  source_ja="候補の生成中に確認（数えて見積もる）")
    seed: int = knob(0, lo=0, hi=2**31 - 1, kind="budget", ja="乱数の種", en="seed",
                     source_en="the solver's seed (32-bit): same inputs and seed, same plan", source_ja="ソルバの乱数の種",
                     note_en="a 32-bit solver seed", note_ja="32ビットの整数")
    # --- uncertainty: what `lgcloud sweep` draws (optimizer/robust/draws.py); every value of the survey marked
    # synthetic or uncertain (`synthetic_fields`, `uncertain_fields`), the fitted model parameters from their
    # standard errors, and every key given as a range {low, high} in the scenario TOML
    renewal_shift_p: float = knob(0.3, unit="share", lo=0, hi=1, kind="uncertainty",
                                  ja="不確かな更新年度が1年ずれる確率", en="chance an uncertain renewal year moves by a year",
                                  source_en="assumption: survey renewal years are planned dates that slip either way",
                                  source_ja="仮定：調査の更新年度は予定であり前後にずれる")
    vendor_change_p: float = knob(0.1, unit="share", lo=0, hi=1, kind="uncertainty",
                                  ja="不確かなベンダが別のベンダである確率", en="chance an uncertain vendor is another one",
                                  source_en="assumption; the other vendor is drawn from the prefecture's survey",
                                  source_ja="仮定：別のベンダは同じ都道府県の調査から抽出")
    willing_flip_p: float = knob(0.05, unit="share", lo=0, hi=1, kind="uncertainty",
                                 ja="不確かな参加意向が逆である確率", en="chance an uncertain willingness is the other way",
                                 source_en="assumption", source_ja="仮定")
    firm_share: float = knob(0.9, unit="share", lo=0.5, hi=1, kind="uncertainty",
                             ja="確定とみなす出現割合", en="share of draws that makes a grouping firm",
                             source_en="a grouping present in at least this share of the draws is called firm",
                             source_ja="この割合以上の抽出で現れるグループ分けを「確定」とする")
    robust_criterion: str = knob("expected", choices=("expected", "p10", "most_often"), kind="uncertainty",
                                 ja="頑健な計画の基準", en="robust plan criterion",
                                 source_en="expected: best mean value over the draws; p10: best value at the 10th "
                                           "percentile; most_often: optimal in most draws",
                                 source_ja="expected：抽出の平均が最大／p10：10パーセンタイルが最大／most_often：最適となる回数が最多")
    model: ModelParameters = field(default_factory=ModelParameters)
    #: keys given as a range in the scenario TOML (``key = {low = a, high = b}``): ``((key, low, high), ...)``;
    #: a run uses the midpoint, ``lgcloud sweep`` draws uniformly between (``model.`` keys for the model table)
    ranges: tuple = ()
    #: the scenario file a run used, named with a short hash of its content (``whatif.toml#1a2b3c4d``); empty for
    #: the defaults. Shown in every output's title, JSON and CSV.
    label: str = ""

    def __post_init__(self):
        problems = range_problems(self)
        for key in ("together", "apart"):
            sets = getattr(self, key)
            if not isinstance(sets, (list, tuple)) or len(sets) > MAX_LIST:
                problems.append((key, Msg("config.list_of_sets", most=MAX_LIST)))
                continue
            for s in sets:
                if (not isinstance(s, (list, tuple)) or not 2 <= len(s) <= MAX_SET
                        or not all(isinstance(c, str) for c in s)):
                    problems.append((key, Msg("config.set_entry", most=MAX_SET, got=f"{s!r:.80}")))
                elif len(set(s)) < len(s):
                    problems.append((key, Msg("config.listed_twice", codes=list(s))))
        for key in ("alone", "locked", "pairing_hazards"):
            items = getattr(self, key)
            if not isinstance(items, (list, tuple)) or len(items) > MAX_LIST or not all(isinstance(c, str) for c in items):
                problems.append((key, Msg("config.list_of_codes", most=MAX_LIST, got=f"{items!r:.80}")))
        if isinstance(self.open_groups, list):
            if len(self.open_groups) > MAX_LIST or not all(isinstance(g, str) for g in self.open_groups):
                problems.append(("open_groups", Msg("config.open_groups")))
        elif self.open_groups not in ("all", "none"):
            problems.append(("open_groups", Msg("config.open_groups_not", got=repr(self.open_groups))))
        if not problems:  # consistency between keys (each is a valid number now)
            if self.min_size > self.max_size:
                problems.append(("min_size", Msg("config.min_size", lo=self.min_size, hi=self.max_size)))
            if self.roadmap_years > 1 and self.roadmap_years - 1 < self.model.lead_years:
                problems.append(("roadmap_years", Msg("config.roadmap_too_short", years=self.roadmap_years,
                                                      lead=self.model.lead_years)))
            if self.connect_km < self.link_km:
                problems.append(("connect_km", Msg("config.connect_below_link", connect=f"{self.connect_km:g}",
                                                   link=f"{self.link_km:g}")))
            if self.model.hazard_separation_km > self.max_member_distance_km:
                problems.append(("model.hazard_separation_km", Msg(
                    "config.separation_above_cap", sep=f"{self.model.hazard_separation_km:g}",
                    cap=f"{self.max_member_distance_km:g}")))
            bad = [h for h in self.pairing_hazards if h not in HAZARDS]
            if bad:
                problems.append(("pairing_hazards", Msg("config.unknown_hazard", bad=Items(bad), known=Items(HAZARDS))))
        if problems:
            raise InputError([Problem("scenario", None, k, m, label="key") for k, m in problems])

    def effective(self) -> dict[str, Any]:
        """All parameters as plain data (for JSON output)."""
        return dataclasses.asdict(self)

    def replace(self, **changes) -> "Scenario":
        """A copy with some knobs changed; ``model`` may be a dict of model parameters to change."""
        model_changes = changes.pop("model", None)
        model = dataclasses.replace(self.model, **model_changes) if isinstance(model_changes, dict) else (
            model_changes or self.model)
        return dataclasses.replace(self, model=model, **changes)


def _coerce(name: str, value: Any, default: Any, file: str) -> Any:
    def bad(key: str):
        return InputError(Problem(file, None, name, Msg(key, value=repr(value)), label="key"))

    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise bad("config.not_bool")
    elif isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad("config.not_int")
    elif isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad("config.not_number")
        value = float(value)
    elif isinstance(default, list):
        if not isinstance(value, list):
            raise bad("config.not_list")
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
            raise InputError(Problem(file, None, "require_inland_partner", Msg("config.legacy_inland"), label="key"))
    known = {f.name for f in fields(Scenario)} - {"model", "ranges", "label"}
    problems = [Problem(file, None, k, Msg("config.unknown_key"), label="key") for k in data if k not in known | {"model"}]
    model_data = data.get("model", {})
    mknown = {f.name for f in fields(ModelParameters)}
    if not isinstance(model_data, dict):
        problems.append(Problem(file, None, "model", Msg("config.model_table"), label="key"))
        model_data = {}
    problems += [Problem(file, None, f"model.{k}", Msg("config.unknown_key"), label="key") for k in model_data
                 if k not in mknown]
    if problems:
        raise InputError(problems)
    data, model_data, ranges = _ranges(data, model_data, file)
    kwargs = {}
    for k, v in data.items():
        if k == "model":
            continue
        d = getattr(defaults, k)
        if k == "open_groups":
            if not (v in ("all", "none") or isinstance(v, list)):
                raise InputError(Problem(file, None, k, Msg("config.open_groups"), label="key"))
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
        scenario = Scenario(model=model, ranges=ranges, **kwargs)
    except InputError as exc:
        problems += [p for p in exc.problems if p.column != "model.hazard_separation_km" or not problems]
    if problems:  # every problem at once, naming the file the keys came from
        raise InputError([dataclasses.replace(p, file=file) for p in problems])
    return scenario


def _ranges(data: dict, model_data: dict, file: str) -> tuple[dict, dict, tuple]:
    """Keys given as ``{low = a, high = b}``: replaced by their midpoint (rounded for whole-number knobs) and
    returned as ``((key, low, high), ...)``; a malformed range is an error naming the key."""
    out, problems = [], []

    def take(table: dict, prefix: str, defaults) -> dict:
        table = dict(table)
        for k, v in list(table.items()):
            if not isinstance(v, dict) or k in ("model",):
                continue
            key = prefix + k
            lo, hi = v.get("low"), v.get("high")
            d = getattr(defaults, k, None)
            if (set(v) != {"low", "high"} or isinstance(d, bool) or not isinstance(d, (int, float))
                    or any(isinstance(x, bool) or not isinstance(x, (int, float)) for x in (lo, hi)) or lo > hi):
                problems.append(Problem(file, None, key, Msg("config.range_table", value=repr(v)), label="key"))
                continue
            mid = (lo + hi) / 2
            table[k] = int(round(mid)) if isinstance(d, int) else float(mid)
            out.append((key, lo, hi))
        return table

    data = take(data, "", Scenario())
    model_data = take(model_data, "model.", ModelParameters()) if isinstance(model_data, dict) else model_data
    if problems:
        raise InputError(problems)
    return data, model_data, tuple(out)


MAX_SCENARIO_BYTES = 1 << 20


def load_scenario(path: str | Path | None) -> Scenario:
    """Read a TOML scenario; ``None`` gives the defaults."""
    if path is None:
        return Scenario()
    p = Path(path)
    try:
        if not p.is_file():
            raise InputError(Problem(str(p), None, None, Msg("config.not_a_file")))
        if p.stat().st_size > MAX_SCENARIO_BYTES:
            raise InputError(Problem(p.name, None, None, Msg("config.too_large", kb=MAX_SCENARIO_BYTES // 1024)))
        raw = p.read_bytes()
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except OSError as exc:
        raise InputError(Problem(str(p), None, None, Msg("config.cannot_read", why=exc.strerror))) from None
    except UnicodeDecodeError as exc:
        raise InputError(Problem(p.name, None, None, Msg("config.not_utf8", byte=exc.start))) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(Problem(p.name, None, None, Msg("config.not_toml", why=str(exc)))) from None
    except RecursionError:
        raise InputError(Problem(p.name, None, None, Msg("config.too_nested"))) from None
    sc = scenario_from_dict(data, p.name)
    return dataclasses.replace(sc, label=f"{p.name}#{hashlib.sha256(raw).hexdigest()[:8]}")
