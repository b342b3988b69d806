"""Reading findings: each sentence ``summarize`` can say, the names ``describe_factor`` gives, the
table, and a finding's JSON form, from findings written by hand."""

from __future__ import annotations

import json

import pytest

from verify.core.findings import KINDS, PASSING_KINDS, Finding
from verify.core.summary import TABLE_HEADERS, describe_factor, findings_table, summarize


def ok(layer, param, error=1e-16):
    return Finding(layer, param, "ok", max_rel_error=error)


def bad(layer, param, kind, **fields):
    return Finding(layer, param, kind, **fields)


def network(kinds_by_name, **fields):
    """Findings of a network in order W^1, b^1, W^2, ...; ``kinds_by_name`` {"W^2": "sign"}."""
    n_layers = max(int(name[2:]) for name in kinds_by_name) if kinds_by_name else 1
    out = []
    for m in range(1, fields.pop("n_layers", n_layers) + 1):
        for p in "Wb":
            kind = kinds_by_name.get(f"{p}^{m}", "ok")
            out.append(ok(m, p) if kind == "ok" else bad(m, p, kind, **fields.get(kind, {})))
    return out


# -- everything passes ----------------------------------------------------------------------------


def test_nothing_compared():
    assert summarize([]) == "No parameters compared."


def test_all_agree_with_the_worst_error():
    findings = [ok(1, "W", 1e-16), ok(1, "b", 3.2e-15), ok(2, "W", 0.0), ok(2, "b", 2e-16)]
    assert summarize(findings) == (
        "All 4 parameters agree with the reference (max relative error 3.2e-15)."
    )


def test_all_agree_with_kinks_counted():
    # The worst error is the ok parameters' (a kink's own error says nothing); both kinks count.
    findings = [ok(1, "W"), bad(1, "b", "kink", max_rel_error=0.5), bad(2, "W", "kink")]
    text = summarize(findings)
    assert text.startswith(
        "All 3 parameters agree with the reference (max relative error 1e-16); 2 "
    )
    assert "kink" in text.removeprefix("All 3 parameters agree")


def test_all_agree_without_error_figures():
    assert summarize([Finding(1, None, "ok"), Finding(2, None, "ok")]) == (
        "All 2 parameters agree with the reference."
    )


def test_a_passing_whole_call_finding_does_not_count_as_a_parameter():
    findings = [ok(1, "W"), ok(1, "b"), Finding(None, None, "ok", detail="called once")]
    assert summarize(findings).startswith("All 2 parameters agree")


# -- whole-call findings --------------------------------------------------------------------------


def test_whole_call_findings_are_told_first_in_their_own_words():
    findings = [
        Finding(None, None, "mutation", detail="X was modified in place"),
        Finding(2, None, "mutation", detail="y was modified in place"),
        ok(1, "W"),
        ok(1, "b"),
    ]
    # The parameters themselves agree: only the call's problems are said.
    assert summarize(findings) == "X was modified in place. y was modified in place."


def test_a_layer_that_is_not_a_pair_is_a_call_problem_not_a_parameter():
    findings = [
        Finding(2, None, "type", detail="layer 2: returned a float, expected a (dW, db) pair"),
        ok(1, "W"),
        ok(1, "b"),
    ]
    assert summarize(findings) == "layer 2: returned a float, expected a (dW, db) pair."


def test_unreadable_arrays_are_grouped_by_what_came_back():
    detail = "not an array of real numbers (a str: dtype <U1)"
    findings = [
        bad(1, "W", "type", detail=detail),
        ok(1, "b"),
        bad(2, "W", "type", detail=detail),
        bad(2, "b", "type", detail="not an array of real numbers (None: dtype object)"),
    ]
    assert summarize(findings) == (
        "3 of 4 parameters fail: W^1 type, W^2 type, b^2 type. "
        f"W^1, W^2: {detail}. b^2: not an array of real numbers (None: dtype object)."
    )


# -- sign -----------------------------------------------------------------------------------------


def test_the_whole_gradient_negated():
    findings = network({"W^1": "sign", "b^1": "sign", "W^2": "sign", "b^2": "sign"})
    assert summarize(findings) == (
        "4 of 4 parameters fail: W^1 sign, b^1 sign, W^2 sign, b^2 sign. "
        "The whole gradient is negated: a sign error in the output delta (y - a instead of "
        "a - y), or the descent direction returned instead of the gradient."
    )


def test_some_parameters_negated():
    findings = network({"W^2": "sign", "b^2": "sign"}, n_layers=2)
    assert summarize(findings) == (
        "2 of 4 parameters fail: W^2 sign, b^2 sign. These parameters are negated."
    )


# -- layer order ----------------------------------------------------------------------------------


