"""Convention sets: every choice on which correct implementations differ or the document is literal.

Two sets are built in. ``CORRECTED`` is chainrule's: the logistic sigmoid 1/(1 + e^{-z}), dC/da of
squared error a - y, relu'(0) = 0, the mean over the batch, W^m of shape (N^m, N^{m-1}), samples
as rows. ``AS_WRITTEN`` takes the reference document literally: its tables write the sigmoid as
1/(1 + e^{z}) (with derivative a(1 - a)), the derivative of squared error as y - a, relu'(0) = 1,
and its example computes dC/dz^L through the table entries instead of a fused shortcut. Its code
averages over the batch, as chainrule does; it stores samples as columns, a layout that changes no
value (the oracle adapts to it).

A convention set turns an activation or cost name into the objects each source of a gradient uses:
``numeric`` objects (function plus the stated derivative: the *analytic* side) and ``derive``
objects (the definition alone: the *symbolic* side). Finite differences use the numeric forward
functions only, so they see the same definitions and none of the derivatives.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import numpy as np

import numeric
from numeric.activations import sigmoid

__all__ = ["AS_WRITTEN", "CONVENTIONS", "CORRECTED", "ConventionSet", "get_conventions"]


@dataclass(frozen=True)
class ConventionSet:
    """A named set of conventions; see the module docstring.

    Attributes
    ----------
    sigmoid_exponent_sign : {-1, +1}
        The sign s in sigma(z) = 1 / (1 + e^{s z}); -1 is the logistic function.
    squared_error_gradient : {"a - y", "y - a"}
        The stated dC/da^L of C = 1/2 (y - a)^T (y - a).
    relu_derivative_at_zero : float
        The value taken for relu'(0), where relu is not differentiable.
    fused_output : bool
        Whether dC/dz^L is computed as a^L - y for sigmoid with cross-entropy and softmax with
        categorical cross-entropy, instead of through the table entries.
    reduction, sample_axis, weight_shape : str
        Batch reduction, axis of samples in X, shape of W^m.
    """

    name: str
    description: str
    sigmoid_exponent_sign: int
    squared_error_gradient: str
    relu_derivative_at_zero: float
    fused_output: bool
    reduction: str = "mean"
    sample_axis: str = "rows"
    weight_shape: str = "(N^m, N^{m-1})"

    def choices(self) -> dict[str, str]:
        """Each convention as a readable string, for reports."""
        return {
            "sigmoid": f"1/(1 + e^({'-' if self.sigmoid_exponent_sign < 0 else ''}z))",
            "dC/da of squared error": self.squared_error_gradient,
            "relu'(0)": f"{self.relu_derivative_at_zero:g}",
            "dC/dz^L for sigmoid+CE": "a - y (fused)" if self.fused_output else "table chain",
            "batch reduction": self.reduction,
            "samples": self.sample_axis,
            "W^m shape": self.weight_shape,
        }

    # -- analytic side: numeric objects with the stated derivatives --------------------------

    def numeric_activation(self, name: str) -> numeric.Activation:
        registered = numeric.ACTIVATIONS.get(name)
        if registered is None:
            known = ", ".join(map(repr, numeric.ACTIVATIONS))
            raise ValueError(f"activation must be one of {known}, got {name!r}")
        if name == "sigmoid" and self.sigmoid_exponent_sign > 0:
            # 1/(1 + e^{z}) = sigmoid(-z); the stated derivative stays a(1 - a).
            return dataclasses.replace(registered, function=lambda z: sigmoid(-z))
        if name == "relu" and self.relu_derivative_at_zero != 0:
            at_zero = self.relu_derivative_at_zero
            return dataclasses.replace(
                registered,
                derivative=lambda z, a: np.where(z > 0, 1.0, np.where(z == 0, at_zero, 0.0)).astype(
                    z.dtype
                ),
            )
        if not self.fused_output and name in ("sigmoid", "softmax"):
            return dataclasses.replace(registered)  # a new object: never fused with the cost
        return registered

    def numeric_cost(self, name: str) -> numeric.Cost:
        registered = numeric.COSTS.get(name)
        if registered is None:
            known = ", ".join(map(repr, numeric.COSTS))
            raise ValueError(f"cost must be one of {known}, got {name!r}")
        if name == "squared_error" and self.squared_error_gradient == "y - a":
            return dataclasses.replace(registered, gradient=lambda a, y: y - a)
        if not self.fused_output:
            return dataclasses.replace(registered)
        return registered

    def network(self, sizes, activations, cost, **options) -> numeric.Network:
        """A numeric Network whose formulas follow this convention set."""
        if isinstance(activations, str):
            activations = [activations] * (len(sizes) - 1)
        return numeric.Network(
            sizes,
            [self.numeric_activation(a) for a in activations],
            self.numeric_cost(cost),
            reduction=self.reduction,
            **options,
        )

    # -- symbolic side: derive objects from the definitions alone --------------------------

    def symbolic_activation(self, name: str):
        if name == "sigmoid" and self.sigmoid_exponent_sign > 0:
            return _flipped_sigmoid()
        return name

    def symbolic_cost(self, name: str):
        return name


@functools.cache
def _flipped_sigmoid():
    """The document's sigmoid 1/(1 + e^z), made once: an activation caches what it derives
    (its derivative in terms of its output needs sympy.solve), so a new one per case would
    derive it again each time."""
    import sympy as sp

    import derive

    return derive.SymbolicActivation("sigmoid", lambda z: 1 / (1 + sp.exp(z)))


CORRECTED = ConventionSet(
    name="corrected",
    description="chainrule's conventions: the logistic sigmoid, dC/da = a - y, relu'(0) = 0",
    sigmoid_exponent_sign=-1,
    squared_error_gradient="a - y",
    relu_derivative_at_zero=0.0,
    fused_output=True,
)

AS_WRITTEN = ConventionSet(
    name="as_written",
    description="the reference document taken literally: its tables' formulas as stated",
    sigmoid_exponent_sign=+1,
    squared_error_gradient="y - a",
    relu_derivative_at_zero=1.0,
    fused_output=False,
)

CONVENTIONS = {c.name: c for c in (CORRECTED, AS_WRITTEN)}


def get_conventions(value: str | ConventionSet) -> ConventionSet:
    if isinstance(value, ConventionSet):
        return value
    if value in CONVENTIONS:
        return CONVENTIONS[value]
    known = ", ".join(map(repr, CONVENTIONS))
    raise ValueError(f"conventions must be one of {known} or a ConventionSet, got {value!r}")
