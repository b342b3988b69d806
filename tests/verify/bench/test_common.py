"""The benchmarks' shared machinery: their problem, their error measure, timing and notes."""

import numpy as np
import pytest

from numeric import Network
from verify.bench import BENCHMARKS, get_benchmark
from verify.bench import common as benchmarking
from verify.core.problems import make_problem


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bench_problem_is_make_problem_in_the_dtype(dtype):
    network, X, y = benchmarking.bench_problem((3, 4, 2), 5, dtype=dtype, seed=3)
    assert network.dtype == dtype and X.dtype == dtype and y.dtype == dtype
    assert all(p.dtype == dtype for pair in network.params for p in pair)
    network.check_data(X, y)  # targets inside binary cross-entropy's domain
    copy = Network([3, 4, 2], "sigmoid", "cross_entropy")
    params, X64, y64 = make_problem(copy, dtype=dtype, n_samples=5, seed=3)
    np.testing.assert_array_equal(X, X64.astype(dtype))
    np.testing.assert_array_equal(y, y64.astype(dtype))
    for (W, b), (W64, b64) in zip(network.params, params, strict=True):
        np.testing.assert_array_equal(W, W64.astype(dtype))
        np.testing.assert_array_equal(b, b64.astype(dtype))


def test_bench_problem_keeps_sigmoids_off_saturation():
    network, X, _ = benchmarking.bench_problem((64, 100, 30, 10), 32)
    _, activations = network.trace(X)
    assert all(np.abs(a - 0.5).max() < 0.5 - 1e-3 for a in activations[1:])


def test_max_relative_error_is_the_worst_parameter():
    reference = [(np.array([[1.0, 2.0]]), np.array([4.0]))]
    candidate = [(np.array([[1.0, 2.0]]), np.array([4.0 + 4e-6]))]
    assert benchmarking.max_relative_error(reference, reference) == 0.0
    assert benchmarking.max_relative_error(candidate, reference) == pytest.approx(1e-6)


def test_median_of_calls_runs_before_each_call():
    calls = []
    seconds = benchmarking.median_of_calls(
        lambda: calls.append("fn"), 3, before=lambda: calls.append("before")
    )
    assert calls == ["before", "fn"] * 3 and seconds >= 0


def test_notes_say_the_machine_and_the_verdict():
    line = benchmarking.machine_line(2)
    assert line.startswith("Machine: ") and "NumPy" in line and "2 thread(s) per library" in line
    assert benchmarking.target_note("fast", True) == "Target: fast: met."
    assert benchmarking.target_note("fast", False, "2 s") == "Target: fast: MISSED (2 s)."


def test_every_registered_benchmark_resolves():
    for name in BENCHMARKS:
        assert callable(get_benchmark(name))
    with pytest.raises(ValueError, match="`name` must be one of 'train', 'derive', 'check'"):
        get_benchmark("nope")
