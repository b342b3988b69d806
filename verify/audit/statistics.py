"""The uncertainty of the experiments' figures: every rate with its confidence interval.

A rate measured over n independent seeds (the fraction of initialisations that learn XOR, say) is a
binomial proportion. ``Rate`` holds the count, the number of seeds and the Wilson score interval
(``wilson_interval``), computed, never typed; ``seeds_for_half_width`` is the number of seeds that
guarantees an interval no wider than asked, whatever the rate; ``sign_test`` compares two per-seed
figures; ``round_significant`` keeps a figure to the digits that do not depend on the machine.

Examples
--------
>>> rate = Rate(1713, 2500)
>>> rate.text()
'68.5% (1,713 of 2,500; 95% CI 66.7-70.3%)'
>>> seeds_for_half_width(0.02)
2401
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

__all__ = [
    "CONFIDENCE",
    "Rate",
    "round_significant",
    "seeds_for_half_width",
    "sign_test",
    "wilson_interval",
]

# Every interval of the report is a 95% interval.
CONFIDENCE = 0.95


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"`confidence` must be in (0, 1), got {confidence!r}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(successes: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion ``successes / n``.

    Unlike the normal approximation p +- z sqrt(p(1 - p)/n) it stays inside [0, 1] and does not
    collapse to a point when no seed (or every seed) succeeds.

    Examples
    --------
    >>> low, high = wilson_interval(0, 20)
    >>> low, round(high, 3)
    (0.0, 0.161)
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"`n` must be a positive int, got {n!r}")
    if not isinstance(successes, (int, np.integer)) or not 0 <= successes <= n:
        raise ValueError(f"`successes` must be an int in 0..n = {n}, got {successes!r}")
    z = _z(confidence)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # At 0 and n the bound is exactly 0 (1); rounding must not move it off.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def seeds_for_half_width(half_width: float, confidence: float = CONFIDENCE) -> int:
    """The number of seeds whose interval has at most ``half_width`` on each side at any rate.

    The widest case is a rate of 1/2, where the half-width is z / (2 sqrt(n)) (the Wilson interval
    is never wider than that).
    """
    if not 0 < half_width < 0.5:
        raise ValueError(f"`half_width` must be in (0, 0.5), got {half_width!r}")
    return math.ceil((_z(confidence) / (2 * half_width)) ** 2)


@dataclass(frozen=True)
class Rate:
    """A fraction of seeds with its Wilson interval.

    Attributes
    ----------
    successes, n : int
    confidence : float
    """

    successes: int
    n: int
    confidence: float = CONFIDENCE

    def __post_init__(self):
        wilson_interval(self.successes, self.n, self.confidence)  # validates

    @classmethod
    def of(cls, outcomes) -> Rate:
        """The rate of True among ``outcomes`` (one bool per seed)."""
        outcomes = np.asarray(outcomes, dtype=bool).ravel()
        return cls(int(outcomes.sum()), int(outcomes.size))

    @property
    def value(self) -> float:
        return self.successes / self.n

    @property
    def interval(self) -> tuple[float, float]:
        return wilson_interval(self.successes, self.n, self.confidence)

    @property
    def low(self) -> float:
        return self.interval[0]

    @property
    def high(self) -> float:
        return self.interval[1]

    def text(self, digits: int = 1) -> str:
        """``"68.5% (1,713 of 2,500; 95% CI 66.7-70.3%)"``."""
        low, high = (f"{100 * v:.{digits}f}" for v in self.interval)
        return (
            f"{100 * self.value:.{digits}f}% ({self.successes:,} of {self.n:,}; "
            f"{100 * self.confidence:.0f}% CI {low}-{high}%)"
        )

    def to_dict(self) -> dict:
        return {
            "successes": self.successes,
            "n": self.n,
            "rate": self.value,
            "low": self.low,
            "high": self.high,
            "confidence": self.confidence,
            "method": "Wilson score",
        }


def sign_test(first: np.ndarray, second: np.ndarray) -> Rate:
    """Paired comparison of two per-seed figures (steps to a threshold, lower is better): among
    the seeds where they differ, the rate at which ``first`` is lower."""
    first, second = np.asarray(first, float), np.asarray(second, float)
    if first.shape != second.shape or first.ndim != 1 or first.size == 0:
        raise ValueError(
            f"`first` and `second` must be non-empty 1-d arrays of one shape, got {first.shape} "
            f"and {second.shape}"
        )
    differ = first != second
    if not differ.any():
        raise ValueError("`first` and `second` must differ for at least one seed, got equal arrays")
    return Rate(int((first < second)[differ].sum()), int(differ.sum()))


def round_significant(value: float, digits: int) -> float:
    """``value`` rounded to ``digits`` significant digits (infinities and 0 as they are).

    Examples
    --------
    >>> round_significant(209.5, 2), round_significant(72.5, 2), round_significant(1108, 2)
    (210.0, 72.0, 1100.0)
    """
    if not isinstance(digits, int) or digits < 1:
        raise ValueError(f"`digits` must be a positive int, got {digits!r}")
    if value == 0 or not math.isfinite(value):
        return float(value)
    return float(round(value, digits - 1 - math.floor(math.log10(abs(value)))))
