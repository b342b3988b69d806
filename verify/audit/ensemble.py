"""Many copies of one network trained side by side: the audit's experiments over thousands of seeds.

``Ensemble`` stacks the parameters of S copies along a leading axis and trains them by full-batch
gradient descent through ``numeric.kernels`` (which accept a stack axis): 2,500 XOR runs of 1,000
steps take a few seconds, where 2,500 calls of ``Network.fit`` take minutes. It performs the same
floating-point operations as ``numeric.Network.fit`` (a test pins equality). Each copy may have its
own learning rate, and a copy that reaches a target accuracy stops and leaves the stack, so that
the cost of a run is the sum of the copies' steps, not the slowest copy's times S.

The two initialisations the experiments use are named here with their generator and draw order:

- ``NUMERIC_DRAWS``: ``numeric.Network(sizes, seed=s)``, NumPy's ``default_rng(s)`` (PCG64);
- ``PROGRAM_DRAWS``: the document's program after ``np.random.seed(s)`` (the legacy MT19937
  ``RandomState``), ``program_params`` reproduces its draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np

import numeric
from numeric import kernels

__all__ = ["NUMERIC_DRAWS", "PROGRAM_DRAWS", "Ensemble", "program_params"]

NUMERIC_DRAWS = (
    "numeric.Network(sizes, seed=s): NumPy's default_rng(s) (PCG64), standard normal, drawn "
    "layer by layer: W^1 (N^1 x N^0, row by row), b^1, W^2, b^2, ..."
)
PROGRAM_DRAWS = (
    "the document's program after np.random.seed(s): the legacy MT19937 RandomState, standard "
    "normal, in the program's order: W^1 = randn(N^1, N^0), b^1 = randn(N^1, 1), W^2 = "
    "randn(N^2, N^1), b^2 = randn(N^2, 1), ..."
)


def program_params(sizes: Sequence[int], seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The parameters the document's program draws after ``np.random.seed(seed)``:
    ``SigmoidLayer.__init__`` (lines 123-124) calls ``randn(n_output, n_input)`` then
    ``randn(n_output, 1)`` for each layer in order; b is returned flat, shape (N^m,)."""
    state = np.random.RandomState(seed)
    params = []
    for n_in, n_out in pairwise(sizes):
        W = state.randn(n_out, n_in)
        b = state.randn(n_out, 1)
        params.append((W, b.ravel()))
    return params


