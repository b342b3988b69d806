"""Paths of the catalogues and kernels that the gradient tests do not reach: which outputs a cost
pairs with, stacks of networks (a leading axis), dtypes, the network's repr, the XOR example's
arguments."""

from __future__ import annotations

import numpy as np
import pytest

from numeric import ACTIVATIONS, COSTS, Network, format_xor_table, kernels, train_xor
from numeric.examples import XOR_INPUTS, XOR_TARGETS

# -- which output activations each cost takes ------------------------------------------------------


def test_pairs_of_costs_and_output_activations():
    pairs = {
        name: sorted(act for act in ACTIVATIONS if cost.pairs_with(ACTIVATIONS[act]))
        for name, cost in COSTS.items()
    }
    assert pairs["squared_error"] == sorted(ACTIVATIONS)  # any output
    # Outputs within [0, 1]: sigmoid, and softmax whose rows are also distributions.
    assert pairs["cross_entropy"] == ["sigmoid", "softmax"]
    # Distributions: softmax alone (sigmoid fits [0, 1] but its rows do not sum to 1).
    assert pairs["categorical_cross_entropy"] == ["softmax"]
    fits = [
        act
        for act in ACTIVATIONS
        if COSTS["categorical_cross_entropy"].fits_output(ACTIVATIONS[act])
    ]
    assert sorted(fits) == ["sigmoid", "softmax"]


# -- stacks: a leading axis of networks ------------------------------------------------------------


def _stack_problem(output, cost, seed=0):
    rng = np.random.default_rng(seed)
    nets = [Network([3, 4, 3], ["tanh", output], cost, seed=s) for s in (1, 2)]
    X = rng.standard_normal((5, 3))
    y = COSTS[cost].sample_targets(rng, 5, 3)
    stacked = [
        (np.stack([n.params[m][0] for n in nets]), np.stack([n.params[m][1] for n in nets]))
        for m in range(2)
    ]
    return nets, stacked, X, y


