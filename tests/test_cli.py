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
