"""The old import path, kept: ``verify.adapters`` is ``verify.oracle.adapters`` (and
``load_function``, which now lives in ``verify.oracle.loading``)."""

from verify.oracle.adapters import *  # noqa: F403
from verify.oracle.adapters import __all__ as _adapters
from verify.oracle.loading import load_function

__all__ = [*_adapters, "load_function"]
