"""Exact, cheap identity tests shared by the catalogue, the proofs and the document checks.

SymPy's ``simplify`` can hang on network-sized expressions (sympy#26453), and ``==`` is structural
only, so identities here are decided exactly: a rational function is zero exactly when the
expanded numerator of its form over a common denominator is. ``is_zero`` applies that to a formula
rewritten in ``exp``; ``Atomizer`` makes network-sized expressions rational by naming each
transcendental subexpression with a fresh symbol.
Anything not shown zero is reported as "not shown", never as "different".
"""

from __future__ import annotations

import sympy as sp

__all__ = ["NONSMOOTH", "Atomizer", "differentiate", "is_zero", "relation"]

# Functions that the rational test cannot see through; expressions holding them need a case split.
NONSMOOTH = (sp.Piecewise, sp.Heaviside, sp.Max, sp.Min, sp.Abs, sp.sign)


def differentiate(expr: sp.Expr, symbol: sp.Symbol) -> sp.Expr:
    """``sympy.diff(expr, symbol)`` without point masses: the classical derivative.

    Differentiating a Heaviside step gives DiracDelta terms; they vanish everywhere but at the
    kinks, where the classical derivative does not exist and the value is a convention: the one
    the step states, Heaviside(z, H0) taking H0 at 0. They are dropped.

    Examples
    --------
    >>> import sympy as sp
    >>> z = sp.Symbol("z", real=True)
    >>> differentiate(z * sp.Heaviside(z, 0), z)
    Heaviside(z, 0)
    """
    derivative = sp.diff(expr, symbol)
    if not derivative.has(sp.DiracDelta):
        return derivative
    return derivative.xreplace({delta: sp.S.Zero for delta in derivative.atoms(sp.DiracDelta)})


def is_zero(expr: sp.Expr) -> bool:
    """True when ``expr`` is identically zero, shown exactly; False when not shown.

    Examples
    --------
    >>> import sympy as sp
    >>> z = sp.Symbol("z")
    >>> is_zero(sp.exp(-z) / (1 + sp.exp(-z)) ** 2 - sp.exp(z) / (1 + sp.exp(z)) ** 2)
    True
    """
    expr = sp.sympify(expr)
    if expr == 0:
        return True
    if expr.has(*NONSMOOTH):
        return False
    # Over one common denominator, a rational function is zero exactly when its expanded numerator
    # is; this is much cheaper than cancel(), which also computes a multivariate gcd.
    numerator, _ = sp.together(expr.rewrite(sp.exp)).as_numer_denom()
    return sp.expand(numerator) == 0


def relation(stated: sp.Expr, derived: sp.Expr) -> str:
    """How ``stated`` relates to ``derived``: "equal", "negated", "scaled by c" or "differs"."""
    if is_zero(stated - derived):
        return "equal"
    if is_zero(stated + derived):
        return "negated"
    if derived != 0 and not derived.has(*NONSMOOTH) and not stated.has(*NONSMOOTH):
        ratio = sp.cancel(sp.together((stated / derived).rewrite(sp.exp)))
        if ratio.is_number and ratio != 0:
            return f"scaled by {ratio}"
    return "differs"


class Atomizer:
    """Rewrite expressions as rational functions of fresh symbols ("atoms"), consistently.

    Every distinct transcendental subexpression (exp, log, tanh, a Piecewise condition, ...) gets
    one atom, shared across calls. If two expressions become the same rational function of their
    atoms, they are equal: the atoms are then treated as independent variables, a stronger identity
    than the one needed. ``exp(k u)`` for an integer k is the k-th power of the atom of ``exp(u)``
    (so ``exp(-u)`` is its reciprocal), and ``Piecewise((e1, c1), (e2, True))`` is
    ``e1 I + e2 (1 - I)`` with I the atom of c1.

    Examples
    --------
    >>> import sympy as sp
    >>> z = sp.Symbol("z")
    >>> atomize = Atomizer()
    >>> is_zero(atomize(sp.exp(-z) / (1 + sp.exp(-z))) - atomize(1 / (1 + sp.exp(z))))
    True
    """

    def __init__(self) -> None:
        self.atoms: dict[sp.Basic, sp.Dummy] = {}
        self._done: dict[sp.Basic, sp.Expr] = {}

    def __call__(self, expr: sp.Basic) -> sp.Expr:
        if expr in self._done:
            return self._done[expr]
        if expr.is_Atom:
            result = expr
        elif isinstance(expr, (sp.Add, sp.Mul)):
            result = expr.func(*[self(arg) for arg in expr.args])
        elif isinstance(expr, sp.Pow) and expr.exp.is_Integer:
            result = self(expr.base) ** expr.exp
        elif isinstance(expr, sp.exp) and self._multiple(expr.args[0]) != 1:
            multiple = self._multiple(expr.args[0])
            result = self(sp.exp(expr.args[0] / multiple)) ** multiple
        elif isinstance(expr, sp.Piecewise):
            result, earlier = sp.S.Zero, sp.S.One  # earlier: no previous condition holds
            for value, condition in expr.args:
                holds = sp.S.One if condition == sp.true else self._atom(condition)
                result += self(value) * holds * earlier
                earlier *= 1 - holds
        else:
            result = self._atom(expr)
        self._done[expr] = result
        return result

    @staticmethod
    def _multiple(exponent: sp.Expr) -> sp.Integer:
        """k when ``exponent`` is k u for an integer k != 0 and a u with no integer content."""
        sign = -1 if exponent.could_extract_minus_sign() else 1
        content, _ = (sign * exponent).as_content_primitive()
        return sign * content if content.is_Integer else sp.Integer(sign)

    def _atom(self, expr: sp.Basic) -> sp.Dummy:
        if expr not in self.atoms:
            self.atoms[expr] = sp.Dummy(f"atom{len(self.atoms)}")
        return self.atoms[expr]
