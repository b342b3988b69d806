"""A test oracle for other people's backprop: check a gradient function and name what is wrong.

Two modes, one report:

``check_gradients(grad_fn, sizes=..., activations=..., cost=...)`` (reference mode)
    The oracle makes parameters and data valid for the cost, in the declared layout and dtype,
    calls ``grad_fn(params, X, y)`` on copies, and compares the returned gradient with numeric's
    backprop in float64 — itself cross-checked by complex-step finite differences first, so the
    reference is trusted by neither side's say-so.
``gradcheck(loss_fn, grad_fn, params)`` (black-box mode)
    For any implementation with a loss and a gradient and no declared architecture, ``params`` in
    any nesting of arrays and numbers: the reference is the finite-difference gradient of
    ``loss_fn`` (complex-step when ``loss_fn`` is deterministic, float64-precise and analytic,
    else Richardson-extrapolated central differences) from ``verify.core.blackbox``, which
    measures how precisely the loss is computed, steps around kinks and jumps nearby, and says
    which entries it cannot resolve. A parameter whose reference cannot separate a right gradient
    from a slightly wrong one is ``"inconclusive"``, never ``"ok"``; one on a kink of the loss
    must lie between its one-sided derivatives there and agree beside the kink as well.

Either way ``GradientReport.findings`` holds one :class:`verify.core.compare.Finding` per layer and
parameter, saying what the gradient is (``"ok"``, ``"sign"``, ``"scale"`` with its factor,
``"transpose"``, ``"layer_order"``, ``"shape"``, ``"nonfinite"``, ``"kink"``, ``"mismatch"``), plus
findings about the call itself: ``"exception"`` (grad_fn raised), ``"type"`` (it returned something
that is not a gradient), ``"mutation"`` (it modified its inputs in place). The oracle never raises
because of what the user's code does: anything it raises, ``SystemExit`` and ``GeneratorExit``
included, is a finding (only ``KeyboardInterrupt`` stops the check); what it returns is read with
guards against self-reference and absurd sizes; NumPy's error state and NumPy's and Python's global
random states are restored afterwards. It raises :class:`OracleError` only when its own reference
fails its cross-check. (``chainrule oracle`` goes further and runs the user's code in a child
process: ``verify.oracle.child``.)

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

import contextlib
import copy
import json
import math
import numbers
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from numeric import Network
from numeric.network import DTYPES
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
    findings_table,
    least_precise_dtype,
    summarize,
)
from verify.core.findings import finding_from_dict
from verify.core.finite_differences import (
    METHODS,
    directional_check,
    network_gradient,
    network_loss,
)
from verify.core.params import PAIR, is_pair, leaf_name
from verify.core.tree import GuardError, Node, flatten_like, flatten_tree, guard, unflatten_tree
from verify.core.validation import (
    argument_error,
    check_callable,
    check_choice,
    check_dtype,
    check_int,
    check_number,
)
from verify.oracle.conventions import declare
from verify.oracle.diagnosis import Trial
from verify.oracle.diagnosis import diagnose as diagnose_report
from verify.oracle.layouts import LAYOUTS

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
        The pattern the findings make, in a few sentences ("inconclusive: ..." when the check
        cannot tell).
    reference : BlackBoxGradient or None
        ``gradcheck``'s finite-difference reference, for checking another gradient of the same
        loss at the same parameters (``gradcheck(..., reference=report.reference)``).

    ``passed`` is True only when every finding passes; ``inconclusive`` when none fails but some
    parameter cannot be told right from wrong (``reason`` says why; ``passed`` is then False);
    ``verdict`` is one of "passed", "failed", "inconclusive".
    """

    findings: list[Finding]
    settings: dict = field(default_factory=dict)
    summary: str = ""
    reference: BlackBoxGradient | None = field(default=None, repr=False, compare=False)

    @property
    def passed(self) -> bool:
        return bool(self.findings) and all(f.passed for f in self.findings)

    @property
    def inconclusive(self) -> bool:
        """Nothing disagrees, but some parameter cannot be told right from wrong (``reason``)."""
        return any(f.kind == "inconclusive" for f in self.findings) and not any(
            not f.passed and f.kind != "inconclusive" for f in self.findings
        )

    @property
    def verdict(self) -> str:
        """``"passed"``, ``"failed"`` or ``"inconclusive"``."""
        return "passed" if self.passed else "inconclusive" if self.inconclusive else "failed"

    @property
    def reason(self) -> str:
        """Why the check is inconclusive (empty otherwise)."""
        if not self.inconclusive:
            return ""
        details = [f"{f.name}: {f.detail}" for f in self.findings if f.kind == "inconclusive"]
        return "inconclusive: " + " | ".join(details)

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
        verdict = self.verdict.upper()
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
            "inconclusive": self.inconclusive,
            "verdict": self.verdict,
            "reason": self.reason,
            "settings": self.settings,
            "summary": self.summary,
            "findings": [f.to_dict() for f in self.findings],
        }

    @classmethod
    def from_dict(cls, data: dict) -> GradientReport:
        """The report that ``to_dict`` described (read back from JSON)."""
        findings = [finding_from_dict(item) for item in data.get("findings", [])]
        return cls(findings, dict(data.get("settings", {})), str(data.get("summary", "")))

    def to_json(self, indent: int = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, default=str)

    def render(self, fmt: str = "text") -> str:
        """The whole report, headline, table and summary, in ``fmt``: "text", "json", "github"
        (Markdown; "md" too), "html", or "latex" ("tex")."""
        if fmt in ("text", "txt"):
            return str(self)
        if fmt == "json":
            return self.to_json()
        if fmt in ("github", "md"):
            return self._repr_markdown_()
        if fmt == "html":
            return self._repr_html_()
        if fmt in ("latex", "tex"):
            from verify.formats import latex_escape

            return (
                f"\\textbf{{{latex_escape(self._headline())}}}\n\n{self.table('latex')}\n\n"
                f"{latex_escape(self.summary)}\n"
            )
        known = "'text', 'json', 'github', 'md', 'html', 'latex', 'tex'"
        raise argument_error("fmt", f"one of {known}", fmt)

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


