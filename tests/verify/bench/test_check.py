"""The gradient-check benchmark runs end to end: a smoke test on one small network, no timings."""

import pytest

import verify.bench.check as bench
from verify.bench import processes


def test_bench_check_smoke(monkeypatch):
    pytest.importorskip("scipy", reason="SciPy's checker is a contender: pip install -e '.[bench]'")
    # One small network, short blocks, no pauses, and no `chainrule verify` subprocesses.
    monkeypatch.setattr(bench, "MIN_BLOCK_SECONDS", 0.0)
    monkeypatch.setattr(processes, "PAUSE_SECONDS", 0.0)
    monkeypatch.setattr(bench, "_verify_wall_time", lambda: "verify: not timed here")
    checkers = [
        "chainrule central (parameters)",
        "chainrule central x2 (parameters)",
        "chainrule complex (preactivations)",
        "torch gradcheck (slow)",
        "scipy approx_fprime",
    ]
    result = bench.bench_check(repeats=1, sizes=[(3, 4, 2)], checkers=checkers)
    assert result.name == "check"
    rows = {row["checker"]: row for row in result.rows}
    assert {row["network"] for row in result.rows} == {"[3, 4, 2]"}
    assert {row["params"] for row in result.rows} == {26}
    complex_error = float(rows["chainrule complex (preactivations)"]["max rel. error"])
    assert complex_error <= bench.COMPLEX_ERROR_TARGET
    # Two central evaluations per entry give the four-evaluation gradient (the h quotient).
    assert (
        rows["chainrule central x2 (parameters)"]["max rel. error"]
        == rows["chainrule central (parameters)"]["max rel. error"]
    )
    assert "scipy approx_fprime" in rows
    assert any(note.startswith("Machine: ") for note in result.notes)
    assert any(note.startswith("Target: complex-step max relative error") for note in result.notes)
    assert result.notes[-1] == "verify: not timed here"


def test_build_checker_refuses_an_unknown_checker():
    with pytest.raises(ValueError, match="`checker` must be one of"):
        bench.build_checker("chainrule forward (parameters)", (3, 4, 2))
    with pytest.raises(ValueError, match="`checkers` must name checkers of the benchmark"):
        bench.bench_check(checkers=["jax.test_util.check_grads"])
