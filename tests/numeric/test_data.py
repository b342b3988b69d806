"""Reading a user's data (.csv, .npz) and deciding the task from the targets, on small files
written by the tests."""

from __future__ import annotations

import numpy as np
import pytest

from numeric.data import infer_task, read_dataset

# -- .csv -----------------------------------------------------------------------------------------


def _csv(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_with_a_header_and_the_last_column_as_target(tmp_path):
    path = _csv(tmp_path, "a, b ,label\n1,2,0\n3.5,-4,1\n\n")  # a blank line is skipped
    data = read_dataset(path)
    np.testing.assert_array_equal(data.X, [[1.0, 2.0], [3.5, -4.0]])
    np.testing.assert_array_equal(data.y, [0.0, 1.0])
    assert data.features == ("a", "b") and data.target == "label"


def test_csv_target_chosen_by_name(tmp_path):
    data = read_dataset(_csv(tmp_path, "a,b,c\n1,2,3\n4,5,6\n"), target="a")
    np.testing.assert_array_equal(data.X, [[2.0, 3.0], [5.0, 6.0]])
    np.testing.assert_array_equal(data.y, [1.0, 4.0])
    assert data.features == ("b", "c") and data.target == "a"


def test_csv_without_a_header_names_columns_by_position(tmp_path):
    data = read_dataset(_csv(tmp_path, "1,2,3\n4,5,6\n", name="DATA.CSV"))
    np.testing.assert_array_equal(data.X, [[1.0, 2.0], [4.0, 5.0]])
    assert data.features == ("0", "1") and data.target == "2"
    assert read_dataset(_csv(tmp_path, "1,2,3\n4,5,6\n"), target="0").features == ("1", "2")


@pytest.mark.parametrize(
    ("text", "kwargs", "error", "message"),
    [
        ("", {}, ValueError, r"^`data` must be a \.csv file with at least one row, got no rows$"),
        (
            "a,b\n",
            {},
            ValueError,
            r"^`data` must be a \.csv file with data rows, got a header only$",
        ),
        (
            "1\n2\n",
            {},
            ValueError,
            r"^`data` must be a \.csv file with features and a target column, got 1 column$",
        ),
        (
            "a,b\n1,2\n",
            {"target": "c"},
            ValueError,
            r"^`target` must be one of the columns 'a', 'b', got 'c'$",
        ),
        (
            "a,b\n1,2\n3\n",
            {},
            ValueError,
            r"^`data` must be rows of 2 fields, as the first, got 1 fields on line 3$",
        ),
        ("1,2\n3,4,5\n", {}, ValueError, r"got 3 fields on line 2$"),
        (
            "a,b\n1,x\n",
            {},
            ValueError,
            r"^`data column 'b'` must be numbers, got 'x' on line 2$",
        ),
        (
            "a,b\n1,2\n",
            {"features": "X"},
            ValueError,
            r"^`features` must be unset for a \.csv file \(every other column\), got 'X'$",
        ),
    ],
)
def test_csv_refusals(tmp_path, text, kwargs, error, message):
    with pytest.raises(error, match=message):
        read_dataset(_csv(tmp_path, text), **kwargs)


# -- .npz and other files -------------------------------------------------------------------------


def test_npz_with_default_and_named_arrays(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, X=np.arange(6.0).reshape(3, 2), y=np.array([0, 1, 1]), z=np.ones(3))
    data = read_dataset(path)
    assert data.X.shape == (3, 2) and data.y.tolist() == [0, 1, 1]
    assert data.features == ("0", "1") and data.target == "y"
    data = read_dataset(path, target="z", features="y")  # a 1-d feature array is one column
    assert data.X.shape == (3, 1) and data.y.tolist() == [1, 1, 1] and data.features == ("0",)


def test_npz_refusals(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, X=np.ones((2, 2)), y=np.ones(2))
    with pytest.raises(ValueError, match=r"^`target` must be one of the arrays 'X', 'y', got 't'$"):
        read_dataset(path, target="t")
    with pytest.raises(
        ValueError, match=r"^`features` must be one of the arrays 'X', 'y', got 'F'"
    ):
        read_dataset(path, features="F")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match=r"^`data` must be a readable \.npz file of arrays, got "):
        read_dataset(bad)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, X=np.array([object()] * 2, dtype=object), y=np.ones(2))
    with pytest.raises(ValueError, match=r"^`data` must be a readable \.npz file of arrays"):
        read_dataset(pickled)


def test_other_files_are_refused(tmp_path):
    with pytest.raises(ValueError, match=r"^`data` must be an existing \.csv or \.npz file, got '"):
        read_dataset(tmp_path / "missing.csv")
    with pytest.raises(ValueError, match=r"must be an existing \.csv or \.npz file"):
        read_dataset(tmp_path)  # a folder
    (tmp_path / "d.txt").write_text("1,2\n")
    with pytest.raises(
        ValueError, match=r"^`data` must be a \.csv or \.npz file, got a \.txt file$"
    ):
        read_dataset(tmp_path / "d.txt")
    (tmp_path / "plain").write_text("1,2\n")
    with pytest.raises(ValueError, match=r"got a suffix-less file$"):
        read_dataset(tmp_path / "plain")


# -- the task -------------------------------------------------------------------------------------


def test_zeros_and_ones_are_a_binary_task():
    task = infer_task([0, 1, 1, 0])
    assert (task.cost, task.output, task.n_outputs) == ("cross_entropy", "sigmoid", 1)
    assert task.classification and task.y.dtype == np.float64
    multi = infer_task(np.array([[0, 1], [1, 1]]))  # multi-label: one sigmoid per column
    assert (multi.cost, multi.n_outputs) == ("cross_entropy", 2)


def test_integer_labels_from_0_to_k_are_classes():
    task = infer_task([0, 2, 1, 2])
    assert (task.cost, task.output, task.n_outputs) == ("categorical_cross_entropy", "softmax", 3)
    assert task.y.tolist() == [0, 2, 1, 2] and task.y.dtype == np.int64
    assert infer_task(np.array([3.0, 0.0])).n_outputs == 4  # the largest label decides K


@pytest.mark.parametrize(
    "y",
    [[0.5, 1.0], [-1, 2, 3], [[0, 2], [1, 3]], [0, 1, np.nan, 2]],
    ids=["fractions", "negative", "2-d integers", "NaN"],
)
def test_everything_else_is_a_regression(y):
    task = infer_task(y)
    assert (task.cost, task.output) == ("squared_error", "identity") and not task.classification
    assert task.n_outputs == (1 if np.ndim(y) == 1 else 2)


def test_a_cost_given_is_kept():
    task = infer_task([0, 1, 1], cost="squared_error")
    assert (task.cost, task.output, task.n_outputs) == ("squared_error", "identity", 1)
    task = infer_task([0, 1, 1], cost="categorical_cross_entropy")
    assert task.n_outputs == 2 and task.y.tolist() == [0, 1, 1]
    with pytest.raises(
        ValueError,
        match=r"^`y` must be class labels 0\.\.K-1 for cost 'categorical_cross_entropy', "
        r"got values in \[-1, 0\.5\]$",
    ):
        infer_task([0.5, -1.0], cost="categorical_cross_entropy")


@pytest.mark.parametrize("y", [["a", "b"], np.zeros((2, 2, 2)), [], [True, False]])
def test_targets_that_are_not_numbers_are_refused(y):
    with pytest.raises(ValueError, match=r"^`y` must be a non-empty 1-d or 2-d array of numbers"):
        infer_task(y)
