"""The oracle's black-box mode: ``gradcheck(loss_fn, grad_fn, params)`` and ``assert_gradcheck``.

For any implementation with a loss and a gradient and no declared architecture, ``params`` in any
nesting of arrays and numbers: the reference is the finite-difference gradient of ``loss_fn``
(complex-step when ``loss_fn`` is deterministic, float64-precise and analytic, else
Richardson-extrapolated central differences) from ``verify.core.blackbox``, which measures how
precisely the loss is computed, steps around kinks and jumps nearby, and says which entries it
cannot resolve. A parameter whose reference cannot separate a right gradient from a slightly wrong
one is ``"inconclusive"``, never ``"ok"``; one on a kink of the loss must lie between its one-sided
derivatives there and agree beside the kink as well.

The outcome is the same :class:`verify.oracle.report.GradientReport` as reference mode's
(``check_gradients``, ``verify.oracle.check``, from which ``gradcheck`` can be imported too);
``grad_fn`` runs as all foreign code does (``verify.oracle.foreign``).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from verify.core.blackbox import (
    RESOLUTION,
    BlackBoxGradient,
    blackbox_gradient,
    complex_step_valid,
    measure_precision,
)
from verify.core.compare import (
    Finding,
    compare_gradients,
    default_tolerances,
    least_precise_dtype,
    summarize,
)
from verify.core.finite_differences import METHODS
from verify.core.params import PAIR, leaf_name
from verify.core.tree import Node, flatten_like, flatten_tree, unflatten_tree
from verify.core.validation import (
    argument_error,
    check_callable,
    check_choice,
    check_int,
    check_number,
)
from verify.oracle.foreign import call, protected_state
from verify.oracle.report import GradientReport, OracleError

__all__ = ["PREFERENCE", "assert_gradcheck", "gradcheck"]

# gradcheck's choice when no method is given, in order of preference: complex steps (exact) when
# loss_fn accepts complex input and is analytic (checked), else Richardson's central differences.
PREFERENCE = ("complex", "richardson")
if not set(PREFERENCE) <= set(METHODS):
    raise ImportError(f"PREFERENCE {PREFERENCE} must name methods of {METHODS}")


def _labels(tree: Node, paths: list[str]) -> tuple[str, list[tuple[int, str | None, str | None]]]:
    """How findings name the leaves: ``"pairs"`` (layer m, W/b), ``"arrays"`` (array i) for the
    structures of a network's parameters, else ``"tree"`` (by path, ``params['w'][0]``)."""
    items = tree.children if tree.kind == "list" else ()
    if items and all(
        child.kind == "list" and len(child.children) == 2 and all(c.is_leaf for c in child.children)
        for child in items
    ):
        return "pairs", [(m, param, None) for m in range(1, len(items) + 1) for param in PAIR]
    if items and all(child.is_leaf for child in items):
        return "arrays", [(i, None, None) for i in range(1, len(items) + 1)]
    return "tree", [(i, None, path) for i, path in enumerate(paths, start=1)]


def _loss_number(value) -> tuple[float, np.dtype | None]:
    """What ``loss_fn`` returned as a float (or complex), and its dtype when it has one."""
    expected = "a real number (a float, or an array or tensor of one element)"
    if value is None or isinstance(value, (bool, np.bool_, str, bytes, list, tuple, dict, set)):
        raise argument_error("loss_fn's value", expected, error=TypeError, got=_kind_of(value))
    dtype = None
    if isinstance(value, (np.ndarray, np.generic)):
        if value.size != 1 or not np.issubdtype(value.dtype, np.number):
            got = f"an array of dtype {value.dtype} and shape {value.shape}"
            raise argument_error("loss_fn's value", expected, error=TypeError, got=got)
        dtype, number = value.dtype, value.reshape(()).item()
    elif isinstance(value, numbers.Number):
        number = value
    else:  # a tensor or another object that converts itself
        try:
            number = value.item() if hasattr(value, "item") else float(value)
        except Exception as err:  # not a number after all
            got = f"{_kind_of(value)} ({type(err).__name__}: {err})"
            raise argument_error("loss_fn's value", expected, error=TypeError, got=got) from None
        if not isinstance(number, numbers.Number) or isinstance(number, bool):
            raise argument_error("loss_fn's value", expected, error=TypeError, got=_kind_of(value))
    return number, dtype