@contextlib.contextmanager
def _protected_state():
    """Restore what foreign code may change globally: NumPy's error state and error callback,
    NumPy's and Python's global random states."""
    errors, callback = np.geterr(), np.geterrcall()
    numpy_random = np.random.get_state()  # noqa: NPY002 - the legacy global state, saved
    python_random = random.getstate()
    try:
        yield
    finally:
        np.seterr(**errors)
        np.seterrcall(callback)
        np.random.set_state(numpy_random)  # noqa: NPY002 - restored
        random.setstate(python_random)


def _call(
    function: Callable, *args, budget: int | None = None, name: str = "grad_fn"
) -> tuple[object, Finding | None]:
    """``function(*args)``, or what went wrong as a finding.

    Anything raised is an ``"exception"`` finding, ``SystemExit`` and ``GeneratorExit`` included
    (only ``KeyboardInterrupt`` stops the check). With a ``budget``, the returned object is
    checked to be readable (``verify.core.tree.guard``: no container inside itself, at most
    ``budget`` numbers); when it is not, a ``"type"`` finding says why.
    """
    errors = np.geterr()
    try:
        result = function(*args)
    except KeyboardInterrupt:
        raise
    except OracleError:
        raise
    except BaseException as err:  # anything foreign code raises is a finding, never a crash
        message = f"{name} raised {type(err).__name__}: {err}".rstrip(": ")
        if isinstance(err, SystemExit):
            message += " (it tried to end the process)"
        return None, Finding(layer=None, param=None, kind="exception", detail=message)
    finally:
        np.seterr(**errors)  # its np.seterr(all="raise") must not reach the oracle's own code
    if budget is None:
        return result, None
    try:
        return guard(result, budget, what=f"what {name} returned"), None
    except KeyboardInterrupt:
        raise
    except GuardError as err:
        return None, Finding(layer=None, param=None, kind="type", detail=str(err))
    except BaseException as err:  # iterating the returned object ran foreign code that failed
        detail = f"reading what {name} returned raised {type(err).__name__}: {err}"
        return None, Finding(layer=None, param=None, kind="type", detail=detail)


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
    result, failure = _call(grad_fn, user_params, user_X, user_y, budget=budget)
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
    with _protected_state():
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
        trial = Trial(grad_fn, check_gradients, _call, options, declared, forward, loss)
        with _protected_state():
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


# -- black-box mode ---------------------------------------------------------------------------


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
    with _protected_state():
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
        result, failure = _call(self.grad_fn, user_params, budget=budget, name="grad_fn")
        findings = _tree_mutations(tree, snapshot, user_params, labels)
        loss = _Loss(self.loss_fn, tree)
        fd = reference
        if failure is None and fd is None:
            fd, failure = _call(
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
