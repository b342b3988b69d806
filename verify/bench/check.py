"""Benchmark of a full gradient check: chainrule's finite differences, PyTorch's gradcheck, SciPy.

Every contender checks every parameter of the same network on the same batch: the reference
document's sigmoid network with binary cross-entropy (summed over outputs, averaged over the batch
of 32), at about 100, 1,000 and 10,000 parameters. Each is timed in its own process
(``verify.bench.processes``: alternating rounds, one thread per library) and reports the largest
relative error of its numerical gradient against numeric's backprop:

- chainrule's ``network_gradient`` with each method (complex-step, central with four or two
  evaluations per entry, Richardson) and each way of perturbing (``"preactivations"``: z^m per
  sample, then the affine layer; ``"parameters"``: every parameter, the whole batch);
- ``torch.autograd.gradcheck`` in float64, slow mode (a central difference per input entry, eps
  1e-6) and ``fast_mode=True`` (one random projection), on a PyTorch function computing the same
  loss from the same parameters; the slow mode's error is that of the numerical Jacobian it builds
  (captured during its first call, not recomputed), the fast mode reports only pass/fail;
- ``scipy.optimize.approx_fprime`` (forward differences, step sqrt(eps)) on the same loss of the
  flattened parameters.
"""

from __future__ import annotations

import contextlib
import importlib
import subprocess
import sys

import numpy as np

from numeric import Network
from numeric.validation import check_positive
from verify.bench.common import (
    BenchResult,
    bench_problem,
    machine_line,
    max_relative_error,
    median_of_calls,
    target_note,
    torch_available,
)
from verify.bench.processes import time_in_processes, workers
from verify.core.network_gradient import PERTURBATIONS, network_gradient, network_loss
from verify.core.params import parameter_count

__all__ = ["CHAINRULE_METHODS", "N_SAMPLES", "N_THREADS", "SIZES", "bench_check", "build_checker"]

# About 100, 1,000 and 10,000 parameters (108, 940 and 9,840).
SIZES = ((8, 8, 4), (20, 30, 10), (64, 100, 30, 10))
N_SAMPLES = 32
N_THREADS = 1
# Each timed block repeats a fast contender until it lasts this long.
MIN_BLOCK_SECONDS = 0.05
# Targets from the issues.
SPEEDUP_TARGET = 50
PARAMETERS_SPEEDUP_TARGET = 20
COMPLEX_ERROR_TARGET = 1e-10
VERIFY_TARGET_SECONDS = 5.0


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


# The contenders, by name: (what builds them, its options). Each is built in a worker process by
# ``build_checker``, whose first call computes the error (the contender's ``info``).
def _contender_names(has_torch: bool) -> list[str]:
    names = [
        _chainrule_name(method, perturb, evaluations)
        for perturb in PERTURBATIONS
        for method, evaluations in CHAINRULE_METHODS
    ]
    if has_torch:
        names += ["torch gradcheck (slow)", "torch gradcheck (fast_mode)"]
    return [*names, "scipy approx_fprime"]


# chainrule's methods: (method, evaluations per entry or None for the method's own).
CHAINRULE_METHODS = (("central", None), ("central", 2), ("complex", None), ("richardson", None))


def _chainrule_name(method: str, perturb: str, evaluations: int | None) -> str:
    shown = method if evaluations is None else f"{method} x{evaluations}"
    return f"chainrule {shown} ({perturb})"


def build_checker(checker: str, sizes, n_samples: int = N_SAMPLES):
    """The full check ``checker`` of the benchmark's network: a callable, whose first call (made
    here) gives its accuracy as ``info`` (the largest relative error against numeric's backprop,
    or "passed"/"FAILED" for a check that returns a verdict only)."""
    net, X, y = bench_problem(tuple(sizes), n_samples)
    reference = net.gradients(X, y)
    if checker.startswith("chainrule "):
        for perturb in PERTURBATIONS:
            for method, evaluations in CHAINRULE_METHODS:
                if checker == _chainrule_name(method, perturb, evaluations):

                    def run(method=method, perturb=perturb, evaluations=evaluations):
                        return network_gradient(
                            net, X, y, method=method, perturb=perturb, evaluations=evaluations
                        )

                    run.info = max_relative_error(run().gradient, reference)
                    return run
    elif checker.startswith("torch gradcheck"):
        return _gradcheck(checker, net, X, y, reference)
    elif checker == "scipy approx_fprime":
        return _approx_fprime(net, X, y, reference)
    raise ValueError(f"`checker` must be one of {_contender_names(True)}, got {checker!r}")


