"""The cross-check matrix: symbolic, analytic and finite-difference gradients, every pair, both
convention sets.

For each case (a convention set, a hidden activation, an output activation and cost, an
architecture, a seed) three sources give the gradient of the same batch cost:

- ``symbolic``: ``derive`` differentiates the definitions (under the convention set's definitions,
  e.g. the document's 1/(1 + e^{z}) sigmoid) and emits a NumPy function;
- ``analytic``: ``numeric``'s backprop with the convention set's stated derivatives;
- ``finite_difference``: complex-step differences of ``numeric``'s forward pass, which use the
  functions only.

Each pair is compared per layer and parameter with ``verify.core.compare``. Under "corrected" all
three must agree; under "as written" the analytic side follows the document's formulas, and where
they are wrong the comparison says how (negated, scaled...), in which layers, and whether the
errors of several formulas cancel.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from numeric import ACTIVATIONS, COSTS
from verify.core.compare import Finding, compare_gradients
from verify.core.complex_step import complex_derivative
from verify.core.finite_differences import network_gradient
from verify.core.params import parameter_count
from verify.core.problems import make_problem
from verify.matrix.conventions import ConventionSet, get_conventions

__all__ = [
    "DOCUMENT_PAIRS",
    "Case",
    "CaseResult",
    "Matrix",
    "catalogue_pairs",
    "run_matrix",
]

SOURCES = ("symbolic", "analytic", "finite_difference")
# Each pair is (candidate, reference): the finite difference is the reference that trusts least.
COMPARISONS = (
    ("analytic", "finite_difference"),
    ("symbolic", "finite_difference"),
    ("analytic", "symbolic"),
)
ARCHITECTURES = ((2, 3, 2), (3, 4, 3, 2))
SEEDS = (0, 1)
N_SAMPLES = 4
# The symbolic source expands every parameter's gradient; keep it to networks SymPy handles fast.
SYMBOLIC_PARAMETER_LIMIT = 60
# The network on which relu'(0) is exercised: a relu hidden layer under an output and cost whose
# formulas hold in both convention sets, so that only the value at the kink can differ.
KINK_SIZES = (2, 3, 2)


def _output_for(activation: str, cost: str) -> str:
    """The output activation paired with ``cost``: the hidden one when its range fits the cost
    (and, for distribution targets, it gives distributions), else the cost's declared output."""
    declared = COSTS[cost]
    return activation if declared.pairs_with(ACTIVATIONS[activation]) else declared.output


def catalogue_pairs() -> list[tuple[str, str, str]]:
    """(hidden activation, output activation, cost) for every activation and cost there is."""
    return [(act, _output_for(act, cost), cost) for cost in COSTS for act in ACTIVATIONS]


# The document's three nonlinearities with its two costs.
DOCUMENT_PAIRS = [
    (act, _output_for(act, cost), cost)
    for cost in ("squared_error", "cross_entropy")
    for act in ("sigmoid", "tanh", "relu")
]


@dataclass(frozen=True)
class Case:
    conventions: str
    hidden: str
    output: str
    cost: str
    sizes: tuple[int, ...]
    seed: int
    at_kink: bool = False  # one sample's first-layer pre-activations are exactly 0

    @property
    def activations(self) -> list[str]:
        return [self.hidden] * (len(self.sizes) - 2) + [self.output]

    @property
    def label(self) -> str:
        kink = " at the kink" if self.at_kink else ""
        return f"{self.hidden}/{self.output}/{self.cost} {list(self.sizes)} seed {self.seed}{kink}"


@dataclass
class CaseResult:
    """The three-way comparison of one case."""

    case: Case
    comparisons: dict[tuple[str, str], list[Finding]]
    formula_errors: dict[str, str] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(f.passed for findings in self.comparisons.values() for f in findings)

    def max_rel_error(self, pair: tuple[str, str]) -> float:
        errors = [
            f.max_rel_error
            for f in self.comparisons.get(pair, ())
            if f.max_rel_error is not None and not math.isnan(f.max_rel_error)
        ]
        return max(errors, default=math.nan)

    def layer_effects(self) -> list[str]:
        """What the analytic side's formulas do to each layer's gradient, from the findings."""
        findings = self.comparisons[("analytic", "finite_difference")]
        n_layers = len(self.case.sizes) - 1
        effects = []
        for m in range(n_layers, 0, -1):
            kinds = {f.param: f for f in findings if f.layer == m}
            wrong = self._wrong_formulas_in_chain(m)
            w = kinds["W"]
            text = f"layer {m}: {w.kind}" + (
                f" (factor {w.factor:.6g})" if w.kind == "scale" and w.factor else ""
            )
            if w.passed and wrong:
                text += f" although {len(wrong)} negated formulas enter it: errors cancel"
            effects.append(text)
        return effects

    def _wrong_formulas_in_chain(self, m: int) -> list[str]:
        """The negated formulas that multiply into delta^m: the cost's and layers m..L's."""
        wrong = []
        if self.formula_errors.get(self.case.cost) == "negated":
            wrong.append(f"dC/da ({self.case.cost})")
        for layer, name in enumerate(self.case.activations, start=1):
            if layer >= m and self.formula_errors.get(name) == "negated":
                wrong.append(f"sigma' ({name}, layer {layer})")
        return wrong


@dataclass
class Matrix:
    """All case results, with the settings that produced them."""

    results: list[CaseResult]
    conventions: list[ConventionSet]
    seconds: float

    @property
    def passed(self) -> bool:
        """True when every comparison under the corrected conventions agrees."""
        return all(r.passed for r in self.results if r.case.conventions == "corrected")

    def failures(self, conventions: str = "corrected") -> list[CaseResult]:
        return [r for r in self.results if r.case.conventions == conventions and not r.passed]


