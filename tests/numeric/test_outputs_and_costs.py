"""The less common paths of outputs and costs: predict's decision rules, the unfused costs' clip
near 0 and 1, and the tolerance of the check that categorical targets sum to 1."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from numeric import COSTS, Activation, Network
from numeric.activations import sigmoid

# -- predict --------------------------------------------------------------------------------------


def test_softmax_predict_takes_the_argmax_of_each_sample():
    # Three samples and three classes: z = x W^T with W = I, so each sample's class is where its
    # largest input is. An argmax over samples instead would give one index per class.
    net = Network([3, 3], "softmax", "categorical_cross_entropy", seed=0)
    net.params = [(np.eye(3), np.zeros(3))]
    X = np.array([[0.0, 5.0, 1.0], [2.0, 0.0, 1.0], [0.0, 1.0, 3.0], [4.0, 3.0, 0.0]])
    assert net.predict(X).tolist() == [1, 0, 2, 0]


def test_softmax_output_with_squared_error_predicts_classes_too():
    net = Network([2, 2], "softmax", "squared_error", seed=0)
    net.params = [(np.eye(2), np.zeros(2))]
    assert net.predict([[0.0, 1.0], [1.0, 0.0], [3.0, 2.0]]).tolist() == [1, 0, 0]


def test_distribution_targets_predict_classes_even_with_an_elementwise_output():
    # Sigmoid rows are not distributions, but the targets are: the decision is still a class.
    with warnings.catch_warnings():  # the pairing may be warned about; it is allowed
        warnings.simplefilter("ignore")
        net = Network([2, 2], "sigmoid", "categorical_cross_entropy", seed=0)
    net.params = [(np.eye(2), np.zeros(2))]
    assert net.predict([[0.0, 1.0], [2.0, -1.0]]).tolist() == [1, 0]


def test_unit_targets_predict_one_strictly_above_one_half():
    net = Network([1, 1], "sigmoid", "cross_entropy", seed=0)
    net.params = [(np.ones((1, 1)), np.zeros(1))]
    # sigmoid(0) = 0.5 exactly: not above one half.
    predictions = net.predict([[-1.0], [0.0], [1e-9], [3.0]])
    assert predictions.tolist() == [[0], [0], [1], [1]]
    assert predictions.dtype.kind == "i"


def test_real_targets_predict_the_output_itself():
    net = Network([2, 2], "identity", "squared_error", seed=0)
    net.params = [(np.array([[1.0, 0.0], [1.0, 1.0]]), np.array([0.5, 0.0]))]
    np.testing.assert_array_equal(net.predict([[2.0, 3.0]]), [[2.5, 5.0]])


# -- unfused costs near 0 and 1 -------------------------------------------------------------------

# The registered sigmoid with cross-entropy takes the fused path; a sigmoid of one's own does not,
# so its cost is computed from a = sigmoid(z), clipped one rounding unit inside (0, 1).
OWN_SIGMOID = Activation("own_sigmoid", sigmoid, lambda z, a: a * (1 - a), output_range=(0.0, 1.0))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cross_entropy_of_outputs_at_exactly_0_and_1_is_large_and_finite(dtype):
    eps = np.finfo(dtype).eps
    cost = COSTS["cross_entropy"]
    a = np.array([[0.0, 1.0, 0.0, 1.0]], dtype=dtype)
    y = np.array([[1.0, 0.0, 0.0, 1.0]], dtype=dtype)
    # Wrong by a whole unit at both ends: -log(eps) each; right at both ends: -log(1 - eps) each,
    # which is eps to first order.
    expected = 2 * -np.log(eps) + 2 * eps
    assert cost.value(a, y)[0] == pytest.approx(expected, rel=1e-5)
    # dC/da = (a - y) / (a (1 - a)) at the clipped a: -1/eps, 1/eps, and +-1 where right.
    np.testing.assert_allclose(cost.gradient(a, y)[0], [-1 / eps, 1 / eps, 1.0, -1.0], rtol=1e-5)


def test_categorical_cross_entropy_of_a_zero_output_is_large_and_finite():
    eps = np.finfo(np.float64).eps
    cost = COSTS["categorical_cross_entropy"]
    a = np.array([[0.0, 1.0, 0.0]])
    assert cost.value(a, np.array([[0.0, 1.0, 0.0]]))[0] == pytest.approx(eps, rel=1e-6)
    assert cost.value(a, np.array([[1.0, 0.0, 0.0]]))[0] == pytest.approx(-np.log(eps), rel=1e-12)
    np.testing.assert_allclose(
        cost.gradient(a, np.array([[1.0, 0.0, 0.0]]))[0], [-1 / eps, 0.0, 0.0], rtol=1e-12
    )


def test_an_unfused_saturated_network_gives_a_finite_loss_and_gradient():
    net = Network([1, 1], OWN_SIGMOID, "cross_entropy", seed=0)
    net.params = [(np.array([[100.0]]), np.zeros(1))]  # sigmoid(100) rounds to exactly 1
    X, y = np.array([[1.0]]), np.array([[0.0]])
    with np.errstate(divide="raise", invalid="raise"):
        loss = net.loss(X, y)
        ((dW, db),) = net.gradients(X, y)
    # The clip caps the cost at -log(eps) = 36.04 instead of the fused path's 100.
    assert loss == pytest.approx(-np.log(np.finfo(np.float64).eps), rel=1e-12)
    assert np.isfinite(dW).all() and np.isfinite(db).all()


def test_the_clip_leaves_complex_steps_alone():
    # Im C(a + ih) / h = dC/da for cross-entropy at a = 0.25, y = 1: -1/a = -4. A clip would drop
    # the imaginary part (or refuse complex input).
    h = 1e-20
    a = np.array([[0.25 + 1j * h]])
    assert COSTS["cross_entropy"].value(a, np.ones((1, 1)))[0].imag / h == pytest.approx(-4.0)
    assert COSTS["categorical_cross_entropy"].value(a, np.ones((1, 1)))[0].imag / h == (
        pytest.approx(-4.0)
    )


def test_inside_the_clip_the_costs_are_the_plain_formulas():
    a, y = np.array([[1e-10, 0.5, 1 - 1e-10]]), np.array([[1.0, 0.25, 0.0]])
    expected = -np.log(1e-10) - (0.25 * np.log(0.5) + 0.75 * np.log(0.5)) - np.log1p(-(1 - 1e-10))
    assert COSTS["cross_entropy"].value(a, y)[0] == pytest.approx(expected, rel=1e-9)


# -- the categorical targets' sum ------------------------------------------------------------------


def _softmax_network(n_outputs, dtype=np.float64):
    return Network([1, n_outputs], "softmax", "categorical_cross_entropy", seed=0, dtype=dtype)


def test_rows_that_sum_to_1_up_to_rounding_are_accepted():
    # A thousand classes of 1/1000 each: their float64 sum is 1 + 7e-16, a few roundings off.
    row = np.full((1, 1000), 1e-3)
    assert row.sum() != 1.0
    assert np.isfinite(_softmax_network(1000).loss([[0.0]], row))
    # Ten classes of 0.1: the sum is 1 - 1.1e-16.
    assert np.isfinite(_softmax_network(10).loss([[0.0]], np.full((1, 10), 0.1)))
    # float32 thirds: 1 + 3e-8 after float32 rounding.
    thirds = np.full((1, 3), 1 / 3, dtype=np.float32)
    assert np.isfinite(_softmax_network(3, np.float32).loss([[0.0]], thirds))


@pytest.mark.parametrize(
    ("dtype", "off"),
    [(np.float64, 1e-9), (np.float64, -1e-9), (np.float32, 1e-3)],
)
def test_rows_off_by_more_than_rounding_are_refused(dtype, off):
    # A target of 0.3 typed as 0.3000001 and the like: far above the rounding of a sum of three
    # (a few eps), far below a gross error.
    row = np.array([[0.2, 0.3, 0.5 + off]], dtype=dtype)
    with pytest.raises(ValueError, match=r"rows that sum to 1 .*got row 0 summing to"):
        _softmax_network(3, dtype).loss([[0.0]], row)


def test_the_refusal_counts_every_row_off():
    rows = np.array([[0.5, 0.5], [0.5, 0.6], [1.0, 0.0], [0.0, 0.9]])
    with pytest.raises(ValueError, match=r"got row 1 summing to 1\.1 \(2 rows off\)$"):
        _softmax_network(2).loss(np.zeros((4, 1)), rows)


def test_unit_targets_at_the_ends_are_accepted_and_just_outside_refused():
    net = Network([1, 1], "sigmoid", "cross_entropy", seed=0)
    assert np.isfinite(net.loss([[0.0], [0.0]], [0.0, 1.0]))
    for bad in (-1e-12, 1 + 1e-12):
        with pytest.raises(ValueError, match=r"`y` must be in \[0, 1\] for cost 'cross_entropy'"):
            net.loss([[0.0]], [bad])


def test_sampled_targets_lie_on_their_grid_and_in_their_domain():
    rng = np.random.default_rng(0)
    real = COSTS["squared_error"].sample_targets(rng, 4000, 5)
    unit = COSTS["cross_entropy"].sample_targets(rng, 4000, 5)
    dist = COSTS["categorical_cross_entropy"].sample_targets(rng, 4000, 5)
    # Real targets: multiples of 1/256 around N(0, 1) (20,000 draws: the std within 3%).
    np.testing.assert_array_equal(real * 256, np.round(real * 256))
    assert abs(real.std() - 1) < 0.03 and abs(real.mean()) < 0.03
    # Unit targets: every multiple of 1/256 strictly inside (0, 1), and nothing else.
    assert set(np.unique(unit * 256).astype(int)) == set(range(1, 256))
    # Distributions: multiples of 1/16, rows that sum to exactly 1, zeros included.
    np.testing.assert_array_equal(dist * 16, np.round(dist * 16))
    np.testing.assert_array_equal(dist.sum(axis=1), 1.0)
    assert dist.min() == 0.0
