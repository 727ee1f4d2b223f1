"""Reading the user's CSV files: line numbers as an editor shows them, any line ending, numbers checked."""

import pytest

from optimizer.errors import InputError
from optimizer.inputs.dataset import default_data_dir, load

SYSTEMS = default_data_dir() / "systems"


def _survey_lines():
    return (SYSTEMS / "survey.csv").read_text(encoding="utf-8").splitlines()


def test_line_numbers_count_blank_lines_and_quoted_newlines(tmp_path):
    lines = _survey_lines()
    head, rows = lines[0], lines[1:]
    cols = head.split(",")
    bad = rows[3].split(",")
    bad[cols.index("cloud_status")] = "bogus"
    note = rows[0].split(",")
    note[cols.index("synthetic_fields")] = '"a\nb"'  # a quoted newline in row 1
    text = "\n".join([head, ",".join(note), "", rows[1], rows[2], "", ",".join(bad)] + rows[4:]) + "\n"
    f = tmp_path / "survey.csv"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as e:
        load(survey=f)
    (p,) = e.value.problems
    # header: line 1; row 1: lines 2-3; blank: 4; rows 2, 3: lines 5, 6; blank: 7; row 4: line 8
    assert p.row == 4 and p.column == "cloud_status" and p.line == 8 and "row 4 (line 8)" in str(p)


def test_carriage_return_line_endings_are_read(tmp_path):
    f = tmp_path / "survey.csv"
    f.write_bytes("\r".join(_survey_lines()).encode("utf-8"))
    assert len(load(survey=f).survey) == 1741


def test_non_finite_and_implausible_costs_are_refused(tmp_path):
    lines = _survey_lines()
    cols = lines[0].split(",")
    k = cols.index("annual_it_cost_yen")
    out = [lines[0]]
    for i, v in enumerate(["nan", "inf", "1e308"]):
        row = lines[1 + i].split(",")
        row[k] = v
        out.append(",".join(row))
    f = tmp_path / "s.csv"
    f.write_text("\n".join(out + lines[4:]) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        load(survey=f)
    assert [p.row for p in e.value.problems] == [1, 2, 3]
    assert all(p.column == "annual_it_cost_yen" for p in e.value.problems)