def formula_errors(conventions: ConventionSet, names: Sequence[str]) -> dict[str, str]:
    """For each activation and cost name, how its stated derivative relates to the true one.

    Measured, not assumed: the stated derivative (the numeric object's) against a complex-step
    derivative of the same object's function at seeded points. "ok", "negated" or "differs".
    """
    rng = np.random.default_rng(0)
    z = rng.uniform(-3, 3, (5, 3))
    h = 1e-30
    verdicts = {}
    for name in names:
        if name in ACTIVATIONS:
            act = conventions.numeric_activation(name)
            if not act.elementwise:
                verdicts[name] = "ok"  # its vjp is checked by the matrix itself
                continue
            stated = act.derivative(z, act(z))
            true = complex_derivative(act, z, h=h)
        else:
            cost = conventions.numeric_cost(name)
            a = rng.uniform(0.1, 0.9, (5, 3))
            y = rng.uniform(0, 1, (5, 3))
            stated = cost.gradient(a, y)

            def value(v, cost=cost, y=y):
                return cost.value(v, y)

            true = np.stack(
                [complex_derivative(value, a, np.eye(3)[k], h) for k in range(3)], axis=1
            )
        if np.allclose(stated, true, rtol=1e-12, atol=1e-14):
            verdicts[name] = "ok"
        elif np.allclose(stated, -true, rtol=1e-12, atol=1e-14):
            verdicts[name] = "negated"
        else:
            verdicts[name] = "differs"
    return verdicts


class _SymbolicCache:
    """Lambdified symbolic gradients, derived once per distinct definition and architecture."""

    def __init__(self):
        self._functions = {}

    def gradient_function(self, conventions: ConventionSet, case: Case):
        import derive

        acts = [conventions.symbolic_activation(a) for a in case.activations]
        key = (tuple(map(str, acts)), conventions.symbolic_cost(case.cost), case.sizes)
        if key not in self._functions:
            network = derive.derive_network(
                list(case.sizes), acts, conventions.symbolic_cost(case.cost)
            )
            self._functions[key] = network.lambdify()
        return self._functions[key]


def run_case(case: Case, symbolic: _SymbolicCache | None, errors: dict[str, str]) -> CaseResult:
    conventions = get_conventions(case.conventions)
    network = conventions.network(list(case.sizes), case.activations, case.cost, seed=case.seed)
    params, X, y = make_problem(network, n_samples=N_SAMPLES, seed=case.seed)
    if case.at_kink:  # x = 0 and b^1 = 0 put z^1 of the first sample exactly on relu's kink
        X[0] = 0.0
        params[0][1][:] = 0.0
    network.params = params
    gradients = {"analytic": network.gradients(X, y)}
    with np.errstate(all="ignore"):
        fd = network_gradient(network, X, y, method="complex", perturb="parameters")
    gradients["finite_difference"] = fd.gradient
    if symbolic is not None:
        gradients["symbolic"] = symbolic.gradient_function(conventions, case)(params, X, y)
    comparisons = {
        (candidate, reference): compare_gradients(
            gradients[candidate],
            gradients[reference],
            dtype=np.float64,
            kinks=fd.kink,  # where a step crosses a kink, the sources may take different sides
        )
        for candidate, reference in COMPARISONS
        if candidate in gradients and reference in gradients
    }
    used = {case.cost, *case.activations}
    return CaseResult(case, comparisons, {k: v for k, v in errors.items() if k in used})


def run_matrix(
    *,
    conventions: Sequence[str] = ("corrected", "as_written"),
    pairs: Sequence[tuple[str, str, str]] | None = None,
    architectures: Sequence[Sequence[int]] = ARCHITECTURES,
    seeds: Sequence[int] = SEEDS,
    symbolic: bool = True,
    progress=None,
) -> Matrix:
    """Run every case and return the matrix.

    Parameters
    ----------
    conventions : names of convention sets
    pairs : (hidden, output, cost) triples; default the whole catalogue (``catalogue_pairs()``)
    architectures : layer sizes to run each pair on
    seeds : seeds of parameters and data
    symbolic : include the symbolic source (networks up to ``SYMBOLIC_PARAMETER_LIMIT`` parameters)
    progress : callable(done, total, case) or None
    """
    start = time.perf_counter()
    pairs = catalogue_pairs() if pairs is None else list(pairs)
    sets = [get_conventions(c) for c in conventions]
    cache = _SymbolicCache() if symbolic else None
    names = sorted({n for p in pairs for n in p})
    errors = {c.name: formula_errors(c, names) for c in sets}
    cases = [
        Case(c.name, hidden, output, cost, tuple(sizes), seed)
        for c, (hidden, output, cost), sizes, seed in itertools.product(
            sets, pairs, architectures, seeds
        )
    ]
    if "relu" in names:
        cases += [
            Case(c.name, "relu", "softmax", "categorical_cross_entropy", KINK_SIZES, 0, True)
            for c in sets
        ]
    results = []
    for done, case in enumerate(cases, start=1):
        n_params = parameter_count(case.sizes)
        use_symbolic = cache if n_params <= SYMBOLIC_PARAMETER_LIMIT else None
        results.append(run_case(case, use_symbolic, errors[case.conventions]))
        if progress is not None:
            progress(done, len(cases), case)
    return Matrix(results, sets, time.perf_counter() - start)
