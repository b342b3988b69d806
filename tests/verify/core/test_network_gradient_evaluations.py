"""network_gradient's cheaper full check: two central evaluations per entry with the truncation
error from a probe, and the cost evaluated for one output unit where the cost is a sum over them.

Both are compared with independent sources: the four-evaluation estimate, numeric's backprop (the
error estimate must cover the actual error) and the black-box ``numerical_gradient`` of the loss.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from numeric import Cost, Network
from verify.core.finite_differences import (
    PERTURBATIONS,
    network_gradient,
    network_loss,
    numerical_gradient,
)
from verify.core.problems import make_problem

NETWORKS = [
    ([4, 6, 3], "sigmoid", "cross_entropy"),
    ([3, 5, 4, 2], ["tanh", "softplus", "identity"], "squared_error"),
    ([3, 4, 3], ["elu", "softmax"], "categorical_cross_entropy"),
]


def problem(sizes, activations, cost, seed=0, scale=1.0):
    net = Network(sizes, activations, cost, seed=seed)
    params, X, y = make_problem(net, n_samples=7, seed=seed)
    net.params = [(scale * W, scale * b) for W, b in params]
    return net, X, y


def entries(structure):
    return np.concatenate([a.ravel() for pair in structure for a in pair])


@pytest.mark.parametrize("scale", [1.0, 3.0])  # 3: sharper curvature, a larger truncation error
@pytest.mark.parametrize("perturb", PERTURBATIONS)
@pytest.mark.parametrize(("sizes", "activations", "cost"), NETWORKS)
def test_two_evaluations_cover_the_actual_error_at_half_the_work(
    sizes, activations, cost, perturb, scale
):
    net, X, y = problem(sizes, activations, cost, scale=scale)
    four = network_gradient(net, X, y, method="central", perturb=perturb)
    two = network_gradient(net, X, y, method="central", perturb=perturb, evaluations=2)
    exact = entries(net.gradients(X, y))
    # The same estimate (the quotient at h): only the error estimate comes from elsewhere.
    np.testing.assert_array_equal(entries(two.gradient), entries(four.gradient))
    actual = np.abs(entries(two.gradient) - exact)
    assert np.all(actual <= entries(two.error)), (actual / entries(two.error)).max()
    # Honest but not vacuous: within a few hundred times the four-point estimate.
    assert np.all(entries(two.error) <= 1000 * entries(four.error) + 1e-12)
    assert four.evaluations / 2 < two.evaluations < four.evaluations  # probes: at least 8


def test_two_evaluations_are_a_little_over_half_the_work_on_a_larger_network():
    net, X, y = problem([20, 30, 10], "sigmoid", "cross_entropy")
    two = network_gradient(net, X, y, method="central", perturb="parameters", evaluations=2)
    # 2 per entry and 2 more for 1/16 of them (evenly spaced and largest curvature, some shared):
    # at least the evenly spaced half of each layer's probe (1/16 of its entries, at least 8).
    assert isinstance(two.evaluations, int)
    counts = [max(8, math.ceil((W.size + b.size) / 16)) for W, b in net.params]
    probes = sum(count - count // 2 for count in counts)
    assert 2 * net.n_params + 2 * probes <= two.evaluations
    assert two.evaluations <= 2 * net.n_params * (1 + 1 / 16) + 4 * 8


@pytest.mark.parametrize("input_scale", [30.0, 100.0])
def test_two_evaluations_carry_a_truncation_error_that_outweighs_rounding(input_scale):
    # Inputs of 30 to 100 make the loss's third derivative in W^1 (about x^3 times that of the
    # sigmoid) large, so that at the step h ~ 6e-6 |W| the truncation h^2 |C'''| / 6 outweighs
    # the rounding: the allowance taken from the probe must then carry it, and stay of the
    # four-point estimate's size (measured: at most 4.7 and 6.8 times it; the allowance is 4
    # times the layer's largest truncation, the four-point estimate's own is 2).
    net, X, y = problem([4, 6, 3], "sigmoid", "cross_entropy")
    X = X * input_scale
    four = network_gradient(net, X, y, method="central", perturb="parameters")
    two = network_gradient(net, X, y, method="central", perturb="parameters", evaluations=2)
    actual = np.abs(entries(two.gradient) - entries(net.gradients(X, y)))
    assert np.all(actual <= entries(two.error)), (actual / entries(two.error)).max()
    assert np.all(entries(two.error) <= 12 * entries(four.error))
    # W^1's allowance is mostly truncation: above twice the rounding bound of the two values,
    # 16 eps |C| / h with h = eps^(1/3) max(1, |W|) (at most, for |W| > 1 the step is longer).
    eps = np.finfo(float).eps
    rounding = 16 * eps * network_loss(net, X, y)(net.params) / eps ** (1 / 3)
    assert np.median(two.error[0][0]) > 2 * rounding


def test_a_wrong_gradient_stays_outside_the_two_evaluation_error():
    # The error estimate must stay far below a gradient's typical bugs (a missing factor).
    net, X, y = problem([4, 6, 3], "sigmoid", "cross_entropy")
    two = network_gradient(net, X, y, method="central", perturb="parameters", evaluations=2)
    exact = entries(net.gradients(X, y))
    big = np.abs(exact) > 1e-3
    assert np.all(entries(two.error)[big] < 1e-3 * np.abs(exact[big]))


def test_two_evaluations_flag_kinks():
    net, X, y = problem([3, 4, 2], ["relu", "identity"], "squared_error")
    X[0] = 0.0
    net.params[0][1][0] = 0.0  # z^1[0, 0] = 0: every step of b^1_0 crosses the kink
    four = network_gradient(net, X, y, method="central", perturb="parameters")
    two = network_gradient(net, X, y, method="central", perturb="parameters", evaluations=2)
    assert two.kink[0][1][0] and four.kink[0][1][0]
    assert np.array_equal(entries(two.kink), entries(four.kink))


@pytest.mark.parametrize("method", ["complex", "central"])
@pytest.mark.parametrize(("sizes", "activations", "cost"), NETWORKS)
def test_parameters_mode_is_the_black_box_gradient_of_the_loss(sizes, activations, cost, method):
    # The one-unit cost (where the cost is a sum over units) and the rank-one updates give what
    # stepping every parameter through the whole loss gives, to rounding.
    net, X, y = problem(sizes, activations, cost)
    fast = network_gradient(net, X, y, method=method, perturb="parameters")
    slow = numerical_gradient(network_loss(net, X, y), net.params, method=method)
    scale = np.abs(entries(slow.gradient)).max()
    tolerance = 1e-13 if method == "complex" else 1e-8
    np.testing.assert_allclose(
        entries(fast.gradient), entries(slow.gradient), rtol=0, atol=tolerance * scale
    )


def _mixed(a, y):
    # Not a sum over units: the squared error of each row's total.
    return 0.5 * (a.sum(axis=-1) - y.sum(axis=-1)) ** 2


def _mixed_gradient(a, y):
    return np.repeat((a.sum(axis=-1) - y.sum(axis=-1))[..., None], a.shape[-1], axis=-1)


@pytest.mark.parametrize("perturb", PERTURBATIONS)
def test_a_cost_that_mixes_the_units_is_evaluated_whole(perturb):
    mixed = Cost("mixed", _mixed, _mixed_gradient)
    net = Network([3, 4, 3], ["tanh", "sigmoid"], mixed, seed=0)
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    fast = network_gradient(net, X, y, method="complex", perturb=perturb)
    slow = numerical_gradient(network_loss(net, X, y), net.params, method="complex")
    np.testing.assert_allclose(entries(fast.gradient), entries(slow.gradient), rtol=1e-12)
    np.testing.assert_allclose(entries(fast.gradient), entries(net.gradients(X, y)), rtol=1e-10)


@pytest.mark.parametrize(
    ("method", "evaluations", "message"),
    [
        ("central", 3, r"`evaluations` must be one of 4, 2 for method='central', got 3"),
        ("complex", 2, r"`evaluations` must be one of 1 for method='complex', got 2"),
        ("richardson", 2, r"`evaluations` must be one of 6 for method='richardson', got 2"),
        ("central", True, r"`evaluations` must be one of 4, 2 for method='central', got True"),
    ],
)
def test_evaluations_is_checked(method, evaluations, message):
    net, X, y = problem([2, 2, 1], "sigmoid", "cross_entropy")
    with pytest.raises(ValueError, match=message):
        network_gradient(net, X, y, method=method, evaluations=evaluations)
