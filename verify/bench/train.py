"""Benchmark of one training step: chainrule beside its floor, its limit and its peers.

The network is the reference document's: sigmoid in every layer and the binary cross-entropy summed
over output units, averaged over the batch, trained by plain gradient descent. Every contender runs
the same step (forward pass, backward pass, SGD update) from the same parameters on the same batch:

- chainrule: what ``Network.fit`` runs per step (``numeric.train.training_step``);
- minimal: the floor, the least NumPy can do for this step (``MinimalStep``: buffers allocated
  once, the bias folded into the products, lr/n folded into delta, one flat parameter vector
  updated by one subtraction; no loss value);
- products: the limit, the step's own matrix products alone (``MinimalStep.products``);
- textbook: the reference document's ``SigmoidNetwork.train``, made runnable;
- PyTorch CPU (when installed).

Each contender is timed in its own process (``verify.bench.processes``), in alternating rounds,
with the same number of threads for NumPy's BLAS and PyTorch; every round rebuilds every contender
from the same initial parameters. Ratios pair the contenders round by round.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import NamedTuple

import numpy as np

from numeric import Network
from numeric.network import DTYPES
from numeric.train import SGD, training_step
from numeric.validation import check_positive
from verify.bench.common import (
    BenchResult,
    bench_problem,
    machine_line,
    target_note,
    torch_available,
)
from verify.bench.processes import Timing, time_in_processes, workers

__all__ = [
    "CONTENDERS",
    "SIZES",
    "MinimalStep",
    "Stepper",
    "TextbookNetwork",
    "bench_train",
    "build_step",
    "chainrule_stepper",
    "minimal_stepper",
    "step_flops",
    "textbook_stepper",
    "torch_stepper",
]

# (layer sizes N^0..N^L, batch size), smallest first: the four networks.
SIZES: tuple[tuple[tuple[int, ...], int], ...] = (
    ((2, 2, 1), 4),
    ((64, 128, 10), 64),
    ((784, 256, 256, 10), 256),
    ((1024, 1024, 1024, 1024, 10), 512),
)
LEARNING_RATE = 0.1
CONTENDERS = ("chainrule", "minimal", "products", "textbook", "PyTorch")
# Networks whose step needs more matrix-product flops than this are also timed with 2 threads
# (smaller ones gain nothing from a second thread) and get fewer rounds.
LARGE_STEP_FLOPS = 1e8
# Targets from the issue: the small networks' step within this factor of the minimal one and
# at least this much faster than PyTorch; the large ones' within this factor of the minimal one.
SMALL_TARGETS = {(2, 2, 1): 8.0, (64, 128, 10): 2.5}
SMALL_FLOOR_RATIO = 1.3
LARGE_FLOOR_RATIO = 1.10

Params = list[tuple[np.ndarray, np.ndarray]]


class Stepper(NamedTuple):
    """One contender on one fixed batch.

    Attributes
    ----------
    step : callable
        ``step()`` performs one training step (forward, backward, SGD update) in place.
    params : callable
        ``params()`` returns the current parameters as NumPy copies in chainrule's shapes:
        ``[(W^m (N^m, N^{m-1}), b^m (N^m,)) for m = 1..L]``.
    """

    step: Callable[[], None]
    params: Callable[[], Params]


def chainrule_stepper(
    params: Params, X: np.ndarray, y: np.ndarray, learning_rate: float
) -> Stepper:
    """What ``Network.fit`` runs per full-batch SGD step once its input check is done.

    That is ``network.loss_and_gradients``, fit's finiteness check of the loss and every
    gradient, and ``numeric.SGD.step``.

    Parameters
    ----------
    params : list of (W (N^m, N^{m-1}), b (N^m,))
        Initial parameters, copied; their dtype is the network's.
    X : ndarray, shape (n_samples, N^0)
    y : ndarray, shape (n_samples, N^L), targets in [0, 1]
    learning_rate : float
    """
    dtype = params[0][0].dtype
    sizes = [params[0][0].shape[1]] + [W.shape[0] for W, _ in params]
    network = Network(sizes, "sigmoid", "cross_entropy", dtype=dtype)
    network.params = [(W.copy(), b.copy()) for W, b in params]
    X, y = network.check_data(X, y)
    flat_params = [p for pair in network.params for p in pair]
    optimizer = SGD(learning_rate)

    def step() -> None:
        if training_step(network, optimizer, flat_params, X, y) is None:
            raise FloatingPointError("chainrule's step diverged")

    return Stepper(step, lambda: [(W.copy(), b.copy()) for W, b in network.params])


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


class TextbookNetwork:
    """The reference document's ``SigmoidNetwork``, made runnable: samples are columns.

    ``train`` is the document's code with its missing lines restored. It keeps the document's
    algorithm, including its one piece of wasted work (a delta for the input layer, computed and
    then dropped); it leaves out only the per-call input conversion (``np.array`` copies and
    reshapes), which chainrule also does once, outside its step. Like the document's ``sigmoid``,
    ``1 / (1 + exp(-x))`` overflows (harmlessly, to 0) for very negative x: callers who mind the
    RuntimeWarning wrap calls in ``np.errstate(over="ignore")``.

    Parameters
    ----------
    params : list of (W (N^m, N^{m-1}), b (N^m,))
        Initial parameters, copied; each b becomes a column (N^m, 1) as in the document.
    """

    def __init__(self, params: Params):
        self.layers = [(W.copy(), b.reshape(-1, 1).copy()) for W, b in params]

    def train(self, X: np.ndarray, y: np.ndarray, learning_rate: float) -> None:
        """One gradient-descent step on X (N^0, n_samples) and y (N^L, n_samples), in place."""
        # Forward pass - compute a^n for n in {0, ... L}
        layer_outputs = [X]
        for W, b in self.layers:
            layer_outputs.append(_sigmoid(W.dot(layer_outputs[-1]) + b))
        # Backward pass - compute dC/dz^m for m in {L, ..., 1} (and, wastefully, for the input)
        cost_partials = [layer_outputs[-1] - y]
        for (W, _), layer_output in zip(
            reversed(self.layers), reversed(layer_outputs[:-1]), strict=True
        ):
            cost_partials.append(W.T.dot(cost_partials[-1]) * layer_output * (1 - layer_output))
        cost_partials.reverse()
        # Compute weight gradient step
        W_updates = []
        for cost_partial, layer_output in zip(cost_partials[1:], layer_outputs[:-1], strict=True):
            W_updates.append(cost_partial.dot(layer_output.T) / X.shape[1])
        # and biases
        b_updates = [cost_partial.mean(axis=1).reshape(-1, 1) for cost_partial in cost_partials[1:]]
        for W_update, b_update, (W, b) in zip(W_updates, b_updates, self.layers, strict=True):
            W -= W_update * learning_rate
            b -= b_update * learning_rate


def textbook_stepper(params: Params, X: np.ndarray, y: np.ndarray, learning_rate: float) -> Stepper:
    """The document's training step (``TextbookNetwork.train``) on the batch as columns.

    Parameters are as for ``chainrule_stepper``; X and y are transposed to the document's layout
    (samples as columns) once, outside the step.
    """
    network = TextbookNetwork(params)
    X_columns, y_columns = np.ascontiguousarray(X.T), np.ascontiguousarray(y.T)
    return Stepper(
        lambda: network.train(X_columns, y_columns, learning_rate),
        lambda: [(W.copy(), b.ravel().copy()) for W, b in network.layers],
    )


def torch_stepper(params: Params, X: np.ndarray, y: np.ndarray, learning_rate: float) -> Stepper:
    """PyTorch CPU: an ``nn.Linear`` stack with sigmoid, ``BCEWithLogitsLoss``, manual SGD.

    The loss is the binary cross-entropy summed over outputs and averaged over samples, the same
    function chainrule and the document minimise (``BCEWithLogitsLoss``'s default mean would also
    average over outputs). The output sigmoid is folded into the loss, as chainrule folds it into
    delta^L = a^L - y. The update is ``p -= learning_rate * p.grad`` under ``no_grad``, and the
    gradients are reset (to None, as ``zero_grad`` does) after every step.

    Parameters are as for ``chainrule_stepper``; raises ImportError without PyTorch.
    """
    import torch

    dtype = {np.dtype(np.float64): torch.float64, np.dtype(np.float32): torch.float32}[
        params[0][0].dtype
    ]
    layers: list[torch.nn.Module] = []
    for W, b in params:
        linear = torch.nn.Linear(W.shape[1], W.shape[0], dtype=dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W))
            linear.bias.copy_(torch.from_numpy(b))
        layers += [linear, torch.nn.Sigmoid()]
    model = torch.nn.Sequential(*layers[:-1])
    loss_fn = torch.nn.BCEWithLogitsLoss(reduction="sum")
    X_t, y_t = torch.from_numpy(X.copy()), torch.from_numpy(y.copy())
    n_samples = X.shape[0]
    weights = list(model.parameters())

    def step() -> None:
        loss = loss_fn(model(X_t), y_t) / n_samples
        loss.backward()
        with torch.no_grad():
            for p in weights:
                p.add_(p.grad, alpha=-learning_rate)
                p.grad = None

    def current() -> Params:
        linears = [m for m in model if isinstance(m, torch.nn.Linear)]
        return [(m.weight.detach().numpy().copy(), m.bias.detach().numpy().copy()) for m in linears]

    return Stepper(step, current)


def step_flops(sizes: Sequence[int], n_samples: int) -> int:
    """Matrix-product flops of one step: forward, dW of every layer, delta of all but the first."""
    products = [2 * n_samples * n_in * n_out for n_in, n_out in pairwise(sizes)]
    return 2 * sum(products) + sum(products[1:])


def minimal_stepper(params: Params, X: np.ndarray, y: np.ndarray, learning_rate: float) -> Stepper:
    """The floor: ``MinimalStep`` on the batch. Parameters are as for ``chainrule_stepper``."""
    step = MinimalStep(params, X, y, learning_rate)
    return Stepper(step.step, step.params)


class MinimalStep:
    """The least NumPy can do for one step of the document's network: the benchmark's floor.

    Everything is allocated once: one flat parameter vector holding each layer's [W | b] block,
    one flat gradient, and per layer the batch as columns with a row of ones below ([a; 1], so
    that z = [W | b] [a; 1] is one product and [dW | db] = delta [a; 1]^T another), z, delta and
    a scratch array. The learning rate and 1/n are folded into delta^L, so the update is one
    subtraction of the flat gradient. It computes no loss value (chainrule's step does, for
    fit's history and its divergence check). At [2, 2, 1] that is 19 NumPy calls.

    Parameters
    ----------
    params : list of (W (N^m, N^{m-1}), b (N^m,))
        Initial parameters, copied.
    X : ndarray, shape (n_samples, N^0)
    y : ndarray, shape (n_samples, N^L)
    learning_rate : float
    """

    def __init__(self, params: Params, X: np.ndarray, y: np.ndarray, learning_rate: float):
        dtype = params[0][0].dtype
        n = X.shape[0]
        shapes = [(W.shape[0], W.shape[1] + 1) for W, _ in params]
        total = sum(rows * cols for rows, cols in shapes)
        self.theta, self.grad = np.empty(total, dtype), np.empty(total, dtype)
        self.blocks, self.grads, start = [], [], 0
        for rows, cols in shapes:
            self.blocks.append(self.theta[start : start + rows * cols].reshape(rows, cols))
            self.grads.append(self.grad[start : start + rows * cols].reshape(rows, cols))
            start += rows * cols
        for block, (W, b) in zip(self.blocks, params):
            block[:, :-1] = W
            block[:, -1] = b
        self.weights_T = [block[:, :-1].T for block in self.blocks]
        widths = [W.shape[0] for W, _ in params]
        # inputs[m] = [a^m; 1], (N^m + 1, n) for m = 0..L-1; the output a^L has no row of ones.
        self.inputs = [np.ones((cols, n), dtype) for _, cols in shapes]
        self.inputs[0][:-1] = X.T
        self.inputs_T = [a.T for a in self.inputs]
        self.outputs = [a[:-1] for a in self.inputs[1:]] + [np.empty((widths[-1], n), dtype)]
        self.z = [np.empty((w, n), dtype) for w in widths]
        self.delta = [np.empty((w, n), dtype) for w in widths]
        self.scratch = [np.empty((w, n), dtype) for w in widths]
        self.y = np.ascontiguousarray(y.T)
        self.scale = learning_rate / n

    def step(self) -> None:
        """One step: forward, delta^L = (a^L - y) lr / n, backward, theta -= gradient."""
        blocks, inputs, outputs = self.blocks, self.inputs, self.outputs
        L = len(blocks)
        for m in range(L):
            z, a = self.z[m], outputs[m]
            np.matmul(blocks[m], inputs[m], out=z)
            np.negative(z, out=a)  # sigmoid: 1 / (1 + e^{-z}), in place
            np.exp(a, out=a)
            a += 1
            np.divide(1, a, out=a)  # np.reciprocal's quotient, by divide's faster (SIMD) loop
        delta = self.delta[L - 1]
        np.subtract(outputs[L - 1], self.y, out=delta)
        delta *= self.scale
        for m in range(L - 1, -1, -1):
            np.matmul(self.delta[m], self.inputs_T[m], out=self.grads[m])
            if m:
                below, a, t = self.delta[m - 1], outputs[m - 1], self.scratch[m - 1]
                np.matmul(self.weights_T[m], self.delta[m], out=below)
                np.subtract(1, a, out=t)  # sigma'(z) = a (1 - a)
                t *= a
                below *= t
        np.subtract(self.theta, self.grad, out=self.theta)

    def products(self) -> None:
        """The step's matrix products alone, on the same arrays: z^m = [W | b] [a; 1] for every
        layer, [dW | db] = delta [a; 1]^T for every layer, W^T delta for all but the first. Run
        it after a ``step`` so that the arrays hold a step's values."""
        blocks, inputs = self.blocks, self.inputs
        L = len(blocks)
        for m in range(L):
            np.matmul(blocks[m], inputs[m], out=self.z[m])
        for m in range(L - 1, -1, -1):
            np.matmul(self.delta[m], self.inputs_T[m], out=self.grads[m])
            if m:
                np.matmul(self.weights_T[m], self.delta[m], out=self.delta[m - 1])

    def params(self) -> Params:
        """The current parameters as copies, in chainrule's shapes."""
        return [(block[:, :-1].copy(), block[:, -1].copy()) for block in self.blocks]


def build_step(
    contender: str,
    sizes: Sequence[int],
    batch: int,
    dtype: str,
    learning_rate: float = LEARNING_RATE,
    seed: int = 0,
) -> Callable[[], None]:
    """The step of ``contender`` on the benchmark's problem: what a worker process times.

    ``"products"`` is ``MinimalStep.products`` after one step. Floating-point warnings are off in
    the (worker's) process, as ``fit`` turns them off around its steps.
    """
    np.seterr(over="ignore", under="ignore")
    network, X, y = bench_problem(sizes, batch, dtype=np.dtype(dtype), seed=seed)
    problem = (network.params, X, y)
    if contender == "products":
        step = MinimalStep(*problem, learning_rate)
        step.step()
        return step.products
    makers = {
        "chainrule": chainrule_stepper,
        "minimal": minimal_stepper,
        "textbook": textbook_stepper,
        "PyTorch": torch_stepper,
    }
    if contender not in makers:
        raise ValueError(f"`contender` must be one of {CONTENDERS}, got {contender!r}")
    return makers[contender](*problem, learning_rate).step


def _available_threads() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def bench_train(
    *,
    rounds: int = 5,
    sizes=None,
    threads: Sequence[int] | None = None,
    contenders: Sequence[str] | None = None,
    min_time: float = 0.05,
    blocks: int = 3,
) -> BenchResult:
    """Time one training step of every contender, each in its own process, side by side.

    Parameters
    ----------
    rounds : int, default 5
        Alternating rounds per network, dtype and thread count; networks whose step exceeds
        ``LARGE_STEP_FLOPS`` get ``max(3, rounds - 2)`` (never more than ``rounds``).
    sizes : sequence of (layer sizes, batch size) or None
        The networks to time; None runs ``SIZES``, the issue's four.
    threads : sequence of int or None
        Thread counts for the large networks (the small ones run with 1); None: 1 and 2, or 1
        alone on a one-core machine.
    contenders : sequence of str or None
        A subset of ``CONTENDERS`` (PyTorch is left out when it is not installed).
    min_time : float, default 0.05
        Seconds each timed block lasts at least.
    blocks : int, default 3
        Blocks per contender per round (the round's sample is their median).

    Returns
    -------
    BenchResult
        ``name="train"``: one row per network, dtype and thread count with the median time per
        step of each contender and the ratios the issue names; a second table gives each
        contender's median, best and spread over the rounds.
    """
    rounds = check_positive("rounds", rounds, integer=True)
    blocks = check_positive("blocks", blocks, integer=True)
    sizes = SIZES if sizes is None else tuple((tuple(s), int(n)) for s, n in sizes)
    available = _available_threads()
    if threads is None:
        threads = (1, 2) if available >= 2 else (1,)
    threads = tuple(check_positive("threads", t, integer=True) for t in threads)
    names = list(CONTENDERS if contenders is None else contenders)
    unknown = [name for name in names if name not in CONTENDERS]
    if unknown or "chainrule" not in names:
        raise ValueError(
            f"`contenders` must be a subset of {CONTENDERS} holding 'chainrule', got {names}"
        )
    if "PyTorch" in names and not torch_available():
        names.remove("PyTorch")
    rows, details = [], []
    with workers(names) as pool:
        for layer_sizes, n_samples in sizes:
            flops = step_flops(layer_sizes, n_samples)
            large = flops > LARGE_STEP_FLOPS
            config_rounds = min(rounds, max(3, rounds - 2)) if large else rounds
            for dtype in DTYPES:
                for n_threads in threads if large else (1,):
                    spec = {"sizes": list(layer_sizes), "batch": n_samples}
                    spec["dtype"] = np.dtype(dtype).name
                    contenders_spec = {
                        name: ("verify.bench.train:build_step", {"contender": name, **spec})
                        for name in names
                    }
                    timings = time_in_processes(
                        contenders_spec,
                        threads=n_threads,
                        rounds=config_rounds,
                        min_time=min_time,
                        blocks=blocks,
                        pool=pool,
                        fresh=True,
                    )
                    config = (layer_sizes, n_samples, np.dtype(dtype).name, n_threads)
                    rows.append(_row(*config, timings, flops))
                    details += _details(*config, timings)
    result = BenchResult(
        name="train",
        title="One training step (forward, backward, SGD update)",
        rows=rows,
        notes=_notes(rows, threads, rounds, min_time, blocks, names),
    )
    result.tables.append(("Each contender: median, best and spread over the rounds", details))
    return result


def _row(layer_sizes, n_samples, dtype, n_threads, timings: dict[str, Timing], flops) -> dict:
    ours = timings["chainrule"]

    def ms(name):
        return _ms(timings[name].median) if name in timings else "n/a"

    def ratio(a, b):
        return round(timings[a].ratio(timings[b]), 2) if a in timings and b in timings else "n/a"

    return {
        "network": str(list(layer_sizes)),
        "batch": n_samples,
        "dtype": dtype,
        "threads": n_threads,
        "chainrule (ms)": ms("chainrule"),
        "minimal (ms)": ms("minimal"),
        "products (ms)": ms("products"),
        "textbook (ms)": ms("textbook"),
        "PyTorch (ms)": ms("PyTorch"),
        "chainrule / minimal": ratio("chainrule", "minimal"),
        "chainrule / products": ratio("chainrule", "products"),
        "minimal / products": ratio("minimal", "products"),
        "PyTorch / chainrule": ratio("PyTorch", "chainrule"),
        "textbook / chainrule": ratio("textbook", "chainrule"),
        "chainrule GFLOP/s": round(flops / ours.median / 1e9, 2),
    }


def _details(layer_sizes, n_samples, dtype, n_threads, timings: dict[str, Timing]) -> list[dict]:
    return [
        {
            "network": str(list(layer_sizes)),
            "dtype": dtype,
            "threads": n_threads,
            "contender": name,
            "median (ms)": _ms(timing.median),
            "best (ms)": _ms(timing.best),
            "spread": f"{timing.spread:.0%}",
            "rounds": len(timing.samples),
        }
        for name, timing in timings.items()
    ]


def _ms(seconds: float) -> float:
    return float(f"{seconds * 1e3:.3g}")


def _notes(rows, threads, rounds, min_time, blocks, names) -> list[str]:
    notes = [
        machine_line(f"1 (small networks), {' and '.join(map(str, threads))} (large ones)")
        + " Every contender of a row runs with the row's thread count.",
        "Network: the document's (sigmoid in every layer, binary cross-entropy summed over "
        "outputs and averaged over samples, plain SGD with learning rate "
        f"{LEARNING_RATE}); parameters, batch and targets from verify.core.problems.make_problem "
        "(W^m drawn N(0, 1/N^{m-1}), b^m N(0, 1/4): no saturated sigmoids; standard normal "
        "inputs, targets in (0, 1)), one fixed batch; every contender starts each round from the "
        "same parameters.",
        "chainrule: what `Network.fit` runs per step after its one-time input check "
        "(`numeric.train.training_step`: forward, loss, backward, finiteness check, update).",
        "minimal (the floor): `MinimalStep`, buffers allocated once, the bias folded into the "
        "products ([W | b] [a; 1]), lr/n folded into delta^L, one flat parameter vector updated "
        "by one subtraction; no loss value (19 NumPy calls at [2, 2, 1]). products (the limit): "
        "the same step's matrix products alone, on the same arrays.",
        "textbook: the document's `SigmoidNetwork.train` made runnable (samples as columns, "
        "b as (N^m, 1), deltas as `cost_partials`, including its wasted delta for the input "
        "layer); no loss value is computed, as in the document.",
        "PyTorch: `nn.Linear` stack with sigmoid, `BCEWithLogitsLoss(reduction='sum') / n`, "
        "`loss.backward()`, `p -= lr * p.grad` under `no_grad`, gradients reset every step.",
        f"Timing: each contender in its own process (python -m verify.bench.processes), asked in "
        f"turn with a pause between them, in {rounds} alternating rounds "
        f"({min(rounds, max(3, rounds - 2))} for steps over {LARGE_STEP_FLOPS:.0e} flops); a "
        "round's sample is "
        f"the median of {blocks} blocks of at least {min_time:g} s. Times are medians over the "
        "rounds; a ratio is the median over the rounds of the two contenders' ratio in the same "
        "round. GFLOP/s counts only the matrix products a step needs (forward, dW of every "
        "layer, delta of every layer but the first).",
    ]
    if "PyTorch" not in names:
        notes.append("PyTorch is not installed (or not asked for): its columns are n/a.")
    notes += _target_notes(rows, names)
    return notes


def _target_notes(rows, names) -> list[str]:
    notes = []
    small = [r for r in rows if tuple(_row_sizes(r)) in SMALL_TARGETS]
    if small and "minimal" in names:
        worst = max(small, key=lambda r: r["chainrule / minimal"])
        notes.append(
            target_note(
                f"[2, 2, 1] and [64, 128, 10]: chainrule's step within {SMALL_FLOOR_RATIO:g}x of "
                "the minimal step",
                all(r["chainrule / minimal"] <= SMALL_FLOOR_RATIO for r in small),
                ", ".join(f"{_label(r)} {r['chainrule / minimal']}x" for r in small)
                + f"; worst {_label(worst)}",
            )
        )
    if small and "PyTorch" in names:
        for sizes, target in SMALL_TARGETS.items():
            mine = [r for r in small if tuple(_row_sizes(r)) == sizes]
            if mine:
                notes.append(
                    target_note(
                        f"{list(sizes)}: chainrule at least {target:g}x faster than PyTorch CPU",
                        all(r["PyTorch / chainrule"] >= target for r in mine),
                        ", ".join(f"{r['dtype']} {r['PyTorch / chainrule']}x" for r in mine),
                    )
                )
    large = [r for r in rows if tuple(_row_sizes(r)) not in SMALL_TARGETS]
    if large and "minimal" in names:
        notes.append(
            target_note(
                f"large networks: chainrule's step at most {LARGE_FLOOR_RATIO:g}x the minimal "
                "step's, in float64 and float32, 1 and 2 threads",
                all(r["chainrule / minimal"] <= LARGE_FLOOR_RATIO for r in large),
                "; ".join(
                    f"{_label(r)}: {r['chainrule / minimal']}x the minimal, "
                    f"{r['chainrule / products']}x the products (minimal "
                    f"{r['minimal / products']}x), PyTorch / chainrule "
                    f"{r['PyTorch / chainrule']}"
                    for r in large
                ),
            )
        )
    return notes


def _row_sizes(row) -> list[int]:
    """The layer sizes of a result row (its "network" column, e.g. "[2, 2, 1]")."""
    return [int(part) for part in row["network"].strip("[]").split(",")]


def _label(row) -> str:
    return f"{row['network']} {row['dtype']} {row['threads']}t"
