"""The maps and the GIS layer as a reader meets them (issue "A report a mayor can sign"): every municipality in
proposals.geojson with its status, the names of municipalities in no group on the maps, the click panel's own
figures beside the group's totals, and labels and amounts that keep to one line."""
import base64
import html
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib.axes import Axes

import optimizer as lg
from optimizer.render.files import plan_rows, proposals_geojson
from optimizer.render.maps import QUIET_LABEL_PREFECTURES, MapView, plan_html, plan_png
from optimizer.text import t
from support import headless_dom, require_chromium



@pytest.fixture(scope="module")
def wakayama(data):
    """和歌山県: three expansions; 和歌山市 (not profitable), 新宮市, 紀美野町 and 古座川町 (unwilling) in no group."""
    return lg.propose(data, ["30"])


@pytest.fixture(scope="module")
def wakayama_html(data, wakayama):
    return {lang: plan_html(data, MapView.of_plan(wakayama), lang) for lang in ("ja", "en")}


def _features(text: str) -> dict[str, dict]:
    return {f["properties"]["code"]: f["properties"] for f in json.loads(text)["features"]}


def _script(page: str, name: str):
    return json.loads(re.search(rf'<script id="{name}" type="application/json">(.*?)</script>', page, re.S).group(1))


def _nation(data) -> list[str]:
    return sorted(data.municipalities["prefecture_code"].unique())


# --- proposals.geojson -----------------------------------------------------------------------------------------

def test_geojson_keeps_municipalities_in_no_group_with_their_status(data, wakayama):
    props = _features(proposals_geojson(data, wakayama))
    m = data.municipalities
    in_pref = set(m.index[m["prefecture_code"] == "30"])
    group = {c: g.id for g in wakayama.groups for c in g.members}
    left = {r["code"]: r["reason_code"] for r in wakayama.left_out}
    assert len(in_pref) == 30 and len(left) == 4
    # every municipality of 和歌山県, and every member (大和郡山市 of 奈良県 is in G040's expansion)
    assert set(props) == in_pref | set(group)
    for c, p in props.items():
        if c in group:
            assert p["status"] == "proposed" and p["group"] == group[c] and p["reason_code"] is None
        else:
            assert p["status"] == "none" and p["group"] is None and p["existing_group_id"] is None
            assert p["reason_code"] == left[c] and p["reason"] == t("ja", f"reason.{left[c]}")
            assert p["status_label"] == t("ja", "map.status.none")
    assert props["30201"]["name"] == "和歌山市" and props["30201"]["reason_code"] == "not_profitable"
    assert props["30201"]["population"] == int(m.at["30201", "population"])
    features = json.loads(proposals_geojson(data, wakayama))["features"]
    shapes = {f["properties"]["code"]: f["geometry"]["type"] for f in features}
    assert {shapes[c] for c in left} <= {"Polygon", "MultiPolygon"}


@pytest.mark.filterwarnings("ignore:Could not parse column 'join_fy'")  # a year or "" (as in proposals.csv)
def test_geojson_keeps_the_properties_of_group_members_as_before(data, wakayama):
    """The members' features come first, each with its row of plan_rows unchanged (integers stay integers)."""
    rows = plan_rows(data, [wakayama])
    features = json.loads(proposals_geojson(data, wakayama))["features"]
    assert [f["properties"]["code"] for f in features[:len(rows)]] == [r["code"] for r in rows]
    for r, f in zip(rows, features):
        p = f["properties"]
        assert list(p)[0] == "code"
        for k, v in r.items():
            assert p[k] == v, (r["code"], k)
            if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
                assert type(p[k]) is int, (r["code"], k)
    import geopandas as gpd

    gdf = gpd.read_file(io.StringIO(proposals_geojson(data, wakayama)))
    members = gdf[gdf["status"] == "proposed"]
    assert sorted(members["code"]) == sorted(r["code"] for r in rows)
    assert set(members["group"]) == {g.id for g in wakayama.groups}


def test_geojson_marks_members_of_an_existing_group_the_plan_leaves_unchanged(data):
    plan = lg.propose(data, ["30"], scenario=lg.Scenario(locked=["G041"]))
    assert "G041" not in {g.base_group_id for g in plan.groups}
    props = _features(proposals_geojson(data, plan))
    g041 = [c for c in data.group_members["G041"] if c.startswith("30")]
    assert len(g041) == 6
    for c in g041:
        p = props[c]
        assert p["status"] == "existing" and p["existing_group_id"] == "G041" and p["group"] is None
        assert p["reason_code"] is None and p["status_label"] == t("ja", "map.status.existing")
    # the members of expanded groups are "proposed", and say which group they are in today
    expanded = next(g for g in plan.groups if g.base_group_id)
    stayer = next(c for c in expanded.members if c not in expanded.joining)
    assert props[stayer]["status"] == "proposed" and props[stayer]["existing_group_id"] == expanded.base_group_id


