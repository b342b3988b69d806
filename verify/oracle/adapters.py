"""Adapters that point the oracle at real implementations: PyTorch and scikit-learn.

PyTorch and scikit-learn are optional: they are imported when an adapter is used, never when this
module is.

PyTorch
    ``torch_architecture(model)`` reads an ``nn.Sequential`` of ``Linear`` layers and activations;
    ``torch_grad_fn(model, loss)`` is a ``grad_fn(params, X, y)`` for ``check_gradients`` in the
    ``"rows"`` layout; ``torch_loss_and_grad(model, loss, X, y)`` a (loss_fn, grad_fn) pair for
    ``gradcheck``.
scikit-learn
    ``sklearn_architecture(estimator, n_features, n_outputs)`` gives the sizes, activations and
    cost an ``MLPRegressor``/``MLPClassifier`` trains; ``sklearn_grad_fn(estimator)`` runs its
    internal backprop (``_backprop``, the function behind ``_loss_grad_lbfgs`` and the SGD/Adam
    solvers) in the ``"sklearn"`` layout; ``sklearn_loss_and_grad(estimator, X, y)`` pairs that
    gradient with the loss value ``_backprop`` reports, for ``gradcheck``.
PyTorch's losses
    ``torch_options(model, loss)`` reads the architecture and what the loss is in chainrule's
    terms: ``MSELoss`` has no 1/2 and a mean over the outputs, ``BCELoss`` a mean over the
    outputs, ``BCEWithLogitsLoss`` and ``CrossEntropyLoss`` apply the sigmoid and the softmax
    themselves (``from_logits=True``, the model ends in a Linear layer); ``TORCH_LOSSES`` lists
    them.
Scalar autograd
    ``scalar_grad_fn(model, loss)`` for engines in the style of micrograd: layers of neurons
    holding ``Value`` objects with ``.data`` and ``.grad``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import numpy as np

from verify.oracle.conventions import parse_activation

__all__ = [
    "TORCH_LOSSES",
    "from_torch",
    "scalar_grad_fn",
    "sklearn_architecture",
    "sklearn_grad_fn",
    "sklearn_loss_and_grad",
    "torch_architecture",
    "torch_grad_fn",
    "torch_loss_and_grad",
    "torch_loss_options",
    "torch_options",
]


# -- PyTorch ----------------------------------------------------------------------------------

# torch.nn module class name -> chainrule activation name, with the settings that must hold.
# LeakyReLU and ELU carry their parameter into the name ("leaky_relu(0.2)", "elu(0.5)").
_TORCH_ACTIVATIONS = {
    "Sigmoid": ("sigmoid", {}),
    "Tanh": ("tanh", {}),
    "ReLU": ("relu", {}),
    "Identity": ("identity", {}),
    "LeakyReLU": ("leaky_relu", {}),
    "ELU": ("elu", {}),
    "SELU": ("selu", {}),
    "GELU": ("gelu", {"approximate": "tanh"}),
    "Softplus": ("softplus", {"beta": 1.0}),
    "Softmax": ("softmax", {"dim": (-1, 1)}),
}
# The parameter a family's torch module holds.
_TORCH_PARAMETERS = {"LeakyReLU": "negative_slope", "ELU": "alpha"}


def _torch():
    try:
        import torch
    except ImportError:
        raise ImportError(
            "the PyTorch adapters need torch: pip install torch (or chainrule[peers])"
        ) from None
    return torch


def _torch_layers(model):
    """The model's Linear layers and the chainrule name of the activation after each."""
    torch = _torch()
    if not isinstance(model, torch.nn.Sequential):
        raise TypeError(f"model must be a torch.nn.Sequential, got {type(model).__name__}")
    linears, activations = [], []
    for index, module in enumerate(model):
        kind = type(module).__name__
        if isinstance(module, torch.nn.Linear):
            if module.bias is None:
                raise ValueError(
                    f"model[{index}] must be a Linear layer with a bias, got bias=False"
                )
            if linears and len(activations) < len(linears):
                activations.append("identity")  # two Linear layers in a row
            linears.append(module)
            continue
        if kind not in _TORCH_ACTIVATIONS:
            known = ", ".join(["Linear", *_TORCH_ACTIVATIONS])
            raise ValueError(f"model[{index}] must be one of {known}, got {kind}")
        if not linears or len(activations) == len(linears):
            raise ValueError(f"model[{index}] must follow a Linear layer, got {kind} after another")
        name, required = _TORCH_ACTIVATIONS[kind]
        for attribute, allowed in required.items():
            value = getattr(module, attribute)
            allowed = allowed if isinstance(allowed, tuple) else (allowed,)
            if value not in allowed:
                raise ValueError(
                    f"model[{index}] ({kind}) must have {attribute} in {list(allowed)} to match "
                    f"chainrule's {name!r}, got {value!r}"
                )
        if kind in _TORCH_PARAMETERS:
            name = parse_activation(
                f"{name}({float(getattr(module, _TORCH_PARAMETERS[kind]))!r})"
            ).name
        activations.append(name)
    if not linears:
        raise ValueError("model must contain at least one Linear layer, got none")
    if len(activations) < len(linears):
        activations.append("identity")
    return linears, activations


