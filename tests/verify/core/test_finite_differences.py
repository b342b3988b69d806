"""verify.core.finite_differences: known derivatives, the network fast paths, kinks, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from numeric import Activation, Cost, Network
from tests.cases import HIDDEN_ACTIVATIONS, OUTPUT_PAIRS, make_targets
from verify.core.finite_differences import (
    METHODS,
    PERTURBATIONS,
    FDResult,
    directional_check,
    kinked_at_zero,
    network_gradient,
    network_loss,
    numerical_gradient,
)

EPS64 = np.finfo(np.float64).eps


def leaves(structure):
    """The arrays of a list of arrays or of (W, b) pairs, in order."""
    return [a for item in structure for a in (item if isinstance(item, tuple) else (item,))]


def max_abs(structure) -> float:
    return max(float(np.abs(a).max()) for a in leaves(structure))


# -- known derivatives --------------------------------------------------------------------------

U = np.array([0.5, -1.0, 2.0])


def _tanh_layer(p):
    (W, b), (v,) = p
    return np.sum(np.tanh(W @ U + b)) + np.sum(np.sin(v))


def _tanh_layer_gradient(p):
    (W, b), (v,) = p
    t = 1 - np.tanh(W @ U + b) ** 2
    return [(np.outer(t, U), t), (np.cos(v),)]


KNOWN = {
    # name: (loss, gradient, params); a few entries each, so |C| stays comparable to |dC/dx|
    "sin*exp": (
        lambda p: np.sum(np.sin(p[0]) * np.exp(p[0] / 2)),
        lambda p: [np.exp(p[0] / 2) * (np.cos(p[0]) + np.sin(p[0]) / 2)],
        [np.array([-1.3, 0.4, 1.7])],
    ),
    "cubic": (
        lambda p: np.sum(p[0] ** 3 - 2 * p[0] ** 2 + p[0]),
        lambda p: [3 * p[0] ** 2 - 4 * p[0] + 1],
        [np.array([[-0.8, 0.3], [1.9, 2.5]])],
    ),
    "log(1+x^2) at large x": (
        lambda p: np.sum(np.log1p(p[0] ** 2)),
        lambda p: [2 * p[0] / (1 + p[0] ** 2)],
        [np.array([30.0, -250.0, 0.7])],
    ),
    "tanh layer, (W, b) pairs": (
        _tanh_layer,
        _tanh_layer_gradient,
        [
            (np.array([[0.3, -0.2, 0.1], [0.5, 0.4, -0.6]]), np.array([0.1, -0.3])),
            (np.array([0.2, 1.1]),),
        ],
    ),
}

# Relative error (max |error| / max |dC/dx|) each method reaches in float64: central about
# eps^(2/3) = 4e-11 per unit of |C|/|x|-scale, Richardson eps^(4/5) = 3e-13, complex-step a few eps.
EXPECTED_ACCURACY = {"central": 1e-9, "richardson": 2e-11, "complex": 2e-15}


@pytest.mark.parametrize("name", list(KNOWN))
@pytest.mark.parametrize("method", METHODS)
def test_each_method_reaches_its_accuracy_on_known_derivatives(name, method):
    loss, gradient, params = KNOWN[name]
    result = numerical_gradient(loss, params, method=method)
    truth = gradient(params)
    errors = [np.abs(g - t) for g, t in zip(leaves(result.gradient), leaves(truth))]
    assert max(float(e.max()) for e in errors) <= EXPECTED_ACCURACY[method] * max_abs(truth)
    # The error estimate bounds the actual error entry by entry.
    for error, estimate in zip(errors, leaves(result.error)):
        assert (error <= estimate).all()
    assert not any(k.any() for k in leaves(result.kink))


@pytest.mark.parametrize("name", list(KNOWN))
def test_richardson_beats_central(name):
    loss, gradient, params = KNOWN[name]
    truth = leaves(gradient(params))

    def worst(method):
        result = numerical_gradient(loss, params, method=method)
        return max(float(np.abs(g - t).max()) for g, t in zip(leaves(result.gradient), truth))

    assert worst("richardson") < worst("central") / 10


def test_central_is_near_the_hand_computed_value():
    # C(x) = x^3 at x = 1: h = eps^(1/3) = 6.06e-6; D(h) = 3x^2 + h^2 = 3 + 3.7e-11.
    result = numerical_gradient(lambda p: p[0][0] ** 3, [np.array([1.0])])
    h = EPS64 ** (1 / 3)
    assert result.gradient[0][0] == pytest.approx(3 + h**2, rel=1e-12, abs=0)
    # Error estimate: twice the measured truncation, 2 |D(2h) - D(h)| / 3 = 2 h^2 (the true one is
    # h^2), plus the rounding bound of 16 ulps on each loss value, 16 eps (1 + 1) / 2h = 5.9e-10;
    # the measured D(2h) - D(h) itself carries rounding of about eps / h = 4e-11.
    assert result.error[0][0] == pytest.approx(2 * h**2 + 16 * EPS64 * 2 / (2 * h), rel=0.02)
    assert result.evaluations == 4


def test_float32_is_less_accurate_but_still_bounded():
    loss, gradient, params = KNOWN["sin*exp"]
    params32 = [p.astype(np.float32) for p in params]
    truth = gradient([p.astype(np.float64) for p in params32])[0]
    eps32 = float(np.finfo(np.float32).eps)
    accuracy = {}
    for method in METHODS:
        result = numerical_gradient(loss, params32, method=method)
        error = np.abs(result.gradient[0] - truth)
        assert (error <= result.error[0]).all()
        accuracy[method] = float(error.max() / np.abs(truth).max())
    # float32 steps are larger (central 4.9e-3, Richardson 4.1e-2, complex 1.4e-14): central loses
    # about eps32^(2/3) = 2.4e-5 per unit of |C| / |dC/dx|; complex-step keeps a few eps32.
    assert accuracy["complex"] <= 8 * eps32
    assert 8 * eps32 < accuracy["central"] <= 1e-2
    assert accuracy["richardson"] <= 1e-2


def test_results_keep_the_structure_of_params_and_never_modify_them():
    _, _, params = KNOWN["tanh layer, (W, b) pairs"]
    before = [a.copy() for a in leaves(params)]
    result = numerical_gradient(_tanh_layer, params, method="richardson")
    assert isinstance(result, FDResult)
    for part in (result.gradient, result.error, result.kink):
        assert isinstance(part, list) and isinstance(part[0], tuple) and isinstance(part[1], tuple)
        assert [a.shape for a in leaves(part)] == [a.shape for a in before]
    assert all(k.dtype == bool for k in leaves(result.kink))
    assert all(np.array_equal(a, b) for a, b in zip(leaves(params), before))
    assert result.evaluations == 6 * sum(a.size for a in before)


def test_explicit_step_is_used():
    # A linear loss has no truncation error at any step; a quadratic's central difference is exact.
    result = numerical_gradient(lambda p: np.sum(p[0] ** 2), [np.array([0.5, -2.0])], step=0.25)
    np.testing.assert_allclose(result.gradient[0], [1.0, -4.0], rtol=1e-15)


# -- kinks of a black-box loss ------------------------------------------------------------------


@pytest.mark.parametrize("method", ["central", "richardson"])
def test_black_box_kinks_are_flagged_only_within_reach(method):
    kink_at = 0.3
    h = EPS64 ** (1 / 3 if method == "central" else 1 / 5)
    # Entries at the kink, within the step on either side, and beyond every step (4h).
    offsets = np.array([0.0, 0.5 * h, -0.9 * h, 1.5 * h, 10 * h, -10 * h])
    x = kink_at + offsets

    def loss(p):
        return np.sum(np.maximum(p[0] - kink_at, 0) + 0.1 * p[0] ** 2)

    result = numerical_gradient(loss, [x], method=method)
    np.testing.assert_array_equal(result.kink[0], [True, True, True, True, False, False])
    truth = (offsets > 0) + 0.2 * x
    far = ~result.kink[0]
    assert (np.abs(result.gradient[0] - truth)[far] <= result.error[0][far]).all()
    # At the kink itself a central difference gives the mean of the two slopes.
    assert result.gradient[0][0] == pytest.approx(0.5 + 0.2 * kink_at, rel=1e-6)


# -- the network fast paths ---------------------------------------------------------------------


def problem(hidden, output, cost, *, sizes=(3, 4, 3), n_samples=5, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    activations = [hidden] * (len(sizes) - 2) + [output]
    net = Network(sizes, activations, cost, seed=seed, dtype=dtype)
    X = rng.standard_normal((n_samples, sizes[0]))
    y = make_targets(cost, n_samples, sizes[-1], rng)
    return net, X, y


def assert_per_parameter_close(got, want, rtol):
    for g, w in zip(leaves(got), leaves(want)):
        assert np.abs(g - w).max() <= rtol * np.abs(w).max(), (g, w)


@pytest.mark.parametrize("perturb", PERTURBATIONS)
@pytest.mark.parametrize(("output", "cost"), OUTPUT_PAIRS)
@pytest.mark.parametrize("hidden", HIDDEN_ACTIVATIONS)
def test_complex_step_matches_backprop_for_every_activation_and_cost(hidden, output, cost, perturb):
    net, X, y = problem(hidden, output, cost)
    result = network_gradient(net, X, y, method="complex", perturb=perturb)
    # Both are exact up to rounding (a few hundred roundings in this small net): 1e-13 of each
    # parameter's gradient scale is ~500 eps; any formula error is off by order one.
    assert_per_parameter_close(result.gradient, net.gradients(X, y), 1e-13)
    assert not any(k.any() for k in leaves(result.kink))  # no pre-activation sits at 0 here


NETS = {
    "sigmoid/cross-entropy": ("sigmoid", "sigmoid", "cross_entropy"),
    "softmax hidden/categorical": ("softmax", "softmax", "categorical_cross_entropy"),
    "relu/squared error": ("relu", "identity", "squared_error"),
    "leaky_relu/softmax cross-entropy": ("leaky_relu", "softmax", "cross_entropy"),
}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", list(NETS))
def test_fast_paths_equal_the_slow_per_parameter_path(name, method):
    net, X, y = problem(*NETS[name], sizes=(3, 4, 3, 2))
    slow = numerical_gradient(network_loss(net, X, y), net.params, method=method)
    by_parameters = network_gradient(net, X, y, method=method, perturb="parameters")
    by_preactivations = network_gradient(net, X, y, method=method, perturb="preactivations")
    for fast in (by_parameters, by_preactivations):
        for f, s, fe, se in zip(
            *map(leaves, (fast.gradient, slow.gradient, fast.error, slow.error))
        ):
            assert (np.abs(f - s) <= fe + se).all()
    if method == "complex":
        # Same perturbations, exact to rounding either way: a few eps apart.
        assert_per_parameter_close(by_parameters.gradient, slow.gradient, 1e-14)
        assert_per_parameter_close(by_preactivations.gradient, slow.gradient, 1e-14)
    assert by_parameters.evaluations == slow.evaluations


@pytest.mark.parametrize("method", ["central", "richardson"])
@pytest.mark.parametrize("perturb", PERTURBATIONS)
def test_real_steps_on_networks_match_backprop_within_their_error(method, perturb):
    net, X, y = problem("tanh", "sigmoid", "cross_entropy", sizes=(4, 5, 3, 2), n_samples=7)
    result = network_gradient(net, X, y, method=method, perturb=perturb)
    for got, want, error in zip(*map(leaves, (result.gradient, net.gradients(X, y), result.error))):
        assert (np.abs(got - want) <= error).all()
    assert_per_parameter_close(result.gradient, net.gradients(X, y), 1e-7)


def test_chunk_and_reduction_do_not_change_the_result():
    net, X, y = problem("tanh", "identity", "squared_error", sizes=(3, 4, 2), n_samples=6)
    net.reduction = "sum"
    reference = net.gradients(X, y)
    for perturb in PERTURBATIONS:
        whole = network_gradient(net, X, y, perturb=perturb)
        one_by_one = network_gradient(net, X, y, perturb=perturb, chunk=1)
        assert_per_parameter_close(one_by_one.gradient, whole.gradient, 1e-15)
        assert_per_parameter_close(whole.gradient, reference, 1e-13)


def test_only_forward_functions_are_trusted():
    # The document's sigmoid as written, 1/(1 + e^z), with its table's derivative a(1 - a): the
    # true derivative is -a(1 - a). Finite differences must find the truth, not the table.
    as_written = Activation(
        "sigmoid_as_written",
        lambda z: 1 / (1 + np.exp(z)),
        lambda z, a: a * (1 - a),
        output_range=(0, 1),
    )
    corrected = Activation(
        "sigmoid_as_written", as_written.function, lambda z, a: -a * (1 - a), output_range=(0, 1)
    )
    literal = Network([3, 4, 2], as_written, "squared_error", seed=0)
    truth = Network([3, 4, 2], corrected, "squared_error", seed=0)
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((5, 3)), rng.random((5, 2))
    for perturb in PERTURBATIONS:
        result = network_gradient(literal, X, y, perturb=perturb)
        assert_per_parameter_close(result.gradient, truth.gradients(X, y), 1e-13)
        wrong = literal.gradients(X, y)
        assert np.abs(result.gradient[1][0] - wrong[1][0]).max() > 0.1 * np.abs(wrong[1][0]).max()


def test_float32_networks():
    net, X, y = problem("tanh", "sigmoid", "cross_entropy", sizes=(3, 5, 2), dtype=np.float32)
    X = X.astype(np.float32)
    net64 = Network([3, 5, 2], ["tanh", "sigmoid"], "cross_entropy")
    net64.params = [(W.astype(np.float64), b.astype(np.float64)) for W, b in net.params]
    truth = net64.gradients(X, y)
    eps32 = float(np.finfo(np.float32).eps)
    for method, accuracy in (("complex", 100 * eps32), ("central", 1e-2)):
        result = network_gradient(net, X, y, method=method)
        # float32 rounding of the forward pass itself is in the difference from the float64
        # truth: the error estimate (16 eps32 relative) covers it in this well-scaled net.
        for got, want, error in zip(*map(leaves, (result.gradient, truth, result.error))):
            assert (np.abs(got - want) <= error + 100 * eps32 * np.abs(want).max()).all()
        assert_per_parameter_close(result.gradient, truth, accuracy)


# -- kinks in networks --------------------------------------------------------------------------


def relu_problem(z_offset: float):
    """A ReLU net where sample 0's input is 0, so z^1_00 = b^1_0 = ``z_offset`` for it."""
    net, X, y = problem("relu", "identity", "squared_error", sizes=(3, 4, 2), n_samples=5)
    X[0] = 0.0
    W, b = net.params[0]
    b[0] = z_offset
    # Keep every other pre-activation of layer 1 clear of 0.
    for s in range(1, X.shape[0]):
        z = W[0] @ X[s] + b[0]
        if abs(z) < 0.1:
            X[s] *= 2.0
    return net, X, y


