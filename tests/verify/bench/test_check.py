"""The gradient-check benchmark runs end to end: a smoke test on one small network, no timings."""

import verify.bench.check as bench
from verify.bench import common as benchmarking


def test_bench_check_smoke(monkeypatch):
    # One small network, short blocks, no pauses, and no `chainrule verify` subprocesses.
    monkeypatch.setattr(bench, "SIZES", ((3, 4, 2),))
    monkeypatch.setattr(bench, "MIN_BLOCK_SECONDS", 0.0)
    monkeypatch.setattr(benchmarking, "PAUSE_SECONDS", 0.0)
    monkeypatch.setattr(bench, "_verify_wall_time", lambda: "verify: not timed here")
    result = bench.bench_check(repeats=1)
    assert result.name == "check"
    rows = {row["checker"]: row for row in result.rows}
    assert {row["network"] for row in result.rows} == {"[3, 4, 2]"}
    assert {row["params"] for row in result.rows} == {26}
    complex_error = float(rows["chainrule complex (preactivations)"]["max rel. error"])
    assert complex_error <= bench.COMPLEX_ERROR_TARGET
    assert "scipy approx_fprime" in rows
    assert any(note.startswith("Machine: ") for note in result.notes)
    assert any(note.startswith("Target: complex-step max relative error") for note in result.notes)
    assert result.notes[-1] == "verify: not timed here"
