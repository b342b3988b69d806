"""Checks of one piece at a time: an activation, a cost, a dense layer.

A bug can hide in a whole network's gradient: a softmax whose backward keeps only the Jacobian's
diagonal, followed by cross-entropy, still gives the right p - y. Checked on its own, the piece
shows it plainly. Each check draws seeded inputs (kept away from 0, where ReLU-like functions have
their kink), runs ``gradcheck`` (``verify.oracle.blackbox_check``) on a scalar made from the piece,
and returns the same :class:`GradientReport` as ``check_gradients``, its findings named after what
the gradient is taken with respect to:

``check_activation(fn, grad)``
    ``z^1``: the derivative da/dz of an elementwise activation (``grad(z)``, or ``grad(a)`` with
    ``of="a"``), compared as the gradient of sum(fn(z)); a vector activation (softmax) is checked
    through its vector-Jacobian product ``grad(z, g)`` (``vjp=True``) or its Jacobians
    ``grad(z) -> (n, k, k)``, as the gradient of sum(g * fn(z)) for a random g.
``check_cost(loss, grad)``
    ``a^1``: dC/da of a batch cost ``loss(a, y)``; with ``cost=`` the inputs lie in that cost's
    domain and the loss is compared with chainrule's (its factor named: a mean over the outputs,
    no 1/2, ...).
``check_layer(forward, backward)``
    ``a^0``, ``W^1``, ``b^1``: a dense layer's gradients for its input and parameters, given the
    gradient g of the cost with respect to its output: ``backward(g, x, W, b) -> (dx, dW, db)``,
    checked as the gradient of sum(g * forward(x, W, b)), in any pair layout.

Findings of kind ``"kink"`` and ``"inconclusive"`` come from ``gradcheck``, which knows when a
finite difference straddles a kink or cannot tell right from wrong.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from numeric import ACTIVATIONS
from numeric.activations import PARAMETRIZED
from numeric.costs import get_cost
from numeric.network import DTYPES
from verify.core.compare import Finding, describe_factor, summarize
from verify.core.validation import (
    argument_error,
    check_callable,
    check_choice,
    check_dtype,
    check_int,
)
from verify.oracle.blackbox_check import gradcheck
from verify.oracle.conventions import (
    TARGETS,
    activation_family,
    declare,
    default_n_samples,
    parse_activation,
)
from verify.oracle.diagnosis import explain_factor
from verify.oracle.layouts import get_layout
from verify.oracle.report import GradientReport

__all__ = ["check_activation", "check_cost", "check_layer"]

# Inputs are drawn at least this far from 0, the kink of ReLU-like activations.
MARGIN = 0.1
_CROSS_ENTROPIES = ("cross_entropy", "categorical_cross_entropy")


# -- shared ------------------------------------------------------------------------------------


def _draw(rng: np.random.Generator, shape, dtype, spread: float = 1.5) -> np.ndarray:
    """Normal values times ``spread``, at least ``MARGIN`` from 0, exact in ``dtype``."""
    z = spread * rng.standard_normal(shape)
    z = np.where(np.abs(z) < MARGIN, np.copysign(MARGIN, z) + z, z)
    return z.astype(dtype).astype(np.float64)


def _shape(value, name: str) -> tuple[int, int]:
    try:
        n, k = (int(v) for v in value)
    except (TypeError, ValueError):
        raise TypeError(
            f"`{name}` must be a pair of ints (n_samples, n_units), got {value!r}"
        ) from None
    if n < 1 or k < 1:
        raise ValueError(f"`{name}` must be a pair of ints >= 1, got {value!r}")
    return n, k


def _relabel(report: GradientReport, labels: dict, settings: dict, extra=(), notes=()):
    """The report with its array findings named ``labels[i] = (layer, param)``, ``extra``
    findings added, the settings replaced and ``notes`` appended to a new summary."""
    findings = [
        replace(f, layer=labels[f.layer][0], param=labels[f.layer][1])
        if f.layer in labels and f.param is None
        else f
        for f in report.findings
    ]
    findings += list(extra)
    summary = " ".join([summarize(findings), *[note for note in notes if note]])
    settings = {**settings, **{k: v for k, v in report.settings.items() if k not in settings}}
    return GradientReport(findings, settings, summary)


def _named_scales(report: GradientReport, named: dict) -> GradientReport:
    """Scale findings re-described with the sizes they may be made of."""
    findings = [
        replace(f, detail=f"scaled by {describe_factor(f.factor, named)}")
        if f.kind == "scale" and f.factor is not None
        else f
        for f in report.findings
    ]
    return replace(report, findings=findings, summary=summarize(findings))


def _call_finding(name: str, err: BaseException) -> Finding:
    return Finding(
        layer=None,
        param=None,
        kind="exception",
        detail=f"{name} raised {type(err).__name__}: {err}",
    )


def _failed(findings, settings) -> GradientReport:
    return GradientReport(list(findings), settings, summarize(list(findings)))


# -- activations -------------------------------------------------------------------------------


def _is_elementwise(fn: Callable, z: np.ndarray) -> bool:
    """Whether changing one entry of z changes that output entry only (observed)."""
    changed = z.copy()
    changed[0, 0] += 0.37
    with np.errstate(all="ignore"):
        before, after = np.asarray(fn(z.copy())), np.asarray(fn(changed))
    others = np.ones(z.shape, dtype=bool)
    others[0, 0] = False
    return bool(np.array_equal(before[others], after[others]))


def check_activation(
    fn: Callable,
    grad: Callable,
    *,
    vjp: bool = False,
    of: str = "z",
    expected=None,
    shape=(4, 5),
    dtype=np.float64,
    seed: int = 0,
    rtol: float | None = None,
    atol: float | None = None,
) -> GradientReport:
    """Check an activation's derivative (or vector-Jacobian product) against its function.

    Parameters
    ----------
    fn : callable
        ``fn(z) -> a`` on an (n_samples, n_units) array; a vector activation acts on each row.
    grad : callable
        Elementwise: ``grad(z) -> da/dz`` (``grad(a)`` with ``of="a"``, a = fn(z)), z's shape.
        A vector activation: ``grad(z) -> (n_samples, k, k)`` Jacobians da_i/dz_j, or with
        ``vjp=True`` the vector-Jacobian product ``grad(z, g) -> dC/dz`` for the upstream
        gradient g = dC/da (``grad(a, g)`` with ``of="a"``).
    vjp : bool
        Whether ``grad`` takes the upstream gradient.
    of : {"z", "a"}
        Whether ``grad`` receives the pre-activation z or the output a.
    expected : str or numeric.Activation, optional
        What ``fn`` should be (``"sigmoid"``, ``"leaky_relu(0.2)"``): a function that differs is
        a ``"mismatch"`` finding for ``a^1``; for leaky ReLU and ELU the parameter that fits is
        named.
    shape : (int, int)
        (n_samples, n_units) of z, drawn N(0, 1.5^2) at least ``MARGIN`` away from 0.
    dtype, seed, rtol, atol
        As ``gradcheck``: z is exact in ``dtype``, ``grad`` gets it in ``dtype``.

    Returns
    -------
    GradientReport
        One finding ``z^1`` (dC/dz), plus ``a^1`` when ``expected`` differs from ``fn``.

    Examples
    --------
    >>> import numpy as np
    >>> sigmoid = lambda z: 1 / (1 + np.exp(-z))
    >>> check_activation(sigmoid, lambda a: a * (1 - a), of="a").passed
    True
    """
    check_callable("fn", fn)
    check_callable("grad", grad)
    of = check_choice("of", of, ("z", "a"))
    dtype = check_dtype(dtype, DTYPES)
    seed = check_int("seed", seed, 0)
    shape = _shape(shape, "shape")
    rng = np.random.default_rng(seed)
    z = _draw(rng, shape, dtype)
    g = rng.standard_normal(shape).astype(dtype).astype(np.float64)
    settings = {"mode": "activation", "of": of, "vjp": bool(vjp), "shape": list(shape)}
    settings |= {"dtype": dtype.name, "seed": seed}
    try:
        elementwise = _is_elementwise(fn, z)
    except Exception as err:
        return _failed([_call_finding("fn", err)], settings)
    settings["elementwise"] = elementwise
    notes, extra = [], []

    def argument(p):
        return p if of == "z" else np.asarray(fn(p))

    upstream = []  # the g handed to a vjp, to see whether it was modified

    def with_upstream(p):
        given = g.astype(dtype)
        upstream.append(given)
        return grad(argument(p), given)

    if vjp:
        loss_fn = _weighted(fn, g)

        def grad_fn(p):
            return [np.asarray(with_upstream(p[0]))]

    elif elementwise:

        def loss_fn(p):
            return np.sum(fn(p[0]))

        def grad_fn(p):
            return [np.asarray(grad(argument(p[0])))]

    else:
        loss_fn = _weighted(fn, g)

        def grad_fn(p):
            result = np.asarray(grad(argument(p[0])))
            if result.ndim == 3 and result.shape[1:] == (shape[1], shape[1]):
                return [np.einsum("sij,si->sj", result, g)]  # J^T g, row by row
            return [g * result]

        notes.append(
            "fn is not elementwise (changing z[0, 0] moves other outputs of its row), so its "
            "derivative is a Jacobian per row: it is checked as the vector-Jacobian product "
            "J^T g for a random g. An elementwise derivative keeps only the diagonal and fails "
            "here; give the Jacobians (n_samples, k, k) or vjp=True."
        )
    report = gradcheck(loss_fn, grad_fn, [z.astype(dtype)], seed=seed, rtol=rtol, atol=atol)
    if any(not np.array_equal(given, g.astype(dtype)) for given in upstream):
        extra.append(
            Finding(
                layer=None,
                param=None,
                kind="mutation",
                detail="grad modified its input g (the upstream gradient dC/da) in place",
            )
        )
    if expected is not None:
        finding, note = _expected_activation(fn, expected, z, dtype)
        if finding is not None:
            extra.append(finding)
        notes.append(note)
    return _relabel(report, {1: (1, "z")}, settings, extra, notes)


def _weighted(fn: Callable, g: np.ndarray) -> Callable:
    def loss_fn(p):
        return np.sum(g * fn(p[0]))

    return loss_fn


def _expected_activation(fn, expected, z, dtype):
    """A finding when ``fn`` is not ``expected`` on z, and a note naming what it is instead."""
    target = parse_activation(expected, "expected") if isinstance(expected, str) else expected
    mine = np.asarray(fn(z.astype(dtype)), dtype=np.float64)
    theirs = np.asarray(target(z), dtype=np.float64)
    rtol = 4 * math.sqrt(float(np.finfo(dtype).eps))
    scale = max(float(np.sqrt(np.mean(theirs**2))), 1e-300)
    if mine.shape == theirs.shape and np.all(
        np.abs(mine - theirs) <= rtol * np.maximum(np.abs(theirs), scale)
    ):
        return None, f"fn is {target.name} (to rounding)."
    family = activation_family(target)
    fitted = None
    if family is not None and mine.shape == theirs.shape:
        make = PARAMETRIZED[family[0]][0]
        negative = z < 0
        if family[0] == "leaky_relu" and negative.any():
            fitted = float(np.median(mine[negative] / z[negative]))
        elif family[0] == "elu" and negative.any():
            fitted = float(np.median(mine[negative] / np.expm1(z[negative])))
        if fitted is not None:
            fitted = float(f"{fitted:.6g}")
            candidate = np.asarray(make(fitted)(z), dtype=np.float64)
            if not np.all(np.abs(mine - candidate) <= rtol * np.maximum(np.abs(candidate), scale)):
                fitted = None
    where = (
        np.unravel_index(np.argmax(np.abs(mine - theirs)), theirs.shape)
        if mine.shape == theirs.shape
        else None
    )
    if fitted is not None:
        detail = f"fn is {family[0]}({fitted!r}), not {family[0]}({family[1]!r})"
    elif where is not None:
        detail = (
            f"fn is not {target.name}: at z = {z[where]:.4g} it gives {mine[where]:.4g}, "
            f"{target.name} gives {theirs[where]:.4g}"
        )
    else:
        detail = f"fn is not {target.name}: it returns shape {mine.shape}, expected {theirs.shape}"
    return Finding(layer=1, param="a", kind="mismatch", detail=detail), ""


# -- costs -------------------------------------------------------------------------------------


def _outputs(rng, cost, shape, from_logits: bool, dtype) -> np.ndarray:
    """Network outputs in the cost's domain: logits, reals, values in (0, 1) or distributions."""
    if cost is None or from_logits or cost.targets == "real":
        return _draw(rng, shape, dtype, spread=1.0)
    if cost.targets == "unit":
        return rng.uniform(0.05, 0.95, shape).astype(dtype).astype(np.float64)
    z = rng.standard_normal(shape)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).astype(dtype).astype(np.float64)


