"""The symbolic catalogue: activations and costs, each defined once by its mathematical definition.

Nothing here types a derivative in. ``SymbolicActivation.derivative`` is the derivative of the
definition (``derive.algebra.differentiate``: ``sympy.diff``, point masses dropped);
``output_derivative`` re-expresses it in terms of the output a = sigma(z) (the document's a(1 - a)
and 1 - a^2) and is kept only once the identity is proven exactly; ``SymbolicCost.gradient``
differentiates the cost. The names match ``numeric``'s registries.

Non-differentiable points are a matter of convention, and the convention lives in the definition.
ReLU is z Heaviside(z, 0): the step's stated value at 0, H0 = 0, is the derivative there
(chainrule's corrected convention); ``z * Heaviside(z, 1)`` gives the document's 1 instead. A
Piecewise definition works too (``Piecewise((z, z > 0), (0, True))`` differentiates piece by piece,
the boundary going with the piece that holds it), but a Piecewise whose condition holds another
Piecewise is unfolded by SymPy into every combination of pieces, exponential in the layer width:
a network of such activations still derives and lambdifies quickly (the backprop's conditions are
on the symbols z^m_i), but its explicit cost, which route (a) and expanded reports need, does not.
The catalogue therefore uses Heaviside steps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import cached_property

import sympy as sp

from derive.algebra import NONSMOOTH, differentiate, is_zero
from derive.validation import argument_error

__all__ = [
    "ACTIVATIONS",
    "COSTS",
    "LEAKY_SLOPE",
    "SymbolicActivation",
    "SymbolicCost",
    "get_activation",
    "get_cost",
]

Z = sp.Symbol("z", real=True)
A = sp.Symbol("a", real=True)
LEAKY_SLOPE = sp.Rational(1, 100)


def _checked_definition(name, definition) -> tuple[str, Callable]:
    """``(name, definition)`` of a catalogue entry, or the TypeError naming the bad argument."""
    if not isinstance(name, str) or not name:
        raise argument_error("name", "a non-empty str", name, TypeError)
    if not callable(definition):
        raise argument_error("definition", "callable", definition, TypeError)
    return name, definition


class SymbolicActivation:
    """An activation sigma given by its definition; every derivative comes from differentiation.

    Parameters
    ----------
    name : str
        Name shown in reports and errors (the catalogue's names match ``numeric``'s).
    definition : callable
        Elementwise activations: ``definition(z) -> sympy.Expr`` for one unit's pre-activation z.
        Vector-valued activations (``elementwise=False``): ``definition(zs) -> list`` mapping the
        N^m pre-activations of a layer to its N^m outputs.
    elementwise : bool, default True
        Whether unit i's output depends on z_i alone (diagonal Jacobian).
    invertible : bool, default True
        False for an activation that is not one-to-one (GELU): it has no derivative in terms of
        its output, and ``output_derivative`` is None without a search (``sympy.solve`` on such a
        definition need not terminate).

    Examples
    --------
    The document's sigmoid as written, with a plus sign in the exponent:

    >>> import sympy as sp
    >>> as_written = SymbolicActivation("sigmoid_as_written", lambda z: 1 / (1 + sp.exp(z)))
    >>> as_written.output_derivative
    a*(a - 1)
    """

    def __init__(
        self,
        name: str,
        definition: Callable,
        *,
        elementwise: bool = True,
        invertible: bool = True,
    ) -> None:
        self.name, self.definition = _checked_definition(name, definition)
        self.elementwise = bool(elementwise)
        self.invertible = bool(invertible)
        self._jacobians: dict[int, tuple] = {}

    def __repr__(self) -> str:
        shown = self.expression if self.elementwise else "vector-valued"
        return f"SymbolicActivation({self.name!r}, {shown})"

    def __call__(self, zs: Sequence[sp.Expr]) -> list[sp.Expr]:
        """Outputs of a layer, shape (N^m,), from its pre-activations ``zs``, shape (N^m,)."""
        if self.elementwise:
            return [sp.sympify(self.definition(z)) for z in zs]
        outputs = [sp.sympify(out) for out in self.definition(list(zs))]
        if len(outputs) != len(zs):
            raise ValueError(
                f"activation {self.name!r} must return one output per unit ({len(zs)}), "
                f"got {len(outputs)}"
            )
        return outputs

    @cached_property
    def expression(self) -> sp.Expr:
        """sigma(z) for one unit, in the catalogue's symbol ``z`` (elementwise activations only)."""
        self._require_elementwise("expression")
        return sp.sympify(self.definition(Z))

    @cached_property
    def derivative(self) -> sp.Expr:
        """d sigma / dz in terms of z, by differentiation (elementwise activations only)."""
        return differentiate(self.expression, Z)

    @cached_property
    def output_derivative(self) -> sp.Expr | None:
        """d sigma / dz in terms of the output ``a`` = sigma(z), or None where there is none.

        Found by replacing sigma(z) with a in the derivative or, failing that, by solving
        a = sigma(z) for z and substituting; a candidate is kept only if substituting a = sigma(z)
        back gives the derivative exactly. Non-smooth activations (ReLU) have none.
        """
        self._require_elementwise("output_derivative")
        f, d = self.expression, self.derivative
        if not d.has(Z):
            return d
        if f.has(*NONSMOOTH) or not self.invertible:
            return None
        for candidate in self._output_candidates():
            if not candidate.has(Z) and is_zero(candidate.subs(A, f) - d):
                return candidate
        return None

    def _output_candidates(self) -> Iterator[sp.Expr]:
        # Cheapest first: a plain substitution finds tanh's 1 - a^2; solving needs sympy.solve.
        f, d = self.expression, self.derivative
        yield d.subs(f, A)
        try:
            # Unchecked and unsimplified: every candidate is proven below anyway.
            inverses = sp.solve(sp.Eq(A, f.rewrite(sp.exp)), Z, check=False, simplify=False)
        except (NotImplementedError, ValueError):
            return
        for inverse in inverses:
            yield sp.factor(sp.cancel(d.rewrite(sp.exp).subs(Z, inverse)))

    def jacobian(self, zs: Sequence[sp.Symbol], outputs: Sequence[sp.Symbol]) -> sp.Matrix:
        """The Jacobian d a_i / d z_k of a layer, shape (N^m, N^m).

        Expressed in the output symbols ``outputs`` where that form is proven (sigmoid, tanh,
        softmax: diag(a) - a a^T), otherwise in the pre-activation symbols ``zs``.
        """
        n = len(zs)
        if self.elementwise:
            in_a = self.output_derivative
            diagonal = [
                in_a.subs(A, a) if in_a is not None else self.derivative.subs(Z, z)
                for z, a in zip(zs, outputs)
            ]
            return sp.diag(*diagonal)
        if n not in self._jacobians:
            self._jacobians[n] = self._vector_jacobian(n)
        template, z_template, a_template = self._jacobians[n]
        return template.xreplace(dict(zip(z_template, zs)) | dict(zip(a_template, outputs)))

    def _vector_jacobian(self, n: int) -> tuple[sp.Matrix, tuple, tuple]:
        zs = sp.symbols(f"z1:{n + 1}", real=True)
        outputs = sp.symbols(f"a1:{n + 1}", real=True)
        values = self(zs)
        jacobian = sp.Matrix(n, n, lambda i, k: differentiate(values[i], zs[k]))
        in_a = jacobian.subs(dict(zip(values, outputs)))
        back = dict(zip(outputs, values))
        proven = not in_a.has(*zs) and all(
            is_zero(in_a[i, k].xreplace(back) - jacobian[i, k]) for i in range(n) for k in range(n)
        )
        return (in_a if proven else jacobian), zs, outputs

    def _require_elementwise(self, what: str) -> None:
        if not self.elementwise:
            raise TypeError(
                f"{what} is defined for elementwise activations; {self.name!r} is vector-valued: "
                "use jacobian()"
            )


