"""Hostile and careless inputs: every one gets a clear message naming file, row/line and column or key,
exit 2, no traceback -- and a seeded fuzz suite that generates a few hundred of them."""

import hashlib
import json
import random
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from optimizer.cli import main
from optimizer.inputs.dataset import default_data_dir
from optimizer.render.files import to_json

SYSTEMS = default_data_dir() / "systems"


def run(*args):
    """The CLI in English (the language of these tests' expected messages), as a user would call it."""
    args = [*args, "--lang", "en"] if "--lang" not in args else list(args)
    return CliRunner().invoke(main, args, catch_exceptions=True)


def no_traceback(r) -> bool:
    return r.exception is None or isinstance(r.exception, SystemExit)


@pytest.mark.parametrize("content,words", [
    (b"\xff\xfeplanning_fy = 2020", "not UTF-8"),
    (("a = " + "[" * 3000 + "]" * 3000).encode(), "nested too deeply"),
    (b"planning_fy = 'x'", "whole number"),
], ids=["not-utf8", "deep-nesting", "wrong-type"])
def test_unreadable_scenarios_are_refused(tmp_path, content, words):
    f = tmp_path / "s.toml"
    f.write_bytes(content)
    r = run("propose", "--pref", "30", "--scenario", str(f))
    assert r.exit_code == 2 and no_traceback(r) and words in r.output and "s.toml" in r.output


def _survey_lines():
    return (SYSTEMS / "survey.csv").read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("make,words", [
    (lambda ls: [ls[0] + ",団体コード"] + [r + "," + r.split(",")[0] for r in ls[1:]], "given twice"),
    (lambda ls: [ls[0] + ",code"] + [r + ",x" for r in ls[1:]], "appears twice"),
    (lambda ls: ls[:2] + [ls[2] + "x" * 200_000] + ls[3:], "longer than"),
    (lambda ls: ls[:1], "only a header"),
    (lambda ls: [ls[0], ls[1] + "\x00"] + ls[2:], "line 2: contains a NUL byte"),
], ids=["en-and-ja-label", "same-header", "huge-cell", "header-only", "nul-byte"])
def test_malformed_csv_is_refused_with_its_name(tmp_path, make, words):
    f = tmp_path / "my survey.csv"
    f.write_text("\n".join(make(_survey_lines())) + "\n", encoding="utf-8")
    r = run("validate", "--survey", str(f))
    assert r.exit_code == 2 and no_traceback(r) and "my survey.csv" in r.output and words in r.output


@pytest.mark.parametrize("args,words", [
    (["propose", "--pref", ""], "--pref"),
    (["propose", "--pref", "48"], "--pref"),
    (["score", "--members", "30201,30201"], "listed twice"),
    (["score", "--members", ",".join(f"30{k:03d}" for k in range(200))], "at most"),
    (["propose", "--pref", "30", "--seed", str(2**31)], "--seed"),
    (["propose", "--pref", "30", "--time-limit", "-1"], "--time-limit"),
    (["validate", "--survey", "/dev/null"], "not a regular file"),
])
def test_bad_options_exit_2_naming_the_option(args, words):
    r = run(*args)
    assert r.exit_code == 2 and no_traceback(r) and words in r.output


def test_json_has_no_bare_nan():
    text = to_json({"gap": float("nan"), "bound": float("inf"), "x": [1.5, float("-inf")]})
    assert json.loads(text) == {"gap": None, "bound": None, "x": [1.5, None]}


# --- fuzz ---------------------------------------------------------------------------------------------
_VALUES = ["", " ", "nan", "inf", "-1", "1e308", "0", "99999999999999999999", "2020.5", "=cmd|' /C calc'!A0",
           "<script>alert(1)</script>", "団体", "\u3000", "1,000", "30201", "3020", "302011", "none", "group",
           "solo", "true", "はい", "G001", "V01", "x" * 300, "\t", "'", '"', "NaN", "-0"]


