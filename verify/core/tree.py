"""Parameters of any nesting: arrays and numbers in lists, tuples and dicts, apart and together.

``gradcheck`` accepts the parameters the way a user keeps them (a bare array, a dict of arrays, a
list of (W, b) pairs, nested tuples holding Python floats) and hands ``loss_fn`` and ``grad_fn``
that same structure back. ``flatten_tree`` takes it apart into real floating-point leaves, each
with its path (``"params['w'][0]"``), and a :class:`Node` that ``unflatten_tree`` puts new leaves
back into, with the user's own containers and leaf types.

Leaves
------
- a NumPy array of real floating-point numbers (float16/32/64, longdouble);
- a real floating-point number (a Python float, ``np.float32(1)``, ...): handed back as a NumPy
  scalar of its dtype, which behaves like the float it replaces;
- a non-empty list or tuple of such numbers, which is one array written as a list (``[1.0, 2.0]``)
  and is handed back as the same container of numbers.

Containers are lists, tuples (named tuples too) and dicts (any mapping type that rebuilds from its
items; keys keep their order). Anything else is refused with its path: integer and bool leaves
(they have no gradient), complex ones (a real loss of complex parameters has no single gradient
convention: pass the real and imaginary parts as separate leaves), non-finite ones, and other
objects. Self-referential containers, nesting deeper than ``MAX_DEPTH`` and more than
``MAX_LEAVES`` leaves are refused too.

``guard`` makes what foreign code *returned* safe to read: it walks it with the same limits and
budget of numbers and materializes iterators, so that converting it can neither recurse forever
nor allocate without bound.

Examples
--------
>>> import numpy as np
>>> leaves, paths, tree = flatten_tree({"w": np.ones(2), "b": 0.5})
>>> paths
["params['w']", "params['b']"]
>>> unflatten_tree(tree, [2 * leaf for leaf in leaves])
{'w': array([2., 2.]), 'b': np.float64(1.0)}
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from verify.core.validation import argument_error

__all__ = [
    "MAX_DEPTH",
    "MAX_LEAVES",
    "GuardError",
    "Node",
    "flatten_like",
    "flatten_tree",
    "guard",
    "tree_paths",
    "unflatten_tree",
]

MAX_DEPTH = 64  # containers nested deeper than this are refused (or reported, when returned)
MAX_LEAVES = (
    100_000  # more leaves than this are refused: parameters are arrays, not lists of floats
)

_EXPECTED = "a floating-point array or number, or a list, tuple or dict of them"


@dataclass(frozen=True)
class Node:
    """Where leaves go: one node of a parameter tree.

    Attributes
    ----------
    kind : {"array", "number", "numbers", "list", "dict"}
        A leaf (an array, a number, a list or tuple of numbers) or a container ("list" stands for
        lists and tuples).
    container : type or None
        The container's type (list, tuple, a named tuple, dict, ...), or for a leaf the type of
        the number or of the list of numbers.
    children : tuple of Node
        A container's items, in order.
    keys : tuple
        A dict's keys, in order.
    dtype : numpy dtype or None
        A leaf's dtype.
    """

    kind: str
    container: type | None = None
    children: tuple[Node, ...] = ()
    keys: tuple = ()
    dtype: np.dtype | None = None

    @property
    def is_leaf(self) -> bool:
        return self.kind in ("array", "number", "numbers")

    def leaves(self) -> Iterator[Node]:
        """The leaf nodes, in flattening order."""
        if self.is_leaf:
            yield self
        for child in self.children:
            yield from child.leaves()


def _is_number(value) -> bool:
    return isinstance(value, (numbers.Number, np.generic)) and not isinstance(value, np.ndarray)


def _refuse_number(value, path: str) -> None:
    """TypeError/ValueError unless ``value`` is a finite real floating-point number or array."""
    dtype = np.asarray(value).dtype
    if dtype == np.bool_ or isinstance(value, bool):
        got = f"a bool {value!r}" if not isinstance(value, np.ndarray) else "dtype bool"
        raise argument_error(path, _EXPECTED, error=TypeError, got=f"{got} (it has no gradient)")
    if np.issubdtype(dtype, np.integer):
        got = f"dtype {dtype}" if isinstance(value, np.ndarray) else f"the integer {value!r}"
        raise argument_error(
            path,
            _EXPECTED,
            error=TypeError,
            got=f"{got}; integers have no gradient: write it as a float (1.0), or keep it out "
            "of params",
        )
    if np.issubdtype(dtype, np.complexfloating):
        got = f"dtype {dtype}" if isinstance(value, np.ndarray) else f"the complex {value!r}"
        raise argument_error(
            path,
            "real",
            error=TypeError,
            got=f"{got}; a real loss of complex parameters has no single gradient convention: "
            "pass the real and imaginary parts as separate leaves",
        )
    if not np.issubdtype(dtype, np.floating):
        raise argument_error(path, _EXPECTED, error=TypeError, got=f"dtype {dtype}")
    finite = np.isfinite(value)
    if not np.all(finite):
        bad = int(np.size(finite) - np.count_nonzero(finite))
        raise argument_error(path, "finite", got=f"{bad} NaN/Inf entries")


def _numbers_leaf(value) -> bool:
    """A non-empty list or tuple whose items are all numbers: one array written as a list."""
    return (
        isinstance(value, (list, tuple))
        and not hasattr(value, "_fields")
        and len(value) > 0
        and all(_is_number(item) for item in value)
    )


def flatten_tree(value, argument: str = "params") -> tuple[list[np.ndarray], list[str], Node]:
    """The leaves of ``value`` as arrays (copies), their paths, and the tree to rebuild it.

    Parameters
    ----------
    value : array, number, or list/tuple/dict of them, nested
        See the module docstring.
    argument : str
        The argument's name: the root of every path in leaves' names and error messages.

    Returns
    -------
    leaves : list of numpy.ndarray
        One per leaf, in its own dtype (a number is a 0-d array, a list of numbers a 1-D one).
    paths : list of str
        ``"params"``, ``"params[0][1]"``, ``"params['w']"``.
    tree : Node

    Raises
    ------
    TypeError
        A leaf of another type (an integer, a bool, a complex number, a string, an object).
    ValueError
        No leaves at all, a non-finite leaf, a self-referential container, nesting deeper than
        ``MAX_DEPTH`` or more than ``MAX_LEAVES`` leaves.
    """
    leaves: list[np.ndarray] = []
    paths: list[str] = []
    active: set[int] = set()

    def visit(item, path: str, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise argument_error(argument, f"nested at most {MAX_DEPTH} deep", got=f"{path}")
        if len(leaves) >= MAX_LEAVES:
            raise argument_error(
                argument, f"at most {MAX_LEAVES} leaves (arrays or numbers)", got="more"
            )
        if isinstance(item, np.ndarray):
            _refuse_number(item, path)
            leaves.append(np.array(item, copy=True))
            paths.append(path)
            return Node("array", np.ndarray, dtype=item.dtype)
        if _is_number(item):
            _refuse_number(item, path)
            leaves.append(np.array(item))
            paths.append(path)
            return Node("number", type(item), dtype=leaves[-1].dtype)
        if _numbers_leaf(item):
            for i, number in enumerate(item):
                _refuse_number(number, f"{path}[{i}]")
            array = np.array(item)
            leaves.append(array)
            paths.append(path)
            return Node("numbers", type(item), dtype=array.dtype)
        if isinstance(item, (list, tuple, Mapping)):
            if id(item) in active:
                raise argument_error(
                    argument, "a tree (no container inside itself)", got=f"{path} contains itself"
                )
            active.add(id(item))
            try:
                if isinstance(item, Mapping):
                    keys = tuple(item.keys())
                    children = tuple(
                        visit(item[key], f"{path}[{key!r}]", depth + 1) for key in keys
                    )
                    return Node("dict", type(item), children, keys)
                children = tuple(
                    visit(child, f"{path}[{i}]", depth + 1) for i, child in enumerate(item)
                )
                return Node("list", type(item), children)
            finally:
                active.discard(id(item))
        raise argument_error(path, _EXPECTED, error=TypeError, got=type(item).__name__)

    tree = visit(value, argument, 0)
    if not leaves:
        raise argument_error(
            argument, "a structure holding at least one array or number", got=_describe(value)
        )
    return leaves, paths, tree


def _describe(value) -> str:
    if isinstance(value, (list, tuple, Mapping)) and not value:
        return f"an empty {type(value).__name__}"
    return f"a {type(value).__name__} with no arrays or numbers in it"


def _rebuild(container: type, items: list):
    """``container`` holding ``items``: a list, a tuple, a named tuple, a list subclass."""
    if hasattr(container, "_fields"):
        return container(*items)
    try:
        return container(items)
    except Exception:  # a subclass whose constructor takes something else
        return list(items) if issubclass(container, list) else tuple(items)


def unflatten_tree(tree: Node, leaves: Sequence):
    """``leaves`` (in ``flatten_tree``'s order) put back into ``tree``'s containers.

    An array leaf is used as given; a number becomes a NumPy scalar of the given leaf's dtype
    (``np.float64`` is a ``float``; ``np.complex128`` during complex steps); a list of numbers the
    same container of such scalars.
    """
    source = iter(leaves)

    def build(node: Node):
        if node.kind == "array":
            return next(source)
        if node.kind == "number":
            return np.asarray(next(source)).reshape(())[()]
        if node.kind == "numbers":
            array = np.asarray(next(source)).reshape(-1)
            return _rebuild(node.container, [array[i] for i in range(array.size)])
        items = [build(child) for child in node.children]
        if node.kind == "dict":
            pairs = list(zip(node.keys, items))
            try:
                return node.container(pairs)
            except Exception:  # a mapping type that does not rebuild from pairs
                return dict(pairs)
        return _rebuild(node.container, items)

    return build(tree)


def tree_paths(tree: Node, argument: str = "params") -> list[str]:
    """The path of each leaf of ``tree`` under ``argument``, in flattening order."""
    paths: list[str] = []

    def walk(node: Node, path: str) -> None:
        if node.is_leaf:
            paths.append(path)
            return
        labels = [repr(key) for key in node.keys] if node.kind == "dict" else None
        for i, child in enumerate(node.children):
            walk(child, f"{path}[{labels[i] if labels else i}]")

    walk(tree, argument)
    return paths


def flatten_like(tree: Node, value, argument: str = "gradient") -> tuple[list, list[str]]:
    """``value``'s parts at ``tree``'s leaves, for comparing a returned gradient leaf by leaf.

    Returns ``(parts, problems)``: per leaf of ``tree``, the object ``value`` holds there (None
    where it does not have ``tree``'s structure) and the problem found on the way there (``""``
    when none), worded with paths under ``argument``. Lists and tuples stand for each other; a
    leaf's part is not converted (the comparison does that).
    """
    parts: list = []
    problems: list[str] = []

    def fill(node: Node, problem: str) -> None:
        for _ in node.leaves():
            parts.append(None)
            problems.append(problem)

    def walk(node: Node, item, path: str) -> None:
        if node.is_leaf:
            parts.append(item)
            problems.append("")
            return
        if node.kind == "dict":
            if not isinstance(item, Mapping):
                fill(node, f"{path} is {_name(item)}, expected a dict")
                return
            for key, child in zip(node.keys, node.children):
                if key in item:
                    walk(child, item[key], f"{path}[{key!r}]")
                else:
                    fill(child, f"{path} has no key {key!r}")
            return
        if not isinstance(item, (list, tuple)):
            fill(node, f"{path} is {_name(item)}, expected a {node.container.__name__}")
            return
        if len(item) != len(node.children):
            fill(node, f"{path} has {len(item)} items, expected {len(node.children)}")
            return
        for i, (child, part) in enumerate(zip(node.children, item)):
            walk(child, part, f"{path}[{i}]")

    walk(tree, value, argument)
    return parts, problems


def _name(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an ndarray of shape {value.shape}"
    return "None" if value is None else f"a {type(value).__name__}"


# -- what foreign code returned ---------------------------------------------------------------


class GuardError(ValueError):
    """What was returned cannot be read safely (it contains itself, is too deep or too big)."""


def guard(value, budget: int, *, what: str = "it"):
    """``value`` with its iterators materialized, after checking it can be read safely.

    Lists, tuples and dicts are walked (and rebuilt as lists, tuples and dicts); arrays, numbers
    and other objects are kept as they are, counting their sizes; any other iterable (a generator,
    a ``map``) becomes a list. Raises :class:`GuardError` naming the problem when ``value``
    contains itself, is nested deeper than ``MAX_DEPTH`` or holds more than ``budget`` numbers.
    """
    count = 0
    active: set[int] = set()

    def spend(n: int) -> None:
        nonlocal count
        count += n
        if count > budget:
            raise GuardError(f"{what} holds more than {budget:,} numbers, far more than expected")

    def visit(item, depth: int):
        if depth > MAX_DEPTH:
            raise GuardError(f"{what} is nested more than {MAX_DEPTH} deep")
        if isinstance(item, np.ndarray):
            if item.dtype != object:
                spend(item.size)
            elif item.ndim:  # its objects are read one by one later: check them, keep the array
                visit(item.tolist(), depth + 1)
            return item
        if item is None or isinstance(item, (str, bytes)) or _is_number(item):
            spend(1)
            return item
        if isinstance(item, (list, tuple, Mapping)):
            if id(item) in active:
                raise GuardError(f"{what} contains itself (a self-referential container)")
            active.add(id(item))
            try:
                if isinstance(item, Mapping):
                    return {key: visit(child, depth + 1) for key, child in item.items()}
                items = [visit(child, depth + 1) for child in item]
                return tuple(items) if isinstance(item, tuple) else items
            finally:
                active.discard(id(item))
        size = getattr(item, "size", None)  # an array-like (a tensor): counted, kept as it is
        if isinstance(size, numbers.Integral) and not isinstance(size, bool):
            spend(int(size))
            return item
        if isinstance(item, Iterator) or (
            isinstance(item, Iterable) and not hasattr(item, "__array__")
        ):
            items = list(itertools.islice(iter(item), budget - count + 1))
            spend(len(items))
            return [visit(child, depth + 1) for child in items]
        spend(1)
        return item

    return visit(value, 0)
