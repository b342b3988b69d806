"""Symbolic networks: symbols, forward expressions, the cost, route (b)'s structure, bad input."""

import pytest
import sympy as sp

import derive


@pytest.fixture(scope="module")
def net():
    return derive.derive_network([2, 3, 1], ["tanh", "sigmoid"], "squared_error")


def test_parameters_follow_the_layout(net):
    assert [W.shape for W in net.weights] == [(3, 2), (1, 3)]
    assert [b.shape for b in net.biases] == [(3, 1), (1, 1)]
    assert len(net.parameters) == 3 * 2 + 3 + 1 * 3 + 1
    # layer by layer, W row-major then b
    assert [p.label for p in net.parameters[:8]] == [
        "W^1[1,1]",
        "W^1[1,2]",
        "W^1[2,1]",
        "W^1[2,2]",
        "W^1[3,1]",
        "W^1[3,2]",
        "b^1[1]",
        "b^1[2]",
    ]
    assert net.parameters[0].symbol is net.weights[0][0, 0]


def test_forward_expressions_by_hand():
    # [1, 1, 1] with identity then sigmoid: z^1 = W^1 x + b^1, a^2 = 1 / (1 + exp(-(W^2 z^1 + b^2)))
    net = derive.derive_network([1, 1, 1], ["identity", "sigmoid"], "squared_error")
    (w1,), (b1,), (w2,), (b2,) = net.weights[0], net.biases[0], net.weights[1], net.biases[1]
    (x,), (y,) = net.inputs[0], net.targets[0]
    assert net.z(1)[0] == w1 * x + b1
    assert net.a(1)[0] == w1 * x + b1
    assert sp.expand(net.a(2)[0] - 1 / (1 + sp.exp(-(w2 * (w1 * x + b1) + b2)))) == 0
    assert sp.expand(net.cost_expression - (y - net.a(2)[0]) ** 2 / 2) == 0


def test_backprop_definitions_are_the_documents_recursion(net):
    bp = net.backprop
    definitions = bp.sample_definitions[0]
    (delta_out,) = bp.delta[0][2]
    a1, z1, d1 = bp.a[0][1], bp.z[0][1], bp.delta[0][1]
    W2 = net.weights[1]
    # sigmoid output with squared error: delta^2 = (a - y) a (1 - a), by hand
    (a2,), (y,) = bp.a[0][2], net.targets[0]
    assert sp.expand(definitions[delta_out] - (a2 - y) * a2 * (1 - a2)) == 0
    # tanh hidden layer: delta^1_k = W^2_{1k} delta^2 (1 - (a^1_k)^2), in terms of the symbols
    for k in range(3):
        assert sp.expand(definitions[d1[k]] - W2[0, k] * delta_out * (1 - a1[k] ** 2)) == 0
        assert definitions[a1[k]] == sp.tanh(z1[k])
    # gradients: delta^m_i a^{m-1}_j and delta^m_i
    assert bp.gradients[net.weights[0][1, 0]] == d1[1] * net.inputs[0][0]
    assert bp.gradients[net.biases[1][0]] == delta_out


def test_intermediates_stay_small_while_the_expanded_gradient_grows(net):
    from derive.symbols import operation_count

    bp = net.backprop
    w = net.weights[0][0, 0]
    assert operation_count(bp.gradients[w]) == 1
    assert max(operation_count(d) for d in bp.sample_definitions[0].values()) < 12
    assert operation_count(bp.expanded_gradients()[w]) > 20


def test_one_activation_is_used_for_every_layer():
    net = derive.derive_network([1, 2, 2, 1], "relu", "squared_error")
    assert [a.name for a in net.activations] == ["relu"] * 3


def test_direct_gradients_differentiate_the_cost(net):
    b = net.biases[1][0]
    assert net.direct_gradients[b] == sp.diff(net.cost_expression, b)


def test_repr_names_the_network(net):
    assert repr(net) == (
        "SymbolicNetwork(sizes=[2, 3, 1], activations=[tanh, sigmoid], "
        "cost='squared_error', n_samples=1)"
    )


# -- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize("sizes", [[2, 0, 1], [2], [], [3, -1]])
def test_sizes_below_one_or_too_few_layers_are_refused(sizes):
    with pytest.raises(ValueError, match=r"`sizes` must be a sequence of at least two ints >= 1"):
        derive.derive_network(sizes)


@pytest.mark.parametrize("sizes", [[2, 1.5, 1], [2, True], 3])
def test_sizes_of_the_wrong_type_are_refused(sizes):
    with pytest.raises(TypeError, match=r"`sizes` must be a sequence of at least two ints"):
        derive.derive_network(sizes)


def test_too_large_an_architecture_names_the_limit_and_the_numeric_alternative():
    # [10, 10, 10]: 110 + 110 = 220 parameters
    with pytest.raises(
        ValueError,
        match=r"at most 200 parameters .* got \[10, 10, 10\] with 220 parameters.*"
        r"numeric\.Network\(sizes, \.\.\.\)\.gradients\(X, y\)",
    ):
        derive.derive_network([10, 10, 10])


def test_the_limit_itself_is_accepted():
    assert derive.MAX_PARAMETERS == 200
    # 2 -> 49 -> 1: 147 + 50 = 197 parameters
    assert len(derive.derive_network([2, 49, 1], "identity", "squared_error").parameters) == 197


def test_unknown_activation_in_a_list_is_refused():
    with pytest.raises(ValueError, match=r"`activations` must be one of .*'softmax'.*got 'swish'"):
        derive.derive_network([2, 2, 1], ["tanh", "swish"])


def test_one_activation_per_layer():
    with pytest.raises(
        ValueError, match=r"`activations` must be a sequence with one entry per layer \(2 entries\)"
    ):
        derive.derive_network([2, 2, 1], ["tanh", "tanh", "tanh"])


def test_unknown_cost_is_refused():
    with pytest.raises(ValueError, match=r"`cost` must be one of .*got 'hinge'"):
        derive.derive_network([2, 2, 1], cost="hinge")


@pytest.mark.parametrize("n_samples", [0, derive.MAX_SAMPLES + 1])
def test_n_samples_out_of_range_is_refused(n_samples):
    with pytest.raises(ValueError, match=rf"`n_samples` must be between 1 and 8, got {n_samples}"):
        derive.derive_network([1, 1], n_samples=n_samples)


def test_layer_index_out_of_range_is_refused(net):
    with pytest.raises(ValueError, match=r"`m` must be a layer between 1 and 2, got 0"):
        net.z(0)
