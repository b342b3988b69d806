"""Naming the real cause of a failed ``check_gradients``: conventions, penalties, parameters.

The comparison (``verify.core.compare``) says what each parameter's gradient is: scaled by 0.5, a
mismatch. That is not yet why. A failed check is examined further, by running the user's function
again on problems built to tell explanations apart, and an explanation is stated only when it
survives every run; a declaration is proposed only when the check passes with it.

Hard labels
    With soft targets (the default for cross-entropy), a backward pass that argmaxes y or asserts
    0/1 targets fails. The check is run again on one-hot targets (and class labels): when that
    passes, the report says so.
Factors
    A factor k shared by the failing parameters is matched against c n_samples^p n_outputs^q
    (c in 1, 2, 1/2; p, q in -1, 0, 1). The check is run again at another batch size, and, when
    the survivors still differ in their dependence on the outputs, with another number of
    outputs; only the explanations that give the factor of every run are named.
Weight decay
    yours = k reference + c_W W + c_b b is fitted by least squares over every layer, and accepted
    when it holds entry by entry within the check's tolerance: "an L2 term with coefficient c",
    with or without the biases, and whether c scales with 1/n_samples (scikit-learn's alpha).
Activation parameters
    For leaky ReLU and ELU layers the parameter (slope, alpha) is fitted to the returned gradient
    on the same problem: "your gradient is that of leaky_relu(0.2)".
Your own forward pass or loss
    Given ``forward(params, X)`` or ``loss(params, X, y)``, the report separates "your network (or
    cost) computes a different function from the declared one" from "your backward pass is wrong":
    the forward output and the loss value are compared with the declared network's, and the
    gradient with finite differences of your own loss (``gradcheck``): the verdicts are in
    ``verify.oracle.forward_and_loss``.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from itertools import product

import numpy as np

from numeric.activations import PARAMETRIZED
from verify.core.compare import (
    Finding,
    compare_gradients,
    default_tolerances,
    describe_factor,
    summarize,
)
from verify.oracle.conventions import Conventions, Problem, activation_family
from verify.oracle.forward_and_loss import forward_verdict, loss_verdict

__all__ = ["Trial", "diagnose", "explain_factor"]

# Batch sizes for the confirming run, in order of preference: small primes, unlike any default.
_OTHER_SAMPLE_COUNTS = (5, 7, 3, 11)
# The kinds a failing check must show for each examination to apply.
_FITTED_KINDS = {"mismatch", "scale", "sign"}
_CROSS_ENTROPIES = ("cross_entropy", "categorical_cross_entropy")
# Grids of parameter values tried first, then refined by golden-section search around the best.
_GRIDS = {
    "leaky_relu": (0.0, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 1.0),
    "elu": (0.1, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.6733, 2.0, 3.0),
}


@dataclass(frozen=True)
class Trial:
    """Everything needed to run one check again: the user's functions and the check's options.

    Attributes
    ----------
    grad_fn : callable
        The function under test.
    check : callable
        ``check_gradients`` itself; reruns call it with ``diagnose=False``.
    call : callable
        ``call(function, *args, name="grad_fn") -> (result, failure_finding_or_None)``: how the
        oracle runs foreign code (``name`` words the failure: "forward raised ...").
    options : dict
        ``sizes``, ``activations``, ``cost``, ``layout``, ``reduction``, ``dtype``, ``seed``,
        ``n_samples``, ``rtol``, ``atol`` as the check was given them (``n_samples`` resolved).
    conventions : Conventions
    forward, loss : callable or None
        The user's ``forward(params, X)`` and ``loss(params, X, y)``, when given.
    """

    grad_fn: Callable
    check: Callable
    call: Callable
    options: dict
    conventions: Conventions
    forward: Callable | None = None
    loss: Callable | None = None
    runs: list = field(default_factory=list)  # (description, report) of every rerun

    def rerun(self, description: str, **changes):
        """The check run again with ``changes`` to its options or conventions (no diagnosis); a
        failing stand-in when the changed options are refused (a size the network cannot have)."""
        options = {**self.options, **self.conventions.declared(), **changes}
        try:
            report = self.check(self.grad_fn, **options, diagnose=False)
        except (ValueError, TypeError) as err:
            detail = f"the check could not run with {description}: {err}"
            report = _Refused([Finding(layer=None, param=None, kind="exception", detail=detail)])
        self.runs.append((description, report))
        return report

    @property
    def n_samples(self) -> int:
        return self.options["n_samples"]

    @property
    def n_outputs(self) -> int:
        return list(self.options["sizes"])[-1]

    @property
    def named(self) -> dict:
        return {"n_samples": self.n_samples, "n_outputs": self.n_outputs}


@dataclass(frozen=True)
class _Refused:
    """What a rerun whose options were refused stands for: a failure, with the reason."""

    findings: list
    passed: bool = False


@dataclass(frozen=True)
class _Outcome:
    """What one examination found: a note for the summary and, when it names the cause (and
    the previous reading of the pattern no longer applies), new details per parameter."""

    note: str = ""
    details: dict = field(default_factory=dict)  # (layer, param) -> detail
    conclusive: bool = False
    resummarize: bool = False  # the pattern's reading stands, made from the new details
    activations: list | None = None  # a fitted parameter's activations, for the forward check


def diagnose(report, trial: Trial):
    """``report`` with the causes that survive every confirming run named (see module docstring).

    A passing report comes back unchanged. Nothing here raises because of the user's code: a
    rerun's exception is a finding of that rerun, and an examination it defeats is skipped.
    """
    if report.passed:
        return report
    findings = list(report.findings)
    failing = [f for f in findings if not f.passed and f.kind != "mutation"]
    kinds = {f.kind for f in failing}
    outcome = _Outcome(_hard_labels(trial, failing))
    if outcome.note:
        outcome = replace(outcome, conclusive=True)
    elif kinds == {"scale"}:
        outcome = _confirm_factor(trial, failing)
    elif kinds and kinds <= _FITTED_KINDS:
        probe = _probe(trial)
        if probe is not None:
            outcome = _fit_weight_decay(trial, probe)
            if not outcome.note:
                outcome = _fit_parameter(trial, probe)
    notes = [outcome.note]
    if trial.forward is not None or trial.loss is not None:
        notes.append(_own_functions(trial, outcome))
    notes = [note for note in notes if note]
    if not notes and not outcome.details:
        return report
    findings = [
        replace(f, detail=outcome.details[(f.layer, f.param)])
        if (f.layer, f.param) in outcome.details and not f.passed
        else f
        for f in findings
    ]
    settings = dict(report.settings)
    settings["diagnosis_runs"] = [description for description, _ in trial.runs]
    if outcome.resummarize:
        head = summarize(findings)
    elif outcome.conclusive:
        head = _headline(findings)
    else:
        head = report.summary
    summary = " ".join([head, *notes]).strip()
    return replace(report, findings=findings, settings=settings, summary=summary)


def _headline(findings) -> str:
    """The summary's first sentences, without a reading of the pattern the cause replaces."""
    lines = [f"{f.detail}." for f in findings if f.layer is None and not f.passed]
    compared = [f for f in findings if f.layer is not None and f.kind != "mutation"]
    lines += [f"{f.detail}." for f in findings if f.layer is not None and f.kind == "mutation"]
    failing = [f for f in compared if not f.passed]
    if failing:
        lines.append(
            f"{len(failing)} of {len(compared)} parameters fail: "
            + ", ".join(f"{f.name} {f.kind}" for f in failing)
            + "."
        )
    return " ".join(lines)