class SymbolicCost:
    """A per-sample cost C(a^L, y) given by its definition; dC/da^L comes from differentiation.

    Parameters
    ----------
    name : str
        Name shown in reports and errors.
    definition : callable
        ``definition(a, y) -> sympy.Expr`` for one sample, ``a`` and ``y`` lists of N^L expressions.

    Examples
    --------
    >>> import sympy as sp
    >>> a, y = sp.symbols("a y")
    >>> COSTS["squared_error"].gradient([a], [y])
    [a - y]
    """

    def __init__(self, name: str, definition: Callable) -> None:
        self.name, self.definition = _checked_definition(name, definition)

    def __repr__(self) -> str:
        a, y = sp.symbols("a y", real=True)
        return f"SymbolicCost({self.name!r}, {self([a], [y])})"

    def __call__(self, outputs: Sequence[sp.Expr], targets: Sequence[sp.Expr]) -> sp.Expr:
        """C for one sample: ``outputs`` a^L and ``targets`` y, each of shape (N^L,)."""
        return sp.sympify(self.definition(list(outputs), list(targets)))

    def gradient(self, outputs: Sequence[sp.Symbol], targets: Sequence[sp.Symbol]) -> list[sp.Expr]:
        """dC/da^L_k for each output unit k, shape (N^L,), by differentiation."""
        cost = self(outputs, targets)
        return [differentiate(cost, a) for a in outputs]


