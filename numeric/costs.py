"""Costs: each one's per-sample value and its derivative dC/da^L side by side.

A cost acts on one sample's output a^L (a row of the batch) and sums over the output units; the
network averages over samples (or sums, with ``reduction="sum"``). Where the output activation and
the cost fit together so that dC/dz^L collapses to a^L - y (sigmoid with cross-entropy, softmax with
categorical cross-entropy: the reference document's example), ``FUSED`` holds the collapsed form and
a cost value computed from z^L, so saturated outputs never give NaN or inf.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from numeric.activations import ACTIVATIONS, LOGADDEXP_BELOW, Activation, real_softplus, softplus
from numeric.validation import Description, argument_error

__all__ = ["COSTS", "FUSED", "Cost", "get_cost", "sigmoid_cross_entropy"]

Array = np.ndarray

TARGET_KINDS = ("real", "unit", "distribution")


def any_targets(y: Array) -> None:
    """The default ``check_targets``: every real target is in the domain."""


@dataclass(frozen=True, eq=False)
class Cost:
    """A cost function C(a^L, y) of one sample, with its gradient.

    Parameters
    ----------
    name : str
        The shared name (``"squared_error"``, ...).
    value : callable
        ``value(a, y) -> (n_samples,)``: the cost of each row.
    gradient : callable
        ``gradient(a, y) -> (n_samples, N^L)``: dC/da^L of each row.
    output_range : (float, float)
        Closed bounds that the network's outputs must stay within for the cost to be defined.
    check_targets : callable
        ``check_targets(y)`` raises ValueError when ``y`` is outside the cost's domain.
    targets : {"real", "unit", "distribution"}
        What a target row holds: any reals, values in [0, 1], or a probability distribution.
        Decides ``sample_targets`` and ``Network.predict``'s decision rule.
    output : str
        The output activation paired with this cost by default (its canonical link: the one for
        which dC/dz^L = a^L - y), used where an output must be chosen for a hidden activation
        whose range does not fit the cost.
    """

    name: str
    value: Callable[[Array, Array], Array]
    gradient: Callable[[Array, Array], Array]
    output_range: tuple[float, float] = (-np.inf, np.inf)
    check_targets: Callable[[Array], None] = any_targets
    targets: str = "real"
    output: str = "identity"

    def __post_init__(self):
        if self.targets not in TARGET_KINDS:
            known = ", ".join(map(repr, TARGET_KINDS))
            raise argument_error("targets", f"one of {known}", self.targets)

    def fits_output(self, activation: Activation) -> bool:
        """Whether every value ``activation`` can produce lies in the cost's domain."""
        low, high = self.output_range
        out_low, out_high = activation.output_range
        return low <= out_low and out_high <= high

    def pairs_with(self, activation: Activation) -> bool:
        """Whether ``activation`` can be this cost's output layer: it fits the domain and, for
        distribution targets, its rows are distributions (a vector activation such as softmax)."""
        return self.fits_output(activation) and (
            self.targets != "distribution" or not activation.elementwise
        )

    def sample_targets(self, rng: np.random.Generator, n_samples: int, n_outputs: int) -> Array:
        """Targets in the cost's domain, shape (n_samples, n_outputs), exact in every float dtype.

        Real targets are multiples of 1/256 drawn around N(0, 1); unit targets multiples of 1/256
        in (0, 1); distributions rows of multiples of 1/16 that sum to exactly 1 in any precision.
        """
        shape = (n_samples, n_outputs)
        if self.targets == "real":
            return np.round(rng.standard_normal(shape) * 256) / 256
        if self.targets == "unit":
            return rng.integers(1, 256, size=shape) / 256
        return rng.multinomial(16, np.full(n_outputs, 1 / n_outputs), size=n_samples) / 16

    def __repr__(self) -> str:
        return f"Cost({self.name!r})"

    def __reduce__(self):
        # A registered cost pickles (and deep-copies) as its name, so it comes back as the very
        # registered object (the fused paths and ``save`` recognise it by identity); a cost of
        # one's own pickles field by field, which needs module-level functions.
        if COSTS.get(self.name) is self:
            return (get_cost, (self.name,))
        return super().__reduce__()


def _squared_error(a: Array, y: Array) -> Array:
    return 0.5 * ((y - a) ** 2).sum(axis=-1)


def _difference(a: Array, y: Array) -> Array:
    return a - y


def _categorical_cross_entropy_gradient(a: Array, y: Array) -> Array:
    return -y / _clip_open_unit(a)


def _clip_open_unit(a: Array) -> Array:
    # Outside the fused paths, keep log and division away from 0 and 1 by one rounding unit.
    if np.iscomplexobj(a):  # a complex-step evaluation: clipping would drop the imaginary part
        return a
    eps = np.finfo(a.dtype).eps
    return np.clip(a, eps, 1 - eps)


