"""Checks of the section "Backpropagation in general", second part: the output delta and the
backward recursion of the deltas."""

from __future__ import annotations

import functools

import numpy as np

from verify.audit.checks.general_parameters import literal_z, symbolic_proof
from verify.audit.checks.registry import check
from verify.audit.context import Context, probe_label
from verify.audit.experiments import Probe
from verify.audit.transcribe import at, column, entry, matmul, row, strict_hadamard
from verify.audit.verdicts import (
    Check,
    Evidence,
    by_cases,
    by_readings,
    compare_arrays,
    compared_case,
    evaluated_case,
)
from verify.core.complex_step import complex_step


def _softmax_probe(ctx: Context) -> Probe:
    return Probe((3, 4, 3), ["sigmoid", "softmax"], "categorical_cross_entropy", seed=ctx.seeds[0])


@check("output-delta-component")
def _output_delta_component(ctx: Context) -> Check:
    cases = []
    for probe in ctx.probes:
        L = probe.L
        stated = probe.dC_da(L) * np.diag(probe.da_dz(L))
        cases.append(compared_case(probe_label(probe), stated, probe.dC_dz(L)))
    softmax = _softmax_probe(ctx)
    outside = compare_arrays(softmax.dC_da(2) * np.diag(softmax.da_dz(2)), softmax.dC_dz(2))
    return by_cases(
        cases,
        "complex step",
        evidence=[
            "The single term relies on elementwise activations (line 18): for softmax, whose "
            f"output unit k depends on every z^L, it is off ({outside.text()}) and the sum over "
            r"units $\sum_i \frac{\partial C}{\partial a^L_i}"
            r"\frac{\partial a^L_i}{\partial z^L_k}$ "
            "is needed."
        ],
    )


@check("output-delta-vector")
def _output_delta_vector(ctx: Context) -> Check:
    readings = []
    probe = ctx.example_probe
    L = probe.L
    gradient, truth = probe.dC_da(L), probe.dC_dz(L)
    jacobian = probe.da_dz(L).T  # [i, k] = da_i / dz_k (numerator layout)
    readings.append(
        compared_case(
            f"elementwise product dC/da^L o sigma'(z^L) ({probe_label(probe)})",
            strict_hadamard(gradient, np.diag(jacobian)),
            truth,
        )
    )
    readings.append(
        evaluated_case(
            "matrix product, dC/da^L a column (the document's convention, line 79) times the "
            "Jacobian",
            truth,
            matmul,
            column(gradient),
            jacobian,
        )
    )
    readings.append(
        compared_case(
            "matrix product, dC/da^L a row (numerator layout) times the Jacobian",
            (row(gradient) @ jacobian).ravel(),
            truth,
        )
    )
    # (da/dz)^T dC/da with (da/dz)_ik = da_i/dz_k: ``da_dz`` is indexed [k, i], its transpose.
    corrected = [
        compare_arrays(p.da_dz(p.L) @ p.dC_da(p.L), p.dC_dz(p.L)).agrees
        for p in (probe, _softmax_probe(ctx))
    ]
    return by_readings(
        readings,
        "complex step",
        evidence=[
            r"The corrected $\left(\frac{\partial a^L}{\partial z^L}\right)^\top \frac{\partial C}"
            r"{\partial a^L}$ agrees on the sigmoid network and on a softmax output (non-diagonal "
            "Jacobian), where the elementwise reading does not apply."
        ],
        correction_holds=all(corrected),
    )


def _sigma_prime(probe: Probe, m: int) -> np.ndarray:
    """da^m_k / dz^m_k, the diagonal of the layer's Jacobian (complex step)."""
    return np.diag(probe.da_dz(m))


def recursion_row_1(probe: Probe, m: int) -> np.ndarray:
    """dC/da^m_k da^m_k/dz^m_k."""
    return probe.dC_da(m) * _sigma_prime(probe, m)