def _targets(rng, cost, shape, targets: str, seed: int):
    """(targets for chainrule's cost, targets handed to the user)."""
    n, k = shape
    if cost is None:
        y = rng.standard_normal(shape)
        return y, y
    soft = cost.sample_targets(rng, n, k)
    hard = declare(targets=targets).hard_targets(cost, soft, seed) if targets != "soft" else soft
    if targets != "labels":
        return hard, hard
    if cost.targets == "distribution":
        return hard, np.argmax(hard, axis=1).astype(np.int64)
    return hard, (hard[:, 0] if k == 1 else hard).astype(np.int64)


def check_cost(
    loss: Callable,
    grad: Callable,
    *,
    cost=None,
    targets: str = "soft",
    from_logits: bool = False,
    shape=(4, 3),
    dtype=np.float64,
    seed: int = 0,
    rtol: float | None = None,
    atol: float | None = None,
) -> GradientReport:
    """Check a cost's gradient dC/da against the cost itself.

    Parameters
    ----------
    loss : callable
        ``loss(a, y) -> float``, the batch cost of outputs a (n_samples, n_outputs).
    grad : callable
        ``grad(a, y) -> dC/da``, a's shape.
    cost : str or numeric.Cost, optional
        chainrule's cost this one should be: a and y are drawn in its domain (outputs in (0, 1),
        distributions, ...) and the loss value is compared with chainrule's (mean over samples
        of the per-sample cost), the factor between them named. Without it, a and y are reals.
    targets : {"soft", "one_hot", "labels"}
        Targets from the cost's whole domain, hard ones, or integer labels (class indices of
        shape (n_samples,) for categorical cross-entropy).
    from_logits : bool
        a are logits and ``loss`` applies the cost's output activation (sigmoid, softmax).
    shape, dtype, seed, rtol, atol
        As ``check_activation``.

    Returns
    -------
    GradientReport
        One finding ``a^1`` (dC/da); the summary names the loss's factor to chainrule's cost.
    """
    check_callable("loss", loss)
    check_callable("grad", grad)
    targets = check_choice("targets", targets, TARGETS)
    dtype = check_dtype(dtype, DTYPES)
    seed = check_int("seed", seed, 0)
    shape = _shape(shape, "shape")
    cost = get_cost(cost) if cost is not None else None
    rng = np.random.default_rng(seed)
    if cost is None and targets != "soft":
        raise ValueError(f"`targets` must be 'soft' without a `cost`, got {targets!r}")
    a = _outputs(rng, cost, shape, from_logits, dtype)
    _, user_y = _targets(rng, cost, shape, targets, seed)
    user_y = user_y.astype(dtype) if user_y.dtype.kind == "f" else user_y
    settings = {"mode": "cost", "cost": cost.name if cost else None, "targets": targets}
    settings |= {"from_logits": bool(from_logits), "shape": list(shape)}
    settings |= {"dtype": dtype.name, "seed": seed}

    def loss_fn(p):
        return loss(p[0], user_y.copy())

    def grad_fn(p):
        return [np.asarray(grad(p[0], user_y.copy()))]

    report = gradcheck(loss_fn, grad_fn, [a.astype(dtype)], seed=seed, rtol=rtol, atol=atol)
    named = {"n_samples": shape[0], "n_outputs": shape[1]}
    report = _named_scales(_relabel(report, {1: (1, "a")}, settings), named)
    notes = []
    if cost is not None:
        notes.append(_loss_factor(loss, cost, shape, targets, from_logits, dtype, seed))
        if (
            not report.passed
            and targets == "soft"
            and cost.name in _CROSS_ENTROPIES
            and not report.inconclusive
        ):
            options = {"cost": cost, "from_logits": from_logits, "shape": shape, "dtype": dtype}
            if check_cost(loss, grad, targets="one_hot", seed=seed, **options).passed:
                notes.append(
                    "On one-hot (0/1) targets it passes: your cost assumes hard labels, so with "
                    "soft targets (probabilities, label smoothing) its gradient is wrong."
                )
    notes = [note for note in notes if note]
    if not notes:
        return report
    return replace(report, summary=" ".join([report.summary, *notes]))


