"""Checks of the table of nonlinearities (section "Backpropagation in practice"): each row's
function, derivative and note, for the sigmoid, tanh and ReLU."""

from __future__ import annotations

import numpy as np
import sympy as sp

import numeric
from derive.algebra import is_zero
from derive.catalogue import ACTIVATIONS as SYMBOLIC_ACTIVATIONS
from numeric.activations import sigmoid as logistic
from verify.audit.checks.registry import check
from verify.audit.context import Context
from verify.audit.experiments import DEPTH_INITS
from verify.audit.tables import (
    TABLE_FUNCTIONS,
    A,
    Z,
    one_sided_derivatives,
    symbolic_case,
    table_derivative_case,
)
from verify.audit.verdicts import (
    EXACT_RTOL,
    VANISHING,
    Check,
    Evidence,
    by_cases,
    by_readings,
    compare_arrays,
    compared_case,
    fmt,
)
from verify.core.complex_step import complex_step


@check("sigmoid-function")
def _sigmoid_function(ctx: Context) -> Check:
    as_written = ctx.tables["sigmoid"].function
    standard = 1 / (1 + sp.exp(-Z))
    points = ctx.points()
    program_sigmoid = ctx.program.namespace["sigmoid"]
    cases = [
        Evidence(
            "symbolic: equal to the logistic function 1/(1 + e^(-z))",
            is_zero(as_written - standard),
            "1/(1 + e^z) - 1/(1 + e^(-z)) "
            f"{'cancels' if is_zero(as_written - standard) else 'does not cancel'} "
            f"to 0, while 1/(1 + e^z) - (1 - 1/(1 + e^(-z))) "
            f"{'cancels' if is_zero(as_written - (1 - standard)) else 'does not cancel'} to 0",
        ),
        compared_case(
            "numeric: against the document's own program's sigmoid (line 119)",
            TABLE_FUNCTIONS["sigmoid"](points),
            program_sigmoid(points),
        ),
    ]
    slopes = np.array([complex_step(TABLE_FUNCTIONS["sigmoid"], z) for z in points])
    return by_cases(
        cases,
        "symbolic + numeric",
        evidence=[
            f"As written the function decreases: its slope is negative at all {len(points)} points "
            f"(largest {fmt(slopes.max())}); it is the logistic function of $-z$.",
        ],
        correction_holds=compare_arrays(logistic(points), program_sigmoid(points)).agrees,
    )


@check("sigmoid-derivative")
def _sigmoid_derivative(ctx: Context) -> Check:
    row = ctx.tables["sigmoid"]
    cases = [
        symbolic_case(row, "derivative of the row's function 1/(1 + e^z)"),
        table_derivative_case("sigmoid", ctx.points()),
    ]
    standard = SYMBOLIC_ACTIVATIONS[
        "sigmoid"
    ].output_derivative  # derived, in terms of a = sigma(z)
    holds = standard is not None and is_zero(standard - A * (1 - A))
    return by_cases(
        cases,
        "symbolic + complex step",
        evidence=[
            f"For the logistic function $1/(1 + e^{{-z}})$ derive finds the derivative "
            f"${sp.latex(standard)}$ in terms of the output $a$: the table's $a(1 - a)$.",
        ],
        correction_holds=holds,
    )


@check("sigmoid-range")
def _sigmoid_range(ctx: Context) -> Check:
    standard = 1 / (1 + sp.exp(-Z))
    low, high = sp.limit(standard, Z, -sp.oo), sp.limit(standard, Z, sp.oo)
    reaches = {value: sp.solveset(sp.Eq(standard, value), Z, sp.S.Reals) for value in (0, 1)}
    attained = [value for value, solutions in reaches.items() if solutions != sp.S.EmptySet]
    bounded = bool(standard.is_positive and sp.together(1 - standard).is_positive)
    # numeric's sigmoid in float64 on integers -1000..1000: do the rounded values reach 0 and 1?
    grid = np.arange(-1000.0, 1001.0)
    values = numeric.ACTIVATIONS["sigmoid"].function(grid)
    zeros, ones = grid[values == 0.0], grid[values == 1.0]
    readings = [
        Evidence(
            "the range of the real function is the closed interval [0, 1]",
            len(attained) == 2,
            f"limits {low} (z -> -oo) and {high} (z -> oo); sigma(z) = 0 or 1 has real solutions "
            f"for {attained or 'neither'}: the range is the open interval (0, 1)",
        ),
        Evidence(
            "[0, 1] bounds every value (range within [0, 1])",
            bounded,
            f"SymPy: sigma(z) > 0 and 1 - sigma(z) > 0 for real z: {bounded}",
        ),
        Evidence(
            "in float64 arithmetic, the computed values fill [0, 1]",
            bool(zeros.size and ones.size),
            f"sigma(z) rounds to 0.0 from z = {zeros.max():g} down and to 1.0 from "
            f"z = {ones.min():g} up"
            if zeros.size and ones.size
            else "the rounded values never reach both 0 and 1 on [-1000, 1000]",
        ),
    ]
    return by_readings(readings, "symbolic (limits, solveset) + float64")


