"""Parameter trees: any nesting taken apart and put back in the user's containers; what foreign
code returned read without recursing forever or allocating without bound."""

from __future__ import annotations

from collections import OrderedDict, namedtuple

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from verify.core.tree import (
    MAX_DEPTH,
    GuardError,
    flatten_like,
    flatten_tree,
    guard,
    tree_paths,
    unflatten_tree,
)

Pair = namedtuple("Pair", "W b")

FINITE = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
LEAVES = st.one_of(
    FINITE,
    st.lists(FINITE, min_size=1, max_size=3),
    st.lists(FINITE, min_size=1, max_size=6).map(np.array),
)
TREES = st.recursive(
    LEAVES,
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=3),
        st.lists(children, min_size=1, max_size=3).map(tuple),
        st.dictionaries(st.text("abc", min_size=1, max_size=2), children, min_size=1, max_size=3),
    ),
    max_leaves=8,
)


def same(a, b) -> bool:
    """Equal values in the same containers (lists stay lists, tuples tuples, dicts dicts)."""
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b)
    if isinstance(a, dict):
        return type(a) is type(b) and list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    return isinstance(b, float) and a == b


@given(TREES)
def test_flatten_and_unflatten_give_back_the_users_structure(tree_value):
    leaves, paths, tree = flatten_tree(tree_value)
    assert len(leaves) == len(paths) == len(list(tree.leaves()))
    assert paths == tree_paths(tree)
    assert all(path.startswith("params") for path in paths)
    assert same(tree_value, unflatten_tree(tree, leaves))
    doubled = unflatten_tree(tree, [2 * leaf for leaf in leaves])
    assert all(np.array_equal(2 * a, b) for a, b in zip(leaves, flatten_tree(doubled)[0]))


def test_containers_and_number_types_are_kept():
    value = {
        "pair": Pair(np.ones(2), 0.5),
        "od": OrderedDict(a=[1.0, 2.0]),
        "t": (np.float32(3), np.ones(1)),
    }
    leaves, paths, tree = flatten_tree(value)
    assert paths == [
        "params['pair'][0]",
        "params['pair'][1]",
        "params['od']['a']",
        "params['t'][0]",
        "params['t'][1]",
    ]
    back = unflatten_tree(tree, leaves)
    assert isinstance(back["pair"], Pair) and isinstance(back["od"], OrderedDict)
    assert isinstance(back["pair"].b, float) and back["pair"].b == 0.5
    assert back["od"]["a"] == [1.0, 2.0] and isinstance(back["od"]["a"], list)
    assert back["t"][0].dtype == np.float32  # a float32 number stays float32
    complex_back = unflatten_tree(tree, [leaf + 1j for leaf in leaves])
    assert complex_back["pair"].b == 0.5 + 1j  # complex steps reach numbers too


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (np.arange(3), TypeError, r"`params` must be a floating-point .*got dtype int64; integers"),
        ([1, 2.0], TypeError, r"`params\[0\]` must be .*got the integer 1"),
        (3, TypeError, r"`params` must be .*got the integer 3"),
        (True, TypeError, r"`params` must be .*got a bool True \(it has no gradient\)"),
        ([np.ones(2, bool)], TypeError, r"`params\[0\]` must be .*got dtype bool"),
        (1j, TypeError, r"`params` must be real, got the complex 1j; a real loss of complex"),
        ([np.ones(2, complex)], TypeError, r"`params\[0\]` must be real, got dtype complex128"),
        ({"w": "x"}, TypeError, r"`params\['w'\]` must be .*got str"),
        ([None], TypeError, r"`params\[0\]` must be .*got NoneType"),
        ([np.array([1.0, np.nan])], ValueError, r"`params\[0\]` must be finite, got 1 NaN/Inf"),
        (
            [],
            ValueError,
            r"`params` must be a structure holding at least one array or number, got an empty list",
        ),
        ({}, ValueError, r"`params` must be a structure .*got an empty dict"),
        ([[], ()], ValueError, r"`params` must be a structure .*got a list with no arrays"),
        (np.array(["a"]), TypeError, r"`params` must be .*got dtype <U1"),
    ],
)
def test_refused_leaves_are_named_by_path(value, error, message):
    with pytest.raises(error, match=message):
        flatten_tree(value)


def test_self_reference_depth_and_size_are_refused(monkeypatch):
    loop = [np.ones(1)]
    loop.append(loop)
    with pytest.raises(ValueError, match=r"`params` must be a tree .*params\[1\] contains itself"):
        flatten_tree(loop)
    deep = np.ones(1)
    for _ in range(MAX_DEPTH + 1):
        deep = [deep]
    with pytest.raises(ValueError, match=f"`params` must be nested at most {MAX_DEPTH} deep"):
        flatten_tree(deep)
    import verify.core.tree

    monkeypatch.setattr(verify.core.tree, "MAX_LEAVES", 10)
    with pytest.raises(ValueError, match="`params` must be at most 10 leaves"):
        flatten_tree([[float(i)] for i in range(11)])


def test_flatten_like_names_where_a_returned_structure_differs():
    _, _, tree = flatten_tree({"w": np.ones(2), "b": [np.ones(1), 0.5]})
    parts, problems = flatten_like(tree, {"w": [1.0, 2.0], "b": [np.zeros(1), 1.0]})
    assert problems == ["", "", ""] and parts[0] == [1.0, 2.0] and parts[2] == 1.0
    _, problems = flatten_like(tree, {"w": np.ones(2)})
    assert problems == ["", "gradient has no key 'b'", "gradient has no key 'b'"]
    parts, problems = flatten_like(tree, {"b": [np.zeros(1), 1.0]})
    assert problems == ["gradient has no key 'w'", "", ""] and parts[2] == 1.0
    _, problems = flatten_like(tree, {"w": 1.0, "b": (np.ones(1),)})
    assert problems[1:] == ["gradient['b'] has 1 items, expected 2"] * 2
    _, problems = flatten_like(tree, [np.ones(2)])
    assert set(problems) == {"gradient is a list, expected a dict"}
    _, problems = flatten_like(tree, {"w": 1.0, "b": None})
    assert problems[1] == "gradient['b'] is None, expected a list"


def test_guard_reads_foreign_returns_safely():
    loop = []
    loop.append(loop)
    with pytest.raises(GuardError, match="contains itself"):
        guard(loop, 100)
    with pytest.raises(GuardError, match="contains itself"):
        guard({"a": [loop]}, 100)
    with pytest.raises(GuardError, match="more than 100 numbers"):
        guard(np.broadcast_to(0.0, (10**12,)), 100)  # no memory behind it, and never copied
    with pytest.raises(GuardError, match="more than 100 numbers"):
        guard(iter(int, 1), 100)  # an endless iterator
    with pytest.raises(GuardError, match="more than 100 numbers"):
        guard([[0.0] * 60, [0.0] * 60], 100)
    deep = []
    for _ in range(MAX_DEPTH + 2):
        deep = [deep]
    with pytest.raises(GuardError, match="nested more than"):
        guard(deep, 10**6)
    assert guard((x for x in [np.ones(2), 3.0]), 100)[1] == 3.0  # a generator becomes a list
    objects = np.empty(2, dtype=object)
    objects[0] = objects
    with pytest.raises(GuardError, match=r"contains itself|nested more than"):
        guard(objects, 100)
    kept = np.ones(3)
    assert guard([kept], 10)[0] is kept  # arrays are not copied