def test_geojson_speaks_the_language_it_is_asked_for(data, wakayama):
    en = _features(proposals_geojson(data, wakayama, "en"))["30207"]
    ja = _features(proposals_geojson(data, wakayama))["30207"]
    assert en["reason"] == t("en", "reason.unwilling") and en["status_label"] == "in no group"
    assert ja["reason"] == t("ja", "reason.unwilling") and ja["status_label"] == "グループに入らない"
    assert en["status"] == ja["status"] == "none"  # the code stays the same for programs


# --- names of the municipalities in no group ---------------------------------------------------------------------

def test_html_map_names_municipalities_in_no_group_in_a_quieter_style(data, wakayama, wakayama_html):
    page = wakayama_html["ja"]
    quiet = re.findall(r'<text x="[^"]+" y="[^"]+" class="quiet">([^<]+)</text>', page)
    loud = re.findall(r'<text x="[^"]+" y="[^"]+">([^<]+)</text>', page)
    members = {data.name(c) for g in wakayama.groups for c in g.members}
    assert {r["name"] for r in wakayama.left_out} <= set(quiet)
    assert not set(quiet) & members and set(loud) <= members and "海南市" in loud
    css = re.search(r"\.names text\.quiet\{([^}]*)\}", page).group(1)
    assert "font-size:9px" in css and "fill:#" in css  # smaller than the members' 10px, grey


def test_png_map_names_municipalities_in_no_group_smaller_and_grey(data, wakayama, monkeypatch):
    drawn = {}
    real = Axes.annotate

    def record(self, text, xy, *args, **kw):
        drawn[text] = (kw.get("fontsize"), kw.get("color"))
        return real(self, text, xy, *args, **kw)

    monkeypatch.setattr(Axes, "annotate", record)
    plan_png(data, MapView.of_plan(wakayama))
    member = drawn["海南市"]
    for r in wakayama.left_out:
        size, colour = drawn[r["name"]]
        assert size < member[0] and colour not in (None, member[1]), r["name"]


def test_national_map_names_only_the_proposals(data, wakayama, monkeypatch):
    view = MapView(_nation(data), wakayama.groups, wakayama.left_out)
    assert len(view.prefectures) > QUIET_LABEL_PREFECTURES
    page = plan_html(data, view)
    assert 'class="quiet"' not in page and "和歌山市" not in re.search(r'<g class="names">(.*?)</g>', page).group(1)
    drawn = []
    real = Axes.annotate
    monkeypatch.setattr(Axes, "annotate", lambda self, text, xy, *a, **kw: (drawn.append(text),
                                                                              real(self, text, xy, *a, **kw))[1])
    plan_png(data, view)
    members = {data.name(c) for g in wakayama.groups for c in g.members}
    assert drawn and set(drawn) <= members


# --- the click panel ---------------------------------------------------------------------------------------------

def test_map_panel_shows_the_towns_own_figures_beside_the_group_totals(data, wakayama, wakayama_html):
    info = _script(wakayama_html["ja"], "data")
    for g in wakayama.groups:
        for s in g.shares:
            p = info[s["code"]]["proposal"] if s["code"] in info else None
            if p is None:  # a member outside 和歌山県 (大和郡山市) is not on this map
                continue
            assert p["own"] == {"savings": s["annual_savings_yen"], "npv": s["own_npv_yen"], "share": s["share_yen"]}
            assert (p["savings"], p["npv"], p["national"]) == (round(g.annual_savings_yen), round(g.npv_yen),
                                                               round(g.national_npv_yen))
    kainan = info["30202"]["proposal"]
    assert kainan["own"]["savings"] < kainan["savings"] and kainan["own"]["share"] != kainan["npv"]
    assert "own" not in (info["30201"].get("proposal") or {})  # 和歌山市 is in no group
    for lang, own, group in (("ja", "本団体", "グループ"), ("en", "own", "group")):
        w = _script(wakayama_html[lang], "words")
        assert own in w["own_savings"] and own in w["share"] and ("自団体" in w["own_npv"] or own in w["own_npv"])
        assert group in w["savings"] and group in w["npv"] and group in w["national"]
        assert t(lang, "mapjs.npv") != t(lang, "mapjs.national")  # municipal and national account told apart
    page = wakayama_html["ja"]
    assert "W.own_savings" in page and "p.own.share" in page and "W.group_head" in page