@pytest.mark.parametrize(
    ("output", "cost"),
    [
        ("softmax", "categorical_cross_entropy"),  # fused, through the log-softmax
        ("softmax", "squared_error"),  # softmax's vector-Jacobian product
        ("sigmoid", "cross_entropy"),  # fused softplus
        ("elu", "squared_error"),
    ],
)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_a_stack_of_networks_equals_each_network_alone(output, cost, reduction):
    nets, stacked, X, y = _stack_problem(output, cost)
    acts, c = nets[0].activations, nets[0].cost
    loss, grads = kernels.backprop(stacked, acts, c, np.stack([X, X]), y, reduction)
    assert loss.shape == (2,)
    for k, net in enumerate(nets):
        net.reduction = reduction
        alone_loss, alone = kernels.backprop(net.params, acts, c, X, y, reduction)
        assert loss[k] == pytest.approx(alone_loss, rel=1e-13)
        for (dW, db), (dW1, db1) in zip(grads, alone):
            np.testing.assert_allclose(dW[k], dW1, rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(db[k], db1, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("cost", ["cross_entropy", "categorical_cross_entropy"])
def test_unfused_costs_reduce_over_the_last_axis_of_a_stack(cost):
    rng = np.random.default_rng(0)
    a = rng.uniform(0.05, 0.95, size=(2, 4, 3))
    y = COSTS[cost].sample_targets(rng, 4, 3)
    values = COSTS[cost].value(a, y)
    assert values.shape == (2, 4)
    for k in range(2):
        np.testing.assert_array_equal(values[k], COSTS[cost].value(a[k], y))


def test_kernels_loss_takes_the_mean_by_default():
    net = Network([2, 1], "identity", "squared_error", seed=0)
    net.params = [(np.array([[1.0, 0.0]]), np.zeros(1))]
    X, y = np.array([[1.0, 0.0], [3.0, 0.0]]), np.zeros((2, 1))
    # Costs 0.5 and 4.5: mean 2.5, sum 5.
    assert kernels.loss(net.params, net.activations, net.cost, X, y) == 2.5
    assert kernels.loss(net.params, net.activations, net.cost, X, y, "sum") == 5.0


@pytest.mark.parametrize("name", ["elu", "relu", "leaky_relu", "sigmoid", "tanh", "softplus"])
def test_derivatives_keep_float32(name):
    z = np.array([[-2.0, -0.5, 0.0, 0.5, 2.0]], dtype=np.float32)
    act = ACTIVATIONS[name]
    assert act.derivative(z, act(z)).dtype == np.float32


def test_elu_at_and_around_zero():
    elu = ACTIVATIONS["elu"]
    z = np.array([[-1.0, 0.0, 2.0]])
    np.testing.assert_allclose(elu(z), [[np.expm1(-1.0), 0.0, 2.0]], rtol=1e-15)
    # The derivative e^z below 0 (a + 1), 1 above; continuous at 0, where both give 1.
    np.testing.assert_allclose(elu.derivative(z, elu(z)), [[np.exp(-1.0), 1.0, 1.0]], rtol=1e-15)


# -- the network's repr ---------------------------------------------------------------------------


def test_repr_names_one_activation_when_all_layers_share_it():
    net = Network([2, 3, 1], "tanh", "squared_error", seed=0, dtype=np.float32, reduction="sum")
    assert repr(net) == (
        "Network([2, 3, 1], activations='tanh', cost='squared_error', dtype=float32, "
        "reduction='sum')"
    )


def test_repr_lists_the_activations_when_they_differ():
    net = Network([2, 3, 1], ["relu", "sigmoid"], "cross_entropy", seed=0)
    assert repr(net) == (
        "Network([2, 3, 1], activations=['relu', 'sigmoid'], cost='cross_entropy', "
        "dtype=float64, reduction='mean')"
    )


# -- the XOR example ------------------------------------------------------------------------------


def _manual_xor(seed, epochs, learning_rate, dtype=np.float64):
    net = Network([2, 2, 1], "sigmoid", "cross_entropy", seed=seed, init="normal", dtype=dtype)
    net.fit(XOR_INPUTS, XOR_TARGETS, learning_rate=learning_rate, epochs=epochs, progress=False)
    return net


def _same_params(a, b):
    return all(np.array_equal(p, q) for pa, pb in zip(a.params, b.params) for p, q in zip(pa, pb))


def test_train_xor_is_the_documents_run():
    # Seed 1, 1,000 full-batch steps at rate 1, a 2-2-1 sigmoid network with cross-entropy.
    net = train_xor()
    assert net.sizes == (2, 2, 1) and net.cost is COSTS["cross_entropy"]
    assert _same_params(net, _manual_xor(1, 1000, 1.0))


def test_train_xor_passes_its_arguments_on(capsys):
    net = train_xor(seed=4, epochs=7, learning_rate=0.5, dtype=np.float32)
    assert net.dtype == np.float32
    assert _same_params(net, _manual_xor(4, 7, 0.5, np.float32))
    assert not _same_params(net, _manual_xor(4, 7, 1.0, np.float32))
    assert capsys.readouterr().err == ""  # no progress line


def test_xor_table_quantizes_strictly_above_one_half():
    net = Network([2, 2, 1], "sigmoid", "cross_entropy", seed=0)
    net.params = [(np.zeros((2, 2)), np.zeros(2)), (np.zeros((1, 2)), np.zeros(1))]
    # Every output is sigmoid(0) = 0.5 exactly: quantized to 0.
    assert format_xor_table(net).splitlines()[1:] == [
        "[0, 0]\t0.5000\t[0]",
        "[1, 0]\t0.5000\t[0]",
        "[0, 1]\t0.5000\t[0]",
        "[1, 1]\t0.5000\t[0]",
    ]
