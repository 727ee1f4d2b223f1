"""Every sentence, label and heading the program shows, by key, in Japanese and in English.

The catalogue is :mod:`optimizer.text.catalogue`: one entry per key, both languages side by
side. Code that decides things never writes a sentence: it returns a :class:`Msg` (a key and its
values), and the edges -- the CLI, the report, the files -- put it into the language of the run
with :func:`say`.

>>> from optimizer.text import Msg, say
>>> say(Msg("rule.population", total=1_400_000, limit=1_300_000), "en")
'total population 1,400,000 exceeds 1,300,000'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .catalogue import CATALOGUE

LANGS = ("ja", "en")


def _language(k: int) -> dict[str, Any]:
    """One language's texts: the ``k``-th of each pair (a dict's pairs field by field)."""
    return {key: ({f: pair[k] for f, pair in v.items()} if isinstance(v, dict) else v[k])
            for key, v in CATALOGUE.items()}


CATALOGUES: dict[str, dict[str, Any]] = {lang: _language(k) for k, lang in enumerate(LANGS)}


@dataclass(frozen=True)
class Msg:
    """A sentence not yet in a language: a catalogue key and the values it names.

    Values may themselves be :class:`Msg` (rendered in the same language) or :class:`Items`
    (a list written with the language's separator).
    """

    key: str
    params: dict = field(default_factory=dict)

    def __init__(self, key: str, /, **params):
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "params", params)

    def __str__(self) -> str:  # English: the language of exceptions and logs
        return say(self, "en")

    def __add__(self, other) -> "Msg":
        """Two sentences written one after the other (``Msg + Msg`` or ``Msg + str``)."""
        return Msg("join.concat", a=self, b=other)


@dataclass(frozen=True)
class Items:
    """A list in prose: ``、`` between items in Japanese, ``, `` in English (``sep``: another key)."""

    items: tuple
    sep: str = "sep.list"

    def __init__(self, items, sep: str = "sep.list"):
        object.__setattr__(self, "items", tuple(items))
        object.__setattr__(self, "sep", sep)


def _value(v, lang: str):
    if isinstance(v, Msg):
        return say(v, lang)
    if isinstance(v, Items):
        return CATALOGUES[lang][v.sep].join(str(_value(x, lang)) for x in v.items)
    return v


def say(text, lang: str) -> str:
    """``text`` in ``lang``: a :class:`Msg` looked up and filled in, anything else as it is."""
    if isinstance(text, Msg):
        template = CATALOGUES[lang][text.key]
        return template.format(**{k: _value(v, lang) for k, v in text.params.items()})
    if isinstance(text, Items):
        return _value(text, lang)
    return str(text)


def t(lang: str, key: str, **params):
    """The catalogue entry ``key`` in ``lang``: a string filled in with ``params``, or a list/dict as it is."""
    entry = CATALOGUES[lang][key]
    if isinstance(entry, str):
        return entry.format(**{k: _value(v, lang) for k, v in params.items()}) if params else entry
    return entry


def both(text) -> dict[str, str]:
    """``{"ja": ..., "en": ...}``: a text in both languages (JSON gives reasons in both)."""
    return {lang: say(text, lang) for lang in LANGS}
