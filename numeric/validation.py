"""Input checks: each error names the argument, what was expected and what came."""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["check_batch", "check_positive", "check_sizes"]


def check_sizes(sizes) -> tuple[int, ...]:
    """Layer sizes N^0..N^L as a tuple of positive ints (at least an input and an output layer)."""
    try:
        values = list(sizes)
    except TypeError:
        raise TypeError(f"sizes must be a sequence of ints, got {sizes!r}") from None
    if len(values) < 2:
        raise ValueError(f"sizes must list at least 2 layers (input and output), got {values}")
    for value in values:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"sizes must contain ints, got {value!r} in {values}")
        if value < 1:
            raise ValueError(f"sizes must be positive (>= 1), got {values}")
    return tuple(int(v) for v in values)


def check_positive(name: str, value, *, integer: bool = False):
    """``value`` as a number > 0 (an int when ``integer``)."""
    kind = "an int" if integer else "a number"
    if isinstance(value, bool) or not isinstance(
        value, numbers.Integral if integer else numbers.Real
    ):
        raise TypeError(f"{name} must be {kind} > 0, got {value!r}")
    if not 0 < value < float("inf"):  # also refuses NaN
        finite = "" if integer else " and finite"
        raise ValueError(f"{name} must be > 0{finite}, got {value!r}")
    return int(value) if integer else float(value)


def _as_2d(name: str, value, n_columns: int, dtype) -> np.ndarray:
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"{name} must be array-like of numbers, got {type(value).__name__}"
        ) from err
    if array.dtype == object or not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    if array.ndim == 1 and n_columns == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2:
        raise ValueError(
            f"{name} must have shape (n_samples, {n_columns}), "
            f"got {array.ndim}-d shape {array.shape}"
        )
    if array.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one sample, got shape {array.shape}")
    if array.shape[1] != n_columns:
        hint = (
            f"; it looks transposed (samples as columns): pass {name}.T"
            if array.shape[0] == n_columns
            else ""
        )
        raise ValueError(
            f"{name} must have shape (n_samples, {n_columns}), got {array.shape}{hint}"
        )
    array = np.ascontiguousarray(array, dtype=dtype)
    finite = np.isfinite(array)
    if not finite.all():
        bad = np.argwhere(~finite)
        raise ValueError(
            f"{name} must be finite, got {len(bad)} NaN/Inf entries "
            f"(first at {tuple(bad[0].tolist())})"
        )
    return array


def check_batch(X, y, n_inputs: int, n_outputs: int, dtype):
    """X as (n_samples, n_inputs) and y as (n_samples, n_outputs) arrays of ``dtype``."""
    X = _as_2d("X", X, n_inputs, dtype)
    if y is None:
        return X, None
    y = _as_2d("y", y, n_outputs, dtype)
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"y must have one row per sample of X ({X.shape[0]}), got {y.shape[0]} rows"
        )
    return X, y
