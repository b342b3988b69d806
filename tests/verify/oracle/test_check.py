"""The oracle against small hand-written backprop implementations, correct and deliberately wrong.

Each implementation below is the kind of NumPy code people write: one in NumPy's row layout, one in
the reference document's column layout, one in scikit-learn's, one in Nielsen's (biases first,
column vectors, a user-defined layout). Each planted bug must be flagged with the right kind, layer
and parameter; the correct versions must pass for every seed, in float64 and float32.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from verify.core.compare import KINDS
from verify.core.problems import make_problem
from verify.oracle.check import (
    GradientReport,
    assert_gradients,
    check_gradients,
    gradcheck,
)
from verify.oracle.layouts import Layout

SEEDS = range(20)


# -- activations, written out the way the implementations use them --------------------------------


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def softmax(z, axis):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


FUNCTIONS = {
    "sigmoid": sigmoid,
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0),
    "identity": lambda z: z,
}
# Derivatives from the cached output a (and z where needed), as in the document's table.
DERIVATIVES = {
    "sigmoid": lambda z, a: a * (1 - a),
    "tanh": lambda z, a: 1 - a * a,
    "relu": lambda z, a: (z > 0).astype(z.dtype),
    "identity": lambda z, a: np.ones_like(z),
}
# Output activation and cost pairs whose output delta dC/dz^L is a - y (per sample).
CANONICAL = {
    "sigmoid": "cross_entropy",
    "identity": "squared_error",
    "softmax": "categorical_cross_entropy",
}


# -- NumPy rows: X (n, N^0), W (N^m, N^{m-1}), b (N^m,) -------------------------------------------


def rows_backprop(params, X, y, *, hidden, output, bug=None):
    n, L = X.shape[0], len(params)
    zs, acts = [], [X]
    for m, (W, b) in enumerate(params):
        z = acts[-1] @ W.T + b
        zs.append(z)
        acts.append(
            softmax(z, 1)
            if m == L - 1 and output == "softmax"
            else FUNCTIONS[output if m == L - 1 else hidden](z)
        )
    if bug == "raises_on_large_input" and np.abs(X).max() > 2.0:
        raise ValueError("inputs must be standardised to |x| <= 2")
    delta = y - acts[-1] if bug == "negated_output_delta" else acts[-1] - y
    scale = 1.0 if bug == "sum_instead_of_mean" else 1.0 / n
    grads = [None] * L
    for m in reversed(range(L)):
        grads[m] = (delta.T @ acts[m] * scale, delta.sum(axis=0) * scale)
        if m > 0:
            back = delta @ params[m][0]
            if bug == "missing_derivative_layer_2" and m == 2:
                delta = back  # forgot "* sigma'(z^2)"
            else:
                delta = back * DERIVATIVES[hidden](zs[m - 1], acts[m])
    if bug == "transposed_weights":
        grads = [(dW.T, db) for dW, db in grads]
    if bug == "mutates_input":
        X -= 1.0  # "centres" the caller's batch in place
    return grads


# -- the document's columns: X (N^0, n), y (N^L, n), b (N^m, 1) -----------------------------------


def columns_backprop(params, X, y, *, hidden, output, bug=None, learning_rate=0.1):
    """The document's toy code, corrected (sigmoid with e^{-z}, mean over the batch)."""
    n = X.shape[1]
    layer_outputs, layer_inputs = [X], []
    for m, (W, b) in enumerate(params):
        z = W @ layer_outputs[-1] + b
        layer_inputs.append(z)
        last = m == len(params) - 1
        layer_outputs.append(
            softmax(z, 0)
            if last and output == "softmax"
            else FUNCTIONS[output if last else hidden](z)
        )
    cost_partials = [layer_outputs[-1] - y]
    for m in range(len(params) - 1, 0, -1):
        a, z = layer_outputs[m], layer_inputs[m - 1]
        if bug == "derivative_at_z":
            derivative = z * (1 - z)  # sigma'(a) = a (1 - a), evaluated with z in place of a
        else:
            derivative = DERIVATIVES[hidden](z, a)
        cost_partials.append((params[m][0].T @ cost_partials[-1]) * derivative)
    cost_partials.reverse()
    W_grads, b_grads = [], []
    for partial, a in zip(cost_partials, layer_outputs[:-1]):
        W_grads.append(a @ partial.T / n if bug == "transposed_weights" else partial @ a.T / n)
        if bug == "bias_summed":
            b_grads.append(partial.sum(axis=1, keepdims=True))
        else:
            b_grads.append(partial.mean(axis=1, keepdims=True))
    if bug == "update_returned":
        return [(-learning_rate * dW, -learning_rate * db) for dW, db in zip(W_grads, b_grads)]
    return list(zip(W_grads, b_grads))