class _Checker:
    """A zero-argument callable with an ``info`` attribute."""

    def __init__(self, fn, info=None):
        self.fn, self.info = fn, info

    def __call__(self):
        return self.fn()


def _gradcheck(checker: str, net: Network, X, y, reference) -> _Checker:
    import torch

    loss = _torch_loss(X, y)
    params = [torch.tensor(p, requires_grad=True) for pair in net.params for p in pair]
    if checker == "torch gradcheck (fast_mode)":
        fast = _Checker(lambda: torch.autograd.gradcheck(loss, params, fast_mode=True))
        fast.info = "passed" if fast() else "FAILED"
        return fast
    slow = _Checker(lambda: torch.autograd.gradcheck(loss, params))
    jacobians: list = []
    with _captured_numerical_jacobian(jacobians):
        passed = slow()
    if jacobians:
        columns = [
            per_output[0].reshape(p.shape).numpy() for p, per_output in zip(params, jacobians[0])
        ]
        slow.info = max_relative_error(list(zip(columns[0::2], columns[1::2])), reference)
    else:  # pragma: no cover - depends on the PyTorch version
        slow.info = "passed" if passed else "FAILED"
    return slow


def _approx_fprime(net: Network, X, y, reference) -> _Checker:
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

    checker = _Checker(lambda: approx_fprime(theta, flat_loss))
    checker.info = max_relative_error(unflatten(checker()), reference)
    return checker


def bench_check(*, repeats: int = 3, sizes=None, checkers=None) -> BenchResult:
    """Time a full gradient check of every parameter against PyTorch's gradcheck and SciPy.

    Parameters
    ----------
    repeats : int
        Alternating rounds per network (the median is reported), each contender in its own
        process (``verify.bench.processes``), one thread each.
    sizes : sequence of layer sizes or None
        The networks; None runs ``SIZES`` (about 100, 1,000 and 10,000 parameters).
    checkers : sequence of str or None
        A subset of the checkers (their row names); None runs every one available.

    Returns
    -------
    BenchResult
        ``name="check"``: one row per network and contender with its median time, best and
        spread, its speedup over gradcheck's slow mode, and the largest relative error of its
        numerical gradient against numeric's backprop.
    """
    repeats = check_positive("repeats", repeats, integer=True)
    sizes = SIZES if sizes is None else tuple(tuple(s) for s in sizes)
    has_torch = torch_available()
    names = _contender_names(has_torch)
    if checkers is not None:
        unknown = [name for name in checkers if name not in _contender_names(True)]
        if unknown:
            raise ValueError(f"`checkers` must name checkers of the benchmark, got {unknown}")
        names = [name for name in names if name in checkers]
    rows, summary = [], {}
    with workers(names) as pool:
        for layer_sizes in sizes:
            n_params = parameter_count(layer_sizes)
            spec = {"sizes": list(layer_sizes)}
            contenders = {
                name: ("verify.bench.check:build_checker", {"checker": name, **spec})
                for name in names
            }
            timings = time_in_processes(
                contenders,
                threads=N_THREADS,
                rounds=repeats,
                min_time=MIN_BLOCK_SECONDS,
                blocks=1,
                pool=pool,
                warmup=0,  # the build's first call (the error) warmed it up
            )
            slow = timings.get("torch gradcheck (slow)")
            for name, timing in timings.items():
                error = timing.info
                rows.append(
                    {
                        "network": str(list(layer_sizes)),
                        "params": n_params,
                        "checker": name,
                        "time (s)": f"{timing.median:.3g}",
                        "best (s)": f"{timing.best:.3g}",
                        "spread": f"{timing.spread:.0%}",
                        "vs gradcheck slow": f"{slow.ratio(timing):.3g}x" if slow else "",
                        "max rel. error": error if isinstance(error, str) else f"{error:.1e}",
                    }
                )
            summary[layer_sizes] = (n_params, timings)
    notes = [*_notes(summary, has_torch, repeats), _verify_wall_time()]
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


