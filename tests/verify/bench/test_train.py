"""The training benchmark compares equal work: every contender's step is the same gradient step.

No timing is asserted here; the benchmark itself runs only as a smoke test on the smallest network.
"""

import numpy as np
import pytest

import verify.bench.train as bench
from numeric import Network
from verify.bench import common as benchmarking

LEARNING_RATE = 1.0  # a full step, so the update (p_before - p_after) is the gradient itself

STEPPERS = [bench.chainrule_stepper, bench.textbook_stepper]
try:
    import torch  # noqa: F401

    STEPPERS.append(bench.torch_stepper)
except ImportError:  # PyTorch is an optional peer; the other contenders are still checked
    pass


SIZES = (3, 5, 4, 2)  # two hidden layers, so deltas propagate twice


def small_problem(dtype, seed=0):
    """The benchmark's own kind of problem on a [3, 5, 4, 2] network, with a batch of 6."""
    network, X, y = benchmarking.bench_problem(SIZES, 6, dtype=dtype, seed=seed)
    return network.params, X, y


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("make_stepper", STEPPERS, ids=lambda f: f.__name__)
def test_one_step_is_numeric_gradient_step(make_stepper, dtype):
    params, X, y = small_problem(dtype)
    network = Network(SIZES, "sigmoid", "cross_entropy", dtype=dtype)
    network.params = [(W.copy(), b.copy()) for W, b in params]
    expected = network.gradients(X, y)

    stepper = make_stepper(params, X, y, LEARNING_RATE)
    stepper.step()
    after = stepper.params()

    # Each entry passes through some ten rounded operations (forward, backward, update), done in a
    # different order by each contender, and the update p - g rounds at the scale of p (|p| <= ~1.5
    # here); 100 units of roundoff at that scale bound the disagreement with room to spare, while a
    # wrong sign, a missing 1/n or an average over outputs is off by the gradient itself (its
    # largest entry >= 6e-3 in every parameter).
    eps = np.finfo(dtype).eps
    for m, ((W0, b0), (W1, b1), (dW, db)) in enumerate(
        zip(params, after, expected, strict=True), start=1
    ):
        assert W1.dtype == dtype and b1.dtype == dtype, f"layer {m} left {np.dtype(dtype).name}"
        for name, p0, p1, g in (("W", W0, W1, dW), ("b", b0, b1, db)):
            atol = 100 * eps * (1 + np.abs(p0).max())
            np.testing.assert_allclose(
                (p0 - p1) / LEARNING_RATE, g, rtol=0, atol=atol, err_msg=f"d{name}^{m}"
            )


def test_steps_keep_going_from_updated_parameters():
    # The timed closure must update the parameters it uses next time, not a copy.
    params, X, y = small_problem(np.float64)
    for make_stepper in STEPPERS:
        stepper = make_stepper(params, X, y, LEARNING_RATE)
        stepper.step()
        once = stepper.params()
        stepper.step()
        twice = stepper.params()
        assert not np.allclose(once[0][0], twice[0][0]), make_stepper.__name__


def test_step_flops_counts_forward_dw_and_inner_deltas():
    # [2, 3, 1], 4 samples: forward 2*4*(2*3 + 3*1) = 72, dW the same 72, and delta only for
    # layer 1 (from layer 2's W, 2*4*3*1 = 24): no delta for the input layer.
    assert bench.step_flops([2, 3, 1], 4) == 72 + 72 + 24


def test_bench_train_smoke(monkeypatch):
    # The real 2048^3 product and the pauses between blocks would take seconds.
    monkeypatch.setattr(bench, "GEMM_SIZE", 64)
    monkeypatch.setattr(benchmarking, "PAUSE_SECONDS", 0.0)
    result = bench.bench_train(repeats=1, n_threads=1, sizes=[((2, 2, 1), 4)])
    assert result.name == "train"
    assert [(row["network"], row["dtype"]) for row in result.rows] == [
        ("[2, 2, 1]", "float64"),
        ("[2, 2, 1]", "float32"),
    ]
    assert all(row["chainrule (ms)"] > 0 and row["textbook (ms)"] > 0 for row in result.rows)
    assert {"PyTorch / chainrule", "chainrule GFLOP/s", "of GEMM rate"} <= set(result.rows[0])
    assert any("1 thread(s)" in note for note in result.notes)
    assert "| [2, 2, 1]" in result.to_markdown()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"repeats": 0}, ValueError, r"`repeats` must be > 0, got 0"),
        ({"repeats": 2.5}, TypeError, r"`repeats` must be an int > 0, got 2.5"),
        ({"n_threads": 0}, ValueError, r"`n_threads` must be > 0, got 0"),
    ],
)
def test_bench_train_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        bench.bench_train(**kwargs)
