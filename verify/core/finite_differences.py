"""Finite-difference gradients that trust nothing but the loss: central, complex-step, Richardson.

Three estimators of dC/dx for every entry x of a model's parameters, each with an error estimate:

``"central"``
    (C(x + h) - C(x - h)) / 2h, second order. Its truncation error h^2 C'''/6 is measured from a
    second evaluation at 2h: D(2h) - D(h) = 3 h^2 C'''/6 + O(h^4), so the estimate costs four
    evaluations per entry.
``"richardson"``
    Central differences at h, 2h and 4h combined to cancel the h^2 and h^4 terms (sixth order);
    the error estimate is the distance to the fourth-order combination. Six evaluations per entry.
``"complex"``
    Im C(x + ih) / h for a loss that accepts complex input and is analytic (holomorphic) in x.
    Nothing is subtracted, so there is no cancellation: exact to rounding with a tiny h. One
    (complex) evaluation per entry.

Choice of step
--------------
Central differences balance truncation (h^2 |C'''| / 6) against rounding of the two loss values
(about eps |C| / h). On a loss that varies on the scale s of the parameter, |C'''| ~ |C| / s^3,
the two balance at h = eps^(1/3) s, both then about eps^(2/3) (4e-11 in float64, 2.4e-5 in
float32). We take s = max(1, |x|): a step relative to |x| for large entries (the perturbation
stays eps^(-2/3) units in the last place of x, so x + h is represented precisely) and an absolute
one near 0, where a parameter has no scale of its own and a network's scale is that of its O(1)
inputs. Richardson's fourth-order level balances h^4 against eps / h at h = eps^(1/5) s
(error eps^(4/5), 3e-13 in float64); at that step the sixth-order level agrees with it to within
rounding, which makes their distance a tight, measured error estimate. Every real step is then
rounded to what the dtype can represent, ``((x + h) - x)``, and that exact displacement is the
denominator. Complex steps are h = eps^2 (5e-32 in float64, 1.4e-14 in float32), not scaled: the
real part is never perturbed, truncation h^2 |C'''| / 6 is eps^4 relative, far below rounding, and
the imaginary parts stay far above the underflow threshold.

Kinks
-----
ReLU-like activations have a kink at 0. When a perturbation moves a pre-activation across it, the
difference quotient mixes the two one-sided slopes (at an exact 0, central differences give their
mean, 0.5 for ReLU) and disagrees with any analytic convention: those entries are reported in
``FDResult.kink``, not as errors. ``network_gradient`` knows every pre-activation, so it detects
crossings exactly (see there). For a black-box loss, ``numerical_gradient`` can only look at the
loss: it flags an entry when its forward and backward second-order one-sided slopes, from the
evaluations it already made, disagree by more than their rounding and more than eps^(1/3) of the
slope. That is a heuristic: a kink at some offsets within the step, or a jump in slope below that
threshold, is missed. Complex steps cannot see kinks of a black-box loss at all (such a loss is
not analytic): ``numerical_gradient`` leaves its ``kink`` all False with ``method="complex"``.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from numeric import Activation, Network, kernels

__all__ = [
    "METHODS",
    "PERTURBATIONS",
    "DirectionalResult",
    "FDResult",
    "directional_check",
    "kinked_at_zero",
    "network_gradient",
    "network_loss",
    "numerical_gradient",
]

METHODS = ("central", "complex", "richardson")

# The multiples of the base step each method evaluates, and the exponent p of h = eps^p * scale.
_MULTIPLES = {"central": (1, -1, 2, -2), "richardson": (1, -1, 2, -2, 4, -4), "complex": (1,)}
_STEP_EXPONENT = {"central": 1 / 3, "richardson": 1 / 5}

# Rounding error assumed per loss value, in units of eps * |C|: a batch loss sums many roundings.
_ROUNDING_ULPS = 16
# How many times the measured truncation error the error estimate allows (the measurement mixes in
# the next order's term and rounding of its own).
_TRUNCATION_SAFETY = 2
# Default number of stacked elements (perturbations x samples x units) evaluated at once.
_STACK_ELEMENTS = 1 << 20


@dataclass(frozen=True)
class FDResult:
    """A finite-difference gradient with its error estimate and kink flags.

    Attributes
    ----------
    gradient : same structure as the parameters
        The estimate of dC/dx, float64 arrays shaped like the parameters.
    error : same structure
        Estimated absolute error of each entry (truncation plus rounding), float64.
    kink : same structure
        Bool arrays: True where the perturbation crossed a kink (ReLU-like activations at 0); the
        estimate there mixes two one-sided slopes and is not a test of any analytic value.
    method : str
        ``"central"``, ``"complex"`` or ``"richardson"``.
    evaluations : int
        Loss evaluations made, one per entry and step (a stacked evaluation counts every
        perturbed copy it holds; with ``perturb="preactivations"`` each is one sample's cost).
    """

    gradient: list
    error: list
    kink: list
    method: str
    evaluations: int


# -- parameters as leaves -----------------------------------------------------------------------


def _leaves(params, argument: str = "params", *, checked: bool = True):
    """The arrays of ``params`` (a sequence of arrays or of (W, b) pairs) and a rebuilder.

    ``checked`` arrays must be real floating-point and finite (they will be perturbed).
    """
    check = _checked_leaf if checked else lambda array, name: array
    if isinstance(params, np.ndarray) or not isinstance(params, (list, tuple)):
        raise TypeError(
            f"{argument} must be a list of arrays or of (W, b) pairs of arrays, "
            f"got {type(params).__name__}"
        )
    if not params:
        raise ValueError(
            f"{argument} must hold at least one array, got an empty {type(params).__name__}"
        )
    shape = []  # per item: None for an array, or (container type, length) for a group
    leaves = []
    for i, item in enumerate(params):
        if isinstance(item, (list, tuple)) and all(isinstance(a, np.ndarray) for a in item):
            shape.append((type(item), len(item)))
            leaves += [check(a, f"{argument}[{i}][{k}]") for k, a in enumerate(item)]
        elif isinstance(item, np.ndarray):
            shape.append(None)
            leaves.append(check(item, f"{argument}[{i}]"))
        else:
            raise TypeError(
                f"{argument}[{i}] must be an array or a (W, b) pair of arrays, "
                f"got {type(item).__name__}"
            )
    outer = type(params)

    def rebuild(arrays):
        arrays = iter(arrays)
        items = [
            next(arrays) if group is None else group[0](next(arrays) for _ in range(group[1]))
            for group in shape
        ]
        return outer(items)

    return leaves, rebuild


def _checked_leaf(array: np.ndarray, name: str) -> np.ndarray:
    if not np.issubdtype(array.dtype, np.floating):
        raise TypeError(f"{name} must hold real floating-point numbers, got dtype {array.dtype}")
    finite = np.isfinite(array)
    if not finite.all():
        raise ValueError(f"{name} must be finite, got {int((~finite).sum())} NaN/Inf entries")
    return array


def _check_method(method) -> str:
    if method not in METHODS:
        known = ", ".join(repr(m) for m in METHODS)
        raise ValueError(f"method must be one of {known}, got {method!r}")
    return method


def _check_step(step):
    if step is None:
        return None
    if isinstance(step, bool) or not isinstance(step, numbers.Real):
        raise TypeError(f"step must be a number > 0 or None, got {step!r}")
    if not (np.isfinite(step) and step > 0):
        raise ValueError(f"step must be finite and > 0, got {step!r}")
    return float(step)


# -- steps and estimates, shared by every path --------------------------------------------------


def _displacements(method: str, x: np.ndarray, step) -> np.ndarray:
    """The exact displacement of each entry of ``x`` at each multiple: shape (K, x.size).

    Real methods: ``(x + k h) - x`` computed in x's dtype, which is exactly representable. Complex
    step: ``i h`` in the matching complex dtype.
    """
    x = x.ravel()
    eps = float(np.finfo(x.dtype).eps)
    if method == "complex":
        h = eps**2 if step is None else step
        cdtype = np.result_type(x.dtype, np.complex64)
        return np.full((1, x.size), 1j * h, dtype=cdtype)
    scale = np.maximum(1.0, np.abs(x.astype(np.float64)))
    h = eps ** _STEP_EXPONENT[method] * scale if step is None else np.full(x.size, step)
    multiples = np.array(_MULTIPLES[method], dtype=np.float64)[:, None]
    return (x + (multiples * h).astype(x.dtype)) - x


def _estimate(method: str, values, displacements, f0: float, x: np.ndarray):
    """Gradient and error estimate of every entry from the loss at each displacement.

    ``values`` and ``displacements`` have shape (K, E) in the order of ``_MULTIPLES[method]``;
    ``f0`` is the unperturbed loss and ``x`` the entries (E,). Returns float64 (E,) arrays.
    """
    eps = float(np.finfo(np.asarray(displacements).real.dtype).eps)
    if method == "complex":
        h = displacements[0].imag.astype(np.float64)
        gradient = values[0].imag.astype(np.float64) / h
        # Nothing cancels and truncation is ~eps^4: only the rounding of the imaginary part is
        # left, relative to the derivative and, where terms cancel in it, to the loss's own scale.
        scale = np.maximum(1.0, np.abs(x.astype(np.float64)))
        error = _ROUNDING_ULPS * eps * (np.abs(gradient) + abs(f0) / scale)
        return gradient, error
    values = np.asarray(values, dtype=np.float64)
    displacements = np.asarray(displacements, dtype=np.float64)
    # Central differences at h, 2h (, 4h), and how much rounding of the values each can carry.
    quotients, roundings = [], []
    for plus in range(0, len(values), 2):
        width = displacements[plus] - displacements[plus + 1]
        quotients.append((values[plus] - values[plus + 1]) / width)
        roundings.append((np.abs(values[plus]) + np.abs(values[plus + 1])) / np.abs(width))
    rounding = [_ROUNDING_ULPS * eps * r for r in roundings]
    if method == "central":
        d1, d2 = quotients
        return d1, _TRUNCATION_SAFETY * np.abs(d2 - d1) / 3 + rounding[0]
    d1, d2, d4 = quotients
    r1, r1_coarse = (4 * d1 - d2) / 3, (4 * d2 - d4) / 3
    r2 = (16 * r1 - r1_coarse) / 15
    # The same linear combinations of the rounding bounds, with absolute coefficients.
    a1, a2, a4 = rounding
    rounding_r2 = (16 * (4 * a1 + a2) / 3 + (4 * a2 + a4) / 3) / 15
    return r2, _TRUNCATION_SAFETY * np.abs(r2 - r1) + rounding_r2


def _one_sided_kinks(values, displacements, f0: float) -> np.ndarray:
    """Black-box kink heuristic: second-order one-sided slopes at h that disagree (see module)."""
    values = np.asarray(values, dtype=np.float64)
    f1, fm1, f2, fm2 = values[:4]
    h = (np.asarray(displacements[0], np.float64) - np.asarray(displacements[1], np.float64)) / 2
    right = (-3 * f0 + 4 * f1 - f2) / (2 * h)
    left = (3 * f0 - 4 * fm1 + fm2) / (2 * h)
    eps = float(np.finfo(np.asarray(displacements).dtype).eps)
    noise = (
        _ROUNDING_ULPS
        * eps
        * (6 * abs(f0) + 4 * (np.abs(f1) + np.abs(fm1)) + np.abs(f2) + np.abs(fm2))
        / (2 * h)
    )
    threshold = np.maximum(4 * noise, eps ** (1 / 3) * np.maximum(np.abs(right), np.abs(left)))
    return np.abs(right - left) > threshold


# -- a black-box loss ---------------------------------------------------------------------------


def _scalar(value, complex_input: bool) -> complex | float:
    """The loss's value as a Python number: complex exactly when its parameters were."""
    array = np.asarray(value)
    if array.size != 1 or not np.issubdtype(array.dtype, np.number):
        raise TypeError(
            f"loss must return a scalar, got {type(value).__name__} of shape {array.shape}"
        )
    if complex_input and not np.iscomplexobj(array):
        raise TypeError(
            "loss must propagate complex parameters for method='complex' (it returned a real "
            f"{array.dtype} value); use method='central' or 'richardson'"
        )
    if not complex_input and np.iscomplexobj(array):
        raise TypeError(f"loss must return a real scalar for real parameters, got {value!r}")
    return array.reshape(()).item()


def numerical_gradient(
    loss: Callable, params, *, method: str = "central", step: float | None = None
) -> FDResult:
    """Finite-difference gradient of ``loss`` at ``params``, entry by entry.

    Parameters
    ----------
    loss : callable
        ``loss(params) -> scalar``, called with arrays in the same structure as ``params``. With
        ``method="complex"`` it receives complex arrays and must return a complex scalar whose
        imaginary part it computed analytically (no ``abs``, no casts to real).
    params : list of arrays, or list of (W, b) pairs of arrays
        Real floating-point arrays; never modified (the loss gets perturbed copies, which it must
        not keep: they are modified in place between calls).
    method : {"central", "complex", "richardson"}
        See the module docstring for their costs, accuracies and steps.
    step : float or None
        The base step for every entry (the imaginary step for ``"complex"``); None chooses it per
        entry from the dtype and the entry's scale.

    Returns
    -------
    FDResult
        ``gradient``, ``error`` and ``kink`` in the structure of ``params``.

    Examples
    --------
    >>> import numpy as np
    >>> result = numerical_gradient(lambda p: np.sum(np.sin(p[0])), [np.zeros(2)], method="complex")
    >>> result.gradient[0]
    array([1., 1.])
    """
    if not callable(loss):
        raise TypeError(f"loss must be callable, got {type(loss).__name__}")
    method, step = _check_method(method), _check_step(step)
    leaves, rebuild = _leaves(params)
    with np.errstate(all="ignore"):
        f0 = _scalar(loss(rebuild([leaf.copy() for leaf in leaves])), False)
    if not np.isfinite(f0):
        raise ValueError(f"loss must be finite at params, got {f0}")
    work = [
        leaf.astype(np.result_type(leaf.dtype, np.complex64) if method == "complex" else leaf.dtype)
        for leaf in leaves
    ]
    structured = rebuild(work)
    gradients, errors, kinks = [], [], []
    evaluations = 0
    for leaf, target in zip(leaves, work):
        x = leaf.ravel()
        displacements = _displacements(method, x, step)
        values = np.empty(displacements.shape, dtype=target.dtype)
        flat = target.reshape(-1)  # a view: the loss sees every change
        for e in range(x.size):
            for k in range(len(displacements)):
                flat[e] = x[e] + displacements[k, e]
                with np.errstate(all="ignore"):
                    values[k, e] = _scalar(loss(structured), method == "complex")
            flat[e] = x[e]
        evaluations += values.size
        gradient, error = _estimate(method, values, displacements, f0, x)
        kink = (
            np.zeros(x.size, dtype=bool)
            if method == "complex"
            else _one_sided_kinks(values, displacements, f0)
        )
        _mark_nonfinite(gradient, error)
        gradients.append(gradient.reshape(leaf.shape))
        errors.append(error.reshape(leaf.shape))
        kinks.append(kink.reshape(leaf.shape))
    return FDResult(rebuild(gradients), rebuild(errors), rebuild(kinks), method, evaluations)


def _mark_nonfinite(gradient: np.ndarray, error: np.ndarray) -> None:
    """No estimate where the loss overflowed at a perturbation: NaN, with an infinite error."""
    bad = ~np.isfinite(gradient)
    gradient[bad] = np.nan
    error[bad | ~np.isfinite(error)] = np.inf


# -- the network fast path ----------------------------------------------------------------------


def network_loss(network: Network, X, y) -> Callable:
    """The batch cost of ``network`` on (X, y) as a function of its parameters.

    The returned ``loss(params)`` runs the network's own forward pass and cost
    (``numeric.kernels.loss``), so it accepts complex parameters for complex steps. ``params`` is
    a list of (W, b) pairs shaped like ``network.params``.
    """
    _check_network(network)
    X, y = network.check_data(X, y)

    def loss(params):
        return kernels.loss(params, network.activations, network.cost, X, y, network.reduction)

    return loss


def _check_network(network) -> None:
    if not isinstance(network, Network):
        raise TypeError(f"network must be a numeric.Network, got {type(network).__name__}")


def kinked_at_zero(activation: Activation) -> bool:
    """Whether ``activation`` has a kink (a jump in slope) at 0, judged from its values alone.

    Compares second-order one-sided slopes at 0 of every output along the first input of a
    two-unit row; smooth functions make them agree to O(t^3), a kink differs by its jump.
    """
    t = 1e-4
    offsets = np.array([-2 * t, -t, 0.0, t, 2 * t])
    z = np.zeros((offsets.size, 2))
    z[:, 0] = offsets
    with np.errstate(all="ignore"):
        a = np.asarray(activation(z), dtype=np.float64)
    if a.shape != z.shape or not np.isfinite(a).all():
        return False
    right = (-3 * a[2] + 4 * a[3] - a[4]) / (2 * t)
    left = (3 * a[2] - 4 * a[1] + a[0]) / (2 * t)
    return bool((np.abs(right - left) > 1e-6 * np.maximum(1.0, np.abs(right))).any())


def _elementwise(activation: Activation) -> bool:
    """Whether each output of ``activation`` depends on its own input only (observed, not assumed).

    Changing one entry of a fixed input may change that output entry only, and evaluating a single
    column must give the same values as evaluating the whole matrix.
    """
    z = np.random.default_rng(0).standard_normal((3, 4))
    changed = z.copy()
    changed[1, 2] += 0.5
    with np.errstate(all="ignore"):
        a, b = activation(z), activation(changed)
        column = activation(z.reshape(-1, 1))
    a, b, column = np.asarray(a), np.asarray(b), np.asarray(column)
    if a.shape != z.shape or b.shape != z.shape or column.shape != (z.size, 1):
        return False
    others = np.ones(z.shape, dtype=bool)
    others[1, 2] = False
    return bool(
        np.array_equal(a[others], b[others], equal_nan=True)
        and np.array_equal(a.reshape(-1, 1), column, equal_nan=True)
    )


def _acts_on_rows(function, *arrays) -> bool:
    """Whether row 1 of ``function(*arrays)`` is what ``function`` gives for row 1 alone."""
    with np.errstate(all="ignore"):
        whole = np.asarray(function(*arrays))
        alone = np.asarray(function(*(a[1:2] for a in arrays)))
    return whole.shape[:1] == arrays[0].shape[:1] and np.allclose(
        whole[1:2], alone, rtol=1e-12, atol=0, equal_nan=True
    )


PERTURBATIONS = ("parameters", "preactivations")


@dataclass
class _Stacks:
    """Stacked forward passes of one network on one batch, from any layer up.

    A stack holds k perturbed copies of some sample rows: all n samples (``rows`` None) or one
    sample per copy (``rows[r]`` the sample of copy r). Perturbation r moves column ``units[r]`` of
    z^m by ``change[r]`` (one value per row) and runs layers m..L on the stack, using only the
    network's activations, its cost's per-sample value (or its fused form) and its parameters.
    """

    network: Network
    zs: list  # unperturbed pre-activations z^1..z^L, each (n, N^m)
    acts: list  # unperturbed activations a^0..a^L
    y: np.ndarray
    elementwise: list  # per layer: sigma^m observed to act entry by entry
    kinked: list  # per layer: sigma^m has a kink at 0
    complex_step: bool

    def costs(self, m: int, units, change, rows=None):
        """Per-sample costs of each perturbed copy, shape (k, n_rows), and which crossed a kink."""
        net = self.network
        k = len(units)
        everyone = np.arange(k)
        z_rows = self._rows(self.zs, m, rows)
        z_before = np.broadcast_to(z_rows, (k, *z_rows.shape[1:]))[everyone, :, units]
        crossed = np.zeros(k, dtype=bool)
        if self.kinked[m]:
            crossed |= self._crossed(z_before, z_before + change)
        if self.elementwise[m] and m < net.n_layers - 1:
            # Only column units[r] of a^m changes: z^{m+1} moves along column units[r] of W^{m+1}.
            a_column = net.activations[m]((z_before + change).reshape(-1, 1)).reshape(change.shape)
            a_rows = self._rows(self.acts, m + 1, rows)
            a_before = np.broadcast_to(a_rows, (k, *a_rows.shape[1:]))[everyone, :, units]
            W_next = net.params[m + 1][0]
            z = (
                self._rows(self.zs, m + 1, rows)
                + (a_column - a_before)[:, :, None] * W_next.T[units][:, None, :]
            )
            return self._forward(m + 1, z, crossed, rows, check_first=True)
        z = np.empty((k, *z_rows.shape[1:]), dtype=np.result_type(z_rows, change))
        z[...] = z_rows
        z[everyone, :, units] += change
        return self._forward(m, z, crossed, rows, check_first=False)

    def _forward(self, start: int, z, crossed, rows, *, check_first: bool):
        """Layers start..L on a stack z of shape (k, n_rows, N^start)."""
        net = self.network
        k, n_rows = z.shape[:2]
        for m in range(start, net.n_layers):
            if self.kinked[m] and (m > start or check_first):
                crossed |= self._crossed(self._rows(self.zs, m, rows), z)
            flat = z.reshape(k * n_rows, -1)
            a = net.activations[m](flat)
            if m == net.n_layers - 1:
                y = self._rows([self.y], 0, rows)
                y = np.broadcast_to(y, (k, n_rows, y.shape[-1])).reshape(k * n_rows, -1)
                return self.sample_costs(flat, a, y).reshape(k, n_rows), crossed
            W, b = net.params[m + 1]
            z = (a @ W.T + b).reshape(k, n_rows, -1)

    def check_samples_separate(self) -> None:
        """Stacks treat samples independently: refuse activations or costs that mix them."""
        net = self.network
        probe = np.random.default_rng(0).standard_normal((3, 4))
        for m, activation in enumerate(net.activations):
            if not _acts_on_rows(activation, probe):
                raise ValueError(
                    f"activations[{m}] ({activation.name!r}) must act on each sample (row) "
                    "separately for network_gradient; use numerical_gradient(network_loss(...))"
                )
        several = self.y.shape[0] > 1
        if several and not _acts_on_rows(self.sample_costs, self.zs[-1], self.acts[-1], self.y):
            raise ValueError(
                f"cost {net.cost.name!r} must give each sample's cost from its own row for "
                "network_gradient; use numerical_gradient(network_loss(...))"
            )

    def sample_costs(self, z, a, y):
        """The per-sample costs that the network's loss reduces: fused from z^L, or from a^L."""
        return kernels.sample_costs(self.network.activations[-1], self.network.cost, z, a, y)

    def reduce(self, costs):
        """The network's reduction of each copy's per-sample costs, shape (k, n) -> (k,)."""
        return costs.mean(axis=1) if self.network.reduction == "mean" else costs.sum(axis=1)

    @staticmethod
    def _rows(arrays, m: int, rows):
        """Layer m's unperturbed values for the stack: (1, n, N) for all rows, else (k, 1, N)."""
        return arrays[m][None] if rows is None else arrays[m][rows][:, None]

    def _crossed(self, before, after):
        """Per copy: did any pre-activation reach across 0 (see ``network_gradient``)?"""
        k = max(before.shape[0], after.shape[0])
        if self.complex_step:
            reach = np.abs(after.imag)
            hit = (np.abs(before) <= reach) & (reach > 0)
        else:
            hit = np.sign(after) != np.sign(before)
        return np.broadcast_to(hit, (k, *hit.shape[1:])).reshape(k, -1).any(axis=1)


def network_gradient(
    network: Network,
    X,
    y,
    *,
    method: str = "complex",
    perturb: str = "preactivations",
    chunk: int | None = None,
) -> FDResult:
    """Finite-difference gradient of every parameter of ``network`` on the batch (X, y), fast.

    Only the network's forward functions are used (its activations, its cost's per-sample
    ``value`` or fused form, its reduction and its parameters), never its derivatives. The layers
    below a perturbation are never re-run: a perturbation that touches layer m starts from the
    cached z^m, and perturbations run through layers m..L together, stacked along a new leading
    axis in chunks. When sigma^m is observed to act elementwise, only one column of a^m changes
    and z^{m+1} is updated by a rank-one product instead of a matrix product.

    ``perturb="parameters"`` perturbs each parameter and evaluates the whole batch loss, exactly
    ``numerical_gradient(network_loss(network, X, y), network.params)`` with the same steps (to
    rounding): a step of W^m_ij (b^m_i) moves column i of z^m by the step times a^{m-1}_j (times
    1) for every sample. Cost: (number of parameters) x (steps) x (n_samples rows through layers
    m..L).

    ``perturb="preactivations"`` perturbs each pre-activation z^m_si of each sample instead and
    evaluates that sample's cost only, giving the finite-difference dC/dz^m (scaled by the
    reduction); dC/dW^m and dC/db^m then follow from z^m = W^m a^{m-1} + b^m, a layer's
    definition: dC/dW^m_ij = sum_s dC/dz^m_si a^{m-1}_sj and dC/db^m_i = sum_s dC/dz^m_si (errors
    and kinks are carried along the same sums). It trusts, beyond the loss, that the batch cost
    is the mean (or sum) of per-sample costs and that a layer is affine, both true by the
    network's definition. Cost: (n_samples x units) x (steps) single rows, a factor of about
    fan-in fewer evaluations. With ``method="complex"`` the two agree to rounding, because a
    complex step is exact and linear in the direction of the step; with real steps they are two
    different estimators (steps in z^m, scaled to |z|, instead of in W^m) that agree within their
    error estimates.

    Kinks are found exactly: an entry is flagged when, for any of its steps, some pre-activation
    z^l (l >= m, sample by sample) of a layer whose activation has a kink at 0 (``kinked_at_zero``)
    changes sign or leaves or reaches 0 (for ``"preactivations"``: any perturbed z^m_si that
    feeds the entry, a^{m-1}_sj != 0, and what it moves above). For a real step that is the
    definition of crossing the kink at the evaluated points (a pre-activation is affine in its
    own layer's parameters and smooth in those below, so nothing crosses between the points but
    by a term of the order of the step squared). A complex step leaves real parts alone: its
    reach is the imaginary displacement, so a pre-activation is flagged when |z| <= |Im dz| and
    dz != 0, i.e. when it sits (to within ~eps^2) on the kink, where the complex extension of
    max(z, 0) picks a side arbitrarily.

    Parameters
    ----------
    network : numeric.Network
        Any activations and cost, built-in or custom ``numeric.Activation``/``numeric.Cost``; for
        ``method="complex"`` they must accept complex input (all of numeric's do).
    X : array-like, shape (n_samples, N^0)
    y : array-like, shape (n_samples, N^L)
    method : {"complex", "central", "richardson"}
    perturb : {"parameters", "preactivations"}
    chunk : int or None
        Perturbed copies per stacked evaluation; None bounds a stack to about 2^20 elements
        (16 MiB of complex128).

    Returns
    -------
    FDResult
        Each of ``gradient``, ``error``, ``kink`` is a list of (W-shaped, b-shaped) pairs, like
        ``network.gradients``.
    """
    _check_network(network)
    method = _check_method(method)
    if perturb not in PERTURBATIONS:
        known = ", ".join(repr(p) for p in PERTURBATIONS)
        raise ValueError(f"perturb must be one of {known}, got {perturb!r}")
    if chunk is not None and (isinstance(chunk, bool) or not isinstance(chunk, numbers.Integral)):
        raise TypeError(f"chunk must be an int > 0 or None, got {chunk!r}")
    if chunk is not None and chunk < 1:
        raise ValueError(f"chunk must be > 0, got {chunk!r}")
    X, y = network.check_data(X, y)
    zs, acts = kernels.forward(network.params, network.activations, X)
    stacks = _Stacks(
        network,
        zs,
        acts,
        y,
        [_elementwise(act) for act in network.activations],
        [kinked_at_zero(act) for act in network.activations],
        method == "complex",
    )
    stacks.check_samples_separate()
    with np.errstate(all="ignore"):
        costs = stacks.sample_costs(zs[-1], acts[-1], y)
    f0 = float(stacks.reduce(costs[None])[0])
    if not np.isfinite(f0):
        raise ValueError(f"the network's loss must be finite on (X, y), got {f0}")
    layer_gradient = _by_parameters if perturb == "parameters" else _by_preactivations
    gradients, errors, kinks = [], [], []
    evaluations = 0
    for m in range(network.n_layers):
        width = max(network.sizes[m + 1 :])
        rows = X.shape[0] if perturb == "parameters" else 1
        size = chunk or max(1, _STACK_ELEMENTS // (rows * width))
        (dW, db), (eW, eb), (kW, kb), count = layer_gradient(
            stacks, m, method, size, f0 if perturb == "parameters" else costs
        )
        for array, error in ((dW, eW), (db, eb)):
            _mark_nonfinite(array, error)
        gradients.append((dW, db))
        errors.append((eW, eb))
        kinks.append((kW, kb))
        evaluations += count
    return FDResult(gradients, errors, kinks, method, evaluations)


def _run(stacks: _Stacks, m: int, displacements, size: int, perturbation):
    """Values and kink crossings of every (step, entry) of layer m, in chunks of ``size``.

    ``perturbation(entries, displacement)`` gives the ``costs`` arguments (units, change, rows)
    and a function from the copies' per-sample costs to each copy's value.
    """
    n_steps, n_entries = displacements.shape
    values = np.empty(displacements.size, dtype=displacements.dtype)
    crossed = np.empty(displacements.size, dtype=bool)
    flat = displacements.ravel()  # perturbation p is step p // n_entries of entry p % n_entries
    with np.errstate(all="ignore"):
        for start in range(0, flat.size, size):
            p = np.arange(start, min(start + size, flat.size))
            units, change, rows, value = perturbation(p % n_entries, flat[p])
            costs, crossed[p] = stacks.costs(m, units, change, rows)
            values[p] = value(costs)
    return values.reshape(n_steps, n_entries), crossed.reshape(n_steps, n_entries).any(axis=0)


def _by_parameters(stacks: _Stacks, m: int, method: str, size: int, f0: float):
    W, b = stacks.network.params[m]
    n_out, n_in = W.shape
    x = np.concatenate([W.ravel(), b])
    units = np.concatenate([np.repeat(np.arange(n_out), n_in), np.arange(n_out)])
    columns = np.concatenate([np.tile(np.arange(n_in), n_out), np.full(n_out, n_in)])
    a = stacks.acts[m]
    # Row j of ``inputs`` is what z^m_i moves by per unit step of W^m_ij; the last row (of ones)
    # serves b^m_i.
    inputs = np.ascontiguousarray(np.hstack([a, np.ones((a.shape[0], 1), a.dtype)]).T)

    def perturbation(entries, displacement):
        change = displacement[:, None] * inputs[columns[entries]]
        return units[entries], change, None, stacks.reduce

    displacements = _displacements(method, x, None)
    values, kink = _run(stacks, m, displacements, size, perturbation)
    gradient, error = _estimate(method, values, displacements, f0, x)
    split = W.size
    return (
        (gradient[:split].reshape(W.shape), gradient[split:]),
        (error[:split].reshape(W.shape), error[split:]),
        (kink[:split].reshape(W.shape), kink[split:]),
        displacements.size,
    )


def _by_preactivations(stacks: _Stacks, m: int, method: str, size: int, costs):
    z = stacks.zs[m]
    n, n_units = z.shape
    x = z.ravel()  # entry e is z^m[e // n_units, e % n_units]

    def perturbation(entries, displacement):
        return entries % n_units, displacement[:, None], entries // n_units, lambda c: c[:, 0]

    displacements = _displacements(method, x, None)
    values, kink = _run(stacks, m, displacements, size, perturbation)
    sample_cost = np.repeat(np.asarray(costs).real.astype(np.float64), n_units)
    dz, dz_error = _estimate(method, values, displacements, sample_cost, x)
    weight = 1.0 / n if stacks.network.reduction == "mean" else 1.0
    dz, dz_error = (weight * v.reshape(n, n_units) for v in (dz, dz_error))
    a = stacks.acts[m].astype(np.float64)
    reach = (a != 0).astype(np.float64)
    crossed = kink.reshape(n, n_units).astype(np.float64)
    # The sums over samples add their own rounding, bounded by eps times their absolute terms.
    eps = np.finfo(np.float64).eps
    return (
        (dz.T @ a, dz.sum(axis=0)),
        (
            dz_error.T @ np.abs(a) + n * eps * (np.abs(dz).T @ np.abs(a)),
            dz_error.sum(axis=0) + n * eps * np.abs(dz).sum(axis=0),
        ),
        (crossed.T @ reach > 0, crossed.any(axis=0)),
        displacements.size,
    )


# -- directional check --------------------------------------------------------------------------

# Default relative tolerances of the directional check, per dtype and method: well above each
# method's accuracy (central eps^(2/3), Richardson eps^(4/5), complex eps, times conditioning) and
# far below the O(1) error of any real bug.
_DIRECTIONAL_RTOL = {
    np.dtype(np.float64): {"central": 1e-6, "richardson": 1e-8, "complex": 1e-10},
    np.dtype(np.float32): {"central": 3e-2, "richardson": 3e-2, "complex": 1e-4},
}


@dataclass(frozen=True)
class DirectionalResult:
    """<grad, v> against the finite-difference directional derivative along random directions.

    Attributes
    ----------
    analytic, numeric, error, relative_error : ndarray, shape (n_directions,)
        <grad, v>; the finite difference of loss(params + t v) at t = 0; the error the comparison
        allows for (the finite difference's error estimate plus the rounding of <grad, v>);
        |analytic - numeric| / max(|analytic|, |numeric|).
    kink : ndarray of bool, shape (n_directions,)
        The perturbation along v crossed a kink (black-box heuristic): not a failure.
    agrees : ndarray of bool, shape (n_directions,)
        |analytic - numeric| <= max(rtol max(|analytic|, |numeric|), error); False for NaN.
    rtol : float
    method : str
    """

    analytic: np.ndarray
    numeric: np.ndarray
    error: np.ndarray
    relative_error: np.ndarray
    kink: np.ndarray
    agrees: np.ndarray
    rtol: float
    method: str

    @property
    def passed(self) -> bool:
        """Every direction agrees or crossed a kink."""
        return bool((self.agrees | self.kink).all())

    def __str__(self) -> str:
        lines = [
            f"directional check ({self.method}, rtol {self.rtol:.1e}): "
            + ("passed" if self.passed else "FAILED")
        ]
        for i in range(len(self.analytic)):
            verdict = "ok" if self.agrees[i] else "kink" if self.kink[i] else "MISMATCH"
            lines.append(
                f"  direction {i}: <grad, v> = {self.analytic[i]:.12g}, finite difference "
                f"{self.numeric[i]:.12g} (+/- {self.error[i]:.2g}), relative error "
                f"{self.relative_error[i]:.2e}: {verdict}"
            )
        return "\n".join(lines)


def directional_check(
    loss: Callable,
    grad,
    params,
    *,
    n_directions: int = 3,
    seed: int = 0,
    method: str = "central",
    rtol: float | None = None,
) -> DirectionalResult:
    """Check a gradient along a few seeded random directions, at O(1) loss evaluations each.

    For each unit direction v (standard normal entries, normalised over all parameters), the
    directional derivative d/dt loss(params + t v) at t = 0 is estimated by ``method`` (a step t of
    about eps^(1/3) moves every entry by about eps^(1/3) / sqrt(n_params)) and compared with
    <grad, v>. A wrong entry shows up in every direction unless its error is orthogonal to all of
    them, which random directions make improbable.

    Parameters
    ----------
    loss : callable
        ``loss(params) -> scalar`` (complex input for ``method="complex"``).
    grad : same structure as ``params``
        The gradient under test.
    params : list of arrays, or list of (W, b) pairs
    n_directions : int
        At least 1.
    seed : int
        Seeds the directions.
    method : {"central", "complex", "richardson"}
    rtol : float or None
        Relative tolerance; None takes a default for the least precise dtype among ``params`` and
        the method (float64: central 1e-6, Richardson 1e-8, complex 1e-10).

    Returns
    -------
    DirectionalResult
    """
    if not callable(loss):
        raise TypeError(f"loss must be callable, got {type(loss).__name__}")
    method = _check_method(method)
    if isinstance(n_directions, bool) or not isinstance(n_directions, numbers.Integral):
        raise TypeError(f"n_directions must be an int >= 1, got {n_directions!r}")
    if n_directions < 1:
        raise ValueError(f"n_directions must be >= 1, got {n_directions!r}")
    leaves, rebuild = _leaves(params)
    gradient, _ = _leaves(grad, "grad", checked=False)  # NaN in it is a finding, not an error
    if len(gradient) != len(leaves) or any(g.shape != p.shape for g, p in zip(gradient, leaves)):
        raise ValueError(
            "grad must have the structure and shapes of params, got shapes "
            f"{[g.shape for g in gradient]} for {[p.shape for p in leaves]}"
        )
    dtype = max((leaf.dtype for leaf in leaves), key=lambda d: np.finfo(d).eps)
    eps = float(np.finfo(dtype).eps)
    if rtol is None:
        table = _DIRECTIONAL_RTOL.get(np.dtype(dtype), _DIRECTIONAL_RTOL[np.dtype(np.float32)])
        rtol = table[method]
    rng = np.random.default_rng(seed)
    results = []
    for _ in range(n_directions):
        directions = [rng.standard_normal(leaf.shape) for leaf in leaves]
        norm = np.sqrt(sum(float((d * d).sum()) for d in directions))
        directions = [(d / norm).astype(leaf.dtype) for d, leaf in zip(directions, leaves)]

        def along(t, directions=directions):
            return loss(rebuild([leaf + t[0][0] * d for leaf, d in zip(leaves, directions)]))

        fd = numerical_gradient(along, [np.zeros((1, 1), dtype=dtype)], method=method)
        terms = [g.astype(np.float64) * d for g, d in zip(gradient, directions)]
        analytic = sum(float(t.sum()) for t in terms)
        analytic_rounding = 4 * eps * sum(float(np.abs(t).sum()) for t in terms)
        estimate, error, kink = (part[0][0, 0] for part in (fd.gradient, fd.error, fd.kink))
        results.append((analytic, estimate, error + analytic_rounding, kink))
    analytic, numeric, allowance, kink = (np.array(column) for column in zip(*results))
    difference = np.abs(analytic - numeric)
    size = np.maximum(np.abs(analytic), np.abs(numeric))
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(size > 0, difference / size, 0.0)
    agrees = difference <= np.maximum(rtol * size, allowance)
    return DirectionalResult(
        analytic,
        numeric,
        allowance,
        relative,
        kink.astype(bool),
        agrees,
        float(rtol),
        method,
    )
