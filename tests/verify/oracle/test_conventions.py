"""Declared conventions, activations with a parameter, SELU and GELU, the new layouts and the
command line's options for them."""

from __future__ import annotations

import pickle
import textwrap

import numpy as np
import pytest

import numeric
from numeric.activations import make_elu, make_leaky_relu
from tests import reference
from verify.cli import main
from verify.oracle.check import check_gradients
from verify.oracle.conventions import (
    CONVENTIONS,
    activation_family,
    convention,
    declare,
    default_n_samples,
    parse_activation,
)
from verify.oracle.layouts import LAYOUTS, NamedLayout, get_layout

# -- declared conventions --------------------------------------------------------------------------


def test_declared_conventions_scale_the_gradient_and_add_the_l2_term():
    rng = np.random.default_rng(0)
    params = [(rng.standard_normal((4, 3)), rng.standard_normal(4))]
    gradient = [(rng.standard_normal((4, 3)), rng.standard_normal(4))]
    declared = declare(cost_scale=2, output_reduction="mean", l2=0.1, l2_biases=True)
    ((dW, db),) = declared.gradient(gradient, params, n_outputs=4, n_samples=8)
    np.testing.assert_allclose(dW, 0.5 * gradient[0][0] + 0.1 * params[0][0], rtol=1e-15)
    np.testing.assert_allclose(db, 0.5 * gradient[0][1] + 0.1 * params[0][1], rtol=1e-15)
    per_sample = declare(l2=0.8, l2_per_sample=True)
    ((dW, db),) = per_sample.gradient(gradient, params, n_outputs=4, n_samples=8)
    np.testing.assert_allclose(dW, gradient[0][0] + 0.1 * params[0][0], rtol=1e-15)
    np.testing.assert_array_equal(db, gradient[0][1])
    assert declared.declared() == {
        "cost_scale": 2.0,
        "output_reduction": "mean",
        "l2": 0.1,
        "l2_biases": True,
    }


def test_the_declared_loss_matches_its_gradient_by_finite_differences():
    # The value conventions.loss gives and the gradient conventions.gradient gives belong together.
    declared = declare(cost_scale=2, output_reduction="mean", l2=0.05, l2_biases=True)
    network = declared.network([3, 4, 2], "tanh", "squared_error", reduction="mean", seed=0)
    X = np.random.default_rng(1).standard_normal((5, 3))
    y = np.random.default_rng(2).standard_normal((5, 2))

    def loss(params):
        value = numeric.kernels.loss(params, network.activations, network.cost, X, y)
        return declared.loss(float(value), params, 2, 5)

    _, gradient = network.loss_and_gradients(X, y)
    gradient = declared.gradient(gradient, network.params, 2, 5)
    h = 1e-6
    W = network.params[0][0]
    for index in [(0, 0), (3, 2)]:
        plus = [(W.copy(), b) if m == 0 else (Wm, b) for m, (Wm, b) in enumerate(network.params)]
        minus = [(W.copy(), b) if m == 0 else (Wm, b) for m, (Wm, b) in enumerate(network.params)]
        plus[0][0][index] += h
        minus[0][0][index] -= h
        estimate = (loss(plus) - loss(minus)) / (2 * h)
        assert estimate == pytest.approx(gradient[0][0][index], rel=1e-7)


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"cost_scale": 0}, ValueError, "`cost_scale` must be a finite number > 0, got 0"),
        (
            {"output_reduction": "avg"},
            ValueError,
            "`output_reduction` must be one of 'sum', 'mean'",
        ),
        ({"targets": "hard"}, ValueError, "`targets` must be one of 'soft', 'one_hot', 'labels'"),
        ({"l2": -1.0}, ValueError, "`l2` must be a finite number >= 0, got -1.0"),
        ({"l2_biases": "yes"}, TypeError, "`l2_biases` must be True or False, got 'yes'"),
        ({"weight_decay": 1}, TypeError, "unexpected option 'weight_decay'; the declared conv"),
    ],
)
def test_bad_declarations_are_named(options, error, match):
    with pytest.raises(error, match=match):
        declare(**options)
    with pytest.raises(error, match=match):
        check_gradients(
            lambda p, X, y: p, sizes=[2, 2], activations="identity", cost="squared_error", **options
        )


