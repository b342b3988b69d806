"""A test oracle for other people's backprop: check a gradient function and name what is wrong.

Two modes, one report:

``check_gradients(grad_fn, sizes=..., activations=..., cost=...)`` (reference mode)
    The oracle makes parameters and data valid for the cost, in the declared layout and dtype,
    calls ``grad_fn(params, X, y)`` on copies, and compares the returned gradient with numeric's
    backprop in float64 — itself cross-checked by complex-step finite differences first, so the
    reference is trusted by neither side's say-so.
``gradcheck(loss_fn, grad_fn, params)`` (black-box mode)
    For any implementation with a loss and a gradient and no declared architecture: the reference
    is the finite-difference gradient of ``loss_fn`` (complex-step when ``loss_fn`` takes complex
    input correctly, else Richardson-extrapolated central differences), with its error estimate.

Either way ``GradientReport.findings`` holds one :class:`verify.core.compare.Finding` per layer and
parameter, saying what the gradient is (``"ok"``, ``"sign"``, ``"scale"`` with its factor,
``"transpose"``, ``"layer_order"``, ``"shape"``, ``"nonfinite"``, ``"kink"``, ``"mismatch"``), plus
findings about the call itself: ``"exception"`` (grad_fn raised), ``"type"`` (it returned something
that is not a gradient), ``"mutation"`` (it modified its inputs in place). The oracle never raises
because of what grad_fn does; it raises :class:`OracleError` only when its own reference fails its
cross-check.

Examples
--------
>>> import numpy as np
>>> from numeric import Network, kernels
>>> def grad_fn(params, X, y):
...     net = Network([3, 4, 2], "tanh", "squared_error")
...     net.params = params
...     return net.gradients(X, y)
>>> report = check_gradients(grad_fn, sizes=[3, 4, 2], activations="tanh", cost="squared_error")
>>> report.passed
True
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from numeric import Network
from numeric.network import DTYPES
from verify.core.compare import (
    Finding,
    compare_gradients,
    default_tolerances,
    findings_table,
    least_precise_dtype,
    summarize,
)
from verify.core.complex_step import complex_derivative
from verify.core.finite_differences import (
    METHODS,
    directional_check,
    network_gradient,
    network_loss,
    numerical_gradient,
)
from verify.core.params import PAIR, Structure, flatten, is_pair, real_leaf
from verify.core.problems import make_problem
from verify.core.validation import check_callable, check_choice, check_dtype, check_int
from verify.oracle.layouts import get_layout

__all__ = [
    "GradientReport",
    "OracleError",
    "assert_gradcheck",
    "assert_gradients",
    "check_gradients",
    "gradcheck",
]

# Networks with more parameters than this have their reference cross-checked along random
# directions (O(1) passes) instead of entry by entry.
FULL_CROSS_CHECK_LIMIT = 20_000
N_DIRECTIONS = 4

# gradcheck's choice when no method is given, in order of preference: complex steps (exact) when
# loss_fn accepts complex input and is analytic (checked), else Richardson's central differences.
PREFERENCE = ("complex", "richardson")
if not set(PREFERENCE) <= set(METHODS):
    raise ImportError(f"PREFERENCE {PREFERENCE} must name methods of {METHODS}")


class OracleError(RuntimeError):
    """The oracle's own reference failed its cross-check (a bug in chainrule, not in grad_fn)."""


# -- the report -------------------------------------------------------------------------------


