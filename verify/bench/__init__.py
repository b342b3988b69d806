"""Benchmarks beside the peers, by name: ``BENCHMARKS[name]()`` returns a ``BenchResult``.

Each benchmark module is imported only when it runs: they pull in SymPy, SciPy or PyTorch.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

__all__ = ["BENCHMARKS", "get_benchmark"]

# name -> "module:function"; the CLI's choices read these keys.
BENCHMARKS: dict[str, str] = {
    "train": "verify.bench.train:bench_train",
    "derive": "verify.bench.derive:bench_derive",
    "check": "verify.bench.check:bench_check",
}


def get_benchmark(name: str) -> Callable:
    """The benchmark function registered as ``name``."""
    if name not in BENCHMARKS:
        known = ", ".join(map(repr, BENCHMARKS))
        raise ValueError(f"`name` must be one of {known}, got {name!r}")
    module, _, function = BENCHMARKS[name].partition(":")
    return getattr(importlib.import_module(module), function)
