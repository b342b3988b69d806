"""Checks of the section "Example: Sigmoid network with cross-entropy loss using gradient
descent": the output delta, the precedence of its unparenthesised rows, the update rule."""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import sympy as sp

import numeric
from derive.algebra import is_zero, relation
from derive.catalogue import SymbolicActivation
from derive.network import derive_network
from numeric.activations import sigmoid as logistic
from verify.audit.checks.registry import check
from verify.audit.context import Context, probe_label
from verify.audit.document import align_separators, displayed_rows
from verify.audit.experiments import Probe
from verify.audit.tables import A, Y
from verify.audit.transcribe import column, matmul, strict_hadamard
from verify.audit.verdicts import (
    Check,
    Evidence,
    by_cases,
    by_readings,
    compare_arrays,
    compared_case,
    evaluated_case,
)


@functools.cache
def derived_output_delta(sigmoid_sign: int) -> tuple[sp.Expr, sp.Expr, str]:
    """delta^L of a 2-2-1 network with cross-entropy and the sigmoid 1/(1 + e^(sign z)), by
    ``derive``: (the derived delta, the stated a - y, their relation)."""
    activation = (
        "sigmoid"
        if sigmoid_sign < 0
        else SymbolicActivation("sigmoid_as_written", lambda z: 1 / (1 + sp.exp(z)))
    )
    network = derive_network([2, 2, 1], activation, "cross_entropy")
    out = network.backprop.output_deltas[0]
    a, y = network.backprop.a[0][-1][0], network.targets[0][0]
    derived = out.simplified[0]
    return derived, a - y, relation(a - y, derived)


def _as_written_sigmoid_probe(ctx: Context) -> Probe:
    as_written = numeric.Activation(
        "sigmoid_as_written",
        lambda z: logistic(-z),
        lambda z, a: -a * (1 - a),  # unused: the probe differentiates by complex step
        output_range=(0.0, 1.0),
    )
    return Probe((3, 5, 4, 2), as_written, "cross_entropy", seed=ctx.seeds[0])


@check("example-output-delta")
def _example_output_delta(ctx: Context) -> Check:
    """The example's delta^L for the network it defines: its own sigmoid 1/(1 + e^z)."""
    product = sp.Mul((A - Y) / (A * (1 - A)), A * (1 - A), evaluate=False)  # as written
    derived, _, found = derived_output_delta(+1)
    probe = _as_written_sigmoid_probe(ctx)
    cases = [
        Evidence(
            "symbolic: the product of the tables' entries cancels to a - y",
            is_zero(product - (A - Y)),
            f"({sp.sstr(product)}) - (a - y) cancels to 0: the algebra of the lines is right",
        ),
        Evidence(
            f"symbolic: derive's delta^L with sigma(z) = 1/(1 + e^z) is {sp.sstr(derived)}",
            found == "equal",
            f"a - y is {found} to it: the tables' a(1 - a) is not this sigmoid's derivative",
        ),
        compared_case(
            f"complex step, sizes {tuple(probe.sizes)}, sigmoid 1/(1 + e^z) as written",
            probe.a[probe.L] - probe.y,
            probe.dC_dz(probe.L),
        ),
    ]
    logistic_derived, _, logistic_found = derived_output_delta(-1)
    fixed = ctx.example_probe
    corrected = (
        logistic_found == "equal"
        and compare_arrays(fixed.a[fixed.L] - fixed.y, fixed.dC_dz(fixed.L)).agrees
    )
    return by_cases(
        cases,
        "symbolic + complex step",
        evidence=[
            f"With the logistic sigmoid 1/(1 + e^(-z)) derive's delta^L is "
            f"{sp.sstr(logistic_derived)}, and a - y is {logistic_found} to it; by complex step "
            f"on {probe_label(fixed)}: "
            f"{compare_arrays(fixed.a[fixed.L] - fixed.y, fixed.dC_dz(fixed.L)).text()}."
        ],
        correction_holds=corrected,
    )


