"""A Japanese web font embedded in the HTML outputs, so they render on machines without one.

The IPAexGothic font shipped by ``matplotlib-fontja`` (IPA Font License v1.0, which permits
embedding in documents) is subset to the characters a page uses and inlined as a WOFF
data URI: the HTML stays a single offline file of modest size.
"""

from __future__ import annotations

import base64
import io
from functools import lru_cache
from pathlib import Path

FAMILY = "lgcloud-ja"


@lru_cache(maxsize=1)
def _font_path() -> Path | None:
    import matplotlib_fontja

    found = sorted(Path(matplotlib_fontja.__file__).parent.rglob("*.ttf"))
    return found[0] if found else None


def font_face_css(text: str) -> str:
    """``@font-face`` rule with the font subset to ``text``'s characters (empty if no font is found)."""
    path = _font_path()
    if path is None:
        return ""
    from fontTools import subset

    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = ["*"]
    font = subset.load_font(str(path), options)
    sub = subset.Subsetter(options)
    sub.populate(text="".join(sorted(set(text))) + " 0123456789")
    sub.subset(font)
    buf = io.BytesIO()
    subset.save_font(font, buf, options)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'@font-face{{font-family:"{FAMILY}";src:url(data:font/woff;base64,{data}) format("woff");}}'
