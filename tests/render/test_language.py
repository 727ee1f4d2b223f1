"""One language per output: the report and the map as a browser shows them holds no word of the other language, outside
names, codes and units (issue 23, item 9).

The pages are opened in headless Chromium and their visible text is read from the DOM; what may appear in
the other script is derived from the data and the scenario, never listed by hand: municipality, prefecture,
group and vendor names and the data credits (names), codes (JIS, group, vendor and plan ids, file names,
scenario keys and their values, which a user types), units, and one-letter symbols of formulas.
"""
import html
import re
from pathlib import Path

import pytest

import optimizer as lg
from optimizer.config import ModelParameters, Scenario, knobs
from optimizer.inputs.dataset import SOURCES
from optimizer.render.report import plan_files
from optimizer.text import t
from support import headless_dom, require_chromium

LATIN = re.compile(r"[A-Za-z][A-Za-z0-9_\-./]*[A-Za-z0-9]|[A-Za-z]")
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]+")
UNITS = {"km", "MB"}
#: abbreviations the Japanese report defines in Japanese where it first uses them (正味現在価値（NPV・団体会計）)
DEFINED = {"NPV": "正味現在価値（NPV"}


def visible_text(path: Path, tmp_path: Path) -> str:
    """The text a reader sees: Chromium's DOM after scripts ran, without scripts, styles and tags."""
    p = headless_dom(path.as_uri(), tmp_path)
    dom = re.sub(r"<(script|style)\b[^>]*>.*?</\1>", " ", p.stdout, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", dom))


def codes_and_names(data=None) -> set[str]:
    """Latin tokens that are codes or names: scenario keys and their values (typed by users), the credits, and the
    Latin parts of group and vendor names (大分県自治体クラウドAcrocity協議会)."""
    out = set(UNITS) | set(DEFINED)
    if data is not None:
        for n in list(data.groups["name"]) + list(data.vendors["name"]):
            out |= set(LATIN.findall(str(n)))
    for cls in (Scenario, ModelParameters):
        for name, k in knobs(cls).items():
            out.add(name)
            out |= {str(c) for c in k.choices or ()}
    for credit in SOURCES + [t("ja", "report.font_credit")]:
        out |= set(LATIN.findall(credit))
    return out


def english_words(text: str, data=None) -> list[str]:
    allowed = codes_and_names(data)
    words = []
    for w in LATIN.findall(text):
        if w in allowed or re.fullmatch(r"[A-Z]{1,2}\d+[a-z]?", w):  # V01, P03, G042, alt2 are codes
            continue
        if len(w) == 1:  # a symbol of a formula (経費曲線 a, b beside α, β)
            continue
        if any(ch in w for ch in "_./") or re.search(r"\d", w):  # file names, keys, versions
            continue
        words.append(w)
    return words


def japanese_words(text: str, data) -> list[str]:
    names = set(data.municipalities["name"]) | set(data.municipalities["prefecture"])
    names |= {str(n) for n in data.groups["name"] if isinstance(n, str)}
    names |= {str(n) for n in data.vendors["name"]}
    credits = " ".join(SOURCES + [t("en", "map.credit")])
    return [w for w in CJK.findall(text) if w not in names and w not in credits
            and not any(w in n for n in names)]


@pytest.fixture(scope="module")
def reports(data, tmp_path_factory):
    """report.html and map.html of 和歌山 and of the national plan, in both languages."""
    out = tmp_path_factory.mktemp("language")
    runs = {"30": lg.api.proposal(data, ["30"]), "all": lg.api.proposal(data, None)}
    paths = {}
    for name, run in runs.items():
        for lang in ("ja", "en"):
            files = plan_files(data, run, lang=lang)
            for page in ("report.html", "map.html"):
                p = out / f"{name}-{lang}-{page}"
                p.write_text(files[page], encoding="utf-8")
                paths[name, lang, page] = p
    return paths


@pytest.mark.slow
@pytest.mark.parametrize("where", ["30", "all"])
def test_japanese_report_has_no_english_words_outside_names_codes_and_units(reports, where, data, tmp_path):
    require_chromium()
    text = visible_text(reports[where, "ja", "report.html"], tmp_path)
    assert "自治体クラウド" in text and "km" in text
    assert english_words(text, data) == []
    assert english_words(visible_text(reports[where, "ja", "map.html"], tmp_path), data) == []
    for word, definition in DEFINED.items():
        assert word not in text or definition in text
    if where == "all":
        assert "全国" in text


@pytest.mark.slow
@pytest.mark.parametrize("where", ["30", "all"])
def test_english_report_has_no_japanese_outside_names(reports, where, data, tmp_path):
    require_chromium()
    text = visible_text(reports[where, "en", "report.html"], tmp_path)
    assert "Assumptions and sources" in text
    assert japanese_words(text, data) == []
    assert japanese_words(visible_text(reports[where, "en", "map.html"], tmp_path), data) == []


def test_the_word_checks_catch_the_other_language(data):
    """The checks above could fail: a stray English sentence or Japanese term is found."""
    assert english_words("計画 is not willing to join（調査） V01 proposals.json 12 km") == ["is", "not", "willing", "to",
                                                                                         "join"]
    assert japanese_words("Wakayama 和歌山市 joins 負担金 rule", data) == ["負担金"]
