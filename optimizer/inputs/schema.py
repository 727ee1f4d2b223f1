"""Column schemas of the user-replaceable input files (survey, groups, group members).

Each column has an English name (used in the shipped files and in code) and the
Japanese label of the national cloud plan survey form (クラウド導入等計画 様式1-3); a
loader accepts either. Values of enumerated columns also accept their Japanese words.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: The five core business areas of the survey, in form order.
AREAS = ["住民情報", "税", "国民健康保険", "国民年金", "福祉"]
AREA_COLUMNS = ["area_resident", "area_tax", "area_health_insurance", "area_pension", "area_welfare"]

CLOUD_STATUS = {"none": "none", "solo": "solo", "group": "group",
                "未導入": "none", "なし": "none", "単独クラウド": "solo", "自治体クラウド": "group"}
AREA_STATUS = {"none": "none", "solo": "solo", "joint": "joint",
               "なし": "none", "未導入": "none", "単独": "solo", "単独クラウド": "solo", "共同": "joint",
               "共同利用": "joint", "自治体クラウド": "joint"}
BOOLEAN = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False,
           "はい": True, "いいえ": False, "有": True, "無": False, "〇": True, "○": True, "×": False}

#: Plausible fiscal years for survey and group files.
MIN_FY, MAX_FY = 1990, 2060


@dataclass(frozen=True)
class Column:
    name: str
    ja: str
    kind: str  # code | str | int | fy | bool | choice | float
    required: bool = True
    choices: dict = field(default_factory=dict)


SURVEY_COLUMNS = [
    Column("code", "団体コード", "code"),
    Column("cloud_status", "クラウド導入状況", "choice", choices=CLOUD_STATUS),
    Column("group_id", "グループID", "str", required=False),
    Column("vendor", "ベンダ", "str"),
    Column("next_renewal_fy", "次期システム更新年度", "fy"),
    Column("second_renewal_fy", "2回目のシステム更新年度", "fy", required=False),
    *[Column(c, a, "choice", required=False, choices=AREA_STATUS) for c, a in zip(AREA_COLUMNS, AREAS)],
    Column("annual_it_cost_yen", "年間情報システム経費（円）", "float", required=False),
    Column("core_system_cost_yen", "基幹系システム年間運用経費（円）", "float", required=False),
    Column("willing", "共同利用の意向", "bool"),
    Column("synthetic_fields", "合成データ項目", "str", required=False),
    Column("uncertain_fields", "不確かな項目", "str", required=False),
]

GROUP_COLUMNS = [
    Column("group_id", "グループID", "str"),
    Column("name", "グループ名", "str", required=False),
    Column("prefectures", "都道府県", "str", required=False),
    Column("start_fy", "開始年度", "fy"),
    Column("listed_member_count", "団体数", "int", required=False),
    Column("listed_population", "グループ総人口", "int", required=False),
    Column("vendor", "ベンダ", "str"),
    Column("next_renewal_fy", "次期システム更新年度", "fy"),
    Column("open_to_new_members", "新規参加受入", "bool"),
    Column("max_members", "最大団体数", "int"),
    Column("synthetic_fields", "合成データ項目", "str", required=False),
]

MEMBER_COLUMNS = [
    Column("group_id", "グループID", "str"),
    Column("code", "団体コード", "code"),
    Column("name", "団体名", "str", required=False),
]


def header_map(columns: list[Column]) -> dict[str, str]:
    """Accepted header (English name or Japanese label) -> English column name."""
    out = {}
    for c in columns:
        out[c.name] = c.name
        out[c.ja] = c.name
    return out


#: Hazard exposure file (``--hazard``): one row per (municipality, hazard); see optimizer/hazard.py.
HAZARD_NAMES = {"nankai": "nankai", "japan_trench": "japan_trench", "other_coast": "other_coast",
                "南海トラフ": "nankai", "南海トラフ津波": "nankai", "日本海溝・千島海溝": "japan_trench",
                "日本海溝・千島海溝津波": "japan_trench", "その他の沿岸": "other_coast"}
HAZARD_CLASSES = {"none": "none", "exposed": "exposed", "special": "special", "なし": "none", "暴露": "exposed",
                  "推進地域": "exposed", "特別強化地域": "special"}
HAZARD_COLUMNS = [
    Column("code", "団体コード", "code"),
    Column("hazard", "災害", "choice", choices=HAZARD_NAMES),
    Column("class", "区分", "choice", choices=HAZARD_CLASSES),
]
