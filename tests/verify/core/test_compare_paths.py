"""compare_gradients, path by path: wrong shapes, structures, the fitted factor, the numbers a
finding carries. Each candidate is a planted transform of a seeded reference."""

from __future__ import annotations

import numpy as np
import pytest

from verify.core.compare import compare_gradients


def reference_gradient(seed=0, shapes=((4, 3), (2, 4), (2, 2))):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal(s), rng.standard_normal(s[0])) for s in shapes]


REF = reference_gradient()


def replaced(m, param, value, reference=REF):
    out = [list(pair) for pair in reference]
    out[m - 1]["Wb".index(param)] = value
    return [tuple(pair) for pair in out]


def finding_for(candidate, m, param, reference=REF, **kwargs):
    (found,) = [
        f
        for f in compare_gradients(candidate, reference, **kwargs)
        if (f.layer, f.param) == (m, param)
    ]
    return found


def failing(findings):
    return [(f.layer, f.param, f.kind) for f in findings if not f.passed]


# -- wrong shapes ---------------------------------------------------------------------------------


def test_a_transposed_rectangular_gradient():
    W1 = REF[0][0]
    found = finding_for(replaced(1, "W", W1.T), 1, "W")
    assert (found.kind, found.detail) == (
        "transpose",
        "the transpose (shape (3, 4), expected (4, 3))",
    )


def test_a_transposed_and_scaled_gradient_is_a_shape_finding_with_its_factor():
    W1 = REF[0][0]
    found = finding_for(replaced(1, "W", 2 * W1.T), 1, "W")
    assert found.kind == "shape" and found.factor == pytest.approx(2.0, rel=1e-12)
    assert found.detail.startswith(
        "shape (3, 4), expected (4, 3): the transpose of the gradient, scaled by 2 (= 2"
    )
    found = finding_for(replaced(1, "W", -W1.T), 1, "W")
    assert found.detail == "shape (3, 4), expected (4, 3): the transpose of the gradient, negated"
    found = finding_for(replaced(1, "W", -1.5 * W1.T), 1, "W")
    assert found.detail.startswith("shape (3, 4), expected (4, 3): the transpose of the gradient, ")
    assert "scaled by -1.5" in found.detail


def test_a_transposed_scaled_gradient_names_its_factor_after_the_quantities_given():
    found = finding_for(replaced(1, "W", 8 * REF[0][0].T), 1, "W", named_factors={"n_samples": 8})
    assert "the transpose of the gradient, scaled by 8 (= n_samples: a sum over the batch" in (
        found.detail
    )


def test_the_transposes_shape_with_other_values():
    found = finding_for(replaced(1, "W", REF[0][0].T + 1), 1, "W")
    assert (found.kind, found.detail) == (
        "shape",
        "shape (3, 4), expected (4, 3) (the transpose's shape, and its values differ too)",
    )
    assert found.factor is None


def test_a_wrong_shape_holding_another_layers_gradient():
    # b^1, of shape (4,), given as b^2, of shape (2,): another layer's gradient.
    found = finding_for(replaced(1, "b", REF[1][1]), 1, "b")
    assert (found.kind, found.other_layer) == ("layer_order", 2)
    assert found.detail == "holds b^2's gradient (shape (2,), expected (4,))"


def test_a_wrong_shape_holding_the_same_layers_other_array():
    found = finding_for(replaced(2, "b", REF[1][0]), 2, "b")
    assert (found.kind, found.other_layer) == ("shape", None)
    assert found.detail == "shape (2, 4), expected (2,): holds W^2's gradient (W and b swapped)"


def test_a_column_vector_bias_that_matches_after_a_reshape():
    found = finding_for(replaced(3, "b", REF[2][1][:, None]), 3, "b")
    assert (found.kind, found.detail) == (
        "shape",
        "shape (2, 1), expected (2,); the values match after a reshape",
    )
    found = finding_for(replaced(3, "b", REF[2][1][:, None] + 1), 3, "b")
    assert (found.kind, found.detail) == ("shape", "shape (2, 1), expected (2,)")


# -- same shape, another layer --------------------------------------------------------------------


def test_a_same_shaped_array_of_another_layer_is_layer_order():
    found = finding_for(replaced(2, "b", REF[2][1]), 2, "b")
    assert (found.kind, found.other_layer, found.detail) == (
        "layer_order",
        3,
        "holds b^3's gradient",
    )
    # Its numbers compare it with its own reference.
    error = np.abs(REF[2][1] - REF[1][1]) / np.maximum(
        np.abs(REF[1][1]), np.sqrt(np.mean(REF[1][1] ** 2))
    )
    assert found.max_rel_error == pytest.approx(error.max(), rel=1e-12)
    assert found.worst_index == (int(np.argmax(error)),)


