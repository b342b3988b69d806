"""numeric's Network and trainer: the XOR example, training features, stability, persistence."""

from __future__ import annotations

import copy
import json
import pickle
import signal
import subprocess
import sys
import warnings

import numpy as np
import pytest

from numeric import (
    ACTIVATIONS,
    SGD,
    DivergenceError,
    Network,
    PairingWarning,
    StopTraining,
    format_xor_table,
    train_xor,
)
from numeric.examples import XOR_INPUTS, XOR_TARGETS
from numeric.train import get_optimizer
from tests.cases import HIDDEN_ACTIVATIONS, OUTPUT_PAIRS
from tests.reference import gradients as reference_gradients
from tests.reference import loss as reference_loss


def test_default_xor_run_learns_xor():
    net = train_xor()
    assert net.predict(XOR_INPUTS).ravel().tolist() == [0, 1, 1, 0]
    lines = format_xor_table(net).splitlines()
    assert lines[0] == "Input\tOutput\tQuantized"
    assert lines[2].startswith("[1, 0]\t0.") and lines[2].endswith("\t[1]")


def test_one_full_batch_step_worked_by_hand():
    # A 1-1 sigmoid unit with W = 0, b = 0 on x = 1, y = 1: a = 1/2, dC/dz = a - y = -1/2,
    # so dC/dW = -1/2 * x = -1/2 and one step at rate 2 moves W and b to +1.
    net = Network([1, 1], "sigmoid", "cross_entropy", seed=0)
    net.params = [(np.zeros((1, 1)), np.zeros(1))]
    ((dW, db),) = net.gradients([[1.0]], [1.0])
    assert dW[0, 0] == -0.5 and db[0] == -0.5
    history = net.fit([[1.0]], [1.0], learning_rate=2.0, epochs=1, progress=False)
    assert net.params[0][0][0, 0] == 1.0 and net.params[0][1][0] == 1.0
    assert history.losses == [pytest.approx(np.log(2))]


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_activations_stable_for_huge_inputs(name, dtype):
    z = np.array([[-1e4, -50.0, 0.0, 50.0, 1e4]], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        a = ACTIVATIONS[name](z)
        grad = ACTIVATIONS[name].backward(np.ones_like(z), z, a)
    assert a.dtype == dtype and grad.dtype == dtype
    assert np.isfinite(a).all() and np.isfinite(grad).all()


@pytest.mark.parametrize(
    ("output", "cost"), [("sigmoid", "cross_entropy"), ("softmax", "categorical_cross_entropy")]
)
def test_saturated_outputs_give_finite_loss_and_gradients(output, cost):
    net = Network([2, 2], output, cost, seed=0)
    net.params = [(np.array([[1e4, 0.0], [-1e4, 0.0]]), np.zeros(2))]
    X, y = np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss = net.loss(X, y)
        grads = net.gradients(X, y)
    # Both outputs are saturated the wrong way: the loss is about 1e4 per wrong unit, not inf.
    assert 1e4 <= loss <= 3e4
    assert all(np.isfinite(g).all() for pair in grads for g in pair)


def test_float32_end_to_end():
    net = Network([2, 3, 1], "tanh", "squared_error", seed=0, dtype=np.float32)
    history = net.fit(XOR_INPUTS, XOR_TARGETS, learning_rate=0.1, epochs=5, progress=False)
    assert all(p.dtype == np.float32 for pair in net.params for p in pair)
    assert net.forward(XOR_INPUTS).dtype == np.float32
    assert len(history.losses) == 5


@pytest.mark.parametrize("init", ["normal", "xavier", "he"])
def test_initialisation_is_seeded_and_scaled(init):
    a = Network([50, 40, 1], "relu", "squared_error", seed=3, init=init)
    b = Network([50, 40, 1], "relu", "squared_error", seed=3, init=init)
    assert all(np.array_equal(p, q) for (p, _), (q, _) in zip(a.params, b.params))
    expected_std = {"normal": 1.0, "xavier": np.sqrt(2 / 90), "he": np.sqrt(2 / 50)}[init]
    assert a.params[0][0].std() == pytest.approx(expected_std, rel=0.1)


@pytest.mark.parametrize(
    ("optimizer", "options"),
    [("sgd", {}), ("momentum", {"momentum": 0.9}), ("adam", {"beta1": 0.9})],
)
def test_optimizers_reduce_the_loss(optimizer, options):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3))
    y = (X[:, :1] * X[:, 1:2] > 0).astype(float)
    net = Network([3, 8, 1], "tanh", "squared_error", seed=0, init="xavier")
    lr = 0.01 if optimizer == "adam" else 0.05
    history = net.fit(
        X,
        y,
        learning_rate=lr,
        epochs=60,
        batch_size=16,
        optimizer=optimizer,
        progress=False,
        **options,
    )
    assert history.losses[-1] < 0.8 * history.losses[0]


