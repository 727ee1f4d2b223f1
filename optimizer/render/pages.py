"""Pages from templates: the Jinja environment (``templates/``, autoescaping on for HTML) and Markdown
to one self-contained HTML page with markdown-it."""

from __future__ import annotations

import base64
import re

import jinja2
from markdown_it import MarkdownIt

from ..text import t
from .fonts import font_face_css


def scenario_suffix(label: str, lang: str) -> str:
    """A title's "（シナリオ whatif.toml#1a2b3c4d）" for a run from a scenario file; nothing for the defaults."""
    return t(lang, "report.scenario_suffix", label=label) if label else ""


class Bold(str):
    """A table cell shown in bold."""


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>!&#~])")


def cell(value) -> str:
    """User or program text as one line of Markdown that reads exactly as given: control characters and
    newlines become spaces, ``|`` cannot end a table cell, and Markdown punctuation is escaped so no text
    becomes markup (a link, an image, emphasis or HTML)."""
    s = re.sub(r"[\x00-\x1f\x7f]+", " ", str(value)).replace("|", "｜")
    s = _MD_SPECIAL.sub(r"\\\1", s)
    return f"**{s}**" if isinstance(value, Bold) and s else s


#: The templates of every page and report (``optimizer/render/templates``).
ENV = jinja2.Environment(loader=jinja2.PackageLoader("optimizer.render", "templates"),
                         autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
                         trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                         undefined=jinja2.StrictUndefined)
ENV.filters["cell"] = cell


_MD = MarkdownIt("commonmark", {"html": False}).enable("table")

_NUM = r"[-+\u2212]?\d[\d,.]*(?:\s?(?:百万円|円|%|M yen|yen|km|人|団体))?"
#: A table cell that is an amount, a rate or a list of them ("236.3 百万円（236,349,306 円）", "22% / 32% / 41%"):
#: shown right-aligned and never broken from its unit.
#: Numbers that are not amounts: a JIS code (30201), fiscal years (2019, 2024).
_NOT_AMOUNT = re.compile(r"\d{5}|(?:19|20)\d\d(?:, ?(?:19|20)\d\d)*")
NUMERIC_CELL = re.compile(rf"{_NUM}(?:\s?[/／–〜-]\s?{_NUM})*(?:\s?[（(]{_NUM}[）)])?")


def markdown_to_html(md: str, title: str, lang: str, images: dict[str, bytes] | None = None) -> str:
    """Markdown to one self-contained HTML page (markdown-it, raw HTML escaped). Only the report's own images
    (``images``: file name -> PNG) are shown, inline as data URIs; any other image stays its alt text."""
    images = images or {}
    tokens = _MD.parse(md)
    for tok, nxt in zip(tokens, tokens[1:]):  # amounts in tables: right-aligned, kept with their unit
        amount = nxt.type == "inline" and NUMERIC_CELL.fullmatch(nxt.content.strip())
        if tok.type == "td_open" and amount and not _NOT_AMOUNT.fullmatch(nxt.content.strip()):
            tok.attrSet("class", "num")
    for tok in tokens:
        for child in tok.children or []:
            if child.type == "image":
                src = child.attrGet("src")
                if src in images:
                    child.attrSet("src", "data:image/png;base64," + base64.b64encode(images[src]).decode())
                else:  # never load anything from elsewhere: the alt text only
                    child.type, child.tag, child.content, child.children = "text", "", child.content, None
    body = _MD.renderer.render(tokens, _MD.options, {})
    page = ENV.get_template("page.html.j2").render(lang=lang, title=title, body=body, font_css="")
    return ENV.get_template("page.html.j2").render(lang=lang, title=title, body=body, font_css=font_face_css(page))
