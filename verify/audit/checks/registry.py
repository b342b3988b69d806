"""The registry of the checks: ``CHECKS`` maps each item id of ``verify.audit.items.ITEMS`` to the
function that checks it, registered by the ``@check(item_id)`` decorator."""

from __future__ import annotations

from collections.abc import Callable

from verify.audit.context import Context
from verify.audit.verdicts import Check

__all__ = ["CHECKS", "check"]

CHECKS: dict[str, Callable[[Context], Check]] = {}


def check(item_id: str):
    """Register the decorated function as the check of item ``item_id``."""

    def register(function):
        if item_id in CHECKS:
            raise ValueError(f"item_id must be registered once, got {item_id!r} twice")
        CHECKS[item_id] = function
        return function

    return register
