"""The fit loop's bookkeeping: epoch losses, batches, shuffling, stopping rules, divergence.

Most tests train a single identity unit with squared error, W = b = 0, targets y = 1: each
sample's gradient is then dC/dW = -x, dC/db = -1, so the gradients an optimizer receives show which
samples made up each batch. A recording optimizer (an ``SGD`` whose step only records) keeps the
parameters fixed, so every epoch's loss is known in closed form.
"""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest

from numeric import SGD, DivergenceError, Network, StopTraining

X5 = np.array([[1.0], [2.0], [4.0], [8.0], [16.0]])  # sums of distinct subsets are distinct
Y5 = np.ones(5)


class Recorder(SGD):
    """Records each step's gradients and changes nothing."""

    def __init__(self):
        super().__init__(1.0)
        self.steps = []

    def step(self, params, grads):
        self.steps.append([g.copy() for g in grads])


def unit_network(reduction="mean", seed=0):
    net = Network([1, 1], "identity", "squared_error", seed=seed, reduction=reduction)
    net.params = [(np.zeros((1, 1)), np.zeros(1))]
    return net


def batches(recorder, n_epochs, steps_per_epoch):
    """Per epoch, per step: the samples' x values, read back from sum-reduced gradients."""
    assert len(recorder.steps) == n_epochs * steps_per_epoch
    out = []
    for e in range(n_epochs):
        epoch = []
        for dW, db in recorder.steps[e * steps_per_epoch : (e + 1) * steps_per_epoch]:
            # reduction "sum": db = -(batch size), dW = -(sum of the batch's x).
            epoch.append((int(-db[0]), float(-dW[0, 0])))
        out.append(epoch)
    return out


# -- epoch losses ---------------------------------------------------------------------------------


@pytest.mark.parametrize("batch_size", [None, 1, 2, 3, 5, 7])
def test_epoch_loss_under_mini_batches_is_the_full_batch_cost(batch_size):
    # Parameters fixed at 0: each sample costs (1 - 0)^2 / 2 = 0.5, so the epoch's loss is the
    # mean 0.5 (the batches' means weighted by their sizes, 2 + 2 + 1 for batch_size 2) or the
    # sum 2.5, however the samples are split.
    for reduction, expected in (("mean", 0.5), ("sum", 2.5)):
        net = unit_network(reduction)
        history = net.fit(
            X5,
            Y5,
            learning_rate=1.0,
            epochs=2,
            batch_size=batch_size,
            optimizer=Recorder(),
            progress=False,
        )
        assert history.losses == pytest.approx([expected, expected], rel=1e-15)


def test_epoch_loss_sums_the_losses_before_each_batchs_step():
    # Batches of one, in shuffled order, plain SGD at rate 0.5 on x = 1 for every sample, y = 1:
    # before step k the output is z_k, the cost (1 - z_k)^2 / 2 and the step moves W and b by
    # 0.5 (1 - z_k) each, so z_{k+1} = z_k + (1 - z_k) = 1: the first sample costs 0.5, every
    # later one 0. Mean reduction: the epoch's loss is 0.5 / 4; the next epoch's is 0.
    net = unit_network()
    history = net.fit(
        np.ones((4, 1)), np.ones(4), learning_rate=0.5, epochs=2, batch_size=1, progress=False
    )
    assert history.losses == [0.125, 0.0]


