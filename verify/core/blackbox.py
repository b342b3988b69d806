"""The finite-difference reference of a black-box loss, which knows when it cannot tell.

``gradcheck`` compares a user's gradient with finite differences of the user's loss. A loss is
not always computed to float64's precision (float32 inside, noise from sampling), its
derivative may not exist where it is asked for (a kink, a jump), and a finite difference may
straddle such a point nearby. This module measures each of these and says how far its estimate
can be trusted, entry by entry, instead of assuming float64 rounding and a smooth loss.

Precision of the loss (``measure_precision``)
    The loss is evaluated again at the same point (a different value: a stochastic loss) and at
    eight points a tiny step apart along a random direction, forward of x. Its k-th
    differences there remove the smooth part and leave the noise, whose size they estimate (Moré
    and Wild's ECnoise, ``gamma_k = (k!)^2 / (2k)!``). The noise assumed in every error bound is
    three times the measured one, and at least 16 units of float64 rounding of the loss (or of the
    dtype the loss returned, float32 say).
Steps
    Richardson's h = rho^(1/5) max(1, |x|) (central differences: rho^(1/3)), rho the loss's
    relative precision, so a float32 or noisy loss gets proportionally longer steps. ``step``
    overrides it.
Error of an entry
    The larger of twice the distance between the sixth- and fourth-order Richardson levels (the
    truncation of a smooth loss, and whatever jumps inside the stencil) and the distance between
    the sixth-order level and the central difference at 2h (a loss whose second derivative jumps
    nearby has odd powers of h in its error, which extrapolation does not cancel), plus the noise
    carried through the formula (1.65 sigma / h).
Kinks: checked beside them
    An entry is flagged when its one-sided slopes on the two sides of x disagree by more than
    their noise and more than matters to the comparison (``RESOLUTION / 10`` of the gradient's
    scale), so a smooth stationary point, where one-sided slopes differ by h^3 f''''/2 only, is
    not a kink. A flagged entry, or one whose error is still too large, is refined: its stencil
    shrinks eightfold at a time (grows, when the loss's noise dominates) until it no longer
    reaches the kink or jump, which is the derivative at x itself. When the flag stays at every
    step down to the noise, x sits on the kink: the one-sided derivatives are estimated beside
    it, and the reference becomes the interval between them (any value there is a valid
    gradient convention). If a side cannot be estimated (a jump in value), the entry stays
    unresolved.

``BlackBoxGradient`` holds per entry the estimate, its error, the kink interval and whether the
entry is resolved; an entry whose error exceeds ``RESOLUTION`` of the gradient's scale is not:
there a comparison cannot separate a right gradient from a slightly wrong one.

Complex steps (``complex_step_valid``) are used only for a loss that is deterministic and
float64-precise, accepts complex input, returns complex128 whose real part is the loss, and whose
complex-step slope along a random direction matches a precise Richardson slope relative to the
slope itself (never to an absolute floor, so a small non-analytic loss is refused).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from verify.core.complex_step import COMPLEX_STEP

__all__ = [
    "RESOLUTION",
    "BlackBoxGradient",
    "Precision",
    "blackbox_gradient",
    "complex_step_valid",
    "measure_precision",
]

# An entry whose reference is uncertain by more than this fraction of the gradient's scale cannot
# separate a right gradient from one off by a little: such entries are "inconclusive".
RESOLUTION = 1e-3
# Refinement aims ten times tighter, and flags kinks whose jump reaches this fraction too.
_GOAL = RESOLUTION / 10
_LAYER_FLOOR = 1e-3  # as verify.core.compare.LAYER_FLOOR: the scale floor of a small leaf
_NOISE_SAFETY = 3  # the noise assumed is this many times the measured one
_ROUNDING_ULPS = 16  # ... and at least this many units of rounding of the loss
_SHRINK = 8  # each refinement level divides (or multiplies) the step by this
_MAX_LEVELS = 8
_MAX_STEP = 0.5  # relative to max(1, |x|): a longer stencil measures another point
_MULTIPLES = {"central": (1, -1, 2, -2), "richardson": (1, -1, 2, -2, 4, -4)}
_EXPONENT = {"central": 1 / 3, "richardson": 1 / 5}
# The noise carried into each estimate: sum of |coefficients| of the loss values, times sigma/h.
_NOISE_GAIN = {"central": 1.0, "richardson": 74.25 / 45}
_ECNOISE_POINTS = 8
# Forward of x only: a kink at x sits at the end of the points, where differences cannot see it.
_ECNOISE_OFFSETS = tuple(range(_ECNOISE_POINTS))
_ECNOISE_STEPS = (1e-6, 1e-4, 1e-2)


@dataclass(frozen=True)
class Precision:
    """How precisely the loss is computed near the parameters.

    Attributes
    ----------
    value : float
        The loss at the parameters.
    noise : float
        The measured noise (standard deviation of its error), absolute.
    sigma : float
        The noise assumed in error bounds: ``_NOISE_SAFETY`` times ``noise``, at least 16 units of
        rounding of the loss in float64 or in the dtype it returned.
    scale : float
        The largest |loss| seen while measuring.
    relative : float
        sigma / scale (float64's eps when the loss is 0 throughout).
    stochastic : bool
        The loss gave different values at the same point.
    dtype : str or None
        The dtype of the returned value when it is less precise than float64.
    evaluations : int
    probe : (direction, delta, values) or None
        The loss at x + i delta direction, i = 0..7, for the first delta that showed its noise:
        a directional derivative for the complex-step test, at no further cost.
    """

    value: float
    noise: float
    sigma: float
    scale: float
    relative: float
    stochastic: bool
    dtype: str | None
    evaluations: int
    probe: tuple | None = field(default=None, repr=False, compare=False)

    def describe(self) -> str:
        """One clause: ``"the loss is computed to about 6e-08 of its value (float32)"``."""
        parts = [f"the loss is computed to about {self.relative:.1g} of its value"]
        if self.dtype is not None:
            parts.append(f"it returns {self.dtype}")
        if self.stochastic:
            parts.append("it changes between calls at the same point (it is random)")
        return "; ".join(parts)

    def to_dict(self) -> dict:
        return {
            "relative": float(f"{self.relative:.3g}"),
            "stochastic": self.stochastic,
            "dtype": self.dtype,
        }


def _eps(dtype) -> float:
    return float(np.finfo(np.dtype(dtype)).eps)


def measure_precision(
    evaluate: Callable,
    leaves: list[np.ndarray],
    f0: float,
    *,
    seed: int = 0,
    returned_dtype=None,
) -> Precision:
    """How precisely ``evaluate(leaves) -> float`` is computed near ``leaves`` (see the module)."""
    rng = np.random.default_rng(seed)
    direction = _direction(rng, leaves)
    evaluations = 0
    repeats = [f0, evaluate(leaves)]
    evaluations += 1
    stochastic = repeats[1] != f0
    repeat_noise = float(np.std(repeats, ddof=1)) if stochastic else 0.0
    scale = max(abs(v) for v in repeats)
    measured, probe, flat = None, None, 0
    for delta in _ECNOISE_STEPS:
        values = []
        for i in _ECNOISE_OFFSETS:
            point = [x + (i * delta) * d for x, d in zip(leaves, direction)]
            values.append(f0 if i == 0 else evaluate(point))
            evaluations += i != 0
        values = np.array(values, dtype=np.float64)
        if not np.isfinite(values).all():
            continue
        scale = max(scale, float(np.abs(values).max()))
        distinct = len(set(values.tolist()))
        if distinct == 1:
            flat += 1
            if flat == 2:  # constant along the direction at two steps: no noise to see
                measured = 0.0
                break
            continue
        if distinct < _ECNOISE_POINTS // 2:
            continue  # the loss is quantized at this step: a longer one shows its noise
        probe = probe or (direction, delta, values)
        measured, accepted = _ecnoise(values)
        if accepted:
            break
    noise = max(measured or 0.0, repeat_noise)
    floor = _ROUNDING_ULPS * _eps(np.float64)
    dtype_name = None
    if returned_dtype is not None and np.issubdtype(returned_dtype, np.floating):
        if _eps(returned_dtype) > _eps(np.float64):  # its value is rounded to that dtype at least
            floor = max(floor, _eps(returned_dtype))
            dtype_name = np.dtype(returned_dtype).name
    sigma = max(_NOISE_SAFETY * noise, floor * scale)
    relative = sigma / scale if scale > 0 else _eps(np.float64)
    return Precision(
        value=float(f0),
        noise=noise,
        sigma=sigma,
        scale=scale,
        relative=min(max(relative, _eps(np.float64)), 1.0),
        stochastic=stochastic,
        dtype=dtype_name,
        evaluations=evaluations,
        probe=probe,
    )


def _ecnoise(values: np.ndarray) -> tuple[float, bool]:
    """The noise of equally spaced values from their k-th differences, and whether a level k was
    accepted (the differences change sign and three consecutive levels agree within 4x); when
    none is, the smallest level's estimate, an upper bound of the noise."""
    sigmas, signs = [], []
    differences = values.copy()
    for k in range(1, 7):
        differences = np.diff(differences)
        gamma = math.factorial(k) ** 2 / math.factorial(2 * k)
        sigmas.append(math.sqrt(gamma * float(np.mean(differences**2))))
        signs.append(bool(differences.max() > 0 > differences.min()))
    for k in range(4):
        window = sigmas[k : k + 3]
        if signs[k] and max(window) <= 4 * min(window):
            return sigmas[k], True
    return min(sigmas), False


def _direction(rng, leaves) -> list[np.ndarray]:
    """A random direction of unit norm, each entry scaled by max(1, |x|)."""
    raw = [rng.standard_normal(np.shape(x)) for x in leaves]
    norm = math.sqrt(sum(float(np.sum(r * r)) for r in raw)) or 1.0
    return [r / norm * np.maximum(1.0, np.abs(x)) for r, x in zip(raw, leaves)]


# -- complex steps ------------------------------------------------------------------------------


def complex_step_valid(
    evaluate: Callable,
    evaluate_complex: Callable,
    leaves: list[np.ndarray],
    precision: Precision,
    *,
    seed: int = 0,
) -> tuple[bool, str]:
    """Whether complex-step derivatives of the loss can be trusted, and why not when not.

    ``evaluate_complex(leaves) -> value`` gets complex128 leaves and returns what the loss did.
    """
    if precision.stochastic or precision.dtype is not None:
        return False, "the loss is not deterministic and float64-precise"
    if precision.relative > 1e3 * _ROUNDING_ULPS * _eps(np.float64):
        return False, "the loss is not computed to float64 precision"
    if precision.probe is not None and precision.probe[1] <= _ECNOISE_STEPS[0]:
        direction = precision.probe[0]
    else:
        direction = _direction(np.random.default_rng(seed), leaves)
    complex_warning = getattr(np, "exceptions", np).ComplexWarning
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", complex_warning)  # an imaginary part dropped
            value = evaluate_complex([x + 1j * COMPLEX_STEP * d for x, d in zip(leaves, direction)])
    except Exception as err:  # complex input refused somewhere: real differences instead
        return False, f"the loss refuses complex input ({type(err).__name__})"
    array = np.asarray(value)
    if array.size != 1 or array.dtype != np.complex128 or not np.isfinite(array).all():
        return False, "the loss does not return a complex128 scalar for complex input"
    value = complex(array.reshape(()))
    slope = value.imag / COMPLEX_STEP
    if abs(value.real - precision.value) > 1e-8 * precision.scale:
        return False, "the real part of the loss at complex input is not the loss"
    probed = precision.probe is not None and direction is precision.probe[0]
    estimate, error = (0.0, math.inf)
    if probed:
        _, delta, _ = precision.probe
        behind = [
            evaluate([x - (k * delta) * d for x, d in zip(leaves, direction)]) for k in (1, 2)
        ]
        estimate, error = _probe_slope(precision, behind)
    size = max(abs(estimate), abs(slope), 1e-9 * precision.scale)
    if not error <= 1e-6 * size:  # the probe's forward differences are not precise enough here
        h = 1.1 * _eps(np.float64) ** (1 / 5)
        values = {
            k: evaluate([x + (k * h) * d for x, d in zip(leaves, direction)])
            for k in _MULTIPLES["richardson"]
        }
        if not all(math.isfinite(v) for v in values.values()):
            return False, "the loss is not finite near the parameters"
        estimate, truncation = _richardson_from(values, h)
        error = truncation + _NOISE_GAIN["richardson"] * precision.sigma / h
        size = max(abs(estimate), abs(slope), 1e-9 * precision.scale)
    if error > 1e-6 * size:
        return False, "real differences along a random direction are not precise enough to test it"
    if abs(slope - estimate) > 1e-6 * size + 2 * error:
        return False, "the complex-step slope disagrees with real differences (not analytic)"
    return True, ""


def _probe_slope(precision: Precision, behind: list[float]) -> tuple[float, float]:
    """The directional derivative at x from the probe's points and two behind x (at -delta and
    -2 delta), and its error: the fourth-order central formula, its distance to the second-order
    one, and the noise carried. Central, so that a kink at x (where a complex step sees one side
    only) shows."""
    _, delta, values = precision.probe
    f = dict(zip(_ECNOISE_OFFSETS, values))
    f[-1], f[-2] = behind
    second = (f[1] - f[-1]) / (2 * delta)
    fourth = (f[-2] - 8 * f[-1] + 8 * f[1] - f[2]) / (12 * delta)
    return fourth, 2 * abs(fourth - second) + 1.5 * precision.sigma / delta


def _richardson_from(values: dict, h: float) -> tuple[float, float]:
    d = {k: (values[k] - values[-k]) / (2 * k * h) for k in (1, 2, 4)}
    r1 = (4 * d[1] - d[2]) / 3
    r2 = (64 * d[1] - 20 * d[2] + d[4]) / 45
    return r2, 2 * abs(r2 - r1)


# -- the gradient -------------------------------------------------------------------------------


@dataclass
class BlackBoxGradient:
    """A finite-difference gradient with, per entry, its error and what the loss does there.

    Every list holds one float64 (or bool) array per leaf, shaped like it.

    Attributes
    ----------
    gradient : list of ndarray
        The estimate (the kink interval's midpoint at a kink; 0 where no estimate exists).
    error : list of ndarray
        The estimate's error (inf where none exists), kink half-widths excluded.
    halfwidth : list of ndarray
        Half the kink interval, 0 elsewhere.
    kink : list of ndarray of bool
        The loss has a kink at the parameters there: its one-sided derivatives differ.
    resolved : list of ndarray of bool
        The error is within ``RESOLUTION`` of the gradient's scale.
    step : list of ndarray
        The step each entry's estimate came from.
    method : str
    precision : Precision
    evaluations : int
    notes : list of str
        Why entries are unresolved, one phrase per cause.
    point : list of ndarray
        The parameters' leaves (float64) where the gradient was estimated.
    beside : BlackBoxGradient or None
        The reference beside a kink of the loss at ``point``, where gradcheck checked too.
    """

    gradient: list
    error: list
    halfwidth: list
    kink: list
    resolved: list
    step: list
    method: str
    precision: Precision
    evaluations: int
    notes: list = field(default_factory=list)
    point: list = field(default_factory=list)
    beside: BlackBoxGradient | None = None

    def relative_uncertainty(self) -> list[np.ndarray]:
        """Per entry, the error over the scale it is judged against (max(|estimate|, the leaf's
        floored RMS, as ``verify.core.compare`` judges it))."""
        scales = _scales(self.gradient)
        out = []
        for gradient, error, scale in zip(self.gradient, self.error, scales):
            with np.errstate(invalid="ignore"):
                out.append(error / np.maximum(np.abs(gradient), scale))
        return out


@dataclass
class _Level:
    estimate: float
    truncation: float
    noise: float
    jump: float
    flagged: bool
    finite: bool
    h: float
    values: dict

    @property
    def error(self) -> float:
        # A kink inside the stencil shifts the estimate by up to its jump: that is error too, even
        # for a jump too small (or too noisy) to be flagged.
        return max(self.truncation, self.jump) + self.noise if self.finite else math.inf


def blackbox_gradient(
    evaluate: Callable,
    leaves: list[np.ndarray],
    precision: Precision,
    *,
    method: str = "richardson",
    step: float | None = None,
    evaluate_complex: Callable | None = None,
) -> BlackBoxGradient:
    """Finite-difference gradient of ``evaluate(leaves) -> float`` at ``leaves`` (see the module).

    ``leaves`` are float64 arrays; ``evaluate`` gets copies. For ``method="complex"``,
    ``evaluate_complex`` gets complex128 copies and returns the complex loss.
    """
    if method == "complex":
        return _complex_gradient(evaluate_complex, leaves, precision, step)
    engine = _Engine(evaluate, leaves, precision, method, step)
    return engine.run()


def _complex_gradient(evaluate_complex, leaves, precision, step) -> BlackBoxGradient:
    h = COMPLEX_STEP if step is None else step
    work = [x.astype(np.complex128) for x in leaves]
    gradients, errors = [], []
    evaluations = 0
    for x, target in zip(leaves, work):
        flat = target.reshape(-1)
        gradient = np.empty(x.size)
        for e in range(x.size):
            flat[e] = x.flat[e] + 1j * h
            value = np.asarray(evaluate_complex(work))
            evaluations += 1
            if value.size != 1 or not np.iscomplexobj(value):
                raise TypeError(
                    "loss must propagate complex parameters for method='complex' (it returned "
                    f"{value.dtype} of shape {value.shape}); use method='central' or 'richardson'"
                )
            gradient[e] = complex(value.reshape(())).imag / h
            flat[e] = x.flat[e]
        scale = np.maximum(1.0, np.abs(x.ravel()))
        error = (
            _ROUNDING_ULPS * _eps(np.float64) * (np.abs(gradient) + abs(precision.value) / scale)
        )
        bad = ~np.isfinite(gradient)
        gradient[bad], error[bad] = 0.0, np.inf
        gradients.append(gradient.reshape(x.shape))
        errors.append(error.reshape(x.shape))
    zeros = [np.zeros(x.shape) for x in leaves]
    resolved = [np.isfinite(e) for e in errors]
    notes = [] if all(r.all() for r in resolved) else ["the loss is not finite at complex steps"]
    return BlackBoxGradient(
        gradients,
        errors,
        zeros,
        [np.zeros(x.shape, dtype=bool) for x in leaves],
        resolved,
        [np.full(x.shape, h) for x in leaves],
        "complex",
        precision,
        evaluations,
        notes,
    )


class _Engine:
    """Real differences entry by entry, with refinement of the entries that need it."""

    def __init__(self, evaluate, leaves, precision, method, step):
        self.evaluate = evaluate
        self.leaves = leaves
        self.work = [x.copy() for x in leaves]
        self.precision = precision
        self.sigma = precision.sigma
        self.method = method
        self.step = step
        self.evaluations = 0

    def value_at(self, leaf: int, entry: int, offset: float) -> float:
        flat = self.work[leaf].reshape(-1)
        original = flat[entry]
        flat[entry] = original + offset
        try:
            value = self.evaluate(self.work)
        finally:
            flat[entry] = original
        self.evaluations += 1
        return value

    def level(self, leaf: int, entry: int, h: float) -> _Level:
        x = float(self.leaves[leaf].flat[entry])
        values = {}
        for k in _MULTIPLES[self.method]:
            offset = (x + k * h) - x  # exactly representable: the true displacement is k h
            values[k] = self.value_at(leaf, entry, offset)
        return self._level_from(values, h, x)

    def _level_from(self, values: dict, h: float, x: float) -> _Level:
        displacement = {k: (x + k * h) - x for k in values}
        finite = all(math.isfinite(v) for v in values.values())
        if not finite:
            return _Level(0.0, math.inf, math.inf, math.inf, True, False, h, values)
        d = {
            k: (values[k] - values[-k]) / (displacement[k] - displacement[-k])
            for k in (1, 2, 4)
            if k in values
        }
        gain = _NOISE_GAIN[self.method]
        if self.method == "central":
            estimate, truncation = d[1], abs(d[2] - d[1])
        else:
            estimate = (64 * d[1] - 20 * d[2] + d[4]) / 45
            # 2 |r2 - r1| bounds the error of a smooth loss; |r2 - d(2h)| that of a loss whose
            # second derivative jumps nearby (odd powers of h, which extrapolation does not cancel).
            truncation = max(2 * abs(estimate - (4 * d[1] - d[2]) / 3), abs(estimate - d[2]))
        f0 = self.precision.value
        jump = _jump(f0, values[1], values[2], values[-1], values[-2], displacement[1])
        flagged = jump > 16 * self.sigma / h
        if flagged and 4 in values:
            # A smooth loss's one-sided slopes differ by h^3 f''''/2, eight times more at 2h; a
            # kink's jump in slope is the same at every step that reaches it.
            wide = _jump(f0, values[2], values[4], values[-2], values[-4], displacement[2])
            flagged = not wide >= 4 * jump
        return _Level(
            estimate=float(estimate),
            truncation=float(truncation),
            noise=gain * self.sigma / h,
            jump=float(jump),
            flagged=bool(flagged),
            finite=True,
            h=h,
            values=values,
        )

    def base_step(self, x: float) -> float:
        if self.step is not None:
            return self.step
        rho = max(self.precision.relative, _eps(np.float64))
        scale = max(1.0, abs(x))
        return min(rho ** _EXPONENT[self.method], _MAX_STEP / 4) * scale

    def run(self) -> BlackBoxGradient:
        first = []  # per leaf, per entry: the first level
        for leaf, x in enumerate(self.leaves):
            first.append(
                [self.level(leaf, e, self.base_step(float(v))) for e, v in enumerate(x.flat)]
            )
        estimates = [np.array([lv.estimate for lv in levels]) for levels in first]
        scales = _scales(estimates)
        gradient, error, halfwidth, kink, steps, kinds = [], [], [], [], [], []
        for leaf, x in enumerate(self.leaves):
            g, err, half, used = (np.zeros(x.size) for _ in range(4))
            at_kink = np.zeros(x.size, dtype=bool)
            leaf_kinds = []
            for e, level in enumerate(first[leaf]):
                kind, best, sides = self.outcome(leaf, e, level, scales[leaf])
                leaf_kinds.append((kind, best))
                used[e] = best.h
                if kind == "kink":
                    (low, low_error), (high, high_error) = sorted(sides)
                    g[e], half[e] = (low + high) / 2, (high - low) / 2
                    err[e], at_kink[e] = max(low_error, high_error), True
                else:
                    g[e] = best.estimate if best.finite else 0.0
                    err[e] = best.error if best.finite and kind == "smooth" else np.inf
            gradient.append(g.reshape(x.shape))
            error.append(err.reshape(x.shape))
            halfwidth.append(half.reshape(x.shape))
            kink.append(at_kink.reshape(x.shape))
            steps.append(used.reshape(x.shape))
            kinds.append(leaf_kinds)
        # Resolved: judged against the scale of the final estimates, as the comparison judges.
        resolved, causes = [], set()
        for g, err, half, leaf_kinds, scale in zip(
            gradient, error, halfwidth, kinds, _scales(gradient)
        ):
            size = np.maximum(np.abs(g.ravel()) + half.ravel(), scale)
            ok = err.ravel() <= RESOLUTION * size
            causes.update(self.cause(*leaf_kinds[e]) for e in np.flatnonzero(~ok))
            resolved.append(ok.reshape(g.shape))
        return BlackBoxGradient(
            gradient,
            error,
            halfwidth,
            kink,
            resolved,
            steps,
            self.method,
            self.precision,
            self.evaluations,
            sorted(causes),
        )

    def outcome(self, leaf: int, entry: int, level: _Level, scale: float):
        """(kind, level, sides) of one entry, refining it when its first level needs it."""
        size = max(abs(level.estimate), scale) if level.finite else scale
        goal = _GOAL * size
        if level.finite and level.error <= goal and not (level.flagged and level.jump > goal):
            return "smooth", level, None
        if self.step is None:
            return self.refine(leaf, entry, level, scale)
        # The user's step: no other step is tried.
        return ("smooth" if level.finite and not level.flagged else "fixed"), level, None

    def cause(self, kind: str, level: _Level) -> str:
        if not level.finite:
            return "the loss is not finite within the finite-difference steps"
        if kind == "jump":
            return "the loss is not differentiable there (a jump, or a kink that does not stay put)"
        if kind == "fixed":
            return "the loss has a kink or jump within the given step (try a smaller `step`)"
        if level.noise >= level.truncation:
            return self.precision.describe()
        return "finite differences at different steps disagree (a jump or kink within reach)"

    def refine(self, leaf: int, entry: int, first: _Level, scale: float):
        """Shorter (or, for a noisy loss, longer) stencils until the estimate is precise; at a
        kink that stays at every step, the one-sided derivatives beside it.

        Returns (kind, level, sides): "smooth" with the best level, "kink" with the one-sided
        (derivative, error) pairs, or "jump" when neither resolves the entry.
        """
        x = float(self.leaves[leaf].flat[entry])
        limit = _MAX_STEP * max(1.0, abs(x))
        best = None if first.flagged else first
        shrink = first.flagged or not first.finite or first.truncation >= first.noise
        level, flagged = first, [first] if first.flagged else []
        for _ in range(_MAX_LEVELS):
            h = level.h / _SHRINK if shrink else level.h * _SHRINK
            if not shrink and h > limit:
                break
            remaining = min(
                best.error if best is not None else math.inf,
                level.jump / 4 if level.flagged else math.inf,
            )
            if shrink and _NOISE_GAIN[self.method] * self.sigma / h > remaining:
                break  # the noise at a shorter step would exceed what is left to resolve
            level = self.level(leaf, entry, h)
            size = max(abs(level.estimate), scale)
            if level.flagged and level.jump > _GOAL * size:
                if not shrink:
                    break  # a longer stencil reached a kink: it cannot help
                flagged.append(level)
                sides = self.kink_sides(leaf, entry, flagged, scale)
                if sides is not None:
                    return "kink", level, sides
                continue
            if best is None or level.error < best.error:
                best = level
            elif not shrink:
                break  # longer steps stopped helping
            if best.error <= _GOAL * size:
                break
        if best is not None:
            return "smooth", best, None
        return "jump", flagged[-1], None

    def kink_sides(self, leaf: int, entry: int, flagged: list[_Level], scale: float):
        """The one-sided derivatives when the last two flagged levels show a kink at x itself: a
        jump in slope that stays as the step shrinks (a smooth loss's falls as h^3), and on each
        side a derivative that both steps agree on (a kink a little away from x, inside the
        stencil, changes the side that straddles it eightfold from one step to the next)."""
        if len(flagged) < 2 or not flagged[-1].finite or not flagged[-2].finite:
            return None
        if not flagged[-1].jump >= flagged[-2].jump / 2:
            return None
        coarse = self.one_sided(leaf, entry, flagged[-2], scale)
        fine = self.one_sided(leaf, entry, flagged[-1], scale)
        if coarse is None or fine is None:
            return None
        for (d_coarse, e_coarse), (d_fine, e_fine) in zip(coarse, fine):
            size = max(abs(d_coarse), abs(d_fine), scale)
            if abs(d_coarse - d_fine) > e_coarse + e_fine + RESOLUTION * size:
                return None
        return fine

    def one_sided(self, leaf: int, entry: int, level: _Level, scale: float):
        """(derivative, error) from the right and from the left of x, or None when either side
        is not stable (a jump in value makes its slope grow as the step shrinks)."""
        x = float(self.leaves[leaf].flat[entry])
        values = dict(level.values)
        for k in (4, -4):
            if k not in values:
                values[k] = self.value_at(leaf, entry, (x + k * level.h) - x)
        f0 = self.precision.value
        sides = []
        for sign in (1, -1):
            t = {k: ((x + sign * k * level.h) - x) * sign for k in (1, 2, 4)}
            f = {k: values[sign * k] for k in (1, 2, 4)}
            near = (-3 * f0 + 4 * f[1] - f[2]) / (2 * t[1])
            far = (-3 * f0 + 4 * f[2] - f[4]) / (2 * t[2])
            derivative = sign * (4 * near - far) / 3
            error = 2 * abs((4 * near - far) / 3 - near) + 6 * self.sigma / level.h
            if not (
                math.isfinite(derivative) and error <= RESOLUTION * max(abs(derivative), scale)
            ):
                return None
            sides.append((derivative, error))
        return sides


def _jump(f0, plus, plus2, minus, minus2, t) -> float:
    """|right - left| of the second-order one-sided slopes at step t."""
    right = (-3 * f0 + 4 * plus - plus2) / (2 * t)
    left = (3 * f0 - 4 * minus + minus2) / (2 * t)
    return abs(right - left)


def _scales(estimates: list[np.ndarray]) -> list[float]:
    """Each leaf's comparison scale, as verify.core.compare judges it: its RMS, floored."""
    finite = [np.where(np.isfinite(e), e, 0.0) for e in estimates]
    flat = np.concatenate([e.ravel() for e in finite]) if finite else np.zeros(0)
    overall = float(np.sqrt(np.mean(flat**2))) if flat.size else 0.0
    floor = max(_LAYER_FLOOR * overall, np.finfo(np.float64).tiny)
    return [max(float(np.sqrt(np.mean(e**2))) if e.size else 0.0, floor) for e in finite]
