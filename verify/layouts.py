"""The old import path, kept: ``verify.layouts`` is ``verify.oracle.layouts``."""

from verify.oracle.layouts import *  # noqa: F403
from verify.oracle.layouts import __all__  # noqa: F401