def _notes(summary, has_torch: bool, repeats: int) -> list[str]:
    notes = [
        machine_line(N_THREADS),
        "The reference document's network: sigmoid in every layer, binary cross-entropy summed "
        f"over outputs and averaged over a batch of {N_SAMPLES}, float64; parameter counts: "
        + ", ".join(f"{list(s)} has {n:,}" for s, (n, _) in summary.items())
        + ". Parameters, batch and targets from verify.core.problems.make_problem (W^m drawn "
        "N(0, 1/N^{m-1}), b^m N(0, 1/4), standard normal inputs, targets in (0, 1)).",
        "Time: each checker in its own process (python -m verify.bench.processes), one thread "
        f"for NumPy's BLAS and PyTorch alike, asked in turn in {repeats} alternating rounds with "
        f"a pause between them; a round's sample is one block of calls lasting at least "
        f"{MIN_BLOCK_SECONDS:g} s. time = the median over the rounds, best = the fastest round, "
        "spread = (slowest - fastest) / median; vs gradcheck slow = the median over the rounds "
        "of gradcheck's time / the checker's, round by round.",
        "Max rel. error: against numeric's backprop, entry by entry |fd - g| / max(|g|, s) with "
        "s the parameter's gradient RMS (floored; see verify.core.compare), the largest over all "
        "parameters. gradcheck's slow mode: the numerical Jacobian it built (in the build's "
        "first call); its fast mode builds none and reports pass/fail.",
        "chainrule (preactivations) steps each z^m_si of each sample and applies the affine "
        "layer; chainrule (parameters) steps every parameter through the whole batch (see "
        "verify.core.network_gradient.network_gradient). central x2: central differences with "
        "two evaluations per entry (C(x +- h)), the truncation error estimated from a probe of "
        "1/16 of the entries also evaluated at +-2h; central: four (h and 2h).",
    ]
    if not has_torch:
        notes.append("PyTorch is not installed: no gradcheck rows.")
    n_params, timings = summary[max(summary, key=lambda s: summary[s][0])]
    slow = timings.get("torch gradcheck (slow)")
    if slow and all(name in timings for name in _contender_names(False)):

        def speedup(name: str) -> float:
            return slow.ratio(timings[name])

        parameters = [
            _chainrule_name(method, "parameters", evaluations)
            for method, evaluations in CHAINRULE_METHODS
        ]
        fastest = max(parameters, key=speedup)
        notes.append(
            target_note(
                f"at {n_params:,} parameters, the full check in parameters mode at least "
                f"{PARAMETERS_SPEEDUP_TARGET}x faster than gradcheck's slow mode "
                f"({slow.median:.2f} s here)",
                speedup(fastest) >= PARAMETERS_SPEEDUP_TARGET,
                ", ".join(f"{name[10:]} {speedup(name):.1f}x" for name in parameters),
            )
        )
        preactivations = "chainrule complex (preactivations)"
        notes.append(
            target_note(
                f"at {n_params:,} parameters, the complex-step full check (preactivations) at "
                f"least {SPEEDUP_TARGET}x faster than gradcheck's slow mode",
                speedup(preactivations) >= SPEEDUP_TARGET,
                f"{speedup(preactivations):.0f}x",
            )
        )
    if "chainrule complex (preactivations)" not in timings:
        return notes
    complex_error = timings["chainrule complex (preactivations)"].info
    notes.append(
        target_note(
            f"complex-step max relative error <= {COMPLEX_ERROR_TARGET:g} at {n_params:,} "
            "parameters",
            complex_error <= COMPLEX_ERROR_TARGET,
            f"{complex_error:.1e}",
        )
    )
    return notes
