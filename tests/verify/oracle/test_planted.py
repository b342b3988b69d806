"""Planted faults in every style of backprop code, named right: kind, layer, parameter, and the
factor, coefficient or parameter value, with the cause the diagnosis confirms.

Each fault is one a correct-looking implementation can have, among them every case the oracle
used to misname: a leaky ReLU slope other than the catalogue's, an L2 term (on the biases too),
a softmax cross-entropy that argmaxes its targets, one that refuses soft targets, PyTorch's
CrossEntropyLoss behind an identity output, MSELoss and BCELoss at output counts that collide with
other factors, and a softmax backward that keeps only the Jacobian's diagonal.
"""

from __future__ import annotations

import numpy as np
import pytest

import verify
from tests.verify.oracle import implementations as impl
from verify.adapters import scalar_grad_fn
from verify.oracle.check import check_gradients

IN_OUT = {"weights": "weights", "biases": "biases", "weight_grads": "dweights"}
IN_OUT["bias_grads"] = "dbiases"
TANH_NET = {"sizes": [3, 5, 4], "activations": ["tanh", "identity"], "layout": "in_out"}
MSE = verify.convention("torch.MSELoss")


def kinds(report):
    return {(f.layer, f.param): f.kind for f in report.findings}


def layer_net(*layers, loss=None):
    return verify.layers_grad_fn(list(layers), loss or impl.MeanSquaredError(), **IN_OUT)


# -- layer classes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_l2_on_weights_and_biases_is_named_with_its_coefficient(dtype):
    grad_fn = layer_net(
        impl.Dense(3, 5, l2=5e-4, l2_biases=True),
        impl.Tanh(),
        impl.Dense(5, 4, l2=5e-4, l2_biases=True),
    )
    report = check_gradients(grad_fn, **TANH_NET, **MSE, dtype=dtype)
    assert set(kinds(report).values()) == {"mismatch"}
    assert "coefficient c = 0.001 on the weights and the biases" in report.summary
    assert "Declare l2=0.001, l2_biases=True: with it the check passes" in report.summary
    assert "output delta" not in report.summary  # the old reading, now replaced
    assert report.finding(2, "b").detail == "the gradient + 0.001 x b^2: an L2 term"
    assert check_gradients(grad_fn, **TANH_NET, **MSE, l2=1e-3, l2_biases=True, dtype=dtype).passed


def test_l2_on_weights_only_says_the_biases_carry_none():
    grad_fn = layer_net(impl.Dense(3, 5, l2=5e-4), impl.Tanh(), impl.Dense(5, 4, l2=5e-4))
    report = check_gradients(grad_fn, **TANH_NET, **MSE)
    assert kinds(report) == {
        (1, "W"): "mismatch",
        (1, "b"): "ok",
        (2, "W"): "mismatch",
        (2, "b"): "ok",
    }
    assert "coefficient c = 0.001 on the weights only" in report.summary
    assert "Declare l2=0.001, l2_biases=False" in report.summary
    assert check_gradients(grad_fn, **TANH_NET, **MSE, l2=1e-3).passed


@pytest.mark.parametrize("slope", [0.2, 0.3])
def test_a_leaky_relu_slope_other_than_the_declared_one_is_fitted(slope):
    layers = [impl.Dense(3, 5), impl.LeakyReLU(slope), impl.Dense(5, 4)]
    grad_fn = layer_net(*layers)
    network = {**TANH_NET, "activations": ["leaky_relu", "identity"]}
    report = check_gradients(grad_fn, **network, **MSE)
    assert set(kinds(report).values()) == {"mismatch"}
    assert (
        f"exactly that of leaky_relu({slope}) where leaky_relu(0.01) is declared" in report.summary
    )
    assert f"the gradient of leaky_relu({slope})" in report.finding(1, "W").detail
    with_forward = check_gradients(
        grad_fn, **network, **MSE, forward=lambda params, X: _forward(layers, params, X)
    )
    assert "Your forward pass uses that parameter too" in with_forward.summary
    assert f"activations=['leaky_relu({slope})', 'identity']" in with_forward.summary
    declared = {**network, "activations": [f"leaky_relu({slope})", "identity"]}
    assert check_gradients(grad_fn, **declared, **MSE).passed


def _forward(layers, params, X):
    for layer, (W, b) in zip([layers[0], layers[2]], params):
        layer.weights, layer.biases = W, b
    return impl.forward_through(layers, X)