@pytest.mark.parametrize("perturb", PERTURBATIONS)
@pytest.mark.parametrize("method", METHODS)
def test_a_preactivation_exactly_at_the_kink_is_flagged(method, perturb):
    net, X, y = relu_problem(0.0)
    assert net.trace(X)[0][0][0, 0] == 0.0
    result = network_gradient(net, X, y, method=method, perturb=perturb)
    (kW1, kb1), (kW2, kb2) = result.kink
    # Only b^1_0 moves z^1_00 (sample 0's inputs are 0), and nothing above layer 1 has a kink.
    assert kb1.tolist() == [True, False, False, False]
    assert not kW1.any() and not kW2.any() and not kb2.any()
    analytic = net.gradients(X, y)
    assert_per_parameter_close(result.gradient[0][0], analytic[0][0], 1e-7)
    # The flagged entry really is off: the difference mixes the slopes on both sides of 0.
    assert abs(result.gradient[0][1][0] - analytic[0][1][0]) > 1e-3 * np.abs(analytic[0][1]).max()


def test_a_preactivation_within_the_step_is_flagged_for_real_steps_only():
    net, X, y = relu_problem(1e-7)  # within central's step (6e-6), far beyond complex's (5e-32)
    for perturb in PERTURBATIONS:
        central = network_gradient(net, X, y, method="central", perturb=perturb)
        assert central.kink[0][1][0]
        complex_step = network_gradient(net, X, y, method="complex", perturb=perturb)
        assert not any(k.any() for k in leaves(complex_step.kink))
        assert_per_parameter_close(complex_step.gradient, net.gradients(X, y), 1e-13)


