"""The audit of the reference document: each item of ``verify.audit.document`` checked.

Each item has one check here. A check transcribes the document's statement (a NumPy or SymPy
expression, index ranges and products as written: the transcription is the claim), evaluates it
against the truth, and derives the verdict from what it computed:

- the truth comes from differentiation (``derive``, SymPy), from complex-step derivatives of the
  forward functions alone (``verify.audit.experiments.Probe``: exact to rounding, trusting no
  hand-written derivative), or, for empirical claims, from experiments over many seeds;
- a statement that must hold in every situation is evaluated in several **cases** (networks whose
  layer sizes differ, random points, each side of a kink): it *holds* when every case agrees, is
  *wrong* when a case disagrees, and *holds only under a convention* when the only disagreements
  are cases marked as a convention (a choice on which correct implementations differ);
- a statement whose notation admits several **readings** (an undefined symbol, an index free on
  one side only, an unspecified product or precedence) or a hedged empirical claim tested under
  several conditions is evaluated under each: it *holds* when all readings agree, is *imprecise*
  when some do and some do not, and *wrong* when none does.

No verdict is typed in: the functions ``verdict_for_cases`` and ``verdict_for_readings`` compute it
from the outcomes.

``run_audit`` runs every check and returns an ``Audit``; ``Audit.to_markdown`` is
``reports/errata.md``, ``write_audit`` writes it and the other formats.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import json
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import sympy as sp
from tabulate import tabulate

import derive
import numeric
from derive.algebra import is_zero, relation
from derive.catalogue import ACTIVATIONS as SYMBOLIC_ACTIVATIONS
from derive.catalogue import SymbolicActivation
from derive.network import derive_network
from numeric import kernels
from numeric.activations import sigmoid as logistic
from numeric.examples import XOR_INPUTS, XOR_TARGETS
from numeric.files import atomic_write
from verify.audit.document import (
    DOCUMENT_SHA256,
    ITEMS,
    Item,
    align_separators,
    displayed_rows,
    document_lines,
)
from verify.audit.experiments import (
    DEPTH_INITS,
    QUANTILES,
    REPAIRS,
    Probe,
    convergence_experiment,
    depth_experiment,
    program_source,
    run_backward_fragment,
    run_toy_program,
    xor_experiment,
)
from verify.core.compare import compare_gradients
from verify.core.complex_step import complex_step

__all__ = [
    "CONVENTION",
    "FORMATS",
    "HOLDS",
    "IMPRECISE",
    "VERDICTS",
    "WRONG",
    "Audit",
    "AuditedItem",
    "Case",
    "Check",
    "run_audit",
    "verdict_for_cases",
    "verdict_for_readings",
    "write_audit",
]

HOLDS = "holds"
CONVENTION = "holds only under a convention"
IMPRECISE = "imprecise"
WRONG = "wrong"
VERDICTS = (HOLDS, CONVENTION, IMPRECISE, WRONG)

# Two exact evaluations of the same quantity (a formula in float64 against a complex-step
# derivative, itself exact to rounding) differ by a few hundred roundings in these small
# networks, about 1e-13 relative; every error a formula can have (a sign, a factor, a missing
# term) is of order one. 1e-9 separates the two with margins of 10^4 on one side and 10^8 on the
# other.
EXACT_RTOL = 1e-9
# Relative errors below this are shown as agreement to rounding, so the report does not change
# with the BLAS or the machine.
ROUNDING = 1e-12
# Empirical thresholds: a gradient ratio below VANISHING (first layer / last layer) has vanished;
# a run outcome reached from at least RELIABLE of the seeds is what a reader can expect.
VANISHING = 0.1
RELIABLE = 0.95

# Networks the formula checks evaluate on: layer sizes that all differ (so that a wrong index range
# shows), one with equal sizes (where such an error hides), two activation/cost pairs.
PROBE_CONFIGS = (
    ((3, 5, 4, 2), "sigmoid", "cross_entropy"),
    ((2, 4, 3, 3), "tanh", "squared_error"),
)
EQUAL_SIZES = (3, 3, 3, 3)


# -- verdicts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One evaluation of a statement: a situation or reading, and whether it agrees with the truth.

    Attributes
    ----------
    label : str
        The situation (network, point, reading, condition).
    agrees : bool
    detail : str
        The figures behind ``agrees``.
    convention : bool
        Whether a disagreement here is a choice between conventions rather than an error.
    error : float or None
        The largest relative error, where the case compares values.
    """

    label: str
    agrees: bool
    detail: str = ""
    convention: bool = False
    error: float | None = None

    def to_dict(self) -> dict:
        """JSON-ready; a relative error at rounding level is reported as such, not as its digits
        (which vary with the BLAS), larger ones to 3 significant digits."""
        out = dataclasses.asdict(self)
        out["within_rounding"] = self.error is not None and self.error <= ROUNDING
        out["error"] = (
            None if self.error is None or self.error <= ROUNDING else float(f"{self.error:.3g}")
        )
        return out


def verdict_for_cases(cases: Sequence[Case]) -> str:
    """The verdict on a statement that must hold in every case.

    Examples
    --------
    >>> verdict_for_cases([Case("z > 0", True), Case("z = 0", False, convention=True)])
    'holds only under a convention'
    """
    if not cases:
        raise ValueError("cases must hold at least one Case, got none")
    failing = [case for case in cases if not case.agrees]
    if not failing:
        return HOLDS
    if all(case.convention for case in failing):
        return CONVENTION
    return WRONG


def verdict_for_readings(readings: Sequence[Case]) -> str:
    """The verdict on a statement with several readings (or a hedged claim under several
    conditions): holds if every reading agrees, imprecise if some do, wrong if none does.

    Examples
    --------
    >>> verdict_for_readings([Case("literal", False), Case("intended", True)])
    'imprecise'
    """
    if not readings:
        raise ValueError("readings must hold at least one Case, got none")
    agreeing = sum(reading.agrees for reading in readings)
    if agreeing == len(readings):
        return HOLDS
    return IMPRECISE if agreeing else WRONG


@dataclass
class Check:
    """What one check computed.

    Attributes
    ----------
    verdict : str
        One of ``VERDICTS``, computed by ``verdict_for_cases`` or ``verdict_for_readings``.
    method : str
        How the truth was obtained ("symbolic", "complex step", "experiment", "program", ...).
    cases : list of Case
        Every evaluation, with its figures.
    by : {"cases", "readings"}
        Which rule turned the cases into the verdict.
    evidence : list of str
        Further findings (Markdown).
    tables : list of (str, list of dict)
        Titled tables of figures (experiments).
    figures : dict
        The main numbers, JSON-ready.
    correction_holds : bool or None
        Whether the corrected statement, evaluated the same way, agrees (None where it is prose).
    """

    verdict: str
    method: str
    cases: list[Case]
    by: str
    evidence: list[str] = field(default_factory=list)
    tables: list[tuple[str, list[dict]]] = field(default_factory=list)
    figures: dict = field(default_factory=dict)
    correction_holds: bool | None = None


def by_cases(cases, method: str, **details) -> Check:
    """A Check whose verdict is ``verdict_for_cases(cases)``."""
    return Check(verdict_for_cases(cases), method, list(cases), "cases", **details)


def by_readings(readings, method: str, **details) -> Check:
    """A Check whose verdict is ``verdict_for_readings(readings)``."""
    return Check(verdict_for_readings(readings), method, list(readings), "readings", **details)


# -- comparisons ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """A stated value against the truth: agreement, the worst relative error, what it is."""

    agrees: bool
    error: float | None
    kind: str
    detail: str
    factor: float | None = None

    def text(self) -> str:
        if self.agrees:
            return f"max relative error {fmt_error(self.error)}"
        return self.detail or self.kind


def compare(stated, truth, rtol: float = EXACT_RTOL, named_factors=None) -> Comparison:
    """Compare arrays with ``verify.core.compare``, which also names a sign, a factor or a shape."""
    finding = compare_gradients(
        [np.asarray(stated, float)],
        [np.asarray(truth, float)],
        rtol=rtol,
        named_factors=named_factors,
    )[0]
    detail = {
        "sign": "negated",
        "shape": finding.detail,
    }.get(finding.kind, finding.detail)
    return Comparison(finding.passed, finding.max_rel_error, finding.kind, detail, finding.factor)


def fmt_error(error: float | None) -> str:
    """A relative error for the report: agreement to rounding is shown as a bound."""
    if error is None:
        return "n/a"
    return f"<= {ROUNDING:.0e}" if error <= ROUNDING else f"{error:.2g}"


def fmt(value: float) -> str:
    return f"{value:.4g}"


def compared_case(label: str, stated, truth, **options) -> Case:
    """A Case from ``compare(stated, truth)``."""
    result = compare(stated, truth)
    return Case(label, result.agrees, result.text(), error=result.error, **options)


def evaluated_case(label: str, truth, function: Callable, *args) -> Case:
    """A Case from ``function(*args)``, a literal transcription that may fail (an index out of
    range, a product of incompatible shapes): the failure is the finding."""
    try:
        stated = function(*args)
    except (IndexError, ValueError) as err:
        return Case(label, False, f"cannot be evaluated: {type(err).__name__}: {err}")
    return compared_case(label, stated, truth)


