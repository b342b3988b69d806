"""Route (b): the document's backprop recursion done symbolically, intermediates kept as symbols.

Every quantity of the backward pass gets its own symbol (z^m_i, a^m_i, delta^m_i, one set per
sample) and one definition in terms of earlier symbols, so nothing is expanded: the definitions
form a straight-line program whose size grows like the number of parameters, and they double as the
common subexpressions of the emitted NumPy code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import sympy as sp

from derive.algebra import NONSMOOTH
from derive.catalogue import SymbolicActivation, SymbolicCost
from derive.symbols import make_symbol, operation_count

__all__ = ["Backprop", "OutputDelta", "output_delta"]


@dataclass(frozen=True)
class OutputDelta:
    """delta^L = dC/dz^L for one sample, shape (N^L,), before and after simplification.

    Attributes
    ----------
    cost_gradient : list of sympy.Expr
        dC/da^L_i, by differentiating the cost.
    jacobian : sympy.Matrix
        d a^L_i / d z^L_k, shape (N^L, N^L), in terms of a^L where that form is proven.
    product : list of sympy.Expr
        sum_i dC/da^L_i d a^L_i / d z^L_k as built, one entry per unit k.
    simplified : list of sympy.Expr
        ``product`` after ``factor`` (exact), kept only where it is not longer.
    """

    cost_gradient: list
    jacobian: sp.Matrix
    product: list
    simplified: list


def output_delta(
    activation: SymbolicActivation,
    cost: SymbolicCost,
    outputs: Sequence[sp.Symbol],
    targets: Sequence[sp.Symbol],
    pre_activations: Sequence[sp.Symbol],
) -> OutputDelta:
    """delta^L from dC/da^L and the output activation's full Jacobian (chain rule, no table)."""
    gradient = cost.gradient(outputs, targets)
    jacobian = activation.jacobian(pre_activations, outputs)
    n = len(outputs)
    product = [sp.Add(*[gradient[i] * jacobian[i, k] for i in range(n)]) for k in range(n)]
    return OutputDelta(gradient, jacobian, product, [_shorter_factored(e) for e in product])


def _shorter_factored(expr: sp.Expr) -> sp.Expr:
    # factor() is exact and cheap on one unit's delta; it is what turns
    # (-y/a + (1 - y)/(1 - a)) * a(1 - a) into a - y.
    if expr.has(*NONSMOOTH):
        return expr
    factored = sp.factor(expr)
    return factored if sp.count_ops(factored) <= sp.count_ops(expr) else expr


def _layer_symbols(stem: str, layer: int, size: int, sample: int | None) -> list[sp.Symbol]:
    return [make_symbol(stem, layer, (i,), sample) for i in range(1, size + 1)]


def _sample(network, s: int, tag: int | None) -> tuple:
    """Symbols, definitions, delta^L and gradients of sample ``s`` (``tag`` marks its symbols)."""
    sizes, layers = network.sizes, network.n_layers
    definitions: dict[sp.Symbol, sp.Expr] = {}
    # Forward: z^m = W^m a^{m-1} + b^m and a^m = sigma^m(z^m), element by element; a^0 = x.
    a = [list(network.inputs[s])]
    z: list[list[sp.Symbol]] = [[]]
    for m in range(1, layers + 1):
        W, b = network.weights[m - 1], network.biases[m - 1]
        z.append(_layer_symbols("z", m, sizes[m], tag))
        a.append(_layer_symbols("a", m, sizes[m], tag))
        for i, zi in enumerate(z[m]):
            definitions[zi] = sp.Add(*[W[i, j] * a[m - 1][j] for j in range(sizes[m - 1])], b[i])
        definitions.update(zip(a[m], network.activations[m - 1](z[m])))
    # Backward: delta^L from dC/da^L and the output Jacobian, then the recursion.
    delta: list[list[sp.Symbol]] = [[] for _ in range(layers + 1)]
    delta[layers] = _layer_symbols("delta", layers, sizes[layers], tag)
    targets = list(network.targets[s])
    out = output_delta(network.activations[-1], network.cost, a[layers], targets, z[layers])
    definitions.update(zip(delta[layers], out.simplified))
    for m in range(layers - 1, 0, -1):
        W_next = network.weights[m]
        # (W^{m+1 T} delta^{m+1}), then the Jacobian-transpose product: a Hadamard product with
        # sigma'(z^m) for elementwise activations, the full J^T for softmax.
        back = [
            sp.Add(*[W_next[l, k] * delta[m + 1][l] for l in range(sizes[m + 1])])
            for k in range(sizes[m])
        ]
        jacobian = network.activations[m - 1].jacobian(z[m], a[m])
        delta[m] = _layer_symbols("delta", m, sizes[m], tag)
        for k, dk in enumerate(delta[m]):
            definitions[dk] = sp.Add(
                *[back[i] * jacobian[i, k] for i in range(sizes[m]) if jacobian[i, k] != 0]
            )
    # dC/dW^m = delta^m a^{m-1 T} and dC/db^m = delta^m, in the parameters' layout order.
    gradients = {}
    for m in range(1, layers + 1):
        W, b = network.weights[m - 1], network.biases[m - 1]
        for i in range(sizes[m]):
            for j in range(sizes[m - 1]):
                gradients[W[i, j]] = delta[m][i] * a[m - 1][j]
        for i in range(sizes[m]):
            gradients[b[i]] = delta[m][i]
    return z, a, delta, definitions, out, gradients


