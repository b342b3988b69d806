"""Benchmark of a full gradient check: chainrule's finite differences, PyTorch's gradcheck, SciPy.

Every contender checks every parameter of the same network on the same batch: the reference
document's sigmoid network with binary cross-entropy (summed over outputs, averaged over the batch
of 32), at about 100, 1,000 and 10,000 parameters. Each reports a time (median of interleaved
rounds with pauses between blocks, in one process, one thread per library) and the largest
relative error of its numerical gradient against numeric's backprop:

- chainrule's ``network_gradient`` with each method (complex-step, central, Richardson) and each
  way of perturbing (``"preactivations"``: z^m per sample, then the affine layer; ``"parameters"``:
  every parameter, the whole batch);
- ``torch.autograd.gradcheck`` in float64, slow mode (a central difference per input entry, eps
  1e-6) and ``fast_mode=True`` (one random projection), on a PyTorch function computing the same
  loss from the same parameters; the slow mode's error is that of the numerical Jacobian it builds
  during the timed call (captured, not recomputed), the fast mode reports only pass/fail;
- ``scipy.optimize.approx_fprime`` (forward differences, step sqrt(eps)) on the same loss of the
  flattened parameters.
"""

from __future__ import annotations

import contextlib
import importlib
import subprocess
import sys
import time

import numpy as np

from numeric import Network
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
    torch_available,
)
from verify.core.finite_differences import METHODS, PERTURBATIONS, network_gradient, network_loss

__all__ = ["N_SAMPLES", "N_THREADS", "SIZES", "bench_check"]

# About 100, 1,000 and 10,000 parameters (108, 940 and 9,840).
SIZES = ((8, 8, 4), (20, 30, 10), (64, 100, 30, 10))
N_SAMPLES = 32
N_THREADS = 1
# A contender whose first call lasts longer than this is timed once (its single call is the median).
SLOW_CALL_SECONDS = 2.0
# Each timed block repeats a fast contender until it lasts this long.
MIN_BLOCK_SECONDS = 0.05
# Targets from the issue.
SPEEDUP_TARGET = 50
COMPLEX_ERROR_TARGET = 1e-10
VERIFY_TARGET_SECONDS = 10.0


def _torch_loss(X, y):
    """The network's loss in PyTorch: ``loss(W^1, b^1, ..., W^L, b^L)``."""
    import torch

    X, y = torch.from_numpy(X), torch.from_numpy(y)

    def loss(*params):
        a = X
        for W, b in zip(params[0::2], params[1::2]):
            z = a @ W.T + b
            a = torch.sigmoid(z)
        # -(y log a + (1 - y) log(1 - a)) = softplus(z) - y z, as numeric's fused cost.
        return (torch.nn.functional.softplus(z) - y * z).sum(dim=1).mean()

    return loss


@contextlib.contextmanager
def _captured_numerical_jacobian(store: list):
    """Record the numerical Jacobian gradcheck's slow mode builds (a private PyTorch function)."""
    module = importlib.import_module("torch.autograd.gradcheck")
    original = getattr(module, "_get_numerical_jacobian", None)
    if original is None:  # pragma: no cover - depends on the PyTorch version
        yield
        return

    def recording(*args, **kwargs):
        result = original(*args, **kwargs)
        store.append(result)
        return result

    module._get_numerical_jacobian = recording
    try:
        yield
    finally:
        module._get_numerical_jacobian = original


# Each contender builder returns {name: (function, its error or verdict, seconds of its first call
# or None)}; the first call computes the error and warms up.


def _chainrule_contenders(net: Network, X, y, reference) -> dict:
    contenders = {}
    for perturb in PERTURBATIONS:
        for method in METHODS:

            def run(method=method, perturb=perturb):
                return network_gradient(net, X, y, method=method, perturb=perturb)

            start = time.perf_counter()
            error = max_relative_error(run().gradient, reference)
            seconds = time.perf_counter() - start
            contenders[f"chainrule {method} ({perturb})"] = (run, error, seconds)
    return contenders


