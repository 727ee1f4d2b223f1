"""Plain-text tables (with East Asian width) and atomic file writing for the edges of the program."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import tempfile
import unicodedata
from pathlib import Path


def escape_html(value) -> str:
    """The one HTML escaping helper: every piece of text put into HTML (reports, maps) goes through it."""
    return html.escape(str(value), quote=True)


#: A CSV cell starting with one of these is a formula to a spreadsheet (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """A CSV cell from user text that a spreadsheet would run as a formula gets a leading apostrophe.

    Numbers are left alone (a negative amount is a number, not text)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def plain_text(value) -> str:
    """User text on one line for a Markdown table or heading: control characters and newlines become
    spaces and a '|' cannot end a table cell."""
    return re.sub(r"[\x00-\x1f\x7f]+", " ", str(value)).replace("|", "｜")


def width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def table(rows: list[dict], columns: list[str] | None = None, headers: dict[str, str] | None = None) -> str:
    """Render rows as an aligned text table (numbers right-aligned)."""
    if not rows:
        return "(none)"
    columns = columns or list(rows[0])
    headers = headers or {}
    cells = [[_fmt(r.get(c)) for c in columns] for r in rows]
    heads = [headers.get(c, c) for c in columns]
    widths = [max(width(h), *(width(row[k]) for row in cells)) for k, h in enumerate(heads)]
    numeric = [all(isinstance(r.get(c), (int, float)) or r.get(c) is None for r in rows) for c in columns]

    def line(vals):
        out = []
        for v, w, num in zip(vals, widths, numeric):
            pad = " " * (w - width(v))
            out.append(pad + v if num else v + pad)
        return "  ".join(out).rstrip()

    return "\n".join([line(heads), line(["-" * w for w in widths])] + [line(r) for r in cells])


def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) < 1000 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, (list, tuple)):
        return ",".join(str(x) for x in v)
    return str(v)


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def write_atomic(path: str | Path, data: str | bytes, encoding: str = "utf-8") -> None:
    """Write a file so that readers see either the old or the complete new content."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode(encoding) if isinstance(data, str) else data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the file the usual permissions
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_folder(out_dir: str | Path, files: dict[str, str | bytes], encoding: str = "utf-8") -> list[Path]:
    """Write a run's files as a whole: all go to a temporary folder beside ``out_dir`` first and are
    moved into place only when every one was written (a new folder is moved in one rename). Files of
    other runs already in ``out_dir`` are kept; an error leaves ``out_dir`` as it was."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise OSError(20, "not a folder", str(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp"))
    try:
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp creates 0700; files and sub-folders get the usual ones
        for name, data in files.items():  # names may hold one sub-folder level ("alt2/map.html")
            (tmp / name).parent.mkdir(exist_ok=True)
            (tmp / name).write_bytes(data.encode(encoding) if isinstance(data, str) else data)
        if not out.exists():
            os.rename(tmp, out)
        else:
            for name in files:
                (out / name).parent.mkdir(exist_ok=True)
                os.replace(tmp / name, out / name)
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return [out / name for name in files]


def to_json(obj) -> str:
    """Strict JSON: NaN and infinities (an unknown bound or gap) become null, never a bare NaN."""
    return json.dumps(_finite(obj), ensure_ascii=False, indent=2, default=_default, allow_nan=False)


def _finite(o):
    import math

    import numpy as np

    if isinstance(o, (float, np.floating)):
        return float(o) if math.isfinite(o) else None
    if isinstance(o, dict):
        return {k: _finite(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_finite(v) for v in o]
    return o


def _default(o):
    import numpy as np

    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.bool_):
        return bool(o)
    if isinstance(o, (set, tuple)):
        return list(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
