"""Checks of the section "Backpropagation in general", first part: the derivatives of the cost with
respect to the weights and the biases."""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from derive.network import derive_network
from verify.audit.checks.registry import check
from verify.audit.context import Context, probe_label
from verify.audit.experiments import Probe
from verify.audit.transcribe import at, column, entry, row
from verify.audit.verdicts import (
    ROUNDING,
    Check,
    Evidence,
    by_cases,
    by_readings,
    compared_case,
    evaluated_case,
    fmt,
)
from verify.core.complex_step import complex_step


def permuted_hidden_units(probe: Probe) -> tuple[float, float]:
    """Swap hidden units 1 and 2 of layer 1 (rows of W^1 and b^1, columns of W^2): the largest
    change of a parameter, and the change of C."""
    params = [(W.copy(), b.copy()) for W, b in probe.network.params]
    order = np.arange(probe.sizes[1])
    order[[0, 1]] = order[[1, 0]]
    params[0] = (params[0][0][order], params[0][1][order])
    params[1] = (params[1][0][:, order], params[1][1])
    changed = max(np.abs(p - q).max() for (p, _), (q, _) in zip(params, probe.network.params))
    cost_change = abs(probe.cost_of(params) - probe.cost_of(probe.network.params))
    return float(changed), float(cost_change)


@check("gradient-wording")
def _gradient_wording(ctx: Context) -> Check:
    probe = ctx.probes[0]
    changed, cost_change = permuted_hidden_units(probe)
    # A derivative of the parameters with respect to C needs them to be a function of C: two
    # parameter settings with the same C refute that.
    function_of_cost = not (changed > 0 and cost_change <= ROUNDING)
    literal = Evidence(
        "literal: the gradient of each parameter with respect to C",
        function_of_cost,
        f"swapping two hidden units changes W^1 and W^2 by up to {fmt(changed)} and C by "
        f"{'nothing (to rounding)' if cost_change <= ROUNDING else fmt(cost_change)}: the "
        "parameters are not a function of C, so no derivative of a parameter with respect to C "
        "exists",
    )
    readings = [literal]
    for m in range(1, probe.L + 1):
        gradient = probe.dC_dW(m)
        readings.append(
            Evidence(
                f"the gradient of C with respect to W^{m}",
                gradient.shape == probe.W(m).shape,
                f"shape {gradient.shape}, the shape of W^{m}",
            )
        )
    return by_readings(readings, "numeric")


def literal_z(W: np.ndarray, a: np.ndarray, b: np.ndarray, upper: int) -> np.ndarray:
    """z_k = sum_{l=1}^{upper} W_kl a_l + b_k for k = 1..len(b), 1-based indices as written."""
    return np.array(
        [
            sum(entry(W, k, l) * at(a, l) for l in range(1, upper + 1)) + at(b, k)
            for k in range(1, len(b) + 1)
        ]
    )


def range_cases(probe: Probe, upper: Callable[[int], int], label: str) -> list[Evidence]:
    """``literal_z`` with the sum running to ``upper(m)``, against z^m, for every layer m."""
    cases = []
    for m in range(1, probe.L + 1):
        sizes = f"N^{m} = {probe.sizes[m]}, N^{m - 1} = {probe.sizes[m - 1]}"
        args = probe.W(m), probe.a[m - 1], probe.b(m), upper(m)
        cases.append(evaluated_case(f"{label}, layer {m} ({sizes})", probe.z[m], literal_z, *args))
    return cases


def _range_derivative_figure(probe: Probe) -> str:
    """The derivative of the literal sum with respect to W^m_1j where the range omits column j."""
    m = next(m for m in range(1, probe.L + 1) if probe.sizes[m] < probe.sizes[m - 1])
    j = probe.sizes[m - 1]
    a = probe.a[m - 1]
    literal = functools.partial(literal_z, a=a, b=probe.b(m), upper=probe.sizes[m])
    derivative = complex_step(literal, probe.W(m))[0, j - 1, 0]  # d z_1 / d W_1j
    return (
        f"In line 41's form on layer {m} of {probe_label(probe)}: the derivative of the literal "
        f"sum with respect to $W^{m}_{{1{j}}}$ is {fmt(derivative)}, where it should be "
        f"$a^{{{m - 1}}}_{j}$ = {fmt(a[j - 1])}."
    )


