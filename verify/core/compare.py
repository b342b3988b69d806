"""Compare a candidate gradient with a reference and name what is wrong with it.

A gradient is a list of (dW, db) pairs, one per layer (the findings then name layer m = 1..L and
parameter ``"W"`` or ``"b"``), or a flat list of arrays (the findings name array i = 1..k). For each
array, ``compare_gradients`` returns one :class:`Finding` whose ``kind`` says what the candidate is,
checked in this order:

``"nonfinite"``
    NaN or Inf in the candidate.
``"shape"``
    Wrong shape; when the shape is the transpose's and the transposed values match, ``"transpose"``
    instead, and when it is another layer's gradient, ``"layer_order"``.
``"ok"``
    Agrees with the reference within tolerance.
``"sign"``
    Exactly the negated reference.
``"scale"``
    A constant factor other than 1 and -1 (``factor`` = candidate / reference), fitted by least
    squares and then verified entry by entry.
``"transpose"``
    A square matrix whose transpose matches.
``"layer_order"``
    Another layer's reference gradient (``other_layer`` says which).
``"kink"``
    Disagrees only at entries where the finite-difference reference crossed a kink of ReLU-like
    activations: those entries are not failures.
``"mismatch"``
    None of the above; ``detail`` lists the worst entries and the layers the mismatch reaches.

Relative error
--------------
Entry by entry, ``|c - r| / max(|r|, s)``, where ``s`` is the root mean square of the parameter's
reference gradient, itself floored at ``LAYER_FLOOR`` times the root mean square of the whole
gradient. Why a floor: an entry of dC/dW is a sum of products over samples, and the rounding error
of a correct implementation scales with the size of those terms, not with the (possibly
cancelled, near-zero) sum; without a floor a correct gradient's tiny entries show huge relative
errors. The parameter's own RMS measures the size of its terms, so a layer with small gradients
(vanishing gradients in a deep sigmoid net) is still judged against its own scale and a bug there
is not hidden by bigger layers; the whole-gradient floor only applies to a parameter whose gradient
is negligible against the rest (an all-dead ReLU layer), where comparing rounding noise against
zero would be meaningless. An entry passes when ``|c - r| <= rtol * max(|r|, s) + atol`` plus, for
finite-difference references, their error estimate.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

import numpy as np

from verify.core.findings import KINDS, PASSING_KINDS, Finding
from verify.core.params import Structure, flatten, is_pair, leaf_name
from verify.core.summary import TABLE_HEADERS, describe_factor, findings_table, summarize
from verify.core.validation import argument_error, check_choice, check_number

__all__ = [
    "KINDS",
    "LAYER_FLOOR",
    "PASSING_KINDS",
    "TABLE_HEADERS",
    "Finding",
    "compare_gradients",
    "default_tolerances",
    "describe_factor",
    "findings_table",
    "least_precise_dtype",
    "summarize",
]

REFERENCES = ("exact", "finite_difference")  # the kinds of reference default_tolerances knows

# A parameter's gradient smaller than this fraction of the whole gradient's RMS is judged against
# that fraction (see the module docstring): below it, differences are rounding noise.
LAYER_FLOOR = 1e-3

# Entries of an array at most this many worst ones are listed in a mismatch's detail.
N_WORST = 2
# A mismatch that one factor explains up to this fraction of the candidate's norm is called
# "close to k x the reference" in its detail (a scale plus a small extra term, say).
NEARLY_SCALED = 0.05


def default_tolerances(dtype=np.float64, reference: str = "exact") -> tuple[float, float]:
    """Default (rtol, atol) for a candidate computed in ``dtype``.

    Parameters
    ----------
    dtype : numpy floating dtype
        The precision the candidate computed in.
    reference : {"exact", "finite_difference"}
        ``"exact"``: the reference is exact up to float64 rounding (numeric's backprop, or a
        complex-step derivative). A correct candidate then differs only by its own rounding, a
        few hundred roundings in small networks: ``rtol = 4 sqrt(eps)`` leaves a margin of about
        1e4 roundings in float32 (rtol 1.4e-3) and 3e8 in float64 (rtol 6e-8), while every simple
        bug (a factor, a sign, a missing derivative) is off by order one.
        ``"finite_difference"``: central differences or Richardson extrapolation, whose truncation
        and rounding errors are added entry by entry from their estimate; ``rtol`` is loosened
        to ``eps ** (1/3)``, the relative accuracy of a well-stepped central difference
        (6e-6 in float64, 4.9e-3 in float32).

    Returns
    -------
    (float, float)
        ``atol`` is 0: tiny entries are handled by the scale floor of the relative error.
    """
    eps = float(np.finfo(_floating_dtype(dtype)).eps)
    if check_choice("reference", reference, REFERENCES) == "exact":
        return 4 * math.sqrt(eps), 0.0
    return eps ** (1 / 3), 0.0


def _floating_dtype(dtype) -> np.dtype:
    """``dtype`` as a NumPy floating dtype; TypeError naming `dtype` otherwise."""
    try:
        value = np.dtype(dtype) if dtype is not None else None
    except TypeError:
        value = None
    if value is None or not np.issubdtype(value, np.floating):
        raise argument_error("dtype", "a floating-point dtype", dtype, TypeError)
    return value


# -- structures -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Leaf:
    layer: int
    param: str | None
    array: np.ndarray  # float64 (reference side) or the candidate as given


def _reference_leaves(reference) -> tuple[list[_Leaf], Structure]:
    """Label a reference gradient's arrays: (m, "W"/"b") for pairs, (i, None) for a flat list."""
    arrays, structure = flatten(reference, "reference", leaf=_as_float64, named=True)
    leaves = [_Leaf(layer, param, a) for (layer, param), a in zip(structure.labels(), arrays)]
    return leaves, structure


