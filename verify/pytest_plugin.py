"""The old import path, kept: ``verify.pytest_plugin`` is ``verify.oracle.pytest_plugin``."""

from verify.oracle.pytest_plugin import *  # noqa: F403
from verify.oracle.pytest_plugin import __all__  # noqa: F401
