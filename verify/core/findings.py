"""A finding: what one parameter's candidate gradient is, compared with the reference.

``compare_gradients`` (``verify.core.compare``) makes them, ``summarize`` and ``findings_table``
(``verify.core.summary``) read them; ``KINDS`` lists what a finding can say.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from verify.core.params import leaf_name

__all__ = ["KINDS", "PASSING_KINDS", "Finding", "finding_from_dict"]

KINDS = (
    "ok",
    "kink",
    "nonfinite",
    "shape",
    "transpose",
    "sign",
    "scale",
    "layer_order",
    "mismatch",
    "exception",
    "type",
    "mutation",
    "inconclusive",
)
PASSING_KINDS = ("ok", "kink")


@dataclass(frozen=True)
class Finding:
    """What one parameter's candidate gradient is, compared with the reference.

    Attributes
    ----------
    layer : int or None
        Layer m = 1..L for (W, b) gradients, array position 1..k for a flat list of arrays; None for
        a finding about the whole call (``"exception"``, ``"type"``, a wrong number of layers,
        ``"mutation"`` of X or y).
    param : {"W", "b"} or None
        None for flat lists of arrays and whole-call findings.
    kind : str
        One of ``KINDS``; ``"ok"`` and ``"kink"`` pass. ``"inconclusive"``: the candidate agrees
        with a reference too imprecise to tell a right gradient from a slightly wrong one (it
        does not pass, and it is not a failure of the candidate either).
    max_rel_error : float or None
        Largest relative error (see the module docstring), None when shapes differ.
    worst_index : tuple of int or None
        Where it occurs, in the candidate's array.
    candidate_value, reference_value : float or None
        The two values there.
    factor : float or None
        candidate / reference for ``"scale"`` (and -1 for ``"sign"``).
    other_layer : int or None
        For ``"layer_order"``: the layer whose gradient the candidate holds.
    detail : str
        One readable sentence or two.
    path : str or None
        Where the array sits in a nested structure (``"params['w'][0]"``), when neither a layer
        and parameter nor a position in a flat list names it; ``name`` is then the path.
    """

    layer: int | None
    param: str | None
    kind: str
    max_rel_error: float | None = None
    worst_index: tuple[int, ...] | None = None
    candidate_value: float | None = None
    reference_value: float | None = None
    factor: float | None = None
    other_layer: int | None = None
    detail: str = ""
    path: str | None = None

    @property
    def passed(self) -> bool:
        return self.kind in PASSING_KINDS

    @property
    def name(self) -> str:
        """``"W^2"``, ``"b^1"``, ``"[3]"`` (flat list), a path, or ``"-"`` (whole call)."""
        return self.path if self.path else leaf_name(self.layer, self.param)

    def to_dict(self) -> dict:
        """JSON-ready: plain floats, ints, lists and strings."""
        out = asdict(self)
        out["worst_index"] = list(self.worst_index) if self.worst_index is not None else None
        for key in ("max_rel_error", "candidate_value", "reference_value", "factor"):
            out[key] = _json_float(out[key])
        out["passed"] = self.passed
        return out


def finding_from_dict(data: dict) -> Finding:
    """The Finding that ``Finding.to_dict`` described (a report read back from JSON)."""
    values = {name: data.get(name) for name in Finding.__dataclass_fields__ if name in data}
    for key in ("max_rel_error", "candidate_value", "reference_value", "factor"):
        if isinstance(values.get(key), str):
            values[key] = float(values[key])  # "inf", "nan"
    if values.get("worst_index") is not None:
        values["worst_index"] = tuple(values["worst_index"])
    return Finding(**values)


def _json_float(value):
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else str(value)
