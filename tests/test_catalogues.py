"""numeric's and derive's catalogues: the same names, and the same functions by independent routes.

numeric's entries are hand-written NumPy (derivatives typed in from the tables); derive's are
SymPy definitions whose derivatives come from differentiation. Agreement of the two at points on
both sides of 0 checks every entry, present and future, without a list of names in the tests.
"""

import numpy as np
import pytest
import sympy as sp

import derive
import numeric
from derive.catalogue import Z

ELEMENTWISE = [name for name, act in numeric.ACTIVATIONS.items() if act.elementwise]
POINTS = np.array([-2.3, -0.7, -1e-3, 1e-3, 0.4, 1.9])


def test_numeric_and_derive_name_the_same_activations_and_costs():
    assert list(numeric.ACTIVATIONS) == list(derive.ACTIVATIONS)
    assert list(numeric.COSTS) == list(derive.COSTS)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_numeric_activation_and_derivative_equal_the_symbolic_definition(name):
    symbolic = derive.ACTIVATIONS[name]
    function = sp.lambdify(Z, symbolic.expression, "numpy")
    derivative = sp.lambdify(Z, symbolic.derivative, "numpy")
    act = numeric.ACTIVATIONS[name]
    a = act(POINTS.copy())
    # Both sides evaluate closed forms in float64: a few rounding units apart at most.
    np.testing.assert_allclose(a, function(POINTS), rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(
        act.derivative(POINTS, a), derivative(POINTS), rtol=1e-12, atol=1e-15
    )


@pytest.mark.parametrize("name", list(numeric.COSTS))
def test_numeric_cost_and_gradient_equal_the_symbolic_definition(name):
    cost, symbolic = numeric.COSTS[name], derive.COSTS[name]
    a_syms, y_syms = sp.symbols("a1:4", real=True), sp.symbols("y1:4", real=True)
    value = sp.lambdify([a_syms, y_syms], symbolic(a_syms, y_syms), "numpy")
    gradient = sp.lambdify([a_syms, y_syms], symbolic.gradient(a_syms, y_syms), "numpy")
    rng = np.random.default_rng(0)
    a = rng.uniform(0.1, 0.9, (5, 3))
    a /= a.sum(axis=1, keepdims=True)  # a valid output for every cost, distributions included
    y = cost.sample_targets(rng, 5, 3)
    for row_a, row_y, value_row, gradient_row in zip(a, y, cost.value(a, y), cost.gradient(a, y)):
        np.testing.assert_allclose(value_row, value(row_a, row_y), rtol=1e-13)
        np.testing.assert_allclose(gradient_row, gradient(row_a, row_y), rtol=1e-13)
