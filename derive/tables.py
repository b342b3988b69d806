"""Formula-level checks of the reference document's two tables (and its worked example), as written.

Each row transcribes what the document states: the function and the derivative it gives, in terms of
z or of the output a, exactly as printed (its sigmoid has e^{+z}, its squared-error derivative is
y - a). That transcription is the claim under test; the verdict is computed: the stated function is
differentiated, the result compared with the stated derivative (equal, negated, scaled, differs),
non-differentiable points are located and their one-sided derivatives taken, and the stated
derivative is also compared with the derivative of chainrule's catalogue function of the same name.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import NamedTuple

import sympy as sp

from derive.algebra import NONSMOOTH, differentiate, is_zero, relation
from derive.catalogue import ACTIVATIONS, COSTS, A, SymbolicActivation, Z

__all__ = ["FormulaCheck", "Kink", "check_document_tables"]

Y = sp.Symbol("y", real=True)
_T = sp.Symbol("t", positive=True)


@dataclass(frozen=True)
class _Row:
    table: str
    row: str
    function: sp.Expr  # in Z (nonlinearities, example) or in A and Y (costs)
    derivative: sp.Expr  # as stated: in Z, or in terms of the output A (and Y)
    catalogue_name: str
    output: sp.Expr | None = None  # what A stands for when the derivative is stated in terms of A


# The document's rows, transcribed as written. "nonlinearities": a = sigma(z), derivative da/dz;
# sigmoid and tanh state it in terms of a. "costs": C(a, y) for one output unit (both costs are sums
# over units, so a unit's partial involves its own term only), derivative dC/da.
_SIGMOID = 1 / (1 + sp.exp(Z))
_TANH = (sp.exp(Z) - sp.exp(-Z)) / (sp.exp(Z) + sp.exp(-Z))
_ROWS = (
    _Row("nonlinearities", "Sigmoid", _SIGMOID, A * (1 - A), "sigmoid", _SIGMOID),
    _Row("nonlinearities", "Tanh", _TANH, 1 - A**2, "tanh", _TANH),
    _Row("nonlinearities", "ReLU", sp.Max(0, Z), sp.Piecewise((0, Z < 0), (1, Z >= 0)), "relu"),
    _Row("costs", "Squared Error", (Y - A) ** 2 / 2, Y - A, "squared_error"),
    _Row(
        "costs",
        "Cross-Entropy",
        (Y - 1) * sp.log(1 - A) - Y * sp.log(A),
        (A - Y) / (A * (1 - A)),
        "cross_entropy",
    ),
)


class Kink(NamedTuple):
    """A point where the stated function is not differentiable."""

    point: sp.Expr
    left: sp.Expr  # one-sided derivatives
    right: sp.Expr
    stated: sp.Expr  # the stated derivative's value there
    catalogue: sp.Expr  # the catalogue derivative's value there: chainrule's convention


@dataclass(frozen=True)
class FormulaCheck:
    """The verdict on one row of the document's tables, found by differentiation.

    Attributes
    ----------
    table : str
        "nonlinearities", "costs", or "example" (the sigmoid/cross-entropy dC/dz^L = a^L - y).
    row : str
        The row's name in the document ("Sigmoid", "Squared Error", ...).
    variable : sympy.Symbol
        What the derivative is taken with respect to: z, or a for costs.
    stated_function, stated_derivative : sympy.Expr
        The document's formulas as written (the derivative in terms of a where it is so stated).
    derived_derivative : sympy.Expr
        The derivative of ``stated_function``, in the same terms as ``stated_derivative``.
    holds : bool
        Whether the stated derivative is the derivative of the stated function (for non-smooth
        functions: wherever it is differentiable, with a subgradient at the kinks).
    relation : str
        Stated versus derived: "equal", "negated", "scaled by c", "equal where differentiable",
        or "differs".
    catalogue_name : str
        chainrule's function of the same name.
    catalogue_relation : str
        Stated derivative versus the derivative of the catalogue function.
    function_matches_catalogue : bool
        Whether the stated function is the catalogue's.
    kinks : tuple of Kink
        Points where the stated function is not differentiable, with the one-sided derivatives,
        the stated value and chainrule's.
    note : str
        The convention, in words, assembled from the fields above.
    """

    table: str
    row: str
    variable: sp.Symbol
    stated_function: sp.Expr
    stated_derivative: sp.Expr
    derived_derivative: sp.Expr
    holds: bool
    relation: str
    catalogue_name: str
    catalogue_relation: str
    function_matches_catalogue: bool
    kinks: tuple
    note: str


def check_document_tables() -> list[FormulaCheck]:
    """Check every row of the document's nonlinearity and cost tables, and its worked example.

    Returns
    -------
    list of FormulaCheck
        Sigmoid, Tanh, ReLU, Squared Error, Cross-Entropy, then the example's dC/dz^L.

    Examples
    --------
    >>> [(c.row, c.relation) for c in check_document_tables()][:2]
    [('Sigmoid', 'negated'), ('Tanh', 'equal')]
    """
    return [_check_row(row) for row in _ROWS] + [_check_example()]


def _check_row(row: _Row) -> FormulaCheck:
    if row.table == "nonlinearities":
        catalogue = ACTIVATIONS[row.catalogue_name].expression
        stated = SymbolicActivation(row.row, lambda z: row.function.subs(Z, z))
        derived = stated.output_derivative if row.output is not None else None
        derived = stated.derivative if derived is None else derived
        return _verdict(row, Z, derived, catalogue, catalogue)
    catalogue = COSTS[row.catalogue_name]([A], [Y])
    return _verdict(row, A, sp.factor(differentiate(row.function, A)), catalogue, None)


def _verdict(row: _Row, variable, derived, catalogue, catalogue_output) -> FormulaCheck:
    """Compare in ``variable`` itself, substituting a = sigma(z) where stated in terms of a."""
    stated = row.derivative if row.output is None else row.derivative.subs(A, row.output)
    kinks = _kinks(row.function, variable)
    rel, holds, kink_rows = _relation(stated, row.function, variable, kinks, catalogue)
    catalogue_stated = (
        row.derivative if row.output is None else row.derivative.subs(A, catalogue_output)
    )
    catalogue_rel = _relation(
        catalogue_stated, catalogue, variable, _kinks(catalogue, variable), catalogue
    )[0]
    probes = [variable] if not kinks else _probes(kinks) + kinks
    matches = all(is_zero((row.function - catalogue).subs(variable, p)) for p in probes)
    check = dict(
        table=row.table,
        row=row.row,
        variable=variable,
        stated_function=row.function,
        stated_derivative=row.derivative,
        derived_derivative=derived,
        holds=holds,
        relation=rel,
        catalogue_name=row.catalogue_name,
        catalogue_relation=catalogue_rel,
        function_matches_catalogue=matches,
        kinks=kink_rows,
    )
    return FormulaCheck(**check, note=_note(check, catalogue))


def _kinks(function: sp.Expr, variable: sp.Symbol) -> list:
    """Points where a Piecewise/Max/... function of ``variable`` switches between pieces."""
    if not function.has(*NONSMOOTH):
        return []
    pieces = function.rewrite(sp.Piecewise)
    points = set()
    for condition in pieces.atoms(sp.core.relational.Relational):
        points.update(sp.solve(condition.lhs - condition.rhs, variable))
    return sorted(points)


def _probes(kinks: list) -> list:
    """A symbolic point inside each open interval between kinks (t > 0 is a free symbol)."""
    inner = [k + (after - k) * _T / (1 + _T) for k, after in pairwise(kinks)]
    return [kinks[0] - _T, *inner, kinks[-1] + _T]


def _relation(stated, function, variable, kinks, catalogue):
    """(relation, holds, kinks) of ``stated`` against the derivative of ``function``.

    With kinks, the relation is decided on each open interval between them, and each kink gets its
    one-sided derivatives, the stated value and the catalogue's value.
    """
    true_derivative = differentiate(function, variable)
    if not kinks:
        rel = relation(stated, true_derivative)
        return rel, rel == "equal", ()
    relations = {
        relation(stated.subs(variable, p), true_derivative.subs(variable, p))
        for p in _probes(kinks)
    }
    if relations != {"equal"}:
        return ("differs" if len(relations) > 1 else relations.pop()), False, ()
    rows, subgradient = [], True
    catalogue_derivative = differentiate(catalogue, variable)
    for k in kinks:
        left = sp.limit(true_derivative.subs(variable, k - _T), _T, 0, "+")
        right = sp.limit(true_derivative.subs(variable, k + _T), _T, 0, "+")
        value = stated.subs(variable, k)
        rows.append(Kink(k, left, right, value, catalogue_derivative.subs(variable, k)))
        subgradient &= bool(min(left, right) <= value <= max(left, right))
    return "equal where differentiable", subgradient, tuple(rows)


def _check_example() -> FormulaCheck:
    """The worked example: sigmoid output with cross-entropy, dC/dz^L = a^L - y, as written."""
    sigmoid, cross_entropy = _ROWS[0], _ROWS[4]
    stated_sigmoid = SymbolicActivation("Sigmoid", lambda z: sigmoid.function.subs(Z, z))
    composite = cross_entropy.function.subs(A, sigmoid.function)
    # The chain rule with both factors derived (not the table's): dC/da times da/dz in terms of a.
    derived = sp.factor(differentiate(cross_entropy.function, A) * stated_sigmoid.output_derivative)
    row = _Row(
        "example",
        "Sigmoid with Cross-Entropy",
        composite,
        A - Y,
        "sigmoid and cross_entropy",
        sigmoid.function,
    )
    corrected = ACTIVATIONS["sigmoid"].expression
    return _verdict(row, Z, derived, cross_entropy.function.subs(A, corrected), corrected)


def _note(check: dict, catalogue: sp.Expr) -> str:
    name, rel, catalogue_rel = (
        check["catalogue_name"],
        check["relation"],
        check["catalogue_relation"],
    )
    derived = sp.sstr(check["derived_derivative"])
    if rel == "equal":
        text = "The stated derivative is the derivative of the stated function."
    elif rel == "negated":
        descent = " (the descent direction)" if check["table"] == "costs" else ""
        text = (
            "The stated derivative is the negative of the derivative of the stated function"
            f"{descent}; the derivative is {derived}."
        )
    elif rel == "equal where differentiable":
        text = "The stated derivative is the derivative wherever the function is differentiable."
        for point, left, right, value, catalogue_value in check["kinks"]:
            text += (
                f" At {check['variable']} = {point} the function is not differentiable (one-sided "
                f"derivatives {left} and {right}); the stated value there, {value}, is a convention"
                f"{' (a subgradient)' if min(left, right) <= value <= max(left, right) else ''}; "
                f"chainrule's {name} takes {catalogue_value}."
            )
    else:
        text = (
            f"The stated derivative ({rel}) is not the derivative of the stated function, "
            f"{derived}."
        )
    if not check["function_matches_catalogue"] and catalogue_rel == "equal":
        text += f" It is the derivative of chainrule's {name}, {sp.sstr(catalogue)}, instead."
    elif not check["function_matches_catalogue"]:
        text += f" Against chainrule's {name}, {sp.sstr(catalogue)}, it is {catalogue_rel}."
    return text