def strict_hadamard(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The elementwise product of two arrays of equal shape (no broadcasting: a Hadamard
    product of different shapes is undefined)."""
    if x.shape != y.shape:
        raise ValueError(f"Hadamard product of shapes {x.shape} and {y.shape} is undefined")
    return x * y


def matmul(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The matrix product of 2-d arrays, with a short error when the shapes do not fit."""
    if x.shape[1] != y.shape[0]:
        raise ValueError(f"matrix product of shapes {x.shape} and {y.shape} is undefined")
    return x @ y


def column(vector: np.ndarray) -> np.ndarray:
    """A 1-d array as a column vector, shape (n, 1)."""
    return np.asarray(vector).reshape(-1, 1)


def row(vector: np.ndarray) -> np.ndarray:
    """A 1-d array as a row vector, shape (1, n)."""
    return np.asarray(vector).reshape(1, -1)


def at(array: np.ndarray, index: int):
    """``array[index - 1]`` for a 1-based index, raising IndexError outside 1..len."""
    if not 1 <= index <= len(array):
        raise IndexError(f"index {index} outside 1..{len(array)}")
    return array[index - 1]


def entry(matrix: np.ndarray, i: int, j: int):
    """``matrix[i - 1, j - 1]`` for 1-based indices, raising IndexError outside the shape."""
    rows, columns = matrix.shape
    if not (1 <= i <= rows and 1 <= j <= columns):
        raise IndexError(f"entry ({i}, {j}) outside a {rows}x{columns} matrix")
    return matrix[i - 1, j - 1]


def probe_label(probe: Probe) -> str:
    """``"sizes (3, 5, 4, 2), sigmoid/cross_entropy, seed 0"``."""
    names = "+".join(dict.fromkeys(act.name for act in probe.network.activations))
    return f"sizes {tuple(probe.sizes)}, {names}/{probe.network.cost.name}, seed {probe.seed}"


# -- shared computations --------------------------------------------------------------------------


class Context:
    """Everything the checks share, computed once on first use.

    Parameters
    ----------
    seeds : sequence of int
        Seeds of the empirical experiments (the XOR runs use all of them; the convergence and
        depth experiments the first ``convergence_seeds`` and ``depth_seeds``).
    fast : bool
        Fewer seeds and shorter runs elsewhere too (for tests).
    """

    def __init__(self, seeds: Sequence[int], fast: bool):
        self.seeds = list(seeds)
        self.fast = fast
        self.convergence_seeds = self.seeds[: 12 if fast else 50]
        self.depth_seeds = self.seeds[: 5 if fast else 20]
        self.probe_seeds = self.seeds[:1] if fast else self.seeds[:2]

    @cached_property
    def probes(self) -> list[Probe]:
        """Networks with analytic activations, one sample each (see ``PROBE_CONFIGS``)."""
        return [
            Probe(sizes, activation, cost, seed=seed)
            for sizes, activation, cost in PROBE_CONFIGS
            for seed in self.probe_seeds
        ]

    @cached_property
    def equal_probe(self) -> Probe:
        """A network whose layers all have the same size."""
        return Probe(EQUAL_SIZES, "sigmoid", "cross_entropy", seed=self.seeds[0])

    @cached_property
    def example_probe(self) -> Probe:
        """The example's network: sigmoid layers with cross-entropy, L = 3, sizes all different."""
        return self.probes[0]

    @cached_property
    def tables(self) -> dict[str, TableRow]:
        return symbolic_table_rows()

    @cached_property
    def program(self):
        """The toy program with every repair, run as the document runs it."""
        return run_toy_program(REPAIRS, seed=self.seeds[0])

    @cached_property
    def ablations(self) -> dict:
        """Per repair: the program run with every repair but that one."""
        return {
            repair.item: run_toy_program(
                [r for r in REPAIRS if r is not repair], seed=self.seeds[0]
            )
            for repair in REPAIRS
        }

    @cached_property
    def literal_program(self):
        """The toy program exactly as printed."""
        return run_toy_program((), seed=self.seeds[0])

    @cached_property
    def xor(self):
        return xor_experiment(self.seeds)

    @cached_property
    def convergence(self):
        return convergence_experiment(self.convergence_seeds, fast=self.fast)

    @cached_property
    def depth(self):
        return depth_experiment(self.depth_seeds)

    def hidden_layers(self, probe: Probe) -> range:
        return range(1, probe.L)

    def points(self, n: int = 7, scale: float = 3.0) -> np.ndarray:
        """Seeded random points for scalar identities, away from 0 (ReLU's kink)."""
        rng = np.random.default_rng([self.seeds[0], 3])
        values = rng.uniform(-scale, scale, n)
        return np.where(np.abs(values) < 0.1, 0.5, values)


CHECKS: dict[str, Callable[[Context], Check]] = {}


def check(item_id: str):
    """Register the decorated function as the check of item ``item_id``."""

    def register(function):
        if item_id in CHECKS:
            raise ValueError(f"item_id must be registered once, got {item_id!r} twice")
        CHECKS[item_id] = function
        return function

    return register


# -- symbolic: the two tables as written --------------------------------------------------------

Z = sp.Symbol("z", real=True)
A = sp.Symbol("a", real=True)
Y = sp.Symbol("y", real=True)


@dataclass(frozen=True)
class TableRow:
    """One table row as written, transcribed to SymPy, with what differentiation says.

    Attributes
    ----------
    name : str
    variable : sympy.Symbol
        z for nonlinearities, a (one output unit) for costs.
    function : sympy.Expr
        The row's function as written.
    stated : sympy.Expr
        The row's derivative as written, in terms of ``variable``.
    derived : sympy.Expr
        ``sympy.diff(function, variable)``.
    relation : str
        ``derive``'s relation of ``stated`` to ``derived``: "equal", "negated", "scaled by c",
        "differs", or a case split for non-smooth functions.
    """

    name: str
    variable: sp.Symbol
    function: sp.Expr
    stated: sp.Expr
    derived: sp.Expr
    relation: str


def symbolic_table_rows() -> dict[str, TableRow]:
    """The document's two tables as written, each derivative checked by differentiation.

    The transcriptions and the verdicts are ``derive.check_document_tables()``'s; this keys them
    by chainrule's names, with the derivatives in terms of z (nonlinearities) or a (costs).
    """
    out = {}
    for check in derive.check_document_tables():
        if check.table == "example":
            continue
        variable = check.variable
        stated, derived = check.stated_derivative, check.derived_derivative
        if check.table == "nonlinearities":  # in terms of z, where the output form was stated
            stated = stated.subs(A, check.stated_function)
            derived = derived.subs(A, check.stated_function)
        out[check.catalogue_name] = TableRow(
            check.catalogue_name, variable, check.stated_function, stated, derived, check.relation
        )
    return out


def one_sided_derivatives(function: sp.Expr, variable: sp.Symbol, point=0) -> tuple:
    """(left, right) derivatives of ``function`` at ``point``, by SymPy limits."""
    h = sp.Symbol("h", positive=True)
    at_point = function.subs(variable, point)
    left = sp.limit((at_point - function.subs(variable, point - h)) / h, h, 0)
    right = sp.limit((function.subs(variable, point + h) - at_point) / h, h, 0)
    return left, right


# -- numeric transcriptions of the tables (the claims, as NumPy) -------------------------------

TABLE_FUNCTIONS = {
    "sigmoid": lambda z: 1 / (1 + np.exp(z)),
    "tanh": lambda z: (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z)),
}
TABLE_DERIVATIVES_IN_OUTPUT = {
    "sigmoid": lambda a: a * (1 - a),
    "tanh": lambda a: 1 - a**2,
}


def table_derivative_case(name: str, points: np.ndarray) -> Case:
    """The stated derivative (in terms of the output a) against the complex-step derivative of
    the function as written, at ``points``."""
    function = TABLE_FUNCTIONS[name]
    truth = np.array([complex_step(function, z) for z in points])
    stated = TABLE_DERIVATIVES_IN_OUTPUT[name](function(points))
    return compared_case(f"complex step at {len(points)} random points", stated, truth)


# == checks: the chain rule ======================================================================


@check("chain-rule-scalar")
def _chain_rule_scalar(ctx: Context) -> Check:
    def outer(z):  # C(z) = log(1 + e^z)
        return np.log1p(np.exp(z))

    def inner(w):  # z(w) = tanh(w) + w^2 / 2
        return np.tanh(w) + 0.5 * w**2

    cases = []
    for w in ctx.points(5):
        direct = complex_step(lambda v: outer(inner(v)), w)
        product = complex_step(outer, inner(w)) * complex_step(inner, w)
        cases.append(compared_case(f"w = {w:.3f}", product, direct))
    return by_cases(
        cases,
        "complex step",
        evidence=[r"$C(z) = \log(1 + e^z)$, $z(w) = \tanh w + w^2/2$; both sides by complex step."],
    )


@check("chain-rule-sum")
def _chain_rule_sum(ctx: Context) -> Check:
    c, d = np.array([1.0, -2.0, 0.5]), np.array([0.3, 0.1, -0.7])
    n = len(c)

    def outer(z):  # not additive: log-sum-exp plus a product of all three
        return np.log(np.exp(z).sum()) + z[0] * z[1] * z[2]

    def inner(w):
        return np.sin(c * w) + d * w**2

    def composed(w):
        return outer(inner(w))

    cases = []
    for w in ctx.points(5):
        dC_dz, dz_dw = complex_step(outer, inner(w)), complex_step(inner, w)
        total = sum(at(dC_dz, i) * at(dz_dw, i) for i in range(1, n + 1))
        cases.append(compared_case(f"w = {w:.3f}", total, complex_step(composed, w)))
    return by_cases(
        cases,
        "complex step",
        evidence=[
            r"$C(z) = \log\sum_i e^{z_i} + z_1 z_2 z_3$ (not additive), $z_i(w) = \sin(c_i w) + "
            r"d_i w^2$, $N = 3$: the sum of the products of partial derivatives equals "
            r"$\partial C / \partial w$ for any $C$, not only additive ones."
        ],
    )


# == checks: notation ============================================================================


@check("notation-shapes")
def _notation_shapes(ctx: Context) -> Check:
    cases = []
    for probe in ctx.probes:
        shapes_ok = all(
            probe.W(m).shape == (probe.sizes[m], probe.sizes[m - 1])
            and probe.z[m].shape == probe.b(m).shape == (probe.sizes[m],)
            for m in range(1, probe.L + 1)
        )
        cost = probe.cost(probe.a[probe.L])
        cases.append(
            Case(
                f"{probe_label(probe)}: shapes",
                shapes_ok and np.ndim(cost) == 0 and probe.y.shape == (probe.sizes[-1],),
                "W^m (N^m, N^(m-1)) times a^(m-1) plus b^m gives z^m of length N^m for "
                f"m = 1..{probe.L}; "
                f"C(a^L, y) is a scalar ({fmt(float(cost))})",
            )
        )
        zs, _ = probe.network.trace(probe.x[None, :])
        batch_first = np.concatenate([z[0] for z in zs])
        cases.append(
            compared_case(
                f"{probe_label(probe)}: batch-first rows (a W^T + b, numeric) against columns",
                batch_first,
                np.concatenate([probe.z[m] for m in range(1, probe.L + 1)]),
            )
        )
    return by_cases(cases, "numeric (shapes)")


@check("notation-weight-index")
def _notation_weight_index(ctx: Context) -> Check:
    cases = []
    for probe in ctx.probes:
        for m in range(1, probe.L + 1):
            jacobian = complex_step(functools.partial(probe.z_from, m), probe.a[m - 1])
            # jacobian[j, i] = dz_i / da_j; the claim is that it is W_ij.
            cases.append(compared_case(f"{probe_label(probe)}, m = {m}", jacobian.T, probe.W(m)))
    return by_cases(cases, "complex step")


@check("notation-elementwise")
def _notation_elementwise(ctx: Context) -> Check:
    rng = np.random.default_rng([ctx.seeds[0], 4])
    z = rng.uniform(-3, 3, 5)
    z = np.where(np.abs(z) < 0.1, 0.5, z)
    cases = []
    for name in ("sigmoid", "tanh"):
        jacobian = complex_step(numeric.ACTIVATIONS[name].function, z)
        off_diagonal = np.abs(jacobian - np.diag(np.diag(jacobian))).max()
        cases.append(
            Case(
                f"{name}: Jacobian at 5 random points",
                off_diagonal == 0,
                f"largest off-diagonal entry {off_diagonal:g}",
            )
        )
    # ReLU is not analytic: central differences, exact for a piecewise-linear function when no
    # perturbation crosses the kink (all |z| >= 0.1 > h).
    h = 1e-3
    relu = numeric.ACTIVATIONS["relu"].function
    jacobian = np.array([(relu(z + h * e) - relu(z - h * e)) / (2 * h) for e in np.eye(len(z))])
    off_diagonal = np.abs(jacobian - np.diag(np.diag(jacobian))).max()
    cases.append(
        Case(
            "relu: Jacobian by central differences",
            off_diagonal == 0,
            f"largest off-diagonal entry {off_diagonal:g}",
        )
    )
    return by_cases(cases, "complex step / central differences")


_NOTATION_ENTRY = re.compile(r"^\$(\\?[A-Za-z]+)")


def defined_symbols() -> list[str]:
    """The symbols the notation list (lines 10-26) defines: each entry starts with ``$X...$ -``."""
    names = []
    for line in document_lines()[9:26]:
        match = _NOTATION_ENTRY.match(line)
        if match and " - " in line:
            names.append(match.group(1))
    return names


@check("notation-undefined-h")
def _notation_undefined_h(ctx: Context) -> Check:
    defined = defined_symbols()
    uses = [n for n, line in enumerate(document_lines(), 1) if re.search(r"(?<!_)h\^m", line)]
    as_index = [n for n, line in enumerate(document_lines(), 1) if r"\sum_{h = 1}" in line]
    literal = Case(
        "literal: h^m as defined in the notation",
        "h" in defined,
        f"the notation defines {', '.join(defined)}; h^m is used on line(s) {uses} and h "
        f"elsewhere only as a summation index (line(s) {as_index})",
    )
    readings = [literal]
    for probe in ctx.probes[:1]:
        for m in range(1, probe.L + 1):
            direct = probe.sigma(m, probe.W(m) @ probe.a[m - 1] + probe.b(m))
            readings.append(
                compared_case(
                    f"h^m read as z^m: sigma(z^m) = sigma(W^m a^(m-1) + b^m), m = {m}",
                    probe.sigma(m, probe.z[m]),
                    direct,
                )
            )
    return by_readings(
        readings, "document text / numeric", correction_holds=all(r.agrees for r in readings[1:])
    )


# == checks: backpropagation in general ========================================================


def permuted_hidden_units(probe: Probe) -> tuple[float, float]:
    """Swap hidden units 1 and 2 of layer 1 (rows of W^1 and b^1, columns of W^2): the largest
    change of a parameter, and the change of C."""
    params = [(W.copy(), b.copy()) for W, b in probe.network.params]
    order = np.arange(probe.sizes[1])
    order[[0, 1]] = order[[1, 0]]
    params[0] = (params[0][0][order], params[0][1][order])
    params[1] = (params[1][0][:, order], params[1][1])
    changed = max(np.abs(p - q).max() for (p, _), (q, _) in zip(params, probe.network.params))
    cost_change = abs(probe.cost_of(params) - probe.cost_of(probe.network.params))
    return float(changed), float(cost_change)


@check("gradient-wording")
def _gradient_wording(ctx: Context) -> Check:
    probe = ctx.probes[0]
    changed, cost_change = permuted_hidden_units(probe)
    # A derivative of the parameters with respect to C needs them to be a function of C: two
    # parameter settings with the same C refute that.
    function_of_cost = not (changed > 0 and cost_change <= ROUNDING)
    literal = Case(
        "literal: the gradient of each parameter with respect to C",
        function_of_cost,
        f"swapping two hidden units changes W^1 and W^2 by up to {fmt(changed)} and C by "
        f"{'nothing (to rounding)' if cost_change <= ROUNDING else fmt(cost_change)}: the "
        "parameters are not a function of C, so no derivative of a parameter with respect to C "
        "exists",
    )
    readings = [literal]
    for m in range(1, probe.L + 1):
        gradient = probe.dC_dW(m)
        readings.append(
            Case(
                f"the gradient of C with respect to W^{m}",
                gradient.shape == probe.W(m).shape,
                f"shape {gradient.shape}, the shape of W^{m}",
            )
        )
    return by_readings(readings, "numeric")


