"""Exact, cheap identity tests shared by the catalogue, the proofs and the document checks.

SymPy's ``simplify`` can hang on network-sized expressions (sympy#26453), and ``==`` is structural
only, so identities here are decided exactly: a rational function is zero exactly when the
expanded numerator of its form over a common denominator is. ``is_zero`` applies that to a formula
rewritten in ``exp``; ``Atomizer`` makes network-sized expressions rational by naming each
transcendental subexpression with a fresh symbol.
Anything not shown zero is reported as "not shown", never as "different".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sympy as sp
from sympy.core.function import ArgumentIndexError
from sympy.ntheory.multinomial import multinomial_coefficients_iterator

__all__ = ["NONSMOOTH", "Atomizer", "Differentiator", "differentiate", "is_zero", "relation"]

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


class Differentiator:
    """``differentiate(expr, p)`` for many symbols p, each derivative computed once per node.

    ``sympy.diff`` re-walks every subexpression each time it occurs in the tree (its cache is far
    smaller than a network's cost), and it recurses as deep as the expression is nested. This walks
    the expression's DAG iteratively, once per symbol, with a cache keyed on subexpressions, and
    skips every node that does not depend on the symbol (known from one walk for all the symbols).
    It applies SymPy's own rules node by node (the product rule of ``Mul``, the chain rule through
    ``fdiff`` of ``Function``, ``Add``, ``Pow``, ``Piecewise``), so the result is the expression
    ``differentiate`` returns; a node of any other kind goes to ``sympy.diff`` as it is.

    Parameters
    ----------
    expr : sympy.Expr
    symbols : sequence of sympy.Symbol
        The symbols to differentiate by.

    Examples
    --------
    >>> import sympy as sp
    >>> x, y = sp.symbols("x y", real=True)
    >>> inner = sp.exp(x * y)
    >>> d = Differentiator(sp.log(1 + inner) * inner, [x, y])
    >>> d(x) == differentiate(sp.log(1 + inner) * inner, x)
    True
    """

    def __init__(self, expr: sp.Expr, symbols: Sequence[sp.Symbol]) -> None:
        self.expr = sp.sympify(expr)
        self.symbols = tuple(symbols)
        self._bits = {symbol: 1 << k for k, symbol in enumerate(self.symbols)}
        self._depends = self._dependencies(self.expr)

    def _dependencies(self, root: sp.Basic) -> dict[sp.Basic, int]:
        """For every node of the DAG, the bit set of the symbols it contains (post-order walk)."""
        depends: dict[sp.Basic, int] = {}
        stack = [root]
        while stack:
            node = stack[-1]
            if node in depends:
                stack.pop()
                continue
            if node.is_Atom:
                depends[node] = self._bits.get(node, 0)
                stack.pop()
                continue
            todo = [arg for arg in node.args if arg not in depends]
            if todo:
                stack.extend(todo)
                continue
            stack.pop()
            bits = 0
            for arg in node.args:
                bits |= depends[arg]
            depends[node] = bits
        return depends

    def __call__(self, symbol: sp.Symbol) -> sp.Expr:
        """d expr / d ``symbol``, point masses of Heaviside steps dropped (as ``differentiate``)."""
        if symbol not in self._bits:
            raise ValueError(f"`symbol` must be one of {list(self.symbols)}, got {symbol!r}")
        derivative = self._derivative(symbol)
        deltas = _atoms_of(derivative, sp.DiracDelta)
        if not deltas:
            return derivative
        return derivative.xreplace({delta: sp.S.Zero for delta in deltas})

    def _derivative(self, symbol: sp.Symbol) -> sp.Expr:
        bit, depends = self._bits[symbol], self._depends
        done: dict[sp.Basic, sp.Expr] = {}
        stack = [self.expr]
        while stack:
            node = stack[-1]
            if node in done:
                stack.pop()
                continue
            if not depends[node] & bit:
                done[node] = sp.S.Zero
                stack.pop()
                continue
            if node.is_Atom:
                done[node] = sp.S.One if node == symbol else sp.S.Zero
                stack.pop()
                continue
            rule = _rule(node)
            if rule is None:  # another kind of node: SymPy differentiates it, unmemoized
                done[node] = sp.diff(node, symbol)
                stack.pop()
                continue
            todo = [arg for arg in _differentiated_args(node) if arg not in done]
            if todo:
                stack.extend(todo)
                continue
            stack.pop()
            done[node] = rule(node, done)
        return done[self.expr]


# SymPy's differentiation rules, one node at a time, with the arguments' derivatives looked up in
# ``d`` instead of recomputed: each function returns what ``sympy.diff(node, s)`` returns.


def _add_rule(node, d):  # Add._eval_derivative
    return sp.Add(*[d[arg] for arg in node.args])


def _mul_rule(node, d):  # Mul._eval_derivative_n_times with n = 1 (the general Leibniz rule)
    args = node.args
    terms = []
    for kvals, c in multinomial_coefficients_iterator(len(args), 1):
        i = kvals.index(1)
        if d[args[i]] == 0:  # the term is 0 (nothing in a network's cost is infinite)
            continue
        terms.append(c * sp.Mul(*[d[arg] if k else arg for k, arg in zip(kvals, args)]))
    return sp.Add(*terms)


def _pow_rule(node, d):  # Pow._eval_derivative
    base, exponent = node.args
    dexp = d[exponent]
    if dexp == 0:  # 0 * log(base) is 0 (log of a non-constant expression is finite)
        return node * (d[base] * exponent / base)
    return node * (dexp * sp.log(base) + d[base] * exponent / base)


def _function_rule(node, d):  # Function._eval_derivative: the chain rule through fdiff
    terms = []
    for i, arg in enumerate(node.args, start=1):
        da = d[arg]
        # SymPy asks ``da.is_zero`` (the assumptions system, half the time of the whole walk);
        # derivatives in a network's cost are zero only as 0 itself, and a zero term would vanish.
        if da == 0:
            continue
        try:
            df = node.fdiff(i)
        except ArgumentIndexError:
            df = sp.Function.fdiff(node, i)
        terms.append(df * da)
    return sp.Add(*terms)


def _piecewise_rule(node, d):  # Piecewise._eval_derivative (conditions are not differentiated)
    return sp.Piecewise(*[(d[value], condition) for value, condition in node.args])


def _rule(node):
    kind = type(node)
    if kind is sp.Add:
        return _add_rule
    if kind is sp.Mul:
        return _mul_rule
    if kind is sp.Pow:
        return _pow_rule
    if kind is sp.Piecewise:
        return _piecewise_rule
    if isinstance(node, sp.Function) and kind._eval_derivative is sp.Function._eval_derivative:
        return _function_rule
    return None


def _differentiated_args(node) -> Iterable[sp.Basic]:
    """The subexpressions whose derivatives ``_rule(node)`` looks up."""
    if type(node) is sp.Piecewise:
        return [value for value, _ in node.args]
    return node.args


def _atoms_of(expr: sp.Basic, kind: type) -> set:
    """The subexpressions of type ``kind`` in ``expr``, walking its DAG (each node once)."""
    found, seen, stack = set(), set(), [expr]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if isinstance(node, kind):
            found.add(node)
        stack.extend(node.args)
    return found


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
