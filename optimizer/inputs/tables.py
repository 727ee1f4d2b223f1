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

from ..errors import InputError, Problem
from ..text import Items, Msg
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
            raise InputError(Problem(str(path), None, None, Msg("input.not_a_file" if p.exists() else "input.not_found")))
        if p.stat().st_size > MAX_CSV_BYTES:
            raise InputError(Problem(name, None, None, Msg("input.too_large", mb=MAX_CSV_BYTES // 2**20)))
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError(Problem(str(path), None, None, Msg("input.cannot_read", why=exc.strerror))) from None
    for enc in ("utf-8-sig", "cp932"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputError(Problem(name, None, None, Msg("input.not_text")))
    nul = text.find("\x00")
    if nul >= 0:
        line = len(re.findall(r"\r\n|\r|\n", text[:nul])) + 1
        raise InputError(Problem(name, None, None, Msg("input.nul"), line=line))
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
            msg = Msg("input.cell_too_long", limit=csv.field_size_limit())
        elif "NUL" in msg:
            msg = Msg("input.nul")
        raise InputError(Problem(name, None, None, Msg("input.not_csv", why=msg), line=end + 1)) from None
    if not rows:
        raise InputError(Problem(name, None, None, Msg("input.empty")))
    header = [h.strip() for h in rows[0]]
    problems = []
    seen = set()
    for h in header:
        if h in seen:
            problems.append(Problem(name, None, h, Msg("input.header_twice")))
        seen.add(h)
    if problems:
        raise InputError(problems)
    body = []
    for i, r in enumerate(rows[1:], start=1):
        if len(r) != len(header):
            problems.append(Problem(name, i, None, Msg("input.ragged", fields=len(r), header=len(header)),
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
                problems.append(Problem(name, None, h, Msg("input.column_twice", name=hmap[h])))
                continue
            renamed[h] = hmap[h]
    df = df.rename(columns=renamed)
    for c in columns:
        if c.required and c.name not in df.columns:
            problems.append(Problem(name, None, c.name, Msg("input.column_missing", label=c.ja)))
        elif c.name not in df.columns:
            df[c.name] = ""
    return df, problems


def _check_cell(col: Column, value: str, known_codes: dict[str, str]) -> tuple[object, str | None]:
    """Parse one cell; return (value, problem message or None)."""
    if value == "":
        empty = "" if col.kind == "str" else None
        return empty, (Msg("input.required") if col.required else None)
    if col.kind == "code":
        if value.isdigit() and len(value) == 5:
            if value not in known_codes:
                return value, Msg("input.unknown_code", value=value)
            return value, None
        if value.isdigit() and len(value) < 5 and value.zfill(5) in known_codes:
            fixed = value.zfill(5)
            return value, Msg("input.lost_zero", value=value, fixed=fixed, name=known_codes[fixed])
        if value.isdigit() and len(value) == 6 and value[:5] in known_codes:
            return value, Msg("input.check_digit", value=value, fixed=value[:5])
        return value, Msg("input.not_code", value=value)
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
                return value, Msg("input.not_int", value=value)
        if col.kind == "fy" and not MIN_FY <= v <= MAX_FY:
            return v, Msg("input.implausible_fy", value=v, lo=MIN_FY, hi=MAX_FY)
        if col.kind == "int" and v < 0:
            return v, Msg("input.negative", value=v)
        if col.kind == "int" and v > 10**9:
            return v, Msg("input.implausible_int", value=v)
        return v, None
    if col.kind == "float":
        try:
            v = float(value.replace(",", ""))
        except ValueError:
            return value, Msg("input.not_number", value=value)
        if not math.isfinite(v):
            return None, Msg("input.not_finite", value=value)
        if v > MAX_YEN:
            return v, Msg("input.implausible_yen", value=v, most=MAX_YEN)
        return v, (Msg("input.negative", value=v) if v < 0 else None)
    if col.kind == "bool":
        v = BOOLEAN.get(value.lower())
        return v, None if v is not None else Msg("input.not_bool", value=value)
    if col.kind == "choice":
        v = col.choices.get(value.lower(), col.choices.get(value))
        allowed = sorted({x for x in col.choices.values()})
        return v, None if v is not None else Msg("input.not_choice", value=value, allowed=Items(allowed))
    return value, None


def parse_table(path: str | Path, columns: list[Column], known_codes: dict[str, str]) -> tuple[pd.DataFrame, list[Problem]]:
    """Read ``path`` and type every column per ``columns``; return (frame, problems)."""
    name = Path(path).name
    df, problems = read_text_csv(path)
    lines = df.attrs.get("lines", [])
    hmap = header_map(columns)
    written = {hmap[h]: h for h in df.columns if h in hmap}  # each column as the file names it (日本語 or English)
    df, more = _normalise_columns(df, columns, name)
    problems += more
    if more:  # a missing or doubled column: the cells cannot be read reliably
        return df, problems
    if df.empty:
        problems.append(Problem(name, None, None, Msg("input.no_rows")))
        return df, problems
    out = {}
    for col in columns:
        values = []
        for i, raw in enumerate(df[col.name].tolist(), start=1):
            v, msg = _check_cell(col, raw, known_codes)
            if msg:
                problems.append(Problem(name, i, written.get(col.name, col.name), msg,
                                        line=lines[i - 1] if i - 1 < len(lines) else None))
            values.append(v)
        out[col.name] = pd.Series(values, dtype=object)
    typed = pd.DataFrame(out)
    typed["row_"] = range(1, len(typed) + 1)
    typed.attrs["lines"] = _SharedDict(zip(typed["row_"], lines))
    typed.attrs["headers"] = _SharedDict(written)
    return typed, problems


def _duplicates(df: pd.DataFrame, key: str, name: str) -> list[Problem]:
    problems = []
    first: dict = {}
    for row, v in zip(df["row_"], df[key]):
        if v is None or v == "":
            continue
        if v in first:
            problems.append(Problem(name, row, key, Msg("input.duplicate", key=key, value=v, first=first[v])))
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

    header_of = {sname: survey.attrs.get("headers", {}), gname: groups.attrs.get("headers", {}),
                 mname: members.attrs.get("headers", {})}
    order = {sname: 0, gname: 1, mname: 2}

    def located(ps: list[Problem]) -> list[Problem]:
        """Every row problem with its real line and its column as the file names it, in file and row order."""
        from dataclasses import replace

        out = [replace(p, line=line_of.get(p.file, {}).get(p.row)) if p.row is not None and p.line is None else p
               for p in ps]
        out = [replace(p, column=header_of.get(p.file, {}).get(p.column, p.column)) if p.column else p for p in out]
        return sorted(out, key=lambda p: (order.get(p.file, 3), p.row or 0, p.line or 0))

    if any(p.row is None for p in problems):  # a whole-file or header problem: the rows cannot be cross-checked
        raise InputError(located(problems))

    problems += _duplicates(survey, "code", sname)
    problems += _duplicates(groups, "group_id", gname)
    group_ids = set(groups["group_id"].dropna())

    seen: dict[str, tuple[str, int]] = {}
    for row, gid, code in zip(members["row_"], members["group_id"], members["code"]):
        if gid is not None and gid not in group_ids:
            problems.append(Problem(mname, row, "group_id", Msg("input.group_not_in", group=gid, file=gname)))
        if code in seen and code is not None:
            other, orow = seen[code]
            what = (Msg("input.member_twice", code=code, name=known.get(code, ""), group=gid) if other == gid else
                    Msg("input.member_two_groups", code=code, name=known.get(code, ""), other=other, row=orow, group=gid))
            problems.append(Problem(mname, row, "code", what))
        elif code is not None:
            seen[code] = (gid, row)
    member_of = {c: g for c, (g, _) in seen.items()}

    for row, gid, mx, v in zip(groups["row_"], groups["group_id"], groups["max_members"], groups["vendor"]):
        n = sum(1 for g in member_of.values() if g == gid)
        if gid is not None and n == 0:
            problems.append(Problem(gname, row, "group_id", Msg("input.group_empty", group=gid, file=mname)))
        if isinstance(mx, int) and mx < n:
            problems.append(Problem(gname, row, "max_members", Msg("input.max_below", most=mx, n=n)))
        if v and v not in vendors:
            problems.append(Problem(gname, row, "vendor", Msg("input.unknown_vendor", value=v)))

    for r in survey.itertuples():
        row = r.row_
        if r.vendor and r.vendor not in vendors:
            problems.append(Problem(sname, row, "vendor", Msg("input.unknown_vendor", value=r.vendor)))
        if r.cloud_status == "group":
            if not r.group_id:
                problems.append(Problem(sname, row, "group_id", Msg("input.group_without_id")))
            elif r.group_id not in group_ids:
                problems.append(Problem(sname, row, "group_id", Msg("input.group_not_in", group=r.group_id, file=gname)))
            elif member_of.get(r.code) != r.group_id:
                problems.append(Problem(sname, row, "group_id",
                                        Msg("input.not_listed_member", code=r.code, group=r.group_id, file=mname)))
        elif r.group_id and r.cloud_status is not None:  # an unreadable status is reported as such already
            problems.append(Problem(sname, row, "group_id",
                                    Msg("input.id_without_group", group=r.group_id, status=r.cloud_status)))
        elif r.code in member_of and r.cloud_status is not None:
            problems.append(Problem(sname, row, "cloud_status",
                                    Msg("input.member_status", code=r.code, group=member_of[r.code], file=mname)))
        if isinstance(r.second_renewal_fy, int) and isinstance(r.next_renewal_fy, int) \
                and r.second_renewal_fy <= r.next_renewal_fy:
            problems.append(Problem(sname, row, "second_renewal_fy",
                                    Msg("input.second_before_next", second=r.second_renewal_fy, next=r.next_renewal_fy)))
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