@pytest.mark.parametrize("perturb", PERTURBATIONS)
def test_a_kink_in_a_higher_layer_flags_everything_that_moves_it(perturb):
    net, X, y = problem("relu", "identity", "squared_error", sizes=(2, 3, 3, 1), n_samples=4)
    W2, b2 = net.params[1]
    for _ in range(2):  # move z^2_20 (sample 2, unit 0 of layer 2) to 0; twice to drop rounding
        b2[0] -= net.trace(X)[0][1][2, 0]
    zs, acts = net.trace(X)
    assert abs(zs[1][2, 0]) < 1e-15
    result = network_gradient(net, X, y, method="central", perturb=perturb)
    kb1 = result.kink[0][1]
    kW2, kb2 = result.kink[1]
    assert kb2[0] and kW2[0][acts[1][2] != 0].all() and not kW2[1:].any()
    # Layer-1 biases of units live for sample 2 and weighed by W^2_0 move z^2_20.
    live = (acts[1][2] != 0) & (W2[0] != 0)
    assert live.any()
    assert kb1[live].all()


@pytest.mark.parametrize("name", ["relu", "leaky_relu"])
def test_kinked_activations_are_recognised_from_their_values(name):
    from numeric import ACTIVATIONS

    assert kinked_at_zero(ACTIVATIONS[name])
    for smooth in ("sigmoid", "tanh", "identity", "softplus", "softmax"):
        assert not kinked_at_zero(ACTIVATIONS[smooth])


