"""Gradient-descent training: optimizers, the fit loop, its history and its stopping rules."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from numeric.activations import ACTIVATIONS, LOGADDEXP_BELOW, real_softplus
from numeric.costs import COSTS, FUSED
from numeric.validation import (
    Description,
    argument_error,
    check_callbacks,
    check_fraction,
    check_positive,
    check_seed,
    check_tol,
)

__all__ = [
    "SGD",
    "Adam",
    "DivergenceError",
    "History",
    "Momentum",
    "StopTraining",
    "TrainingStep",
    "fit",
    "get_optimizer",
    "training_step",
]


class DivergenceError(FloatingPointError):
    """The loss or a gradient became non-finite; the network keeps its last finite parameters."""

    def __init__(self, message: str, history: History):
        super().__init__(message)
        self.history = history


class StopTraining(Exception):
    """Raise from a callback to end training after the current epoch."""


class SGD:
    """Plain gradient descent, the document's update: p <- p - learning_rate * dC/dp."""

    def __init__(self, learning_rate: float):
        self.learning_rate = check_positive("learning_rate", learning_rate)

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        for p, g in zip(params, grads):
            g *= self.learning_rate
            p -= g


class Momentum(SGD):
    """Heavy-ball momentum: v <- mu v - learning_rate g; p <- p + v."""

    def __init__(self, learning_rate: float, momentum: float = 0.9):
        super().__init__(learning_rate)
        self.momentum = check_fraction("momentum", momentum)
        self._velocity: list[np.ndarray] | None = None

    def step(self, params, grads):
        if self._velocity is None:
            self._velocity = [np.zeros_like(p) for p in params]
        for p, g, v in zip(params, grads, self._velocity):
            v *= self.momentum
            v -= self.learning_rate * g
            p += v


class Adam(SGD):
    """Adam (Kingma and Ba, 2015) with bias-corrected first and second moments."""

    def __init__(
        self, learning_rate: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps=1e-8
    ):
        super().__init__(learning_rate)
        self.beta1 = check_fraction("beta1", beta1)
        self.beta2 = check_fraction("beta2", beta2)
        self.eps = check_positive("eps", eps)
        self._moments: list[tuple[np.ndarray, np.ndarray]] | None = None
        self._t = 0

    def step(self, params, grads):
        if self._moments is None:
            self._moments = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
        self._t += 1
        lr_t = self.learning_rate * np.sqrt(1 - self.beta2**self._t) / (1 - self.beta1**self._t)
        for p, g, (m, v) in zip(params, grads, self._moments):
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * g * g
            p -= lr_t * m / (np.sqrt(v) + self.eps)


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adam": Adam}
# fit's learning rate when none is given: the usual starting points of each method.
DEFAULT_LEARNING_RATES = {"sgd": 0.1, "momentum": 0.1, "adam": 1e-3}


def get_optimizer(optimizer, learning_rate: float | None, **options) -> SGD:
    """An optimizer object from a name (``"sgd"``, ``"momentum"``, ``"adam"``) or an instance.

    ``learning_rate`` None takes the name's default (``DEFAULT_LEARNING_RATES``); an instance
    keeps its own rate.
    """
    if isinstance(optimizer, SGD):
        if options:
            raise argument_error(
                "optimizer_options",
                f"empty when `optimizer` is an object (give them to the constructor of "
                f"{type(optimizer).__name__})",
                dict(sorted(options.items())),
            )
        return optimizer
    if not isinstance(optimizer, str) or optimizer not in OPTIMIZERS:
        known = ", ".join(map(repr, OPTIMIZERS))
        raise argument_error("optimizer", f"one of {known} or an optimizer object", optimizer)
    if learning_rate is None:
        learning_rate = DEFAULT_LEARNING_RATES[optimizer]
    try:
        return OPTIMIZERS[optimizer](learning_rate, **options)
    except TypeError as err:
        if "unexpected keyword" not in str(err):
            raise
        raise argument_error(
            "optimizer_options",
            f"options of {optimizer!r}",
            dict(sorted(options.items())),
            TypeError,
        ) from None