def test_a_slope_undeclared_together_with_a_cost_convention_names_both():
    grad_fn = layer_net(impl.Dense(3, 5), impl.LeakyReLU(0.2), impl.Dense(5, 4))
    report = check_gradients(
        grad_fn, **{**TANH_NET, "activations": ["leaky_relu", "identity"]}, cost="squared_error"
    )
    assert "exactly 0.5 x that of leaky_relu(0.2)" in report.summary
    assert "2/n_outputs" in report.summary
    assert "declare cost_scale=2, output_reduction='mean'" in report.summary


def test_a_backward_slope_unlike_the_forward_one_is_a_backward_bug():
    layers = [impl.Dense(3, 5), impl.LeakyReLU(0.2, backward_slope=0.3), impl.Dense(5, 4)]
    report = check_gradients(
        layer_net(*layers),
        **{**TANH_NET, "activations": ["leaky_relu(0.2)", "identity"]},
        **MSE,
        forward=lambda params, X: _forward(layers, params, X),
    )
    assert not report.passed
    assert "Your forward pass computes the declared network" in report.summary
    assert "the error is in your backward pass" in report.summary


def test_a_softmax_cross_entropy_that_argmaxes_its_targets_is_a_hard_label_assumption():
    grad_fn = layer_net(
        impl.Dense(3, 5), impl.Tanh(), impl.Dense(5, 4), loss=impl.SoftmaxCrossEntropy()
    )
    options = {**TANH_NET, "cost": "categorical_cross_entropy", "from_logits": True}
    report = check_gradients(grad_fn, **options)
    assert set(kinds(report).values()) == {"mismatch"}
    assert "On one-hot (0/1) targets it passes: your code assumes hard labels" in report.summary
    assert report.settings["diagnosis_runs"] == ["targets='one_hot'"]
    assert check_gradients(grad_fn, **options, targets="one_hot").passed


def test_a_cross_entropy_that_refuses_soft_targets_is_checked_on_hard_ones():
    grad_fn = layer_net(
        impl.Dense(3, 5),
        impl.Tanh(),
        impl.Dense(5, 4),
        impl.Sigmoid(),
        loss=impl.BinaryCrossEntropy(strict=True),
    )
    options = {**TANH_NET, "activations": ["tanh", "sigmoid"], **verify.convention("torch.BCELoss")}
    report = check_gradients(grad_fn, **options)
    (finding,) = report.findings
    assert finding.kind == "exception" and "targets must be 0 or 1" in finding.detail
    assert "On one-hot (0/1) targets it passes" in report.summary
    assert check_gradients(grad_fn, **options, targets="one_hot").passed


def test_a_loss_that_forgets_the_mean_is_n_samples_confirmed_at_another_batch_size():
    grad_fn = layer_net(
        impl.Dense(3, 5),
        impl.Tanh(),
        impl.Dense(5, 4),
        loss=impl.SoftmaxCrossEntropy(bug="no_mean"),
    )
    options = {**TANH_NET, "cost": "categorical_cross_entropy", "from_logits": True}
    report = check_gradients(grad_fn, **options, targets="one_hot")
    assert set(kinds(report).values()) == {"scale"}
    n_samples = report.settings["n_samples"]
    assert n_samples == 6  # not 8: twice the 4 outputs would make the factor ambiguous
    assert all(f.factor == pytest.approx(n_samples) for f in report.findings)
    assert (
        "n_samples: a sum over the batch where the mean is declared"
        in report.finding(1, "W").detail
    )
    assert "confirmed at n_samples=5 (factor 5)" in report.finding(1, "W").detail
    assert "declare reduction='sum': with it the check passes" in report.summary


def test_a_bias_averaged_where_the_layer_should_sum_is_a_bias_only_factor():
    grad_fn = layer_net(
        impl.Dense(3, 5, bug="bias_not_summed"),
        impl.Tanh(),
        impl.Dense(5, 4, bug="bias_not_summed"),
    )
    report = check_gradients(grad_fn, **TANH_NET, **MSE)
    assert kinds(report) == {(1, "W"): "ok", (1, "b"): "scale", (2, "W"): "ok", (2, "b"): "scale"}
    assert report.finding(1, "b").factor == pytest.approx(1 / report.settings["n_samples"])
    assert (
        "Every bias gradient is scaled by 0.166667 (= 1/n_samples: a mean over the batch where "
        "the sum is declared; confirmed at n_samples=5 (factor 0.2)) while the weight "
        "gradients are right"
    ) in report.summary
    assert "declare reduction" not in report.summary  # no convention averages only the biases