# -- scikit-learn's layout: coefs (N^{m-1}, N^m), intercepts (N^m,) -------------------------------


def sklearn_style_backprop(params, X, y, *, hidden, output, bug=None):
    n, L = X.shape[0], len(params)
    acts, zs = [X], []
    for m, (coef, intercept) in enumerate(params):
        z = acts[-1] @ coef + intercept
        zs.append(z)
        acts.append(
            softmax(z, 1)
            if m == L - 1 and output == "softmax"
            else FUNCTIONS[output if m == L - 1 else hidden](z)
        )
    delta = acts[-1] - y
    coef_grads, intercept_grads = [], []
    for m in reversed(range(L)):
        coef_grads.append(acts[m].T @ delta / n)
        intercept_grads.append(delta.mean(axis=0))
        if m > 0:
            delta = (delta @ params[m][0].T) * DERIVATIVES[hidden](zs[m - 1], acts[m])
    if bug != "reversed_layers":
        coef_grads.reverse()
        intercept_grads.reverse()
    if bug == "unfilled_buffer":
        intercept_grads[0] = np.full_like(intercept_grads[0], np.nan)  # never written
    if bug == "missing_layer":
        return list(zip(coef_grads, intercept_grads))[1:]
    if bug == "returns_none":
        return None
    return list(zip(coef_grads, intercept_grads))


# -- Nielsen's network.py: (nabla_b, nabla_w), column vectors, a user-defined layout --------------


class NielsenLayout(Layout):
    name = "nielsen"

    def params_to_user(self, params):
        return [b.reshape(-1, 1) for _, b in params], [W for W, _ in params]

    def params_from_user(self, user_params):
        biases, weights = user_params
        if len(biases) != len(weights):
            raise ValueError(
                f"nabla_b and nabla_w must have one entry per layer, got "
                f"{len(biases)} and {len(weights)}"
            )
        return [(np.asarray(W), np.asarray(b).reshape(-1)) for W, b in zip(weights, biases)]

    def data_to_user(self, X, y):
        return X.T, y.T

    def data_from_user(self, X, y):
        return X.T, y.T


def nielsen_backprop(params, X, y, *, bug=None):
    """Sigmoid layers, quadratic cost; sums per-sample gradients and divides by the batch size."""
    biases, weights = params
    nabla_b = [np.zeros_like(b) for b in biases]
    nabla_w = [np.zeros_like(w) for w in weights]
    for x, target in zip(X.T, y.T):
        activation, activations, zs = x.reshape(-1, 1), [x.reshape(-1, 1)], []
        for b, w in zip(biases, weights):
            z = w @ activation + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = (activations[-1] - target.reshape(-1, 1)) * activations[-1] * (1 - activations[-1])
        nabla_b[-1] += delta
        nabla_w[-1] += delta @ activations[-2].T
        for layer in range(2, len(weights) + 1):
            sp = sigmoid(zs[-layer]) * (1 - sigmoid(zs[-layer]))
            delta = (weights[-layer + 1].T @ delta) * sp
            nabla_b[-layer] += delta
            nabla_w[-layer] += delta @ activations[-layer - 1].T
    n = X.shape[1]
    nabla_b = [nb / n for nb in nabla_b]
    nabla_w = [nw / n for nw in nabla_w]
    if bug == "swapped_pair":
        return nabla_w, nabla_b
    return nabla_b, nabla_w


# -- helpers --------------------------------------------------------------------------------------

ARCH = {"sizes": [3, 5, 4, 2], "activations": ["tanh", "tanh", "identity"], "cost": "squared_error"}


def implementation(layout, hidden="tanh", output="identity", bug=None):
    functions = {
        "rows": rows_backprop,
        "columns": columns_backprop,
        "sklearn": sklearn_style_backprop,
    }
    function = functions[layout]
    return lambda params, X, y: function(params, X, y, hidden=hidden, output=output, bug=bug)


def problem(hidden, output, sizes=(3, 5, 4, 2)):
    return {
        "sizes": list(sizes),
        "activations": [hidden] * (len(sizes) - 2) + [output],
        "cost": CANONICAL[output],
    }


def kinds(report: GradientReport) -> dict:
    return {(f.layer, f.param): f.kind for f in report.findings}


# -- correct implementations pass -----------------------------------------------------------------

CASES = [
    ("rows", "relu", "identity"),
    ("columns", "sigmoid", "sigmoid"),
    ("sklearn", "tanh", "softmax"),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("layout", "hidden", "output"), CASES)
@pytest.mark.parametrize("seed", SEEDS)
def test_correct_implementations_pass_for_every_seed(layout, hidden, output, dtype, seed):
    report = check_gradients(
        implementation(layout, hidden, output),
        **problem(hidden, output),
        layout=layout,
        dtype=dtype,
        seed=seed,
    )
    assert report.passed, str(report)
    assert [f.kind for f in report.findings] == ["ok"] * 6


