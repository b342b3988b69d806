"""Problems to check and time gradients on: parameters, a batch X and targets y valid for the cost.

The one generator behind the oracle, the verification matrix and the benchmarks. Targets come from
the cost itself (``numeric.Cost.sample_targets``: any reals, values in (0, 1) or distributions, as
the cost declares), so a new cost brings its own domain with it.

Examples
--------
>>> from numeric import Network
>>> network = Network([3, 4, 2], ["relu", "sigmoid"], "cross_entropy")
>>> params, X, y = make_problem(network, n_samples=5, seed=0)
>>> X.shape, y.shape, bool(((0 < y) & (y < 1)).all())
((5, 3), (5, 2), True)
"""

from __future__ import annotations

import math

import numpy as np

from numeric import Network, kernels
from numeric.network import DTYPES
from verify.core.finite_differences import kinked_at_zero
from verify.core.validation import check_dtype, check_int

__all__ = ["KINK_MARGIN", "N_DRAWS", "make_problem"]

# For activations whose derivative jumps at 0 (ReLU, leaky ReLU, a custom one: detected from its
# values by ``kinked_at_zero``) pre-activations are kept away from 0, so that no convention for the
# derivative at the kink (the document's ReLU'(0) = 1, chainrule's 0) and no float32 rounding of z
# across 0 can make a correct implementation look wrong.
KINK_MARGIN = 0.05  # |z| at least this far from 0 when one of the draws allows it
N_DRAWS = 64  # draws tried to reach the margin (each one is cheap: one forward pass)


def make_problem(network: Network, *, dtype=np.float64, n_samples: int = 8, seed: int = 0):
    """Parameters and a batch on which a correct implementation cannot look wrong.

    Weights are drawn N(0, 1 / N^{m-1}) and biases N(0, 1/4), so pre-activations are of order one
    (no saturated sigmoid whose 1 - a loses every digit in float32), the inputs standard normal
    and the targets from ``network.cost.sample_targets``; every value is rounded to ``dtype`` so
    that an implementation working in ``dtype`` and a float64 reference see the same numbers. For
    ReLU-like layers, up to ``N_DRAWS`` draws are made and the one whose pre-activations stay
    farthest from the kink at 0 kept.

    Parameters
    ----------
    network : numeric.Network
        Gives sizes, activations and cost; its parameters are replaced by the drawn ones (in its
        own dtype).
    dtype : numpy.float32 or numpy.float64
        The precision the data must be representable in.
    n_samples : int
        Batch size, >= 1.
    seed : int
        Seeds every draw, >= 0.

    Returns
    -------
    params : list of (W (N^m, N^{m-1}), b (N^m,)) float64 pairs
    X : (n_samples, N^0) float64
    y : (n_samples, N^L) float64
    """
    dtype = check_dtype(dtype, DTYPES)
    n_samples = check_int("n_samples", n_samples, 1)
    rng = np.random.default_rng(check_int("seed", seed, 0))
    kinked = [m for m, act in enumerate(network.activations) if kinked_at_zero(act)]

    def rounded(array):
        return np.asarray(array).astype(dtype).astype(np.float64)

    best, best_margin = None, -1.0
    for _ in range(N_DRAWS if kinked else 1):
        params = [
            (
                rounded(rng.normal(0, 1 / math.sqrt(n_in), (n_out, n_in))),
                rounded(rng.normal(0, 0.5, n_out)),
            )
            for n_in, n_out in zip(network.sizes[:-1], network.sizes[1:])
        ]
        X = rounded(rng.standard_normal((n_samples, network.sizes[0])))
        if not kinked:
            best = params, X
            break
        zs, _ = kernels.forward(params, network.activations, X)
        margin = min(float(np.abs(zs[m]).min()) for m in kinked)
        if margin > best_margin:
            best, best_margin = (params, X), margin
        if margin >= KINK_MARGIN:
            break
    params, X = best
    network.params = [
        (W.astype(network.dtype, copy=False), b.astype(network.dtype, copy=False))
        for W, b in params
    ]
    y = rounded(network.cost.sample_targets(rng, n_samples, network.sizes[-1]))
    return params, X, y
