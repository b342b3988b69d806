"""Input checks: each error names the argument, what was expected and what came.

Every message has one form, the one ``derive`` uses: "`<name>` must be <expected>, got <value>",
built by ``argument_error``.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

__all__ = ["Description", "argument_error", "check_batch", "check_positive", "check_sizes"]


@dataclass(frozen=True)
class Description:
    """What came, in words rather than by repr (a shape, a count, a dtype): shown as is."""

    text: str

    def __repr__(self) -> str:
        return self.text


def argument_error(
    name: str,
    expected: str,
    got: object,
    error_type: type[Exception] = ValueError,
    *,
    hint: str = "",
) -> Exception:
    """The exception to raise for argument ``name`` not being ``expected``.

    ``got`` is shown by repr (a ``Description`` as its text); ``hint``, when given, follows after
    a semicolon.

    Examples
    --------
    >>> str(argument_error("epochs", "an int > 0", 2.5, TypeError))
    '`epochs` must be an int > 0, got 2.5'
    >>> str(argument_error("X", "finite", Description("1 NaN/Inf entries")))
    '`X` must be finite, got 1 NaN/Inf entries'
    """
    message = f"`{name}` must be {expected}, got {got!r}"
    return error_type(f"{message}; {hint}" if hint else message)


def check_sizes(sizes) -> tuple[int, ...]:
    """Layer sizes N^0..N^L as a tuple of positive ints (at least an input and an output layer)."""
    try:
        values = list(sizes)
    except TypeError:
        raise argument_error("sizes", "a sequence of ints", sizes, TypeError) from None
    if len(values) < 2:
        raise argument_error("sizes", "at least 2 layer sizes (input and output)", values)
    for value in values:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            got = Description(f"{value!r} in {values}")
            raise argument_error("sizes", "a sequence of ints", got, TypeError)
        if value < 1:
            raise argument_error("sizes", "positive (>= 1)", values)
    return tuple(int(v) for v in values)


def check_positive(name: str, value, *, integer: bool = False):
    """``value`` as a number > 0 (an int when ``integer``)."""
    kind = "an int" if integer else "a number"
    if isinstance(value, bool) or not isinstance(
        value, numbers.Integral if integer else numbers.Real
    ):
        raise argument_error(name, f"{kind} > 0", value, TypeError)
    if not 0 < value < float("inf"):  # also refuses NaN
        raise argument_error(name, "> 0" if integer else "> 0 and finite", value)
    return int(value) if integer else float(value)


def _as_2d(name: str, value, n_columns: int, dtype) -> np.ndarray:
    shape = f"of shape (n_samples, {n_columns})"
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as err:
        got = Description(type(value).__name__)
        raise argument_error(name, "array-like of numbers", got, TypeError) from err
    if array.dtype == object or not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        got = Description(f"dtype {array.dtype}")
        raise argument_error(name, "an array of real numbers", got, TypeError)
    if array.ndim == 1 and n_columns == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2:
        raise argument_error(name, shape, Description(f"{array.ndim}-d shape {array.shape}"))
    if array.shape[0] == 0:
        got = Description(f"shape {array.shape}")
        raise argument_error(name, "non-empty (at least one sample)", got)
    if array.shape[1] != n_columns:
        hint = (
            f"it looks transposed (samples as columns): pass {name}.T"
            if array.shape[0] == n_columns
            else ""
        )
        raise argument_error(name, shape, array.shape, hint=hint)
    array = np.ascontiguousarray(array, dtype=dtype)
    finite = np.isfinite(array)
    if not finite.all():
        bad = np.argwhere(~finite)
        got = Description(f"{len(bad)} NaN/Inf entries (first at {tuple(bad[0].tolist())})")
        raise argument_error(name, "finite", got)
    return array


def check_batch(X, y, n_inputs: int, n_outputs: int, dtype):
    """X as (n_samples, n_inputs) and y as (n_samples, n_outputs) arrays of ``dtype``."""
    X = _as_2d("X", X, n_inputs, dtype)
    if y is None:
        return X, None
    y = _as_2d("y", y, n_outputs, dtype)
    if y.shape[0] != X.shape[0]:
        raise argument_error(
            "y",
            f"one row per sample of X ({X.shape[0]} rows)",
            Description(f"{y.shape[0]} rows"),
        )
    return X, y
