"""Math as presentation MathML, which current browsers render natively (no script, no network).

- ``expression``: a SymPy expression that ``derive`` produced, through SymPy's MathML printer, with
  derive's element symbols in the document's notation (``W2_1_3`` as W with 2 above and 13 below).
- ``latex``: LaTeX source written by hand (the reference document, the audit's claims), through
  ``latex2mathml``; ``aligned`` environments and ``\\\\`` line breaks become tables, which MathML
  Core renders and ``latex2mathml`` does not produce.
- ``rows``: several ``left = right`` lines as one aligned display.
- ``inline``: a line of the reports' Markdown (``$...$`` math, code, bold, emphasis) as HTML.

Every function returns markup that is well-formed XML as well as valid HTML: numeric character
references only, every element closed. LaTeX that cannot be converted is shown as words, with the
backslashes of its commands removed, in a ``<span class="tex-fallback">`` (a page never shows raw
LaTeX; ``FALLBACK_CLASS`` lets a test find such spans).
"""

from __future__ import annotations

import html
import re
from xml.dom import minidom

import sympy as sp
from sympy.printing.mathml import MathMLPresentationPrinter

from derive.symbols import latex_name

__all__ = ["FALLBACK_CLASS", "MATHML_NS", "expression", "inline", "latex", "rows"]

MATHML_NS = "http://www.w3.org/1998/Math/MathML"
FALLBACK_CLASS = "tex-fallback"

# -- SymPy expressions ------------------------------------------------------------------------

# latex_name gives "W^{2}_{13}", "\delta^{1,(3)}_{2}", "x_{1}": a stem, an optional superscript
# and a subscript.
_LATEX_NAME = re.compile(r"^(\\?[A-Za-z]+)(?:\^\{([^{}]*)\})?_\{([^{}]*)\}$")
_GREEK = {"\\delta": "\u03b4", "\\sigma": "\u03c3"}


class _Printer(MathMLPresentationPrinter):
    """SymPy's presentation printer with derive's symbols in the document's notation and e as a
    plain italic-free e (SymPy prints the double-struck exponential-e character)."""

    def _print_Symbol(self, sym, style="plain"):
        match = _LATEX_NAME.match(latex_name(sym))
        if match is None:
            return super()._print_Symbol(sym, style)
        stem, upper, lower = match.groups()
        if stem.startswith("\\") and stem not in _GREEK:
            return super()._print_Symbol(sym, style)
        base = self._text_element("mi", _GREEK.get(stem, stem))
        if upper:
            node = self.dom.createElement("msubsup")
            node.appendChild(base)
            node.appendChild(self._indices(lower))
            node.appendChild(self._indices(upper))
        else:
            node = self.dom.createElement("msub")
            node.appendChild(base)
            node.appendChild(self._indices(lower))
        return node

    _print_Dummy = _print_Symbol

    def _print_Exp1(self, e):
        return self._text_element("mi", "e", mathvariant="normal")

    def _indices(self, text: str):
        """ "1,(3)" as 1 , ( 3 ): digits as numbers, the rest as operators."""
        row = self.dom.createElement("mrow")
        for token in re.findall(r"\d+|[^\d\s]", text):
            row.appendChild(self._text_element("mn" if token.isdigit() else "mo", token))
        return row if row.childNodes.length != 1 else row.firstChild

    def _text_element(self, tag: str, text: str, **attributes):
        node = self.dom.createElement(tag)
        for key, value in attributes.items():
            node.setAttribute(key, value)
        node.appendChild(self.dom.createTextNode(text))
        return node


def _markup(node: minidom.Node) -> str:
    _typeset(node)
    # SymPy writes some characters as named entities (&InvisibleTimes;, &ExponentialE;), which
    # XML does not know: every named entity becomes a numeric reference.
    return _numeric_references(node.toxml())


_FENCES = {"(": ")", "[": "]"}


