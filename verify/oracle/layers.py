"""Gradient functions from code that has none: layer objects, per-sample networks, update steps.

Backprop written from scratch often has no ``grad_fn(params, X, y)``: a network is a list of layer
objects whose ``forward`` stores what ``backward`` needs, and the gradients end up in attributes
(``layer.dweights``), in a dict (``layer.gradients["W"]``), or only in the update the layer makes
to its own weights. These adapters build the ``grad_fn`` the oracle calls:

``layers_grad_fn(layers, loss_grad)``
    Runs the layers forward, the loss's gradient, the layers backward in reverse, and reads each
    trainable layer's gradients, or recovers them from its update (``learning_rate=``). Method
    and attribute names are options; a path may go through attributes and dict keys
    (``"gradients.W"``).
``layer_functions(layer)``
    ``(forward(x, W, b), backward(g, x, W, b))`` of one layer object, for ``check_layer``.
``per_sample_grad_fn(network)``
    A network whose ``backprop(x, y)`` takes one sample (column vectors) and returns
    ``(nabla_b, nabla_w)``: averaged (or summed) over the batch, in the ``"nielsen"`` layout.
``gradients_from_update(before, after, learning_rate)``
    (before - after) / learning_rate: the gradient a plain gradient-descent step used.

Every adapter writes the parameters the oracle hands it into the objects before each call (as
copies): the objects' own parameters are overwritten.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from verify.core.validation import argument_error, check_choice, check_number

__all__ = [
    "gradients_from_update",
    "layer_functions",
    "layers_grad_fn",
    "per_sample_grad_fn",
]


# -- attribute paths ---------------------------------------------------------------------------


def _resolve(obj, path: str):
    """``obj.a.b`` for ``"a.b"``, where a step into a Mapping reads a key."""
    for part in path.split("."):
        obj = obj[part] if isinstance(obj, Mapping) else getattr(obj, part)
    return obj


def _has(obj, path: str) -> bool:
    try:
        _resolve(obj, path)
    except (AttributeError, KeyError, TypeError):
        return False
    return True


def _assign(obj, path: str, value) -> None:
    *head, last = path.split(".")
    owner = _resolve(obj, ".".join(head)) if head else obj
    if isinstance(owner, Mapping):
        owner[last] = value
    else:
        setattr(owner, last, value)


def _check_path(name: str, value) -> str:
    if not isinstance(value, str) or not value or any(not part for part in value.split(".")):
        raise argument_error(
            name, "an attribute name or a dotted path such as 'gradients.W'", value
        )
    return value


def _run(obj, method: str, args, stored: str | None, what: str):
    """``obj.method(*args)``, or the attribute ``stored`` when the method returns None."""
    result = getattr(obj, method)(*args)
    if result is not None:
        return result
    if stored is None or not _has(obj, stored):
        raise TypeError(
            f"{type(obj).__name__}.{method} returned None and has no attribute {stored!r} "
            f"holding {what}: name it with the adapter's option"
        )
    return _resolve(obj, stored)


# -- networks of layer objects -----------------------------------------------------------------


def layers_grad_fn(
    layers: Sequence,
    loss_grad,
    *,
    forward: str = "forward",
    backward: str = "backward",
    weights: str = "W",
    biases: str = "b",
    weight_grads: str = "dW",
    bias_grads: str = "db",
    output: str = "output",
    input_grad: str = "dinputs",
    loss_method: str = "backward",
    learning_rate: float | None = None,
) -> Callable:
    """A ``grad_fn(params, X, y)`` for a network given as a list of layer objects.

    Parameters
    ----------
    layers : sequence of objects
        In forward order. A layer is trainable when it has the ``weights`` attribute; the others
        (activation layers) are run forward and backward only.
    loss_grad : callable or object
        ``loss_grad(output, y) -> dC/d(output)``; or an object whose ``loss_method`` takes
        ``(output, y)`` and returns that gradient or stores it in ``input_grad``.
    forward, backward : str
        Method names: ``forward(inputs)`` returns the output or stores it in ``output``;
        ``backward(grad)`` returns dC/d(inputs) or stores it in ``input_grad``.
    weights, biases : str
        Where a trainable layer keeps its parameters (``"W"``, ``"weights"``,
        ``"parameters.W"``). The parameters the oracle hands over are written there, in the
        layout the check declares (``"in_out"`` for W (inputs, neurons) and b (1, neurons)).
    weight_grads, bias_grads : str
        Where ``backward`` leaves the gradients (``"dweights"``, ``"gradients.W"``); not read
        when ``learning_rate`` is given.
    output, input_grad : str
        Attributes read when ``forward`` or ``backward`` return None.
    loss_method : str
        The method of a loss object (``"backward"``, ``"gradient"``).
    learning_rate : float, optional
        For layers that update their own weights in ``backward`` (with plain gradient descent)
        instead of storing gradients: each gradient is (before - after) / learning_rate.

    Returns
    -------
    callable
        ``grad_fn(params, X, y) -> [(dW, db), ...]``, one pair per trainable layer, in the
        layers' own storage layout.

    Examples
    --------
    >>> import numpy as np
    >>> class Dense:
    ...     def __init__(self, n_in, n_out):
    ...         self.W, self.b = np.zeros((n_in, n_out)), np.zeros((1, n_out))
    ...     def forward(self, x):
    ...         self.x = x
    ...         return x @ self.W + self.b
    ...     def backward(self, g):
    ...         self.dW, self.db = self.x.T @ g, g.sum(axis=0, keepdims=True)
    ...         return g @ self.W.T
    >>> grad_fn = layers_grad_fn([Dense(3, 2)], lambda out, y: (out - y) / len(y))
    >>> from verify.oracle.check import check_gradients
    >>> check_gradients(grad_fn, sizes=[3, 2], activations="identity", cost="squared_error",
    ...                 layout="in_out").passed
    True
    """
    layers = list(layers)
    if not layers:
        raise argument_error("layers", "a non-empty sequence of layer objects", layers)
    names = {"forward": forward, "backward": backward, "loss_method": loss_method}
    paths = {"weights": weights, "biases": biases, "output": output, "input_grad": input_grad}
    if learning_rate is None:
        paths |= {"weight_grads": weight_grads, "bias_grads": bias_grads}
    for name, value in {**names, **paths}.items():
        _check_path(name, value)
    rate = (
        None if learning_rate is None else check_number("learning_rate", learning_rate, strict=True)
    )
    trainable = [layer for layer in layers if _has(layer, weights)]
    if not trainable:
        raise argument_error(
            "layers", f"at least one layer with a {weights!r} attribute", f"{len(layers)} without"
        )
    for layer in layers:
        for method in (forward, backward):
            if not callable(getattr(layer, method, None)):
                raise argument_error(
                    "layers",
                    f"objects with {forward}() and {backward}() methods",
                    f"a {type(layer).__name__} without {method}()",
                    TypeError,
                )
    if not callable(loss_grad) and not callable(getattr(loss_grad, loss_method, None)):
        raise argument_error(
            "loss_grad",
            f"callable, or an object with a {loss_method}() method",
            type(loss_grad).__name__,
            TypeError,
        )

    def grad_fn(params, X, y):
        pairs = [tuple(pair) for pair in params]
        if len(pairs) != len(trainable):
            raise ValueError(
                f"params must hold one (W, b) pair per trainable layer ({len(trainable)}), got "
                f"{len(pairs)}"
            )
        for layer, (W, b) in zip(trainable, pairs):
            _assign(layer, weights, np.array(W, copy=True))
            _assign(layer, biases, np.array(b, copy=True))
        a = X
        for layer in layers:
            a = _run(layer, forward, (a,), output, "its output")
        if callable(loss_grad):
            g = loss_grad(a, y)
        else:
            g = _run(loss_grad, loss_method, (a, y), input_grad, "the loss's gradient")
        before = [
            (
                np.array(_resolve(layer, weights), copy=True),
                np.array(_resolve(layer, biases), copy=True),
            )
            for layer in trainable
        ]
        for layer in reversed(layers):
            g = _run(layer, backward, (g,), input_grad, "the gradient for its inputs")
        if rate is not None:
            after = [(_resolve(layer, weights), _resolve(layer, biases)) for layer in trainable]
            return gradients_from_update(before, after, rate)
        return [
            (
                np.array(_resolve(layer, weight_grads), copy=True),
                np.array(_resolve(layer, bias_grads), copy=True),
            )
            for layer in trainable
        ]

    return grad_fn


def layer_functions(
    layer,
    *,
    forward: str = "forward",
    backward: str = "backward",
    weights: str = "W",
    biases: str = "b",
    weight_grads: str = "dW",
    bias_grads: str = "db",
    output: str = "output",
    input_grad: str = "dinputs",
    learning_rate: float | None = None,
) -> tuple[Callable, Callable]:
    """``(forward(x, W, b), backward(g, x, W, b))`` of one trainable layer object, for
    ``verify.check_layer`` (the options as ``layers_grad_fn``'s).

    ``backward`` writes W and b into the layer, runs its forward pass on x (which caches what its
    backward pass needs), then its backward pass on g, and returns (dx, dW, db).
    """
    for name, value in (("forward", forward), ("backward", backward), ("weights", weights)):
        _check_path(name, value)
    for name, value in (("biases", biases), ("output", output), ("input_grad", input_grad)):
        _check_path(name, value)
    rate = (
        None if learning_rate is None else check_number("learning_rate", learning_rate, strict=True)
    )

    def forward_fn(x, W, b):
        _assign(layer, weights, np.array(W, copy=True))
        _assign(layer, biases, np.array(b, copy=True))
        return _run(layer, forward, (x,), output, "its output")

    def backward_fn(g, x, W, b):
        forward_fn(x, W, b)
        before = (np.array(W, copy=True), np.array(b, copy=True))
        dx = _run(layer, backward, (g,), input_grad, "the gradient for its inputs")
        if rate is not None:
            after = (_resolve(layer, weights), _resolve(layer, biases))
            dW, db = gradients_from_update(before, after, rate)
        else:
            dW, db = _resolve(layer, weight_grads), _resolve(layer, bias_grads)
        return dx, np.array(dW, copy=True), np.array(db, copy=True)

    return forward_fn, backward_fn


# -- per-sample networks -----------------------------------------------------------------------


def per_sample_grad_fn(
    network,
    *,
    method: str = "backprop",
    biases: str = "biases",
    weights: str = "weights",
    reduction: str = "mean",
) -> Callable:
    """A ``grad_fn`` (``"nielsen"`` layout) for a network that backpropagates one sample at a time.

    Parameters
    ----------
    network : object
        With ``method(x, y) -> (nabla_b, nabla_w)`` for one sample's column vectors x (N^0, 1)
        and y (N^L, 1), reading its parameters from the lists ``biases`` and ``weights``.
    method, biases, weights : str
        The names of that method and those attributes.
    reduction : {"mean", "sum"}
        The batch's gradient is the mean (as a mini-batch update with learning_rate / n does)
        or the sum of the samples' gradients.

    Returns
    -------
    callable
        ``grad_fn((biases, weights), X, y) -> (nabla_b, nabla_w)`` with X (N^0, n_samples) and
        y (N^L, n_samples), one column per sample.
    """
    for name, value in (("method", method), ("biases", biases), ("weights", weights)):
        _check_path(name, value)
    reduction = check_choice("reduction", reduction, ("mean", "sum"))
    if not callable(getattr(network, method, None)):
        raise argument_error(
            "network", f"an object with a {method}() method", type(network).__name__, TypeError
        )

    def grad_fn(params, X, y):
        user_biases, user_weights = params
        _assign(network, biases, [np.array(b, copy=True) for b in user_biases])
        _assign(network, weights, [np.array(W, copy=True) for W in user_weights])
        X, y = np.asarray(X), np.asarray(y)
        nabla_b = [np.zeros_like(np.asarray(b, dtype=np.result_type(b, X))) for b in user_biases]
        nabla_w = [np.zeros_like(np.asarray(W, dtype=np.result_type(W, X))) for W in user_weights]
        for s in range(X.shape[1]):
            delta_b, delta_w = getattr(network, method)(X[:, s : s + 1], y[:, s : s + 1])
            nabla_b = [nb + np.reshape(db, nb.shape) for nb, db in zip(nabla_b, delta_b)]
            nabla_w = [nw + dw for nw, dw in zip(nabla_w, delta_w)]
        if reduction == "mean":
            nabla_b = [nb / X.shape[1] for nb in nabla_b]
            nabla_w = [nw / X.shape[1] for nw in nabla_w]
        return nabla_b, nabla_w

    return grad_fn


# -- update steps ------------------------------------------------------------------------------


def gradients_from_update(before, after, learning_rate: float):
    """The gradient a plain gradient-descent step used: (before - after) / learning_rate.

    Parameters
    ----------
    before, after : array, or list of arrays or of (W, b) pairs
        The parameters before and after one step ``p -= learning_rate * gradient``.
    learning_rate : float
        The step's learning rate, > 0.

    Returns
    -------
    The gradient, in the structure of ``before``. In floating point it is exact up to the
    rounding of the update: about eps |p| / learning_rate in each entry, far below the
    oracle's tolerances for steps of ordinary size. Momentum (after its first step), Adam or
    weight decay applied by the optimizer are not plain steps: what comes back is their update
    divided by the learning rate, which the oracle then reports as not the gradient.

    Examples
    --------
    >>> import numpy as np
    >>> gradients_from_update([np.array([1.0, 2.0])], [np.array([0.9, 2.2])], 0.5)
    [array([ 0.2, -0.4])]
    """
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, numbers.Real):
        raise argument_error("learning_rate", "a finite number > 0", learning_rate, TypeError)
    rate = check_number("learning_rate", learning_rate, strict=True)
    return _difference(before, after, rate, "before")


def _difference(before, after, rate: float, path: str):
    if isinstance(before, (list, tuple)):
        if not isinstance(after, (list, tuple)) or len(after) != len(before):
            raise ValueError(
                f"`after` must have the structure of `before`, got {type(after).__name__} of "
                f"length {len(after) if isinstance(after, (list, tuple)) else '-'} at {path}"
            )
        return type(before)(
            _difference(b, a, rate, f"{path}[{i}]") for i, (b, a) in enumerate(zip(before, after))
        )
    b, a = np.asarray(before), np.asarray(after)
    if b.shape != a.shape:
        raise ValueError(
            f"`after` must have the shapes of `before`, got {a.shape} for {b.shape} at {path}"
        )
    return (b.astype(np.result_type(b, float)) - a) / rate
