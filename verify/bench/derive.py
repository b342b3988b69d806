"""Benchmark of the symbolic path: derive, prove and lambdify; the emitted gradient against numeric.

For each network (sigmoid layers, cross-entropy cost, the reference document's choice) it times
``derive.derive_network`` (element symbols and the symbolic backprop), ``.lambdify()`` and
``.prove()`` (which includes route (a), direct ``sympy.diff`` of the cost for every parameter),
then evaluates the lambdified gradient and ``numeric``'s vectorized backprop on the same parameters
and batch, interleaved, and reports their ratio. The symbolic steps are timed from an empty SymPy
cache each time (SymPy caches constructed expressions, so a repeated derivation of the same network
would mostly measure cache hits); the catalogue's own one-time work (solving for the derivative in
terms of a) is done once per process and lands in the first of the repeats, which the median drops.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from sympy.core.cache import clear_cache

import derive
from numeric.validation import check_positive
from verify.bench.common import (
    BenchResult,
    bench_problem,
    limit_threads,
    machine_line,
    max_relative_error,
    median_of_calls,
    paired_times,
    target_note,
)

__all__ = ["ACTIVATION", "BATCH", "COST", "SIZES", "bench_derive"]

SIZES: tuple[tuple[int, ...], ...] = ((2, 2, 1), (2, 3, 1), (3, 4, 4, 2), (4, 6, 6, 3))
ACTIVATION, COST = "sigmoid", "cross_entropy"
BATCH = 256
# Targets from the issue.
DERIVE_AND_LAMBDIFY_TARGET_SECONDS = 10.0
EVALUATION_TARGET_RATIO = 3.0


def bench_derive(
    *,
    sizes: Sequence[Sequence[int]] | None = None,
    repeats: int = 3,
    rounds: int = 5,
    n_threads: int = 1,
    prove: bool = True,
) -> BenchResult:
    """Time derivation, proof and lambdification, and the lambdified gradient against numeric.

    Parameters
    ----------
    sizes : sequence of layer sizes, optional
        The networks; None runs ``SIZES``, the issue's four ([4, 6, 6, 3] has 93 parameters).
    repeats : int, default 3
        Cold runs of deriving and of lambdifying per network (the median is reported); the proof,
        by far the slowest step, runs once.
    rounds : int, default 5
        Interleaved rounds of the two gradient evaluations (``paired_times``).
    n_threads : int, default 1
        BLAS threads for numeric's matrix products (the lambdified code makes no BLAS calls).
    prove : bool, default True
        Whether to time ``.prove()`` (tens of seconds for the largest network).

    Returns
    -------
    BenchResult
        ``name="derive"``: one row per network.
    """
    repeats = check_positive("repeats", repeats, integer=True)
    rounds = check_positive("rounds", rounds, integer=True)
    n_threads = check_positive("n_threads", n_threads, integer=True)
    sizes = SIZES if sizes is None else tuple(tuple(s) for s in sizes)
    with limit_threads(n_threads):
        rows = [_row(layer_sizes, repeats, rounds, prove) for layer_sizes in sizes]
    return BenchResult(
        name="derive",
        title="Symbolic derivation (SymPy): derive, prove, lambdify; evaluation against numeric",
        rows=rows,
        notes=_notes(rows, repeats, rounds, n_threads),
    )


def _row(layer_sizes: tuple[int, ...], repeats: int, rounds: int, prove: bool) -> dict:
    """Timings of one network."""

    def build():
        return derive.derive_network(list(layer_sizes), ACTIVATION, COST)

    # Each from an empty SymPy cache: a warm one would mostly measure cache hits.
    derive_seconds = median_of_calls(build, repeats, before=clear_cache)
    network = build()
    lambdify_seconds = median_of_calls(network.lambdify, repeats, before=clear_cache)
    row = {
        "sizes": str(list(layer_sizes)),
        "parameters": len(network.parameters),
        "derive (s)": round(derive_seconds, 3),
        "lambdify (s)": round(lambdify_seconds, 3),
    }
    if prove:
        clear_cache()
        start = time.perf_counter()
        proof = network.prove()
        row["prove (s)"] = round(time.perf_counter() - start, 2)
        counts = proof.counts()
        row["proof"] = (
            f"{counts['exact']} exact, {counts['numeric']} numeric" if proof.equal else "FAILED"
        )
    gradient = network.lambdify()
    reference, X, y = bench_problem(layer_sizes, BATCH, activations=ACTIVATION, cost=COST)
    params = reference.params
    times = paired_times(
        {
            "lambdified": lambda: gradient(params, X, y),
            "numeric": lambda: reference.gradients(X, y),
        },
        rounds=rounds,
    )
    difference = max_relative_error(gradient(params, X, y), reference.gradients(X, y))
    row["lambdified (us)"] = round(times["lambdified"] * 1e6, 1)
    row["numeric backprop (us)"] = round(times["numeric"] * 1e6, 1)
    row["ratio"] = round(times["lambdified"] / times["numeric"], 2)
    row["max rel. diff"] = f"{difference:.1e}"
    return row


def _notes(rows: list[dict], repeats: int, rounds: int, n_threads: int) -> list[str]:
    notes = [
        machine_line(n_threads),
        f"{ACTIVATION} layers, {COST} cost; evaluation on a batch of {BATCH} samples "
        "(gradient of the batch-mean cost). derive and lambdify: median of "
        f"{repeats} cold runs (empty SymPy cache); prove: one run; evaluation: median of "
        f"{rounds} interleaved rounds, the ratio is lambdified / numeric. Max rel. diff: "
        "entry by entry |lambdified - numeric| / max(|numeric|, s), s the parameter's gradient "
        "RMS (floored; see verify.core.compare), the largest over all parameters.",
        "derive = element symbols and the symbolic backprop (route (b)); prove = route (a) (the "
        "explicit forward pass and cost, sympy.diff for every parameter) and the per-parameter "
        "comparison: exact where cheap, else at 3 random points to 50 digits.",
    ]
    largest = max(rows, key=lambda row: row["parameters"])
    total = largest["derive (s)"] + largest["lambdify (s)"]
    notes.append(
        target_note(
            f"{largest['sizes']} derived and lambdified in under "
            f"{DERIVE_AND_LAMBDIFY_TARGET_SECONDS:g} s",
            total < DERIVE_AND_LAMBDIFY_TARGET_SECONDS,
            f"{total:.2f} s",
        )
    )
    worst = max(rows, key=lambda row: row["ratio"])
    notes.append(
        target_note(
            f"lambdified evaluation within {EVALUATION_TARGET_RATIO:g}x of numeric's backprop",
            worst["ratio"] <= EVALUATION_TARGET_RATIO,
            f"worst ratio {worst['ratio']} at {worst['sizes']}",
        )
    )
    return notes
