"""The derive benchmark runs end to end: a smoke test on the smallest network, no timings."""

from verify.bench.derive import bench_derive


def test_bench_derive_on_the_smallest_network():
    result = bench_derive(sizes=[(2, 2, 1)], repeats=1, rounds=1)
    (row,) = result.rows
    assert row["sizes"] == "[2, 2, 1]" and row["parameters"] == 9
    assert "FAILED" not in row["proof"]
    assert float(row["max rel. diff"]) < 1e-12
    assert row["ratio"] > 0
    assert result.name == "derive"
    assert "Target: [2, 2, 1] derived and lambdified" in result.to_markdown()