def test_minibatch_shuffling_is_seeded():
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((30, 2)), rng.random((30, 1))
    runs = []
    for _ in range(2):
        net = Network([2, 3, 1], seed=5)
        runs.append(
            net.fit(X, y, learning_rate=0.5, epochs=4, batch_size=7, seed=9, progress=False).losses
        )
    assert runs[0] == runs[1]
    other = (
        Network([2, 3, 1], seed=5)
        .fit(X, y, learning_rate=0.5, epochs=4, batch_size=7, seed=10, progress=False)
        .losses
    )
    assert other != runs[0]


def test_tolerance_and_callbacks_stop_training():
    net = Network([2, 2, 1], seed=1)
    history = net.fit(
        XOR_INPUTS, XOR_TARGETS, learning_rate=1.0, epochs=5000, tol=0.1, progress=False
    )
    assert history.losses[-1] <= 0.1 < history.losses[-2]
    assert history.epochs < 5000 and "tol" in history.stop_reason
    assert all(type(loss) is float for loss in history.losses)

    seen = []

    def stop_at_three(epoch, loss, network):
        seen.append(epoch)
        if epoch == 3:
            raise StopTraining("enough")

    history = Network([2, 2, 1], seed=1).fit(
        XOR_INPUTS,
        XOR_TARGETS,
        learning_rate=1.0,
        epochs=10,
        callbacks=[stop_at_three],
        progress=False,
    )
    assert seen == [1, 2, 3] and history.epochs == 3 and "enough" in history.stop_reason


def test_divergence_stops_with_last_finite_parameters():
    net = Network([1, 1], "identity", "squared_error", seed=0)
    X, y = np.array([[1e150]]), np.array([[0.0]])
    with pytest.raises(
        DivergenceError, match=r"diverged in epoch .*smaller `learning_rate`"
    ) as info:
        net.fit(X, y, learning_rate=1.0, epochs=50, progress=False)
    assert all(np.isfinite(p).all() for pair in net.params for p in pair)
    assert info.value.history.stop_reason == "diverged"


def test_save_and_load_round_trip(tmp_path):
    net = Network(
        [3, 4, 2], ["relu", "softmax"], "categorical_cross_entropy", seed=2, dtype=np.float32
    )
    path = tmp_path / "net.npz"
    net.save(path)
    loaded = Network.load(path)
    assert repr(loaded) == repr(net)
    X = np.random.default_rng(0).standard_normal((5, 3))
    np.testing.assert_array_equal(loaded.forward(X), net.forward(X))
    assert [p.name for p in tmp_path.iterdir()] == ["net.npz"]  # no temporary left behind


