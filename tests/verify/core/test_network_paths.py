"""network_gradient's fast paths: kinks flagged where, and only where, a kinked layer's
pre-activation crosses 0; activations trusted only for what is observed of them; error estimates
of the size the method promises."""

from __future__ import annotations

import numpy as np
import pytest

from numeric import Activation, Network
from verify.core.finite_differences import PERTURBATIONS, network_gradient


def _zero_at(net, X, layer, sample, unit):
    """Move z^layer[sample, unit] to 0 through its bias (twice, to drop the rounding)."""
    for _ in range(2):
        net.params[layer][1][unit] -= net.trace(X)[0][layer][sample, unit]
    assert abs(net.trace(X)[0][layer][sample, unit]) < 1e-15


@pytest.mark.parametrize("perturb", PERTURBATIONS)
def test_a_kink_in_the_first_of_two_kinked_layers_stays_flagged(perturb):
    # ReLU, ReLU, identity: sample 0's input is 0, so z^1_00 = b^1_0; set it to 0. The layer above
    # is kinked too but nothing of it sits at 0: its check must not clear the flag.
    rng = np.random.default_rng(0)
    net = Network([3, 4, 4, 2], ["relu", "relu", "identity"], "squared_error", seed=1)
    X, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    X[0] = 0.0
    net.params[0][1][0] = 0.0
    zs = net.trace(X)[0]
    assert zs[0][0, 0] == 0.0 and np.abs(zs[1]).min() > 1e-3 and np.abs(zs[0][1:]).min() > 1e-3
    result = network_gradient(net, X, y, method="central", perturb=perturb)
    (kW1, kb1), (kW2, kb2), (kW3, kb3) = result.kink
    assert kb1.tolist() == [True, False, False, False]
    assert not kW1.any() and not kW2.any() and not kb2.any() and not kW3.any() and not kb3.any()


@pytest.mark.parametrize("perturb", PERTURBATIONS)
def test_a_smooth_layers_zero_is_no_kink(perturb):
    # tanh hidden, identity output, with z^2_00 (the output's pre-activation) moved to 0 and
    # z^1_00 at 0 too: neither activation has a kink, so nothing is flagged.
    rng = np.random.default_rng(1)
    net = Network([2, 3, 2], ["tanh", "identity"], "squared_error", seed=2)
    X, y = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    X[0] = 0.0
    net.params[0][1][0] = 0.0
    _zero_at(net, X, 1, 0, 0)
    result = network_gradient(net, X, y, method="central", perturb=perturb)
    assert not any(k.any() for pair in result.kink for k in pair)


def test_a_kink_above_is_flagged_for_exactly_the_preactivations_that_move_it():
    # ReLU hidden, ReLU output with squared error: z^2 of sample 2, unit 0 at 0. Perturbing a
    # pre-activation z^1_si moves z^2_2 only for s = 2 and a unit i live for sample 2 with
    # W^2_0i != 0; every other sample's perturbations leave it alone.
    rng = np.random.default_rng(0)
    net = Network([2, 3, 2], ["relu", "relu"], "squared_error", seed=1)
    X, y = rng.standard_normal((4, 2)), rng.standard_normal((4, 2))
    _zero_at(net, X, 1, 2, 0)
    zs, acts = net.trace(X)
    others = np.ones_like(zs[1], dtype=bool)
    others[2, 0] = False
    assert np.abs(zs[1][others]).min() > 1e-3 and np.abs(zs[0]).min() > 1e-3
    result = network_gradient(net, X, y, method="central", perturb="preactivations")
    kb1 = result.kink[0][1]
    moving = (acts[1][2] != 0) & (net.params[1][0][0] != 0)
    assert moving.any() and not moving.all()
    assert kb1.tolist() == moving.tolist()


def _scaled_by_width():
    # Not elementwise in the sense that matters: its value depends on how many columns it sees.
    return Activation(
        "times_width",
        lambda z: z * z.shape[-1],
        lambda z, a: np.full_like(z, z.shape[-1]),
    )


@pytest.mark.parametrize("perturb", PERTURBATIONS)
def test_an_activation_that_depends_on_its_width_is_not_taken_column_by_column(perturb):
    rng = np.random.default_rng(5)
    net = Network([3, 4, 2], [_scaled_by_width(), "identity"], "squared_error", seed=6)
    net.params = [(W / 4, b / 4) for W, b in net.params]  # keep the values O(1)
    X, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    result = network_gradient(net, X, y, method="complex", perturb=perturb)
    for got, want in zip(
        [g for pair in result.gradient for g in pair],
        [g for pair in net.gradients(X, y) for g in pair],
    ):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("perturb", PERTURBATIONS)
def test_real_step_error_estimates_are_as_small_as_promised(perturb):
    # Central differences are good to ~eps^(2/3) relative (4e-11) in a well-scaled net: every
    # error estimate stays below 1e-7 of the gradient's scale, and covers the actual error.
    rng = np.random.default_rng(7)
    net = Network([3, 5, 2], ["tanh", "sigmoid"], "cross_entropy", seed=8)
    X, y = rng.standard_normal((6, 3)), rng.random((6, 2))
    result = network_gradient(net, X, y, method="central", perturb=perturb)
    for got, want, error in zip(
        *(
            [g for pair in part for g in pair]
            for part in (result.gradient, net.gradients(X, y), result.error)
        )
    ):
        scale = np.abs(want).max()
        assert (error <= 1e-7 * scale).all() and (error > 0).all()
        assert (np.abs(got - want) <= error).all()