# -- directional check --------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_directional_check_passes_correct_and_fails_wrong_gradients(method):
    net, X, y = problem("tanh", "softmax", "categorical_cross_entropy", sizes=(3, 5, 3))
    loss, gradient = network_loss(net, X, y), net.gradients(X, y)
    check = directional_check(loss, gradient, net.params, n_directions=4, seed=1, method=method)
    assert check.passed and check.agrees.all() and not check.kink.any()
    assert check.relative_error.max() < check.rtol
    # A planted bug: the output bias gradient off by a factor 1.05.
    planted = [gradient[0], (gradient[1][0], 1.05 * gradient[1][1])]
    failed = directional_check(loss, planted, net.params, n_directions=4, seed=1, method=method)
    assert not failed.passed and not failed.agrees.any()
    assert "MISMATCH" in str(failed) and "FAILED" in str(failed)
    broken = [gradient[0], (gradient[1][0], np.full_like(gradient[1][1], np.nan))]
    assert not directional_check(loss, broken, net.params, method=method).passed


def test_directional_check_is_seeded():
    net, X, y = problem("tanh", "sigmoid", "cross_entropy")
    args = network_loss(net, X, y), net.gradients(X, y), net.params
    first, again = directional_check(*args, seed=3), directional_check(*args, seed=3)
    np.testing.assert_array_equal(first.numeric, again.numeric)
    assert not np.array_equal(first.numeric, directional_check(*args, seed=4).numeric)


