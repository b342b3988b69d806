"""Files that are never half-written: every output goes through a temporary file and a rename."""

from __future__ import annotations

import os
from pathlib import Path

from numeric.persistence import atomic_write_bytes

__all__ = ["atomic_write", "atomic_write_bytes"]


def atomic_write(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` as UTF-8 to ``path``, atomically (see ``atomic_write_bytes``)."""
    return atomic_write_bytes(path, text.encode("utf-8"))
