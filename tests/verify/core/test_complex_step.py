"""verify.core.complex_step: Im f(x + ih) / h, written once, as a Jacobian and along a direction."""

from __future__ import annotations

import numpy as np

from verify.core.complex_step import (
    COMPLEX_STEP,
    complex_derivative,
    complex_quotient,
    complex_step,
)


def test_the_quotient_is_the_imaginary_part_over_the_step():
    assert complex_quotient(3.0 + 2e-20j, 1e-20) == 2.0
    np.testing.assert_array_equal(complex_quotient(np.array([1 + 4j, 2j]), 2.0), [2.0, 1.0])


def test_derivative_along_a_direction_and_elementwise():
    x = np.array([0.3, -1.2, 2.0])
    np.testing.assert_allclose(complex_derivative(np.sin, x), np.cos(x), rtol=1e-15)
    direction = np.array([0.0, 1.0, 0.0])
    along = complex_derivative(lambda v: np.sum(v**3), x, direction, h=1e-30)
    assert along == 3 * x[1] ** 2


def test_jacobian_matches_the_directional_derivatives():
    def fn(v):
        return np.array([v[0] * v[1], np.exp(v[1])])

    at = np.array([0.5, -0.25])
    jacobian = complex_step(fn, at)
    assert jacobian.shape == (2, 2)
    for i, direction in enumerate(np.eye(2)):
        np.testing.assert_array_equal(jacobian[i], complex_derivative(fn, at, direction))
    np.testing.assert_array_equal(complex_step(fn, at, h=COMPLEX_STEP), jacobian)


def test_the_step_is_tiny_and_exact():
    assert COMPLEX_STEP == 1e-20
    assert complex_derivative(lambda t: t**2, 1.5) == 3.0
