"""A test oracle for other people's backprop: check a gradient function and name what is wrong.

Two modes, one report (:class:`GradientReport`, ``verify.oracle.report``):

``check_gradients(grad_fn, sizes=..., activations=..., cost=...)`` (reference mode, here)
    The oracle makes parameters and data valid for the cost, in the declared layout and dtype,
    calls ``grad_fn(params, X, y)`` on copies, and compares the returned gradient with numeric's
    backprop in float64 — itself cross-checked by complex-step finite differences first, so the
    reference is trusted by neither side's say-so.
``gradcheck(loss_fn, grad_fn, params)`` (black-box mode, ``verify.oracle.blackbox_check``)
    For any implementation with a loss and a gradient and no declared architecture: the
    reference is the finite-difference gradient of ``loss_fn``, and a parameter whose reference
    cannot separate a right gradient from a slightly wrong one is ``"inconclusive"``, never
    ``"ok"``.

Either way ``GradientReport.findings`` holds one :class:`verify.core.compare.Finding` per layer and
parameter, saying what the gradient is (``"ok"``, ``"sign"``, ``"scale"`` with its factor,
``"transpose"``, ``"layer_order"``, ``"shape"``, ``"nonfinite"``, ``"kink"``, ``"mismatch"``), plus
findings about the call itself: ``"exception"`` (grad_fn raised), ``"type"`` (it returned something
that is not a gradient), ``"mutation"`` (it modified its inputs in place). The oracle never raises
because of what the user's code does: anything it raises, ``SystemExit`` and ``GeneratorExit``
included, is a finding (only ``KeyboardInterrupt`` stops the check); what it returns is read with
guards against self-reference and absurd sizes; NumPy's error state and NumPy's and Python's global
random states are restored afterwards (``verify.oracle.foreign``). It raises :class:`OracleError`
only when its own reference fails its cross-check. (``chainrule oracle`` goes further and runs the
user's code in a child process: ``verify.oracle.child``.)

This module holds reference mode; ``gradcheck``, ``assert_gradcheck``, ``PREFERENCE``,
``GradientReport`` and ``OracleError`` can be imported from it as well as from their own modules.

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
from collections.abc import Callable, Mapping
from dataclasses import replace

import numpy as np

from numeric import Network
from numeric.network import DTYPES
from verify.core.compare import (
    Finding,
    compare_gradients,
    default_tolerances,
    findings_table,
    summarize,
)
from verify.core.finite_differences import (
    directional_check,
    network_gradient,
    network_loss,
)
from verify.core.params import PAIR, is_pair
from verify.core.validation import (
    check_callable,
    check_dtype,
    check_int,
    check_number,
)
from verify.oracle.blackbox_check import (  # black-box mode, importable from here too
    PREFERENCE,  # noqa: F401 - re-exported
    assert_gradcheck,
    gradcheck,
)
from verify.oracle.conventions import declare
from verify.oracle.diagnosis import Trial
from verify.oracle.diagnosis import diagnose as diagnose_report
from verify.oracle.foreign import call, protected_state
from verify.oracle.layouts import LAYOUTS
from verify.oracle.report import GradientReport, OracleError

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


# -- grad_fn in a layout: copies of its inputs, their mutations, what it returns --------------


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


def _check_in_layout(grad_fn, layout, params, X, y, reference, dtype, options) -> list[Finding]:
    """Call ``grad_fn`` on copies of the problem in ``layout`` and judge what it returns."""
    user_params = _copy(
        layout.params_to_user([(W.astype(dtype), b.astype(dtype)) for W, b in params])
    )
    user_X, user_y = (_copy(a) for a in layout.data_to_user(X.astype(dtype), y.astype(dtype)))
    inputs = {"params": user_params, "X": user_X, "y": user_y}
    snapshots = {name: _copy(value) for name, value in inputs.items()}
    budget = 100 * sum(W.size + b.size for W, b in params) + 1000
    result, failure = call(grad_fn, user_params, user_X, user_y, budget=budget)
    findings = _mutation_findings(snapshots, inputs, _pairs_by_layer(user_params, params))
    if failure is not None:
        return [failure, *findings]
    try:
        compared = _compare_in_layout(layout, result, reference, **options)
    except (KeyboardInterrupt, OracleError):
        raise
    except BaseException as err:  # reading the returned objects ran foreign code that failed
        detail = f"reading the returned gradient raised {type(err).__name__}: {err}"
        compared = [Finding(layer=None, param=None, kind="type", detail=detail)]
    return compared + findings


# What a failure must look like for the other layouts to be tried: the user's own shape error,
# or a gradient of the wrong shapes or structure.
_HINTED_KINDS = ("exception", "shape", "type")


def _layout_hint(grad_fn, layout, findings, params, X, y, reference, dtype, options) -> str:
    """``"it passes with layout='columns'"`` when the failure looks like a layout mismatch and
    another built-in layout makes ``grad_fn`` pass; else empty."""
    name = getattr(layout, "name", None)
    if name not in LAYOUTS or LAYOUTS[name] is not layout:
        return ""
    if any(f.kind not in _HINTED_KINDS and not f.passed for f in findings) or all(
        f.passed for f in findings
    ):
        return ""
    if any(f.kind == "exception" and "raised SystemExit" in f.detail for f in findings):
        return ""
    for other_name, other in LAYOUTS.items():
        if other_name == name:
            continue
        other_findings = _check_in_layout(grad_fn, other, params, X, y, reference, dtype, options)
        if other_findings and all(f.passed for f in other_findings):
            return (
                f"with layout={other_name!r} it passes: your code stores data and parameters in "
                f"the {other_name!r} layout (command line: --layout {other_name})"
            )
    return ""


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
    n_samples: int | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    forward: Callable | None = None,
    loss: Callable | None = None,
    diagnose: bool = True,
    **conventions,
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
        One name for every layer, or one per layer (see ``numeric.ACTIVATIONS``); a parameter
        may follow the name: ``"leaky_relu(0.2)"``, ``"elu(alpha=0.5)"``.
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
    n_samples : int, optional
        Batch size; by default 8, or 6 when 8 would equal N^L or twice or half of it.
    rtol, atol : float, optional
        Override ``verify.core.compare.default_tolerances(dtype)``.
    forward, loss : callable, optional
        Your ``forward(params, X) -> output`` and ``loss(params, X, y) -> float`` in ``layout``:
        on failure the report then tells "your network computes a different function" from
        "your backward pass is wrong" (``verify.oracle.diagnosis``).
    diagnose : bool
        On failure, run ``grad_fn`` again on problems that tell causes apart and name those that
        survive (a factor's meaning, an L2 term's coefficient, a parameter, hard labels).
    **conventions
        Your cost's conventions, when they are not chainrule's: ``cost_scale``,
        ``output_reduction``, ``targets``, ``from_logits``, ``l2``, ``l2_biases``,
        ``l2_per_sample`` (``verify.oracle.conventions``; ``convention("torch.MSELoss")`` gives
        a known loss's).

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
    for name, function in (("forward", forward), ("loss", loss)):
        if function is not None:
            check_callable(name, function)
    declared = declare(**conventions)
    user_layout, layout = layout, declared.layout(layout, cost)
    dtype = check_dtype(dtype, DTYPES)
    seed = check_int("seed", seed, 0)
    if n_samples is not None:  # None: verify.oracle.conventions.default_n_samples
        n_samples = check_int("n_samples", n_samples, 1)
    rtol = check_number("rtol", rtol, optional=True)
    atol = check_number("atol", atol, optional=True)
    problem = declared.problem(
        sizes,
        activations,
        cost,
        reduction=reduction,
        dtype=dtype,
        seed=seed,
        n_samples=n_samples,
        cross_check=_cross_check_reference,
    )
    network, params, X, y = problem.network, problem.params, problem.X, problem.y
    reference, n_samples = problem.reference, problem.n_samples

    named_factors = {"n_samples": n_samples, "n_outputs": network.sizes[-1]}
    options = {"rtol": rtol, "atol": atol, "dtype": dtype, "named_factors": named_factors}
    with protected_state():
        findings = _check_in_layout(grad_fn, layout, params, X, y, reference, dtype, options)
        hint = _layout_hint(grad_fn, layout, findings, params, X, y, reference, dtype, options)
    if hint:
        findings = [
            replace(f, detail=f"{f.detail}; {hint}") if not f.passed and f.layer is None else f
            for f in findings
        ]
        if all(f.passed or f.layer is not None for f in findings):
            findings.insert(0, Finding(layer=None, param=None, kind="shape", detail=hint))
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
    if declared.declared():
        settings["conventions"] = declared.declared()
    report = GradientReport(findings, settings, summarize(findings))
    if diagnose and not report.passed:
        options = {"sizes": sizes, "activations": activations, "cost": cost}
        options |= {"layout": user_layout, "reduction": reduction, "dtype": dtype, "seed": seed}
        options |= {"n_samples": n_samples, "rtol": rtol, "atol": atol}
        trial = Trial(grad_fn, check_gradients, call, options, declared, forward, loss)
        with protected_state():
            report = diagnose_report(report, trial)
    return report


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
