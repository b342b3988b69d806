"""The diagnosis of a failed check: which readings of a factor survive the confirming runs, the
fitted L2 term, and what the user's own forward pass and loss tell."""

from __future__ import annotations

import numpy as np
import pytest

from verify.oracle.check import check_gradients
from verify.oracle.diagnosis import explain_factor


def backprop(params, X, y, scale=1.0):
    """tanh hidden layers, identity output, 1/2 squared error, mean over samples, times scale."""
    acts, zs = [X], []
    for m, (W, b) in enumerate(params):
        zs.append(acts[-1] @ W.T + b)
        acts.append(zs[-1] if m == len(params) - 1 else np.tanh(zs[-1]))
    delta = scale * (acts[-1] - y) / len(X)
    grads = []
    for m in reversed(range(len(params))):
        grads.append((delta.T @ acts[m], delta.sum(axis=0)))
        if m:
            delta = (delta @ params[m][0]) * (1 - acts[m] ** 2)
    return grads[::-1]


def network(n_outputs):
    return {
        "sizes": [3, 5, n_outputs],
        "activations": ["tanh", "identity"],
        "cost": "squared_error",
    }


def test_an_ambiguous_factor_is_settled_by_a_run_at_another_output_count():
    # 0.5 at 4 outputs reads as 1/2 or as 2/n_outputs; at 7 outputs only 2/n_outputs still fits.
    report = check_gradients(lambda p, X, y: backprop(p, X, y, scale=2 / y.shape[1]), **network(4))
    assert report.settings["diagnosis_runs"][:2] == ["n_samples=5", "7 outputs"]
    detail = report.findings[0].detail
    assert detail.startswith("scaled by 0.5 (= 2/n_outputs: no 1/2 in the squared error and a")
    assert "confirmed at n_samples=5 (factor 0.5) and 7 outputs (factor 0.2857)" in detail
    assert "1/2: an extra" not in report.summary


def test_a_function_fixed_to_its_output_count_keeps_both_readings():
    def fixed(params, X, y):
        if y.shape[1] != 4:
            raise ValueError("this network has 4 outputs")
        return backprop(params, X, y, scale=0.5)

    report = check_gradients(fixed, **network(4))
    assert "1/2: an extra 1/2 in the cost or its derivative, or 2/n_outputs" in report.summary
    assert "not at 7 outputs, where the check could not run" in report.summary
    assert "declare" not in report.summary  # two readings: nothing to propose


def test_a_factor_that_depends_on_the_data_is_no_convention():
    def odd(params, X, y):
        grads = backprop(params, X, y, scale=2.0)
        if len(X) != 8:  # another batch: another error, not a factor
            grads[0] = (grads[0][0] + 1.0, grads[0][1])
        return grads

    report = check_gradients(odd, **network(2))
    assert "At n_samples=5 the error is no longer one factor" in report.summary
    report = check_gradients(lambda p, X, y: backprop(p, X, y, scale=3.7), **network(2))
    assert all(f.factor == pytest.approx(3.7) for f in report.findings)
    assert "diagnosis_runs" not in report.settings  # no reading at all: nothing to confirm


def test_an_l2_term_with_a_scale_names_both_and_declares_both():
    def decayed(params, X, y):
        return [
            (dW + 0.01 * W, db)
            for (dW, db), (W, _) in zip(backprop(params, X, y, scale=0.5), params)
        ]

    report = check_gradients(decayed, **network(3))
    assert (
        "0.5 (= 1/2: an extra 1/2 in the cost or its derivative) x the reference" in report.summary
    )
    assert "coefficient c = 0.01 on the weights only" in report.summary
    assert "Declare cost_scale=0.5, l2=0.01, l2_biases=False" in report.summary
    assert check_gradients(decayed, **network(3), cost_scale=0.5, l2=0.01).passed


def test_no_diagnosis_when_asked_not_to_and_none_for_a_pass():
    report = check_gradients(lambda p, X, y: backprop(p, X, y, 2.0), **network(3), diagnose=False)
    assert not report.passed and "diagnosis_runs" not in report.settings
    assert "confirmed" not in report.summary
    report = check_gradients(backprop, **network(3))
    assert report.passed and "diagnosis_runs" not in report.settings


def test_your_loss_tells_a_convention_from_a_backward_bug():
    def mse(params, X, y):  # PyTorch's MSELoss: a mean over outputs and samples, no 1/2
        a = X
        for m, (W, b) in enumerate(params):
            a = a @ W.T + b if m == len(params) - 1 else np.tanh(a @ W.T + b)
        return np.mean((a - y) ** 2)

    consistent = check_gradients(
        lambda p, X, y: backprop(p, X, y, scale=2 / y.shape[1]), **network(3), loss=mse
    )
    assert "Your loss is 0.666667 (= 2/n_outputs" in consistent.summary
    assert (
        "Your gradient is the derivative of your own loss (gradcheck passes)" in consistent.summary
    )
    assert "gradcheck against your loss" in consistent.settings["diagnosis_runs"]
    inconsistent = check_gradients(
        lambda p, X, y: backprop(p, X, y, scale=2.0), **network(3), loss=mse
    )
    assert "not the derivative of your own loss either" in inconsistent.summary


def test_a_loss_or_forward_that_raises_is_said_so():
    report = check_gradients(
        lambda p, X, y: backprop(p, X, y, 2.0),
        **network(3),
        forward=lambda params, X: 1 / 0,
        loss=lambda params, X, y: "not a number",
    )
    assert "Your forward raised ZeroDivisionError: division by zero." in report.summary
    assert "Your loss returned str, not a number." in report.summary


def test_readings_are_conventions_a_declaration_can_change():
    assert explain_factor(8, 8, 3) == ["n_samples: a sum over the batch where the mean is declared"]
    assert explain_factor(1 / 8, 8, 3) == []  # a mean where the mean is already declared
    assert explain_factor(1 / 8, 8, 3, reduction="sum") == [
        "1/n_samples: a mean over the batch where the sum is declared"
    ]
    assert explain_factor(3, 8, 3, cost="cross_entropy", output_reduction="mean") == [
        "n_outputs: a sum over the outputs where the mean is declared"
    ]
    assert explain_factor(2, 8, 3, cost="cross_entropy") == ["2: a derivative doubled"]