def literal_z(W: np.ndarray, a: np.ndarray, b: np.ndarray, upper: int) -> np.ndarray:
    """z_k = sum_{l=1}^{upper} W_kl a_l + b_k for k = 1..len(b), 1-based indices as written."""
    return np.array(
        [
            sum(entry(W, k, l) * at(a, l) for l in range(1, upper + 1)) + at(b, k)
            for k in range(1, len(b) + 1)
        ]
    )


def _range_cases(probe: Probe, upper: Callable[[int], int], label: str) -> list[Case]:
    """``literal_z`` with the sum running to ``upper(m)``, against z^m, for every layer m."""
    cases = []
    for m in range(1, probe.L + 1):
        sizes = f"N^{m} = {probe.sizes[m]}, N^{m - 1} = {probe.sizes[m - 1]}"
        args = probe.W(m), probe.a[m - 1], probe.b(m), upper(m)
        cases.append(evaluated_case(f"{label}, layer {m} ({sizes})", probe.z[m], literal_z, *args))
    return cases


def _range_derivative_figure(probe: Probe) -> str:
    """The derivative of the literal sum with respect to W^m_1j where the range omits column j."""
    m = next(m for m in range(1, probe.L + 1) if probe.sizes[m] < probe.sizes[m - 1])
    j = probe.sizes[m - 1]
    a = probe.a[m - 1]
    literal = functools.partial(literal_z, a=a, b=probe.b(m), upper=probe.sizes[m])
    derivative = complex_step(literal, probe.W(m))[0, j - 1, 0]  # d z_1 / d W_1j
    return (
        f"In line 41's form on layer {m} of {probe_label(probe)}: the derivative of the literal "
        f"sum with respect to $W^{m}_{{1{j}}}$ is {fmt(derivative)}, where it should be "
        f"$a^{{{m - 1}}}_{j}$ = {fmt(a[j - 1])}."
    )


@check("z-sum-range")
def _z_sum_range(ctx: Context) -> Check:
    probe = ctx.probes[0]
    cases = _range_cases(probe, lambda m: probe.sizes[m], "l = 1..N^m as written")
    cases += _range_cases(
        ctx.equal_probe, lambda m: ctx.equal_probe.sizes[m], "l = 1..N^m as written"
    )
    corrected = _range_cases(probe, lambda m: probe.sizes[m - 1], "l = 1..N^(m-1)")
    return by_cases(
        cases,
        "numeric (literal sums)",
        evidence=[
            "The literal sum agrees only where $N^m = N^{m-1}$; where $N^m > N^{m-1}$ it indexes "
            "past the columns of $W^m$, where $N^m < N^{m-1}$ it drops terms.",
            _range_derivative_figure(probe),
            f"With the corrected range $l = 1..N^{{m-1}}$, {sum(c.agrees for c in corrected)} of "
            f"{len(corrected)} layers agree ({probe_label(probe)}, worst "
            f"{max((c.detail for c in corrected), key=len)}).",
        ],
        correction_holds=all(case.agrees for case in corrected),
    )


def chain_rule_weights(delta: np.ndarray, dz_dW: np.ndarray, upper: int) -> np.ndarray:
    """dC/dW_ij = sum_{k=1}^{upper} dC/dz_k dz_k/dW_ij (``dz_dW`` indexed [i, j, k])."""
    n_out, n_in, _ = dz_dW.shape
    return np.array(
        [
            [
                sum(at(delta, k) * at(dz_dW[i - 1, j - 1], k) for k in range(1, upper + 1))
                for j in range(1, n_in + 1)
            ]
            for i in range(1, n_out + 1)
        ]
    )


@check("chain-rule-weights")
def _chain_rule_weights(ctx: Context) -> Check:
    cases = []
    for probe in ctx.probes:
        for m in range(1, probe.L + 1):
            args = probe.dC_dz(m), probe.dz_dW(m), probe.sizes[m]
            label = f"{probe_label(probe)}, layer {m}"
            cases.append(evaluated_case(label, probe.dC_dW(m), chain_rule_weights, *args))
    return by_cases(cases, "complex step")


@check("dz-dW")
def _dz_dW(ctx: Context) -> Check:
    cases = []
    for probe in ctx.probes:
        for m in range(1, probe.L + 1):
            n_out, n_in = probe.W(m).shape
            stated = np.zeros((n_out, n_in, n_out))
            for i in range(n_out):
                stated[i, :, i] = probe.a[m - 1]  # a_j when k = i, else 0
            cases.append(
                compared_case(
                    f"{probe_label(probe)}, layer {m}: all (i, j, k)", stated, probe.dz_dW(m)
                )
            )
    return by_cases(cases, "complex step")


@check("collapse-reason")
def _collapse_reason(ctx: Context) -> Check:
    cases, corrected = [], []
    for probe in ctx.probes:
        for m in range(1, probe.L + 1):
            gradient = probe.dC_da(m)
            nonzero = int((np.abs(gradient) > 0).sum())
            # For each i, the claim says dC/da^m_k = 0 for all k != i.
            holds_for = [i for i in range(len(gradient)) if np.all(np.delete(gradient, i) == 0)]
            cases.append(
                Case(
                    f"{probe_label(probe)}, layer {m}",
                    len(holds_for) == len(gradient),
                    f"{nonzero} of {len(gradient)} entries of dC/da^{m} are nonzero "
                    f"(smallest |entry| {fmt(np.abs(gradient).min())})",
                )
            )
            dz = probe.dz_dW(m)
            off = max(
                np.abs(np.delete(dz[i], i, axis=1)).max(initial=0) for i in range(dz.shape[0])
            )
            corrected.append(off == 0)
    return by_cases(
        cases,
        "complex step",
        evidence=[
            r"Whereas $\partial z^m_k / \partial W^m_{ij} = 0$ for every $k \ne i$ in every layer "
            "tested (see item dz-dW): that is what collapses the sum."
        ],
        correction_holds=all(corrected),
    )


@check("dC-dW-component")
def _dC_dW_component(ctx: Context) -> Check:
    cases = []
    for probe in ctx.probes:
        for m in range(1, probe.L + 1):
            delta, a = probe.dC_dz(m), probe.a[m - 1]
            stated = np.array([[delta[i] * a[j] for j in range(len(a))] for i in range(len(delta))])
            cases.append(compared_case(f"{probe_label(probe)}, layer {m}", stated, probe.dC_dW(m)))
    return by_cases(cases, "complex step")


@check("dC-dW-vector")
def _dC_dW_vector(ctx: Context) -> Check:
    cases = []
    for probe in ctx.probes:
        for m in range(1, probe.L + 1):
            stated = column(probe.dC_dz(m)) @ row(probe.a[m - 1])
            cases.append(compared_case(f"{probe_label(probe)}, layer {m}", stated, probe.dC_dW(m)))
    probe = ctx.example_probe
    L = probe.L
    cases.append(
        compared_case(
            f"example: (a^L - y) a^(L-1)T, {probe_label(probe)}",
            column(probe.a[L] - probe.y) @ row(probe.a[L - 1]),
            probe.dC_dW(L),
        )
    )
    return by_cases([*cases, symbolic_proof()], "complex step + symbolic")


@functools.cache
def symbolic_proof() -> Case:
    """``derive``'s proof that differentiating the cost directly and the backprop recursion
    (dC/dW^m = delta^m a^(m-1)T, dC/db^m = delta^m, delta^m = (W^(m+1)T delta^(m+1)) o sigma'(z^m))
    agree, on a 2-3-2 sigmoid network with cross-entropy, parameter by parameter."""
    result = derive_network([2, 3, 2], "sigmoid", "cross_entropy").prove()
    counts = result.counts()
    return Case(
        "symbolic (derive), 2-3-2 sigmoid/cross-entropy: sympy.diff of the cost against the "
        "recursion",
        result.equal,
        f"{'equal' if result.equal else 'DIFFERENT'} for {len(result.proofs)} parameters "
        f"({counts['exact']} exactly, {counts['numeric']} at {result.points} random points to "
        f"{result.digits} digits)",
    )


def chain_rule_biases(delta: np.ndarray, dz_db: np.ndarray, upper: int) -> np.ndarray:
    """dC/db_i = sum_{k=1}^{upper} dC/dz_k dz_k/db_i (``dz_db`` indexed [i, k])."""
    return np.array(
        [
            sum(at(delta, k) * at(dz_db[i - 1], k) for k in range(1, upper + 1))
            for i in range(1, dz_db.shape[0] + 1)
        ]
    )


@check("chain-rule-biases")
def _chain_rule_biases(ctx: Context) -> Check:
    cases = []
    for probe in ctx.probes:
        for m in range(1, probe.L + 1):
            args = probe.dC_dz(m), probe.dz_db(m), probe.sizes[m]
            label = f"{probe_label(probe)}, layer {m}"
            cases.append(evaluated_case(label, probe.dC_db(m), chain_rule_biases, *args))
    return by_cases(cases, "complex step")


@check("dz-db")
def _dz_db(ctx: Context) -> Check:
    cases = [
        compared_case(
            f"{probe_label(probe)}, layer {m}: all (i, k)", np.eye(probe.sizes[m]), probe.dz_db(m)
        )
        for probe in ctx.probes
        for m in range(1, probe.L + 1)
    ]
    return by_cases(cases, "complex step")


@check("dz-db-cases")
def _dz_db_cases(ctx: Context) -> Check:
    probe = ctx.probes[0]
    m = 1
    n = probe.sizes[m]
    dz = probe.dz_db(m)  # [i, k] = dz_k / db_i
    literal_left = np.array([[dz[i, i] for i in range(n)] for _ in range(n)])  # [k, i]: no k in it
    right = np.eye(n)  # [k, i]: 0 if k != i, 1 if k == i
    mismatches = int((literal_left != right).sum())
    literal = Case(
        "literal: left side dz^m_i/db^m_i, cases in k",
        mismatches == 0,
        f"k is free on the right only: the left side is {fmt(literal_left[0, 0])} for every k, the "
        f"right side says 0 for k != i: {mismatches} of {n * n} (k, i) pairs disagree "
        f"(layer {m}, N^{m} = {n})",
    )
    intended = compared_case("left side dz^m_k/db^m_i (as for the weights, line 41)", right, dz.T)
    return by_readings([literal, intended], "complex step", correction_holds=intended.agrees)


@check("dC-db")
def _dC_db(ctx: Context) -> Check:
    cases = []
    for probe in ctx.probes:
        for m in range(1, probe.L + 1):
            cases.append(
                compared_case(f"{probe_label(probe)}, layer {m}", probe.dC_dz(m), probe.dC_db(m))
            )
    return by_cases(cases, "complex step")


def _softmax_probe(ctx: Context) -> Probe:
    return Probe((3, 4, 3), ["sigmoid", "softmax"], "categorical_cross_entropy", seed=ctx.seeds[0])


@check("output-delta-component")
def _output_delta_component(ctx: Context) -> Check:
    cases = []
    for probe in ctx.probes:
        L = probe.L
        stated = probe.dC_da(L) * np.diag(probe.da_dz(L))
        cases.append(compared_case(probe_label(probe), stated, probe.dC_dz(L)))
    softmax = _softmax_probe(ctx)
    outside = compare(softmax.dC_da(2) * np.diag(softmax.da_dz(2)), softmax.dC_dz(2))
    return by_cases(
        cases,
        "complex step",
        evidence=[
            "The single term relies on elementwise activations (line 18): for softmax, whose "
            f"output unit k depends on every z^L, it is off ({outside.text()}) and the sum over "
            r"units $\sum_i \frac{\partial C}{\partial a^L_i}"
            r"\frac{\partial a^L_i}{\partial z^L_k}$ "
            "is needed."
        ],
    )


@check("output-delta-vector")
def _output_delta_vector(ctx: Context) -> Check:
    readings = []
    probe = ctx.example_probe
    L = probe.L
    gradient, truth = probe.dC_da(L), probe.dC_dz(L)
    jacobian = probe.da_dz(L).T  # [i, k] = da_i / dz_k (numerator layout)
    readings.append(
        compared_case(
            f"elementwise product dC/da^L o sigma'(z^L) ({probe_label(probe)})",
            strict_hadamard(gradient, np.diag(jacobian)),
            truth,
        )
    )
    readings.append(
        evaluated_case(
            "matrix product, dC/da^L a column (the document's convention, line 79) times the "
            "Jacobian",
            truth,
            matmul,
            column(gradient),
            jacobian,
        )
    )
    readings.append(
        compared_case(
            "matrix product, dC/da^L a row (numerator layout) times the Jacobian",
            (row(gradient) @ jacobian).ravel(),
            truth,
        )
    )
    # (da/dz)^T dC/da with (da/dz)_ik = da_i/dz_k: ``da_dz`` is indexed [k, i], its transpose.
    corrected = [
        compare(p.da_dz(p.L) @ p.dC_da(p.L), p.dC_dz(p.L)).agrees
        for p in (probe, _softmax_probe(ctx))
    ]
    return by_readings(
        readings,
        "complex step",
        evidence=[
            r"The corrected $\left(\frac{\partial a^L}{\partial z^L}\right)^\top \frac{\partial C}"
            r"{\partial a^L}$ agrees on the sigmoid network and on a softmax output (non-diagonal "
            "Jacobian), where the elementwise reading does not apply."
        ],
        correction_holds=all(corrected),
    )