@pytest.mark.parametrize("batch_size", [1, 2, 3, 4, 5])
def test_every_sample_is_used_once_per_epoch(batch_size):
    recorder = Recorder()
    net = unit_network("sum")
    epochs = 3
    net.fit(
        X5,
        Y5,
        learning_rate=1.0,
        epochs=epochs,
        batch_size=batch_size,
        optimizer=recorder,
        seed=4,
        progress=False,
    )
    steps = -(-5 // batch_size)
    for epoch in batches(recorder, epochs, steps):
        sizes = [size for size, _ in epoch]
        # Full batches first, the remainder last; the x values of the batches add up to the
        # sum of all five exactly once (1 + 2 + 4 + 8 + 16 = 31: no sample twice, none left out).
        assert sizes == [batch_size] * (5 // batch_size) + (
            [5 % batch_size] if 5 % batch_size else []
        )
        assert sum(total for _, total in epoch) == 31.0


def test_batches_are_reshuffled_every_epoch():
    recorder = Recorder()
    unit_network("sum").fit(
        X5, Y5, learning_rate=1.0, epochs=6, batch_size=1, optimizer=recorder, seed=0
    )
    orders = [tuple(x for _, x in epoch) for epoch in batches(recorder, 6, 5)]
    assert all(sorted(order) == [1.0, 2.0, 4.0, 8.0, 16.0] for order in orders)
    assert len(set(orders)) > 1  # six epochs of one order each would be 1 in 120^5


def test_full_batch_takes_one_step_per_epoch_in_the_given_order():
    recorder = Recorder()
    net = unit_network("sum")
    rng_before = copy.deepcopy(net.rng.bit_generator.state)
    net.fit(X5, Y5, learning_rate=1.0, epochs=3, optimizer=recorder, progress=False)
    assert batches(recorder, 3, 1) == [[(5, 31.0)]] * 3
    # Nothing to shuffle: the network's generator is left as it was.
    assert net.rng.bit_generator.state == rng_before


# -- which generator shuffles ---------------------------------------------------------------------


def _orders(net, **kwargs):
    recorder = Recorder()
    net.fit(X5, Y5, learning_rate=1.0, epochs=2, batch_size=1, optimizer=recorder, **kwargs)
    return [tuple(x for _, x in epoch) for epoch in batches(recorder, 2, 5)]


def test_without_a_seed_the_shuffle_draws_from_the_networks_own_generator():
    a, b = unit_network("sum", seed=3), unit_network("sum", seed=3)
    assert _orders(a) == _orders(b)  # the same network seed, the same order
    # Replacing the network's generator replaces the order: it is the generator used.
    a.rng, b.rng = np.random.default_rng(11), np.random.default_rng(11)
    c = unit_network("sum", seed=3)
    c.rng = np.random.default_rng(12)
    orders_a, orders_b, orders_c = _orders(a), _orders(b), _orders(c)
    assert orders_a == orders_b and orders_a != orders_c
    # The generator advances: a second fit continues it rather than starting over.
    assert _orders(a) != orders_a


def test_a_seed_of_its_own_leaves_the_networks_generator_alone():
    net = unit_network("sum", seed=3)
    state = copy.deepcopy(net.rng.bit_generator.state)
    first = _orders(net, seed=21)
    assert net.rng.bit_generator.state == state
    assert _orders(net, seed=21) == first  # the same seed, the same order again
    assert _orders(unit_network("sum", seed=99), seed=21) == first  # whatever the network's seed


# -- stopping rules -------------------------------------------------------------------------------


def test_tol_stops_at_a_loss_equal_to_it_and_not_above():
    # Fixed parameters: every epoch's loss is exactly 0.5.
    history = unit_network().fit(
        X5, Y5, learning_rate=1.0, epochs=4, tol=0.5, optimizer=Recorder(), progress=False
    )
    assert history.losses == [0.5] and history.stop_reason == "loss <= tol (0.5)"
    history = unit_network().fit(
        X5, Y5, learning_rate=1.0, epochs=4, tol=0.4999, optimizer=Recorder(), progress=False
    )
    assert history.losses == [0.5] * 4 and history.stop_reason == "completed 4 epochs"
    assert history.epochs == 4


def test_tol_zero_stops_at_an_exact_fit_only():
    net = unit_network()
    history = net.fit(
        np.ones((1, 1)), np.ones(1), learning_rate=0.5, epochs=5, tol=0.0, progress=False
    )
    # Rate 0.5 moves z from 0 to exactly 1 in one step: epoch 1 costs 0.5, epoch 2 costs 0.
    assert history.losses == [0.5, 0.0] and history.stop_reason == "loss <= tol (0)"


def test_callbacks_receive_epoch_loss_and_network_and_may_stop():
    seen = []
    net = unit_network()

    def watch(epoch, loss, network):
        seen.append((epoch, loss, network is net))
        if epoch == 2:
            raise StopTraining

    history = net.fit(X5, Y5, learning_rate=1.0, epochs=9, optimizer=Recorder(), callbacks=[watch])
    assert seen == [(1, 0.5, True), (2, 0.5, True)]
    assert history.epochs == 2 and history.stop_reason == "callback"


def test_every_callback_runs_each_epoch_in_order():
    calls = []
    unit_network().fit(
        X5,
        Y5,
        learning_rate=1.0,
        epochs=2,
        optimizer=Recorder(),
        callbacks=[
            lambda e, loss, n: calls.append(("a", e)),
            lambda e, loss, n: calls.append(("b", e)),
        ],
        progress=False,
    )
    assert calls == [("a", 1), ("b", 1), ("a", 2), ("b", 2)]


def test_a_stop_message_is_kept():
    def stop(epoch, loss, network):
        raise StopTraining("plateau")

    history = unit_network().fit(
        X5, Y5, learning_rate=1.0, epochs=3, optimizer=Recorder(), callbacks=[stop]
    )
    assert history.losses == [0.5] and history.stop_reason == "stopped by callback: plateau"


# -- divergence -----------------------------------------------------------------------------------


def test_a_non_finite_gradient_alone_stops_training():
    # x = 1e300, W = 1e-290, b = 0, y = 0: z = a = 1e10, so the cost 0.5e20 is finite while
    # dC/dW = (a - y) x = 1e310 overflows (at rate 1, so the step overflows with it). No step is
    # taken: the parameters stay as they were.
    net = Network([1, 1], "identity", "squared_error", seed=0)
    net.params = [(np.array([[1e-290]]), np.array([0.0]))]
    X, y = np.array([[1e300]]), np.array([[0.0]])
    assert np.isfinite(net.loss(X, y))
    with pytest.raises(DivergenceError, match=r"^training diverged in epoch 1: ") as info:
        net.fit(X, y, learning_rate=1.0, epochs=3, progress=False)
    assert net.params[0][0][0, 0] == 1e-290 and net.params[0][1][0] == 0.0
    assert info.value.history.losses == [] and info.value.history.stop_reason == "diverged"


def test_a_nan_gradient_alone_stops_training_and_keeps_the_epochs_before():
    # Squared error through a custom output whose derivative is NaN where z > 1: a finite loss
    # and a NaN gradient once the first SGD step has moved z from 0 to 1.5.
    from numeric import Activation

    odd = Activation("odd", lambda z: z, lambda z, a: np.where(z > 1, np.nan, 1.0))
    net = Network([1, 1], odd, "squared_error", seed=0)
    net.params = [(np.zeros((1, 1)), np.zeros(1))]
    X, y = np.array([[1.0]]), np.array([[1.0]])
    with pytest.raises(DivergenceError, match=r"diverged in epoch 2") as info:
        # Rate 0.75: W = b = 0.75, z = 1.5; the cost 0.125 is finite, the gradient NaN.
        net.fit(X, y, learning_rate=0.75, epochs=5, progress=False)
    assert info.value.history.losses == [0.5]
    assert net.params[0][0][0, 0] == 0.75 and net.params[0][1][0] == 0.75


def test_the_epoch_that_diverges_records_no_loss():
    # Two samples in batches of one; only the sample x = 1e300 overflows its gradient, so the
    # run diverges in whichever epoch first meets it with weights that make it overflow. The
    # history holds exactly the epochs before that one, and the parameters stay finite.
    net = Network([1, 1], "identity", "squared_error", seed=0)
    net.params = [(np.array([[1e-290]]), np.array([1.0]))]
    X, y = np.array([[1e300], [1.0]]), np.array([[0.0], [0.0]])
    with pytest.raises(DivergenceError, match=r"diverged in epoch (\d+)") as info:
        net.fit(X, y, learning_rate=1.0, epochs=3, batch_size=1, seed=0, progress=False)
    epoch = int(re.search(r"epoch (\d+)", str(info.value)).group(1))
    assert len(info.value.history.losses) == epoch - 1
    assert np.isfinite(net.params[0][0]).all() and np.isfinite(net.params[0][1]).all()


# -- the progress line ----------------------------------------------------------------------------


def test_progress_line_on_request(capsys):
    unit_network().fit(X5, Y5, learning_rate=1.0, epochs=3, optimizer=Recorder(), progress=True)
    err = capsys.readouterr().err
    # The first epoch is drawn at once and the last always; the line ends with a newline.
    assert err.startswith("\repoch 1/3  loss 0.5") and "\repoch 3/3  loss 0.5" in err
    assert err.endswith("\n") and err.count("\n") == 1


def test_no_progress_line_when_not_asked_or_not_a_terminal(capsys):
    unit_network().fit(X5, Y5, learning_rate=1.0, epochs=2, optimizer=Recorder(), progress=False)
    unit_network().fit(X5, Y5, learning_rate=1.0, epochs=2, optimizer=Recorder())
    assert capsys.readouterr().err == ""


def test_the_divergence_message_says_what_happened_and_what_to_try():
    net = Network([1, 1], "identity", "squared_error", seed=0)
    net.params = [(np.array([[1e-290]]), np.array([0.0]))]
    with pytest.raises(DivergenceError) as info:
        net.fit(np.array([[1e300]]), np.array([[0.0]]), learning_rate=1.0, epochs=1)
    message = str(info.value)
    assert message.startswith("training diverged in epoch 1: ")
    assert "non-finite" in message and message.endswith("Try a smaller `learning_rate`.")


# -- the step on its own --------------------------------------------------------------------------


def test_training_step_in_a_loop_is_fits_full_batch_run():
    from numeric.train import training_step

    X, y = X5 / 16, np.linspace(0, 1, 5)
    a, b = Network([1, 3, 1], seed=2), Network([1, 3, 1], seed=2)
    history = a.fit(X, y, learning_rate=0.5, epochs=3, progress=False)
    opt = SGD(0.5)
    Xc, yc = b.check_data(X, y)
    losses = [training_step(b, opt, None, Xc, yc) for _ in range(3)]
    assert losses == pytest.approx(history.losses, rel=1e-12)
    for (W, bias), (W2, bias2) in zip(a.params, b.params):
        np.testing.assert_allclose(W2, W, rtol=1e-12)
        np.testing.assert_allclose(bias2, bias, rtol=1e-12)


def test_training_step_follows_a_new_optimizer_network_or_parameters():
    from numeric.train import training_step

    X, y = unit_network().check_data(np.ones((1, 1)), np.ones(1))
    net = unit_network()
    training_step(net, SGD(0.25), None, X, y)  # W = b = 0.25
    training_step(net, SGD(0.25), None, X, y)  # another optimizer: z = 0.5, W = b = 0.375
    assert net.params[0][0][0, 0] == 0.375
    other = unit_network()
    opt = SGD(0.25)
    training_step(other, opt, None, X, y)  # another network, trained from its own zeros
    assert other.params[0][0][0, 0] == 0.25 and net.params[0][0][0, 0] == 0.375
    other.params = [(np.full((1, 1), 0.5), np.full(1, 0.5))]  # z = 1: the gradient is 0
    assert training_step(other, opt, None, X, y) == 0.0
    assert other.params[0][0][0, 0] == 0.5