# SELU's constants to 32 digits, as published (Klambauer et al. 2017) and in PyTorch's nn.SELU.
SELU_ALPHA = sp.Float("1.6732632423543772848170429916717", 32)
SELU_SCALE = sp.Float("1.0507009873554804934193349852946", 32)
GELU_K = sp.Rational(44715, 1_000_000)


def _selu(z: sp.Expr) -> sp.Expr:
    step = sp.Heaviside(z, 0)
    return SELU_SCALE * (z * step + SELU_ALPHA * (sp.exp(z) - 1) * (1 - step))


def _gelu_tanh(z: sp.Expr) -> sp.Expr:
    return z / 2 * (1 + sp.tanh(sp.sqrt(2 / sp.pi) * (z + GELU_K * z**3)))


def _softmax(zs: list[sp.Expr]) -> list[sp.Expr]:
    total = sp.Add(*[sp.exp(z) for z in zs])
    return [sp.exp(z) / total for z in zs]


ACTIVATIONS: dict[str, SymbolicActivation] = {
    act.name: act
    for act in (
        SymbolicActivation("sigmoid", lambda z: 1 / (1 + sp.exp(-z))),
        SymbolicActivation("tanh", sp.tanh),
        # Heaviside(z, 0) is 0 at z = 0: the derivative there is 0 (ReLU) and the leak (leaky ReLU).
        SymbolicActivation("relu", lambda z: z * sp.Heaviside(z, 0)),
        SymbolicActivation("identity", lambda z: z),
        SymbolicActivation(
            "leaky_relu", lambda z: z * (LEAKY_SLOPE + (1 - LEAKY_SLOPE) * sp.Heaviside(z, 0))
        ),
        SymbolicActivation("softplus", lambda z: sp.log(1 + sp.exp(z))),
        # ELU (alpha = 1); at z = 0 both pieces give 0 and their slopes agree (1).
        SymbolicActivation(
            "elu", lambda z: z * sp.Heaviside(z, 0) + (sp.exp(z) - 1) * (1 - sp.Heaviside(z, 0))
        ),
        SymbolicActivation("softmax", _softmax, elementwise=False),
        # SELU: a scaled ELU whose slopes at 0 differ (scale alpha left, scale right); the step's
        # value 0 at 0 makes the derivative there the left one, as PyTorch's.
        SymbolicActivation("selu", _selu),
        # GELU's tanh approximation (PyTorch's approximate="tanh"); it is not one-to-one.
        SymbolicActivation("gelu", _gelu_tanh, invertible=False),
    )
}

COSTS: dict[str, SymbolicCost] = {
    cost.name: cost
    for cost in (
        SymbolicCost(
            "squared_error",
            lambda a, y: sp.Rational(1, 2) * sp.Add(*[(yk - ak) ** 2 for ak, yk in zip(a, y)]),
        ),
        SymbolicCost(
            "cross_entropy",
            lambda a, y: (
                -sp.Add(*[yk * sp.log(ak) + (1 - yk) * sp.log(1 - ak) for ak, yk in zip(a, y)])
            ),
        ),
        SymbolicCost(
            "categorical_cross_entropy",
            lambda a, y: -sp.Add(*[yk * sp.log(ak) for ak, yk in zip(a, y)]),
        ),
    )
}


def get_activation(
    value: str | SymbolicActivation, argument: str = "activations"
) -> SymbolicActivation:
    """The catalogue activation called ``value``, or ``value`` itself if a SymbolicActivation."""
    return _resolve(value, ACTIVATIONS, SymbolicActivation, argument)


def get_cost(value: str | SymbolicCost, argument: str = "cost") -> SymbolicCost:
    """The catalogue cost called ``value``, or ``value`` itself if it is a SymbolicCost."""
    return _resolve(value, COSTS, SymbolicCost, argument)


def _resolve(value, registry: dict, kind: type, argument: str):
    if isinstance(value, kind):
        return value
    if isinstance(value, str) and value in registry:
        return registry[value]
    known = ", ".join(repr(name) for name in registry)
    raise argument_error(argument, f"one of {known} or a {kind.__name__}", value)
