"""Symbolic networks: element symbols, forward expressions, the cost, and its gradients two ways.

Route (a) differentiates the explicit batch cost directly with respect to every W^m_ij and b^m_i;
route (b) is the backprop recursion of ``derive.backprop``. ``prove`` shows they agree.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise

import sympy as sp

from derive.algebra import Differentiator
from derive.backprop import Backprop
from derive.catalogue import SymbolicActivation, SymbolicCost, get_activation, get_cost
from derive.emit import CostFunction, GradientFunction
from derive.proof import ProofResult, prove
from derive.report import render_equations, render_report
from derive.symbols import make_symbol
from derive.validation import argument_error

__all__ = ["MAX_PARAMETERS", "MAX_SAMPLES", "Parameter", "SymbolicNetwork", "derive_network"]

# Derivation, lambdification and the proof stay within seconds up to this size (measured on 2
# cores, `chainrule bench derive`: the proof of [4, 6, 6, 3], 93 parameters, about 2 s of CPU, of
# [5, 10, 10, 2], 192 parameters, about 4 s). Deep chains of one-unit layers take longer (26
# sigmoid layers about 12 s, 100 layers about 12 minutes): ``prove(budget_seconds=...)`` bounds it.
MAX_PARAMETERS = 200
MAX_SAMPLES = 8


@dataclass(frozen=True)
class Parameter:
    """One scalar parameter: W^m_ij (``kind`` "W", ``index`` (i, j)) or b^m_i ("b", (i,)).

    Layers and indices are 1-based, as in the document.
    """

    layer: int
    kind: str
    index: tuple[int, ...]
    symbol: sp.Symbol

    @property
    def label(self) -> str:
        """Plain-text name, e.g. ``W^2[1,3]``."""
        return f"{self.kind}^{self.layer}[{','.join(map(str, self.index))}]"


def derive_network(
    sizes: Sequence[int],
    activations: str | SymbolicActivation | Sequence[str | SymbolicActivation] = "sigmoid",
    cost: str | SymbolicCost = "cross_entropy",
    n_samples: int = 1,
) -> SymbolicNetwork:
    """Build the symbolic network for ``sizes`` and derive its gradients by backprop (route (b)).

    Parameters
    ----------
    sizes : sequence of int
        Layer sizes N^0, ..., N^L, each >= 1, at least two; at most ``MAX_PARAMETERS`` parameters.
    activations : str, SymbolicActivation, or a sequence of them
        One activation for every layer, or one per layer m = 1..L (names from ``ACTIVATIONS``).
    cost : str or SymbolicCost
        Per-sample cost (names from ``COSTS``); the batch cost is its mean over the samples.
    n_samples : int, default 1
        Samples in the symbolic batch, 1..``MAX_SAMPLES``.

    Returns
    -------
    SymbolicNetwork

    Examples
    --------
    >>> net = derive_network([2, 2, 1], "sigmoid", "cross_entropy")
    >>> net.backprop.definitions[net.backprop.delta[0][2][0]]
    a2_1 - y_1
    """
    sizes = _check_sizes(sizes)
    layers = len(sizes) - 1
    if isinstance(activations, (str, SymbolicActivation)):
        resolved = (get_activation(activations),) * layers
    else:
        try:
            given = list(activations)
        except TypeError:
            raise argument_error(
                "activations",
                "a name, a SymbolicActivation or a sequence of them",
                activations,
                TypeError,
            ) from None
        if len(given) != layers:
            raise argument_error(
                "activations", f"a sequence with one entry per layer ({layers} entries)", given
            )
        resolved = tuple(get_activation(value) for value in given)
    if isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral):
        raise argument_error("n_samples", "an int", n_samples, TypeError)
    if not 1 <= n_samples <= MAX_SAMPLES:
        raise argument_error("n_samples", f"between 1 and {MAX_SAMPLES}", n_samples)
    return SymbolicNetwork(sizes, resolved, get_cost(cost), int(n_samples))


def _check_sizes(sizes) -> tuple[int, ...]:
    constraint = "a sequence of at least two ints >= 1 (N^0, ..., N^L)"
    try:
        values = list(sizes)
    except TypeError:
        raise argument_error("sizes", constraint, sizes, TypeError) from None
    if any(isinstance(v, bool) or not isinstance(v, numbers.Integral) for v in values):
        raise argument_error("sizes", constraint, sizes, TypeError)
    if len(values) < 2 or min(values) < 1:
        raise argument_error("sizes", constraint, values)
    values = [int(v) for v in values]
    n_parameters = sum(n * (m + 1) for m, n in pairwise(values))
    if n_parameters > MAX_PARAMETERS:
        raise ValueError(
            f"`sizes` must describe at most {MAX_PARAMETERS} parameters for symbolic derivation, "
            f"got {values} with {n_parameters} parameters; for larger networks use the numeric "
            "backprop, numeric.Network(sizes, ...).gradients(X, y)"
        )
    return tuple(values)


class SymbolicNetwork:
    """A fully connected network in element symbols, with its cost and both gradient routes.

    Built by ``derive_network``. Layers are numbered m = 1..L as in the document; lists indexed by
    layer below hold layer m at position m - 1 unless said otherwise.

    Attributes
    ----------
    sizes : tuple of int
        N^0, ..., N^L.
    activations : tuple of SymbolicActivation
        sigma^1, ..., sigma^L.
    cost : SymbolicCost
    n_samples : int
    weights : list of sympy.Matrix
        W^m of element symbols, shape (N^m, N^{m-1}).
    biases : list of sympy.Matrix
        b^m of element symbols, shape (N^m, 1).
    parameters : list of Parameter
        Every scalar parameter, in the layout order: layer by layer, W^m row-major, then b^m.
    inputs, targets : list of sympy.Matrix
        Per sample, x of shape (N^0, 1) and y of shape (N^L, 1).
    sample_costs : list of sympy.Expr
        The cost of each sample, explicit in parameters, inputs and targets (built on first use).
    cost_expression : sympy.Expr
        The batch cost: the mean of ``sample_costs`` (built on first use).
    backprop : Backprop
        Route (b): intermediates, their definitions and the gradients in terms of them.
    """

    def __init__(
        self,
        sizes: tuple[int, ...],
        activations: tuple[SymbolicActivation, ...],
        cost: SymbolicCost,
        n_samples: int,
    ) -> None:
        self.sizes = sizes
        self.activations = activations
        self.cost = cost
        self.n_samples = n_samples
        self.weights, self.biases, self.parameters = [], [], []
        for m, (n_in, n_out) in enumerate(pairwise(sizes), start=1):
            W = sp.Matrix(n_out, n_in, lambda i, j, m=m: make_symbol("W", m, (i + 1, j + 1)))
            b = sp.Matrix(n_out, 1, lambda i, _, m=m: make_symbol("b", m, (i + 1,)))
            self.weights.append(W)
            self.biases.append(b)
            self.parameters += [
                Parameter(m, "W", (i + 1, j + 1), W[i, j])
                for i in range(n_out)
                for j in range(n_in)
            ]
            self.parameters += [Parameter(m, "b", (i + 1,), b[i]) for i in range(n_out)]
        tags = [s + 1 if n_samples > 1 else None for s in range(n_samples)]
        self.inputs = [
            sp.Matrix([make_symbol("x", None, (j + 1,), tag) for j in range(sizes[0])])
            for tag in tags
        ]
        self.targets = [
            sp.Matrix([make_symbol("y", None, (k + 1,), tag) for k in range(sizes[-1])])
            for tag in tags
        ]
        self.backprop = Backprop.build(self)

    def __repr__(self) -> str:
        names = ", ".join(act.name for act in self.activations)
        return (
            f"SymbolicNetwork(sizes={list(self.sizes)}, activations=[{names}], "
            f"cost={self.cost.name!r}, n_samples={self.n_samples})"
        )

    @property
    def n_layers(self) -> int:
        """L, the number of layers with parameters."""
        return len(self.sizes) - 1

    @property
    def parameter_symbols(self) -> list[sp.Symbol]:
        """The symbols of ``parameters``, in layout order."""
        return [p.symbol for p in self.parameters]

    # The explicit forward pass and cost are route (a)'s; route (b) and the emitted code never
    # build them, so they are computed on first use.

    @cached_property
    def _forward(self) -> list[tuple[list, list]]:
        """Per sample, ([None, z^1, ..., z^L], [a^0, ..., a^L]) as explicit Matrices."""
        forward = []
        for x in self.inputs:
            z, a = [None], [x]
            for W, b, sigma in zip(self.weights, self.biases, self.activations):
                z.append(W * a[-1] + b)
                a.append(sp.Matrix(sigma(list(z[-1]))))
            forward.append((z, a))
        return forward

    @cached_property
    def sample_costs(self) -> list[sp.Expr]:
        """The cost of each sample, explicit in parameters, inputs and targets."""
        return [self.cost(list(a[-1]), list(y)) for (_, a), y in zip(self._forward, self.targets)]

    @cached_property
    def cost_expression(self) -> sp.Expr:
        """The batch cost: the mean of ``sample_costs``."""
        return sp.Add(*self.sample_costs) / self.n_samples

    def z(self, m: int, sample: int = 0) -> sp.Matrix:
        """z^m = W^m a^{m-1} + b^m for ``sample`` (0-based), explicit, shape (N^m, 1), m = 1..L."""
        self._check_layer(m, first=1)
        return self._forward[sample][0][m]

    def a(self, m: int, sample: int = 0) -> sp.Matrix:
        """a^m = sigma^m(z^m) for ``sample`` (0-based), explicit, shape (N^m, 1); a^0 is x."""
        self._check_layer(m, first=0)
        return self._forward[sample][1][m]

    def _check_layer(self, m: int, first: int) -> None:
        if not first <= m <= self.n_layers:
            raise argument_error("m", f"a layer between {first} and {self.n_layers}", m)

    @cached_property
    def direct_gradients(self) -> dict[sp.Symbol, sp.Expr]:
        """Route (a): dC/dp of ``cost_expression`` for every parameter symbol p, by
        ``direct_gradient``."""
        return {p: self.direct_gradient(p) for p in self.parameter_symbols}

    def direct_gradient(self, symbol: sp.Symbol) -> sp.Expr:
        """Route (a) for one parameter: ``cost_expression`` differentiated by ``symbol``.

        The expression ``derive.algebra.differentiate`` gives (``sympy.diff``, point masses of
        Heaviside steps dropped), computed by ``derive.algebra.Differentiator``: once per shared
        subexpression of the cost, iteratively however deep the network. Cached per parameter.
        """
        if symbol not in self._direct:
            if symbol not in self._route_a.symbols:
                raise argument_error("symbol", "one of the network's parameter symbols", symbol)
            self._direct[symbol] = self._route_a(symbol)
        return self._direct[symbol]

    @cached_property
    def _route_a(self) -> Differentiator:
        return Differentiator(self.cost_expression, self.parameter_symbols)

    @cached_property
    def _direct(self) -> dict[sp.Symbol, sp.Expr]:
        return {}

    def prove(
        self,
        *,
        points: int = 3,
        digits: int = 50,
        seed: int = 0,
        progress: Callable | None = None,
        budget_seconds: float | None = None,
        engine: str = "memoized",
    ) -> ProofResult:
        """Show that routes (a) and (b) agree for every parameter; see ``derive.proof.prove``
        (``progress`` callback, ``budget_seconds`` time budget)."""
        return prove(
            self,
            points=points,
            digits=digits,
            seed=seed,
            progress=progress,
            budget_seconds=budget_seconds,
            engine=engine,
        )

    def lambdify(self) -> GradientFunction:
        """NumPy gradient ``f(params, X, y) -> [(dC/dW^m, dC/db^m)]``; see ``GradientFunction``."""
        return GradientFunction(self)

    def lambdify_cost(self) -> CostFunction:
        """NumPy batch cost ``f(params, X, y) -> float``; see ``CostFunction``."""
        return CostFunction(self)

    def _repr_markdown_(self) -> str:
        return render_report(self, format="md")

    def _repr_latex_(self) -> str:
        return render_equations(self)
