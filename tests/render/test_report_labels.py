"""The report says what its numbers are (issue 23): names, accounts, what was and was not assessed."""
import subprocess
import sys
from pathlib import Path

import pytest

import optimizer as lg
from optimizer.render.files import proposals_csv
from optimizer.render.report import plan_files
from optimizer.solve.plan import Proposal

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def okinawa(data):
    return lg.propose(data, ["47"])


@pytest.fixture(scope="module")
def wakayama(data):
    return lg.propose(data, ["30"])


def test_mutual_support_is_not_assessed_where_no_modelled_hazard_applies(data, okinawa):
    # only the Nankai and Japan Trench tsunamis are modelled: 沖縄's groups get no points for pairing
    assert okinawa.groups and all(not g.continuity.assessed for g in okinawa.groups)
    assert all(g.continuity.components["pairing"] == 0 and g.continuity.score <= 60 for g in okinawa.groups)
    md = plan_files(data, Proposal([okinawa], ["47"]))["report.md"]
    assert "評価対象外" in md and "相互支援先が成立" not in md
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(proposals_csv(data, [okinawa], "ja").decode("utf-8-sig"))))
    assert rows and {r["津波相互支援ペア"] for r in rows} == {"評価対象外"}


def test_groups_are_called_by_their_real_names_and_new_ones_by_place(data, wakayama):
    md = plan_files(data, Proposal([wakayama], ["30"]))["report.md"]
    for g in wakayama.groups:
        if g.base_group_id:
            assert data.groups.at[g.base_group_id, "name"] in md
    heads = [line for line in md.splitlines() if line.startswith("### ")]
    assert heads and not any("新規グループ" == h.split("：")[-1].strip() for h in heads)
    assert "既存グループG0" not in md  # never "既存グループG042への参加" without its name


def test_the_figures_say_which_account_and_what_they_cover(data, wakayama):
    md = plan_files(data, Proposal([wakayama], ["30"]))["report.md"]
    assert "移行するシステムの現行の年間運用経費（推計）" in md  # the running cost of the systems that move
    assert "名目額、割引前" in md  # the subsidy is nominal beside discounted NPVs
    assert "| 項目 | 値 |" in md  # no empty header row in 費用と効果
    assert "2018年度" in md and "FY20" not in md
    summary = md.split("## ", 2)[1]
    total = sum(round(g.npv_yen) for g in wakayama.groups)
    assert "提案グループのNPV合計" in summary and f"{total / 1e6:,.1f}" in summary


def test_your_own_survey_warns_about_past_renewal_years_and_keeps_the_synthetic_banner(survey_copy, tmp_path):
    survey = survey_copy.save()
    p = subprocess.run([sys.executable, str(ROOT / "cli.py"), "validate", "--survey", str(survey)], capture_output=True,
                       text=True, cwd=ROOT)
    assert p.returncode == 0 and "次期更新年度が計画年度" in p.stdout + p.stderr
    p = subprocess.run([sys.executable, str(ROOT / "cli.py"), "propose", "--pref", "30", "--survey", str(survey),
                        "--out", str(tmp_path / "mine")], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    assert "次期更新年度が計画年度" in p.stderr
    md = (tmp_path / "mine" / "report.md").read_text(encoding="utf-8")
    assert "合成データ" in md  # the shipped groups and vendors are still synthetic


def test_amounts_in_million_yen_are_rounded_so_that_rows_still_add_up():
    from optimizer.render.report import tenths

    rows = [149_999.0, 149_999.0, 149_999.0, -50_001.0, 123_456_789.0]  # plain rounding would be 0.2 off the total
    shown = tenths(rows)
    assert sum(shown) == round(sum(rows) / 1e5)
    assert all(abs(s - r / 1e5) < 1 for s, r in zip(shown, rows))  # each row within one tenth of its value
    assert tenths([0.0, 0.0]) == [0, 0] and sum(tenths([1e5 / 3] * 3)) == 1


def test_the_advisors_map_draws_every_group_of_the_prefectures_plan(data, wakayama):
    from optimizer.render.maps import MapView

    view = MapView.of_match(lg.match(data, "30206"), data.synthetic)
    drawn = {c for g in view.groups for c in g.movers}
    assert drawn == {c for g in wakayama.groups for c in g.movers}  # 海南市, 紀の川市… are not shown as 提案なし
    assert "30206" in view.groups[0].members  # its own option first
