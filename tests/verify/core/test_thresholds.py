"""Every threshold and tolerance of the checking core, on both sides of its boundary.

Each case is built from what the threshold is for, not from the constant itself: an error a
correct computation makes (rounding, truncation of a well-stepped difference) must pass, an error a
bug makes must not. The two sides are a factor of 10 to 100 apart from the boundary, so a
constant that moves by a large factor fails a test, while a retuning within a few per cent would
not.
"""

from __future__ import annotations

import numpy as np
import pytest

from numeric import Activation
from verify.core.compare import compare_gradients, default_tolerances
from verify.core.finite_differences import (
    directional_check,
    kinked_at_zero,
    numerical_gradient,
)

EPS64 = float(np.finfo(np.float64).eps)
EPS32 = float(np.finfo(np.float32).eps)


def gradient(seed=0, shapes=((4, 3), (2, 4))):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal(s), rng.standard_normal(s[0])) for s in shapes]


def kinds(findings):
    return [f.kind for f in findings]


def perturbed(reference, relative, seed=1):
    """Every entry moved by ``relative`` of the parameter's RMS, with random signs."""
    rng = np.random.default_rng(seed)
    out = []
    for W, b in reference:
        pair = []
        for a in (W, b):
            rms = np.sqrt(np.mean(a**2))
            pair.append(a + relative * rms * rng.choice([-1.0, 1.0], a.shape))
        out.append(tuple(pair))
    return out


# -- the comparison's default relative tolerance ---------------------------------------------------


@pytest.mark.parametrize(
    ("dtype", "rounding", "bug"),
    [
        # float64: a correct gradient of a small net is off by ~1e-13 relative (a few hundred
        # roundings); a wrong one by order one, and a subtle one (a float32 intermediate, a
        # truncated constant) by 1e-6 or more.
        (np.float64, 1e-10, 1e-6),
        # float32: rounding of sums of a few hundred terms reaches ~1e-5; a bug 1e-2.
        (np.float32, 1e-5, 1e-2),
    ],
)
def test_rounding_passes_and_small_bugs_fail_for_each_dtype(dtype, rounding, bug):
    reference = gradient()
    for relative, expected in ((rounding, "ok"), (bug, "mismatch")):
        candidate = [(W.astype(dtype), b.astype(dtype)) for W, b in perturbed(reference, relative)]
        # The candidate's dtype decides the tolerance; the reference is float64.
        assert set(kinds(compare_gradients(candidate, reference))) == {expected}, relative


def test_the_tolerance_follows_the_candidates_precision_not_the_references():
    reference = gradient()
    candidate = perturbed(reference, 1e-4)  # fine for float32, a bug in float64
    assert set(kinds(compare_gradients(candidate, reference))) == {"mismatch"}
    assert set(kinds(compare_gradients(candidate, reference, dtype=np.float32))) == {"ok"}
    as32 = [(W.astype(np.float32), b) for W, b in candidate]  # one float32 array is enough
    assert set(kinds(compare_gradients(as32, reference))) == {"ok"}


def test_explicit_tolerances_replace_the_defaults():
    reference = gradient()
    candidate = perturbed(reference, 1e-3)
    assert set(kinds(compare_gradients(candidate, reference, rtol=1e-2))) == {"ok"}
    assert set(kinds(compare_gradients(candidate, reference, rtol=1e-4))) == {"mismatch"}
    # atol is absolute: entries here are O(1), so an atol of 1e-2 covers a 1e-3 error.
    assert set(kinds(compare_gradients(candidate, reference, rtol=0, atol=1e-2))) == {"ok"}
    assert set(kinds(compare_gradients(candidate, reference, rtol=0, atol=1e-5))) == {"mismatch"}


