"""Checks of other people's code: whole networks (``check_gradients``), any loss and gradient
pair (``gradcheck``), the layouts and adapters that fit foreign conventions, the pytest plugin."""

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
    "GradientReport",
    "Layout",
    "OracleError",
    "assert_gradcheck",
    "assert_gradients",
    "check_gradients",
    "gradcheck",
]
