"""Reading findings: a scale factor's name, the pattern a gradient's findings make, a table.

- ``describe_factor``: ``"8 (= n_samples: a sum over the batch where the mean is expected)"``;
- ``summarize``: a few sentences on the whole gradient (one factor everywhere, negated, layers
  swapped, where in the backward pass an error enters);
- ``findings_table``: the findings as a tabulate table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from itertools import product

from verify.core.findings import Finding

__all__ = ["KINK_NOTE", "TABLE_HEADERS", "describe_factor", "findings_table", "summarize"]

# Said wherever a finding is a kink: what the word means.
KINK_NOTE = (
    "(A kink is a point where the loss's slope jumps, as ReLU's does at 0: there its derivatives "
    "from the left and from the right differ, and either, or any value between them, is a valid "
    "gradient.)"
)


# -- factors ----------------------------------------------------------------------------------


def _named_candidates(named_factors: Mapping[str, float]) -> list[tuple[str, float]]:
    """Labelled products c * f * g of a constant c in {1, 2, 1/2} and up to two named factors
    f, g (each possibly inverted), simplest first: ``"n_samples"``, ``"2/n_outputs"``, ...
    """
    named = [(name, float(v)) for name, v in named_factors.items() if v and float(v) != 1.0]
    terms = [((), (), 1.0)]  # (numerator names, denominator names, value)
    for name, value in named:
        terms += [((name,), (), value), ((), (name,), 1 / value)]
    for (first, value_a), (second, value_b) in product(named, named):
        if first < second:
            for sign_a, sign_b in product((1, -1), (1, -1)):
                num = tuple(n for n, sign in ((first, sign_a), (second, sign_b)) if sign > 0)
                den = tuple(n for n, sign in ((first, sign_a), (second, sign_b)) if sign < 0)
                terms.append((num, den, value_a**sign_a * value_b**sign_b))
    out = []
    for (c_num, c_den, const), (num, den, value) in product(
        [((), (), 1.0), (("2",), (), 2.0), ((), ("2",), 0.5)], terms
    ):
        label = _fraction(c_num + num, c_den + den)
        if label:
            out.append((label, const * value))
    return out


def _fraction(numerator: tuple[str, ...], denominator: tuple[str, ...]) -> str:
    """``"2*n"``, ``"1/n"``, ``"2/(n*k)"``; empty for 1."""
    if not numerator and not denominator:
        return ""
    top = "*".join(numerator) or "1"
    if not denominator:
        return top
    bottom = denominator[0] if len(denominator) == 1 else f"({'*'.join(denominator)})"
    return f"{top}/{bottom}"


def _complexity(label: str) -> int:
    return len(
        [
            part
            for part in label.replace("(", "").replace(")", "").replace("/", "*").split("*")
            if part not in ("", "1")
        ]
    )


def describe_factor(factor: float, named_factors: Mapping[str, float] | None = None) -> str:
    """A readable name for a scale factor: ``"8 (= n_samples: summed where ...)"``.

    Parameters
    ----------
    factor : float
        candidate / reference.
    named_factors : mapping of str to float, optional
        Quantities the factor may be made of (``{"n_samples": 8, "n_outputs": 3}``); products
        with 2 and 1/2 and of two of them are tried too.
    """
    magnitude = abs(factor)
    labels = []
    for label, value in _named_candidates(named_factors or {}):
        if math.isclose(magnitude, value, rel_tol=1e-6) and label not in labels:
            labels.append(label)
    if labels:  # the simplest explanations only: fewest quantities multiplied together
        fewest = min(_complexity(label) for label in labels)
        labels = [label for label in labels if _complexity(label) == fewest]
    reasons = {
        "n_samples": "a sum over the batch where the mean is expected",
        "1/n_samples": "a mean over the batch where the sum is expected",
        "2": "the cost's 1/2 missing, or a derivative doubled",
        "1/2": "an extra 1/2 in the cost or its derivative",
    }
    sign = "-" if factor < 0 else ""
    explanations = []
    for label in labels[:3]:
        reason = f": {reasons[label]}" if label in reasons else ""
        explanations.append(f"{sign}{label}{reason}")
    text = f"{factor:.6g}"
    if explanations:
        text += " (= " + ", or ".join(explanations) + ")"
    if factor < 0:
        text += (
            "; negated as well"
            if labels
            else f"; negative: an update step -learning_rate * gradient with learning_rate "
            f"{magnitude:.6g}?"
        )
    return text


# -- the whole gradient -----------------------------------------------------------------------


def summarize(findings: Sequence[Finding]) -> str:
    """A few sentences on the whole gradient: which parameters fail and the pattern they make.

    Patterns recognised: one factor shared by every failing parameter (named when possible, with
    the bias-only and weight-only cases called out); the whole gradient negated; layers swapped
    (reversed order); and mismatches confined to layers 1..m with the layers above right, which
    locates the error in the backward step into layer m.
    """
    if not findings:
        return "No parameters compared."
    calls = [f for f in findings if f.layer is None or f.kind == "mutation" or _layer_level(f)]
    compared = [f for f in findings if f not in calls]
    per_param = [f for f in compared if f.param in ("W", "b")]
    undecided = [f for f in findings if f.kind == "inconclusive"]
    failing = [f for f in compared if not f.passed and f.kind != "inconclusive"]
    lines = [f"{f.detail}." for f in calls if not f.passed and f.kind != "inconclusive"]
    kink_note = f" {KINK_NOTE}" if any(f.kind == "kink" for f in findings) else ""
    if not lines and not failing:
        if undecided:
            names = ", ".join(f.name for f in undecided if f.layer is not None)
            agree = len(compared) - len(undecided)
            return (
                "inconclusive: "
                + (f"{names} agree with the reference, but " if names else "")
                + f"{undecided[0].detail.removeprefix('agrees, but ')}."
                + (f" The other {agree} parameters agree." if names and agree else "")
                + kink_note
            )
        errors = [
            f.max_rel_error for f in compared if f.kind == "ok" and f.max_rel_error is not None
        ]
        worst = f" (max relative error {max(errors):.2g})" if errors else ""
        kinks = sum(f.kind == "kink" for f in compared)
        at_kinks = f"; {kinks} agree at kinks of the loss" if kinks else ""
        return (
            f"All {len(compared)} parameters agree with the reference{worst}{at_kinks}.{kink_note}"
        )
    if failing:
        lines.append(
            f"{len(failing)} of {len(compared)} parameters fail: "
            + ", ".join(f"{f.name} {f.kind}" for f in failing)
            + "."
        )
    if undecided:
        lines.append("Inconclusive besides: " + ", ".join(f.name for f in undecided) + ".")
    if kink_note:
        lines.append(KINK_NOTE)
    unreadable: dict[str, list[str]] = {}  # what came back instead of an array, and where
    for f in failing:
        if f.kind == "type":
            unreadable.setdefault(f.detail, []).append(f.name)
    lines += [f"{', '.join(names)}: {detail}." for detail, names in unreadable.items()]
    kinds = {f.kind for f in failing}
    if kinds == {"scale"}:
        lines.append(_scale_pattern(failing, compared))
    elif kinds == {"sign"}:
        lines.append(
            "The whole gradient is negated: a sign error in the output delta (y - a instead of "
            "a - y), or the descent direction returned instead of the gradient."
            if len(failing) == len(compared)
            else "These parameters are negated."
        )
    elif kinds == {"layer_order"}:
        moves = ", ".join(f"{f.name} holds layer {f.other_layer}'s" for f in failing)
        n_layers = max(f.layer for f in per_param) if per_param else 0
        reversed_order = all(f.other_layer == n_layers + 1 - f.layer for f in failing)
        lines.append(
            ("The layers come in reversed order" if reversed_order else "Layers are swapped")
            + f": {moves}."
        )
    if per_param and "mismatch" in kinds and kinds <= {"mismatch", "scale", "sign"}:
        lines.extend(_depth_pattern(per_param))
    return " ".join(lines)


def _layer_level(finding: Finding) -> bool:
    """A finding about one layer's whole entry (not a (dW, db) pair), not about one array."""
    return finding.kind == "type" and finding.detail.startswith(f"layer {finding.layer}:")


