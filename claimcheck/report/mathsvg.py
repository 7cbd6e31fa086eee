"""A claim's LaTeX statement as readable math, without network access.

Text stays HTML text (so it wraps on narrow screens); each ``$...$`` segment is
rendered by matplotlib's mathtext to a small SVG (glyphs as paths, so no font is
needed) and embedded as a data-URI ``<img>`` whose alt text is the LaTeX source.
A segment mathtext cannot parse is shown as its LaTeX source in ``<code>``.
"""
from __future__ import annotations

import base64
import functools
import io
import re

from markupsafe import Markup, escape

FONT_PT = 12.0  # rendering size; the image is sized in em, so it follows the page font

# macros mathtext lacks, mapped to Unicode symbols it does draw
_SUBSTITUTE = {"lesssim": "≲", "gtrsim": "≳", "coloneqq": ":=", "le": r"\leq", "ge": r"\geq", "ne": r"\neq",
               "lVert": r"\Vert", "rVert": r"\Vert", "lvert": "|", "rvert": "|", "tfrac": r"\frac",
               "dfrac": r"\frac", "bigl": "", "bigr": "", "Bigl": "", "Bigr": "", "big": "", "Big": ""}
_MACRO = re.compile(r"\\(%s)(?![A-Za-z])" % "|".join(sorted(_SUBSTITUTE, key=len, reverse=True)))

_SEGMENT = re.compile(r"(\$\$.+?\$\$|(?<!\\)\$.+?(?<!\\)\$|\\\(.+?\\\))", re.S)


def _clean(tex: str) -> str:
    """Map macros mathtext lacks to ones it has (\\le -> \\leq, \\lesssim -> ≲, ...)."""
    return _MACRO.sub(lambda m: _SUBSTITUTE[m.group(1)], tex)


@functools.lru_cache(maxsize=512)
def math_img(tex: str) -> str | None:
    """``<img>`` markup for one math segment (without delimiters), or None if mathtext fails."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.mathtext import MathTextParser

    s = f"${_clean(tex.strip())}$"
    prop = FontProperties(size=FONT_PT)
    try:
        box = MathTextParser("path").parse(s, dpi=72, prop=prop)
    except Exception:  # noqa: BLE001 - any parse failure falls back to the source
        return None
    width, height, depth = float(box.width), float(box.height), float(box.depth)
    if width <= 0 or height <= 0:
        return None
    fig = Figure(figsize=(width / 72, height / 72))
    fig.text(0, depth / height, s, fontproperties=prop)
    buf = io.BytesIO()
    try:
        with rc_context({"svg.fonttype": "path", "svg.hashsalt": "math"}):
            fig.savefig(buf, dpi=72, format="svg", transparent=True)
    except Exception:  # noqa: BLE001
        return None
    data = base64.b64encode(buf.getvalue()).decode()
    style = f"width:{width / FONT_PT:.3f}em;vertical-align:-{depth / FONT_PT:.3f}em"
    return (f'<img class="math" alt="{escape(tex.strip())}" title="{escape(tex.strip())}" style="{style}" '
            f'src="data:image/svg+xml;base64,{data}">')


def render_statement(text: str) -> Markup:
    """HTML of a statement: text escaped, math segments as images (or <code> fallback)."""
    out = []
    for i, part in enumerate(_SEGMENT.split(text or "")):
        if i % 2 == 0:
            out.append(str(escape(part)))
            continue
        if part.startswith("$$"):
            tex = part[2:-2]
        elif part.startswith("\\("):
            tex = part[2:-2]
        else:
            tex = part[1:-1]
        img = math_img(tex)
        out.append(img if img else f'<code class="tex" title="shown as LaTeX: the offline renderer cannot draw it">'
                                   f'{escape(part)}</code>')
    return Markup("".join(out))


def statement_renders(text: str) -> bool:
    """True when every math segment of the statement rendered as math."""
    return "<code class=\"tex\"" not in str(render_statement(text))
