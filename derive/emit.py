"""NumPy functions emitted from the symbolic backprop: gradients and cost of a batch.

The emitted code is route (b)'s straight-line program for one sample, which ``prove`` shows equal to
direct differentiation. Its definitions are the common subexpressions (passed to ``sympy.lambdify``
as its ``cse``), so every line is one small expression and nothing is re-derived. Each
sample-dependent symbol holds a whole column of the batch, shape (n_samples,), so one call evaluates
every sample. The batch mean is folded into the last operation: the mean of a product of two
per-sample factors, such as delta^m_i a^{m-1}_j, is one dot product.
"""

from __future__ import annotations

from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np
import sympy as sp
from sympy.printing.numpy import NumPyPrinter

from derive.validation import argument_error

if TYPE_CHECKING:
    from derive.network import SymbolicNetwork

__all__ = ["CostFunction", "GradientFunction"]


# An extra argument of the emitted code: 1 / n_samples, which the batch means multiply by.
INVERSE_BATCH_SIZE = sp.Symbol("inverse_batch_size", positive=True)


class BatchMean(sp.Function):
    """Mean over the batch of ``factor * other``, both per-sample columns (``other`` may be 1)."""

    nargs = 2


class _BatchPrinter(NumPyPrinter):
    """NumPy printer that prints ``BatchMean`` as one reduction and x**-1 as a division."""

    def _print_BatchMean(self, expr: BatchMean) -> str:
        factor, other = (self._print(arg) for arg in expr.args)
        scale = self._print(INVERSE_BATCH_SIZE)
        if expr.args[1] == 1:
            return f"({self._module_format('numpy.sum')}({factor})*{scale})"
        return f"({self._module_format('numpy.dot')}({factor}, {other})*{scale})"

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        # NumPyPrinter turns x**-1 into x**(-1.0), an np.power call several times slower than 1/x.
        if expr.exp == -1:
            return self._hprint_Pow(expr, rational=rational, sqrt=self._module + ".sqrt")
        return super()._print_Pow(expr, rational=rational)


def _batch_mean(expr: sp.Expr, per_sample: set[sp.Symbol]) -> sp.Expr:
    """The batch mean of ``expr``: constant factors outside, per-sample ones in one reduction."""
    factors = expr.args if isinstance(expr, sp.Mul) else (expr,)
    varying = [f for f in factors if f.free_symbols & per_sample]
    constant = sp.Mul(*[f for f in factors if not f.free_symbols & per_sample])
    if not varying:
        return expr
    return constant * BatchMean(varying[0], sp.Mul(*varying[1:]))


class _Emitted:
    """The parameter layout and the batch, checked and flattened into the emitted arguments."""

    def __init__(self, network: SymbolicNetwork, outputs: list[sp.Expr], definitions: dict):
        self.sizes = network.sizes
        inputs, targets = list(network.inputs[0]), list(network.targets[0])
        per_sample = set(inputs) | set(targets)
        for symbol, definition in definitions.items():
            if definition.free_symbols & per_sample:
                per_sample.add(symbol)
        chain = list(definitions.items())
        printer = _BatchPrinter(
            {"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True}
        )
        self._function = sp.lambdify(
            [*network.parameter_symbols, *inputs, *targets, INVERSE_BATCH_SIZE],
            [_batch_mean(out, per_sample) for out in outputs],
            modules="numpy",
            printer=printer,
            cse=lambda exprs: (chain, exprs),
        )

    def _evaluate(self, params, X, y) -> np.ndarray:
        """The emitted outputs for this batch, shape (n_outputs,)."""
        n_layers = len(self.sizes) - 1
        if not isinstance(params, (list, tuple)) or len(params) != n_layers:
            raise argument_error("params", f"a list of {n_layers} (W, b) pairs", params, TypeError)
        flat = []
        for m, (W, b) in enumerate(params, start=1):
            W, b = np.asarray(W, dtype=np.float64), np.asarray(b, dtype=np.float64)
            shape = (self.sizes[m], self.sizes[m - 1])
            if W.shape != shape:
                raise argument_error(f"params[{m - 1}][0] (W^{m})", f"of shape {shape}", W.shape)
            if b.shape != shape[:1]:
                raise argument_error(
                    f"params[{m - 1}][1] (b^{m})", f"of shape {shape[:1]}", b.shape
                )
            flat += [W.ravel(), b]
        columns = []
        for name, array, width in (("X", X, self.sizes[0]), ("y", y, self.sizes[-1])):
            array = np.asarray(array, dtype=np.float64)
            if array.ndim != 2 or array.shape[1] != width or len(array) == 0:
                raise argument_error(
                    name, f"of shape (n_samples, {width}), n_samples >= 1", array.shape
                )
            if not np.isfinite(array).all():
                raise argument_error(name, "finite", "an array with NaN or Inf")
            columns.append(np.ascontiguousarray(array.T))
        if columns[0].shape[1] != columns[1].shape[1]:
            raise argument_error(
                "y", f"one row per sample of X ({columns[0].shape[1]} rows)", columns[1].shape[1]
            )
        inverse_size = 1.0 / columns[0].shape[1]
        return np.array(
            self._function(*np.concatenate(flat).tolist(), *columns[0], *columns[1], inverse_size)
        )


class GradientFunction(_Emitted):
    """dC/dW^m and dC/db^m of the batch-mean cost, from the symbolic backprop, as NumPy code.

    Call as ``f(params, X, y)``.

    Parameters
    ----------
    params : list of (W, b)
        W^m of shape (N^m, N^{m-1}) and b^m of shape (N^m,), for m = 1..L.
    X : array-like, shape (n_samples, N^0)
    y : array-like, shape (n_samples, N^L)

    Returns
    -------
    list of (ndarray, ndarray)
        (dC/dW^m, dC/db^m), shapes as in ``params``: the mean over the samples.
    """

    def __init__(self, network: SymbolicNetwork) -> None:
        gradients = network.backprop.sample_gradients[0]
        super().__init__(
            network,
            [gradients[p] for p in network.parameter_symbols],
            network.backprop.sample_definitions[0],
        )

    def __call__(self, params, X, y) -> list[tuple[np.ndarray, np.ndarray]]:
        flat = self._evaluate(params, X, y)
        result, start = [], 0
        for n_in, n_out in pairwise(self.sizes):
            dW = flat[start : start + n_out * n_in].reshape(n_out, n_in)
            start += n_out * n_in
            result.append((dW, flat[start : start + n_out]))
            start += n_out
        return result


class CostFunction(_Emitted):
    """The batch-mean cost as NumPy code: ``f(params, X, y) -> float``.

    Arguments are those of ``GradientFunction``.
    """

    def __init__(self, network: SymbolicNetwork) -> None:
        backprop = network.backprop
        forward = {s for layer in backprop.z[0] + backprop.a[0][1:] for s in layer}
        definitions = {s: d for s, d in backprop.sample_definitions[0].items() if s in forward}
        cost = network.cost(backprop.a[0][-1], list(network.targets[0]))
        super().__init__(network, [cost], definitions)

    def __call__(self, params, X, y) -> float:
        return float(self._evaluate(params, X, y)[0])
