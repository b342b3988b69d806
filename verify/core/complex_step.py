"""The complex-step derivative: the one implementation that every room of ``verify`` uses.

For f analytic (holomorphic) near a real x, f(x + ih) = f(x) + ih f'(x) + O(h^2), so

    f'(x) = Im f(x + ih) / h + O(h^2),

with nothing subtracted: no cancellation, exact to rounding for any h far below sqrt(eps).
``complex_quotient`` is that formula; ``complex_derivative`` applies it along a direction and
``complex_step`` entry by entry (a Jacobian). Finite differences
(``verify.core.finite_differences``) use ``complex_quotient`` with steps of their own.

Examples
--------
>>> import numpy as np
>>> float(complex_derivative(np.sin, 0.0))
1.0
>>> complex_step(lambda x: x**2, np.array([1.0, 3.0]))
array([[2., 0.],
       [0., 6.]])
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["COMPLEX_STEP", "complex_derivative", "complex_quotient", "complex_step"]

# Complex step: any h far below sqrt(eps) gives f'(x) to rounding; 1e-20 keeps h^2 terms below
# 1e-40 and Im f far above the underflow threshold.
COMPLEX_STEP = 1e-20


def complex_quotient(value, h):
    """Im ``value`` / ``h``: the derivative from f(x + ih) (elementwise, any shape)."""
    return np.imag(np.asarray(value)) / h


def complex_derivative(f: Callable, x, direction=1.0, h: float = COMPLEX_STEP):
    """d/dt f(x + t direction) at t = 0, as Im f(x + ih direction) / h.

    Parameters
    ----------
    f : callable
        Accepts complex input of ``x``'s shape; analytic in it.
    x : float or array-like
        The real point.
    direction : float or array-like
        Broadcast against ``x``; 1 (the default) differentiates an elementwise ``f`` entry by
        entry.
    h : float
        The imaginary step.

    Returns
    -------
    float or numpy.ndarray, shaped like ``f(x)``
    """
    return complex_quotient(f(x + 1j * h * direction), h)


def complex_step(fn: Callable[[np.ndarray], np.ndarray], at, h: float = COMPLEX_STEP) -> np.ndarray:
    """Derivatives of ``fn`` at ``at`` by complex step, exact to rounding for analytic ``fn``.

    Parameters
    ----------
    fn : callable
        ``fn(x) -> array`` of any shape, accepting complex ``x`` of ``at``'s shape.
    at : array-like
        The real point.
    h : float
        The imaginary step.

    Returns
    -------
    numpy.ndarray, shape ``at.shape + fn(at).shape``
        ``result[idx] = d fn / d at[idx]``; for a scalar ``fn`` this is the gradient.
    """
    at = np.asarray(at, dtype=float)
    columns = []
    for idx in np.ndindex(at.shape):
        point = at.astype(complex)
        point[idx] += 1j * h
        columns.append(complex_quotient(fn(point), h))
    columns = np.array(columns)
    return columns.reshape(at.shape + columns.shape[1:])
