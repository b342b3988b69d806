"""Math as MathML: derive's expressions through SymPy's printer, LaTeX through latex2mathml."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import sympy as sp

from derive.symbols import make_symbol
from verify.site.mathml import FALLBACK_CLASS, expression, inline, latex, rows

MATHML = "{http://www.w3.org/1998/Math/MathML}"


def _parse(markup: str):
    return ET.fromstring(markup)


def _texts(element) -> list[str]:
    return [e.text for e in element.iter() if e.text]


def test_derive_symbols_print_in_the_documents_notation():
    weight = _parse(expression(make_symbol("W", 2, (1, 3))))
    (node,) = list(weight)
    assert node.tag == MATHML + "msubsup"
    assert _texts(node) == ["W", "13", "2"]  # base, subscript (unit indices), superscript (layer)
    delta = _parse(expression(make_symbol("delta", 1, (2,), sample=3)))
    assert _texts(delta) == ["\u03b4", "2", "1", ",", "(", "3", ")"]


def test_expressions_use_a_minus_sign_and_an_upright_e():
    z = make_symbol("z", 1, (1,))
    markup = expression(1 / (1 + sp.exp(-z)))
    assert "&#x2212;" in markup and "<mo>-</mo>" not in markup
    assert '<mi mathvariant="normal">e</mi>' in markup
    assert markup.isascii()


def test_parentheses_stretch_only_around_tall_content():
    a = make_symbol("a", 1, (1,))
    flat = expression(a * (a - 1))
    assert flat.count('stretchy="false"') == 2
    tall = expression(a * (1 / a - 1))
    assert 'stretchy="false"' not in tall


def test_rows_align_on_the_equals_sign():
    z = make_symbol("z", 1, (1,))
    table = _parse(rows([[z, z**2], [(r"\sigma(z)",), z, z + 1]]))
    lines = list(table.iter(MATHML + "mtr"))
    assert len(lines) == 2
    assert all(len(list(line)) == 3 for line in lines)  # left side, =, right side


def test_latex_becomes_mathml():
    markup = latex(r"\frac{\partial C}{\partial W^m_{ij}} = \delta^m_i a^{m-1}_j")
    tree = _parse(markup)
    assert tree.tag == MATHML + "math" and tree.find(f".//{MATHML}mfrac") is not None
    assert "\\" not in "".join(_texts(tree))


def test_aligned_environments_and_fragments_of_them_become_tables():
    whole = _parse(latex(r"\begin{aligned} a &= b \\ c &= d \end{aligned}", display=True))
    assert len(list(whole.iter(MATHML + "mtr"))) == 2
    fragment = _parse(latex(r"\begin{align} \frac{\partial C}{\partial z^L} &= x \\"))
    assert fragment.find(f".//{MATHML}mfrac") is not None


def test_cases_keep_their_own_alignment():
    tree = _parse(
        latex(
            r"\frac{\partial z_k}{\partial b_i} = "
            r"\begin{cases} 0 & k \ne i \\ 1 & k = i \end{cases}"
        )
    )
    table = tree.find(f".//{MATHML}mtable")
    assert table is not None and len(list(table)) == 2
    assert tree.find(f".//{MATHML}mfrac") is not None  # the left side was not split off


def test_unconvertible_latex_is_shown_as_words():
    markup = latex(r"\frac{a}{")
    assert FALLBACK_CLASS in markup and "\\" not in markup


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain & <simple>", "plain &amp; &lt;simple&gt;"),
        ("the `W.dot(x)` call", "the <code>W.dot(x)</code> call"),
        ("**bold** and *emphasis*", "<strong>bold</strong> and <em>emphasis</em>"),
        ("a * b * c", "a * b * c"),
        ("[docs](https://example.org/x)", '<a href="https://example.org/x">docs</a>'),
        ("[local](reports/errata.md)", "[local](reports/errata.md)"),
    ],
)
def test_inline_markdown(text, expected):
    assert inline(text) == expected


def test_inline_math_and_bare_commands_become_mathml():
    markup = inline(r"For $C(z)$ and $`x^2`$: the notation defines L, \sigma, z")
    assert markup.count("<math ") == 3 and "$" not in markup and "\\" not in markup


def test_long_inline_formulas_scroll_instead_of_widening_the_page():
    long = inline("$" + " + ".join(f"W^{m} a^{{{m}-1}}" for m in range(8)) + "$")
    assert long.startswith('<span class="wide-math"><math ')
    assert not inline("$x$").startswith("<span")
