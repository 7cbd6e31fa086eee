"""A claim's LaTeX statement as MathML, without network access.

Browsers render MathML natively (Chromium >= 109, Firefox, Safari), so the page needs
no images, fonts or scripts: each ``$...$`` (``$$...$$``, ``\\(...\\)``) segment is
converted by latex2mathml, and the LaTeX source travels with it as a MathML
annotation (copy-paste and screen readers get it back). Text between segments stays
HTML text, so statements wrap on narrow screens. matplotlib's mathtext, used before,
could not parse ``\\frac1N``, ``\\lfloor`` or ``\\mathrm{timeAvg}`` and left them raw.

A segment that does not convert cleanly (an unknown macro, unbalanced braces, a
fraction with one argument) is shown as its LaTeX source in ``<code class="tex">``;
:func:`unrenderable` lists such segments so that ``check-claim`` can warn about them.
"""
from __future__ import annotations

import functools
import re
from xml.etree import ElementTree as ET

from markupsafe import Markup, escape

_SEGMENT = re.compile(r"(\$\$.+?\$\$|(?<!\\)\$.+?(?<!\\)\$|\\\(.+?\\\))", re.S)
_LONE_DOLLAR = re.compile(r"(?<!\\)\$")
_MATHML = "{http://www.w3.org/1998/Math/MathML}"
# MathML elements with a fixed number of children: a different count means the
# converter was given an incomplete construct (e.g. "\frac{1}")
_ARITY = {"mfrac": 2, "msub": 2, "msup": 2, "msubsup": 3, "mover": 2, "munder": 2, "munderover": 3, "mroot": 2}
_UPRIGHT_LETTERS = re.compile(r'(?:<mi mathvariant="normal">[A-Za-z]</mi>){2,}')


def _split(text: str) -> list[tuple[bool, str, str]]:
    """(is_math, source as written, TeX inside the delimiters) for each part of ``text``."""
    parts = []
    for i, part in enumerate(_SEGMENT.split(text or "")):
        if i % 2 == 0:
            if part:
                parts.append((False, part, ""))
        elif part.startswith("$$") or part.startswith("\\("):
            parts.append((True, part, part[2:-2]))
        else:
            parts.append((True, part, part[1:-1]))
    return parts


def _balanced(tex: str) -> bool:
    depth = 0
    for m in re.finditer(r"\\.|[{}]", tex):
        if m.group() == "{":
            depth += 1
        elif m.group() == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _merge_upright_words(mathml: str) -> str:
    """``\\mathrm{timeAvg}`` converts to one upright <mi> per letter; one <mi> holding the
    word renders as a word (multi-letter identifiers are upright by default)."""
    return _UPRIGHT_LETTERS.sub(lambda m: "<mi>" + "".join(re.findall(r">([A-Za-z])<", m.group())) + "</mi>", mathml)


@functools.lru_cache(maxsize=1024)
def to_mathml(tex: str, display: bool = False) -> str | None:
    """MathML markup of one TeX segment (without delimiters), or None when it does not
    convert cleanly."""
    import latex2mathml.converter

    tex = tex.strip()
    if not tex or not _balanced(tex):
        return None
    try:
        out = latex2mathml.converter.convert(tex, display="block" if display else "inline")
        root = ET.fromstring(out)
    except Exception:  # noqa: BLE001 - any converter failure falls back to the source
        return None
    for el in root.iter():
        if "\\" in (el.text or ""):  # an unknown macro is copied through as text
            return None
        if _ARITY.get(el.tag.removeprefix(_MATHML), len(el)) != len(el):
            return None
    out = _merge_upright_words(out)
    # a slash is ordinary in TeX (N^{-1/2}); as a MathML operator it gets spaces around it
    out = out.replace("<mo>&#x0002F;</mo>", '<mo lspace="0" rspace="0">/</mo>')
    # keep the source as an annotation (not rendered; copy and screen readers use it)
    body = out[out.index(">") + 1:out.rindex("</math>")]
    head = out[:out.index(">") + 1]
    return f'{head}<semantics>{body}<annotation encoding="application/x-tex">{escape(tex)}</annotation></semantics></math>'


def render(text: str) -> Markup:
    """HTML of a text with math: text escaped, each math segment as MathML (or, when it
    does not convert, its LaTeX source in <code class="tex">)."""
    out = []
    for is_math, source, tex in _split(text):
        if not is_math:
            out.append(str(escape(source.replace("\\$", "$"))))
            continue
        mathml = to_mathml(tex, display=source.startswith("$$"))
        out.append(mathml if mathml else f'<code class="tex" title="shown as LaTeX: it does not convert to MathML">'
                                         f'{escape(source)}</code>')
    return Markup("".join(out))


def unrenderable(text: str) -> list[str]:
    """The math segments of ``text`` that the report cannot render (as written, with
    their delimiters), plus a note for an unmatched ``$``. Empty when all is well."""
    bad = [source for is_math, source, tex in _split(text)
           if is_math and to_mathml(tex, display=source.startswith("$$")) is None]
    for is_math, source, _ in _split(text):
        if not is_math and _LONE_DOLLAR.search(source):
            bad.append(f"unmatched $ in {source.strip()[:60]!r}")
    return bad
