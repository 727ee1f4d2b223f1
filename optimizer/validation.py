"""Reading and checking the user-replaceable inputs: survey, groups and group members.

Every check collects :class:`~optimizer.errors.Problem` objects (file, row, column,
message) instead of stopping at the first one, so a user sees all problems at once.
Files are read as text (codes stay 5-digit strings); UTF-8 with or without BOM and
CP932 (Shift_JIS, as Excel on Japanese Windows saves) are accepted.
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path

import pandas as pd

from .errors import InputError, Problem
from .schema import (
    BOOLEAN,
    GROUP_COLUMNS,
    MAX_FY,
    MEMBER_COLUMNS,
    MIN_FY,
    SURVEY_COLUMNS,
    Column,
    header_map,
)


#: Input files larger than this are refused (the national survey is about 0.3 MB).
MAX_CSV_BYTES = 100 * 2**20


def read_text_csv(path: str | Path) -> tuple[pd.DataFrame, list[Problem]]:
    """Read a CSV as strings; report unreadable files, CSV dialect problems and ragged rows instead of raising.

    Any line ending (CRLF, LF, CR) is accepted; blank lines are skipped; ``df.attrs["lines"]``
    holds the file line on which each data row starts (quoted newlines and blank lines counted).
    """
    p = Path(path)
    name = p.name
    try:
        if not p.is_file():
            raise InputError(Problem(str(path), None, None, "not a regular file" if p.exists() else "file not found"))
        if p.stat().st_size > MAX_CSV_BYTES:
            raise InputError(Problem(name, None, None, f"larger than {MAX_CSV_BYTES // 2**20} MB: not an input table"))
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError(Problem(str(path), None, None, f"cannot read file: {exc.strerror}")) from None
    for enc in ("utf-8-sig", "cp932"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputError(Problem(name, None, None, "not UTF-8 or Shift_JIS text"))
    nul = text.find("\x00")
    if nul >= 0:
        line = len(re.findall(r"\r\n|\r|\n", text[:nul])) + 1
        raise InputError(Problem(name, None, None, "contains a NUL byte: not a text table", line=line))
    reader = csv.reader(io.StringIO(text, newline=""))
    rows, starts = [], []
    end = 0
    try:
        for r in reader:
            start, end = end + 1, reader.line_num
            if any(cell.strip() for cell in r):
                rows.append(r)
                starts.append(start)
    except csv.Error as exc:
        msg = str(exc)
        if "field larger than field limit" in msg:
            msg = f"a cell is longer than {csv.field_size_limit():,} characters"
        elif "NUL" in msg:
            msg = "contains a NUL byte: not a text table"
        raise InputError(Problem(name, None, None, f"not a readable CSV table: {msg}", line=end + 1)) from None
    if not rows:
        raise InputError(Problem(name, None, None, "the file is empty (no header row)"))
    header = [h.strip() for h in rows[0]]
    problems = []
    seen = set()
    for h in header:
        if h in seen:
            problems.append(Problem(name, None, h, "column appears twice in the header"))
        seen.add(h)
    if problems:
        raise InputError(problems)
    body = []
    for i, r in enumerate(rows[1:], start=1):
        if len(r) != len(header):
            problems.append(Problem(name, i, None, f"has {len(r)} fields, the header has {len(header)}",
                                    line=starts[i]))
            r = (r + [""] * len(header))[: len(header)]
        body.append([c.strip() for c in r])
    df = pd.DataFrame(body, columns=header, dtype=str)
    df.attrs["lines"] = _Shared(starts[1:])
    return df, problems


class _NotCopied:
    """Line numbers kept in a frame's ``attrs``: pandas deep-copies ``attrs`` on every operation on the
    frame, so they are shared instead of copied (reading the shipped survey was 0.3 s slower)."""

    def __deepcopy__(self, memo):
        return self


class _Shared(_NotCopied, list):
    """Line numbers of the rows, shared (:class:`_NotCopied`)."""


class _SharedDict(_NotCopied, dict):
    """Row -> line numbers, shared (:class:`_NotCopied`)."""


#: The largest money value accepted in an input cell (yen): 10 trillion, above any municipality's budget.
MAX_YEN = 1e13


def _normalise_columns(df: pd.DataFrame, columns: list[Column], name: str) -> tuple[pd.DataFrame, list[Problem]]:
    hmap = header_map(columns)
    problems = []
    renamed = {}
    for h in df.columns:
        if h in hmap:
            if hmap[h] in renamed.values():
                problems.append(Problem(name, None, h, f"column given twice (as '{hmap[h]}' and its label)"))
                continue
            renamed[h] = hmap[h]
    df = df.rename(columns=renamed)
    for c in columns:
        if c.required and c.name not in df.columns:
            problems.append(Problem(name, None, c.name, f"required column is missing (also accepted as '{c.ja}')"))
        elif c.name not in df.columns:
            df[c.name] = ""
    return df, problems


def _check_cell(col: Column, value: str, known_codes: dict[str, str]) -> tuple[object, str | None]:
    """Parse one cell; return (value, problem message or None)."""
    if value == "":
        empty = "" if col.kind == "str" else None
        return empty, ("a value is required" if col.required else None)
    if col.kind == "code":
        if value.isdigit() and len(value) == 5:
            if value not in known_codes:
                return value, f"unknown municipality code '{value}'"
            return value, None
        if value.isdigit() and len(value) < 5 and value.zfill(5) in known_codes:
            fixed = value.zfill(5)
            return value, (f"code '{value}' lost its leading zero: write '{fixed}' ({known_codes[fixed]}); "
                           "codes are 5-digit text, not numbers")
        if value.isdigit() and len(value) == 6 and value[:5] in known_codes:
            return value, f"6-digit code '{value}' has a check digit: write the 5-digit code '{value[:5]}'"
        return value, f"'{value}' is not a 5-digit municipality code (JIS X 0402)"
    if col.kind in ("int", "fy"):
        try:
            v = int(value)
        except ValueError:
            try:  # spreadsheets write 2021 as 2021.0
                f = float(value)
                if not f.is_integer():
                    raise ValueError
                v = int(f)
            except ValueError:
                return value, f"'{value}' is not a whole number"
        if col.kind == "fy" and not MIN_FY <= v <= MAX_FY:
            return v, f"year {v} is not a plausible fiscal year ({MIN_FY}-{MAX_FY})"
        if col.kind == "int" and v < 0:
            return v, f"{v} must not be negative"
        if col.kind == "int" and v > 10**9:
            return v, f"{v:,} is implausibly large"
        return v, None
    if col.kind == "float":
        try:
            v = float(value.replace(",", ""))
        except ValueError:
            return value, f"'{value}' is not a number"
        if not math.isfinite(v):
            return None, f"'{value}' is not a finite number"
        if v > MAX_YEN:
            return v, f"{v:,.0f} is implausibly large (over {MAX_YEN:,.0f})"
        return v, (f"{v} must not be negative" if v < 0 else None)
    if col.kind == "bool":
        v = BOOLEAN.get(value.lower())
        return v, None if v is not None else f"'{value}' is not true/false (also accepted: 1/0, はい/いいえ)"
    if col.kind == "choice":
        v = col.choices.get(value.lower(), col.choices.get(value))
        allowed = sorted({x for x in col.choices.values()})
        return v, None if v is not None else f"'{value}' is not one of {', '.join(allowed)}"
    return value, None


def parse_table(path: str | Path, columns: list[Column], known_codes: dict[str, str]) -> tuple[pd.DataFrame, list[Problem]]:
    """Read ``path`` and type every column per ``columns``; return (frame, problems)."""
    name = Path(path).name
    df, problems = read_text_csv(path)
    lines = df.attrs.get("lines", [])
    df, more = _normalise_columns(df, columns, name)
    problems += more
    if more:  # a missing or doubled column: the cells cannot be read reliably
        return df, problems
    if df.empty:
        problems.append(Problem(name, None, None, "no data rows (only a header)"))
        return df, problems
    out = {}
    for col in columns:
        values = []
        for i, raw in enumerate(df[col.name].tolist(), start=1):
            v, msg = _check_cell(col, raw, known_codes)
            if msg:
                problems.append(Problem(name, i, col.name, msg, line=lines[i - 1] if i - 1 < len(lines) else None))
            values.append(v)
        out[col.name] = pd.Series(values, dtype=object)
    typed = pd.DataFrame(out)
    typed["row_"] = range(1, len(typed) + 1)
    typed.attrs["lines"] = _SharedDict(zip(typed["row_"], lines))
    return typed, problems


def _duplicates(df: pd.DataFrame, key: str, name: str) -> list[Problem]:
    problems = []
    first: dict = {}
    for row, v in zip(df["row_"], df[key]):
        if v is None or v == "":
            continue
        if v in first:
            problems.append(Problem(name, row, key, f"duplicate {key} '{v}' (first at row {first[v]})"))
        else:
            first[v] = row
    return problems


def check_inputs(survey_path, groups_path, members_path, municipalities: pd.DataFrame, vendors: set[str]):
    """Read and cross-check survey, groups and group members.

    Returns
    -------
    (survey, groups, members) : typed frames indexed by code / group_id.

    Raises
    ------
    InputError
        With every problem found, each naming file, row and column.
    """
    known = dict(zip(municipalities.index, municipalities["name"]))
    sname, gname, mname = Path(survey_path).name, Path(groups_path).name, Path(members_path).name
    survey, problems = parse_table(survey_path, SURVEY_COLUMNS, known)
    groups, p = parse_table(groups_path, GROUP_COLUMNS, known)
    problems += p
    members, p = parse_table(members_path, MEMBER_COLUMNS, known)
    problems += p
    line_of = {sname: survey.attrs.get("lines", {}), gname: groups.attrs.get("lines", {}),
               mname: members.attrs.get("lines", {})}

    def located(ps: list[Problem]) -> list[Problem]:  # every row problem with its real line in the file
        from dataclasses import replace

        return [replace(p, line=line_of.get(p.file, {}).get(p.row)) if p.row is not None and p.line is None else p
                for p in ps]

    if any(p.row is None for p in problems):  # a whole-file or header problem: the rows cannot be cross-checked
        raise InputError(located(problems))

    problems += _duplicates(survey, "code", sname)
    problems += _duplicates(groups, "group_id", gname)
    group_ids = set(groups["group_id"].dropna())

    seen: dict[str, tuple[str, int]] = {}
    for row, gid, code in zip(members["row_"], members["group_id"], members["code"]):
        if gid is not None and gid not in group_ids:
            problems.append(Problem(mname, row, "group_id", f"group '{gid}' is not in {gname}"))
        if code in seen and code is not None:
            other, orow = seen[code]
            what = "listed twice in" if other == gid else f"also in group '{other}' (row {orow}); a municipality can be in one group:"
            problems.append(Problem(mname, row, "code", f"'{code}' {known.get(code, '')} {what} group '{gid}'"))
        elif code is not None:
            seen[code] = (gid, row)
    member_of = {c: g for c, (g, _) in seen.items()}

    for row, gid, mx, v in zip(groups["row_"], groups["group_id"], groups["max_members"], groups["vendor"]):
        n = sum(1 for g in member_of.values() if g == gid)
        if gid is not None and n == 0:
            problems.append(Problem(gname, row, "group_id", f"group '{gid}' has no members in {mname}"))
        if isinstance(mx, int) and mx < n:
            problems.append(Problem(gname, row, "max_members", f"{mx} is below the group's {n} members"))
        if v and v not in vendors:
            problems.append(Problem(gname, row, "vendor", f"unknown vendor '{v}' (see data/systems/vendors.csv)"))

    for r in survey.itertuples():
        row = r.row_
        if r.vendor and r.vendor not in vendors:
            problems.append(Problem(sname, row, "vendor", f"unknown vendor '{r.vendor}' (see data/systems/vendors.csv)"))
        if r.cloud_status == "group":
            if not r.group_id:
                problems.append(Problem(sname, row, "group_id", "cloud_status is 'group' but no group_id is given"))
            elif r.group_id not in group_ids:
                problems.append(Problem(sname, row, "group_id", f"group '{r.group_id}' is not in {gname}"))
            elif member_of.get(r.code) != r.group_id:
                problems.append(Problem(sname, row, "group_id",
                                        f"'{r.code}' is not listed as a member of '{r.group_id}' in {mname}"))
        elif r.group_id:
            problems.append(Problem(sname, row, "group_id",
                                    f"group_id '{r.group_id}' given but cloud_status is '{r.cloud_status}', not 'group'"))
        elif r.code in member_of and r.cloud_status is not None:
            problems.append(Problem(sname, row, "cloud_status",
                                    f"'{r.code}' is a member of '{member_of[r.code]}' in {mname}; cloud_status should be 'group'"))
        if isinstance(r.second_renewal_fy, int) and isinstance(r.next_renewal_fy, int) \
                and r.second_renewal_fy <= r.next_renewal_fy:
            problems.append(Problem(sname, row, "second_renewal_fy",
                                    f"{r.second_renewal_fy} is not after next_renewal_fy {r.next_renewal_fy}"))
    if problems:
        raise InputError(located(problems))
    survey = survey.drop(columns="row_").set_index("code", drop=False)
    survey.index.name = None
    groups = groups.drop(columns="row_").set_index("group_id", drop=False)
    groups.index.name = None
    members = members.drop(columns="row_")
    for df in (survey, groups, members):  # line numbers were for the messages only
        df.attrs = {}
    return survey, groups, members