def _sigma_prime(probe: Probe, m: int) -> np.ndarray:
    """da^m_k / dz^m_k, the diagonal of the layer's Jacobian (complex step)."""
    return np.diag(probe.da_dz(m))


def recursion_row_1(probe: Probe, m: int) -> np.ndarray:
    """dC/da^m_k da^m_k/dz^m_k."""
    return probe.dC_da(m) * _sigma_prime(probe, m)


def recursion_row_2(probe: Probe, m: int) -> np.ndarray:
    """(sum_{l=1}^{N^(m+1)} dC/dz^(m+1)_l dz^(m+1)_l/da^m_k) da^m_k/dz^m_k."""
    delta = probe.dC_dz(m + 1)
    dz_da = complex_step(functools.partial(probe.z_from, m + 1), probe.a[m])  # [k, l]
    upper = probe.sizes[m + 1]
    inner = [
        sum(at(delta, l) * at(dz_da[k - 1], l) for l in range(1, upper + 1))
        for k in range(1, probe.sizes[m] + 1)
    ]
    return np.array(inner) * _sigma_prime(probe, m)


def recursion_row_3(probe: Probe, m: int) -> np.ndarray:
    """As row 2, with z^(m+1)_l written out as sum_{h=1}^{N^m} W_lh a_h + b_l and differentiated."""
    delta = probe.dC_dz(m + 1)
    written_out = functools.partial(
        literal_z, probe.W(m + 1), b=probe.b(m + 1), upper=probe.sizes[m]
    )
    dz_da = complex_step(written_out, probe.a[m])  # [k, l]
    upper = probe.sizes[m + 1]
    inner = [
        sum(at(delta, l) * at(dz_da[k - 1], l) for l in range(1, upper + 1))
        for k in range(1, probe.sizes[m] + 1)
    ]
    return np.array(inner) * _sigma_prime(probe, m)


def recursion_row_4(probe: Probe, m: int) -> np.ndarray:
    """(sum_l dC/dz^(m+1)_l W^(m+1)_lk) da^m_k/dz^m_k."""
    delta, W, upper = probe.dC_dz(m + 1), probe.W(m + 1), probe.sizes[m + 1]
    inner = [
        sum(at(delta, l) * entry(W, l, k) for l in range(1, upper + 1))
        for k in range(1, probe.sizes[m] + 1)
    ]
    return np.array(inner) * _sigma_prime(probe, m)


def recursion_row_5(probe: Probe, m: int) -> np.ndarray:
    """(sum_l (W^(m+1)T)_kl dC/dz^(m+1)_l) da^m_k/dz^m_k."""
    delta, W_T, upper = probe.dC_dz(m + 1), probe.W(m + 1).T, probe.sizes[m + 1]
    inner = [
        sum(entry(W_T, k, l) * at(delta, l) for l in range(1, upper + 1))
        for k in range(1, probe.sizes[m] + 1)
    ]
    return np.array(inner) * _sigma_prime(probe, m)


RECURSION_ROWS = (
    recursion_row_1,
    recursion_row_2,
    recursion_row_3,
    recursion_row_4,
    recursion_row_5,
)


@check("delta-recursion-derivation")
def _delta_recursion_derivation(ctx: Context) -> Check:
    cases = []
    for probe in ctx.probes:
        for m in ctx.hidden_layers(probe):
            truth = probe.dC_dz(m)
            for number, row_value in enumerate(RECURSION_ROWS, start=1):
                label = f"{probe_label(probe)}, layer {m}, row {number}"
                cases.append(evaluated_case(label, truth, row_value, probe, m))
    return by_cases(
        cases,
        "complex step (sums over the ranges as written)",
        evidence=[
            "Rows 1-5 as in the document; the ranges here are right: $l$ runs over the $N^{m+1}$ "
            "units of layer $m+1$ and $h$ over the $N^m$ columns of $W^{m+1}$; the same literal "
            "evaluation fails on the range of line 39 (item z-sum-range)."
        ],
    )


@check("column-vector-convention")
def _column_vector_convention(ctx: Context) -> Check:
    cases = []
    for probe in ctx.probes:
        m = 1
        delta_next, truth = probe.dC_dz(m + 1), probe.dC_da(m)
        W = probe.W(m + 1)
        cases.append(
            compared_case(
                f"{probe_label(probe)}: W^(m+1)T delta^(m+1) with delta a column",
                (W.T @ column(delta_next)).ravel(),
                truth,
            )
        )
        cases.append(
            dataclasses.replace(
                evaluated_case(
                    f"{probe_label(probe)}: W^(m+1)T delta^(m+1) with delta a row (numerator "
                    "layout, batch-first code)",
                    truth,
                    matmul,
                    W.T,
                    row(delta_next),
                ),
                convention=True,
            )
        )
    probe = ctx.probes[0]
    row_form = compare((row(probe.dC_dz(2)) @ probe.W(2)).ravel(), probe.dC_da(1))
    scalar = np.ndim(probe.dC_dz(2)[0])
    return by_cases(
        cases,
        "complex step",
        evidence=[
            "In the row layout the same quantity is $\\delta^{m+1} W^{m+1}$ "
            f"({row_form.text()}).",
            r"The entry $\partial C/\partial z^{m+1}_l$ named in the text is a scalar "
            f"(ndim {scalar}); "
            r"the index identity $W^{m+1}_{lk} = (W^{m+1\top})_{kl}$ needs no convention.",
        ],
    )


@check("delta-recursion-vector")
def _delta_recursion_vector(ctx: Context) -> Check:
    cases = []
    for probe in ctx.probes:
        for m in ctx.hidden_layers(probe):
            stated = strict_hadamard(
                (probe.W(m + 1).T @ column(probe.dC_dz(m + 1))).ravel(), np.diag(probe.da_dz(m))
            )
            cases.append(compared_case(f"{probe_label(probe)}, layer {m}", stated, probe.dC_dz(m)))
    return by_cases([*cases, symbolic_proof()], "complex step + symbolic")


# == checks: the table of nonlinearities ========================================================


def _symbolic_case(row: TableRow, label: str) -> Case:
    """A Case from ``derive``'s relation between a stated derivative and the derived one."""
    return Case(
        f"symbolic: {label}",
        row.relation == "equal",
        f"stated {sp.sstr(row.stated)}, derived {sp.sstr(sp.factor(row.derived))}: {row.relation}",
    )


@check("sigmoid-function")
def _sigmoid_function(ctx: Context) -> Check:
    as_written = ctx.tables["sigmoid"].function
    standard = 1 / (1 + sp.exp(-Z))
    points = ctx.points()
    program_sigmoid = ctx.program.namespace["sigmoid"]
    cases = [
        Case(
            "symbolic: equal to the logistic function 1/(1 + e^(-z))",
            is_zero(as_written - standard),
            "1/(1 + e^z) - 1/(1 + e^(-z)) "
            f"{'cancels' if is_zero(as_written - standard) else 'does not cancel'} "
            f"to 0, while 1/(1 + e^z) - (1 - 1/(1 + e^(-z))) "
            f"{'cancels' if is_zero(as_written - (1 - standard)) else 'does not cancel'} to 0",
        ),
        compared_case(
            "numeric: against the document's own program's sigmoid (line 119)",
            TABLE_FUNCTIONS["sigmoid"](points),
            program_sigmoid(points),
        ),
    ]
    slopes = np.array([complex_step(TABLE_FUNCTIONS["sigmoid"], z) for z in points])
    return by_cases(
        cases,
        "symbolic + numeric",
        evidence=[
            f"As written the function decreases: its slope is negative at all {len(points)} points "
            f"(largest {fmt(slopes.max())}); it is the logistic function of $-z$.",
        ],
        correction_holds=compare(logistic(points), program_sigmoid(points)).agrees,
    )


@check("sigmoid-derivative")
def _sigmoid_derivative(ctx: Context) -> Check:
    row = ctx.tables["sigmoid"]
    cases = [
        _symbolic_case(row, "derivative of the row's function 1/(1 + e^z)"),
        table_derivative_case("sigmoid", ctx.points()),
    ]
    standard = SYMBOLIC_ACTIVATIONS[
        "sigmoid"
    ].output_derivative  # derived, in terms of a = sigma(z)
    holds = standard is not None and is_zero(standard - A * (1 - A))
    return by_cases(
        cases,
        "symbolic + complex step",
        evidence=[
            f"For the logistic function $1/(1 + e^{{-z}})$ derive finds the derivative "
            f"${sp.latex(standard)}$ in terms of the output $a$: the table's $a(1 - a)$.",
        ],
        correction_holds=holds,
    )


@check("sigmoid-range")
def _sigmoid_range(ctx: Context) -> Check:
    standard = 1 / (1 + sp.exp(-Z))
    low, high = sp.limit(standard, Z, -sp.oo), sp.limit(standard, Z, sp.oo)
    reaches = {value: sp.solveset(sp.Eq(standard, value), Z, sp.S.Reals) for value in (0, 1)}
    attained = [value for value, solutions in reaches.items() if solutions != sp.S.EmptySet]
    bounded = bool(standard.is_positive and sp.together(1 - standard).is_positive)
    # numeric's sigmoid in float64 on integers -1000..1000: do the rounded values reach 0 and 1?
    grid = np.arange(-1000.0, 1001.0)
    values = numeric.ACTIVATIONS["sigmoid"].function(grid)
    zeros, ones = grid[values == 0.0], grid[values == 1.0]
    readings = [
        Case(
            "the range of the real function is the closed interval [0, 1]",
            len(attained) == 2,
            f"limits {low} (z -> -oo) and {high} (z -> oo); sigma(z) = 0 or 1 has real solutions "
            f"for {attained or 'neither'}: the range is the open interval (0, 1)",
        ),
        Case(
            "[0, 1] bounds every value (range within [0, 1])",
            bounded,
            f"SymPy: sigma(z) > 0 and 1 - sigma(z) > 0 for real z: {bounded}",
        ),
        Case(
            "in float64 arithmetic, the computed values fill [0, 1]",
            bool(zeros.size and ones.size),
            f"sigma(z) rounds to 0.0 from z = {zeros.max():g} down and to 1.0 from "
            f"z = {ones.min():g} up"
            if zeros.size and ones.size
            else "the rounded values never reach both 0 and 1 on [-1000, 1000]",
        ),
    ]
    return by_readings(readings, "symbolic (limits, solveset) + float64")


@check("tanh-function")
def _tanh_function(ctx: Context) -> Check:
    as_written = ctx.tables["tanh"].function
    points = ctx.points()
    cases = [
        Case(
            "symbolic: equal to tanh z",
            is_zero(as_written - sp.tanh(Z)),
            "the difference cancels to 0"
            if is_zero(as_written - sp.tanh(Z))
            else "does not cancel",
        ),
        compared_case(
            "numeric: against numpy.tanh at random points",
            TABLE_FUNCTIONS["tanh"](points),
            np.tanh(points),
        ),
    ]
    with np.errstate(over="ignore", invalid="ignore"):
        large = TABLE_FUNCTIONS["tanh"](np.array(800.0))
    return by_cases(
        cases,
        "symbolic + numeric",
        evidence=[
            f"As a program, the formula overflows for large |z|: at z = 800 it gives {large} "
            "(inf/inf), where tanh is 1; use a library tanh."
        ],
    )


@check("tanh-derivative")
def _tanh_derivative(ctx: Context) -> Check:
    row = ctx.tables["tanh"]
    cases = [
        _symbolic_case(row, "derivative of the row's function"),
        table_derivative_case("tanh", ctx.points()),
    ]
    return by_cases(cases, "symbolic + complex step")


