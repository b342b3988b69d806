"""The fully connected network: parameters, vectorized forward pass and backpropagation.

Notation follows the reference document: layers m = 1..L, W^m of shape (N^m, N^{m-1}), b^m of shape
(N^m,), z^m = W^m a^{m-1} + b^m, a^m = sigma^m(z^m), delta^m = dC/dz^m. Arrays are batch-first: a
batch X has shape (n_samples, N^0), so a layer computes z = a W^T + b for all samples at once.
"""

from __future__ import annotations

import copyreg
import numbers
import warnings
from collections.abc import Mapping

import numpy as np

from numeric import kernels, persistence
from numeric.activations import ACTIVATIONS, Activation, get_activation
from numeric.costs import get_cost
from numeric.kernels import backprop, forward
from numeric.train import fit
from numeric.validation import (
    Description,
    argument_error,
    check_batch,
    check_dtype,
    check_seed,
    check_sizes,
)

__all__ = ["DTYPES", "INITS", "REDUCTIONS", "Network", "PairingWarning"]

INITS = ("normal", "xavier", "he")
REDUCTIONS = ("mean", "sum")
DTYPES = (np.float64, np.float32)


class PairingWarning(UserWarning):
    """An output activation whose values fit the cost's domain but not its kind of targets."""


def _reduce_activation(activation: Activation):
    # A registered activation pickles (and deep-copies) as its name and comes back as the very
    # registered object; one of one's own pickles field by field (module-level functions needed).
    if ACTIVATIONS.get(activation.name) is activation:
        return (get_activation, (activation.name,))
    return activation.__reduce_ex__(4)


copyreg.pickle(Activation, _reduce_activation)