def test_layers_in_reversed_order():
    findings = [
        bad(1, "W", "layer_order", other_layer=3),
        bad(1, "b", "layer_order", other_layer=3),
        ok(2, "W"),
        ok(2, "b"),
        bad(3, "W", "layer_order", other_layer=1),
        bad(3, "b", "layer_order", other_layer=1),
    ]
    assert summarize(findings).endswith(
        "The layers come in reversed order: W^1 holds layer 3's, b^1 holds layer 3's, "
        "W^3 holds layer 1's, b^3 holds layer 1's."
    )


def test_layers_swapped_but_not_reversed():
    findings = [
        bad(1, "W", "layer_order", other_layer=2),
        ok(1, "b"),
        bad(2, "W", "layer_order", other_layer=1),
        ok(2, "b"),
        ok(3, "W"),
        ok(3, "b"),
    ]
    assert summarize(findings) == (
        "2 of 6 parameters fail: W^1 layer_order, W^2 layer_order. "
        "Layers are swapped: W^1 holds layer 2's, W^2 holds layer 1's."
    )


# -- scale ----------------------------------------------------------------------------------------


def _scaled(names, factor, detail, n_layers=2):
    return network(
        dict.fromkeys(names, "scale"),
        n_layers=n_layers,
        scale={"factor": factor, "detail": f"scaled by {detail}"},
    )


def test_every_bias_scaled_while_the_weights_are_right():
    findings = _scaled(["b^1", "b^2"], 8.0, "8 (= n_samples)")
    assert summarize(findings) == (
        "2 of 4 parameters fail: b^1 scale, b^2 scale. Every bias gradient is scaled by "
        "8 (= n_samples) while the weight gradients are right."
    )


def test_every_weight_scaled_while_the_biases_are_right():
    findings = _scaled(["W^1", "W^2"], 0.5, "0.5 (= 1/2)")
    assert summarize(findings).endswith(
        "Every weight gradient is scaled by 0.5 (= 1/2) while the bias gradients are right."
    )


def test_some_biases_only_is_not_every_bias():
    findings = _scaled(["b^2"], 8.0, "8", n_layers=2)
    assert summarize(findings).endswith("These parameters are scaled by 8.")
    findings = _scaled(["W^2"], 8.0, "8", n_layers=2)
    assert summarize(findings).endswith("These parameters are scaled by 8.")


def test_the_whole_gradient_scaled():
    findings = _scaled(["W^1", "b^1", "W^2", "b^2"], 2.0, "2 (= 2)")
    assert summarize(findings).endswith("The whole gradient is scaled by 2 (= 2).")


def test_a_question_keeps_its_question_mark():
    detail = "-0.1; negative: an update step -learning_rate * gradient with learning_rate 0.1?"
    findings = _scaled(["W^1", "b^1", "W^2", "b^2"], -0.1, detail)
    assert summarize(findings).endswith(f"The whole gradient is scaled by {detail}")
    findings = _scaled(["W^2", "b^2"], -0.1, detail)
    assert summarize(findings).endswith(f"These parameters are scaled by {detail}")


def test_different_factors_are_listed():
    findings = [
        bad(1, "W", "scale", factor=2.0, detail="scaled by 2"),
        bad(1, "b", "scale", factor=3.0, detail="scaled by 3"),
        bad(2, "W", "scale", factor=2.0 * (1 + 1e-9), detail="scaled by 2"),
        ok(2, "b"),
    ]
    assert summarize(findings).endswith("Different factors per parameter: W^1 x2, b^1 x3, W^2 x2.")


def test_factors_equal_to_a_millionth_are_one_factor():
    findings = [
        bad(1, "W", "scale", factor=2.0, detail="scaled by 2"),
        bad(1, "b", "scale", factor=2.0 * (1 + 1e-7), detail="scaled by 2"),
    ]
    assert summarize(findings).endswith("The whole gradient is scaled by 2.")


# -- where a mismatch enters the backward pass -----------------------------------------------------


def test_only_weights_wrong_points_at_dW_itself():
    findings = network({"W^1": "mismatch", "W^2": "mismatch"}, n_layers=3)
    assert summarize(findings).endswith(
        "Only weight gradients are wrong and every bias gradient is right: the deltas are right, "
        "so the error is in dW^m = delta^m a^(m-1)^T itself (the activations of the layer below, "
        "their orientation) or in a term added to dW alone, such as an L2 penalty (weight decay)."
    )


def test_wrong_below_a_layer_and_right_above():
    findings = network({"W^1": "mismatch", "b^1": "mismatch", "W^2": "mismatch"}, n_layers=3)
    assert summarize(findings) == (
        "3 of 6 parameters fail: W^1 mismatch, b^1 mismatch, W^2 mismatch. "
        "Wrong in layers 1..2, right above: the error enters the backward step into layer 2 "
        "(delta^2 = (W^3^T delta^3) * sigma^2'(z^2)), e.g. layer 2's activation derivative; "
        "every layer below inherits it."
    )


