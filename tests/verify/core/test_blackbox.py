"""The black-box reference: the loss's measured precision, the complex-step test, refinement
beside kinks and jumps, and the entries it cannot resolve."""

from __future__ import annotations

import numpy as np
import pytest

from verify.core.blackbox import (
    RESOLUTION,
    blackbox_gradient,
    complex_step_valid,
    measure_precision,
)

EPS64 = float(np.finfo(np.float64).eps)
EPS32 = float(np.finfo(np.float32).eps)


def reference(loss, x, method="richardson", step=None):
    """``blackbox_gradient`` of ``loss(x)`` for one array x."""
    leaves = [np.array(x, dtype=np.float64)]

    def evaluate(values):
        with np.errstate(all="ignore"):
            return float(loss(values[0]))

    precision = measure_precision(evaluate, leaves, evaluate(leaves))
    return blackbox_gradient(evaluate, leaves, precision, method=method, step=step), precision


def test_a_float64_loss_is_float64_precise_and_a_float32_one_is_not():
    x = [np.linspace(-1, 1, 5)]

    def float64(v):
        return float(np.sum(np.sin(v[0])) + 2.0)

    def float32(v):  # computes in float32, returns a Python float
        return float(np.sum(np.sin(v[0].astype(np.float32))) + np.float32(2.0))

    precise = measure_precision(float64, x, float64(x))
    assert precise.relative == pytest.approx(16 * EPS64) and not precise.stochastic
    rough = measure_precision(float32, x, float32(x))
    # measured, not told: about float32's rounding of a loss of size 2, times the safety factor
    assert EPS32 / 10 < rough.relative < 10 * EPS32 and rough.dtype is None
    told = measure_precision(float64, x, float64(x), returned_dtype=np.dtype(np.float32))
    assert told.relative >= EPS32 and told.dtype == "float32"
    assert "float32" in told.describe()


def test_a_stochastic_loss_is_noticed_and_its_noise_measured():
    rng = np.random.default_rng(0)

    def noisy(v):
        return float(np.sum(v[0] ** 2) + 1e-4 * rng.standard_normal())

    precision = measure_precision(noisy, [np.ones(3)], noisy([np.ones(3)]))
    assert precision.stochastic and "random" in precision.describe()
    assert 3e-5 < precision.noise < 3e-4  # the noise's standard deviation, 1e-4


def test_complex_steps_only_for_a_precise_analytic_loss():
    x = [np.array([1.0, 2.0])]

    def check(loss):
        def real(v):
            return float(np.real(loss(v[0])))

        def complex_(v):
            return loss(v[0])

        precision = measure_precision(real, x, real(x))
        return complex_step_valid(real, complex_, x, precision)

    assert check(lambda v: np.sum(np.exp(v) * v)) == (True, "")
    # A small non-analytic loss: the old test compared against an absolute floor of 1.
    valid, why = check(lambda v: 1e-6 * np.sum(v * np.real(v)))
    assert not valid and "not analytic" in why
    valid, why = check(lambda v: np.sum(np.abs(v) ** 2))
    assert not valid
    valid, why = check(lambda v: float(np.sum(v)))  # refuses complex input
    assert not valid and "refuses complex input" in why
    valid, why = check(lambda v: np.sum(v.astype(np.complex64) ** 2))
    assert not valid
    valid, why = check(lambda v: np.maximum(v[0] - 1.0, 0) + v[1])  # a kink at x itself
    assert not valid


@pytest.mark.parametrize("method", ["central", "richardson"])
def test_a_kink_at_x_gives_the_interval_of_its_one_sided_derivatives(method):
    fd, _ = reference(lambda v: np.maximum(v, 0).sum() + 0.5 * v[1] ** 2, [0.0, 1.0], method)
    assert fd.kink[0].tolist() == [True, False] and fd.resolved[0].all()
    low = fd.gradient[0][0] - fd.halfwidth[0][0]
    high = fd.gradient[0][0] + fd.halfwidth[0][0]
    assert low == pytest.approx(0.0, abs=1e-6) and high == pytest.approx(1.0, rel=1e-6)
    assert fd.gradient[0][1] == pytest.approx(2.0, rel=1e-8)