@check("tanh-function")
def _tanh_function(ctx: Context) -> Check:
    as_written = ctx.tables["tanh"].function
    points = ctx.points()
    cases = [
        Evidence(
            "symbolic: equal to tanh z",
            is_zero(as_written - sp.tanh(Z)),
            "the difference cancels to 0"
            if is_zero(as_written - sp.tanh(Z))
            else "does not cancel",
        ),
        compared_case(
            "numeric: against numpy.tanh at random points",
            TABLE_FUNCTIONS["tanh"](points),
            np.tanh(points),
        ),
    ]
    with np.errstate(over="ignore", invalid="ignore"):
        large = TABLE_FUNCTIONS["tanh"](np.array(800.0))
    return by_cases(
        cases,
        "symbolic + numeric",
        evidence=[
            f"As a program, the formula overflows for large |z|: at z = 800 it gives {large} "
            "(inf/inf), where tanh is 1; use a library tanh."
        ],
    )


@check("tanh-derivative")
def _tanh_derivative(ctx: Context) -> Check:
    row = ctx.tables["tanh"]
    cases = [
        symbolic_case(row, "derivative of the row's function"),
        table_derivative_case("tanh", ctx.points()),
    ]
    return by_cases(cases, "symbolic + complex step")


@check("tanh-sigmoid-relation")
def _tanh_sigmoid_relation(ctx: Context) -> Check:
    standard = 1 / (1 + sp.exp(-Z))
    alpha, beta = sp.symbols("alpha beta", real=True)
    # Any scaling alpha * sigma(beta z) is alpha/2 at z = 0, where tanh is 0.
    at_zero = sp.simplify((alpha * standard.subs(Z, beta * Z)).subs(Z, 0))
    z = np.linspace(-4, 4, 401)
    target = np.tanh(z)
    betas = np.linspace(0.1, 5, 491)
    fits = []
    for b in betas:
        s = logistic(b * z)
        a = (s @ target) / (s @ s)  # least-squares output scale
        fits.append((np.abs(a * s - target).max(), a, b))
    best_residual, best_a, best_b = min(fits)
    out_only = logistic(z)
    out_scale = (out_only @ target) / (out_only @ out_only)
    readings = [
        Evidence(
            "scaling of the output: tanh z = alpha sigma(z)",
            False if np.abs(out_scale * out_only - target).max() > EXACT_RTOL else True,
            f"best alpha {fmt(out_scale)} leaves a max error "
            f"{fmt(np.abs(out_scale * out_only - target).max())} on [-4, 4]",
        ),
        Evidence(
            "scaling of input and output: tanh z = alpha sigma(beta z)",
            best_residual <= EXACT_RTOL,
            f"alpha sigma(beta z) at z = 0 is {at_zero}, tanh 0 = 0; best fit alpha {fmt(best_a)}, "
            f"beta {fmt(best_b)} leaves a max error {fmt(best_residual)}",
        ),
        Evidence(
            "scaling and shift: tanh z = 2 sigma(2 z) - 1",
            is_zero(sp.tanh(Z) - (2 * standard.subs(Z, 2 * Z) - 1)),
            "exact (the difference cancels to 0)",
        ),
    ]
    return by_readings(readings, "symbolic + least squares")