def _mutate_csv(rng: random.Random, lines: list[str]) -> str:
    head, rows = lines[0].split(","), [r.split(",") for r in lines[1:]]
    kind = rng.randrange(8)
    if kind == 0:  # a cell gets a hostile value
        for _ in range(rng.randint(1, 4)):
            r = rng.choice(rows)
            r[rng.randrange(len(r))] = rng.choice(_VALUES)
    elif kind == 1:  # a header is renamed, dropped or doubled
        j = rng.randrange(len(head))
        head[j] = rng.choice(["", head[(j + 1) % len(head)], "団体コード", "code", "extra"])
    elif kind == 2:  # a row is cut short or gets extra fields
        r = rng.choice(rows)
        del r[rng.randrange(len(r)):]
        if rng.random() < 0.5:
            r += ["x"] * rng.randint(1, 3)
    elif kind == 3:  # duplicate rows
        rows += [list(rng.choice(rows)) for _ in range(rng.randint(1, 3))]
    elif kind == 4:  # codes lose their zero or grow a check digit
        for r in rng.sample(rows, k=min(3, len(rows))):
            r[0] = r[0].lstrip("0") if rng.random() < 0.5 else r[0] + "7"
    elif kind == 5:  # quotes and newlines
        r = rng.choice(rows)
        r[rng.randrange(len(r))] = rng.choice(['"a\nb"', '"unterminated', 'a"b', '""'])
    elif kind == 6:  # blank lines and odd line endings
        pass
    else:  # truncated file
        rows = rows[: rng.randint(0, 3)]
    sep = rng.choice(["\n", "\r\n", "\r"])
    body = [",".join(head)] + [",".join(r) for r in rows]
    if kind == 6:
        for _ in range(rng.randint(1, 5)):
            body.insert(rng.randint(1, len(body)), "")
    return sep.join(body) + sep


def _mutate_toml(rng: random.Random) -> str:
    keys = ["planning_fy", "min_size", "max_size", "max_population", "renewal_window_years", "link_km",
            "connect_km", "max_member_distance_km", "pairing", "vendor_mode", "together", "apart", "alone",
            "locked", "time_limit_s", "memory_limit_mb", "seed", "open_groups", "cross_prefecture", "unknown_key",
            "pairing_hazards", "participation_mode"]
    vals = ["-1", "0", "1", "2", "13", "1e9", "nan", "inf", "-inf", '"x"', "true", "[]", '[["30201"]]',
            '[["30201", "30201"]]', '["30201"]', '[["30341", "30361"]]', '[[["x"]]]', '"hard"', '"all"', "2.5",
            '["nankai"]', '["volcano"]', "3000000000", '"lexicographic"']
    lines = [f"{rng.choice(keys)} = {rng.choice(vals)}" for _ in range(rng.randint(1, 4))]
    if rng.random() < 0.3:
        lines += ["[model]", f"{rng.choice(['discount_rate', 'horizon_years', 'support_km', 'nope'])} = "
                             f"{rng.choice(vals)}"]
    return "\n".join(dict.fromkeys(lines)) + "\n"


@pytest.fixture(scope="module")
def small_inputs(tmp_path_factory):
    """A 和歌山-sized survey and the shipped groups, so each fuzz case is quick."""
    d = tmp_path_factory.mktemp("fuzz")
    lines = _survey_lines()
    survey = [lines[0]] + [r for r in lines[1:] if r.startswith("30")]
    (d / "survey.csv").write_text("\n".join(survey) + "\n", encoding="utf-8")
    shutil.copy(SYSTEMS / "groups.csv", d / "groups.csv")
    shutil.copy(SYSTEMS / "group_members.csv", d / "group_members.csv")
    return d


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.iterdir()):
        h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()


