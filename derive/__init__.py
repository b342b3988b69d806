"""chainrule's symbolic side: gradients of small networks derived with SymPy from the definitions.

- ``catalogue``: activations and costs defined once, derivatives by differentiation only;
- ``network``: element symbols, forward expressions, the cost, route (a) direct differentiation;
- ``backprop``: route (b), the backprop recursion with intermediates kept as symbols;
- ``proof``: (a) equals (b), per parameter, exactly or at high-precision random points;
- ``emit``: NumPy gradient and cost functions of a batch;
- ``report``: derivation reports in Markdown or LaTeX;
- ``document``: the reference document's tables checked as written.

``derive`` imports neither ``numeric`` nor ``verify``.

Examples
--------
>>> import derive
>>> net = derive.derive_network([2, 2, 1], "sigmoid", "cross_entropy")
>>> net.prove().equal
True
"""

from derive.backprop import Backprop, OutputDelta
from derive.catalogue import (
    ACTIVATIONS,
    COSTS,
    LEAKY_SLOPE,
    SymbolicActivation,
    SymbolicCost,
    get_activation,
    get_cost,
)
from derive.emit import CostFunction, GradientFunction
from derive.network import (
    MAX_PARAMETERS,
    MAX_SAMPLES,
    Parameter,
    SymbolicNetwork,
    derive_network,
)
from derive.proof import (
    ParameterProof,
    ProofBudgetExceeded,
    ProofProgress,
    ProofResult,
    prove,
)
from derive.report import FORMATS, render_equations, render_report
from derive.tables import FormulaCheck, Kink, check_document_tables

__all__ = [
    "ACTIVATIONS",
    "COSTS",
    "FORMATS",
    "LEAKY_SLOPE",
    "MAX_PARAMETERS",
    "MAX_SAMPLES",
    "Backprop",
    "CostFunction",
    "FormulaCheck",
    "GradientFunction",
    "Kink",
    "OutputDelta",
    "Parameter",
    "ParameterProof",
    "ProofBudgetExceeded",
    "ProofProgress",
    "ProofResult",
    "SymbolicActivation",
    "SymbolicCost",
    "SymbolicNetwork",
    "check_document_tables",
    "derive_network",
    "get_activation",
    "get_cost",
    "prove",
    "render_equations",
    "render_report",
]
