"""Gradient-descent training: optimizers, the fit loop, its history and its stopping rules."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from numeric.validation import argument_error, check_positive

__all__ = [
    "SGD",
    "Adam",
    "DivergenceError",
    "History",
    "Momentum",
    "StopTraining",
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
        if not 0 <= momentum < 1:
            raise argument_error("momentum", "in [0, 1)", momentum)
        self.momentum = momentum
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
        for name, beta in (("beta1", beta1), ("beta2", beta2)):
            if not 0 <= beta < 1:
                raise argument_error(name, "in [0, 1)", beta)
        self.beta1, self.beta2, self.eps = beta1, beta2, check_positive("eps", eps)
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


def get_optimizer(optimizer, learning_rate: float, **options) -> SGD:
    """An optimizer object from a name (``"sgd"``, ``"momentum"``, ``"adam"``) or an instance."""
    if isinstance(optimizer, SGD):
        if options:
            raise argument_error(
                "optimizer_options",
                f"empty when `optimizer` is an object (give them to the constructor of "
                f"{type(optimizer).__name__})",
                dict(sorted(options.items())),
            )
        return optimizer
    if optimizer not in OPTIMIZERS:
        known = ", ".join(map(repr, OPTIMIZERS))
        raise argument_error("optimizer", f"one of {known} or an optimizer object", optimizer)
    return OPTIMIZERS[optimizer](learning_rate, **options)


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


def training_step(network, optimizer: SGD, flat_params: list[np.ndarray], X, y) -> float | None:
    """One step of ``fit`` on a checked batch: backprop, a finiteness test, the update.

    Returns the batch loss before the update, or None (and no update) when the loss or a
    gradient is not finite.
    """
    loss, grads = network.loss_and_gradients(X, y)
    flat_grads = [g for pair in grads for g in pair]
    # One sum per array is the cheapest complete test: NaN and inf propagate through it.
    if not np.isfinite(loss + sum(g.sum() for g in flat_grads)):
        return None
    optimizer.step(flat_params, flat_grads)
    return float(loss)


def fit(
    network,
    X,
    y,
    *,
    learning_rate: float,
    epochs: int,
    batch_size: int | None = None,
    optimizer="sgd",
    tol: float | None = None,
    seed: int | None = None,
    callbacks: Sequence[Callable] = (),
    progress: bool | None = None,
    **optimizer_options,
) -> History:
    """Train ``network`` in place by gradient descent; see ``Network.fit``."""
    X, y = network.check_data(X, y)
    epochs = check_positive("epochs", epochs, integer=True)
    n = X.shape[0]
    batch_size = n if batch_size is None else check_positive("batch_size", batch_size, integer=True)
    if tol is not None and not tol >= 0:
        raise argument_error("tol", ">= 0 or None", tol)
    opt = get_optimizer(optimizer, learning_rate, **optimizer_options)
    rng = network.rng if seed is None else np.random.default_rng(seed)
    flat_params = [p for pair in network.params for p in pair]
    history = History()
    bar = _Progress(epochs, progress)
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            for epoch in range(1, epochs + 1):
                order = rng.permutation(n) if batch_size < n else None
                total = 0.0
                for start in range(0, n, batch_size):
                    if order is None:
                        Xb, yb = X, y
                    else:
                        idx = order[start : start + batch_size]
                        Xb, yb = X[idx], y[idx]
                    loss = training_step(network, opt, flat_params, Xb, yb)
                    if loss is None:
                        history.stop_reason = "diverged"
                        raise DivergenceError(
                            f"training diverged in epoch {epoch}: the loss or a gradient became "
                            "non-finite; the network keeps the parameters of the last finite "
                            "step. Try a smaller `learning_rate`.",
                            history,
                        )
                    total += loss * len(yb) / n if network.reduction == "mean" else loss
                history.losses.append(total)
                bar.update(epoch, history.losses[-1])
                try:
                    for callback in callbacks:
                        callback(epoch, history.losses[-1], network)
                except StopTraining as stop:
                    history.stop_reason = (
                        f"stopped by callback: {stop}" if str(stop) else "callback"
                    )
                    break
                if tol is not None and history.losses[-1] <= tol:
                    history.stop_reason = f"loss <= tol ({tol:g})"
                    break
            else:
                history.stop_reason = f"completed {epochs} epochs"
    finally:
        bar.close()
    return history
