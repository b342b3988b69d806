"""gradcheck knows when it cannot tell: the issue's examples, pinned, and the rest of its contract
(params of any nesting handed back as they came, ``step=``, ``reference=``, the inconclusive
verdict and how every format shows it)."""

from __future__ import annotations

import json
from collections import namedtuple

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from verify import assert_gradcheck, gradcheck
from verify.core.blackbox import RESOLUTION

# -- the examples -----------------------------------------------------------------------


def test_a_kink_verdict_is_not_a_pass_by_itself():
    # Every entry was a "kink", so any gradient passed: the true derivative of mod is 1.
    def loss(p):
        return np.sum(np.mod(p[0], 0.70718474))

    at = [np.array([2.1213203435596424])]
    report = gradcheck(loss, lambda p: [np.full(1, 123.0)], at)
    assert not report.passed and report.verdict == "failed", str(report)
    assert gradcheck(loss, lambda p: [np.ones(1)], at).passed


def test_kink_detection_does_not_fire_at_a_smooth_stationary_point():
    # sin(8x) at x = pi/16, where its slope is 0: an error of 0.5 there passed as "kink".
    def loss(p):
        return float(np.sum(np.sin(8 * p[0])))

    at = [np.array([np.pi / 16, 0.3])]
    wrong = gradcheck(loss, lambda p: [8 * np.cos(8 * p[0]) + np.array([0.5, 0])], at)
    assert wrong.verdict == "failed" and wrong.findings[0].kind == "mismatch", str(wrong)
    right = gradcheck(loss, lambda p: [8 * np.cos(8 * p[0])], at)
    assert right.passed and "kink" not in right.summary


def test_a_small_non_analytic_loss_gets_real_differences():
    # 1e-6 sum(p real(p)): complex steps were accepted against an absolute floor of 1 and gave
    # a confident "scaled by 2 (the cost's 1/2 missing)" for a right gradient.
    report = gradcheck(
        lambda p: 1e-6 * np.sum(p[0] * np.real(p[0])),
        lambda p: [2e-6 * p[0]],
        [np.array([1.0, 2.0])],
    )
    assert report.passed and report.settings["method"] == "richardson", str(report)


def test_eigenvector_sign_flips_within_the_steps_are_stepped_around():
    # LAPACK's eigenvector signs flip within Richardson's 4h of this matrix: a right gradient
    # passed as "ok" with a relative error near 1 (the error estimate blown up by the flip).
    c = np.array([0.3, -1.2, 0.7])

    def make(xp):
        def loss(p):
            w, V = xp.linalg.eigh(p[0] + p[0].T)
            return xp.sum(V[:, 0] * c) + 0.1 * xp.sum(w)

        return loss

    P = np.random.default_rng(36).standard_normal((3, 3))
    base = np.linalg.eigh(P + P.T)[1][:, 0]
    flipped = [
        np.dot(np.linalg.eigh(Q + Q.T)[1][:, 0], base) < 0
        for Q in (
            P + t * np.eye(3)[:, [i]] @ np.eye(3)[[j]]
            for i in range(3)
            for j in range(3)
            for t in (-5e-3, 5e-3)
        )
    ]
    assert any(flipped)  # the premise: a flip within the steps
    grad = autograd.grad(make(anp))
    report = gradcheck(make(np), grad, [P])
    assert report.passed and report.findings[0].max_rel_error < 1e-6, str(report)
    assert not gradcheck(make(np), lambda p: [2 * grad(p)[0]], [P]).passed


def test_an_error_estimate_too_large_to_tell_is_inconclusive_not_ok():
    rng = np.random.default_rng(0)

    def noisy(p):
        return float(np.sum(p[0] ** 2) + 1e-4 * rng.standard_normal())

    report = gradcheck(noisy, lambda p: [2 * p[0]], [np.array([0.3, -0.2])])
    assert report.verdict == "inconclusive" and not report.passed
    assert report.findings[0].kind == "inconclusive"
    assert f"uncertain by more than {RESOLUTION:g} of the gradient's scale" in report.reason
    with pytest.raises(AssertionError, match="Gradient check INCONCLUSIVE"):
        assert_gradcheck(noisy, lambda p: [2 * p[0]], [np.array([0.3, -0.2])])


def test_a_loss_that_is_not_finite_at_params_is_inconclusive():
    report = gradcheck(lambda p: np.log(p[0][0] - 1.0), lambda p: [np.ones(1)], [np.array([0.5])])
    assert report.verdict == "inconclusive"
    assert "loss_fn is nan at params" in report.reason


# -- a kink is checked beside it ----------------------------------------------------------------


def relu_loss(p):
    return float(np.sum(np.maximum(p[0], 0.0)) + 0.5 * np.sum(p[0] ** 2))


def test_a_gradient_on_a_kink_is_checked_beside_it():
    at = [np.array([0.0, 0.7, -0.4])]  # entry 0 is on relu's kink

    def right(p):  # relu'(0) = 0, right everywhere
        return [(p[0] > 0).astype(float) + p[0]]

    report = gradcheck(relu_loss, right, at)
    assert report.passed and report.findings[0].kind == "kink", str(report)
    assert "agrees beside the kink" in report.findings[0].detail

    def right_only_at_the_kink(p):  # the value at x is fine; elsewhere the +p term is missing
        return [np.array([0.5, 1.7, -0.4])] if np.array_equal(p[0], at[0]) else [p[0] * 0]

    report = gradcheck(relu_loss, right_only_at_the_kink, at)
    assert report.verdict == "failed", str(report)
    assert "beside the kink" in report.findings[0].detail

    outside = gradcheck(relu_loss, lambda p: [np.array([2.0, 1.7, -0.4])], at)
    assert outside.verdict == "failed"  # 2 is outside [0, 1], the one-sided derivatives