def test_finite_difference_tolerance_covers_a_central_difference_and_not_a_bug():
    # A well-stepped central difference of a smooth loss is good to ~1e-10 relative in float64,
    # and its error estimate says so; a gradient off by 1e-4 is a bug.
    U = np.array([0.5, -1.0, 2.0])

    def loss(p):
        W, b, v = p
        return np.sum(np.tanh(W @ U + b)) + np.sum(np.sin(v))

    params = [np.array([[0.3, -0.2, 0.1], [0.5, 0.4, -0.6]]), np.array([0.1, -0.3]), np.ones(2)]
    W, b, v = params
    t = 1 - np.tanh(W @ U + b) ** 2
    truth = [np.outer(t, U), t, np.cos(v)]
    fd = numerical_gradient(loss, params, method="central")
    rtol, atol = default_tolerances(np.float64, "finite_difference")
    assert 1e-7 < rtol < 1e-4 and atol == 0  # between the method's accuracy and a bug's size
    ok = compare_gradients(truth, fd.gradient, rtol=rtol, uncertainty=fd.error)
    assert set(kinds(ok)) == {"ok"}
    wrong = [truth[0] * (1 + 1e-4), *truth[1:]]
    finding = compare_gradients(wrong, fd.gradient, rtol=rtol, uncertainty=fd.error)[0]
    assert finding.kind == "scale" and finding.factor == pytest.approx(1 + 1e-4, rel=1e-8)
    # float32: a central difference is good to ~1e-3 there; the tolerance must allow it.
    rtol32, _ = default_tolerances(np.float32, "finite_difference")
    assert 1e-3 < rtol32 < 1e-1


# -- the layer floor -------------------------------------------------------------------------------


def _with_small_layer(size):
    reference = gradient()
    W, b = reference[0]
    reference[0] = (W * size, b * size)  # layer 1 tiny against layer 2, whose RMS is ~1
    return reference


def test_rounding_of_a_layer_negligible_against_the_rest_is_not_a_failure():
    # Layer 1's gradient cancels to 1e-9 of the rest: its entries are sums of O(1) terms, so a
    # correct float64 computation is off by their rounding, ~1e-14 absolute, 1e-5 of its size.
    reference = _with_small_layer(1e-9)
    W, b = reference[0]
    noisy = [(W + 1e-14, b - 1e-14), reference[1]]
    assert set(kinds(compare_gradients(noisy, reference))) == {"ok"}


def test_an_error_in_a_negligible_layer_far_above_rounding_fails():
    # The same layer off by 1e-9 absolute (as large as the layer itself, 1e5 times the rounding
    # of its terms): a real error, whatever the size of the other layers.
    reference = _with_small_layer(1e-9)
    W, b = reference[0]
    wrong = [(W + 1e-9, b), reference[1]]
    assert kinds(compare_gradients(wrong, reference))[0] == "mismatch"


def test_a_small_but_not_negligible_layer_is_judged_on_its_own_scale():
    # Layer 1 at 1e-2 of the rest (vanishing gradients): an error of 1e-4 of its own size (1e-6
    # of the rest's) is caught, and rounding of 1e-10 of its own size is not.
    reference = _with_small_layer(1e-2)
    candidate = [perturbed(reference, 1e-4)[0], reference[1]]
    assert kinds(compare_gradients(candidate, reference))[:2] == ["mismatch", "mismatch"]
    candidate = [perturbed(reference, 1e-10)[0], reference[1]]
    assert set(kinds(compare_gradients(candidate, reference))) == {"ok"}


def test_an_all_zero_gradient_compares_without_dividing_by_zero():
    reference = [(np.zeros((2, 2)), np.zeros(2))]
    assert kinds(compare_gradients(reference, reference)) == ["ok", "ok"]
    finding = compare_gradients([(np.ones((2, 2)), np.zeros(2))], reference)[0]
    assert finding.kind == "mismatch" and np.isfinite(finding.max_rel_error)


# -- "close to k x the reference" ------------------------------------------------------------------


def _one_layer(W):
    return [(W, np.ones(W.shape[0]))]


def _orthogonal_noise(R, seed):
    """Noise of R's norm, orthogonal to R: adding it leaves the fitted factor exact."""
    noise = np.random.default_rng(seed).standard_normal(R.shape)
    noise -= np.vdot(noise, R) / np.vdot(R, R) * R
    return noise * np.linalg.norm(R) / np.linalg.norm(noise)


def test_a_nearly_scaled_mismatch_is_called_close_and_a_far_one_is_not():
    R = np.random.default_rng(3).standard_normal((5, 4))
    noise = _orthogonal_noise(R, 4)
    # 3 R plus an extra term 2% of the candidate's size: a scale with something added.
    near = compare_gradients(_one_layer(3 * R + 0.06 * noise), _one_layer(R))[0]
    assert near.kind == "mismatch"
    assert near.detail.startswith("close to 3 x the reference (residual 2%); 20 of 20 entries")
    # An extra term 20% of the candidate's size: no single factor explains it.
    far = compare_gradients(_one_layer(3 * R + 0.6 * noise), _one_layer(R))[0]
    assert far.kind == "mismatch" and far.detail.startswith("20 of 20 entries off")