def merge_situations(evaluations: dict[str, list[tuple[str, Evidence]]]) -> list[Evidence]:
    """One Evidence per reading from its evaluations in several situations: it agrees when it agrees
    in all of them."""
    return [
        Evidence(
            reading,
            all(case.agrees for _, case in cases),
            "; ".join(f"{where}: {case.detail}" for where, case in cases),
        )
        for reading, cases in evaluations.items()
    ]


# The example's unparenthesised rows, read three ways. Vectors are columns; ``matmul`` and
# ``strict_hadamard`` refuse shapes that do not fit, as the mathematics does.


def _matrix_first(W: np.ndarray, delta: np.ndarray, a: np.ndarray) -> np.ndarray:
    """(W^T delta) o (a o (1 - a)): the matrix product first, a(1 - a) elementwise."""
    return strict_hadamard(matmul(W.T, delta), strict_hadamard(a, 1 - a))


def _matrix_first_columns(W: np.ndarray, delta: np.ndarray, a: np.ndarray) -> np.ndarray:
    """(W^T delta) o (a (1 - a)): a(1 - a) as the matrix product of two columns."""
    return strict_hadamard(matmul(W.T, delta), matmul(a, 1 - a))


def _hadamard_first(W: np.ndarray, delta: np.ndarray, a: np.ndarray) -> np.ndarray:
    """W^T (delta o a(1 - a)): o before the matrix product."""
    return matmul(W.T, strict_hadamard(delta, strict_hadamard(a, 1 - a)))


DELTA_READINGS = {
    "the matrix product first, a(1 - a) elementwise": _matrix_first,
    "the matrix product first, a(1 - a) a product of two columns": _matrix_first_columns,
    "o before the matrix product: W^T((a - y) o a(1 - a))": _hadamard_first,
}


def example_delta(reading: Callable, probe: Probe, depth: int) -> np.ndarray:
    """delta^(L - depth) from a^L - y by the example's rows under ``reading``."""
    delta = column(probe.a[probe.L] - probe.y)
    for m in range(probe.L - 1, probe.L - depth - 1, -1):
        delta = reading(probe.W(m + 1), delta, column(probe.a[m]))
    return delta.ravel()


@check("example-delta-precedence")
def _example_delta_precedence(ctx: Context) -> Check:
    evaluations: dict[str, list[tuple[str, Evidence]]] = {}
    for probe in (ctx.example_probe, ctx.equal_probe):
        for depth in (1, 2):
            where = f"delta^(L-{depth}) on sizes {tuple(probe.sizes)}"
            truth = probe.dC_dz(probe.L - depth)
            for name, reading in DELTA_READINGS.items():
                case = evaluated_case(name, truth, example_delta, reading, probe, depth)
                evaluations.setdefault(name, []).append((where, case))
    readings = merge_situations(evaluations)
    return by_readings(readings, "complex step", correction_holds=readings[0].agrees)


def _outer_last(W, delta, a1, a2):
    """[(W^T delta) o a(1 - a)] a^T."""
    return matmul(_matrix_first(W, delta, a1), a2.T)


def _outer_first(W, delta, a1, a2):
    """(W^T delta) o [a(1 - a) a^T]: the juxtaposition with a^T binds before o."""
    return strict_hadamard(matmul(W.T, delta), matmul(strict_hadamard(a1, 1 - a1), a2.T))


def _hadamard_first_outer(W, delta, a1, a2):
    """W^T[delta o a(1 - a)] a^T."""
    return matmul(_hadamard_first(W, delta, a1), a2.T)


DW_READINGS = {
    "[(W^T(a - y)) o a(1 - a)] a^T": _outer_last,
    "(W^T(a - y)) o [a(1 - a) a^T], the outer product first": _outer_first,
    "W^T[(a - y) o a(1 - a)] a^T, o first": _hadamard_first_outer,
}


