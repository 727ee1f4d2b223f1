"""Plain-text tables for the terminal, aligned with East Asian character widths."""

from __future__ import annotations

import unicodedata

from ..text import t


def width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def table(rows: list[dict], columns: list[str] | None = None, headers: dict[str, str] | None = None,
          lang: str = "ja") -> str:
    """Render rows as an aligned text table (numbers right-aligned); ``headers`` names the columns."""
    if not rows:
        return t(lang, "cli.none")
    columns = columns or list(rows[0])
    headers = headers or {}
    cells = [[_fmt(r.get(c), lang) for c in columns] for r in rows]
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


def _fmt(v, lang: str) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return t(lang, "cli.yes") if v else t(lang, "cli.no")
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) < 1000 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, (list, tuple)):
        return ",".join(str(x) for x in v)
    return str(v)
