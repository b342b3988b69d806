"""Running other people's code inside the oracle.

``call`` runs a foreign function and turns anything it raises into a finding (``SystemExit`` and
``GeneratorExit`` included; only ``KeyboardInterrupt`` stops the check), and reads what it returns
with guards against self-reference and absurd sizes; ``protected_state`` restores what foreign code
may change globally: NumPy's error state and error callback, NumPy's and Python's global random
states.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable

import numpy as np

from verify.core.compare import Finding
from verify.core.tree import GuardError, guard
from verify.oracle.report import OracleError

__all__ = ["call", "protected_state"]


@contextlib.contextmanager
def protected_state():
    """Restore what foreign code may change globally: NumPy's error state and error callback,
    NumPy's and Python's global random states."""
    errors, callback = np.geterr(), np.geterrcall()
    numpy_random = np.random.get_state()  # noqa: NPY002 - the legacy global state, saved
    python_random = random.getstate()
    try:
        yield
    finally:
        np.seterr(**errors)
        np.seterrcall(callback)
        np.random.set_state(numpy_random)  # noqa: NPY002 - restored
        random.setstate(python_random)


def call(
    function: Callable, *args, budget: int | None = None, name: str = "grad_fn"
) -> tuple[object, Finding | None]:
    """``function(*args)``, or what went wrong as a finding.

    Anything raised is an ``"exception"`` finding, ``SystemExit`` and ``GeneratorExit`` included
    (only ``KeyboardInterrupt`` stops the check). With a ``budget``, the returned object is
    checked to be readable (``verify.core.tree.guard``: no container inside itself, at most
    ``budget`` numbers); when it is not, a ``"type"`` finding says why.
    """
    errors = np.geterr()
    try:
        result = function(*args)
    except KeyboardInterrupt:
        raise
    except OracleError:
        raise
    except BaseException as err:  # anything foreign code raises is a finding, never a crash
        message = f"{name} raised {type(err).__name__}: {err}".rstrip(": ")
        if isinstance(err, SystemExit):
            message += " (it tried to end the process)"
        return None, Finding(layer=None, param=None, kind="exception", detail=message)
    finally:
        np.seterr(**errors)  # its np.seterr(all="raise") must not reach the oracle's own code
    if budget is None:
        return result, None
    try:
        return guard(result, budget, what=f"what {name} returned"), None
    except KeyboardInterrupt:
        raise
    except GuardError as err:
        return None, Finding(layer=None, param=None, kind="type", detail=str(err))
    except BaseException as err:  # iterating the returned object ran foreign code that failed
        detail = f"reading what {name} returned raised {type(err).__name__}: {err}"
        return None, Finding(layer=None, param=None, kind="type", detail=detail)