def test_a_softmax_backward_with_only_the_diagonal_hides_behind_a_matching_cost_error():
    # Whole network: the two wrong pieces cancel to (a - y) / n, and the check passes.
    grad_fn = layer_net(
        impl.Dense(3, 5),
        impl.Tanh(),
        impl.Dense(5, 4),
        impl.Softmax(bug="diagonal"),
        loss=impl.SigmoidStyleCrossEntropy(),
    )
    network = {**TANH_NET, "activations": ["tanh", "softmax"], "cost": "categorical_cross_entropy"}
    assert check_gradients(grad_fn, **network).passed
    # Each piece on its own: both wrong, plainly.
    activation = verify.check_activation(impl.softmax, impl.softmax_backward_diagonal, vjp=True)
    assert kinds(activation) == {(1, "z"): "mismatch"}
    cost = impl.SigmoidStyleCrossEntropy()
    grad = lambda a, y: (cost.backward(a, y), cost.dinputs)[1]  # noqa: E731
    report = verify.check_cost(cost.forward, grad, cost="categorical_cross_entropy")
    assert kinds(report) == {(1, "a"): "mismatch"}
    assert verify.check_activation(impl.softmax, impl.softmax_backward, vjp=True).passed


def test_layers_that_update_themselves_give_their_gradient_through_the_step():
    layers = [
        impl.SelfUpdatingDense(3, 5, 0.01),
        impl.TanhPass(),
        impl.SelfUpdatingDense(5, 4, 0.01),
    ]
    loss = impl.SquareLoss()
    names = {"forward": "forward_pass", "backward": "backward_pass", "weights": "W", "biases": "w0"}
    good = verify.layers_grad_fn(
        layers, lambda a, y: loss.gradient(y, a), **names, learning_rate=0.01
    )
    assert check_gradients(good, **TANH_NET, cost="squared_error", reduction="sum").passed
    # Told the wrong learning rate, the recovered gradient is off by their ratio, and says so.
    wrong = verify.layers_grad_fn(
        layers, lambda a, y: loss.gradient(y, a), **names, learning_rate=0.02
    )
    report = check_gradients(wrong, **TANH_NET, cost="squared_error", reduction="sum")
    assert set(kinds(report).values()) == {"scale"}
    assert report.finding(2, "W").factor == pytest.approx(0.5)


# -- per-sample lists ------------------------------------------------------------------------------

PER_SAMPLE = {"sizes": [3, 5, 4, 2], "activations": "sigmoid", "layout": "nielsen"}


def test_a_derivative_taken_at_the_output_instead_of_z_locates_the_layer():
    net = impl.PerSampleNetwork([3, 5, 4, 2], bug="prime_of_a")
    report = check_gradients(verify.per_sample_grad_fn(net), **PER_SAMPLE, cost="squared_error")
    assert kinds(report) == {
        (1, "W"): "mismatch",
        (1, "b"): "mismatch",
        (2, "W"): "mismatch",
        (2, "b"): "mismatch",
        (3, "W"): "ok",
        (3, "b"): "ok",
    }
    assert "backward step into layer 2" in report.summary


def _per_sample_output(net, params, X):
    a = X
    for b, W in zip(*params):
        a = impl.sigmoid(W @ a + b)
    return a


def test_a_missing_output_derivative_is_told_apart_from_a_different_function():
    net = impl.PerSampleNetwork([3, 5, 4, 2], bug="no_output_derivative")

    def loss(params, X, y):  # the declared cost, computed by the user's own forward pass
        return 0.5 * np.sum((_per_sample_output(net, params, X) - y) ** 2) / X.shape[1]

    report = check_gradients(
        verify.per_sample_grad_fn(net),
        **PER_SAMPLE,
        cost="squared_error",
        forward=lambda params, X: _per_sample_output(net, params, X),
        loss=loss,
    )
    assert set(kinds(report).values()) == {"mismatch"}
    assert "Your forward pass computes the declared network (to rounding)" in report.summary
    assert "Your loss equals the declared cost." in report.summary
    assert "not the derivative of your own loss either" in report.summary
    assert "your backward pass is wrong" in report.summary


def test_a_network_unlike_the_declared_one_is_a_different_function():
    net = impl.PerSampleNetwork([3, 5, 4, 2])  # sigmoid layers, declared tanh
    report = check_gradients(
        verify.per_sample_grad_fn(net),
        **{**PER_SAMPLE, "activations": "tanh"},
        cost="squared_error",
        forward=lambda params, X: _per_sample_output(net, params, X),
    )
    assert not report.passed
    assert "Your network computes a different function from the declared one" in report.summary