@dataclass
class Backprop:
    """The symbolic backward pass of a network, as ordered definitions of intermediate symbols.

    Attributes
    ----------
    z, a, delta : list (per sample) of list (per layer m = 0..L) of list of sympy.Symbol
        The intermediate symbols; ``a[s][0]`` are sample s's inputs x, ``z[s][0]`` and
        ``delta[s][0]`` are empty.
    sample_definitions : list of dict
        Per sample: symbol -> its defining expression in terms of parameters, inputs, targets and
        earlier symbols, in evaluation order (z^1, a^1, ..., z^L, a^L, delta^L, ..., delta^1).
    output_deltas : list of OutputDelta
        delta^L per sample, with its simplification.
    sample_gradients : list of dict
        Per sample: parameter symbol -> dC_s/dp in terms of the intermediate symbols
        (delta^m_i a^{m-1}_j for weights, delta^m_i for biases).
    gradients : dict
        Parameter symbol -> dC/dp of the batch cost (the mean of ``sample_gradients``).
    """

    z: list
    a: list
    delta: list
    sample_definitions: list
    output_deltas: list
    sample_gradients: list
    gradients: dict
    _expansions: dict = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, network) -> Backprop:
        """Run the recursion for ``network`` (a SymbolicNetwork), one pass per sample."""
        n = network.n_samples
        samples = [_sample(network, s, s + 1 if n > 1 else None) for s in range(n)]
        z, a, delta, definitions, deltas_out, per_sample = (list(part) for part in zip(*samples))
        batch = {p: sp.Add(*[g[p] for g in per_sample]) / n for p in network.parameter_symbols}
        return cls(z, a, delta, definitions, deltas_out, per_sample, batch)

    @property
    def definitions(self) -> dict[sp.Symbol, sp.Expr]:
        """All samples' definitions in one dict, in evaluation order."""
        return {k: v for definitions in self.sample_definitions for k, v in definitions.items()}

    def operation_count(self, expr: sp.Expr) -> int:
        """Operations needed to evaluate ``expr`` from parameters, inputs and targets: its own and
        those of every definition it depends on, each counted once (its expansion, after common
        subexpression elimination), without building the expansion."""
        definitions = self.definitions
        total, seen, stack = 0, set(), [expr]
        while stack:
            current = stack.pop()
            total += operation_count(current)
            for symbol in current.free_symbols - seen:
                if symbol in definitions:
                    seen.add(symbol)
                    stack.append(definitions[symbol])
        return total

    def expand(self, expr: sp.Expr) -> sp.Expr:
        """``expr`` with every intermediate symbol replaced by its definition, recursively: in
        terms of parameters, inputs and targets only. Each symbol is expanded once and cached."""
        definitions = self.definitions
        pending = [s for s in expr.free_symbols if s in definitions]
        while pending:  # depth-first, so that a symbol's dependencies are expanded before it
            symbol = pending[-1]
            if symbol in self._expansions:
                pending.pop()
                continue
            needed = [
                s
                for s in definitions[symbol].free_symbols
                if s in definitions and s not in self._expansions
            ]
            if needed:
                pending += needed
                continue
            pending.pop()
            self._expansions[symbol] = definitions[symbol].xreplace(self._expansions)
        return expr.xreplace(self._expansions)

    def expanded_gradients(self) -> dict[sp.Symbol, sp.Expr]:
        """``gradients`` in terms of parameters, inputs and targets only."""
        return {p: self.expand(g) for p, g in self.gradients.items()}
