"""The experiments behind the document's empirical claims, each a function of the seeds.

``xor_experiment``
    The toy program's XOR run (2-2-1 sigmoid, cross-entropy, standard-normal start, 1,000
    full-batch steps at learning rate 1) from thousands of initialisations, under the generator of
    ``numeric`` and under the program's own, and at the program's default learning rate 0.2: the
    fraction that learns XOR, with its confidence interval.
``convergence_experiment``
    Cross-entropy against squared error with sigmoid outputs, steps to an accuracy threshold,
    controlled for the learning rate: the same rate, squared error at 4 times it (which makes up
    for a(1 - a) <= 1/4), each cost at its best rate of a grid, and all of it from the standard
    start and from a start saturated on the wrong side.
``depth_experiment``
    The size of the deltas ||dC/dz^m|| layer by layer at initialisation, for the sigmoid, tanh and
    ReLU, under each one's usual initialisation and under the document's standard normal one.

Every rate comes as a ``verify.audit.statistics.Rate`` with its Wilson interval; the generator and
the order of the draws are named (``verify.audit.ensemble``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from numeric import ACTIVATIONS, kernels
from numeric.examples import XOR_INPUTS, XOR_TARGETS
from verify.audit.ensemble import NUMERIC_DRAWS, PROGRAM_DRAWS, Ensemble, program_params
from verify.audit.statistics import Rate, round_significant, sign_test

__all__ = [
    "DEPTH_INITS",
    "EXPLODING",
    "MEDIAN_DIGITS",
    "QUANTILES",
    "RATE_GRID",
    "SATURATED_BIAS",
    "SCALE",
    "STARTS",
    "VANISHING",
    "XOR_Y",
    "ConvergenceResult",
    "DepthResult",
    "Task",
    "XorResult",
    "XorRun",
    "convergence_experiment",
    "convergence_tasks",
    "depth_experiment",
    "sigmoid_slope",
    "xor_experiment",
]

# -- the XOR example ----------------------------------------------------------------------------

XOR_Y = XOR_TARGETS.reshape(-1, 1)
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


@dataclass
class XorRun:
    """The document's XOR run from many seeds under one generator and learning rate.

    Attributes
    ----------
    generator : {"numeric", "program"}
    draws : str
        The generator and the order of its draws.
    learning_rate : float
    epochs : int
    seeds : list of int
    outputs : numpy.ndarray, shape (n_seeds, 4)
        a^L for the inputs [0, 0], [1, 0], [0, 1], [1, 1] (the document's order) after training.
    success : numpy.ndarray of bool, shape (n_seeds,)
        All four quantized outputs equal the XOR targets.
    """

    generator: str
    draws: str
    learning_rate: float
    epochs: int
    seeds: list[int]
    outputs: np.ndarray
    success: np.ndarray

    @property
    def rate(self) -> Rate:
        return Rate.of(self.success)

    @property
    def label(self) -> str:
        return f"{self.generator} generator, learning rate {self.learning_rate:g}"


def _xor_run(generator: str, seeds: list[int], learning_rate: float, epochs: int) -> XorRun:
    sizes = [2, 2, 1]
    if generator == "numeric":
        ensemble = Ensemble(sizes, "sigmoid", "cross_entropy", seeds)
        draws = NUMERIC_DRAWS
    elif generator == "program":
        drawn = [program_params(sizes, seed) for seed in seeds]
        stacks = [
            (np.stack([p[m][0] for p in drawn]), np.stack([p[m][1] for p in drawn]))
            for m in range(len(sizes) - 1)
        ]
        ensemble = Ensemble.from_params(sizes, "sigmoid", "cross_entropy", stacks)
        draws = PROGRAM_DRAWS
    else:
        raise ValueError(f"`generator` must be 'numeric' or 'program', got {generator!r}")
    ensemble.train(XOR_INPUTS, XOR_Y, learning_rate=learning_rate, epochs=epochs)
    outputs = ensemble.outputs(XOR_INPUTS)[:, :, 0]
    success = ((outputs > 0.5) == (XOR_TARGETS > 0.5)).all(axis=1)
    return XorRun(generator, draws, float(learning_rate), epochs, seeds, outputs, success)


@dataclass
class XorResult:
    """Outcomes of the document's XOR run over many seeds.

    Attributes
    ----------
    main : XorRun
        The document's run: learning rate 1, ``numeric``'s generator.
    others : list of XorRun
        The same seeds under the program's own generator, and at other learning rates.
    """

    main: XorRun
    others: list[XorRun] = field(default_factory=list)

    # The main run's figures, by the names the checks use.
    @property
    def seeds(self) -> list[int]:
        return self.main.seeds

    @property
    def learning_rate(self) -> float:
        return self.main.learning_rate

    @property
    def epochs(self) -> int:
        return self.main.epochs

    @property
    def outputs(self) -> np.ndarray:
        return self.main.outputs

    @property
    def success(self) -> np.ndarray:
        return self.main.success

    @property
    def success_rate(self) -> float:
        return self.main.rate.value

    @property
    def runs(self) -> list[XorRun]:
        return [self.main, *self.others]

    @property
    def other_rates(self) -> dict[float, float]:
        """Success fraction at other learning rates (numeric's generator, same seeds)."""
        return {
            run.learning_rate: run.rate.value for run in self.others if run.generator == "numeric"
        }

    def max_errors(self) -> np.ndarray:
        """Per seed of the main run, the largest |a^L - y| over the four inputs."""
        return np.abs(self.outputs - XOR_TARGETS).max(axis=1)

    def quantiles(self, only_successful: bool = False) -> np.ndarray:
        """Output quantiles ``QUANTILES`` per input, shape (len(QUANTILES), 4)."""
        outputs = self.outputs[self.success] if only_successful else self.outputs
        return np.quantile(outputs, QUANTILES, axis=0)


def xor_experiment(
    seeds: Sequence[int],
    *,
    learning_rate: float = 1.0,
    epochs: int = 1000,
    other_learning_rates: Sequence[float] = (0.2,),
    program_generator: bool = True,
) -> XorResult:
    """The document's run (2-2-1 sigmoid, cross-entropy, standard-normal initialisation,
    ``epochs`` full-batch steps on the mean cost) from every seed, with ``numeric``'s generator;
    the same under the program's own generator (``program_generator``) and at other learning rates
    (the program's default is 0.2)."""
    seeds = list(seeds)
    main = _xor_run("numeric", seeds, learning_rate, epochs)
    others = []
    if program_generator:
        others.append(_xor_run("program", seeds, learning_rate, epochs))
    others += [_xor_run("numeric", seeds, rate, epochs) for rate in other_learning_rates]
    return XorResult(main, others)


# -- cross-entropy against squared error --------------------------------------------------------


@dataclass(frozen=True)
class Task:
    """A binary classification data set and the network that learns it."""

    name: str
    description: str
    X: np.ndarray
    Y: np.ndarray
    sizes: tuple[int, ...]
    target_accuracy: float
    max_epochs: int


def convergence_tasks(fast: bool = False) -> list[Task]:
    """XOR (the document's) and a small synthetic task: a disc inside a ring of points.

    The synthetic data are fixed (seed 0) so that the seeds vary the initialisation only.
    """
    rng = np.random.default_rng(0)
    n_points = 48
    X = rng.standard_normal((n_points, 2))
    # Inside the circle of squared radius 2 ln 2 lies half of a 2-d standard normal's mass.
    Y = ((X**2).sum(axis=1) < 2 * np.log(2)).astype(float).reshape(-1, 1)
    epochs = 1000 if fast else 2000
    return [
        Task("xor", "XOR, 2-2-1, 100% accuracy", XOR_INPUTS, XOR_Y, (2, 2, 1), 1.0, epochs),
        Task(
            "disc",
            f"disc in 2-d ({n_points} points), 2-6-1, 95% accuracy",
            X,
            Y,
            (2, 6, 1),
            0.95,
            epochs,
        ),
    ]


# Learning rates tried for each cost, powers of 2. Cross-entropy's grid brackets its best rate (16
# is slower or fails). Squared error's stops at 16: from 32 up, full-batch descent on these tasks is
# at the edge of stability, and some runs' step counts change with the last bits of the arithmetic
# (another machine's BLAS or exp), which would make the figures depend on the machine; up to 16 no
# run's does (a test perturbs every pre-activation by one unit in the last place).
RATE_GRID = {
    "cross_entropy": (2.0, 4.0, 8.0, 16.0),
    "squared_error": (4.0, 8.0, 16.0),
}
# Squared error at this multiple of cross-entropy's rate makes up for a(1 - a) <= 1/4.
SCALE = 4.0
# The saturated start: the output layer's weights set to 0 and its bias to this, so that every
# output is sigma(8) = 0.99966, saturated, and on the wrong side for every sample with y = 0.
SATURATED_BIAS = 8.0
STARTS = {
    "standard": "the seed's standard-normal initialisation",
    "saturated": (
        f"the same with the output layer replaced by W^L = 0, b^L = {SATURATED_BIAS:g}: every "
        f"output is sigma({SATURATED_BIAS:g}) = {1 / (1 + np.exp(-SATURATED_BIAS)):.5f}, "
        "saturated on the wrong side for the samples with y = 0"
    ),
}
COSTS = ("cross_entropy", "squared_error")
# Significant digits of the median steps the reports show (see ``ConvergenceResult.compare``).
MEDIAN_DIGITS = 2


@dataclass
class ConvergenceResult:
    """Steps to the task's accuracy, per cost and learning rate, from one kind of start.

    Attributes
    ----------
    task : Task
    start : str
        A key of ``STARTS``.
    seeds : list of int
    learning_rates : dict of str to list of float
        The rates tried, per cost.
    steps : dict of (cost, learning_rate) to numpy.ndarray, shape (n_seeds,)
        inf where the threshold was not reached within ``task.max_epochs``.
    """

    task: Task
    start: str
    seeds: list[int]
    learning_rates: dict[str, list[float]]
    steps: dict[tuple[str, float], np.ndarray]

    def median(self, cost: str, rate: float) -> float:
        return float(np.median(self.steps[cost, rate]))  # inf when most never got there

    def best_rate(self, cost: str) -> float:
        """The rate of the grid with the fewest median steps (ties: more seeds reaching the
        threshold, then the smaller rate)."""
        return min(
            self.learning_rates[cost],
            key=lambda rate: (
                self.median(cost, rate),
                -np.isfinite(self.steps[cost, rate]).mean(),
                rate,
            ),
        )

    def comparisons(self) -> list[tuple[str, float, float]]:
        """(name, cross-entropy's rate, squared error's rate) of the comparisons: the same rate
        (cross-entropy's best), squared error at ``SCALE`` times the rate (the largest such pair
        of the grids), each at its best rate."""
        ce_best, se_best = self.best_rate("cross_entropy"), self.best_rate("squared_error")
        out = []
        if ce_best in self.learning_rates["squared_error"]:
            out.append(("same rate (cross-entropy's best)", ce_best, ce_best))
        scaled = [
            rate
            for rate in self.learning_rates["cross_entropy"]
            if SCALE * rate in self.learning_rates["squared_error"]
        ]
        if scaled:
            out.append((f"squared error at {SCALE:g}x the rate", max(scaled), SCALE * max(scaled)))
        out.append(("each at its best rate", ce_best, se_best))
        return out

    def compare(self, ce_rate: float, se_rate: float) -> dict:
        """Cross-entropy at ``ce_rate`` against squared error at ``se_rate``, seed by seed.

        The medians are rounded to ``MEDIAN_DIGITS`` significant digits: at the rates that train
        fastest, gradient descent is at the edge of stability and a copy's step count moves by a
        few steps with the last bits of the arithmetic (another machine's BLAS), which moves a
        median of 100 copies by a step or two; the counts of the rates do not move.
        """
        ce, se = self.steps["cross_entropy", ce_rate], self.steps["squared_error", se_rate]
        differ = ce != se
        return {
            "ce_rate": ce_rate,
            "se_rate": se_rate,
            "ce_median": round_significant(float(np.median(ce)), MEDIAN_DIGITS),
            "se_median": round_significant(float(np.median(se)), MEDIAN_DIGITS),
            "ce_reached": Rate.of(np.isfinite(ce)),
            "se_reached": Rate.of(np.isfinite(se)),
            "ce_first": sign_test(ce, se) if differ.any() else None,
        }

    def ce_faster(self, ce_rate: float, se_rate: float) -> bool:
        """Cross-entropy gets there in fewer median steps, and first in more than half of the
        seeds where the two differ, the whole 95% interval above 1/2."""
        found = self.compare(ce_rate, se_rate)
        first = found["ce_first"]
        return found["ce_median"] < found["se_median"] and first is not None and first.low > 0.5


def _start_params(task: Task, seeds: list[int], start: str, cost: str, copies: int):
    """Initial parameter stacks: each seed's standard-normal draw, ``copies`` times in a row (one
    per learning rate), the output layer saturated for the saturated start."""
    ensemble = Ensemble(task.sizes, "sigmoid", cost, seeds)
    params = [(np.tile(W, (copies, 1, 1)), np.tile(b, (copies, 1))) for W, b in ensemble.params]
    if start == "saturated":
        params[-1][0][...] = 0.0
        params[-1][1][...] = SATURATED_BIAS
    elif start != "standard":
        raise ValueError(f"`start` must be one of {', '.join(STARTS)}, got {start!r}")
    return params


def convergence_experiment(
    seeds: Sequence[int],
    *,
    learning_rates: dict[str, Sequence[float]] | None = None,
    starts: Sequence[str] = tuple(STARTS),
    fast: bool = False,
) -> list[ConvergenceResult]:
    """Squared error against cross-entropy, sigmoid layers, the same initialisation seed by seed,
    every rate of ``learning_rates[cost]`` (default ``RATE_GRID``), from each start of ``starts``.

    The copies of one cost (seeds x rates) train in one ensemble, each with its own rate; a copy
    stops once it reaches the task's accuracy.
    """
    seeds = list(seeds)
    grid = {cost: [float(rate) for rate in (learning_rates or RATE_GRID)[cost]] for cost in COSTS}
    results = []
    for task in convergence_tasks(fast):
        for start in starts:
            steps = {}
            for cost in COSTS:
                rates = grid[cost]
                params = _start_params(task, seeds, start, cost, len(rates))
                ensemble = Ensemble.from_params(task.sizes, "sigmoid", cost, params)
                per_copy = np.repeat(rates, len(seeds))
                reached = ensemble.train(
                    task.X,
                    task.Y,
                    learning_rate=per_copy,
                    epochs=task.max_epochs,
                    target_accuracy=task.target_accuracy,
                )
                for k, rate in enumerate(rates):
                    steps[cost, rate] = reached[k * len(seeds) : (k + 1) * len(seeds)]
            results.append(ConvergenceResult(task, start, seeds, grid, steps))
    return results


# -- the size of the deltas across depth ----------------------------------------------------------

DEPTH_INITS = {"sigmoid": "xavier", "tanh": "xavier", "relu": "he"}
# ||delta^1|| / ||delta^L|| below VANISHING: the gradient has vanished; above EXPLODING: exploded.
VANISHING = 0.1
EXPLODING = 10.0


@dataclass
class DepthResult:
    """Per-layer sizes of the deltas and of the weight gradients at initialisation.

    Attributes
    ----------
    depth, width, batch : int
    seeds : list of int
    deltas : dict of (activation, init) to numpy.ndarray, shape (n_seeds, depth)
        ||dC/dz^m||_F over the batch, m = 1..depth.
    norms : dict of (activation, init) to numpy.ndarray, shape (n_seeds, depth)
        ||dC/dW^m||_F, m = 1..depth (which also carries the size of a^(m-1)).
    """

    depth: int
    width: int
    batch: int
    seeds: list[int]
    deltas: dict[tuple[str, str], np.ndarray]
    norms: dict[tuple[str, str], np.ndarray]

    def ratios(self, activation: str, init: str) -> np.ndarray:
        """||delta^1|| / ||delta^L|| per seed."""
        deltas = self.deltas[activation, init]
        return deltas[:, 0] / deltas[:, -1]

    def weight_ratios(self, activation: str, init: str) -> np.ndarray:
        """||dC/dW^1|| / ||dC/dW^L|| per seed."""
        norms = self.norms[activation, init]
        return norms[:, 0] / norms[:, -1]

    def profile(self, activation: str, init: str) -> np.ndarray:
        """Median over seeds of ||delta^m|| / ||delta^L||, m = 1..L."""
        deltas = self.deltas[activation, init]
        return np.median(deltas / deltas[:, -1:], axis=0)

    def kept(self, activation: str, init: str) -> Rate:
        """The seeds whose ||delta^1|| / ||delta^L|| stays within [VANISHING, EXPLODING]."""
        ratios = self.ratios(activation, init)
        return Rate.of((ratios >= VANISHING) & (ratios <= EXPLODING))

    def vanished(self, activation: str, init: str) -> Rate:
        return Rate.of(self.ratios(activation, init) < VANISHING)

    def exploded(self, activation: str, init: str) -> Rate:
        return Rate.of(self.ratios(activation, init) > EXPLODING)


def depth_experiment(
    seeds: Sequence[int], *, depth: int = 10, width: int = 32, batch: int = 64
) -> DepthResult:
    """The deltas of a ``depth``-layer, ``width``-unit network at initialisation.

    Hidden layers use the activation under test; the output layer is sigmoid with cross-entropy
    on random binary targets (delta^L = (a^L - y) / batch); inputs are standard normal (seeded
    ``default_rng([seed, 2])``). Each activation runs under its usual initialisation (Xavier for
    sigmoid and tanh, He for ReLU) and under the document's standard normal one.
    """
    seeds = list(seeds)
    sizes = [width] * (depth + 1)
    inputs, targets = [], []
    for seed in seeds:
        rng = np.random.default_rng([seed, 2])
        inputs.append(rng.standard_normal((batch, width)))
        targets.append((rng.random((batch, width)) < 0.5).astype(float))
    X, Y = np.stack(inputs), np.stack(targets)
    deltas, norms = {}, {}
    for activation in ("sigmoid", "tanh", "relu"):
        layers = [activation] * (depth - 1) + ["sigmoid"]
        for init in (DEPTH_INITS[activation], "normal"):
            ensemble = Ensemble(sizes, layers, "cross_entropy", seeds, init=init)
            with np.errstate(over="ignore", under="ignore"):
                per_layer = _deltas(ensemble, X, Y)
            deltas[activation, init] = np.stack(
                [np.linalg.norm(d, axis=(1, 2)) for d in per_layer], axis=1
            )
            _, acts = _trace(ensemble, X)
            norms[activation, init] = np.stack(
                [
                    np.linalg.norm(np.swapaxes(d, 1, 2) @ a, axis=(1, 2))
                    for d, a in zip(per_layer, acts[:-1])
                ],
                axis=1,
            )
    return DepthResult(depth, width, batch, seeds, deltas, norms)


def _trace(ensemble: Ensemble, X: np.ndarray):
    return kernels.forward(ensemble.params, ensemble.activations, X)


def _deltas(ensemble: Ensemble, X: np.ndarray, Y: np.ndarray) -> list[np.ndarray]:
    """delta^1..delta^L of every copy, each (S, batch, N^m), for the mean cross-entropy with a
    sigmoid output (delta^L = (a^L - y) / batch), by the recursion of ``numeric.kernels``."""
    zs, acts = _trace(ensemble, X)
    delta = (acts[-1] - Y) / X.shape[-2]
    out = [delta]
    for m in range(len(ensemble.weights) - 1, 0, -1):
        W = ensemble.weights[m]
        delta = ensemble.activations[m - 1].backward(delta @ W, zs[m - 1], acts[m])
        out.append(delta)
    return out[::-1]


def sigmoid_slope(z: float) -> float:
    """sigma'(z) = sigma(z)(1 - sigma(z)) of the logistic sigmoid."""
    a = float(ACTIVATIONS["sigmoid"].function(np.array(z)))
    return a * (1 - a)