def test_a_mismatch_near_factor_one_is_not_called_scaled():
    R = np.random.default_rng(5).standard_normal((5, 4))
    noise = 0.01 * _orthogonal_noise(R, 6)
    # Within a few per cent of 1, "close to 1.02 x the reference" would only restate the
    # mismatch; at 1.2 the factor is the finding.
    for factor, hint in ((1.0, False), (1.02, False), (1.2, True), (1.5, True)):
        detail = compare_gradients(_one_layer(factor * R + noise), _one_layer(R))[0].detail
        assert detail.startswith(f"close to {factor:g} x") is hint, (factor, detail)


def test_a_mismatch_lists_its_two_worst_entries_worst_first():
    R = np.arange(1.0, 13.0).reshape(3, 4)
    C = R.copy()
    C[0, 1] += 5.0  # relative error 5 / max(2, rms 7.2) = 0.69
    C[2, 3] += 9.0  # 9 / 12 = 0.75: the worst
    C[1, 0] += 1.0  # 1 / 7.2 = 0.14
    finding = compare_gradients(_one_layer(C), _one_layer(R))[0]
    assert finding.kind == "mismatch" and finding.worst_index == (2, 3)
    assert finding.detail == "3 of 12 entries off; worst [2, 3]: 21 vs 12; [0, 1]: 7 vs 2"


# -- the fitted factor's exclusions ---------------------------------------------------------------


def test_a_factor_indistinguishable_from_one_or_zero_is_no_scale():
    rng = np.random.default_rng(5)
    R = rng.standard_normal((4, 4))
    noise = rng.standard_normal((4, 4))
    # Orthogonal noise keeps the fitted factor at exactly 1 (or 0): the finding is a mismatch.
    noise -= np.vdot(noise, R) / np.vdot(R, R) * R
    assert compare_gradients(_one_layer(R + 0.1 * noise), _one_layer(R))[0].kind == "mismatch"
    assert compare_gradients(_one_layer(0.1 * noise), _one_layer(R))[0].kind == "mismatch"
    # A clean factor a little above 1, 1.001 (far beyond rounding): a scale, named.
    scaled = compare_gradients(_one_layer(1.001 * R), _one_layer(R))[0]
    assert scaled.kind == "scale" and scaled.factor == pytest.approx(1.001, rel=1e-12)


# -- the directional check's tolerances and allowance ----------------------------------------------


def _smooth_problem(dtype=np.float64):
    rng = np.random.default_rng(0)
    params = [rng.standard_normal((3, 2)).astype(dtype), rng.standard_normal(3).astype(dtype)]

    def loss(p):
        return np.sum(np.sin(p[0])) + np.sum(p[1] ** 3) / 3

    grad = [np.cos(params[0].astype(np.float64)), params[1].astype(np.float64) ** 2]
    return loss, grad, params


@pytest.mark.parametrize(
    ("method", "dtype", "passes", "fails"),
    [
        # Each method's accuracy is far below the first number, a bug far above the second:
        # central eps^(2/3) ~ 4e-11, Richardson eps^(4/5) ~ 3e-13, complex a few eps in float64;
        # central ~1e-4 and complex a few eps32 in float32.
        ("central", np.float64, 1e-8, 1e-4),
        ("richardson", np.float64, 1e-10, 1e-6),
        ("complex", np.float64, 1e-12, 1e-8),
        ("central", np.float32, 1e-3, 0.3),
        ("richardson", np.float32, 1e-3, 0.3),
        ("complex", np.float32, 1e-6, 1e-2),
    ],
)
def test_directional_tolerance_per_method_and_dtype(method, dtype, passes, fails):
    loss, grad, params = _smooth_problem(dtype)
    for relative, expected in ((passes, True), (fails, False)):
        scaled = [(1 + relative) * g for g in grad]  # <grad, v> off by exactly `relative`
        result = directional_check(loss, scaled, params, n_directions=3, method=method)
        assert result.passed is expected, (relative, str(result))
        assert bool(result.agrees.all()) is expected and not result.kink.any()
        if not expected:  # the finite difference is right: the error measured is the planted one
            np.testing.assert_allclose(result.relative_error, relative / (1 + relative), rtol=0.01)


