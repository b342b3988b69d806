"""Shared machinery for chainrule's benchmarks: problems, timing, thread limits, notes, sections.

The machine is noisy and shared, so a single absolute time proves nothing: every benchmark times
its contenders each in its own process, in alternating rounds (``verify.bench.processes``), and
reports medians, bests, spreads and ratios; slow or cold work is timed call by call
(``median_of_calls``).
Every benchmark times the same kind of problem (``bench_problem``: ``verify.core.problems``'
parameters, batch and targets), measures accuracy the same way (``max_relative_error``) and states
its machine (``machine_line``) and its targets (``target_note``) alike.
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tabulate import tabulate

from numeric import Network
from numeric.files import atomic_write
from verify.core.compare import compare_gradients
from verify.core.problems import make_problem

__all__ = [
    "BenchResult",
    "bench_problem",
    "limit_threads",
    "machine_line",
    "max_relative_error",
    "median_of_calls",
    "target_note",
    "torch_available",
    "write_section",
]


@dataclass
class BenchResult:
    """One benchmark's outcome: a titled table, notes, and further titled tables, rendered as a
    Markdown section."""

    name: str
    title: str
    rows: list[dict]
    notes: list[str] = field(default_factory=list)
    tables: list[tuple[str, list[dict]]] = field(default_factory=list)

    def to_markdown(self) -> str:
        parts = [f"## {self.title}", ""]
        if self.rows:
            parts += [tabulate(self.rows, headers="keys", tablefmt="github"), ""]
        parts += [f"- {note}" for note in self.notes]
        for title, rows in self.tables:
            parts += ["", f"### {title}", ""]
            if rows:
                parts += [tabulate(rows, headers="keys", tablefmt="github")]
        return "\n".join(parts).rstrip() + "\n"


# -- problems and accuracy ----------------------------------------------------------------------


def bench_problem(
    sizes: Sequence[int],
    n_samples: int,
    *,
    activations="sigmoid",
    cost="cross_entropy",
    dtype=np.float64,
    seed: int = 0,
) -> tuple[Network, np.ndarray, np.ndarray]:
    """A network holding ``make_problem``'s parameters, and its batch X and targets y, in ``dtype``.

    The default network is the reference document's (sigmoid in every layer, binary cross-entropy).
    Pre-activations are of order one (no saturated sigmoid, so no denormals to slow a step down)
    and the targets come from the cost (``numeric.Cost.sample_targets``).
    """
    network = Network(list(sizes), activations, cost, dtype=dtype, seed=seed)
    _, X, y = make_problem(network, dtype=dtype, n_samples=n_samples, seed=seed)
    return network, X.astype(dtype), y.astype(dtype)


def max_relative_error(candidate, reference) -> float:
    """The largest of ``verify.core.compare.compare_gradients``' per-parameter relative errors.

    Entry by entry |candidate - reference| / max(|reference|, s), with s the parameter's gradient
    RMS (floored), the largest over all parameters: what every benchmark's error column reports.
    """
    return max(f.max_rel_error for f in compare_gradients(candidate, reference, dtype=np.float64))


# -- timing ---------------------------------------------------------------------------------------


def median_of_calls(
    fn: Callable[[], object], repeats: int, *, before: Callable[[], object] | None = None
) -> float:
    """Median seconds of single calls of ``fn`` (each after an untimed ``before()``, if given).

    For work that is slow, or must start cold each time (an empty cache, a fresh process), so
    that it cannot be repeated in blocks.
    """
    times = []
    for _ in range(repeats):
        if before is not None:
            before()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# -- the machine ----------------------------------------------------------------------------------


def torch_available() -> bool:
    """Whether PyTorch, an optional peer, can be imported."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


@contextlib.contextmanager
def limit_threads(n_threads: int) -> Iterator[None]:
    """Give NumPy's BLAS and PyTorch (when installed) the same number of threads."""
    stack = contextlib.ExitStack()
    try:
        from threadpoolctl import threadpool_limits

        stack.enter_context(threadpool_limits(limits=n_threads))
    except ImportError:  # pragma: no cover - threadpoolctl is in the bench extra
        pass
    torch_threads = None
    try:
        import torch

        torch_threads = torch.get_num_threads()
        torch.set_num_threads(n_threads)
    except ImportError:
        torch = None
    try:
        with stack:
            yield
    finally:
        if torch is not None and torch_threads is not None:
            torch.set_num_threads(torch_threads)


def _libraries() -> str:
    """NumPy (with its BLAS) and PyTorch (with or without MKL, when installed), as far as known."""
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        numpy_blas = f" (BLAS {blas['name']} {blas.get('version', '')}".rstrip() + ")"
    except (TypeError, KeyError):  # NumPy < 1.25 has no mode="dicts"
        numpy_blas = ""
    libraries = f"NumPy {np.__version__}{numpy_blas}"
    if torch_available():
        import torch

        mkl = "MKL" if torch.backends.mkl.is_available() else "no MKL"
        libraries += f", PyTorch {torch.__version__} ({mkl})"
    return libraries


def machine_line(n_threads: int | str) -> str:
    """The note every benchmark opens with: machine, libraries and threads per library (a count,
    or words such as "1 (small networks), 1 and 2 (large ones)")."""
    return (
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {_libraries()}; {n_threads} thread(s) per library."
    )


def target_note(target: str, met: bool, detail: str = "") -> str:
    """A note on one of a benchmark's targets: ``Target: <target>: met.`` (or ``MISSED``)."""
    verdict = "met" if met else "MISSED"
    return f"Target: {target}: {verdict}{f' ({detail})' if detail else ''}."


def write_section(path: str | os.PathLike, result: BenchResult) -> Path:
    """Replace (or append) the section ``result.name`` of the Markdown file ``path``, atomically."""
    path = Path(path)
    begin, end = f"<!-- bench:{result.name} -->", f"<!-- /bench:{result.name} -->"
    block = f"{begin}\n{result.to_markdown()}{end}\n"
    text = (
        path.read_text()
        if path.exists()
        else "# Performance\n\nGenerated by `chainrule bench`.\n\n"
    )
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end) + r"\n?", re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text + "\n" + block
    atomic_write(path, text)
    return path
