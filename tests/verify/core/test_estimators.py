"""The finite-difference estimators by hand: steps, estimates and error estimates on polynomials
with a step of 0.5, where every loss value is exact and each formula can be followed on paper.

Error estimates are stated in units of eps = 2.2e-16: the rounding bound counts 16 units in the
last place of each loss value (``verify.core.estimators``' documented allowance).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from verify.core.estimators import mark_nonfinite, one_sided_kinks, step_displacements
from verify.core.finite_differences import numerical_gradient

EPS = float(np.finfo(np.float64).eps)
EPS32 = float(np.finfo(np.float32).eps)


def cube(p):
    return np.sum(p[0] ** 3)


# -- steps ----------------------------------------------------------------------------------------


def test_central_steps_scale_with_the_entry_beyond_one():
    x = np.array([0.0, 0.5, 10.0, -1e3])
    d = step_displacements("central", x, None)
    h = EPS ** (1 / 3) * np.array([1.0, 1.0, 10.0, 1e3])  # 6.06e-6 times max(1, |x|)
    assert d.shape == (4, 4)
    for row, k in zip(d, (1, -1, 2, -2)):
        np.testing.assert_allclose(row, k * h, rtol=1e-9)
    # Each displacement is exactly what x + k h moved to: no rounding left in the denominator.
    np.testing.assert_array_equal((x + d) - x, d)


def test_richardson_steps_are_eps_to_the_fifth():
    d = step_displacements("richardson", np.array([0.0, -4.0]), None)
    h = EPS ** (1 / 5) * np.array([1.0, 4.0])  # 7.4e-4 times max(1, |x|)
    assert d.shape == (6, 2)
    for row, k in zip(d, (1, -1, 2, -2, 4, -4)):
        np.testing.assert_allclose(row, k * h, rtol=1e-9)


@pytest.mark.parametrize(
    ("dtype", "cdtype", "h"),
    [(np.float64, np.complex128, EPS**2), (np.float32, np.complex64, EPS32**2)],
)
def test_complex_steps_are_eps_squared_and_unscaled(dtype, cdtype, h):
    d = step_displacements("complex", np.array([0.0, 1e6], dtype=dtype), None)
    assert d.shape == (1, 2) and d.dtype == cdtype
    np.testing.assert_allclose(d.imag, [[h, h]], rtol=1e-6)
    assert (d.real == 0).all()


def test_an_explicit_step_is_used_for_every_entry():
    d = step_displacements("central", np.array([0.0, 100.0]), 0.25)
    np.testing.assert_array_equal(d, [[0.25, 0.25], [-0.25, -0.25], [0.5, 0.5], [-0.5, -0.5]])
    assert step_displacements("complex", np.zeros(1), 1e-3)[0, 0] == 1e-3j


def test_float32_steps_are_float32_displacements():
    x = np.array([3.0], dtype=np.float32)
    d = step_displacements("central", x, None)
    assert d.dtype == np.float32
    np.testing.assert_allclose(d[0], EPS32 ** (1 / 3) * 3.0, rtol=1e-4)


# -- estimates and error estimates ----------------------------------------------------------------


def test_central_difference_of_a_cube_by_hand():
    # x^3 at x = 1, h = 0.5: C(1.5) = 3.375, C(0.5) = 0.125, C(2) = 8, C(0) = 0.
    # D(h) = (3.375 - 0.125) / 1 = 3.25, D(2h) = (8 - 0) / 2 = 4 (the truth is 3; D(h) = 3 + h^2).
    # Error estimate: 2 |D(2h) - D(h)| / 3 = 0.5, plus 16 eps (3.375 + 0.125) / 1 = 56 eps.
    result = numerical_gradient(cube, [np.array([1.0])], method="central", step=0.5)
    assert result.gradient[0][0] == 3.25
    assert (result.error[0][0] - 0.5) / EPS == pytest.approx(56.0, rel=1e-3)
    assert result.evaluations == 4


def test_richardson_of_a_cube_is_exact_and_its_error_is_rounding_alone():
    # The same values plus C(3) = 27 and C(-1) = -1: D(4h) = 28 / 4 = 7.
    # R1 = (4 D(h) - D(2h)) / 3 = (13 - 4) / 3 = 3, R1' = (4 D(2h) - D(4h)) / 3 = (16 - 7) / 3 = 3,
    # R2 = (16 R1 - R1') / 15 = 3 exactly: no truncation left, |R2 - R1| = 0.
    # Rounding bounds of each quotient, 16 eps (|C(x+kh)| + |C(x-kh)|) / 2kh:
    # a1 = 16 * 3.5 / 1 = 56, a2 = 16 * 8 / 2 = 64, a4 = 16 * 28 / 4 = 112 (in eps);
    # through the same combinations: (16 (4 a1 + a2) / 3 + (4 a2 + a4) / 3) / 15
    #                               = (16 * 96 + 122.667) / 15 = 110.578 eps.
    result = numerical_gradient(cube, [np.array([1.0])], method="richardson", step=0.5)
    assert result.gradient[0][0] == 3.0
    assert result.error[0][0] / EPS == pytest.approx(110.5778, rel=1e-5)
    assert result.evaluations == 6


def test_richardson_of_a_fifth_power_measures_its_truncation():
    # x^5 at 1, h = 0.5: D(h) = (7.59375 - 0.03125) / 1 = 7.5625, D(2h) = 32 / 2 = 16,
    # D(4h) = (243 + 1) / 4 = 61; R1 = (30.25 - 16) / 3 = 4.75, R1' = (64 - 61) / 3 = 1,
    # R2 = (76 - 1) / 15 = 5, exact. Error estimate 2 |R2 - R1| = 0.5 plus rounding 309 eps.
    result = numerical_gradient(
        lambda p: np.sum(p[0] ** 5), [np.array([1.0])], method="richardson", step=0.5
    )
    assert result.gradient[0][0] == 5.0
    assert (result.error[0][0] - 0.5) / EPS == pytest.approx(309.0, rel=0.01)


def test_complex_step_error_is_rounding_relative_to_the_derivative_and_the_loss():
    # x^2 summed over x = (3, 0.5): C = 9.25, derivatives 6 and 1; the error estimate is
    # 16 eps (|dC/dx| + |C| / max(1, |x|)): 16 (6 + 9.25 / 3) = 145.33 and 16 (1 + 9.25) = 164.
    result = numerical_gradient(
        lambda p: np.sum(p[0] ** 2), [np.array([3.0, 0.5])], method="complex"
    )
    np.testing.assert_allclose(result.gradient[0], [6.0, 1.0], rtol=1e-15)
    np.testing.assert_allclose(result.error[0] / EPS, [145.3333, 164.0], rtol=1e-5)
    assert result.evaluations == 2


def test_a_large_complex_step_shows_its_truncation():
    # Im (1 + ih)^3 / h = 3 - h^2: with h = 1e-3 the estimate is 3 - 1e-6, so the step given is
    # the step used.
    result = numerical_gradient(cube, [np.array([1.0])], method="complex", step=1e-3)
    assert result.gradient[0][0] == pytest.approx(3 - 1e-6, rel=1e-12)


# -- kinks and overflow ----------------------------------------------------------------------------


def test_one_sided_slopes_by_hand():
    # |x| at 0 with h = 0.5: C(0.5) = C(-0.5) = 0.5, C(1) = C(-1) = 1, C(0) = 0.
    # Right slope (-3 C(0) + 4 C(h) - C(2h)) / 2h = (2 - 1) / 1 = 1, left (3 C(0) - 4 C(-h) +
    # C(-2h)) / 2h = (-2 + 1) / 1 = -1: a kink. A cubic's two slopes agree exactly.
    d = np.array([[0.5], [-0.5], [1.0], [-1.0]])
    assert one_sided_kinks(np.abs(d), d, 0.0).tolist() == [True]
    assert one_sided_kinks(d**3, d, 0.0).tolist() == [False]
    shifted = (1 + d) ** 3  # x^3 at x = 1: C(1) = 1
    assert one_sided_kinks(shifted, d, 1.0).tolist() == [False]


def test_the_kink_tests_rounding_allowance_by_hand():
    # With a loss of size F the values carry rounding, and the one-sided slopes may differ by it.
    # The allowance is 4 times 16 eps of the values through the slopes' coefficients
    # (6 |C(0)| + 4 (|C(h)| + |C(-h)|) + |C(2h)| + |C(-2h)|) / 2h, which for values all near F
    # and h = 0.5 is 4 * 16 * 16 F eps = 1024 eps F: 0.2274 for F = 1e12. The slopes themselves
    # are small (2s = 0.02), so the relative term eps^(1/3) * 0.02 = 1.2e-7 does not count.
    F, s = 1e12, 0.01
    d = np.array([[0.5], [-0.5], [1.0], [-1.0]])

    def flagged(D):
        # right slope 2s + D, left slope 2s: they differ by D.
        values = np.array([[F + s], [F - s], [F + 2 * s - D], [F - 2 * s]])
        return bool(one_sided_kinks(values, d, F)[0])

    assert 1024 * EPS * F == pytest.approx(0.2274, rel=1e-3)
    assert not flagged(0.222)  # 2.4% below the allowance
    assert flagged(0.233)  # 2.4% above


def test_mark_nonfinite_leaves_no_estimate_and_an_infinite_error():
    gradient = np.array([1.0, np.inf, np.nan, -2.0])
    error = np.array([1e-9, 1e-9, 1e-9, np.nan])
    mark_nonfinite(gradient, error)
    assert gradient[0] == 1.0 and np.isnan(gradient[1]) and np.isnan(gradient[2])
    assert gradient[3] == -2.0
    assert error.tolist() == [1e-9, np.inf, np.inf, np.inf]


def test_a_loss_that_overflows_at_a_perturbation_gives_no_estimate():
    # e^x at 709.78 is 1.796e308; one central step up (4.3e-3) overflows to inf.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = numerical_gradient(lambda p: np.sum(np.exp(p[0])), [np.array([709.78])])
    assert np.isnan(result.gradient[0][0]) and result.error[0][0] == np.inf


@pytest.mark.parametrize("x", [709.0, 709.7])
def test_a_loss_near_the_float64_maximum_gets_a_finite_estimate_and_no_warning(x):
    # e^709.7 is 1.65e308: the two values of a central difference sum past the float64 maximum,
    # and so does (|C(x+h)| + |C(x-h)|) / 2h; the estimate must still be finite and honest.
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        result = numerical_gradient(lambda p: np.sum(np.exp(p[0])), [np.array([x])])
    gradient, error = result.gradient[0][0], result.error[0][0]
    assert np.isfinite(gradient) and np.isfinite(error)
    assert abs(gradient - np.exp(x)) <= error
    # Central differences' truncation h^2 e^x / 6 with h ~ 6e-6 x: about 3e-6 of the slope.
    assert error < 1e-4 * np.exp(x)
    assert not result.kink[0][0]


@pytest.mark.parametrize(("reduction", "expected"), [("mean", 2.5), ("sum", 5.0)])
def test_network_loss_is_the_networks_own_cost(reduction, expected):
    from numeric import Network
    from verify.core.finite_differences import network_loss

    net = Network([2, 1], "identity", "squared_error", seed=0, reduction=reduction)
    net.params = [(np.array([[1.0, 0.0]]), np.zeros(1))]
    X, y = np.array([[1.0, 5.0], [3.0, 5.0]]), np.zeros((2, 1))
    # Per-sample costs 1/2 and 9/2.
    assert network_loss(net, X, y)(net.params) == expected


def test_complex_step_jacobian_of_a_matrix_argument():
    from verify.core.complex_step import complex_step

    def fn(x):  # three outputs of a 2 x 2 input
        return np.array([x.sum(), (x**2).sum(), x[0, 1] * x[1, 0]])

    at = np.array([[0, 1], [2, 3]])  # integers are taken as the real point
    jac = complex_step(fn, at)
    assert jac.shape == (2, 2, 3)
    # d/dx_ij of (sum, sum of squares, x01 x10): (1, 2 x_ij, x10 at 01 and x01 at 10).
    np.testing.assert_array_equal(jac[..., 0], np.ones((2, 2)))
    np.testing.assert_array_equal(jac[..., 1], 2 * at)
    np.testing.assert_array_equal(jac[..., 2], [[0, 2], [1, 0]])


# -- numerical_gradient's contract with the loss -------------------------------------------------


@pytest.mark.parametrize("method", ["central", "richardson", "complex"])
def test_the_result_names_its_method_and_flags_no_kink_as_bools(method):
    result = numerical_gradient(cube, [np.array([1.0, 2.0])], method=method)
    assert result.method == method
    assert result.kink[0].dtype == bool and not result.kink[0].any()


@pytest.mark.parametrize(
    ("dtype", "cdtype"), [(np.float32, np.complex64), (np.float64, np.complex128)]
)
def test_complex_steps_reach_the_loss_in_the_matching_precision(dtype, cdtype):
    seen = set()

    def loss(p):
        seen.add(p[0].dtype)
        return np.sum(p[0] ** 2)

    numerical_gradient(loss, [np.array([1.0, 2.0], dtype=dtype)], method="complex")
    assert seen == {np.dtype(dtype), np.dtype(cdtype)}  # the unperturbed call, then the steps


def test_warnings_inside_the_loss_at_a_perturbation_are_its_own_business():
    # min(e^(800 x), 5) overflows inside at x = 1 and is 5 all around: no warning escapes.
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        result = numerical_gradient(
            lambda p: np.sum(np.minimum(np.exp(800 * p[0]), 5.0)), [np.array([1.0])]
        )
    assert result.gradient[0][0] == 0.0


def test_a_loss_must_return_a_number():
    with pytest.raises(TypeError, match=r"^loss must return a scalar, got str of shape \(\)$"):
        numerical_gradient(lambda p: "1.0", [np.ones(1)])
    with pytest.raises(
        TypeError, match=r"^loss must propagate complex parameters for method='complex' \(it"
    ):
        numerical_gradient(lambda p: float(np.sum(p[0].real)), [np.ones(1)], method="complex")
