"""Parameters as leaves: a list of (W, b) pairs or a list of arrays, flattened and named one way.

Every room of ``verify`` takes a model's parameters (and the gradients, error estimates and kink
masks that share their structure) as a list whose items are arrays or groups of arrays:

- a list of (W, b) pairs, one per layer m = 1..L: its leaves are W^1, b^1, W^2, ..., named
  ``"W^m"`` and ``"b^m"``;
- a list of arrays: its leaves are the items, named ``"[i]"``, i = 1..k;
- (finite differences of a black-box loss only) any mix of arrays and groups, named like a list
  of arrays by the leaves' positions.

An item is a group when it is a list or tuple of arrays, not of numbers (``[1.0, 2.0]`` is one
array written as a list). ``flatten`` gives the leaves in order and a :class:`Structure` that puts
leaves back (``unflatten``, keeping the list and tuple containers) and labels them (``labels``,
``names``).

Examples
--------
>>> import numpy as np
>>> leaves, structure = flatten([(np.ones((2, 3)), np.zeros(2))])
>>> [leaf.shape for leaf in leaves], structure.names()
([(2, 3), (2,)], ['W^1', 'b^1'])
>>> structure.unflatten([2 * leaf for leaf in leaves])[0][1]
array([0., 0.])
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from verify.core.validation import argument_error

__all__ = [
    "PAIR",
    "Structure",
    "array_leaf",
    "flatten",
    "is_group",
    "is_pair",
    "leaf_name",
    "parameter_count",
    "real_leaf",
]

PAIR = ("W", "b")  # the names of a pair's two leaves


def is_group(item) -> bool:
    """Whether ``item`` is a group of arrays: a list or tuple holding no numbers."""
    return isinstance(item, (list, tuple)) and not any(isinstance(a, numbers.Number) for a in item)


def is_pair(item) -> bool:
    """Whether ``item`` is a (W, b) pair: a group of two."""
    return is_group(item) and len(item) == 2


def parameter_count(sizes: Sequence[int]) -> int:
    """Parameters of a dense network of layer ``sizes``: a W^m and a b^m per layer.

    >>> parameter_count([2, 3, 1])
    13
    """
    return sum(n_out * (n_in + 1) for n_in, n_out in itertools.pairwise(sizes))


def leaf_name(layer: int | None, param: str | None) -> str:
    """``"W^2"``, ``"b^1"`` for a pair's leaf, ``"[3]"`` for array 3 of a list, ``"-"`` for None."""
    if layer is None:
        return "-"
    return f"{param}^{layer}" if param else f"[{layer}]"


@dataclass(frozen=True)
class Structure:
    """Where the leaves of a list of arrays and groups of arrays go.

    Attributes
    ----------
    outer : type
        ``list`` or ``tuple``, the container of the items.
    groups : tuple
        Per item: None for an array, or (container type, length) for a group.
    """

    outer: type
    groups: tuple[tuple[type, int] | None, ...]

    @property
    def pairs(self) -> bool:
        """Whether every item is a (W, b) pair."""
        return all(group is not None and group[1] == 2 for group in self.groups)

    @property
    def arrays(self) -> bool:
        """Whether every item is an array."""
        return all(group is None for group in self.groups)

    @property
    def n_items(self) -> int:
        return len(self.groups)

    @property
    def n_leaves(self) -> int:
        return sum(1 if group is None else group[1] for group in self.groups)

    def unflatten(self, leaves: Sequence):
        """``leaves`` (in ``flatten``'s order) put back into this structure."""
        leaves = iter(leaves)
        return self.outer(
            next(leaves) if group is None else group[0](next(leaves) for _ in range(group[1]))
            for group in self.groups
        )

    def canonical(self) -> Structure:
        """The same structure as a list of arrays and tuples."""
        groups = tuple(None if group is None else (tuple, group[1]) for group in self.groups)
        return Structure(list, groups)

    def labels(self) -> list[tuple[int, str | None]]:
        """(layer, param) of each leaf: (m, "W"), (m, "b") for pairs, else (i, None), i = 1..k."""
        if self.pairs:
            return [(m, param) for m in range(1, self.n_items + 1) for param in PAIR]
        return [(i, None) for i in range(1, self.n_leaves + 1)]

    def names(self) -> list[str]:
        """``"W^1"``, ``"b^1"``, ... or ``"[1]"``, ``"[2]"``, ... per leaf."""
        return [leaf_name(layer, param) for layer, param in self.labels()]

    def paths(self, argument: str = "params") -> list[str]:
        """Where each leaf sits in the argument: ``"params[0][1]"`` or ``"params[2]"``."""
        paths = []
        for i, group in enumerate(self.groups):
            if group is None:
                paths.append(f"{argument}[{i}]")
            else:
                paths += [f"{argument}[{i}][{k}]" for k in range(group[1])]
        return paths