def _as_float64(array, path: str) -> np.ndarray:
    out = np.asarray(array)
    if out.dtype == object or not np.issubdtype(out.dtype, np.number) or np.iscomplexobj(out):
        raise argument_error(
            path, "an array of real numbers", error=TypeError, got=f"dtype {out.dtype}"
        )
    return out.astype(np.float64)


def _same_structure(like: Structure, values, name: str) -> list[np.ndarray]:
    """Arrays of ``values`` (uncertainties or kink masks) in the order of ``like``'s leaves."""
    expected = "structured like `reference`"
    if not isinstance(values, (list, tuple)):
        raise argument_error(name, expected, got=type(values).__name__)
    leaves, structure = flatten(values, name, leaf=lambda value, path: np.asarray(value))
    if structure.pairs != like.pairs or structure.n_leaves != like.n_leaves:
        got = f"{structure.n_leaves} arrays in {structure.n_items} items"
        raise argument_error(name, expected, got=f"{got} for {like.n_leaves} in {like.n_items}")
    return leaves


_MISSING = object()  # stands for the arrays of a layer whose structure was already reported


def _candidate_arrays(candidate, reference, leaves) -> tuple[list, list[Finding]]:
    """The candidate's arrays in the reference leaves' order, and findings about its structure."""
    pairs = leaves[0].param is not None
    what = "(dW, db) pairs" if pairs else "arrays"
    expected = f"a list of {len(reference)} {what}"
    if isinstance(candidate, (str, bytes, Mapping)) or not isinstance(candidate, Iterable):
        return [], [_whole("type", f"returned {_type_name(candidate)}, expected {expected}")]
    try:
        items = list(candidate)
    except Exception as err:  # a foreign object whose iteration fails, or a 0-d array
        return [], [
            _whole("type", f"returned {_type_name(candidate)} ({err}), expected {expected}")
        ]
    if len(items) != len(reference):
        return [], [_layer_count_finding(items, leaves, expected)]
    if not pairs:
        return items, []
    arrays, findings = [], []
    for layer, item in enumerate(items, start=1):
        if (
            isinstance(item, (str, bytes, Mapping))
            or not isinstance(item, Iterable)
            or (isinstance(item, np.ndarray) and item.dtype != object)
        ):
            problem = f"returned {_type_name(item)}"
        else:
            try:
                item = list(item)
            except Exception as err:  # a 0-d object array, or iteration that fails
                item, problem = None, f"returned {_type_name(item)} ({err})"
            if item is not None and len(item) == 2:
                arrays.extend(item)
                continue
            if item is not None:
                problem = f"returned {len(item)} arrays"
        findings.append(
            _whole("type", f"layer {layer}: {problem}, expected a (dW, db) pair", layer)
        )
        arrays.extend([_MISSING, _MISSING])
    return arrays, findings


