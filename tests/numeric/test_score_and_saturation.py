"""score by hand, saturated outputs through the kernels and the training step, GELU far out,
and inputs whose outputs overflow."""

from __future__ import annotations

import numpy as np
import pytest

from numeric import ACTIVATIONS, SGD, Network, kernels

# -- score ----------------------------------------------------------------------------------------


def test_accuracy_of_class_decisions():
    net = Network([3, 3], "softmax", "categorical_cross_entropy", seed=0)
    net.params = [(np.eye(3), np.zeros(3))]
    X = np.array([[5.0, 0, 0], [0, 5.0, 0], [0, 0, 5.0], [5.0, 0, 0]])
    y = np.eye(3)[[0, 1, 2, 1]]  # the last sample is decided as class 0: 3 of 4 right
    assert net.score(X, y) == 0.75


def test_accuracy_of_unit_targets_counts_a_sample_right_only_when_every_output_is():
    net = Network([2, 2], "sigmoid", "cross_entropy", seed=0)
    net.params = [(np.eye(2), np.zeros(2))]
    X = np.array([[3.0, 3.0], [3.0, -3.0], [-3.0, -3.0]])  # decisions (1,1), (1,0), (0,0)
    y = np.array([[1.0, 1.0], [1.0, 1.0], [0.0, 0.2]])  # right, one output wrong, right
    assert net.score(X, y) == pytest.approx(2 / 3)


def test_r2_of_a_regression_by_hand():
    net = Network([1, 2], "identity", "squared_error", seed=0)
    net.params = [(np.ones((2, 1)), np.zeros(2))]
    X = np.array([[1.0], [2.0], [4.0]])  # both outputs are x
    # Output 1 against y = (1, 2, 3): SS_res = 1, SS_tot = 2, R^2 = 0.5.
    # Output 2 against y = (1, 2, 4): exact, R^2 = 1. The score is their mean, 0.75.
    y = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 4.0]])
    assert net.score(X, y) == pytest.approx(0.75, rel=1e-15)


def test_r2_of_constant_targets():
    net = Network([1, 1], "identity", "squared_error", seed=0)
    net.params = [(np.zeros((1, 1)), np.full(1, 2.0))]  # always 2
    X = np.ones((3, 1))
    assert net.score(X, np.full(3, 2.0)) == 1.0  # no variance and none left
    assert net.score(X, np.full(3, 5.0)) == 0.0  # no variance to explain, residual left


# -- saturated outputs: the fused cost and delta --------------------------------------------------


def _saturated():
    # One sigmoid unit with z = 50 for a target 0: a rounds to 1 in float64.
    net = Network([1, 1], "sigmoid", "cross_entropy", seed=0)
    net.params = [(np.full((1, 1), 50.0), np.zeros(1))]
    return net, np.ones((1, 1)), np.zeros((1, 1))


def test_the_fused_cost_and_delta_of_a_saturated_output():
    net, X, y = _saturated()
    # log(1 + e^50) - 0 * 50 = 50 (to 1e-21), where the clipped log(1 - a) would give 36.04;
    # dC/dz = a - y = 1, where the unfused chain would give 0.
    loss, ((dW, db),) = kernels.backprop(net.params, net.activations, net.cost, X, y)
    assert loss == pytest.approx(50.0, rel=1e-15)
    assert dW[0, 0] == pytest.approx(1.0, rel=1e-15) and db[0] == pytest.approx(1.0, rel=1e-15)
    assert net.loss(X, y) == pytest.approx(50.0, rel=1e-15)


def test_backprop_takes_the_mean_by_default():
    net = Network([1, 1], "identity", "squared_error", seed=0)
    net.params = [(np.ones((1, 1)), np.zeros(1))]
    X, y = np.array([[1.0], [3.0]]), np.zeros((2, 1))
    # Costs 0.5 and 4.5; dC/dW = mean of z x = (1 + 9) / 2 = 5, or their sum 10.
    loss, ((dW, db),) = kernels.backprop(net.params, net.activations, net.cost, X, y)
    assert (loss, dW[0, 0], db[0]) == (2.5, 5.0, 2.0)
    loss, ((dW, db),) = kernels.backprop(net.params, net.activations, net.cost, X, y, "sum")
    assert (loss, dW[0, 0], db[0]) == (5.0, 10.0, 4.0)


@pytest.mark.parametrize("n_samples", [60, 200])  # 60 or 200 output entries: both sums
def test_fit_records_the_fused_cost_for_small_and_large_batches(n_samples):
    class Still(SGD):  # records nothing, changes nothing
        def __init__(self):
            super().__init__(1.0)

        def step(self, params, grads):
            pass

    rng = np.random.default_rng(0)
    net = Network([2, 1], "sigmoid", "cross_entropy", seed=0)
    net.params = [(np.array([[40.0, -30.0]]), np.array([0.5]))]  # saturated both ways
    X = rng.standard_normal((n_samples, 2))
    y = rng.integers(0, 2, (n_samples, 1)).astype(float)
    history = net.fit(X, y, epochs=1, optimizer=Still(), progress=False)
    z = X @ net.params[0][0].T + net.params[0][1]
    expected = float(np.mean(np.logaddexp(0, z) - y * z))  # the fused cost, by definition
    assert history.losses[0] == pytest.approx(expected, rel=1e-12)


# -- GELU far out ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gelu_far_out_is_z_or_zero_with_slope_one_or_zero(dtype):
    big = 1e200 if dtype == np.float64 else 1e30  # z^3 overflows the dtype
    z = np.array([[-big, big]], dtype=dtype)
    gelu = ACTIVATIONS["gelu"]
    a = gelu(z)  # RuntimeWarnings are errors in the suite: none may escape
    np.testing.assert_array_equal(a, np.array([[0.0, big]], dtype=dtype))
    np.testing.assert_array_equal(gelu.derivative(z, a), [[0.0, 1.0]])
    assert gelu.derivative(z, a).dtype == dtype


def test_gelu_of_integers():
    np.testing.assert_allclose(ACTIVATIONS["gelu"](np.array([0, 1])), [0.0, 0.8411920], rtol=1e-6)


# -- outputs that overflow ------------------------------------------------------------------------


def test_outputs_that_overflow_name_the_input_and_what_overflowed():
    net = Network([1, 1], "identity", "squared_error", seed=0)
    net.params = [(np.full((1, 1), 1e300), np.zeros(1))]
    X, y = np.array([[1e10]]), np.zeros((1, 1))
    with pytest.raises(
        ValueError,
        match=r"^`X` must be small enough for the output to be finite in float64 with these "
        r"parameters, got max \|X\| = 1e\+10, with which the output overflows$",
    ):
        net.forward(X)
    with pytest.raises(ValueError, match=r"for the loss to be finite .* the loss overflows$"):
        net.gradients(X, y)
    # x = 1e300, W = 1e-290: z = 1e10 and the cost 5e19 are finite, dC/dW = z x = 1e310 is not.
    net.params = [(np.full((1, 1), 1e-290), np.zeros(1))]
    with pytest.raises(
        ValueError, match=r"for the gradient to be finite .* the gradient overflows$"
    ):
        net.gradients(np.array([[1e300]]), y)