def test_the_update_step_of_a_per_sample_network_gives_its_gradient():
    net = impl.PerSampleNetwork([3, 5, 2])

    def from_step(params, X, y, eta=0.5):
        net.biases, net.weights = map(list, params)
        net.update_mini_batch(list(zip(X.T[..., None], y.T[..., None])), eta=eta)
        return verify.gradients_from_update(params, (net.biases, net.weights), 0.5)

    options = {"sizes": [3, 5, 2], "activations": "sigmoid", "cost": "squared_error"}
    assert check_gradients(from_step, **options, layout="nielsen").passed
    report = check_gradients(lambda *a: from_step(*a, eta=-0.5), **options, layout="nielsen")
    assert set(kinds(report).values()) == {"sign"}  # a step uphill: the negated gradient


# -- scikit-learn style ----------------------------------------------------------------------------


def coefs_grad_fn(mlp):
    def grad_fn(params, X, y):
        mlp.coefs_, mlp.intercepts_ = map(list, zip(*params))
        return list(zip(*mlp._backprop(X, y)[1:]))

    return grad_fn


SKLEARN = {"sizes": [3, 5, 2], "activations": ["tanh", "identity"], "cost": "squared_error"}


def test_scikit_learns_alpha_is_an_l2_coefficient_divided_by_the_batch():
    grad_fn = coefs_grad_fn(impl.CoefsMLP(alpha=1e-4))
    report = check_gradients(grad_fn, **SKLEARN, layout="sklearn")
    assert kinds(report) == {
        (1, "W"): "mismatch",
        (1, "b"): "ok",
        (2, "W"): "mismatch",
        (2, "b"): "ok",
    }
    assert "coefficient c = 1.25e-05 on the weights only" in report.summary
    assert "alpha / n_samples with alpha = 0.0001" in report.summary
    assert check_gradients(grad_fn, **SKLEARN, layout="sklearn", l2=1e-4, l2_per_sample=True).passed


def test_a_transposed_coefficient_gradient():
    report = check_gradients(
        coefs_grad_fn(impl.CoefsMLP(bug="transposed")), **SKLEARN, layout="sklearn"
    )
    assert kinds(report) == {(1, "W"): "transpose", (1, "b"): "ok", (2, "W"): "ok", (2, "b"): "ok"}


# -- a scalar autograd engine ----------------------------------------------------------------------

SCALAR = {"sizes": [3, 4, 2], "activations": ["tanh", "identity"]}


def test_a_wrong_tanh_derivative_in_the_engine(monkeypatch):
    monkeypatch.setattr(impl.Value, "bug", "tanh")
    grad_fn = scalar_grad_fn(impl.MLP([3, 4, 2]), impl.sum_of_squares)
    report = check_gradients(grad_fn, **SCALAR, **verify.convention("sum_of_squares"))
    assert kinds(report) == {
        (1, "W"): "mismatch",
        (1, "b"): "mismatch",
        (2, "W"): "ok",
        (2, "b"): "ok",
    }
    assert "backward step into layer 1" in report.summary


def test_an_undeclared_sum_of_squares_is_named_and_declared():
    grad_fn = scalar_grad_fn(impl.MLP([3, 4, 2]), impl.sum_of_squares)
    report = check_gradients(grad_fn, **SCALAR, cost="squared_error")
    assert set(kinds(report).values()) == {"scale"}
    assert report.findings[0].factor == pytest.approx(16)
    detail = report.findings[0].detail
    assert "2*n_samples: no 1/2 in the squared error and a sum over the batch" in detail
    assert "declare cost_scale=2, reduction='sum': with it the check passes" in report.summary


# -- PyTorch ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch", reason="needs torch (the [peers] extra)")


def tanh_model(torch, n_outputs, tail=()):
    nn = torch.nn
    return nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, n_outputs), *tail)


@pytest.mark.parametrize("n_outputs", [4, 8])
def test_mse_loss_is_two_over_n_outputs_whatever_the_output_count(torch, n_outputs):
    from verify.adapters import torch_grad_fn

    report = check_gradients(
        torch_grad_fn(tanh_model(torch, n_outputs), torch.nn.MSELoss()),
        sizes=[3, 5, n_outputs],
        activations=["tanh", "identity"],
        cost="squared_error",
    )
    assert set(kinds(report).values()) == {"scale"}
    assert report.settings["n_samples"] not in (n_outputs, 2 * n_outputs, n_outputs / 2)
    detail = report.findings[0].detail
    assert "(= 2/n_outputs: no 1/2 in the squared error and a mean over the outputs;" in detail
    assert "1/2:" not in detail and "n_samples:" not in detail
    assert "declare cost_scale=2, output_reduction='mean'" in report.summary


