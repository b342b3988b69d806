"""The SIMD softplus (``real_softplus``), the fused sigmoid cross-entropy built on it, and the
sigmoid's and the training step's faster loops: each against an independent reference.

The reference softplus is computed in Python's double precision one value at a time, by a
formula other than the one under test: log1p(e^z) where e^z cannot overflow, and far out
z + e^{-z} (log1p(e^{-z}) = e^{-z} - e^{-2z}/2 + ..., whose second term is below 1e-26 of z there).
"""

import math
import warnings

import numpy as np
import pytest

from numeric import ACTIVATIONS, COSTS, DivergenceError, Network
from numeric.activations import LOGADDEXP_BELOW, real_softplus, sigmoid, softplus
from numeric.costs import FUSED, sigmoid_cross_entropy
from numeric.train import _all_finite

DTYPES = [np.float64, np.float32]
# Extreme and ordinary points: far out on both sides, where e^z overflows or vanishes, around
# 0 (signed zeros, subnormals of both precisions) and where the two branches meet.
SPECIAL = [
    -1e308,
    -1e3,
    -745.2,
    -104.0,
    -40.0,
    -1.0,
    -1e-300,
    -5e-324,
    -1e-45,
    -0.0,
    0.0,
    1e-45,
    5e-324,
    1e-300,
    1e-8,
    0.5,
    1.0,
    17.0,
    40.0,
    88.8,
    709.0,
    710.0,
    1e3,
    1e308,
]


def reference_softplus(z: float) -> float:
    if z > 30:
        return z + math.exp(-z)
    return math.log1p(math.exp(z))


def points(dtype, size: int = 0) -> np.ndarray:
    """The special points in ``dtype`` (those it can hold), then ``size`` random ones."""
    info = np.finfo(dtype)
    special = [v for v in SPECIAL if abs(v) <= float(info.max)]
    rng = np.random.default_rng(0)
    spread = rng.standard_normal(size) * rng.choice([0.1, 3.0, 30.0], size)
    return np.concatenate([special, spread]).astype(dtype)


def assert_ulps(actual, reference, dtype, ulps: int):
    """|actual - reference| within ``ulps`` units in the last place of ``dtype`` at reference."""
    info = np.finfo(dtype)
    reference = np.asarray(reference, dtype=np.float64)
    scale = np.maximum(np.abs(reference), float(info.smallest_subnormal) / float(info.eps))
    error = np.abs(np.asarray(actual, dtype=np.float64) - reference) / (scale * float(info.eps))
    worst = int(np.argmax(error))
    assert error[worst] <= ulps, f"{error[worst]:.1f} ulps at entry {worst}"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", [0, 1000])
def test_real_softplus_matches_the_reference_to_a_few_ulps(dtype, size):
    z = points(dtype, size)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow, invalid or divide warning anywhere
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            result = real_softplus(z)
    assert result.dtype == dtype and result.shape == z.shape
    # The reference of the value z holds in its own dtype (float32 points are rounded first).
    expected = [reference_softplus(float(v)) for v in z]
    assert_ulps(result, expected, dtype, ulps=3)
    assert_ulps(result, np.logaddexp(0, z), dtype, ulps=3)


@pytest.mark.parametrize("dtype", DTYPES)
def test_real_softplus_at_the_limits(dtype):
    z = np.array([-np.inf, np.inf, np.nan, 0.0, -1e3, 1e3], dtype)
    result = real_softplus(z)
    assert result[0] == 0.0 and result[1] == np.inf and np.isnan(result[2])
    assert result[3] == dtype(math.log(2))
    assert result[4] == 0.0  # e^-1000 underflows to 0, as it should
    assert result[5] == 1e3


def test_real_softplus_writes_into_out_and_spare_and_may_overwrite_z():
    z = points(np.float64, 300)
    expected = real_softplus(z)
    out, spare = np.empty_like(z), np.empty_like(z)
    assert real_softplus(z, out, spare=spare) is out
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(spare, np.maximum(z, 0))  # the scratch holds max(z, 0)
    in_place = z.copy()
    assert real_softplus(in_place, in_place) is in_place
    np.testing.assert_array_equal(in_place, expected)


def test_real_softplus_takes_integers_as_float64_and_0d_input_as_an_array():
    result = real_softplus(np.arange(-3, 4))
    assert result.dtype == np.float64
    np.testing.assert_allclose(result, np.logaddexp(0, np.arange(-3.0, 4.0)), rtol=1e-15)
    zero_d = real_softplus(2.0)
    assert isinstance(zero_d, np.ndarray) and zero_d.shape == ()
    assert zero_d == pytest.approx(reference_softplus(2.0), rel=1e-15)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", [LOGADDEXP_BELOW - 1, LOGADDEXP_BELOW, 4 * LOGADDEXP_BELOW])
def test_softplus_activation_agrees_on_both_sides_of_its_threshold(dtype, size):
    z = points(dtype, size)[:size].reshape(1, -1)
    result = softplus(z)
    assert result.dtype == dtype and result.shape == z.shape
    assert_ulps(result.ravel(), [reference_softplus(float(v)) for v in z.ravel()], dtype, ulps=3)
    assert ACTIVATIONS["softplus"](z).dtype == dtype


