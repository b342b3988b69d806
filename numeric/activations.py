"""Activations: each one's function and derivative side by side, registered under a plain name.

Elementwise activations give their derivative da/dz from the cached pre-activation ``z`` and
output ``a``; where the reference document states the derivative in terms of the output (sigmoid
a(1 - a), tanh 1 - a^2) that form is used: the output is already computed, no ``exp`` is spent.
Softmax is vector-valued: its Jacobian is not diagonal, so it supplies a vector-Jacobian product
instead of an elementwise derivative, and the backward pass never assumes an elementwise product.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from numeric.validation import Description, argument_error

__all__ = ["ACTIVATIONS", "Activation", "get_activation"]

Array = np.ndarray


@dataclass(frozen=True, eq=False)
class Activation:
    """A nonlinearity sigma and the way gradients flow back through it.

    Parameters
    ----------
    name : str
        The shared name (``"sigmoid"``, ...); ``derive``'s symbolic catalogue uses the same.
    function : callable
        ``function(z) -> a`` for ``z`` of shape (n_samples, N^m).
    derivative : callable or None
        ``derivative(z, a) -> da/dz``, elementwise, a new array of ``z``'s shape (the backward
        pass multiplies into it). None for vector-valued activations, which give ``vjp``.
    vjp : callable or None
        ``vjp(grad_a, z, a) -> grad_z`` for activations whose Jacobian is not diagonal.
    output_range : (float, float)
        Closed bounds of the values the activation can produce (used to match it with a cost).
    """

    name: str
    function: Callable[[Array], Array]
    derivative: Callable[[Array, Array], Array] | None = None
    vjp: Callable[[Array, Array, Array], Array] | None = None
    output_range: tuple[float, float] = (-np.inf, np.inf)

    def __post_init__(self):
        if (self.derivative is None) == (self.vjp is None):
            raise argument_error(
                "derivative",
                f"given exactly when `vjp` is not (activation {self.name!r} needs one of the two)",
                Description("both" if self.derivative else "neither"),
                TypeError,
            )

    def __call__(self, z: Array) -> Array:
        return self.function(z)

    @property
    def elementwise(self) -> bool:
        return self.derivative is not None

    def backward(self, grad_a: Array, z: Array, a: Array) -> Array:
        """dC/dz from dC/da: an elementwise product, or the vector-Jacobian product for softmax."""
        if self.derivative is None:
            return self.vjp(grad_a, z, a)
        d = self.derivative(z, a)
        if isinstance(d, np.ndarray) and d.dtype == grad_a.dtype and d is not z and d is not a:
            d *= grad_a  # a fresh array of the right type: multiply in place
            return d
        return (grad_a * d).astype(grad_a.dtype, copy=False)

    def __repr__(self) -> str:
        return f"Activation({self.name!r})"


# Every function here also accepts complex input (the complex-step derivative in ``verify`` feeds
# it z + ih), so the real fast paths branch off where they use operations that are not analytic.


def sigmoid(z: Array) -> Array:
    """1 / (1 + e^{-z}), without overflow for any real z."""
    if np.iscomplexobj(z):
        return 1.0 / (1.0 + np.exp(-z))
    # In place on one buffer: 4 passes over the data instead of 8 for the two-branch formula.
    z = np.asarray(z)
    if z.dtype.kind not in "fc":
        z = z.astype(np.float64)
    out = np.negative(z, out=np.empty_like(z))  # an array even for 0-d input
    with np.errstate(over="ignore"):  # e^{-z} = inf for very negative z gives exactly 0: right
        np.exp(out, out=out)
    out += 1
    return np.reciprocal(out, out=out)


def _sigmoid_derivative(z: Array, a: Array) -> Array:
    d = 1 - a  # a(1 - a), the document's output form
    d *= a
    return d


def _tanh_derivative(z: Array, a: Array) -> Array:
    d = a * a  # 1 - a^2, the document's output form
    return np.subtract(1, d, out=d)


def softplus(z: Array) -> Array:
    """log(1 + e^z), without overflow."""
    if np.iscomplexobj(z):
        positive = z.real > 0
        return np.where(positive, z, 0) + np.log1p(np.exp(np.where(positive, -z, z)))
    return np.logaddexp(0, z)


def _elu(z: Array) -> Array:
    # expm1 only of the non-positive part: e^z of a large positive z would overflow, unused.
    z = np.asarray(z)
    positive = z.real > 0
    return np.where(positive, z, np.expm1(np.where(positive, 0, z)))


def _elu_derivative(z: Array, a: Array) -> Array:
    return np.where(z > 0, 1, a + 1).astype(z.dtype)  # e^z = a + 1 where z <= 0


def _softmax(z: Array) -> Array:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_vjp(grad_a: Array, z: Array, a: Array) -> Array:
    # J = diag(a) - a a^T, so J^T g = a * (g - <g, a>) row by row.
    return a * (grad_a - (grad_a * a).sum(axis=-1, keepdims=True))


LEAKY_SLOPE = 0.01

ACTIVATIONS: dict[str, Activation] = {
    act.name: act
    for act in (
        Activation("sigmoid", sigmoid, _sigmoid_derivative, output_range=(0.0, 1.0)),
        Activation("tanh", np.tanh, _tanh_derivative, output_range=(-1.0, 1.0)),
        # ReLU and leaky ReLU are not differentiable at 0; chainrule takes the derivative there to
        # be the left one (0, and the leak), as PyTorch and scikit-learn do.
        Activation(
            "relu",
            lambda z: np.maximum(z, 0),
            lambda z, a: (z > 0).astype(z.dtype),
            output_range=(0.0, np.inf),
        ),
        Activation("identity", lambda z: z, lambda z, a: np.ones_like(z)),
        Activation(
            "leaky_relu",
            lambda z: np.where(np.asarray(z) > 0, z, LEAKY_SLOPE * np.asarray(z)),
            lambda z, a: np.where(z > 0, 1.0, LEAKY_SLOPE).astype(z.dtype),
        ),
        Activation(
            "softplus",
            softplus,
            lambda z, a: sigmoid(z),
            output_range=(0.0, np.inf),
        ),
        # ELU with alpha = 1: z for z > 0, e^z - 1 below; its derivative is continuous at 0.
        Activation("elu", _elu, _elu_derivative, output_range=(-1.0, np.inf)),
        Activation("softmax", _softmax, vjp=_softmax_vjp, output_range=(0.0, 1.0)),
    )
}


def get_activation(value: str | Activation, argument: str = "activation") -> Activation:
    """The registered activation called ``value`` (or ``value`` itself when it is an Activation)."""
    if isinstance(value, Activation):
        return value
    if isinstance(value, str) and value in ACTIVATIONS:
        return ACTIVATIONS[value]
    known = ", ".join(repr(name) for name in ACTIVATIONS)
    raise argument_error(argument, f"one of {known} or an Activation", value)