def _dW_arguments(probe: Probe) -> tuple[np.ndarray, ...]:
    """W^L, a^L - y, a^(L-1), a^(L-2) as the example's row uses them (vectors as columns)."""
    L = probe.L
    return (
        probe.W(L),
        column(probe.a[L] - probe.y),
        column(probe.a[L - 1]),
        column(probe.a[L - 2]),
    )


@check("example-dW-precedence")
def _example_dW_precedence(ctx: Context) -> Check:
    evaluations: dict[str, list[tuple[str, Evidence]]] = {}
    for probe in (ctx.example_probe, ctx.equal_probe):
        truth = probe.dC_dW(probe.L - 1)
        for name, reading in DW_READINGS.items():
            case = evaluated_case(name, truth, reading, *_dW_arguments(probe))
            evaluations.setdefault(name, []).append((f"sizes {tuple(probe.sizes)}", case))
    merged = merge_situations(evaluations)
    probe = ctx.example_probe
    W, delta, a1, a2 = _dW_arguments(probe)
    broadcast = compare_arrays((W.T @ delta) * ((a1 * (1 - a1)) @ a2.T), probe.dC_dW(probe.L - 1))
    return by_readings(
        merged,
        "complex step",
        evidence=[
            "With NumPy's broadcasting instead of a strict Hadamard product, the "
            "outer-product-first reading happens to give the right numbers "
            f"({broadcast.text()}), because "
            r"$(v \circ s) a^\top = v \circ (s a^\top)$ row by row; as mathematics the Hadamard "
            "product of a column and a matrix is undefined."
        ],
        correction_holds=merged[0].agrees,
    )


@check("example-align-breaks")
def _example_align_breaks(ctx: Context) -> Check:
    counts = align_separators(107)
    breaks, spaces = counts["\\\\"], counts["\\ "]
    rows = [row for row in displayed_rows() if row.line == 107]
    # Split at either separator, each row of a chain holds one relation "&=" (the update rules,
    # outside the aligns, hold a plain "=").
    chained = [row for row in rows if "&=" in row.latex]
    one_each = all(row.latex.count("&=") == 1 for row in chained)
    readings = [
        Evidence(
            "as LaTeX: each equality on its own row",
            spaces == 0,
            f"the example's aligns contain {breaks} line breaks (two backslashes) and {spaces} "
            "control spaces (backslash, space) where their rows break",
        ),
        Evidence(
            "as mathematics: split at the control spaces, the rows form chains of equalities",
            one_each,
            f"{len(chained)} rows, each with {'exactly' if one_each else 'not exactly'} one "
            "aligned '=' (their content is audited row by row in the items above)",
        ),
    ]
    return by_readings(readings, "document text")


@check("update-rule")
def _update_rule(ctx: Context) -> Check:
    cases = []
    rate = 1e-3
    for seed in ctx.seeds[:3]:
        network = numeric.Network([3, 5, 4, 2], "sigmoid", "cross_entropy", seed=seed)
        rng = np.random.default_rng([seed, 7])
        X, y = rng.standard_normal((8, 3)), rng.uniform(0.1, 0.9, (8, 2))
        before = network.loss(X, y)
        gradients = network.gradients(X, y)
        squared_norm = sum((g**2).sum() for pair in gradients for g in pair)
        network.params = [
            (W - rate * dW, b - rate * db) for (W, b), (dW, db) in zip(network.params, gradients)
        ]
        decrease = before - network.loss(X, y)
        first_order = rate * squared_norm
        cases.append(
            Evidence(
                f"seed {seed}: one step with lambda = {rate:g}",
                decrease > 0 and abs(decrease - first_order) <= 0.01 * first_order,
                f"C decreases by {decrease:.3g}; first-order prediction lambda ||grad||^2 = "
                f"{first_order:.3g}",
            )
        )
    return by_cases(cases, "numeric")
