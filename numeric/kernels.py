"""The unchecked kernels of backpropagation: forward pass, cost, backward pass.

``Network`` checks its inputs and then calls these; ``verify`` calls them directly, on parameters
it perturbs (complex steps included) and on stacks of networks. They check nothing: arrays must
already have the right shapes and a common dtype.

Every kernel accepts a leading stack axis: ``W^m`` of shape (..., N^m, N^{m-1}), ``b^m`` of shape
(..., N^m) and ``X`` of shape (..., n_samples, N^0) run several networks of one architecture at
once (the audit trains hundreds of seeds side by side this way). Without a stack axis the
operations are exactly those of a single network's step.

Examples
--------
>>> import numpy as np
>>> from numeric import ACTIVATIONS, COSTS
>>> params = [(np.array([[1.0, -1.0]]), np.array([0.5]))]
>>> X, y = np.array([[1.0, 2.0]]), np.array([[1.0]])
>>> loss, grads = backprop(params, [ACTIVATIONS["identity"]], COSTS["squared_error"], X, y)
>>> float(loss), grads[0][0].tolist(), grads[0][1].tolist()
(1.125, [[-1.5, -3.0]], [-1.5])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from numeric.activations import Activation
from numeric.costs import FUSED, Cost

__all__ = ["backprop", "batch_cost", "forward", "loss", "sample_costs"]

Params = Sequence[tuple[np.ndarray, np.ndarray]]


def forward(params: Params, activations: Sequence[Activation], X: np.ndarray):
    """Every layer's pre-activation and activation: ``([z^1..z^L], [a^0..a^L])``.

    ``z^m = a^{m-1} W^m^T + b^m`` for a batch of rows; ``a^0`` is ``X`` itself.
    """
    zs, acts = [], [X]
    a = X
    for (W, b), act in zip(params, activations):
        z = a @ np.swapaxes(W, -1, -2)
        z += b[..., None, :]
        a = act(z)
        zs.append(z)
        acts.append(a)
    return zs, acts


def sample_costs(output: Activation, cost: Cost, z: np.ndarray, a: np.ndarray, y: np.ndarray):
    """Each sample's cost, shape (..., n_samples).

    Computed from ``z^L`` where the output activation and the cost fuse (``numeric.costs.FUSED``:
    no log of a saturated output), else from ``a^L``.
    """
    fused = FUSED.get((output, cost))
    return fused(z, y) if fused else cost.value(a, y)


def batch_cost(output: Activation, cost: Cost, z, a, y, reduction: str = "mean"):
    """The cost of the batch: mean (or sum) of ``sample_costs`` over the samples.

    A NumPy scalar, or one value per network of a stack; complex for complex inputs (complex steps).
    """
    per_sample = sample_costs(output, cost, z, a, y)
    return per_sample.mean(axis=-1) if reduction == "mean" else per_sample.sum(axis=-1)


def loss(
    params: Params,
    activations: Sequence[Activation],
    cost: Cost,
    X: np.ndarray,
    y: np.ndarray,
    reduction: str = "mean",
):
    """The batch cost of the network ``params``: ``forward`` followed by ``batch_cost``."""
    zs, acts = forward(params, activations, X)
    return batch_cost(activations[-1], cost, zs[-1], acts[-1], y, reduction)


def backprop(
    params: Params,
    activations: Sequence[Activation],
    cost: Cost,
    X: np.ndarray,
    y: np.ndarray,
    reduction: str = "mean",
    *,
    trace=None,
):
    """The batch cost and ``[(dC/dW^m, dC/db^m) for m = 1..L]``, each with its parameter's shape.

    delta^L is a^L - y where the output activation and cost fuse, else the cost's gradient through
    the output activation; the recursion delta^{m-1} = sigma'(z^{m-1}) * (delta^m W^m) stops at
    layer 1 (no delta is computed for the input). With ``reduction="mean"`` delta^L is scaled by
    1/n_samples once, since every gradient below is linear in it. ``trace``, the ``(zs, acts)``
    that ``forward`` returned for these ``params`` and ``X``, saves the forward pass.
    """
    zs, acts = forward(params, activations, X) if trace is None else trace
    output = activations[-1]
    loss = batch_cost(output, cost, zs[-1], acts[-1], y, reduction)
    a_out = acts[-1]
    if FUSED.get((output, cost)):
        delta = a_out - y
    else:
        delta = output.backward(cost.gradient(a_out, y), zs[-1], a_out)
    if reduction == "mean":
        delta *= 1.0 / X.shape[-2]
    grads = [None] * len(params)
    for m in range(len(params) - 1, -1, -1):
        W = params[m][0]
        grads[m] = (np.swapaxes(delta, -1, -2) @ acts[m], delta.sum(axis=-2))
        if m > 0:
            delta = activations[m - 1].backward(delta @ W, zs[m - 1], acts[m])
    return loss, grads