# -- bad input ----------------------------------------------------------------------------------


def test_functions_that_mix_samples_are_refused_by_the_stacked_paths():
    centred = Activation("centred", lambda z: z - z.mean(axis=0), lambda z, a: np.ones_like(z))
    batch_sized = Cost(
        "batch_sized", lambda a, y: len(a) * ((a - y) ** 2).sum(axis=-1), lambda a, y: a - y
    )
    X, y = np.ones((3, 2)), np.zeros((3, 1))
    X[0, 0] = 2.0
    advice = r"for network_gradient; use numerical_gradient\(network_loss\(...\)\)"
    with pytest.raises(
        ValueError,
        match=r"activations\[0\] \('centred'\) must act on each sample \(row\) separately "
        + advice,
    ):
        network_gradient(Network([2, 2, 1], [centred, "identity"], "squared_error"), X, y)
    with pytest.raises(
        ValueError,
        match=r"cost 'batch_sized' must give each sample's cost from its own row " + advice,
    ):
        network_gradient(Network([2, 1], "identity", batch_sized), X, y)
    # Two samples are enough to see it; one sample cannot mix with another.
    with pytest.raises(ValueError, match="cost 'batch_sized'"):
        network_gradient(Network([2, 1], "identity", batch_sized), X[:2], y[:2])
    assert network_gradient(Network([2, 1], "identity", batch_sized), X[:1], y[:1]).method


def test_a_loss_that_is_not_finite_is_refused_with_its_value():
    net = Network([2, 1], "identity", "squared_error", seed=0)
    # z = 1e155 is finite; its squared error, 5e309, is not.
    X, y = np.array([[1e155, 0.0]]), np.zeros((1, 1))
    net.params = [(np.array([[1.0, 0.0]]), np.zeros(1))]
    with pytest.raises(ValueError, match=r"the network's loss must be finite on \(X, y\), got inf"):
        network_gradient(net, X, y)


@pytest.mark.parametrize("method", ["central", "complex", "richardson"])
def test_the_result_names_its_method(method):
    net, X, y = problem("tanh", "sigmoid", "cross_entropy")
    assert network_gradient(net, X, y, method=method).method == method


def quadratic(p):
    return np.sum(p[0] ** 2)


