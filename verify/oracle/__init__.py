"""Checks of other people's code: whole networks (``check_gradients``), any loss and gradient
pair (``gradcheck``), the layouts and adapters that fit foreign conventions, the pytest plugin,
and the child process in which ``chainrule oracle`` runs the user's code (``child``)."""

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
    "GradientReport",
    "Layout",
    "OracleError",
    "assert_gradcheck",
    "assert_gradients",
    "check_activation",
    "check_cost",
    "check_gradients",
    "check_layer",
    "convention",
    "gradcheck",
    "gradients_from_update",
    "layer_functions",
    "layers_grad_fn",
    "per_sample_grad_fn",
]