@pytest.mark.parametrize("n_outputs", [2, 3])
def test_mse_loss_declared_passes_at_every_output_count(torch, n_outputs):
    from verify.adapters import torch_grad_fn, torch_options

    model, loss = tanh_model(torch, n_outputs), torch.nn.MSELoss()
    assert check_gradients(torch_grad_fn(model, loss), **torch_options(model, loss)).passed


def test_bce_loss_at_eight_outputs_is_one_over_n_outputs(torch):
    from verify.adapters import torch_grad_fn

    model = tanh_model(torch, 8, [torch.nn.Sigmoid()])
    report = check_gradients(
        torch_grad_fn(model, torch.nn.BCELoss()),
        sizes=[3, 5, 8],
        activations=["tanh", "sigmoid"],
        cost="cross_entropy",
    )
    assert all(f.factor == pytest.approx(1 / 8) for f in report.findings)
    detail = report.findings[0].detail
    assert "1/n_outputs: a mean over the outputs" in detail and "batch" not in detail
    assert "declare output_reduction='mean': with it the check passes" in report.summary


def test_cross_entropy_loss_behind_an_identity_output(torch):
    from verify.adapters import torch_grad_fn, torch_options

    model, loss = tanh_model(torch, 4), torch.nn.CrossEntropyLoss()
    with pytest.raises(
        ValueError, match=r"applies the softmax itself \(PyTorch's CrossEntropyLoss"
    ):
        check_gradients(
            torch_grad_fn(model, loss),
            sizes=[3, 5, 4],
            activations=["tanh", "identity"],
            cost="categorical_cross_entropy",
        )
    options = torch_options(model, loss)
    assert options["from_logits"] is True and options["activations"] == ["tanh", "identity"]
    assert check_gradients(torch_grad_fn(model, loss), **options, targets="labels").passed


def test_torch_options_refuse_a_model_and_loss_that_do_not_fit(torch):
    from verify.adapters import torch_options

    softmax_twice = tanh_model(torch, 4, [torch.nn.Softmax(dim=1)])
    with pytest.raises(ValueError, match="the softmax is applied twice"):
        torch_options(softmax_twice, torch.nn.CrossEntropyLoss())
    with pytest.raises(ValueError, match="BCELoss, which needs probabilities"):
        torch_options(tanh_model(torch, 2), torch.nn.BCELoss())
    with pytest.raises(ValueError, match="label_smoothing=0"):
        torch_options(tanh_model(torch, 4), torch.nn.CrossEntropyLoss(label_smoothing=0.1))
    with pytest.raises(ValueError, match=r"loss must be one of torch\.nn\.MSELoss"):
        torch_options(tanh_model(torch, 4), torch.nn.L1Loss())


def test_a_custom_autograd_function_with_a_wrong_backward_slope(torch):
    class Leaky(torch.autograd.Function):
        @staticmethod
        def forward(ctx, z):
            ctx.save_for_backward(z)
            return torch.where(z > 0, z, 0.2 * z)

        @staticmethod
        def backward(ctx, grad):
            (z,) = ctx.saved_tensors
            return torch.where(z > 0, grad, 0.02 * grad)  # a typo: 0.02 for 0.2

    def output(tensors, X):
        (W1, b1), (W2, b2) = tensors
        return Leaky.apply(X @ W1.T + b1) @ W2.T + b2

    def grad_fn(params, X, y):
        tensors = [tuple(torch.tensor(a, requires_grad=True) for a in pair) for pair in params]
        torch.nn.functional.mse_loss(output(tensors, torch.tensor(X)), torch.tensor(y)).backward()
        return [tuple(t.grad.numpy() for t in pair) for pair in tensors]

    def forward(params, X):
        tensors = [tuple(torch.tensor(a) for a in pair) for pair in params]
        return output(tensors, torch.tensor(X)).numpy()

    options = {"sizes": [3, 5, 4], "activations": ["leaky_relu(0.2)", "identity"], **MSE}
    report = check_gradients(grad_fn, **options, forward=forward)
    assert kinds(report)[(1, "W")] == "mismatch" and kinds(report)[(2, "W")] == "ok"
    assert "Your forward pass computes the declared network" in report.summary