@pytest.mark.parametrize("layout", ["rows", "columns", "sklearn"])
@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu", "identity"])
@pytest.mark.parametrize("output", list(CANONICAL))
def test_correct_implementations_pass_for_every_pairing(layout, hidden, output):
    report = check_gradients(
        implementation(layout, hidden, output), **problem(hidden, output), layout=layout, seed=3
    )
    assert report.passed, str(report)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", SEEDS)
def test_nielsen_in_a_user_defined_layout_passes(dtype, seed):
    report = check_gradients(
        nielsen_backprop,
        sizes=[2, 3, 2],
        activations="sigmoid",
        cost="squared_error",
        layout=NielsenLayout(),
        dtype=dtype,
        seed=seed,
    )
    assert report.passed, str(report)


def test_sum_reduction_is_checked_against_the_summed_cost():
    report = check_gradients(
        implementation("rows", bug="sum_instead_of_mean"), **ARCH, reduction="sum"
    )
    assert report.passed, str(report)


def test_float32_tolerance_has_a_wide_margin():
    # rtol for float32 is 4 sqrt(eps) = 1.4e-3; a correct float32 implementation's worst
    # relative error over 20 seeds must stay far below it (here: 30x), or it would be flaky.
    worst = max(
        f.max_rel_error
        for seed in SEEDS
        for f in check_gradients(
            implementation("rows", "sigmoid", "sigmoid"),
            **problem("sigmoid", "sigmoid"),
            dtype=np.float32,
            seed=seed,
        ).findings
    )
    assert worst < 4.8e-4 / 10


# -- planted bugs: right kind, layer and parameter ------------------------------------------------


def test_negated_output_delta_is_sign_everywhere():
    report = check_gradients(implementation("rows", bug="negated_output_delta"), **ARCH)
    assert set(kinds(report).values()) == {"sign"}
    assert all(f.factor == -1.0 for f in report.findings)
    assert "negated" in report.summary


def test_sum_instead_of_mean_is_scale_n_samples():
    report = check_gradients(implementation("rows", bug="sum_instead_of_mean"), **ARCH, n_samples=6)
    assert set(kinds(report).values()) == {"scale"}
    for finding in report.findings:
        assert finding.factor == pytest.approx(6)
        assert "n_samples" in finding.detail
    assert "whole gradient is scaled by 6" in report.summary


def test_bias_summed_while_weights_averaged_is_scale_on_b_only():
    report = check_gradients(
        implementation("columns", "sigmoid", "sigmoid", bug="bias_summed"),
        **problem("sigmoid", "sigmoid"),
        layout="columns",
    )
    for (layer, param), kind in kinds(report).items():
        assert kind == ("scale" if param == "b" else "ok"), (layer, param)
    assert report.finding(1, "b").factor == pytest.approx(8)
    assert "Every bias gradient is scaled by 8" in report.summary


@pytest.mark.parametrize("layout", ["rows", "columns"])
def test_transposed_weight_gradient_is_transpose(layout):
    report = check_gradients(
        implementation(layout, "sigmoid", "sigmoid", bug="transposed_weights"),
        **problem("sigmoid", "sigmoid"),
        layout=layout,
    )
    for (layer, param), kind in kinds(report).items():
        assert kind == ("transpose" if param == "W" else "ok"), (layer, param)


def test_transposed_square_weight_gradient_is_transpose():
    report = check_gradients(
        implementation("rows", bug="transposed_weights"),
        sizes=[3, 3, 3],
        activations=["tanh", "identity"],
        cost="squared_error",
    )
    assert kinds(report) == {
        (1, "W"): "transpose",
        (1, "b"): "ok",
        (2, "W"): "transpose",
        (2, "b"): "ok",
    }
    assert report.finding(1, "W").max_rel_error > 0.1  # compared untransposed: far off


def test_missing_activation_derivative_in_hidden_layer_2():
    report = check_gradients(implementation("rows", bug="missing_derivative_layer_2"), **ARCH)
    assert kinds(report) == {
        (1, "W"): "mismatch",
        (1, "b"): "mismatch",
        (2, "W"): "mismatch",
        (2, "b"): "mismatch",
        (3, "W"): "ok",
        (3, "b"): "ok",
    }
    assert "backward step into layer 2" in report.summary
    assert "mismatch also in" in report.finding(2, "W").detail


