"""Conventions a user declares so that correct code passes: the cost's scale and reduction over the
outputs, the kind of targets, an L2 penalty, activations with a parameter, logits.

chainrule's cost is the document's: per sample, the squared error's 1/2 and sums over the output
units; the batch cost is the mean over samples (``reduction="sum"``: the sum). Common code differs
by design, and a gradient that differs only by a declared convention is right:

``cost_scale``
    The cost times this number: 2 for a squared error without the 1/2.
``output_reduction``
    ``"sum"`` (chainrule) or ``"mean"`` over the output units (PyTorch's and Keras's losses).
``targets``
    ``"soft"`` (the cost's whole domain: values in (0, 1), distributions), ``"one_hot"`` (0/1
    targets, one-hot rows) or ``"labels"`` (class indices of shape (n_samples,) for categorical
    cross-entropy, 0/1 integers for cross-entropy).
``from_logits``
    The network ends in ``"identity"`` and the loss applies the cost's output activation itself
    (sigmoid, softmax): PyTorch's ``BCEWithLogitsLoss`` and ``CrossEntropyLoss``, Keras's
    ``from_logits=True``.
``l2``, ``l2_biases``, ``l2_per_sample``
    An L2 penalty (l2 / 2) sum W^2 added to the batch cost, so the gradient gets + l2 W;
    ``l2_biases=True`` penalises the biases too; ``l2_per_sample=True`` divides l2 by n_samples
    (scikit-learn's ``alpha``).

``convention(name)`` gives the options of a known library's loss (``"torch.MSELoss"``, ...);
activations with a parameter are written ``"leaky_relu(0.2)"``, ``"leaky_relu(slope=0.2)"`` or
``"elu(alpha=0.5)"`` (``parse_activation``).

Examples
--------
>>> declared = declare(cost_scale=2, output_reduction="mean")
>>> declared.factor(n_outputs=4)
0.5
>>> convention("torch.MSELoss")
{'cost': 'squared_error', 'cost_scale': 2.0, 'output_reduction': 'mean'}
>>> parse_activation("leaky_relu(0.2)").name
'leaky_relu(0.2)'
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields

import numpy as np

from numeric import Network, kernels
from numeric.activations import ACTIVATIONS, PARAMETRIZED, Activation, get_activation
from numeric.costs import Cost, get_cost
from numeric.validation import check_sizes
from verify.core.problems import make_problem
from verify.core.validation import argument_error, check_choice, check_number
from verify.oracle.layouts import Layout, get_layout

__all__ = [
    "CONVENTIONS",
    "OUTPUT_REDUCTIONS",
    "TARGETS",
    "Conventions",
    "Problem",
    "activation_family",
    "convention",
    "declare",
    "default_n_samples",
    "parse_activation",
    "resolve_activations",
]

OUTPUT_REDUCTIONS = ("sum", "mean")
TARGETS = ("soft", "one_hot", "labels")

# Batch sizes tried, in order, when none is given: the first that neither equals the number of
# outputs nor is twice or half of it, so that a factor n_samples, n_outputs or 2 is never
# ambiguous on a default run.
_SAMPLE_COUNTS = (8, 6, 10, 12)


def default_n_samples(n_outputs: int) -> int:
    """The default batch size for a network with ``n_outputs`` outputs (8 unless that is
    ambiguous with n_outputs, 2 n_outputs or n_outputs / 2).

    >>> default_n_samples(3), default_n_samples(4), default_n_samples(8)
    (8, 6, 6)
    """
    for n in _SAMPLE_COUNTS:
        if n not in (n_outputs, 2 * n_outputs) and 2 * n != n_outputs:
            return n
    return _SAMPLE_COUNTS[0]  # pragma: no cover - four candidates cannot all collide


# -- activations with a parameter ----------------------------------------------------------------

_CALL = re.compile(r"^\s*([a-z_]+)\s*\(\s*(?:([a-z_]+)\s*=\s*)?([^()=\s]+)\s*\)\s*$")


def parse_activation(text: str, argument: str = "activation") -> Activation:
    """The activation named by ``text``: a catalogue name, or a family with its parameter.

    ``"leaky_relu(0.2)"`` and ``"leaky_relu(slope=0.2)"`` are leaky ReLU with slope 0.2,
    ``"elu(alpha=0.5)"`` ELU with alpha 0.5 (``numeric.activations.PARAMETRIZED`` lists the
    families); a catalogue name gives the catalogue's entry.

    Raises
    ------
    ValueError
        For an unknown name or family, a parameter name the family does not have, or a value
        that is not a number.
    """
    if not isinstance(text, str):
        raise argument_error(argument, "a string", text, TypeError)
    if text in ACTIVATIONS:
        return ACTIVATIONS[text]
    match = _CALL.match(text)
    families = ", ".join(
        f"{name}({parameter}=...)" for name, (_, parameter) in PARAMETRIZED.items()
    )
    expected = f"an activation name ({', '.join(ACTIVATIONS)}) or one of {families}"
    if match is None or match.group(1) not in PARAMETRIZED:
        raise argument_error(argument, expected, text)
    family, keyword, value = match.groups()
    make, parameter = PARAMETRIZED[family]
    if keyword is not None and keyword != parameter:
        raise argument_error(argument, f"{family}({parameter}=...)", text)
    try:
        number = float(value)
    except ValueError:
        raise argument_error(argument, f"{family}(<a number>)", text) from None
    if not math.isfinite(number):
        raise argument_error(argument, f"{family}(<a finite number>)", text)
    return make(number)


def resolve_activations(activations, n_layers: int) -> list[Activation]:
    """One Activation per layer from a name, an Activation or a sequence of them; names may
    carry a parameter (``parse_activation``)."""
    if isinstance(activations, (str, Activation)):
        activations = [activations] * n_layers
    try:
        items = list(activations)
    except TypeError:
        raise argument_error(
            "activations", "a name, an Activation or a sequence of them", activations, TypeError
        ) from None
    if len(items) != n_layers:
        raise argument_error(
            "activations",
            f"one name or a sequence of one per layer ({n_layers} layers)",
            got=f"{len(items)} entries",
        )
    return [
        parse_activation(item, f"activations[{m}]")
        if isinstance(item, str)
        else get_activation(item, f"activations[{m}]")
        for m, item in enumerate(items)
    ]


def activation_family(activation: Activation) -> tuple[str, float] | None:
    """``(family, parameter value)`` of an activation with a parameter, else None.

    >>> activation_family(ACTIVATIONS["leaky_relu"]), activation_family(parse_activation("elu(2)"))
    (('leaky_relu', 0.01), ('elu', 2.0))
    """
    for family, (make, _) in PARAMETRIZED.items():
        if activation is make():
            return family, float(_DEFAULTS[family])
        match = _CALL.match(activation.name)
        if match and match.group(1) == family:
            try:
                return family, float(match.group(3))
            except ValueError:  # a user's own Activation that only looks like one
                return None
    return None


_DEFAULTS = {"leaky_relu": 0.01, "elu": 1.0}


# -- presets ---------------------------------------------------------------------------------------

# Well-known losses as options of check_gradients. The per-sample reduction of each is the
# library's default; "from_logits" losses apply the output activation themselves (the network
# ends in "identity").
CONVENTIONS: dict[str, dict] = {
    "torch.MSELoss": {"cost": "squared_error", "cost_scale": 2.0, "output_reduction": "mean"},
    "torch.BCELoss": {"cost": "cross_entropy", "output_reduction": "mean"},
    "torch.BCEWithLogitsLoss": {
        "cost": "cross_entropy",
        "output_reduction": "mean",
        "from_logits": True,
    },
    "torch.CrossEntropyLoss": {"cost": "categorical_cross_entropy", "from_logits": True},
    "keras.mean_squared_error": {
        "cost": "squared_error",
        "cost_scale": 2.0,
        "output_reduction": "mean",
    },
    "keras.binary_crossentropy": {"cost": "cross_entropy", "output_reduction": "mean"},
    "keras.categorical_crossentropy": {"cost": "categorical_cross_entropy"},
    # The sum of squared errors over outputs and samples, as scalar autograd demos write it.
    "sum_of_squares": {"cost": "squared_error", "cost_scale": 2.0, "reduction": "sum"},
}


def convention(name: str) -> dict:
    """The options of ``check_gradients`` for a known loss (a copy of ``CONVENTIONS[name]``)."""
    if name not in CONVENTIONS:
        known = ", ".join(repr(key) for key in CONVENTIONS)
        raise argument_error("name", f"one of {known}", name)
    return dict(CONVENTIONS[name])


# -- the declared conventions ----------------------------------------------------------------------


@dataclass(frozen=True)
class Conventions:
    """What the user's cost is, relative to chainrule's: see the module docstring."""

    cost_scale: float = 1.0
    output_reduction: str = "sum"
    targets: str = "soft"
    from_logits: bool = False
    l2: float = 0.0
    l2_biases: bool = False
    l2_per_sample: bool = False

    def factor(self, n_outputs: int) -> float:
        """The user's cost (without its L2 term) / chainrule's."""
        return self.cost_scale / (n_outputs if self.output_reduction == "mean" else 1)

    def l2_coefficient(self, n_samples: int) -> float:
        """The coefficient c of the gradient's L2 term c x parameter."""
        return self.l2 / n_samples if self.l2_per_sample else self.l2

    def declared(self) -> dict:
        """The options that differ from chainrule's own, as keyword arguments."""
        default = Conventions()
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if getattr(self, f.name) != getattr(default, f.name)
        }

    def replace(self, **changes) -> Conventions:
        return declare(**{**asdict(self), **changes})

    # -- the problem ---------------------------------------------------------------------------

    def network(self, sizes, activations, cost, *, reduction: str, seed: int) -> Network:
        """The reference network: activations with parameters resolved, the output activation
        the loss applies itself (``from_logits``) put in, and a named hint when the output
        does not fit the cost."""
        cost = get_cost(cost)
        n_layers = len(check_sizes(sizes)) - 1
        layers = resolve_activations(activations, n_layers)
        last = layers[-1]
        if self.from_logits:
            applied = ACTIVATIONS[cost.output]
            if cost.output == "identity":
                raise argument_error(
                    "from_logits",
                    f"False for cost {cost.name!r}, which applies no activation",
                    True,
                )
            if last is not ACTIVATIONS["identity"]:
                raise argument_error(
                    f"activations[{n_layers - 1}]",
                    f"'identity' when from_logits=True (the loss applies {applied.name!r} itself)",
                    last.name,
                )
            layers[-1] = applied
        elif not cost.fits_output(last) and cost.output != "identity":
            low, high = cost.output_range
            error = argument_error(
                f"activations[{n_layers - 1}]",
                f"an output activation with values in [{low:g}, {high:g}], which cost "
                f"{cost.name!r} needs",
                last.name,
            )
            raise ValueError(
                f"{error}; if your loss applies the {cost.output} itself (PyTorch's "
                f"{_LOGIT_LOSSES.get(cost.output, 'losses on logits')}, Keras's from_logits=True), "
                "declare from_logits=True"
            )
        return Network(sizes, layers, cost, reduction=reduction, seed=seed)

    def problem(
        self,
        sizes,
        activations,
        cost,
        *,
        reduction: str = "mean",
        dtype=np.float64,
        seed: int = 0,
        n_samples: int | None = None,
        cross_check: Callable | None = None,
    ) -> Problem:
        """The network, parameters, data and reference gradient of one check under these
        conventions (``cross_check(network, X, y, gradient)`` vets numeric's gradient first)."""
        network = self.network(sizes, activations, cost, reduction=reduction, seed=seed)
        n_outputs = network.sizes[-1]
        n_samples = default_n_samples(n_outputs) if n_samples is None else n_samples
        params, X, y = make_problem(network, dtype=dtype, n_samples=n_samples, seed=seed)
        y = self.hard_targets(network.cost, y, seed)
        loss, gradient = network.loss_and_gradients(X, y)
        if cross_check is not None:
            cross_check(network, X, y, gradient)
        return Problem(
            network=network,
            params=params,
            X=X,
            y=y,
            reference=self.gradient(gradient, params, n_outputs, n_samples),
            loss=self.loss(float(loss), params, n_outputs, n_samples),
            conventions=self,
        )

    def gradient(self, gradient, params, n_outputs: int, n_samples: int) -> list:
        """chainrule's gradient turned into the declared cost's: scaled, plus the L2 term."""
        factor = self.factor(n_outputs)
        c = self.l2_coefficient(n_samples)
        return [
            (factor * dW + c * W, factor * db + (c * b if self.l2_biases else 0.0))
            for (dW, db), (W, b) in zip(gradient, params)
        ]

    def loss(self, loss: float, params, n_outputs: int, n_samples: int) -> float:
        """chainrule's batch cost turned into the declared one."""
        c = self.l2_coefficient(n_samples)
        penalty = sum(
            float(np.sum(W * W)) + (float(np.sum(b * b)) if self.l2_biases else 0.0)
            for W, b in params
        )
        return self.factor(n_outputs) * loss + 0.5 * c * penalty

    def hard_targets(self, cost: Cost, y: np.ndarray, seed: int) -> np.ndarray:
        """The targets the reference is computed on: as drawn (soft), or hard ones: 0/1 entries
        for cross-entropy, one-hot rows otherwise (``layout`` turns them into labels)."""
        if self.targets == "soft":
            return y
        if self.targets == "labels" and cost.targets == "real":
            raise argument_error(
                "targets",
                "'soft' or 'one_hot' for a cost on real targets ('labels' are class indices "
                "for 'categorical_cross_entropy', 0/1 for 'cross_entropy')",
                self.targets,
            )
        rng = np.random.default_rng([seed, 1])  # a stream of its own: X and params are unchanged
        n, k = y.shape
        if cost.targets == "unit":
            return rng.integers(0, 2, size=(n, k)).astype(np.float64)
        return np.eye(k)[rng.integers(0, k, size=n)]

    def layout(self, layout, cost) -> Layout:
        """``layout``, wrapped to hand over integer labels instead of hard targets when declared:
        class indices (n_samples,) for a distribution cost, 0/1 integers otherwise ((n_samples,)
        for one output)."""
        layout = get_layout(layout)
        if self.targets != "labels":
            return layout
        return _LabelsLayout(layout, classes=get_cost(cost).targets == "distribution")


