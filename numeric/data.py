"""A user's own data for training: a table from ``.csv`` or arrays from ``.npz``, and the task.

``read_dataset`` gives the features X and the targets y; ``infer_task`` decides, from the targets,
the cost and the output activation that go with them (as ``chainrule train DATA`` does).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from numeric.costs import COSTS, get_cost
from numeric.validation import Description, argument_error

__all__ = ["Dataset", "Task", "infer_task", "read_dataset"]


@dataclass(frozen=True)
class Dataset:
    """Features ``X`` (n_samples, n_features), targets ``y`` (n_samples,) or (n_samples, k)."""

    X: np.ndarray
    y: np.ndarray
    features: tuple[str, ...]
    target: str


@dataclass(frozen=True)
class Task:
    """What a network for these targets needs: its cost, output activation and output width,
    with the targets in the form the cost takes."""

    cost: str
    output: str
    n_outputs: int
    y: np.ndarray

    @property
    def classification(self) -> bool:
        return COSTS[self.cost].targets != "real"


def _number(text: str):
    try:
        return float(text)
    except ValueError:
        return None


def _read_csv(path: Path, target: str | None) -> Dataset:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.reader(handle) if row and any(cell.strip() for cell in row)]
    if not rows:
        raise argument_error("data", "a .csv file with at least one row", Description("no rows"))
    header = rows[0]
    has_header = any(_number(cell) is None for cell in header)
    names = (
        [cell.strip() for cell in header] if has_header else [str(k) for k in range(len(header))]
    )
    body = rows[1:] if has_header else rows
    if not body:
        raise argument_error("data", "a .csv file with data rows", Description("a header only"))
    if len(names) < 2:
        got = Description(f"{len(names)} column")
        raise argument_error("data", "a .csv file with features and a target column", got)
    if target is None:
        column = len(names) - 1
    elif target in names:
        column = names.index(target)
    else:
        known = ", ".join(map(repr, names))
        raise argument_error("target", f"one of the columns {known}", target)
    values = np.empty((len(body), len(names)))
    first = 2 if has_header else 1
    for i, row in enumerate(body):
        if len(row) != len(names):
            got = Description(f"{len(row)} fields on line {first + i}")
            raise argument_error("data", f"rows of {len(names)} fields, as the first", got)
        for j, cell in enumerate(row):
            value = _number(cell)
            if value is None:
                got = Description(f"{cell!r} on line {first + i}")
                raise argument_error(f"data column {names[j]!r}", "numbers", got)
            values[i, j] = value
    features = [k for k in range(len(names)) if k != column]
    return Dataset(
        values[:, features], values[:, column], tuple(names[k] for k in features), names[column]
    )


def _read_npz(path: Path, target: str | None, features: str | None) -> Dataset:
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (ValueError, OSError, EOFError) as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise argument_error(
            "data", "a readable .npz file of arrays", Description(str(err))
        ) from err
    known = ", ".join(map(repr, sorted(arrays)))
    target = "y" if target is None else target
    features = "X" if features is None else features
    for option, name in (("target", target), ("features", features)):
        if name not in arrays:
            raise argument_error(option, f"one of the arrays {known}", name)
    X, y = arrays[features], arrays[target]
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    names = tuple(str(k) for k in range(X.shape[1])) if X.ndim == 2 else ()
    return Dataset(X, y, names, target)


def read_dataset(path, target: str | None = None, features: str | None = None) -> Dataset:
    """Features and targets from a ``.csv`` file (a header row is optional; ``target`` names the
    target column, by default the last) or a ``.npz`` file (``target`` and ``features`` name its
    arrays, by default ``y`` and ``X``)."""
    path = Path(path)
    if not path.is_file():
        raise argument_error("data", "an existing .csv or .npz file", str(path))
    suffix = path.suffix.lower()
    if suffix == ".csv":
        if features is not None:
            raise argument_error("features", "unset for a .csv file (every other column)", features)
        return _read_csv(path, target)
    if suffix == ".npz":
        return _read_npz(path, target, features)
    raise argument_error(
        "data", "a .csv or .npz file", Description(f"a {suffix or 'suffix-less'} file")
    )


def infer_task(y, cost: str | None = None) -> Task:
    """The cost, output activation and output width for targets ``y``.

    With ``cost`` None: targets that are all 0 or 1 are a binary (or multi-label) task,
    binary cross-entropy with a sigmoid output; one column of integers 0..K-1 with K >= 3 is a
    classification, categorical cross-entropy with softmax and integer labels; anything else is a
    regression, squared error with an identity output.
    """
    y = np.asarray(y)
    if y.dtype.kind not in "iuf" or y.ndim not in (1, 2) or y.size == 0:
        got = Description(f"dtype {y.dtype}, shape {y.shape}")
        raise argument_error("y", "a non-empty 1-d or 2-d array of numbers", got)
    y = y.astype(np.float64)
    integral = bool(np.isfinite(y).all() and (y == np.round(y)).all())
    binary = integral and bool(np.isin(y, (0, 1)).all())
    labels = integral and y.ndim == 1 and y.min() >= 0
    if cost is None:
        if binary:
            cost = "cross_entropy"
        elif labels and int(y.max()) >= 2:
            cost = "categorical_cross_entropy"
        else:
            cost = "squared_error"
    entry = get_cost(cost)
    width = 1 if y.ndim == 1 else y.shape[1]
    if entry.targets == "distribution" and y.ndim == 1:
        if not labels:
            got = Description(f"values in [{y.min():g}, {y.max():g}]")
            raise argument_error("y", f"class labels 0..K-1 for cost {cost!r}", got)
        width = int(y.max()) + 1
        y = y.astype(np.int64)
    return Task(entry.name, entry.output, width, y)
