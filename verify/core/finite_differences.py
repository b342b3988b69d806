"""Finite-difference gradients that trust nothing but the loss: central, complex-step, Richardson.

Three estimators of dC/dx for every entry x of a model's parameters, each with an error estimate
(their steps and estimates: ``verify.core.estimators``):

``"central"``
    (C(x + h) - C(x - h)) / 2h, second order; four evaluations per entry with its error estimate.
``"richardson"``
    Central differences at h, 2h and 4h combined to sixth order; six evaluations per entry.
``"complex"``
    Im C(x + ih) / h for a loss that accepts complex input and is analytic (holomorphic) in x:
    exact to rounding, one (complex) evaluation per entry.

Here: ``numerical_gradient`` for any loss of a list of arrays or of (W, b) pairs, entry by entry,
and ``directional_check``, a gradient against the finite difference along a few random directions.
The network fast path, ``network_gradient`` and ``network_loss``, lives in
``verify.core.network_gradient`` and is importable from here too.

Kinks
-----
ReLU-like activations have a kink at 0. When a perturbation moves a pre-activation across it, the
difference quotient mixes the two one-sided slopes (at an exact 0, central differences give their
mean, 0.5 for ReLU) and disagrees with any analytic convention: those entries are reported in
``FDResult.kink``, not as errors. ``network_gradient`` knows every pre-activation, so it detects
crossings exactly (see there). For a black-box loss, ``numerical_gradient`` can only look at the
loss: it flags an entry when its forward and backward second-order one-sided slopes, from the
evaluations it already made, disagree by more than their rounding and more than eps^(1/3) of the
slope. That is a heuristic: a kink at some offsets within the step, or a jump in slope below that
threshold, is missed. Complex steps cannot see kinks of a black-box loss at all (such a loss is
not analytic): ``numerical_gradient`` leaves its ``kink`` all False with ``method="complex"``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from verify.core.estimators import (
    METHODS,
    FDResult,
    estimate,
    mark_nonfinite,
    one_sided_kinks,
    step_displacements,
)
from verify.core.network_gradient import (
    PERTURBATIONS,
    kinked_at_zero,
    network_gradient,
    network_loss,
)
from verify.core.params import array_leaf, flatten, real_leaf
from verify.core.validation import (
    argument_error,
    check_callable,
    check_choice,
    check_int,
    check_number,
)

__all__ = [
    "METHODS",
    "PERTURBATIONS",
    "DirectionalResult",
    "FDResult",
    "directional_check",
    "kinked_at_zero",
    "network_gradient",
    "network_loss",
    "numerical_gradient",
]


# -- a black-box loss ---------------------------------------------------------------------------


def _scalar(value, complex_input: bool) -> complex | float:
    """The loss's value as a Python number: complex exactly when its parameters were."""
    array = np.asarray(value)
    if array.size != 1 or not np.issubdtype(array.dtype, np.number):
        raise TypeError(
            f"loss must return a scalar, got {type(value).__name__} of shape {array.shape}"
        )
    if complex_input and not np.iscomplexobj(array):
        raise TypeError(
            "loss must propagate complex parameters for method='complex' (it returned a real "
            f"{array.dtype} value); use method='central' or 'richardson'"
        )
    if not complex_input and np.iscomplexobj(array):
        raise TypeError(f"loss must return a real scalar for real parameters, got {value!r}")
    return array.reshape(()).item()


