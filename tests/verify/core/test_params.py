"""verify.core.params: one flatten/unflatten and one naming of a list of arrays or of pairs."""

from __future__ import annotations

import numpy as np
import pytest

from verify.core.params import PAIR, array_leaf, flatten, is_group, is_pair, leaf_name, real_leaf


def pairs(n_layers=2):
    return [(np.full((2, 3), float(m)), np.full(2, -float(m))) for m in range(n_layers)]


def test_pairs_flatten_in_layer_order_and_come_back_with_their_containers():
    params = [*pairs(), [np.ones((1, 2)), np.zeros(1)]]
    leaves, structure = flatten(params)
    assert [leaf.shape for leaf in leaves] == [(2, 3), (2,)] * 2 + [(1, 2), (1,)]
    assert structure.pairs and not structure.arrays and structure.n_leaves == 6
    assert structure.names() == ["W^1", "b^1", "W^2", "b^2", "W^3", "b^3"]
    assert structure.labels()[:2] == [(1, PAIR[0]), (1, PAIR[1])]
    assert structure.paths()[:3] == ["params[0][0]", "params[0][1]", "params[1][0]"]
    back = structure.unflatten(leaves)
    assert type(back) is list and type(back[0]) is tuple and type(back[2]) is list
    assert all(a is b for a, b in zip(flatten(back)[0], leaves))
    canonical = structure.canonical().unflatten(leaves)
    assert all(type(item) is tuple for item in canonical)


def test_a_list_of_arrays_is_named_by_position_and_lists_of_numbers_are_arrays():
    leaves, structure = flatten((np.ones(3), [1.0, 2.0]), "grad")
    assert structure.arrays and not structure.pairs
    assert structure.names() == ["[1]", "[2]"] and structure.paths("grad") == ["grad[0]", "grad[1]"]
    assert type(structure.unflatten(leaves)) is tuple
    assert not is_group([1.0, 2.0]) and is_pair((np.ones(2), np.ones(1)))
    assert not is_pair((np.ones(2),)) and is_group((np.ones(2),))


def test_mixed_groups_flatten_but_have_no_names_when_names_are_required():
    params = [(np.ones((2, 3)), np.ones(2)), (np.ones(2),)]
    leaves, structure = flatten(params)
    assert len(leaves) == 3 and not structure.pairs and not structure.arrays
    assert structure.unflatten(leaves)[1][0] is leaves[2]
    with pytest.raises(TypeError, match=r"`params` must be a list of .*, got items of \[2, 1\]"):
        flatten(params, named=True)


def test_leaves_are_checked_with_their_paths():
    with pytest.raises(TypeError, match=r"`params` must be a list of arrays or of .*got ndarray"):
        flatten(np.ones(3))
    with pytest.raises(ValueError, match="`w` must be a list holding at least one array, got an"):
        flatten((), "w")
    with pytest.raises(TypeError, match=r"`params\[1\]\[0\]` must be an array of real floating"):
        flatten([pairs()[0], (np.arange(2), np.ones(1))], leaf=real_leaf)
    with pytest.raises(ValueError, match=r"`params\[0\]` must be finite, got 2 NaN/Inf entries"):
        flatten([np.array([np.nan, np.inf])], leaf=real_leaf)
    with pytest.raises(TypeError, match=r"`params\[0\]` must be an array, got list"):
        array_leaf([1.0], "params[0]")
    assert real_leaf([1.0, 2.0], "x", convert=True).dtype == np.float64


def test_leaf_names():
    assert [leaf_name(None, None), leaf_name(2, "W"), leaf_name(3, None)] == ["-", "W^2", "[3]"]
