"""``chainrule oracle`` runs the user's code in a process of its own, where it cannot lie.

The user's module is imported, and its gradient function called, in a child Python process. The
parent (``run_isolated``) decides what happened from what the child said and how it ended:

- the child writes one JSON line per phase to a private copy of its standard output
  (``{"phase": "import"}``, ``"reference"``, ``"call"``, ``"compare"``), then the report
  (``{"report": ...}``) or an error it could name (``{"error": "usage" | "import" | "internal",
  "message": ...}``);
- file descriptor 1 and ``sys.stdout`` point at standard error before any user code runs, so what
  the user's code prints (even from C) never reaches the parent's standard output, whose
  ``--format json`` therefore stays parseable; the parent shows that stray output on its own
  standard error, cut to ``STRAY_LIMIT`` characters;
- the child's address space is limited to what it uses after its own imports plus
  ``memory_limit`` bytes (``resource.RLIMIT_AS``, where the platform has it), and the parent
  kills the child's whole process group after ``timeout`` seconds.

An exit, a death by signal, a hang or an exhausted memory is never a pass: while the user's
function was being called (phase ``"call"``) it is a failed check, with one finding saying what
the function did; during the import it means the module could not be run; anywhere else the
oracle itself could not finish (its reference for a very large network, say).

``python -m verify.oracle.child OPTIONS_JSON`` is the child's entry point.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["STRAY_LIMIT", "Outcome", "main", "run_isolated"]

STRAY_LIMIT = 4000  # characters of the user's own output shown on the parent's stderr
_PROTOCOL_LIMIT = 64 << 20  # bytes of protocol read from the child at most
_ROOT = str(Path(__file__).resolve().parents[2])  # the folder holding the verify package
_CHILD_CODE = (
    "import sys; sys.path[:1] = []; "  # the current directory must not shadow chainrule's modules
    "from verify.oracle.child import main; main()"
)


@dataclass
class Outcome:
    """What the child did.

    Attributes
    ----------
    report : dict or None
        ``GradientReport.to_dict()`` when the check ran to the end (or, when the function under
        test ended the process, a failed report built by the parent).
    error : str or None
        ``"usage"``, ``"import"`` or ``"internal"``: the check could not run (``message`` says why).
    message : str
    stray : str
        What the user's code printed (cut to ``STRAY_LIMIT`` characters).
    stray_bytes : int
        How much it printed in all.
    warnings : list of str
        The warnings raised in the child (``"PairingWarning: ..."``), each once.
    """

    report: dict | None = None
    error: str | None = None
    message: str = ""
    stray: str = ""
    stray_bytes: int = 0
    warnings: list = field(default_factory=list)


# -- the parent ---------------------------------------------------------------------------------


class _Reader(threading.Thread):
    """Reads a pipe to its end, keeping at most ``limit`` bytes."""

    def __init__(self, stream, limit: int):
        super().__init__(daemon=True)
        self.stream, self.limit = stream, limit
        self.chunks: list[bytes] = []
        self.kept = self.total = 0

    def run(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            while chunk := self.stream.read1(65536):
                self.total += len(chunk)
                if self.kept < self.limit:
                    self.chunks.append(chunk[: self.limit - self.kept])
                    self.kept += len(self.chunks[-1])

    def text(self) -> str:
        return b"".join(self.chunks).decode("utf-8", errors="replace")


def _kill(process: subprocess.Popen) -> None:
    """End the child and everything it started (its own process group), then reap it."""
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        if hasattr(os, "killpg"):
            os.killpg(process.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows
            process.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


def run_isolated(options: dict, *, timeout: float, memory_limit: int | None) -> Outcome:
    """Run ``check_gradients`` on the function ``options["function"]`` in a child process.

    ``options`` holds ``function`` (the ``path.py:name`` or ``module:name`` spec) and
    ``check_gradients``' keyword arguments (JSON-ready). KeyboardInterrupt in the parent kills
    the child and propagates.
    """
    payload = json.dumps({**options, "memory_limit": memory_limit})
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_ROOT, env.get("PYTHONPATH")) if p)
    env["PYTHONIOENCODING"] = "utf-8"
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(name, "1")  # a small problem; and a predictable address space
    process = subprocess.Popen(
        [sys.executable, "-c", _CHILD_CODE, payload],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
    )
    readers = (_Reader(process.stdout, _PROTOCOL_LIMIT), _Reader(process.stderr, STRAY_LIMIT))
    for reader in readers:
        reader.start()
    timed_out = False
    try:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
    finally:
        if process.poll() is None:
            _kill(process)
        for reader in readers:
            reader.join(timeout=10)
    messages = _messages(readers[0].text())
    outcome = _judge(messages, process.returncode, timed_out, timeout, memory_limit, options)
    outcome.stray, outcome.stray_bytes = readers[1].text(), readers[1].total
    shown = [str(m["warning"]) for m in messages if "warning" in m]
    outcome.warnings = list(dict.fromkeys(shown))
    return outcome


def _messages(text: str) -> list[dict]:
    out = []
    for line in text.splitlines():
        with contextlib.suppress(ValueError):
            message = json.loads(line)
            if isinstance(message, dict):
                out.append(message)
    return out


def _ending(returncode: int | None, timed_out: bool, timeout: float, memory_limit) -> str:
    """How the child ended, in words."""
    if timed_out:
        return f"did not finish within {timeout:g} s (--timeout)"
    if returncode is not None and returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        memory = " (out of memory?)" if name == "SIGKILL" else ""
        return f"was killed by {name}{memory}"
    return f"ended the process with exit code {returncode} (os._exit or a crash)"


def _judge(messages, returncode, timed_out, timeout, memory_limit, options) -> Outcome:
    for message in messages:
        if "report" in message:
            return Outcome(report=message["report"])
        if "error" in message:
            return Outcome(error=str(message["error"]), message=str(message.get("message", "")))
    phases = [m["phase"] for m in messages if "phase" in m]
    phase = phases[-1] if phases else "start"
    ending = _ending(returncode, timed_out, timeout, memory_limit)
    function = options.get("function", "the function")
    if phase == "call":
        detail = f"grad_fn {ending} while it was being called: no gradient came back"
        return Outcome(report=_failed_report(detail, options))
    if phase == "import":
        return Outcome(error="import", message=f"importing {function} {ending}")
    return Outcome(
        error="internal",
        message=f"the oracle {ending} before its check was done (phase {phase!r}); a smaller "
        "network (--sizes, --n-samples), a longer --timeout or a larger --memory-limit may help",
    )


def _failed_report(detail: str, options: dict) -> dict:
    from verify.core.compare import summarize
    from verify.core.findings import Finding

    finding = Finding(layer=None, param=None, kind="exception", detail=detail)
    settings = {
        key: options[key]
        for key in ("sizes", "activations", "cost", "layout", "reduction", "dtype", "seed")
        if key in options
    }
    return {
        "passed": False,
        "inconclusive": False,
        "verdict": "failed",
        "reason": "",
        "settings": {"mode": "reference", **settings},
        "summary": summarize([finding]),
        "findings": [finding.to_dict()],
    }


# -- the child ----------------------------------------------------------------------------------


class _Channel:
    """JSON lines to the parent on a private copy of the original standard output."""

    def __init__(self):
        self.stream = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)

    def send(self, **message) -> None:
        self.stream.write(json.dumps(message, default=str) + "\n")
        self.stream.flush()


def _limit_memory(extra: int | None) -> None:
    if not extra:
        return
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows: no address-space limit
        return
    used = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        used = int(Path("/proc/self/status").read_text().split("VmSize:")[1].split()[0]) * 1024
    limit = used + extra
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def main() -> None:
    """The child: import, check, report; never returns (``os._exit``)."""
    channel = _Channel()
    os.dup2(2, 1)  # the user's prints, Python's or C's, go to standard error
    sys.stdout = sys.stderr

    def show(message, category, filename, lineno, file=None, line=None):
        channel.send(warning=f"{category.__name__}: {message}")

    warnings.showwarning = show  # warnings are the parent's to show, once each, not stray output
    options = json.loads(sys.argv[1])
    code = 0
    try:
        code = _child(channel, options)
    except KeyboardInterrupt:  # pragma: no cover - the parent kills the child instead
        code = 130
    except BaseException as err:  # the oracle's own failure: said, not left to an exit code
        with contextlib.suppress(Exception):
            message = f"internal error in the oracle: {type(err).__name__}: {err}; please report it"
            channel.send(error="internal", message=message)
        code = 3
    finally:
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        os._exit(code)  # no atexit handler or thread of the user's may keep the child alive


def _child(channel: _Channel, options: dict) -> int:
    from verify.oracle.check import OracleError, check_gradients
    from verify.oracle.loading import load_function

    _limit_memory(options.pop("memory_limit", None))
    spec = options.pop("function")
    if os.getcwd() not in sys.path:  # "module:function" from the current directory
        sys.path.insert(0, os.getcwd())
    channel.send(phase="import")
    try:
        grad_fn = load_function(spec)
    except (ValueError, TypeError) as err:
        channel.send(error="usage", message=str(err))
        return 2
    except KeyboardInterrupt:
        raise
    except BaseException as err:  # ImportError, or SystemExit and the like at import time
        message = str(err) if isinstance(err, ImportError) else _described(err, spec)
        channel.send(error="import", message=message)
        return 3
    channel.send(phase="reference")

    def traced(*args):
        channel.send(phase="call")
        try:
            return grad_fn(*args)
        finally:
            channel.send(phase="compare")

    try:
        report = check_gradients(traced, **options)
    except (ValueError, TypeError) as err:
        channel.send(error="usage", message=str(err))
        return 2
    except MemoryError:
        channel.send(error="internal", message="the oracle ran out of memory (--memory-limit)")
        return 3
    except OracleError as err:
        channel.send(error="internal", message=str(err))
        return 3
    channel.send(report=report.to_dict())
    return 0


def _described(err: BaseException, spec: str) -> str:
    if isinstance(err, SystemExit):
        return f"importing {spec} called sys.exit({err.code!r})"
    return f"importing {spec} failed: {type(err).__name__}: {err}"


if __name__ == "__main__":
    main()