# -- params in the user's own structure ---------------------------------------------------------

Pair = namedtuple("Pair", "W b")


@pytest.mark.parametrize(
    "params",
    [
        np.array([0.5, -1.0]),
        {"w": np.array([0.5, -1.0]), "scale": 2.0},
        [(np.ones((2, 2)), np.ones(2), np.ones(3))],  # a ragged group: refused before
        [(np.ones(2), np.ones(2)), (np.ones(2), np.ones(2))],  # equal shapes: stacked before
        (Pair(np.ones((2, 3)), np.zeros(2)), {"deep": [[1.0, 2.0], np.float32(0.5)]}),
        1.5,
    ],
    ids=["bare array", "dict with a float", "ragged group", "equal pairs", "nested", "a float"],
)
def test_params_of_any_nesting_reach_the_functions_as_they_came(params):
    seen = []

    def same_structure(a, b):
        if isinstance(a, dict):
            return (
                type(b) is type(a)
                and list(a) == list(b)
                and all(same_structure(a[k], b[k]) for k in a)
            )
        if isinstance(a, (list, tuple)):
            return type(b) is type(a) and len(a) == len(b) and all(map(same_structure, a, b))
        if isinstance(a, np.ndarray):
            return isinstance(b, np.ndarray) and a.shape == b.shape
        return isinstance(b, (float, np.floating, complex, np.complexfloating))  # complex steps

    def tree_map(f, p):
        if isinstance(p, dict):
            return type(p)((k, tree_map(f, v)) for k, v in p.items())
        if hasattr(p, "_fields"):
            return type(p)(*(tree_map(f, v) for v in p))
        if isinstance(p, (list, tuple)):
            return type(p)(tree_map(f, v) for v in p)
        return f(p)

    def leaves_of(p):
        if isinstance(p, dict):
            return [x for v in p.values() for x in leaves_of(v)]
        if isinstance(p, (list, tuple)):
            return [x for v in p for x in leaves_of(v)]
        return [p]

    def loss(p):
        seen.append(same_structure(params, p))
        return float(sum(np.sum(np.sin(leaf)) for leaf in leaves_of(p)))

    def grad(p):
        assert same_structure(params, p)
        return tree_map(np.cos, p)

    report = gradcheck(loss, grad, params)
    assert report.passed, str(report)
    assert seen and all(seen)
    wrong = gradcheck(loss, lambda p: tree_map(lambda leaf: 2 * np.cos(leaf), p), params)
    assert not wrong.passed


def test_a_nested_structure_is_named_by_path():
    params = {"layer": {"W": np.ones((2, 2)), "b": np.zeros(2)}}

    def loss(p):
        return float(np.sum(p["layer"]["W"] ** 2) + np.sum(p["layer"]["b"]))

    def grad(p):
        return {"layer": {"W": 2 * p["layer"]["W"], "b": 2 * np.ones(2)}}

    report = gradcheck(loss, grad, params)
    assert [f.name for f in report.findings] == ["params['layer']['W']", "params['layer']['b']"]
    assert report.findings[1].kind == "scale"
    assert "params['layer']['b']" in report.table()
    missing = gradcheck(loss, lambda p: {"layer": {"W": 2 * p["layer"]["W"]}}, params)
    assert missing.findings[1].kind == "type"
    assert "gradient['layer'] has no key 'b'" in missing.findings[1].detail


# -- step and reference -------------------------------------------------------------------------


def test_the_step_option_is_used():
    def loss(p):
        return float(np.sum(p[0] ** 3))

    report = gradcheck(loss, lambda p: [3 * p[0] ** 2], [np.array([1.0, 2.0])], step=1e-3)
    assert report.passed and report.settings["step"] == 1e-3
    assert report.reference.step[0].tolist() == [1e-3, 1e-3]
    kinked = gradcheck(relu_loss, lambda p: [np.ones(1)], [np.array([1e-4])], step=1e-2)
    assert kinked.verdict == "inconclusive" and "smaller `step`" in kinked.reason


def test_a_reference_is_reused_for_another_gradient():
    def loss(p):
        return float(np.sum(np.exp(p[0])))

    at = [np.array([0.1, 0.2])]
    first = gradcheck(loss, lambda p: [np.exp(p[0])], at)
    calls = []

    def counted(p):
        calls.append(1)
        return loss(p)

    again = gradcheck(counted, lambda p: [2 * np.exp(p[0])], at, reference=first.reference)
    assert not calls  # the loss is not evaluated again
    assert again.findings[0].kind == "scale" and again.findings[0].factor == pytest.approx(2)


# -- the report ---------------------------------------------------------------------------------


def test_every_format_shows_the_verdict_and_the_reason():
    rng = np.random.default_rng(1)
    report = gradcheck(
        lambda p: float(np.sum(p[0] ** 2) + 1e-3 * rng.standard_normal()),
        lambda p: [2 * p[0]],
        [np.array([0.3, -0.2])],
    )
    data = json.loads(report.to_json())
    assert data["verdict"] == "inconclusive" and data["inconclusive"] and not data["passed"]
    assert data["reason"] == report.reason and data["settings"]["loss_precision"]["stochastic"]
    for fmt in ("text", "github", "html", "latex"):
        rendered = report.render(fmt)
        assert "INCONCLUSIVE" in rendered and "inconclusive: " in rendered, fmt
    with pytest.raises(ValueError, match="`fmt` must be one of"):
        report.render("pdf")
