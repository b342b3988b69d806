"""The oracle on real implementations: PyTorch autograd, scikit-learn's MLP, a function in a file.

PyTorch and scikit-learn are optional: their tests skip cleanly where they are not installed.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from verify.oracle.adapters import sklearn_architecture
from verify.oracle.check import check_gradients, gradcheck
from verify.oracle.loading import load_function

# -- PyTorch --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def mean_over_samples(loss):
    """A torch loss summed over outputs and averaged over samples: chainrule's convention."""
    return lambda output, target: loss(output, target) / output.shape[0]


def torch_model(torch, hidden, output):
    layers = {
        "sigmoid": torch.nn.Sigmoid,
        "tanh": torch.nn.Tanh,
        "relu": torch.nn.ReLU,
        "softplus": torch.nn.Softplus,
        "leaky_relu": torch.nn.LeakyReLU,
    }
    tail = {"sigmoid": [torch.nn.Sigmoid()], "softmax": [torch.nn.Softmax(dim=1)], "identity": []}
    return torch.nn.Sequential(
        torch.nn.Linear(3, 5),
        layers[hidden](),
        torch.nn.Linear(5, 4),
        layers[hidden](),
        torch.nn.Linear(4, 2),
        *tail[output],
    )


def torch_cost(torch, output):
    functional = torch.nn.functional
    return {
        "sigmoid": ("cross_entropy", functional.binary_cross_entropy),
        "identity": ("squared_error", lambda a, y: 0.5 * ((a - y) ** 2).sum()),
        "softmax": ("categorical_cross_entropy", lambda a, y: -(y * torch.log(a)).sum()),
    }[output]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu", "softplus", "leaky_relu"])
@pytest.mark.parametrize("output", ["sigmoid", "identity", "softmax"])
def test_pytorch_autograd_agrees_with_the_reference(torch, hidden, output, dtype):
    from verify.oracle.adapters import torch_architecture, torch_grad_fn

    model = torch_model(torch, hidden, output)
    sizes, activations = torch_architecture(model)
    assert sizes == [3, 5, 4, 2] and activations == [hidden, hidden, output]
    cost, loss = torch_cost(torch, output)
    if output == "sigmoid":
        loss = lambda a, y, f=loss: f(a, y, reduction="sum")  # noqa: E731
    report = check_gradients(
        torch_grad_fn(model, mean_over_samples(loss)),
        sizes=sizes,
        activations=activations,
        cost=cost,
        dtype=dtype,
        seed=2,
    )
    assert report.passed, str(report)


def test_pytorch_losses_that_average_over_outputs_are_reported_as_scaled(torch):
    from verify.oracle.adapters import torch_grad_fn

    model = torch_model(torch, "tanh", "sigmoid")
    report = check_gradients(
        torch_grad_fn(model, torch.nn.BCELoss()),  # mean over samples *and* outputs
        sizes=[3, 5, 4, 2],
        activations=["tanh", "tanh", "sigmoid"],
        cost="cross_entropy",
    )
    assert {f.kind for f in report.findings} == {"scale"}
    assert all(f.factor == pytest.approx(1 / 2) for f in report.findings)
    assert "1/n_outputs" in report.findings[0].detail
    model = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3))
    report = check_gradients(
        torch_grad_fn(model, torch.nn.MSELoss()),  # no 1/2, mean over outputs too: 2/N^L
        sizes=[3, 5, 3],
        activations=["tanh", "identity"],
        cost="squared_error",
    )
    assert {f.kind for f in report.findings} == {"scale"}
    assert all(f.factor == pytest.approx(2 / 3) for f in report.findings)
    assert "2/n_outputs" in report.findings[0].detail


def test_pytorch_black_box(torch):
    from verify.oracle.adapters import from_torch, torch_loss_and_grad

    torch.manual_seed(0)
    model = torch_model(torch, "tanh", "identity")
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    report = gradcheck(*torch_loss_and_grad(model, torch.nn.MSELoss(), X, y), from_torch(model))
    assert report.passed, str(report)
    assert report.settings["method"] == "richardson"  # mse_loss refuses complex tensors
    report = gradcheck(
        *torch_loss_and_grad(model, lambda a, t: ((a - t) ** 2).mean(), X, y), from_torch(model)
    )
    assert report.passed and report.settings["method"] == "complex"


