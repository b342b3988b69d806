"""Activations: each one's function and derivative side by side, registered under a plain name.

Elementwise activations give their derivative da/dz from the cached pre-activation ``z`` and
output ``a``; where the reference document states the derivative in terms of the output (sigmoid
a(1 - a), tanh 1 - a^2) that form is used: the output is already computed, no ``exp`` is spent.
Softmax is vector-valued: its Jacobian is not diagonal, so it supplies a vector-Jacobian product
instead of an elementwise derivative, and the backward pass never assumes an elementwise product.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from numeric.validation import Description, argument_error

__all__ = [
    "ACTIVATIONS",
    "LOGADDEXP_BELOW",
    "PARAMETRIZED",
    "Activation",
    "gelu",
    "get_activation",
    "make_elu",
    "make_leaky_relu",
    "real_softplus",
    "selu",
]

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
    # 1 / x by np.divide, not np.reciprocal: the same correctly rounded quotient, and divide's
    # loop is SIMD (about twice as fast in float64).
    return np.divide(1, out, out=out)


def _sigmoid_derivative(z: Array, a: Array) -> Array:
    d = 1 - a  # a(1 - a), the document's output form
    d *= a
    return d


def _tanh_derivative(z: Array, a: Array) -> Array:
    d = a * a  # 1 - a^2, the document's output form
    return np.subtract(1, d, out=d)


# Below this many entries np.logaddexp's one call beats the seven calls of ``real_softplus``: it
# runs at about 25 ns an entry, a scalar loop, against about 3 ns for the seven passes together.
LOGADDEXP_BELOW = 128


def real_softplus(z: Array, out: Array | None = None, *, spare: Array | None = None) -> Array:
    """log(1 + e^z) of a real array as max(z, 0) + log1p(e^{-|z|}), in SIMD passes.

    The same function as ``np.logaddexp(0, z)`` to a few rounding units, without overflow for
    any z (e^{-|z|} is at most 1; far out it underflows to 0, which is right), about eight times
    faster on large float64 arrays (sixteen in float32). Inputs that are not floating point are
    taken as float64.

    Parameters
    ----------
    z : array_like, real
    out : ndarray or None
        Where to write the result (z's shape and dtype; it may be ``z`` itself); None allocates.
    spare : ndarray or None
        Scratch of z's shape and dtype for max(z, 0) (not ``z``, not ``out``); None allocates.

    Returns
    -------
    ndarray
        ``out`` when given; an array even for 0-d input.

    Examples
    --------
    >>> real_softplus(np.array([-1000.0, 0.0, 1000.0])).tolist()
    [0.0, 0.6931471805599453, 1000.0]
    """
    z = np.asarray(z)
    if z.dtype.kind != "f":
        z = z.astype(np.float64)
    # max(z, 0) first (``out`` may be z), against an array of zeros: np.maximum's loop with a
    # scalar operand is about four times slower than with an array, even with the fill.
    if spare is None:
        spare = np.zeros_like(z)
    else:
        spare.fill(0)
    positive = np.maximum(z, spare, out=spare)
    if out is None:
        out = np.empty_like(z)
    np.abs(z, out=out)
    np.negative(out, out=out)
    np.exp(out, out=out)
    np.log1p(out, out=out)
    out += positive
    return out


def softplus(z: Array) -> Array:
    """log(1 + e^z), without overflow (``real_softplus`` for real arrays of 128 entries or
    more, np.logaddexp below)."""
    if np.iscomplexobj(z):
        positive = z.real > 0
        return np.where(positive, z, 0) + np.log1p(np.exp(np.where(positive, -z, z)))
    if np.size(z) < LOGADDEXP_BELOW:
        return np.logaddexp(0, z)
    return real_softplus(z)


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


# SELU's constants (Klambauer et al. 2017, as PyTorch's nn.SELU has them).
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def selu(z: Array) -> Array:
    """scale * (z for z > 0, alpha (e^z - 1) below): a scaled ELU whose slopes at 0 differ."""
    z = np.asarray(z)
    positive = z.real > 0
    return SELU_SCALE * np.where(positive, z, SELU_ALPHA * np.expm1(np.where(positive, 0, z)))


def _selu_derivative(z: Array, a: Array) -> Array:
    # scale alpha e^z = a + scale alpha where z <= 0: the left slope at the kink, as PyTorch's.
    return np.where(z > 0, SELU_SCALE, a + SELU_SCALE * SELU_ALPHA).astype(z.dtype)


# GELU in its tanh approximation (PyTorch's approximate="tanh"): z/2 (1 + tanh(c (z + k z^3))).
GELU_C = math.sqrt(2 / math.pi)
GELU_K = 0.044715


def _gelu_inner(z: Array) -> Array:
    with np.errstate(over="ignore"):  # |z|^3 beyond the dtype's range: tanh(+-inf) = +-1, right
        return GELU_C * (z + GELU_K * z * z * z)


def gelu(z: Array) -> Array:
    """The tanh approximation of GELU, z Phi(z): z/2 (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3)))."""
    z = np.asarray(z)
    if z.dtype.kind not in "fc":
        z = z.astype(np.float64)
    return 0.5 * z * (1 + np.tanh(_gelu_inner(z)))


def _gelu_derivative(z: Array, a: Array) -> Array:
    t = np.tanh(_gelu_inner(z))
    with np.errstate(over="ignore", invalid="ignore"):
        slope = GELU_C * (1 + 3 * GELU_K * z * z)
        tail = 0.5 * z * (1 - t * t) * slope
    # Far out, 1 - t^2 is exactly 0 and z^2 may be inf: the product's limit there is 0.
    tail = np.where(np.isfinite(tail), tail, 0)
    return (0.5 * (1 + t) + tail).astype(z.dtype, copy=False)


LEAKY_SLOPE = 0.01

# Activations with a parameter: leaky ReLU's slope, ELU's alpha. Module-level functions bound
# with functools.partial, so that every Activation made here pickles.


def _leaky_relu(z: Array, slope: float) -> Array:
    z = np.asarray(z)
    return np.where(z.real > 0, z, slope * z)


def _leaky_relu_derivative(z: Array, a: Array, slope: float) -> Array:
    return np.where(z > 0, 1.0, slope).astype(z.dtype)


def _elu_alpha(z: Array, alpha: float) -> Array:
    z = np.asarray(z)
    positive = z.real > 0
    return np.where(positive, z, alpha * np.expm1(np.where(positive, 0, z)))


def _elu_alpha_derivative(z: Array, a: Array, alpha: float) -> Array:
    return np.where(z > 0, 1, a + alpha).astype(z.dtype)  # alpha e^z = a + alpha where z <= 0


def _parameter(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise argument_error(name, "a finite real number", value, TypeError)
    return float(value)


def make_leaky_relu(slope: float = 0.01) -> Activation:
    """Leaky ReLU with its own ``slope`` for z <= 0 (PyTorch's ``negative_slope``).

    The catalogue's ``"leaky_relu"`` itself for the default slope 0.01; otherwise an Activation
    named ``"leaky_relu(0.2)"``. Its derivative at 0 is the slope (the left one).

    Examples
    --------
    >>> make_leaky_relu(0.2)(np.array([-1.0, 2.0]))
    array([-0.2,  2. ])
    """
    slope = _parameter("slope", slope)
    if slope == LEAKY_SLOPE:
        return ACTIVATIONS["leaky_relu"]
    return Activation(
        f"leaky_relu({slope!r})",
        functools.partial(_leaky_relu, slope=slope),
        functools.partial(_leaky_relu_derivative, slope=slope),
    )


def make_elu(alpha: float = 1.0) -> Activation:
    """ELU with its own ``alpha``: z for z > 0, alpha (e^z - 1) below.

    The catalogue's ``"elu"`` for alpha = 1; otherwise an Activation named ``"elu(0.5)"``, whose
    derivative at 0 is alpha (the left slope, as PyTorch's).
    """
    alpha = _parameter("alpha", alpha)
    if alpha == 1.0:
        return ACTIVATIONS["elu"]
    low = -alpha if alpha >= 0 else -np.inf
    return Activation(
        f"elu({alpha!r})",
        functools.partial(_elu_alpha, alpha=alpha),
        functools.partial(_elu_alpha_derivative, alpha=alpha),
        output_range=(low, np.inf),
    )


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
        Activation("selu", selu, _selu_derivative, output_range=(-SELU_SCALE * SELU_ALPHA, np.inf)),
        # GELU's minimum is about -0.170 (at z = -0.75): -0.18 bounds it.
        Activation("gelu", gelu, _gelu_derivative, output_range=(-0.18, np.inf)),
    )
}

# Activation families with a parameter: name -> (maker, parameter name). "leaky_relu(0.2)" and
# "elu(alpha=0.5)" are read by ``verify``'s oracle and command line through this table.
PARAMETRIZED: dict[str, tuple[Callable[[float], Activation], str]] = {
    "leaky_relu": (make_leaky_relu, "slope"),
    "elu": (make_elu, "alpha"),
}


def get_activation(value: str | Activation, argument: str = "activation") -> Activation:
    """The registered activation called ``value`` (or ``value`` itself when it is an Activation)."""
    if isinstance(value, Activation):
        return value
    if isinstance(value, str) and value in ACTIVATIONS:
        return ACTIVATIONS[value]
    known = ", ".join(repr(name) for name in ACTIVATIONS)
    raise argument_error(argument, f"one of {known} or an Activation", value)
