"""Bad input to numeric: each error names the argument, what was expected and what came."""

from __future__ import annotations

import numpy as np
import pytest

import numeric
from numeric import Network

X4 = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], dtype=float)
Y4 = np.array([0, 1, 1, 0], dtype=float)


@pytest.fixture
def net():
    return Network([2, 2, 1], "sigmoid", "cross_entropy", seed=0)


@pytest.mark.parametrize(
    ("X", "y", "message"),
    [
        (X4.T, Y4, r"X must have shape \(n_samples, 2\), got \(2, 4\); it looks transposed"),
        (X4[:, :1], Y4, r"X must have shape \(n_samples, 2\), got \(4, 1\)$"),
        (X4.ravel(), Y4, r"X must have shape \(n_samples, 2\), got 1-d shape \(8,\)"),
        (X4, Y4[:3], r"y must have one row per sample of X \(4\), got 3 rows"),
        (X4, Y4.reshape(1, 4), r"y must have shape \(n_samples, 1\), got \(1, 4\); .*transposed"),
        (np.zeros((0, 2)), np.zeros(0), r"X must hold at least one sample, got shape \(0, 2\)"),
        (np.where(X4 == 1, np.nan, X4), Y4, r"X must be finite, got 4 NaN/Inf .*first at \(1, 0\)"),
        (X4, np.array([0, np.inf, 1, 0]), r"y must be finite, got 1 NaN/Inf"),
        (X4, np.array([0, 2, 1, 0]), r"y must lie in \[0, 1\] for cost 'cross_entropy'"),
    ],
)
def test_bad_data(net, X, y, message):
    with pytest.raises(ValueError, match=message):
        net.gradients(X, y)


def test_non_numeric_data(net):
    with pytest.raises(TypeError, match=r"X must hold real numbers, got dtype <U1"):
        net.gradients([["a", "b"]], Y4[:1])


def test_categorical_targets_must_be_distributions():
    net = Network([2, 3], "softmax", "categorical_cross_entropy", seed=0)
    y = np.array([[0.2, 0.3, 0.5], [0.5, 0.0, 0.0]])
    with pytest.raises(ValueError, match=r"rows of y must sum to 1 .*got row 1 summing to 0.5"):
        net.loss(X4[:2], y)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"sizes": [2, 0, 1]}, ValueError, r"sizes must be positive \(>= 1\), got \[2, 0, 1\]"),
        ({"sizes": [3]}, ValueError, r"sizes must list at least 2 layers"),
        ({"sizes": [2, 1.5]}, TypeError, r"sizes must contain ints, got 1.5"),
        (
            {"activations": "sigmoidd"},
            ValueError,
            r"activations\[0\] must be one of 'sigmoid', 'tanh', 'relu'.*got 'sigmoidd'",
        ),
        ({"activations": ["tanh"] * 3}, ValueError, r"one name or one per layer \(2\), got 3"),
        (
            {"cost": "mse"},
            ValueError,
            r"cost must be one of 'squared_error', 'cross_entropy', "
            r"'categorical_cross_entropy' or a Cost, got 'mse'",
        ),
        (
            {"activations": "relu"},
            ValueError,
            r"cost 'cross_entropy' needs outputs in \[0, 1\]; the output activation 'relu'",
        ),
        ({"dtype": np.int64}, ValueError, r"dtype must be float64 or float32, got int64"),
        ({"init": "glorot"}, ValueError, r"init must be one of 'normal', 'xavier', 'he'"),
        ({"reduction": "median"}, ValueError, r"reduction must be one of 'mean', 'sum'"),
    ],
)
def test_bad_construction(kwargs, error, message):
    args = {"sizes": [2, 2, 1], "activations": "sigmoid", "cost": "cross_entropy", **kwargs}
    with pytest.raises(error, match=message):
        Network(args.pop("sizes"), **args)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"learning_rate": 0.0}, ValueError, r"learning_rate must be > 0 and finite, got 0.0"),
        ({"learning_rate": -1}, ValueError, r"learning_rate must be > 0 and finite, got -1"),
        ({"learning_rate": float("inf")}, ValueError, r"learning_rate must be > 0 and finite"),
        (
            {"optimizer": numeric.Adam(0.1), "beta1": 5.0},
            ValueError,
            r"optimizer options \['beta1'\]",
        ),
        ({"learning_rate": "fast"}, TypeError, r"learning_rate must be a number > 0, got 'fast'"),
        ({"epochs": 0}, ValueError, r"epochs must be > 0, got 0"),
        ({"epochs": 2.5}, TypeError, r"epochs must be an int > 0, got 2.5"),
        ({"batch_size": 0}, ValueError, r"batch_size must be > 0, got 0"),
        (
            {"optimizer": "rmsprop"},
            ValueError,
            r"optimizer must be one of 'sgd', 'momentum', 'adam'",
        ),
        ({"optimizer": "momentum", "momentum": 1.0}, ValueError, r"momentum must be in \[0, 1\)"),
        ({"tol": -1.0}, ValueError, r"tol must be >= 0 or None, got -1.0"),
    ],
)
def test_bad_fit_arguments(net, kwargs, error, message):
    args = {"learning_rate": 1.0, "epochs": 1, "progress": False, **kwargs}
    before = [p.copy() for pair in net.params for p in pair]
    with pytest.raises(error, match=message):
        net.fit(X4, Y4, **args)
    after = [p for pair in net.params for p in pair]
    assert all(np.array_equal(p, q) for p, q in zip(before, after))