def _kind_of(value) -> str:
    return "None" if value is None else f"a {type(value).__name__}"


class _Loss:
    """``loss_fn`` seen from the finite differences: fresh copies in, a float out."""

    def __init__(self, loss_fn: Callable, tree: Node):
        self.loss_fn = loss_fn
        self.tree = tree
        self.dtype = None

    def __call__(self, leaves, *, strict: bool = False) -> float:
        params = unflatten_tree(self.tree, [np.array(leaf, copy=True) for leaf in leaves])
        try:
            with np.errstate(all="ignore"):
                number, dtype = _loss_number(self.loss_fn(params))
        except Exception:  # at a perturbed point: no value there (the entry stays unresolved)
            if strict:
                raise
            return math.nan
        if strict:
            self.dtype = dtype
        if isinstance(number, complex):
            if number.imag != 0:
                if strict:
                    raise argument_error(
                        "loss_fn's value", "real for real parameters", number, TypeError
                    )
                return math.nan
            number = number.real
        return float(number)

    def complex(self, leaves):
        params = unflatten_tree(self.tree, [np.array(leaf, copy=True) for leaf in leaves])
        with np.errstate(all="ignore"):
            value = self.loss_fn(params)
        if isinstance(value, (np.ndarray, np.generic)):
            return value
        if isinstance(value, numbers.Number) and not isinstance(value, bool):
            return np.asarray(value)
        raise TypeError(f"loss_fn returned {_kind_of(value)} for complex input")


def _tree_mutations(tree, snapshot, current, labels) -> list[Finding]:
    """grad_fn's in-place changes to the parameters it was handed, one finding per change."""
    parts, problems = flatten_like(tree, current, "params")
    findings, reported = [], set()
    for (layer, param, path), before, part, problem in zip(labels, snapshot, parts, problems):
        if problem:
            if problem not in reported:
                reported.add(problem)
                detail = f"grad_fn modified its input in place ({problem})"
                findings.append(Finding(layer=None, param=None, kind="mutation", detail=detail))
            continue
        try:
            after = np.asarray(part)
            same = after.shape == before.shape and np.array_equal(after, before, equal_nan=True)
        except Exception:  # replaced by something that is not an array
            same = False
        if not same:
            where = path or f"{leaf_name(layer, param)}"
            findings.append(
                Finding(
                    layer=layer,
                    param=param,
                    kind="mutation",
                    detail=f"grad_fn modified its input {where} in place",
                    path=path,
                )
            )
    return findings


def _flat_candidate(mode: str, tree: Node, result) -> tuple[object, list[str]]:
    """The returned gradient as compare_gradients reads it, and per leaf a structure problem."""
    if mode != "tree":
        return result, []
    parts, problems = flatten_like(tree, result, "gradient")
    return [np.zeros(0) if problem else part for part, problem in zip(parts, problems)], problems


def _as_structure(mode: str, arrays: list):
    """Per-leaf arrays in the structure compare_gradients reads for ``mode``."""
    if mode == "pairs":
        return [tuple(arrays[i : i + 2]) for i in range(0, len(arrays), 2)]
    return list(arrays)


def _leaf_index(mode: str, finding: Finding) -> int | None:
    if finding.layer is None:
        return None
    if mode == "pairs":
        return (
            None
            if finding.param not in PAIR
            else 2 * (finding.layer - 1) + PAIR.index(finding.param)
        )
    return finding.layer - 1 if finding.param is None else None