@check("tanh-sigmoid-relation")
def _tanh_sigmoid_relation(ctx: Context) -> Check:
    standard = 1 / (1 + sp.exp(-Z))
    alpha, beta = sp.symbols("alpha beta", real=True)
    # Any scaling alpha * sigma(beta z) is alpha/2 at z = 0, where tanh is 0.
    at_zero = sp.simplify((alpha * standard.subs(Z, beta * Z)).subs(Z, 0))
    z = np.linspace(-4, 4, 401)
    target = np.tanh(z)
    betas = np.linspace(0.1, 5, 491)
    fits = []
    for b in betas:
        s = logistic(b * z)
        a = (s @ target) / (s @ s)  # least-squares output scale
        fits.append((np.abs(a * s - target).max(), a, b))
    best_residual, best_a, best_b = min(fits)
    out_only = logistic(z)
    out_scale = (out_only @ target) / (out_only @ out_only)
    readings = [
        Case(
            "scaling of the output: tanh z = alpha sigma(z)",
            False if np.abs(out_scale * out_only - target).max() > EXACT_RTOL else True,
            f"best alpha {fmt(out_scale)} leaves a max error "
            f"{fmt(np.abs(out_scale * out_only - target).max())} on [-4, 4]",
        ),
        Case(
            "scaling of input and output: tanh z = alpha sigma(beta z)",
            best_residual <= EXACT_RTOL,
            f"alpha sigma(beta z) at z = 0 is {at_zero}, tanh 0 = 0; best fit alpha {fmt(best_a)}, "
            f"beta {fmt(best_b)} leaves a max error {fmt(best_residual)}",
        ),
        Case(
            "scaling and shift: tanh z = 2 sigma(2 z) - 1",
            is_zero(sp.tanh(Z) - (2 * standard.subs(Z, 2 * Z) - 1)),
            "exact (the difference cancels to 0)",
        ),
    ]
    return by_readings(readings, "symbolic + least squares")


@check("relu-function")
def _relu_function(ctx: Context) -> Check:
    points = np.concatenate([ctx.points(), [0.0]])
    relu = numeric.ACTIVATIONS["relu"].function
    cases = [
        compared_case(
            "numeric: max(0, z) against numeric's relu, incl. z = 0",
            np.maximum(0, points),
            relu(points),
        )
    ]
    p = sp.Symbol("p", positive=True)
    cases.append(
        Case(
            "symbolic: max(0, z) is z for z > 0, 0 for z < 0",
            sp.Max(0, p) == p and sp.Max(0, -p) == 0,
            "by SymPy on a positive symbol p",
        )
    )
    return by_cases(cases, "symbolic + numeric")


@check("relu-derivative")
def _relu_derivative(ctx: Context) -> Check:
    row = ctx.tables["relu"]

    def stated(z):  # "0, z < 0; 1, z >= 0"
        return np.where(z >= 0, 1.0, 0.0)

    relu = numeric.ACTIVATIONS["relu"].function
    points = ctx.points()
    h = 1e-3  # exact for a piecewise-linear function while z +- h stays on one side of 0
    central = (relu(points + h) - relu(points - h)) / (2 * h)
    left, right = one_sided_derivatives(row.function, Z)
    at_zero = {
        "left": float((relu(0.0) - relu(-h)) / h),
        "right": float((relu(h) - relu(0.0)) / h),
        "central": float((relu(h) - relu(-h)) / (2 * h)),
    }
    cases = [
        Case(
            f"symbolic, z != 0: {row.relation}",
            row.relation == "equal where differentiable",
            "derive compares the stated and derived derivatives off the kink",
        ),
        compared_case(
            f"numeric, z != 0: central differences at {len(points)} points", stated(points), central
        ),
        Case(
            "z = 0: the derivative the table states exists",
            left == right,
            f"one-sided derivatives {left} (left) and {right} (right) by SymPy limits; numerically "
            f"left {at_zero['left']:g}, right {at_zero['right']:g}, central "
            f"{at_zero['central']:g}: relu is not differentiable at 0 and the table's "
            f"{float(stated(np.array(0.0)))} is the "
            "right derivative, one choice of subgradient in [0, 1]",
            convention=True,
        ),
    ]
    return by_cases(cases, "symbolic + finite differences")


@check("relu-depth")
def _relu_depth(ctx: Context) -> Check:
    depth = ctx.depth
    readings, rows = [], []
    for init_kind in ("usual", "normal"):
        medians = {}
        for activation in ("sigmoid", "tanh", "relu"):
            init = "normal" if init_kind == "normal" else DEPTH_INITS[activation]
            ratios = depth.ratios(activation, init)
            medians[activation] = float(np.median(ratios))
            rows.append(
                {
                    "activation": activation,
                    "init": init,
                    "median ratio first/last": fmt(medians[activation]),
                    "10%": fmt(np.quantile(ratios, 0.1)),
                    "90%": fmt(np.quantile(ratios, 0.9)),
                    **{
                        f"m={m}": fmt(v)
                        for m, v in enumerate(depth.profile(activation, init), start=1)
                    },
                }
            )
        label = (
            "each activation's usual initialisation"
            if init_kind == "usual"
            else "the document's N(0, 1) initialisation"
        )
        readings.append(
            Case(
                f"{label}: ReLU's gradient does not vanish, the sigmoid's does",
                medians["relu"] >= VANISHING and medians["sigmoid"] < VANISHING,
                f"median ||dC/dW^1|| / ||dC/dW^L||: relu {fmt(medians['relu'])}, sigmoid "
                f"{fmt(medians['sigmoid'])}, tanh {fmt(medians['tanh'])} "
                f"(vanished below {VANISHING})",
            )
        )
    return by_readings(
        readings,
        "experiment",
        evidence=[
            f"Depth {depth.depth}, width {depth.width}, batch {depth.batch} of standard-normal "
            "inputs, random binary targets, sigmoid output with cross-entropy; "
            f"{len(ctx.depth_seeds)} seeds; gradient norms at initialisation. The columns m=1..L "
            "give the median norm of layer m's "
            "weight gradient relative to the last layer's.",
            "Whether ReLU is *commonly used* is a fact about practice that no computation settles; "
            "what is tested is the reason for it.",
        ],
        tables=[("Gradient norm per layer, relative to the last layer", rows)],
        figures={f"{a}/{i}": float(np.median(depth.ratios(a, i))) for a, i in depth.norms},
    )


# == checks: the table of costs =================================================================


@check("squared-error-function")
def _squared_error_function(ctx: Context) -> Check:
    cases = []
    for probe in ctx.probes:
        a, y = probe.a[probe.L], probe.y
        literal = 0.5 * (column(y - a).T @ column(y - a))
        truth = numeric.COSTS["squared_error"].value(a[None, :], y[None, :])
        cases.append(
            compared_case(
                f"{probe_label(probe)}: (y - a)^T (y - a) / 2 of columns", literal.ravel(), truth
            )
        )
    return by_cases(
        cases,
        "numeric",
        evidence=["A row vector times a column vector: a 1x1 matrix, the sum over units."],
    )


def _training_with(gradient: Callable, ctx: Context, steps: int = 50) -> tuple[float, float]:
    """Loss before and after ``steps`` of gradient descent on a squared-error network whose
    dC/da^L is ``gradient`` (the document's transcription): the effect of a sign."""
    cost = dataclasses.replace(numeric.COSTS["squared_error"], gradient=gradient)
    network = numeric.Network([3, 5, 2], "tanh", cost, seed=ctx.seeds[0])
    rng = np.random.default_rng([ctx.seeds[0], 5])
    X, y = rng.standard_normal((16, 3)), rng.standard_normal((16, 2))
    before = network.loss(X, y)
    with np.errstate(over="ignore", invalid="ignore"):
        history = network.fit(X, y, learning_rate=0.05, epochs=steps, progress=False)
    return before, float(network.loss(X, y)) if history.losses else before


@check("squared-error-derivative")
def _squared_error_derivative(ctx: Context) -> Check:
    row = ctx.tables["squared_error"]
    cases = [_symbolic_case(row, "derivative of (y - a)^2 / 2 with respect to a")]
    for probe in ctx.probes:
        if probe.network.cost.name == "squared_error":
            L = probe.L
            cases.append(
                compared_case(
                    f"complex step, {probe_label(probe)}", probe.y - probe.a[L], probe.dC_da(L)
                )
            )
    stated_before, stated_after = _training_with(lambda a, y: y - a, ctx)
    fixed_before, fixed_after = _training_with(lambda a, y: a - y, ctx)
    return by_cases(
        cases,
        "symbolic + complex step",
        evidence=[
            f"50 gradient-descent steps (learning rate 0.05) with the table's derivative take the "
            f"loss of a 3-5-2 tanh network from {fmt(stated_before)} to {fmt(stated_after)}; with "
            f"a - y from {fmt(fixed_before)} to {fmt(fixed_after)}."
        ],
        correction_holds=stated_after > stated_before and fixed_after < fixed_before,
    )


@check("squared-error-note")
def _squared_error_note(ctx: Context) -> Check:
    outputs = np.linspace(-3, 3, 61)[:, None]
    targets = np.full_like(outputs, 0.5)
    se = numeric.COSTS["squared_error"]
    with np.errstate(invalid="ignore", divide="ignore"):
        literal_ce = (targets - 1) * np.log(1 - outputs) - targets * np.log(outputs)
    ce_undefined = float((~np.isfinite(literal_ce)).mean())
    cases = [
        Case(
            "squared error and its gradient are finite for outputs in [-3, 3]",
            bool(
                np.isfinite(se.value(outputs, targets)).all()
                and np.isfinite(se.gradient(outputs, targets)).all()
            ),
            f"{len(outputs)} outputs, target 0.5",
        )
    ]
    return by_cases(
        cases,
        "numeric",
        evidence=[
            f"Cross-entropy as written is undefined (log of a non-positive number) at "
            f"{ce_undefined:.0%} of those outputs: it needs outputs in (0, 1)."
        ],
    )


@check("cross-entropy-function")
def _cross_entropy_function(ctx: Context) -> Check:
    literal = ctx.tables["cross_entropy"].function
    per_unit = -(Y * sp.log(A) + (1 - Y) * sp.log(1 - A))

    def as_written(a, y):
        return (y - 1) * np.log(1 - a) - y * np.log(a)

    probe = ctx.example_probe
    a, y = probe.a[probe.L], probe.y
    truth = numeric.COSTS["cross_entropy"].value(a[None, :], y[None, :])
    one_unit = numeric.COSTS["cross_entropy"].value(a[None, :1], y[None, :1])
    value = as_written(a, y)
    readings = [
        compared_case("one output unit (N^L = 1)", as_written(a[:1], y[:1]), one_unit),
        Case(
            f"as written for N^L = {len(a)} outputs ({probe_label(probe)})",
            np.ndim(value) == 0,
            f"gives an array of shape {value.shape}, not a scalar cost",
        ),
        compared_case(f"per unit, summed over the {len(a)} units", value.sum(), truth[0]),
    ]
    return by_readings(
        readings,
        "symbolic + numeric",
        evidence=[
            "Per unit it is the usual binary cross-entropy: "
            f"(y - 1) log(1 - a) - y log a + (y log a + (1 - y) log(1 - a)) is "
            f"{'zero' if is_zero(literal - per_unit) else 'not zero'} (derive)."
        ],
        correction_holds=readings[2].agrees,
    )


@check("cross-entropy-derivative")
def _cross_entropy_derivative(ctx: Context) -> Check:
    row = ctx.tables["cross_entropy"]
    cases = [_symbolic_case(row, "derivative of the row's cost (one unit)")]
    probe = ctx.example_probe
    L = probe.L
    a = probe.a[L]
    cases.append(
        compared_case(
            f"complex step, {probe_label(probe)}", (a - probe.y) / (a * (1 - a)), probe.dC_da(L)
        )
    )
    return by_cases(cases, "symbolic + complex step")


@check("cross-entropy-convergence")
def _cross_entropy_convergence(ctx: Context) -> Check:
    readings, rows = [], []
    for result in ctx.convergence:
        for entry_row in result.rows():
            rows.append(entry_row)
            ce, se = entry_row["CE median steps"], entry_row["SE median steps"]
            readings.append(
                Case(
                    f"{result.task.description}, learning rate {entry_row['learning rate']:g}",
                    ce < se and entry_row["CE first"] > entry_row["SE first"],
                    f"median steps CE {fmt(ce)}, SE {fmt(se)}; CE first in "
                    f"{entry_row['CE first']:.0%} "
                    f"of seeds, SE first in {entry_row['SE first']:.0%}; reached by CE "
                    f"{entry_row['CE reached']:.0%}, SE {entry_row['SE reached']:.0%}",
                )
            )
    max_epochs = ", ".join(f"{r.task.name} {r.task.max_epochs}" for r in ctx.convergence)
    return by_readings(
        readings,
        "experiment",
        evidence=[
            f"Full-batch gradient descent, sigmoid layers, the same standard-normal initialisation "
            f"for both costs (seed by seed, {len(ctx.convergence_seeds)} seeds), the same learning "
            f"rate; steps until the accuracy threshold (inf: not within {max_epochs} steps). "
            "'CE first' is the fraction of seeds where cross-entropy got there strictly earlier.",
            "Why: with a sigmoid output, cross-entropy's delta^L is a^L - y, squared error's is "
            "(a^L - y) a^L (1 - a^L), at most a quarter of it and vanishing when the output "
            "saturates on the wrong side.",
            "That classification is where cross-entropy is *commonly used* is a fact about "
            "practice, not computed.",
        ],
        tables=[("Steps to the accuracy threshold", [_format_row(r) for r in rows])],
        figures={"rows": rows},
    )


def _format_row(values: dict) -> dict:
    return {
        key: (fmt(value) if isinstance(value, float) else value) for key, value in values.items()
    }


