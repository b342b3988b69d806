"""What the user's own forward pass and loss say about a failed ``check_gradients``.

Given ``forward(params, X)`` or ``loss(params, X, y)``, the diagnosis (``verify.oracle.diagnosis``)
separates "your network (or cost) computes a different function from the declared one" from "your
backward pass is wrong": the forward output and the loss value are compared with the declared
network's, and the gradient with finite differences of the user's own loss (``gradcheck``).

Each verdict takes the diagnosis's ``Trial`` and its probe: the user's gradient on the check's own
problem, with that problem (``problem``), its ``layout`` and the user's ``user_params``, ``user_X``
and ``user_y``.
"""

from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING

import numpy as np

from verify.core.compare import default_tolerances, describe_factor
from verify.oracle.blackbox_check import gradcheck

if TYPE_CHECKING:
    from verify.oracle.diagnosis import Trial

__all__ = ["forward_verdict", "loss_verdict"]


def _forward_output(trial: Trial, probe):
    """The user's forward output on the probe's problem, in chainrule's (n_samples, N^L)."""
    result, failure = trial.call(
        trial.forward, copy.deepcopy(probe.user_params), copy.deepcopy(probe.user_X), name="forward"
    )
    if failure is not None:
        return None, f"your {failure.detail}"
    try:
        output = np.asarray(probe.layout.data_from_user(probe.user_X, result)[1], dtype=np.float64)
    except Exception as err:
        return None, f"your forward's output could not be read ({type(err).__name__}: {err})"
    expected = probe.problem.output()
    if output.shape != expected.shape and output.size == expected.size:
        output = output.reshape(expected.shape)
    if output.shape != expected.shape:
        return None, f"your forward returned shape {output.shape}, expected {expected.shape}"
    return output, ""


def _close(a, b, dtype) -> bool:
    rtol, _ = default_tolerances(dtype)
    scale = max(float(np.sqrt(np.mean(b * b))), np.finfo(np.float64).tiny)
    return bool(np.all(np.abs(a - b) <= rtol * np.maximum(np.abs(b), scale)))


def forward_verdict(trial: Trial, probe, fitted) -> str:
    """Whether the user's forward pass computes the declared network, or the one with the fitted
    activations (``fitted``, from a fitted parameter, or None), or another function."""
    output, problem = _forward_output(trial, probe)
    if output is None:
        return problem[0].upper() + problem[1:] + "."
    logits = trial.conventions.from_logits
    dtype = np.dtype(trial.options["dtype"])
    declared = probe.problem.output(logits=logits)
    if _close(output, declared, dtype):
        if fitted is not None:
            return (
                "Your forward pass computes the declared network, so your backward pass uses "
                "another parameter than your forward pass: a bug in the backward pass."
            )
        return (
            "Your forward pass computes the declared network (to rounding): the error is in your "
            "backward pass or your cost."
        )
    if fitted is not None and _close(output, probe.problem.output(fitted, logits=logits), dtype):
        names = [a.name for a in fitted]
        return (
            "Your forward pass uses that parameter too: your network is right and the "
            f"declaration is not; declare activations={names!r}."
        )
    worst = np.unravel_index(np.argmax(np.abs(output - declared)), declared.shape)
    return (
        "Your network computes a different function from the declared one (output "
        f"{output[worst]:.4g} where the declared network gives {declared[worst]:.4g}, sample "
        f"{worst[0]}, unit {worst[1]}): compare the declared sizes, activations and layout with "
        "your code before its backward pass."
    )


def loss_verdict(trial: Trial, probe) -> str:
    """Whether the user's loss is the declared cost, and whether the user's gradient is its
    derivative."""
    problem = probe.problem
    value, failure = trial.call(
        trial.loss,
        copy.deepcopy(probe.user_params),
        copy.deepcopy(probe.user_X),
        copy.deepcopy(probe.user_y),
        name="loss",
    )
    if failure is not None:
        return f"Your {failure.detail}."
    try:
        value = float(np.asarray(value, dtype=np.float64).reshape(()))
    except Exception:
        return f"Your loss returned {type(value).__name__}, not a number."
    parts = []
    dtype = np.dtype(trial.options["dtype"])
    rtol, _ = default_tolerances(dtype)
    if math.isclose(value, problem.loss, rel_tol=rtol):
        parts.append("Your loss equals the declared cost.")
    elif problem.loss != 0:
        ratio = value / problem.loss
        parts.append(
            f"Your loss is {describe_factor(ratio, trial.named)} times the declared cost: your "
            "cost is another function (or another convention) than the declared one."
        )
    parts.append(_self_consistency(trial, probe))
    return " ".join(parts)


def _self_consistency(trial: Trial, probe) -> str:
    """Whether the user's gradient is the derivative of the user's own loss (gradcheck)."""
    layout, user_X, user_y = probe.layout, probe.user_X, probe.user_y
    dtype = np.dtype(trial.options["dtype"])

    def loss_fn(params):  # float64 (complex128 for complex steps): no rounding to dtype here
        return trial.loss(
            layout.params_to_user(params), copy.deepcopy(user_X), copy.deepcopy(user_y)
        )

    def grad_fn(params):
        user = layout.params_to_user([(W.astype(dtype), b.astype(dtype)) for W, b in params])
        pairs = layout.params_from_user(
            trial.grad_fn(user, copy.deepcopy(user_X), copy.deepcopy(user_y))
        )
        return [(np.asarray(dW, np.float64), np.asarray(db, np.float64)) for dW, db in pairs]

    try:
        report = gradcheck(
            loss_fn, grad_fn, [(W.copy(), b.copy()) for W, b in probe.problem.params]
        )
    except Exception as err:
        return (
            f"Your gradient could not be checked against your loss ({type(err).__name__}: {err})."
        )
    trial.runs.append(("gradcheck against your loss", report))
    if report.passed:
        return (
            "Your gradient is the derivative of your own loss (gradcheck passes): your backward "
            "pass is right for the function your code computes; what differs is that function."
        )
    failing = ", ".join(f"{f.name} {f.kind}" for f in report.failures())
    return (
        f"Your gradient is not the derivative of your own loss either (gradcheck: {failing}): "
        "your backward pass is wrong."
    )
