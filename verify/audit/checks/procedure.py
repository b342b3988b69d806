"""Checks of the procedure (section "Backpropagation in practice"): per-sample gradients, the
forward pass, the summary of the backward pass and the updates."""

from __future__ import annotations

import numpy as np

import numeric
from numeric import kernels
from numeric.examples import XOR_INPUTS
from verify.audit.checks.registry import check
from verify.audit.context import Context, probe_label
from verify.audit.transcribe import column, row
from verify.audit.verdicts import (
    Check,
    Evidence,
    by_cases,
    by_readings,
    compare_arrays,
    compared_case,
    fmt,
    fmt_error,
)
from verify.core.complex_step import complex_step


def _batch(ctx: Context, n: int = 6):
    probe = ctx.probes[0]
    rng = np.random.default_rng([ctx.seeds[0], 6])
    X = rng.standard_normal((n, probe.sizes[0]))
    y = rng.uniform(0.1, 0.9, (n, probe.sizes[-1]))
    return probe.network, X, y


def batch_gradient(network: numeric.Network, X: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """Complex-step gradient of ``network``'s batch cost (its own reduction), flat per array."""
    flat = [p for pair in network.params for p in pair]

    def loss_with(index: int):
        def loss(value):
            params = [p.astype(complex) for p in flat]
            params[index] = value
            pairs = list(zip(params[::2], params[1::2]))
            return kernels.loss(
                pairs, network.activations, network.cost, X.astype(complex), y, network.reduction
            )

        return loss

    return [complex_step(loss_with(k), p) for k, p in enumerate(flat)]


def _sample_gradient(params, X: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """Complex-step gradient of the mean cross-entropy of a 2-2-1 sigmoid network at ``params``."""
    twin = numeric.Network([2, 2, 1], "sigmoid", "cross_entropy")
    twin.params = [(W.copy(), b.copy()) for W, b in params]
    flat = batch_gradient(twin, X, y)
    return list(zip(flat[::2], flat[1::2]))


def _flat(params) -> np.ndarray:
    return np.concatenate([p.ravel() for pair in params for p in pair])


@check("per-sample-procedure")
def _per_sample_procedure(ctx: Context) -> Check:
    """Line 100's procedure, run for each training sample, against one call of the program's
    ``train`` (one pass over the four XOR samples at the document's learning rate 1)."""
    namespace = ctx.program.namespace
    program = namespace["SigmoidNetwork"]([2, 2, 1])
    rng = np.random.default_rng([ctx.seeds[0], 10])
    for layer in program.layers:  # a seeded start instead of the program's own draw
        layer.W = rng.standard_normal(layer.W.shape)
        layer.b = rng.standard_normal(layer.b.shape)
    start = [(layer.W.copy(), layer.b.ravel().copy()) for layer in program.layers]
    rate = 1.0
    X_columns, y_row = namespace["X"], namespace["y"]
    program.train(X_columns, y_row, learning_rate=rate)
    after = _flat([(layer.W, layer.b.ravel()) for layer in program.layers])
    X, y = X_columns.T.astype(float), y_row.reshape(-1, 1).astype(float)
    samples = range(len(X))
    # Each sample's gradient, then one update with their mean.
    gradients = [_sample_gradient(start, X[s : s + 1], y[s : s + 1]) for s in samples]
    mean_step = [
        (
            W - rate * np.mean([g[m][0] for g in gradients], axis=0),
            b - rate * np.mean([g[m][1] for g in gradients], axis=0),
        )
        for m, (W, b) in enumerate(start)
    ]
    # Each sample's gradient, each followed by its update (stochastic gradient descent).
    online = [(W.copy(), b.copy()) for W, b in start]
    for s in samples:
        gradient = _sample_gradient(online, X[s : s + 1], y[s : s + 1])
        online = [(W - rate * dW, b - rate * db) for (W, b), (dW, db) in zip(online, gradient)]
    readings = [
        compared_case(
            f"an update after each sample (stochastic descent): {len(X)} updates against one "
            "call of the program's train",
            _flat(online),
            after,
        ),
        compared_case(
            "each sample's gradient, one update with their mean: against one call of the "
            "program's train",
            _flat(mean_step),
            after,
        ),
    ]
    return by_readings(
        readings,
        "program + complex step",
        evidence=[
            "The program's cost is the mean over the columns of X (item toy-averaging); the "
            f"gradient of that mean is the mean of the {len(X)} samples' gradients, which is what "
            "the second reading computes. Line 107's update names neither, and the program's "
            "learning rate means a different step in each reading. Gradients by complex step from "
            "the forward pass alone.",
        ],
        correction_holds=readings[1].agrees,
    )


@check("forward-pass")
def _forward_pass(ctx: Context) -> Check:
    cases = []
    for probe in ctx.probes:
        a = probe.x
        for m in range(1, probe.L + 1):
            a = probe.sigma(m, probe.W(m) @ a + probe.b(m))
        cases.append(
            compared_case(
                f"{probe_label(probe)}: the recursion against numeric's forward",
                a,
                probe.network.forward(probe.x[None, :])[0],
            )
        )
    program = ctx.program
    network = program.namespace["nn"]
    outputs = np.array([network.output(list(map(int, x)))[0, 0] for x in XOR_INPUTS])
    twin = numeric.Network([2, 2, 1], "sigmoid", "cross_entropy")
    twin.params = [
        (W.copy(), b.copy()) for W, b in (((layer.W, layer.b.ravel())) for layer in network.layers)
    ]
    cases.append(
        compared_case(
            "the document's program (repaired) after training, against numeric's forward",
            outputs,
            twin.forward(XOR_INPUTS)[:, 0],
        )
    )
    return by_cases(cases, "numeric")


@check("summary-stray-index")
def _summary_stray_index(ctx: Context) -> Check:
    probe = ctx.probes[0]
    m = 2
    delta, a_prev, truth = probe.dC_dz(m), probe.a[m - 1], probe.dC_dW(m)
    literal = [compare_arrays(np.asarray(delta[i]) * row(a_prev), truth) for i in range(len(delta))]
    readings = [
        Evidence(
            "literal: dC/dz^m_i a^(m-1)T, i a free index",
            any(result.agrees for result in literal),
            f"for each i a {row(a_prev).shape} row (row i of the gradient, scaled), against the "
            f"{truth.shape} gradient: {literal[0].detail} (layer {m}, {probe_label(probe)})",
        ),
        compared_case(
            "without the subscript: dC/dz^m a^(m-1)T", column(delta) @ row(a_prev), truth
        ),
    ]
    return by_readings(readings, "complex step", correction_holds=readings[1].agrees)


@check("updates-wording")
def _updates_wording(ctx: Context) -> Check:
    network, X, y = _batch(ctx)
    network = numeric.Network(network.sizes, "sigmoid", "cross_entropy", seed=ctx.seeds[0])
    before = [p.copy() for pair in network.params for p in pair]
    gradients = [g for pair in network.gradients(X, y) for g in pair]
    rate = 0.5
    network.fit(X, y, learning_rate=rate, epochs=1, progress=False)
    changes = [p - q for p, q in zip((p for pair in network.params for p in pair), before)]
    as_gradients = [compare_arrays(c, g) for c, g in zip(changes, gradients)]
    as_steps = [compare_arrays(c, -rate * g) for c, g in zip(changes, gradients)]
    readings = [
        Evidence(
            "the plugged-in values are the updates",
            all(r.agrees for r in as_gradients),
            f"a gradient-descent step (learning rate {rate}) changes the parameters by "
            f"{fmt(as_gradients[0].factor)} times the gradient, not by the gradient",
        ),
        Evidence(
            "the plugged-in values give the updates, -lambda times them",
            all(r.agrees for r in as_steps),
            f"step = -{rate} x gradient: max relative error "
            f"{fmt_error(max(r.error for r in as_steps))}",
        ),
    ]
    return by_readings(readings, "numeric")
