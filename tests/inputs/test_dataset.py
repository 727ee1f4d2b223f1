import pandas as pd
import pytest

from optimizer.inputs import synthetic
from optimizer.inputs.dataset import load
from optimizer.errors import InputError


def test_shipped_data_has_every_municipality_and_the_real_groups(data):
    assert len(data.municipalities) == 1741
    assert data.municipalities["prefecture_code"].nunique() == 47
    assert len(data.groups) == 59 and len(data.members) == 387
    assert (data.municipalities["kind"] == "特別区").sum() == 23


def test_codes_are_five_digit_strings_everywhere(data):
    for codes in (data.municipalities.index, data.survey.index, data.members["code"]):
        assert all(isinstance(c, str) and len(c) == 5 and c.isdigit() for c in codes)
    assert data.name("01100") == "札幌市"


def test_survey_with_lost_zero_duplicate_and_impossible_year_is_rejected_with_all_three(survey_copy):
    df = survey_copy.df
    df.loc[0, "code"] = "1100"  # 01100 with its leading zero lost
    df.loc[5, "code"] = df.loc[4, "code"]  # duplicate
    df.loc[10, "next_renewal_fy"] = "20019"
    with pytest.raises(InputError) as err:
        load(survey=survey_copy.save(), groups=survey_copy.groups)
    msgs = [str(p) for p in err.value.problems]
    assert any("row 1 (line 2), column 'code'" in m and "leading zero" in m and "01100" in m for m in msgs)
    assert any("row 6" in m and "column 'code'" in m and "duplicate" in m for m in msgs)
    assert any("row 11" in m and "next_renewal_fy" in m and "20019" in m for m in msgs)


def test_missing_required_column_is_named(survey_copy):
    survey_copy.df = survey_copy.df.drop(columns=["vendor"])
    with pytest.raises(InputError, match="'vendor': required column is missing"):
        load(survey=survey_copy.save(), groups=survey_copy.groups)


def test_japanese_headers_are_accepted(survey_copy, data):
    survey_copy.df = survey_copy.df.rename(columns={"code": "団体コード", "next_renewal_fy": "次期システム更新年度",
                                                    "area_tax": "税"})
    d = load(survey=survey_copy.save(), groups=survey_copy.groups)
    assert d.survey["next_renewal_fy"].equals(data.survey["next_renewal_fy"])


def test_group_status_without_group_and_unknown_vendor_are_reported(survey_copy):
    df = survey_copy.df
    i = df.index[df.cloud_status == "none"][0]
    df.loc[i, "cloud_status"] = "group"
    df.loc[i + 1, "vendor"] = "NOPE"
    with pytest.raises(InputError) as err:
        load(survey=survey_copy.save(), groups=survey_copy.groups)
    text = str(err.value)
    assert f"row {i + 1} (line {i + 2}), column 'group_id'" in text
    assert "unknown vendor 'NOPE'" in text


def test_municipality_in_two_groups_is_rejected(survey_copy):
    m = pd.read_csv(survey_copy.members, dtype=str, keep_default_na=False)
    extra = m.iloc[[0]].assign(group_id="G002")
    pd.concat([m, extra]).to_csv(survey_copy.members, index=False)
    with pytest.raises(InputError, match="also in group 'G001'"):
        load(survey=survey_copy.save(), groups=survey_copy.groups)


def test_cp932_excel_file_is_read(survey_copy, data):
    survey_copy.df.to_csv(survey_copy.path, index=False, encoding="cp932")
    d = load(survey=survey_copy.path, groups=survey_copy.groups)
    assert len(d.survey) == 1741


def test_synthetic_survey_is_reproducible_and_keeps_groups_consistent(data):
    munis = data.municipalities[["code", "population"]].reset_index(drop=True)
    groups = data.groups[["group_id", "start_fy", "listed_member_count"]].reset_index(drop=True)
    a, ga = synthetic.generate(munis, groups, data.members, seed=7)
    b, gb = synthetic.generate(munis, groups, data.members, seed=7)
    pd.testing.assert_frame_equal(a, b)
    s = a.set_index("code")
    for gid, codes in data.group_members.items():
        assert set(s.loc[codes, "vendor"]) == {ga.set_index("group_id").at[gid, "vendor"]}
        assert s.loc[codes, "cloud_status"].eq("group").all()
    # solo-cloud share calibrated to the 2016 count of 475 (sampling noise allowed)
    assert 400 <= (s.cloud_status == "solo").sum() <= 550
    assert set(s.next_renewal_fy[s.cloud_status != "group"]) <= set(range(2018, 2023))


def test_shipped_survey_marks_its_synthetic_values(data):
    assert (data.survey["synthetic_fields"].str.contains("vendor")).all()
