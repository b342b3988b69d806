"""Checks of the table of costs (section "Backpropagation in practice"): each row's function,
derivative and note, for the squared error and cross-entropy."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import sympy as sp

import numeric
from derive.algebra import is_zero
from verify.audit.checks.registry import check
from verify.audit.context import Context, probe_label
from verify.audit.tables import A, Y, symbolic_case
from verify.audit.transcribe import column
from verify.audit.verdicts import Check, Evidence, by_cases, by_readings, compared_case, fmt


@check("squared-error-function")
def _squared_error_function(ctx: Context) -> Check:
    cases = []
    for probe in ctx.probes:
        a, y = probe.a[probe.L], probe.y
        literal = 0.5 * (column(y - a).T @ column(y - a))
        truth = numeric.COSTS["squared_error"].value(a[None, :], y[None, :])
        cases.append(
            compared_case(
                f"{probe_label(probe)}: (y - a)^T (y - a) / 2 of columns", literal.ravel(), truth
            )
        )
    return by_cases(
        cases,
        "numeric",
        evidence=["A row vector times a column vector: a 1x1 matrix, the sum over units."],
    )


def _training_with(gradient: Callable, ctx: Context, steps: int = 50) -> tuple[float, float]:
    """Loss before and after ``steps`` of gradient descent on a squared-error network whose
    dC/da^L is ``gradient`` (the document's transcription): the effect of a sign."""
    cost = dataclasses.replace(numeric.COSTS["squared_error"], gradient=gradient)
    network = numeric.Network([3, 5, 2], "tanh", cost, seed=ctx.seeds[0])
    rng = np.random.default_rng([ctx.seeds[0], 5])
    X, y = rng.standard_normal((16, 3)), rng.standard_normal((16, 2))
    before = network.loss(X, y)
    with np.errstate(over="ignore", invalid="ignore"):
        history = network.fit(X, y, learning_rate=0.05, epochs=steps, progress=False)
    return before, float(network.loss(X, y)) if history.losses else before


@check("squared-error-derivative")
def _squared_error_derivative(ctx: Context) -> Check:
    row = ctx.tables["squared_error"]
    cases = [symbolic_case(row, "derivative of (y - a)^2 / 2 with respect to a")]
    for probe in ctx.probes:
        if probe.network.cost.name == "squared_error":
            L = probe.L
            cases.append(
                compared_case(
                    f"complex step, {probe_label(probe)}", probe.y - probe.a[L], probe.dC_da(L)
                )
            )
    stated_before, stated_after = _training_with(lambda a, y: y - a, ctx)
    fixed_before, fixed_after = _training_with(lambda a, y: a - y, ctx)
    return by_cases(
        cases,
        "symbolic + complex step",
        evidence=[
            f"50 gradient-descent steps (learning rate 0.05) with the table's derivative take the "
            f"loss of a 3-5-2 tanh network from {fmt(stated_before)} to {fmt(stated_after)}; with "
            f"a - y from {fmt(fixed_before)} to {fmt(fixed_after)}."
        ],
        correction_holds=stated_after > stated_before and fixed_after < fixed_before,
    )


@check("squared-error-note")
def _squared_error_note(ctx: Context) -> Check:
    outputs = np.linspace(-3, 3, 61)[:, None]
    targets = np.full_like(outputs, 0.5)
    se = numeric.COSTS["squared_error"]
    with np.errstate(invalid="ignore", divide="ignore"):
        literal_ce = (targets - 1) * np.log(1 - outputs) - targets * np.log(outputs)
    ce_undefined = float((~np.isfinite(literal_ce)).mean())
    cases = [
        Evidence(
            "squared error and its gradient are finite for outputs in [-3, 3]",
            bool(
                np.isfinite(se.value(outputs, targets)).all()
                and np.isfinite(se.gradient(outputs, targets)).all()
            ),
            f"{len(outputs)} outputs, target 0.5",
        )
    ]
    return by_cases(
        cases,
        "numeric",
        evidence=[
            f"Cross-entropy as written is undefined (log of a non-positive number) at "
            f"{ce_undefined:.0%} of those outputs: it needs outputs in (0, 1)."
        ],
    )


@check("cross-entropy-function")
def _cross_entropy_function(ctx: Context) -> Check:
    literal = ctx.tables["cross_entropy"].function
    per_unit = -(Y * sp.log(A) + (1 - Y) * sp.log(1 - A))

    def as_written(a, y):
        return (y - 1) * np.log(1 - a) - y * np.log(a)

    probe = ctx.example_probe
    a, y = probe.a[probe.L], probe.y
    truth = numeric.COSTS["cross_entropy"].value(a[None, :], y[None, :])
    one_unit = numeric.COSTS["cross_entropy"].value(a[None, :1], y[None, :1])
    value = as_written(a, y)
    readings = [
        compared_case("one output unit (N^L = 1)", as_written(a[:1], y[:1]), one_unit),
        Evidence(
            f"as written for N^L = {len(a)} outputs ({probe_label(probe)})",
            np.ndim(value) == 0,
            f"gives an array of shape {value.shape}, not a scalar cost",
        ),
        compared_case(f"per unit, summed over the {len(a)} units", value.sum(), truth[0]),
    ]
    return by_readings(
        readings,
        "symbolic + numeric",
        evidence=[
            "Per unit it is the usual binary cross-entropy: "
            f"(y - 1) log(1 - a) - y log a + (y log a + (1 - y) log(1 - a)) is "
            f"{'zero' if is_zero(literal - per_unit) else 'not zero'} (derive)."
        ],
        correction_holds=readings[2].agrees,
    )


@check("cross-entropy-derivative")
def _cross_entropy_derivative(ctx: Context) -> Check:
    row = ctx.tables["cross_entropy"]
    cases = [symbolic_case(row, "derivative of the row's cost (one unit)")]
    probe = ctx.example_probe
    L = probe.L
    a = probe.a[L]
    cases.append(
        compared_case(
            f"complex step, {probe_label(probe)}", (a - probe.y) / (a * (1 - a)), probe.dC_da(L)
        )
    )
    return by_cases(cases, "symbolic + complex step")


@check("cross-entropy-convergence")
def _cross_entropy_convergence(ctx: Context) -> Check:
    readings, rows = [], []
    for result in ctx.convergence:
        for entry_row in result.rows():
            rows.append(entry_row)
            ce, se = entry_row["CE median steps"], entry_row["SE median steps"]
            readings.append(
                Evidence(
                    f"{result.task.description}, learning rate {entry_row['learning rate']:g}",
                    ce < se and entry_row["CE first"] > entry_row["SE first"],
                    f"median steps CE {fmt(ce)}, SE {fmt(se)}; CE first in "
                    f"{entry_row['CE first']:.0%} "
                    f"of seeds, SE first in {entry_row['SE first']:.0%}; reached by CE "
                    f"{entry_row['CE reached']:.0%}, SE {entry_row['SE reached']:.0%}",
                )
            )
    max_epochs = ", ".join(f"{r.task.name} {r.task.max_epochs}" for r in ctx.convergence)
    return by_readings(
        readings,
        "experiment",
        evidence=[
            f"Full-batch gradient descent, sigmoid layers, the same standard-normal initialisation "
            f"for both costs (seed by seed, {len(ctx.convergence_seeds)} seeds), the same learning "
            f"rate; steps until the accuracy threshold (inf: not within {max_epochs} steps). "
            "'CE first' is the fraction of seeds where cross-entropy got there strictly earlier.",
            "Why: with a sigmoid output, cross-entropy's delta^L is a^L - y, squared error's is "
            "(a^L - y) a^L (1 - a^L), at most a quarter of it and vanishing when the output "
            "saturates on the wrong side.",
            "That classification is where cross-entropy is *commonly used* is a fact about "
            "practice, not computed.",
        ],
        tables=[("Steps to the accuracy threshold", [_format_row(r) for r in rows])],
        figures={"rows": rows},
    )


def _format_row(values: dict) -> dict:
    return {
        key: (fmt(value) if isinstance(value, float) else value) for key, value in values.items()
    }