@dataclass
class GradientReport:
    """The outcome of one oracle check.

    Attributes
    ----------
    findings : list of Finding
        One per layer and parameter, plus any about the call (exception, type, mutation).
    settings : dict
        What was checked and how: mode, sizes, activations, cost, layout, reduction, dtype, seed,
        n_samples, method, rtol, atol (JSON-ready values).
    summary : str
        The pattern the findings make, in a few sentences.
    """

    findings: list[Finding]
    settings: dict = field(default_factory=dict)
    summary: str = ""

    @property
    def passed(self) -> bool:
        return bool(self.findings) and all(f.passed for f in self.findings)

    def failures(self) -> list[Finding]:
        """The findings that fail."""
        return [f for f in self.findings if not f.passed]

    def finding(self, layer: int | None, param: str | None) -> Finding:
        """The finding for one layer and parameter (``layer=None`` for the call itself)."""
        for f in self.findings:
            if f.layer == layer and f.param == param:
                return f
        names = ", ".join(f.name for f in self.findings)
        raise KeyError(f"no finding for layer {layer}, param {param!r}; findings: {names}")

    def _headline(self) -> str:
        verdict = "PASSED" if self.passed else "FAILED"
        keys = ("mode", "sizes", "activations", "cost", "layout", "reduction", "dtype", "method")
        shown = ", ".join(f"{k}={self.settings[k]}" for k in keys if self.settings.get(k))
        tolerance = f"rtol={self.settings.get('rtol'):.3g}" if "rtol" in self.settings else ""
        seed = f"seed={self.settings['seed']}" if "seed" in self.settings else ""
        extra = ", ".join(part for part in (tolerance, seed) if part)
        return f"Gradient check {verdict} ({shown}; {extra})"

    def table(self, tablefmt: str = "simple") -> str:
        """The findings as a tabulate table in ``tablefmt``."""
        return findings_table(self.findings, tablefmt)

    def __str__(self) -> str:
        return f"{self._headline()}\n{self.table()}\n{self.summary}"

    def to_dict(self) -> dict:
        """Everything in JSON-ready types."""
        return {
            "passed": self.passed,
            "settings": self.settings,
            "summary": self.summary,
            "findings": [f.to_dict() for f in self.findings],
        }

    def to_json(self, indent: int = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def _repr_markdown_(self) -> str:
        return f"**{self._headline()}**\n\n{self.table('github')}\n\n{self.summary}\n"

    def _repr_html_(self) -> str:
        import html

        return (
            f"<p><b>{html.escape(self._headline())}</b></p>\n{self.table('html')}\n"
            f"<p>{html.escape(self.summary)}</p>"
        )


# -- finite differences (verify.core.finite_differences) -------------------------------------------


def _cross_check_reference(network: Network, X, y, reference) -> None:
    """Raise OracleError unless numeric's gradient matches complex-step finite differences.

    Complex steps are exact to rounding, so the two must agree at float64's exact-reference
    tolerance; the FD error estimate is added entry by entry. Networks above
    ``FULL_CROSS_CHECK_LIMIT`` parameters are checked along ``N_DIRECTIONS`` random directions.
    """
    rtol, _ = default_tolerances(np.float64)
    if network.n_params <= FULL_CROSS_CHECK_LIMIT:
        fd = network_gradient(network, X, y, method="complex")
        findings = compare_gradients(
            reference,
            fd.gradient,
            rtol=rtol,
            dtype=np.float64,
            uncertainty=fd.error,
            kinks=fd.kink,
        )
        if all(f.passed for f in findings):
            return
        raise OracleError(
            "the oracle's reference gradient (numeric's backprop, 'yours' below) disagrees with "
            "its complex-step finite differences: a bug in chainrule, or in the derivative of a "
            f"custom Activation or Cost:\n{findings_table(findings)}"
        )
    check = directional_check(
        network_loss(network, X, y),
        reference,
        network.params,
        n_directions=N_DIRECTIONS,
        seed=0,
        method="complex",
    )
    if not check.passed:
        raise OracleError(
            "the oracle's reference gradient (numeric's backprop) fails its directional "
            "complex-step check: a bug in chainrule, or in the derivative of a custom Activation "
            f"or Cost:\n{check}"
        )


# -- calling foreign code ---------------------------------------------------------------------


def _copy(structure):
    """A deep copy whose arrays are fresh, writable and C-contiguous."""
    if isinstance(structure, np.ndarray):
        return np.array(structure, copy=True, order="C")
    if isinstance(structure, (list, tuple)):
        return type(structure)(_copy(item) for item in structure)
    return copy.deepcopy(structure)


def _modified(before, after, path: str):
    """Paths (``"params[0][1]"``) at which ``after`` no longer equals ``before``."""
    if isinstance(before, np.ndarray):
        if not isinstance(after, np.ndarray) or after.shape != before.shape:
            yield path, "replaced"
        elif not np.array_equal(before, after, equal_nan=True):
            change = np.max(np.abs(after.astype(np.float64) - before.astype(np.float64)))
            yield path, f"max change {change:.3g}"
    elif isinstance(before, (list, tuple)):
        if not isinstance(after, (list, tuple)) or len(after) != len(before):
            yield path, "its length or type changed"
            return
        for i, (b, a) in enumerate(zip(before, after)):
            yield from _modified(b, a, f"{path}[{i}]")


def _mutation_findings(snapshots: Mapping[str, object], current: Mapping[str, object], pairs):
    findings = []
    for name, before in snapshots.items():
        for path, how in _modified(before, current[name], name):
            layer = param = None
            indices = path[len(name) :].strip("[]").split("][") if path != name else []
            if name == "params" and pairs and len(indices) >= 1 and indices[0]:
                layer = int(indices[0]) + 1
                param = PAIR[int(indices[1])] if len(indices) >= 2 else None
            findings.append(
                Finding(
                    layer=layer,
                    param=param,
                    kind="mutation",
                    detail=f"grad_fn modified its input {path} in place ({how})",
                )
            )
    return findings


def _call(function: Callable, *args) -> tuple[object, Finding | None]:
    """``function(*args)``, or the exception it raised as a finding."""
    try:
        return function(*args), None
    except Exception as err:  # anything grad_fn raises is a finding, never a crash
        message = f"{type(err).__name__}: {err}"
        return None, Finding(layer=None, param=None, kind="exception", detail=message)


def _is_pair_list(structure, n_layers: int) -> bool:
    return (
        isinstance(structure, (list, tuple))
        and len(structure) == n_layers
        and all(is_pair(item) for item in structure)
    )


def _pairs_by_layer(user, reference) -> bool:
    """Whether ``user`` is a list of (W^m, b^m) pairs, layer by layer, in any orientation.

    Layer m's pair must hold exactly the values of the canonical W^m and b^m (as multisets), so a
    structure that merely has the same lengths (Nielsen's (biases, weights) for two layers) is not
    mistaken for one.
    """
    if not _is_pair_list(user, len(reference)):
        return False
    for pair, canonical in zip(user, reference):
        for mine, theirs in zip(pair, canonical):
            mine = np.asarray(mine)
            if mine.size != theirs.size or not np.array_equal(
                np.sort(mine, axis=None), np.sort(theirs, axis=None)
            ):
                return False
    return True


def _compare_in_layout(layout, result, reference, **options) -> list[Finding]:
    """Compare in the user's layout when it is a list of pairs, else through params_from_user."""
    reference_user = layout.params_to_user(reference)
    if _pairs_by_layer(reference_user, reference):
        return compare_gradients(result, [tuple(pair) for pair in reference_user], **options)
    try:
        canonical = layout.params_from_user(result)
    except Exception as err:  # the layout cannot read what grad_fn returned
        detail = f"the layout cannot read the returned gradient: {type(err).__name__}: {err}"
        return [Finding(layer=None, param=None, kind="type", detail=detail)]
    return compare_gradients(canonical, reference, **options)


# -- reference mode ---------------------------------------------------------------------------


def check_gradients(
    grad_fn: Callable,
    *,
    sizes,
    activations,
    cost,
    layout="rows",
    reduction: str = "mean",
    dtype=np.float64,
    seed: int = 0,
    n_samples: int = 8,
    rtol: float | None = None,
    atol: float | None = None,
) -> GradientReport:
    """Check ``grad_fn(params, X, y)`` against chainrule's reference gradient.

    Parameters
    ----------
    grad_fn : callable
        ``grad_fn(params, X, y) -> gradient`` in ``layout``: ``params`` a list of (W, b) pairs,
        the gradient the same structure (dC/dW^m, dC/db^m). It gets copies; modifying them is
        reported as a ``"mutation"`` finding.
    sizes : sequence of int
        N^0, ..., N^L.
    activations : str or sequence of str
        One name for every layer, or one per layer (see ``numeric.ACTIVATIONS``).
    cost : str
        ``"squared_error"`` (1/2 sum over outputs), ``"cross_entropy"`` or
        ``"categorical_cross_entropy"`` (see ``numeric.COSTS``).
    layout : {"rows", "columns", "sklearn"} or Layout
        How ``grad_fn`` wants its arrays (see ``verify.oracle.layouts``).
    reduction : {"mean", "sum"}
        The batch cost is the mean (or sum) over samples of the per-sample cost.
    dtype : numpy.float64 or numpy.float32
        The dtype of the arrays handed to ``grad_fn``; it sets the default tolerances.
    seed : int
        Seeds parameters and data.
    n_samples : int
        Batch size.
    rtol, atol : float, optional
        Override ``verify.core.compare.default_tolerances(dtype)``.

    Returns
    -------
    GradientReport

    Raises
    ------
    ValueError, TypeError
        For bad arguments (never for anything grad_fn does).
    OracleError
        When chainrule's own reference fails its finite-difference cross-check.
    """
    check_callable("grad_fn", grad_fn)
    layout = get_layout(layout)
    dtype = check_dtype(dtype, DTYPES)
    seed = check_int("seed", seed, 0)
    n_samples = check_int("n_samples", n_samples, 1)
    network = Network(sizes, activations, cost, reduction=reduction, seed=seed)
    params, X, y = make_problem(network, dtype=dtype, n_samples=n_samples, seed=seed)
    _, reference = network.loss_and_gradients(X, y)
    _cross_check_reference(network, X, y, reference)

    user_params = _copy(
        layout.params_to_user([(W.astype(dtype), b.astype(dtype)) for W, b in params])
    )
    user_X, user_y = (_copy(a) for a in layout.data_to_user(X.astype(dtype), y.astype(dtype)))
    inputs = {"params": user_params, "X": user_X, "y": user_y}
    snapshots = {name: _copy(value) for name, value in inputs.items()}
    result, failure = _call(grad_fn, user_params, user_X, user_y)
    findings = _mutation_findings(snapshots, inputs, _pairs_by_layer(user_params, params))
    if failure is not None:
        findings.insert(0, failure)
    else:
        findings = (
            _compare_in_layout(
                layout,
                result,
                reference,
                rtol=rtol,
                atol=atol,
                dtype=dtype,
                named_factors={"n_samples": n_samples, "n_outputs": network.sizes[-1]},
            )
            + findings
        )
    default_rtol, default_atol = default_tolerances(dtype)
    settings = {
        "mode": "reference",
        "sizes": list(network.sizes),
        "activations": [a.name for a in network.activations],
        "cost": network.cost.name,
        "layout": getattr(layout, "name", type(layout).__name__),
        "reduction": reduction,
        "dtype": dtype.name,
        "seed": seed,
        "n_samples": n_samples,
        "rtol": default_rtol if rtol is None else float(rtol),
        "atol": default_atol if atol is None else float(atol),
    }
    return GradientReport(findings, settings, summarize(findings))


def assert_gradients(grad_fn: Callable, **options) -> GradientReport:
    """``check_gradients(grad_fn, **options)``; AssertionError (the report) unless it passes.

    Examples
    --------
    In a user's test suite::

        def test_my_backprop():
            verify.assert_gradients(my_grad, sizes=[3, 5, 2], activations="sigmoid",
                                    cost="cross_entropy", layout="columns")
    """
    report = check_gradients(grad_fn, **options)
    if not report.passed:
        raise AssertionError(str(report))
    return report


# -- black-box mode ---------------------------------------------------------------------------


def _check_params(params) -> tuple[list, Structure]:
    """The arrays of ``params`` (any iterable of (W, b) pairs or of array-likes), checked, and
    its structure as a list of tuples or of arrays."""
    if isinstance(params, Iterable) and not isinstance(params, (str, bytes, Mapping, np.ndarray)):
        params = list(params)
    leaves, structure = flatten(params, leaf=functools.partial(real_leaf, convert=True), named=True)
    return leaves, structure.canonical()


def _real_part(value) -> float:
    return float(np.real(np.asarray(value).reshape(())))


def _accepts_complex(loss_fn: Callable, leaves, structure: Structure, seed: int) -> bool:
    """Whether complex-step derivatives of ``loss_fn`` are trustworthy at ``params`` (float64).

    It must take complex input and return a finite complex scalar whose real part is the real
    loss, and its complex-step derivative along a seeded random direction must match a central
    difference: code that is not analytic (abs, conjugation, a comparison on complex values)
    fails here and gets real differences instead.
    """
    rng = np.random.default_rng(seed)
    direction = [rng.standard_normal(np.shape(a)) for a in leaves]

    def along(t, dtype):
        return structure.unflatten([(a + t * d).astype(dtype) for a, d in zip(leaves, direction)])

    values = []  # what loss_fn returned for complex input, checked below

    def complex_loss(t):
        values.append(np.asarray(loss_fn(along(t, np.complex128))))
        return values[-1]

    step = 1e-5
    try:
        with np.errstate(all="ignore"):
            real = _real_part(loss_fn(along(0.0, np.float64)))
            slope = complex_derivative(complex_loss, 0.0)
            forward = _real_part(loss_fn(along(step, np.float64)))
            backward = _real_part(loss_fn(along(-step, np.float64)))
    except Exception:  # complex input refused somewhere: use real differences
        return False
    (value,) = values
    if value.size != 1 or not np.iscomplexobj(value) or not np.isfinite(value).all():
        return False
    value, slope = complex(value.reshape(())), float(np.reshape(slope, ()))
    scale = max(abs(real), 1.0)
    if abs(value.real - real) > 1e-8 * scale:
        return False
    central = (forward - backward) / (2 * step)
    # Central differences at step 1e-5 are good to about 1e-9 relative to the loss's scale here.
    return abs(slope - central) <= 1e-5 * max(abs(central), scale)


def gradcheck(
    loss_fn: Callable,
    grad_fn: Callable,
    params,
    *,
    method: str | None = None,
    seed: int = 0,
    rtol: float | None = None,
    atol: float | None = None,
) -> GradientReport:
    """Check ``grad_fn`` against finite differences of ``loss_fn``, at ``params``.

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn(params) -> float``. Finite differences evaluate it on float64 copies of the
        parameters (complex128 for complex steps), so a float32 implementation's loss is
        differentiated without float32's rounding.
    grad_fn : callable
        ``grad_fn(params) -> gradient`` in ``params``' structure, called on a copy in the
        parameters' own dtype; modifying it is a ``"mutation"`` finding.
    params : list of (W, b) pairs or list of arrays
        Where to check. Findings name (W, b) pairs' layer m and parameter, a flat list's array i.
    method : {"central", "complex", "richardson"} or None
        None takes the first of ``PREFERENCE`` that fits: complex-step when ``loss_fn`` accepts
        complex input and is analytic along a random direction (checked), else
        Richardson-extrapolated central differences.
    seed : int
        Seeds the direction of the complex-step test.
    rtol, atol : float, optional
        Override ``default_tolerances`` for the least precise dtype among ``params`` (an exact
        reference for complex steps, a finite-difference one otherwise, whose error estimate is
        also added entry by entry).

    Returns
    -------
    GradientReport
        ``"kink"`` findings where the only disagreements are at entries whose real differences
        crossed a kink of the loss.
    """
    check_callable("loss_fn", loss_fn)
    check_callable("grad_fn", grad_fn)
    method = check_choice("method", method, METHODS, optional=True)
    seed = check_int("seed", seed, 0)
    leaves, structure = _check_params(params)
    dtype = least_precise_dtype(leaves)
    leaves64 = [np.array(a, dtype=np.float64) for a in leaves]
    params64 = structure.unflatten(leaves64)
    if method is None:
        complex_ok = _accepts_complex(loss_fn, leaves64, structure, seed)
        method = PREFERENCE[0] if complex_ok else PREFERENCE[1]

    user_params = _copy(structure.unflatten(leaves))
    snapshot = _copy(user_params)
    result, failure = _call(grad_fn, user_params)
    findings = _mutation_findings({"params": snapshot}, {"params": user_params}, structure.pairs)
    reference_kind = "exact" if method == "complex" else "finite_difference"
    default_rtol, default_atol = default_tolerances(dtype, reference_kind)
    if failure is None:
        fd, failure = _call(lambda: numerical_gradient(loss_fn, params64, method=method))
        if failure is not None:
            failure = replace(failure, detail=f"loss_fn: {failure.detail}")
    if failure is not None:
        findings.insert(0, failure)
    else:
        findings = (
            compare_gradients(
                result,
                fd.gradient,
                rtol=default_rtol if rtol is None else rtol,
                atol=atol,
                dtype=dtype,
                uncertainty=fd.error,
                kinks=fd.kink,
            )
            + findings
        )
    settings = {
        "mode": "black-box",
        "method": method,
        "dtype": np.dtype(dtype).name,
        "seed": seed,
        "rtol": default_rtol if rtol is None else float(rtol),
        "atol": default_atol if atol is None else float(atol),
    }
    return GradientReport(findings, settings, summarize(findings))


def assert_gradcheck(loss_fn: Callable, grad_fn: Callable, params, **options) -> GradientReport:
    """``gradcheck(...)``; AssertionError (the report) unless it passes."""
    report = gradcheck(loss_fn, grad_fn, params, **options)
    if not report.passed:
        raise AssertionError(str(report))
    return report
