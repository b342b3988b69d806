"""Both gradient routes and the emitted NumPy code, for every sensible activation x cost pair.

Route (a) (direct differentiation) and route (b) (symbolic backprop) must be proven equal; the
emitted gradient must match two independent references, HIPS autograd on a forward pass written
from the definitions (``tests.reference``), and ``numeric``'s hand-written backprop, to 1e-12
relative in float64.
"""

import itertools
from functools import cache

import autograd.numpy as anp
import numpy as np
import pytest
import sympy as sp

import derive
import derive.proof
import numeric
from tests import reference

HIDDEN = list(derive.ACTIVATIONS)
OUTPUT_PAIRS = [(act, "squared_error") for act in HIDDEN] + [
    ("sigmoid", "cross_entropy"),
    ("softmax", "cross_entropy"),
    ("softmax", "categorical_cross_entropy"),
]
# Two architectures; the hidden activation rotates so that each one meets several output pairs.
CASES = [
    case
    for i, (output, cost) in enumerate(OUTPUT_PAIRS)
    for case in (
        ((2, 2, 2), (HIDDEN[i % len(HIDDEN)], output), cost),
        ((1, 3, 2), (HIDDEN[(i + 3) % len(HIDDEN)], output), cost),
    )
]
IDS = [f"{list(s)}-{'-'.join(a)}-{c}" for s, a, c in CASES]

# Relative tolerance against float64 references: the two computations round differently, by a few
# units in the last place times the depth of the computation (measured: below 1e-14).
RTOL = 1e-12


@cache
def network(sizes, activations, cost, n_samples=1):
    return derive.derive_network(list(sizes), list(activations), cost, n_samples=n_samples)


def batch(sizes, cost, n_samples=16, seed=0):
    """Seeded parameters, inputs and targets inside every cost's domain."""
    rng = np.random.default_rng(seed)
    params = [
        (rng.normal(size=(n_out, n_in)), rng.normal(size=n_out))
        for n_in, n_out in itertools.pairwise(sizes)
    ]
    X = rng.normal(size=(n_samples, sizes[0]))
    y = numeric.COSTS[cost].sample_targets(rng, n_samples, sizes[-1])
    return params, X, y


# For the reference network, two functions no catalogue has: the document's sigmoid as written
# (its sign slip) and a cost without targets.
def sigmoid_as_written(z):
    return 1 / (1 + anp.exp(z))


def sum_of_outputs(a, y):
    return anp.sum(a, axis=1)


def assert_same_gradients(actual, expected):
    assert len(actual) == len(expected)
    for m, ((dW, db), (rW, rb)) in enumerate(zip(actual, expected), start=1):
        for name, got, want in (("W", dW, rW), ("b", db, rb)):
            assert got.shape == np.shape(want), f"dC/d{name}^{m}"
            scale = np.max(np.abs(want))
            if scale == 0:  # e.g. ReLU units dead for the whole batch
                assert not np.any(got), f"dC/d{name}^{m} should be 0"
                continue
            error = np.max(np.abs(got - want)) / scale
            assert error <= RTOL, f"dC/d{name}^{m}: relative error {error:.1e}"


@pytest.mark.parametrize("sizes, activations, cost", CASES, ids=IDS)
def test_routes_are_proven_equal(sizes, activations, cost):
    net = network(sizes, activations, cost)
    proof = net.prove(seed=1)
    assert [p.description for p in proof.failures] == []
    assert len(proof.proofs) == len(net.parameters)
    assert set(proof.counts()) == {"exact", "numeric"}


@pytest.mark.parametrize("sizes, activations, cost", CASES, ids=IDS)
def test_lambdified_gradients_match_autograd(sizes, activations, cost):
    params, X, y = batch(sizes, cost)
    gradients = network(sizes, activations, cost).lambdify()(params, X, y)
    assert_same_gradients(gradients, reference.gradients(params, X, y, activations, cost))


