"""numeric's Network and trainer: the XOR example, training features, stability, persistence."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from numeric import ACTIVATIONS, DivergenceError, Network, StopTraining, format_xor_table, train_xor
from numeric.examples import XOR_INPUTS, XOR_TARGETS


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