_LOGIT_LOSSES = {"sigmoid": "BCEWithLogitsLoss", "softmax": "CrossEntropyLoss"}


class _LabelsLayout(Layout):
    """A layout that hands the user integer labels in place of hard targets."""

    def __init__(self, base: Layout, *, classes: bool):
        self.base = base
        self.classes = classes
        self.name = getattr(base, "name", type(base).__name__)

    def params_to_user(self, params):
        return self.base.params_to_user(params)

    def params_from_user(self, user_params):
        return self.base.params_from_user(user_params)

    def data_to_user(self, X, y):
        user_X, _ = self.base.data_to_user(X, y)
        y = np.asarray(y)
        if self.classes:
            return user_X, np.argmax(y, axis=1).astype(np.int64)
        return user_X, (y[:, 0] if y.shape[1] == 1 else y).astype(np.int64)

    def data_from_user(self, X, y):
        return self.base.data_from_user(X, y)

    def __repr__(self) -> str:
        return f"labels({self.base!r})"


@dataclass(frozen=True)
class Problem:
    """One check's problem: canonical arrays (float64) and the reference under the conventions.

    ``y`` is what the reference is computed on (hard targets as 0/1 floats: the declared
    layout turns them into labels).
    """

    network: Network
    params: list
    X: np.ndarray
    y: np.ndarray
    reference: list
    loss: float
    conventions: Conventions

    @property
    def n_samples(self) -> int:
        return self.X.shape[0]

    def reference_for(self, activations: list[Activation]) -> list:
        """The reference gradient of the same problem with other activations (a fitted slope)."""
        network = self.network
        _, gradient = kernels.backprop(
            self.params, activations, network.cost, self.X, self.y, network.reduction
        )
        return self.conventions.gradient(gradient, self.params, network.sizes[-1], self.n_samples)

    def output(self, activations: list[Activation] | None = None, *, logits: bool = False):
        """The network's output a^L (z^L with ``logits``) on X, with other activations if given."""
        zs, acts = kernels.forward(self.params, activations or self.network.activations, self.X)
        return zs[-1] if logits else acts[-1]


