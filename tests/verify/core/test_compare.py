"""compare_gradients: every diagnosis from a planted transform, none on correct gradients."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verify.core.compare import (
    LAYER_FLOOR,
    Finding,
    compare_gradients,
    default_tolerances,
    describe_factor,
    findings_table,
    summarize,
)

SHAPES = [(4, 3), (5, 4), (2, 5)]


def reference_gradient(seed=0, shapes=SHAPES):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal(shape), rng.standard_normal(shape[0])) for shape in shapes]


def kinds(findings):
    return {(f.layer, f.param): f.kind for f in findings}


def with_layer(gradient, m, param, value):
    out = [list(pair) for pair in gradient]
    out[m - 1]["Wb".index(param)] = value
    return [tuple(pair) for pair in out]


# -- correct gradients never get a diagnosis ------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), scale=st.floats(1e-6, 1e6))
def test_float32_rounding_of_a_correct_gradient_is_ok(seed, scale):
    reference = [(W * scale, b * scale) for W, b in reference_gradient(seed)]
    candidate = [(W.astype(np.float32), b.astype(np.float32)) for W, b in reference]
    findings = compare_gradients(candidate, reference)
    assert {f.kind for f in findings} == {"ok"}


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_float64_noise_far_below_rtol_is_ok_even_at_tiny_entries(seed):
    reference = reference_gradient(seed)
    rng = np.random.default_rng(seed + 1)
    reference[0][0][0, 0] = 1e-300  # a cancelled entry: its own size is no yardstick
    rms = [np.sqrt(np.mean(a**2)) for pair in reference for a in pair]
    noisy = []
    for (W, b), (rms_W, rms_b) in zip(reference, zip(rms[::2], rms[1::2])):
        noisy.append(
            (
                W + 1e-12 * rms_W * rng.standard_normal(W.shape),
                b + 1e-12 * rms_b * rng.standard_normal(b.shape),
            )
        )
    assert {f.kind for f in compare_gradients(noisy, reference)} == {"ok"}


def test_a_layer_with_small_gradients_is_judged_on_its_own_scale():
    # Vanishing gradients: layer 1 is 1e-2 of the rest; a 1% error there must still be caught.
    reference = reference_gradient()
    reference[0] = (reference[0][0] * 1e-2, reference[0][1] * 1e-2)
    wrong = with_layer(reference, 1, "W", reference[0][0] * (1 + 0.01 * np.eye(4, 3)))
    assert kinds(compare_gradients(wrong, reference))[(1, "W")] == "mismatch"


def test_a_negligible_layer_is_judged_against_the_floor():
    reference = reference_gradient()
    reference[0] = (np.zeros((4, 3)), np.zeros(4))  # every unit dead
    candidate = with_layer(reference, 1, "W", np.full((4, 3), 1e-15))
    assert kinds(compare_gradients(candidate, reference))[(1, "W")] == "ok"
    # A real gradient where the reference has none is not rounding: it is caught.
    candidate = with_layer(reference, 1, "W", np.full((4, 3), LAYER_FLOOR))
    assert kinds(compare_gradients(candidate, reference))[(1, "W")] == "mismatch"


# -- every kind from a planted transform ----------------------------------------------------------


def test_nonfinite():
    reference = reference_gradient()
    bad = reference[1][0].copy()
    bad[2, 1] = np.inf
    (finding,) = [
        f
        for f in compare_gradients(with_layer(reference, 2, "W", bad), reference)
        if f.kind != "ok"
    ]
    assert (finding.layer, finding.param, finding.kind) == (2, "W", "nonfinite")
    assert finding.worst_index == (2, 1)
    assert "1 of 20 entries" in finding.detail


def test_shape_transpose_and_swapped_pair():
    reference = reference_gradient()
    W2 = reference[1][0]
    findings = kinds(compare_gradients(with_layer(reference, 2, "W", W2.T), reference))
    assert findings[(2, "W")] == "transpose"
    finding = compare_gradients(with_layer(reference, 2, "W", -W2.T), reference)[2]
    assert finding.kind == "shape" and "transpose of the gradient, negated" in finding.detail
    finding = compare_gradients(with_layer(reference, 2, "W", W2.ravel()), reference)[2]
    assert finding.kind == "shape" and "values match after a reshape" in finding.detail
    finding = compare_gradients(with_layer(reference, 2, "b", np.ones((5, 1))), reference)[3]
    assert (finding.kind, finding.detail) == ("shape", "shape (5, 1), expected (5,)")
    swapped = [reference[0], (reference[1][1], reference[1][0]), reference[2]]
    findings = compare_gradients(swapped, reference)
    assert [f.kind for f in findings[2:4]] == ["shape", "shape"]
    assert "W and b swapped" in findings[2].detail


def test_square_transpose():
    reference = reference_gradient(shapes=[(3, 3), (3, 3)])
    findings = compare_gradients(with_layer(reference, 1, "W", reference[0][0].T), reference)
    assert kinds(findings) == {
        (1, "W"): "transpose",
        (1, "b"): "ok",
        (2, "W"): "ok",
        (2, "b"): "ok",
    }


def test_symmetric_square_matrix_is_ok_not_transpose():
    reference = reference_gradient(shapes=[(3, 3)])
    symmetric = reference[0][0] + reference[0][0].T
    reference = [(symmetric, reference[0][1])]
    assert kinds(compare_gradients([(symmetric.T, reference[0][1])], reference))[(1, "W")] == "ok"


def test_sign_and_scale():
    reference = reference_gradient()
    findings = compare_gradients([(-W, -b) for W, b in reference], reference)
    assert {f.kind for f in findings} == {"sign"}
    assert all(f.factor == -1.0 for f in findings)
    findings = compare_gradients(
        [(8 * W, b) for W, b in reference], reference, named_factors={"n_samples": 8}
    )
    assert [f.kind for f in findings] == ["scale", "ok"] * 3
    assert findings[0].factor == pytest.approx(8, rel=1e-12)
    assert "n_samples: a sum over the batch where the mean is expected" in findings[0].detail
    assert "Every weight gradient is scaled by 8" in summarize(findings)


def test_scale_must_hold_for_every_entry():
    reference = reference_gradient()
    W = 3 * reference[0][0]
    W[0, 0] += 0.02 * np.abs(W).max()
    (finding, *_) = compare_gradients(with_layer(reference, 1, "W", W), reference)
    assert finding.kind == "mismatch"
    assert finding.detail.startswith("close to 3")  # a hint, not a diagnosis


def test_zero_candidate_is_a_mismatch_not_a_scale_of_zero():
    reference = reference_gradient()
    (finding, *_) = compare_gradients(with_layer(reference, 1, "W", np.zeros((4, 3))), reference)
    assert finding.kind == "mismatch" and finding.detail.startswith("all zeros")


@pytest.mark.parametrize("shapes", [[(3, 3), (3, 3), (3, 3)], SHAPES])
def test_layer_order_same_and_different_shapes(shapes):
    reference = reference_gradient(shapes=shapes)
    findings = compare_gradients(reference[::-1], reference)
    assert kinds(findings) == {
        (1, "W"): "layer_order",
        (1, "b"): "layer_order",
        (2, "W"): "ok",
        (2, "b"): "ok",
        (3, "W"): "layer_order",
        (3, "b"): "layer_order",
    }
    assert [f.other_layer for f in findings] == [3, 3, None, None, 1, 1]
    assert "reversed order" in summarize(findings)


def test_kink_only_where_flagged():
    reference = reference_gradient()
    kinks = [(np.zeros(W.shape, bool), np.zeros(b.shape, bool)) for W, b in reference]
    kinks[0][0][1, 2] = True
    W = reference[0][0].copy()
    W[1, 2] += 0.5  # e.g. the one-sided derivative of a ReLU at 0 against the mean of both
    findings = compare_gradients(with_layer(reference, 1, "W", W), reference, kinks=kinks)
    assert findings[0].kind == "kink" and findings[0].passed
    assert "differs only at 1 entry whose finite difference crossed a kink" in findings[0].detail
    W[0, 0] += 0.5  # an error outside the flagged entries is not excused
    findings = compare_gradients(with_layer(reference, 1, "W", W), reference, kinks=kinks)
    assert findings[0].kind == "mismatch"


def test_mismatch_lists_worst_entries_and_reach():
    reference = reference_gradient()
    rng = np.random.default_rng(5)
    wrong = [
        (W + rng.standard_normal(W.shape), b) if m < 2 else (W, b)
        for m, (W, b) in enumerate(reference)
    ]
    findings = compare_gradients(wrong, reference)
    assert [f.kind for f in findings] == ["mismatch", "ok", "mismatch", "ok", "ok", "ok"]
    detail = findings[0].detail
    assert "12 of 12 entries off; worst [" in detail and "mismatch also in W^2" in detail
    assert findings[0].max_rel_error == pytest.approx(
        np.max(
            np.abs(wrong[0][0] - reference[0][0])
            / np.maximum(np.abs(reference[0][0]), np.sqrt(np.mean(reference[0][0] ** 2)))
        )
    )
    index = findings[0].worst_index
    assert findings[0].candidate_value == wrong[0][0][index]
    assert findings[0].reference_value == reference[0][0][index]


def test_uncertainty_widens_each_entrys_allowance():
    reference = reference_gradient()
    candidate = [(W + 1e-4, b) for W, b in reference]
    assert kinds(compare_gradients(candidate, reference))[(1, "W")] == "mismatch"
    uncertainty = [(np.full(W.shape, 1e-4), np.zeros(b.shape)) for W, b in reference]
    findings = compare_gradients(candidate, reference, uncertainty=uncertainty)
    assert {f.kind for f in findings} == {"ok"}


def test_flat_list_of_arrays():
    reference = [np.arange(1.0, 4.0), np.ones((2, 2))]
    findings = compare_gradients([np.arange(1.0, 4.0), -np.ones((2, 2))], reference)
    assert [(f.layer, f.param, f.kind, f.name) for f in findings] == [
        (1, None, "ok", "[1]"),
        (2, None, "sign", "[2]"),
    ]


# -- malformed candidates -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("candidate", "kind", "detail"),
    [
        (None, "type", "returned None, expected a list of 3 (dW, db) pairs"),
        ("abc", "type", "returned a str"),
        (np.float64(2.0), "type", "returned a float64"),
        ({"W": 1}, "type", "returned a dict"),
        ([1, 2], "shape", "returned 2 entries, expected a list of 3 (dW, db) pairs"),
    ],
)
def test_malformed_structures(candidate, kind, detail):
    (finding,) = compare_gradients(candidate, reference_gradient())
    assert (finding.layer, finding.kind) == (None, kind)
    assert detail in finding.detail


def test_malformed_layer_and_arrays():
    reference = reference_gradient()
    candidate = [reference[0], reference[1][0], (reference[2][0], "x")]
    findings = compare_gradients(candidate, reference)
    assert [(f.layer, f.param, f.kind) for f in findings] == [
        (2, None, "type"),
        (1, "W", "ok"),
        (1, "b", "ok"),
        (3, "W", "ok"),
        (3, "b", "type"),
    ]
    assert "layer 2: returned an ndarray of shape (5, 4), expected a (dW, db) pair" in (
        findings[0].detail
    )


def test_missing_layer_names_what_the_entries_hold():
    reference = reference_gradient()
    (finding,) = compare_gradients(reference[1:], reference)
    assert "entry 1 holds W^2" in finding.detail and "entry 2 holds b^3" in finding.detail


# -- arguments, factors, summaries, rendering -----------------------------------------------------


def test_bad_arguments():
    reference = reference_gradient()
    with pytest.raises(ValueError, match="`rtol` must be a finite number >= 0, got -1"):
        compare_gradients(reference, reference, rtol=-1)
    with pytest.raises(TypeError, match="`atol` must be a finite number >= 0, got '0'"):
        compare_gradients(reference, reference, atol="0")
    with pytest.raises(ValueError, match=r"`reference` must be finite, got NaN/Inf in b\^1"):
        compare_gradients(reference, with_layer(reference, 1, "b", np.full(4, np.nan)))
    with pytest.raises(ValueError, match="`reference` must be a list holding at least one array"):
        compare_gradients(reference, [])
    with pytest.raises(TypeError, match="`reference` must be a list of arrays or of"):
        compare_gradients(reference, np.zeros(3))
    with pytest.raises(TypeError, match=r"`reference\[0\]\[1\]` must be an array of real numbers"):
        compare_gradients(reference, [(np.ones((4, 3)), np.ones(4, complex))])
    with pytest.raises(ValueError, match="`uncertainty` must be structured like `reference`"):
        compare_gradients(reference, reference, uncertainty=[np.ones(3)])
    with pytest.raises(
        ValueError, match="`reference` must be one of 'exact', 'finite_difference', got 'fd'"
    ):
        default_tolerances(np.float64, "fd")


def test_default_tolerances_follow_the_dtype():
    rtol64, atol = default_tolerances(np.float64)
    rtol32, _ = default_tolerances(np.float32)
    assert rtol64 == pytest.approx(4 * np.sqrt(np.finfo(np.float64).eps)) and atol == 0
    assert rtol32 == pytest.approx(4 * np.sqrt(np.finfo(np.float32).eps))
    assert default_tolerances(np.float64, "finite_difference")[0] > rtol64


@pytest.mark.parametrize(
    ("factor", "named", "text"),
    [
        (8.0, {"n_samples": 8}, "8 (= n_samples: a sum over the batch where the mean is expected)"),
        (0.125, {"n_samples": 8}, "0.125 (= 1/n_samples: a mean over the batch where the sum"),
        (2 / 3, {"n_samples": 8, "n_outputs": 3}, "0.666667 (= 2/n_outputs)"),
        (
            -8.0,
            {"n_samples": 8},
            "-8 (= -n_samples: a sum over the batch where the mean is expected); negated as well",
        ),
        (2.0, {}, "2 (= 2: the cost's 1/2 missing, or a derivative doubled)"),
        (-0.1, {}, "-0.1; negative: an update step -learning_rate * gradient with learning_rate"),
        (3.7, {"n_samples": 8}, "3.7"),
    ],
)
def test_describe_factor(factor, named, text):
    assert describe_factor(factor, named).startswith(text)


def test_summaries():
    reference = reference_gradient()
    assert summarize(compare_gradients(reference, reference)).startswith(
        "All 6 parameters agree with the reference"
    )
    bias_summed = [(W, 8 * b) for W, b in reference]
    text = summarize(compare_gradients(bias_summed, reference, named_factors={"n_samples": 8}))
    assert "Every bias gradient is scaled by 8 (= n_samples" in text
    # Layers 1 and 2 wrong, layer 3 right: the error enters the backward step into layer 2.
    wrong = [(W + 1, b + 1) for W, b in reference[:2]] + reference[2:]
    text = summarize(compare_gradients(wrong, reference))
    assert "Wrong in layers 1..2, right above: the error enters the backward step into layer 2" in (
        text
    )
    failure = Finding(None, None, "exception", detail="ValueError: bad")
    assert summarize([failure]) == "ValueError: bad."


def test_findings_render_in_every_format_and_as_json():
    reference = reference_gradient()
    findings = compare_gradients([(-W, b) for W, b in reference], reference)
    assert "| layer" in findings_table(findings, "github")
    assert "<table>" in findings_table(findings, "html")
    assert "\\begin{tabular}" in findings_table(findings, "latex")
    data = json.loads(json.dumps([f.to_dict() for f in findings]))
    assert data[0]["kind"] == "sign" and data[0]["passed"] is False
    inf = Finding(1, "W", "nonfinite", candidate_value=float("inf"))
    assert json.loads(json.dumps(inf.to_dict()))["candidate_value"] == "inf"