def numerical_gradient(
    loss: Callable, params, *, method: str = "central", step: float | None = None
) -> FDResult:
    """Finite-difference gradient of ``loss`` at ``params``, entry by entry.

    Parameters
    ----------
    loss : callable
        ``loss(params) -> scalar``, called with arrays in the same structure as ``params``. With
        ``method="complex"`` it receives complex arrays and must return a complex scalar whose
        imaginary part it computed analytically (no ``abs``, no casts to real).
    params : list of arrays, or list of (W, b) pairs of arrays
        Real floating-point arrays; never modified (the loss gets perturbed copies, which it must
        not keep: they are modified in place between calls).
    method : {"central", "complex", "richardson"}
        See the module docstring for their costs, accuracies and steps.
    step : float or None
        The base step for every entry (the imaginary step for ``"complex"``); None chooses it per
        entry from the dtype and the entry's scale.

    Returns
    -------
    FDResult
        ``gradient``, ``error`` and ``kink`` in the structure of ``params``.

    Examples
    --------
    >>> import numpy as np
    >>> result = numerical_gradient(lambda p: np.sum(np.sin(p[0])), [np.zeros(2)], method="complex")
    >>> result.gradient[0]
    array([1., 1.])
    """
    check_callable("loss", loss)
    method = check_choice("method", method, METHODS)
    step = check_number("step", step, strict=True, optional=True)
    leaves, structure = flatten(params, leaf=real_leaf)
    rebuild = structure.unflatten
    with np.errstate(all="ignore"):
        f0 = _scalar(loss(rebuild([leaf.copy() for leaf in leaves])), False)
    if not np.isfinite(f0):
        raise ValueError(f"loss must be finite at params, got {f0}")
    work = [
        leaf.astype(np.result_type(leaf.dtype, np.complex64) if method == "complex" else leaf.dtype)
        for leaf in leaves
    ]
    structured = rebuild(work)
    gradients, errors, kinks = [], [], []
    evaluations = 0
    for leaf, target in zip(leaves, work):
        x = leaf.ravel()
        displacements = step_displacements(method, x, step)
        values = np.empty(displacements.shape, dtype=target.dtype)
        flat = target.reshape(-1)  # a view: the loss sees every change
        for e in range(x.size):
            for k in range(len(displacements)):
                flat[e] = x[e] + displacements[k, e]
                with np.errstate(all="ignore"):
                    values[k, e] = _scalar(loss(structured), method == "complex")
            flat[e] = x[e]
        evaluations += values.size
        gradient, error = estimate(method, values, displacements, f0, x)
        kink = (
            np.zeros(x.size, dtype=bool)
            if method == "complex"
            else one_sided_kinks(values, displacements, f0)
        )
        mark_nonfinite(gradient, error)
        gradients.append(gradient.reshape(leaf.shape))
        errors.append(error.reshape(leaf.shape))
        kinks.append(kink.reshape(leaf.shape))
    return FDResult(rebuild(gradients), rebuild(errors), rebuild(kinks), method, evaluations)


# -- directional check --------------------------------------------------------------------------

# Default relative tolerances of the directional check, per dtype and method: well above each
# method's accuracy (central eps^(2/3), Richardson eps^(4/5), complex eps, times conditioning) and
# far below the O(1) error of any real bug.
_DIRECTIONAL_RTOL = {
    np.dtype(np.float64): {"central": 1e-6, "richardson": 1e-8, "complex": 1e-10},
    np.dtype(np.float32): {"central": 3e-2, "richardson": 3e-2, "complex": 1e-4},
}


@dataclass(frozen=True)
class DirectionalResult:
    """<grad, v> against the finite-difference directional derivative along random directions.

    Attributes
    ----------
    analytic, numeric, error, relative_error : ndarray, shape (n_directions,)
        <grad, v>; the finite difference of loss(params + t v) at t = 0; the error the comparison
        allows for (the finite difference's error estimate plus the rounding of <grad, v>);
        |analytic - numeric| / max(|analytic|, |numeric|).
    kink : ndarray of bool, shape (n_directions,)
        The perturbation along v crossed a kink (black-box heuristic): not a failure.
    agrees : ndarray of bool, shape (n_directions,)
        |analytic - numeric| <= max(rtol max(|analytic|, |numeric|), error); False for NaN.
    rtol : float
    method : str
    """

    analytic: np.ndarray
    numeric: np.ndarray
    error: np.ndarray
    relative_error: np.ndarray
    kink: np.ndarray
    agrees: np.ndarray
    rtol: float
    method: str

    @property
    def passed(self) -> bool:
        """Every direction agrees or crossed a kink."""
        return bool((self.agrees | self.kink).all())

    def __str__(self) -> str:
        lines = [
            f"directional check ({self.method}, rtol {self.rtol:.1e}): "
            + ("passed" if self.passed else "FAILED")
        ]
        for i in range(len(self.analytic)):
            verdict = "ok" if self.agrees[i] else "kink" if self.kink[i] else "MISMATCH"
            lines.append(
                f"  direction {i}: <grad, v> = {self.analytic[i]:.12g}, finite difference "
                f"{self.numeric[i]:.12g} (+/- {self.error[i]:.2g}), relative error "
                f"{self.relative_error[i]:.2e}: {verdict}"
            )
        return "\n".join(lines)