def _type_name(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an ndarray of shape {value.shape}"
    return f"a {type(value).__name__}" if value is not None else "None"


def _whole(kind: str, detail: str, layer: int | None = None) -> Finding:
    return Finding(layer=layer, param=None, kind=kind, detail=detail)


def _layer_count_finding(items, leaves, expected) -> Finding:
    """A wrong number of layers, with the layers the returned entries turn out to hold."""
    holds = []
    for position, item in enumerate(items, start=1):
        arrays = list(item) if is_pair(item) else [item]
        for array in arrays:
            try:
                array = np.asarray(array, dtype=np.float64)
            except Exception:  # not an array of numbers: nothing to recognise
                continue
            for leaf in leaves:
                if array.shape == leaf.array.shape and np.allclose(array, leaf.array, rtol=1e-4):
                    holds.append(f"entry {position} holds {leaf_name(leaf.layer, leaf.param)}")
                    break
    known = f" ({'; '.join(holds)})" if holds else ""
    return _whole("shape", f"returned {len(items)} entries, expected {expected}{known}")


# -- one array against the reference ----------------------------------------------------------


@dataclass(frozen=True)
class _Tolerance:
    rtol: float
    atol: float

    def excess(self, diff, reference_abs, scale, slack) -> np.ndarray:
        """How far each |difference| is beyond its allowance (<= 0 where the entry agrees)."""
        return diff - (self.rtol * np.maximum(reference_abs, scale) + self.atol + slack)


class _Comparer:
    """Checks one candidate array against the reference leaves, in the documented order."""

    def __init__(self, leaves, tolerance, uncertainty, kinks, named_factors):
        self.leaves = leaves
        self.tolerance = tolerance
        self.uncertainty = uncertainty
        self.kinks = kinks
        self.named_factors = named_factors
        overall = _rms(np.concatenate([leaf.array.ravel() for leaf in leaves]))
        floor = max(LAYER_FLOOR * overall, np.finfo(np.float64).tiny)
        self.scales = [max(_rms(leaf.array), floor) for leaf in leaves]

    def agrees(self, values, index, factor=1.0, *, mask=None) -> bool:
        """Whether ``values`` is ``factor`` times leaf ``index``'s reference, within tolerance."""
        target = factor * self.leaves[index].array
        excess = self.tolerance.excess(
            np.abs(values - target),
            np.abs(target),
            abs(factor) * self.scales[index],
            self.uncertainty[index] * abs(factor),
        )
        if mask is not None:
            excess = excess[~mask]
        return bool(np.all(excess <= 0))

    def compare(self, index: int, raw) -> Finding:
        leaf = self.leaves[index]
        base = {"layer": leaf.layer, "param": leaf.param}
        try:
            candidate = np.asarray(raw)
            if (
                candidate.dtype == object
                or not np.issubdtype(candidate.dtype, np.number)
                or np.iscomplexobj(candidate)
            ):
                raise TypeError(f"dtype {candidate.dtype}")
            candidate = candidate.astype(np.float64)
        except Exception as err:  # a foreign object (a tensor that requires grad, say)
            return Finding(
                **base,
                kind="type",
                detail=f"not an array of real numbers ({_type_name(raw)}: {err})",
            )
        finite = np.isfinite(candidate)
        if not finite.all():
            bad = np.argwhere(~finite)
            first = tuple(int(i) for i in bad[0])
            return Finding(
                **base,
                kind="nonfinite",
                worst_index=first,
                candidate_value=float(candidate[first]),
                reference_value=_value_at(leaf.array, first),
                detail=f"{len(bad)} of {candidate.size} entries are NaN or Inf (first at {first})",
            )
        if candidate.shape != leaf.array.shape:
            return self._wrong_shape(index, candidate, base)
        error, worst = self._relative_error(index, candidate)
        numbers = {
            "max_rel_error": float(error[worst]) if error.size else 0.0,
            "worst_index": worst,
            "candidate_value": _value_at(candidate, worst),
            "reference_value": _value_at(leaf.array, worst),
        }
        if self.agrees(candidate, index):
            return Finding(**base, kind="ok", **numbers)
        # Before the fitted explanations: a factor fitted to kink-crossing entries explains nothing.
        if self.kinks[index] is not None and self.kinks[index].any():
            if self.agrees(candidate, index, mask=self.kinks[index]):
                n_kinks = int(self.kinks[index].sum())
                return Finding(
                    **base,
                    kind="kink",
                    detail=(
                        f"differs only at {n_kinks} {'entry' if n_kinks == 1 else 'entries'} whose "
                        "finite difference crossed a kink "
                        "(one-sided derivatives differ there); elsewhere within tolerance"
                    ),
                    **numbers,
                )
        if self.agrees(candidate, index, -1.0):
            return Finding(
                **base, kind="sign", factor=-1.0, detail="exactly the negated gradient", **numbers
            )
        factor = self._fitted_factor(candidate, leaf.array)
        if factor is not None and self.agrees(candidate, index, factor):
            return Finding(
                **base,
                kind="scale",
                factor=factor,
                detail=f"scaled by {describe_factor(factor, self.named_factors)}",
                **numbers,
            )
        if candidate.ndim == 2 and candidate.shape[0] == candidate.shape[1]:
            if self.agrees(candidate.T, index):
                return Finding(
                    **base, kind="transpose", detail="the transpose of the gradient", **numbers
                )
        other = self._other_leaf(candidate, index)
        if other is not None:
            return self._layer_order(base, other, numbers)
        return Finding(
            **base, kind="mismatch", detail=self._worst_entries(index, candidate, error), **numbers
        )

    def _relative_error(self, index, candidate):
        reference = self.leaves[index].array
        error = np.abs(candidate - reference) / np.maximum(np.abs(reference), self.scales[index])
        if error.size == 0:
            return error, ()
        worst = tuple(int(i) for i in np.unravel_index(np.argmax(error), error.shape))
        return error, worst

    def _fitted_factor(self, candidate, reference) -> float | None:
        """Least-squares factor k minimizing |c - k r|, when it is neither 0, 1 nor -1."""
        norm2 = float(np.vdot(reference, reference))
        if norm2 == 0.0:
            return None
        factor = float(np.vdot(candidate, reference)) / norm2
        rtol = max(self.tolerance.rtol, 1e-12)
        if abs(factor) <= rtol or abs(factor - 1) <= rtol:
            return None
        return factor

    def _other_leaf(self, candidate, index) -> int | None:
        """Another leaf (of another layer) whose reference gradient the candidate holds."""
        if not np.any(candidate):  # zeros would "match" any all-zero (dead) layer
            return None
        for other, leaf in enumerate(self.leaves):
            if other == index or leaf.layer == self.leaves[index].layer:
                continue
            if leaf.array.shape == candidate.shape and self.agrees(candidate, other):
                return other
        return None

    def _layer_order(self, base, other: int, numbers) -> Finding:
        leaf = self.leaves[other]
        return Finding(
            **base,
            kind="layer_order",
            other_layer=leaf.layer,
            detail=f"holds {leaf_name(leaf.layer, leaf.param)}'s gradient",
            **numbers,
        )

    def _wrong_shape(self, index, candidate, base) -> Finding:
        leaf = self.leaves[index]
        shapes = f"shape {candidate.shape}, expected {leaf.array.shape}"
        if candidate.ndim == 2 and candidate.T.shape == leaf.array.shape:
            if self.agrees(candidate.T, index):
                return Finding(**base, kind="transpose", detail=f"the transpose ({shapes})")
            factor = self._fitted_factor(candidate.T, leaf.array)
            if factor is not None and self.agrees(candidate.T, index, factor):
                how = (
                    "negated"
                    if math.isclose(factor, -1.0, rel_tol=1e-9)
                    else f"scaled by {describe_factor(factor, self.named_factors)}"
                )
                return Finding(
                    **base,
                    kind="shape",
                    factor=factor,
                    detail=f"{shapes}: the transpose of the gradient, {how}",
                )
            shapes += " (the transpose's shape, and its values differ too)"
        for other, other_leaf in enumerate(self.leaves):
            if other != index and other_leaf.array.shape == candidate.shape:
                if self.agrees(candidate, other):
                    name = leaf_name(other_leaf.layer, other_leaf.param)
                    if other_leaf.layer == leaf.layer:
                        return Finding(
                            **base,
                            kind="shape",
                            detail=f"{shapes}: holds {name}'s gradient (W and b swapped)",
                        )
                    return Finding(
                        **base,
                        kind="layer_order",
                        other_layer=other_leaf.layer,
                        detail=f"holds {name}'s gradient ({shapes})",
                    )
        if candidate.size == leaf.array.size and self.agrees(
            candidate.reshape(leaf.array.shape), index
        ):
            return Finding(
                **base, kind="shape", detail=f"{shapes}; the values match after a reshape"
            )
        return Finding(**base, kind="shape", detail=shapes)

    def _worst_entries(self, index, candidate, error) -> str:
        reference = self.leaves[index].array
        failing = ~self._within(index, candidate)
        order = np.argsort(error, axis=None)[::-1][:N_WORST]
        entries = []
        for flat in order:
            where = tuple(int(i) for i in np.unravel_index(flat, error.shape))
            entries.append(f"{list(where)}: {candidate[where]:.4g} vs {reference[where]:.4g}")
        detail = f"{int(failing.sum())} of {failing.size} entries off; worst " + "; ".join(entries)
        return self._nearly_scaled(candidate, reference) + detail

    def _nearly_scaled(self, candidate, reference) -> str:
        """``"close to 3 x the reference (residual 0.2%); "`` when one factor nearly explains it."""
        norm2 = float(np.vdot(reference, reference))
        size = float(np.linalg.norm(candidate))
        if norm2 == 0.0 or size == 0.0:
            return "all zeros; " if size == 0.0 else ""
        factor = float(np.vdot(candidate, reference)) / norm2
        residual = float(np.linalg.norm(candidate - factor * reference)) / size
        if residual > NEARLY_SCALED or math.isclose(factor, 1.0, rel_tol=NEARLY_SCALED):
            return ""
        return f"close to {factor:.4g} x the reference (residual {100 * residual:.2g}%); "

    def _within(self, index, candidate) -> np.ndarray:
        reference = self.leaves[index].array
        excess = self.tolerance.excess(
            np.abs(candidate - reference),
            np.abs(reference),
            self.scales[index],
            self.uncertainty[index],
        )
        return excess <= 0


def _rms(array: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(array)))) if array.size else 0.0