@pytest.mark.parametrize("sizes, activations, cost", CASES, ids=IDS)
def test_lambdified_gradients_match_numeric(sizes, activations, cost):
    params, X, y = batch(sizes, cost, seed=2)
    net = numeric.Network(list(sizes), activations=list(activations), cost=cost, seed=0)
    net.params = params
    gradients = network(sizes, activations, cost).lambdify()(params, X, y)
    assert_same_gradients(gradients, net.gradients(X, y))


@pytest.mark.parametrize("sizes, activations, cost", CASES[::3], ids=IDS[::3])
def test_lambdified_cost_matches_autograd_forward(sizes, activations, cost):
    params, X, y = batch(sizes, cost, seed=3)
    value = network(sizes, activations, cost).lambdify_cost()(params, X, y)
    expected = reference.loss(params, X, y, activations, cost)
    assert isinstance(value, float)
    assert abs(value - expected) <= RTOL * abs(expected)


def test_batch_gradient_is_the_mean_of_sample_gradients():
    sizes, activations, cost = (2, 3, 2), ("tanh", "sigmoid"), "cross_entropy"
    params, X, y = batch(sizes, cost, n_samples=5)
    f = network(sizes, activations, cost).lambdify()
    whole = f(params, X, y)
    singles = [f(params, X[i : i + 1], y[i : i + 1]) for i in range(len(X))]
    for m, (dW, db) in enumerate(whole):
        np.testing.assert_allclose(dW, np.mean([s[m][0] for s in singles], axis=0), rtol=1e-13)
        np.testing.assert_allclose(db, np.mean([s[m][1] for s in singles], axis=0), rtol=1e-13)


def test_two_sample_network_proves_and_emits_the_same_gradient():
    sizes, activations, cost = (2, 2, 1), ("sigmoid", "sigmoid"), "squared_error"
    net = network(sizes, activations, cost, n_samples=2)
    assert net.prove().equal
    # The batch cost is the mean of the two sample costs.
    assert sp.expand(2 * net.cost_expression - sum(net.sample_costs)) == 0
    params, X, y = batch(sizes, cost)
    assert_same_gradients(
        net.lambdify()(params, X, y), network(sizes, activations, cost).lambdify()(params, X, y)
    )


def test_documents_sigmoid_as_written_is_derived_like_any_other():
    as_written = derive.SymbolicActivation("sigmoid_as_written", lambda z: 1 / (1 + sp.exp(z)))
    net = derive.derive_network([2, 2, 1], as_written, "cross_entropy")
    assert net.prove().equal
    # delta^L for 1/(1 + e^z) with cross-entropy is y - a, not the document's a - y.
    delta = net.backprop.delta[0][2][0]
    a_out, y_out = net.backprop.a[0][2][0], net.targets[0][0]
    assert sp.expand(net.backprop.sample_definitions[0][delta] - (y_out - a_out)) == 0
    params, X, y = batch((2, 2, 1), "cross_entropy")
    assert_same_gradients(
        net.lambdify()(params, X, y),
        reference.gradients(params, X, y, [sigmoid_as_written] * 2, "cross_entropy"),
    )


def test_sample_independent_outputs_are_emitted_too():
    # A cost without targets: dC/db^L = 1 for every sample.
    total = derive.SymbolicCost("sum_of_outputs", lambda a, y: sum(a))
    net = derive.derive_network([2, 2, 2], ["tanh", "identity"], total)
    params, X, y = batch((2, 2, 2), "squared_error")
    gradients = net.lambdify()(params, X, y)
    np.testing.assert_array_equal(gradients[-1][1], [1.0, 1.0])
    assert_same_gradients(
        gradients, reference.gradients(params, X, y, ["tanh", "identity"], sum_of_outputs)
    )


# -- planted bugs: the proof must find them and say where ---------------------------------------


