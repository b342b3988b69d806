"""Finite-difference gradients of a ``numeric.Network``, fast: stacked forward passes from the
perturbed layer up, and kinks found exactly from the pre-activations.

``network_gradient`` estimates every parameter's gradient with the estimators of
``verify.core.estimators`` (central, complex-step, Richardson) using only the network's forward
functions; ``network_loss`` is the batch cost as a function of the parameters, for the black-box
``numerical_gradient`` and ``directional_check``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from numeric import Activation, Network, kernels
from numeric.costs import FUSED, sigmoid_cross_entropy
from verify.core.estimators import (
    METHODS,
    FDResult,
    estimate,
    mark_nonfinite,
    step_displacements,
)
from verify.core.validation import argument_error, check_choice, check_int

__all__ = ["PERTURBATIONS", "kinked_at_zero", "network_gradient", "network_loss"]

PERTURBATIONS = ("parameters", "preactivations")

# Default number of stacked elements (perturbations x samples x units) evaluated at once: a stack
# of float64 then fits in a core's 2 MiB L2 cache (measured: 13% faster than 2^20 elements at
# [64, 100, 30, 10], batch 32; smaller stacks pay NumPy's per-call overhead instead).
_STACK_ELEMENTS = 1 << 18

# Central differences with two evaluations per entry (``evaluations=2``): the truncation error is
# estimated from a probe, a 1/16 (at least 8) of the entries of each layer also evaluated at 2h,
# half of them those whose second difference (free from the two evaluations) is largest, half
# evenly spaced; every entry is then allowed the largest truncation the probe found, scaled to
# its own step, times this safety factor.
_PROBE_FRACTION = 1 / 16
_PROBE_MIN = 8
_PROBE_SAFETY = 4
# Evaluations per entry of each method: the default, and the choices.
_EVALUATIONS = {"central": (4, 2), "richardson": (6,), "complex": (1,)}


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
        raise argument_error(
            "network", "a numeric.Network", error=TypeError, got=type(network).__name__
        )


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
    base_costs: np.ndarray | None = None  # the unperturbed per-sample costs, (n,)
    # The cost's value unit by unit, (n, N^L), when the cost is observed to be a sum over the
    # output units of terms that depend on that unit alone (``observe_separable``); else None.
    unit_costs: np.ndarray | None = None
    _cache: dict = field(default_factory=dict, repr=False)
    # The cost's form computed from z^L where the output activation and cost fuse
    # (``numeric.costs.FUSED``), else None; a^L is then never evaluated.
    fused: Callable | None = field(init=False)

    def __post_init__(self):
        net = self.network
        self.fused = FUSED.get((net.activations[-1], net.cost))

    @classmethod
    def of(cls, network: Network, X, y, *, complex_step: bool) -> _Stacks:
        """The stacks of ``network`` on a checked batch (X, y): its forward pass, each layer's
        observed traits (elementwise, kinked), the unperturbed per-sample costs and, where the
        cost is seen to be a sum over output units, their unit-by-unit values. Raises ValueError
        for activations or costs that mix samples."""
        zs, acts = kernels.forward(network.params, network.activations, X)
        stacks = cls(
            network,
            zs,
            acts,
            y,
            [_elementwise(act) for act in network.activations],
            [kinked_at_zero(act) for act in network.activations],
            complex_step,
        )
        stacks.check_samples_separate()
        with np.errstate(all="ignore"):
            stacks.base_costs = np.asarray(stacks.sample_costs(zs[-1], acts[-1], y))
        stacks.observe_separable()
        return stacks

    def _output(self, z):
        """sigma^L(z) where the per-sample costs read it, else None."""
        return self.network.activations[-1](z) if self.fused is None else None

    def costs(self, m: int, units, change, rows=None):
        """Per-sample costs of each perturbed copy, shape (k, n_rows), and which crossed a kink."""
        net = self.network
        k = len(units)
        last = m == net.n_layers - 1
        z_before = self._column_values(self.zs[m], ("z", m), units, rows)
        z_after = z_before + change
        crossed = self._crossed(z_before, z_after) if self.kinked[m] else np.zeros(k, bool)
        if self.elementwise[m] and not last:
            # Only column units[r] of a^m changes: z^{m+1} moves along column units[r] of W^{m+1}
            # (a rank-one change per copy), and the layers below m + 1 are not run.
            a_after = net.activations[m](z_after.reshape(-1, 1)).reshape(change.shape)
            change_a = a_after - self._column_values(self.acts[m + 1], ("a", m + 1), units, rows)
            W_rows = self._transposed(net.params[m + 1][0], ("W", m + 1))[units]
            shape = (k, change_a.shape[1], W_rows.shape[1])
            z = self._scratch(("rank one", m + 1), shape, np.result_type(change_a, W_rows))
            np.multiply(change_a[:, :, None], W_rows[:, None, :], out=z)
            z += self._rows(self.zs, m + 1, rows)
            return self._forward(m + 1, z, crossed, rows, check_first=True)
        if last and self.unit_costs is not None and self.elementwise[m]:
            # Only column units[r] of z^L changes, and the cost is a sum over the units: one
            # unit's term is evaluated, not every unit's.
            return self._column_costs(units, z_after, rows), crossed
        z_rows = self._rows(self.zs, m, rows)
        z = self._scratch(("z", m), (k, *z_rows.shape[1:]), np.result_type(z_rows, change))
        z[...] = z_rows
        z[np.arange(k), :, units] += change
        return self._forward(m, z, crossed, rows, check_first=False)

    def _stacked_y(self, k: int, rows):
        """The targets of each copy's rows, stacked like the copies: (k * n_rows, N^L)."""
        if rows is not None:
            return self.y[rows]
        key = ("stacked y", k)
        if key not in self._cache:
            self._cache[key] = np.tile(self.y, (k, 1))
        return self._cache[key]

    def _column_values(self, array, key, units, rows):
        """Column units[r] of ``array`` (n, N) for each copy r: (k, n) for all rows, else the
        entry of row rows[r], (k, 1)."""
        if rows is None:
            return self._transposed(array, key)[units]
        return array[rows, units][:, None]

    def _scratch(self, key, shape, dtype) -> np.ndarray:
        """An array of ``shape`` and ``dtype`` kept for the next chunk's same use: freshly
        allocated memory of this size costs page faults on every chunk (about a quarter of the
        time of a full check in parameters mode). Its values are used within one ``costs``."""
        full = ("scratch", key, shape, np.dtype(dtype))
        array = self._cache.get(full)
        if array is None:
            array = self._cache[full] = np.empty(shape, dtype)
        return array

    def _tiled(self, row, key, count: int) -> np.ndarray:
        """``count`` copies of ``row`` stacked, made once: adding it is one contiguous pass, about
        four times faster than broadcasting a short row over many."""
        full = ("tiled", key, count)
        if full not in self._cache:
            self._cache[full] = np.tile(row, (count, 1))
        return self._cache[full]

    def _transposed(self, array, key):
        """``array.T`` made contiguous once (row gathers of it are then contiguous copies)."""
        if key not in self._cache:
            self._cache[key] = np.ascontiguousarray(array.T)
        return self._cache[key]

    def _column_costs(self, units, z_after, rows):
        """Per-sample costs when only column units[r] of z^L moved to ``z_after`` (k, n_rows):
        the unperturbed cost, minus that unit's term before, plus after."""
        flat = z_after.reshape(-1, 1)
        y_column = self._column_values(self.y, ("y",), units, rows).reshape(-1, 1)
        after = self.sample_costs(flat, self._output(flat), y_column).reshape(z_after.shape)
        before = self._column_values(self.unit_costs, ("unit costs",), units, rows)
        base = self.base_costs[None] if rows is None else self.base_costs[rows][:, None]
        return base + (after - before)

    def observe_separable(self) -> None:
        """Set ``unit_costs`` when the cost is seen to be a sum over output units of terms each of
        one unit (the output activation elementwise, and the sample costs equal to the sums of
        one-unit costs at the batch and at a second point near it); else leave it None."""
        net = self.network
        if not self.elementwise[-1] or self.base_costs is None:
            return
        output = net.activations[-1]
        n, width = self.zs[-1].shape
        shifted = self.zs[-1] + 0.25 * np.random.default_rng(1).standard_normal((n, width))
        try:
            with np.errstate(all="ignore"):
                for z, a, whole in (
                    (self.zs[-1], self.acts[-1], self.base_costs),
                    (shifted, output(shifted), None),
                ):
                    if whole is None:
                        whole = self.sample_costs(z, a, self.y)
                    units = self.sample_costs(
                        z.reshape(-1, 1), np.asarray(a).reshape(-1, 1), self.y.reshape(-1, 1)
                    ).reshape(n, width)
                    scale = np.abs(units).sum(axis=1) + np.abs(whole)
                    if not (
                        np.all(np.isfinite(units))
                        and np.all(np.abs(units.sum(axis=1) - whole) <= 1e-12 * scale)
                    ):
                        return
                    if z is self.zs[-1]:
                        found = units
        except (ValueError, TypeError, IndexError):  # the cost needs all its units at once
            return
        self.unit_costs = found

    def _forward(self, start: int, z, crossed, rows, *, check_first: bool):
        """Layers start..L on a stack z of shape (k, n_rows, N^start)."""
        net = self.network
        k, n_rows = z.shape[:2]
        for m in range(start, net.n_layers):
            if self.kinked[m] and (m > start or check_first):
                crossed |= self._crossed(self._rows(self.zs, m, rows), z)
            flat = z.reshape(k * n_rows, -1)
            if m == net.n_layers - 1:
                return self._last_costs(flat, self._stacked_y(k, rows)).reshape(k, n_rows), crossed
            a = np.asarray(net.activations[m](flat))
            W, b = net.params[m + 1]
            z = self._scratch(("z", m + 1), (k * n_rows, W.shape[0]), np.result_type(a, W))
            np.matmul(a, W.T, out=z)
            z += self._tiled(b, ("b", m + 1), k * n_rows)
            z = z.reshape(k, n_rows, -1)

    def _last_costs(self, z, y):
        """``sample_costs`` of a stack's z^L (k * n_rows, N^L), a scratch array: the sigmoid
        cross-entropy's fused form writes into scratch arrays kept from chunk to chunk."""
        if self.fused is sigmoid_cross_entropy and z.dtype.kind == "f":
            out = self._scratch(("cost", 0), z.shape, z.dtype)
            spare = self._scratch(("cost", 1), z.shape, z.dtype)
            return sigmoid_cross_entropy(z, y, out=out, spare=spare)
        return self.sample_costs(z, self._output(z), y)

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
    evaluations: int | None = None,
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
        Perturbed copies per stacked evaluation; None bounds a stack to about 2^18 elements
        (2 MiB of float64, a core's L2 cache here).
    evaluations : int or None
        Loss evaluations per entry; None is the method's own (central 4, Richardson 6, complex
        1). ``method="central"`` also takes 2: C(x +- h) only, about half the work, with the
        truncation error estimated from a probe (1/16 of each layer's entries, at least 8, also
        evaluated at +-2h: those of the largest curvature and evenly spaced others), each entry
        allowed the largest truncation found, per unit of its step squared, times 4.

    Returns
    -------
    FDResult
        Each of ``gradient``, ``error``, ``kink`` is a list of (W-shaped, b-shaped) pairs, like
        ``network.gradients``.
    """
    _check_network(network)
    method = check_choice("method", method, METHODS)
    perturb = check_choice("perturb", perturb, PERTURBATIONS)
    chunk = check_int("chunk", chunk, 1, optional=True)
    choices = _EVALUATIONS[method]
    if evaluations is None:
        evaluations = choices[0]
    elif isinstance(evaluations, bool) or evaluations not in choices:
        raise argument_error(
            "evaluations",
            f"one of {', '.join(map(str, choices))} for method={method!r}",
            got=repr(evaluations),
        )
    X, y = network.check_data(X, y)
    stacks = _Stacks.of(network, X, y, complex_step=method == "complex")
    costs = stacks.base_costs
    f0 = float(stacks.reduce(costs[None])[0])
    if not np.isfinite(f0):
        raise ValueError(f"the network's loss must be finite on (X, y), got {f0}")
    layer_gradient = _by_parameters if perturb == "parameters" else _by_preactivations
    gradients, errors, kinks = [], [], []
    made = 0
    for m in range(network.n_layers):
        width = max(network.sizes[m + 1 :])
        rows = X.shape[0] if perturb == "parameters" else 1
        size = chunk or max(1, _STACK_ELEMENTS // (rows * width))
        (dW, db), (eW, eb), (kW, kb), count = layer_gradient(
            stacks, m, method, evaluations, size, f0 if perturb == "parameters" else costs
        )
        for array, error in ((dW, eW), (db, eb)):
            mark_nonfinite(array, error)
        gradients.append((dW, db))
        errors.append((eW, eb))
        kinks.append((kW, kb))
        made += count
    return FDResult(gradients, errors, kinks, method, made)


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


def _by_parameters(stacks: _Stacks, m: int, method: str, evaluations: int, size: int, f0):
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

    gradient, error, kink, count = _entries(
        stacks, m, method, evaluations, size, perturbation, x, f0
    )
    split = W.size
    return (
        (gradient[:split].reshape(W.shape), gradient[split:]),
        (error[:split].reshape(W.shape), error[split:]),
        (kink[:split].reshape(W.shape), kink[split:]),
        count,
    )


def _by_preactivations(stacks: _Stacks, m: int, method: str, evaluations: int, size: int, costs):
    z = stacks.zs[m]
    n, n_units = z.shape
    x = z.ravel()  # entry e is z^m[e // n_units, e % n_units]

    def perturbation(entries, displacement):
        return entries % n_units, displacement[:, None], entries // n_units, lambda c: c[:, 0]

    sample_cost = np.repeat(np.asarray(costs).real.astype(np.float64), n_units)
    dz, dz_error, kink, count = _entries(
        stacks, m, method, evaluations, size, perturbation, x, sample_cost
    )
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
        count,
    )


def _entries(stacks, m, method, evaluations, size, perturbation, x, f0):
    """Gradient, error estimate, kink flags and evaluation count of the entries x of layer m.

    ``f0``: the unperturbed value each entry's evaluations are compared with (a scalar, or one
    per entry). With two central evaluations per entry, the truncation error comes from a probe
    (``_probe``) evaluated at 2h as well; the probed entries get the full four-point estimate.
    """
    displacements = step_displacements(method, x, None)
    if evaluations == len(displacements):
        values, kink = _run(stacks, m, displacements, size, perturbation)
        gradient, error = estimate(method, values, displacements, f0, x)
        return gradient, error, kink, displacements.size
    near, far = displacements[:2], displacements[2:]
    values, kink = _run(stacks, m, near, size, perturbation)
    # The estimator's own central difference and rounding bound: its truncation term vanishes
    # when the "2h" values repeat the h ones.
    twice, near_twice = np.vstack([values, values]), np.vstack([near, near])
    gradient, rounding = estimate("central", twice, near_twice, f0, x)
    f0 = np.broadcast_to(np.asarray(f0, dtype=np.float64), x.shape)
    probe = _probe(values, near, f0)
    far_values, far_kink = _run(
        stacks, m, far[:, probe], size, lambda e, d: perturbation(probe[e], d)
    )
    kink[probe] |= far_kink
    both = np.vstack([values[:, probe], far_values])
    full = estimate("central", both, displacements[:, probe], f0[probe], x[probe])
    # |D(2h) - D(h)| / 3 is the truncation h^2 |C^(3)| / 6 at h: per unit of h^2, the largest.
    h = np.abs(near[0] - near[1]).astype(np.float64) / 2
    with np.errstate(all="ignore"):
        d1 = (values[0, probe] - values[1, probe]) / (near[0, probe] - near[1, probe])
        d2 = (far_values[0] - far_values[1]) / (far[0, probe] - far[1, probe])
        per_h2 = np.abs(d2 - d1) / 3 / h[probe] ** 2
    finite = per_h2[np.isfinite(per_h2)]
    bound = finite.max() if finite.size == probe.size else np.inf
    error = rounding + _PROBE_SAFETY * bound * h**2
    gradient[probe], error[probe] = full
    return gradient, error, kink, near.size + 2 * probe.size


def _probe(values, near, f0) -> np.ndarray:
    """Entries to evaluate at 2h too: those of the largest second difference |C(x+h) + C(x-h) -
    2 C(x)| / h^2 (the curvature, free from the two evaluations), and evenly spaced others."""
    n = values.shape[1]
    count = min(n, max(_PROBE_MIN, math.ceil(n * _PROBE_FRACTION)))
    h = np.abs(near[0] - near[1]).astype(np.float64) / 2
    with np.errstate(all="ignore"):
        second = np.abs(values[0] + values[1] - 2 * f0) / h**2
    second = np.where(np.isfinite(second), second, np.inf)
    largest = np.argsort(-second, kind="stable")[: count // 2]
    spaced = np.linspace(0, n - 1, count - largest.size).round().astype(np.intp)
    return np.unique(np.concatenate([largest, spaced]))
