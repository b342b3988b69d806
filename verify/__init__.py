"""chainrule's verification: finite differences, gradient comparison, the oracle, reports, the CLI.

``import verify`` loads NumPy and ``numeric``; SymPy (``derive``) is imported only by the parts
that use it.
"""

from verify.core.compare import Finding, compare_gradients
from verify.core.finite_differences import (
    FDResult,
    directional_check,
    network_gradient,
    numerical_gradient,
)
from verify.oracle.check import (
    GradientReport,
    OracleError,
    assert_gradcheck,
    assert_gradients,
    check_gradients,
    gradcheck,
)
from verify.oracle.conventions import convention
from verify.oracle.layers import (
    gradients_from_update,
    layer_functions,
    layers_grad_fn,
    per_sample_grad_fn,
)
from verify.oracle.layouts import Layout
from verify.oracle.pieces import check_activation, check_cost, check_layer

__all__ = [
    "FDResult",
    "Finding",
    "GradientReport",
    "Layout",
    "OracleError",
    "assert_gradcheck",
    "assert_gradients",
    "check_activation",
    "check_cost",
    "check_gradients",
    "check_layer",
    "compare_gradients",
    "convention",
    "directional_check",
    "gradcheck",
    "gradients_from_update",
    "layer_functions",
    "layers_grad_fn",
    "network_gradient",
    "numerical_gradient",
    "per_sample_grad_fn",
]