def test_zeros_are_not_another_layers_dead_gradient():
    reference = replaced(3, "b", np.zeros(2))  # every unit of layer 3 dead
    found = finding_for(replaced(2, "b", np.zeros(2), reference), 2, "b", reference)
    assert found.kind == "mismatch" and found.detail.startswith("all zeros; ")


# -- the fitted factor ----------------------------------------------------------------------------


def test_scale_allows_the_references_uncertainty_scaled_by_the_factor():
    # r = [1, 2, 3, 4] and s = [1, -1, -1, 1] are orthogonal, so 2 (r + 8e-4 s) fits the factor 2
    # exactly; its entries are 1.6e-3 from 2 r, within the uncertainty 1e-3 of r scaled by 2.
    r = np.array([1.0, 2.0, 3.0, 4.0])
    s = np.array([1.0, -1.0, -1.0, 1.0])
    candidate = [2 * (r + 8e-4 * s)]
    uncertainty = [np.full(4, 1e-3)]
    (found,) = compare_gradients(candidate, [r], uncertainty=uncertainty)
    assert found.kind == "scale" and found.factor == pytest.approx(2.0, rel=1e-12)
    (found,) = compare_gradients([-(r + 8e-4 * s)], [r], uncertainty=[np.full(4, 0.9e-3)])
    assert found.kind == "sign"
    (found,) = compare_gradients([-(r + 8e-4 * s)], [r], uncertainty=[np.full(4, 0.7e-3)])
    assert found.kind == "mismatch"


def test_the_residual_of_a_nearly_scaled_mismatch_is_given_to_two_digits():
    # 3 R plus orthogonal noise of 0.94% of the candidate's norm: c / sqrt(9 + c^2) = 0.0094.
    R = REF[1][0]
    noise = np.random.default_rng(8).standard_normal(R.shape)
    noise -= np.vdot(noise, R) / np.vdot(R, R) * R
    noise *= np.linalg.norm(R) / np.linalg.norm(noise)
    c = 3 * 0.0094 / np.sqrt(1 - 0.0094**2)
    found = finding_for(replaced(2, "W", 3 * R + c * noise), 2, "W")
    assert found.detail.startswith("close to 3 x the reference (residual 0.94%); ")


def test_entries_equal_to_the_reference_are_within_a_zero_tolerance():
    W = REF[0][0].copy()
    W[2, 1] += 1.0
    found = finding_for(replaced(1, "W", W), 1, "W", rtol=0.0)
    assert found.kind == "mismatch" and found.detail.startswith("1 of 12 entries off")


def test_a_tiny_factor_is_not_a_scale_but_a_small_one_is():
    r = REF[1][0]
    assert finding_for(replaced(2, "W", 1e-9 * r), 2, "W").kind == "mismatch"
    small = finding_for(replaced(2, "W", 1e-3 * r), 2, "W")
    assert small.kind == "scale" and small.factor == pytest.approx(1e-3, rel=1e-12)


def test_a_factor_just_off_one_is_a_scale_when_no_tolerance_is_given():
    # rtol 0: the factor 1 + 1e-6 is still told apart from 1.
    r = REF[1][0]
    found = finding_for(replaced(2, "W", (1 + 1e-6) * r), 2, "W", rtol=0.0)
    assert found.kind == "scale" and found.factor == pytest.approx(1 + 1e-6, rel=1e-12)


def test_an_all_zero_reference_fits_no_factor():
    reference = [np.zeros(3), np.ones(2)]
    (found, _) = compare_gradients([np.array([1.0, 2.0, 3.0]), np.ones(2)], reference)
    assert found.kind == "mismatch" and found.detail.startswith("3 of 3 entries off")


# -- what a finding carries -----------------------------------------------------------------------


def test_an_ok_finding_carries_its_worst_entry():
    candidate = replaced(1, "b", REF[0][1] * (1 + 1e-12 * np.array([1.0, -3.0, 2.0, 0.5])))
    found = finding_for(candidate, 1, "b")
    b = REF[0][1]
    error = np.abs(candidate[0][1] - b) / np.maximum(np.abs(b), np.sqrt(np.mean(b**2)))
    assert found.kind == "ok" and found.worst_index == (int(np.argmax(error)),)
    assert found.max_rel_error == pytest.approx(error.max(), rel=1e-6)
    assert found.candidate_value == candidate[0][1][found.worst_index]
    assert found.reference_value == b[found.worst_index]


