"""The derive benchmark runs end to end: a smoke test on the smallest network, no timings."""

import pytest

from verify.bench import derive as bench
from verify.bench.derive import bench_derive, build_gradient, prove_in_process


def test_bench_derive_on_the_smallest_network():
    result = bench_derive(sizes=[(2, 2, 1)], repeats=1, rounds=1)
    (row,) = result.rows
    assert row["sizes"] == "[2, 2, 1]" and row["parameters"] == 9
    assert row["proof"] == "9 exact, 0 numeric"
    assert row["same verdicts"] == "yes" and row["speedup"] > 0
    assert float(row["max rel. diff"]) < 1e-12
    assert row["ratio"] > 0
    assert result.name == "derive"
    text = result.to_markdown()
    assert "Target: [2, 2, 1] derived and lambdified" in text
    assert "### Proofs: each in a fresh process" in text


def test_a_proof_in_a_fresh_process_reports_its_verdicts():
    run = prove_in_process((2, 2, 1), "memoized")
    assert run["equal"] and run["counts"] == {"exact": 9, "numeric": 0}
    assert run["verdicts"][0] == ["W^1[1,1]", True, "exact"]
    assert run["wall"] > 0 and run["cpu"] > 0


def test_the_reference_engine_is_skipped_above_its_size(monkeypatch):
    asked = []

    def fake_proof(sizes, engine):
        asked.append(engine)
        return {"wall": 1.0, "cpu": 1.0, "equal": True, "counts": {"exact": 9, "numeric": 0}}

    monkeypatch.setattr(bench, "REFERENCE_MAX_PARAMETERS", 5)
    monkeypatch.setattr(bench, "prove_in_process", fake_proof)
    (row,) = bench_derive(sizes=[(2, 2, 1)], repeats=2, rounds=1).rows
    assert asked == ["memoized", "memoized"]
    assert "speedup" not in row and row["proof"] == "9 exact, 0 numeric"


def test_build_gradient_refuses_an_unknown_contender():
    with pytest.raises(ValueError, match="`contender` must be 'lambdified' or 'numeric'"):
        build_gradient("torch", (2, 2, 1))
