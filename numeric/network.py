"""The fully connected network: parameters, vectorized forward pass and backpropagation.

Notation follows the reference document: layers m = 1..L, W^m of shape (N^m, N^{m-1}), b^m of shape
(N^m,), z^m = W^m a^{m-1} + b^m, a^m = sigma^m(z^m), delta^m = dC/dz^m. Arrays are batch-first: a
batch X has shape (n_samples, N^0), so a layer computes z = a W^T + b for all samples at once.
"""

from __future__ import annotations

import numpy as np

from numeric import kernels, persistence
from numeric.activations import Activation, get_activation
from numeric.costs import get_cost
from numeric.kernels import backprop, forward
from numeric.train import fit
from numeric.validation import Description, argument_error, check_batch, check_sizes

__all__ = ["DTYPES", "INITS", "REDUCTIONS", "Network"]

INITS = ("normal", "xavier", "he")
REDUCTIONS = ("mean", "sum")
DTYPES = (np.float64, np.float32)


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
    seed : int or None
        Seeds the initialisation and, unless ``fit`` is given its own, the mini-batch shuffling.
    dtype : numpy.float64 or numpy.float32
        Floating type of parameters and computations.
    init : {"normal", "xavier", "he"}
        ``"normal"`` draws every W and b from the standard normal, as the document's code does;
        ``"xavier"`` (Glorot normal, variance 2 / (fan_in + fan_out)) and ``"he"`` (variance
        2 / fan_in) scale W to the layer and start b at 0.
    reduction : {"mean", "sum"}
        How the cost of a batch combines its samples; the document's code takes the mean.

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
        self.sizes = check_sizes(sizes)
        n_layers = len(self.sizes) - 1
        if isinstance(activations, (str, Activation)):
            activations = [activations] * n_layers
        activations = list(activations)
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
        self.dtype = np.dtype(dtype)
        if self.dtype not in [np.dtype(d) for d in DTYPES]:
            known = ", ".join(np.dtype(d).name for d in DTYPES)
            raise argument_error("dtype", f"one of {known}", Description(self.dtype.name))
        if init not in INITS:
            raise argument_error("init", f"one of {', '.join(map(repr, INITS))}", init)
        if reduction not in REDUCTIONS:
            raise argument_error(
                "reduction", f"one of {', '.join(map(repr, REDUCTIONS))}", reduction
            )
        self.reduction = reduction
        if not self.cost.fits_output(self.activations[-1]):
            low, high = self.cost.output_range
            out_low, out_high = self.activations[-1].output_range
            raise argument_error(
                f"activations[{n_layers - 1}]",
                f"an output activation with values in [{low:g}, {high:g}], "
                f"which cost {self.cost.name!r} needs",
                Description(
                    f"{self.activations[-1].name!r}, which gives values in "
                    f"[{out_low:g}, {out_high:g}]"
                ),
            )
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.init = init
        self.params = [self._initial(n_in, n_out) for n_in, n_out in self._layer_shapes()]

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
        return sum(W.size + b.size for W, b in self.params)

    def __repr__(self) -> str:
        names = [a.name for a in self.activations]
        acts = names[0] if len(set(names)) == 1 else names
        return (
            f"Network({list(self.sizes)}, activations={acts!r}, cost={self.cost.name!r}, "
            f"dtype={self.dtype.name}, reduction={self.reduction!r})"
        )

    # -- checked public passes -------------------------------------------------------------

    def check_data(self, X, y=None):
        """X (and y) as contiguous arrays of the network's dtype, or a clear error."""
        X, y = check_batch(X, y, self.sizes[0], self.sizes[-1], self.dtype)
        if y is not None:
            self.cost.check_targets(y)
        return X, y

    def forward(self, X) -> np.ndarray:
        """The output a^L, shape (n_samples, N^L), for a batch X of shape (n_samples, N^0)."""
        X, _ = self.check_data(X)
        return forward(self.params, self.activations, X)[1][-1]

    def trace(self, X):
        """Every layer's pre-activation and activation: ``([z^1..z^L], [a^0..a^L])``."""
        X, _ = self.check_data(X)
        return forward(self.params, self.activations, X)

    def predict(self, X) -> np.ndarray:
        """Decisions: class indices for a vector output (softmax), 0/1 for targets in [0, 1]
        (cross-entropy), else a^L itself."""
        a = self.forward(X)
        if not self.activations[-1].elementwise or self.cost.targets == "distribution":
            return a.argmax(axis=1)
        if self.cost.targets == "unit":
            return (a > 0.5).astype(int)
        return a

    def loss(self, X, y) -> float:
        """The batch cost: mean (or sum) over samples of the per-sample cost."""
        X, y = self.check_data(X, y)
        return float(kernels.loss(self.params, self.activations, self.cost, X, y, self.reduction))

    def gradients(self, X, y):
        """[(dC/dW^m, dC/db^m) for m = 1..L], each with its parameter's shape."""
        X, y = self.check_data(X, y)
        return self.loss_and_gradients(X, y)[1]

    def loss_and_gradients(self, X, y):
        """The batch cost and ``[(dC/dW^m, dC/db^m)]`` in one pass, for arrays already checked.

        No input checks (see ``check_data``): this is the trainer's step and the oracle's reference,
        ``numeric.kernels.backprop`` on the network's parameters.
        """
        return backprop(self.params, self.activations, self.cost, X, y, self.reduction)

    # -- training and persistence ----------------------------------------------------------

    def fit(
        self,
        X,
        y,
        *,
        learning_rate: float,
        epochs: int,
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
        y : array-like, shape (n_samples, N^L) (or (n_samples,) when N^L = 1)
        learning_rate : float
            Step size, > 0.
        epochs : int
            Passes over the data; with the default full batch, one step each (as in the document).
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
            ``numeric.StopTraining`` ends training.
        progress : bool or None
            Show a progress line on stderr; None shows it only when stderr is a terminal.

        Returns
        -------
        History
            ``losses`` per epoch and ``stop_reason``.

        Raises
        ------
        DivergenceError
            When the loss or a gradient becomes non-finite; the parameters are left at the last
            finite step, and the error carries the history so far.
        """
        return fit(
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

    def save(self, path) -> None:
        """Write architecture and parameters to a ``.npz`` file (atomically)."""
        persistence.save(self, path)

    @classmethod
    def load(cls, path) -> Network:
        """Read a network written by ``save``; a corrupt or mismatched file raises ValueError."""
        return persistence.load(path, cls)
