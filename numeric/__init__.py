"""chainrule's NumPy backpropagation: activations, costs, the vectorized network and its trainer.

``import numeric`` imports NumPy only (no SymPy).
"""

from numeric.activations import ACTIVATIONS, Activation
from numeric.costs import COSTS, Cost
from numeric.examples import format_xor_table, train_xor
from numeric.network import Network, PairingWarning
from numeric.train import SGD, Adam, DivergenceError, History, Momentum, StopTraining

__all__ = [
    "ACTIVATIONS",
    "COSTS",
    "SGD",
    "Activation",
    "Adam",
    "Cost",
    "DivergenceError",
    "History",
    "Momentum",
    "Network",
    "PairingWarning",
    "StopTraining",
    "format_xor_table",
    "train_xor",
]