def planted(sizes, activations, cost, symbol_name, wrong):
    """A fresh network whose route (b) has one definition replaced by ``wrong(definition)``."""
    net = derive.derive_network(list(sizes), list(activations), cost)
    definitions = net.backprop.sample_definitions[0]
    symbol = next(s for s in definitions if s.name == symbol_name)
    definitions[symbol] = wrong(definitions[symbol])
    return net


def test_proof_finds_a_negated_output_delta_in_every_parameter():
    net = planted((2, 2, 1), ("sigmoid", "sigmoid"), "cross_entropy", "delta2_1", lambda d: -d)
    proof = net.prove()
    assert not proof.equal
    assert len(proof.failures) == len(net.parameters)
    assert "DIFFER" in proof.summary()


def test_proof_locates_a_missing_activation_derivative_to_its_unit():
    # delta^1_1 without its sigma'(z^1_1) factor: only W^1_1j and b^1_1 go wrong.
    net = planted(
        (2, 2, 1), ("sigmoid", "sigmoid"), "cross_entropy", "delta1_1", lambda d: d.args[0]
    )
    proof = net.prove()
    assert sorted(p.parameter.label for p in proof.failures) == ["W^1[1,1]", "W^1[1,2]", "b^1[1]"]
    assert all("DIFFERENT" in p.description for p in proof.failures)


def test_numeric_proof_agrees_and_catches_a_planted_bug(monkeypatch):
    monkeypatch.setattr(derive.proof, "EXACT_OPERATION_LIMIT", 0)
    good = network((2, 2, 2), ("tanh", "softmax"), "categorical_cross_entropy").prove(points=2)
    assert good.equal and good.counts() == {"exact": 0, "numeric": len(good.proofs)}
    worst = max(p.max_difference for p in good.proofs)
    assert worst < 1e-40
    assert "2 points, 50 digits" in good.proofs[0].detail
    bad = planted(
        (2, 2, 2), ("tanh", "softmax"), "categorical_cross_entropy", "a2_1", lambda d: 1.001 * d
    ).prove(points=2)
    assert {p.parameter.layer for p in bad.failures} == {1, 2}
    assert all(p.method == "numeric" and p.max_difference > 1e-6 for p in bad.failures)


def test_proof_is_deterministic_for_a_seed(monkeypatch):
    monkeypatch.setattr(derive.proof, "EXACT_OPERATION_LIMIT", 0)
    net = network((2, 2, 2), ("tanh", "softmax"), "categorical_cross_entropy")
    first, second = net.prove(points=1, seed=5), net.prove(points=1, seed=5)
    assert [p.max_difference for p in first.proofs] == [p.max_difference for p in second.proofs]


# -- bad input to the emitted functions ---------------------------------------------------------


@pytest.fixture(scope="module")
def emitted():
    net = network((2, 2, 1), ("sigmoid", "sigmoid"), "cross_entropy")
    params, X, y = batch((2, 2, 1), "cross_entropy")
    return net.lambdify(), params, X, y


def test_wrong_number_of_layers_is_refused(emitted):
    f, params, X, y = emitted
    with pytest.raises(TypeError, match=r"`params` must be a list of 2 \(W, b\) pairs"):
        f(params[:1], X, y)


def test_wrong_weight_shape_is_refused(emitted):
    f, params, X, y = emitted
    bad = [(params[0][0].T[:, :1], params[0][1]), params[1]]
    with pytest.raises(ValueError, match=r"`params\[0\]\[0\] \(W\^1\)` must be of shape \(2, 2\)"):
        f(bad, X, y)


def test_wrong_batch_shapes_are_refused(emitted):
    f, params, X, y = emitted
    with pytest.raises(ValueError, match=r"`X` must be of shape \(n_samples, 2\).*got \(2, 16\)"):
        f(params, X.T, y)
    with pytest.raises(ValueError, match=r"`y` must be one row per sample of X \(16 rows\), got 6"):
        f(params, X, y[:6])


def test_non_finite_batch_is_refused(emitted):
    f, params, X, y = emitted
    X = X.copy()
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="`X` must be finite"):
        f(params, X, y)
