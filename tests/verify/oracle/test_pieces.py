"""Checks of one piece: activations (elementwise, Jacobians, vector-Jacobian products), costs and
dense layers, against finite differences of the piece's own function (``gradcheck``)."""

from __future__ import annotations

import numpy as np
import pytest

import numeric
import verify
from tests.verify.oracle import implementations as impl
from verify.oracle.pieces import MARGIN, check_activation, check_cost, check_layer

SEEDS = range(4)


def only(report):
    return {(f.layer, f.param): f.kind for f in report.findings}


# -- activations -----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", SEEDS)
def test_correct_elementwise_derivatives_pass(seed, dtype):
    cases = [
        (impl.sigmoid, lambda a: a * (1 - a), "a"),
        (np.tanh, lambda z: 1 - np.tanh(z) ** 2, "z"),
        (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(z.dtype), "z"),
    ]
    for fn, grad, of in cases:
        report = check_activation(fn, grad, of=of, seed=seed, dtype=dtype)
        assert report.passed and only(report) == {(1, "z"): "ok"}, str(report)


@pytest.mark.parametrize("name", ["selu", "gelu", "elu", "softplus", "leaky_relu"])
def test_the_catalogue_activations_pass_as_pieces(name):
    act = numeric.ACTIVATIONS[name]
    report = check_activation(act.function, lambda z: act.derivative(z, act(z)))
    assert report.passed, str(report)


def test_inputs_stay_away_from_the_kink_at_zero():
    seen = []
    check_activation(lambda z: seen.append(z.copy()) or z, lambda z: np.ones_like(z))
    assert min(np.abs(z).min() for z in seen if not np.iscomplexobj(z)) >= MARGIN


def test_a_wrong_derivative_is_a_mismatch_and_a_factor_a_scale():
    report = check_activation(np.tanh, lambda z: 1 - np.tanh(z))  # 1 - t, not 1 - t^2
    assert only(report) == {(1, "z"): "mismatch"}
    report = check_activation(impl.sigmoid, lambda a: 2 * a * (1 - a), of="a")
    assert only(report) == {(1, "z"): "scale"} and report.findings[0].factor == pytest.approx(2)


def test_softmax_through_its_vector_jacobian_product():
    assert check_activation(impl.softmax, impl.softmax_backward, vjp=True).passed
    report = check_activation(impl.softmax, impl.softmax_backward_diagonal, vjp=True)
    assert only(report) == {(1, "z"): "mismatch"}
    # From the output, as backward passes that cache a are written.
    from_output = lambda a, g: a * (g - (g * a).sum(axis=1, keepdims=True))  # noqa: E731
    assert check_activation(impl.softmax, from_output, vjp=True, of="a").passed


def test_softmax_through_its_jacobians():
    def jacobians(z):
        a = impl.softmax(z)
        return np.einsum("si,ij->sij", a, np.eye(a.shape[1])) - a[:, :, None] * a[:, None, :]

    assert check_activation(impl.softmax, jacobians).passed


def test_an_elementwise_derivative_of_softmax_is_the_diagonal_only():
    report = check_activation(impl.softmax, lambda a: a * (1 - a), of="a")
    assert only(report) == {(1, "z"): "mismatch"}
    assert report.settings["elementwise"] is False
    assert "keeps only the diagonal" in report.summary


def test_a_backward_that_overwrites_its_upstream_gradient_is_a_mutation():
    def relu_backward(z, dout):
        dout[z <= 0] = 0  # in place: the caller's upstream gradient is changed
        return dout

    report = check_activation(lambda z: np.maximum(z, 0), relu_backward, vjp=True)
    assert [f.kind for f in report.failures()] == ["mutation"]
    assert "grad modified its input g" in report.failures()[0].detail
    assert only(report)[(1, "z")] == "ok"  # the values themselves are right