def _chainrule_cost(cost, a, y, from_logits: bool) -> float:
    values = ACTIVATIONS[cost.output](a) if from_logits else a
    return float(np.mean(cost.value(values, y)))


def _loss_factor(loss, cost, shape, targets, from_logits, dtype, seed) -> str:
    """How the user's loss relates to chainrule's cost: equal, or which factor, checked at two
    sizes besides the checked one."""
    n, k = shape
    sizes = [(n, k), (n + 3, k), (n, k + 2)]
    ratios = []
    for size in sizes:
        rng = np.random.default_rng([seed, *size])
        a = _outputs(rng, cost, size, from_logits, dtype)
        y, user_y = _targets(rng, cost, size, targets, seed)
        user_y = user_y.astype(dtype) if user_y.dtype.kind == "f" else user_y
        try:
            mine = float(np.asarray(loss(a.astype(dtype), user_y), dtype=np.float64).reshape(()))
        except Exception:
            return ""
        reference = _chainrule_cost(cost, a, y, from_logits)
        if reference == 0:
            return ""
        ratios.append(mine / reference)
    rtol = 4 * math.sqrt(float(np.finfo(dtype).eps))
    if all(math.isclose(r, 1.0, rel_tol=rtol) for r in ratios):
        return f"Your loss equals chainrule's {cost.name!r} (mean over samples, sum over outputs)."
    readings = set(explain_factor(ratios[0], n, k, cost.name))
    for (size_n, size_k), ratio in zip(sizes[1:], ratios[1:]):
        readings &= set(explain_factor(ratio, size_n, size_k, cost.name))
    if not readings:
        return (
            f"Your loss is {ratios[0]:.4g} x chainrule's {cost.name!r} here, and another multiple "
            "at other sizes: it is another function, not a convention."
        )
    ordered = [r for r in explain_factor(ratios[0], n, k, cost.name) if r in readings]
    return (
        f"Your loss is {ratios[0]:.4g} x chainrule's {cost.name!r} (= {', or '.join(ordered)}; "
        f"the same reading at {sizes[1][0]} samples and at {sizes[2][1]} outputs): a convention "
        "to declare when checking a network with it."
    )