def test_presets_are_known_losses():
    assert convention("torch.CrossEntropyLoss") == {
        "cost": "categorical_cross_entropy",
        "from_logits": True,
    }
    for name, options in CONVENTIONS.items():
        options = dict(options)
        cost = options.pop("cost")
        options.pop("reduction", None)
        declare(**options)  # every preset is a valid declaration
        assert cost in numeric.COSTS, name
    with pytest.raises(ValueError, match=r"`name` must be one of 'torch\.MSELoss'"):
        convention("MSELoss")


def test_the_default_batch_never_collides_with_the_outputs():
    for n_outputs in range(1, 40):
        n = default_n_samples(n_outputs)
        assert n not in (n_outputs, 2 * n_outputs) and 2 * n != n_outputs
    assert default_n_samples(2) == 8  # the old default wherever it was unambiguous


def test_hard_targets_for_each_kind_of_cost():
    cost = numeric.COSTS["categorical_cross_entropy"]
    y = declare(targets="one_hot").hard_targets(cost, np.full((6, 3), 1 / 3), seed=0)
    assert set(np.unique(y)) == {0.0, 1.0} and np.array_equal(y.sum(axis=1), np.ones(6))
    binary = declare(targets="one_hot").hard_targets(
        numeric.COSTS["cross_entropy"], np.zeros((6, 3)), 0
    )
    assert set(np.unique(binary)) <= {0.0, 1.0}
    layout = declare(targets="labels").layout("rows", "categorical_cross_entropy")
    _, labels = layout.data_to_user(np.zeros((6, 2)), y)
    assert labels.dtype == np.int64 and np.array_equal(labels, y.argmax(axis=1))
    layout = declare(targets="labels").layout("columns", "cross_entropy")
    X, labels = layout.data_to_user(np.zeros((6, 2)), binary[:, :1])
    assert X.shape == (2, 6) and labels.shape == (6,)


def test_from_logits_puts_the_losss_activation_into_the_reference():
    network = declare(from_logits=True).network(
        [3, 4], "identity", "categorical_cross_entropy", reduction="mean", seed=0
    )
    assert [a.name for a in network.activations] == ["softmax"]
    with pytest.raises(ValueError, match=r"`activations\[0\]` must be 'identity' when from_logits"):
        declare(from_logits=True).network(
            [3, 4], "sigmoid", "cross_entropy", reduction="mean", seed=0
        )
    with pytest.raises(ValueError, match="`from_logits` must be False for cost 'squared_error'"):
        declare(from_logits=True).network(
            [3, 4], "identity", "squared_error", reduction="mean", seed=0
        )
    with pytest.raises(ValueError, match="declare from_logits=True"):
        declare().network([3, 4], "identity", "cross_entropy", reduction="mean", seed=0)


# -- activations with a parameter ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("leaky_relu(0.2)", "leaky_relu(0.2)"),
        ("leaky_relu(slope=0.3)", "leaky_relu(0.3)"),
        ("leaky_relu( 0.01 )", "leaky_relu"),
        ("elu(alpha=0.5)", "elu(0.5)"),
        ("elu(1)", "elu"),
        ("sigmoid", "sigmoid"),
    ],
)
def test_activation_names_with_a_parameter(text, name):
    assert parse_activation(text).name == name


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (
            "leaky_relu(alpha=0.2)",
            r"must be leaky_relu\(slope=...\), got 'leaky_relu\(alpha=0.2\)'",
        ),
        ("leaky_relu(x)", r"must be leaky_relu\(<a number>\)"),
        ("leaky_relu(inf)", r"must be leaky_relu\(<a finite number>\)"),
        ("tanh(2)", "must be an activation name"),
        ("swish", "must be an activation name"),
    ],
)
def test_bad_activation_names_are_named(text, match):
    with pytest.raises(ValueError, match=match):
        parse_activation(text)