def _judge(finding: Finding, fd: BlackBoxGradient, index: int) -> Finding:
    """An "ok" finding made "inconclusive" where the reference cannot separate right from wrong,
    and "kink" where it agrees by lying between one-sided derivatives."""
    resolved = fd.resolved[index]
    if not resolved.all():
        ratio = fd.relative_uncertainty()[index]
        worst = tuple(int(i) for i in np.unravel_index(np.argmax(ratio), ratio.shape))
        n_bad = int(resolved.size - np.count_nonzero(resolved))
        amount = (
            f"{ratio[worst]:.2g} at {list(worst)}"
            if np.isfinite(ratio[worst])
            else f"no estimate at {list(worst)}"
        )
        detail = (
            f"agrees, but cannot be told right from wrong: the reference of {n_bad} of "
            f"{resolved.size} entries is uncertain by more than {RESOLUTION:g} of the gradient's "
            f"scale ({amount}): " + "; ".join(fd.notes)
        )
        return replace(finding, kind="inconclusive", detail=detail)
    kinks = fd.kink[index]
    if kinks.any():
        where = tuple(int(i) for i in np.argwhere(kinks)[0])
        middle, half = fd.gradient[index][where], fd.halfwidth[index][where]
        n_kinks = int(np.count_nonzero(kinks))
        entries = "entry sits" if n_kinks == 1 else "entries sit"
        detail = (
            f"{n_kinks} {entries} on a kink of the loss (at {list(where)} its one-sided "
            f"derivatives are {middle - half:.4g} and {middle + half:.4g}); yours lie between "
            "them there, and agree elsewhere"
        )
        return replace(finding, kind="kink", detail=detail)
    return finding


def gradcheck(
    loss_fn: Callable,
    grad_fn: Callable,
    params,
    *,
    method: str | None = None,
    seed: int = 0,
    rtol: float | None = None,
    atol: float | None = None,
    step: float | None = None,
    reference: BlackBoxGradient | None = None,
) -> GradientReport:
    """Check ``grad_fn`` against finite differences of ``loss_fn``, at ``params``.

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn(params) -> float``, called with ``params``' own structure holding float64
        copies (complex128 for complex steps), so a float32 implementation's loss is
        differentiated without float32's rounding of the parameters.
    grad_fn : callable
        ``grad_fn(params) -> gradient`` in ``params``' structure, called on a copy in the
        parameters' own dtypes; modifying it is a ``"mutation"`` finding.
    params : array, float, or list/tuple/dict of them, nested
        Where to check (see ``verify.core.tree``): a list of (W, b) pairs gets findings by layer m
        and parameter, a list of arrays by array i, anything else by path (``params['w']``).
        Integer, bool and complex leaves are refused (they have no single real gradient).
    method : {"central", "complex", "richardson"} or None
        None takes the first of ``PREFERENCE`` that fits: complex steps when the loss is
        deterministic, float64-precise, accepts complex input and is analytic along a random
        direction (checked relative to the slope), else Richardson extrapolation.
    seed : int
        Seeds the random directions of the precision and complex-step tests.
    rtol, atol : float, optional
        Override ``default_tolerances`` for the least precise dtype among ``params`` and the
        loss's value; the reference's own error estimate is added entry by entry.
    step : float, optional
        The finite-difference step for every entry (complex steps: the imaginary step); None
        chooses it per entry from the loss's measured precision and refines it near kinks.
    reference : BlackBoxGradient, optional
        ``report.reference`` of an earlier ``gradcheck`` of the same ``loss_fn`` at the same
        ``params``: its finite differences are used again and ``loss_fn`` is not called (to check
        several gradients of one loss). ``method`` and ``step`` must then be None.

    Returns
    -------
    GradientReport
        ``passed`` only when every parameter agrees with a reference precise enough to tell
        (``verify.core.blackbox.RESOLUTION``); ``inconclusive`` (with ``reason``) when nothing
        disagrees but some entries cannot be told right from wrong: a float32 or noisy loss, a
        jump, the loss not finite nearby. ``"kink"`` findings: entries on a kink of the loss,
        checked to lie between its one-sided derivatives.

    Examples
    --------
    >>> import numpy as np
    >>> report = gradcheck(lambda p: np.sum(np.sin(p["w"])), lambda p: {"w": np.cos(p["w"])},
    ...                    {"w": np.array([0.1, 0.2])})
    >>> report.passed, report.settings["method"]
    (True, 'complex')
    """
    check_callable("loss_fn", loss_fn)
    check_callable("grad_fn", grad_fn)
    method = check_choice("method", method, METHODS, optional=True)
    seed = check_int("seed", seed, 0)
    step = check_number("step", step, strict=True, optional=True)
    rtol = check_number("rtol", rtol, optional=True)
    atol = check_number("atol", atol, optional=True)
    with protected_state():
        leaves, paths, tree = flatten_tree(params)
        if reference is not None:
            _check_reference(reference, leaves, method, step)
        check = _BlackBoxCheck(loss_fn, grad_fn, tree, paths, method, seed, step, rtol, atol)
        findings, fd = check.at(leaves, reference)
        if fd is not None and any(f.kind == "kink" for f in findings):
            shifted = _beside(leaves, seed)
            beside, fd.beside = check.at(shifted, fd.beside)
            findings = _merge_beside(findings, beside, BESIDE_SHIFT)
        returned = [] if fd is None or fd.precision.dtype is None else [fd.precision.dtype]
        dtype = least_precise_dtype(leaves + [np.zeros(0, name) for name in returned])
        used_method = method if fd is None else fd.method
        reference_kind = "exact" if used_method == "complex" else "finite_difference"
        default_rtol, default_atol = default_tolerances(dtype, reference_kind)
        settings = {
            "mode": "black-box",
            "method": used_method,
            "dtype": np.dtype(dtype).name,
            "seed": seed,
            "rtol": default_rtol if rtol is None else float(rtol),
            "atol": default_atol if atol is None else float(atol),
            "step": step,
        }
        if fd is not None:
            settings["loss_precision"] = fd.precision.to_dict()
            settings["evaluations"] = fd.evaluations + fd.precision.evaluations
        return GradientReport(findings, settings, summarize(findings), reference=fd)