@dataclass
class History:
    """What a ``fit`` did: each epoch's loss (its batches' costs, before their updates, combined
    with the network's reduction) and why it stopped."""

    losses: list[float] = field(default_factory=list)
    stop_reason: str = ""

    @property
    def epochs(self) -> int:
        return len(self.losses)


class _Progress:
    """A one-line progress display on a terminal, redrawn at most ten times a second."""

    def __init__(self, total: int, enabled: bool | None):
        stream = sys.stderr
        self.enabled = stream.isatty() if enabled is None else enabled
        self.stream, self.total, self.last = stream, total, 0.0

    def update(self, epoch: int, loss: float) -> None:
        now = time.monotonic()
        if self.enabled and (now - self.last > 0.1 or epoch == self.total):
            self.last = now
            self.stream.write(f"\repoch {epoch}/{self.total}  loss {loss:.6g}")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")


# -- the step: one workspace per fit, every array preallocated --------------------------------

# Registered activations whose forward pass and derivative the step writes into its own buffers
# (``out=``), with the very operations of their catalogue entries; any other activation runs
# through its ``Activation`` interface.
_SIGMOID, _TANH, _RELU, _IDENTITY = (
    ACTIVATIONS[name] for name in ("sigmoid", "tanh", "relu", "identity")
)
_FAST = (_SIGMOID, _TANH, _RELU, _IDENTITY)
_SIGMOID_CE = (ACTIVATIONS["sigmoid"], COSTS["cross_entropy"])
_SQUARED_ERROR = COSTS["squared_error"]


def _sum(array: np.ndarray):
    """The sum of every entry (pairwise, SIMD), without ndarray.sum's Python layer."""
    return np.add.reduce(array, axis=None)


def _blocks(flat: np.ndarray, shapes) -> list[np.ndarray]:
    """Each layer's [W | b] block, shape (N^m, N^{m-1} + 1), from one flat vector."""
    blocks, start = [], 0
    for n_out, n_in in shapes:
        size = n_out * (n_in + 1)
        blocks.append(flat[start : start + size].reshape(n_out, n_in + 1))
        start += size
    return blocks


