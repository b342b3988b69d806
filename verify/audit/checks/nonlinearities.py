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
from verify.audit.context import Context, probe_label
from verify.audit.empirical import EXPLODING, VANISHING
from verify.audit.experiments import DEPTH_INITS
from verify.audit.tables import (
    TABLE_FUNCTIONS,
    A,
    Z,
    one_sided_derivatives,
    symbolic_case,
    table_derivative_case,
)
from verify.audit.transcribe import column, matmul
from verify.audit.verdicts import (
    EXACT_RTOL,
    Check,
    Evidence,
    by_cases,
    by_readings,
    compare_arrays,
    compared_case,
    evaluated_case,
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
    return by_readings(
        readings,
        "symbolic (limits, solveset) + float64",
        evidence=[saturation_consequence(zeros, ones)],
    )


def saturation_consequence(zeros: np.ndarray, ones: np.ndarray) -> str:
    """What a saturated output does to the cross-entropy of the table (line 98): its value and
    its derivative, at the first integer z where float64's sigmoid is exactly 1 (0), for the target
    on the other side; and the fused a - y and log(1 + e^(-z)), which stay finite."""
    z_one, z_zero = float(ones.min()), float(zeros.max())
    sigmoid = numeric.ACTIVATIONS["sigmoid"].function
    parts = []
    for z, y in ((z_one, 0.0), (z_zero, 1.0)):
        a = sigmoid(np.array(z))  # a NumPy scalar: log(0) and 1/0 are inf, as in a program
        with np.errstate(divide="ignore", invalid="ignore"):
            cost = (y - 1) * np.log(1 - a) - y * np.log(a)
            gradient = (a - y) / (a * (1 - a))
        from_z = float(np.logaddexp(0.0, -z if y == 1 else z))  # -log sigma(z) or -log(1 - sigma)
        parts.append(
            f"at z = {z:g}, sigma(z) = {float(a):g} and with y = {y:g} the table's cost is {cost} "
            f"and its derivative {gradient}, while a - y = {float(a - y):g} and the cost computed "
            f"from z, log(1 + e^({'-' if y == 1 else ''}z)), is {fmt(from_z)}"
        )
    return (
        "What saturation costs: "
        + "; ".join(parts)
        + ". (chainrule clips a inside (0, 1) and fuses the sigmoid with the cross-entropy.)"
    )


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
        kept, medians = {}, {}
        for activation in ("sigmoid", "tanh", "relu"):
            init = "normal" if init_kind == "normal" else DEPTH_INITS[activation]
            ratios = depth.ratios(activation, init)
            medians[activation] = float(np.median(ratios))
            kept[activation] = depth.kept(activation, init)
            rows.append(
                {
                    "activation": activation,
                    "init": init,
                    "median ||delta^1|| / ||delta^L||": fmt(medians[activation]),
                    "seeds kept within x10": kept[activation].text(0),
                    "median ||dC/dW^1|| / ||dC/dW^L||": fmt(
                        float(np.median(depth.weight_ratios(activation, init)))
                    ),
                    **{
                        f"m={m}": fmt(v)
                        for m, v in enumerate(depth.profile(activation, init), start=1)
                    },
                }
            )
        label = (
            "each activation's usual initialisation (Xavier; He for ReLU)"
            if init_kind == "usual"
            else "the document's standard normal initialisation"
        )
        readings.append(
            Evidence(
                f"{label}: ReLU's deltas keep their size across the layers, the sigmoid's vanish",
                kept["relu"].low > 0.5
                and depth.vanished("sigmoid", _init("sigmoid", init_kind)).low > 0.5,
                f"median ||delta^1|| / ||delta^L||: relu {fmt(medians['relu'])}, sigmoid "
                f"{fmt(medians['sigmoid'])}, tanh {fmt(medians['tanh'])}; seeds whose ratio stays "
                f"within [{VANISHING:g}, {EXPLODING:g}]: relu {kept['relu'].text(0)}",
            )
        )
    return by_readings(
        readings,
        "experiment",
        evidence=[
            f"Depth {depth.depth}, width {depth.width}, a batch of {depth.batch} standard-normal "
            "inputs with random binary targets, sigmoid output with cross-entropy; "
            f"{len(depth.seeds)} seeds (numeric's generator); the deltas delta^m = dC/dz^m at "
            "initialisation, their Frobenius norm over the batch. A ratio below "
            f"{VANISHING:g} has vanished, above {EXPLODING:g} exploded; the columns m=1..L give "
            "the median of ||delta^m|| / ||delta^L||. Reproduce: "
            f"`python -m verify.audit.reproduce depth --seeds {len(depth.seeds)}`.",
            "The weight gradients dC/dW^m = delta^m a^(m-1)T also carry the size of the layer's "
            "input. With ReLU and the standard normal initialisation the activations grow from "
            "layer to layer about as fast as the deltas grow from the output back, so the median "
            "||dC/dW^1|| / ||dC/dW^L|| is "
            f"{fmt(float(np.median(depth.weight_ratios('relu', 'normal'))))} while the deltas' "
            f"ratio is {fmt(float(np.median(depth.ratios('relu', 'normal'))))}: the ratio of the "
            "weight gradients hides the explosion.",
            "Tanh with the standard normal initialisation explodes too: W^T, with entries of "
            f"variance 1 and {depth.width} rows, multiplies the size of a delta by about "
            f"sqrt({depth.width}) = {np.sqrt(depth.width):.2g}, and tanh' (near 0 on the "
            "saturated units, near 1 on the others) takes back only part of it. Median factor "
            "by which a delta changes per layer, from the output back: tanh (standard normal) "
            f"{fmt(_per_layer('tanh', 'normal', depth))}, ReLU (He) "
            f"{fmt(_per_layer('relu', 'he', depth))}, sigmoid (Xavier) "
            f"{fmt(_per_layer('sigmoid', 'xavier', depth))} (its derivative is at most 1/4).",
            "Whether ReLU is *commonly used* is a fact about practice that no computation settles; "
            "what is tested is the reason for it.",
        ],
        tables=[("The deltas per layer, relative to the last layer", rows)],
        figures={
            f"{a}/{i}": {
                "median_ratio": float(np.median(depth.ratios(a, i))),
                "kept": depth.kept(a, i).to_dict(),
                "vanished": depth.vanished(a, i).to_dict(),
                "exploded": depth.exploded(a, i).to_dict(),
            }
            for a, i in depth.deltas
        },
    )


def _per_layer(activation: str, init: str, depth) -> float:
    """The median factor by which the delta grows per layer from the output back:
    (||delta^1|| / ||delta^L||)^(1 / (L - 1))."""
    return float(np.median(depth.ratios(activation, init)) ** (1 / (depth.depth - 1)))


def _init(activation: str, init_kind: str) -> str:
    return "normal" if init_kind == "normal" else DEPTH_INITS[activation]


def _as_columns_product(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x y for two column vectors (the document's convention, line 79): a matrix product."""
    return matmul(column(x), column(y))


def _as_inner_product(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x y read as the inner product x^T y (as in the squared error's row, line 97)."""
    return np.full(len(x), float(x @ y))


def _one_minus_square(product, a: np.ndarray) -> np.ndarray:
    return 1 - product(a, a)


def _cross_entropy_slope(product, a: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (a - y) / product(a, 1 - a).ravel()


TABLE_PRODUCT_READINGS = {
    "elementwise: a o (1 - a), a o a, (a - y) / (a o (1 - a)) entry by entry": np.multiply,
    "matrix products of column vectors (line 79's convention)": _as_columns_product,
    "inner products, as (y - a^L)^T (y - a^L) on line 97": _as_inner_product,
}


@check("table-elementwise-products")
def _table_elementwise_products(ctx: Context) -> Check:
    """The tables' derivatives for a layer of several units, their products read three ways."""
    probe = ctx.example_probe
    m, L = 1, probe.L
    a, a_out, y = probe.a[m], probe.a[L], probe.y
    sigmoid_truth = np.diag(probe.da_dz(m))  # the Jacobian's diagonal, da_k/dz_k
    cost_truth = probe.dC_da(L)
    tanh_probe = ctx.probes[-1]
    t = tanh_probe.a[1]
    tanh_truth = np.diag(tanh_probe.da_dz(1))
    readings = []
    for name, product in TABLE_PRODUCT_READINGS.items():
        results = [
            ("sigmoid a(1 - a)", evaluated_case("", sigmoid_truth, product, a, 1 - a)),
            ("tanh 1 - (a)^2", evaluated_case("", tanh_truth, _one_minus_square, product, t)),
            (
                "cross-entropy (a - y)/(a(1 - a))",
                evaluated_case("", cost_truth, _cross_entropy_slope, product, a_out, y),
            ),
        ]
        readings.append(
            Evidence(
                name,
                all(case.agrees for _, case in results),
                "; ".join(f"{what}: {case.detail}" for what, case in results),
            )
        )
    return by_readings(
        readings,
        "complex step",
        evidence=[
            f"On layer {m} (N^{m} = {probe.sizes[m]}) and the output (N^L = {probe.sizes[L]}) of "
            f"{probe_label(probe)}, and layer 1 of {probe_label(tanh_probe)}; the truth is the "
            "diagonal of the Jacobian da^m/dz^m and dC/da^L, by complex step."
        ],
        correction_holds=readings[0].agrees,
    )
