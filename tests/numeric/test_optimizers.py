"""The optimizers, step by step, against values worked out by hand.

Every number below is chosen to be exact in binary (halves, quarters, eighths), so the updates of
SGD and momentum are compared exactly; Adam's square roots are compared to 1e-12 relative, far
below the smallest difference any slip in its formula makes (several per cent here).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from numeric import SGD, Adam, Momentum, Network


def _steps(optimizer, grads_per_step, start=1.0):
    """The parameter after each step of ``optimizer`` from ``start`` with scalar gradients."""
    p = np.array([start])
    seen = []
    for g in grads_per_step:
        optimizer.step([p], [np.array([g])])
        seen.append(float(p[0]))
    return seen


# -- SGD ------------------------------------------------------------------------------------------


def test_sgd_step_is_minus_learning_rate_times_gradient():
    # p = 1, g = 2, rate 0.25: 1 - 0.5 = 0.5; then g = -4: 0.5 + 1 = 1.5.
    assert _steps(SGD(0.25), [2.0, -4.0]) == [0.5, 1.5]


def test_sgd_updates_every_parameter_with_its_own_gradient():
    params = [np.array([1.0, 2.0]), np.array([[3.0]])]
    SGD(0.5).step(params, [np.array([2.0, -2.0]), np.array([[4.0]])])
    assert params[0].tolist() == [0.0, 3.0] and params[1].tolist() == [[1.0]]


# -- momentum -------------------------------------------------------------------------------------


def test_momentum_steps_worked_by_hand():
    # v <- mu v - rate g; p <- p + v, with rate 0.25, mu 0.75, p = 1:
    # g = 2:  v = -0.5,                      p = 0.5
    # g = 2:  v = 0.75 * -0.5 - 0.5 = -0.875, p = -0.375
    # g = -4: v = 0.75 * -0.875 + 1 = 0.34375, p = -0.03125
    assert _steps(Momentum(0.25, momentum=0.75), [2.0, 2.0, -4.0]) == [0.5, -0.375, -0.03125]


def test_momentum_zero_is_plain_gradient_descent():
    grads = [2.0, -1.0, 0.5]
    assert _steps(Momentum(0.25, momentum=0.0), grads) == _steps(SGD(0.25), grads)


def test_momentum_defaults_to_0_9():
    # g = 1 twice at rate 1: v = -1, p = 0; v = 0.9 * -1 - 1 = -1.9, p = -1.9.
    assert _steps(Momentum(1.0), [1.0, 1.0]) == pytest.approx([0.0, -1.9], rel=1e-15)


def test_momentum_keeps_one_velocity_per_parameter():
    # Two parameters with opposite gradients: each velocity follows its own history.
    a, b = np.array([0.0]), np.array([0.0])
    opt = Momentum(0.5, momentum=0.5)
    for _ in range(2):
        opt.step([a, b], [np.array([1.0]), np.array([-2.0])])
    # a: v = -0.5, then 0.5 * -0.5 - 0.5 = -0.75: a = -1.25; b is -2 times that.
    assert a.tolist() == [-1.25] and b.tolist() == [2.5]


# -- Adam -----------------------------------------------------------------------------------------


def test_adam_steps_worked_by_hand():
    # rate 0.5, beta1 0.75, beta2 0.875, eps 0.25 (large, so its place in the formula shows),
    # p = 1. Kingma and Ba's update with the bias corrections folded into the rate:
    #   m <- beta1 m + (1 - beta1) g,   v <- beta2 v + (1 - beta2) g^2,
    #   p <- p - rate sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps).
    # t = 1, g = 2:  m = 0.5, v = 0.5, rate_1 = 0.5 sqrt(1/8) / (1/4) = sqrt(1/2),
    #                p = 1 - sqrt(1/2) * 0.5 / (sqrt(1/2) + 1/4)
    r = math.sqrt(0.5)
    p1 = 1 - r * 0.5 / (r + 0.25)
    # t = 2, g = -2: m = 0.75 * 0.5 - 0.25 * 2 = -0.125, v = 0.875 * 0.5 + 0.125 * 4 = 0.9375,
    #                rate_2 = 0.5 sqrt(1 - 0.765625) / (1 - 0.5625) = 0.5 sqrt(0.234375) / 0.4375
    rate2 = 0.5 * math.sqrt(0.234375) / 0.4375
    p2 = p1 + rate2 * 0.125 / (math.sqrt(0.9375) + 0.25)
    assert p1 == pytest.approx(0.630602, abs=1e-6)  # the hand-computed decimal
    steps = _steps(Adam(0.5, beta1=0.75, beta2=0.875, eps=0.25), [2.0, -2.0])
    assert steps == pytest.approx([p1, p2], rel=1e-12)


def test_adam_first_step_moves_each_entry_by_about_the_rate():
    # With the defaults the bias-corrected first step is rate * g / (|g| + eps / sqrt(0.001)):
    # rate * sign(g) to 1e-6 for |g| >= 0.5.
    p = np.array([0.0, 0.0, 0.0])
    Adam(0.001).step([p], [np.array([3.0, -0.5, 40.0])])
    np.testing.assert_allclose(p, [-0.001, 0.001, -0.001], rtol=1e-5)


def test_adam_defaults():
    opt = Adam()
    assert (opt.learning_rate, opt.beta1, opt.beta2, opt.eps) == (1e-3, 0.9, 0.999, 1e-8)
    # Two default steps of g = 1: m = 0.1, then 0.19; v = 0.001, then 0.001999;
    # rate_t = 1e-3 sqrt(1 - 0.999^t) / (1 - 0.9^t).
    p = 0.0
    for m, v, t in ((0.1, 0.001, 1), (0.19, 0.001999, 2)):
        p -= 1e-3 * math.sqrt(1 - 0.999**t) / (1 - 0.9**t) * m / (math.sqrt(v) + 1e-8)
    assert _steps(Adam(), [1.0, 1.0], start=0.0)[-1] == pytest.approx(p, rel=1e-12)


def test_adam_keeps_moments_per_parameter_and_one_step_count():
    # Two parameters updated together equal each one updated alone.
    together = [np.array([1.0]), np.array([1.0])]
    opt = Adam(0.5, beta1=0.75, beta2=0.875, eps=0.25)
    for g in (2.0, -2.0):
        opt.step(together, [np.array([g]), np.array([-g])])
    alone = _steps(Adam(0.5, beta1=0.75, beta2=0.875, eps=0.25), [2.0, -2.0])[-1]
    other = _steps(Adam(0.5, beta1=0.75, beta2=0.875, eps=0.25), [-2.0, 2.0])[-1]
    assert together[0][0] == pytest.approx(alone, rel=1e-15)
    assert together[1][0] == pytest.approx(other, rel=1e-15)
    assert other - 1 == pytest.approx(-(alone - 1), rel=1e-15)  # Adam is odd in the gradient


# -- through fit: the options reach the optimizer ------------------------------------------------


def _unit_network():
    # One identity unit, squared error, W = b = 0 on x = 1, y = 1: a = 0, dC/dz = a - y = -1,
    # so dC/dW = dC/db = -1 at the start.
    net = Network([1, 1], "identity", "squared_error", seed=0)
    net.params = [(np.zeros((1, 1)), np.zeros(1))]
    return net


@pytest.mark.parametrize(
    ("optimizer", "options", "expected"),
    [
        # SGD, rate 0.25: W = 0.25 after one step; the gradient is then -(1 - 0.5) = -0.5
        # (z = W + b = 0.5), so W = 0.25 + 0.125 = 0.375.
        ("sgd", {}, 0.375),
        # Momentum 0.5: v = 0.25, W = 0.25; z = 0.5, g = -0.5, v = 0.125 + 0.125, W = 0.5.
        ("momentum", {"momentum": 0.5}, 0.5),
    ],
)
def test_fit_runs_the_named_optimizer_with_its_options(optimizer, options, expected):
    net = _unit_network()
    net.fit(
        [[1.0]], [1.0], learning_rate=0.25, epochs=2, optimizer=optimizer, progress=False, **options
    )
    assert net.params[0][0][0, 0] == expected and net.params[0][1][0] == expected


def test_fit_passes_adam_options():
    net = _unit_network()
    net.fit(
        [[1.0]],
        [1.0],
        learning_rate=0.5,
        epochs=1,
        optimizer="adam",
        beta1=0.75,
        beta2=0.875,
        eps=0.25,
        progress=False,
    )
    # g = -1: m = -0.25, v = 0.125, rate_1 = 0.5 sqrt(1/8) / (1/4) = sqrt(1/2):
    # W = sqrt(1/2) * 0.25 / (sqrt(1/8) + 0.25).
    expected = math.sqrt(0.5) * 0.25 / (math.sqrt(0.125) + 0.25)
    assert net.params[0][0][0, 0] == pytest.approx(expected, rel=1e-12)


def test_fit_uses_an_optimizer_object_as_given():
    opt = Momentum(0.25, momentum=0.5)
    net = _unit_network()
    net.fit([[1.0]], [1.0], learning_rate=100.0, epochs=1, optimizer=opt, progress=False)
    # The object's own rate (0.25), not fit's learning_rate, made the step.
    assert net.params[0][0][0, 0] == 0.25
    # Its state carries over to the next fit: v = 0.125 + 0.125, W = 0.5.
    net.fit([[1.0]], [1.0], learning_rate=100.0, epochs=1, optimizer=opt, progress=False)
    assert net.params[0][0][0, 0] == 0.5
