"""The README's recipes, one per style of backprop code, run as written; and each style's correct
implementation passing for every seed, in float64 and float32.

The recipes' class names stand for the user's own classes: here they are the implementations of
``tests.verify.oracle.implementations``, written for these tests.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import verify
from tests.verify.oracle import implementations as impl
from verify.adapters import scalar_grad_fn
from verify.oracle.check import check_gradients

README = (Path(__file__).resolve().parents[3] / "README.md").read_text()
START = README.index("## Check your own implementation")
SECTION = README[START : README.index("\n## ", START + 1)]
BLOCKS = re.findall(r"```python\n(.*?)```", SECTION, re.S)
STYLES = ["layer classes", "self-updating layers", "per-sample lists", "scikit-learn style"]
STYLES += ["PyTorch", "scalar autograd", "pieces"]
SEEDS = range(5)


def test_one_recipe_per_style_each_of_at_most_five_lines_of_glue():
    assert len(BLOCKS) == len(STYLES)
    for block in BLOCKS:
        statements = [
            line
            for line in block.splitlines()
            if line.strip() and not line.startswith(("import ", "from ", "def ", "    "))
        ]
        # The user's own objects (a model, a network) are not glue; the rest is.
        glue = [line for line in statements if not re.match(r"^(net|mlp|model|loss) = ", line)]
        assert len(glue) <= 5, block


@pytest.fixture
def strict_pieces(monkeypatch):
    """verify.check_* that fail the test unless the piece passes (the recipes do not assert)."""
    for name in ("check_activation", "check_cost", "check_layer"):
        real = getattr(verify, name)

        def strict(*args, real=real, **kwargs):
            report = real(*args, **kwargs)
            assert report.passed, str(report)
            return report

        monkeypatch.setattr(verify, name, strict)


@pytest.mark.parametrize("index", range(len(BLOCKS)), ids=STYLES)
def test_readme_recipe_runs_and_passes(index, strict_pieces):
    if "import torch" in BLOCKS[index]:
        pytest.importorskip("torch", reason="the PyTorch recipe needs torch (the [peers] extra)")
    namespace = {name: getattr(impl, name) for name in dir(impl) if not name.startswith("_")}
    exec(compile(BLOCKS[0], "README recipe 1", "exec"), namespace)  # defines `network`, `names`
    if index:
        exec(compile(BLOCKS[index], f"README recipe {index + 1}", "exec"), namespace)


# -- each style's correct implementation, over seeds and dtypes ------------------------------------

IN_OUT = {"weights": "weights", "biases": "biases", "weight_grads": "dweights"}
IN_OUT["bias_grads"] = "dbiases"


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", SEEDS)
def test_layer_classes_pass(seed, dtype):
    layers = [impl.Dense(3, 5), impl.ReLU(), impl.Dense(5, 4), impl.Sigmoid()]
    grad_fn = verify.layers_grad_fn(layers, impl.BinaryCrossEntropy(), **IN_OUT)
    report = check_gradients(
        grad_fn,
        sizes=[3, 5, 4],
        activations=["relu", "sigmoid"],
        layout="in_out",
        **verify.convention("torch.BCELoss"),
        seed=seed,
        dtype=dtype,
    )
    assert report.passed, str(report)


@pytest.mark.parametrize("seed", SEEDS)
def test_layer_classes_with_a_combined_softmax_cross_entropy_pass_on_labels(seed):
    layers = [impl.Dense(3, 5), impl.LeakyReLU(0.3), impl.Dense(5, 4)]
    grad_fn = verify.layers_grad_fn(layers, impl.SoftmaxCrossEntropy(), **IN_OUT)
    for targets in ("labels", "one_hot"):
        report = check_gradients(
            grad_fn,
            sizes=[3, 5, 4],
            activations=["leaky_relu(0.3)", "identity"],
            cost="categorical_cross_entropy",
            from_logits=True,
            targets=targets,
            layout="in_out",
            seed=seed,
        )
        assert report.passed, str(report)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", SEEDS)
def test_per_sample_lists_pass(seed, dtype):
    for cost, output_cost in (("quadratic", "squared_error"), ("cross_entropy", "cross_entropy")):
        net = impl.PerSampleNetwork([3, 4, 2], cost=cost)
        report = check_gradients(
            verify.per_sample_grad_fn(net),
            sizes=[3, 4, 2],
            activations="sigmoid",
            cost=output_cost,
            layout="nielsen",
            seed=seed,
            dtype=dtype,
        )
        assert report.passed, str(report)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", SEEDS)
def test_scikit_learn_style_passes(seed, dtype):
    mlp = impl.CoefsMLP(alpha=0.0)

    def grad_fn(params, X, y):
        mlp.coefs_, mlp.intercepts_ = map(list, zip(*params))
        return list(zip(*mlp._backprop(X, y)[1:]))

    report = check_gradients(
        grad_fn,
        sizes=[3, 5, 4, 2],
        activations=["tanh", "tanh", "identity"],
        cost="squared_error",
        layout="sklearn",
        seed=seed,
        dtype=dtype,
    )
    assert report.passed, str(report)


@pytest.mark.parametrize("seed", SEEDS)
def test_scalar_autograd_passes(seed):
    for nonlinearity in ("tanh", "relu"):
        model = impl.MLP([3, 4, 2], nonlinearity=nonlinearity)
        report = check_gradients(
            scalar_grad_fn(model, impl.sum_of_squares),
            sizes=[3, 4, 2],
            activations=[nonlinearity, "identity"],
            **verify.convention("sum_of_squares"),
            seed=seed,
        )
        assert report.passed, str(report)


@pytest.mark.parametrize("seed", SEEDS)
def test_pytorch_models_pass_with_the_options_read_from_model_and_loss(seed):
    torch = pytest.importorskip("torch", reason="needs torch (the [peers] extra)")
    from verify.adapters import torch_grad_fn, torch_options

    nn = torch.nn
    cases = [
        (nn.Sequential(nn.Linear(3, 5), nn.LeakyReLU(0.2), nn.Linear(5, 4)), nn.MSELoss(), {}),
        (nn.Sequential(nn.Linear(3, 5), nn.ELU(0.5), nn.Linear(5, 3)), nn.BCEWithLogitsLoss(), {}),
        (
            nn.Sequential(nn.Linear(3, 5), nn.SELU(), nn.Linear(5, 4), nn.Sigmoid()),
            nn.BCELoss(),
            {},
        ),
        (
            nn.Sequential(nn.Linear(3, 5), nn.GELU(approximate="tanh"), nn.Linear(5, 4)),
            nn.CrossEntropyLoss(),
            {"targets": "labels"},
        ),
        (nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 4)), nn.CrossEntropyLoss(), {}),
        (
            nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)),
            nn.MSELoss(reduction="sum"),
            {},
        ),
    ]
    for model, loss, extra in cases:
        options = torch_options(model, loss)
        report = check_gradients(torch_grad_fn(model, loss), **options, **extra, seed=seed)
        assert report.passed, f"{model} {loss}\n{report}"