def recursion_row_2(probe: Probe, m: int) -> np.ndarray:
    """(sum_{l=1}^{N^(m+1)} dC/dz^(m+1)_l dz^(m+1)_l/da^m_k) da^m_k/dz^m_k."""
    delta = probe.dC_dz(m + 1)
    dz_da = complex_step(functools.partial(probe.z_from, m + 1), probe.a[m])  # [k, l]
    upper = probe.sizes[m + 1]
    inner = [
        sum(at(delta, l) * at(dz_da[k - 1], l) for l in range(1, upper + 1))
        for k in range(1, probe.sizes[m] + 1)
    ]
    return np.array(inner) * _sigma_prime(probe, m)


def recursion_row_3(probe: Probe, m: int) -> np.ndarray:
    """As row 2, with z^(m+1)_l written out as sum_{h=1}^{N^m} W_lh a_h + b_l and differentiated."""
    delta = probe.dC_dz(m + 1)
    written_out = functools.partial(
        literal_z, probe.W(m + 1), b=probe.b(m + 1), upper=probe.sizes[m]
    )
    dz_da = complex_step(written_out, probe.a[m])  # [k, l]
    upper = probe.sizes[m + 1]
    inner = [
        sum(at(delta, l) * at(dz_da[k - 1], l) for l in range(1, upper + 1))
        for k in range(1, probe.sizes[m] + 1)
    ]
    return np.array(inner) * _sigma_prime(probe, m)


def recursion_row_4(probe: Probe, m: int) -> np.ndarray:
    """(sum_l dC/dz^(m+1)_l W^(m+1)_lk) da^m_k/dz^m_k."""
    delta, W, upper = probe.dC_dz(m + 1), probe.W(m + 1), probe.sizes[m + 1]
    inner = [
        sum(at(delta, l) * entry(W, l, k) for l in range(1, upper + 1))
        for k in range(1, probe.sizes[m] + 1)
    ]
    return np.array(inner) * _sigma_prime(probe, m)


def recursion_row_5(probe: Probe, m: int) -> np.ndarray:
    """(sum_l (W^(m+1)T)_kl dC/dz^(m+1)_l) da^m_k/dz^m_k."""
    delta, W_T, upper = probe.dC_dz(m + 1), probe.W(m + 1).T, probe.sizes[m + 1]
    inner = [
        sum(entry(W_T, k, l) * at(delta, l) for l in range(1, upper + 1))
        for k in range(1, probe.sizes[m] + 1)
    ]
    return np.array(inner) * _sigma_prime(probe, m)


RECURSION_ROWS = (
    recursion_row_1,
    recursion_row_2,
    recursion_row_3,
    recursion_row_4,
    recursion_row_5,
)


@check("delta-recursion-derivation")
def _delta_recursion_derivation(ctx: Context) -> Check:
    cases = []
    for probe in ctx.probes:
        for m in ctx.hidden_layers(probe):
            truth = probe.dC_dz(m)
            for number, row_value in enumerate(RECURSION_ROWS, start=1):
                label = f"{probe_label(probe)}, layer {m}, row {number}"
                cases.append(evaluated_case(label, truth, row_value, probe, m))
    return by_cases(
        cases,
        "complex step (sums over the ranges as written)",
        evidence=[
            "Rows 1-5 as in the document; the ranges here are right: $l$ runs over the $N^{m+1}$ "
            "units of layer $m+1$ and $h$ over the $N^m$ columns of $W^{m+1}$; the same literal "
            "evaluation fails on the range of line 39 (item z-sum-range)."
        ],
    )