def flatten(
    structure, argument: str = "params", leaf: Callable | None = None, *, named: bool = False
) -> tuple[list, Structure]:
    """The leaves of a list (or tuple) of arrays and groups of arrays, and its :class:`Structure`.

    Parameters
    ----------
    structure : list or tuple
        Non-empty; see the module docstring for what is a group.
    argument : str
        The argument's name in error messages (leaf paths are ``argument[i][k]``).
    leaf : callable, optional
        ``leaf(value, path) -> array``, applied to each leaf in order: a check or conversion
        (``real_leaf``, say). None keeps the leaves as they are.
    named : bool
        Require a structure whose leaves have names: a list of (W, b) pairs or of arrays.

    Raises
    ------
    TypeError
        ``structure`` is not a list or tuple (or, when ``named``, mixes arrays and groups).
    ValueError
        ``structure`` is empty.
    """
    expected = "a list of arrays or of (W, b) pairs of arrays"
    if isinstance(structure, np.ndarray) or not isinstance(structure, (list, tuple)):
        raise argument_error(argument, expected, error=TypeError, got=type(structure).__name__)
    if not structure:
        empty = f"an empty {type(structure).__name__}"
        raise argument_error(argument, "a list holding at least one array", got=empty)
    shape = Structure(
        type(structure),
        tuple((type(item), len(item)) if is_group(item) else None for item in structure),
    )
    if named and not (shape.pairs or shape.arrays):
        lengths = [1 if group is None else group[1] for group in shape.groups]
        raise argument_error(argument, expected, error=TypeError, got=f"items of {lengths} arrays")
    leaves = [a for item in structure for a in (item if is_group(item) else (item,))]
    if leaf is not None:
        leaves = [leaf(value, path) for value, path in zip(leaves, shape.paths(argument))]
    return leaves, shape


def array_leaf(value, path: str) -> np.ndarray:
    """``value`` checked to be a NumPy array (of any dtype and values)."""
    if not isinstance(value, np.ndarray):
        raise argument_error(path, "an array", error=TypeError, got=type(value).__name__)
    return value


def real_leaf(value, path: str, *, convert: bool = False) -> np.ndarray:
    """``value`` checked to be a finite array of real floating-point numbers (it gets perturbed).

    ``convert`` first turns an array-like (a list, a tensor) into an array; otherwise anything
    but a NumPy array is refused.
    """
    expected = "an array of real floating-point numbers"
    if convert:
        value = np.asarray(value)
    if not isinstance(value, np.ndarray):
        raise argument_error(path, expected, error=TypeError, got=type(value).__name__)
    if not np.issubdtype(value.dtype, np.floating):
        raise argument_error(path, expected, error=TypeError, got=f"dtype {value.dtype}")
    finite = np.isfinite(value)
    if not finite.all():
        raise argument_error(path, "finite", got=f"{int((~finite).sum())} NaN/Inf entries")
    return value