@pytest.mark.slow
def test_fuzz_inputs_never_crash_and_always_name_the_problem(small_inputs, tmp_path):
    """300 seeded cases: mutated surveys, groups and member lists (validate) and scenarios (score)."""
    rng = random.Random(20261127)
    base = {n: (small_inputs / n).read_text(encoding="utf-8").splitlines() for n in
            ("survey.csv", "groups.csv", "group_members.csv")}
    outcomes = {0: 0, 2: 0}
    for case in range(300):
        work = tmp_path / f"c{case}"
        work.mkdir()
        for n, ls in base.items():
            (work / n).write_text("\n".join(ls) + "\n", encoding="utf-8")
        if case % 3 == 2:
            (work / "s.toml").write_text(_mutate_toml(rng), encoding="utf-8")
            args = ["score", "--members", "30341,30361,30362", "--scenario", str(work / "s.toml"),
                    "--survey", str(work / "survey.csv"), "--groups", str(work / "groups.csv")]
            target = "s.toml"
        else:
            target = rng.choice(list(base))
            (work / target).write_bytes(_mutate_csv(rng, base[target]).encode("utf-8"))
            args = ["validate", "--survey", str(work / "survey.csv"), "--groups", str(work / "groups.csv"),
                    "--group-members", str(work / "group_members.csv")]
        before = _digest(work)
        r = run(*args)
        assert no_traceback(r), (case, args, r.output, r.exception)
        assert r.exit_code in (0, 2), (case, r.exit_code, r.output)
        if r.exit_code == 2:
            assert "problem(s) in the input" in r.output and (target in r.output or "--" in r.output), (case, r.output)
        assert _digest(work) == before  # inputs are never modified
        outcomes[r.exit_code] += 1
    assert outcomes[2] > 100  # the generator does produce bad input


def _hostile_copy(folder: Path, gid: str = "G042", new: str = "=1+1<script>alert(1)</script><img src=x>") -> Path:
    """The shipped groups with one group id replaced by markup and a spreadsheet formula."""
    for n in ("survey.csv", "groups.csv", "group_members.csv"):
        text = (SYSTEMS / n).read_text(encoding="utf-8")
        (folder / n).write_text(text.replace(f"{gid},", f'"{new}",'), encoding="utf-8")
    return folder


def test_user_text_is_escaped_in_html_and_neutralised_in_csv(tmp_path):
    src = _hostile_copy(tmp_path)
    out = tmp_path / "out"
    r = run("propose", "--pref", "30", "--out", str(out), "--survey", str(src / "survey.csv"),
            "--groups", str(src / "groups.csv"))
    assert r.exit_code == 0, r.output
    for page in ("report.html", "map.html"):
        text = (out / page).read_text(encoding="utf-8")
        assert "<script>alert(1)" not in text and "<img src=x>" not in text
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in report  # shown as text, not dropped
    import csv as _csv
    with open(out / "proposals.csv", encoding="utf-8-sig", newline="") as fh:
        cells = [c for row in _csv.reader(fh) for c in row]
    assert any("alert(1)" in c for c in cells)
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    assert not any(c.startswith("-") and not c.lstrip("-").replace(".", "").isdigit() for c in cells)
    # the advisor's report too, in its own folder (a folder holds one run)
    out = tmp_path / "match"
    r = run("match", "--municipality", "30206", "--out", str(out), "--survey", str(src / "survey.csv"),
            "--groups", str(src / "groups.csv"))
    assert r.exit_code == 0, r.output
    assert {"match_report.html", "match_map.html", "match_map.png"} <= {p.name for p in out.iterdir()}
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # no temporary folder left behind
    for page in out.glob("match_*.html"):
        text = page.read_text(encoding="utf-8")
        assert "<script>alert(1)" not in text and "<img src=x>" not in text, page.name


_PAYLOADS = ["<script>alert('x')</script>", '"><img src=x onerror=alert(1)>', "=HYPERLINK(\"http://x\")",
             "@SUM(1+1)", "+cmd|' /C calc'!A0", "-2+3", "</script><svg onload=alert(1)>", "javascript:alert(1)",
             "![x](javascript:alert(1))", "**bold** | cell | break"]


@pytest.mark.slow
def test_fuzz_outputs_never_carry_a_payload(tmp_path):
    """Seeded: an existing group's id replaced by a hostile string; every HTML escapes it, no CSV cell runs it."""
    import csv as _csv

    rng = random.Random(7)
    for case, payload in enumerate(rng.sample(_PAYLOADS, 5)):
        src = tmp_path / f"in{case}"
        src.mkdir()
        _hostile_copy(src, gid=rng.choice(["G041", "G042"]), new=payload.replace('"', "'"))
        out = tmp_path / f"out{case}"
        r = run("propose", "--pref", "30", "--out", str(out), "--survey", str(src / "survey.csv"),
                "--groups", str(src / "groups.csv"))
        assert r.exit_code == 0 and no_traceback(r), (payload, r.output)
        for page in out.glob("*.html"):
            text = page.read_text(encoding="utf-8")
            for raw in ("<script>alert", "<img src=x", "<svg onload", "onerror=alert", 'src="javascript'):
                assert raw not in text, (payload, page.name)
        with open(out / "proposals.csv", encoding="utf-8-sig", newline="") as fh:
            for row in _csv.reader(fh):
                for cell in row:
                    assert not cell.startswith(("=", "+", "@")), (payload, cell)
                    assert not (cell.startswith("-") and not cell.lstrip("-").replace(".", "").isdigit()), cell