def test_wrong_in_the_first_layer_only():
    findings = network({"b^1": "mismatch"}, n_layers=2)
    assert summarize(findings).endswith(
        "Wrong in layer 1, right above: the error enters the backward step into layer 1 "
        "(delta^1 = (W^2^T delta^2) * sigma^1'(z^1)), e.g. layer 1's activation derivative; "
        "every layer below inherits it."
    )


def test_every_layer_wrong_points_at_the_output_delta():
    findings = network({"b^1": "mismatch", "W^2": "sign", "b^2": "scale"}, n_layers=2)
    findings[3] = bad(2, "b", "scale", factor=3.0, detail="scaled by 3")
    assert summarize(findings).endswith(
        "Every layer is wrong: the error is already in the output delta (delta^2 = dC/dz^L: the "
        "cost's derivative or the output activation's), or in every layer's step."
    )


def test_a_single_layer_network_wrong():
    findings = network({"b^1": "mismatch"}, n_layers=1)
    assert summarize(findings).endswith("Only the output layer is wrong.")


def test_no_depth_sentence_for_a_gap_or_other_kinds():
    # Layer 2 wrong, layers 1 and 3 right: no single step explains it.
    gap = network({"b^2": "mismatch"}, n_layers=3)
    assert summarize(gap) == "1 of 6 parameters fail: b^2 mismatch."
    # A mismatch beside a transpose: the pattern is not read.
    mixed = network({"b^1": "mismatch", "W^2": "transpose"}, n_layers=2)
    assert summarize(mixed) == "2 of 4 parameters fail: b^1 mismatch, W^2 transpose."
    # Only sign (no mismatch): the sign sentence, not a depth one.
    signs = network({"b^1": "sign"}, n_layers=2)
    assert summarize(signs).endswith("These parameters are negated.")


def test_a_flat_list_has_no_depth_sentence():
    findings = [Finding(1, None, "mismatch"), Finding(2, None, "ok")]
    assert summarize(findings) == "1 of 2 parameters fail: [1] mismatch."


# -- naming a factor ------------------------------------------------------------------------------

NAMED = {"n_samples": 8, "n_outputs": 3}


@pytest.mark.parametrize(
    ("factor", "text"),
    [
        (24.0, "24 (= n_outputs*n_samples)"),
        (8 / 3, "2.66667 (= n_samples/n_outputs)"),
        (3 / 8, "0.375 (= n_outputs/n_samples)"),
        (1 / 24, "0.0416667 (= 1/(n_outputs*n_samples))"),
        (16.0, "16 (= 2*n_samples)"),
        (4.0, "4 (= n_samples/2)"),
        (1 / 16, "0.0625 (= 1/(2*n_samples))"),
        (6.0, "6 (= 2*n_outputs)"),
        (1.5, "1.5 (= n_outputs/2)"),
        (0.5, "0.5 (= 1/2: an extra 1/2 in the cost or its derivative)"),
        (-3.0, "-3 (= -n_outputs); negated as well"),
        (8 * (1 + 1e-7), "8 (= n_samples: a sum over the batch where the mean is expected)"),
        (8 * (1 + 1e-5), "8.00008"),
        (5.0, "5"),
    ],
)
def test_describe_factor_names(factor, text):
    assert describe_factor(factor, NAMED) == text


def test_equally_simple_names_are_all_given_simplest_first():
    # 2 is both the named quantity and the constant 2; 2 * a = 4 is simpler as b.
    assert describe_factor(2.0, {"a": 2}) == (
        "2 (= a, or 2: the cost's 1/2 missing, or a derivative doubled)"
    )
    assert describe_factor(4.0, {"a": 2, "b": 4}) == "4 (= b)"


def test_at_most_three_names():
    text = describe_factor(2.0, {"a": 2, "b": 2, "c": 2, "d": 2})
    assert text == "2 (= a, or b, or c)"


def test_quantities_of_one_or_zero_name_nothing():
    assert describe_factor(1.0, {"n_samples": 1, "n_outputs": 0}) == "1"
    assert describe_factor(2.0, {"n_samples": 1}) == (
        "2 (= 2: the cost's 1/2 missing, or a derivative doubled)"
    )


def test_describe_factor_without_names():
    assert describe_factor(0.25) == "0.25"
    assert describe_factor(
        -2.0
    ) == "-2 (= -2: the cost's 1/2 missing, or a derivative doubled); " + ("negated as well")


# -- the table and JSON ---------------------------------------------------------------------------