# == checks: the procedure ========================================================================


def _batch(ctx: Context, n: int = 6):
    probe = ctx.probes[0]
    rng = np.random.default_rng([ctx.seeds[0], 6])
    X = rng.standard_normal((n, probe.sizes[0]))
    y = rng.uniform(0.1, 0.9, (n, probe.sizes[-1]))
    return probe.network, X, y


def batch_gradient(network: numeric.Network, X: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """Complex-step gradient of ``network``'s batch cost (its own reduction), flat per array."""
    flat = [p for pair in network.params for p in pair]

    def loss_with(index: int):
        def loss(value):
            params = [p.astype(complex) for p in flat]
            params[index] = value
            pairs = list(zip(params[::2], params[1::2]))
            return kernels.loss(
                pairs, network.activations, network.cost, X.astype(complex), y, network.reduction
            )

        return loss

    return [complex_step(loss_with(k), p) for k, p in enumerate(flat)]


@check("per-sample-procedure")
def _per_sample_procedure(ctx: Context) -> Check:
    network, X, y = _batch(ctx)
    whole = batch_gradient(network, X, y)
    per_sample = [batch_gradient(network, X[s : s + 1], y[s : s + 1]) for s in range(len(X))]
    cases = []
    for k, total in enumerate(whole):
        mean = np.mean([sample[k] for sample in per_sample], axis=0)
        name = f"{'W' if k % 2 == 0 else 'b'}^{k // 2 + 1}"
        cases.append(
            compared_case(
                f"{name}: mean of {len(X)} per-sample gradients against the batch gradient",
                mean,
                total,
            )
        )
    return by_cases(cases, "complex step")


@check("forward-pass")
def _forward_pass(ctx: Context) -> Check:
    cases = []
    for probe in ctx.probes:
        a = probe.x
        for m in range(1, probe.L + 1):
            a = probe.sigma(m, probe.W(m) @ a + probe.b(m))
        cases.append(
            compared_case(
                f"{probe_label(probe)}: the recursion against numeric's forward",
                a,
                probe.network.forward(probe.x[None, :])[0],
            )
        )
    program = ctx.program
    network = program.namespace["nn"]
    outputs = np.array([network.output(list(map(int, x)))[0, 0] for x in XOR_INPUTS])
    twin = numeric.Network([2, 2, 1], "sigmoid", "cross_entropy")
    twin.params = [
        (W.copy(), b.copy()) for W, b in (((layer.W, layer.b.ravel())) for layer in network.layers)
    ]
    cases.append(
        compared_case(
            "the document's program (repaired) after training, against numeric's forward",
            outputs,
            twin.forward(XOR_INPUTS)[:, 0],
        )
    )
    return by_cases(cases, "numeric")


@check("summary-stray-index")
def _summary_stray_index(ctx: Context) -> Check:
    probe = ctx.probes[0]
    m = 2
    delta, a_prev, truth = probe.dC_dz(m), probe.a[m - 1], probe.dC_dW(m)
    literal = [compare(np.asarray(delta[i]) * row(a_prev), truth) for i in range(len(delta))]
    readings = [
        Case(
            "literal: dC/dz^m_i a^(m-1)T, i a free index",
            any(result.agrees for result in literal),
            f"for each i a {row(a_prev).shape} row (row i of the gradient, scaled), against the "
            f"{truth.shape} gradient: {literal[0].detail} (layer {m}, {probe_label(probe)})",
        ),
        compared_case(
            "without the subscript: dC/dz^m a^(m-1)T", column(delta) @ row(a_prev), truth
        ),
    ]
    return by_readings(readings, "complex step", correction_holds=readings[1].agrees)


@check("updates-wording")
def _updates_wording(ctx: Context) -> Check:
    network, X, y = _batch(ctx)
    network = numeric.Network(network.sizes, "sigmoid", "cross_entropy", seed=ctx.seeds[0])
    before = [p.copy() for pair in network.params for p in pair]
    gradients = [g for pair in network.gradients(X, y) for g in pair]
    rate = 0.5
    network.fit(X, y, learning_rate=rate, epochs=1, progress=False)
    changes = [p - q for p, q in zip((p for pair in network.params for p in pair), before)]
    as_gradients = [compare(c, g) for c, g in zip(changes, gradients)]
    as_steps = [compare(c, -rate * g) for c, g in zip(changes, gradients)]
    readings = [
        Case(
            "the plugged-in values are the updates",
            all(r.agrees for r in as_gradients),
            f"a gradient-descent step (learning rate {rate}) changes the parameters by "
            f"{fmt(as_gradients[0].factor)} times the gradient, not by the gradient",
        ),
        Case(
            "the plugged-in values give the updates, -lambda times them",
            all(r.agrees for r in as_steps),
            f"step = -{rate} x gradient: max relative error "
            f"{fmt_error(max(r.error for r in as_steps))}",
        ),
    ]
    return by_readings(readings, "numeric")


# == checks: the example ==========================================================================


@functools.cache
def derived_output_delta(sigmoid_sign: int) -> tuple[sp.Expr, sp.Expr, str]:
    """delta^L of a 2-2-1 network with cross-entropy and the sigmoid 1/(1 + e^(sign z)), by
    ``derive``: (the derived delta, the stated a - y, their relation)."""
    activation = (
        "sigmoid"
        if sigmoid_sign < 0
        else SymbolicActivation("sigmoid_as_written", lambda z: 1 / (1 + sp.exp(z)))
    )
    network = derive_network([2, 2, 1], activation, "cross_entropy")
    out = network.backprop.output_deltas[0]
    a, y = network.backprop.a[0][-1][0], network.targets[0][0]
    derived = out.simplified[0]
    return derived, a - y, relation(a - y, derived)


@check("example-output-delta")
def _example_output_delta(ctx: Context) -> Check:
    product = sp.Mul((A - Y) / (A * (1 - A)), A * (1 - A), evaluate=False)  # as written
    derived, _, found = derived_output_delta(-1)
    probe = ctx.example_probe
    cases = [
        Case(
            "symbolic: the table entries' product cancels to a - y",
            is_zero(product - (A - Y)),
            f"({sp.sstr(product)}) - (a - y) cancels to 0",
        ),
        Case(
            f"symbolic: derive's delta^L of a sigmoid/cross-entropy network is {sp.sstr(derived)}",
            found == "equal",
            f"a - y is {found} to it",
        ),
        compared_case(
            f"complex step, {probe_label(probe)}", probe.a[probe.L] - probe.y, probe.dC_dz(probe.L)
        ),
    ]
    return by_cases(cases, "symbolic + complex step")


def _as_written_sigmoid_probe(ctx: Context) -> Probe:
    as_written = numeric.Activation(
        "sigmoid_as_written",
        lambda z: logistic(-z),
        lambda z, a: -a * (1 - a),  # unused: the probe differentiates by complex step
        output_range=(0.0, 1.0),
    )
    return Probe((3, 5, 4, 2), as_written, "cross_entropy", seed=ctx.seeds[0])


@check("example-output-delta-as-written")
def _example_output_delta_as_written(ctx: Context) -> Check:
    derived, _, found = derived_output_delta(+1)
    probe = _as_written_sigmoid_probe(ctx)
    cases = [
        Case(
            f"symbolic: derive's delta^L with sigma(z) = 1/(1 + e^z) is {sp.sstr(derived)}",
            found == "equal",
            f"a - y is {found}",
        ),
        compared_case(
            f"complex step, sizes {tuple(probe.sizes)}, sigmoid as written",
            probe.a[probe.L] - probe.y,
            probe.dC_dz(probe.L),
        ),
    ]
    corrected = compare(probe.y - probe.a[probe.L], probe.dC_dz(probe.L)).agrees
    return by_cases(cases, "symbolic + complex step", correction_holds=corrected)


def merge_situations(evaluations: dict[str, list[tuple[str, Case]]]) -> list[Case]:
    """One Case per reading from its evaluations in several situations: it agrees when it agrees
    in all of them."""
    return [
        Case(
            reading,
            all(case.agrees for _, case in cases),
            "; ".join(f"{where}: {case.detail}" for where, case in cases),
        )
        for reading, cases in evaluations.items()
    ]


# The example's unparenthesised rows, read three ways. Vectors are columns; ``matmul`` and
# ``strict_hadamard`` refuse shapes that do not fit, as the mathematics does.


def _matrix_first(W: np.ndarray, delta: np.ndarray, a: np.ndarray) -> np.ndarray:
    """(W^T delta) o (a o (1 - a)): the matrix product first, a(1 - a) elementwise."""
    return strict_hadamard(matmul(W.T, delta), strict_hadamard(a, 1 - a))


def _matrix_first_columns(W: np.ndarray, delta: np.ndarray, a: np.ndarray) -> np.ndarray:
    """(W^T delta) o (a (1 - a)): a(1 - a) as the matrix product of two columns."""
    return strict_hadamard(matmul(W.T, delta), matmul(a, 1 - a))


def _hadamard_first(W: np.ndarray, delta: np.ndarray, a: np.ndarray) -> np.ndarray:
    """W^T (delta o a(1 - a)): o before the matrix product."""
    return matmul(W.T, strict_hadamard(delta, strict_hadamard(a, 1 - a)))


DELTA_READINGS = {
    "the matrix product first, a(1 - a) elementwise": _matrix_first,
    "the matrix product first, a(1 - a) a product of two columns": _matrix_first_columns,
    "o before the matrix product: W^T((a - y) o a(1 - a))": _hadamard_first,
}


def example_delta(reading: Callable, probe: Probe, depth: int) -> np.ndarray:
    """delta^(L - depth) from a^L - y by the example's rows under ``reading``."""
    delta = column(probe.a[probe.L] - probe.y)
    for m in range(probe.L - 1, probe.L - depth - 1, -1):
        delta = reading(probe.W(m + 1), delta, column(probe.a[m]))
    return delta.ravel()


@check("example-delta-precedence")
def _example_delta_precedence(ctx: Context) -> Check:
    evaluations: dict[str, list[tuple[str, Case]]] = {}
    for probe in (ctx.example_probe, ctx.equal_probe):
        for depth in (1, 2):
            where = f"delta^(L-{depth}) on sizes {tuple(probe.sizes)}"
            truth = probe.dC_dz(probe.L - depth)
            for name, reading in DELTA_READINGS.items():
                case = evaluated_case(name, truth, example_delta, reading, probe, depth)
                evaluations.setdefault(name, []).append((where, case))
    readings = merge_situations(evaluations)
    return by_readings(readings, "complex step", correction_holds=readings[0].agrees)


def _outer_last(W, delta, a1, a2):
    """[(W^T delta) o a(1 - a)] a^T."""
    return matmul(_matrix_first(W, delta, a1), a2.T)


def _outer_first(W, delta, a1, a2):
    """(W^T delta) o [a(1 - a) a^T]: the juxtaposition with a^T binds before o."""
    return strict_hadamard(matmul(W.T, delta), matmul(strict_hadamard(a1, 1 - a1), a2.T))


def _hadamard_first_outer(W, delta, a1, a2):
    """W^T[delta o a(1 - a)] a^T."""
    return matmul(_hadamard_first(W, delta, a1), a2.T)


DW_READINGS = {
    "[(W^T(a - y)) o a(1 - a)] a^T": _outer_last,
    "(W^T(a - y)) o [a(1 - a) a^T], the outer product first": _outer_first,
    "W^T[(a - y) o a(1 - a)] a^T, o first": _hadamard_first_outer,
}


def _dW_arguments(probe: Probe) -> tuple[np.ndarray, ...]:
    """W^L, a^L - y, a^(L-1), a^(L-2) as the example's row uses them (vectors as columns)."""
    L = probe.L
    return (
        probe.W(L),
        column(probe.a[L] - probe.y),
        column(probe.a[L - 1]),
        column(probe.a[L - 2]),
    )


@check("example-dW-precedence")
def _example_dW_precedence(ctx: Context) -> Check:
    evaluations: dict[str, list[tuple[str, Case]]] = {}
    for probe in (ctx.example_probe, ctx.equal_probe):
        truth = probe.dC_dW(probe.L - 1)
        for name, reading in DW_READINGS.items():
            case = evaluated_case(name, truth, reading, *_dW_arguments(probe))
            evaluations.setdefault(name, []).append((f"sizes {tuple(probe.sizes)}", case))
    merged = merge_situations(evaluations)
    probe = ctx.example_probe
    W, delta, a1, a2 = _dW_arguments(probe)
    broadcast = compare((W.T @ delta) * ((a1 * (1 - a1)) @ a2.T), probe.dC_dW(probe.L - 1))
    return by_readings(
        merged,
        "complex step",
        evidence=[
            "With NumPy's broadcasting instead of a strict Hadamard product, the "
            "outer-product-first reading happens to give the right numbers "
            f"({broadcast.text()}), because "
            r"$(v \circ s) a^\top = v \circ (s a^\top)$ row by row; as mathematics the Hadamard "
            "product of a column and a matrix is undefined."
        ],
        correction_holds=merged[0].agrees,
    )


@check("example-align-breaks")
def _example_align_breaks(ctx: Context) -> Check:
    counts = align_separators(107)
    breaks, spaces = counts["\\\\"], counts["\\ "]
    rows = [row for row in displayed_rows() if row.line == 107]
    # Split at either separator, each row of a chain holds one relation "&=" (the update rules,
    # outside the aligns, hold a plain "=").
    chained = [row for row in rows if "&=" in row.latex]
    one_each = all(row.latex.count("&=") == 1 for row in chained)
    readings = [
        Case(
            "as LaTeX: each equality on its own row",
            spaces == 0,
            f"the example's aligns contain {breaks} line breaks (two backslashes) and {spaces} "
            "control spaces (backslash, space) where their rows break",
        ),
        Case(
            "as mathematics: split at the control spaces, the rows form chains of equalities",
            one_each,
            f"{len(chained)} rows, each with {'exactly' if one_each else 'not exactly'} one "
            "aligned '=' (their content is audited row by row in the items above)",
        ),
    ]
    return by_readings(readings, "document text")


@check("update-rule")
def _update_rule(ctx: Context) -> Check:
    cases = []
    rate = 1e-3
    for seed in ctx.seeds[:3]:
        network = numeric.Network([3, 5, 4, 2], "sigmoid", "cross_entropy", seed=seed)
        rng = np.random.default_rng([seed, 7])
        X, y = rng.standard_normal((8, 3)), rng.uniform(0.1, 0.9, (8, 2))
        before = network.loss(X, y)
        gradients = network.gradients(X, y)
        squared_norm = sum((g**2).sum() for pair in gradients for g in pair)
        network.params = [
            (W - rate * dW, b - rate * db) for (W, b), (dW, db) in zip(network.params, gradients)
        ]
        decrease = before - network.loss(X, y)
        first_order = rate * squared_norm
        cases.append(
            Case(
                f"seed {seed}: one step with lambda = {rate:g}",
                decrease > 0 and abs(decrease - first_order) <= 0.01 * first_order,
                f"C decreases by {decrease:.3g}; first-order prediction lambda ||grad||^2 = "
                f"{first_order:.3g}",
            )
        )
    return by_cases(cases, "numeric")


# == checks: the toy program =====================================================================


def _ablation_case(ctx: Context, item_id: str) -> Case:
    """The program with every repair except ``item_id``'s: it must fail, and say where."""
    run = ctx.ablations[item_id]
    return Case(
        "the program without this repair",
        run.stage == "done",
        run.error or "runs to completion",
    )


def _repaired_case(ctx: Context) -> Case:
    run = ctx.program
    return Case(
        "the program with every repair",
        run.stage == "done",
        run.error
        or f"runs the document's 1,000 steps and prints {len(run.printed.splitlines())} lines",
    )


def _program_ast() -> ast.Module:
    return ast.parse(program_source(REPAIRS)[0])


def _program_layer_sizes() -> list[int]:
    """The layer sizes the program's run builds its network with (``SigmoidNetwork([...])``)."""
    return next(
        ast.literal_eval(node.args[0])
        for node in ast.walk(_program_ast())
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "SigmoidNetwork"
    )


@check("toy-description")
def _toy_description(ctx: Context) -> Check:
    tree = _program_ast()
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    methods = {
        node.name: [arg.arg for arg in node.args.args[1:]]
        for node in classes["SigmoidNetwork"].body
        if isinstance(node, ast.FunctionDef)
    }
    built = sorted(
        {
            node.func.id
            for node in ast.walk(classes["SigmoidNetwork"])
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id[0].isupper()
        }
    )
    parameters = sorted({name for names in methods.values() for name in names})
    nonlinear = [name for name in parameters if re.search("nonlin|activ|sigma", name)]
    cost = [name for name in parameters if re.search("cost|loss", name)]
    output_delta = next(
        ast.unparse(node.value)
        for node in ast.walk(classes["SigmoidNetwork"])
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "cost_partials"
    )
    cases = [
        Case(
            "layer sizes are a parameter",
            "layer_sizes" in methods.get("__init__", []),
            f"SigmoidNetwork.__init__({', '.join(methods.get('__init__', []))})",
        ),
        Case(
            "nonlinearities are a parameter",
            bool(nonlinear),
            f"parameters of SigmoidNetwork's methods: {', '.join(parameters)}; every layer is a "
            f"{' / '.join(built)}",
        ),
        Case(
            "the cost function is a parameter",
            bool(cost),
            f"train starts the backward pass from cost_partials = {output_delta}: the "
            "sigmoid/cross-entropy delta, whatever the cost",
        ),
    ]
    return by_cases(cases, "program (syntax tree of the repaired program)")


@check("toy-sigmoid")
def _toy_sigmoid(ctx: Context) -> Check:
    points = ctx.points()
    program_sigmoid = ctx.program.namespace["sigmoid"]
    cases = [
        compared_case(
            "against the logistic function 1/(1 + e^(-x)) (numeric)",
            program_sigmoid(points),
            logistic(points),
        )
    ]
    table = compare(program_sigmoid(points), TABLE_FUNCTIONS["sigmoid"](points))
    return by_cases(
        cases,
        "program + numeric",
        evidence=[f"Unlike the table's $1/(1 + e^{{z}})$: against it, {table.text()}."],
    )


@check("toy-init")
def _toy_init(ctx: Context) -> Check:
    sizes = _program_layer_sizes()
    cases = [
        Case(
            f"layer {m}: W^{m} is (N^{m}, N^{m - 1}), b^{m} a column of N^{m}",
            W.shape == (sizes[m], sizes[m - 1]) and b.shape == (sizes[m], 1),
            f"W {W.shape}, b {b.shape} for sizes {sizes}",
        )
        for m, (W, b) in enumerate(ctx.program.initial_params or [], start=1)
    ] or [Case("the program builds its network", False, ctx.program.error)]
    return by_cases(
        cases,
        "program",
        evidence=[
            "`np.random.randn` is called without a seed: every run starts elsewhere (see item "
            "toy-xor-table)."
        ],
    )


def _program_item(
    item_id: str,
    literal: Callable[[Context], list[Case]] | None = None,
    corrected: Callable[[Context], Case] | None = None,
) -> None:
    """Register the check of a repaired program line: the program without the repair fails
    (plus ``literal``'s cases of the line as printed); the correction holds when the program with
    every repair runs (and ``corrected``'s case agrees)."""

    def run(ctx: Context) -> Check:
        cases = [_ablation_case(ctx, item_id)] + (literal(ctx) if literal else [])
        evidence = [
            f"The program exactly as printed stops at its first error: {ctx.literal_program.error}."
        ]
        holds = _repaired_case(ctx).agrees
        if corrected is not None:
            case = corrected(ctx)
            evidence.append(
                f"Corrected, {case.label}: {'agrees' if case.agrees else 'disagrees'}. "
                f"{case.detail}"
            )
            holds = holds and case.agrees
        return by_cases(
            cases, "program (compile and run)", evidence=evidence, correction_holds=holds
        )

    check(item_id)(run)


def _repaired_layer_case(ctx: Context) -> Case:
    network = ctx.program.namespace["nn"]
    layer = network.layers[0]
    return compared_case(
        "the repaired layer on the 4 XOR inputs against sigma(W X + b)",
        layer.output(XOR_INPUTS.T),
        logistic(layer.W @ XOR_INPUTS.T + layer.b),
    )


def _layer_output_cases(ctx: Context) -> list[Case]:
    """The layer as printed, called on the four XOR inputs: does its output depend on them?"""
    namespace = ctx.ablations["toy-layer-output"].namespace
    if "SigmoidLayer" not in namespace:
        return [
            Case("the printed layer can be built", False, ctx.ablations["toy-layer-output"].error)
        ]
    layer = namespace["SigmoidLayer"](2, 2)
    outputs = layer.output(XOR_INPUTS.T)
    distinct = np.unique(outputs, axis=1).shape[1] if outputs.ndim == 2 else 1
    return [
        Case(
            "the printed layer on the 4 XOR inputs (one per column)",
            outputs.shape == (2, 4) and distinct == 4,
            f"returns shape {outputs.shape} with {distinct} distinct column(s): sigmoid(b), "
            "whatever X is",
        )
    ]


_program_item("toy-layer-output", _layer_output_cases, _repaired_layer_case)
_program_item("toy-docstring")
_program_item("toy-forward-loop")
_program_item("toy-backward-line")
_program_item("toy-weight-update-loop")


def _backward_pairing(ctx: Context, reverse: bool) -> Case:
    """The program's backward pass (lines 149-151): does ``cost_partials[1:]`` hold
    delta^1..delta^L, in the order of ``layer_outputs[:-1]`` and ``self.layers`` that lines
    154-157 pair it with?"""
    namespace = ctx.program.namespace
    network, X, y = namespace["nn"], namespace["X"].astype(float), namespace["y"].reshape(1, -1)
    params = [(layer.W, layer.b.ravel()) for layer in network.layers]
    sizes = [X.shape[0]] + [W.shape[0] for W, _ in params]
    probes = [
        Probe(sizes, "sigmoid", "cross_entropy", params=params, x=X[:, s], y=y[:, s])
        for s in range(X.shape[1])
    ]
    truth = [np.column_stack([p.dC_dz(m) for p in probes]) for m in range(1, len(sizes))]
    partials = run_backward_fragment(network, X, y, reverse=reverse)[1:]
    results = [compare(p, t) for p, t in zip(partials, truth)]
    label = "with cost_partials.reverse()" if reverse else "as printed (no reversal)"
    return Case(
        f"cost_partials[1:] {label}, against delta^1..delta^L of each sample",
        len(partials) == len(truth) and all(r.agrees for r in results),
        f"{len(partials) + 1} deltas computed for L = {len(truth)}; "
        + "; ".join(f"entry {m}: {r.text()}" for m, r in enumerate(results, start=1)),
    )


_program_item(
    "toy-missing-reverse",
    lambda ctx: [_backward_pairing(ctx, reverse=False)],
    lambda ctx: _backward_pairing(ctx, reverse=True),
)


@check("toy-output-delta")
def _toy_output_delta(ctx: Context) -> Check:
    cases = []
    for probe in ctx.probes:
        if probe.network.cost.name == "cross_entropy":
            cases.append(
                compared_case(
                    f"{probe_label(probe)}: a^L - y against dC/dz^L",
                    probe.a[probe.L] - probe.y,
                    probe.dC_dz(probe.L),
                )
            )
    return by_cases(cases, "complex step")


@check("toy-averaging")
def _toy_averaging(ctx: Context) -> Check:
    namespace = ctx.program.namespace
    network_class = namespace["SigmoidNetwork"]
    X_columns, y_row = namespace["X"], namespace["y"]
    program = network_class([2, 2, 1])
    rng = np.random.default_rng([ctx.seeds[0], 8])
    for layer in program.layers:  # a fresh point, seeded, instead of the program's own draw
        layer.W = rng.standard_normal(layer.W.shape)
        layer.b = rng.standard_normal(layer.b.shape)
    before = [(layer.W.copy(), layer.b.ravel().copy()) for layer in program.layers]
    rate = 0.7
    program.train(X_columns, y_row, learning_rate=rate)
    steps = [(layer.W - W, layer.b.ravel() - b) for layer, (W, b) in zip(program.layers, before)]
    twin = numeric.Network([2, 2, 1], "sigmoid", "cross_entropy")
    twin.params = [(W.copy(), b.copy()) for W, b in before]
    X, y = X_columns.T.astype(float), y_row.reshape(-1, 1).astype(float)
    mean_gradient = batch_gradient(twin, X, y)
    flat_steps = [s for pair in steps for s in pair]
    cases = [
        compared_case(
            f"{'W' if k % 2 == 0 else 'b'}^{k // 2 + 1}: step against -{rate} x gradient of the "
            "mean cost",
            step,
            -rate * g,
        )
        for k, (step, g) in enumerate(zip(flat_steps, mean_gradient))
    ]
    summed = compare(
        flat_steps[0], -rate * len(X) * mean_gradient[0], named_factors={"n_samples": len(X)}
    )
    # The whole run: the program's 1,000 steps against numeric's, from the program's own draw.
    run_twin = numeric.Network([2, 2, 1], "sigmoid", "cross_entropy")
    run_twin.params = [(W.copy(), b.ravel()) for W, b in ctx.program.initial_params]
    run_twin.fit(XOR_INPUTS, XOR_TARGETS, learning_rate=1.0, epochs=1000, progress=False)
    program_out = np.array([namespace["nn"].output(list(map(int, x)))[0, 0] for x in XOR_INPUTS])
    cases.append(
        compared_case(
            "1,000 steps of the program against numeric.Network.fit from the same start",
            program_out,
            run_twin.forward(XOR_INPUTS)[:, 0],
        )
    )
    return by_cases(
        cases,
        "program + complex step",
        evidence=[
            "Against the gradient of the summed cost the step is off by the number of samples "
            f"({summed.detail})."
        ],
    )


@check("toy-xor-table")
def _toy_xor_table(ctx: Context) -> Check:
    result = ctx.xor
    printed = np.array([0.0143, 0.9888, 0.9892, 0.0124])
    printed_error = float(np.abs(printed - XOR_TARGETS).max())
    successful = result.max_errors()[result.success]
    best, worst = (successful.min(), successful.max()) if len(successful) else (np.nan, np.nan)
    rank = float((successful <= printed_error).mean()) if len(successful) else float("nan")
    readings = [
        Case(
            "every run of the program prints such a table",
            result.success_rate >= RELIABLE,
            f"{result.success.sum()} of {len(result.seeds)} initialisations learn XOR "
            f"({result.success_rate:.1%}); the rest leave at least one input misclassified",
        ),
        Case(
            "the printed table is one outcome the program can produce",
            bool(best <= printed_error <= worst),
            f"the printed table's largest error |a - y| is {printed_error:.4f}; successful runs "
            f"range from {best:.4f} to {worst:.4f}, and {rank:.0%} of them do at least as well as "
            "the printed one",
        ),
    ]
    rows = []
    for label, only in (("all runs", False), ("successful runs", True)):
        q = result.quantiles(only_successful=only)
        for k, inputs in enumerate(XOR_INPUTS.astype(int).tolist()):
            rows.append(
                {
                    "runs": label,
                    "input": str(inputs),
                    "printed": fmt(printed[k]),
                    **{f"q{int(p * 100)}": f"{v:.4f}" for p, v in zip(QUANTILES, q[:, k])},
                }
            )
    printed_lines = ctx.program.printed.splitlines()
    document_table = document_lines()[176:181]
    evidence = [
        f"{len(result.seeds)} seeds, each the document's run: standard-normal W and b, 1,000 "
        "full-batch steps at learning rate 1 on the mean cross-entropy (the repaired program's "
        "arithmetic, item toy-averaging).",
        "At the program's default learning rate "
        + ", ".join(
            f"{rate:g}: {value:.1%} learn XOR" for rate, value in result.other_rates.items()
        )
        + " in 1,000 steps.",
        f"The program prints {len(printed_lines)} lines per run; the document shows "
        f"{len(document_table)}, with a header line ({document_table[0]!r}) that the program "
        "does not print.",
    ]
    return by_readings(
        readings,
        "experiment",
        evidence=evidence,
        tables=[("Output quantiles per input after 1,000 steps", rows)],
        figures={
            "success_rate": result.success_rate,
            "n_seeds": len(result.seeds),
            "other_rates": {str(k): v for k, v in result.other_rates.items()},
        },
    )


# == the audit ====================================================================================


@dataclass
class AuditedItem:
    """An item of the document with what its check computed."""

    item: Item
    check: Check

    @property
    def verdict(self) -> str:
        return self.check.verdict

    def to_dict(self) -> dict:
        item, result = self.item, self.check
        return {
            "id": item.id,
            "title": item.title,
            "section": item.section,
            "kind": item.kind,
            "locations": [{"line": loc.line, "quote": loc.quote} for loc in item.locations],
            "claim": item.claim,
            "verdict": result.verdict,
            "verdict_by": result.by,
            "method": result.method,
            "cases": [case.to_dict() for case in result.cases],
            "evidence": list(result.evidence),
            "tables": [{"title": title, "rows": rows} for title, rows in result.tables],
            "figures": result.figures,
            "correction": item.correction,
            "correction_holds": result.correction_holds,
        }


@dataclass
class Audit:
    """The audit of the whole document.

    Attributes
    ----------
    items : list of AuditedItem
        In document order.
    seeds : list of int
    fast : bool
    seconds : float
        Wall time of ``run_audit`` (not part of the reports, which stay reproducible).
    """

    items: list[AuditedItem]
    seeds: list[int]
    fast: bool
    seconds: float = 0.0

    def __getitem__(self, item_id: str) -> AuditedItem:
        for audited in self.items:
            if audited.item.id == item_id:
                return audited
        raise KeyError(f"item_id must be one of the audit's items, got {item_id!r}")

    def counts(self) -> dict[str, int]:
        """Number of items per verdict, in the order of ``VERDICTS``."""
        return {verdict: sum(a.verdict == verdict for a in self.items) for verdict in VERDICTS}

    def summary_rows(self) -> list[dict]:
        return [
            {
                "#": n,
                "item": a.item.id,
                "lines": _lines(a.item),
                "title": a.item.title,
                "verdict": a.verdict,
            }
            for n, a in enumerate(self.items, start=1)
        ]

    def to_dict(self) -> dict:
        """JSON-ready: every item with its cases, figures and correction."""
        return _json_ready(
            {
                "document_sha256": DOCUMENT_SHA256,
                "seeds": {"count": len(self.seeds), "first": self.seeds[0], "last": self.seeds[-1]},
                "fast": self.fast,
                "counts": self.counts(),
                "items": [a.to_dict() for a in self.items],
            }
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    def to_markdown(self) -> str:
        """``reports/errata.md``: introduction, summary table, then each item in document order."""
        counts = self.counts()
        parts = [
            "# Errata: the reference document, formula by formula",
            "",
            "Generated by `chainrule audit` (`verify.audit`); do not edit by hand. The audited "
            "document is `backpropagation-derivation.txt` (SHA-256 "
            f"`{DOCUMENT_SHA256[:16]}...`); line numbers refer to it.",
            "",
            f"**{len(self.items)} items**: "
            + ", ".join(f"{counts[v]} {v}" for v in VERDICTS)
            + ".",
            "",
            "## How the verdicts are computed",
            "",
            "Every item transcribes one statement of the document, index ranges, subscripts and "
            "products as written, into NumPy or SymPy, and evaluates it against the truth:",
            "",
            "- **symbolic**: differentiation of the definitions by SymPy through chainrule's "
            "`derive` package (the tables' derivatives, the output delta, the backprop recursion);",
            "- **complex step**: exact derivatives (to rounding) of the forward functions alone, "
            "on networks whose layer sizes all differ, so that a wrong index range cannot hide; "
            f"formulas agree when their relative error is below {EXACT_RTOL:g} (rounding is "
            "about 1e-13 here, a wrong formula is off by order one);",
            "- **program**: the document's toy program, extracted from its text, compiled and run "
            "with and without each repaired line;",
            f"- **experiment**: seeded runs ({len(self.seeds)} seeds for the XOR example).",
            "",
            "A statement that must hold in every situation is evaluated in several *cases*: it "
            "**holds** when all agree, is **wrong** when one disagrees, and **holds only under a "
            "convention** when the only disagreements are a choice on which correct "
            "implementations differ. A statement whose notation admits several *readings* (an "
            "undefined symbol, an index free on one side, an unspecified product) or a hedged "
            "empirical claim tested under several conditions is **imprecise** when some readings "
            "agree and some do not. No verdict is typed in: each follows from the computed cases.",
            "",
            "## Summary",
            "",
            tabulate(self.summary_rows(), headers="keys", tablefmt="github"),
            "",
        ]
        section = None
        for audited in self.items:
            if audited.item.section != section:
                section = audited.item.section
                parts += [f"## {section}", ""]
            parts += _item_markdown(audited)
        return "\n".join(parts).rstrip() + "\n"

    def to_text(self) -> str:
        """Plain text: the summary table and each item's verdict, cases and correction."""
        lines = [
            "Errata: the reference document, formula by formula",
            "",
            tabulate(self.summary_rows(), headers="keys", tablefmt="simple"),
            "",
        ]
        for audited in self.items:
            item, result = audited.item, audited.check
            lines += [f"[{item.id}] {item.title} (lines {_lines(item)}): {result.verdict}"]
            lines += [f"  {'+' if c.agrees else '-'} {c.label}: {c.detail}" for c in result.cases]
            if item.correction:
                lines.append(f"  correction: {item.correction}")
            lines.append("")
        return "\n".join(lines).rstrip() + "\n"

    def to_html(self) -> str:
        """An HTML page with the summary table."""
        table = tabulate(self.summary_rows(), headers="keys", tablefmt="html")
        return (
            "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>chainrule errata</title>"
            "</head><body>\n<h1>Errata: the reference document, formula by formula</h1>\n"
            f"{table}\n</body></html>\n"
        )

    def to_latex(self) -> str:
        """A LaTeX table (booktabs) of the summary."""
        rows = [{k: v for k, v in r.items() if k != "title"} for r in self.summary_rows()]
        return tabulate(rows, headers="keys", tablefmt="latex_booktabs") + "\n"


def _lines(item: Item) -> str:
    lines = item.lines
    if len(lines) > 2 and lines == list(range(lines[0], lines[-1] + 1)):
        return f"{lines[0]}-{lines[-1]}"
    return ", ".join(map(str, lines))


def _quote_markdown(location) -> str:
    if location.kind == "code":
        return f"`{location.quote}`".replace("\t", " ")
    if location.kind == "math":
        math_text = location.quote.replace("&=", "=").replace("\\ &", "")
        return f"$`{math_text.strip()}`$"
    return location.quote


# Longer lists of cases are folded in the Markdown report (GitHub renders <details>).
COLLAPSE_AFTER = 8


def _item_markdown(audited: AuditedItem) -> list[str]:
    item, result = audited.item, audited.check
    out = [f"### {item.title}", "", f"`{item.id}` · line {_lines(item)} · **{result.verdict}**", ""]
    for location in item.locations:
        out.append(f"> line {location.line}: {_quote_markdown(location)}")
        out.append(">")
    out[-1] = ""
    out += [f"**Claim.** {item.claim}", ""]
    rule = "every case must agree" if result.by == "cases" else "the statement's readings"
    out += [f"**Evidence** ({result.method}; {rule}):", ""]
    bullets = []
    for case in result.cases:
        mark = (
            "agrees"
            if case.agrees
            else ("differs (a convention)" if case.convention else "**disagrees**")
        )
        bullets.append(f"- {case.label}: {mark}. {case.detail}")
    if len(bullets) > COLLAPSE_AFTER:
        agreeing = sum(case.agrees for case in result.cases)
        summary = f"{len(bullets)} cases, {agreeing} agree"
        bullets = ["<details>", f"<summary>{summary}</summary>", "", *bullets, "", "</details>", ""]
    out += bullets + [f"- {text}" for text in result.evidence if text]
    out.append("")
    for title, rows in result.tables:
        out += [f"*{title}*", "", tabulate(rows, headers="keys", tablefmt="github"), ""]
    if item.correction:
        holds = {True: " (checked: holds)", False: " (checked: **does not hold**)", None: ""}
        out += [f"**Correction.** {item.correction}{holds[result.correction_holds]}", ""]
    return out


def _json_ready(value):
    """Floats that JSON cannot hold (inf, nan) as strings; NumPy scalars as Python ones."""
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def run_audit(*, seeds: Sequence[int] | None = None, fast: bool = False) -> Audit:
    """Check every item of the document.

    Parameters
    ----------
    seeds : sequence of int, optional
        Seeds of the experiments; default ``range(200)``, or ``range(24)`` when ``fast``.
    fast : bool
        Fewer seeds and shorter experiments (for tests); the formula checks are the same.

    Returns
    -------
    Audit
    """
    if seeds is None:
        seeds = range(24) if fast else range(200)
    seeds = list(seeds)
    if not seeds or not all(
        isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in seeds
    ):
        raise ValueError(f"seeds must be a non-empty sequence of ints, got {seeds!r}")
    missing = [item.id for item in ITEMS if item.id not in CHECKS]
    if missing:
        raise RuntimeError(f"every item needs a check; missing: {', '.join(missing)}")
    start = time.perf_counter()
    context = Context(seeds, fast)
    items = [AuditedItem(item, CHECKS[item.id](context)) for item in ITEMS]
    return Audit(items, seeds, fast, time.perf_counter() - start)


FORMATS = {
    "md": ("errata.md", Audit.to_markdown),
    "json": ("errata.json", Audit.to_json),
    "txt": ("errata.txt", Audit.to_text),
    "html": ("errata.html", Audit.to_html),
    "tex": ("errata.tex", Audit.to_latex),
}


def write_audit(audit: Audit, output_dir, formats: Sequence[str] = ("md",)) -> list[Path]:
    """Write ``audit`` into ``output_dir`` in each of ``formats`` (keys of ``FORMATS``), atomically.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    if isinstance(formats, str):
        formats = [formats]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        known = ", ".join(map(repr, FORMATS))
        raise ValueError(f"formats must be a non-empty list of {known}, got {list(formats)!r}")
    output_dir = Path(output_dir)
    written = []
    for name in formats:
        filename, render = FORMATS[name]
        written.append(atomic_write(output_dir / filename, render(audit)))
    return written