@check("relu-function")
def _relu_function(ctx: Context) -> Check:
    points = np.concatenate([ctx.points(), [0.0]])
    relu = numeric.ACTIVATIONS["relu"].function
    cases = [
        compared_case(
            "numeric: max(0, z) against numeric's relu, incl. z = 0",
            np.maximum(0, points),
            relu(points),
        )
    ]
    p = sp.Symbol("p", positive=True)
    cases.append(
        Evidence(
            "symbolic: max(0, z) is z for z > 0, 0 for z < 0",
            sp.Max(0, p) == p and sp.Max(0, -p) == 0,
            "by SymPy on a positive symbol p",
        )
    )
    return by_cases(cases, "symbolic + numeric")


@check("relu-derivative")
def _relu_derivative(ctx: Context) -> Check:
    row = ctx.tables["relu"]

    def stated(z):  # "0, z < 0; 1, z >= 0"
        return np.where(z >= 0, 1.0, 0.0)

    relu = numeric.ACTIVATIONS["relu"].function
    points = ctx.points()
    h = 1e-3  # exact for a piecewise-linear function while z +- h stays on one side of 0
    central = (relu(points + h) - relu(points - h)) / (2 * h)
    left, right = one_sided_derivatives(row.function, Z)
    at_zero = {
        "left": float((relu(0.0) - relu(-h)) / h),
        "right": float((relu(h) - relu(0.0)) / h),
        "central": float((relu(h) - relu(-h)) / (2 * h)),
    }
    cases = [
        Evidence(
            f"symbolic, z != 0: {row.relation}",
            row.relation == "equal where differentiable",
            "derive compares the stated and derived derivatives off the kink",
        ),
        compared_case(
            f"numeric, z != 0: central differences at {len(points)} points", stated(points), central
        ),
        Evidence(
            "z = 0: the derivative the table states exists",
            left == right,
            f"one-sided derivatives {left} (left) and {right} (right) by SymPy limits; numerically "
            f"left {at_zero['left']:g}, right {at_zero['right']:g}, central "
            f"{at_zero['central']:g}: relu is not differentiable at 0 and the table's "
            f"{float(stated(np.array(0.0)))} is the "
            "right derivative, one choice of subgradient in [0, 1]",
            convention=True,
        ),
    ]
    return by_cases(cases, "symbolic + finite differences")


@check("relu-depth")
def _relu_depth(ctx: Context) -> Check:
    depth = ctx.depth
    readings, rows = [], []
    for init_kind in ("usual", "normal"):
        medians = {}
        for activation in ("sigmoid", "tanh", "relu"):
            init = "normal" if init_kind == "normal" else DEPTH_INITS[activation]
            ratios = depth.ratios(activation, init)
            medians[activation] = float(np.median(ratios))
            rows.append(
                {
                    "activation": activation,
                    "init": init,
                    "median ratio first/last": fmt(medians[activation]),
                    "10%": fmt(np.quantile(ratios, 0.1)),
                    "90%": fmt(np.quantile(ratios, 0.9)),
                    **{
                        f"m={m}": fmt(v)
                        for m, v in enumerate(depth.profile(activation, init), start=1)
                    },
                }
            )
        label = (
            "each activation's usual initialisation"
            if init_kind == "usual"
            else "the document's N(0, 1) initialisation"
        )
        readings.append(
            Evidence(
                f"{label}: ReLU's gradient does not vanish, the sigmoid's does",
                medians["relu"] >= VANISHING and medians["sigmoid"] < VANISHING,
                f"median ||dC/dW^1|| / ||dC/dW^L||: relu {fmt(medians['relu'])}, sigmoid "
                f"{fmt(medians['sigmoid'])}, tanh {fmt(medians['tanh'])} "
                f"(vanished below {VANISHING})",
            )
        )
    return by_readings(
        readings,
        "experiment",
        evidence=[
            f"Depth {depth.depth}, width {depth.width}, batch {depth.batch} of standard-normal "
            "inputs, random binary targets, sigmoid output with cross-entropy; "
            f"{len(ctx.depth_seeds)} seeds; gradient norms at initialisation. The columns m=1..L "
            "give the median norm of layer m's "
            "weight gradient relative to the last layer's.",
            "Whether ReLU is *commonly used* is a fact about practice that no computation settles; "
            "what is tested is the reason for it.",
        ],
        tables=[("Gradient norm per layer, relative to the last layer", rows)],
        figures={f"{a}/{i}": float(np.median(depth.ratios(a, i))) for a, i in depth.norms},
    )
