"""How other implementations lay out parameters, data and gradients, and the way to and from ours.

chainrule's own ("canonical") layout is the document's notation, batch-first: parameters are a list
of (W^m of shape (N^m, N^{m-1}), b^m of shape (N^m,)) pairs, X is (n_samples, N^0) and y is
(n_samples, N^L). A gradient has its parameters' structure, so the parameter conversions convert
gradients too.

========== ============================ ============================ ==================== ==========
layout      X                            y                            W^m                  b^m
========== ============================ ============================ ==================== ==========
"rows"      (n_samples, N^0)             (n_samples, N^L)             (N^m, N^{m-1})       (N^m,)
"columns"   (N^0, n_samples)             (N^L, n_samples)             (N^m, N^{m-1})       (N^m, 1)
"sklearn"   (n_samples, N^0)             (n_samples, N^L)             (N^{m-1}, N^m)       (N^m,)
"in_out"    (n_samples, N^0)             (n_samples, N^L)             (N^{m-1}, N^m)       (1, N^m)
"nielsen"   (N^0, n_samples)             (N^L, n_samples)             (N^m, N^{m-1})       (N^m, 1)
"dict"      (n_samples, N^0)             (n_samples, N^L)             (N^m, N^{m-1})       (N^m,)
========== ============================ ============================ ==================== ==========

"rows" is NumPy's and PyTorch's (``nn.Linear.weight`` is (out, in)); "columns" is the reference
document's code (one column per sample, column biases); "sklearn" is scikit-learn's MLP
(``coefs_[i]`` is (n_in, n_out)). "in_out" is the layer classes of from-scratch libraries and
books (weights (n_inputs, n_neurons), biases a (1, n_neurons) row). "nielsen" keeps the
parameters as two lists, ``(biases, weights)``, of column vectors, and gradients as
``(nabla_b, nabla_w)``: the per-sample networks of Nielsen's book. "dict" is a dict of named
arrays, ``{"W1": ..., "b1": ..., "W2": ...}`` (gradients keyed ``"W1"`` or ``"dW1"``);
:class:`NamedLayout` gives other names and orientations. Anything else is a user-defined
:class:`Layout`, or one named ``"module:Class"`` / ``"path/to/file.py:Class"``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

__all__ = [
    "LAYOUTS",
    "ColumnsLayout",
    "InOutLayout",
    "Layout",
    "NamedLayout",
    "NielsenLayout",
    "RowsLayout",
    "SklearnLayout",
    "get_layout",
]


class Layout:
    """A way to lay out parameters, data and gradients; subclass it for your own.

    The oracle hands ``params_to_user(params)`` and ``data_to_user(X, y)`` to the implementation
    under test and converts the reference gradient with ``params_to_user`` to compare it with the
    returned one. When the user's structure is a list of (W, b) pairs (whatever the arrays' shapes),
    the comparison happens in the user's layout, so findings name the user's own indices;
    otherwise the returned gradient goes through ``params_from_user`` first.

    Any object with ``params_to_user``, ``params_from_user`` and ``data_to_user`` works
    (``data_from_user`` and ``name`` are optional); subclassing is not required.

    Examples
    --------
    Nielsen's ``network.py`` keeps biases and weights in two lists, column vectors, and returns
    ``(nabla_b, nabla_w)``:

    >>> class Nielsen(Layout):
    ...     name = "nielsen"
    ...     def params_to_user(self, params):
    ...         return [b.reshape(-1, 1) for W, b in params], [W for W, b in params]
    ...     def params_from_user(self, user):
    ...         biases, weights = user
    ...         return [(W, b.reshape(-1)) for W, b in zip(weights, biases)]
    ...     def data_to_user(self, X, y):
    ...         return X.T, y.T
    ...     def data_from_user(self, X, y):
    ...         return X.T, y.T
    """

    name = "custom"

    def params_to_user(self, params):
        """Canonical [(W (N^m, N^{m-1}), b (N^m,))] -> the user's structure (also for gradients)."""
        raise NotImplementedError

    def params_from_user(self, user_params):
        """The user's structure -> canonical [(W, b)]; ValueError when it does not fit."""
        raise NotImplementedError

    def data_to_user(self, X, y):
        """Canonical X (n_samples, N^0), y (n_samples, N^L) -> the user's (X, y)."""
        raise NotImplementedError

    def data_from_user(self, X, y):
        """The user's (X, y) -> canonical (X, y)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _pairs(user_params, layout: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """The user's list of (W, b) pairs as arrays, or a ValueError naming what does not fit."""
    try:
        pairs = [tuple(pair) for pair in user_params]
    except TypeError:
        raise TypeError(
            f"params must be a list of (W, b) pairs in the {layout!r} layout, "
            f"got {type(user_params).__name__}"
        ) from None
    for m, pair in enumerate(pairs):
        if len(pair) != 2:
            raise ValueError(
                f"params[{m}] must be a (W, b) pair in the {layout!r} layout, got {len(pair)} items"
            )
    return [(np.asarray(W), np.asarray(b)) for W, b in pairs]


