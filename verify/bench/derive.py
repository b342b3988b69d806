"""Benchmark of the symbolic path: derive, prove and lambdify; the emitted gradient against numeric.

For each network (sigmoid layers, cross-entropy cost, the reference document's choice) it times
``derive.derive_network`` (element symbols and the symbolic backprop) and ``.lambdify()``, each
from an empty SymPy cache (SymPy caches constructed expressions, so a repeated derivation of the
same network would mostly measure cache hits), and ``.prove()``: each proof in a fresh process
(``python -m verify.bench.derive``), the memoized engine and, for the networks where it takes
less than minutes, the engine it replaced (``engine="sympy"``: ``sympy.diff`` of the whole cost
per parameter, ``sympy.cse``) alternating, round by round, with their verdicts compared parameter
by parameter. The lambdified gradient and ``numeric``'s vectorized backprop are then timed on the
same parameters and batch, each in its own process (``verify.bench.processes``), one thread each.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence

from sympy.core.cache import clear_cache

import derive
from numeric.validation import check_positive
from verify.bench.common import (
    BenchResult,
    bench_problem,
    machine_line,
    max_relative_error,
    median_of_calls,
    target_note,
)
from verify.bench.processes import Timing, Worker, time_in_processes

__all__ = [
    "ACTIVATION",
    "BATCH",
    "COST",
    "REFERENCE_MAX_PARAMETERS",
    "SIZES",
    "bench_derive",
    "build_gradient",
    "prove_in_process",
]

SIZES: tuple[tuple[int, ...], ...] = (
    (2, 2, 1),
    (2, 3, 1),
    (3, 4, 4, 2),
    (4, 6, 6, 3),
    (5, 10, 10, 2),
)
ACTIVATION, COST = "sigmoid", "cross_entropy"
BATCH = 256
# The reference engine (sympy.diff) is timed up to this many parameters: [4, 6, 6, 3] (93) takes
# 15-40 s, [5, 10, 10, 2] (192) over two minutes.
REFERENCE_MAX_PARAMETERS = 100
# Targets from the issues.
DERIVE_AND_LAMBDIFY_TARGET_SECONDS = 10.0
EVALUATION_TARGET_RATIO = 3.0
PROOF_SPEEDUP_TARGET = ((4, 6, 6, 3), 6.0)
PROOF_SECONDS_TARGET = ((5, 10, 10, 2), 30.0)


def prove_in_process(sizes: Sequence[int], engine: str) -> dict:
    """``derive_network(sizes).prove(engine=engine)`` in a fresh Python process (a cold SymPy
    cache): its wall-clock and CPU seconds (the proof alone) and its verdicts per parameter."""
    command = [sys.executable, "-m", "verify.bench.derive", ",".join(map(str, sizes)), engine]
    finished = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(finished.stdout.splitlines()[-1])


def _prove_here(sizes: Sequence[int], engine: str) -> dict:
    network = derive.derive_network(list(sizes), ACTIVATION, COST)
    wall, cpu = time.perf_counter(), time.process_time()
    proof = network.prove(engine=engine)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "wall": wall,
        "cpu": cpu,
        "equal": proof.equal,
        "counts": proof.counts(),
        "verdicts": [[p.parameter.label, p.equal, p.method] for p in proof.proofs],
    }


def build_gradient(contender: str, sizes: Sequence[int]):
    """What a worker process times: the lambdified gradient or numeric's backprop, on the
    benchmark's batch."""
    reference, X, y = bench_problem(sizes, BATCH, activations=ACTIVATION, cost=COST)
    if contender == "numeric":
        return lambda: reference.gradients(X, y)
    if contender == "lambdified":
        gradient = derive.derive_network(list(sizes), ACTIVATION, COST).lambdify()
        params = reference.params
        return lambda: gradient(params, X, y)
    raise ValueError(f"`contender` must be 'lambdified' or 'numeric', got {contender!r}")


