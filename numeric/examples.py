"""The reference document's toy example: a 2-2-1 sigmoid network learning XOR."""

from __future__ import annotations

import numpy as np

from numeric.network import Network

__all__ = ["XOR_INPUTS", "XOR_TARGETS", "format_xor_table", "train_xor"]

# The document's order: [0, 0], [1, 0], [0, 1], [1, 1].
XOR_INPUTS = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], dtype=float)
XOR_TARGETS = np.array([0, 1, 1, 0], dtype=float)

# The seed that `chainrule train xor` uses unless told otherwise; a test pins that it learns XOR.
DEFAULT_SEED = 1


def train_xor(
    seed: int = DEFAULT_SEED, *, epochs: int = 1000, learning_rate: float = 1.0, dtype=np.float64
) -> Network:
    """The document's run: standard-normal initialisation, cross-entropy, full-batch steps."""
    network = Network([2, 2, 1], "sigmoid", "cross_entropy", seed=seed, init="normal", dtype=dtype)
    network.fit(XOR_INPUTS, XOR_TARGETS, learning_rate=learning_rate, epochs=epochs, progress=False)
    return network


def format_xor_table(network: Network) -> str:
    """The document's result table: ``Input<TAB>Output<TAB>Quantized``, one row per input."""
    outputs = network.forward(XOR_INPUTS)[:, 0]
    lines = ["Input\tOutput\tQuantized"]
    for inputs, output in zip(XOR_INPUTS.astype(int).tolist(), outputs):
        lines.append(f"{inputs}\t{output:.4f}\t[{int(output > 0.5)}]")
    return "\n".join(lines)