def test_pytorch_model_errors(torch):
    from verify.oracle.adapters import torch_architecture

    nn = torch.nn
    with pytest.raises(TypeError, match=r"model must be a torch.nn.Sequential, got Linear"):
        torch_architecture(nn.Linear(2, 2))
    with pytest.raises(
        ValueError, match=r"model\[1\] must be one of Linear, Sigmoid, .*got Dropout"
    ):
        torch_architecture(nn.Sequential(nn.Linear(2, 2), nn.Dropout()))
    with pytest.raises(ValueError, match=r"must have approximate in \['tanh'\].*got 'none'"):
        torch_architecture(nn.Sequential(nn.Linear(2, 2), nn.GELU()))
    _, activations = torch_architecture(nn.Sequential(nn.Linear(2, 2), nn.LeakyReLU(0.2)))
    assert activations == ["leaky_relu(0.2)"]  # a slope of its own, carried into the name
    with pytest.raises(ValueError, match="must be a Linear layer with a bias, got bias=False"):
        torch_architecture(nn.Sequential(nn.Linear(2, 2, bias=False)))
    with pytest.raises(ValueError, match="Linear layers must chain: layer 2 takes 3 inputs"):
        torch_architecture(nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(3, 1)))
    sizes, activations = torch_architecture(nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1)))
    assert (sizes, activations) == ([2, 3, 1], ["identity", "identity"])


# -- scikit-learn ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def neural_network():
    pytest.importorskip("sklearn")
    from sklearn import neural_network

    return neural_network


@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu", "identity"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sklearn_regressor_gradient_is_right_for_half_the_sum_of_squares(
    neural_network, activation, dtype
):
    from verify.oracle.adapters import sklearn_grad_fn

    mlp = neural_network.MLPRegressor(hidden_layer_sizes=(5, 4), activation=activation, alpha=0)
    architecture = sklearn_architecture(mlp, 3, 3)
    assert architecture["cost"] == "squared_error"
    report = check_gradients(
        sklearn_grad_fn(mlp), **architecture, layout="sklearn", dtype=dtype, seed=1
    )
    assert report.passed, str(report)
    assert not hasattr(mlp, "coefs_")  # the adapter works on a clone


@pytest.mark.parametrize(("n_outputs", "out_activation"), [(1, None), (3, None), (3, "logistic")])
def test_sklearn_classifier_gradient_is_right(neural_network, n_outputs, out_activation):
    from verify.oracle.adapters import sklearn_grad_fn, sklearn_loss_and_grad

    mlp = neural_network.MLPClassifier(hidden_layer_sizes=(4,), activation="tanh", alpha=0)
    architecture = sklearn_architecture(mlp, 3, n_outputs, out_activation=out_activation)
    report = check_gradients(
        sklearn_grad_fn(mlp, out_activation=out_activation), **architecture, layout="sklearn"
    )
    assert report.passed, str(report)
    # Black box: its gradient is the derivative of the log-loss it reports.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((8, 3))
    y = (
        rng.random((8, n_outputs))
        if architecture["cost"] == "cross_entropy"
        else np.eye(3)[rng.integers(0, 3, 8)]
    )
    params = [
        (rng.standard_normal((3, 4)), rng.standard_normal(4)),
        (rng.standard_normal((4, n_outputs)), rng.standard_normal(n_outputs)),
    ]
    loss_fn, grad_fn = sklearn_loss_and_grad(mlp, X, y, out_activation=out_activation)
    report = gradcheck(loss_fn, grad_fn, params)
    assert report.passed, str(report)


@pytest.mark.parametrize("n_outputs", [1, 2, 3, 5])
def test_sklearn_regressor_gradient_is_n_outputs_times_its_reported_loss_gradient(
    neural_network, n_outputs
):
    # scikit-learn issue #8349: squared_loss averages over outputs, its delta a - y is the
    # derivative of half the *sum* over outputs. The oracle measures the factor: N^L exactly.
    from verify.oracle.adapters import sklearn_loss_and_grad

    mlp = neural_network.MLPRegressor(hidden_layer_sizes=(4,), activation="tanh", alpha=0)
    rng = np.random.default_rng(n_outputs)
    X, y = rng.standard_normal((8, 3)), rng.standard_normal((8, n_outputs))
    params = [
        (rng.standard_normal((3, 4)), rng.standard_normal(4)),
        (rng.standard_normal((4, n_outputs)), rng.standard_normal(n_outputs)),
    ]
    report = gradcheck(*sklearn_loss_and_grad(mlp, X, y), params)
    assert report.settings["method"] == "complex"  # tanh and identity take complex input
    if n_outputs == 1:
        assert report.passed, str(report)
    else:
        assert {f.kind for f in report.findings} == {"scale"}, str(report)
        for finding in report.findings:
            assert finding.factor == pytest.approx(n_outputs, rel=1e-12)