def test_load_refuses_corrupt_and_mismatched_files(tmp_path):
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(b"not a zip file")
    with pytest.raises(
        ValueError, match=r"^`path` '.*corrupt\.npz' is not a readable \.npz network file"
    ):
        Network.load(corrupt)
    other = tmp_path / "other.npz"
    np.savez(other, W1=np.zeros((2, 2)))
    with pytest.raises(
        ValueError, match=r"^`path` '.*other\.npz' is not a valid chainrule network"
    ):
        Network.load(other)
    net = Network([2, 3, 1], seed=0)
    good = tmp_path / "good.npz"
    net.save(good)
    with np.load(good) as data:
        arrays = dict(data)
    arrays["W1"] = np.zeros((4, 2))
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ValueError, match=r"W1 has shape \(4, 2\), the architecture needs \(3, 2\)"):
        Network.load(tmp_path / "bad.npz")


def test_import_numeric_does_not_import_sympy():
    code = "import sys, numeric; sys.exit('sympy' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


@pytest.mark.parametrize("name", sorted(set(ACTIVATIONS) - {"softmax"}))
def test_elementwise_activations_accept_scalars_and_lists(name):
    act = ACTIVATIONS[name]
    z = [-2.0, 0.5, 3.0]
    expected = act(np.array(z))
    assert float(act(0.5)) == expected[1]
    np.testing.assert_array_equal(act(z), expected)


def test_callbacks_see_the_epoch_that_reaches_tol():
    seen = []
    history = Network([2, 2, 1], seed=1).fit(
        XOR_INPUTS,
        XOR_TARGETS,
        learning_rate=1.0,
        epochs=5000,
        tol=0.1,
        callbacks=[lambda epoch, loss, network: seen.append(epoch)],
        progress=False,
    )
    assert seen[-1] == history.epochs


def test_custom_derivatives_of_another_type_are_not_multiplied_in_place():
    import dataclasses

    relu = ACTIVATIONS["relu"]
    boolean = dataclasses.replace(relu, derivative=lambda z, a: z > 0)  # a bool mask
    wide = dataclasses.replace(relu, derivative=lambda z, a: (z > 0).astype(np.float64))
    X = np.random.default_rng(0).standard_normal((5, 3))
    y = np.random.default_rng(1).standard_normal((5, 2))
    reference = Network([3, 4, 2], ["relu", "identity"], "squared_error", seed=0)
    for custom in (boolean, wide):
        net = Network([3, 4, 2], [custom, "identity"], "squared_error", seed=0, dtype=np.float32)
        grads = net.gradients(X, y)
        assert all(g.dtype == np.float32 for pair in grads for g in pair)
        expected = reference.gradients(X, y)
        np.testing.assert_allclose(grads[0][0], expected[0][0], rtol=1e-5, atol=1e-6)


# -- the training step's workspace against autograd ---------------------------------------------


