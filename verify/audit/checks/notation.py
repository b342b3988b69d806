"""Checks of the section "Notation": the shapes, the index order of the weights, elementwise
nonlinearities and the symbol h^m that the notation does not define."""

from __future__ import annotations

import functools
import re

import numpy as np

import numeric
from verify.audit.checks.registry import check
from verify.audit.context import Context, probe_label
from verify.audit.document import document_lines
from verify.audit.verdicts import (
    Check,
    Evidence,
    by_cases,
    by_readings,
    compare_arrays,
    compared_case,
    fmt,
)
from verify.core.complex_step import complex_step


@check("notation-shapes")
def _notation_shapes(ctx: Context) -> Check:
    cases = []
    for probe in ctx.probes:
        shapes_ok = all(
            probe.W(m).shape == (probe.sizes[m], probe.sizes[m - 1])
            and probe.z[m].shape == probe.b(m).shape == (probe.sizes[m],)
            for m in range(1, probe.L + 1)
        )
        cost = probe.cost(probe.a[probe.L])
        cases.append(
            Evidence(
                f"{probe_label(probe)}: shapes",
                shapes_ok and np.ndim(cost) == 0 and probe.y.shape == (probe.sizes[-1],),
                "W^m (N^m, N^(m-1)) times a^(m-1) plus b^m gives z^m of length N^m for "
                f"m = 1..{probe.L}; "
                f"C(a^L, y) is a scalar ({fmt(float(cost))})",
            )
        )
        zs, _ = probe.network.trace(probe.x[None, :])
        batch_first = np.concatenate([z[0] for z in zs])
        cases.append(
            compared_case(
                f"{probe_label(probe)}: batch-first rows (a W^T + b, numeric) against columns",
                batch_first,
                np.concatenate([probe.z[m] for m in range(1, probe.L + 1)]),
            )
        )
    return by_cases(cases, "numeric (shapes)")


@check("notation-weight-index")
def _notation_weight_index(ctx: Context) -> Check:
    cases = []
    for probe in ctx.probes:
        for m in range(1, probe.L + 1):
            jacobian = complex_step(functools.partial(probe.z_from, m), probe.a[m - 1])
            # jacobian[j, i] = dz_i / da_j; the claim is that it is W_ij.
            cases.append(compared_case(f"{probe_label(probe)}, m = {m}", jacobian.T, probe.W(m)))
    return by_cases(cases, "complex step")


@check("notation-elementwise")
def _notation_elementwise(ctx: Context) -> Check:
    rng = np.random.default_rng([ctx.seeds[0], 4])
    z = rng.uniform(-3, 3, 5)
    z = np.where(np.abs(z) < 0.1, 0.5, z)
    cases = []
    for name in ("sigmoid", "tanh"):
        jacobian = complex_step(numeric.ACTIVATIONS[name].function, z)
        off_diagonal = np.abs(jacobian - np.diag(np.diag(jacobian))).max()
        cases.append(
            Evidence(
                f"{name}: Jacobian at 5 random points",
                off_diagonal == 0,
                f"largest off-diagonal entry {off_diagonal:g}",
            )
        )
    # ReLU is not analytic: central differences, exact for a piecewise-linear function when no
    # perturbation crosses the kink (all |z| >= 0.1 > h).
    h = 1e-3
    relu = numeric.ACTIVATIONS["relu"].function
    jacobian = np.array([(relu(z + h * e) - relu(z - h * e)) / (2 * h) for e in np.eye(len(z))])
    off_diagonal = np.abs(jacobian - np.diag(np.diag(jacobian))).max()
    cases.append(
        Evidence(
            "relu: Jacobian by central differences",
            off_diagonal == 0,
            f"largest off-diagonal entry {off_diagonal:g}",
        )
    )
    return by_cases(cases, "complex step / central differences")


_NOTATION_ENTRY = re.compile(r"^\$(\\?[A-Za-z]+)")


def defined_symbols() -> list[str]:
    """The symbols the notation list (lines 10-26) defines: each entry starts with ``$X...$ -``."""
    names = []
    for line in document_lines()[9:26]:
        match = _NOTATION_ENTRY.match(line)
        if match and " - " in line:
            names.append(match.group(1))
    return names


