"""The audit's statistics: Wilson intervals, the seeds a precision needs, significant digits."""

from __future__ import annotations

import numpy as np
import pytest

from verify.audit.statistics import (
    Rate,
    round_significant,
    seeds_for_half_width,
    sign_test,
    wilson_interval,
)


@pytest.mark.parametrize(("successes", "n"), [(0, 20), (1, 20), (7, 24), (1713, 2500), (100, 100)])
def test_wilson_interval_matches_scipy(successes, n):
    stats = pytest.importorskip("scipy.stats")
    expected = stats.binomtest(successes, n).proportion_ci(confidence_level=0.95, method="wilson")
    low, high = wilson_interval(successes, n)
    assert low == pytest.approx(expected.low, abs=1e-12)
    assert high == pytest.approx(expected.high, abs=1e-12)
    assert 0.0 <= low <= successes / n <= high <= 1.0


def test_wilson_interval_is_exact_at_the_ends():
    assert wilson_interval(0, 50)[0] == 0.0
    assert wilson_interval(50, 50)[1] == 1.0


def test_wilson_interval_refuses_bad_counts():
    with pytest.raises(ValueError, match=r"`n` must be a positive int, got 0"):
        wilson_interval(0, 0)
    with pytest.raises(ValueError, match=r"`successes` must be an int in 0..n = 5, got 6"):
        wilson_interval(6, 5)
    with pytest.raises(ValueError, match=r"`confidence` must be in \(0, 1\), got 1.5"):
        wilson_interval(1, 5, confidence=1.5)


def test_seeds_for_half_width_bounds_every_rate():
    n = seeds_for_half_width(0.02)
    assert n == 2401  # (1.96 / 0.04)^2, rounded up
    # At that n no rate has a wider interval than +-2 points; one seed fewer does at 1/2.
    widest = max(high - low for low, high in (wilson_interval(k, n) for k in range(n + 1)))
    assert widest / 2 <= 0.02
    low, high = wilson_interval(600, 1200)
    assert (high - low) / 2 > 0.02
    with pytest.raises(ValueError, match=r"`half_width` must be in \(0, 0.5\), got 0"):
        seeds_for_half_width(0)


def test_rate_text_states_the_counts_and_the_interval():
    rate = Rate.of([True] * 17 + [False] * 7)
    assert (rate.successes, rate.n) == (17, 24)
    assert rate.text() == "70.8% (17 of 24; 95% CI 50.8-85.1%)"
    assert rate.low <= rate.value <= rate.high
    assert rate.to_dict()["method"] == "Wilson score"


def test_sign_test_counts_only_seeds_that_differ():
    first = np.array([1.0, 2.0, np.inf, 5.0, 3.0])
    second = np.array([2.0, 2.0, np.inf, 4.0, np.inf])
    rate = sign_test(first, second)
    assert (rate.successes, rate.n) == (2, 3)  # seeds 1 and 5 first; 4 second; 2 and 3 tied
    with pytest.raises(ValueError, match="must differ for at least one seed"):
        sign_test(first, first)
    with pytest.raises(ValueError, match="non-empty 1-d arrays of one shape"):
        sign_test(first, second[:2])


def test_round_significant():
    assert round_significant(209.5, 2) == 210.0
    assert round_significant(0.0012345, 3) == 0.00123
    assert round_significant(float("inf"), 2) == float("inf")
    with pytest.raises(ValueError, match=r"`digits` must be a positive int, got 0"):
        round_significant(1.0, 0)