def test_findings_table_cells():
    findings = [
        Finding(
            1,
            "W",
            "scale",
            max_rel_error=7.0,
            worst_index=(0, 2),
            candidate_value=0.014213,
            reference_value=-0.08384,
            factor=8.0,
            detail="scaled by 8",
        ),
        Finding(None, None, "exception", detail="ValueError: bad"),
    ]
    lines = findings_table(findings, "tsv").splitlines()
    rows = [[cell.strip() for cell in line.split("\t")] for line in lines]
    assert rows == [
        list(TABLE_HEADERS),
        ["1", "W", "scale", "7", "[0, 2]", "0.0142", "-0.0838", "scaled by 8"],
        ["-", "-", "exception", "-", "-", "-", "-", "ValueError: bad"],
    ]
    assert findings_table(findings).splitlines()[0].split() == [
        "layer",
        "param",
        "kind",
        "max",
        "rel",
        "err",
        "worst",
        "at",
        "yours",
        "reference",
        "explanation",
    ]


def test_numbers_in_the_table_keep_their_form():
    finding = Finding(2, None, "mismatch", max_rel_error=1.23456e-7, worst_index=(3,))
    row = findings_table([finding], "tsv").splitlines()[1].split("\t")
    assert [cell.strip() for cell in row[:5]] == ["2", "-", "mismatch", "1.23e-07", "[3]"]


def test_finding_names_and_passing():
    assert Finding(2, "W", "ok").name == "W^2"
    assert Finding(3, None, "ok").name == "[3]"
    assert Finding(None, None, "exception").name == "-"
    assert [kind for kind in KINDS if Finding(1, "W", kind).passed] == list(PASSING_KINDS)
    assert PASSING_KINDS == ("ok", "kink")


def test_finding_to_dict_is_json_ready():
    finding = Finding(
        1,
        "b",
        "nonfinite",
        max_rel_error=float("nan"),
        worst_index=(4,),
        candidate_value=float("-inf"),
        reference_value=0.5,
        factor=None,
        detail="1 of 5 entries are NaN or Inf (first at (4,))",
    )
    data = json.loads(json.dumps(finding.to_dict()))
    expected = {
        "layer": 1,
        "param": "b",
        "kind": "nonfinite",
        "max_rel_error": "nan",
        "worst_index": [4],
        "candidate_value": "-inf",
        "reference_value": 0.5,
        "factor": None,
        "other_layer": None,
        "detail": "1 of 5 entries are NaN or Inf (first at (4,))",
        "passed": False,
    }
    assert {key: data[key] for key in expected} == expected
    assert finding.to_dict()["worst_index"] == [4]  # a list, before any JSON
    passing = Finding(2, "W", "kink").to_dict()
    assert passing["passed"] is True and passing["worst_index"] is None


# -- findings read back, inconclusive ones --------------------------------------------------------


def test_a_finding_survives_json_and_back():
    from verify.core.findings import finding_from_dict

    findings = [
        Finding(
            2,
            "W",
            "nonfinite",
            max_rel_error=float("inf"),
            worst_index=(1, 0),
            candidate_value=float("-inf"),
            reference_value=0.25,
            detail="1 of 6 entries are NaN or Inf (first at (1, 0))",
        ),
        Finding(1, "b", "scale", max_rel_error=7.0, worst_index=(3,), factor=8.0, detail="x"),
        Finding(None, None, "exception", detail="ValueError: bad"),
    ]
    for finding in findings:
        back = finding_from_dict(json.loads(json.dumps(finding.to_dict())))
        assert back == finding


def _inconclusive(layer, param):
    return Finding(layer, param, "inconclusive", detail="agrees, but the reference is too coarse")


def test_inconclusive_findings_neither_pass_nor_fail():
    findings = [ok(1, "W"), _inconclusive(1, "b"), ok(2, "W"), ok(2, "b")]
    text = summarize(findings)
    assert text.startswith("inconclusive: b^1 agree with the reference, but ")
    assert "the reference is too coarse." in text and "The other 3 parameters agree." in text
    assert "fail" not in text


def test_inconclusive_beside_failures_is_named_apart():
    findings = [bad(1, "W", "sign"), _inconclusive(1, "b")]
    text = summarize(findings)
    assert text.startswith("1 of 2 parameters fail: W^1 sign.")
    assert "b^1" in text.removeprefix("1 of 2 parameters fail: W^1 sign.")


def test_a_quantity_is_not_multiplied_by_itself_and_zero_is_no_negative():
    assert describe_factor(64.0, {"n_samples": 8}) == "64"
    assert describe_factor(1 / 64, {"n_samples": 8}) == "0.015625"
    assert describe_factor(0.0, {"n_samples": 8}) == "0"
