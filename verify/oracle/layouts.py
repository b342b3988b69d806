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
========== ============================ ============================ ==================== ==========

"rows" is NumPy's and PyTorch's (``nn.Linear.weight`` is (out, in)); "columns" is the reference
document's code (one column per sample, column biases); "sklearn" is scikit-learn's MLP
(``coefs_[i]`` is (n_in, n_out)). Anything else is a user-defined :class:`Layout`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["LAYOUTS", "ColumnsLayout", "Layout", "RowsLayout", "SklearnLayout", "get_layout"]


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


LAYOUTS: dict[str, Layout] = {
    layout.name: layout for layout in (RowsLayout(), ColumnsLayout(), SklearnLayout())
}

_METHODS = ("params_to_user", "params_from_user", "data_to_user")


def get_layout(value) -> Layout:
    """The layout named ``value``, or ``value`` itself when it has a layout's methods.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the known ones).
    TypeError
        For an object that lacks ``params_to_user``, ``params_from_user`` or ``data_to_user``.
    """
    if isinstance(value, str):
        if value in LAYOUTS:
            return LAYOUTS[value]
        known = ", ".join(repr(name) for name in LAYOUTS)
        raise ValueError(f"layout must be one of {known} or a Layout object, got {value!r}")
    missing = [name for name in _METHODS if not callable(getattr(value, name, None))]
    if missing:
        raise TypeError(
            f"layout must be a layout name or an object with {', '.join(_METHODS)}, "
            f"got {type(value).__name__} without {', '.join(missing)}"
        )
    return value