def _scale_pattern(failing, findings) -> str:
    factors = [f.factor for f in failing]
    if not all(math.isclose(k, factors[0], rel_tol=1e-4) for k in factors):
        return (
            "Different factors per parameter: "
            + ", ".join(f"{f.name} x{f.factor:.6g}" for f in failing)
            + "."
        )
    detail = failing[0].detail.removeprefix("scaled by ")
    params = {f.param for f in failing}
    passing_params = {f.param for f in findings if f.passed}
    if (
        params == {"b"}
        and "W" in passing_params
        and len(failing) == sum(f.param == "b" for f in findings)
    ):
        return f"Every bias gradient is scaled by {detail} while the weight gradients are right."
    if (
        params == {"W"}
        and "b" in passing_params
        and len(failing) == sum(f.param == "W" for f in findings)
    ):
        return f"Every weight gradient is scaled by {detail} while the bias gradients are right."
    if len(failing) == len(findings):
        return f"The whole gradient is scaled by {detail}" + ("" if detail.endswith("?") else ".")
    return f"These parameters are scaled by {detail}" + ("" if detail.endswith("?") else ".")


def _depth_pattern(per_param) -> list[str]:
    """Where in the backward pass the error enters, from which layers and parameters are wrong.

    Weights wrong with every bias right: the deltas are right, the error is in dW alone. Layers
    1..m wrong with the layers above right: the error enters the backward step into layer m.
    """
    layers = sorted({f.layer for f in per_param})
    failing = [f for f in per_param if not f.passed]
    if failing and all(f.param == "W" for f in failing):
        return [
            "Only weight gradients are wrong and every bias gradient is right: the deltas are "
            "right, so the error is in dW^m = delta^m a^(m-1)^T itself (the activations of the "
            "layer below, their orientation) or in a term added to dW alone, such as an L2 "
            "penalty (weight decay)."
        ]
    wrong = sorted({f.layer for f in failing})
    if not wrong or wrong != list(range(1, wrong[-1] + 1)):
        return []
    top = wrong[-1]
    if top == layers[-1]:
        if len(wrong) == 1:
            return ["Only the output layer is wrong."]
        return [
            f"Every layer is wrong: the error is already in the output delta (delta^{top} = "
            "dC/dz^L: the cost's derivative or the output activation's), or in every layer's step."
        ]
    below = f"layers 1..{top}" if top > 1 else "layer 1"
    return [
        f"Wrong in {below}, right above: the error enters the backward step into layer {top} "
        f"(delta^{top} = (W^{top + 1}^T delta^{top + 1}) * sigma^{top}'(z^{top})), e.g. layer "
        f"{top}'s activation derivative; every layer below inherits it."
    ]


# -- tables -----------------------------------------------------------------------------------

TABLE_HEADERS = (
    "layer",
    "param",
    "kind",
    "max rel err",
    "worst at",
    "yours",
    "reference",
    "explanation",
)


def findings_table(findings: Sequence[Finding], tablefmt: str = "simple") -> str:
    """The findings as a table (tabulate ``tablefmt``: "simple", "github", "html", "latex", ...)."""
    from tabulate import tabulate

    rows = [
        (
            f.path or ("-" if f.layer is None else f.layer),
            f.param or "-",
            f.kind,
            _fmt(f.max_rel_error),
            "-" if f.worst_index is None else str(list(f.worst_index)),
            _fmt(f.candidate_value),
            _fmt(f.reference_value),
            f.detail,
        )
        for f in findings
    ]
    return tabulate(rows, headers=TABLE_HEADERS, tablefmt=tablefmt, disable_numparse=True)


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.3g}"
