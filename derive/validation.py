"""Argument errors worded one way: "`<arg>` must be <constraint>, got <value>"."""

from __future__ import annotations

__all__ = ["argument_error"]


def argument_error(
    argument: str, constraint: str, value: object, error: type[Exception] = ValueError
) -> Exception:
    """The exception to raise for ``argument`` breaking ``constraint`` (``value`` is shown by repr).

    Examples
    --------
    >>> str(argument_error("n_samples", "an int >= 1", 0))
    '`n_samples` must be an int >= 1, got 0'
    """
    return error(f"`{argument}` must be {constraint}, got {value!r}")
