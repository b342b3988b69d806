"""network_gradient's stacked evaluations, one path at a time, against a brute-force forward pass.

Every perturbation of z^m (one unit, all samples or one sample per copy) must give the same
per-sample costs as running the perturbed z^m through the network's layers and cost the plain
way: through the rank-one update of z^{m+1}, the one-unit cost shortcut of a cost that is a sum
over its units, and the full stacked forward pass. The shortcuts change which work is done, never
the values, so the comparison is to rounding (float64, a few layers: 1e-12 relative).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from numeric import Activation, Cost, Network, kernels
from verify.core.network_gradient import _probe, _Stacks


def _brute_force(net: Network, zs, y, m: int, units, change, rows):
    """Per-sample costs (k, n_rows) of each copy: z^m with column units[r] moved by change[r]."""
    costs = []
    for r, unit in enumerate(units):
        z = (zs[m] if rows is None else zs[m][rows[r] : rows[r] + 1]).astype(change.dtype)
        z[:, unit] += change[r]
        for layer in range(m, net.n_layers):
            a = net.activations[layer](z)
            if layer == net.n_layers - 1:
                y_rows = y if rows is None else y[rows[r] : rows[r] + 1]
                costs.append(kernels.sample_costs(net.activations[-1], net.cost, z, a, y_rows))
                break
            W, b = net.params[layer + 1]
            z = a @ W.T + b
    return np.array(costs)


def _problem(sizes, activations, cost, seed=0):
    net = Network(sizes, activations, cost, seed=seed)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((5, sizes[0]))
    y = net.cost.sample_targets(rng, 5, sizes[-1])
    return net, X, y


CASES = [
    # (sizes, activations, cost): a deep elementwise network (the rank-one path at every layer but
    # the last, with distinct widths so that a cached array of the wrong layer cannot fit), fused
    # and unfused separable costs, and a softmax output whose cost needs all its units.
    ([3, 4, 5, 6, 2], ["tanh", "sigmoid", "elu", "sigmoid"], "cross_entropy"),
    ([3, 4, 5, 6, 2], ["sigmoid", "tanh", "softplus", "identity"], "squared_error"),
    ([2, 3, 4], ["tanh", "softmax"], "categorical_cross_entropy"),
    ([2, 5, 3], ["softplus", "tanh"], "squared_error"),
    # Kinked layers: each copy's crossings are judged against the unperturbed rows.
    ([3, 4, 5, 2], ["relu", "leaky_relu", "sigmoid"], "cross_entropy"),
]


@pytest.mark.parametrize(("sizes", "activations", "cost"), CASES)
@pytest.mark.parametrize("one_sample_per_copy", [False, True])
def test_every_layers_stacked_costs_are_the_plain_forward_pass(
    sizes, activations, cost, one_sample_per_copy
):
    net, X, y = _problem(sizes, activations, cost)
    stacks = _Stacks.of(net, X, y, complex_step=False)
    zs = stacks.zs
    rng = np.random.default_rng(1)
    for m in range(net.n_layers):
        k = 3  # fewer copies than samples, so that the two cannot be confused
        units = rng.integers(0, sizes[m + 1], k)
        rows = rng.integers(0, X.shape[0], k) if one_sample_per_copy else None
        n_rows = 1 if one_sample_per_copy else X.shape[0]
        change = rng.uniform(-0.5, 0.5, (k, n_rows))
        # Twice: the second call reads the arrays the first one cached.
        for _ in range(2):
            got, _ = stacks.costs(m, units, change, rows)
            expected = _brute_force(net, zs, y, m, units, change, rows)
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


def test_complex_steps_go_through_the_same_paths():
    net, X, y = _problem([3, 4, 5, 2], ["tanh", "sigmoid", "sigmoid"], "cross_entropy")
    stacks = _Stacks.of(net, X, y, complex_step=True)
    change = np.full((3, X.shape[0]), 1e-20j)
    for m in range(net.n_layers):
        units = np.arange(3) % net.sizes[m + 1]
        got, _ = stacks.costs(m, units, change)
        expected = _brute_force(net, stacks.zs, y, m, units, change, None)
        np.testing.assert_allclose(got.real, expected.real, rtol=1e-13)
        np.testing.assert_allclose(got.imag, expected.imag, rtol=1e-10, atol=1e-40)


@pytest.mark.parametrize(
    ("activations", "cost", "separable"),
    [
        (["tanh", "sigmoid"], "cross_entropy", True),
        (["tanh", "identity"], "squared_error", True),
        (["tanh", "softmax"], "categorical_cross_entropy", False),
    ],
)
def test_the_one_unit_shortcut_is_taken_exactly_where_the_cost_is_a_sum_over_units(
    activations, cost, separable
):
    net, X, y = _problem([2, 3, 3], activations, cost)
    stacks = _Stacks.of(net, X, y, complex_step=False)
    assert (stacks.unit_costs is not None) is separable
    if separable:
        # Each row of the unit costs sums to the sample's cost.
        np.testing.assert_allclose(stacks.unit_costs.sum(axis=1), stacks.base_costs, rtol=1e-13)


def test_a_cost_that_mixes_its_units_is_not_taken_for_a_sum_over_them():
    # (sum_i (a_i - y_i))^2 / 2: for a single unit it is the squared error, so only the
    # comparison with the whole sample's cost can tell.
    def value(a, y):
        return 0.5 * np.sum(a - y, axis=-1) ** 2

    def derivative(a, y):
        return np.broadcast_to(np.sum(a - y, axis=-1, keepdims=True), a.shape)

    mixed = Cost("mixed", value, derivative)
    net = Network([2, 3, 3], ["tanh", "identity"], mixed, seed=0)
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((4, 2)), rng.standard_normal((4, 3))
    stacks = _Stacks.of(net, X, y, complex_step=False)
    assert stacks.unit_costs is None
    got, _ = stacks.costs(1, np.array([0, 2]), np.full((2, 4), 0.1))
    expected = _brute_force(net, stacks.zs, y, 1, [0, 2], np.full((2, 4), 0.1), None)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_a_width_dependent_output_is_never_taken_one_column_at_a_time():
    # Elementwise in appearance but scaled by its width: a one-column evaluation differs.
    def widened(z):
        return np.tanh(z) * z.shape[-1]

    act = Activation("widened", widened, lambda z, a: (1 - np.tanh(z) ** 2) * z.shape[-1])
    net = Network([2, 3, 3], ["tanh", act], "squared_error", seed=0)
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((4, 2)), rng.standard_normal((4, 3))
    stacks = _Stacks.of(net, X, y, complex_step=False)
    assert stacks.elementwise == [True, False] and stacks.unit_costs is None


def _probe_inputs(curvature, h=1e-3):
    """Values C(x +- h) = C(x) +- slope h + curvature h^2 / 2, with C(x) = 3 and slopes that
    grow against the curvature (so that neither C(x) nor the slope can stand in for it)."""
    n = len(curvature)
    near = np.vstack([np.full(n, h), np.full(n, -h)])
    even = np.asarray(curvature, dtype=np.float64) * h**2 / 2
    odd = np.linspace(5.0, 0.0, n) * h
    f0 = np.full(n, 3.0)
    return np.vstack([f0 + odd + even, f0 - odd + even]), near, f0


@pytest.mark.parametrize("n", [1, 5, 8, 16, 100, 1000])
def test_the_probe_takes_a_sixteenth_of_the_entries_and_at_least_eight(n):
    values, near, f0 = _probe_inputs(np.linspace(1.0, 2.0, n))
    probe = _probe(values, near, f0)
    expected = min(n, max(8, math.ceil(n / 16)))
    # Largest and evenly spaced entries may coincide: never more, and at least the evenly spaced.
    assert expected - expected // 2 <= probe.size <= expected
    assert np.array_equal(probe, np.unique(probe)) and probe.min() >= 0 and probe.max() < n


def test_the_probe_takes_the_most_curved_entries_and_spans_the_layer():
    curvature = np.ones(320)
    most_curved = [3, 50, 77, 101, 160, 161, 250, 299, 300, 318]
    curvature[most_curved] = 1e3 + np.arange(10)
    values, near, f0 = _probe_inputs(curvature)
    probe = _probe(values, near, f0)
    assert probe.size == 20  # 320 / 16: 10 most curved, 10 evenly spaced
    assert set(most_curved) <= set(probe.tolist())
    assert probe[0] == 0 and probe[-1] == 319


def test_an_entry_whose_loss_overflowed_is_probed_first():
    curvature = np.ones(64)
    values, near, f0 = _probe_inputs(curvature)
    values[0, 37] = np.inf
    assert 37 in _probe(values, near, f0).tolist()
