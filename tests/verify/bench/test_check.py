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


@pytest.mark.parametrize(("method", "evaluations"), [("central", 2), ("complex", None)])
def test_the_parameters_check_does_not_depend_on_how_its_stacks_are_chunked(method, evaluations):
    # The stacked evaluations keep their arrays from chunk to chunk (scratch, tiled biases, the
    # fused cost's buffers): chunks of one, of a size that leaves a shorter last chunk, and the
    # default must give the same gradient, each within its own error bound of backprop's.
    import numpy as np

    from verify.bench.common import bench_problem
    from verify.core.network_gradient import network_gradient

    net, X, y = bench_problem((6, 9, 7, 5), 12)  # 12 x 5 outputs: the SIMD softplus path
    reference = net.gradients(X, y)
    results = [
        network_gradient(
            net, X, y, method=method, perturb="parameters", evaluations=evaluations, chunk=chunk
        )
        for chunk in (1, 7, None)
    ]
    for result in results:
        for (dW, db), (eW, eb), (gW, gb) in zip(result.gradient, result.error, reference):
            assert np.all(np.abs(dW - gW) <= eW + 1e-13) and np.all(np.abs(db - gb) <= eb + 1e-13)
    first = results[0]
    for other in results[1:]:
        for (dW, db), (eW, eb), (dW1, db1), (eW1, eb1) in zip(
            first.gradient, first.error, other.gradient, other.error
        ):
            assert np.all(np.abs(dW - dW1) <= eW + eW1) and np.all(np.abs(db - db1) <= eb + eb1)
