"""The committed reports do not depend on the last bits of the machine's floats.

Another machine (another BLAS, another vectorized exp) computes the same pre-activations up to a
rounding unit or two. This test regenerates the deterministic reports with every pre-activation
of numeric's kernels perturbed by one unit in the last place, with a seeded random sign, and asks
for the same bytes: every number a report shows must be rounded far above that noise.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import numeric.kernels
from verify.audit import run_audit, write_audit
from verify.matrix.report import write_matrix
from verify.matrix.run import run_matrix

REPORTS = Path(__file__).resolve().parents[1] / "reports"


def _noisy_forward(forward, seed: int):
    rng = np.random.default_rng(seed)

    def noisy(params, activations, X):
        zs, _ = forward(params, activations, X)
        acts = [X]
        for z, act in zip(zs, activations):
            eps = np.finfo(z.real.dtype).eps
            z *= 1 + eps * rng.choice([-1.0, 1.0], size=z.shape)
            acts.append(act(z))
        return zs, acts

    return noisy


@pytest.mark.slow
def test_reports_are_the_same_when_the_last_bits_differ(tmp_path, monkeypatch):
    monkeypatch.setattr(numeric.kernels, "forward", _noisy_forward(numeric.kernels.forward, 7))
    written = write_matrix(run_matrix(), tmp_path, ("md", "json"))
    written += write_audit(run_audit(), tmp_path, ("md", "json"))
    for path in written:
        committed = (REPORTS / path.name).read_text()
        assert path.read_text() == committed, f"{path.name} changes with the last bits of floats"