def torch_architecture(model) -> tuple[list[int], list[str]]:
    """Sizes N^0..N^L and one activation name per layer of an ``nn.Sequential``.

    Examples
    --------
    >>> import torch
    >>> torch_architecture(torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(),
    ...                                        torch.nn.Linear(4, 1)))
    ([3, 4, 1], ['tanh', 'identity'])
    """
    linears, activations = _torch_layers(model)
    sizes = [linears[0].in_features] + [layer.out_features for layer in linears]
    for m in range(1, len(linears)):
        if linears[m].in_features != linears[m - 1].out_features:
            raise ValueError(
                f"model's Linear layers must chain: layer {m + 1} takes "
                f"{linears[m].in_features} inputs, layer {m} gives {linears[m - 1].out_features}"
            )
    return sizes, activations


def from_torch(model) -> list[tuple[np.ndarray, np.ndarray]]:
    """The model's parameters as [(W (out, in), b (out,))] NumPy copies (the "rows" layout)."""
    linears, _ = _torch_layers(model)
    return [
        (layer.weight.detach().cpu().numpy().copy(), layer.bias.detach().cpu().numpy().copy())
        for layer in linears
    ]


def _functional(model):
    """A function (params, X) -> model output that uses ``params`` instead of the model's own."""
    torch = _torch()
    linears, _ = _torch_layers(model)
    names = {id(module): name for name, module in model.named_modules()}
    keys = [(f"{names[id(layer)]}.weight", f"{names[id(layer)]}.bias") for layer in linears]

    def forward(tensors, X):
        mapping = {}
        for (w_key, b_key), (W, b) in zip(keys, tensors):
            mapping[w_key], mapping[b_key] = W, b
        return torch.func.functional_call(model, mapping, (X,))

    return forward


def _as_tensors(params, *, requires_grad: bool):
    torch = _torch()
    return [
        tuple(torch.tensor(np.asarray(array), requires_grad=requires_grad) for array in pair)
        for pair in params
    ]


def torch_grad_fn(model, loss: Callable) -> Callable:
    """A ``grad_fn(params, X, y)`` (the "rows" layout) that runs PyTorch's autograd.

    Parameters
    ----------
    model : torch.nn.Sequential
        ``Linear`` layers and activations; its own parameters are not used or changed.
    loss : callable
        ``loss(output, target) -> scalar tensor``, e.g. ``torch.nn.BCELoss()``. Note that
        ``nn.MSELoss()`` averages over outputs as well as samples and has no 1/2: against
        chainrule's ``"squared_error"`` (1/2 sum over outputs, mean over samples) the oracle then
        reports a scale of 2 / n_outputs.

    Returns
    -------
    callable
        ``grad_fn(params, X, y) -> [(dW, db)]`` in the params' dtype.
    """
    torch = _torch()
    forward = _functional(model)

    def grad_fn(params, X, y):
        tensors = _as_tensors(params, requires_grad=True)
        value = loss(
            forward(tensors, torch.from_numpy(np.asarray(X))), torch.from_numpy(np.asarray(y))
        )
        flat = [t for pair in tensors for t in pair]
        grads = torch.autograd.grad(value, flat)
        arrays = [g.detach().numpy() for g in grads]
        return [(arrays[2 * m], arrays[2 * m + 1]) for m in range(len(tensors))]

    return grad_fn


def torch_loss_and_grad(model, loss: Callable, X, y) -> tuple[Callable, Callable]:
    """A (loss_fn(params), grad_fn(params)) pair on a fixed batch, for ``verify.gradcheck``.

    ``X`` (n_samples, N^0) and ``y`` are converted to each call's parameter dtype (complex too,
    where the model's operations allow complex-step differentiation).
    """
    torch = _torch()
    forward = _functional(model)
    X, y = np.asarray(X), np.asarray(y)
    gradient = torch_grad_fn(model, loss)

    def loss_fn(params):
        tensors = _as_tensors(params, requires_grad=False)
        dtype = tensors[0][0].dtype
        with torch.no_grad():
            value = loss(
                forward(tensors, torch.from_numpy(X).to(dtype)), torch.from_numpy(y).to(dtype)
            )
        return value.item()

    def grad_fn(params):
        dtype = np.asarray(params[0][0]).dtype
        return gradient(params, X.astype(dtype), y.astype(dtype))

    return loss_fn, grad_fn


