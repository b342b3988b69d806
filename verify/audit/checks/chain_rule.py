"""Checks of the section "Review: The chain rule": the chain rule for scalars and its sum over
intermediate variables."""

from __future__ import annotations

import numpy as np

from verify.audit.checks.registry import check
from verify.audit.context import Context
from verify.audit.transcribe import at
from verify.audit.verdicts import Check, by_cases, compared_case
from verify.core.complex_step import complex_step


@check("chain-rule-scalar")
def _chain_rule_scalar(ctx: Context) -> Check:
    def outer(z):  # C(z) = log(1 + e^z)
        return np.log1p(np.exp(z))

    def inner(w):  # z(w) = tanh(w) + w^2 / 2
        return np.tanh(w) + 0.5 * w**2

    cases = []
    for w in ctx.points(5):
        direct = complex_step(lambda v: outer(inner(v)), w)
        product = complex_step(outer, inner(w)) * complex_step(inner, w)
        cases.append(compared_case(f"w = {w:.3f}", product, direct))
    return by_cases(
        cases,
        "complex step",
        evidence=[r"$C(z) = \log(1 + e^z)$, $z(w) = \tanh w + w^2/2$; both sides by complex step."],
    )


@check("chain-rule-sum")
def _chain_rule_sum(ctx: Context) -> Check:
    c, d = np.array([1.0, -2.0, 0.5]), np.array([0.3, 0.1, -0.7])
    n = len(c)

    def outer(z):  # not additive: log-sum-exp plus a product of all three
        return np.log(np.exp(z).sum()) + z[0] * z[1] * z[2]

    def inner(w):
        return np.sin(c * w) + d * w**2

    def composed(w):
        return outer(inner(w))

    cases = []
    for w in ctx.points(5):
        dC_dz, dz_dw = complex_step(outer, inner(w)), complex_step(inner, w)
        total = sum(at(dC_dz, i) * at(dz_dw, i) for i in range(1, n + 1))
        cases.append(compared_case(f"w = {w:.3f}", total, complex_step(composed, w)))
    return by_cases(
        cases,
        "complex step",
        evidence=[
            r"$C(z) = \log\sum_i e^{z_i} + z_1 z_2 z_3$ (not additive), $z_i(w) = \sin(c_i w) + "
            r"d_i w^2$, $N = 3$: the sum of the products of partial derivatives equals "
            r"$\partial C / \partial w$ for any $C$, not only additive ones."
        ],
    )
