"""Shared helpers for chainrule's tests."""

from __future__ import annotations

import numpy as np

from numeric import ACTIVATIONS, COSTS
from numeric.costs import get_cost

HIDDEN_ACTIVATIONS = tuple(ACTIVATIONS)


# Every (output activation, cost) pair the catalogues allow: squared error takes any output,
# binary cross-entropy outputs in [0, 1], categorical cross-entropy a distribution.
OUTPUT_PAIRS = [
    (name, cost_name)
    for cost_name, cost in COSTS.items()
    for name, act in ACTIVATIONS.items()
    if cost.pairs_with(act)
]


def make_targets(cost: str, n_samples: int, n_outputs: int, rng: np.random.Generator):
    """Targets inside ``cost``'s domain: the cost's own ``numeric.Cost.sample_targets``."""
    return get_cost(cost).sample_targets(rng, n_samples, n_outputs)