def test_parametrized_activations_match_pytorch():
    torch = pytest.importorskip("torch", reason="needs torch (the [peers] extra)")
    z = np.linspace(-3, 3, 61).reshape(1, -1)
    modules = {
        "leaky_relu(0.2)": torch.nn.LeakyReLU(0.2),
        "elu(0.5)": torch.nn.ELU(0.5),
        "elu(2.0)": torch.nn.ELU(2.0),
        "selu": torch.nn.SELU(),
        "gelu": torch.nn.GELU(approximate="tanh"),
    }
    for name, module in modules.items():
        act = parse_activation(name)
        t = torch.tensor(z, requires_grad=True)
        out = module(t)
        out.sum().backward()
        np.testing.assert_allclose(act(z), out.detach().numpy(), rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(
            act.derivative(z, act(z)), t.grad.numpy(), rtol=1e-12, atol=1e-15, err_msg=name
        )


def test_parametrized_activations_match_autograd_in_a_network():
    import autograd.numpy as anp

    leaky = lambda z: anp.where(z > 0, z, 0.3 * z)  # noqa: E731
    elu = lambda z: anp.where(z > 0, z, 0.5 * anp.expm1(anp.minimum(z, 0)))  # noqa: E731
    network = numeric.Network(
        [3, 5, 4, 2], [make_leaky_relu(0.3), make_elu(0.5), "identity"], "squared_error", seed=0
    )
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    expected = reference.gradients(network.params, X, y, [leaky, elu, "identity"], "squared_error")
    for mine, theirs in zip(network.gradients(X, y), expected):
        for a, b in zip(mine, theirs):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_new_activations_pickle_and_know_their_family():
    for act in (
        make_leaky_relu(0.2),
        make_elu(0.5),
        numeric.ACTIVATIONS["selu"],
        numeric.ACTIVATIONS["gelu"],
    ):
        copy = pickle.loads(pickle.dumps(act))
        z = np.linspace(-2, 2, 9)
        np.testing.assert_array_equal(copy(z), act(z))
    assert activation_family(make_leaky_relu(0.2)) == ("leaky_relu", 0.2)
    assert activation_family(numeric.ACTIVATIONS["tanh"]) is None
    assert make_leaky_relu(0.01) is numeric.ACTIVATIONS["leaky_relu"]
    with pytest.raises(TypeError, match="`slope` must be a finite real number, got 'x'"):
        make_leaky_relu("x")


def test_selu_has_a_kink_and_gelu_has_none():
    from verify.core.finite_differences import kinked_at_zero

    assert kinked_at_zero(numeric.ACTIVATIONS["selu"])
    assert not kinked_at_zero(numeric.ACTIVATIONS["gelu"])
    assert numeric.ACTIVATIONS["selu"].derivative(np.zeros(1), np.zeros(1))[0] == pytest.approx(
        1.0507009873554804934193349852946 * 1.6732632423543772848170429916717
    )  # the left slope at 0, as PyTorch's


def test_derive_knows_gelu_has_no_form_in_its_output():
    import derive

    assert derive.ACTIVATIONS["gelu"].invertible is False
    assert derive.ACTIVATIONS["gelu"].output_derivative is None
    assert derive.ACTIVATIONS["selu"].output_derivative is None  # a kink: no output form either


# -- layouts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["in_out", "nielsen", "dict"])
def test_new_layouts_round_trip(name):
    rng = np.random.default_rng(0)
    params = [
        (rng.standard_normal((4, 3)), rng.standard_normal(4)),
        (rng.standard_normal((2, 4)), rng.standard_normal(2)),
    ]
    layout = LAYOUTS[name]
    back = layout.params_from_user(layout.params_to_user(params))
    assert all(np.array_equal(a, b) for p, q in zip(params, back) for a, b in zip(p, q))


def test_the_dict_layout_reads_gradient_keys_and_other_bases():
    rng = np.random.default_rng(0)
    params = [(rng.standard_normal((4, 3)), rng.standard_normal(4))]
    layout = NamedLayout("columns")
    user = layout.params_to_user(params)
    assert sorted(user) == ["W1", "b1"] and user["b1"].shape == (4, 1)
    grads = {"dW1": user["W1"], "db1": user["b1"], "dA0": np.zeros(3)}
    ((W, b),) = layout.params_from_user(grads)
    assert np.array_equal(W, params[0][0]) and np.array_equal(b, params[0][1])
    with pytest.raises(ValueError, match=r"params must hold 'W1', 'b1', \.\.\. for layers 1\.\.L"):
        layout.params_from_user({"W2": 1})
    with pytest.raises(ValueError, match="must be a key template holding one"):
        NamedLayout(weight="W")


def test_a_dict_style_implementation_passes():
    def grad_fn(params, X, y):  # W1 (N^1, N^0), b1 (N^1, 1), X (N^0, n): the column convention
        z1 = params["W1"] @ X + params["b1"]
        a1 = np.tanh(z1)
        dz2 = (params["W2"] @ a1 + params["b2"] - y) / X.shape[1]
        dz1 = (params["W2"].T @ dz2) * (1 - a1**2)
        return {
            "dW1": dz1 @ X.T,
            "db1": dz1.sum(axis=1, keepdims=True),
            "dW2": dz2 @ a1.T,
            "db2": dz2.sum(axis=1, keepdims=True),
        }

    report = check_gradients(
        grad_fn,
        sizes=[3, 4, 2],
        activations=["tanh", "identity"],
        cost="squared_error",
        layout=NamedLayout("columns"),
    )
    assert report.passed, str(report)


LAYOUT_FILE = """
import numpy as np


class InOut:
    name = "in_out_by_hand"

    def params_to_user(self, params):
        return [(W.T, b.reshape(1, -1)) for W, b in params]

    def params_from_user(self, user):
        return [(W.T, b.reshape(-1)) for W, b in user]

    def data_to_user(self, X, y):
        return X, y


def gradients(params, X, y):
    (W, b), = params
    delta = (X @ W + b - y) / len(X)
    return [(X.T @ delta, delta.sum(axis=0, keepdims=True))]


def not_a_layout():
    return 42


def leaky(params, X, y):
    (W1, b1), (W2, b2) = params
    z = X @ W1.T + b1
    a = np.where(z > 0, z, 0.2 * z)
    delta = (a @ W2.T + b2 - y) / len(X)
    dz = (delta @ W2) * np.where(z > 0, 1.0, 0.2)
    return [(dz.T @ X, dz.sum(axis=0)), (delta.T @ a, delta.sum(axis=0))]
"""


def test_a_layout_given_as_module_and_class(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text(textwrap.dedent(LAYOUT_FILE))
    layout = get_layout(f"{path}:InOut")
    assert layout.name == "in_out_by_hand"
    with pytest.raises(ValueError, match="spec's name 'Missing' is not defined"):
        get_layout(f"{path}:Missing")
    with pytest.raises(TypeError, match="must make an object with params_to_user"):
        get_layout(f"{path}:not_a_layout")
    with pytest.raises(ValueError, match=r"must be a class .* that takes no arguments"):
        get_layout(f"{path}:gradients")


# -- the command line ------------------------------------------------------------------------------


@pytest.fixture
def module(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text(textwrap.dedent(LAYOUT_FILE))
    return path


def test_cli_layout_as_module_class(module, capsys):
    arguments = ["--sizes", "3,2", "--activation", "identity", "--cost", "squared_error"]
    assert main(["oracle", f"{module}:gradients", *arguments, "--layout", f"{module}:InOut"]) == 0
    assert "PASSED" in capsys.readouterr().out
    assert main(["oracle", f"{module}:gradients", *arguments, "--layout", "in_out"]) == 0
    with pytest.raises(SystemExit) as exit_info:
        main(["oracle", f"{module}:gradients", *arguments, "--layout", "banana"])
    assert exit_info.value.code == 2
    assert "layout must be one of rows, columns" in capsys.readouterr().err


def test_cli_activation_parameters_and_conventions(module, capsys):
    base = ["oracle", f"{module}:leaky", "--sizes", "3,4,2", "--cost", "squared_error"]
    assert main([*base, "--activation", "leaky_relu(0.2),identity"]) == 0
    assert main([*base, "--activation", "leaky_relu,identity"]) == 1
    assert "exactly that of leaky_relu(0.2)" in capsys.readouterr().out
    # Declared a mean over the outputs, a gradient of their sum is n_outputs (2) times too large;
    # a run at 3 outputs tells n_outputs from a doubled derivative.
    assert (
        main([*base, "--activation", "leaky_relu(0.2),identity", "--output-reduction", "mean"]) == 1
    )
    out = capsys.readouterr().out
    assert "scale" in out and "n_outputs: a sum over the outputs where the mean is declared" in out
    assert "--cost-scale" not in out and "declare output_reduction='sum'" in out
    with pytest.raises(SystemExit) as exit_info:
        main([*base, "--activation", "leaky_relu(x),identity"])
    assert exit_info.value.code == 2
    assert main([*base, "--activation", "tanh,identity", "--convention", "torch.BCELoss"]) == 2
    assert (
        "`--cost` must be 'cross_entropy' with --convention torch.BCELoss"
        in capsys.readouterr().err
    )
