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
from verify.oracle.layouts import Layout

__all__ = [
    "FDResult",
    "Finding",
    "GradientReport",
    "Layout",
    "OracleError",
    "assert_gradcheck",
    "assert_gradients",
    "check_gradients",
    "compare_gradients",
    "directional_check",
    "gradcheck",
    "network_gradient",
    "numerical_gradient",
]