# -- hard labels -------------------------------------------------------------------------------


def _hard_labels(trial: Trial, failing) -> str:
    """What a rerun on one-hot targets (and class labels) says, when it passes."""
    cost = trial.options["cost"]
    if trial.conventions.targets != "soft" or getattr(cost, "name", cost) not in _CROSS_ENTROPIES:
        return ""
    if not {f.kind for f in failing} & {"mismatch", "exception", "type"}:
        return ""  # a factor or a sign: hard targets would not change it
    if trial.rerun("targets='one_hot'", targets="one_hot").passed:
        return (
            "On one-hot (0/1) targets it passes: your code assumes hard labels (an argmax of y, "
            "or targets checked to be 0/1), so with soft targets (probabilities, label "
            "smoothing) its gradient is wrong. If your targets are always hard, declare "
            "targets='one_hot'."
        )
    if getattr(cost, "name", cost) == "categorical_cross_entropy":
        if trial.rerun("targets='labels'", targets="labels").passed:
            return (
                "Given class labels (integers of shape (n_samples,)) instead of target rows it "
                "passes: declare targets='labels'."
            )
    return ""


# -- factors -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Explanation:
    """A factor c n_samples^p n_outputs^q."""

    c: float
    p: int
    q: int

    def value(self, n_samples: int, n_outputs: int) -> float:
        return self.c * float(n_samples) ** self.p * float(n_outputs) ** self.q

    @property
    def label(self) -> str:
        top = (["2"] if self.c == 2 else []) + [
            name for name, power in (("n_samples", self.p), ("n_outputs", self.q)) if power > 0
        ]
        bottom = (["2"] if self.c == 0.5 else []) + [
            name for name, power in (("n_samples", self.p), ("n_outputs", self.q)) if power < 0
        ]
        text = "*".join(top) or "1"
        if bottom:
            text += "/" + (bottom[0] if len(bottom) == 1 else f"({'*'.join(bottom)})")
        return text