def test_directional_tolerance_follows_the_least_precise_parameter():
    loss, grad, params = _smooth_problem()
    scaled = [(1 + 1e-3) * g for g in grad]
    assert not directional_check(loss, scaled, params).passed
    mixed = [params[0], params[1].astype(np.float32)]
    grad32 = [np.cos(mixed[0]), mixed[1].astype(np.float64) ** 2]
    result = directional_check(loss, [(1 + 1e-3) * g for g in grad32], mixed)
    assert result.passed and result.rtol > 1e-3


def test_directional_allowance_alone_passes_rounding_and_fails_a_bug():
    # rtol 0: only the finite difference's error estimate and the rounding of <grad, v> remain,
    # which cover a correct gradient and not one off by 1e-6.
    loss, grad, params = _smooth_problem()
    for method in ("central", "richardson", "complex"):
        result = directional_check(loss, grad, params, method=method, rtol=0.0)
        assert result.passed, str(result)
        assert (result.error > 0).all() and (result.error < 1e-7).all()
        wrong = [(1 + 1e-6) * g for g in grad]
        assert not directional_check(loss, wrong, params, method=method, rtol=0.0).passed


def test_directional_result_reports_its_numbers():
    loss, grad, params = _smooth_problem()
    result = directional_check(loss, grad, params, n_directions=2, seed=7, method="complex")
    # The directional derivative by hand: the same seeded unit directions, <grad, v>.
    rng = np.random.default_rng(7)
    for i in range(2):
        v = [rng.standard_normal(p.shape) for p in params]
        norm = np.sqrt(sum(float((d * d).sum()) for d in v))
        expected = sum(float((g * d / norm).sum()) for g, d in zip(grad, v))
        assert result.analytic[i] == pytest.approx(expected, rel=1e-14)
        assert result.numeric[i] == pytest.approx(expected, rel=1e-13)
    assert result.rtol == 1e-10 and result.method == "complex"
    text = str(result)
    assert text.startswith("directional check (complex, rtol 1.0e-10): passed")
    assert text.count(": ok") == 2


# -- kinks: the black-box heuristic ---------------------------------------------------------------


def _kinked(jump, offset=0.0):
    """x + jump max(x, 0) + offset: a slope jump of ``jump`` (relative to 1) at 0."""
    return lambda p: offset + np.sum(p[0] + jump * np.maximum(p[0], 0))


@pytest.mark.parametrize("method", ["central", "richardson"])
def test_a_slope_jump_well_above_the_differences_accuracy_is_a_kink(method):
    # A jump of 1e-3 in the slope: 100 times the relative accuracy of a central difference
    # (eps^(1/3) ~ 6e-6 with its truncation), so the one-sided slopes really disagree.
    result = numerical_gradient(_kinked(1e-3), [np.array([0.0, 0.5])], method=method)
    assert result.kink[0].tolist() == [True, False]


@pytest.mark.parametrize("method", ["central", "richardson"])
def test_a_slope_jump_below_the_differences_accuracy_is_not_a_kink(method):
    # 1e-8: within what truncation and rounding can explain; flagging it would excuse nothing
    # real (the estimate is good to 1e-8 anyway).
    result = numerical_gradient(_kinked(1e-8), [np.array([0.0, 0.5])], method=method)
    assert not result.kink[0].any()
    assert result.gradient[0][0] == pytest.approx(1.0, rel=1e-7)


def test_rounding_of_a_large_loss_is_not_taken_for_a_kink():
    # A smooth loss of size 1e6 with slope O(1): its values carry rounding of 1e6 eps = 2e-10,
    # so the one-sided slopes differ by ~1e-4 from rounding alone: no kink.
    result = numerical_gradient(
        lambda p: 1e6 + np.sum(np.sin(p[0])), [np.linspace(-1, 1, 9)], method="central"
    )
    assert not result.kink[0].any()
    # A real jump of slope 1 on the same loss still shows above that rounding.
    result = numerical_gradient(_kinked(1.0, offset=1e6), [np.array([0.0])], method="central")
    assert result.kink[0].tolist() == [True]


# -- kinks: recognising kinked activations ---------------------------------------------------------


def _activation(function):
    return Activation("probe", function, lambda z, a: np.ones_like(z))