def _typeset(node: minidom.Node) -> None:
    """Typographic repairs of SymPy's output: a minus sign instead of a hyphen, and parentheses
    that stretch only around something tall (a fraction or a matrix)."""
    elements = [node] if node.nodeType == node.ELEMENT_NODE else []
    elements += (
        list(node.getElementsByTagName("*")) if hasattr(node, "getElementsByTagName") else []
    )
    for element in elements:
        text = element.firstChild
        if element.tagName in ("mo", "mn") and text is not None and text.nodeType == text.TEXT_NODE:
            if text.data.startswith("-"):
                text.data = "\u2212" + text.data[1:]
        if element.tagName != "mrow":
            continue
        children = [c for c in element.childNodes if c.nodeType == c.ELEMENT_NODE]
        if len(children) < 2 or children[0].tagName != "mo" or children[-1].tagName != "mo":
            continue
        opening = children[0].firstChild.data if children[0].firstChild else ""
        closing = children[-1].firstChild.data if children[-1].firstChild else ""
        if _FENCES.get(opening) != closing:
            continue
        tall = any(element.getElementsByTagName(tag) for tag in ("mfrac", "mtable"))
        if not tall:
            for fence in (children[0], children[-1]):
                fence.setAttribute("stretchy", "false")


_NAMED_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
_XML_ENTITIES = {"lt", "gt", "amp", "quot", "apos"}


def _named_to_numeric(match: re.Match) -> str:
    if match.group(1) in _XML_ENTITIES:
        return match.group(0)
    text = html.unescape(match.group(0))
    if text == match.group(0):  # not an entity at all: an ampersand followed by a word
        return "&amp;" + match.group(0)[1:]
    return "".join(f"&#x{ord(c):X};" for c in text)


def _numeric_references(markup: str) -> str:
    """Named entities XML does not know, and every character outside ASCII, as numeric
    references: the markup stays ASCII and well-formed XML."""
    markup = _NAMED_ENTITY.sub(_named_to_numeric, markup)
    return "".join(c if ord(c) < 128 else f"&#x{ord(c):X};" for c in markup)


def _math(content: str, display: bool) -> str:
    mode = "block" if display else "inline"
    return f'<math xmlns="{MATHML_NS}" display="{mode}">{content}</math>'


def expression(expr, display: bool = False) -> str:
    """``expr`` (a SymPy expression, matrix or number) as a ``<math>`` element."""
    printer = _Printer({"mul_symbol": None})
    return _math(_markup(printer._print(sp.sympify(expr))), display)


def _content(math_element: str) -> str:
    """The children of a ``<math>`` element's markup."""
    return math_element[math_element.index(">") + 1 : math_element.rindex("</math>")]


def rows(lines, display: bool = True) -> str:
    """Aligned lines ``left = right [= more]``: each line is a sequence of SymPy expressions or
    ``(latex source,)`` one-tuples, joined by equals signs aligned in one column."""
    table = []
    for line in lines:
        cells = [
            _content(latex(part[0]) if isinstance(part, tuple) else expression(part))
            for part in line
        ]
        left, *right = cells
        rest = "<mo>=</mo>".join(right)
        table.append(
            f'<mtr><mtd class="left-side">{left}</mtd><mtd><mo>=</mo></mtd>'
            f'<mtd class="right-side"><mrow>{rest}</mrow></mtd></mtr>'
        )
    return _math(f'<mtable class="aligned" displaystyle="true">{"".join(table)}</mtable>', display)


# -- LaTeX ------------------------------------------------------------------------------------

_ENVIRONMENT = re.compile(r"\\(begin|end)\{(aligned|align\*?|split|gathered|equation\*?)\}")
_UNESCAPED_AMPERSAND = re.compile(r"&(?!#x?[0-9A-Fa-f]+;|[A-Za-z]+;)")
_COMMAND = re.compile(r"\\([A-Za-z]+)")


class _Unconvertible(ValueError):
    pass


def _convert(source: str, display: bool) -> str:
    from latex2mathml.converter import convert

    try:
        out = convert(source, display="block" if display else "inline")
    except Exception as err:  # latex2mathml raises its own errors, and IndexError on odd input
        raise _Unconvertible(f"cannot convert {source!r}: {type(err).__name__}") from err
    return _numeric_references(_UNESCAPED_AMPERSAND.sub("&amp;", out))


def _split_top(source: str) -> list[list[str]]:
    """``source`` cut into lines at ``\\\\`` and each line into cells at ``&``, where neither
    is inside braces or an environment (a ``cases`` or a matrix keeps its own)."""
    lines: list[list[str]] = [[""]]
    depth, i = 0, 0
    while i < len(source):
        environment = re.match(r"\\(begin|end)\{[^{}]*\}", source[i:])
        if environment:
            depth += 1 if environment.group(1) == "begin" else -1
            lines[-1][-1] += environment.group(0)
            i += len(environment.group(0))
            continue
        pair = source[i : i + 2]
        if pair == "\\\\" and depth == 0:
            lines.append([""])
            i += 2
            continue
        if pair in ("\\{", "\\}", "\\&", "\\\\"):  # escaped characters and an inner line break
            lines[-1][-1] += pair
            i += 2
            continue
        char = source[i]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        if char == "&" and depth == 0:
            lines[-1].append("")
        else:
            lines[-1][-1] += char
        i += 1
    return [cells for cells in lines if any(cell.strip() for cell in cells)]


