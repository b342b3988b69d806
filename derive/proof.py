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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import mpmath
import numpy as np
import sympy as sp

from derive.algebra import Atomizer, is_zero
from derive.symbols import operation_count
from derive.validation import argument_error

if TYPE_CHECKING:
    from derive.network import Parameter, SymbolicNetwork

__all__ = ["EXACT_OPERATION_LIMIT", "ParameterProof", "ProofResult", "prove"]

# Above this many operations on both atomized sides together, the exact test can take a second or
# more per parameter (measured on [3,4,4,2]: 50 -> 0.03 s, 81 -> 0.16 s, 96 -> 1.2 s), longer
# than evaluating at a few points.
EXACT_OPERATION_LIMIT = 90


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


def prove(
    network: SymbolicNetwork, *, points: int = 3, digits: int = 50, seed: int = 0
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

    Returns
    -------
    ProofResult
    """
    if points < 1:
        raise argument_error("points", "an int >= 1", points)
    if digits < 20:
        raise argument_error("digits", "an int >= 20", digits)
    direct = network.direct_gradients
    via_backprop = network.backprop.expanded_gradients()
    atomize = Atomizer()
    proofs: dict[sp.Symbol, ParameterProof] = {}
    pending = []
    for parameter in network.parameters:
        a, b = direct[parameter.symbol], via_backprop[parameter.symbol]
        if a == b:
            proofs[parameter.symbol] = ParameterProof(
                parameter, True, "exact", "structurally identical"
            )
            continue
        a, b = atomize(a), atomize(b)
        if operation_count(a) + operation_count(b) <= EXACT_OPERATION_LIMIT and is_zero(a - b):
            proofs[parameter.symbol] = ParameterProof(
                parameter,
                True,
                "exact",
                "rational identity, transcendental subexpressions as atoms",
            )
        else:
            pending.append(parameter)
    if pending:
        differences = _relative_differences(network, pending, direct, points, digits, seed)
        tolerance = 10.0 ** (10 - digits)
        for parameter, worst in zip(pending, differences):
            detail = f"{points} points, {digits} digits, max relative diff {worst:.1e}"
            proofs[parameter.symbol] = ParameterProof(
                parameter, worst <= tolerance, "numeric", detail, worst
            )
    ordered = [proofs[p.symbol] for p in network.parameters]
    return ProofResult(ordered, points, digits, seed)


def _relative_differences(network, pending, direct, points, digits, seed) -> list[float]:
    """Largest relative difference between the routes for each pending parameter."""
    data = [s for x in network.inputs for s in x] + [s for y in network.targets for s in y]
    arguments = network.parameter_symbols + data
    backprop = network.backprop
    symbols = [p.symbol for p in pending]
    route_a = sp.lambdify(
        arguments,
        [direct[s] for s in symbols],
        modules="mpmath",
        cse=lambda exprs: sp.cse(exprs, order="none"),  # canonical ordering is slower here
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
        for _ in range(points):
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
    return worst
