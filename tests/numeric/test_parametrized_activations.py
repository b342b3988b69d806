"""Leaky ReLU and ELU with parameters of one's own: values, derivatives and ranges by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from numeric import ACTIVATIONS
from numeric.activations import make_elu, make_leaky_relu

Z = np.array([[-1.0, 0.0, 2.0]])


def test_leaky_relu_with_its_own_slope():
    act = make_leaky_relu(0.2)
    assert act.name == "leaky_relu(0.2)" and act.output_range == (-np.inf, np.inf)
    np.testing.assert_array_equal(act(Z), [[-0.2, 0.0, 2.0]])
    # Slope 0.2 below 0 and at 0 (the left derivative), 1 above.
    np.testing.assert_array_equal(act.derivative(Z, act(Z)), [[0.2, 0.2, 1.0]])


def test_elu_with_its_own_alpha():
    act = make_elu(0.5)
    assert act.name == "elu(0.5)" and act.output_range == (-0.5, np.inf)
    np.testing.assert_allclose(act(Z), [[0.5 * (math.exp(-1) - 1), 0.0, 2.0]], rtol=1e-15)
    # alpha e^z below 0, alpha at 0 (the left slope), 1 above.
    np.testing.assert_allclose(
        act.derivative(Z, act(Z)), [[0.5 * math.exp(-1), 0.5, 1.0]], rtol=1e-15
    )


def test_a_negative_alpha_has_no_lower_bound():
    act = make_elu(-2.0)
    assert act.output_range == (-np.inf, np.inf)
    np.testing.assert_allclose(act(Z)[0, 0], -2.0 * (math.exp(-1) - 1), rtol=1e-15)


def test_the_catalogues_own_entries_for_the_default_parameters():
    assert make_leaky_relu() is ACTIVATIONS["leaky_relu"]
    assert make_leaky_relu(0.01) is ACTIVATIONS["leaky_relu"]
    assert make_elu() is ACTIVATIONS["elu"] and make_elu(1) is ACTIVATIONS["elu"]


@pytest.mark.parametrize("make", [make_leaky_relu, make_elu])
def test_derivatives_keep_the_dtype(make):
    act = make(0.3)
    z = Z.astype(np.float32)
    assert act(z).dtype == np.float32 and act.derivative(z, act(z)).dtype == np.float32


@pytest.mark.parametrize(("make", "slope_below"), [(make_leaky_relu, 0.3), (make_elu, None)])
def test_complex_steps_give_the_derivative(make, slope_below):
    act = make(0.3)
    h = 1e-20
    x = np.array([[-1.0, 2.0]])
    derivative = act(x + 1j * h).imag / h
    expected_below = 0.3 if slope_below else 0.3 * math.exp(-1)
    np.testing.assert_allclose(derivative, [[expected_below, 1.0]], rtol=1e-15)


@pytest.mark.parametrize(("make", "name"), [(make_leaky_relu, "slope"), (make_elu, "alpha")])
@pytest.mark.parametrize("bad", ["x", True, float("nan"), float("inf"), None])
def test_parameters_must_be_finite_real_numbers(make, name, bad):
    with pytest.raises(TypeError, match=rf"^`{name}` must be a finite real number, got "):
        make(bad)


# Points between -1 and 1 as well: a threshold moved from 0 to 1 (or -1) shows only there.
NEAR_ZERO = np.array([[-0.6, -1e-3, 1e-3, 0.4, 0.999]])


@pytest.mark.parametrize("slope", [0.2, -0.5])
def test_leaky_relu_near_zero_by_hand(slope):
    act = make_leaky_relu(slope)
    z = NEAR_ZERO
    expected = np.where(z > 0, z, slope * z)
    np.testing.assert_array_equal(act(z), expected)
    np.testing.assert_array_equal(act.derivative(z, act(z)), np.where(z > 0, 1.0, slope))


@pytest.mark.parametrize("alpha", [0.5, 3.0])
def test_elu_near_zero_by_hand(alpha):
    act = make_elu(alpha)
    z = NEAR_ZERO
    expected = [[z0 if z0 > 0 else alpha * math.expm1(z0) for z0 in z[0]]]
    np.testing.assert_allclose(act(z), expected, rtol=1e-15)
    slopes = [[1.0 if z0 > 0 else alpha * math.exp(z0) for z0 in z[0]]]
    np.testing.assert_allclose(act.derivative(z, act(z)), slopes, rtol=1e-15)
    # The complex step (verify's finite differences) takes the same branch as the real value.
    step = act(z + 1e-30j)
    np.testing.assert_allclose(step.real, expected, rtol=1e-15)
    np.testing.assert_allclose(step.imag / 1e-30, slopes, rtol=1e-15)