def test_map_embeds_the_glyphs_of_its_click_panel(data, wakayama_html):
    """The panel's words come from a JSON script (escaped \\uXXXX): the embedded font must hold them too."""
    from fontTools.ttLib import TTFont

    for lang, page in wakayama_html.items():
        b64 = re.search(r"url\(data:font/woff;base64,([A-Za-z0-9+/=]+)\)", page).group(1)
        cmap = TTFont(io.BytesIO(base64.b64decode(b64))).getBestCmap()
        shown = json.dumps([_script(page, "words"), _script(page, "data")], ensure_ascii=False)
        missing = sorted({ch for ch in shown if ord(ch) > 0x2000 and ord(ch) not in cmap})
        assert missing == [], (lang, missing[:20])
    cmap = TTFont(io.BytesIO(base64.b64decode(re.search(r"base64,([A-Za-z0-9+/=]+)", wakayama_html["ja"]).group(1))))
    cmap = cmap.getBestCmap()
    assert all(ord(ch) in cmap for ch in "現行人口沿岸百万円")  # 現行ベンダ, 人口, 沿岸 are nowhere else on the page


def test_map_amounts_keep_their_unit_on_the_same_line(wakayama_html):
    page = wakayama_html["ja"]
    assert re.search(r"\.amt[^{]*\{white-space:nowrap\}", page)
    yen = re.search(r"function yen\(v\) \{(.*?)\}\n", page).group(1)
    assert "'<span class=\"amt\">'" in yen and "\\u00a0" in yen


# --- in a browser ------------------------------------------------------------------------------------------------

#: Appended to a map: clicks municipalities and reports, for every label cell and amount of the panel, on how many
#: lines it is drawn (rectangles of its text grouped by their top), with the panel's text.
MEASURE = """<script>
(function() {
  function lines(el) {
    var r = document.createRange(); r.selectNodeContents(el);
    var tops = []; Array.prototype.forEach.call(r.getClientRects(), function(q) {
      if (q.width > 0 && !tops.some(function(t) { return Math.abs(t - q.top) < 6; })) tops.push(q.top); });
    return tops.length;
  }
  var out = [];
  CODES.forEach(function(code) {
    document.getElementById('m' + code).dispatchEvent(new MouseEvent('click', {bubbles: true}));
    function add(kind, sel) {
      document.querySelectorAll(sel).forEach(function(el) { out.push([kind, code, el.textContent, lines(el)]); });
    }
    add('label', '#detail td.k');
    add('amount', '#detail .amt');
    out.push(['panel', code, document.getElementById('detail').textContent, 0]);
  });
  var pre = document.createElement('pre'); pre.id = 'measured'; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script></body></html>"""


def measure_panel(page: str, codes: list[str], tmp_path: Path) -> list[list]:
    """Open ``page`` (a map.html) in headless Chromium at 1200x900, click ``codes`` and measure the panel."""
    path = tmp_path / "measure.html"
    path.write_text(page.replace("</body></html>", MEASURE.replace("CODES", json.dumps(codes))), encoding="utf-8")
    p = headless_dom(path.as_uri(), tmp_path, "--window-size=1200,900")
    found = re.search(r'<pre id="measured">(.*?)</pre>', p.stdout, re.S)
    assert found, p.stderr[-2000:]
    return json.loads(html.unescape(found.group(1)))


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_map_panel_labels_and_amounts_stay_on_one_line_in_a_browser(wakayama, wakayama_html, lang, tmp_path):
    require_chromium()
    codes = ["30202", "30206", "30366", "30201"]  # members of the three groups (one joins), and one in no group
    rows = measure_panel(wakayama_html[lang], codes, tmp_path)
    labels = [r for r in rows if r[0] == "label"]
    amounts = [r for r in rows if r[0] == "amount"]
    assert {r[1] for r in labels} == set(codes) and len(amounts) >= 3 * 6
    assert [r for r in labels + amounts if r[3] != 1] == []
    assert t(lang, "mapjs.own_savings") in {r[2] for r in labels} and t(lang, "mapjs.savings") in {r[2] for r in labels}
    # 海南市's panel shows its own share beside the group's NPV, each with its unit
    share = next(s for g in wakayama.groups for s in g.shares if s["code"] == "30202")
    group = next(g for g in wakayama.groups if "30202" in g.members)
    unit = t(lang, "mapjs.million")
    kainan = {r[2] for r in amounts if r[1] == "30202"}
    assert f"{share['share_yen'] / 1e6:,.1f}\u00a0{unit}" in kainan
    assert f"{group.npv_yen / 1e6:,.1f}\u00a0{unit}" in kainan
    panel = next(r[2] for r in rows if r[0] == "panel" and r[1] == "30201")
    assert t(lang, "reason.not_profitable") in panel
