"""Proof that route (a), direct differentiation, and route (b), symbolic backprop, agree.

Per parameter, cheapest first:

1. exact, structurally identical expressions;
2. exact, both become the same rational function once every transcendental subexpression is
   named by a symbol (``derive.algebra.Atomizer``), shown by expanding the numerator of their
   difference; tried only where the
   rational forms are small enough for that to be quick (never ``simplify``, which can hang);
3. numeric: both routes evaluated with mpmath at ``points`` seeded random points to ``digits``
   significant digits; they agree when every difference is below 10^-(digits - 10) relative.

Random points are real (Piecewise conditions need real arguments) and almost surely avoid kinks.

Route (a) is differentiated parameter by parameter (``SymbolicNetwork.direct_gradient``: once per
shared subexpression of the cost), so the proof reports its progress after each parameter and stops
at a time budget, saying how far it got (``ProofBudgetExceeded``).
"""

from __future__ import annotations

import contextlib
import math
import numbers
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import mpmath
import numpy as np
import sympy as sp

from derive.algebra import Atomizer, differentiate, is_zero
from derive.symbols import operation_count
from derive.validation import argument_error

if TYPE_CHECKING:
    from derive.network import Parameter, SymbolicNetwork

__all__ = [
    "ENGINES",
    "EXACT_OPERATION_LIMIT",
    "ParameterProof",
    "ProofBudgetExceeded",
    "ProofProgress",
    "ProofResult",
    "prove",
]

# Above this many operations on both atomized sides together, the exact test can take a second or
# more per parameter (measured on [3,4,4,2]: 50 -> 0.03 s, 81 -> 0.16 s, 96 -> 1.2 s), longer
# than evaluating at a few points.
EXACT_OPERATION_LIMIT = 90

# How route (a) is computed: "memoized" (``SymbolicNetwork.direct_gradient``, and its shared
# subexpressions as the common subexpressions of the evaluation) or "sympy" (``sympy.diff`` of the
# whole cost for each parameter and ``sympy.cse``: the same expressions, several times slower; the
# reference that the benchmark measures and the tests compare against).
ENGINES = ("memoized", "sympy")

# Route (a) is differentiated without recursion, but SymPy's own algorithms (xreplace in route
# (b)'s expansion, lambdify's printer, together) recurse as deep as an expression is nested, about
# 10 frames per layer: a chain of 100 one-unit layers (derive's 200-parameter limit) needs more
# than Python's default of 1,000. The proof raises the limit to this while it runs.
RECURSION_LIMIT = 10_000


@dataclass(frozen=True)
class ParameterProof:
    """How equality of dC/dp by both routes was established for one parameter p.

    Attributes
    ----------
    parameter : Parameter
    equal : bool
        Whether the routes agree.
    method : str
        "exact" or "numeric".
    detail : str
        E.g. "structurally identical", "cancel", "5 points, 50 digits, max diff 3.1e-52".
    max_difference : float or None
        Largest relative difference at the random points (numeric method only).
    """

    parameter: Parameter
    equal: bool
    method: str
    detail: str
    max_difference: float | None = None

    @property
    def description(self) -> str:
        """One line: parameter, verdict and method."""
        verdict = "equal" if self.equal else "DIFFERENT"
        return f"{self.parameter.label}: {verdict} ({self.method}, {self.detail})"