class Network:
    """A multilayer perceptron trained by backpropagation.

    Parameters
    ----------
    sizes : sequence of int
        Layer sizes N^0, ..., N^L (input first).
    activations : str, Activation or sequence of them
        One for every layer, or a single one for all L layers.
    cost : str or Cost
        ``"squared_error"``, ``"cross_entropy"`` or ``"categorical_cross_entropy"``.
    seed : int >= 0 or None
        Seeds the initialisation and, unless ``fit`` is given its own, the mini-batch shuffling.
    dtype : numpy.float64 or numpy.float32 (or their names)
        Floating type of parameters and computations.
    init : {"normal", "xavier", "he"}
        ``"normal"`` draws every W and b from the standard normal, as the document's code does;
        ``"xavier"`` (Glorot normal, variance 2 / (fan_in + fan_out)) and ``"he"`` (variance
        2 / fan_in) scale W to the layer and start b at 0.
    reduction : {"mean", "sum"}
        How the cost of a batch combines its samples; the document's code takes the mean.

    Targets and decisions follow scikit-learn's habits: ``y`` may be 1-d for one output, and for
    ``"categorical_cross_entropy"`` a 1-d ``y`` of class indices 0..N^L-1 (one-hot inside).
    ``predict`` returns one decision per sample shaped like the targets ``fit`` was given:

    - class indices, shape (n_samples,), where the targets are distributions or the output is a
      vector activation (softmax);
    - otherwise 0/1 for targets in [0, 1] (cross-entropy), else a^L itself, of shape
      (n_samples,) when the network has one output and was fitted on a 1-d y, and of shape
      (n_samples, N^L) otherwise (also before any fit).

    A network pickles and deep-copies (registered activations and costs travel by name).

    Examples
    --------
    >>> import numpy as np
    >>> net = Network([2, 2, 1], activations="sigmoid", cost="cross_entropy", seed=0)
    >>> X = np.array([[0, 0], [1, 0], [0, 1], [1, 1]])
    >>> [(dW.shape, db.shape) for dW, db in net.gradients(X, [0, 1, 1, 0])]
    [((2, 2), (2,)), ((1, 2), (1,))]
    """

    def __init__(
        self,
        sizes,
        activations="sigmoid",
        cost="cross_entropy",
        *,
        seed: int | None = None,
        dtype=np.float64,
        init: str = "normal",
        reduction: str = "mean",
    ):
        self._configure(sizes, activations, cost, seed, dtype, init, reduction)
        self._params = [self._initial(n_in, n_out) for n_in, n_out in self._layer_shapes()]

    def _configure(self, sizes, activations, cost, seed, dtype, init, reduction) -> None:
        """Everything but the parameters, each argument checked (``load`` fills the parameters
        from the file instead of drawing them)."""
        self.sizes = check_sizes(sizes)
        n_layers = len(self.sizes) - 1
        if isinstance(activations, (str, Activation)):
            activations = [activations] * n_layers
        elif activations is None or isinstance(activations, (Mapping, numbers.Number, bytes)):
            raise argument_error(
                "activations",
                "a name, an Activation or a sequence of one per layer",
                activations,
                TypeError,
            )
        try:
            activations = list(activations)
        except TypeError:
            raise argument_error(
                "activations",
                "a name, an Activation or a sequence of one per layer",
                Description(f"a {type(activations).__name__}"),
                TypeError,
            ) from None
        if len(activations) != n_layers:
            raise argument_error(
                "activations",
                f"one name or a sequence of one per layer ({n_layers} layers)",
                Description(f"{len(activations)} entries"),
            )
        self.activations = [
            get_activation(a, f"activations[{m}]") for m, a in enumerate(activations)
        ]
        self.cost = get_cost(cost)
        self.dtype = check_dtype(dtype, DTYPES)
        if not isinstance(init, str) or init not in INITS:
            raise argument_error("init", f"one of {', '.join(map(repr, INITS))}", init)
        if not isinstance(reduction, str) or reduction not in REDUCTIONS:
            raise argument_error(
                "reduction", f"one of {', '.join(map(repr, REDUCTIONS))}", reduction
            )
        self.reduction = reduction
        output = self.activations[-1]
        if not self.cost.fits_output(output):
            low, high = self.cost.output_range
            out_low, out_high = output.output_range
            raise argument_error(
                f"activations[{n_layers - 1}]",
                f"an output activation with values in [{low:g}, {high:g}], "
                f"which cost {self.cost.name!r} needs",
                Description(f"{output.name!r}, which gives values in [{out_low:g}, {out_high:g}]"),
            )
        if not output.elementwise and self.sizes[-1] == 1 and self.cost.targets == "unit":
            raise argument_error(
                f"activations[{n_layers - 1}]",
                f"an output that can vary for cost {self.cost.name!r} with one output unit "
                f"(use {self.cost.output!r})",
                Description(f"{output.name!r} of one unit, which is the constant 1"),
            )
        if not self.cost.pairs_with(output):
            warnings.warn(
                f"output activation {output.name!r} does not pair with cost {self.cost.name!r}: "
                f"its rows are not probability distributions; use {self.cost.output!r}",
                PairingWarning,
                stacklevel=3,
            )
        self.seed = check_seed("seed", seed)
        self.rng = np.random.default_rng(self.seed)
        self.init = init
        self._target_ndim: int | None = None

    def _layer_shapes(self):
        return zip(self.sizes[:-1], self.sizes[1:])

    def _initial(self, n_in: int, n_out: int):
        draw = self.rng.standard_normal
        if self.init == "normal":
            W, b = draw((n_out, n_in)), draw(n_out)
        else:
            var = 2.0 / (n_in + n_out) if self.init == "xavier" else 2.0 / n_in
            W, b = np.sqrt(var) * draw((n_out, n_in)), np.zeros(n_out)
        return W.astype(self.dtype), b.astype(self.dtype)

    @property
    def n_layers(self) -> int:
        return len(self.sizes) - 1

    @property
    def n_params(self) -> int:
        return sum(W.size + b.size for W, b in self._params)

    @property
    def params(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """``[(W^m, b^m) for m = 1..L]``: W^m of shape (N^m, N^{m-1}), b^m of shape (N^m,).

        The arrays may be changed in place. Assigning a new list checks every shape and type:
        real arrays are converted to the network's dtype (kept as they are when they already
        have it); complex, bool and non-numeric arrays are refused.
        """
        return self._params

    @params.setter
    def params(self, value) -> None:
        self._params = self._checked_params(value)

    def _checked_params(self, value, name: str = "params"):
        expected = [((n_out, n_in), (n_out,)) for n_in, n_out in self._layer_shapes()]
        if isinstance(value, (np.ndarray, Mapping, str)) or not hasattr(value, "__len__"):
            raise argument_error(
                name,
                f"a list of {self.n_layers} (W, b) pairs",
                Description(f"a {type(value).__name__}"),
                TypeError,
            )
        if len(value) != self.n_layers:
            raise argument_error(
                name,
                f"a list of {self.n_layers} (W, b) pairs, one per layer",
                Description(f"{len(value)} entries"),
            )
        checked = []
        for m, (pair, shapes) in enumerate(zip(value, expected)):
            if isinstance(pair, np.ndarray) or not hasattr(pair, "__len__") or len(pair) != 2:
                got = Description(f"a {type(pair).__name__}")
                raise argument_error(f"{name}[{m}]", "a (W, b) pair", got, TypeError)
            arrays = []
            for label, item, shape in zip("Wb", pair, shapes):
                where = f"{name}[{m}][{'Wb'.index(label)}]"
                try:
                    array = np.asarray(item)
                except (TypeError, ValueError):
                    got = Description(f"a {type(item).__name__}")
                    raise argument_error(
                        where, "an array of real numbers", got, TypeError
                    ) from None
                if array.dtype.kind not in "iuf":
                    raise argument_error(
                        where,
                        f"an array of real numbers ({label}^{m + 1})",
                        Description(f"dtype {array.dtype}"),
                        TypeError,
                    )
                if array.shape != shape:
                    raise argument_error(
                        where, f"of shape {shape} ({label}^{m + 1})", Description(str(array.shape))
                    )
                arrays.append(array.astype(self.dtype, copy=False))
            checked.append((arrays[0], arrays[1]))
        return checked

    def __repr__(self) -> str:
        names = [a.name for a in self.activations]
        acts = names[0] if len(set(names)) == 1 else names
        return (
            f"Network({list(self.sizes)}, activations={acts!r}, cost={self.cost.name!r}, "
            f"dtype={self.dtype.name}, reduction={self.reduction!r})"
        )

    # -- checked public passes -------------------------------------------------------------

    def check_data(self, X, y=None):
        """X (and y) as contiguous arrays of the network's dtype, or a clear error.

        A 1-d ``y`` is one target per sample for a one-output network, and class indices
        (made one-hot) when the cost's targets are distributions.
        """
        X, y = check_batch(
            X,
            y,
            self.sizes[0],
            self.sizes[-1],
            self.dtype,
            labels=self.cost.targets == "distribution",
        )
        if y is not None:
            self.cost.check_targets(y)
        return X, y

    def _check_xy(self, X, y):
        if y is None:
            raise argument_error("y", "array-like of targets, one per sample", None, TypeError)
        return self.check_data(X, y)

    def _finite(self, value, X, what: str):
        """``value`` when finite; else the error that says the inputs overflow the dtype."""
        if np.isfinite(value).all():
            return value
        raise argument_error(
            "X",
            f"small enough for the {what} to be finite in {self.dtype.name} with these parameters",
            Description(f"max |X| = {np.abs(X).max():.3g}, with which the {what} overflows"),
        )

    def forward(self, X) -> np.ndarray:
        """The output a^L, shape (n_samples, N^L), for a batch X of shape (n_samples, N^0)."""
        X, _ = self.check_data(X)
        with np.errstate(all="ignore"):
            output = forward(self._params, self.activations, X)[1][-1]
        return self._finite(output, X, "output")

    def trace(self, X):
        """Every layer's pre-activation and activation: ``([z^1..z^L], [a^0..a^L])``."""
        X, _ = self.check_data(X)
        return forward(self._params, self.activations, X)

    def _decisions(self, a: np.ndarray) -> np.ndarray:
        if not self.activations[-1].elementwise or self.cost.targets == "distribution":
            return a.argmax(axis=1)
        decisions = (a > 0.5).astype(int) if self.cost.targets == "unit" else a
        if self.sizes[-1] == 1 and self._target_ndim == 1:
            return decisions.ravel()
        return decisions

    def predict(self, X) -> np.ndarray:
        """Decisions, one per sample (the shape rule is in the class's docstring): class
        indices for distributions or a vector output, 0/1 for targets in [0, 1], else a^L."""
        return self._decisions(self.forward(X))

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, as scikit-learn's classifiers give them.

        Distribution targets: the output rows, shape (n_samples, N^L). Targets in [0, 1] with one
        output: the columns P(0), P(1), shape (n_samples, 2); with several (independent labels):
        a^L, shape (n_samples, N^L). Real targets (regression) have no probabilities.
        """
        if self.cost.targets == "real":
            raise argument_error(
                "cost",
                "a classification cost ('unit' or 'distribution' targets) for predict_proba",
                self.cost.name,
            )
        a = self.forward(X)
        if self.cost.targets == "unit" and self.sizes[-1] == 1:
            return np.hstack([1 - a, a])
        return a

    def score(self, X, y) -> float:
        """Accuracy for classification costs, R^2 for regression, as scikit-learn's ``score``.

        Classification: the fraction of samples whose decision (``predict``) matches the
        target's: the class index of a distribution row (or the label itself), targets in
        [0, 1] rounded at 1/2 (every output right, for several). Regression: the coefficient of
        determination 1 - SS_res / SS_tot, averaged over outputs (1 where both sums are 0, 0
        where only SS_tot is).
        """
        X, y = self._check_xy(X, y)
        a = self.forward(X)
        if self.cost.targets == "distribution" or not self.activations[-1].elementwise:
            return float(np.mean(a.argmax(axis=1) == y.argmax(axis=1)))
        if self.cost.targets == "unit":
            return float(np.mean(((a > 0.5) == (y > 0.5)).all(axis=1)))
        residual = ((y - a) ** 2).sum(axis=0, dtype=np.float64)
        total = ((y - y.mean(axis=0)) ** 2).sum(axis=0, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            r2 = np.where(total > 0, 1 - residual / total, np.where(residual == 0, 1.0, 0.0))
        return float(r2.mean())

    def loss(self, X, y) -> float:
        """The batch cost: mean (or sum) over samples of the per-sample cost."""
        X, y = self._check_xy(X, y)
        with np.errstate(all="ignore"):
            value = kernels.loss(self._params, self.activations, self.cost, X, y, self.reduction)
        return float(self._finite(value, X, "loss"))

    def gradients(self, X, y):
        """[(dC/dW^m, dC/db^m) for m = 1..L], each with its parameter's shape."""
        X, y = self._check_xy(X, y)
        with np.errstate(all="ignore"):
            loss, grads = self.loss_and_gradients(X, y)
        self._finite(loss, X, "loss")
        for pair in grads:
            for g in pair:
                self._finite(g, X, "gradient")
        return grads

    def loss_and_gradients(self, X, y):
        """The batch cost and ``[(dC/dW^m, dC/db^m)]`` in one pass, for arrays already checked.

        No input checks (see ``check_data``): this is the oracle's reference,
        ``numeric.kernels.backprop`` on the network's parameters.
        """
        return backprop(self._params, self.activations, self.cost, X, y, self.reduction)

    # -- training and persistence ----------------------------------------------------------

    def fit(
        self,
        X,
        y,
        *,
        learning_rate: float | None = None,
        epochs: int = 100,
        batch_size: int | None = None,
        optimizer="sgd",
        tol: float | None = None,
        seed: int | None = None,
        callbacks=(),
        progress: bool | None = None,
        **optimizer_options,
    ):
        """Train in place by gradient descent and return the loss history.

        Parameters
        ----------
        X : array-like, shape (n_samples, N^0)
        y : array-like, shape (n_samples, N^L), or (n_samples,) for one output or class indices
        learning_rate : float or None
            Step size, > 0. None: 0.1 for ``"sgd"`` and ``"momentum"``, 0.001 for ``"adam"``
            (an optimizer object uses its own).
        epochs : int
            Passes over the data (default 100); with the default full batch, one step each (as in
            the document).
        batch_size : int or None
            Mini-batch size; None uses the whole batch. Mini-batches are reshuffled every epoch.
        optimizer : {"sgd", "momentum", "adam"} or optimizer object
            Extra keyword arguments (``momentum=``, ``beta1=``, ``beta2=``, ``eps=``) go to it.
        tol : float or None
            Stop as soon as an epoch's loss is <= tol.
        seed : int or None
            Seeds the shuffling; None continues the network's own seeded generator.
        callbacks : sequence of callables
            Each is called as ``callback(epoch, loss, network)`` after every epoch; raising
            ``numeric.StopTraining`` ends training. A callback may change the parameters in
            place; replacing them (assigning ``network.params`` or one of its pairs) is an error
            unless it also stops training.
        progress : bool or None
            Show a progress line on stderr; None shows it only when stderr is a terminal.

        Returns
        -------
        History
            ``losses`` per epoch and ``stop_reason``.

        Raises
        ------
        DivergenceError
            When the loss, a gradient or the updated parameters become non-finite; the network
            keeps the last parameters whose loss was finite, and the error carries the history.
        """
        history = fit(
            self,
            X,
            y,
            learning_rate=learning_rate,
            epochs=epochs,
            batch_size=batch_size,
            optimizer=optimizer,
            tol=tol,
            seed=seed,
            callbacks=callbacks,
            progress=progress,
            **optimizer_options,
        )
        return history

    def save(self, path):
        """Write architecture, parameters, seed, init and random state to a ``.npz`` file.

        ``.npz`` is appended to a path without it (as ``numpy.savez`` does); the file is
        written atomically. Returns the path written.
        """
        return persistence.save(self, path)

    @classmethod
    def load(cls, path) -> Network:
        """Read a network written by ``save`` (``.npz`` appended when the path has no suffix and
        only that file exists); a corrupt or mismatched file raises ValueError."""
        return persistence.load(path, cls)
