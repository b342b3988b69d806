"""What the checks share: the networks they evaluate formulas on and the experiments they read,
each computed once on first use (``Context``)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import numpy as np

from verify.audit.experiments import (
    ALL_REPAIRS,
    REPAIRS,
    Probe,
    convergence_experiment,
    depth_experiment,
    run_toy_program,
    xor_experiment,
)
from verify.audit.tables import TableRow, symbolic_table_rows

__all__ = [
    "CONVERGENCE_SEEDS",
    "DEPTH_SEEDS",
    "EQUAL_SIZES",
    "FAST_EXPERIMENT_SEEDS",
    "PROBE_CONFIGS",
    "Context",
    "probe_label",
]

# Networks the formula checks evaluate on: layer sizes that all differ (so that a wrong index range
# shows), one with equal sizes (where such an error hides), two activation/cost pairs.
PROBE_CONFIGS = (
    ((3, 5, 4, 2), "sigmoid", "cross_entropy"),
    ((2, 4, 3, 3), "tanh", "squared_error"),
)
EQUAL_SIZES = (3, 3, 3, 3)
# Seeds of the convergence and depth experiments (the first of the audit's seeds; fewer when fast):
# 100 seeds give intervals at most +-10 percentage points wide, enough for the effects they show.
CONVERGENCE_SEEDS = 100
DEPTH_SEEDS = 100
FAST_EXPERIMENT_SEEDS = 12


def probe_label(probe: Probe) -> str:
    """``"sizes (3, 5, 4, 2), sigmoid/cross_entropy, seed 0"``."""
    names = "+".join(dict.fromkeys(act.name for act in probe.network.activations))
    return f"sizes {tuple(probe.sizes)}, {names}/{probe.network.cost.name}, seed {probe.seed}"


class Context:
    """Everything the checks share, computed once on first use.

    Parameters
    ----------
    seeds : sequence of int
        Seeds of the empirical experiments (the XOR runs use all of them; the convergence and
        depth experiments the first ``CONVERGENCE_SEEDS`` and ``DEPTH_SEEDS``).
    fast : bool
        Fewer seeds and shorter runs elsewhere too (for tests).
    """

    def __init__(self, seeds: Sequence[int], fast: bool):
        self.seeds = list(seeds)
        self.fast = fast
        self.convergence_seeds = self.seeds[: FAST_EXPERIMENT_SEEDS if fast else CONVERGENCE_SEEDS]
        self.depth_seeds = self.seeds[: FAST_EXPERIMENT_SEEDS if fast else DEPTH_SEEDS]
        self.probe_seeds = self.seeds[:1] if fast else self.seeds[:2]

    @cached_property
    def probes(self) -> list[Probe]:
        """Networks with analytic activations, one sample each (see ``PROBE_CONFIGS``)."""
        return [
            Probe(sizes, activation, cost, seed=seed)
            for sizes, activation, cost in PROBE_CONFIGS
            for seed in self.probe_seeds
        ]

    @cached_property
    def equal_probe(self) -> Probe:
        """A network whose layers all have the same size."""
        return Probe(EQUAL_SIZES, "sigmoid", "cross_entropy", seed=self.seeds[0])

    @cached_property
    def example_probe(self) -> Probe:
        """The example's network: sigmoid layers with cross-entropy, L = 3, sizes all different."""
        return self.probes[0]

    @cached_property
    def tables(self) -> dict[str, TableRow]:
        return symbolic_table_rows()

    @cached_property
    def program(self):
        """The toy program with every repair, run as the document runs it."""
        return run_toy_program(REPAIRS, seed=self.seeds[0])

    @cached_property
    def full_program(self):
        """The toy program with every repair and the further ones (``ALL_REPAIRS``)."""
        return run_toy_program(ALL_REPAIRS, seed=self.seeds[0])

    @cached_property
    def ablations(self) -> dict:
        """Per repair: the program run with every repair but that one."""
        return {
            repair.item: run_toy_program(
                [r for r in REPAIRS if r is not repair], seed=self.seeds[0]
            )
            for repair in REPAIRS
        }

    @cached_property
    def literal_program(self):
        """The toy program exactly as printed."""
        return run_toy_program((), seed=self.seeds[0])

    @cached_property
    def xor(self):
        return xor_experiment(self.seeds)

    @cached_property
    def convergence(self):
        return convergence_experiment(self.convergence_seeds, fast=self.fast)

    @cached_property
    def depth(self):
        return depth_experiment(self.depth_seeds)

    def hidden_layers(self, probe: Probe) -> range:
        return range(1, probe.L)

    def points(self, n: int = 7, scale: float = 3.0) -> np.ndarray:
        """Seeded random points for scalar identities, away from 0 (ReLU's kink)."""
        rng = np.random.default_rng([self.seeds[0], 3])
        values = rng.uniform(-scale, scale, n)
        return np.where(np.abs(values) < 0.1, 0.5, values)