def test_an_output_path_that_is_an_input_file_is_refused(tmp_path):
    f = tmp_path / "survey.csv"
    f.write_text((SYSTEMS / "survey.csv").read_text(encoding="utf-8"), encoding="utf-8")
    before = f.read_bytes()
    r = run("propose", "--pref", "30", "--survey", str(f), "--out", str(f))
    assert r.exit_code == 2 and no_traceback(r) and f.read_bytes() == before


def test_an_output_folder_holding_another_run_is_refused_and_replaced_only_as_a_whole(tmp_path):
    out = tmp_path / "out"
    assert run("propose", "--pref", "30", "--out", str(out), "--alternatives", "3").exit_code == 0
    before = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert (out / "alt2").is_dir()
    r = run("propose", "--pref", "47", "--out", str(out))  # another run into the same folder
    assert r.exit_code == 2 and no_traceback(r) and "another run" in r.output and "--overwrite" in r.output
    assert {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before  # untouched
    r = run("match", "--municipality", "30206", "--out", str(out))
    assert r.exit_code == 2 and no_traceback(r)
    r = run("propose", "--pref", "47", "--out", str(out), "--overwrite")
    assert r.exit_code == 0
    assert not (out / "alt2").exists() and not (out / "alt3").exists()  # the old run went as a whole
    assert "47" in json.loads((out / "proposals.json").read_text(encoding="utf-8"))["prefectures"]


def test_a_folder_of_other_files_is_refused_and_an_input_is_never_written_over(tmp_path):
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    r = run("propose", "--pref", "30", "--out", str(tmp_path))
    assert r.exit_code == 2 and "notes.txt" in r.output
    survey = tmp_path / "survey.csv"
    survey.write_bytes((SYSTEMS / "survey.csv").read_bytes())
    before = survey.read_bytes()
    r = run("graph", "--pref", "30", "--survey", str(survey), "--out", str(survey), "--overwrite")
    assert r.exit_code == 2 and no_traceback(r) and survey.read_bytes() == before and "input" in r.output
    r = run("graph", "--pref", "30", "--out", str(tmp_path / "notes.txt"))
    assert r.exit_code == 2 and (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"
    r = run("score", "--members", "30341,30361", "--go-live", "-1")
    assert r.exit_code == 2 and no_traceback(r)


def test_a_prefecture_without_survey_rows_is_refused(tmp_path):
    rows = (SYSTEMS / "survey.csv").read_text(encoding="utf-8").splitlines()
    f = tmp_path / "wakayama.csv"
    f.write_text("\n".join([rows[0]] + [r for r in rows[1:] if r.startswith("30")]) + "\n", encoding="utf-8")
    r = run("propose", "--pref", "29", "--survey", str(f))
    assert r.exit_code == 2 and no_traceback(r) and "29" in r.output and "wakayama.csv" in r.output
    assert run("propose", "--pref", "30", "--survey", str(f)).exit_code == 0


@pytest.mark.parametrize("content", ['{}', '[]', '{"groups": [{"id": "P01", "members": "x"}]}', 'null',
                                     '{"alternatives": []}', 'not json'], ids=["empty", "list", "bad-group", "null",
                                                                              "no-plans", "text"])
def test_a_file_that_is_not_a_run_is_refused_by_compare_and_score_plan(tmp_path, content):
    f = tmp_path / "proposals.json"
    f.write_text(content, encoding="utf-8")
    for args in (("compare", str(f), str(f)), ("score", "--plan", str(f), "--id", "P01")):
        r = run(*args)
        assert r.exit_code == 2 and no_traceback(r) and "proposals.json" in r.output, (args, r.output)
    r = run("score", "--members", "30202,30209", "--join", "30202=20x2")
    assert r.exit_code == 2 and no_traceback(r) and "--join" in r.output