def _one_sgd_step_case(hidden, output, cost, dtype, reduction, seed=4):
    rng = np.random.default_rng(seed)
    sizes = [3, 5, 4, 3]
    net = Network(
        sizes,
        [hidden, hidden, output],
        cost,
        seed=seed,
        dtype=dtype,
        init="xavier",
        reduction=reduction,
    )
    net.params = [(W, b + rng.standard_normal(b.shape).astype(dtype)) for W, b in net.params]
    X = rng.standard_normal((7, 3))
    y = net.cost.sample_targets(rng, 7, 3)
    return net, X, y


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("hidden", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize(("output", "cost"), OUTPUT_PAIRS)
def test_one_fit_step_is_the_autograd_gradient_step(hidden, output, cost, dtype, reduction):
    # The step's own buffers, fast paths and folded learning rate against p - lr * dC/dp with
    # dC/dp from the independent autograd network, and its recorded loss against autograd's.
    net, X, y = _one_sgd_step_case(hidden, output, cost, dtype, reduction)
    Xd, yd = (a.astype(np.float64) for a in net.check_data(X, y))
    before = [(W.astype(np.float64), b.astype(np.float64)) for W, b in net.params]
    names = [a.name for a in net.activations]
    expected_loss = reference_loss(before, Xd, yd, names, cost, reduction)
    reference = reference_gradients(before, Xd, yd, names, cost, reduction)
    lr = 0.25
    history = net.fit(X, y, learning_rate=lr, epochs=1, progress=False)
    rtol = float(1e3 * np.finfo(dtype).eps)
    assert history.losses[0] == pytest.approx(float(expected_loss), rel=rtol)
    scale = max(np.abs(g).max() for pair in reference for g in pair) * lr
    for (W, b), (W0, b0), (dW, db) in zip(net.params, before, reference):
        assert W.dtype == np.dtype(dtype) and b.dtype == np.dtype(dtype)
        np.testing.assert_allclose(W, W0 - lr * dW, rtol=0, atol=rtol * max(scale, 1.0) * 10)
        np.testing.assert_allclose(b, b0 - lr * db, rtol=0, atol=rtol * max(scale, 1.0) * 10)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu", "softplus"])
def test_mini_batch_fit_equals_steps_on_the_shuffled_batches(hidden, optimizer):
    # fit's gathered batches and buffers against the optimizer stepped by hand with the checked
    # public gradients on the same shuffled batches (the same generator seed).
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((23, 3)), rng.integers(0, 3, 23)
    net = Network([3, 6, 3], [hidden, "softmax"], "categorical_cross_entropy", seed=1)
    twin = copy.deepcopy(net)
    net.fit(X, y, learning_rate=0.1, epochs=3, batch_size=5, seed=7, optimizer=optimizer)
    opt = get_optimizer(optimizer, 0.1)
    order_rng = np.random.default_rng(7)
    for _ in range(3):
        order = order_rng.permutation(23)
        for start in range(0, 23, 5):
            idx = order[start : start + 5]
            grads = twin.gradients(X[idx], y[idx])
            opt.step([p for pair in twin.params for p in pair], [g for pair in grads for g in pair])
    for (W, b), (W2, b2) in zip(net.params, twin.params):
        np.testing.assert_allclose(W, W2, rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(b, b2, rtol=1e-12, atol=1e-13)


def test_fit_trains_the_networks_own_arrays():
    net = Network([2, 3, 1], seed=0)
    W = net.params[0][0]
    before = W.copy()
    net.fit(XOR_INPUTS, XOR_TARGETS, learning_rate=1.0, epochs=3, progress=False)
    assert net.params[0][0] is W and not np.array_equal(W, before)


def test_training_step_loops_like_fit():
    from numeric.train import training_step

    a, b = Network([2, 3, 1], seed=0), Network([2, 3, 1], seed=0)
    X, y = a.check_data(XOR_INPUTS, XOR_TARGETS)
    opt = SGD(0.5)
    losses = [training_step(a, opt, None, X, y) for _ in range(4)]
    history = b.fit(X, y, learning_rate=0.5, epochs=4, progress=False)
    assert losses == history.losses
    for (W, bias), (W2, bias2) in zip(a.params, b.params):
        np.testing.assert_array_equal(W, W2)
        np.testing.assert_array_equal(bias, bias2)


# -- divergence keeps the last parameters whose loss was finite -----------------------------------


def test_the_issues_divergent_run_keeps_finite_parameters():
    net = Network([1, 1], "identity", "squared_error", seed=0)
    before = [p.copy() for pair in net.params for p in pair]
    with pytest.raises(DivergenceError):
        net.fit([[1000.0]], [[0.0]], learning_rate=1e308, epochs=3, progress=False)
    after = [p for pair in net.params for p in pair]
    assert all(np.array_equal(p, q) for p, q in zip(before, after))
    assert np.isfinite(net.loss([[1000.0]], [[0.0]]))


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("seed", range(6))
def test_after_divergence_the_kept_parameters_have_a_finite_loss(seed, optimizer):
    # Huge inputs and learning rates: plain SGD and momentum diverge; Adam's steps are bounded by
    # the rate and may or may not. Whatever happens, the parameters stay finite, and after a
    # divergence the loss of the kept parameters on the batch of their last step was finite.
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((4, 3)) * 10.0 ** rng.integers(1, 60)
    y = rng.standard_normal((4, 2))
    net = Network([3, 4, 2], ["relu", "identity"], "squared_error", seed=seed)
    lr = 10.0 ** rng.integers(20, 200)
    try:
        net.fit(X, y, learning_rate=lr, epochs=200, optimizer=optimizer, progress=False)
    except DivergenceError:
        diverged = True
    else:
        diverged = False
    assert diverged or optimizer == "adam"
    assert all(np.isfinite(p).all() for pair in net.params for p in pair)
    assert np.isfinite(net.loss(X, y))  # one full batch: the last loss computed finite


# -- callbacks that replace the parameters --------------------------------------------------------


@pytest.mark.parametrize(
    "replace",
    [
        lambda net: setattr(net, "params", [(W.copy(), b.copy()) for W, b in net.params]),
        lambda net: net.params.__setitem__(
            0, (net.params[0][0].astype(np.float32), net.params[0][1])
        ),
    ],
    ids=["rebound", "re-typed pair"],
)
def test_a_callback_that_replaces_the_parameters_is_an_error(replace):
    net = Network([2, 2, 1], seed=1)
    with pytest.raises(
        RuntimeError, match=r"^`network\.params` must be changed in place .*epoch 1"
    ):
        net.fit(
            XOR_INPUTS,
            XOR_TARGETS,
            learning_rate=1.0,
            epochs=5,
            callbacks=[lambda epoch, loss, network: replace(network)],
            progress=False,
        )


def test_a_callback_may_replace_the_parameters_and_stop():
    net = Network([2, 2, 1], seed=1)
    best = [(np.zeros((2, 2)), np.zeros(2)), (np.ones((1, 2)), np.ones(1))]

    def restore(epoch, loss, network):
        network.params = best
        raise StopTraining("restored")

    history = net.fit(XOR_INPUTS, XOR_TARGETS, epochs=5, callbacks=[restore], progress=False)
    assert history.stop_reason == "stopped by callback: restored"
    assert net.params[1][0] is best[1][0]


def test_a_callback_may_change_the_parameters_in_place():
    def clip(epoch, loss, network):
        for W, _ in network.params:
            np.clip(W, -0.5, 0.5, out=W)

    net = Network([2, 3, 1], seed=0)
    net.fit(XOR_INPUTS, XOR_TARGETS, learning_rate=1.0, epochs=4, callbacks=[clip], progress=False)
    assert all(np.abs(W).max() <= 0.5 for W, _ in net.params)


# -- scikit-learn's habits ------------------------------------------------------------------------


@pytest.mark.parametrize("hidden", sorted(ACTIVATIONS))
@pytest.mark.parametrize(("output", "cost"), OUTPUT_PAIRS)
def test_networks_pickle_and_deep_copy(hidden, output, cost):
    net = Network([2, 3, 2], [hidden, output], cost, seed=0, dtype=np.float32)
    net.rng.random()  # a generator state that is not the seed's
    for twin in (pickle.loads(pickle.dumps(net)), copy.deepcopy(net)):
        assert repr(twin) == repr(net)
        assert all(a is b for a, b in zip(twin.activations, net.activations))  # registered
        assert twin.cost is net.cost
        for (W, b), (W2, b2) in zip(net.params, twin.params):
            assert W2 is not W and W2.dtype == np.float32
            np.testing.assert_array_equal(W2, W)
            np.testing.assert_array_equal(b2, b)
        assert twin.rng.random() == copy.deepcopy(net.rng).random()


def test_integer_labels_are_one_hot_targets():
    rng = np.random.default_rng(0)
    X, labels = rng.standard_normal((6, 2)), np.array([0, 2, 1, 2, 0, 1])
    net = Network([2, 4, 3], ["tanh", "softmax"], "categorical_cross_entropy", seed=0)
    one_hot = np.eye(3)[labels]
    assert net.loss(X, labels) == net.loss(X, one_hot)
    for (dW, db), (dW2, db2) in zip(net.gradients(X, labels), net.gradients(X, one_hot)):
        np.testing.assert_array_equal(dW, dW2)
        np.testing.assert_array_equal(db, db2)
    for bad, message in (
        ([0, 3, 1, 2, 0, 1], r"got 1 labels outside \(first 3\)"),
        ([0, -1, 1, 2, 0, 1], r"got 1 labels outside \(first -1"),
        ([0, 0.5, 1, 2, 0, 1], r"got 1 labels outside \(first 0\.5"),
    ):
        with pytest.raises(
            ValueError, match=r"^`y` must be class labels: ints in \[0, 3\), " + message
        ):
            net.loss(X, bad)


def test_predict_follows_the_shape_of_the_fitted_targets():
    X = XOR_INPUTS
    for y, shape in ((XOR_TARGETS, (4,)), (XOR_TARGETS.reshape(-1, 1), (4, 1))):
        for cost, output in (("cross_entropy", "sigmoid"), ("squared_error", "identity")):
            net = Network([2, 3, 1], ["tanh", output], cost, seed=0)
            assert net.predict(X).shape == (4, 1)  # before any fit: (n_samples, N^L)
            net.fit(X, y, learning_rate=0.1, epochs=2, progress=False)
            assert net.predict(X).shape == shape
    softmax = Network([2, 3], "softmax", "categorical_cross_entropy", seed=0)
    softmax.fit(X, [0, 1, 2, 1], epochs=2, progress=False)
    assert softmax.predict(X).shape == (4,) and softmax.predict(X).dtype.kind == "i"


def test_predict_proba_and_score_as_scikit_learn_defines_them():
    net = Network([2, 1], "sigmoid", "cross_entropy", seed=0)
    net.params = [(np.array([[1.0, 0.0]]), np.zeros(1))]
    X = np.array([[-2.0, 0.0], [3.0, 0.0], [0.5, 0.0], [-0.1, 0.0]])
    p1 = 1 / (1 + np.exp(-X[:, 0]))
    np.testing.assert_allclose(net.predict_proba(X), np.column_stack([1 - p1, p1]), rtol=1e-15)
    # decisions 0, 1, 1, 0 against targets 0, 1, 0, 0: three of four right.
    assert net.score(X, [0, 1, 0, 0]) == 0.75
    # R^2 of a known fit: prediction 2x + 1 against y = 2x + 1 + e.
    reg = Network([1, 1], "identity", "squared_error", seed=0)
    reg.params = [(np.array([[2.0]]), np.array([1.0]))]
    x = np.arange(5.0).reshape(-1, 1)
    e = np.array([0.5, -0.5, 0.0, 0.25, -0.25])
    y = 2 * x[:, 0] + 1 + e
    expected = 1 - (e**2).sum() / ((y - y.mean()) ** 2).sum()
    assert reg.score(x, y) == pytest.approx(expected, rel=1e-14)
    sklearn_metrics = pytest.importorskip("sklearn.metrics", reason="needs scikit-learn [peers]")
    assert reg.score(x, y) == pytest.approx(sklearn_metrics.r2_score(y, reg.predict(x)), rel=1e-14)
    two = Network([1, 2], "identity", "squared_error", seed=0)
    two.params = [(np.array([[2.0], [-1.0]]), np.array([1.0, 0.0]))]
    Y = np.column_stack([y, -x[:, 0] + e[::-1]])
    assert two.score(x, Y) == pytest.approx(sklearn_metrics.r2_score(Y, two.predict(x)), rel=1e-14)
    with pytest.raises(ValueError, match=r"^`cost` must be a classification cost"):
        reg.predict_proba(x)


def test_fit_has_defaults_for_learning_rate_and_epochs():
    a, b = Network([2, 2, 1], seed=1), Network([2, 2, 1], seed=1)
    history = a.fit(XOR_INPUTS, XOR_TARGETS, progress=False)
    assert history.epochs == 100
    b.fit(XOR_INPUTS, XOR_TARGETS, learning_rate=0.1, epochs=100, progress=False)
    np.testing.assert_array_equal(a.params[0][0], b.params[0][0])


def test_an_output_that_does_not_pair_with_its_cost_warns():
    with pytest.warns(PairingWarning, match=r"'sigmoid' does not pair with cost "):
        Network([2, 2], "sigmoid", "categorical_cross_entropy")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for cost, output in (
            ("categorical_cross_entropy", "softmax"),
            ("cross_entropy", "sigmoid"),
        ):
            Network([2, 2], output, cost)


# -- save and load --------------------------------------------------------------------------------


def test_save_and_load_agree_on_the_npz_suffix(tmp_path):
    net = Network([2, 3, 1], seed=0)
    written = net.save(tmp_path / "model")
    assert written == tmp_path / "model.npz" and [p.name for p in tmp_path.iterdir()] == [
        "model.npz"
    ]
    for path in (tmp_path / "model", tmp_path / "model.npz", str(tmp_path / "model")):
        np.testing.assert_array_equal(Network.load(path).params[0][0], net.params[0][0])


def test_training_continued_after_a_load_matches(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((40, 3)), rng.integers(0, 2, 40)
    net = Network([3, 5, 1], ["relu", "sigmoid"], seed=3, init="he")
    net.fit(X, y, learning_rate=0.3, epochs=2, batch_size=8, progress=False)
    loaded = Network.load(net.save(tmp_path / "net.npz"))
    assert (loaded.seed, loaded.init) == (3, "he")
    first = net.fit(X, y, learning_rate=0.3, epochs=3, batch_size=8, progress=False)
    second = loaded.fit(X, y, learning_rate=0.3, epochs=3, batch_size=8, progress=False)
    assert first.losses == second.losses
    for (W, b), (W2, b2) in zip(net.params, loaded.params):
        np.testing.assert_array_equal(W, W2)
        np.testing.assert_array_equal(b, b2)
    assert loaded.predict(X).shape == (40,)  # the targets' shape travels too


def test_load_checks_the_metadata_before_allocating(tmp_path):
    import tracemalloc

    path = tmp_path / "net.npz"
    Network([2, 3, 1], seed=0).save(path)
    with np.load(path) as data:
        arrays = dict(data)
    meta = json.loads(str(arrays["meta"]))
    arrays["meta"] = np.array(json.dumps({**meta, "sizes": [10**6, 10**6, 1]}))
    np.savez(path, **arrays)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"the architecture needs \(1000000, 1000000\)"):
            Network.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000  # far from the 8 TB the declared sizes would take


def test_an_interrupted_save_leaves_no_temporary_file(tmp_path):
    # SIGTERM in the middle of the write: the writer removes its temporary file, then the
    # process dies of the signal as it would have.
    script = tmp_path / "save.py"
    script.write_text(
        "import os, signal, sys\n"
        "import numeric.files as files\n"
        "real = os.fdopen\n"
        "class Handle:\n"
        "    def __init__(self, handle): self.handle = handle\n"
        "    def __enter__(self): return self\n"
        "    def __exit__(self, *exc): return self.handle.__exit__(*exc)\n"
        "    def write(self, data):\n"
        "        self.handle.write(data[:10])\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "        self.handle.write(data[10:])\n"
        "files.os.fdopen = lambda fd, mode: Handle(real(fd, mode))\n"
        "from numeric import Network\n"
        "Network([20, 30, 2], seed=0).save(sys.argv[1])\n"
        "print('not reached')\n"
    )
    out = tmp_path / "out"
    out.mkdir()
    result = subprocess.run(
        [sys.executable, str(script), str(out / "net.npz")], capture_output=True, text=True
    )
    assert result.returncode == -signal.SIGTERM, result.stderr
    assert "not reached" not in result.stdout
    assert list(out.iterdir()) == []
