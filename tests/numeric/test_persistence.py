"""Saving and loading networks: every field round-trips, every malformed file is refused, and the
file is written whole with the usual permissions."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from numeric import ACTIVATIONS, COSTS, Network
from numeric.files import atomic_write, atomic_write_bytes


def _arrays(path):
    with np.load(path) as data:
        return dict(data)


def _rewrite(path, arrays):
    np.savez(path, **arrays)
    return path


def _trained(reduction, dtype):
    net = Network(
        [3, 4, 2],
        ["tanh", "softmax"],
        "categorical_cross_entropy",
        seed=2,
        dtype=dtype,
        reduction=reduction,
        init="xavier",
    )
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 3))
    y = np.eye(2)[rng.integers(0, 2, 6)]
    net.fit(X, y, learning_rate=0.5, epochs=3, progress=False)  # biases no longer all zero
    return net


# -- the round trip -------------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_every_field_round_trips(tmp_path, reduction, dtype):
    net = _trained(reduction, dtype)
    path = tmp_path / "net.npz"
    net.save(path)
    loaded = Network.load(path)
    assert loaded.sizes == (3, 4, 2)
    assert [a.name for a in loaded.activations] == ["tanh", "softmax"]
    assert all(a is ACTIVATIONS[a.name] for a in loaded.activations)  # the registered entries
    assert loaded.cost is COSTS["categorical_cross_entropy"]
    assert loaded.dtype == np.dtype(dtype) and loaded.reduction == reduction
    assert len(loaded.params) == 2
    for (W, b), (W2, b2) in zip(net.params, loaded.params):
        assert W2.dtype == np.dtype(dtype) and b2.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(W2, W)
        np.testing.assert_array_equal(b2, b)
    # The reduction is what makes the loss a mean or a sum: the two agree on it.
    X, y = np.ones((3, 3)), np.array([[1.0, 0.0]] * 3)
    assert loaded.loss(X, y) == net.loss(X, y)


def test_the_file_holds_the_documented_metadata(tmp_path):
    path = tmp_path / "net.npz"
    Network([2, 3, 1], ["relu", "sigmoid"], "cross_entropy", seed=0, reduction="sum").save(path)
    arrays = _arrays(path)
    assert sorted(arrays) == ["W1", "W2", "b1", "b2", "meta"]
    meta = json.loads(str(arrays["meta"]))
    expected = {
        "format": "chainrule.numeric.Network",
        "sizes": [2, 3, 1],
        "activations": ["relu", "sigmoid"],
        "cost": "cross_entropy",
        "dtype": "float64",
        "reduction": "sum",
    }
    assert {key: meta[key] for key in expected} == expected
    assert isinstance(meta["version"], int) and meta["version"] >= 1
    assert arrays["W1"].shape == (3, 2) and arrays["b2"].shape == (1,)


def test_loading_does_not_depend_on_a_seed(tmp_path):
    # The parameters come from the file: two loads of one file are the same network.
    path = tmp_path / "net.npz"
    Network([2, 2, 1], seed=5).save(path)
    a, b = Network.load(path), Network.load(path)
    for (W, bias), (W2, bias2) in zip(a.params, b.params):
        np.testing.assert_array_equal(W, W2)
        np.testing.assert_array_equal(bias, bias2)


def test_save_overwrites_and_creates_folders(tmp_path):
    path = tmp_path / "deep" / "er" / "net.npz"
    Network([2, 1], "sigmoid", seed=0).save(path)
    Network([2, 5, 1], seed=0).save(path)
    assert Network.load(path).sizes == (2, 5, 1)
    assert [p.name for p in path.parent.iterdir()] == ["net.npz"]


# -- refusals -------------------------------------------------------------------------------------


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "net.npz"
    Network([2, 3, 1], seed=0).save(path)
    return path


def test_a_transposed_weight_matrix_is_refused(saved):
    arrays = _arrays(saved)
    arrays["W1"] = arrays["W1"].T  # the same 6 numbers in the wrong shape (2, 3)
    _rewrite(saved, arrays)
    with pytest.raises(
        ValueError,
        match=r"^`path` '.*net\.npz' is not a valid chainrule network: "
        r"W1 has shape \(2, 3\), the architecture needs \(3, 2\)$",
    ):
        Network.load(saved)


def test_a_bias_of_the_wrong_shape_is_refused(saved):
    arrays = _arrays(saved)
    arrays["b2"] = arrays["b2"].reshape(1, 1)
    _rewrite(saved, arrays)
    with pytest.raises(ValueError, match=r"b2 has shape \(1, 1\), the architecture needs \(1,\)$"):
        Network.load(saved)


@pytest.mark.parametrize(
    ("change", "listed"),
    [
        (lambda a: a.update(W3=np.zeros((1, 1))), "'W3'"),
        (lambda a: a.update(notes=np.zeros(2)), "'notes'"),
        (lambda a: a.pop("b2"), "'W2'"),
    ],
    ids=["extra layer", "extra array", "missing array"],
)
def test_extra_or_missing_arrays_are_refused(saved, change, listed):
    arrays = _arrays(saved)
    change(arrays)
    _rewrite(saved, arrays)
    with pytest.raises(ValueError, match=r"do not match the layers \['W1', 'W2', 'b1', 'b2'\]$"):
        Network.load(saved)
    with pytest.raises(ValueError, match=listed):
        Network.load(saved)


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ({"format": "something.else"}, r"format is 'something\.else', expected 'chainrule"),
        ({"format": None}, r"format is None, expected"),
        ({"sizes": [2, 4, 1]}, r"W1 has shape \(3, 2\), the architecture needs \(4, 2\)"),
        ({"reduction": "median"}, r"`reduction` must be one of"),
        ({"cost": "hinge"}, r"`cost` must be one of"),
    ],
)
def test_metadata_that_does_not_fit_is_refused(saved, meta, message):
    arrays = _arrays(saved)
    arrays["meta"] = np.array(json.dumps({**json.loads(str(arrays["meta"])), **meta}))
    _rewrite(saved, arrays)
    with pytest.raises(ValueError, match=r"^`path` '.*' is not a valid chainrule network: "):
        Network.load(saved)
    with pytest.raises(ValueError, match=message):
        Network.load(saved)


@pytest.mark.parametrize("missing", ["sizes", "activations", "cost", "dtype", "reduction"])
def test_metadata_missing_a_field_is_refused(saved, missing):
    arrays = _arrays(saved)
    meta = json.loads(str(arrays["meta"]))
    del meta[missing]
    arrays["meta"] = np.array(json.dumps(meta))
    _rewrite(saved, arrays)
    with pytest.raises(ValueError, match=rf"is not a valid chainrule network: '{missing}'$"):
        Network.load(saved)


def test_metadata_that_is_not_json_or_absent_is_refused(saved):
    arrays = _arrays(saved)
    arrays["meta"] = np.array("{not json")
    _rewrite(saved, arrays)
    with pytest.raises(ValueError, match=r"is not a valid chainrule network"):
        Network.load(saved)
    del arrays["meta"]
    _rewrite(saved, arrays)
    with pytest.raises(ValueError, match=r"is not a valid chainrule network: 'meta'"):
        Network.load(saved)


def test_pickled_arrays_are_not_loaded(saved):
    arrays = _arrays(saved)
    arrays["W1"] = np.array([object()] * 6, dtype=object).reshape(3, 2)
    _rewrite(saved, arrays)
    with pytest.raises(ValueError, match=r"is not a readable \.npz network file"):
        Network.load(saved)


def test_a_missing_file_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        Network.load(tmp_path / "nowhere.npz")


# -- the writer: whole files, usual permissions ---------------------------------------------------


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_saved_files_get_the_usual_mode_not_a_private_one(tmp_path, umask_022):
    path = tmp_path / "net.npz"
    Network([2, 1], "sigmoid", seed=0).save(path)
    assert (path.stat().st_mode & 0o777) == 0o644
    os.umask(0o077)
    atomic_write(tmp_path / "private.txt", "x")
    assert ((tmp_path / "private.txt").stat().st_mode & 0o777) == 0o600


def test_the_umask_is_left_as_it_was(tmp_path, umask_022):
    atomic_write_bytes(tmp_path / "a.bin", b"\x00\x01")
    assert os.umask(0o022) == 0o022


def test_text_is_written_as_utf8(tmp_path):
    path = atomic_write(tmp_path / "sub" / "t.txt", "σ'(z) ≥ 0\n")
    assert path == tmp_path / "sub" / "t.txt"
    assert path.read_bytes() == "σ'(z) ≥ 0\n".encode()


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "net.npz"
    path.write_bytes(b"old")

    def refuse(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["net.npz"]


# -- the state that training continues from -------------------------------------------------------


def test_training_continued_after_a_load_shuffles_as_the_saved_network_would(tmp_path):
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((12, 2)), rng.random((12, 1))
    net = Network([2, 3, 1], seed=7)
    net.fit(X, y, learning_rate=0.5, epochs=2, batch_size=5, progress=False)  # draws from net.rng
    path = tmp_path / "net.npz"
    net.save(path)
    loaded = Network.load(path)
    # Both continue from the same generator state: the same batches, the same parameters.
    net.fit(X, y, learning_rate=0.5, epochs=3, batch_size=5, progress=False)
    loaded.fit(X, y, learning_rate=0.5, epochs=3, batch_size=5, progress=False)
    for (W, b), (W2, b2) in zip(net.params, loaded.params):
        np.testing.assert_array_equal(W2, W)
        np.testing.assert_array_equal(b2, b)


def test_the_shape_of_decisions_round_trips(tmp_path):
    # Fitted with 1-d targets, a one-output network decides in 1-d; so does its loaded copy.
    net = Network([2, 1], "sigmoid", "cross_entropy", seed=0)
    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]])
    net.fit(X, np.array([0.0, 1.0, 1.0]), learning_rate=0.5, epochs=1, progress=False)
    path = tmp_path / "net.npz"
    net.save(path)
    assert Network.load(path).predict(X).shape == net.predict(X).shape


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ({"rng": [1, 2]}, r"rng must be a generator state"),
        ({"target_ndim": 3}, r"target_ndim must be 1, 2 or null, got 3"),
        ({"target_ndim": True}, r"target_ndim must be 1, 2 or null, got True"),
    ],
)
def test_saved_training_state_that_does_not_fit_is_refused(saved, meta, message):
    arrays = _arrays(saved)
    arrays["meta"] = np.array(json.dumps({**json.loads(str(arrays["meta"])), **meta}))
    _rewrite(saved, arrays)
    with pytest.raises(ValueError, match=message):
        Network.load(saved)