X1 = [np.array([1.0, 2.0])]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: numerical_gradient(quadratic, X1, method="forward"),
            ValueError,
            r"`method` must be one of 'central', 'complex', 'richardson', got 'forward'",
        ),
        (
            lambda: numerical_gradient(quadratic, X1, step=0.0),
            ValueError,
            r"`step` must be a finite number > 0 or None, got 0.0",
        ),
        (
            lambda: numerical_gradient(quadratic, X1, step=True),
            TypeError,
            r"`step` must be a finite number > 0 or None, got True",
        ),
        (lambda: numerical_gradient("loss", X1), TypeError, r"`loss` must be callable, got str"),
        (
            lambda: numerical_gradient(quadratic, []),
            ValueError,
            r"`params` must be a list holding at least one array, got an empty list",
        ),
        (
            lambda: numerical_gradient(quadratic, np.ones(3)),
            TypeError,
            r"`params` must be a list of arrays or of \(W, b\) pairs of arrays, got ndarray",
        ),
        (
            lambda: numerical_gradient(quadratic, [[1.0, 2.0]]),
            TypeError,
            r"`params\[0\]` must be an array of real floating-point numbers, got list",
        ),
        (
            lambda: numerical_gradient(quadratic, [np.arange(3)]),
            TypeError,
            r"`params\[0\]` must be an array of real floating-point numbers, got dtype int64",
        ),
        (
            lambda: numerical_gradient(quadratic, [(np.ones(2), np.array([1.0, np.nan]))]),
            ValueError,
            r"`params\[0\]\[1\]` must be finite, got 1 NaN/Inf entries",
        ),
        (
            lambda: numerical_gradient(lambda p: p[0], X1),
            TypeError,
            r"loss must return a scalar, got ndarray of shape \(2,\)",
        ),
        (
            lambda: numerical_gradient(lambda p: np.log(p[0][0] - 1), X1),
            ValueError,
            r"loss must be finite at params, got -inf",
        ),
        (
            lambda: numerical_gradient(
                lambda p: float(np.sum(p[0].real ** 2)), X1, method="complex"
            ),
            TypeError,
            r"loss must propagate complex parameters for method='complex'",
        ),
        (
            lambda: numerical_gradient(lambda p: np.sum(p[0]) + 0j, X1),
            TypeError,
            r"loss must return a real scalar for real parameters",
        ),
        (
            lambda: network_gradient("net", np.ones((1, 2)), np.ones((1, 1))),
            TypeError,
            r"`network` must be a numeric.Network, got str",
        ),
        (
            lambda: network_gradient(Network([2, 1]), np.ones((1, 2)), [0.5], perturb="weights"),
            ValueError,
            r"`perturb` must be one of 'parameters', 'preactivations', got 'weights'",
        ),
        (
            lambda: network_gradient(Network([2, 1]), np.ones((1, 2)), [0.5], method="fwd"),
            ValueError,
            r"`method` must be one of 'central', 'complex', 'richardson', got 'fwd'",
        ),
        (
            lambda: network_gradient(Network([2, 1]), np.ones((1, 2)), [0.5], chunk=0),
            ValueError,
            r"`chunk` must be an int >= 1 or None, got 0",
        ),
        (
            lambda: network_gradient(Network([2, 1]), np.ones((1, 2)), [0.5], chunk=2.0),
            TypeError,
            r"`chunk` must be an int >= 1 or None, got 2.0",
        ),
        (
            lambda: network_gradient(Network([2, 1]), np.ones((1, 3)), [0.5]),
            ValueError,
            r"`X` must be of shape \(n_samples, 2\), got \(1, 3\)",
        ),
        (
            lambda: directional_check(quadratic, X1, X1, n_directions=0),
            ValueError,
            r"`n_directions` must be an int >= 1, got 0",
        ),
        (
            lambda: directional_check(quadratic, [np.ones(3)], X1),
            ValueError,
            r"`grad` must be shaped like `params`, got shapes \[\(3,\)\] for \[\(2,\)\]",
        ),
        (
            lambda: directional_check(quadratic, X1, X1, method="exact"),
            ValueError,
            r"`method` must be one of .*, got 'exact'",
        ),
    ],
)
def test_bad_input_is_refused_clearly(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("method", METHODS)
def test_directional_check_in_float32(method):
    net, X, y = problem("tanh", "identity", "squared_error", sizes=(3, 5, 2), dtype=np.float32)
    loss, gradient = network_loss(net, X, y), net.gradients(X, y)
    assert directional_check(loss, gradient, net.params, n_directions=5, method=method).passed
    planted = [(gradient[0][0], 1.05 * gradient[0][1]), gradient[1]]
    assert not directional_check(loss, planted, net.params, n_directions=5, method=method).passed