_EXPLANATIONS = [
    _Explanation(c, p, q)
    for c, p, q in product((1.0, 2.0, 0.5), (0, 1, -1), (0, 1, -1))
    if (c, p, q) != (1.0, 0, 0)
]


def explain_factor(
    factor: float,
    n_samples: int,
    n_outputs: int,
    cost: str = "squared_error",
    *,
    reduction: str = "mean",
    output_reduction: str = "sum",
) -> list[str]:
    """The readings of a factor at one size, simplest first: ``["2/n_outputs: ..."]``.

    Only conventions a declaration can change are readings: with the batch's mean declared
    (``reduction``), n_samples but not 1/n_samples; with the sum over the outputs declared
    (``output_reduction``), 1/n_outputs but not n_outputs.

    >>> for reading in explain_factor(0.5, 8, 4):
    ...     print(reading)
    1/2: an extra 1/2 in the cost or its derivative
    2/n_outputs: no 1/2 in the squared error and a mean over the outputs
    """
    allowed = _allowed(reduction, output_reduction)
    return [
        f"{e.label}: {_meaning(e, cost)}" for e in _matching(allowed, factor, n_samples, n_outputs)
    ]


def _allowed(reduction: str, output_reduction: str) -> list[_Explanation]:
    """The explanations that a change of the declared reductions can account for."""
    p_sign = 1 if reduction == "mean" else -1
    q_sign = -1 if output_reduction == "sum" else 1
    return [e for e in _EXPLANATIONS if e.p in (0, p_sign) and e.q in (0, q_sign)]


def _matching(explanations, factor: float, n_samples: int, n_outputs: int):
    return sorted(
        (
            e
            for e in explanations
            if math.isclose(abs(factor), e.value(n_samples, n_outputs), rel_tol=1e-6)
        ),
        key=lambda e: (abs(e.p) + abs(e.q) + (e.c != 1), e.c != 2),
    )


def _meaning(e: _Explanation, cost: str) -> str:
    parts = []
    if e.c == 2:
        parts.append(
            "no 1/2 in the squared error" if cost == "squared_error" else "a derivative doubled"
        )
    elif e.c == 0.5:
        parts.append("an extra 1/2 in the cost or its derivative")
    if e.p == 1:
        parts.append("a sum over the batch where the mean is declared")
    elif e.p == -1:
        parts.append("a mean over the batch where the sum is declared")
    if e.q == -1:
        parts.append("a mean over the outputs")
    elif e.q == 1:
        parts.append("a sum over the outputs where the mean is declared")
    return " and ".join(parts)


def _common_factor(report) -> float | None:
    """The factor every failing parameter is scaled by; 1.0 for a passing report; else None."""
    if report.passed:
        return 1.0
    failing = [f for f in report.findings if not f.passed]
    if not failing or any(f.kind != "scale" for f in failing):
        return None
    first = failing[0].factor
    return first if all(math.isclose(f.factor, first, rel_tol=1e-6) for f in failing) else None