def test_a_nonfinite_finding_carries_the_first_bad_entry():
    W = REF[0][0].copy()
    W[1, 2], W[3, 0] = np.nan, -np.inf
    found = finding_for(replaced(1, "W", W), 1, "W")
    assert (found.kind, found.worst_index) == ("nonfinite", (1, 2))
    assert np.isnan(found.candidate_value) and found.reference_value == REF[0][0][1, 2]
    assert found.detail == "2 of 12 entries are NaN or Inf (first at (1, 2))"


def test_arrays_that_are_not_real_numbers_are_type_findings():
    candidate = replaced(2, "b", np.array(["a", "b"]))
    candidate = replaced(3, "W", REF[2][0] + 0j, candidate)
    findings = compare_gradients(candidate, REF)
    assert failing(findings) == [(2, "b", "type"), (3, "W", "type")]
    assert (
        findings[3].detail == "not an array of real numbers (an ndarray of shape (2,): dtype <U1)"
    )
    assert "dtype complex128" in findings[4].detail


def test_empty_arrays_compare_as_ok():
    reference = [np.zeros(0), np.ones(2)]
    found = compare_gradients([np.zeros(0), np.ones(2)], reference)[0]
    assert (found.kind, found.max_rel_error, found.worst_index) == ("ok", 0.0, ())


# -- structures -----------------------------------------------------------------------------------


def test_a_missing_layer_is_named_by_what_the_entries_hold():
    (found,) = compare_gradients(REF[:2], REF)
    assert (found.layer, found.kind) == (None, "shape")
    assert found.detail == (
        "returned 2 entries, expected a list of 3 (dW, db) pairs "
        "(entry 1 holds W^1; entry 1 holds b^1; entry 2 holds W^2; entry 2 holds b^2)"
    )


def test_entries_that_hold_nothing_known_are_not_named():
    (found,) = compare_gradients([(np.ones((4, 3)), "text"), REF[1]], REF)
    assert found.detail == (
        "returned 2 entries, expected a list of 3 (dW, db) pairs (entry 2 holds W^2; entry 2 holds "
        "b^2)"
    )
    (found,) = compare_gradients([np.ones(3)] * 4, REF)
    assert found.detail == "returned 4 entries, expected a list of 3 (dW, db) pairs"
    # Something unreadable first does not stop the search through the rest of the entry.
    (found,) = compare_gradients([("text", REF[0][1]), REF[1]], REF)
    assert "entry 1 holds b^1; entry 2 holds W^2; entry 2 holds b^2" in found.detail
    # Integers are numbers too.
    (found,) = compare_gradients([(np.arange(12).reshape(4, 3), np.zeros(1))], REF)
    assert found.detail == "returned 1 entries, expected a list of 3 (dW, db) pairs"


def test_an_entry_is_named_when_it_matches_to_1e_4_and_not_when_it_does_not():
    near = REF[1][0] * (1 + 3e-5)  # a float32 copy's rounding, or a little more
    (found,) = compare_gradients([(near, np.ones(7))], REF)
    assert found.detail.endswith("(entry 1 holds W^2)")
    # Zeros of W^2's shape hold nothing.
    (found,) = compare_gradients([(np.zeros((2, 4)), np.ones(7))], REF)
    assert found.detail == "returned 1 entries, expected a list of 3 (dW, db) pairs"


def test_an_extra_layer_is_a_shape_finding():
    (found,) = compare_gradients([*REF, REF[0]], REF)
    assert found.detail.startswith("returned 4 entries, expected a list of 3 (dW, db) pairs (")


@pytest.mark.parametrize("name", ["uncertainty", "kinks"])
def test_uncertainty_and_kinks_must_be_structured_like_the_reference(name):
    with pytest.raises(
        ValueError,
        match=rf"^`{name}` must be structured like `reference`, got ndarray$",
    ):
        compare_gradients(REF, REF, **{name: np.zeros(3)})
    with pytest.raises(
        ValueError,
        match=rf"^`{name}` must be structured like `reference`, got 2 arrays in 2 items for 6 "
        r"in 3$",
    ):
        compare_gradients(REF, REF, **{name: [np.zeros(3), np.zeros(3)]})
    with pytest.raises(ValueError, match=rf"^`{name}` must be structured like `reference`"):
        compare_gradients(REF, REF, **{name: [np.zeros((4, 3)), np.zeros(4)] * 3})
    with pytest.raises((TypeError, ValueError), match=rf"^`{name}"):
        compare_gradients(REF, REF, **{name: [(np.zeros(1), np.zeros(1), np.zeros(1))]})


