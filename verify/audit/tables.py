"""The document's two tables (nonlinearities and costs) as written: their rows transcribed to
SymPy and checked by differentiation (``derive``), and to NumPy for the numeric checks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

import derive
from verify.audit.verdicts import Evidence, compared_case
from verify.core.complex_step import complex_step

__all__ = [
    "TABLE_DERIVATIVES_IN_OUTPUT",
    "TABLE_FUNCTIONS",
    "A",
    "TableRow",
    "Y",
    "Z",
    "one_sided_derivatives",
    "symbolic_case",
    "symbolic_table_rows",
    "table_derivative_case",
]

# -- symbolic: the two tables as written --------------------------------------------------------

Z = sp.Symbol("z", real=True)
A = sp.Symbol("a", real=True)
Y = sp.Symbol("y", real=True)


@dataclass(frozen=True)
class TableRow:
    """One table row as written, transcribed to SymPy, with what differentiation says.

    Attributes
    ----------
    name : str
    variable : sympy.Symbol
        z for nonlinearities, a (one output unit) for costs.
    function : sympy.Expr
        The row's function as written.
    stated : sympy.Expr
        The row's derivative as written, in terms of ``variable``.
    derived : sympy.Expr
        ``sympy.diff(function, variable)``.
    relation : str
        ``derive``'s relation of ``stated`` to ``derived``: "equal", "negated", "scaled by c",
        "differs", or a case split for non-smooth functions.
    """

    name: str
    variable: sp.Symbol
    function: sp.Expr
    stated: sp.Expr
    derived: sp.Expr
    relation: str


def symbolic_table_rows() -> dict[str, TableRow]:
    """The document's two tables as written, each derivative checked by differentiation.

    The transcriptions and the verdicts are ``derive.check_document_tables()``'s; this keys them
    by chainrule's names, with the derivatives in terms of z (nonlinearities) or a (costs).
    """
    out = {}
    for check in derive.check_document_tables():
        if check.table == "example":
            continue
        variable = check.variable
        stated, derived = check.stated_derivative, check.derived_derivative
        if check.table == "nonlinearities":  # in terms of z, where the output form was stated
            stated = stated.subs(A, check.stated_function)
            derived = derived.subs(A, check.stated_function)
        out[check.catalogue_name] = TableRow(
            check.catalogue_name, variable, check.stated_function, stated, derived, check.relation
        )
    return out


def one_sided_derivatives(function: sp.Expr, variable: sp.Symbol, point=0) -> tuple:
    """(left, right) derivatives of ``function`` at ``point``, by SymPy limits."""
    h = sp.Symbol("h", positive=True)
    at_point = function.subs(variable, point)
    left = sp.limit((at_point - function.subs(variable, point - h)) / h, h, 0)
    right = sp.limit((function.subs(variable, point + h) - at_point) / h, h, 0)
    return left, right


# -- numeric transcriptions of the tables (the claims, as NumPy) -------------------------------

TABLE_FUNCTIONS = {
    "sigmoid": lambda z: 1 / (1 + np.exp(z)),
    "tanh": lambda z: (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z)),
}
TABLE_DERIVATIVES_IN_OUTPUT = {
    "sigmoid": lambda a: a * (1 - a),
    "tanh": lambda a: 1 - a**2,
}


def table_derivative_case(name: str, points: np.ndarray) -> Evidence:
    """The stated derivative (in terms of the output a) against the complex-step derivative of
    the function as written, at ``points``."""
    function = TABLE_FUNCTIONS[name]
    truth = np.array([complex_step(function, z) for z in points])
    stated = TABLE_DERIVATIVES_IN_OUTPUT[name](function(points))
    return compared_case(f"complex step at {len(points)} random points", stated, truth)


def symbolic_case(row: TableRow, label: str) -> Evidence:
    """An Evidence from ``derive``'s relation between a stated derivative and the derived one."""
    return Evidence(
        f"symbolic: {label}",
        row.relation == "equal",
        f"stated {sp.sstr(row.stated)}, derived {sp.sstr(sp.factor(row.derived))}: {row.relation}",
    )
