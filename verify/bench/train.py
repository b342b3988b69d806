"""Benchmark of one training step: chainrule's trainer, the textbook NumPy code and PyTorch CPU.

The network is the reference document's: sigmoid in every layer and the binary cross-entropy summed
over output units, averaged over the batch, trained by plain gradient descent. Each contender runs
the same step (forward pass, backward pass, SGD update) from the same parameters on the same batch,
interleaved in one process with the same number of threads, and the step is compared against the
rate of a large matrix product measured in the same run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import NamedTuple

import numpy as np

from numeric import SGD, Network
from numeric.network import DTYPES
from numeric.train import training_step
from numeric.validation import check_positive
from verify.bench.common import (
    BenchResult,
    bench_problem,
    limit_threads,
    machine_line,
    median_time,
    paired_times,
    target_note,
    torch_available,
)

__all__ = [
    "SIZES",
    "Stepper",
    "TextbookNetwork",
    "bench_train",
    "chainrule_stepper",
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
GEMM_SIZE = 2048
# Steps above this many flops get fewer interleaved rounds: each of their calls already lasts
# tens of milliseconds, so the median is stable, and the whole benchmark stays within minutes.
LARGE_STEP_FLOPS = 2e9

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


def _gemm(dtype, library: str = "numpy") -> tuple[Callable[[], object], int]:
    """A GEMM_SIZE^3 matrix product in NumPy or PyTorch, and its flop count."""
    n = GEMM_SIZE
    rng = np.random.default_rng(0)
    A, B = (rng.standard_normal((n, n)).astype(dtype) for _ in range(2))
    if library == "torch":
        import torch

        A, B = torch.from_numpy(A), torch.from_numpy(B)
    return (lambda: A @ B), 2 * n**3


def _default_threads() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def bench_train(*, repeats: int = 5, n_threads: int | None = None, sizes=None) -> BenchResult:
    """Time one training step of chainrule, the textbook code and PyTorch CPU, side by side.

    Parameters
    ----------
    repeats : int
        Interleaved rounds per network and dtype (the median is reported); networks whose step
        exceeds 2 GFLOP get ``max(3, repeats // 2)`` (never more than ``repeats``).
    n_threads : int or None
        BLAS and PyTorch threads; None uses every core this process may run on.
    sizes : sequence of (layer sizes, batch size) or None
        The networks to time; None runs ``SIZES``, the issue's four.

    Returns
    -------
    BenchResult
        ``name="train"``: one row per network and dtype with the median time per step of each
        contender, the ratios to chainrule, and chainrule's matrix-product rate as GFLOP/s and as
        a fraction of the rate of a large NumPy matrix product timed in the same rounds.
    """
    repeats = check_positive("repeats", repeats, integer=True)
    if n_threads is None:
        n_threads = _default_threads()
    n_threads = check_positive("n_threads", n_threads, integer=True)
    sizes = SIZES if sizes is None else tuple((tuple(s), int(n)) for s, n in sizes)
    has_torch = torch_available()
    rows, torch_gemm = [], {}
    products = {dtype: _gemm(dtype) for dtype in DTYPES}
    with limit_threads(n_threads), np.errstate(over="ignore"):
        if has_torch:
            for dtype in DTYPES:
                product, product_flops = _gemm(dtype, "torch")
                torch_gemm[dtype] = product_flops / median_time(product, repeat=5)
        for layer_sizes, n_samples in sizes:
            flops = step_flops(layer_sizes, n_samples)
            rounds = repeats if flops <= LARGE_STEP_FLOPS else min(repeats, max(3, repeats // 2))
            for dtype in DTYPES:
                network, X, y = bench_problem(layer_sizes, n_samples, dtype=dtype)
                problem = network.params, X, y
                product, product_flops = products[dtype]
                contenders = {
                    "chainrule": chainrule_stepper(*problem, LEARNING_RATE).step,
                    "textbook": textbook_stepper(*problem, LEARNING_RATE).step,
                    "GEMM": product,  # in the same rounds, so a busy machine slows both alike
                }
                if has_torch:
                    contenders["PyTorch"] = torch_stepper(*problem, LEARNING_RATE).step
                times = paired_times(contenders, rounds=rounds)
                gemm_rate = product_flops / times.pop("GEMM")
                rows.append(_row(layer_sizes, n_samples, dtype, times, flops, gemm_rate))
    return BenchResult(
        name="train",
        title="One training step (forward, backward, SGD update)",
        rows=rows,
        notes=_notes(
            rows, max(sizes, key=lambda s: step_flops(*s))[0], n_threads, torch_gemm, repeats
        ),
    )


def _row(layer_sizes, n_samples, dtype, times, flops, gemm_rate) -> dict:
    ours = times["chainrule"]
    rate = flops / ours
    return {
        "network": str(list(layer_sizes)),
        "batch": n_samples,
        "dtype": np.dtype(dtype).name,
        "chainrule (ms)": _ms(ours),
        "textbook (ms)": _ms(times["textbook"]),
        "PyTorch (ms)": _ms(times["PyTorch"]) if "PyTorch" in times else "n/a",
        "PyTorch / chainrule": round(times["PyTorch"] / ours, 2) if "PyTorch" in times else "n/a",
        "textbook / chainrule": round(times["textbook"] / ours, 2),
        "chainrule GFLOP/s": round(rate / 1e9, 2),
        "GEMM GFLOP/s": round(gemm_rate / 1e9, 1),
        "of GEMM rate": f"{rate / gemm_rate:.0%}",
    }


def _ms(seconds: float) -> float:
    return float(f"{seconds * 1e3:.3g}")


def _notes(rows, largest_sizes, n_threads, torch_gemm, repeats) -> list[str]:
    notes = [
        machine_line(n_threads),
        f"GEMM: a NumPy {GEMM_SIZE}^3 matrix product of the row's dtype, timed in the same "
        "interleaved rounds as the steps"
        + (
            "; PyTorch's, timed once at the start: "
            + ", ".join(f"{np.dtype(d).name} {r / 1e9:.1f} GFLOP/s" for d, r in torch_gemm.items())
            if torch_gemm
            else ""
        )
        + ".",
        "Network: the document's (sigmoid in every layer, binary cross-entropy summed over "
        "outputs and averaged over samples, plain SGD with learning rate "
        f"{LEARNING_RATE}); parameters, batch and targets from verify.core.problems.make_problem "
        "(W^m drawn N(0, 1/N^{m-1}), b^m N(0, 1/4): no saturated sigmoids; standard normal "
        "inputs, targets in (0, 1)), one fixed batch; every contender starts from the same "
        "parameters.",
        "chainrule: what `Network.fit` runs per step after its one-time input check: "
        "`network.loss_and_gradients(X, y)`, fit's finiteness check of the loss and every "
        "gradient, and "
        "`numeric.SGD.step`.",
        "textbook: the document's `SigmoidNetwork.train` made runnable (samples as columns, "
        "b as (N^m, 1), deltas as `cost_partials`, including its wasted delta for the input "
        "layer); no loss value is computed, as in the document.",
        "PyTorch: `nn.Linear` stack with sigmoid, `BCEWithLogitsLoss(reduction='sum') / n`, "
        "`loss.backward()`, `p -= lr * p.grad` under `no_grad`, gradients reset every step.",
        f"Times are medians of {repeats} interleaved rounds (fewer for steps over "
        f"{LARGE_STEP_FLOPS / 1e9:g} GFLOP), each the median of 3 blocks; ratios above 1 mean "
        "chainrule is faster. GFLOP/s counts only the matrix products a step needs (forward, dW "
        "of every layer, delta of every layer but the first).",
    ]
    torch_ratios = [r["PyTorch / chainrule"] for r in rows if r["PyTorch / chainrule"] != "n/a"]
    if torch_ratios:
        missed = [
            f"{r['network']} {r['dtype']} ({r['PyTorch / chainrule']}x)"
            for r in rows
            if r["PyTorch / chainrule"] != "n/a" and r["PyTorch / chainrule"] <= 1
        ]
        notes.append(
            target_note(
                "faster than PyTorch CPU at every size and dtype",
                not missed,
                "not at " + ", ".join(missed) if missed else "",
            )
        )
    largest = [r for r in rows if r["network"] == str(list(largest_sizes))]
    if largest:
        shares = ", ".join(f"{r['dtype']} {r['of GEMM rate']}" for r in largest)
        met = all(float(r["of GEMM rate"].rstrip("%")) >= 90 for r in largest)
        notes.append(
            target_note(
                f">= 90% of the GEMM rate at the largest size ({largest[0]['network']})",
                met,
                shares,
            )
        )
    if not torch_ratios:
        notes.append("PyTorch is not installed: its columns are n/a.")
    return notes