def _check_ndim(array: np.ndarray, ndim: int, name: str, shape: str, layout: str) -> None:
    if array.ndim != ndim:
        raise ValueError(
            f"{name} must have shape {shape} in the {layout!r} layout, got {array.shape}"
        )


class RowsLayout(Layout):
    """NumPy and PyTorch: X (n_samples, N^0), W (N^m, N^{m-1}), b (N^m,); chainrule's own."""

    name = "rows"

    def params_to_user(self, params):
        return [(W, b) for W, b in params]

    def params_from_user(self, user_params):
        pairs = _pairs(user_params, self.name)
        for m, (W, b) in enumerate(pairs):
            _check_ndim(W, 2, f"params[{m}][0]", "(N^m, N^{m-1})", self.name)
            _check_ndim(b, 1, f"params[{m}][1]", "(N^m,)", self.name)
        return pairs

    def data_to_user(self, X, y):
        return X, y

    def data_from_user(self, X, y):
        return np.asarray(X), np.asarray(y)


class ColumnsLayout(Layout):
    """The reference document's code: X (N^0, n_samples), y (N^L, n_samples), b (N^m, 1)."""

    name = "columns"

    def params_to_user(self, params):
        return [(W, b.reshape(-1, 1)) for W, b in params]

    def params_from_user(self, user_params):
        pairs = _pairs(user_params, self.name)
        out = []
        for m, (W, b) in enumerate(pairs):
            _check_ndim(W, 2, f"params[{m}][0]", "(N^m, N^{m-1})", self.name)
            if b.ndim != 2 or b.shape[1] != 1:
                raise ValueError(
                    f"params[{m}][1] must have shape (N^m, 1) in the 'columns' layout, "
                    f"got {b.shape}"
                )
            out.append((W, b[:, 0]))
        return out

    def data_to_user(self, X, y):
        return X.T, y.T

    def data_from_user(self, X, y):
        return np.asarray(X).T, np.asarray(y).T


class SklearnLayout(Layout):
    """scikit-learn's MLP: ``coefs_[i]`` W^T of shape (N^{m-1}, N^m), ``intercepts_[i]`` (N^m,)."""

    name = "sklearn"

    def params_to_user(self, params):
        return [(W.T, b) for W, b in params]

    def params_from_user(self, user_params):
        pairs = _pairs(user_params, self.name)
        for m, (W, b) in enumerate(pairs):
            _check_ndim(W, 2, f"params[{m}][0]", "(N^{m-1}, N^m)", self.name)
            _check_ndim(b, 1, f"params[{m}][1]", "(N^m,)", self.name)
        return [(W.T, b) for W, b in pairs]

    def data_to_user(self, X, y):
        return X, y

    def data_from_user(self, X, y):
        return np.asarray(X), np.asarray(y)