def test_kink_masks_of_the_right_structure_are_used():
    kinks = [(np.zeros(W.shape, bool), np.zeros(b.shape, bool)) for W, b in REF]
    kinks[1][1][0] = True
    b2 = REF[1][1].copy()
    b2[0] += 1.0
    found = finding_for(replaced(2, "b", b2), 2, "b", kinks=kinks)
    assert found.kind == "kink" and found.detail.startswith("differs only at 1 entry whose")
    kinks[1][1][1] = True
    found = finding_for(replaced(2, "b", b2), 2, "b", kinks=kinks)
    assert found.detail.startswith("differs only at 2 entries whose")


# -- the words and numbers of each kind -----------------------------------------------------------


def test_sign_and_transpose_findings_say_so_and_carry_their_numbers():
    found = finding_for(replaced(2, "b", -REF[1][1]), 2, "b")
    assert (found.kind, found.detail, found.factor) == (
        "sign",
        "exactly the negated gradient",
        -1.0,
    )
    assert found.max_rel_error == pytest.approx(2.0) and found.worst_index is not None
    W3 = REF[2][0]  # square
    found = finding_for(replaced(3, "W", W3.T), 3, "W")
    assert (found.kind, found.detail) == ("transpose", "the transpose of the gradient")
    assert found.max_rel_error > 0 and found.candidate_value == W3.T[found.worst_index]


def test_a_kink_finding_says_where_and_carries_its_numbers():
    kinks = [(np.zeros(W.shape, bool), np.zeros(b.shape, bool)) for W, b in REF]
    kinks[0][0][1, 1] = True
    W = REF[0][0].copy()
    W[1, 1] += 3.0
    found = finding_for(replaced(1, "W", W), 1, "W", kinks=kinks)
    assert found.detail == (
        "differs only at 1 entry whose finite difference crossed a kink (one-sided derivatives "
        "differ there); elsewhere within tolerance"
    )
    assert found.worst_index == (1, 1) and found.candidate_value == W[1, 1]


def test_mismatches_name_the_other_arrays_they_reach():
    candidate = replaced(1, "W", REF[0][0] + 1)
    candidate = replaced(2, "b", REF[1][1] + 1, candidate)
    candidate = replaced(3, "W", REF[2][0] + 1, candidate)
    findings = compare_gradients(candidate, REF)
    assert findings[0].detail.endswith("; mismatch also in b^2, W^3")
    assert findings[3].detail.endswith("; mismatch also in W^1, W^3")
    assert not findings[1].detail  # an ok finding gets no note


def test_a_flat_list_of_the_wrong_length_says_arrays():
    (found,) = compare_gradients([np.ones(2)], [np.ones(2), np.ones(3)])
    assert found.detail == "returned 1 entries, expected a list of 2 arrays (entry 1 holds [1])"


class _Unlistable:
    """Claims to be iterable and fails when iterated."""

    def __iter__(self):
        raise RuntimeError("no")


def test_a_candidate_whose_iteration_fails_is_a_type_finding():
    (found,) = compare_gradients(_Unlistable(), REF)
    assert (found.layer, found.kind) == (None, "type")
    assert found.detail == "returned a _Unlistable (no), expected a list of 3 (dW, db) pairs"


def test_layer_entries_that_are_not_pairs():
    candidate = [REF[0], (REF[1][0], REF[1][1], REF[1][1]), _Unlistable()]
    findings = compare_gradients(candidate, REF)
    assert [(f.layer, f.kind) for f in findings[:2]] == [(2, "type"), (3, "type")]
    assert findings[0].detail == "layer 2: returned 3 arrays, expected a (dW, db) pair"
    assert findings[1].detail == "layer 3: returned a _Unlistable (no), expected a (dW, db) pair"
    assert [(f.layer, f.param, f.kind) for f in findings[2:]] == [(1, "W", "ok"), (1, "b", "ok")]


def test_references_that_are_not_real_numbers_are_refused():
    for bad in (np.array([True, False]), np.array(["a", "b"])):
        with pytest.raises(TypeError, match=r"must be an array of real numbers, got dtype"):
            compare_gradients([np.ones(2)], [bad])


class _Unconvertible:
    """Refuses to become an array."""

    def __array__(self, *args, **kwargs):
        raise RuntimeError("no")


def test_the_least_precise_dtype_skips_what_is_not_an_array():
    from verify.core.compare import least_precise_dtype

    assert least_precise_dtype([_Unconvertible(), np.ones(2, np.float32)]) == np.float32
    assert least_precise_dtype([np.ones(2, int), "x"]) == np.float64
    assert least_precise_dtype([np.ones(1, np.float16), np.ones(1, np.float32)]) == np.float16
