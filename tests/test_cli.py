import json
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args, check=True):
    p = subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True, cwd=ROOT)
    if check and p.returncode != 0:
        raise AssertionError(p.stderr)
    return p


def test_info_reports_the_shipped_data():
    out = json.loads(run("info", "--json").stdout)
    assert (out["municipalities"], out["prefectures"], out["groups"], out["memberships"]) == (1741, 47, 59, 387)
    assert out["survey"]["synthetic_rows"] == 1741 and out["sources"]


def test_graph_of_wakayama_as_json_and_geojson(tmp_path):
    out = json.loads(run("graph", "--pref", "30", "--json", "--out", str(tmp_path / "g.geojson")).stdout)
    assert len(out["nodes"]) == 30
    g = nx.Graph([(e["a"], e["b"]) for e in out["edges"]])
    g.add_nodes_from(n["code"] for n in out["nodes"])
    assert nx.is_connected(g)
    coastal = {n["code"]: n["coastal"] for n in out["nodes"]}
    assert coastal["30341"] is False and coastal["30361"] and coastal["30362"]
    gj = json.loads((tmp_path / "g.geojson").read_text(encoding="utf-8"))
    assert gj["type"] == "FeatureCollection" and len(gj["features"]) == 30 + len(out["edges"])


def test_bad_survey_exits_2_with_rows_and_columns_and_no_traceback(survey_copy):
    df = survey_copy.df
    df.loc[0, "code"] = "1100"
    df.loc[5, "code"] = df.loc[4, "code"]
    df.loc[10, "next_renewal_fy"] = "20019"
    args = ["validate", "--survey", str(survey_copy.save()), "--groups", str(survey_copy.groups)]
    p = run(*args, "--lang", "en", check=False)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
    assert "row 1 (line 2), column 'code'" in p.stderr and "row 11 (line 12), column 'next_renewal_fy'" in p.stderr
    assert "duplicate code" in p.stderr
    ja = run(*args, check=False)  # Japanese by default: the same places, in Japanese
    assert ja.returncode == 2 and "1行目（ファイルの2行）、列「code」" in ja.stderr and "重複" in ja.stderr


def test_validate_accepts_the_shipped_files():
    assert run("validate").stdout.startswith("OK：") and run("validate", "--lang", "en").stdout.startswith("OK:")


@pytest.mark.parametrize("members,pairing", [("30341,30361,30362", True), ("30361,30362", False)])
def test_score_reports_pairing(members, pairing):
    out = json.loads(run("score", "--members", members, "--json").stdout)
    assert out["continuity"]["pairing_ok"] is pairing
    assert set(out) >= {"members", "go_live_fy", "baseline_cost_yen", "reduction_rate", "annual_savings_yen",
                        "one_off_cost_yen", "subsidy_yen", "npv_yen", "continuity", "shares", "allocation", "warnings",
                        "accounts", "value_yen", "coalition_values", "violations"}


def test_score_unknown_code_exits_2():
    p = run("score", "--members", "30341,99999", check=False)
    assert p.returncode == 2 and "99999" in p.stderr and "Traceback" not in p.stderr


def test_score_existing_group():
    out = json.loads(run("score", "--group", "G015", "--json").stdout)
    assert len(out["members"]) == 18


def test_score_and_match_say_when_synthetic_values_fed_them():
    for args in (["score", "--members", "30341,30361"], ["match", "--municipality", "30206", "--top", "2"]):
        r = subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True, cwd=ROOT)
        assert r.returncode == 0 and "合成データ" in r.stdout
        j = subprocess.run([sys.executable, str(ROOT / "cli.py"), *args, "--json"], capture_output=True, text=True,
                           cwd=ROOT)
        assert "synthetic_note" in json.loads(j.stdout)


# --- a report a mayor can sign (issue 23) -------------------------------------------------------------------
def test_score_of_a_plans_group_gives_the_plans_figures(wakayama_out):
    plan = json.loads((wakayama_out / "proposals.json").read_text(encoding="utf-8"))
    for g in plan["groups"]:
        out = json.loads(run("score", "--plan", str(wakayama_out / "proposals.json"), "--id", g["id"], "--json").stdout)
        assert out["npv_yen"] == g["npv_yen"] and out["annual_savings_yen"] == g["annual_savings_yen"]
        assert out["timeline"] == g["timeline"] and out["violations"] == []