def test_derivative_evaluated_at_z_instead_of_a():
    report = check_gradients(
        implementation("columns", "sigmoid", "sigmoid", bug="derivative_at_z"),
        **problem("sigmoid", "sigmoid"),
        layout="columns",
    )
    wrong = {key for key, kind in kinds(report).items() if kind != "ok"}
    assert wrong == {(1, "W"), (1, "b"), (2, "W"), (2, "b")}
    assert {kinds(report)[key] for key in wrong} == {"mismatch"}
    assert "backward step into layer 2" in report.summary


@pytest.mark.parametrize("sizes", [[4, 4, 4, 4], [3, 5, 4, 2]])
def test_reversed_layer_order(sizes):
    report = check_gradients(
        implementation("sklearn", bug="reversed_layers"),
        sizes=sizes,
        activations=["tanh", "tanh", "identity"],
        cost="squared_error",
        layout="sklearn",
    )
    assert kinds(report) == {
        (1, "W"): "layer_order",
        (1, "b"): "layer_order",
        (2, "W"): "ok",  # the middle layer stays in place
        (2, "b"): "ok",
        (3, "W"): "layer_order",
        (3, "b"): "layer_order",
    }
    assert report.finding(1, "W").other_layer == 3
    assert report.finding(3, "b").other_layer == 1
    assert "reversed order" in report.summary


def test_update_returned_instead_of_gradient_is_scale_minus_learning_rate():
    report = check_gradients(
        implementation("columns", "sigmoid", "sigmoid", bug="update_returned"),
        **problem("sigmoid", "sigmoid"),
        layout="columns",
    )
    assert set(kinds(report).values()) == {"scale"}
    assert all(f.factor == pytest.approx(-0.1) for f in report.findings)
    assert "learning_rate 0.1" in report.findings[0].detail


def test_exception_for_some_inputs():
    outcomes = {
        seed: check_gradients(
            implementation("rows", bug="raises_on_large_input"), **ARCH, seed=seed
        )
        for seed in range(6)
    }
    raised = [seed for seed, report in outcomes.items() if not report.passed]
    assert raised and len(raised) < len(outcomes)  # some inputs only
    for seed in raised:
        (finding,) = outcomes[seed].findings
        assert (finding.layer, finding.param, finding.kind) == (None, None, "exception")
        assert "ValueError: inputs must be standardised" in finding.detail


def test_nonfinite_entries():
    report = check_gradients(
        implementation("sklearn", bug="unfilled_buffer"), **ARCH, layout="sklearn"
    )
    assert kinds(report)[(1, "b")] == "nonfinite"
    assert report.finding(1, "b").worst_index == (0,)
    assert [f.kind for f in report.findings if (f.layer, f.param) != (1, "b")] == ["ok"] * 5


def test_wrong_number_of_layers_names_what_the_entries_hold():
    report = check_gradients(
        implementation("sklearn", bug="missing_layer"), **ARCH, layout="sklearn"
    )
    (finding,) = report.findings
    assert (finding.layer, finding.kind) == (None, "shape")
    assert "returned 2 entries, expected a list of 3" in finding.detail
    assert "entry 1 holds W^2" in finding.detail


def test_wrong_return_type():
    report = check_gradients(
        implementation("sklearn", bug="returns_none"), **ARCH, layout="sklearn"
    )
    (finding,) = report.findings
    assert finding.kind == "type" and "returned None" in finding.detail


def test_mutating_the_inputs_is_a_finding():
    report = check_gradients(implementation("rows", bug="mutates_input"), **ARCH)
    mutation = [f for f in report.findings if f.kind == "mutation"]
    assert len(mutation) == 1 and "modified its input X in place" in mutation[0].detail
    assert not report.passed
    # The gradient itself was computed before the mutation, and is right.
    assert [f.kind for f in report.findings if f.kind != "mutation"] == ["ok"] * 6


def test_swapped_weight_and_bias_lists_in_a_user_layout():
    report = check_gradients(
        lambda params, X, y: nielsen_backprop(params, X, y, bug="swapped_pair"),
        sizes=[2, 3, 2],
        activations="sigmoid",
        cost="squared_error",
        layout=NielsenLayout(),
    )
    assert not report.passed
    assert all(f.kind in ("shape", "type") for f in report.failures()), str(report)


@pytest.mark.parametrize(
    "returned",
    [
        42,
        "gradient",
        {"W": 1},
        [(np.zeros((5, 3)), np.zeros(5))],
        [(np.zeros((5, 3)),), (np.zeros((4, 5)), np.zeros(4)), (np.zeros((2, 4)), np.zeros(2))],
        [("a", "b")] * 3,
        [(np.zeros((5, 3), dtype=complex), np.zeros(5))] * 3,
        np.float64(1.0),
        iter([]),
    ],
)
def test_the_oracle_never_crashes_on_what_grad_fn_returns(returned):
    report = check_gradients(lambda params, X, y: returned, **ARCH)
    assert not report.passed
    assert report.findings and all(f.kind in KINDS for f in report.findings)
    str(report)
    json.dumps(report.to_dict())


