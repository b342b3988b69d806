"""Timing each contender in its own process, in alternating rounds, with the same thread count.

Timing peers in one process lets one library's worker threads, still spinning after it returns,
slow the next one down (PyTorch took 13-15 ms per step right after a chainrule block, about 5 ms
alone). Here every contender gets a process of its own (``Worker``: ``python -m
verify.bench.processes``, spoken to through JSON lines on its stdin and stdout), kept for the whole
benchmark so that no process start is timed; the parent asks them in turn, one at a time, with a
pause between them, round after round (``time_in_processes``), and each worker sets the same
number of threads for NumPy's BLAS (threadpoolctl) and for PyTorch before it times anything.

A contender is named by a builder, ``"module:function"``: ``function(**spec)`` is called in the
worker and returns the zero-argument callable to time. Each timed block repeats it until the block
lasts ``min_time``; a round's sample is the median of its ``blocks``. Over the rounds a contender
reports its median, its best and its spread; ``Timing.ratio`` pairs two contenders round by round
(asked within the same round, they saw the same state of a shared, noisy machine).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Timing", "Worker", "WorkerError", "time_in_processes"]

# Seconds between two contenders' blocks: PyTorch's OpenMP threads spin for up to 200 ms after
# their last parallel region (KMP_BLOCKTIME's default), OpenBLAS's for less.
PAUSE_SECONDS = 0.25


class WorkerError(RuntimeError):
    """A worker failed to build or run its contender; the message holds its traceback."""


@dataclass(frozen=True)
class Timing:
    """One contender's seconds per call: one sample per round (each the median of its blocks).

    ``info`` is what the contender's callable carried as its ``info`` attribute when built (for
    instance the accuracy of its result), or None.
    """

    samples: tuple[float, ...]
    info: object = None

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def best(self) -> float:
        return min(self.samples)

    @property
    def spread(self) -> float:
        """(slowest - fastest) / median over the rounds: 0.1 means the rounds varied by 10%."""
        return (max(self.samples) - min(self.samples)) / self.median

    def ratio(self, other: Timing) -> float:
        """Median over the rounds of self / other, round by round (same rounds, same order)."""
        return statistics.median(a / b for a, b in zip(self.samples, other.samples, strict=True))


class Worker:
    """A child process that builds and times contenders on request.

    Parameters
    ----------
    name : str
        For error messages.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.info = None  # the ``info`` of the contender timed last
        root = str(Path(__file__).resolve().parents[2])  # the checkout holding ``verify``
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
        self._process = subprocess.Popen(
            [sys.executable, "-m", "verify.bench.processes"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )

    def time(
        self,
        builder: str,
        spec: dict,
        *,
        threads: int,
        min_time: float,
        blocks: int,
        warmup: int = 1,
        fresh: bool = False,
    ) -> float:
        """Median seconds per call over ``blocks`` blocks of ``builder(**spec)()`` in the worker.

        The contender is built once per distinct (builder, spec) and kept while the same one is
        asked for (``fresh``: built again anyway); ``warmup`` untimed calls follow each build.
        The callable's ``info``
        attribute, if any (JSON), is kept in ``self.info``.
        """
        request = {
            "builder": builder,
            "spec": spec,
            "threads": threads,
            "min_time": min_time,
            "blocks": blocks,
            "warmup": warmup,
            "fresh": fresh,
        }
        reply = self._ask(request)
        self.info = reply.get("info")
        return statistics.median(reply["times"])

    def _ask(self, request: dict) -> dict:
        if self._process.poll() is not None:
            raise WorkerError(f"worker {self.name!r} has exited ({self._process.returncode})")
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        if not line:
            code = self._process.wait()
            raise WorkerError(f"worker {self.name!r} died (exit status {code})")
        reply = json.loads(line)
        if "error" in reply:
            raise WorkerError(f"worker {self.name!r}: {reply['error']}")
        return reply

    def close(self) -> None:
        """End the child process (it exits when its stdin closes)."""
        if self._process.poll() is None:
            with contextlib.suppress(OSError):
                self._process.stdin.close()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()


@contextlib.contextmanager
def workers(names: Sequence[str]) -> Iterator[dict[str, Worker]]:
    """One ``Worker`` per name, closed on exit."""
    started: dict[str, Worker] = {}
    try:
        for name in names:
            started[name] = Worker(name)
        yield started
    finally:
        for worker in started.values():
            worker.close()


def time_in_processes(
    contenders: dict[str, tuple[str, dict]],
    *,
    threads: int,
    rounds: int,
    min_time: float = 0.05,
    blocks: int = 3,
    pool: dict[str, Worker] | None = None,
    pause: float | None = None,
    warmup: int = 1,
    fresh: bool = False,
) -> dict[str, Timing]:
    """Time each contender (name -> (builder, spec)) in its own process, in alternating rounds.

    Round r asks the contenders in turn, starting from the r-th (so none is always first), with
    ``pause`` seconds between them. ``pool`` reuses workers (name -> Worker) across calls; missing
    ones are started and closed here. ``warmup``: untimed calls after each build; ``fresh``:
    every round builds every contender again (from the same state).
    """
    pause = PAUSE_SECONDS if pause is None else pause
    names = list(contenders)
    samples: dict[str, list[float]] = {name: [] for name in names}
    info: dict[str, object] = {}
    own = [name for name in names if pool is None or name not in pool]
    with workers(own) as started:
        procs = {**(pool or {}), **started}
        for r in range(rounds):
            for name in names[r % len(names) :] + names[: r % len(names)]:
                builder, spec = contenders[name]
                seconds = procs[name].time(
                    builder,
                    spec,
                    threads=threads,
                    min_time=min_time,
                    blocks=blocks,
                    warmup=warmup,
                    fresh=fresh,
                )
                samples[name].append(seconds)
                info.setdefault(name, procs[name].info)
                time.sleep(pause)
    return {name: Timing(tuple(values), info.get(name)) for name, values in samples.items()}


# -- the worker's side ---------------------------------------------------------------------------


def _limit_threads(n_threads: int) -> contextlib.ExitStack:
    """BLAS (threadpoolctl) and, where loaded, PyTorch limited to ``n_threads`` until closed."""
    stack = contextlib.ExitStack()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is in the bench extra
        pass
    else:
        stack.enter_context(threadpool_limits(limits=n_threads))
    return stack


def _set_torch_threads(n_threads: int) -> None:
    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != n_threads:
        torch.set_num_threads(n_threads)


def _build(builder: str) -> Callable:
    module, _, function = builder.partition(":")
    return getattr(importlib.import_module(module), function)


def _blocks(fn: Callable[[], object], min_time: float, blocks: int) -> list[float]:
    """Seconds per call in ``blocks`` blocks, each repeating ``fn`` until it lasts ``min_time``."""
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= min_time or number >= 1 << 20:
            break
        number *= 2
    times = [elapsed / number]
    for _ in range(blocks - 1):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return times


def serve(requests, replies) -> None:
    """Answer timing requests, one JSON object per line, until ``requests`` ends."""
    current_key, current, threads = None, None, None
    limits = contextlib.ExitStack()
    for line in requests:
        try:
            request = json.loads(line)
            if request["threads"] != threads:
                limits.close()
                threads = request["threads"]
                limits = _limit_threads(threads)
            key = json.dumps([request["builder"], request["spec"]], sort_keys=True)
            if key != current_key or request.get("fresh"):
                current, current_key = None, None  # free the previous contender first
                current = _build(request["builder"])(**request["spec"])
                current_key = key
                _set_torch_threads(threads)
                for _ in range(request.get("warmup", 1)):
                    current()
            _set_torch_threads(threads)
            reply = {"times": _blocks(current, request["min_time"], request["blocks"])}
            if getattr(current, "info", None) is not None:
                reply["info"] = current.info
        except Exception:  # reported to the parent, which raises WorkerError
            reply = {"error": traceback.format_exc()}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()
    limits.close()


def main() -> None:
    """The worker's entry point: the protocol on stdin and stdout, anything printed to stderr."""
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    sys.stdout = sys.stderr  # a contender's prints must not corrupt the replies
    serve(sys.stdin, replies)


if __name__ == "__main__":
    main()
