"""An independent reference network for the tests: HIPS autograd on a forward pass written here.

The activations and per-sample costs are written again from their definitions in autograd's NumPy,
sharing no code with ``numeric`` or ``derive``; reverse-mode autodiff of the batch cost gives the
reference gradient. Layers follow the reference document: z^m = W^m a^{m-1} + b^m and
a^m = sigma^m(z^m), on a batch of rows (z = a W^T + b).

Examples
--------
>>> import numpy as np
>>> params = [(np.array([[1.0, -1.0]]), np.array([0.5]))]
>>> X, y = np.array([[1.0, 2.0]]), np.array([[0.25]])
>>> float(loss(params, X, y, ["identity"], "squared_error"))  # 0.5 (z - y)^2, z = -0.5
0.28125
>>> [(dW, db)] = gradients(params, X, y, ["identity"], "squared_error")  # dC/dz = z - y = -0.75
>>> dW.tolist(), db.tolist()
([[-0.75, -1.5]], [-0.75])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import autograd
import autograd.numpy as anp
import numpy as np

__all__ = ["ACTIVATIONS", "COSTS", "forward", "gradients", "loss"]


def _softmax(z):
    e = anp.exp(z - anp.max(z, axis=1, keepdims=True))  # shifted: the same function, no overflow
    return e / anp.sum(e, axis=1, keepdims=True)


ACTIVATIONS: dict[str, Callable] = {
    "sigmoid": lambda z: 1 / (1 + anp.exp(-z)),
    "tanh": anp.tanh,
    "relu": lambda z: anp.where(z > 0, z, 0.0),
    "identity": lambda z: z,
    "leaky_relu": lambda z: anp.where(z > 0, z, 0.01 * z),
    "softplus": lambda z: anp.logaddexp(0, z),
    # alpha = 1; e^z - 1 only of the non-positive part, so that no unused branch overflows
    "elu": lambda z: anp.where(z > 0, z, anp.expm1(anp.minimum(z, 0))),
    "softmax": _softmax,
    # SELU's published constants; GELU's tanh approximation, as PyTorch's approximate="tanh"
    "selu": lambda z: (
        1.0507009873554804934193349852946
        * anp.where(z > 0, z, 1.6732632423543772848170429916717 * anp.expm1(anp.minimum(z, 0)))
    ),
    "gelu": lambda z: 0.5 * z * (1 + anp.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z**3))),
}

# Per-sample costs: one value per row, summed over the output units.
COSTS: dict[str, Callable] = {
    "squared_error": lambda a, y: 0.5 * anp.sum((y - a) ** 2, axis=1),
    "cross_entropy": lambda a, y: -anp.sum(y * anp.log(a) + (1 - y) * anp.log(1 - a), axis=1),
    "categorical_cross_entropy": lambda a, y: -anp.sum(y * anp.log(a), axis=1),
}


def _function(table: dict[str, Callable], value, kind: str) -> Callable:
    if callable(value):
        return value
    if value not in table:
        raise KeyError(f"the reference network has no {kind} {value!r}; known: {', '.join(table)}")
    return table[value]


def forward(params, X, activations: Sequence):
    """a^L for the batch X (rows), ``activations`` one name (or callable) per layer."""
    a = X
    for (W, b), activation in zip(params, activations, strict=True):
        a = _function(ACTIVATIONS, activation, "activation")(anp.dot(a, W.T) + b)
    return a


def loss(params, X, y, activations: Sequence, cost, reduction: str = "mean"):
    """The batch cost: the mean (or sum) over samples of ``cost`` (a name or a callable)."""
    per_sample = _function(COSTS, cost, "cost")(forward(params, X, activations), y)
    return anp.mean(per_sample) if reduction == "mean" else anp.sum(per_sample)


def gradients(params, X, y, activations: Sequence, cost, reduction: str = "mean"):
    """[(dC/dW^m, dC/db^m), ...] by reverse-mode autodiff of ``loss``, in float64."""
    params = [(np.asarray(W, np.float64), np.asarray(b, np.float64)) for W, b in params]
    X, y = np.asarray(X, np.float64), np.asarray(y, np.float64)
    return autograd.grad(lambda p: loss(p, X, y, activations, cost, reduction))(params)