@dataclass(frozen=True)
class ProofResult:
    """Per-parameter proofs that routes (a) and (b) agree, in the parameters' layout order."""

    proofs: list[ParameterProof]
    points: int
    digits: int
    seed: int

    @property
    def equal(self) -> bool:
        """True when every parameter's two gradients agree."""
        return all(proof.equal for proof in self.proofs)

    @property
    def failures(self) -> list[ParameterProof]:
        """The parameters whose two gradients differ (empty when ``equal``)."""
        return [proof for proof in self.proofs if not proof.equal]

    def counts(self) -> dict[str, int]:
        """Number of parameters settled by each method, e.g. {"exact": 9, "numeric": 0}."""
        counts = {"exact": 0, "numeric": 0}
        for proof in self.proofs:
            counts[proof.method] += 1
        return counts

    def summary(self) -> str:
        """One line: overall verdict and how many parameters each method settled."""
        counts = self.counts()
        verdict = "Routes (a) and (b) agree" if self.equal else "Routes (a) and (b) DIFFER"
        worst = max(
            (p.max_difference for p in self.proofs if p.max_difference is not None), default=None
        )
        numeric = f"{counts['numeric']} numerically ({self.points} seeded points, seed "
        numeric += f"{self.seed}, {self.digits} digits"
        numeric += f", max relative diff {worst:.1e})" if worst is not None else ")"
        return f"{verdict} for {len(self.proofs)} parameters: {counts['exact']} exactly, {numeric}"


@dataclass(frozen=True)
class ProofProgress:
    """What ``prove`` reports to its ``progress`` callback, after each step.

    Attributes
    ----------
    stage : str
        "route (a)": ``parameter`` was differentiated and, where cheap, compared exactly (one event
        per parameter, ``done`` of ``total`` parameters); "numeric": the parameters left are
        evaluated at the random points (``done`` of ``total`` points, 0 when about to start).
    done, total : int
    parameter : Parameter or None
        The parameter just handled ("route (a)" only).
    settled : int
        Parameters whose proof is complete so far.
    seconds : float
        Wall-clock seconds since ``prove`` started.
    """

    stage: str
    done: int
    total: int
    parameter: Parameter | None
    settled: int
    seconds: float

    @property
    def label(self) -> str:
        """What was just done, e.g. ``W^1[2,3]`` or ``point 2 of 3``."""
        if self.parameter is not None:
            return self.parameter.label
        return f"point {self.done} of {self.total}" if self.done else "lambdify"

    def __str__(self) -> str:
        return (
            f"prove: {self.stage} {self.done}/{self.total} {self.label}, "
            f"{self.settled} settled, {self.seconds:.1f} s"
        )


class ProofBudgetExceeded(RuntimeError):
    """``prove`` stopped at its time budget; the message says how far it got.

    Attributes
    ----------
    partial : ProofResult
        The parameters settled before the budget ran out (the others are absent).
    total : int
        The network's number of parameters.
    differentiated : int
        Parameters whose route (a) gradient was computed (settled ones included).
    stage : str
        "route (a)" or "numeric": where it stopped.
    seconds, budget_seconds : float
        Time spent and the budget.
    """

    def __init__(
        self,
        partial: ProofResult,
        total: int,
        differentiated: int,
        stage: str,
        seconds: float,
        budget_seconds: float,
    ) -> None:
        self.partial, self.total, self.differentiated = partial, total, differentiated
        self.stage, self.seconds, self.budget_seconds = stage, seconds, budget_seconds
        settled = len(partial.proofs)
        counts = partial.counts()
        super().__init__(
            f"proof stopped at its budget of {budget_seconds:g} s after {seconds:.1f} s, during "
            f"{stage}: {settled} of {total} parameters settled ({counts['exact']} exactly, "
            f"{counts['numeric']} numerically"
            + (f", {len(partial.failures)} DIFFERENT" if partial.failures else "")
            + f"), {differentiated - settled} differentiated and waiting for the numeric "
            f"comparison, {total - differentiated} not differentiated; raise the budget to finish"
        )


class _Clock:
    """Seconds since the start, and the budget check."""

    def __init__(self, budget_seconds: float | None) -> None:
        self.start = time.perf_counter()
        self.budget = budget_seconds

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.start

    def exceeded(self) -> bool:
        return self.budget is not None and self.seconds > self.budget