# -- the report -----------------------------------------------------------------------------------


def test_report_renders_as_text_json_markdown_and_html():
    report = check_gradients(implementation("rows", bug="sum_instead_of_mean"), **ARCH)
    text = str(report)
    assert text.startswith("Gradient check FAILED")
    assert "scale" in text and "layer" in text
    data = json.loads(json.dumps(report.to_dict()))
    assert data["passed"] is False
    assert data["findings"][0]["kind"] == "scale"
    assert data["findings"][0]["factor"] == pytest.approx(8)
    assert data["settings"]["layout"] == "rows"
    assert "| layer" in report._repr_markdown_()
    assert "<table>" in report._repr_html_()


def test_assert_gradients_raises_with_the_table():
    with pytest.raises(AssertionError, match=r"(?s)FAILED.*sign.*negated"):
        assert_gradients(implementation("rows", bug="negated_output_delta"), **ARCH)
    report = assert_gradients(implementation("rows"), **ARCH)
    assert report.passed


# -- data -----------------------------------------------------------------------------------------


def test_make_problem_keeps_relu_pre_activations_away_from_the_kink():
    from numeric import Network

    network = Network([4, 16, 16, 1], ["relu", "relu", "identity"], "squared_error")
    _, X, _ = make_problem(network, n_samples=8, seed=0)
    zs, _ = network.trace(X)
    assert min(np.abs(z).min() for z in zs[:2]) > 1e-3


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cost", ["squared_error", "cross_entropy", "categorical_cross_entropy"])
def test_make_problem_data_is_exact_in_the_dtype_and_in_the_cost_domain(dtype, cost):
    from numeric import Network

    output = {"squared_error": "identity", "cross_entropy": "sigmoid"}.get(cost, "softmax")
    network = Network([3, 4, 3], ["tanh", output], cost)
    params, X, y = make_problem(network, dtype=dtype, seed=1)
    for array in [X, y, *[a for pair in params for a in pair]]:
        assert np.array_equal(array.astype(dtype).astype(np.float64), array)
    network.check_data(X, y)  # raises when y is outside the cost's domain
    if cost == "categorical_cross_entropy":
        assert np.array_equal(y.astype(dtype).sum(axis=1), np.ones(len(y), dtype))


# -- arguments ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"layout": "cols"}, ValueError, "`layout` must be one of 'rows', 'columns', 'sklearn'"),
        ({"layout": object()}, TypeError, "`layout` must be a layout name or an object with"),
        (
            {"dtype": np.int32},
            ValueError,
            r"`dtype` must be float32 or float64, got dtype\('int32'\)",
        ),
        (
            {"dtype": np.float16},
            ValueError,
            r"`dtype` must be float32 or float64, got dtype\('float16'\)",
        ),
        ({"dtype": "banana"}, TypeError, "`dtype` must be float32 or float64, got 'banana'"),
        ({"n_samples": 0}, ValueError, "`n_samples` must be an int >= 1, got 0"),
        ({"seed": 1.5}, TypeError, "`seed` must be an int >= 0, got 1.5"),
        ({"reduction": "avg"}, ValueError, "`reduction` must be one of 'mean', 'sum'"),
        ({"cost": "hinge"}, ValueError, "`cost` must be one of"),
        ({"rtol": -1.0}, ValueError, "`rtol` must be a finite number >= 0 or None, got -1.0"),
    ],
)
def test_bad_arguments_are_named(options, error, match):
    arguments = {**ARCH, **options}
    with pytest.raises(error, match=match):
        check_gradients(implementation("rows"), **arguments)


def test_grad_fn_must_be_callable():
    with pytest.raises(TypeError, match="`grad_fn` must be callable, got int"):
        check_gradients(3, **ARCH)


# -- black-box mode -------------------------------------------------------------------------------


def rows_loss_and_grad(X, y, *, hidden="tanh", bug=None):
    """A loss_fn(params) / grad_fn(params) pair for an identity-output squared-error network."""

    def loss_fn(params):
        a = X
        for m, (W, b) in enumerate(params):
            z = a @ W.T + b
            a = z if m == len(params) - 1 else FUNCTIONS[hidden](z)
        return 0.5 * ((a - y) ** 2).sum() / X.shape[0]

    def grad_fn(params):
        return rows_backprop(params, X, y, hidden=hidden, output="identity", bug=bug)

    return loss_fn, grad_fn


def black_box_problem(seed=0):
    rng = np.random.default_rng(seed)
    params = [
        (rng.standard_normal((4, 3)) / 2, rng.standard_normal(4) / 2),
        (rng.standard_normal((2, 4)) / 2, rng.standard_normal(2) / 2),
    ]
    return params, rng.standard_normal((6, 3)), rng.standard_normal((6, 2))