# What each torch loss is in chainrule's terms, with its default reduction="mean": the cost, the
# conventions to declare, and the activation the loss applies itself (then the model must end in
# a Linear layer, and the reference network gets that activation: from_logits=True).
TORCH_LOSSES: dict[str, dict] = {
    "MSELoss": {"cost": "squared_error", "cost_scale": 2.0, "output_reduction": "mean"},
    "BCELoss": {"cost": "cross_entropy", "output_reduction": "mean"},
    "BCEWithLogitsLoss": {
        "cost": "cross_entropy",
        "output_reduction": "mean",
        "from_logits": True,
    },
    "CrossEntropyLoss": {"cost": "categorical_cross_entropy", "from_logits": True},
}
_LOSS_APPLIES = {"BCEWithLogitsLoss": "sigmoid", "CrossEntropyLoss": "softmax"}


def torch_loss_options(loss) -> dict:
    """The options of ``check_gradients`` under which a torch loss is chainrule's cost.

    ``MSELoss`` has no 1/2 and averages over the outputs as well as the samples
    (``cost_scale=2, output_reduction="mean"``); ``BCELoss`` averages over the outputs too;
    ``BCEWithLogitsLoss`` and ``CrossEntropyLoss`` apply the sigmoid and the softmax themselves
    (``from_logits=True``: the model ends in a Linear layer, declared ``"identity"``).
    ``reduction="sum"`` sums over outputs and samples. Losses with class weights, label
    smoothing or ``reduction="none"`` have no equivalent and are refused.

    Examples
    --------
    >>> import torch
    >>> torch_loss_options(torch.nn.MSELoss())
    {'cost': 'squared_error', 'cost_scale': 2.0, 'output_reduction': 'mean', 'reduction': 'mean'}
    >>> torch_loss_options(torch.nn.CrossEntropyLoss(reduction="sum"))["reduction"]
    'sum'
    """
    kind = type(loss).__name__
    if kind not in TORCH_LOSSES:
        known = ", ".join(TORCH_LOSSES)
        raise ValueError(
            f"loss must be one of torch.nn.{known.replace(', ', ', torch.nn.')}, got {kind} "
            "(for any other loss, write grad_fn with chainrule's conventions or use gradcheck)"
        )
    for attribute in ("weight", "pos_weight"):
        if getattr(loss, attribute, None) is not None:
            raise ValueError(f"loss must have {attribute}=None for a reference check, got a tensor")
    if getattr(loss, "label_smoothing", 0.0):
        raise ValueError(
            f"loss must have label_smoothing=0 for a reference check, got {loss.label_smoothing}: "
            "smoothing changes the targets, not the cost (smooth y yourself and keep soft targets)"
        )
    reduction = getattr(loss, "reduction", "mean")
    if reduction not in ("mean", "sum"):
        raise ValueError(f"loss must have reduction 'mean' or 'sum', got {reduction!r}")
    options = dict(TORCH_LOSSES[kind])
    if reduction == "sum" and "output_reduction" in options:
        options["output_reduction"] = "sum"
    options["reduction"] = reduction
    return options


def torch_options(model, loss) -> dict:
    """``sizes``, ``activations``, the cost and its conventions for ``check_gradients`` of
    ``torch_grad_fn(model, loss)``: architecture and loss read together.

    Raises
    ------
    ValueError
        When the model and the loss do not fit: a model ending in Sigmoid or Softmax before a
        loss that applies it again (``BCEWithLogitsLoss``, ``CrossEntropyLoss``), or a model
        ending in a Linear layer before ``BCELoss``, which needs probabilities.

    Examples
    --------
    >>> import torch
    >>> model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    >>> torch_options(model, torch.nn.CrossEntropyLoss())["activations"]
    ['tanh', 'identity']
    """
    sizes, activations = torch_architecture(model)
    options = torch_loss_options(loss)
    kind, last = type(loss).__name__, activations[-1]
    applied = _LOSS_APPLIES.get(kind)
    if applied is not None and last != "identity":
        raise ValueError(
            f"model must end in a Linear layer before torch.nn.{kind}, which applies the "
            f"{applied} itself, got a model ending in {last!r}: the {last} is applied twice"
        )
    if applied is None and kind == "BCELoss" and last != "sigmoid":
        raise ValueError(
            f"model must end in Sigmoid before torch.nn.BCELoss, which needs probabilities, got "
            f"{last!r}; for logits use torch.nn.BCEWithLogitsLoss (from_logits=True)"
        )
    return {"sizes": sizes, "activations": activations, **options}


