"""The complex-step derivative: the one implementation that every room of ``verify`` uses."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["COMPLEX_STEP", "complex_step"]

# Complex step: f(x + ih) = f(x) + ih f'(x) + O(h^2), and Im f(x + ih) / h has no cancellation, so
# any h far below sqrt(eps) gives f'(x) to rounding; 1e-20 keeps h^2 terms below 1e-40.
COMPLEX_STEP = 1e-20


def complex_step(fn: Callable[[np.ndarray], np.ndarray], at) -> np.ndarray:
    """Derivatives of ``fn`` at ``at`` by complex step, exact to rounding for analytic ``fn``.

    Parameters
    ----------
    fn : callable
        ``fn(x) -> array`` of any shape, accepting complex ``x`` of ``at``'s shape.
    at : array-like
        The real point.

    Returns
    -------
    numpy.ndarray, shape ``at.shape + fn(at).shape``
        ``result[idx] = d fn / d at[idx]``; for a scalar ``fn`` this is the gradient.
    """
    at = np.asarray(at, dtype=float)
    columns = []
    for idx in np.ndindex(at.shape):
        point = at.astype(complex)
        point[idx] += 1j * COMPLEX_STEP
        columns.append(np.imag(np.asarray(fn(point))) / COMPLEX_STEP)
    columns = np.array(columns)
    return columns.reshape(at.shape + columns.shape[1:])