@pytest.mark.parametrize("offset", [1e-7, 1e-5, 3e-4, -2e-3])
def test_an_entry_near_a_kink_is_resolved_beside_it(offset):
    # relu at x = offset: the first stencil straddles the kink; shorter ones do not.
    fd, _ = reference(lambda v: np.maximum(v, 0).sum(), [offset])
    assert not fd.kink[0][0] and fd.resolved[0][0]
    assert fd.gradient[0][0] == pytest.approx(1.0 if offset > 0 else 0.0, abs=1e-6)


def test_an_entry_closer_to_a_kink_than_the_resolution_is_on_it():
    # 1e-9 from the kink, both one-sided derivatives are stable to RESOLUTION at every step
    # tried: the entry is on the kink (gradcheck then checks the gradient beside it).
    fd, _ = reference(lambda v: np.maximum(v, 0).sum(), [1e-9])
    assert fd.kink[0][0] and fd.resolved[0][0]
    middle, half = fd.gradient[0][0], fd.halfwidth[0][0]
    assert (middle - half, middle + half) == pytest.approx((0.0, 1.0), abs=1e-4)


def test_a_jump_within_reach_is_stepped_around():
    # the mod: x is 2.3e-4 below a jump of the loss; Richardson's 4h reached it
    fd, _ = reference(lambda v: np.sum(np.mod(v, 0.70718474)), [2.1213203435596424])
    assert fd.resolved[0][0] and fd.gradient[0][0] == pytest.approx(1.0, rel=1e-8)


def test_no_kink_at_a_smooth_stationary_point():
    # sin(8x) at pi/16: slope 0, one-sided slopes differ by h^3 f''''/2 only
    fd, _ = reference(lambda v: np.sum(np.sin(8 * v)), [np.pi / 16, 0.3])
    assert not fd.kink[0].any() and fd.resolved[0].all()
    assert fd.gradient[0] == pytest.approx([0.0, 8 * np.cos(2.4)], abs=1e-8)


def test_a_jump_at_x_or_a_noisy_loss_is_unresolved_and_says_why():
    fd, _ = reference(lambda v: np.sum(np.floor(v) + 0.5 * v), [1.0])  # jumps at x
    assert not fd.resolved[0][0] and fd.notes
    rng = np.random.default_rng(0)
    fd, precision = reference(lambda v: np.sum(v**2) + 1e-3 * rng.standard_normal(), [0.5, 1.0])
    assert not fd.resolved[0].any() and precision.stochastic
    assert any("random" in note for note in fd.notes)
    ratio = fd.relative_uncertainty()[0]
    assert (ratio > RESOLUTION).all()


def test_a_nonfinite_loss_nearby_is_unresolved():
    # NaN beyond 0.5: entry 0, 1e-14 below it, cannot be stepped on both sides
    fd, _ = reference(lambda v: np.sum(np.where(v < 0.5, v**2, np.nan)), [0.5 - 1e-14, 0.2])
    assert fd.resolved[0].tolist() == [False, True]
    assert np.isinf(fd.error[0][0]) and fd.gradient[0][1] == pytest.approx(0.4)
    assert "not finite" in " ".join(fd.notes)


def test_a_given_step_is_used_as_is():
    fd, _ = reference(lambda v: np.sum(v**3), [1.0, 2.0], step=1e-2)
    assert (fd.step[0] == 1e-2).all()
    assert fd.gradient[0] == pytest.approx([3.0, 12.0], rel=1e-9)
    fd, _ = reference(lambda v: np.maximum(v, 0).sum(), [1e-3], step=1e-2)  # straddles it
    assert not fd.resolved[0][0] and "smaller `step`" in " ".join(fd.notes)