@check("column-vector-convention")
def _column_vector_convention(ctx: Context) -> Check:
    probe = ctx.probes[0]
    m = 1
    delta_next, truth = probe.dC_dz(m + 1), probe.dC_da(m)
    W = probe.W(m + 1)
    entry_ndim = np.ndim(delta_next[0])
    readings = [
        Evidence(
            "literal: the entry dC/dz^(m+1)_l is a column vector",
            entry_ndim == 2,
            f"an entry of dC/dz^(m+1) is a number (ndim {entry_ndim}), neither a column nor a row",
        ),
        compared_case(
            f"the vector dC/dz^(m+1) is a column: W^(m+1)T dC/dz^(m+1) against dC/da^m "
            f"({probe_label(probe)}, m = {m})",
            (W.T @ column(delta_next)).ravel(),
            truth,
        ),
    ]
    # The index identity of the last row needs no convention: it is the definition of the
    # transpose, true of the numbers whatever the layout of the vectors.
    identity = all(
        entry(W.T, k, l) == entry(W, l, k)
        for k in range(1, W.shape[1] + 1)
        for l in range(1, W.shape[0] + 1)
    )
    row_form = compare_arrays((row(delta_next) @ W).ravel(), truth)
    as_row = evaluated_case("", truth, matmul, W.T, row(delta_next))
    return by_readings(
        readings,
        "complex step",
        evidence=[
            r"The last row's $W^{m+1}_{lk} = (W^{m+1\top})_{kl}$ is the definition of the "
            f"transpose and needs no convention ({'holds' if identity else 'fails'} for every "
            f"(k, l) of W^{m + 1}).",
            "With the vector a row (the layout of batch-first code) the product "
            f"W^(m+1)T dC/dz^(m+1) is undefined ({as_row.detail.split(': ', 1)[-1]}) and the same "
            f"quantity is dC/dz^(m+1) W^(m+1) ({row_form.text()}).",
        ],
        correction_holds=readings[1].agrees,
    )


@check("previous-layer")
def _previous_layer(ctx: Context) -> Check:
    """ "dC/dz^m ... based on the term dC/dz^(m+1) computed from the previous layer": which delta
    does dC/dz^m come from, the previous layer in the numbering (m - 1) or in the backward pass
    (m + 1)? Each reading evaluated as the recursion (W^(k)T delta^k) o sigma'(z^m)."""
    evaluations: dict[str, list] = {}
    for probe in (ctx.example_probe, ctx.equal_probe):
        for m in range(2, probe.L):  # hidden layers with a layer on each side
            truth = probe.dC_dz(m)
            sigma_prime = np.diag(probe.da_dz(m))
            for name, k in (
                ("previous in the numbering of the layers: layer m - 1", m - 1),
                ("previous in the backward pass: layer m + 1", m + 1),
            ):

                def recursion(k=k, m=m, probe=probe, sigma_prime=sigma_prime):
                    step = matmul(probe.W(k).T, column(probe.dC_dz(k))).ravel()
                    return strict_hadamard(step, sigma_prime)

                case = evaluated_case(name, truth, recursion)
                evaluations.setdefault(name, []).append((f"m = {m}, sizes {probe.sizes}", case))
    readings = [
        Evidence(
            name,
            all(case.agrees for _, case in cases),
            "; ".join(f"{where}: {case.detail}" for where, case in cases),
        )
        for name, cases in evaluations.items()
    ]
    return by_readings(
        readings,
        "complex step",
        evidence=[
            "Everywhere else the document counts layers forward: W^m connects layer m - 1 to "
            "layer m (line 14), and a^(m-1) is the input to layer m (line 20)."
        ],
        correction_holds=readings[1].agrees,
    )


@check("delta-recursion-vector")
def _delta_recursion_vector(ctx: Context) -> Check:
    cases = []
    for probe in ctx.probes:
        for m in ctx.hidden_layers(probe):
            stated = strict_hadamard(
                (probe.W(m + 1).T @ column(probe.dC_dz(m + 1))).ravel(), np.diag(probe.da_dz(m))
            )
            cases.append(compared_case(f"{probe_label(probe)}, layer {m}", stated, probe.dC_dz(m)))
    return by_cases([*cases, symbolic_proof()], "complex step + symbolic")