def _pairs(blocks: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(W, b) views of [W | b] blocks: W^m = block[:, :-1], b^m = block[:, -1]."""
    return [(block[:, :-1], block[:, -1]) for block in blocks]


class _Buffers:
    """The arrays of one batch size, samples as columns (the document's layout): activations
    with a row of ones below (the bias folded into the product), pre-activations, deltas,
    targets and scratch, each contiguous."""

    def __init__(self, sizes, activations, n: int, dtype):
        widths = sizes[1:]
        self.n = n
        # [a^m; 1] for m = 0..L-1: z = [W | b] [a; 1] and [dW | db] = delta [a; 1]^T.
        self.ones_row = [np.ones((w + 1, n), dtype) for w in sizes[:-1]]
        self.ones_row_T = [block.T for block in self.ones_row]
        # z^L sits after a scratch of its size: [softplus(z^L); z^L] . [1; -y] is the fused
        # sigmoid cross-entropy in one dot product.
        self.output_pair = np.empty((2, widths[-1], n), dtype)
        self.z = [np.empty((w, n), dtype) for w in widths[:-1]] + [self.output_pair[1]]
        output = activations[-1]
        self.a = [block[:-1] for block in self.ones_row[1:]] + [
            self.z[-1] if output is _IDENTITY else np.empty((widths[-1], n), dtype)
        ]
        self.delta = [np.empty((w, n), dtype) for w in widths]
        widest = max(widths)
        self._scratch = np.empty(n * widest, dtype)
        self._mask = np.empty(n * widest, bool)
        self.scratch = [self._scratch[: n * w].reshape(w, n) for w in widths]
        self.mask = [self._mask[: n * w].reshape(w, n) for w in widths]
        self.X = self.ones_row[0][:-1]  # the batch's features, transposed, written in place
        self.y = np.empty((widths[-1], n), dtype)  # its targets, transposed
        self.X_source: np.ndarray | None = None  # the arrays whose values X and y hold
        self.y_source: np.ndarray | None = None
        self.weights = np.ones((2, widths[-1], n), dtype)  # [1; -y], kept with y
        self.weights_stale = True


class TrainingStep:
    """The training step of ``fit``: forward, cost, backward and update on preallocated arrays.

    It trains ``network``'s parameters through two flat buffers, each layer a [W | b] block, on
    batches held as columns with a row of ones, so that one product gives z = W a + b and one
    gives dW and db together: while it lives,
    ``network.params`` are views of the buffer that holds the current values, and the update
    writes the next values into the other (plain SGD) or updates in place after a copy
    (momentum, Adam, an optimizer of one's own). The learning rate and the batch's 1/n are
    folded into delta^L for plain SGD, so the update is a single subtraction of one flat vector.

    Divergence: a step whose loss is not finite restores the parameters of the previous step (the
    last whose loss was finite) and a step whose updated parameters are not finite is undone;
    both return None. The test is the loss itself and one sum of squares of the updated
    parameters (a full ``isfinite`` only when that sum is not finite). ``close()`` copies the
    values back into the arrays the network had and gives them back to it.

    Parameters
    ----------
    network : Network
    optimizer : SGD
        An optimizer object (``get_optimizer``).
    """

    def __init__(self, network, optimizer: SGD):
        self.network, self.optimizer = network, optimizer
        self.originals = network.params
        dtype = network.dtype
        shapes = [W.shape for W, _ in self.originals]
        n_params = sum(W.size + b.size for W, b in self.originals)
        self.flat = [np.empty(n_params, dtype), np.empty(n_params, dtype)]
        self.blocks = [_blocks(flat, shapes) for flat in self.flat]
        self.views = [_pairs(blocks) for blocks in self.blocks]
        self.weights_T = [[W.T for W, _ in views] for views in self.views]  # (W^m)^T, for deltas
        self.grad = np.empty(n_params, dtype)
        self.grad_blocks = _blocks(self.grad, shapes)
        self.grad_views = _pairs(self.grad_blocks)
        for (W, b), (W0, b0) in zip(self.views[0], self.originals):
            W[...] = W0
            b[...] = b0
        self.live, self.has_previous = 0, False
        network._params = self.views[0]
        # What each view list held when made: a callback's replacement of a pair shows as a change.
        self.snapshots = [tuple(views) for views in self.views]
        kind = type(optimizer)
        self.folded = kind is SGD
        self.builtin = kind in (SGD, Momentum, Adam)
        self.activations = list(network.activations)
        self.output, self.cost = self.activations[-1], network.cost
        self.fused = FUSED.get((self.output, self.cost))
        self.sigmoid_ce = (self.output, self.cost) == _SIGMOID_CE
        self.mean = network.reduction == "mean"
        self.buffers: dict[tuple[int, object], _Buffers] = {}

    # -- bookkeeping ------------------------------------------------------------------------

    def buffers_for(self, n: int, key: object = None) -> _Buffers:
        """The buffers of batches of ``n`` samples (``key`` keeps several sets apart)."""
        if (n, key) not in self.buffers:
            self.buffers[n, key] = _Buffers(
                self.network.sizes, self.activations, n, self.network.dtype
            )
        return self.buffers[n, key]

    def params_intact(self) -> bool:
        """Whether the network still trains the arrays of this step (no callback replaced
        them, nor one of their pairs)."""
        current = self.network._params
        snapshot = self.snapshots[self.live]
        return (
            current is self.views[self.live]
            and len(current) == len(snapshot)
            and all(a is b for a, b in zip(current, snapshot))
        )

    def close(self) -> None:
        """Give the network its own arrays back, holding the trained values."""
        if self.network._params is self.views[self.live]:
            for (W, b), (W0, b0) in zip(self.views[self.live], self.originals):
                W0[...] = W
                b0[...] = b
            self.network._params = self.originals

    def _swap(self, live: int) -> None:
        self.live = live
        self.network._params = self.views[live]

    # -- the step ---------------------------------------------------------------------------

    def __call__(self, X: np.ndarray | None, y: np.ndarray | None, buffers: _Buffers | None = None):
        """One step on a checked batch (rows are samples); the batch cost before the update, or
        None (diverged).

        ``X`` and ``y`` None: the batch is already in ``buffers`` (fit gathers mini-batches
        there). A batch given again as the same arrays is not copied again.
        """
        buf = self.buffers_for(len(X)) if buffers is None else buffers
        if X is not None and (X is not buf.X_source or y is not buf.y_source):
            np.copyto(buf.X, X.T)
            np.copyto(buf.y, y.T)
            buf.X_source, buf.y_source = X, y
            buf.weights_stale = True
        elif X is None:  # a gathered mini-batch
            buf.weights_stale = True
        n, y = buf.n, buf.y
        blocks = self.blocks[self.live]
        acts = self.activations
        L = len(blocks)
        inputs, outputs = buf.ones_row, buf.a
        # Forward: z = [W | b] [a; 1], a = sigma(z), into the buffers.
        for m in range(L):
            z = buf.z[m]
            np.matmul(blocks[m], inputs[m], out=z)
            act, a = acts[m], outputs[m]
            if act is _SIGMOID:  # 1 / (1 + e^{-z}), the catalogue's passes, in place
                np.negative(z, out=a)
                np.exp(a, out=a)
                a += 1
                np.divide(1, a, out=a)
            elif act is _TANH:
                np.tanh(z, out=a)
            elif act is _RELU:  # against an array of zeros: 2 passes, faster than one with 0
                a.fill(0)
                np.maximum(z, a, out=a)
            elif act is _IDENTITY:
                if a is not z:
                    np.copyto(a, z)
            elif m < L - 1:  # the catalogue's functions take samples as rows
                np.copyto(a, act.function(z.T).T)
            else:
                outputs[m] = act.function(z.T).T
        a = outputs[-1]
        z, delta = buf.z[-1], buf.delta[-1]
        # Cost and delta^L = dC/dz^L.
        if self.fused is not None:
            if self.sigmoid_ce:  # sum softplus(z) - y z
                if z.size < LOGADDEXP_BELOW:
                    if buf.weights_stale:
                        np.negative(y, out=buf.weights[1])
                        buf.weights_stale = False
                    np.logaddexp(0, z, out=buf.output_pair[0])
                    loss = np.vdot(buf.output_pair, buf.weights)
                else:
                    loss = self._softplus_sum(z, buf.scratch[-1], delta) - np.vdot(y, z)
            else:
                loss = _sum(self.fused(z.T, y.T))
            np.subtract(a, y, out=delta)
        elif self.cost is _SQUARED_ERROR:
            np.subtract(a, y, out=delta)
            loss = 0.5 * np.vdot(delta, delta)
            delta = self._times_derivative(L - 1, delta, buf)
        else:
            loss = _sum(self.cost.value(a.T, y.T))
            delta = self.output.backward(self.cost.gradient(a.T, y.T), z.T, a.T).T
        loss = float(loss) / n if self.mean else float(loss)
        if not math.isfinite(loss):
            if self.has_previous:  # back to the last parameters whose loss was finite
                self._restore()
            return None
        scale = self.optimizer.learning_rate if self.folded else 1.0
        if self.mean:
            scale /= n
        if scale != 1.0:
            delta *= scale
        # Backward: [dW | db] = delta [a; 1]^T, delta^{m-1} = sigma'(z) * (W^T delta).
        grads, inputs_T, weights_T = self.grad_blocks, buf.ones_row_T, self.weights_T[self.live]
        for m in range(L - 1, -1, -1):
            np.matmul(delta, inputs_T[m], out=grads[m])
            if m:
                below = buf.delta[m - 1]
                np.matmul(weights_T[m], delta, out=below)
                delta = self._times_derivative(m - 1, below, buf)
        return loss if self._update() else None

    @staticmethod
    def _softplus_sum(z: np.ndarray, scratch: np.ndarray, spare: np.ndarray) -> float:
        """sum log(1 + e^z) by ``real_softplus`` (SIMD passes) on two scratch arrays
        (``__call__`` takes np.logaddexp below ``LOGADDEXP_BELOW`` entries, where its one call
        beats seven)."""
        return _sum(real_softplus(z, scratch, spare=spare))

    def _times_derivative(self, m: int, delta: np.ndarray, buf: _Buffers) -> np.ndarray:
        """delta * sigma'(z^m), in place where the activation is one of the fast ones."""
        act = self.activations[m]
        a = buf.a[m]
        if act is _SIGMOID:  # a (1 - a), the catalogue's order
            t = buf.scratch[m]
            np.subtract(1, a, out=t)
            t *= a
            delta *= t
        elif act is _TANH:  # 1 - a^2
            t = buf.scratch[m]
            np.multiply(a, a, out=t)
            np.subtract(1, t, out=t)
            delta *= t
        elif act is _RELU:  # the left derivative at 0, as the catalogue's
            mask = np.greater(buf.z[m], 0, out=buf.mask[m])
            np.multiply(delta, mask, out=delta)
        elif act is not _IDENTITY:
            delta = act.backward(delta.T, buf.z[m].T, a.T).T
        return delta

    def _restore(self) -> None:
        spare = 1 - self.live
        if self.folded:
            self._swap(spare)
        else:
            np.copyto(self.flat[self.live], self.flat[spare])

    def _update(self) -> bool:
        """Apply the update; undo it (and return False) when the parameters are not finite."""
        live, spare = self.live, 1 - self.live
        current, other = self.flat[live], self.flat[spare]
        if self.folded:  # delta held lr/n: p - g into the spare buffer, which becomes live
            np.subtract(current, self.grad, out=other)
            if not _all_finite(other):
                return False
            self.live = spare
            self.network._params = self.views[spare]
            self.has_previous = True
            return True
        else:
            np.copyto(other, current)
            if self.builtin:
                self.optimizer.step([current], [self.grad])
            else:
                if not _all_finite(self.grad):
                    return False
                flat_params = [p for pair in self.views[live] for p in pair]
                flat_grads = [g for pair in self.grad_views for g in pair]
                self.optimizer.step(flat_params, flat_grads)
            if not _all_finite(current):
                np.copyto(current, other)
                return False
        self.has_previous = True
        return True


def _all_finite(flat: np.ndarray) -> bool:
    # One BLAS pass, the sum of squares (a dot product of the array with itself: one array read,
    # SIMD, about three times faster than np.add.reduce): NaN and inf propagate through it. Only
    # when it is not finite (a NaN or inf entry, or squares whose sum overflows) is every entry
    # tested.
    return math.isfinite(np.vdot(flat, flat)) or bool(np.isfinite(flat).all())


def training_step(network, optimizer: SGD, flat_params=None, X=None, y=None) -> float | None:
    """One step of ``fit`` on a checked batch (``network.check_data``): the batch loss before
    the update, or None when it diverged (the parameters are then the last finite ones).

    The step's buffers are kept for the next call with the same network and optimizer (so a
    loop of calls runs what ``fit`` runs); ``network.params`` are then views of them.
    ``flat_params`` is accepted for compatibility and not used: the network's own parameters are
    trained.
    """
    step = _LAST_STEP[0]
    if (
        step is None
        or step.optimizer is not optimizer
        or step.network is not network
        or not step.params_intact()
    ):
        step = _LAST_STEP[0] = TrainingStep(network, optimizer)
    return step(X, y)


# The step of the latest ``training_step`` call, reused while the calls go on.
_LAST_STEP: list[TrainingStep | None] = [None]


def fit(
    network,
    X,
    y,
    *,
    learning_rate: float | None = None,
    epochs: int = 100,
    batch_size: int | None = None,
    optimizer="sgd",
    tol: float | None = None,
    seed: int | None = None,
    callbacks: Sequence[Callable] = (),
    progress: bool | None = None,
    **optimizer_options,
) -> History:
    """Train ``network`` in place by gradient descent; see ``Network.fit``."""
    if y is None:
        raise argument_error("y", "array-like of targets, one per sample", None, TypeError)
    target_ndim = np.ndim(y)
    X, y = network.check_data(X, y)
    epochs = check_positive("epochs", epochs, integer=True)
    n = X.shape[0]
    batch_size = n if batch_size is None else check_positive("batch_size", batch_size, integer=True)
    tol = check_tol(tol)
    seed = check_seed("seed", seed)
    callbacks = check_callbacks(callbacks)
    if progress is not None and not isinstance(progress, bool):
        raise argument_error("progress", "True, False or None", progress, TypeError)
    opt = get_optimizer(optimizer, learning_rate, **optimizer_options)
    network._target_ndim = target_ndim
    rng = network.rng if seed is None else np.random.default_rng(seed)
    history = History()
    bar = _Progress(epochs, progress)
    step = TrainingStep(network, opt)
    full = step.buffers_for(n)
    batch_sizes = sorted({batch_size, n % batch_size} - {0}) if batch_size < n else []
    minibatch = {size: step.buffers_for(size, "mini-batch") for size in batch_sizes}
    X_columns, y_columns = X.T, y.T  # mini-batches are gathered as columns
    weight = 1.0 / n if network.reduction == "mean" else None
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            for epoch in range(1, epochs + 1):
                total = 0.0
                if batch_size >= n:
                    loss = step(X, y, full)
                    if loss is None:
                        _diverged(history, epoch)
                    total = loss
                else:
                    order = rng.permutation(n)
                    for start in range(0, n, batch_size):
                        idx = order[start : start + batch_size]
                        buf = minibatch[len(idx)]
                        np.take(X_columns, idx, axis=1, out=buf.X, mode="clip")
                        np.take(y_columns, idx, axis=1, out=buf.y, mode="clip")
                        loss = step(None, None, buf)
                        if loss is None:
                            _diverged(history, epoch)
                        total += loss * (len(idx) * weight) if weight else loss
                history.losses.append(total)
                bar.update(epoch, total)
                try:
                    for callback in callbacks:
                        callback(epoch, total, network)
                except StopTraining as stop:
                    history.stop_reason = (
                        f"stopped by callback: {stop}" if str(stop) else "callback"
                    )
                    break
                if callbacks and not step.params_intact():
                    raise argument_error(
                        "network.params",
                        "changed in place by a callback, not replaced (fit trains the arrays "
                        "it started with; raise numeric.StopTraining after replacing them)",
                        Description(f"new arrays after epoch {epoch}"),
                        RuntimeError,
                    )
                if tol is not None and total <= tol:
                    history.stop_reason = f"loss <= tol ({tol:g})"
                    break
            else:
                history.stop_reason = f"completed {epochs} epochs"
    finally:
        step.close()
        bar.close()
    return history


def _diverged(history: History, epoch: int):
    history.stop_reason = "diverged"
    raise DivergenceError(
        f"training diverged in epoch {epoch}: the loss, a gradient or the updated parameters "
        "became non-finite; the network keeps the last parameters whose loss was finite. "
        "Try a smaller `learning_rate`.",
        history,
    )