def _gradcheck_contenders(net: Network, X, y, reference) -> dict:
    import torch

    loss = _torch_loss(X, y)
    params = [torch.tensor(p, requires_grad=True) for pair in net.params for p in pair]

    def slow():
        return torch.autograd.gradcheck(loss, params)

    def fast():
        return torch.autograd.gradcheck(loss, params, fast_mode=True)

    jacobians: list = []
    start = time.perf_counter()
    with _captured_numerical_jacobian(jacobians):
        passed_slow = slow()
    slow_seconds = time.perf_counter() - start
    if jacobians:
        columns = [
            per_output[0].reshape(p.shape).numpy() for p, per_output in zip(params, jacobians[0])
        ]
        slow_error: float | str = max_relative_error(
            list(zip(columns[0::2], columns[1::2])), reference
        )
    else:  # pragma: no cover - depends on the PyTorch version
        slow_error = "passed" if passed_slow else "FAILED"
    fast_verdict = "passed" if fast() else "FAILED"
    return {
        "torch gradcheck (slow)": (slow, slow_error, slow_seconds),
        "torch gradcheck (fast_mode)": (fast, fast_verdict, None),
    }


def _scipy_contender(net: Network, X, y, reference):
    from scipy.optimize import approx_fprime

    loss = network_loss(net, X, y)
    shapes = [p.shape for pair in net.params for p in pair]
    sizes = [int(np.prod(s)) for s in shapes]
    theta = np.concatenate([p.ravel() for pair in net.params for p in pair])

    def unflatten(flat):
        arrays = [a.reshape(s) for a, s in zip(np.split(flat, np.cumsum(sizes)[:-1]), shapes)]
        return list(zip(arrays[0::2], arrays[1::2]))

    def flat_loss(flat):
        return float(loss(unflatten(flat)))

    def run():
        return approx_fprime(theta, flat_loss)

    return {"scipy approx_fprime": (run, max_relative_error(unflatten(run()), reference), None)}


def _medians(contenders: dict, repeats: int, first: dict[str, float]) -> dict[str, float]:
    """Median seconds per call, interleaved (A B C, A B C, ...) with pauses between blocks.

    Each round times one block per contender, repeated until it lasts ``MIN_BLOCK_SECONDS`` (their
    first call, in ``first``, was the warm-up). A contender whose first call exceeded
    ``SLOW_CALL_SECONDS`` is not called again: that call is its time.
    """
    once = {name: s for name, s in first.items() if s > SLOW_CALL_SECONDS}
    timed = {name: fn for name, fn in contenders.items() if name not in once}
    times = paired_times(timed, rounds=repeats, min_time=MIN_BLOCK_SECONDS, repeat=1, warmup=False)
    return {name: once[name] if name in once else times[name] for name in contenders}


def bench_check(*, repeats: int = 3) -> BenchResult:
    """Time a full gradient check of every parameter against PyTorch's gradcheck and SciPy.

    Parameters
    ----------
    repeats : int
        Interleaved rounds per network (the median is reported); a contender whose first call
        exceeds ``SLOW_CALL_SECONDS`` (gradcheck's slow mode at 10,000 parameters) runs once.

    Returns
    -------
    BenchResult
        ``name="check"``: one row per network and contender with its median time, its speedup
        over gradcheck's slow mode, and the largest relative error of its numerical gradient
        against numeric's backprop.
    """
    repeats = check_positive("repeats", repeats, integer=True)
    has_torch = torch_available()
    rows = []
    summary = {}
    with limit_threads(N_THREADS):
        for sizes in SIZES:
            net, X, y = bench_problem(sizes, N_SAMPLES)
            reference = net.gradients(X, y)
            built = _chainrule_contenders(net, X, y, reference)
            if has_torch:
                built |= _gradcheck_contenders(net, X, y, reference)
            built |= _scipy_contender(net, X, y, reference)
            contenders = {name: fn for name, (fn, _, _) in built.items()}
            errors = {name: error for name, (_, error, _) in built.items()}
            first = {name: s for name, (_, _, s) in built.items() if s is not None}
            times = _medians(contenders, repeats, first)
            slow = times.get("torch gradcheck (slow)")
            for name in contenders:
                rows.append(
                    {
                        "network": str(list(sizes)),
                        "params": net.n_params,
                        "checker": name,
                        "time (s)": f"{times[name]:.3g}",
                        "vs gradcheck slow": f"{slow / times[name]:.3g}x" if slow else "",
                        "max rel. error": (
                            errors[name] if isinstance(errors[name], str) else f"{errors[name]:.1e}"
                        ),
                    }
                )
            summary[sizes] = (net.n_params, times, errors)
    notes = [*_notes(summary, has_torch), _verify_wall_time()]
    return BenchResult("check", "Full gradient check (batch 32)", rows, notes)