def _aligned_table(lines: list[list[str]], display: bool) -> str:
    table = []
    for cells in lines:
        converted = "".join(
            f'<mtd class="{"left-side" if n == 0 and len(cells) > 1 else "right-side"}">'
            f"{_content(_convert(cell, False)) if cell.strip() else ''}</mtd>"
            for n, cell in enumerate(cells)
        )
        table.append(f"<mtr>{converted}</mtr>")
    return _math(f'<mtable class="aligned" displaystyle="true">{"".join(table)}</mtable>', display)


def latex(source: str, display: bool = False) -> str:
    """LaTeX math (without its ``$`` delimiters) as a ``<math>`` element.

    ``aligned`` (and ``align``, ``split``) environments, ``&`` alignment points and ``\\\\`` line
    breaks become an ``<mtable>``; a fragment of an environment (an opening without its end, as a
    quoted line of a displayed equation is) is read the same way. What latex2mathml cannot read is
    shown as words in a ``tex-fallback`` span.
    """
    body = _ENVIRONMENT.sub("", source).strip()
    body = re.sub(r"(\\\\\s*)+$", "", body)
    try:
        lines = _split_top(body)
        if len(lines) > 1 or any(len(cells) > 1 for cells in lines):
            return _aligned_table(lines, display)
        return _convert(body, display)
    except _Unconvertible:
        return _fallback(source)


def _fallback(source: str) -> str:
    words = _COMMAND.sub(r"\1", source).replace("\\", " ").replace("$", "")
    return f'<span class="{FALLBACK_CLASS}">{html.escape(words)}</span>'


# -- inline Markdown --------------------------------------------------------------------------

_INLINE = re.compile(
    r"\$`(?P<gh>.+?)`\$"  # GitHub's $`...`$ math
    r"|\$\$(?P<display>.+?)\$\$"
    r"|\$(?P<math>[^$\s](?:[^$]*?[^$\s\\])?)\$"
    r"|`(?P<code>[^`]+)`"
    r"|\*\*(?P<strong>.+?)\*\*"
    r"|(?<![\w*])\*(?P<em>[^\s*](?:[^*]*?[^\s*])?)\*(?![\w*])"
    r"|\[(?P<text>[^\]]+)\]\((?P<href>https?://[^)\s]+)\)"
    r"|(?P<command>\\[A-Za-z]+(?:\{[^{}]*\})?)",
    re.S,
)


def inline(text: str) -> str:
    """One line (or paragraph) of the reports' Markdown as HTML: ``$...$`` and ``$`...`$`` math
    as MathML, ``code``, **strong**, *emphasis*, web links; a bare LaTeX command in prose
    (``\\sigma``) as MathML too. Everything else is escaped text."""
    out = []
    position = 0
    for match in _INLINE.finditer(text):
        out.append(_escape_text(text[position : match.start()]))
        position = match.end()
        kind = match.lastgroup if match.lastgroup != "href" else "text"
        if kind in ("gh", "math"):
            out.append(_wide(latex(match.group(kind)), match.group(kind)))
        elif kind == "display":
            out.append(latex(match.group(kind), display=True))
        elif kind == "code":
            out.append(f"<code>{_escape_text(match.group('code'))}</code>")
        elif kind == "strong":
            out.append(f"<strong>{inline(match.group('strong'))}</strong>")
        elif kind == "em":
            out.append(f"<em>{inline(match.group('em'))}</em>")
        elif kind == "text":
            href = html.escape(match.group("href"), quote=True)
            out.append(f'<a href="{href}">{inline(match.group("text"))}</a>')
        else:
            out.append(latex(match.group("command")))
    out.append(_escape_text(text[position:]))
    return "".join(out)


# Inline formulas whose source is longer than this may be wider than a phone's screen: they are
# wrapped in a box that scrolls sideways instead of widening the page.
WIDE_SOURCE = 40


def _wide(markup: str, source: str) -> str:
    return f'<span class="wide-math">{markup}</span>' if len(source) > WIDE_SOURCE else markup


def _escape_text(text: str) -> str:
    return _numeric_references(html.escape(text, quote=False))