@pytest.mark.parametrize("seed", range(5))
def test_gradcheck_uses_complex_step_and_passes_a_correct_gradient(seed):
    params, X, y = black_box_problem(seed)
    report = gradcheck(*rows_loss_and_grad(X, y), params)
    assert report.settings["method"] == "complex"
    assert report.passed, str(report)


def test_gradcheck_falls_back_to_real_differences_for_non_analytic_losses():
    params, X, y = black_box_problem()
    loss_fn, grad_fn = rows_loss_and_grad(X, y, hidden="relu")

    def loss_with_abs(params):  # abs is not analytic: complex-step would be wrong
        return loss_fn(params) + 0.0 * np.abs(params[0][0]).sum() + np.abs(loss_fn(params)) * 0

    report = gradcheck(lambda p: float(np.real(loss_with_abs(p))), grad_fn, params)
    assert report.settings["method"] == "richardson"
    assert report.passed, str(report)


def test_gradcheck_finds_planted_bugs():
    params, X, y = black_box_problem()
    report = gradcheck(*rows_loss_and_grad(X, y, bug="sum_instead_of_mean"), params)
    assert {f.kind for f in report.findings} == {"scale"}
    assert report.findings[0].factor == pytest.approx(6)
    report = gradcheck(*rows_loss_and_grad(X, y, bug="negated_output_delta"), params)
    assert {f.kind for f in report.findings} == {"sign"}


def test_gradcheck_with_a_flat_list_of_arrays():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((3, 3))
    params = [rng.standard_normal(3), rng.standard_normal((2, 2))]

    def loss_fn(p):
        return p[0] @ A @ p[0] + np.sum(np.sin(p[1]))

    report = gradcheck(loss_fn, lambda p: [(A + A.T) @ p[0], np.cos(p[1])], params)
    assert report.passed, str(report)
    report = gradcheck(loss_fn, lambda p: [(A + A.T) @ p[0], np.cos(p[1]).T], params)
    assert [(f.layer, f.param, f.kind) for f in report.findings] == [
        (1, None, "ok"),
        (2, None, "transpose"),
    ]


def test_gradcheck_reports_mutation_and_exceptions():
    params, X, y = black_box_problem()
    loss_fn, grad_fn = rows_loss_and_grad(X, y)

    def mutating(p):
        g = grad_fn(p)
        p[1][1][:] = 0
        return g

    report = gradcheck(loss_fn, mutating, params)
    (mutation,) = [f for f in report.failures()]
    assert (mutation.layer, mutation.param, mutation.kind) == (2, "b", "mutation")
    assert params[1][1].any()  # the caller's arrays are untouched
    report = gradcheck(loss_fn, lambda p: 1 / 0, params)
    assert report.findings[0].kind == "exception"


def test_gradcheck_bad_arguments():
    params, X, y = black_box_problem()
    loss_fn, grad_fn = rows_loss_and_grad(X, y)
    with pytest.raises(
        ValueError,
        match="`method` must be one of 'central', 'complex', 'richardson' or None, got 'forward'",
    ):
        gradcheck(loss_fn, grad_fn, params, method="forward")
    with pytest.raises(
        TypeError,
        match=r"`params\[0\]` must be a floating-point array or number, .*, got dtype int64; "
        "integers have no gradient",
    ):
        gradcheck(loss_fn, grad_fn, [np.arange(3)])
    with pytest.raises(ValueError, match=r"`params\[0\]\[1\]` must be finite, got 1 NaN/Inf"):
        gradcheck(loss_fn, grad_fn, [(np.ones((2, 2)), np.array([0.0, np.nan]))])
    with pytest.raises(TypeError, match=r"`params\[0\]` must be real, got dtype complex128"):
        gradcheck(loss_fn, grad_fn, [np.ones(2, dtype=complex)])
    with pytest.raises(
        TypeError, match=r"`params` must be a floating-point array .*, got generator"
    ):
        gradcheck(loss_fn, grad_fn, (a for a in [np.ones(2)]))
    with pytest.raises(ValueError, match="`params` must be a structure holding at least one array"):
        gradcheck(loss_fn, grad_fn, [])
    with pytest.raises(TypeError, match="`loss_fn` must be callable, got int"):
        gradcheck(3, grad_fn, params)


def test_gradcheck_preference_names_methods_of_the_core():
    from verify.core.finite_differences import METHODS
    from verify.oracle.check import PREFERENCE

    assert set(PREFERENCE) <= set(METHODS) and PREFERENCE[0] == "complex"


# -- the pytest plugin ----------------------------------------------------------------------------