def test_sklearn_l2_penalty_is_outside_the_scale(neural_network):
    # With alpha > 0 the penalty's gradient alpha W / n is consistent with the loss; only the data
    # term carries the factor N^L: weights become a mismatch close to N^L, biases exactly N^L.
    from verify.oracle.adapters import sklearn_loss_and_grad

    mlp = neural_network.MLPRegressor(hidden_layer_sizes=(4,), activation="tanh", alpha=1.0)
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((8, 3)), rng.standard_normal((8, 3))
    params = [
        (rng.standard_normal((3, 4)), rng.standard_normal(4)),
        (rng.standard_normal((4, 3)), rng.standard_normal(3)),
    ]
    report = gradcheck(*sklearn_loss_and_grad(mlp, X, y), params)
    assert [f.kind for f in report.findings] == ["mismatch", "scale", "mismatch", "scale"]
    assert report.finding(1, "b").factor == pytest.approx(3)


def test_sklearn_adapter_errors(neural_network):
    from verify.oracle.adapters import sklearn_grad_fn

    with pytest.raises(TypeError, match="estimator must be an MLPRegressor or MLPClassifier"):
        sklearn_grad_fn(object())
    poisson = neural_network.MLPRegressor(loss="poisson")
    with pytest.raises(ValueError, match="chainrule has no Poisson cost"):
        sklearn_architecture(poisson, 3, 1)
    with pytest.raises(ValueError, match="out_activation must be one of"):
        sklearn_architecture(neural_network.MLPClassifier(), 3, 2, out_activation="relu")


# -- a function in a file -------------------------------------------------------------------------


def test_load_function_from_a_file(tmp_path):
    (tmp_path / "helper.py").write_text("SCALE = 2\n")
    path = tmp_path / "my_backprop.py"
    path.write_text(
        textwrap.dedent(
            """
            from helper import SCALE

            def gradients(params, X, y):
                return SCALE

            class Net:
                @staticmethod
                def grads(params, X, y):
                    return 3

            NOT_CALLABLE = 1
            """
        )
    )
    assert load_function(f"{path}:gradients")(None, None, None) == 2
    assert load_function(f"{path}:Net.grads")(None, None, None) == 3
    assert load_function("json:dumps")([1]) == "[1]"
    with pytest.raises(ValueError, match=r"`spec` must look like 'path/to/file.py:function'"):
        load_function(str(path))
    with pytest.raises(
        ValueError, match=r"`spec`'s file must exist, got '.*nope.py' \(no such file\)"
    ):
        load_function(f"{tmp_path}/nope.py:f")
    with pytest.raises(
        ValueError, match=r"'grads' is not defined in .*callables there: Net, gradients"
    ):
        load_function(f"{path}:grads")
    with pytest.raises(TypeError, match="`spec` must name a callable, got NOT_CALLABLE = int"):
        load_function(f"{path}:NOT_CALLABLE")
    with pytest.raises(ValueError, match=r"`spec`'s module must be importable"):
        load_function("no_such_module_xyz:f")
    broken = tmp_path / "broken.py"
    broken.write_text("raise RuntimeError('boom')\n")
    with pytest.raises(ImportError, match=r"importing .*broken.py failed: RuntimeError: boom"):
        load_function(f"{broken}:f")


def test_a_loaded_function_through_the_oracle(tmp_path):
    path = tmp_path / "student.py"
    path.write_text(
        textwrap.dedent(
            """
            import numpy as np

            def grads(params, X, y):  # identity network, squared error, summed over the batch
                (W, b), = params
                delta = X @ W.T + b - y
                return [(delta.T @ X, delta.sum(axis=0))]
            """
        )
    )
    report = check_gradients(
        load_function(f"{path}:grads"), sizes=[3, 2], activations="identity", cost="squared_error"
    )
    assert {f.kind for f in report.findings} == {"scale"}
    assert report.findings[0].factor == pytest.approx(8)


def test_sklearn_default_alpha_shows_as_a_weight_only_term(neural_network):
    # Reference mode compares with the unregularised cost: the L2 term alpha W / n_samples is in
    # dW only, so every bias is right and every weight is off by a little.
    from verify.oracle.adapters import sklearn_grad_fn

    mlp = neural_network.MLPRegressor(hidden_layer_sizes=(4,), activation="tanh")  # alpha 1e-4
    report = check_gradients(
        sklearn_grad_fn(mlp), **sklearn_architecture(mlp, 3, 3), layout="sklearn"
    )
    assert [f.kind for f in report.findings] == ["mismatch", "ok", "mismatch", "ok"]
    assert "L2 penalty" in report.summary