class InOutLayout(Layout):
    """Layer classes written from scratch: W of shape (N^{m-1}, N^m) (inputs by neurons) and b
    a (1, N^m) row, so that a layer computes ``X @ W + b`` on rows of samples."""

    name = "in_out"

    def params_to_user(self, params):
        return [(W.T, b.reshape(1, -1)) for W, b in params]

    def params_from_user(self, user_params):
        pairs = _pairs(user_params, self.name)
        out = []
        for m, (W, b) in enumerate(pairs):
            _check_ndim(W, 2, f"params[{m}][0]", "(N^{m-1}, N^m)", self.name)
            if b.ndim != 2 or b.shape[0] != 1:
                raise ValueError(
                    f"params[{m}][1] must have shape (1, N^m) in the 'in_out' layout, got {b.shape}"
                )
            out.append((W.T, b[0]))
        return out

    def data_to_user(self, X, y):
        return X, y

    def data_from_user(self, X, y):
        return np.asarray(X), np.asarray(y)


class NielsenLayout(Layout):
    """Two lists, ``(biases, weights)``: b^m a (N^m, 1) column, W^m (N^m, N^{m-1}); one column
    per sample; a gradient is ``(nabla_b, nabla_w)`` in the same form."""

    name = "nielsen"

    def params_to_user(self, params):
        return [b.reshape(-1, 1) for _, b in params], [W for W, _ in params]

    def params_from_user(self, user_params):
        try:
            biases, weights = user_params
            biases, weights = list(biases), list(weights)
        except (TypeError, ValueError):
            raise ValueError(
                "params must be a pair (biases, weights) of lists in the 'nielsen' layout, got "
                f"{type(user_params).__name__}"
            ) from None
        if len(biases) != len(weights):
            raise ValueError(
                "params' biases and weights must have one entry per layer in the 'nielsen' "
                f"layout, got {len(biases)} and {len(weights)}"
            )
        out = []
        for m, (W, b) in enumerate(zip(weights, biases)):
            W, b = np.asarray(W), np.asarray(b)
            _check_ndim(W, 2, f"weights[{m}]", "(N^m, N^{m-1})", self.name)
            if b.ndim != 2 or b.shape[1] != 1:
                raise ValueError(
                    f"biases[{m}] must have shape (N^m, 1) in the 'nielsen' layout, got {b.shape}"
                )
            out.append((W, b[:, 0]))
        return out

    def data_to_user(self, X, y):
        return X.T, y.T

    def data_from_user(self, X, y):
        return np.asarray(X).T, np.asarray(y).T