# Where a kink is checked beside: every entry moved by this fraction of max(1, |x|), each in a
# random direction (seeded), so that the point leaves the kink and the derivative there is one.
BESIDE_SHIFT = 1e-3


def _beside(leaves: list[np.ndarray], seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng([seed, 1])
    return [
        (
            leaf
            + rng.choice([-1.0, 1.0], size=leaf.shape)
            * BESIDE_SHIFT
            * np.maximum(1.0, np.abs(leaf))
        ).astype(leaf.dtype)
        for leaf in leaves
    ]


def _merge_beside(findings: list[Finding], beside: list[Finding], shift: float) -> list[Finding]:
    """The findings at the parameters, with what the check beside a kink found.

    A parameter on a kink passes only when it also agrees beside it; anything that fails beside
    the kink fails the check, whichever parameter it concerns.
    """
    where = f"beside the kink (every entry moved by {shift:g} x max(1, |x|))"
    by_name = {(f.layer, f.param, f.path): f for f in beside}
    merged = []
    for finding in findings:
        other = by_name.get((finding.layer, finding.param, finding.path))
        if other is None and finding.kind == "kink":
            detail = f"{finding.detail}; not checked {where}: no finding there"
            merged.append(replace(finding, kind="inconclusive", detail=detail))
        elif other is not None and not other.passed:
            merged.append(replace(other, detail=f"{where}: {other.detail}"))
        elif finding.kind == "kink":
            merged.append(replace(finding, detail=f"{finding.detail}; and agrees {where}"))
        else:
            merged.append(finding)
    seen = {(f.layer, f.param, f.path) for f in findings}
    extra = [
        replace(f, detail=f"{where}: {f.detail}")
        for f in beside
        if not f.passed and (f.layer, f.param, f.path) not in seen
    ]
    return extra + merged


class _BlackBoxCheck:
    """One gradcheck's settings, applied at the parameters or beside them."""

    def __init__(self, loss_fn, grad_fn, tree, paths, method, seed, step, rtol, atol):
        self.loss_fn, self.grad_fn, self.tree = loss_fn, grad_fn, tree
        self.mode, self.labels = _labels(tree, paths)
        self.method, self.seed, self.step, self.rtol, self.atol = method, seed, step, rtol, atol

    def at(self, leaves: list[np.ndarray], reference=None) -> tuple[list[Finding], object]:
        """Findings at ``leaves`` and the finite-difference reference there (or None)."""
        tree, labels = self.tree, self.labels
        leaves64 = [np.array(leaf, dtype=np.float64) for leaf in leaves]
        user_params = unflatten_tree(tree, [leaf.copy() for leaf in leaves])
        snapshot = [leaf.copy() for leaf in leaves]
        budget = 100 * sum(leaf.size for leaf in leaves) + 1000
        result, failure = call(self.grad_fn, user_params, budget=budget, name="grad_fn")
        findings = _tree_mutations(tree, snapshot, user_params, labels)
        loss = _Loss(self.loss_fn, tree)
        fd = reference
        if failure is None and fd is None:
            fd, failure = call(
                lambda: _reference(loss, leaves64, self.method, self.seed, self.step),
                name="loss_fn",
            )
        if fd is not None and isinstance(fd, str):  # the loss is not finite at params
            failure, fd = Finding(layer=None, param=None, kind="inconclusive", detail=fd), None
        if failure is not None:
            return [failure, *findings], fd
        returned = [] if fd.precision.dtype is None else [fd.precision.dtype]
        dtype = least_precise_dtype(leaves + [np.zeros(0, name) for name in returned])
        kind = "exact" if fd.method == "complex" else "finite_difference"
        rtol = default_tolerances(dtype, kind)[0] if self.rtol is None else self.rtol
        compared = _compare_black_box(self.mode, tree, labels, result, fd, rtol, self.atol, dtype)
        return compared + findings, fd


def _check_reference(reference, leaves, method, step) -> None:
    """ValueError/TypeError unless ``reference`` was computed at these parameters."""
    leaves64 = [np.array(leaf, dtype=np.float64) for leaf in leaves]
    if not isinstance(reference, BlackBoxGradient):
        raise argument_error(
            "reference",
            "the `reference` of an earlier gradcheck report",
            error=TypeError,
            got=type(reference).__name__,
        )
    point = reference.point
    if len(point) != len(leaves64) or not all(
        a.shape == b.shape and np.array_equal(a, b) for a, b in zip(point, leaves64)
    ):
        raise argument_error(
            "reference", "computed at these `params`", got="one computed at other parameters"
        )
    if method is not None or step is not None:
        raise argument_error(
            "method and step", "None when `reference` is given", got=f"{method!r}, {step!r}"
        )


def _reference(loss: _Loss, leaves64, method, seed, step):
    """The finite-difference reference, or a sentence when the loss is not finite at params."""
    f0 = loss(leaves64, strict=True)
    if not math.isfinite(f0):
        return f"loss_fn is {f0} at params: no gradient can be checked there"
    precision = measure_precision(loss, leaves64, f0, seed=seed, returned_dtype=loss.dtype)
    if method is None:
        valid, _ = complex_step_valid(loss, loss.complex, leaves64, precision, seed=seed)
        method = PREFERENCE[0] if valid else PREFERENCE[1]
    fd = blackbox_gradient(
        loss, leaves64, precision, method=method, step=step, evaluate_complex=loss.complex
    )
    fd.point = [leaf.copy() for leaf in leaves64]
    return fd


def _compare_black_box(mode, tree, labels, result, fd, rtol, atol, dtype) -> list[Finding]:
    candidate, problems = _flat_candidate(mode, tree, result)
    reference = _as_structure(mode, fd.gradient)
    uncertainty = _as_structure(mode, [e + h for e, h in zip(fd.error, fd.halfwidth)])
    try:
        findings = compare_gradients(
            candidate, reference, rtol=rtol, atol=atol, dtype=dtype, uncertainty=uncertainty
        )
    except (KeyboardInterrupt, OracleError):
        raise
    except BaseException as err:  # reading the returned objects ran foreign code that failed
        detail = f"reading the returned gradient raised {type(err).__name__}: {err}"
        return [Finding(layer=None, param=None, kind="type", detail=detail)]
    judged = []
    for finding in findings:
        index = _leaf_index(mode, finding)
        if index is not None and problems and problems[index]:
            finding = replace(finding, kind="type", detail=problems[index], max_rel_error=None)
        elif index is not None and finding.kind == "ok":
            finding = _judge(finding, fd, index)
        if mode == "tree" and index is not None:
            finding = replace(finding, path=labels[index][2])
        judged.append(finding)
    return judged


def assert_gradcheck(loss_fn: Callable, grad_fn: Callable, params, **options) -> GradientReport:
    """``gradcheck(...)``; AssertionError (the report) unless it passes."""
    report = gradcheck(loss_fn, grad_fn, params, **options)
    if not report.passed:
        raise AssertionError(str(report))
    return report