@check("z-sum-range")
def _z_sum_range(ctx: Context) -> Check:
    probe = ctx.probes[0]
    cases = range_cases(probe, lambda m: probe.sizes[m], "l = 1..N^m as written")
    cases += range_cases(
        ctx.equal_probe, lambda m: ctx.equal_probe.sizes[m], "l = 1..N^m as written"
    )
    corrected = range_cases(probe, lambda m: probe.sizes[m - 1], "l = 1..N^(m-1)")
    return by_cases(
        cases,
        "numeric (literal sums)",
        evidence=[
            "The literal sum agrees only where $N^m = N^{m-1}$; where $N^m > N^{m-1}$ it indexes "
            "past the columns of $W^m$, where $N^m < N^{m-1}$ it drops terms.",
            _range_derivative_figure(probe),
            f"With the corrected range $l = 1..N^{{m-1}}$, {sum(c.agrees for c in corrected)} of "
            f"{len(corrected)} layers agree ({probe_label(probe)}, worst "
            f"{max((c.detail for c in corrected), key=len)}).",
        ],
        correction_holds=all(case.agrees for case in corrected),
    )


def chain_rule_weights(delta: np.ndarray, dz_dW: np.ndarray, upper: int) -> np.ndarray:
    """dC/dW_ij = sum_{k=1}^{upper} dC/dz_k dz_k/dW_ij (``dz_dW`` indexed [i, j, k])."""
    n_out, n_in, _ = dz_dW.shape
    return np.array(
        [
            [
                sum(at(delta, k) * at(dz_dW[i - 1, j - 1], k) for k in range(1, upper + 1))
                for j in range(1, n_in + 1)
            ]
            for i in range(1, n_out + 1)
        ]
    )


@check("chain-rule-weights")
def _chain_rule_weights(ctx: Context) -> Check:
    cases = []
    for probe in ctx.probes:
        for m in range(1, probe.L + 1):
            args = probe.dC_dz(m), probe.dz_dW(m), probe.sizes[m]
            label = f"{probe_label(probe)}, layer {m}"
            cases.append(evaluated_case(label, probe.dC_dW(m), chain_rule_weights, *args))
    return by_cases(cases, "complex step")


@check("dz-dW")
def _dz_dW(ctx: Context) -> Check:
    cases = []
    for probe in ctx.probes:
        for m in range(1, probe.L + 1):
            n_out, n_in = probe.W(m).shape
            stated = np.zeros((n_out, n_in, n_out))
            for i in range(n_out):
                stated[i, :, i] = probe.a[m - 1]  # a_j when k = i, else 0
            cases.append(
                compared_case(
                    f"{probe_label(probe)}, layer {m}: all (i, j, k)", stated, probe.dz_dW(m)
                )
            )
    return by_cases(cases, "complex step")


@check("collapse-reason")
def _collapse_reason(ctx: Context) -> Check:
    cases, corrected = [], []
    for probe in ctx.probes:
        for m in range(1, probe.L + 1):
            gradient = probe.dC_da(m)
            nonzero = int((np.abs(gradient) > 0).sum())
            # For each i, the claim says dC/da^m_k = 0 for all k != i.
            holds_for = [i for i in range(len(gradient)) if np.all(np.delete(gradient, i) == 0)]
            cases.append(
                Evidence(
                    f"{probe_label(probe)}, layer {m}",
                    len(holds_for) == len(gradient),
                    f"{nonzero} of {len(gradient)} entries of dC/da^{m} are nonzero "
                    f"(smallest |entry| {fmt(np.abs(gradient).min())})",
                )
            )
            dz = probe.dz_dW(m)
            off = max(
                np.abs(np.delete(dz[i], i, axis=1)).max(initial=0) for i in range(dz.shape[0])
            )
            corrected.append(off == 0)
    return by_cases(
        cases,
        "complex step",
        evidence=[
            r"Whereas $\partial z^m_k / \partial W^m_{ij} = 0$ for every $k \ne i$ in every layer "
            "tested (see item dz-dW): that is what collapses the sum."
        ],
        correction_holds=all(corrected),
    )


@check("dC-dW-component")
def _dC_dW_component(ctx: Context) -> Check:
    cases = []
    for probe in ctx.probes:
        for m in range(1, probe.L + 1):
            delta, a = probe.dC_dz(m), probe.a[m - 1]
            stated = np.array([[delta[i] * a[j] for j in range(len(a))] for i in range(len(delta))])
            cases.append(compared_case(f"{probe_label(probe)}, layer {m}", stated, probe.dC_dW(m)))
    return by_cases(cases, "complex step")