def bench_derive(
    *,
    sizes: Sequence[Sequence[int]] | None = None,
    repeats: int = 3,
    rounds: int = 5,
    prove: bool = True,
    reference: bool = True,
) -> BenchResult:
    """Time derivation, proof and lambdification, and the lambdified gradient against numeric.

    Parameters
    ----------
    sizes : sequence of layer sizes, optional
        The networks; None runs ``SIZES`` ([4, 6, 6, 3] has 93 parameters, [5, 10, 10, 2] 192).
    repeats : int, default 3
        Cold runs of deriving and of lambdifying per network (the median is reported), and
        proofs per engine (alternating rounds, each proof in a fresh process).
    rounds : int, default 5
        Alternating rounds of the two gradient evaluations, each in its own process.
    prove : bool, default True
        Whether to time ``.prove()``.
    reference : bool, default True
        Whether to time the reference engine as well (networks up to
        ``REFERENCE_MAX_PARAMETERS`` parameters).

    Returns
    -------
    BenchResult
        ``name="derive"``: one row per network.
    """
    repeats = check_positive("repeats", repeats, integer=True)
    rounds = check_positive("rounds", rounds, integer=True)
    sizes = SIZES if sizes is None else tuple(tuple(s) for s in sizes)
    rows, proofs = [], {}
    with _gradient_workers() as pool:
        for layer_sizes in sizes:
            row, proof_timings = _row(layer_sizes, repeats, rounds, prove, reference, pool)
            rows.append(row)
            proofs[layer_sizes] = proof_timings
    result = BenchResult(
        name="derive",
        title="Symbolic derivation (SymPy): derive, prove, lambdify; evaluation against numeric",
        rows=rows,
        notes=_notes(rows, proofs, repeats, rounds),
    )
    if prove:
        result.tables.append(("Proofs: each in a fresh process", _proof_details(proofs)))
    return result


class _gradient_workers:
    """The two evaluation contenders' worker processes, closed on exit."""

    def __enter__(self) -> dict[str, Worker]:
        self.pool = {name: Worker(name) for name in ("lambdified", "numeric")}
        return self.pool

    def __exit__(self, *exc) -> None:
        for worker in self.pool.values():
            worker.close()


def _row(layer_sizes, repeats, rounds, prove, reference, pool) -> tuple[dict, dict]:
    """Timings of one network, and its proofs' timings per engine."""

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
    proof_timings: dict[str, list[dict]] = {}
    if prove:
        engines = ["memoized"]
        if reference and len(network.parameters) <= REFERENCE_MAX_PARAMETERS:
            engines.append("sympy")
        for r in range(repeats):
            for engine in engines[r % len(engines) :] + engines[: r % len(engines)]:
                proof_timings.setdefault(engine, []).append(prove_in_process(layer_sizes, engine))
        runs = proof_timings["memoized"]
        row["prove (s)"] = round(statistics.median(run["wall"] for run in runs), 2)
        counts = runs[0]["counts"]
        row["proof"] = (
            f"{counts['exact']} exact, {counts['numeric']} numeric"
            if all(run["equal"] for run in runs)
            else "FAILED"
        )
        if "sympy" in proof_timings:
            before = proof_timings["sympy"]
            row["prove before (s)"] = round(statistics.median(run["wall"] for run in before), 2)
            row["speedup"] = round(_paired_ratio(before, runs, "wall"), 1)
            same = all(run["verdicts"] == runs[0]["verdicts"] for run in before + runs)
            row["same verdicts"] = "yes" if same else "NO"
    builder, spec = "verify.bench.derive:build_gradient", {"sizes": list(layer_sizes)}
    times = time_in_processes(
        {name: (builder, {"contender": name, **spec}) for name in pool},
        threads=1,
        rounds=rounds,
        pool=pool,
    )
    gradient = network.lambdify()
    reference_net, X, y = bench_problem(layer_sizes, BATCH, activations=ACTIVATION, cost=COST)
    difference = max_relative_error(
        gradient(reference_net.params, X, y), reference_net.gradients(X, y)
    )
    row["lambdified (us)"] = round(times["lambdified"].median * 1e6, 1)
    row["numeric backprop (us)"] = round(times["numeric"].median * 1e6, 1)
    row["ratio"] = round(times["lambdified"].ratio(times["numeric"]), 2)
    row["max rel. diff"] = f"{difference:.1e}"
    return row, proof_timings