@check("notation-undefined-h")
def _notation_undefined_h(ctx: Context) -> Check:
    defined = defined_symbols()
    uses = [n for n, line in enumerate(document_lines(), 1) if re.search(r"(?<!_)h\^m", line)]
    as_index = [n for n, line in enumerate(document_lines(), 1) if r"\sum_{h = 1}" in line]
    literal = Evidence(
        "literal: h^m as defined in the notation",
        "h" in defined,
        f"the notation defines {', '.join(defined)}; h^m is used on line(s) {uses} and h "
        f"elsewhere only as a summation index (line(s) {as_index})",
    )
    readings = [literal]
    for probe in ctx.probes[:1]:
        for m in range(1, probe.L + 1):
            direct = probe.sigma(m, probe.W(m) @ probe.a[m - 1] + probe.b(m))
            readings.append(
                compared_case(
                    f"h^m read as z^m: sigma(z^m) = sigma(W^m a^(m-1) + b^m), m = {m}",
                    probe.sigma(m, probe.z[m]),
                    direct,
                )
            )
    return by_readings(
        readings, "document text / numeric", correction_holds=all(r.agrees for r in readings[1:])
    )


@check("notation-layer-count")
def _notation_layer_count(ctx: Context) -> Check:
    line = document_lines()[12 - 1]
    numbered = re.search(r"n \\in \\\{0, \\ldots, L\\\}", line) is not None
    readings = []
    for probe in ctx.probes[:1]:
        L = len(probe.network.params)
        layers = len(probe.sizes)  # the sizes N^0..N^L of line 12, one per numbered layer
        readings += [
            Evidence(
                f"literal: L counts the layers numbered on line 12 ({probe_label(probe)})",
                numbered and layers == L,
                f"line 12 numbers the layers n = 0..L: {layers} layers "
                f"(sizes {tuple(probe.sizes)}) for L = {L}",
            ),
            Evidence(
                "L counts the layers with parameters, W^m and b^m for m = 1..L (line 14)",
                L == probe.L,
                f"{L} weight matrices for L = {probe.L}",
            ),
        ]
    return by_readings(readings, "document text / numeric")


def _z(W: np.ndarray, b: np.ndarray, a: np.ndarray) -> np.ndarray:
    return W @ a + b


@check("affine-called-linear")
def _affine_called_linear(ctx: Context) -> Check:
    rng = np.random.default_rng([ctx.seeds[0], 9])
    cases, in_parameters, without_bias = [], [], []
    for probe in ctx.probes[:1]:
        for m in range(1, probe.L + 1):
            W, b = probe.W(m), probe.b(m)
            a, other = rng.standard_normal((2, probe.sizes[m - 1]))
            label = f"{probe_label(probe)}, layer {m}"
            cases.append(
                compared_case(
                    f"{label}: additive, z(a + a') = z(a) + z(a')",
                    _z(W, b, a) + _z(W, b, other),
                    _z(W, b, a + other),
                )
            )
            cases.append(
                compared_case(f"{label}: z(0) = 0", np.zeros_like(b), _z(W, b, np.zeros_like(a)))
            )
            W2, b2 = rng.standard_normal(W.shape), rng.standard_normal(b.shape)
            in_parameters.append(
                compare_arrays(_z(W, b, a) + _z(W2, b2, a), _z(W + W2, b + b2, a)).agrees
            )
            without_bias.append(
                compare_arrays(_z(W, 0, a) + _z(W, 0, other), _z(W, 0, a + other)).agrees
            )
    return by_cases(
        cases,
        "numeric",
        evidence=[
            "Linear in the parameters for fixed inputs, z(W + W', b + b') = z(W, b) + z(W', b'): "
            f"{'holds' if all(in_parameters) else 'fails'} on every layer; without the bias, "
            f"W a is linear in a: {'holds' if all(without_bias) else 'fails'}."
        ],
        correction_holds=all(without_bias),
    )