def directional_check(
    loss: Callable,
    grad,
    params,
    *,
    n_directions: int = 3,
    seed: int = 0,
    method: str = "central",
    rtol: float | None = None,
) -> DirectionalResult:
    """Check a gradient along a few seeded random directions, at O(1) loss evaluations each.

    For each unit direction v (standard normal entries, normalised over all parameters), the
    directional derivative d/dt loss(params + t v) at t = 0 is estimated by ``method`` (a step t of
    about eps^(1/3) moves every entry by about eps^(1/3) / sqrt(n_params)) and compared with
    <grad, v>. A wrong entry shows up in every direction unless its error is orthogonal to all of
    them, which random directions make improbable.

    Parameters
    ----------
    loss : callable
        ``loss(params) -> scalar`` (complex input for ``method="complex"``).
    grad : same structure as ``params``
        The gradient under test.
    params : list of arrays, or list of (W, b) pairs
    n_directions : int
        At least 1.
    seed : int
        Seeds the directions.
    method : {"central", "complex", "richardson"}
    rtol : float or None
        Relative tolerance; None takes a default for the least precise dtype among ``params`` and
        the method (float64: central 1e-6, Richardson 1e-8, complex 1e-10).

    Returns
    -------
    DirectionalResult
    """
    check_callable("loss", loss)
    method = check_choice("method", method, METHODS)
    n_directions = check_int("n_directions", n_directions, 1)
    seed = check_int("seed", seed, 0)
    rtol = check_number("rtol", rtol, optional=True)
    leaves, structure = flatten(params, leaf=real_leaf)
    gradient, _ = flatten(grad, "grad", leaf=array_leaf)  # NaN in it is a finding, not an error
    if len(gradient) != len(leaves) or any(g.shape != p.shape for g, p in zip(gradient, leaves)):
        raise argument_error(
            "grad",
            "shaped like `params`",
            got=f"shapes {[g.shape for g in gradient]} for {[p.shape for p in leaves]}",
        )
    dtype = max((leaf.dtype for leaf in leaves), key=lambda d: np.finfo(d).eps)
    eps = float(np.finfo(dtype).eps)
    if rtol is None:
        table = _DIRECTIONAL_RTOL.get(np.dtype(dtype), _DIRECTIONAL_RTOL[np.dtype(np.float32)])
        rtol = table[method]
    rng = np.random.default_rng(seed)
    results = []
    for _ in range(n_directions):
        directions = [rng.standard_normal(leaf.shape) for leaf in leaves]
        norm = np.sqrt(sum(float((d * d).sum()) for d in directions))
        directions = [(d / norm).astype(leaf.dtype) for d, leaf in zip(directions, leaves)]

        def along(t, directions=directions):
            moved = [leaf + t[0][0] * d for leaf, d in zip(leaves, directions)]
            return loss(structure.unflatten(moved))

        fd = numerical_gradient(along, [np.zeros((1, 1), dtype=dtype)], method=method)
        terms = [g.astype(np.float64) * d for g, d in zip(gradient, directions)]
        analytic = sum(float(t.sum()) for t in terms)
        analytic_rounding = 4 * eps * sum(float(np.abs(t).sum()) for t in terms)
        numeric, error, kink = (part[0][0, 0] for part in (fd.gradient, fd.error, fd.kink))
        results.append((analytic, numeric, error + analytic_rounding, kink))
    analytic, numeric, allowance, kink = (np.array(column) for column in zip(*results))
    difference = np.abs(analytic - numeric)
    size = np.maximum(np.abs(analytic), np.abs(numeric))
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(size > 0, difference / size, 0.0)
    agrees = difference <= np.maximum(rtol * size, allowance)
    return DirectionalResult(
        analytic,
        numeric,
        allowance,
        relative,
        kink.astype(bool),
        agrees,
        float(rtol),
        method,
    )
