"""The training benchmark compares equal work: every contender's step is the same gradient step.

No timing is asserted here; the benchmark itself runs only as a smoke test on the smallest network.
"""

import numpy as np
import pytest

import verify.bench.train as bench
from numeric import Network
from verify.bench import common as benchmarking

LEARNING_RATE = 1.0  # a full step, so the update (p_before - p_after) is the gradient itself

STEPPERS = [bench.chainrule_stepper, bench.minimal_stepper, bench.textbook_stepper]
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


def test_products_are_the_steps_matrix_products_alone():
    # After a step, products() makes exactly the step's products on the same arrays (forward
    # z^m, [dW | db], W^T delta for all but the first layer) and nothing else.
    params, X, y = small_problem(np.float64)
    step = bench.MinimalStep(params, X, y, LEARNING_RATE)
    step.step()
    last_delta = step.delta[-1].copy()
    calls = []
    real_matmul = np.matmul

    def counting(a, b, out):
        calls.append((a.shape, b.shape, out.shape))
        return real_matmul(a, b, out=out)

    np.matmul = counting
    try:
        step.products()
    finally:
        np.matmul = real_matmul
    L = len(params)
    assert len(calls) == 3 * L - 1
    for m in range(L):
        np.testing.assert_allclose(step.z[m], step.blocks[m] @ step.inputs[m], rtol=1e-14)
    np.testing.assert_array_equal(step.delta[-1], last_delta)  # only products were written
    np.testing.assert_allclose(step.grads[-1], last_delta @ step.inputs[-1].T, rtol=1e-14)
    # 2 n (N_in + 1) N_out per product with the bias row: step_flops plus the bias's share.
    flops = sum(2 * a[0] * a[1] * b[1] for a, b, _ in calls)
    assert flops >= bench.step_flops(SIZES, 6)


@pytest.mark.parametrize("contender", bench.CONTENDERS)
def test_build_step_builds_each_contender(contender):
    if contender == "PyTorch" and "torch_stepper" not in [f.__name__ for f in STEPPERS]:
        pytest.skip("PyTorch is an optional peer ([peers] extra) and is not installed")
    step = bench.build_step(contender, [3, 4, 2], 5, "float32")
    step()
    step()
    with pytest.raises(ValueError, match="`contender` must be one of"):
        bench.build_step("sklearn", [3, 4, 2], 5, "float32")


def test_bench_train_smoke():
    # One small network, each contender in its own process, one short round.
    result = bench.bench_train(
        rounds=1,
        sizes=[((2, 2, 1), 4)],
        min_time=0.0,
        blocks=1,
        contenders=["chainrule", "minimal"],
    )
    assert result.name == "train"
    assert [(row["network"], row["dtype"], row["threads"]) for row in result.rows] == [
        ("[2, 2, 1]", "float64", 1),
        ("[2, 2, 1]", "float32", 1),
    ]
    assert all(row["chainrule (ms)"] > 0 and row["minimal (ms)"] > 0 for row in result.rows)
    assert all(row["PyTorch (ms)"] == "n/a" for row in result.rows)
    assert all(row["chainrule / minimal"] > 0 for row in result.rows)
    ((title, details),) = result.tables
    assert title.startswith("Each contender")
    assert {d["contender"] for d in details} == {"chainrule", "minimal"}
    text = result.to_markdown()
    assert "| [2, 2, 1]" in text and "### Each contender" in text
    assert any(note.startswith("Target: [2, 2, 1] and [64, 128, 10]") for note in result.notes)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"rounds": 0}, ValueError, r"`rounds` must be > 0, got 0"),
        ({"rounds": 2.5}, TypeError, r"`rounds` must be an int > 0, got 2.5"),
        ({"threads": (0,)}, ValueError, r"`threads` must be > 0, got 0"),
        ({"contenders": ["minimal"]}, ValueError, r"`contenders` must be a subset of"),
        ({"contenders": ["chainrule", "jax"]}, ValueError, r"`contenders` must be a subset of"),
    ],
)
def test_bench_train_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        bench.bench_train(**kwargs)
