import io
import json
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from support import check_group_money, headless_dom, require_chromium
from PIL import Image

import optimizer as lg
from optimizer.solve.plan import Proposal
from optimizer.render.maps import MapView, plan_png
from optimizer.render.report import plan_files

ROOT = Path(__file__).resolve().parents[2]


def test_propose_out_writes_every_file(wakayama_out):
    names = {p.name for p in wakayama_out.iterdir()}
    assert {"proposals.json", "proposals.csv", "proposals.geojson", "map.png", "map.html", "report.html",
            "report.md"} <= names
    img = Image.open(wakayama_out / "map.png")
    assert img.width > 500 and img.height > 500
    md = (wakayama_out / "report.md").read_text(encoding="utf-8")
    assert "前提と出典" in md and "合成データ" in md and "国土数値情報" in md
    assert "他の選択肢（NPV）" in md and "負担金の目安" in md and "業務継続スコア" in md


def test_map_png_has_no_missing_japanese_glyphs(data):
    plan = lg.propose(data, ["30"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = plan_png(data, MapView.of_plan(plan))
    assert not [w for w in caught if "missing from" in str(w.message) or "Glyph" in str(w.message)]
    import matplotlib.font_manager as fm
    from matplotlib import rcParams
    font = fm.findfont(fm.FontProperties(family=rcParams["font.family"]))
    assert "ipaex" in font.lower()
    assert Image.open(io.BytesIO(png)).format == "PNG"


def test_html_files_are_self_contained(wakayama_out):
    for name in ("map.html", "report.html"):
        text = (wakayama_out / name).read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text), name
        assert "@import" not in text and "<link" not in text


def test_english_report(data, ctx):
    plans = [lg.propose(data, ["30"])]
    files = plan_files(data, Proposal(plans, ["30"]), lang="en")
    assert "Assumptions and sources" in files["report.md"] and "SYNTHETIC" in files["report.md"]


def _chromium(url: str, tmp_path: Path) -> tuple[str, str]:
    p = headless_dom(url, tmp_path, "--disable-quic", "--enable-logging=stderr", "--v=0", timeout=120)
    return p.stdout, p.stderr


@pytest.mark.slow
def test_report_and_map_load_in_headless_chromium_without_console_errors(wakayama_out, tmp_path):
    require_chromium()
    for name in ("report.html", "map.html#30201"):
        dom, log = _chromium((wakayama_out / name.split("#")[0]).as_uri() + ("#30201" if "#" in name else ""), tmp_path)
        console = [line for line in log.splitlines() if "CONSOLE" in line]
        assert console == [], console
        assert "</html>" in dom
    # the map's script ran: the deep link opened 和歌山市's panel with its proposal
    assert "和歌山市" in dom and "P01" in dom


def test_compare_reports_differing_groups_and_value(data):
    a = lg.propose(data, ["30"])
    b = lg.propose(data, ["30"], scenario=lg.Scenario(vendor_mode="same"))
    diff = lg.compare(a, b)
    assert diff["value_difference"] == round(b.objective - a.objective)
    assert diff["only_in_a"] or diff["only_in_b"]
    assert lg.compare(a, a)["value_difference"] == 0 and lg.compare(a, a)["only_in_a"] == []


def test_match_out_writes_the_advisors_proposal(tmp_path):
    p = subprocess.run([sys.executable, str(ROOT / "cli.py"), "match", "--municipality", "30201", "--out",
                        str(tmp_path), "--top", "3"], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    md = (tmp_path / "match_report.md").read_text(encoding="utf-8")
    assert "和歌山市" in md and "参考となる先行グループ" in md and (tmp_path / "match_map.png").exists()


def test_plan_objects_convert_to_frames(data):
    plan = lg.propose(data, ["30"])
    gdf = plan.to_geodataframe(data)
    assert len(gdf) == sum(len(g.members) for g in plan.groups) and gdf.crs.to_epsg() == 4326
    assert list(plan.groups_frame()["id"]) == [f"P{k:02d}" for k in range(1, len(plan.groups) + 1)]
    s = lg.score(data, ["30341", "30361", "30362"])
    assert len(s.shares_frame()) == 3


@pytest.mark.slow
def test_national_single_wave_is_proven_optimal(tmp_path):
    # a generous budget: CI machines vary (benchmarks/solve_all.py measures the default 60 s budget)
    sc = tmp_path / "wave.toml"
    sc.write_text("roadmap_years = 1\n", encoding="utf-8")
    p = subprocess.run([sys.executable, str(ROOT / "cli.py"), "propose", "--all", "--json", "--scenario", str(sc),
                        "--time-limit", "180"], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    # one national instance with one proof: status, bound and gap as CP-SAT reports them
    assert out["status"] == "OPTIMAL" and out["gap"] == 0 and out["best_bound"] >= out["objective"] - 1
    assert out["horizon"]["single_wave"] and all(len(g["timeline"]) == 1 for g in out["groups"])


@pytest.mark.slow
def test_propose_all_covers_every_prefecture(tmp_path):
    # the national roadmap at the default budget: a plan, its status and bound said truthfully, every table adding up
    p = subprocess.run([sys.executable, str(ROOT / "cli.py"), "propose", "--all", "--json", "--out", str(tmp_path)],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["status"] in ("OPTIMAL", "FEASIBLE")
    if out["status"] == "FEASIBLE":  # never called optimal: a gap, or the search stopped and the bound is unknown
        assert (out["gap"] or 0) > 0 or (out["best_bound"] is None and out["stats"]["stopped"])
    assert out["horizon"] == {"from_fy": 2018, "to_fy": 2027, "first_go_live_fy": 2019, "single_wave": False}
    assert out["national_kpi"]["fy2014_cloud_municipalities"] == 550
    kpi = out["kpi"]
    assert kpi[0]["municipalities_in_groups"] == 387  # the members of the 59 existing groups
    assert kpi[-1]["municipalities_in_groups"] == 387 + out["totals"]["municipalities_moving"]
    assert sum(r["kpi"][-1]["municipalities_in_groups"] for r in out["by_prefecture"]) == kpi[-1]["municipalities_in_groups"]
    assert abs(kpi[-1]["cumulative_npv_yen"] + out["npv_after_horizon_yen"] - out["totals"]["npv_yen"]) <= len(kpi)
    assert len(out["alone"]) == 1741 - kpi[-1]["municipalities_in_groups"] and all(r["reason"] and r["reason_ja"] for r in out["alone"])
    assert len(out["prefectures"]) == 47 and len(out["by_prefecture"]) == 47
    # the headline is the sum of the groups as each shows it, to the yen
    assert out["totals"]["npv_yen"] == sum(g["npv_yen"] for g in out["groups"])
    assert out["totals"]["annual_savings_yen"] == sum(g["annual_savings_yen"] for g in out["groups"])
    assert (tmp_path / "report.md").read_text(encoding="utf-8").startswith("# 自治体クラウド グループ案 報告書：全国")
    assert sum(r["moving"] for r in out["by_prefecture"]) == out["totals"]["municipalities_moving"]
    assert sum(r["annual_savings_yen"] for r in out["by_prefecture"]) == sum(
        sum(s["annual_savings_yen"] for s in g["shares"]) for g in out["groups"])
    cross = [g for g in out["groups"] if g["cross_prefecture"]]
    assert cross and all(len({c[:2] for c in g["members"]}) > 1 for g in cross)
    assert out["totals"]["cross_prefecture_groups"] == len(cross)
    for g in out["groups"]:  # money reconciles in every group of the national plan
        check_group_money(g, out["stability"]["epsilon_yen"])
    import geopandas as gpd
    gdf = gpd.read_file(tmp_path / "proposals.geojson")
    assert len(gdf) == 1741  # every municipality, with its status
    assert gdf.loc[gdf["status"] == "proposed", "code"].str[:2].nunique() > 30  # groups drawn from the whole country
    csv = (tmp_path / "proposals.csv").read_text(encoding="utf-8-sig")
    assert "県境を越えるグループ" in csv.splitlines()[0]


@pytest.fixture(scope="module")
def three_plans(tmp_path_factory):
    out = tmp_path_factory.mktemp("alternatives")
    p = subprocess.run([sys.executable, str(ROOT / "cli.py"), "propose", "--pref", "30", "--alternatives", "3",
                        "--out", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    return out


def test_alternatives_are_separate_plans_and_only_the_best_is_called_optimal(three_plans):
    import csv

    main = json.loads((three_plans / "proposals.json").read_text(encoding="utf-8"))["alternatives"]
    assert [a["rank"] for a in main] == [1, 2, 3]
    assert main[0]["status"] == "OPTIMAL" and all(a["status"] != "OPTIMAL" for a in main[1:])
    assert "below the optimum" in main[1]["label"] and main[1]["below_best"] > 0
    with open(three_plans / "proposals.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["案"] for r in rows} == {"1"}  # the main table holds the optimum only: no plan is counted twice
    assert len(rows) == sum(len(g["members"]) for g in main[0]["groups"])
    for k in (2, 3):
        alt = json.loads((three_plans / f"alt{k}" / "proposals.json").read_text(encoding="utf-8"))
        assert alt["rank"] == k and (three_plans / f"alt{k}" / "map.html").exists()
        assert 'href="../map.html"' in (three_plans / f"alt{k}" / "map.html").read_text(encoding="utf-8")
    md = (three_plans / "report.md").read_text(encoding="utf-8")
    assert "代替案の比較" in md and "第2位の案" in md and "最適案（証明済み）" in md


def test_japanese_report_has_no_english_prose_and_explains_the_solver(three_plans):
    md = (three_plans / "report.md").read_text(encoding="utf-8")
    assert "求解状況の読み方" in md and "データの基準" in md and "既存グループへの参加の条件" in md
    for english in ("planning_fy", "pairing", "spread", "reachability", "max distance", "SYNTHETIC", "yen/km",
                    "nankai", "None"):
        assert english not in md


def test_english_csv_has_english_headers_and_rates_in_percent(tmp_path):
    p = subprocess.run([sys.executable, str(ROOT / "cli.py"), "propose", "--pref", "30", "--out", str(tmp_path),
                        "--lang", "en"], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    import csv

    with open(tmp_path / "proposals.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert "reduction_mean_percent" in rows[0] and "vendor_name" in rows[0]
    assert all(5 < float(r["reduction_mean_percent"]) < 70 for r in rows)
    html = (tmp_path / "map.html").read_text(encoding="utf-8")
    assert "no proposal (alone or not eligible)" in html  # a legend entry for the grey areas


def test_own_survey_plans_from_the_current_fiscal_year(tmp_path):
    from optimizer.cli import current_fy
    import datetime

    assert current_fy(datetime.date(2027, 3, 31)) == 2026 and current_fy(datetime.date(2027, 4, 1)) == 2027
    survey = ROOT / "data" / "systems" / "survey.csv"
    p = subprocess.run([sys.executable, str(ROOT / "cli.py"), "propose", "--pref", "30", "--json", "--survey",
                        str(survey)], capture_output=True, text=True, cwd=ROOT)
    assert json.loads(p.stdout)["scenario"]["planning_fy"] == current_fy()