def test_score_takes_a_join_year_per_member_for_a_staggered_group(wakayama_out):
    g = json.loads((wakayama_out / "proposals.json").read_text(encoding="utf-8"))["groups"][-1]
    joins = ",".join(f"{c}={y}" for c, y in g["join_fy"].items())
    out = json.loads(run("score", "--members", ",".join(g["members"]), "--join", joins, "--json").stdout)
    assert out["npv_yen"] == g["npv_yen"] and {s["fy"] for s in out["timeline"]} == set(g["join_fy"].values())
    later = ",".join(f"{c}={y + 2}" for c, y in g["join_fy"].items())  # another year is another group's value
    other = json.loads(run("score", "--members", ",".join(g["members"]), "--join", later, "--json").stdout)
    assert other["npv_yen"] != g["npv_yen"]
    bad = run("score", "--members", ",".join(g["members"]), "--join", "01100=2022", check=False)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "01100" in bad.stderr


def test_score_of_a_group_that_breaks_rules_leads_with_them_and_calls_its_figures_hypothetical():
    p = run("score", "--members", "01100,47201,30427")
    lines = p.stdout.splitlines()
    assert lines[1].startswith("規則違反あり（") and "仮定の計算" in lines[1]
    assert any(line.startswith("注：規則違反があるため") for line in lines)
    ok = run("score", "--members", "30202,30209").stdout.splitlines()
    assert not any("規則違反" in line for line in ok)


def test_validate_names_columns_as_the_file_does_and_lists_rows_in_order(survey_copy, tmp_path):
    from optimizer.inputs.schema import SURVEY_COLUMNS

    df = survey_copy.df.rename(columns={c.name: c.ja for c in SURVEY_COLUMNS})
    df.loc[7, "クラウド導入状況"] = "bogus"
    df.loc[3, "クラウド導入状況"] = "bogus"
    df.loc[5, "次期システム更新年度"] = "20x1"
    path = tmp_path / "ja.csv"
    df.to_csv(path, index=False, encoding="utf-8-sig")
    p = run("validate", "--survey", str(path), "--groups", str(survey_copy.groups), "--group-members",
            str(survey_copy.members), check=False)
    assert p.returncode == 2
    lines = [line for line in p.stderr.splitlines() if "ja.csv" in line]
    assert [int(line.split("ja.csv ")[1].split("行目")[0]) for line in lines] == [4, 6, 8]
    assert "列「クラウド導入状況」" in lines[0] and "cloud_status" not in p.stderr


def test_a_what_if_is_named_in_every_output_and_compare_sets_two_runs_side_by_side(wakayama_out, tmp_path):
    sc = tmp_path / "whatif.toml"
    sc.write_text('vendor_mode = "same"\n', encoding="utf-8")
    run("propose", "--pref", "30", "--scenario", str(sc), "--out", str(tmp_path / "whatif"))
    out = json.loads((tmp_path / "whatif" / "proposals.json").read_text(encoding="utf-8"))
    label = out["scenario"]["label"]
    assert label.startswith("whatif.toml#") and len(label.split("#")[1]) == 8
    page = (tmp_path / "whatif" / "report.html").read_text(encoding="utf-8")
    assert f"（シナリオ {label}）</h1>" in page
    csv = (tmp_path / "whatif" / "proposals.csv").read_text(encoding="utf-8-sig").splitlines()
    assert "シナリオ" in csv[0] and all(line.endswith(label) for line in csv[1:])
    base = json.loads((wakayama_out / "proposals.json").read_text(encoding="utf-8"))
    assert base["scenario"]["label"] == ""
    diff = json.loads(run("compare", str(wakayama_out), str(tmp_path / "whatif"), "--json").stdout)
    assert diff["scenario_b"] == label and diff["value_a"] == base["objective"]
    assert diff["value_difference"] == out["objective"] - base["objective"]
    assert diff["municipalities_regrouped"] or diff["value_difference"] == 0
    same = json.loads(run("compare", str(wakayama_out), str(wakayama_out), "--json").stdout)
    assert same["municipalities_regrouped"] == [] and same["value_difference"] == 0
    text = run("compare", str(wakayama_out), str(tmp_path / "whatif")).stdout
    assert "既定値" in text and label in text
    bad = run("compare", str(wakayama_out), str(sc), check=False)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