@check("dC-dW-vector")
def _dC_dW_vector(ctx: Context) -> Check:
    cases = []
    for probe in ctx.probes:
        for m in range(1, probe.L + 1):
            stated = column(probe.dC_dz(m)) @ row(probe.a[m - 1])
            cases.append(compared_case(f"{probe_label(probe)}, layer {m}", stated, probe.dC_dW(m)))
    probe = ctx.example_probe
    L = probe.L
    cases.append(
        compared_case(
            f"example: (a^L - y) a^(L-1)T, {probe_label(probe)}",
            column(probe.a[L] - probe.y) @ row(probe.a[L - 1]),
            probe.dC_dW(L),
        )
    )
    return by_cases([*cases, symbolic_proof()], "complex step + symbolic")


@functools.cache
def symbolic_proof() -> Evidence:
    """``derive``'s proof that differentiating the cost directly and the backprop recursion
    (dC/dW^m = delta^m a^(m-1)T, dC/db^m = delta^m, delta^m = (W^(m+1)T delta^(m+1)) o sigma'(z^m))
    agree, on a 2-3-2 sigmoid network with cross-entropy, parameter by parameter."""
    result = derive_network([2, 3, 2], "sigmoid", "cross_entropy").prove()
    counts = result.counts()
    return Evidence(
        "symbolic (derive), 2-3-2 sigmoid/cross-entropy: sympy.diff of the cost against the "
        "recursion",
        result.equal,
        f"{'equal' if result.equal else 'DIFFERENT'} for {len(result.proofs)} parameters "
        f"({counts['exact']} exactly, {counts['numeric']} at {result.points} random points to "
        f"{result.digits} digits)",
    )


def chain_rule_biases(delta: np.ndarray, dz_db: np.ndarray, upper: int) -> np.ndarray:
    """dC/db_i = sum_{k=1}^{upper} dC/dz_k dz_k/db_i (``dz_db`` indexed [i, k])."""
    return np.array(
        [
            sum(at(delta, k) * at(dz_db[i - 1], k) for k in range(1, upper + 1))
            for i in range(1, dz_db.shape[0] + 1)
        ]
    )


@check("chain-rule-biases")
def _chain_rule_biases(ctx: Context) -> Check:
    cases = []
    for probe in ctx.probes:
        for m in range(1, probe.L + 1):
            args = probe.dC_dz(m), probe.dz_db(m), probe.sizes[m]
            label = f"{probe_label(probe)}, layer {m}"
            cases.append(evaluated_case(label, probe.dC_db(m), chain_rule_biases, *args))
    return by_cases(cases, "complex step")


@check("dz-db")
def _dz_db(ctx: Context) -> Check:
    cases = [
        compared_case(
            f"{probe_label(probe)}, layer {m}: all (i, k)", np.eye(probe.sizes[m]), probe.dz_db(m)
        )
        for probe in ctx.probes
        for m in range(1, probe.L + 1)
    ]
    return by_cases(cases, "complex step")


@check("dz-db-cases")
def _dz_db_cases(ctx: Context) -> Check:
    probe = ctx.probes[0]
    m = 1
    n = probe.sizes[m]
    dz = probe.dz_db(m)  # [i, k] = dz_k / db_i
    literal_left = np.array([[dz[i, i] for i in range(n)] for _ in range(n)])  # [k, i]: no k in it
    right = np.eye(n)  # [k, i]: 0 if k != i, 1 if k == i
    mismatches = int((literal_left != right).sum())
    literal = Evidence(
        "literal: left side dz^m_i/db^m_i, cases in k",
        mismatches == 0,
        f"k is free on the right only: the left side is {fmt(literal_left[0, 0])} for every k, the "
        f"right side says 0 for k != i: {mismatches} of {n * n} (k, i) pairs disagree "
        f"(layer {m}, N^{m} = {n})",
    )
    intended = compared_case("left side dz^m_k/db^m_i (as for the weights, line 41)", right, dz.T)
    return by_readings([literal, intended], "complex step", correction_holds=intended.agrees)


@check("dC-db")
def _dC_db(ctx: Context) -> Check:
    cases = []
    for probe in ctx.probes:
        for m in range(1, probe.L + 1):
            cases.append(
                compared_case(f"{probe_label(probe)}, layer {m}", probe.dC_dz(m), probe.dC_db(m))
            )
    return by_cases(cases, "complex step")