PLUGIN_TEST = """
import numpy as np


def grads(params, X, y, sign=1.0):  # identity network, squared error, mean over the batch
    (W, b), = params
    delta = sign * (X @ W.T + b - y) / X.shape[0]
    return [(delta.T @ X, delta.sum(axis=0))]


def test_passes(gradient_oracle):
    reports = gradient_oracle.assert_gradients(
        grads, sizes=[3, 2], activations="identity", cost="squared_error", seeds=range(3)
    )
    assert len(reports) == 3


def test_fails(gradient_oracle):
    gradient_oracle.configure(sizes=[3, 2], activations="identity", cost="squared_error")
    gradient_oracle.assert_gradients(lambda p, X, y: grads(p, X, y, sign=-1.0))
"""


def test_pytest_plugin_fixture(tmp_path):
    import subprocess
    import sys

    (tmp_path / "test_user.py").write_text(PLUGIN_TEST)
    # "-p no:chainrule" keeps an installed entry point from registering the plugin twice.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:chainrule",
            "-p",
            "verify.oracle.pytest_plugin",
            "-p",
            "no:cacheprovider",
            str(tmp_path / "test_user.py"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert "1 failed, 1 passed" in result.stdout, result.stdout + result.stderr
    assert "AssertionError: Gradient check FAILED" in result.stdout
    assert "exactly the negated gradient" in result.stdout


def test_pytest_plugin_imports_nothing_heavy():
    import subprocess
    import sys

    code = (
        "import sys, verify.oracle.pytest_plugin\n"
        "print(sorted(m for m in ('torch', 'sympy', 'sklearn') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


def test_gradient_oracle_object_without_pytester():
    from verify.oracle.pytest_plugin import GradientOracle

    oracle = GradientOracle(layout="columns", activations="sigmoid", cost="cross_entropy")
    fn = implementation("columns", "sigmoid", "sigmoid")
    assert oracle.check(fn, sizes=[3, 4, 2]).passed
    assert all(r.passed for r in oracle.assert_gradients(fn, sizes=[3, 4, 2], seeds=[0, 1]))
    with pytest.raises(AssertionError, match="transpose"):
        oracle.assert_gradients(
            implementation("columns", "sigmoid", "sigmoid", bug="transposed_weights"),
            sizes=[3, 4, 2],
        )


def test_gradcheck_reports_kinks_as_such():
    # Sample 0 sits exactly on the ReLU kink of unit 0 (z = 0.5 - 0.5 + 0 = 0). The candidate
    # takes relu'(0) = 0; real differences there see the mean of both one-sided slopes.
    W1, b1 = np.array([[1.0, -1.0, 0.0], [0.5, 0.2, -0.3]]), np.array([0.0, 0.1])
    W2, b2 = np.array([[1.0, -2.0]]), np.array([0.3])
    X = np.array([[0.5, 0.5, 1.0], [1.0, -1.0, 0.5], [0.2, 0.4, -1.0]])
    y = np.array([[1.0], [0.0], [2.0]])
    loss_fn, grad_fn = rows_loss_and_grad(X, y, hidden="relu")
    report = gradcheck(loss_fn, grad_fn, [(W1, b1), (W2, b2)])
    # The random-direction test sees the kink too: complex steps are not used across it.
    assert report.settings["method"] == "richardson"
    assert [f.kind for f in report.findings] == ["kink", "kink", "ok", "ok"]
    assert report.passed
    assert "2 agree at kinks of the loss" in report.summary
    assert "A kink is a point where the loss's slope jumps" in report.summary

    # Checked beside the kink: relu'(0) = 2 lies outside the one-sided derivatives there.
    def doubled_at_zero(p):
        (dW1, db1), rest = grad_fn(p)[0], grad_fn(p)[1]
        return [(dW1, db1 + np.array([0.5, 0.0])), rest]

    report = gradcheck(loss_fn, doubled_at_zero, [(W1, b1), (W2, b2)])
    assert [f.kind for f in report.findings][:2] == ["kink", "mismatch"], str(report)


def test_a_wrong_reference_is_an_oracle_error_not_a_finding():
    from numeric import Activation
    from verify.oracle.check import OracleError

    wrong_tanh = Activation("wrong_tanh", np.tanh, lambda z, a: 1 - a)  # should be 1 - a^2
    with pytest.raises(OracleError, match="disagrees with its complex-step finite differences"):
        check_gradients(
            implementation("rows"),
            sizes=[3, 4, 2],
            activations=[wrong_tanh, "identity"],
            cost="squared_error",
        )


def test_large_networks_are_cross_checked_along_directions():
    # 21,110 parameters: above FULL_CROSS_CHECK_LIMIT, the reference is checked in O(1) passes.
    from verify.oracle.check import FULL_CROSS_CHECK_LIMIT

    sizes = [200, 100, 10]
    assert (200 + 1) * 100 + (100 + 1) * 10 > FULL_CROSS_CHECK_LIMIT
    report = check_gradients(
        implementation("rows", "tanh", "identity"),
        sizes=sizes,
        activations=["tanh", "identity"],
        cost="squared_error",
    )
    assert report.passed, str(report)


# -- layouts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["rows", "columns", "sklearn"])
def test_layouts_round_trip(name):
    from verify.oracle.layouts import get_layout

    layout = get_layout(name)
    rng = np.random.default_rng(0)
    params = [
        (rng.standard_normal((4, 3)), rng.standard_normal(4)),
        (rng.standard_normal((2, 4)), rng.standard_normal(2)),
    ]
    X, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    back = layout.params_from_user(layout.params_to_user(params))
    assert all(np.array_equal(a, b) for p, q in zip(params, back) for a, b in zip(p, q))
    user_X, user_y = layout.data_to_user(X, y)
    assert user_X.shape == ((3, 5) if name == "columns" else (5, 3))
    assert all(np.array_equal(a, b) for a, b in zip(layout.data_from_user(user_X, user_y), (X, y)))
    W_user, b_user = layout.params_to_user(params)[0]
    assert W_user.shape == ((3, 4) if name == "sklearn" else (4, 3))
    assert b_user.shape == ((4, 1) if name == "columns" else (4,))


def test_layouts_refuse_what_does_not_fit():
    from verify.oracle.layouts import get_layout

    with pytest.raises(
        ValueError,
        match=r"params\[0\]\[1\] must have shape \(N\^m, 1\) in the "
        r"'columns' layout, got \(4,\)",
    ):
        get_layout("columns").params_from_user([(np.zeros((4, 3)), np.zeros(4))])
    with pytest.raises(
        ValueError,
        match=r"params\[0\] must be a \(W, b\) pair in the 'rows' "
        "layout, got 3 items",
    ):
        get_layout("rows").params_from_user([(np.zeros((4, 3)), np.zeros(4), np.zeros(1))])
    with pytest.raises(ValueError, match=r"params\[0\]\[0\] must have shape \(N\^\{m-1\}, N\^m\)"):
        get_layout("sklearn").params_from_user([(np.zeros(4), np.zeros(4))])


@pytest.mark.parametrize("method", [None, "complex", "central", "richardson"])
@pytest.mark.parametrize("seed", range(3))
def test_gradcheck_passes_correct_float32_and_float64_gradients_with_every_method(method, seed):
    params, X, y = black_box_problem(seed)
    params32 = [(W.astype(np.float32), b.astype(np.float32)) for W, b in params]
    loss_fn, grad_fn = rows_loss_and_grad(X.astype(np.float32), y.astype(np.float32))
    report = gradcheck(loss_fn, grad_fn, params32, method=method, seed=seed)
    assert report.passed and report.settings["dtype"] == "float32", str(report)
    report = gradcheck(*rows_loss_and_grad(X, y, hidden="sigmoid"), params, method=method)
    assert report.passed, str(report)


def test_zero_d_object_arrays_are_a_type_finding_not_a_crash():
    report = check_gradients(
        lambda params, X, y: [np.array(None, dtype=object)] * 2,
        sizes=[3, 4, 2],
        activations="tanh",
        cost="squared_error",
    )
    assert not report.passed
    assert [f.kind for f in report.findings] == ["type", "type"]


def test_an_entry_next_to_a_kink_is_checked_beside_it():
    # x = 1e-7 is 1e-7 from relu's kink: a central difference straddles it, so the oracle refines
    # the step until it no longer does and checks the derivative at x itself, 1.
    def loss(p):
        return float(np.maximum(p[0], 0).sum())

    for method in ("central", "richardson", None):
        right = gradcheck(
            loss, lambda p: [np.where(p[0] > 0, 1.0, 0.0)], [np.array([1e-7])], method=method
        )
        assert [f.kind for f in right.findings] == ["ok"], str(right)
        report = gradcheck(loss, lambda p: [np.zeros(1)], [np.array([1e-7])], method=method)
        assert not report.passed and not report.inconclusive, str(report)


def test_fixture_seeds_with_a_configured_default_seed():
    from verify.oracle.pytest_plugin import GradientOracle

    def good(params, X, y):
        return rows_backprop(params, X, y, hidden="tanh", output="identity")

    oracle = GradientOracle(sizes=[3, 4, 2], activations=["tanh", "identity"], cost="squared_error")
    reports = oracle.configure(seed=3).assert_gradients(good, seeds=range(2))
    assert len(reports) == 2 and all(r.passed for r in reports)