@pytest.mark.parametrize(
    ("function", "kinked"),
    [
        (lambda z: np.where(z > 0, 1.001 * z, z), True),  # a slope jump of 1e-3
        (lambda z: np.abs(z), True),
        (lambda z: np.where(z > 0, (1 + 1e-10) * z, z), False),  # 1e-10: rounding's size
        (lambda z: 1e3 * np.tanh(z), False),  # steep and curved but smooth
        (lambda z: np.exp(3 * z), False),
        (lambda z: np.where(z > 0, 1e3 * z, 1e3 * (1 + 1e-5) * z), True),  # relative 1e-5 of 1e3
        (lambda z: np.maximum(z + 1.0, 0), False),  # its kink is at -1, not at 0
        # The threshold is 1e-6 of the slope, and of 1 for slopes under 1: both sides of it.
        (lambda z: np.where(z > 0, (1 + 1.5e-6) * z, z), True),
        (lambda z: np.where(z > 0, (1 + 0.5e-6) * z, z), False),
        (lambda z: np.where(z > 0, 1e-3 * (1 + 1.5e-3) * z, 1e-3 * z), True),  # jump 1.5e-6
        (lambda z: np.where(z > 0, 1e-3 * (1 + 0.5e-3) * z, 1e-3 * z), False),  # jump 0.5e-6
        (lambda z: np.where(z > 0, 1e3 * (1 + 1.5e-6) * z, 1e3 * z), True),
        (lambda z: np.where(z > 0, 1e3 * (1 + 0.5e-6) * z, 1e3 * z), False),
    ],
)
def test_kinked_at_zero_on_both_sides_of_its_threshold(function, kinked):
    assert kinked_at_zero(_activation(function)) is kinked


def test_kinked_at_zero_answers_no_for_what_it_cannot_judge():
    assert kinked_at_zero(_activation(lambda z: z.sum(axis=-1))) is False  # wrong shape
    assert kinked_at_zero(_activation(lambda z: np.abs(z).sum(axis=-1))) is False  # even kinked
    assert kinked_at_zero(_activation(lambda z: np.log(z))) is False  # not finite at 0


def test_directional_allowance_covers_the_rounding_of_a_cancelling_inner_product():
    # A linear loss at 0 whose 200 coefficients of size 1e8 largely cancel along each direction:
    # <grad, v> carries the rounding of its terms (eps times their absolute sum, ~1e-7 here),
    # more than the finite difference's own estimate (relative to the smaller result). A correct
    # gradient passes with rtol 0 on the allowance alone.
    c = np.random.default_rng(0).standard_normal(200) * 1e8
    for method in ("central", "richardson", "complex"):
        result = directional_check(
            lambda p: np.sum(c * p[0]), [c], [np.zeros(200)], method=method, rtol=0.0
        )
        assert result.passed, str(result)


def test_directional_check_of_a_flat_loss_and_a_zero_gradient():
    result = directional_check(lambda p: 0.0 * np.sum(p[0]), [np.zeros(3)], [np.ones(3)], rtol=0.0)
    assert result.passed and result.relative_error.tolist() == [0.0, 0.0, 0.0]


def test_half_precision_parameters_take_the_float32_tolerances():
    p = [np.ones(3, dtype=np.float16)]
    result = directional_check(lambda q: np.sum(q[0] ** 2), [2.0 * p[0]], p)
    assert result.rtol == 3e-2 and result.passed


def test_directional_result_text_for_each_verdict():
    from verify.core.finite_differences import DirectionalResult

    result = DirectionalResult(
        analytic=np.array([1.0, 2.0, 3.0]),
        numeric=np.array([1.0, 2.5, 3.5]),
        error=np.array([1e-9, 1e-9, 1e-9]),
        relative_error=np.array([0.0, 0.2, 1 / 7]),
        kink=np.array([False, True, False]),
        agrees=np.array([True, False, False]),
        rtol=1e-6,
        method="central",
    )
    assert not result.passed  # direction 2 neither agrees nor crossed a kink
    assert str(result).splitlines() == [
        "directional check (central, rtol 1.0e-06): FAILED",
        "  direction 0: <grad, v> = 1, finite difference 1 (+/- 1e-09), relative error "
        "0.00e+00: ok",
        "  direction 1: <grad, v> = 2, finite difference 2.5 (+/- 1e-09), relative error "
        "2.00e-01: kink",
        "  direction 2: <grad, v> = 3, finite difference 3.5 (+/- 1e-09), relative error "
        "1.43e-01: MISMATCH",
    ]
    kinked = DirectionalResult(**{**result.__dict__, "agrees": np.array([True, False, True])})
    assert kinked.passed and str(kinked).startswith(
        "directional check (central, rtol 1.0e-06): passed"
    )