class Ensemble:
    """Copies of one architecture, one per seed, trained side by side by full-batch descent.

    Parameters
    ----------
    sizes : sequence of int
    activations : str or sequence of str
    cost : str
    seeds : sequence of int
        Copy s starts from ``numeric.Network(sizes, activations, cost, seed=seeds[s], init=init)``.
    init : str
        ``numeric`` initialisation name; ``"normal"`` is the document's.

    Notes
    -----
    Parameters are stacked along a leading seed axis: W^m of shape (S, N^m, N^{m-1}), b^m (S, N^m).
    Forward and backward are ``numeric.kernels``' on the stack, and the update is SGD's, so each
    copy follows the trajectory that ``numeric.Network.fit`` would. ``from_params`` starts from
    given parameters instead (the program's own draws, a saturated start).
    """

    def __init__(self, sizes, activations, cost: str, seeds: Sequence[int], init: str = "normal"):
        networks = [numeric.Network(sizes, activations, cost, seed=s, init=init) for s in seeds]
        if not networks:
            raise ValueError("`seeds` must hold at least one seed, got none")
        first = networks[0]
        self.sizes, self.activations, self.cost = first.sizes, first.activations, first.cost
        self.weights = [np.stack([n.params[m][0] for n in networks]) for m in range(len(sizes) - 1)]
        self.biases = [np.stack([n.params[m][1] for n in networks]) for m in range(len(sizes) - 1)]

    @classmethod
    def from_params(cls, sizes, activations, cost: str, params) -> Ensemble:
        """An ensemble whose copies start from ``params``: per layer a stack (W^m of shape
        (S, N^m, N^{m-1}), b^m of shape (S, N^m)), copied."""
        ensemble = cls(sizes, activations, cost, seeds=[0])
        shapes = [((n_out, n_in), (n_out,)) for n_in, n_out in pairwise(sizes)]
        if len(params) != len(shapes):
            raise ValueError(f"`params` must hold {len(shapes)} layers, got {len(params)}")
        copies = {np.shape(W)[0] for W, _ in params} | {np.shape(b)[0] for _, b in params}
        for (W, b), (w_shape, b_shape) in zip(params, shapes):
            if np.shape(W)[1:] != w_shape or np.shape(b)[1:] != b_shape or len(copies) != 1:
                raise ValueError(
                    f"`params` must be stacks of shapes (S, *{w_shape}) and (S, *{b_shape}) with "
                    f"one S, got {np.shape(W)} and {np.shape(b)}"
                )
        ensemble.weights = [np.array(W, dtype=float) for W, _ in params]
        ensemble.biases = [np.array(b, dtype=float) for _, b in params]
        return ensemble

    @property
    def n_copies(self) -> int:
        return self.weights[0].shape[0]

    @property
    def params(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return list(zip(self.weights, self.biases))

    def outputs(self, X: np.ndarray) -> np.ndarray:
        """a^L of every copy, shape (S, n_samples, N^L), for X of shape (n_samples, N^0)."""
        return kernels.forward(self.params, self.activations, X)[1][-1]

    def _rates(self, learning_rate) -> np.ndarray | float:
        rates = np.asarray(learning_rate, dtype=float)
        if rates.ndim == 0:
            if not (np.isfinite(rates) and rates > 0):
                raise ValueError(
                    f"`learning_rate` must be positive and finite, got {learning_rate}"
                )
            return float(rates)
        if rates.shape != (self.n_copies,) or not (np.isfinite(rates).all() and (rates > 0).all()):
            raise ValueError(
                f"`learning_rate` must be a positive number or one per copy (shape "
                f"({self.n_copies},)), got an array of shape {rates.shape}"
            )
        return rates

    @staticmethod
    def _step(params, activations, cost, X, Y, rates) -> np.ndarray:
        trace = kernels.forward(params, activations, X)
        _, grads = kernels.backprop(params, activations, cost, X, Y, trace=trace)
        for (W, b), (dW, db) in zip(params, grads):
            if isinstance(rates, float):
                dW *= rates
                db *= rates
            else:
                dW *= rates[:, None, None]
                db *= rates[:, None]
            W -= dW
            b -= db
        return trace[1][-1]

    def step(self, X: np.ndarray, Y: np.ndarray, learning_rate) -> np.ndarray:
        """One gradient-descent step on the mean cost; returns a^L before the step, (S, n, N^L).

        ``learning_rate`` is one number or one per copy."""
        return self._step(
            self.params, self.activations, self.cost, X, Y, self._rates(learning_rate)
        )

    def train(
        self,
        X: np.ndarray,
        Y: np.ndarray,
        *,
        learning_rate,
        epochs: int,
        target_accuracy: float | None = None,
    ) -> np.ndarray:
        """Train every copy for ``epochs`` steps, or, given ``target_accuracy``, until it first
        classifies at least that fraction of the samples on the right side of 0.5: it then leaves
        the stack, its parameters stored as they are (one step past the threshold).

        Returns
        -------
        numpy.ndarray, shape (S,)
            The number of steps after which each copy first reached ``target_accuracy`` (inf if
            never within ``epochs``; all inf when ``target_accuracy`` is None).
        """
        rates = self._rates(learning_rate)
        reached = np.full(self.n_copies, np.inf)
        if target_accuracy is None:
            with np.errstate(over="ignore", under="ignore"):
                for _ in range(epochs):
                    self._step(self.params, self.activations, self.cost, X, Y, rates)
            return reached
        labels = Y > 0.5
        active = np.arange(self.n_copies)
        params = self.params
        per_copy = rates if isinstance(rates, float) else rates.copy()
        with np.errstate(over="ignore", under="ignore"):
            for epoch in range(epochs + 1):
                if epoch < epochs:
                    out = self._step(params, self.activations, self.cost, X, Y, per_copy)
                else:
                    out = kernels.forward(params, self.activations, X)[1][-1]
                accuracy = ((out > 0.5) == labels).all(axis=2).mean(axis=1)
                done = accuracy >= target_accuracy
                if not done.any():
                    continue
                # ``out`` is a^L before this epoch's step: the copy reached the threshold after
                # ``epoch`` steps (its stored parameters are one step past that).
                reached[active[done]] = epoch
                keep = ~done
                for m, (W, b) in enumerate(params):
                    self.weights[m][active[done]] = W[done]
                    self.biases[m][active[done]] = b[done]
                if not keep.any():
                    return reached
                active = active[keep]
                params = [(W[keep], b[keep]) for W, b in params]
                if not isinstance(per_copy, float):
                    per_copy = per_copy[keep]
        for m, (W, b) in enumerate(params):
            self.weights[m][active] = W
            self.biases[m][active] = b
        return reached
