"""numeric's backprop against independent sources: HIPS autograd and central differences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from numeric import Network
from tests.cases import HIDDEN_ACTIVATIONS, OUTPUT_PAIRS
from tests.reference import gradients as reference_gradients


def autograd_gradients(net: Network, X, y):
    """dC/dparams of ``net``'s batch cost by the independent reference network (autograd)."""
    names = [a.name for a in net.activations]
    return reference_gradients(net.params, X, y, names, net.cost.name, net.reduction)


def tolerance(dtype, conditioning: float = 1.0) -> float:
    # Both sides are exact up to rounding; a few hundred roundings accumulate in these small nets,
    # so 1e3 units in the last place of the working dtype bounds the difference, times the
    # conditioning of the output-form derivatives (see ``output_form_conditioning``).
    return 1e3 * np.finfo(dtype).eps * conditioning


def output_form_conditioning(net: Network, X) -> float:
    """How much the document's output-form derivatives amplify rounding on this batch.

    numeric computes sigmoid' as a(1 - a) and tanh' as 1 - a^2 from the output a, as the document
    does. Near saturation 1 - a (or 1 - |a|) cancels: its relative error is about eps / (1 - |a|),
    where autograd, differentiating from z, stays exact. That factor scales the tolerance.
    """
    factor = 1.0
    for act, a in zip(net.activations, net.trace(X)[1][1:]):
        if act.name in ("sigmoid", "tanh"):
            with np.errstate(divide="ignore"):  # fully saturated: no precision left to check
                factor = max(factor, float(1 / (1 - np.abs(a.astype(np.float64)).max())))
    return factor


def assert_close(grads, reference, dtype, conditioning: float = 1.0):
    assert len(grads) == len(reference)
    # A layer whose true gradient is (nearly) zero is judged against the network's gradient scale:
    # there, both sides hold only rounding noise of the other layers' magnitude.
    floor = 1e-6 * max(np.abs(r).max() for pair in reference for r in pair)
    for m, ((dW, db), (rW, rb)) in enumerate(zip(grads, reference), start=1):
        for name, got, want in (("W", dW, rW), ("b", db, rb)):
            assert got.shape == want.shape, f"d{name}{m} shape"
            assert got.dtype == np.dtype(dtype), f"d{name}{m} dtype"
            scale = max(np.abs(want).max(), floor, 1e-300)
            err = np.abs(got - want).max() / scale
            limit = tolerance(dtype, conditioning)
            assert err <= limit, f"d{name}{m}: relative error {err:.3g} > {limit:.3g}"


def random_case(sizes, hidden, output, cost, dtype, seed, reduction="mean", n_samples=7):
    rng = np.random.default_rng(seed)
    net = Network(
        sizes,
        [hidden] * (len(sizes) - 2) + [output],
        cost,
        seed=seed,
        dtype=dtype,
        init="xavier",
        reduction=reduction,
    )
    # Glorot-scaled weights, standard-normal biases: outputs off saturation, relu kinks rare.
    net.params = [(W, b + rng.standard_normal(b.shape).astype(dtype)) for W, b in net.params]
    X = rng.standard_normal((n_samples, sizes[0]))
    y = net.cost.sample_targets(rng, n_samples, sizes[-1])
    return net, X, y


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("hidden", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize(("output", "cost"), OUTPUT_PAIRS)
def test_gradients_match_autograd(hidden, output, cost, dtype):
    net, X, y = random_case([3, 5, 4, 3], hidden, output, cost, dtype, seed=11)
    Xd, yd = net.check_data(X, y)
    reference = autograd_gradients(net, Xd.astype(np.float64), yd.astype(np.float64))
    assert_close(net.gradients(X, y), reference, dtype)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize(("output", "cost"), OUTPUT_PAIRS)
def test_gradients_match_central_differences(output, cost, reduction):
    net, X, y = random_case([2, 4, 3], "tanh", output, cost, np.float64, 3, reduction)
    grads = net.gradients(X, y)
    # Central differences: truncation ~ h^2 |f'''| and rounding ~ eps |f| / h; h = 1e-5 puts both
    # near 1e-10, far under the 1e-7 relative tolerance.
    h = 1e-5
    for m, (W, b) in enumerate(net.params):
        for k, param in enumerate((W, b)):
            numeric_grad = np.zeros_like(param)
            for index in np.ndindex(param.shape):
                saved = param[index]
                param[index] = saved + h
                up = net.loss(X, y)
                param[index] = saved - h
                down = net.loss(X, y)
                param[index] = saved
                numeric_grad[index] = (up - down) / (2 * h)
            scale = np.abs(numeric_grad).max()
            assert np.abs(grads[m][k] - numeric_grad).max() <= 1e-7 * max(scale, 1.0)


def test_softmax_hidden_layer_uses_full_jacobian():
    # With an elementwise product at the softmax layer the gradient would be wrong; autograd
    # differentiates the full vector-valued softmax.
    net, X, y = random_case([3, 4, 2], "softmax", "identity", "squared_error", np.float64, 5)
    Xd, yd = net.check_data(X, y)
    assert_close(net.gradients(X, y), autograd_gradients(net, Xd, yd), np.float64)


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 5), min_size=2, max_size=5),
    n_samples=st.integers(1, 9),
    hidden=st.sampled_from(HIDDEN_ACTIVATIONS),
    pair=st.sampled_from(OUTPUT_PAIRS),
    seed=st.integers(0, 2**31 - 1),
)
def test_random_architectures_and_batches(sizes, n_samples, hidden, pair, seed):
    output, cost = pair
    # A one-unit softmax always outputs 1: binary cross-entropy's log(1 - a) is then -inf.
    assume(not (output == "softmax" and cost == "cross_entropy" and sizes[-1] == 1))
    net, X, y = random_case(sizes, hidden, output, cost, np.float64, seed, n_samples=n_samples)
    Xd, yd = net.check_data(X, y)
    conditioning = output_form_conditioning(net, X)
    assert_close(net.gradients(X, y), autograd_gradients(net, Xd, yd), np.float64, conditioning)
