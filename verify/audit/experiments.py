"""The audit's experiments: exact derivatives of one sample, the document's toy program, many seeds.

Three tools serve the checks (``verify.audit.checks``):

``Probe``
    One sample through a small network in the document's own column notation (z^m = W^m a^{m-1}
    + b^m, vectors as 1-d arrays), with every derivative the document talks about (dC/dz^m,
    dC/da^m, dz^m/dW^m, ...) computed by complex step from the forward functions alone: exact to
    rounding, and independent of any hand-written derivative.
``Ensemble`` (``verify.audit.ensemble``)
    Many independently initialised copies of one network trained side by side (one leading seed
    axis) through ``numeric.kernels``.
``run_toy_program``
    The document's toy program, extracted from its text, with chosen repairs applied, executed in
    a sandbox namespace whose ``np.random`` is a seeded ``RandomState``. ``REPAIRS`` make it run;
    ``FURTHER_REPAIRS`` make it do what its text says (no delta for the input layer, one-dimensional
    inputs and targets read by the layer sizes).

The three empirical claims are experiments over many seeds (``verify.audit.empirical``, re-exported
here): ``xor_experiment``, ``convergence_experiment`` (cross-entropy against squared error) and
``depth_experiment`` (the size of the deltas across depth).
"""

from __future__ import annotations

import contextlib
import difflib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

import numeric
from verify.audit.document import PROGRAM_LINES, document_lines
from verify.audit.empirical import (
    DEPTH_INITS,
    QUANTILES,
    ConvergenceResult,
    DepthResult,
    Task,
    XorResult,
    XorRun,
    convergence_experiment,
    convergence_tasks,
    depth_experiment,
    xor_experiment,
)
from verify.audit.ensemble import Ensemble, program_params
from verify.core.complex_step import complex_step

__all__ = [
    "ALL_REPAIRS",
    "DEPTH_INITS",
    "FURTHER_REPAIRS",
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
    "XorRun",
    "convergence_experiment",
    "convergence_tasks",
    "depth_experiment",
    "program_diff",
    "program_params",
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

# What the program needs beyond running: no delta for the input layer (the loop of line 150 stops
# at layer 2, and the lists are used whole), and a one-dimensional array read as one sample of the
# layer's size, or as a row of samples when that size is 1 (``reshape(N, -1)``).
FURTHER_REPAIRS = (
    Repair(
        "toy-input-delta",
        150,
        150,
        (
            "        for layer, layer_output in zip(reversed(self.layers[1:]), "
            "reversed(layer_outputs[1:-1])):",
        ),
    ),
    Repair(
        "toy-input-delta",
        154,
        154,
        ("        for cost_partial, layer_output in zip(cost_partials, layer_outputs[:-1]):",),
    ),
    Repair(
        "toy-input-delta",
        156,
        156,
        (
            "        b_updates = [cost_partial.mean(axis=1).reshape(-1, 1) "
            "for cost_partial in cost_partials]",
        ),
    ),
    Repair("toy-1d-inputs", 127, 127, ("            X = X.reshape(self.W.shape[1], -1)",)),
    Repair(
        "toy-1d-inputs", 142, 142, ("            X = X.reshape(self.layers[0].W.shape[1], -1)",)
    ),
    Repair(
        "toy-1d-inputs", 144, 144, ("            y = y.reshape(self.layers[-1].W.shape[0], -1)",)
    ),
    Repair(
        "toy-1d-inputs", 164, 164, ("            a = a.reshape(self.layers[0].W.shape[1], -1)",)
    ),
)
ALL_REPAIRS = REPAIRS + FURTHER_REPAIRS


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


def program_diff(repairs: Sequence[Repair] = ALL_REPAIRS, context: int = 1) -> str:
    """The repaired program as a unified diff against the document, hunks numbered by document
    line (1-based, as everywhere in the audit)."""
    lines = document_lines()
    replaced = {r.first: r for r in repairs if not r.insert}
    inserted = {r.first: r for r in repairs if r.insert}
    repaired: list[str] = []
    skip_until = 0
    for number, text in enumerate(lines, start=1):
        if number <= skip_until:
            continue
        if number in replaced:
            repaired += replaced[number].text
            skip_until = replaced[number].last
        else:
            repaired.append(text)
        if number in inserted:
            repaired += inserted[number].text
    diff = difflib.unified_diff(
        list(lines),
        repaired,
        "backpropagation-derivation.txt (as printed)",
        "backpropagation-derivation.txt (repaired)",
        n=context,
        lineterm="",
    )
    return "\n".join(line.replace("\t", "    ") for line in diff) + "\n"


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


def run_backward_fragment(
    network, X: np.ndarray, y: np.ndarray, *, reverse: bool, repairs: Sequence[Repair] = REPAIRS
) -> list:
    """Execute the program's backward pass (document lines 149-151 with ``repairs`` applied, the
    garbled line 151 always repaired, followed by ``cost_partials.reverse()`` if ``reverse``) on
    ``network`` (a program SigmoidNetwork), for X of shape (N^0, n_samples) and y of shape
    (N^L, n_samples); returns ``cost_partials``.
    """
    replaced = {r.first: r for r in (*REPAIRS, *repairs) if not r.insert}
    lines = []
    for number in (149, 150, 151):
        repair = replaced.get(number)
        lines += repair.text if repair else [document_lines()[number - 1]]
    if reverse:
        lines += next(r for r in REPAIRS if r.item == "toy-missing-reverse").text
    fragment = "\n".join(line[8:] for line in lines)  # the method body's indentation
    layer_outputs = [X]
    for layer in network.layers:
        layer_outputs.append(layer.output(layer_outputs[-1]))
    namespace = {"layer_outputs": layer_outputs, "y": y, "self": network}
    exec(compile(fragment, PROGRAM_FILENAME, "exec"), namespace)
    return namespace["cost_partials"]
