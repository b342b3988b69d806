"""The audit's experiments: exact derivatives of one sample, the document's toy program, many seeds.

Three tools serve the checks (``verify.audit.checks``):

``Probe``
    One sample through a small network in the document's own column notation (z^m = W^m a^{m-1}
    + b^m, vectors as 1-d arrays), with every derivative the document talks about (dC/dz^m,
    dC/da^m, dz^m/dW^m, ...) computed by complex step from the forward functions alone: exact to
    rounding, and independent of any hand-written derivative.
``Ensemble``
    Many independently initialised copies of one network trained side by side (one leading seed
    axis), with ``numeric``'s activations, costs and initialisation: 200 XOR runs of 1,000 steps
    take well under a second, where 200 calls of ``Network.fit`` take half a minute. It performs
    the same floating-point operations as ``numeric.Network`` (a test pins equality).
``run_toy_program``
    The document's toy program, extracted from its text, with chosen repairs applied, executed in
    a sandbox namespace whose ``np.random`` is a seeded ``RandomState``.

And the three empirical claims, each a function of the seeds: ``xor_experiment``,
``convergence_experiment`` (cross-entropy against squared error) and ``depth_experiment``
(gradient magnitude per layer across depth).
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

import numeric
from numeric import kernels
from numeric.examples import XOR_INPUTS, XOR_TARGETS
from verify.audit.document import PROGRAM_LINES, document_lines
from verify.core.complex_step import complex_step

__all__ = [
    "DEPTH_INITS",
    "QUANTILES",
    "REPAIRS",
    "ConvergenceResult",
    "DepthResult",
    "Ensemble",
    "Probe",
    "ProgramRun",
    "Repair",
    "SourceLine",
    "Task",
    "XorResult",
    "convergence_experiment",
    "convergence_tasks",
    "depth_experiment",
    "program_source",
    "run_backward_fragment",
    "run_toy_program",
    "xor_experiment",
]


class Probe:
    """One sample through a seeded network, in the document's column notation.

    Parameters
    ----------
    sizes : sequence of int
        N^0, ..., N^L.
    activation : str or sequence of str
        ``numeric`` activation names, one for all layers or one per layer (analytic ones: the
        derivatives are complex steps).
    cost : str
        A ``numeric`` cost name.
    seed : int
        Seeds the parameters (``numeric.Network``'s standard-normal initialisation), the input and
        the target.
    params : list of (W, b), optional
        Parameters to use instead of the seeded ones.
    x, y : numpy.ndarray, optional
        Input and target to use instead of the seeded ones.

    Attributes
    ----------
    seed : int
    x : numpy.ndarray, shape (N^0,)
    y : numpy.ndarray, shape (N^L,)
        Inside (0.1, 0.9) for cross-entropy, a random distribution for categorical
        cross-entropy, standard normal otherwise.
    z, a : dict of int to numpy.ndarray
        z[m] and a[m] of shape (N^m,), m = 1..L (a[0] is x).
    """

    def __init__(
        self,
        sizes,
        activation="sigmoid",
        cost: str = "cross_entropy",
        seed: int = 0,
        *,
        params=None,
        x=None,
        y=None,
    ):
        self.seed = seed
        self.network = numeric.Network(sizes, activation, cost, seed=seed)
        if params is not None:
            self.network.params = [(np.array(W, float), np.array(b, float)) for W, b in params]
        self.sizes = self.network.sizes
        self.L = len(self.sizes) - 1
        rng = np.random.default_rng([seed, 1])
        self.x = rng.standard_normal(self.sizes[0])
        n_out = self.sizes[-1]
        if cost == "cross_entropy":
            self.y = rng.uniform(0.1, 0.9, n_out)
        elif cost == "categorical_cross_entropy":
            self.y = rng.dirichlet(np.ones(n_out))
        else:
            self.y = rng.standard_normal(n_out)
        if x is not None:
            self.x = np.asarray(x, float)
        if y is not None:
            self.y = np.asarray(y, float)
        self.z, self.a = {}, {0: self.x}
        for m in range(1, self.L + 1):
            self.z[m] = self.W(m) @ self.a[m - 1] + self.b(m)
            self.a[m] = self.sigma(m, self.z[m])

    def W(self, m: int) -> np.ndarray:
        """W^m, shape (N^m, N^{m-1})."""
        return self.network.params[m - 1][0]

    def b(self, m: int) -> np.ndarray:
        """b^m, shape (N^m,)."""
        return self.network.params[m - 1][1]

    def sigma(self, m: int, z: np.ndarray) -> np.ndarray:
        """sigma^m applied to z^m (real or complex)."""
        return self.network.activations[m - 1](z)

    def cost(self, a_out: np.ndarray) -> np.ndarray:
        """C(a^L, y) for this sample (real or complex)."""
        return self.network.cost.value(a_out[None, :], self.y[None, :])[0]

    def z_from(self, m: int, a_previous: np.ndarray) -> np.ndarray:
        """z^m = W^m a^{m-1} + b^m for a given a^{m-1} (real or complex)."""
        return self.W(m) @ a_previous + self.b(m)

    def cost_of(self, params) -> np.ndarray:
        """C for other parameters, a list of (W^m, b^m)."""
        a = self.x
        for m, (W, b) in enumerate(params, start=1):
            a = self.sigma(m, W @ a + b)
        return self.cost(a)

    def cost_from_a(self, m: int, a: np.ndarray) -> np.ndarray:
        """C as a function of a^m, layers m+1..L recomputed."""
        for k in range(m + 1, self.L + 1):
            a = self.sigma(k, self.W(k) @ a + self.b(k))
        return self.cost(a)

    def cost_from_z(self, m: int, z: np.ndarray) -> np.ndarray:
        """C as a function of z^m."""
        return self.cost_from_a(m, self.sigma(m, z))

    def cost_from_params(self, m: int, W: np.ndarray, b: np.ndarray) -> np.ndarray:
        """C as a function of layer m's parameters."""
        return self.cost_from_z(m, W @ self.a[m - 1] + b)

    # Exact derivatives, by complex step through the forward functions.

    def dC_dz(self, m: int) -> np.ndarray:
        """dC/dz^m, shape (N^m,)."""
        return complex_step(lambda z: self.cost_from_z(m, z), self.z[m])

    def dC_da(self, m: int) -> np.ndarray:
        """dC/da^m, shape (N^m,)."""
        return complex_step(lambda a: self.cost_from_a(m, a), self.a[m])

    def dC_dW(self, m: int) -> np.ndarray:
        """dC/dW^m, shape (N^m, N^{m-1})."""
        return complex_step(lambda W: self.cost_from_params(m, W, self.b(m)), self.W(m))

    def dC_db(self, m: int) -> np.ndarray:
        """dC/db^m, shape (N^m,)."""
        return complex_step(lambda b: self.cost_from_params(m, self.W(m), b), self.b(m))

    def dz_dW(self, m: int) -> np.ndarray:
        """dz^m_k / dW^m_ij, shape (N^m, N^{m-1}, N^m): index [i, j, k]."""
        return complex_step(lambda W: W @ self.a[m - 1] + self.b(m), self.W(m))

    def dz_db(self, m: int) -> np.ndarray:
        """dz^m_k / db^m_i, shape (N^m, N^m): index [i, k]."""
        return complex_step(lambda b: self.W(m) @ self.a[m - 1] + b, self.b(m))

    def da_dz(self, m: int) -> np.ndarray:
        """The Jacobian da^m_i / dz^m_k, shape (N^m, N^m): index [k, i]."""
        return complex_step(lambda z: self.sigma(m, z), self.z[m])


# -- many seeds at once ---------------------------------------------------------------------


class Ensemble:
    """Copies of one architecture, one per seed, trained side by side by full-batch descent.

    Parameters
    ----------
    sizes : sequence of int
    activations : str or sequence of str
    cost : str
    seeds : sequence of int
        Copy s starts from ``numeric.Network(sizes, activations, cost, seed=seeds[s], init=init)``.
    init : str
        ``numeric`` initialisation name; ``"normal"`` is the document's.

    Notes
    -----
    Parameters are stacked along a leading seed axis: W^m of shape (S, N^m, N^{m-1}), b^m (S, N^m).
    Forward and backward are ``numeric.kernels``' on the stack, and the update is SGD's, so each
    copy follows the trajectory that ``numeric.Network.fit`` would.
    """

    def __init__(self, sizes, activations, cost: str, seeds: Sequence[int], init: str = "normal"):
        networks = [numeric.Network(sizes, activations, cost, seed=s, init=init) for s in seeds]
        first = networks[0]
        self.sizes, self.activations, self.cost = first.sizes, first.activations, first.cost
        self.weights = [np.stack([n.params[m][0] for n in networks]) for m in range(len(sizes) - 1)]
        self.biases = [np.stack([n.params[m][1] for n in networks]) for m in range(len(sizes) - 1)]

    @property
    def n_copies(self) -> int:
        return self.weights[0].shape[0]

    def outputs(self, X: np.ndarray) -> np.ndarray:
        """a^L of every copy, shape (S, n_samples, N^L), for X of shape (n_samples, N^0)."""
        return kernels.forward(self.params, self.activations, X)[1][-1]

    @property
    def params(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return list(zip(self.weights, self.biases))

    def step(self, X: np.ndarray, Y: np.ndarray, learning_rate: float) -> np.ndarray:
        """One gradient-descent step on the mean cost; returns a^L before the step, (S, n, N^L)."""
        params = self.params
        trace = kernels.forward(params, self.activations, X)
        _, grads = kernels.backprop(params, self.activations, self.cost, X, Y, trace=trace)
        for (W, b), (dW, db) in zip(params, grads):
            dW *= learning_rate
            db *= learning_rate
            W -= dW
            b -= db
        return trace[1][-1]

    def train(
        self,
        X: np.ndarray,
        Y: np.ndarray,
        *,
        learning_rate: float,
        epochs: int,
        target_accuracy: float | None = None,
    ) -> np.ndarray:
        """Train every copy for ``epochs`` steps (fewer once all reach ``target_accuracy``).

        Returns
        -------
        numpy.ndarray, shape (S,)
            The number of steps after which each copy first classified at least
            ``target_accuracy`` of the samples on the right side of 0.5 (inf if never; all inf
            when ``target_accuracy`` is None).
        """
        reached = np.full(self.n_copies, np.inf)
        labels = Y > 0.5
        with np.errstate(over="ignore", under="ignore"):
            for epoch in range(epochs + 1):
                out = self.step(X, Y, learning_rate) if epoch < epochs else self.outputs(X)
                if target_accuracy is None:
                    continue
                accuracy = ((out > 0.5) == labels).all(axis=2).mean(axis=1)
                reached[np.isinf(reached) & (accuracy >= target_accuracy)] = epoch
                if np.isfinite(reached).all():
                    break
        return reached


# -- the XOR example --------------------------------------------------------------------------

XOR_Y = XOR_TARGETS.reshape(-1, 1)
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


@dataclass
class XorResult:
    """Outcomes of the document's XOR run over many seeds.

    Attributes
    ----------
    seeds : list of int
    learning_rate : float
    epochs : int
    outputs : numpy.ndarray, shape (n_seeds, 4)
        a^L for the inputs [0, 0], [1, 0], [0, 1], [1, 1] (the document's order) after training.
    success : numpy.ndarray of bool, shape (n_seeds,)
        All four quantized outputs equal the XOR targets.
    other_rates : dict of float to float
        Success fraction at other learning rates (same seeds and epochs).
    """

    seeds: list[int]
    learning_rate: float
    epochs: int
    outputs: np.ndarray
    success: np.ndarray
    other_rates: dict[float, float] = field(default_factory=dict)

    @property
    def success_rate(self) -> float:
        return float(self.success.mean())

    def max_errors(self) -> np.ndarray:
        """Per seed, the largest |a^L - y| over the four inputs."""
        return np.abs(self.outputs - XOR_TARGETS).max(axis=1)

    def quantiles(self, only_successful: bool = False) -> np.ndarray:
        """Output quantiles ``QUANTILES`` per input, shape (len(QUANTILES), 4)."""
        outputs = self.outputs[self.success] if only_successful else self.outputs
        return np.quantile(outputs, QUANTILES, axis=0)


def _xor_outcome(seeds, learning_rate: float, epochs: int) -> tuple[np.ndarray, np.ndarray]:
    ensemble = Ensemble([2, 2, 1], "sigmoid", "cross_entropy", seeds)
    ensemble.train(XOR_INPUTS, XOR_Y, learning_rate=learning_rate, epochs=epochs)
    outputs = ensemble.outputs(XOR_INPUTS)[:, :, 0]
    success = ((outputs > 0.5) == (XOR_TARGETS > 0.5)).all(axis=1)
    return outputs, success


def xor_experiment(
    seeds: Sequence[int],
    *,
    learning_rate: float = 1.0,
    epochs: int = 1000,
    other_learning_rates: Sequence[float] = (0.2,),
) -> XorResult:
    """The document's run (2-2-1 sigmoid, cross-entropy, standard-normal initialisation,
    ``epochs`` full-batch steps) from every seed; also the success rate at other learning rates
    (the program's default is 0.2)."""
    seeds = list(seeds)
    outputs, success = _xor_outcome(seeds, learning_rate, epochs)
    others = {
        float(rate): float(_xor_outcome(seeds, rate, epochs)[1].mean())
        for rate in other_learning_rates
    }
    return XorResult(seeds, learning_rate, epochs, outputs, success, others)


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
    return [
        Task("xor", "XOR, 2-2-1, 100% accuracy", XOR_INPUTS, XOR_Y, (2, 2, 1), 1.0, 2000),
        Task(
            "disc",
            f"disc in 2-d ({n_points} points), 2-6-1, 95% accuracy",
            X,
            Y,
            (2, 6, 1),
            0.95,
            1000 if fast else 2000,
        ),
    ]


@dataclass
class ConvergenceResult:
    """Steps to reach the task's accuracy, per cost, learning rate and seed.

    Attributes
    ----------
    task : Task
    learning_rates : list of float
    steps : dict of (cost, learning_rate) to numpy.ndarray, shape (n_seeds,)
        inf where the threshold was not reached within ``task.max_epochs``.
    """

    task: Task
    learning_rates: list[float]
    steps: dict[tuple[str, float], np.ndarray]

    def rows(self) -> list[dict]:
        """One row per learning rate: medians, reach fractions and the paired comparison."""
        out = []
        for rate in self.learning_rates:
            ce, se = self.steps["cross_entropy", rate], self.steps["squared_error", rate]
            out.append(
                {
                    "task": self.task.name,
                    "learning rate": rate,
                    "CE median steps": _median(ce),
                    "SE median steps": _median(se),
                    "CE reached": float(np.isfinite(ce).mean()),
                    "SE reached": float(np.isfinite(se).mean()),
                    "CE first": float((ce < se).mean()),
                    "SE first": float((se < ce).mean()),
                }
            )
        return out


def _median(values: np.ndarray) -> float:
    return float(np.median(values))  # inf when more than half never reached the threshold


def convergence_experiment(
    seeds: Sequence[int], *, learning_rates=(0.5, 2.0, 8.0), fast: bool = False
) -> list[ConvergenceResult]:
    """Squared error against cross-entropy, sigmoid outputs, same initialisations and step sizes."""
    seeds = list(seeds)
    results = []
    for task in convergence_tasks(fast):
        steps = {}
        for cost in ("cross_entropy", "squared_error"):
            for rate in learning_rates:
                ensemble = Ensemble(task.sizes, "sigmoid", cost, seeds)
                steps[cost, float(rate)] = ensemble.train(
                    task.X,
                    task.Y,
                    learning_rate=rate,
                    epochs=task.max_epochs,
                    target_accuracy=task.target_accuracy,
                )
        results.append(ConvergenceResult(task, [float(r) for r in learning_rates], steps))
    return results


# -- gradient magnitude across depth --------------------------------------------------------------

DEPTH_INITS = {"sigmoid": "xavier", "tanh": "xavier", "relu": "he"}


@dataclass
class DepthResult:
    """Per-layer gradient norms at initialisation, per activation, initialisation and seed.

    Attributes
    ----------
    depth, width, batch : int
    norms : dict of (activation, init) to numpy.ndarray, shape (n_seeds, depth)
        ||dC/dW^m||_F for m = 1..depth.
    """

    depth: int
    width: int
    batch: int
    norms: dict[tuple[str, str], np.ndarray]

    def ratios(self, activation: str, init: str) -> np.ndarray:
        """||dC/dW^1|| / ||dC/dW^L|| per seed."""
        norms = self.norms[activation, init]
        return norms[:, 0] / norms[:, -1]

    def profile(self, activation: str, init: str) -> np.ndarray:
        """Median over seeds of ||dC/dW^m|| / ||dC/dW^L||, m = 1..L."""
        norms = self.norms[activation, init]
        return np.median(norms / norms[:, -1:], axis=0)


def depth_experiment(
    seeds: Sequence[int], *, depth: int = 10, width: int = 32, batch: int = 64
) -> DepthResult:
    """Gradient norms of a ``depth``-layer, ``width``-unit network at initialisation.

    Hidden layers use the activation under test; the output layer is sigmoid with cross-entropy
    on random binary targets; inputs are standard normal. Each activation runs under its usual
    initialisation (Xavier for sigmoid and tanh, He for ReLU) and under the document's standard
    normal one.
    """
    norms = {}
    for activation in ("sigmoid", "tanh", "relu"):
        for init in (DEPTH_INITS[activation], "normal"):
            rows = []
            for seed in seeds:
                network = numeric.Network(
                    [width] * (depth + 1),
                    [activation] * (depth - 1) + ["sigmoid"],
                    "cross_entropy",
                    seed=seed,
                    init=init,
                )
                rng = np.random.default_rng([seed, 2])
                X = rng.standard_normal((batch, width))
                y = (rng.random((batch, width)) < 0.5).astype(float)
                with np.errstate(over="ignore", under="ignore"):
                    gradients = network.gradients(X, y)
                rows.append([np.linalg.norm(dW) for dW, _ in gradients])
            norms[activation, init] = np.array(rows)
    return DepthResult(depth, width, batch, norms)


# -- the toy program ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Repair:
    """A change to the document's program: lines replaced, or lines inserted after a line.

    Attributes
    ----------
    item : str
        The audit item the repair belongs to.
    first, last : int
        Document lines replaced (inclusive); for an insertion, ``first = last`` is the line after
        which ``text`` goes and ``insert`` is True.
    text : tuple of str
        The new lines.
    insert : bool
    """

    item: str
    first: int
    last: int
    text: tuple[str, ...]
    insert: bool = False


# The reconstruction of the lines the document's program lost or garbled. Each is justified in
# the audit by the failure the program shows without it.
REPAIRS = (
    Repair(
        "toy-docstring",
        133,
        134,
        (
            "        '''",
            "            - layer_sizes : list of int",
            "                List of layer sizes of length L+1 "
            "(including the input dimensionality)",
            "        '''",
        ),
    ),
    Repair("toy-layer-output", 128, 128, ("        return sigmoid(self.W.dot(X) + self.b)",)),
    Repair(
        "toy-forward-loop",
        147,
        147,
        ("            layer_outputs.append(layer.output(layer_outputs[-1]))",),
        insert=True,
    ),
    Repair(
        "toy-backward-line",
        151,
        151,
        (
            "            cost_partials.append("
            "layer.W.T.dot(cost_partials[-1])*layer_output*(1 - layer_output))",
        ),
    ),
    Repair("toy-missing-reverse", 151, 151, ("        cost_partials.reverse()",), insert=True),
    Repair(
        "toy-weight-update-loop",
        154,
        154,
        ("            W_updates.append(cost_partial.dot(layer_output.T)/X.shape[1])",),
        insert=True,
    ),
)


@dataclass(frozen=True)
class SourceLine:
    """Where a line of the assembled program comes from: a document line, as printed, repaired
    (replaced) or inserted after it."""

    line: int
    how: str = "as printed"

    def __str__(self) -> str:
        if self.how == "inserted":
            return f"the line inserted after document line {self.line}"
        if self.how == "repaired":
            return f"repaired document line {self.line}"
        return f"document line {self.line}"


def program_source(repairs: Sequence[Repair] = ()) -> tuple[str, list[SourceLine]]:
    """The toy program's text with ``repairs`` applied, and where each of its lines comes from.

    Returns
    -------
    source : str
    origin : list of SourceLine
        ``origin[k]`` describes line k + 1 of ``source``.
    """
    lines = document_lines()
    replaced = {r.first: r for r in repairs if not r.insert}
    inserted = {r.first: r for r in repairs if r.insert}
    out: list[str] = []
    origin: list[SourceLine] = []
    skip_until = 0
    for number in PROGRAM_LINES:
        if number <= skip_until:
            continue
        repair = replaced.get(number)
        if repair is not None:
            out += repair.text
            origin += [SourceLine(number, "repaired")] * len(repair.text)
            skip_until = repair.last
        else:
            out.append(lines[number - 1])
            origin.append(SourceLine(number))
        if number in inserted:
            out += inserted[number].text
            origin += [SourceLine(number, "inserted")] * len(inserted[number].text)
    return "\n".join(out) + "\n", origin


PROGRAM_FILENAME = "<document program>"


class _SeededNumPy:
    """Stands in for the program's ``np``: NumPy, with ``np.random`` a seeded RandomState."""

    def __init__(self, seed: int):
        self.random = np.random.RandomState(seed)

    def __getattr__(self, name):
        return getattr(np, name)


@dataclass
class ProgramRun:
    """What executing (a version of) the toy program did.

    Attributes
    ----------
    stage : {"compile", "run", "done"}
        Where it stopped: a syntax error, an exception while running, or completion.
    error : str
        ``"<type> at <where>: message"``, line numbers in the message mapped to the document;
        empty when it completed.
    error_line : SourceLine or None
        Where the error occurred.
    printed : str
        What the program printed.
    namespace : dict
        The program's globals after running (its classes, ``nn``, ``X``, ``y``).
    initial_params : list of (W, b) or None
        Copies of the parameters right after ``SigmoidNetwork(...)`` was constructed, as the
        program holds them: W of shape (N^m, N^{m-1}), b a column (N^m, 1).
    """

    stage: str
    error: str = ""
    error_line: SourceLine | None = None
    printed: str = ""
    namespace: dict = field(default_factory=dict)
    initial_params: list | None = None


def run_toy_program(repairs: Sequence[Repair] = REPAIRS, *, seed: int = 0) -> ProgramRun:
    """Compile and run the document's program (lines 114-176) with ``repairs`` applied.

    The program's own ``np.random.randn`` draws from ``RandomState(seed)``; what it prints is
    captured. The run (1,000 steps at learning rate 1 on XOR, as in the document) takes about
    0.1 s.
    """
    source, origin = program_source(repairs)
    try:
        compile(source, PROGRAM_FILENAME, "exec")
    except SyntaxError as err:
        where = origin[err.lineno - 1] if err.lineno and err.lineno <= len(origin) else None
        return ProgramRun("compile", _error_text(err, err.msg, where, origin), where)
    # Run the definitions (everything before ``nn = ...``), then swap in the seeded NumPy, record
    # the parameters the network is built with, and run the rest. Blank lines keep line numbers.
    split = source.index("nn = SigmoidNetwork")
    head = compile(source[:split], PROGRAM_FILENAME, "exec")
    tail = compile("\n" * source[:split].count("\n") + source[split:], PROGRAM_FILENAME, "exec")
    namespace: dict = {"__name__": "document_program"}
    captured = io.StringIO()
    initial: list = []
    try:
        with contextlib.redirect_stdout(captured), np.errstate(over="ignore"):
            exec(head, namespace)
            namespace["np"] = _SeededNumPy(seed)
            network_class = namespace["SigmoidNetwork"]
            built = network_class.__init__

            def recording_init(self, *args, **kwargs):
                built(self, *args, **kwargs)
                if not initial:  # the program's own network, not ones built later from it
                    initial.extend((layer.W.copy(), layer.b.copy()) for layer in self.layers)

            network_class.__init__ = recording_init
            exec(tail, namespace)
    except Exception as err:  # any failure of the document's code is a finding
        where = _traceback_line(err, origin)
        return ProgramRun(
            "run",
            _error_text(err, str(err), where, origin),
            where,
            captured.getvalue(),
            namespace,
            initial or None,
        )
    return ProgramRun("done", "", None, captured.getvalue(), namespace, initial or None)


def _traceback_line(err: BaseException, origin: list[SourceLine]) -> SourceLine | None:
    """Where in the program the innermost frame of ``err`` was."""
    where = None
    tb = err.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == PROGRAM_FILENAME and tb.tb_lineno <= len(origin):
            where = origin[tb.tb_lineno - 1]
        tb = tb.tb_next
    return where


def _error_text(err: BaseException, message: str, where, origin: list[SourceLine]) -> str:
    """``"<type> at <where>: <message>"`` with the message's "line N" mapped to the document."""

    def document_line(match: re.Match) -> str:
        number = int(match.group(1))
        return f"on {origin[number - 1]}" if number <= len(origin) else match.group(0)

    message = re.sub(r"on line (\d+)", document_line, message)
    return f"{type(err).__name__} at {where or 'an unknown line'}: {message}"


def run_backward_fragment(network, X: np.ndarray, y: np.ndarray, *, reverse: bool) -> list:
    """Execute the program's backward pass (document lines 149-151, line 151 repaired, followed
    by ``cost_partials.reverse()`` if ``reverse``) on ``network`` (a program SigmoidNetwork),
    for X of shape (N^0, n_samples) and y of shape (1, n_samples); returns ``cost_partials``.
    """
    repaired = {r.item: r for r in REPAIRS}
    lines = [
        document_lines()[149 - 1],
        document_lines()[150 - 1],
        *repaired["toy-backward-line"].text,
    ]
    if reverse:
        lines += repaired["toy-missing-reverse"].text
    fragment = "\n".join(line[8:] for line in lines)  # the method body's indentation
    layer_outputs = [X]
    for layer in network.layers:
        layer_outputs.append(layer.output(layer_outputs[-1]))
    namespace = {"layer_outputs": layer_outputs, "y": y, "self": network}
    exec(compile(fragment, PROGRAM_FILENAME, "exec"), namespace)
    return namespace["cost_partials"]
