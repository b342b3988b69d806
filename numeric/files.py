"""Files that are never half-written: every output goes through a temporary file and a rename.

Shared by ``numeric`` (saved networks) and ``verify`` (reports): the one atomic writer.
"""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
import threading
from pathlib import Path

__all__ = ["atomic_write", "atomic_write_bytes"]


class _Terminated(BaseException):
    """SIGTERM arrived while a temporary file existed: unwind, remove it, then die of it."""


@contextlib.contextmanager
def _terminate_by_unwinding():
    """While the body runs, SIGTERM (whose default kills without cleanup) raises instead, so
    the writer's cleanup runs; the signal is then delivered again, with its default action.

    Only in the main thread and only where SIGTERM has its default action: a handler of the
    program's own, or an ignored signal, is left alone.
    """
    if (
        threading.current_thread() is not threading.main_thread()
        or not hasattr(signal, "SIGTERM")
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return

    def unwind(signum, frame):
        raise _Terminated

    signal.signal(signal.SIGTERM, unwind)
    try:
        yield
    except _Terminated:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
        raise  # not reached where the default action ends the process
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    Nothing is ever half-written: a reader sees the old file or the new one. The file gets the
    usual mode (0666 less the umask) rather than mkstemp's private 0600. An exception, Ctrl-C or
    SIGTERM during the write removes the temporary file (SIGKILL cannot be caught).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _terminate_by_unwinding():
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            mask = os.umask(0)
            os.umask(mask)
            os.chmod(tmp, 0o666 & ~mask)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return path


def atomic_write(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` as UTF-8 to ``path``, atomically (see ``atomic_write_bytes``)."""
    return atomic_write_bytes(path, text.encode("utf-8"))
