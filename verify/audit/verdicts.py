"""The verdicts and the evidence behind them.

A check evaluates a statement of the document in several situations or readings, each an
``Evidence``: whether it agrees with the truth, and the figures behind that.

- A statement that must hold in every situation is evaluated in several **cases** (networks whose
  layer sizes differ, random points, each side of a kink): it *holds* when every case agrees, is
  *wrong* when a case disagrees, and *holds only under a convention* when the only disagreements
  are cases marked as a convention (a choice on which correct implementations differ).
- A statement whose text admits several **readings** (an undefined symbol, an index free on
  one side only, an unspecified product or precedence, a word with two meanings), or an unqualified
  empirical claim tested under several conditions, is evaluated under each: it *holds* when all
  readings agree, is *imprecise* when some do and some do not, and *wrong* when none does. The
  literal reading is always among them.
- A **hedged** claim (something *can* happen) is evaluated under several fair conditions: it
  *holds* when at least one shows it, and is *wrong* when none does.

No verdict is typed in: ``verdict_for_cases``, ``verdict_for_readings`` and ``verdict_for_hedged``
compute it from the outcomes. ``compare_arrays`` and the ``*_case`` helpers turn a stated value and
the truth into an ``Evidence``; the entries they name are numbered from 1, as in the document.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from verify.core.compare import compare_gradients

__all__ = [
    "CONVENTION",
    "EXACT_RTOL",
    "HOLDS",
    "IMPRECISE",
    "RELIABLE",
    "ROUNDING",
    "RULES",
    "VANISHING",
    "VERDICTS",
    "WRONG",
    "Check",
    "Comparison",
    "Evidence",
    "by_cases",
    "by_hedged",
    "by_readings",
    "compare_arrays",
    "compared_case",
    "evaluated_case",
    "fmt",
    "fmt_error",
    "one_based",
    "verdict_for_cases",
    "verdict_for_hedged",
    "verdict_for_readings",
]

HOLDS = "holds"
CONVENTION = "holds only under a convention"
IMPRECISE = "imprecise"
WRONG = "wrong"
VERDICTS = (HOLDS, CONVENTION, IMPRECISE, WRONG)
# How a check's evaluations become its verdict (``Check.by``), with the meaning the report gives.
RULES = {
    "cases": "every case must agree",
    "readings": "every reading of the text must agree",
    "hedged": "a claim that something can happen: one fair condition must show it",
}

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


# -- verdicts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
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


def verdict_for_cases(cases: Sequence[Evidence]) -> str:
    """The verdict on a statement that must hold in every case.

    Examples
    --------
    >>> verdict_for_cases([Evidence("z > 0", True), Evidence("z = 0", False, convention=True)])
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


def verdict_for_readings(readings: Sequence[Evidence]) -> str:
    """The verdict on a statement with several readings (or a hedged claim under several
    conditions): holds if every reading agrees, imprecise if some do, wrong if none does.

    Examples
    --------
    >>> verdict_for_readings([Evidence("literal", False), Evidence("intended", True)])
    'imprecise'
    """
    if not readings:
        raise ValueError("readings must hold at least one Case, got none")
    agreeing = sum(reading.agrees for reading in readings)
    if agreeing == len(readings):
        return HOLDS
    return IMPRECISE if agreeing else WRONG


def verdict_for_hedged(conditions: Sequence[Evidence]) -> str:
    """The verdict on a hedged claim ("can yield faster convergence") tested under several fair
    conditions: holds if one condition shows it, wrong if none does.

    Examples
    --------
    >>> verdict_for_hedged([Evidence("standard start", False), Evidence("saturated start", True)])
    'holds'
    """
    if not conditions:
        raise ValueError("conditions must hold at least one Case, got none")
    return HOLDS if any(condition.agrees for condition in conditions) else WRONG


@dataclass
class Check:
    """What one check computed.

    Attributes
    ----------
    verdict : str
        One of ``VERDICTS``, computed by ``verdict_for_cases`` or ``verdict_for_readings``.
    method : str
        How the truth was obtained ("symbolic", "complex step", "experiment", "program", ...).
    cases : list of Evidence
        Every evaluation, with its figures.
    by : {"cases", "readings", "hedged"}
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
    cases: list[Evidence]
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


def by_hedged(conditions, method: str, **details) -> Check:
    """A Check whose verdict is ``verdict_for_hedged(conditions)``."""
    return Check(verdict_for_hedged(conditions), method, list(conditions), "hedged", **details)


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


_INDEX = re.compile(r"\[(\d+(?:, \d+)*)\]:|first at \((\d+(?:, \d+)*),?\)")


def one_based(detail: str) -> str:
    """``verify.core.compare``'s entry positions (NumPy's, from 0) numbered from 1, as the document
    numbers units and layers: ``"[0, 2]: 1.5 vs 2"`` becomes ``"entry (1, 3): 1.5 vs 2"``.

    Examples
    --------
    >>> one_based("2 of 4 entries off; worst [3]: 1.094 vs 2.415; [0, 1]: -0.7 vs 0.09")
    '2 of 4 entries off; worst entry (4): 1.094 vs 2.415; entry (1, 2): -0.7 vs 0.09'
    """

    def renumber(match: re.Match) -> str:
        numbers = match.group(1) or match.group(2)
        shifted = ", ".join(str(int(n) + 1) for n in numbers.split(", "))
        return f"entry ({shifted}):" if match.group(1) else f"first at entry ({shifted})"

    return _INDEX.sub(renumber, detail)


def compare_arrays(stated, truth, rtol: float = EXACT_RTOL, named_factors=None) -> Comparison:
    """Compare arrays with ``verify.core.compare``, which also names a sign, a factor or a shape;
    entries are named 1-based."""
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
    return Comparison(
        finding.passed, finding.max_rel_error, finding.kind, one_based(detail), finding.factor
    )


def fmt_error(error: float | None) -> str:
    """A relative error for the report: agreement to rounding is shown as a bound."""
    if error is None:
        return "n/a"
    return f"<= {ROUNDING:.0e}" if error <= ROUNDING else f"{error:.2g}"


def fmt(value: float) -> str:
    return f"{value:.4g}"


def compared_case(label: str, stated, truth, **options) -> Evidence:
    """An Evidence from ``compare_arrays(stated, truth)``."""
    result = compare_arrays(stated, truth)
    return Evidence(label, result.agrees, result.text(), error=result.error, **options)


def evaluated_case(label: str, truth, function: Callable, *args) -> Evidence:
    """An Evidence from ``function(*args)``, a literal transcription that may fail (an index out of
    range, a product of incompatible shapes): the failure is the finding."""
    try:
        stated = function(*args)
    except (IndexError, ValueError) as err:
        return Evidence(label, False, f"cannot be evaluated: {type(err).__name__}: {err}")
    return compared_case(label, stated, truth)