def _paired_ratio(slow: list[dict], fast: list[dict], key: str) -> float:
    """Median over the rounds of slow / fast, round by round."""
    return statistics.median(a[key] / b[key] for a, b in zip(slow, fast))


def _proof_details(proofs: dict) -> list[dict]:
    rows = []
    for layer_sizes, engines in proofs.items():
        for engine, runs in engines.items():
            wall = Timing(tuple(run["wall"] for run in runs))
            cpu = [run["cpu"] for run in runs]
            rows.append(
                {
                    "sizes": str(list(layer_sizes)),
                    "engine": engine,
                    "median (s)": round(wall.median, 2),
                    "best (s)": round(wall.best, 2),
                    "spread": f"{wall.spread:.0%}",
                    "CPU median (s)": round(statistics.median(cpu), 2),
                    "runs": len(runs),
                }
            )
    return rows


def _notes(rows: list[dict], proofs: dict, repeats: int, rounds: int) -> list[str]:
    notes = [
        machine_line(1),
        f"{ACTIVATION} layers, {COST} cost; evaluation on a batch of {BATCH} samples "
        "(gradient of the batch-mean cost). derive and lambdify: median of "
        f"{repeats} cold runs (empty SymPy cache). prove: median wall-clock seconds of "
        f"{repeats} proofs per engine, each in a fresh process (the proof alone, not the "
        "import), the engines alternating; speedup = the median over the rounds of before / "
        "now. Evaluation: each contender in its own process, median of "
        f"{rounds} alternating rounds; the ratio is lambdified / numeric. Max rel. diff: "
        "entry by entry |lambdified - numeric| / max(|numeric|, s), s the parameter's gradient "
        "RMS (floored; see verify.core.compare), the largest over all parameters.",
        "derive = element symbols and the symbolic backprop (route (b)); prove = route (a) (the "
        "explicit forward pass and cost, differentiated for every parameter) and the "
        "per-parameter comparison: exact where cheap, else at 3 random points to 50 digits. "
        "prove before = the same proof with route (a) by sympy.diff of the whole cost per "
        "parameter and sympy.cse (`prove(engine='sympy')`, the engine before memoization); "
        "same verdicts = every parameter settled the same way (exact or numeric, equal) by both.",
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
    by_sizes = {row["sizes"]: row for row in rows}
    sizes, target = PROOF_SPEEDUP_TARGET
    row = by_sizes.get(str(list(sizes)))
    if row is not None and "speedup" in row:
        notes.append(
            target_note(
                f"prove() of {list(sizes)} at least {target:g}x faster than before, in the same "
                "run, with the same verdicts",
                row["speedup"] >= target and row["same verdicts"] == "yes",
                f"{row['speedup']}x: {row['prove (s)']} s against {row['prove before (s)']} s, "
                f"same verdicts: {row['same verdicts']}",
            )
        )
    sizes, target = PROOF_SECONDS_TARGET
    row = by_sizes.get(str(list(sizes)))
    if row is not None and "prove (s)" in row:
        notes.append(
            target_note(
                f"prove() of {list(sizes)} ({row['parameters']} parameters) under {target:g} s",
                row["prove (s)"] < target and row["proof"] != "FAILED",
                f"{row['prove (s)']} s, {row['proof']}",
            )
        )
    return notes


if __name__ == "__main__":  # one proof, for prove_in_process: sizes and engine on the command line
    print(json.dumps(_prove_here([int(s) for s in sys.argv[1].split(",")], sys.argv[2])))