_BOOLEAN = ("from_logits", "l2_biases", "l2_per_sample")


def declare(**options) -> Conventions:
    """Validated conventions from keyword options (see the module docstring).

    Raises
    ------
    TypeError
        For an unknown option (the message lists the known ones) or a value of the wrong type.
    ValueError
        For a value out of range.
    """
    known = [f.name for f in fields(Conventions)]
    unknown = [name for name in options if name not in known]
    if unknown:
        raise TypeError(
            f"unexpected option {unknown[0]!r}; the declared conventions are {', '.join(known)}"
        )
    values = {}
    if "cost_scale" in options:
        values["cost_scale"] = check_number("cost_scale", options["cost_scale"], strict=True)
    if "output_reduction" in options:
        values["output_reduction"] = check_choice(
            "output_reduction", options["output_reduction"], OUTPUT_REDUCTIONS
        )
    if "targets" in options:
        values["targets"] = check_choice("targets", options["targets"], TARGETS)
    if "l2" in options:
        values["l2"] = check_number("l2", options["l2"])
    for name in _BOOLEAN:
        if name in options:
            if not isinstance(options[name], (bool, np.bool_)):
                raise argument_error(name, "True or False", options[name], TypeError)
            values[name] = bool(options[name])
    return Conventions(**values)