@contextlib.contextmanager
def _recursion_limit(limit: int) -> Iterator[None]:
    """Python's recursion limit at least ``limit`` inside the block, restored afterwards."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(max(before, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(before)


def prove(
    network: SymbolicNetwork,
    *,
    points: int = 3,
    digits: int = 50,
    seed: int = 0,
    progress: Callable[[ProofProgress], object] | None = None,
    budget_seconds: float | None = None,
    engine: str = "memoized",
) -> ProofResult:
    """Compare route (a) and route (b) gradients of ``network`` parameter by parameter.

    Parameters
    ----------
    network : SymbolicNetwork
    points : int, default 3
        Random points for parameters that are not settled exactly.
    digits : int, default 50
        Working precision (significant decimal digits) of the evaluation, at least 20.
    seed : int, default 0
        Seed of the random points.
    progress : callable or None
        Called with a ``ProofProgress`` after each parameter is differentiated (and compared
        exactly where cheap), and around each step of the numeric comparison.
    budget_seconds : float or None
        Wall-clock seconds the proof may take; checked between parameters and between the steps
        of the numeric comparison (a single step is not interrupted). When exceeded, raises
        ``ProofBudgetExceeded`` saying how far it got, with the parameters settled so far.
    engine : {"memoized", "sympy"}
        How route (a) is computed: ``SymbolicNetwork.direct_gradient`` (each shared subexpression
        differentiated once) and the DAG's shared subexpressions as the common subexpressions of
        the evaluation, with a modular evaluation at a random point that settles "not exactly
        equal" before the exact test expands anything; or, as before memoization, ``sympy.diff``
        of the whole cost per parameter, ``sympy.cse`` and the exact test alone (the same
        gradients and verdicts, several times slower: the reference).

    Returns
    -------
    ProofResult

    Raises
    ------
    ProofBudgetExceeded
        When ``budget_seconds`` runs out first.
    """
    points = _check_int("points", points, 1)
    digits = _check_int("digits", digits, 20)
    seed = _check_int("seed", seed, 0)
    if progress is not None and not callable(progress):
        raise argument_error("progress", "a callable or None", progress, TypeError)
    if budget_seconds is not None:
        if isinstance(budget_seconds, bool) or not isinstance(budget_seconds, numbers.Real):
            raise argument_error(
                "budget_seconds", "a number > 0 or None", budget_seconds, TypeError
            )
        if not (budget_seconds > 0 and math.isfinite(budget_seconds)):
            raise argument_error("budget_seconds", "a finite number > 0 or None", budget_seconds)
        budget_seconds = float(budget_seconds)
    if engine not in ENGINES:
        raise argument_error("engine", f"one of {', '.join(map(repr, ENGINES))}", engine)
    clock = _Clock(budget_seconds)
    with _recursion_limit(RECURSION_LIMIT):
        return _prove(network, points, digits, seed, progress, clock, engine)


def _check_int(name: str, value, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise argument_error(name, f"an int >= {least}", value, TypeError)
    if value < least:
        raise argument_error(name, f"an int >= {least}", value)
    return int(value)


def _prove(network, points, digits, seed, progress, clock, engine) -> ProofResult:
    parameters = network.parameters
    total = len(parameters)
    via_backprop = network.backprop.expanded_gradients()
    atomize = Atomizer()
    proofs: dict[sp.Symbol, ParameterProof] = {}
    direct: dict[sp.Symbol, sp.Expr] = {}
    pending = []

    def stop(stage: str) -> ProofBudgetExceeded:
        settled = [proofs[p.symbol] for p in parameters if p.symbol in proofs]
        partial = ProofResult(settled, points, digits, seed)
        return ProofBudgetExceeded(partial, total, len(direct), stage, clock.seconds, clock.budget)

    def report(stage: str, done: int, of: int, parameter=None) -> None:
        if progress is not None:
            progress(ProofProgress(stage, done, of, parameter, len(proofs), clock.seconds))

    for done, parameter in enumerate(parameters, start=1):
        if clock.exceeded():
            raise stop("route (a)")
        symbol = parameter.symbol
        if engine == "memoized":
            direct[symbol] = network.direct_gradient(symbol)
        else:
            direct[symbol] = differentiate(network.cost_expression, symbol)
        proof = _exact_proof(
            parameter, direct[symbol], via_backprop[symbol], atomize, engine == "memoized"
        )
        if proof is None:
            pending.append(parameter)
        else:
            proofs[symbol] = proof
        report("route (a)", done, total, parameter)
    if pending:
        if clock.exceeded():
            raise stop("numeric")
        report("numeric", 0, points)
        differences = _relative_differences(
            network, pending, direct, points, digits, seed, clock, report, engine
        )
        if differences is None:
            raise stop("numeric")
        tolerance = 10.0 ** (10 - digits)
        for parameter, worst in zip(pending, differences):
            detail = f"{points} points, {digits} digits, max relative diff {worst:.1e}"
            proofs[parameter.symbol] = ParameterProof(
                parameter, worst <= tolerance, "numeric", detail, worst
            )
    ordered = [proofs[p.symbol] for p in parameters]
    return ProofResult(ordered, points, digits, seed)


def _exact_proof(parameter, a, b, atomize, screen: bool) -> ParameterProof | None:
    """The exact proof that a == b, or None when not shown cheaply (then numeric decides);
    ``screen``: first look for a point where they differ (``_nonzero_somewhere``)."""
    if a == b:
        return ParameterProof(parameter, True, "exact", "structurally identical")
    a, b = atomize(a), atomize(b)
    if operation_count(a) + operation_count(b) > EXACT_OPERATION_LIMIT:
        return None
    difference = a - b
    if (screen and _nonzero_somewhere(difference)) or not is_zero(difference):
        return None
    return ParameterProof(
        parameter, True, "exact", "rational identity, transcendental subexpressions as atoms"
    )


# A prime for evaluating rational functions modulo it (2^61 - 1).
_PRIME = (1 << 61) - 1


def _nonzero_somewhere(expr: sp.Expr, seed: int = 0) -> bool:
    """True when the rational function ``expr`` (Add, Mul, integer Pow of symbols and rationals)
    is certainly not identically zero: its value at a random point, computed modulo a prime, is
    not 0. False says nothing (zero there, a denominator vanished, or another kind of node).

    ``is_zero`` decides the same question exactly but expands the numerator, which can take
    minutes where the expansion grows with depth (a chain of softplus layers): a nonzero value
    at one point settles "not zero" first, and ``is_zero`` runs only otherwise, so a parameter's
    verdict is the one ``is_zero`` alone gives. Floats are left to ``is_zero`` (their arithmetic
    is rounded, modular arithmetic is exact).
    """
    rng = np.random.default_rng(seed)
    values: dict[sp.Basic, int] = {}
    stack = [expr]
    while stack:
        node = stack[-1]
        if node in values:
            stack.pop()
            continue
        if node.is_Symbol:
            values[node] = int(rng.integers(1, _PRIME))
        elif node.is_Rational:
            try:
                values[node] = node.p * pow(node.q, -1, _PRIME) % _PRIME
            except ValueError:  # q is a multiple of the prime
                return False
        elif isinstance(node, (sp.Add, sp.Mul)) or (
            isinstance(node, sp.Pow) and node.exp.is_Integer
        ):
            todo = [arg for arg in node.args if arg not in values]
            if todo:
                stack.extend(todo)
                continue
            if isinstance(node, sp.Add):
                values[node] = sum(values[arg] for arg in node.args) % _PRIME
            elif isinstance(node, sp.Mul):
                product = 1
                for arg in node.args:
                    product = product * values[arg] % _PRIME
                values[node] = product
            else:
                try:
                    values[node] = pow(values[node.base], int(node.exp), _PRIME)
                except ValueError:  # a denominator is 0 at this point
                    return False
        else:
            return False
        stack.pop()
    return values[expr] != 0


def _relative_differences(
    network, pending, direct, points, digits, seed, clock, report, engine
) -> list[float] | None:
    """Largest relative difference between the routes for each pending parameter (None when the
    clock's budget ran out first)."""
    data = [s for x in network.inputs for s in x] + [s for y in network.targets for s in y]
    arguments = network.parameter_symbols + data
    backprop = network.backprop
    symbols = [p.symbol for p in pending]
    route_a = sp.lambdify(
        arguments,
        [direct[s] for s in symbols],
        modules="mpmath",
        cse=_shared_subexpressions if engine == "memoized" else _sympy_cse,
        use_imps=False,  # no implemented functions; skips a walk over the whole (tree) expression
    )
    # Route (b) evaluates its own straight-line program: the definitions are its subexpressions.
    chain = list(backprop.definitions.items())
    route_b = sp.lambdify(
        arguments,
        [backprop.gradients[s] for s in symbols],
        modules="mpmath",
        cse=lambda exprs: (chain, exprs),
        use_imps=False,
    )
    rng = np.random.default_rng(seed)
    n_targets = sum(len(y) for y in network.targets)
    worst = [0.0] * len(symbols)
    with mpmath.workdps(digits):
        for done in range(1, points + 1):
            if clock.exceeded():
                return None
            # Parameters and inputs in (-1, 1); targets in (0.05, 0.95), inside every catalogue
            # cost's domain. Floats are exact binary fractions, so the point itself is exact.
            values = np.concatenate(
                [
                    rng.uniform(-1.0, 1.0, len(arguments) - n_targets),
                    rng.uniform(0.05, 0.95, n_targets),
                ]
            )
            point = [mpmath.mpf(float(v)) for v in values]
            for k, (va, vb) in enumerate(zip(route_a(*point), route_b(*point))):
                scale = max(mpmath.mpf(1), abs(va), abs(vb))
                worst[k] = max(worst[k], float(abs(va - vb) / scale))
            report("numeric", done, points)
    return worst


def _sympy_cse(exprs: list) -> tuple[list, list]:
    return sp.cse(exprs, order="none")  # canonical ordering is slower here


def _shared_subexpressions(exprs: list) -> tuple[list, list]:
    """Common subexpressions of ``exprs`` for ``lambdify``'s ``cse=``: every compound node of their
    DAG used more than once becomes a definition, in evaluation order (an iterative walk).

    Route (a)'s gradients share the cost's subexpressions (and each other's), which is all the
    elimination they need: SymPy's ``cse`` also searches for common factors and terms of
    products and sums, which costs several times more than the evaluation it saves.
    """
    order, uses = [], {}
    for root in exprs:
        uses[root] = uses.get(root, 0) + 1
        stack = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if uses[node] > 1 or node.is_Atom:
                continue  # met before (its arguments are counted) or has none
            stack.append((node, True))
            for arg in node.args:
                uses[arg] = uses.get(arg, 0) + 1
                stack.append((arg, False))
    rebuilt: dict = {}
    definitions = []
    for node in order:  # arguments before the nodes that use them
        if node in rebuilt:
            continue
        args = [rebuilt.get(arg, arg) for arg in node.args]
        new = node if all(a is b for a, b in zip(args, node.args)) else _rebuild(node, args)
        if uses[node] > 1 and not isinstance(node, (sp.logic.boolalg.Boolean, sp.Tuple)):
            symbol = sp.Dummy(f"s{len(definitions)}")
            definitions.append((symbol, new))
            new = symbol
        rebuilt[node] = new
    return definitions, [rebuilt.get(e, e) for e in exprs]


def _rebuild(node, args):
    """``node`` with new arguments, kept as it is (no re-evaluation) where the class allows."""
    try:
        return node.func(*args, evaluate=False)
    except TypeError:
        return node.func(*args)
