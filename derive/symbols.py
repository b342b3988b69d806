"""Element symbols: plain identifier names for code, the document's notation for LaTeX.

Names are valid Python identifiers so that emitted code can use them as they are:
``W2_1_3`` is W^2_{13}, ``b1_2`` is b^1_2, ``x_1`` and ``y_1`` are an input and a target,
``z1_2``, ``a1_2``, ``delta1_2`` are backprop intermediates, and a suffix ``_s3`` marks sample 3
of a batch. ``latex`` prints any expression over them in the document's notation.
"""

from __future__ import annotations

import re

import sympy as sp

__all__ = ["latex", "latex_name", "make_symbol", "operation_count"]

_NAME = re.compile(r"^(W|b|z|a|delta|x|y)(\d*)_(\d+)(?:_(\d+))?(?:_s(\d+))?$")
_STEMS = {"delta": r"\delta"}


def make_symbol(stem: str, layer: int | None, index: tuple[int, ...], sample: int | None = None):
    """The real symbol ``stem`` for ``layer`` (None for x, y), 1-based ``index``, ``sample``."""
    name = stem + ("" if layer is None else str(layer)) + "".join(f"_{i}" for i in index)
    if sample is not None:
        name += f"_s{sample}"
    return sp.Symbol(name, real=True)


def latex_name(symbol: sp.Symbol) -> str:
    """The document's notation for one of our symbols (other symbols print as SymPy prints them).

    Examples
    --------
    >>> latex_name(make_symbol("W", 2, (1, 3)))
    'W^{2}_{13}'
    >>> latex_name(make_symbol("delta", 1, (2,), sample=3))
    '\\\\delta^{1,(3)}_{2}'
    """
    match = _NAME.match(symbol.name)
    if match is None:
        return sp.latex(symbol)
    stem, layer, first, second, sample = match.groups()
    indices = [first] + ([second] if second else [])
    separator = "" if all(len(i) == 1 for i in indices) else ","
    upper = [layer] if layer else []
    if sample:
        upper.append(f"({sample})")
    superscript = "^{" + ",".join(upper) + "}" if upper else ""
    return f"{_STEMS.get(stem, stem)}{superscript}_{{{separator.join(indices)}}}"


def latex(expr: sp.Basic, **settings) -> str:
    """``sympy.latex`` of ``expr`` with our symbols in the document's notation."""
    names = {s: latex_name(s) for s in sp.sympify(expr).free_symbols if isinstance(s, sp.Symbol)}
    return sp.latex(expr, symbol_names=names, **settings)


def operation_count(expr: sp.Basic) -> int:
    """Number of distinct compound subexpressions: the operations left after eliminating every
    common subexpression. Cheap on expressions whose tree, unlike their DAG, is huge."""
    seen: set[sp.Basic] = set()
    stack = [sp.sympify(expr)]
    while stack:
        node = stack.pop()
        if node.is_Atom or node in seen:
            continue
        seen.add(node)
        stack.extend(node.args)
    return len(seen)
