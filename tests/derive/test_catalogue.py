"""The symbolic catalogue: definitions, derivatives by differentiation, forms in the output a."""

import mpmath
import pytest
import sympy as sp

import derive
from derive.catalogue import A, Z

z, a = Z, A


@pytest.mark.parametrize(
    "name, point",
    [("sigmoid", 0.3), ("tanh", -0.7), ("softplus", 1.1), ("identity", 2.0)],
)
def test_derivative_matches_a_difference_quotient_of_the_definition(name, point):
    # The derivative comes from sympy.diff; check it against the definition itself: a central
    # difference at 60 digits with h = 1e-20 has error O(h^2), far below the tolerance.
    act = derive.ACTIVATIONS[name]
    f = sp.lambdify(z, act.expression, "mpmath")
    with mpmath.workdps(60):
        x, h = mpmath.mpf(point), mpmath.mpf("1e-20")
        quotient = (f(x + h) - f(x - h)) / (2 * h)
        exact = act.derivative.evalf(60, subs={z: sp.Float(point, 60)})
        assert abs(quotient - mpmath.mpf(str(exact))) < mpmath.mpf("1e-30")


@pytest.mark.parametrize(
    "name, expected",
    # The document's forms (hand-worked: sigma' = sigma(1 - sigma), tanh' = 1 - tanh^2).
    [("sigmoid", a * (1 - a)), ("tanh", 1 - a**2), ("identity", sp.Integer(1))],
)
def test_output_derivative_is_found_and_is_the_documents_form(name, expected):
    act = derive.ACTIVATIONS[name]
    found = act.output_derivative
    assert sp.expand(found - expected) == 0
    # and it really is the derivative once a = sigma(z)
    difference = found.subs(a, act.expression) - act.derivative
    assert sp.cancel(difference.rewrite(sp.exp)) == 0


def test_output_derivative_of_the_documents_sigmoid_as_written_is_negated():
    as_written = derive.SymbolicActivation("sigmoid_as_written", lambda t: 1 / (1 + sp.exp(t)))
    assert sp.expand(as_written.output_derivative - (-a * (1 - a))) == 0


@pytest.mark.parametrize("name", ["relu", "leaky_relu"])
def test_nonsmooth_activations_have_no_output_form(name):
    assert derive.ACTIVATIONS[name].output_derivative is None


@pytest.mark.parametrize(
    "name, at_zero, left, right",
    [("relu", 0, 0, 1), ("leaky_relu", sp.Rational(1, 100), sp.Rational(1, 100), 1)],
)
def test_value_at_the_kink_is_the_left_derivative(name, at_zero, left, right):
    derivative = derive.ACTIVATIONS[name].derivative
    assert derivative.subs(z, 0) == at_zero
    assert derivative.subs(z, -sp.Rational(1, 3)) == left
    assert derivative.subs(z, sp.Rational(1, 3)) == right


def test_convention_at_zero_is_set_by_the_definition():
    # The step's value at 0 is the derivative's value at the kink, for steps and for Piecewise.
    step = derive.SymbolicActivation("relu_one_at_zero", lambda t: t * sp.Heaviside(t, 1))
    pieces = derive.SymbolicActivation(
        "relu_as_written", lambda t: sp.Piecewise((t, t >= 0), (0, True))
    )
    assert step.derivative.subs(z, 0) == 1
    assert pieces.derivative.subs(z, 0) == 1
    assert derive.ACTIVATIONS["relu"].derivative.subs(z, 0) == 0


def test_derivatives_of_steps_carry_no_point_masses():
    assert not derive.ACTIVATIONS["relu"].derivative.has(sp.DiracDelta)
    assert not derive.ACTIVATIONS["leaky_relu"].derivative.has(sp.DiracDelta)


def test_softmax_jacobian_is_diag_a_minus_a_a_transpose():
    zs = sp.symbols("p1:4", real=True)
    outs = sp.symbols("q1:4", real=True)
    jacobian = derive.ACTIVATIONS["softmax"].jacobian(zs, outs)
    expected = sp.diag(*outs) - sp.Matrix(outs) * sp.Matrix(outs).T
    assert (jacobian - expected).expand() == sp.zeros(3, 3)


def test_elementwise_jacobian_is_diagonal_in_the_outputs():
    zs = sp.symbols("p1:3", real=True)
    outs = sp.symbols("q1:3", real=True)
    jacobian = derive.ACTIVATIONS["tanh"].jacobian(zs, outs)
    assert jacobian == sp.diag(1 - outs[0] ** 2, 1 - outs[1] ** 2)


def test_jacobian_falls_back_to_z_without_an_output_form():
    zs = sp.symbols("p1:3", real=True)
    outs = sp.symbols("q1:3", real=True)
    jacobian = derive.ACTIVATIONS["relu"].jacobian(zs, outs)
    assert jacobian[0, 0] == sp.Heaviside(zs[0], 0)
    assert jacobian[0, 1] == 0


@pytest.mark.parametrize(
    "name, expected",
    [
        ("squared_error", lambda a, y: a - y),
        ("cross_entropy", lambda a, y: (a - y) / (a * (1 - a))),
        ("categorical_cross_entropy", lambda a, y: -y / a),
    ],
)
def test_cost_gradients_by_differentiation(name, expected):
    outs = sp.symbols("q1:3", real=True)
    targets = sp.symbols("r1:3", real=True)
    gradient = derive.COSTS[name].gradient(outs, targets)
    for g, a_k, y_k in zip(gradient, outs, targets):
        assert sp.cancel(g - expected(a_k, y_k)) == 0


def test_custom_cost_is_differentiated_too():
    absolute = derive.SymbolicCost(
        "cubic", lambda a, y: sum((ak - yk) ** 3 for ak, yk in zip(a, y))
    )
    q, r = sp.symbols("q r", real=True)
    assert sp.expand(absolute.gradient([q], [r])[0] - 3 * (q - r) ** 2) == 0


def test_vector_activation_must_return_one_output_per_unit():
    broken = derive.SymbolicActivation("broken", lambda zs: zs[:1], elementwise=False)
    with pytest.raises(ValueError, match=r"must return one output per unit \(2\), got 1"):
        broken(sp.symbols("p1:3"))


def test_vector_activation_has_no_scalar_expression():
    with pytest.raises(TypeError, match="vector-valued"):
        _ = derive.ACTIVATIONS["softmax"].expression


def test_unknown_activation_lists_the_known_ones():
    with pytest.raises(
        ValueError, match=r"`activations` must be one of 'sigmoid', 'tanh'.*got 'sigmod'"
    ):
        derive.get_activation("sigmod")


def test_unknown_cost_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"`cost` must be one of 'squared_error'.*got 'mse'"):
        derive.get_cost("mse")


def test_definition_must_be_callable():
    with pytest.raises(TypeError, match="`definition` must be callable, got 3"):
        derive.SymbolicActivation("three", 3)