def _verify_wall_time(repeats: int = 3) -> str:
    """Median wall time of the whole ``chainrule verify`` command, in a fresh process each time."""
    command = [sys.executable, "-m", "verify.cli", "verify"]
    seconds = median_of_calls(
        lambda: subprocess.run(command, check=True, capture_output=True), repeats
    )
    return target_note(
        f"`chainrule verify` (whole matrix, process start included) under "
        f"{VERIFY_TARGET_SECONDS:g} s",
        seconds < VERIFY_TARGET_SECONDS,
        f"median {seconds:.1f} s over {repeats} runs",
    )


def _notes(summary, has_torch: bool) -> list[str]:
    notes = [
        machine_line(N_THREADS),
        "The reference document's network: sigmoid in every layer, binary cross-entropy summed "
        f"over outputs and averaged over a batch of {N_SAMPLES}, float64; parameter counts: "
        + ", ".join(f"{list(s)} has {n:,}" for s, (n, _, _) in summary.items())
        + ". Parameters, batch and targets from verify.core.problems.make_problem (W^m drawn "
        "N(0, 1/N^{m-1}), b^m N(0, 1/4), standard normal inputs, targets in (0, 1)).",
        "Time: median over interleaved rounds (pauses between blocks), one thread for NumPy's "
        "BLAS and PyTorch alike; a contender whose first call exceeds "
        f"{SLOW_CALL_SECONDS:g} s is timed by that single call.",
        "Max rel. error: against numeric's backprop, entry by entry |fd - g| / max(|g|, s) with "
        "s the parameter's gradient RMS (floored; see verify.core.compare), the largest over all "
        "parameters. gradcheck's slow mode: the numerical Jacobian it built during the timed "
        "call; its fast mode builds none and reports pass/fail.",
        "chainrule (preactivations) steps each z^m_si of each sample and applies the affine "
        "layer; chainrule (parameters) steps every parameter through the whole batch (see "
        "verify.core.finite_differences.network_gradient).",
    ]
    if not has_torch:
        notes.append("PyTorch is not installed: no gradcheck rows.")
    n_params, times, errors = summary[SIZES[-1]]
    slow = times.get("torch gradcheck (slow)")
    complex_error = errors["chainrule complex (preactivations)"]
    if slow:
        speedups = ", ".join(
            f"{perturb} {slow / times[f'chainrule complex ({perturb})']:.0f}x"
            for perturb in PERTURBATIONS
        )
        notes.append(
            target_note(
                f"at {n_params:,} parameters, the complex-step full check (preactivations) at "
                f"least {SPEEDUP_TARGET}x faster than gradcheck's slow mode ({slow:.2f} s here)",
                slow / times["chainrule complex (preactivations)"] >= SPEEDUP_TARGET,
                f"complex step: {speedups}",
            )
        )
    notes.append(
        target_note(
            f"complex-step max relative error <= {COMPLEX_ERROR_TARGET:g} at {n_params:,} "
            "parameters",
            complex_error <= COMPLEX_ERROR_TARGET,
            f"{complex_error:.1e}",
        )
    )
    return notes