# -- dense layers ------------------------------------------------------------------------------


def check_layer(
    forward: Callable,
    backward: Callable,
    *,
    n_inputs: int = 3,
    n_outputs: int = 4,
    n_samples: int | None = None,
    layout="rows",
    dtype=np.float64,
    seed: int = 0,
    rtol: float | None = None,
    atol: float | None = None,
) -> GradientReport:
    """Check a dense layer's backward pass: the gradients for its input, W and b.

    Parameters
    ----------
    forward : callable
        ``forward(x, W, b) -> output``, in ``layout`` (``"rows"``: x (n_samples, n_inputs),
        W (n_outputs, n_inputs), b (n_outputs,), output x W^T + b).
    backward : callable
        ``backward(g, x, W, b) -> (dx, dW, db)`` for g = dC/d(output), in ``layout``.
    n_inputs, n_outputs, n_samples : int
        The layer's sizes and the batch (default: ``default_n_samples(n_outputs)``).
    layout : str or Layout
        Any layout whose parameters are a list of (W, b) pairs: ``"rows"``, ``"columns"``,
        ``"sklearn"``, ``"in_out"`` or your own.
    dtype, seed, rtol, atol
        As ``check_activation``.

    Returns
    -------
    GradientReport
        Findings ``a^0`` (dx), ``W^1``, ``b^1``, and ``z^1`` when ``forward`` is not x W^T + b
        in the layout (another layout, or an activation fused into the layer).
    """
    check_callable("forward", forward)
    check_callable("backward", backward)
    n_inputs = check_int("n_inputs", n_inputs, 1)
    n_outputs = check_int("n_outputs", n_outputs, 1)
    n_samples = (
        default_n_samples(n_outputs) if n_samples is None else check_int("n_samples", n_samples, 1)
    )
    dtype = check_dtype(dtype, DTYPES)
    seed = check_int("seed", seed, 0)
    layout = get_layout(layout)
    rng = np.random.default_rng(seed)
    x = _draw(rng, (n_samples, n_inputs), dtype, spread=1.0)
    W = (rng.standard_normal((n_outputs, n_inputs)) / math.sqrt(n_inputs)).astype(dtype)
    b = (0.5 * rng.standard_normal(n_outputs)).astype(dtype)
    g = rng.standard_normal((n_samples, n_outputs)).astype(dtype)
    W, b, g = (v.astype(np.float64) for v in (W, b, g))
    user = layout.params_to_user([(W.astype(dtype), b.astype(dtype))])
    if not (isinstance(user, (list, tuple)) and len(user) == 1 and len(user[0]) == 2):
        raise argument_error(
            "layout",
            "a layout that gives each layer's parameters as a (W, b) pair (rows, columns, "
            "sklearn, in_out)",
            getattr(layout, "name", type(layout).__name__),
        )
    # C order: a transposed view would reach the finite differences as a copy of itself.
    W_user, b_user = (np.ascontiguousarray(v) for v in user[0])
    x_user, g_user = (np.ascontiguousarray(v, dtype=dtype) for v in layout.data_to_user(x, g))
    settings = {"mode": "layer", "sizes": [n_inputs, n_outputs], "n_samples": n_samples}
    settings |= {"layout": getattr(layout, "name", "custom"), "dtype": dtype.name, "seed": seed}

    def loss_fn(p):
        return np.sum(g_user * np.asarray(forward(p[0], p[1], p[2])))

    def grad_fn(p):
        result = backward(g_user.copy(), p[0], p[1], p[2])
        return [np.asarray(v) for v in result] if isinstance(result, (list, tuple)) else result

    report = gradcheck(loss_fn, grad_fn, [x_user, W_user, b_user], seed=seed, rtol=rtol, atol=atol)
    extra = []
    try:
        output = np.asarray(forward(x_user.copy(), W_user.copy(), b_user.copy()))
        output = np.asarray(layout.data_from_user(x_user, output)[1], dtype=np.float64)
    except Exception as err:
        extra.append(_call_finding("forward", err))
    else:
        dense = x @ W.T + b
        finding = _dense_finding(output, dense, dtype, layout)
        if finding is not None:
            extra.append(finding)
    labels = {1: (0, "a"), 2: (1, "W"), 3: (1, "b")}
    report = _relabel(report, labels, settings, extra)
    return _named_scales(report, {"n_samples": n_samples})


def _dense_finding(output, dense, dtype, layout) -> Finding | None:
    rtol = 4 * math.sqrt(float(np.finfo(dtype).eps))
    scale = max(float(np.sqrt(np.mean(dense**2))), 1e-300)
    name = getattr(layout, "name", "custom")
    if output.shape != dense.shape:
        detail = f"forward returned shape {output.shape}, expected {dense.shape} (x W^T + b)"
    elif np.all(np.abs(output - dense) <= rtol * np.maximum(np.abs(dense), scale)):
        return None
    else:
        detail = (
            f"forward is not x W^T + b in the {name!r} layout (an activation inside the layer, "
            "or another layout): its backward is checked against its own forward all the same"
        )
    return Finding(layer=1, param="z", kind="mismatch", detail=detail)