# -- scikit-learn -----------------------------------------------------------------------------

_SKLEARN_HIDDEN = {"logistic": "sigmoid", "tanh": "tanh", "relu": "relu", "identity": "identity"}
_SKLEARN_OUTPUT = {
    "identity": ("identity", "squared_error"),
    "logistic": ("sigmoid", "cross_entropy"),
    "softmax": ("softmax", "categorical_cross_entropy"),
}


def _mlp_kind(estimator) -> str:
    try:
        from sklearn.neural_network import MLPClassifier, MLPRegressor
    except ImportError:
        raise ImportError(
            "the scikit-learn adapters need scikit-learn: pip install scikit-learn"
        ) from None
    if isinstance(estimator, MLPRegressor):
        return "regressor"
    if isinstance(estimator, MLPClassifier):
        return "classifier"
    raise TypeError(
        f"estimator must be an MLPRegressor or MLPClassifier, got {type(estimator).__name__}"
    )


def _out_activation(estimator, n_outputs: int, out_activation: str | None) -> str:
    """scikit-learn's output activation: as fitted, as given, or what ``fit`` would choose."""
    kind = _mlp_kind(estimator)
    if out_activation is None:
        out_activation = getattr(estimator, "out_activation_", None)
    if out_activation is None:
        if kind == "regressor":
            out_activation = "exp" if estimator.loss == "poisson" else "identity"
        else:  # fit picks softmax for multiclass, logistic for binary and multilabel targets
            out_activation = "softmax" if n_outputs > 1 else "logistic"
    known = ("identity", "exp", "logistic", "softmax")
    if out_activation not in known:
        raise ValueError(f"out_activation must be one of {known}, got {out_activation!r}")
    return out_activation


def _hidden_sizes(estimator) -> list[int]:
    sizes = estimator.hidden_layer_sizes
    return [int(s) for s in (sizes if hasattr(sizes, "__iter__") else [sizes])]


def sklearn_architecture(
    estimator, n_features: int, n_outputs: int, *, out_activation: str | None = None
) -> dict:
    """``sizes``, ``activations`` and ``cost`` for ``check_gradients`` matching an MLP.

    Parameters
    ----------
    estimator : MLPRegressor or MLPClassifier
    n_features, n_outputs : int
    out_activation : {"identity", "logistic", "softmax"}, optional
        Defaults to the fitted ``out_activation_``, else what ``fit`` would pick (softmax for
        several outputs of a classifier: pass "logistic" for multilabel targets).

    Returns
    -------
    dict
        ``{"sizes": [...], "activations": [...], "cost": ...}``; scikit-learn's squared error is
        chainrule's ``"squared_error"`` (1/2 sum over outputs) as far as its gradient goes.
    """
    out = _out_activation(estimator, n_outputs, out_activation)
    if out not in _SKLEARN_OUTPUT:
        raise ValueError(
            f"estimator's output activation must be one of {list(_SKLEARN_OUTPUT)} for a "
            f"reference check, got {out!r} (chainrule has no Poisson cost)"
        )
    output_name, cost = _SKLEARN_OUTPUT[out]
    hidden = _hidden_sizes(estimator)
    return {
        "sizes": [int(n_features), *hidden, int(n_outputs)],
        "activations": [_SKLEARN_HIDDEN[estimator.activation]] * len(hidden) + [output_name],
        "cost": cost,
    }


def _backprop(estimator, params, X, y, out_activation):
    """scikit-learn's own ``_backprop`` on a clone holding ``params``: (loss, [(dW, db)])."""
    from sklearn.base import clone

    coefs = [np.asarray(W) for W, _ in params]
    intercepts = [np.asarray(b) for _, b in params]
    X, y = np.asarray(X), np.asarray(y)
    if y.ndim == 1:
        y = y.reshape(-1, 1)
    mlp = clone(estimator)
    mlp.coefs_, mlp.intercepts_ = coefs, intercepts
    mlp.n_layers_ = len(coefs) + 1
    mlp.n_outputs_ = y.shape[1]
    mlp.out_activation_ = _out_activation(estimator, y.shape[1], out_activation)
    activations = [X] + [None] * len(coefs)
    deltas = [None] * len(coefs)
    coef_grads = [np.empty_like(W) for W in coefs]
    intercept_grads = [np.empty_like(b) for b in intercepts]
    arguments = [X, y, activations, deltas, coef_grads, intercept_grads]
    if "sample_weight" in inspect.signature(mlp._backprop).parameters:  # scikit-learn >= 1.7
        arguments.insert(2, None)
    loss, coef_grads, intercept_grads = mlp._backprop(*arguments)
    return loss, list(zip(coef_grads, intercept_grads))