def test_expected_names_the_parameter_or_the_other_function():
    leaky = lambda z: np.where(z > 0, z, 0.2 * z)  # noqa: E731
    report = check_activation(leaky, lambda z: np.where(z > 0, 1.0, 0.2), expected="leaky_relu")
    assert only(report) == {(1, "z"): "ok", (1, "a"): "mismatch"}
    assert report.finding(1, "a").detail == "fn is leaky_relu(0.2), not leaky_relu(0.01)"
    elu = lambda z: np.where(z > 0, z, 0.5 * np.expm1(np.minimum(z, 0)))  # noqa: E731
    report = check_activation(elu, lambda z: np.where(z > 0, 1.0, 0.5 * np.exp(z)), expected="elu")
    assert report.finding(1, "a").detail == "fn is elu(0.5), not elu(1.0)"
    report = check_activation(np.tanh, lambda z: 1 - np.tanh(z) ** 2, expected="sigmoid")
    assert report.finding(1, "a").detail.startswith("fn is not sigmoid: at z = ")
    report = check_activation(
        leaky, lambda z: np.where(z > 0, 1.0, 0.2), expected="leaky_relu(0.2)"
    )
    assert report.passed


def test_activation_errors_name_the_argument():
    with pytest.raises(TypeError, match="`fn` must be callable, got int"):
        check_activation(1, np.tanh)
    with pytest.raises(ValueError, match="`of` must be one of 'z', 'a', got 'x'"):
        check_activation(np.tanh, np.tanh, of="x")
    with pytest.raises(ValueError, match=r"`shape` must be a pair of ints >= 1, got \(0, 3\)"):
        check_activation(np.tanh, np.tanh, shape=(0, 3))
    report = check_activation(lambda z: 1 / 0, np.tanh)
    assert [f.kind for f in report.findings] == ["exception"]


# -- costs -----------------------------------------------------------------------------------------


def test_a_cost_gradient_consistent_with_its_loss_passes_and_its_convention_is_named():
    mse = impl.MeanSquaredError()
    report = check_cost(mse.forward, lambda a, y: 2 * (a - y) / a.size, cost="squared_error")
    assert report.passed
    assert (
        "(= 2/n_outputs: no 1/2 in the squared error and a mean over the outputs;" in report.summary
    )
    half = check_cost(
        lambda a, y: 0.5 * np.sum((a - y) ** 2) / len(a),
        lambda a, y: (a - y) / len(a),
        cost="squared_error",
    )
    assert half.passed and "Your loss equals chainrule's 'squared_error'" in half.summary


def test_a_gradient_of_the_sum_over_outputs_for_a_loss_averaging_them_is_n_outputs():
    mse = impl.MeanSquaredError()
    report = check_cost(
        mse.forward, lambda a, y: 2 * (a - y) / len(a), cost="squared_error", shape=(4, 3)
    )
    assert only(report) == {(1, "a"): "scale"}
    assert report.findings[0].factor == pytest.approx(3)
    assert "n_outputs" in report.findings[0].detail


@pytest.mark.parametrize("targets", ["soft", "one_hot", "labels"])
def test_categorical_cross_entropy_on_logits_for_every_target_kind(targets):
    def loss(z, y):
        shifted = z - z.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        rows = np.eye(z.shape[1])[y] if y.ndim == 1 else y
        return -np.mean(np.sum(rows * log_p, axis=1))

    def grad(z, y):
        rows = np.eye(z.shape[1])[y] if y.ndim == 1 else y
        return (impl.softmax(z) - rows) / len(z)

    report = check_cost(
        loss, grad, cost="categorical_cross_entropy", from_logits=True, targets=targets
    )
    assert report.passed, str(report)
    assert "Your loss equals chainrule's" in report.summary


def test_a_cross_entropy_that_needs_hard_targets_is_said_to():
    bce = impl.BinaryCrossEntropy(strict=True)
    grad = lambda a, y: (bce.backward(a, y), bce.dinputs)[1]  # noqa: E731
    report = check_cost(bce.forward, grad, cost="cross_entropy")
    assert [f.kind for f in report.findings] == ["exception"]
    assert "On one-hot (0/1) targets it passes" in report.summary
    assert check_cost(bce.forward, grad, cost="cross_entropy", targets="one_hot").passed


