"""Shared helpers for chainrule's tests."""

from __future__ import annotations

import numpy as np

# Output activation and cost pairs that make sense: squared error takes any output; binary
# cross-entropy needs outputs in (0, 1); categorical cross-entropy needs a distribution.
HIDDEN_ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity", "leaky_relu", "softplus", "softmax")
OUTPUT_PAIRS = [(act, "squared_error") for act in HIDDEN_ACTIVATIONS] + [
    ("sigmoid", "cross_entropy"),
    ("softmax", "cross_entropy"),
    ("softmax", "categorical_cross_entropy"),
]


def make_targets(cost: str, n_samples: int, n_outputs: int, rng: np.random.Generator):
    """Targets inside ``cost``'s domain."""
    if cost == "squared_error":
        return rng.standard_normal((n_samples, n_outputs))
    if cost == "cross_entropy":
        return rng.random((n_samples, n_outputs))
    y = rng.random((n_samples, n_outputs)) + 0.1
    return y / y.sum(axis=1, keepdims=True)