def test_softplus_complex_step_is_still_analytic():
    # The complex branch is the analytic extension: Im softplus(z + ih) / h = sigmoid(z) to O(h^2),
    # on both sides of 0 and far out, for arrays above the real path's threshold as well.
    z = np.linspace(-50, 50, 2 * LOGADDEXP_BELOW + 1)
    h = 1e-20
    derivative = softplus(z + 1j * h).imag / h
    np.testing.assert_allclose(derivative, sigmoid(z), rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(softplus(z + 0j).real, real_softplus(z), rtol=1e-15, atol=1e-15)


def test_sigmoid_is_one_over_one_plus_exp_exactly():
    # np.divide(1, x) and np.reciprocal(x) give the same correctly rounded quotient.
    for dtype in DTYPES:
        z = points(dtype, 2000)
        with np.errstate(over="ignore"):
            expected = np.reciprocal(1 + np.exp(-z))
        np.testing.assert_array_equal(sigmoid(z), expected)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows", [3, 200])
def test_sigmoid_cross_entropy_is_softplus_minus_y_z_summed_over_units(dtype, rows):
    rng = np.random.default_rng(1)
    z = (rng.standard_normal((rows, 7)) * 20).astype(dtype)
    y = rng.uniform(0, 1, (rows, 7)).astype(dtype)
    result = sigmoid_cross_entropy(z, y)
    assert result.dtype == dtype and result.shape == (rows,)
    exact = [
        math.fsum(reference_softplus(float(a)) - float(b) * float(a) for a, b in zip(zr, yr))
        for zr, yr in zip(z, y)
    ]
    scale = np.abs(np.logaddexp(0, z.astype(np.float64))).sum(axis=1) + np.abs(y * z).sum(axis=1)
    assert np.all(np.abs(result - exact) <= 20 * np.finfo(dtype).eps * scale)
    assert FUSED[ACTIVATIONS["sigmoid"], COSTS["cross_entropy"]] is sigmoid_cross_entropy


def test_sigmoid_cross_entropy_scratch_arrays_and_broadcast_targets():
    rng = np.random.default_rng(2)
    z = rng.standard_normal((3, 50, 4)) * 5  # a stack of three networks' outputs
    y = rng.uniform(0, 1, (50, 4))  # one batch's targets for all three
    expected = (np.logaddexp(0, z) - y * z).sum(axis=-1)
    np.testing.assert_allclose(sigmoid_cross_entropy(z, y), expected, rtol=1e-13)
    out, spare = np.empty_like(z), np.empty_like(z)
    kept = z.copy()
    result = sigmoid_cross_entropy(z, y, out=out, spare=spare)
    np.testing.assert_allclose(result, expected, rtol=1e-13)
    np.testing.assert_array_equal(z, kept)  # z itself is left alone
    # Targets of another dtype take the allocating path, promoted as NumPy would.
    z32 = z.astype(np.float32)
    mixed = sigmoid_cross_entropy(z32, y)
    assert mixed.dtype == np.float64
    exact32 = (np.logaddexp(0, z32.astype(np.float64)) - y * z32).sum(axis=-1)
    scale = (np.abs(np.logaddexp(0, z)) + np.abs(y * z)).sum(axis=-1)
    assert np.all(np.abs(mixed - exact32) <= 4 * 8 * np.finfo(np.float32).eps * scale)
    # Targets of a larger shape than z (one batch against three sets of targets) broadcast too.
    wide = sigmoid_cross_entropy(z[0], np.stack([y, 1 - y]))
    np.testing.assert_allclose(wide[0], expected[0], rtol=1e-13)
    np.testing.assert_allclose(
        wide[1], (np.logaddexp(0, z[0]) - (1 - y) * z[0]).sum(-1), rtol=1e-13
    )
    complex_step = sigmoid_cross_entropy(z + 1e-20j, y)
    np.testing.assert_allclose(complex_step.real, expected, rtol=1e-13)


def test_all_finite_is_exact_even_where_the_sum_of_squares_overflows():
    big = np.full(1000, 1e20, np.float32)  # squares overflow float32: the full test decides
    assert _all_finite(big)
    for bad in (np.nan, np.inf, -np.inf):
        for dtype in DTYPES:
            flat = np.ones(5000, dtype)
            flat[1234] = bad
            assert not _all_finite(flat)
    assert _all_finite(np.zeros(3))


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_large_step_whose_update_overflows_is_undone(dtype):
    # 5,101 parameters (the update's finiteness test is one sum of squares): a learning rate of
    # 1e308 makes the first update overflow; fit stops at once with the parameters it started from.
    net = Network([100, 50, 1], "identity", "squared_error", seed=0, dtype=dtype)
    before = [(W.copy(), b.copy()) for W, b in net.params]
    rng = np.random.default_rng(0)
    X = (rng.standard_normal((64, 100)) * 1e3).astype(dtype)
    y = np.zeros((64, 1), dtype)
    with pytest.raises(DivergenceError, match=r"diverged in epoch 1") as info:
        net.fit(X, y, learning_rate=1e308, epochs=3, progress=False)
    assert info.value.history.losses == []
    for (W, b), (W0, b0) in zip(net.params, before):
        np.testing.assert_array_equal(W, W0)
        np.testing.assert_array_equal(b, b0)


def test_softplus_of_a_complex_step_near_zero_is_value_and_slope():
    # The complex branch splits at Re z = 0; between 0 and 1 its two forms must still agree with
    # log(1 + e^z) and with the slope sigmoid(z) in the imaginary part.
    z = np.array([-0.6, -1e-3, 1e-3, 0.4, 0.999, 3.0])
    step = softplus(z + 1e-30j)
    np.testing.assert_allclose(step.real, [reference_softplus(v) for v in z], rtol=1e-15)
    np.testing.assert_allclose(step.imag / 1e-30, 1 / (1 + np.exp(-z)), rtol=1e-15)