def test_cost_arguments():
    with pytest.raises(ValueError, match="`targets` must be 'soft' without a `cost`"):
        check_cost(lambda a, y: 0.0, lambda a, y: a, targets="labels")
    with pytest.raises(ValueError, match="`targets` must be one of 'soft', 'one_hot', 'labels'"):
        check_cost(lambda a, y: 0.0, lambda a, y: a, targets="hard")
    with pytest.raises(
        ValueError, match="`targets` must be 'soft' or 'one_hot' for a cost on real"
    ):
        check_cost(lambda a, y: 0.0, lambda a, y: a, cost="squared_error", targets="labels")


# -- dense layers ----------------------------------------------------------------------------------


def rows_forward(x, W, b):
    return x @ W.T + b


def rows_backward(g, x, W, b):
    return g @ W, g.T @ x, g.sum(axis=0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", SEEDS)
def test_dense_layers_pass_in_every_pair_layout(seed, dtype):
    assert check_layer(rows_forward, rows_backward, seed=seed, dtype=dtype).passed
    in_out = check_layer(
        lambda x, W, b: x @ W + b,
        lambda g, x, W, b: (g @ W.T, x.T @ g, g.sum(axis=0, keepdims=True)),
        layout="in_out",
        seed=seed,
        dtype=dtype,
    )
    assert in_out.passed, str(in_out)
    columns = check_layer(
        lambda x, W, b: W @ x + b,
        lambda g, x, W, b: (W.T @ g, g @ x.T, g.sum(axis=1, keepdims=True)),
        layout="columns",
        seed=seed,
        dtype=dtype,
    )
    assert columns.passed, str(columns)


def test_planted_layer_faults_are_named():
    averaged = check_layer(
        rows_forward, lambda g, x, W, b: (g @ W, g.T @ x / len(x), g.sum(axis=0))
    )
    assert only(averaged) == {(0, "a"): "ok", (1, "W"): "scale", (1, "b"): "ok"}
    assert "1/n_samples" in averaged.finding(1, "W").detail
    transposed = check_layer(rows_forward, lambda g, x, W, b: (g @ W, x.T @ g, g.sum(axis=0)))
    assert only(transposed)[(1, "W")] == "transpose"
    no_input = check_layer(
        rows_forward, lambda g, x, W, b: (g @ W.T @ W @ W.T, g.T @ x, g.sum(axis=0)), n_inputs=4
    )
    assert only(no_input)[(0, "a")] == "mismatch"


def test_a_layer_with_an_activation_inside_is_said_to_be_no_dense_layer():
    report = check_layer(
        lambda x, W, b: np.tanh(x @ W.T + b),
        lambda g, x, W, b: (
            (g * (1 - np.tanh(x @ W.T + b) ** 2)) @ W,
            *rows_backward(g * (1 - np.tanh(x @ W.T + b) ** 2), x, W, b)[1:],
        ),
    )
    assert only(report) == {(0, "a"): "ok", (1, "W"): "ok", (1, "b"): "ok", (1, "z"): "mismatch"}
    assert "forward is not x W^T + b" in report.finding(1, "z").detail


def test_layer_objects_through_layer_functions():
    names = {"weights": "weights", "biases": "biases", "weight_grads": "dweights"}
    names["bias_grads"] = "dbiases"
    forward, backward = verify.layer_functions(impl.Dense(3, 4), **names)
    assert check_layer(forward, backward, layout="in_out").passed
    faulty = verify.layer_functions(impl.Dense(3, 4, bug="bias_not_summed"), **names)
    report = check_layer(*faulty, layout="in_out", n_samples=5)
    assert only(report)[(1, "b")] == "scale" and report.finding(1, "b").factor == pytest.approx(
        1 / 5
    )
    updating = verify.layer_functions(
        impl.SelfUpdatingDense(3, 4, 0.1),
        forward="forward_pass",
        backward="backward_pass",
        weights="W",
        biases="w0",
        learning_rate=0.1,
    )
    assert check_layer(*updating, layout="in_out").passed


def test_layer_arguments():
    with pytest.raises(
        ValueError, match="`layout` must be a layout that gives each layer's parameters as a"
    ):
        check_layer(rows_forward, rows_backward, layout="nielsen")
    with pytest.raises(ValueError, match="`n_inputs` must be an int >= 1, got 0"):
        check_layer(rows_forward, rows_backward, n_inputs=0)
