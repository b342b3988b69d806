"""Input checks: each error names the argument, what was expected and what came.

Every message has one form, the one ``derive`` uses: "`<name>` must be <expected>, got <value>",
built by ``argument_error``.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Set
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Description",
    "argument_error",
    "check_batch",
    "check_callbacks",
    "check_dtype",
    "check_fraction",
    "check_positive",
    "check_seed",
    "check_sizes",
    "check_tol",
    "one_hot",
]


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
    if isinstance(sizes, (str, bytes, Mapping, Set)):  # no order, or not numbers
        got = Description(f"a {type(sizes).__name__} {sizes!r}")
        raise argument_error("sizes", "a sequence of ints", got, TypeError)
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


def check_fraction(name: str, value) -> float:
    """``value`` as a real number in [0, 1) (momentum, Adam's betas)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise argument_error(name, "a number in [0, 1)", value, TypeError)
    if not 0 <= value < 1:
        raise argument_error(name, "in [0, 1)", value)
    return float(value)


def check_tol(value) -> float | None:
    """``tol``: None or a real number >= 0."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise argument_error("tol", "a number >= 0 or None", value, TypeError)
    if not value >= 0:  # also refuses NaN
        raise argument_error("tol", ">= 0 or None", value)
    return float(value)


def check_seed(name: str, value) -> int | None:
    """A seed: None or an int >= 0 (a bool, a float or a string is refused, not converted)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise argument_error(name, "an int >= 0 or None", value, TypeError)
    if value < 0:
        raise argument_error(name, "an int >= 0 or None", value)
    return int(value)


def check_dtype(value, allowed) -> np.dtype:
    """One of the ``allowed`` floating types, given as a type, a dtype or its name."""
    known = ", ".join(np.dtype(d).name for d in allowed)
    if value is None or isinstance(value, (bool, numbers.Number, list, tuple, dict)):
        raise argument_error("dtype", f"one of {known}", value, TypeError)
    try:
        dtype = np.dtype(value)
    except (TypeError, ValueError):
        raise argument_error("dtype", f"one of {known}", value, TypeError) from None
    if dtype not in [np.dtype(d) for d in allowed]:
        raise argument_error("dtype", f"one of {known}", Description(dtype.name))
    return dtype


def check_callbacks(callbacks) -> tuple:
    """``callbacks`` as a tuple of callables; a bare function is refused (wrap it in a list)."""
    if callable(callbacks) or isinstance(callbacks, (str, bytes, Mapping)):
        raise argument_error(
            "callbacks",
            "a sequence of callables (wrap a single one in a list)",
            Description(f"a {type(callbacks).__name__}"),
            TypeError,
        )
    try:
        values = tuple(callbacks)
    except TypeError:
        raise argument_error("callbacks", "a sequence of callables", callbacks, TypeError) from None
    for k, callback in enumerate(values):
        if not callable(callback):
            raise argument_error(f"callbacks[{k}]", "callable", callback, TypeError)
    return values


def _as_array(name: str, value) -> np.ndarray:
    if value is None:
        raise argument_error(name, "array-like of numbers", value, TypeError)
    try:
        return np.asarray(value)
    except (TypeError, ValueError) as err:
        got = Description(type(value).__name__)
        raise argument_error(name, "array-like of numbers", got, TypeError) from err


def _as_2d(name: str, value, n_columns: int, dtype) -> np.ndarray:
    shape = f"of shape (n_samples, {n_columns})"
    array = _as_array(name, value)
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
    source = array
    with np.errstate(over="ignore"):  # a float64 beyond float32's range: said below, in words
        array = np.ascontiguousarray(array, dtype=dtype)
    finite = np.isfinite(array)
    if not finite.all():
        bad = np.argwhere(~np.isfinite(source))
        if len(bad):
            got = Description(f"{len(bad)} NaN/Inf entries (first at {tuple(bad[0].tolist())})")
            raise argument_error(name, "finite", got)
        bad = np.argwhere(~finite)
        big = source[tuple(bad[0])]
        limit = np.finfo(dtype).max
        got = Description(
            f"{big:g} at {tuple(bad[0].tolist())}, which overflows {np.dtype(dtype).name} "
            f"({len(bad)} entries in all)"
        )
        raise argument_error(
            name, f"within {np.dtype(dtype).name}'s range (|x| <= {limit:.3g})", got
        )
    return array


def one_hot(labels, n_classes: int, dtype=np.float64) -> np.ndarray:
    """Rows of ``n_classes`` zeros with a 1 at each label: integer labels as distributions.

    >>> one_hot([2, 0], 3).tolist()
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    labels = np.asarray(labels)
    if (
        labels.ndim != 1
        or labels.dtype == object
        or not (np.issubdtype(labels.dtype, np.integer) or np.issubdtype(labels.dtype, np.floating))
    ):
        got = Description(f"shape {labels.shape}, dtype {labels.dtype}")
        raise argument_error("y", f"class labels: a 1-d array of ints in [0, {n_classes})", got)
    if labels.size == 0:
        raise argument_error("y", "non-empty (at least one sample)", Description("no labels"))
    with np.errstate(invalid="ignore"):
        integral = np.isfinite(labels).all() and (labels == np.round(labels)).all()
    if not integral or labels.min() < 0 or labels.max() >= n_classes:
        bad = labels[~((labels >= 0) & (labels < n_classes) & (labels == np.round(labels)))]
        got = Description(f"{bad.size} labels outside (first {bad[0].item()!r})")
        raise argument_error("y", f"class labels: ints in [0, {n_classes})", got)
    out = np.zeros((labels.size, n_classes), dtype=dtype)
    out[np.arange(labels.size), labels.astype(np.intp)] = 1
    return out


def check_batch(X, y, n_inputs: int, n_outputs: int, dtype, *, labels: bool = False):
    """X as (n_samples, n_inputs) and y as (n_samples, n_outputs) arrays of ``dtype``.

    With ``labels`` (a cost whose targets are distributions), a 1-d ``y`` for more than one output
    holds class indices and becomes one-hot rows.
    """
    X = _as_2d("X", X, n_inputs, dtype)
    if y is None:
        return X, None
    if labels and n_outputs > 1:
        raw = y if isinstance(y, np.ndarray) else _as_array("y", y)
        if raw.ndim == 1:
            y = one_hot(raw, n_outputs, dtype)
    y = _as_2d("y", y, n_outputs, dtype)
    if y.shape[0] != X.shape[0]:
        raise argument_error(
            "y",
            f"one row per sample of X ({X.shape[0]} rows)",
            Description(f"{y.shape[0]} rows"),
        )
    return X, y
