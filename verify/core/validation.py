"""Argument checks for every room of ``verify``, worded one way: "`<arg>` must be <expected>, got
<value>".

The template is ``numeric.validation.argument_error``'s, which words numeric's own checks too
(``derive``, which may not import ``numeric``, words its checks the same way).

Examples
--------
>>> check_int("n_samples", 0, 1)
Traceback (most recent call last):
...
ValueError: `n_samples` must be an int >= 1, got 0
>>> check_choice("method", "forward", ("central", "complex"))
Traceback (most recent call last):
...
ValueError: `method` must be one of 'central', 'complex', got 'forward'
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence

import numpy as np

from numeric.validation import Description
from numeric.validation import argument_error as numeric_argument_error

__all__ = [
    "argument_error",
    "check_callable",
    "check_choice",
    "check_dtype",
    "check_int",
    "check_number",
]


def argument_error(
    argument: str,
    expected: str,
    value: object = None,
    error: type[Exception] = ValueError,
    *,
    got: str | None = None,
) -> Exception:
    """The exception to raise for ``argument`` not being ``expected``.

    ``value`` is shown by repr, unless ``got`` says what came in other words (a type name, a
    dtype, a count of bad entries).
    """
    return numeric_argument_error(
        argument, expected, value if got is None else Description(got), error
    )


def check_callable(name: str, value) -> Callable:
    """``value`` when it is callable; TypeError naming its type otherwise."""
    if not callable(value):
        raise argument_error(name, "callable", error=TypeError, got=type(value).__name__)
    return value


def check_choice(name: str, value, choices: Sequence, *, optional: bool = False):
    """``value`` when it is one of ``choices`` (or None when ``optional``); ValueError otherwise."""
    if (optional and value is None) or value in choices:
        return value
    expected = "one of " + ", ".join(repr(c) for c in choices) + (" or None" if optional else "")
    raise argument_error(name, expected, value)


def check_int(name: str, value, minimum: int, *, optional: bool = False) -> int | None:
    """``value`` as an int >= ``minimum`` (None passes when ``optional``).

    TypeError for anything but an int (bools included), ValueError below ``minimum``.
    """
    if optional and value is None:
        return None
    expected = f"an int >= {minimum}" + (" or None" if optional else "")
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise argument_error(name, expected, value, TypeError)
    if value < minimum:
        raise argument_error(name, expected, value)
    return int(value)


def check_number(
    name: str, value, minimum: float = 0.0, *, strict: bool = False, optional: bool = False
) -> float | None:
    """``value`` as a finite float >= ``minimum`` (> when ``strict``; None too when ``optional``).

    TypeError for anything but a real number (bools included), ValueError out of range or
    not finite.
    """
    if optional and value is None:
        return None
    expected = f"a finite number {'>' if strict else '>='} {minimum:g}" + (
        " or None" if optional else ""
    )
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise argument_error(name, expected, value, TypeError)
    if not math.isfinite(value) or value < minimum or (strict and value == minimum):
        raise argument_error(name, expected, value)
    return float(value)


def check_dtype(value, allowed: Sequence, name: str = "dtype") -> np.dtype:
    """``value`` as one of the ``allowed`` NumPy dtypes.

    TypeError when NumPy cannot read it as a dtype (or for None, a number, a list: NumPy reads
    None as float64), ValueError when it is another dtype.
    """
    names = [np.dtype(d).name for d in sorted(allowed, key=lambda d: np.dtype(d).itemsize)]
    expected = names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" or {names[-1]}"
    if value is None or isinstance(value, (bool, numbers.Number, list, tuple, dict)):
        raise argument_error(name, expected, value, TypeError)  # np.dtype(None) is float64
    try:
        dtype = np.dtype(value)
    except TypeError:
        raise argument_error(name, expected, value, TypeError) from None
    if dtype not in [np.dtype(d) for d in allowed]:
        raise argument_error(name, expected, dtype)
    return dtype