def _cross_entropy(a: Array, y: Array) -> Array:
    a = _clip_open_unit(a)
    return -(y * np.log(a) + (1 - y) * np.log1p(-a)).sum(axis=-1)


def _cross_entropy_gradient(a: Array, y: Array) -> Array:
    a = _clip_open_unit(a)
    return (a - y) / (a * (1 - a))


def _categorical_cross_entropy(a: Array, y: Array) -> Array:
    return -(y * np.log(_clip_open_unit(a))).sum(axis=-1)


def _check_unit_interval(y: Array) -> None:
    if y.min() < 0 or y.max() > 1:
        raise argument_error(
            "y",
            "in [0, 1] for cost 'cross_entropy'",
            Description(f"values in [{y.min():g}, {y.max():g}]"),
        )


def _check_distribution(y: Array) -> None:
    if y.min() < 0:
        raise argument_error(
            "y",
            "non-negative for cost 'categorical_cross_entropy'",
            Description(f"min {y.min():g}"),
        )
    sums = y.sum(axis=-1)
    tol = 100 * np.finfo(y.dtype).eps * y.shape[-1]
    bad = np.flatnonzero(np.abs(sums - 1) > tol)
    if bad.size:
        raise argument_error(
            "y",
            "rows that sum to 1 for cost 'categorical_cross_entropy'",
            Description(f"row {bad[0]} summing to {sums[bad[0]]:g} ({bad.size} rows off)"),
        )


COSTS: dict[str, Cost] = {
    cost.name: cost
    for cost in (
        Cost(
            "squared_error",
            _squared_error,
            _difference,
        ),
        Cost(
            "cross_entropy",
            _cross_entropy,
            _cross_entropy_gradient,
            output_range=(0.0, 1.0),
            check_targets=_check_unit_interval,
            targets="unit",
            output="sigmoid",
        ),
        Cost(
            "categorical_cross_entropy",
            _categorical_cross_entropy,
            _categorical_cross_entropy_gradient,
            output_range=(0.0, 1.0),
            check_targets=_check_distribution,
            targets="distribution",
            output="softmax",
        ),
    )
}


def sigmoid_cross_entropy(
    z: Array, y: Array, *, out: Array | None = None, spare: Array | None = None
) -> Array:
    """The binary cross-entropy of sigmoid(z) computed from z, each row's sum over the units of
    log(1 + e^z) - y z: ``FUSED``'s form of the sigmoid output with the cross-entropy.

    Real z of ``LOGADDEXP_BELOW`` entries or more takes ``real_softplus`` (SIMD passes) and sums
    the rows by a product with ones (one BLAS call, about five times faster than NumPy's
    reduction of many short rows); complex z (complex steps) the analytic ``softplus``.

    Parameters
    ----------
    z, y : ndarray, shape (..., n_samples, N^L)
    out, spare : ndarray or None
        Scratch arrays of z's shape and dtype (neither of them z) that a caller evaluating many
        batches keeps: fresh memory of this size costs page faults on every call. None allocates.

    Returns
    -------
    ndarray, shape (..., n_samples)
    """
    if np.iscomplexobj(z) or np.size(z) < LOGADDEXP_BELOW:
        return (softplus(z) - y * z).sum(axis=-1)
    z, y = np.asarray(z), np.asarray(y)
    same_shape = np.shape(y) == z.shape or np.broadcast_shapes(np.shape(y), z.shape) == z.shape
    if np.result_type(z, y) != z.dtype or not same_shape:
        per_unit = real_softplus(z) - y * z
    else:
        spare = np.empty_like(z) if spare is None else spare
        per_unit = real_softplus(z, out, spare=spare)
        per_unit -= np.multiply(y, z, out=spare)
    return per_unit @ np.ones(per_unit.shape[-1], per_unit.dtype)


def _log_softmax(z: Array) -> Array:
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


# Output activation and cost pairs whose composition simplifies to dC/dz^L = a^L - y, each with its
# per-sample cost computed from z^L. Keys are the registered objects themselves, so a user's own
# "sigmoid" never takes the shortcut.
FUSED: dict[tuple[Activation, Cost], Callable[[Array, Array], Array]] = {
    # sum_k log(1 + e^z) - y z  ==  -(y log a + (1 - y) log(1 - a)) with a = sigmoid(z)
    (ACTIVATIONS["sigmoid"], COSTS["cross_entropy"]): sigmoid_cross_entropy,
    (ACTIVATIONS["softmax"], COSTS["categorical_cross_entropy"]): lambda z, y: (
        -(y * _log_softmax(z)).sum(axis=-1)
    ),
}


def get_cost(value: str | Cost, argument: str = "cost") -> Cost:
    """The registered cost called ``value`` (or ``value`` itself when it is a Cost)."""
    if isinstance(value, Cost):
        return value
    if isinstance(value, str) and value in COSTS:
        return COSTS[value]
    known = ", ".join(repr(name) for name in COSTS)
    raise argument_error(argument, f"one of {known} or a Cost", value)