def sklearn_grad_fn(estimator, *, out_activation: str | None = None) -> Callable:
    """A ``grad_fn(params, X, y)`` (the "sklearn" layout) running the MLP's internal backprop.

    The estimator need not be fitted, and is not modified: each call works on a clone that holds
    ``params`` as ``coefs_`` and ``intercepts_``. Its L2 term (``alpha``, default 1e-4) is part of
    the gradient; set ``alpha=0`` to compare with chainrule's unregularized costs.
    """
    _mlp_kind(estimator)

    def grad_fn(params, X, y):
        return _backprop(estimator, params, X, y, out_activation)[1]

    return grad_fn


def sklearn_loss_and_grad(
    estimator, X, y, *, out_activation: str | None = None
) -> tuple[Callable, Callable]:
    """(loss_fn(params), grad_fn(params)) from the MLP's ``_backprop`` on a fixed batch.

    Both come from the same call scikit-learn's L-BFGS solver makes (``_loss_grad_lbfgs``): the
    loss value it reports and the gradient it uses. ``gradcheck`` on this pair tests whether that
    gradient is the derivative of that loss.
    """
    _mlp_kind(estimator)

    def loss_fn(params):
        return _backprop(estimator, params, X, y, out_activation)[0]

    def grad_fn(params):
        return _backprop(estimator, params, X, y, out_activation)[1]

    return loss_fn, grad_fn


# -- scalar autograd ---------------------------------------------------------------------------


def scalar_grad_fn(
    model,
    loss: Callable,
    *,
    layers: str = "layers",
    neurons: str = "neurons",
    weights: str = "w",
    bias: str = "b",
    data: str = "data",
    grad: str = "grad",
    backward: str = "backward",
) -> Callable:
    """A ``grad_fn(params, X, y)`` (the "rows" layout) for a scalar autograd engine's network.

    Engines in the style of micrograd keep every number in a ``Value`` with ``.data`` and
    ``.grad`` and build the graph as they compute; a network is layers of neurons, each with a
    list of weights and a bias. Each call writes the parameters into the model's values, zeroes
    their gradients, runs ``loss(model, X, y)`` and its ``backward()``, and reads the gradients
    back.

    Parameters
    ----------
    model : object
        ``model.layers[m].neurons[i].w[j]`` and ``.b`` are values holding W^m[i, j] and b^m[i]
        (the attribute names are options).
    loss : callable
        ``loss(model, X, y) -> value`` for a batch of rows X (n_samples, N^0) and y; written with
        the engine's own operations. Scalar demos usually sum squared errors without 1/2:
        ``convention("sum_of_squares")`` declares that.
    layers, neurons, weights, bias, data, grad, backward : str
        The names the engine uses.
    """
    for name, value in (("layers", layers), ("neurons", neurons), ("weights", weights)):
        if not isinstance(value, str):
            raise TypeError(f"`{name}` must be an attribute name, got {value!r}")
    if not callable(loss):
        raise TypeError(f"`loss` must be callable, got {type(loss).__name__}")

    def values(params):
        model_layers = list(getattr(model, layers))
        if len(model_layers) != len(params):
            raise ValueError(
                f"model has {len(model_layers)} layers, params {len(params)} (W, b) pairs"
            )
        for m, (layer, (W, b)) in enumerate(zip(model_layers, params), start=1):
            units = list(getattr(layer, neurons))
            if len(units) != W.shape[0]:
                raise ValueError(f"layer {m} has {len(units)} neurons, W^{m} has {W.shape[0]} rows")
            yield units, W, b

    def grad_fn(params, X, y):
        params = [(np.asarray(W), np.asarray(b)) for W, b in params]
        for units, W, b in values(params):
            for i, unit in enumerate(units):
                for j, value in enumerate(getattr(unit, weights)):
                    setattr(value, data, float(W[i, j]))
                    setattr(value, grad, 0.0)
                setattr(getattr(unit, bias), data, float(b[i]))
                setattr(getattr(unit, bias), grad, 0.0)
        getattr(loss(model, X, y), backward)()
        out = []
        for units, W, b in values(params):
            dW = [[float(getattr(v, grad)) for v in getattr(unit, weights)] for unit in units]
            db = [float(getattr(getattr(unit, bias), grad)) for unit in units]
            out.append((np.array(dW, dtype=W.dtype), np.array(db, dtype=b.dtype)))
        return out

    return grad_fn