def _value_at(array: np.ndarray, index) -> float | None:
    if index is None or array.size == 0:
        return None
    try:
        return float(array[index])
    except IndexError:
        return None


# -- the whole gradient -----------------------------------------------------------------------


def compare_gradients(
    candidate,
    reference,
    *,
    rtol: float | None = None,
    atol: float | None = None,
    dtype=None,
    uncertainty=None,
    kinks=None,
    named_factors: Mapping[str, float] | None = None,
) -> list[Finding]:
    """One finding per array of ``reference``, saying what ``candidate`` is there.

    Parameters
    ----------
    candidate : list of (dW, db) pairs or list of arrays
        The gradient under test, as returned (possibly malformed: every defect becomes a finding).
    reference : list of (dW, db) pairs or list of arrays
        The trusted gradient, same structure and shapes the candidate should have.
    rtol, atol : float, optional
        Tolerances; None takes ``default_tolerances(dtype)``'s.
    dtype : numpy dtype, optional
        The precision the candidate computed in; None takes the least precise floating dtype
        among its arrays (float64 when none is floating).
    uncertainty : same structure as ``reference``, optional
        Absolute error estimate of each reference entry (finite differences); added to the
        allowance of that entry.
    kinks : same structure as ``reference`` of bool arrays, optional
        Entries whose finite difference crossed a kink; disagreement confined to them is ``"kink"``.
    named_factors : mapping of str to float, optional
        Quantities to name scale factors after (``{"n_samples": 8}``).

    Returns
    -------
    list of Finding
        In the reference's order (layer 1 W, layer 1 b, layer 2 W, ...); a malformed candidate
        (not a list, a wrong number of layers) gives one finding with ``layer=None``.
    """
    if dtype is not None:
        dtype = _floating_dtype(dtype)
    leaves, structure = _reference_leaves(reference)
    for leaf in leaves:
        if not np.isfinite(leaf.array).all():
            raise argument_error(
                "reference", "finite", got=f"NaN/Inf in {leaf_name(leaf.layer, leaf.param)}"
            )
    uncertainties = (
        [np.zeros_like(leaf.array) for leaf in leaves]
        if uncertainty is None
        else [
            np.asarray(u, dtype=np.float64)
            for u in _same_structure(structure, uncertainty, "uncertainty")
        ]
    )
    kink_masks = (
        [None] * len(leaves)
        if kinks is None
        else [np.asarray(k, dtype=bool) for k in _same_structure(structure, kinks, "kinks")]
    )
    arrays, structure_findings = _candidate_arrays(candidate, reference, leaves)
    if not arrays:
        return structure_findings
    if dtype is None:
        dtype = least_precise_dtype(arrays)
    default_rtol, default_atol = default_tolerances(dtype)
    tolerance = _Tolerance(
        rtol=default_rtol if rtol is None else check_number("rtol", rtol),
        atol=default_atol if atol is None else check_number("atol", atol),
    )
    comparer = _Comparer(leaves, tolerance, uncertainties, kink_masks, dict(named_factors or {}))
    findings = [
        comparer.compare(i, array) for i, array in enumerate(arrays) if array is not _MISSING
    ]
    return structure_findings + _note_reach(findings)


def least_precise_dtype(arrays) -> np.dtype:
    """The floating dtype with the largest eps among ``arrays`` (float64 when there is none)."""
    dtypes = []
    for array in arrays:
        try:
            dtype = np.asarray(array).dtype
        except Exception:  # not convertible: its own finding says so
            continue
        if np.issubdtype(dtype, np.floating):
            dtypes.append(dtype)
    if not dtypes:
        return np.dtype(np.float64)
    return max(dtypes, key=lambda d: np.finfo(d).eps)


def _note_reach(findings: list[Finding]) -> list[Finding]:
    """Add to each mismatch which arrays the mismatch reaches."""
    wrong = [f for f in findings if f.kind == "mismatch"]
    if len(wrong) < 2:
        return findings
    names = [f.name for f in wrong]
    return [
        replace(
            f, detail=f"{f.detail}; mismatch also in {', '.join(n for n in names if n != f.name)}"
        )
        if f.kind == "mismatch"
        else f
        for f in findings
    ]