def _other_count(avoid) -> int:
    return next(n for n in _OTHER_SAMPLE_COUNTS if n not in avoid)


def _confirm_factor(trial: Trial, failing) -> _Outcome:
    """The readings of a shared factor that survive a run at another batch size (and, when
    needed, at another number of outputs), with the declaration that makes the check pass."""
    factor = failing[0].factor
    if not all(math.isclose(f.factor, factor, rel_tol=1e-6) for f in failing):
        return _Outcome()
    cost = getattr(trial.options["cost"], "name", trial.options["cost"])
    ns, no = trial.n_samples, trial.n_outputs
    # Readings a declaration can account for first; the others (a bias averaged inside a layer)
    # only when none of those fits.
    allowed = _allowed(trial.options["reduction"], trial.conventions.output_reduction)
    alive = _matching(allowed, factor, ns, no) or _matching(_EXPLANATIONS, factor, ns, no)
    if not alive:
        return _Outcome()
    n2 = _other_count({ns, no, 2 * no} | ({no // 2} if no % 2 == 0 else set()))
    other = _common_factor(trial.rerun(f"n_samples={n2}", n_samples=n2))
    if other is None:
        return _Outcome(
            f"At n_samples={n2} the error is no longer one factor: not a convention of the cost, "
            "but something that depends on the data."
        )
    alive = [e for e in alive if math.isclose(abs(other), e.value(n2, no), rel_tol=1e-6)]
    confirmed = [f"n_samples={n2} (factor {other:.4g})"]
    if len({e.q for e in alive}) > 1:
        o2 = next(o for o in (no + 1, no + 2, no + 3) if o not in (ns, n2, 2 * ns, 2 * n2))
        sizes = [*list(trial.options["sizes"])[:-1], o2]
        outputs_factor = _common_factor(trial.rerun(f"{o2} outputs", sizes=sizes))
        if outputs_factor is not None:
            alive = [
                e for e in alive if math.isclose(abs(outputs_factor), e.value(ns, o2), rel_tol=1e-6)
            ]
            confirmed.append(f"{o2} outputs (factor {outputs_factor:.4g})")
        else:
            confirmed.append(f"not at {o2} outputs, where the check could not run")
    where = " and ".join(confirmed)
    if not alive:
        return _Outcome(
            f"The factor {factor:.6g} changes with the batch and the outputs in a way no cost "
            f"convention explains (runs at {where})."
        )
    sign = "-" if factor < 0 else ""
    readings = [f"{sign}{e.label}: {_meaning(e, cost)}" for e in alive]
    detail = f"scaled by {factor:.6g} (= {', or '.join(readings)}; confirmed at {where})"
    details = {(f.layer, f.param): detail for f in failing}
    note = ""
    if len(alive) == 1 and factor > 0:
        declaration = _declaration(trial, alive[0])
        if declaration and trial.rerun(_format(declaration), **declaration).passed:
            note = (
                f"If that is your convention, declare {_format(declaration)}: with it the check "
                "passes."
            )
    return _Outcome(note, details, resummarize=True)


def _declaration(trial: Trial, e: _Explanation) -> dict | None:
    """The options under which a gradient scaled by ``e`` is right, or None."""
    conventions = trial.conventions
    changes: dict = {}
    if e.c != 1:
        changes["cost_scale"] = conventions.cost_scale * e.c
    reduction = trial.options["reduction"]
    if e.p:
        wanted = "sum" if e.p == 1 else "mean"
        if reduction == wanted:
            return None
        changes["reduction"] = wanted
    if e.q:
        wanted = "sum" if e.q == 1 else "mean"
        if conventions.output_reduction == wanted:
            return None
        changes["output_reduction"] = wanted
    return changes


def _format(options: dict) -> str:
    return ", ".join(f"{key}={_number(value)}" for key, value in options.items())


def _number(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):
        return "[" + ", ".join(repr(v) for v in value) + "]"
    return repr(value)


# -- probing: the user's gradient as arrays ----------------------------------------------------


@dataclass
class _Probe:
    problem: Problem
    user_params: object
    user_X: object
    user_y: object
    gradient: list  # the user's, canonical float64 pairs
    layout: object


def _probe(trial: Trial) -> _Probe | None:
    """The user's gradient on the check's own problem, read back into chainrule's layout."""
    options = trial.options
    conventions = trial.conventions
    dtype = np.dtype(options["dtype"])
    try:
        problem = conventions.problem(
            options["sizes"],
            options["activations"],
            options["cost"],
            reduction=options["reduction"],
            dtype=dtype,
            seed=options["seed"],
            n_samples=options["n_samples"],
        )
        layout = conventions.layout(options["layout"], options["cost"])
        user_params = layout.params_to_user(
            [(W.astype(dtype), b.astype(dtype)) for W, b in problem.params]
        )
        user_X, user_y = layout.data_to_user(problem.X.astype(dtype), problem.y.astype(dtype))
    except (ValueError, TypeError):  # a layout that cannot express the problem: no probe
        return None
    result, failure = trial.call(
        trial.grad_fn, copy.deepcopy(user_params), copy.deepcopy(user_X), copy.deepcopy(user_y)
    )
    if failure is not None:
        return None
    try:
        pairs = layout.params_from_user(result)
        gradient = [
            (np.asarray(dW, dtype=np.float64), np.asarray(db, dtype=np.float64)) for dW, db in pairs
        ]
    except Exception:
        return None
    if len(gradient) != len(problem.reference) or any(
        g.shape != r.shape
        for pair, ref in zip(gradient, problem.reference)
        for g, r in zip(pair, ref)
    ):
        return None
    if not all(np.isfinite(g).all() for pair in gradient for g in pair):
        return None
    return _Probe(problem, user_params, user_X, user_y, gradient, layout)


def _agrees(trial: Trial, candidate, reference) -> bool:
    findings = compare_gradients(
        candidate,
        reference,
        rtol=trial.options.get("rtol"),
        atol=trial.options.get("atol"),
        dtype=np.dtype(trial.options["dtype"]),
    )
    return all(f.passed for f in findings)


# -- weight decay ------------------------------------------------------------------------------


def _fit_weight_decay(trial: Trial, probe: _Probe) -> _Outcome:
    """ "An L2 term with coefficient c" when yours = k reference + c_W W + c_b b holds."""
    problem = probe.problem
    rows, target = [], []
    for (uW, ub), (rW, rb), (W, b) in zip(probe.gradient, problem.reference, problem.params):
        rows.append(np.column_stack([rW.ravel(), W.ravel(), np.zeros(W.size)]))
        target.append(uW.ravel())
        rows.append(np.column_stack([rb.ravel(), np.zeros(b.size), b.ravel()]))
        target.append(ub.ravel())
    design, target = np.vstack(rows), np.concatenate(target)
    (k, c_W, c_b), *_ = np.linalg.lstsq(design, target, rcond=None)
    rtol, _ = default_tolerances(np.dtype(trial.options["dtype"]))
    scale = float(np.linalg.norm(target)) or 1.0
    norm_W = math.sqrt(sum(float(np.sum(W * W)) for W, _ in problem.params))
    norm_b = math.sqrt(sum(float(np.sum(b * b)) for _, b in problem.params))
    if max(abs(c_W) * norm_W, abs(c_b) * norm_b) <= rtol * scale or abs(k) <= rtol:
        return _Outcome()  # no penalty to speak of: a factor, or something else
    # The fit is as precise as the gradient: round to the fewest digits within that.
    precision = max(1e-6, rtol)
    k = _round(k, 1.0, rel=precision)
    c_W, c_b = _round(c_W, rel=precision), _round(c_b, rel=precision)

    def fits(bias_coefficient):
        fitted = [
            (k * rW + c_W * W, k * rb + bias_coefficient * b)
            for (rW, rb), (W, b) in zip(problem.reference, problem.params)
        ]
        return _agrees(trial, probe.gradient, fitted)

    # The simplest reading that holds: no term on the biases, the weights' term, the fitted one
    # (biases are small, so their own fit is the least precise).
    c_b = next((c for c in (0.0, c_W, c_b) if fits(c)), None)
    if c_b is None:
        return _Outcome()
    scaled = "" if k == 1.0 else f"{k:.6g} x "
    details = {}
    for m in range(1, len(problem.params) + 1):
        details[(m, "W")] = f"{scaled}the gradient + {c_W:.4g} x W^{m}: an L2 term"
        details[(m, "b")] = (
            f"{scaled}the gradient + {c_b:.4g} x b^{m}: an L2 term"
            if c_b
            else f"{scaled}the gradient"
        )
    if c_b == 0:
        where = "on the weights only (the biases carry none)"
    elif math.isclose(c_W, c_b, rel_tol=1e-6):
        where = "on the weights and the biases"
    else:
        where = f"on the weights, and one of {c_b:.4g} on the biases"
    reading = "the reference" if k == 1.0 else f"{describe_factor(k, trial.named)} x the reference"
    note = (
        f"Your gradient is {reading} plus c x parameter in every layer: an L2 penalty (c/2) "
        f"sum W^2 with coefficient c = {c_W:.4g} {where}."
    )
    conventions = trial.conventions
    base = conventions.l2_coefficient(problem.n_samples)
    total_W = k * base + c_W
    total_b = k * (base if conventions.l2_biases else 0.0) + c_b
    if total_b != 0 and not math.isclose(total_W, total_b, rel_tol=1e-6):
        return _Outcome(note, details, conclusive=True)
    declaration: dict = {} if k == 1.0 else {"cost_scale": conventions.cost_scale * k}
    declaration |= {"l2": _round(total_W, rel=precision), "l2_biases": total_b != 0}
    n2 = _other_count({problem.n_samples, trial.n_outputs})
    if trial.rerun(f"{_format(declaration)} at n_samples={n2}", **declaration, n_samples=n2).passed:
        note += f" Declare {_format(declaration)}: with it the check passes."
        return _Outcome(note, details, conclusive=True)
    alpha = _round(total_W * problem.n_samples, rel=precision)
    per_sample = {**declaration, "l2": alpha, "l2_per_sample": True}
    if trial.rerun(f"{_format(per_sample)} at n_samples={n2}", **per_sample, n_samples=n2).passed:
        note += (
            f" The coefficient is alpha / n_samples with alpha = {alpha:.4g} (it scales with the "
            f"batch, as scikit-learn's alpha does): declare {_format(per_sample)}."
        )
    else:
        note += f" At n_samples={n2} the coefficient is neither the same nor scaled by 1/n_samples."
    return _Outcome(note, details, conclusive=True)


def _round(value: float, near: float | None = None, *, rel: float = 1e-6) -> float:
    """``value`` rounded to the fewest significant digits (up to 6) within ``rel`` of it, or
    ``near`` when it is that close."""
    if value == 0 or not math.isfinite(value):
        return value
    if near is not None and math.isclose(value, near, rel_tol=rel):
        return near
    for digits in range(1, 7):
        rounded = float(f"{value:.{digits}g}")
        if math.isclose(rounded, value, rel_tol=rel):
            return rounded
    return value


# -- activation parameters ---------------------------------------------------------------------


def _scaled_residual(gradient, reference) -> tuple[float, float]:
    """(k, |gradient - k reference|^2) for the least-squares factor k."""
    u = np.concatenate([a.ravel() for pair in gradient for a in pair])
    r = np.concatenate([a.ravel() for pair in reference for a in pair])
    norm2 = float(r @ r)
    k = float(u @ r) / norm2 if norm2 else 1.0
    return k, float(np.sum((u - k * r) ** 2))


def _fit_parameter(trial: Trial, probe: _Probe) -> _Outcome:
    """ "Your gradient is that of leaky_relu(0.2)" when one parameter value (and possibly one
    factor) fits every layer of a family (leaky ReLU's slope, ELU's alpha) on the check's own
    problem; a factor is then read as ``_confirm_factor`` reads it, with the fitted activations."""
    problem = probe.problem
    precision = max(1e-6, default_tolerances(np.dtype(trial.options["dtype"]))[0])
    activations = list(problem.network.activations)
    families = {activation_family(a)[0] for a in activations if activation_family(a)}
    for family in sorted(families):
        layers = [
            m
            for m, a in enumerate(activations)
            if activation_family(a) and activation_family(a)[0] == family
        ]
        declared = activation_family(activations[layers[0]])[1]
        make = PARAMETRIZED[family][0]

        def with_value(value, layers=layers, make=make):
            changed = list(activations)
            for m in layers:
                changed[m] = make(value)
            return changed

        def residual(value, with_value=with_value):
            return _scaled_residual(probe.gradient, problem.reference_for(with_value(value)))[1]

        def fits(value, with_value=with_value):
            reference = problem.reference_for(with_value(value))
            k = _round(_scaled_residual(probe.gradient, reference)[0], 1.0, rel=precision)
            scaled = [(k * rW, k * rb) for rW, rb in reference]
            return _agrees(trial, probe.gradient, scaled)

        value = _nicest(_minimize(residual, _GRIDS[family]), fits)
        if value is None or math.isclose(value, declared, rel_tol=1e-9):
            continue
        fitted = with_value(value)
        k = _scaled_residual(probe.gradient, problem.reference_for(fitted))[0]
        k = _round(k, 1.0, rel=precision)
        name, declared_name = f"{family}({value!r})", f"{family}({declared!r})"
        which = ", ".join(str(m + 1) for m in layers)
        times = "" if k == 1.0 else f"{k:.6g} x "
        note = (
            f"Your gradient is exactly {times}that of {name} where {declared_name} is declared "
            f"(layer{'s' if len(layers) > 1 else ''} {which})."
        )
        names = [a.name for a in fitted]
        if k != 1.0:
            refitted = replace(trial, options={**trial.options, "activations": names}, runs=[])
            report = refitted.rerun(f"activations={names!r}")
            failing = [f for f in report.findings if not f.passed and f.kind != "mutation"]
            if failing and {f.kind for f in failing} == {"scale"}:
                confirmed = _confirm_factor(refitted, failing)
                if confirmed.details:
                    reading = next(iter(confirmed.details.values()))
                    note += f" With activations={names!r}, the gradient is {reading}."
                    note += f" {confirmed.note}" if confirmed.note else ""
            trial.runs.extend(refitted.runs)
        if trial.forward is None:
            note += (
                f" If your forward pass uses {name} too, declare activations={names!r}; if it "
                f"uses {declared_name}, your backward pass has the wrong parameter (give "
                "forward= to let the oracle tell which)."
            )
        details = {
            (m, param): f"{times}the gradient of {name}, not of the declared {declared_name}"
            for m in range(1, len(activations) + 1)
            for param in ("W", "b")
        }
        return _Outcome(note, details, conclusive=True, activations=fitted)
    return _Outcome()


def _minimize(function, grid) -> float:
    """The argument of the smallest ``function`` value: the grid's best, refined by golden
    section between its neighbours."""
    values = [function(x) for x in grid]
    best = int(np.argmin(values))
    low = grid[max(best - 1, 0)]
    high = grid[min(best + 1, len(grid) - 1)]
    ratio = (math.sqrt(5) - 1) / 2
    a, b = low, high
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    fc, fd = function(c), function(d)
    for _ in range(60):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - ratio * (b - a)
            fc = function(c)
        else:
            a, c, fc = c, d, fd
            d = a + ratio * (b - a)
            fd = function(d)
    candidates = [(values[best], grid[best]), (fc, c), (fd, d)]
    return min(candidates)[1]


def _nicest(value: float, fits: Callable[[float], bool]) -> float | None:
    """The value with the fewest significant digits that still fits, or None if none does."""
    for digits in range(1, 7):
        rounded = float(f"{value:.{digits}g}")
        if fits(rounded):
            return rounded
    return value if fits(value) else None


# -- the user's own forward pass and loss ------------------------------------------------------


def _own_functions(trial: Trial, outcome: _Outcome) -> str:
    """What the user's own forward pass and loss say about where the difference lies: in the
    function the code computes, or in its backward pass."""
    probe = _probe(trial)
    if probe is None:
        return ""
    notes = []
    if trial.forward is not None:
        notes.append(forward_verdict(trial, probe, outcome.activations))
    if trial.loss is not None:
        notes.append(loss_verdict(trial, probe))
    return " ".join(note for note in notes if note)
