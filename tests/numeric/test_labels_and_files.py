"""Class labels as targets, fractions, and the file paths and headers that loading checks."""

from __future__ import annotations

import io
import json
import os
import zipfile

import numpy as np
import pytest

from numeric import Momentum, Network
from numeric.validation import one_hot

# -- class labels ---------------------------------------------------------------------------------


def test_one_hot_by_hand():
    assert one_hot([2, 0, 1], 3).tolist() == [[0, 0, 1], [1, 0, 0], [0, 1, 0]]
    assert one_hot(np.array([1.0, 0.0]), 2, np.float32).dtype == np.float32


def test_labels_are_the_same_targets_as_their_one_hot_rows():
    net = Network([2, 3], "softmax", "categorical_cross_entropy", seed=0)
    X = np.array([[0.5, -1.0], [2.0, 0.0], [0.0, 0.0]])
    assert net.loss(X, [2, 0, 1]) == net.loss(X, np.eye(3)[[2, 0, 1]])


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (
            [[0, 1]],
            r"^`y` must be class labels: a 1-d array of ints in \[0, 3\), got shape \(1, 2\)",
        ),
        (
            ["a", "b"],
            r"^`y` must be class labels: a 1-d array of ints in \[0, 3\), got shape \(2,\), ",
        ),
        (np.array([1, None], dtype=object), r"^`y` must be class labels: a 1-d array"),
        ([], r"^`y` must be non-empty \(at least one sample\), got no labels$"),
        (
            [0, 3, 5],
            r"^`y` must be class labels: ints in \[0, 3\), got 2 labels outside \(first 3\)$",
        ),
        (
            [0, -1],
            r"^`y` must be class labels: ints in \[0, 3\), got 1 labels outside \(first -1\)$",
        ),
        (
            [0.5, 1.0],
            r"^`y` must be class labels: ints in \[0, 3\), got 1 labels outside \(first 0\.5\)",
        ),
        ([0.0, np.nan], r"^`y` must be class labels: ints in \[0, 3\), got 1 labels outside"),
    ],
)
def test_bad_labels_are_refused(labels, message):
    with pytest.raises(ValueError, match=message):
        one_hot(labels, 3)


def test_fractions_must_be_numbers_in_0_1():
    assert Momentum(0.1, momentum=0.0).momentum == 0.0
    with pytest.raises(TypeError, match=r"^`momentum` must be a number in \[0, 1\), got 'x'$"):
        Momentum(0.1, momentum="x")
    for bad in (-0.1, 1.0, float("nan")):
        with pytest.raises(ValueError, match=r"^`momentum` must be in \[0, 1\), got"):
            Momentum(0.1, momentum=bad)


# -- paths and headers of saved files -------------------------------------------------------------


def _saved(tmp_path, name="net.npz"):
    path = tmp_path / name
    Network([2, 3, 1], seed=0).save(path)
    return path


def test_the_npz_suffix_is_added_and_found(tmp_path):
    written = Network([2, 1], "sigmoid", seed=0).save(tmp_path / "model")
    assert written == tmp_path / "model.npz" and written.exists()
    assert Network.load(tmp_path / "model").sizes == (2, 1)  # what save("model") wrote
    # A file that exists under the name given is read as it is, whatever its suffix.
    os.replace(written, tmp_path / "model.bin")
    assert Network.load(tmp_path / "model.bin").sizes == (2, 1)


def test_a_npy_file_is_named_for_what_it_is(tmp_path):
    np.save(tmp_path / "weights.npy", np.zeros(3))
    with pytest.raises(ValueError, match=r"is not a readable \.npz network file \(a \.npy array"):
        Network.load(tmp_path / "weights.npy")
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(ValueError, match=r"is not a readable \.npz network file: "):
        Network.load(tmp_path / "text.npz")


def _rebuild(path, members):
    """Rewrite the archive at ``path`` with ``members`` {name: bytes}."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _npy(array, version):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asanyarray(array), version=version)
    return buffer.getvalue()


def _members(path):
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def test_npy_headers_of_version_2_are_read(tmp_path):
    path = _saved(tmp_path)
    with np.load(path) as data:
        arrays = dict(data)
    _rebuild(path, {f"{key}.npy": _npy(value, (2, 0)) for key, value in arrays.items()})
    loaded = Network.load(path)
    np.testing.assert_array_equal(loaded.params[0][0], arrays["W1"])


def test_members_that_are_not_npy_arrays_are_refused(tmp_path):
    path = _saved(tmp_path)
    members = _members(path)
    _rebuild(path, {**members, "notes.txt": b"hello"})
    with pytest.raises(ValueError, match=r"member 'notes\.txt' is not a \.npy array"):
        Network.load(path)
    header = _npy(np.zeros(2), (1, 0))
    _rebuild(path, {**members, "W1.npy": header[:6] + b"\x03\x00" + header[8:]})
    with pytest.raises(ValueError, match=r"(format version|not a readable)"):
        Network.load(path)


def test_metadata_that_is_not_a_json_string_is_refused(tmp_path):
    path = _saved(tmp_path)
    members = _members(path)
    _rebuild(path, {**members, "meta.npy": _npy(np.zeros(2), (1, 0))})
    with pytest.raises(ValueError, match=r"meta must be a JSON string, got an array of float64"):
        Network.load(path)
    _rebuild(path, {**members, "meta.npy": _npy(np.array(["a", "b"]), (1, 0))})
    with pytest.raises(ValueError, match=r"meta must be a JSON string"):
        Network.load(path)
    _rebuild(path, {**members, "meta.npy": _npy(np.array("[1, 2]"), (1, 0))})
    with pytest.raises(ValueError, match=r"the metadata must be a JSON object, got list"):
        Network.load(path)


@pytest.mark.parametrize("sizes", [[2], [2, 0, 1], [2, True, 1], "2,3,1", [2, 3.0, 1]])
def test_stored_sizes_must_be_at_least_two_positive_ints(tmp_path, sizes):
    path = _saved(tmp_path)
    with np.load(path) as data:
        arrays = dict(data)
    arrays["meta"] = np.array(json.dumps({**json.loads(str(arrays["meta"])), "sizes": sizes}))
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match=r"sizes must be a list of at least 2 positive ints"):
        Network.load(path)


def test_a_file_without_the_later_fields_loads_with_their_defaults(tmp_path):
    path = _saved(tmp_path)
    with np.load(path) as data:
        arrays = dict(data)
    meta = json.loads(str(arrays["meta"]))
    for key in ("seed", "init", "rng", "target_ndim"):
        meta.pop(key, None)
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(path, **arrays)
    loaded = Network.load(path)
    assert loaded.init == "normal" and loaded.sizes == (2, 3, 1)


def test_the_temporary_file_sits_beside_the_target(tmp_path, monkeypatch):
    seen = []
    real_replace = os.replace

    def record(src, dst):
        seen.append((src, dst))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", record)
    target = tmp_path / "sub" / "net.npz"
    Network([2, 1], "sigmoid", seed=0).save(target)
    ((src, dst),) = seen
    src = os.fspath(src)
    assert os.path.dirname(src) == os.fspath(target.parent)  # a rename within one folder
    assert os.path.basename(src).startswith(".net.npz.") and src.endswith(".tmp")
    assert os.fspath(dst) == os.fspath(target)