class NamedLayout(Layout):
    """A dict of named arrays, ``{"W1": W^1, "b1": b^1, "W2": ...}``, over another layout.

    Parameters
    ----------
    base : str or Layout
        The layout of each pair and of the data (``"rows"``: W (N^m, N^{m-1}), b (N^m,);
        ``"columns"``: b (N^m, 1) and one column per sample, as in courses that store
        ``parameters["W1"]``; ``"sklearn"``, ``"in_out"``).
    weight, bias : str
        Key templates; ``{}`` is the layer number m = 1..L.

    A returned gradient may use the same keys or keys with a ``d`` in front (``"dW1"``); keys
    with other names are ignored, so a gradient dict that also holds ``"dA1"`` is read.
    """

    def __init__(self, base="rows", weight: str = "W{}", bias: str = "b{}"):
        self.base = get_layout(base)
        for argument, template in (("weight", weight), ("bias", bias)):
            if not isinstance(template, str) or template.count("{}") != 1:
                raise ValueError(
                    f"{argument} must be a key template holding one {{}} for the layer number, "
                    f"got {template!r}"
                )
        self.weight, self.bias = weight, bias
        base_name = getattr(self.base, "name", "custom")
        self.name = "dict" if base_name == "rows" else f"dict({base_name})"

    def params_to_user(self, params):
        pairs = self.base.params_to_user(params)
        out = {}
        for m, (W, b) in enumerate(pairs, start=1):
            out[self.weight.format(m)] = W
            out[self.bias.format(m)] = b
        return out

    def params_from_user(self, user_params):
        if not isinstance(user_params, Mapping):
            raise ValueError(
                f"params must be a dict of named arrays ({self.weight.format(1)!r}, "
                f"{self.bias.format(1)!r}, ...) in the {self.name!r} layout, got "
                f"{type(user_params).__name__}"
            )
        layers = sorted({m for m in map(self._layer, user_params) if m is not None})
        if not layers or layers != list(range(1, len(layers) + 1)):
            raise ValueError(
                f"params must hold {self.weight.format(1)!r}, {self.bias.format(1)!r}, ... for "
                f"layers 1..L in the {self.name!r} layout, got keys {sorted(map(str, user_params))}"
            )
        pairs = [
            (self._get(user_params, self.weight, m), self._get(user_params, self.bias, m))
            for m in layers
        ]
        return self.base.params_from_user(pairs)

    def _layer(self, key) -> int | None:
        """The layer number in a key like ``"W2"`` or ``"dW2"``, or None for other keys."""
        for template in (self.weight, self.bias):
            pattern = "d?" + re.escape(template).replace(re.escape("{}"), "([0-9]+)")
            match = re.fullmatch(pattern, str(key))
            if match:
                return int(match.group(1))
        return None

    def _get(self, user_params, template, m):
        for key in (template.format(m), "d" + template.format(m)):
            if key in user_params:
                return user_params[key]
        raise ValueError(
            f"params must hold {template.format(m)!r} (or 'd{template.format(m)}') in the "
            f"{self.name!r} layout, got keys {sorted(map(str, user_params))}"
        )

    def data_to_user(self, X, y):
        return self.base.data_to_user(X, y)

    def data_from_user(self, X, y):
        return self.base.data_from_user(X, y)

    def __repr__(self) -> str:
        return f"NamedLayout({self.base!r}, weight={self.weight!r}, bias={self.bias!r})"


def get_layout(value) -> Layout:
    """The layout named ``value``, or ``value`` itself when it has a layout's methods.

    A name may also be ``"module:Class"`` or ``"path/to/file.py:Class"``: that class (or any
    callable there returning a layout) is loaded and called without arguments.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the known ones), or a ``module:Class`` that cannot
        be loaded.
    TypeError
        For an object that lacks ``params_to_user``, ``params_from_user`` or ``data_to_user``.
    """
    if isinstance(value, str):
        if value in LAYOUTS:
            return LAYOUTS[value]
        if ":" in value:
            return _load(value)
        known = ", ".join(repr(name) for name in LAYOUTS)
        raise ValueError(
            f"`layout` must be one of {known}, 'module:Class' or a Layout object, got {value!r}"
        )
    missing = [name for name in _METHODS if not callable(getattr(value, name, None))]
    if missing:
        raise TypeError(
            f"`layout` must be a layout name or an object with {', '.join(_METHODS)}, "
            f"got {type(value).__name__} without {', '.join(missing)}"
        )
    return value


def _load(spec: str) -> Layout:
    """The layout made by the class (or factory) named ``spec``: ``"module:Class"``."""
    from verify.oracle.loading import load_function  # imports user code: only when asked

    try:
        factory = load_function(spec)
    except (ImportError, TypeError) as err:
        raise ValueError(f"layout {spec!r} could not be loaded: {err}") from err
    try:
        layout = factory()
    except Exception as err:
        raise ValueError(
            f"layout {spec!r} must be a class (or function) that takes no arguments, calling it "
            f"raised {type(err).__name__}: {err}"
        ) from err
    missing = [name for name in _METHODS if not callable(getattr(layout, name, None))]
    if missing:
        raise TypeError(
            f"layout {spec!r} must make an object with {', '.join(_METHODS)}, got "
            f"{type(layout).__name__} without {', '.join(missing)}"
        )
    return layout


_METHODS = ("params_to_user", "params_from_user", "data_to_user")

LAYOUTS: dict[str, Layout] = {
    layout.name: layout
    for layout in (
        RowsLayout(),
        ColumnsLayout(),
        SklearnLayout(),
        InOutLayout(),
        NielsenLayout(),
        NamedLayout(RowsLayout()),
    )
}
