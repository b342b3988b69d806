"""The three finite-difference estimators: their steps, estimates, error estimates and kinks.

Shared by ``numerical_gradient`` (a black-box loss, ``verify.core.finite_differences``) and
``network_gradient`` (a network's stacked forward passes, ``verify.core.network_gradient``): given
the entries x of a parameter, ``step_displacements`` says where each method evaluates the loss,
and ``estimate`` turns the loss values there into dC/dx and its error estimate.

``"central"``
    (C(x + h) - C(x - h)) / 2h, second order. Its truncation error h^2 C'''/6 is measured from a
    second evaluation at 2h: D(2h) - D(h) = 3 h^2 C'''/6 + O(h^4), so the estimate costs four
    evaluations per entry.
``"richardson"``
    Central differences at h, 2h and 4h combined to cancel the h^2 and h^4 terms (sixth order);
    the error estimate is the distance to the fourth-order combination. Six evaluations per entry.
``"complex"``
    Im C(x + ih) / h (``verify.core.complex_step``) for a loss that accepts complex input and is
    analytic (holomorphic) in x. Nothing is subtracted, so there is no cancellation: exact to
    rounding with a tiny h. One (complex) evaluation per entry.

Choice of step
--------------
Central differences balance truncation (h^2 |C'''| / 6) against rounding of the two loss values
(about eps |C| / h). On a loss that varies on the scale s of the parameter, |C'''| ~ |C| / s^3,
the two balance at h = eps^(1/3) s, both then about eps^(2/3) (4e-11 in float64, 2.4e-5 in
float32). We take s = max(1, |x|): a step relative to |x| for large entries (the perturbation
stays eps^(-2/3) units in the last place of x, so x + h is represented precisely) and an absolute
one near 0, where a parameter has no scale of its own and a network's scale is that of its O(1)
inputs. Richardson's fourth-order level balances h^4 against eps / h at h = eps^(1/5) s
(error eps^(4/5), 3e-13 in float64); at that step the sixth-order level agrees with it to within
rounding, which makes their distance a tight, measured error estimate. Every real step is then
rounded to what the dtype can represent, ``((x + h) - x)``, and that exact displacement is the
denominator. Complex steps are h = eps^2 (5e-32 in float64, 1.4e-14 in float32), not scaled: the
real part is never perturbed, truncation h^2 |C'''| / 6 is eps^4 relative, far below rounding, and
the imaginary parts stay far above the underflow threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from verify.core.complex_step import complex_quotient

__all__ = [
    "METHODS",
    "FDResult",
    "estimate",
    "mark_nonfinite",
    "one_sided_kinks",
    "step_displacements",
]

METHODS = ("central", "complex", "richardson")

# The multiples of the base step each method evaluates, and the exponent p of h = eps^p * scale.
_MULTIPLES = {"central": (1, -1, 2, -2), "richardson": (1, -1, 2, -2, 4, -4), "complex": (1,)}
_STEP_EXPONENT = {"central": 1 / 3, "richardson": 1 / 5}

# Rounding error assumed per loss value, in units of eps * |C|: a batch loss sums many roundings.
_ROUNDING_ULPS = 16
# How many times the measured truncation error the error estimate allows (the measurement mixes in
# the next order's term and rounding of its own).
_TRUNCATION_SAFETY = 2


@dataclass(frozen=True)
class FDResult:
    """A finite-difference gradient with its error estimate and kink flags.

    Attributes
    ----------
    gradient : same structure as the parameters
        The estimate of dC/dx, float64 arrays shaped like the parameters.
    error : same structure
        Estimated absolute error of each entry (truncation plus rounding), float64.
    kink : same structure
        Bool arrays: True where the perturbation crossed a kink (ReLU-like activations at 0); the
        estimate there mixes two one-sided slopes and is not a test of any analytic value.
    method : str
        ``"central"``, ``"complex"`` or ``"richardson"``.
    evaluations : int
        Loss evaluations made, one per entry and step (a stacked evaluation counts every
        perturbed copy it holds; with ``perturb="preactivations"`` each is one sample's cost).
    """

    gradient: list
    error: list
    kink: list
    method: str
    evaluations: int


def step_displacements(method: str, x: np.ndarray, step) -> np.ndarray:
    """The exact displacement of each entry of ``x`` at each multiple: shape (K, x.size).

    Real methods: ``(x + k h) - x`` computed in x's dtype, which is exactly representable. Complex
    step: ``i h`` in the matching complex dtype.
    """
    x = x.ravel()
    eps = float(np.finfo(x.dtype).eps)
    if method == "complex":
        h = eps**2 if step is None else step
        cdtype = np.result_type(x.dtype, np.complex64)
        return np.full((1, x.size), 1j * h, dtype=cdtype)
    scale = np.maximum(1.0, np.abs(x.astype(np.float64)))
    h = eps ** _STEP_EXPONENT[method] * scale if step is None else np.full(x.size, step)
    multiples = np.array(_MULTIPLES[method], dtype=np.float64)[:, None]
    return (x + (multiples * h).astype(x.dtype)) - x


def estimate(method: str, values, displacements, f0: float, x: np.ndarray):
    """Gradient and error estimate of every entry from the loss at each displacement.

    ``values`` and ``displacements`` have shape (K, E) in the order of ``_MULTIPLES[method]``;
    ``f0`` is the unperturbed loss and ``x`` the entries (E,). Returns float64 (E,) arrays.
    """
    eps = float(np.finfo(np.asarray(displacements).real.dtype).eps)
    if method == "complex":
        h = displacements[0].imag.astype(np.float64)
        gradient = complex_quotient(values[0].astype(np.complex128), h)
        # Nothing cancels and truncation is ~eps^4: only the rounding of the imaginary part is
        # left, relative to the derivative and, where terms cancel in it, to the loss's own scale.
        scale = np.maximum(1.0, np.abs(x.astype(np.float64)))
        error = _ROUNDING_ULPS * eps * (np.abs(gradient) + abs(f0) / scale)
        return gradient, error
    values = np.asarray(values, dtype=np.float64)
    displacements = np.asarray(displacements, dtype=np.float64)
    # A loss at an overflow (inf, NaN) gives NaN here, which ``mark_nonfinite`` turns into "no
    # estimate": the arithmetic on it must not warn.
    with np.errstate(over="ignore", invalid="ignore"):
        return _central_estimates(method, values, displacements, eps)


def _central_estimates(method: str, values, displacements, eps: float):
    # Central differences at h, 2h (, 4h), and how much rounding of the values each can carry.
    # The rounding bound is scaled by eps before the division by the width, so that a loss near
    # the float64 maximum still gets a finite bound.
    quotients, rounding = [], []
    for plus in range(0, len(values), 2):
        width = displacements[plus] - displacements[plus + 1]
        quotients.append((values[plus] - values[plus + 1]) / width)
        carried = _ROUNDING_ULPS * eps * np.abs(values[plus])
        carried += _ROUNDING_ULPS * eps * np.abs(values[plus + 1])
        rounding.append(carried / np.abs(width))
    if method == "central":
        d1, d2 = quotients
        return d1, _TRUNCATION_SAFETY * np.abs(d2 - d1) / 3 + rounding[0]
    d1, d2, d4 = quotients
    r1, r1_coarse = (4 * d1 - d2) / 3, (4 * d2 - d4) / 3
    r2 = (16 * r1 - r1_coarse) / 15
    # The same linear combinations of the rounding bounds, with absolute coefficients.
    a1, a2, a4 = rounding
    rounding_r2 = (16 * (4 * a1 + a2) / 3 + (4 * a2 + a4) / 3) / 15
    return r2, _TRUNCATION_SAFETY * np.abs(r2 - r1) + rounding_r2


def one_sided_kinks(values, displacements, f0: float) -> np.ndarray:
    """Black-box kink heuristic: second-order one-sided slopes at h that disagree.

    An entry is flagged when its forward and backward second-order one-sided slopes, from the
    central evaluations at h and 2h (``values[:4]``) and ``f0``, disagree by more than their
    rounding and more than eps^(1/3) of the slope (see ``verify.core.finite_differences``).
    """
    # The test is the same for the loss times any constant: divided by |f0|, a loss near the
    # float64 maximum cannot overflow in the combinations below.
    scale = abs(f0) if np.isfinite(f0) and abs(f0) > 1 else 1.0
    values = np.asarray(values, dtype=np.float64) / scale
    f0 = f0 / scale
    f1, fm1, f2, fm2 = values[:4]
    h = (np.asarray(displacements[0], np.float64) - np.asarray(displacements[1], np.float64)) / 2
    with np.errstate(over="ignore", invalid="ignore"):
        return _kinked(
            f0, f1, fm1, f2, fm2, h, float(np.finfo(np.asarray(displacements).dtype).eps)
        )


def _kinked(f0, f1, fm1, f2, fm2, h, eps: float) -> np.ndarray:
    right = (-3 * f0 + 4 * f1 - f2) / (2 * h)
    left = (3 * f0 - 4 * fm1 + fm2) / (2 * h)
    noise = (
        _ROUNDING_ULPS
        * eps
        * (6 * abs(f0) + 4 * (np.abs(f1) + np.abs(fm1)) + np.abs(f2) + np.abs(fm2))
        / (2 * h)
    )
    threshold = np.maximum(4 * noise, eps ** (1 / 3) * np.maximum(np.abs(right), np.abs(left)))
    return np.abs(right - left) > threshold


def mark_nonfinite(gradient: np.ndarray, error: np.ndarray) -> None:
    """No estimate where the loss overflowed at a perturbation: NaN, with an infinite error."""
    bad = ~np.isfinite(gradient)
    gradient[bad] = np.nan
    error[bad | ~np.isfinite(error)] = np.inf
