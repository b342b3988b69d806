"""Bad input to numeric: each error names the argument, what was expected and what came.

Every message has the form "`<name>` must be <expected>, got <value>" (numeric.validation).
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import numeric
from numeric import Activation, Cost, Network
from numeric.activations import get_activation
from numeric.costs import get_cost
from numeric.validation import Description, argument_error

X4 = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], dtype=float)
Y4 = np.array([0, 1, 1, 0], dtype=float)


@pytest.fixture
def net():
    return Network([2, 2, 1], "sigmoid", "cross_entropy", seed=0)


def test_argument_error_template():
    error = argument_error("epochs", "an int > 0", 2.5, TypeError)
    assert isinstance(error, TypeError)
    assert str(error) == "`epochs` must be an int > 0, got 2.5"
    assert str(argument_error("cost", "one of 'a'", "b")) == "`cost` must be one of 'a', got 'b'"
    described = argument_error("X", "finite", Description("2 NaN/Inf entries"), hint="look")
    assert isinstance(described, ValueError)
    assert str(described) == "`X` must be finite, got 2 NaN/Inf entries; look"


@pytest.mark.parametrize(
    ("X", "y", "message"),
    [
        (
            X4.T,
            Y4,
            r"^`X` must be of shape \(n_samples, 2\), got \(2, 4\); "
            r"it looks transposed \(samples as columns\): pass X\.T$",
        ),
        (X4[:, :1], Y4, r"^`X` must be of shape \(n_samples, 2\), got \(4, 1\)$"),
        (X4.ravel(), Y4, r"^`X` must be of shape \(n_samples, 2\), got 1-d shape \(8,\)$"),
        (X4, Y4[:3], r"^`y` must be one row per sample of X \(4 rows\), got 3 rows$"),
        (
            X4,
            Y4.reshape(1, 4),
            r"^`y` must be of shape \(n_samples, 1\), got \(1, 4\); .*transposed.*: pass y\.T$",
        ),
        (
            np.zeros((0, 2)),
            np.zeros(0),
            r"^`X` must be non-empty \(at least one sample\), got shape \(0, 2\)$",
        ),
        (
            np.where(X4 == 1, np.nan, X4),
            Y4,
            r"^`X` must be finite, got 4 NaN/Inf entries \(first at \(1, 0\)\)$",
        ),
        (X4, np.array([0, np.inf, 1, 0]), r"^`y` must be finite, got 1 NaN/Inf entries"),
        (
            X4,
            np.array([0, 2, 1, 0]),
            r"^`y` must be in \[0, 1\] for cost 'cross_entropy', got values in \[0, 2\]$",
        ),
    ],
)
def test_bad_data(net, X, y, message):
    with pytest.raises(ValueError, match=message):
        net.gradients(X, y)


def test_non_numeric_data(net):
    with pytest.raises(TypeError, match=r"^`X` must be an array of real numbers, got dtype <U1$"):
        net.gradients([["a", "b"]], Y4[:1])
    with pytest.raises(TypeError, match=r"^`X` must be array-like of numbers, got list$"):
        net.gradients([[0.0, 1.0], [1.0]], Y4[:2])


def test_categorical_targets_must_be_distributions():
    net = Network([2, 3], "softmax", "categorical_cross_entropy", seed=0)
    y = np.array([[0.2, 0.3, 0.5], [0.5, 0.0, 0.0]])
    with pytest.raises(
        ValueError,
        match=r"^`y` must be rows that sum to 1 for cost 'categorical_cross_entropy', "
        r"got row 1 summing to 0\.5 \(1 rows off\)$",
    ):
        net.loss(X4[:2], y)
    with pytest.raises(
        ValueError,
        match=r"^`y` must be non-negative for cost 'categorical_cross_entropy', got min -0\.5$",
    ):
        net.loss(X4[:2], np.array([[1.5, -0.5, 0.0], [0.5, 0.0, 0.5]]))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"sizes": [2, 0, 1]}, ValueError, r"^`sizes` must be positive \(>= 1\), got \[2, 0, 1\]$"),
        (
            {"sizes": [3]},
            ValueError,
            r"^`sizes` must be at least 2 layer sizes \(input and output\), got \[3\]$",
        ),
        ({"sizes": [2, 1.5]}, TypeError, r"^`sizes` must be a sequence of ints, got 1\.5 in \[2,"),
        ({"sizes": 5}, TypeError, r"^`sizes` must be a sequence of ints, got 5$"),
        (
            {"activations": "sigmoidd"},
            ValueError,
            r"^`activations\[0\]` must be one of 'sigmoid', 'tanh', 'relu'.* or an Activation, "
            r"got 'sigmoidd'$",
        ),
        (
            {"activations": ["tanh"] * 3},
            ValueError,
            r"^`activations` must be one name or a sequence of one per layer \(2 layers\), "
            r"got 3 entries$",
        ),
        (
            {"cost": "mse"},
            ValueError,
            r"^`cost` must be one of 'squared_error', 'cross_entropy', "
            r"'categorical_cross_entropy' or a Cost, got 'mse'$",
        ),
        (
            {"activations": "relu"},
            ValueError,
            r"^`activations\[1\]` must be an output activation with values in \[0, 1\], which "
            r"cost 'cross_entropy' needs, got 'relu', which gives values in \[0, inf\]$",
        ),
        ({"dtype": np.int64}, ValueError, r"^`dtype` must be one of float64, float32.*got int64$"),
        (
            {"init": "glorot"},
            ValueError,
            r"^`init` must be one of 'normal', 'xavier', 'he', got 'glorot'$",
        ),
        (
            {"reduction": "median"},
            ValueError,
            r"^`reduction` must be one of 'mean', 'sum', got 'median'$",
        ),
    ],
)
def test_bad_construction(kwargs, error, message):
    args = {"sizes": [2, 2, 1], "activations": "sigmoid", "cost": "cross_entropy", **kwargs}
    with pytest.raises(error, match=message):
        Network(args.pop("sizes"), **args)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"learning_rate": 0.0}, ValueError, r"^`learning_rate` must be > 0 and finite, got 0\.0$"),
        ({"learning_rate": -1}, ValueError, r"^`learning_rate` must be > 0 and finite, got -1$"),
        (
            {"learning_rate": float("inf")},
            ValueError,
            r"^`learning_rate` must be > 0 and finite, got inf$",
        ),
        (
            {"optimizer": numeric.Adam(0.1), "beta1": 5.0},
            ValueError,
            r"^`optimizer_options` must be empty when `optimizer` is an object \(give them to "
            r"the constructor of Adam\), got \{'beta1': 5\.0\}$",
        ),
        (
            {"learning_rate": "fast"},
            TypeError,
            r"^`learning_rate` must be a number > 0, got 'fast'$",
        ),
        ({"epochs": 0}, ValueError, r"^`epochs` must be > 0, got 0$"),
        ({"epochs": 2.5}, TypeError, r"^`epochs` must be an int > 0, got 2\.5$"),
        ({"batch_size": 0}, ValueError, r"^`batch_size` must be > 0, got 0$"),
        (
            {"optimizer": "rmsprop"},
            ValueError,
            r"^`optimizer` must be one of 'sgd', 'momentum', 'adam' or an optimizer object, "
            r"got 'rmsprop'$",
        ),
        (
            {"optimizer": "momentum", "momentum": 1.0},
            ValueError,
            r"^`momentum` must be in \[0, 1\), got 1\.0$",
        ),
        ({"optimizer": "adam", "beta2": -0.1}, ValueError, r"^`beta2` must be in \[0, 1\), got"),
        ({"optimizer": "adam", "eps": 0}, ValueError, r"^`eps` must be > 0 and finite, got 0$"),
        ({"tol": -1.0}, ValueError, r"^`tol` must be >= 0 or None, got -1\.0$"),
    ],
)
def test_bad_fit_arguments(net, kwargs, error, message):
    args = {"learning_rate": 1.0, "epochs": 1, "progress": False, **kwargs}
    before = [p.copy() for pair in net.params for p in pair]
    with pytest.raises(error, match=message):
        net.fit(X4, Y4, **args)
    after = [p for pair in net.params for p in pair]
    assert all(np.array_equal(p, q) for p, q in zip(before, after))


def test_catalogue_entries_check_their_definitions():
    with pytest.raises(
        TypeError,
        match=r"^`derivative` must be given exactly when `vjp` is not \(activation 'x' needs "
        r"one of the two\), got neither$",
    ):
        Activation("x", lambda z: z)
    with pytest.raises(TypeError, match=r"^`derivative` must be .*, got both$"):
        Activation("x", lambda z: z, lambda z, a: a, vjp=lambda g, z, a: g)
    with pytest.raises(
        ValueError,
        match=r"^`targets` must be one of 'real', 'unit', 'distribution', got 'labels'$",
    ):
        Cost("x", lambda a, y: a, lambda a, y: a, targets="labels")


def test_save_refuses_unregistered_entries(tmp_path):
    custom = Activation("custom", lambda z: z, lambda z, a: np.ones_like(z))
    with pytest.raises(
        ValueError,
        match=r"^`network\.activations\[1\]` must be a registered activation to be saved, "
        r"got a custom Activation\('custom'\)$",
    ):
        Network([2, 2, 1], ["tanh", custom], "squared_error").save(tmp_path / "a.npz")
    cost = Cost("mine", lambda a, y: a.sum(axis=-1), lambda a, y: np.ones_like(a))
    with pytest.raises(
        ValueError,
        match=r"^`network\.cost` must be a registered cost to be saved, "
        r"got a custom Cost\('mine'\)$",
    ):
        Network([2, 1], "identity", cost).save(tmp_path / "c.npz")
    assert list(tmp_path.iterdir()) == []


def test_load_errors_name_the_path(tmp_path):
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match=r"^`path` '.*corrupt\.npz' is not a readable \.npz"):
        Network.load(corrupt)
    with pytest.raises(
        ValueError,
        match=r"^`path` '.*swish\.npz' is not a valid chainrule network: "
        r"`activations\[0\]` must be one of .*, got 'swish'$",
    ):
        Network.load(_saved_with(tmp_path / "swish.npz", activations=["swish", "sigmoid"]))


# -- every refusal, one template --------------------------------------------------------------


def _saved_with(path, **meta):
    """A saved [2, 2, 1] network whose metadata has ``meta`` written over it."""
    Network([2, 2, 1], seed=0).save(path)
    with np.load(path) as data:
        arrays = dict(data)
    arrays["meta"] = np.array(json.dumps({**json.loads(str(arrays["meta"])), **meta}))
    np.savez(path, **arrays)
    return path


_FIT = {"learning_rate": 0.5, "epochs": 1, "progress": False}


def _fit(**kwargs):
    args = {**_FIT, **kwargs}
    return lambda tmp: Network([2, 2, 1], seed=0).fit(X4, Y4, **args)


def _network(sizes=None, **kwargs):
    return lambda tmp: Network([2, 2, 1] if sizes is None else sizes, **kwargs)


def _on(method, X, y=None):
    def call(tmp):
        net = Network([2, 2, 1], seed=0)
        return getattr(net, method)(X) if y is None else getattr(net, method)(X, y)

    return call


SOFTMAX = Network([2, 3], "softmax", "categorical_cross_entropy", seed=0)
CUSTOM = Activation("custom", lambda z: z, lambda z, a: np.ones_like(z))

# (call on a temporary folder, error type, the argument the message must start with)
BAD_INPUTS = {
    "Network: sizes not a sequence": (_network(5), TypeError, "sizes"),
    "Network: sizes too short": (_network([3]), ValueError, "sizes"),
    "Network: sizes with a float": (_network([2, 1.5]), TypeError, "sizes"),
    "Network: sizes with a bool": (_network([2, True]), TypeError, "sizes"),
    "Network: sizes with a zero": (_network([2, 0, 1]), ValueError, "sizes"),
    "Network: unknown activation": (_network(activations="swish"), ValueError, "activations[0]"),
    "Network: activation not a name": (
        _network(activations=[None, "sigmoid"]),
        ValueError,
        "activations[0]",
    ),
    "Network: too many activations": (
        _network(activations=["tanh"] * 3),
        ValueError,
        "activations",
    ),
    "Network: unknown cost": (_network(cost="mse"), ValueError, "cost"),
    "Network: output outside the cost's range": (
        _network(activations="tanh"),
        ValueError,
        "activations[1]",
    ),
    "Network: integer dtype": (_network(dtype=np.int32), ValueError, "dtype"),
    "Network: unknown init": (_network(init="glorot"), ValueError, "init"),
    "Network: unknown reduction": (_network(reduction="median"), ValueError, "reduction"),
    "fit: learning_rate zero": (_fit(learning_rate=0.0), ValueError, "learning_rate"),
    "fit: learning_rate nan": (_fit(learning_rate=float("nan")), ValueError, "learning_rate"),
    "fit: learning_rate a string": (_fit(learning_rate="fast"), TypeError, "learning_rate"),
    "fit: epochs a float": (_fit(epochs=2.5), TypeError, "epochs"),
    "fit: epochs negative": (_fit(epochs=-3), ValueError, "epochs"),
    "fit: batch_size zero": (_fit(batch_size=0), ValueError, "batch_size"),
    "fit: tol negative": (_fit(tol=-1e-3), ValueError, "tol"),
    "fit: unknown optimizer": (_fit(optimizer="rmsprop"), ValueError, "optimizer"),
    "fit: momentum >= 1": (_fit(optimizer="momentum", momentum=1.5), ValueError, "momentum"),
    "fit: beta1 negative": (_fit(optimizer="adam", beta1=-0.5), ValueError, "beta1"),
    "fit: eps zero": (_fit(optimizer="adam", eps=0.0), ValueError, "eps"),
    "fit: options with an optimizer object": (
        _fit(optimizer=numeric.SGD(0.1), momentum=0.5),
        ValueError,
        "optimizer_options",
    ),
    "fit: transposed X": (
        lambda tmp: Network([2, 1]).fit(X4.T, Y4, **_FIT),
        ValueError,
        "X",
    ),
    "loss: transposed X": (_on("loss", X4.T, Y4), ValueError, "X"),
    "loss: too few targets": (_on("loss", X4, Y4[:3]), ValueError, "y"),
    "loss: strings": (_on("loss", [["a", "b"]], Y4[:1]), TypeError, "X"),
    "loss: complex X": (_on("loss", X4 + 1j, Y4), TypeError, "X"),
    "loss: no samples": (_on("loss", np.zeros((0, 2)), np.zeros(0)), ValueError, "X"),
    "loss: targets outside [0, 1]": (_on("loss", X4, Y4 + 1), ValueError, "y"),
    "loss: rows not summing to 1": (
        lambda tmp: SOFTMAX.loss(X4[:1], [[0.5, 0.0, 0.0]]),
        ValueError,
        "y",
    ),
    "loss: negative distributions": (
        lambda tmp: SOFTMAX.loss(X4[:1], [[1.5, -0.5, 0.0]]),
        ValueError,
        "y",
    ),
    "passes: gradients on 1-d X": (_on("gradients", X4.ravel(), Y4), ValueError, "X"),
    "passes: gradients on NaN in X": (_on("gradients", X4 * np.nan, Y4), ValueError, "X"),
    "passes: gradients on inf in y": (
        _on("gradients", X4, np.array([0, np.inf, 1, 0])),
        ValueError,
        "y",
    ),
    "passes: gradients on a ragged list": (
        _on("gradients", [[0.0, 1.0], [1.0]], Y4[:2]),
        TypeError,
        "X",
    ),
    "passes: gradients on transposed y": (_on("gradients", X4, Y4.reshape(1, 4)), ValueError, "y"),
    "passes: forward on a 3-d X": (_on("forward", np.zeros((1, 4, 2))), ValueError, "X"),
    "passes: predict on too few columns": (_on("predict", X4[:, :1]), ValueError, "X"),
    "save/load: save a custom activation": (
        lambda tmp: Network([2, 2, 1], [CUSTOM, "sigmoid"]).save(tmp / "n.npz"),
        ValueError,
        "network.activations[0]",
    ),
    "save/load: save a custom cost": (
        lambda tmp: Network([2, 1], "identity", Cost("c", np.sum, np.ones_like)).save(
            tmp / "n.npz"
        ),
        ValueError,
        "network.cost",
    ),
    "save/load: load an unknown activation": (
        lambda tmp: Network.load(_saved_with(tmp / "n.npz", activations=["swish", "sigmoid"])),
        ValueError,
        "path",
    ),
    "save/load: load an integer dtype": (
        lambda tmp: Network.load(_saved_with(tmp / "n.npz", dtype="int64")),
        ValueError,
        "path",
    ),
    "catalogues: get_activation unknown": (
        lambda tmp: get_activation("swish"),
        ValueError,
        "activation",
    ),
    "catalogues: get_activation not a name": (
        lambda tmp: get_activation(3, "hidden"),
        ValueError,
        "hidden",
    ),
    "catalogues: get_cost unknown": (lambda tmp: get_cost("hinge"), ValueError, "cost"),
    "catalogues: get_cost not a name": (lambda tmp: get_cost(None, "loss"), ValueError, "loss"),
    "catalogues: Activation without a derivative": (
        lambda tmp: Activation("x", np.tanh),
        TypeError,
        "derivative",
    ),
    "catalogues: Cost with unknown targets": (
        lambda tmp: Cost("x", np.sum, np.ones_like, targets="labels"),
        ValueError,
        "targets",
    ),
}


@pytest.mark.parametrize(("call", "error", "name"), BAD_INPUTS.values(), ids=list(BAD_INPUTS))
def test_every_refusal_names_its_argument(tmp_path, call, error, name):
    with pytest.raises(error) as info:
        call(tmp_path)
    assert type(info.value) is error
    message = str(info.value)
    assert message.startswith(f"`{name}` "), message
    assert "must" in message and "got" in message, message
    if name != "path":  # load wraps the refusal of what the file holds after naming the path
        assert message.startswith(f"`{name}` must be "), message


def test_the_table_covers_every_entry_point():
    assert len(BAD_INPUTS) >= 25
    groups = {row.split(":")[0] for row in BAD_INPUTS}
    assert groups == {"Network", "fit", "loss", "passes", "save/load", "catalogues"}
    for entry in ("gradients", "save", "load", "get_activation", "get_cost"):
        assert any(entry in row for row in BAD_INPUTS), entry


# -- the unclear errors of the hostile-input survey, each in our words now ------------------------


def _loaded(tmp, change):
    """Save a [2, 3, 1] network, rewrite its file through ``change(arrays)`` and load it."""
    path = tmp / "n.npz"
    Network([2, 3, 1], seed=0).save(path)
    with np.load(path) as data:
        arrays = dict(data)
    change(arrays)
    np.savez(path, **arrays)
    return Network.load(path)


def _meta(value):
    return lambda arrays: arrays.update(meta=np.array(json.dumps(value)))


def _params(value):
    def call(tmp):
        Network([4, 4, 1], seed=0).params = value

    return call


def _fit_then(**kwargs):
    """fit with ``kwargs``; the parameters must be untouched by the refusal."""

    def call(tmp):
        net = Network([2, 2, 1], seed=0)
        before = [p.copy() for pair in net.params for p in pair]
        try:
            net.fit(X4, Y4, **{**_FIT, **kwargs})
        finally:
            after = [p for pair in net.params for p in pair]
            assert all(np.array_equal(p, q) for p, q in zip(before, after)), "params changed"

    return call


F32 = {"dtype": np.float32}

# (call on a temporary folder, error type, the argument named, a phrase the message must hold)
SURVEY = {
    "seed -1": (_network(seed=-1), ValueError, "seed", "an int >= 0"),
    "seed 1.5": (_network(seed=1.5), TypeError, "seed", "got 1.5"),
    "seed 'abc'": (_network(seed="abc"), TypeError, "seed", "got 'abc'"),
    "seed nan": (_network(seed=float("nan")), TypeError, "seed", "got nan"),
    "seed True": (_network(seed=True), TypeError, "seed", "got True"),
    "fit seed -1": (_fit_then(seed=-1), ValueError, "seed", "an int >= 0"),
    "dtype 'foo'": (_network(dtype="foo"), TypeError, "dtype", "float64, float32"),
    "dtype 3.5": (_network(dtype=3.5), TypeError, "dtype", "got 3.5"),
    "dtype [np.float32]": (_network(dtype=[np.float32]), TypeError, "dtype", "got ["),
    "dtype None": (_network(dtype=None), TypeError, "dtype", "got None"),
    "dtype 'int64'": (_network(dtype="int64"), ValueError, "dtype", "got int64"),
    "activations None": (_network(activations=None), TypeError, "activations", "got None"),
    "activations 5": (_network(activations=5), TypeError, "activations", "got 5"),
    "activations a dict": (_network(activations={}), TypeError, "activations", "got {}"),
    "sizes a dict": (_network({2: 1, 3: 1}), TypeError, "sizes", "a sequence of ints"),
    "sizes a set": (_network({2, 3}), TypeError, "sizes", "a sequence of ints"),
    "sizes a string": (_network("221"), TypeError, "sizes", "a sequence of ints"),
    "one-unit softmax with cross-entropy": (
        _network([2, 1], activations="softmax"),
        ValueError,
        "activations[0]",
        "the constant 1",
    ),
    "loss y None": (
        lambda tmp: Network([2, 2, 1], seed=0).loss(X4, None),
        TypeError,
        "y",
        "got None",
    ),
    "gradients y None": (
        lambda tmp: Network([2, 2, 1], seed=0).gradients(X4, None),
        TypeError,
        "y",
        "got None",
    ),
    "fit y None": (lambda tmp: Network([2, 1]).fit(X4, None), TypeError, "y", "got None"),
    "fit X None": (lambda tmp: Network([2, 1]).fit(None, Y4), TypeError, "X", "got None"),
    "momentum a string": (
        _fit_then(optimizer="momentum", momentum="0.9"),
        TypeError,
        "momentum",
        "got '0.9'",
    ),
    "momentum None": (_fit_then(optimizer="momentum", momentum=None), TypeError, "momentum", ""),
    "beta1 a list": (_fit_then(optimizer="adam", beta1=[0.9]), TypeError, "beta1", "got [0.9]"),
    "beta2 a string": (_fit_then(optimizer="adam", beta2="x"), TypeError, "beta2", ""),
    "eps None": (_fit_then(optimizer="adam", eps=None), TypeError, "eps", "got None"),
    "an unknown option": (
        _fit_then(optimizer="sgd", beta1=0.9),
        TypeError,
        "optimizer_options",
        "",
    ),
    "optimizer a list": (_fit_then(optimizer=["sgd"]), ValueError, "optimizer", "got ['sgd']"),
    "tol a string": (_fit_then(tol="0.1"), TypeError, "tol", "got '0.1'"),
    "tol a list": (_fit_then(tol=[0.1]), TypeError, "tol", "got [0.1]"),
    "tol nan": (_fit_then(tol=float("nan")), ValueError, "tol", "got nan"),
    "callbacks a bare function": (
        _fit_then(callbacks=lambda epoch, loss, net: None),
        TypeError,
        "callbacks",
        "wrap a single one in a list",
    ),
    "callbacks holding a number": (_fit_then(callbacks=[3]), TypeError, "callbacks[0]", "got 3"),
    "progress a string": (_fit_then(progress="yes"), TypeError, "progress", "got 'yes'"),
    "params of another layer's shape": (
        _params([(np.zeros((3, 2)), np.zeros(3)), (np.zeros((1, 3)), np.zeros(1))]),
        ValueError,
        "params[0][0]",
        "of shape (4, 4)",
    ),
    "params of a bias as a column": (
        _params([(np.zeros((4, 4)), np.zeros((4, 1))), (np.zeros((1, 4)), np.zeros(1))]),
        ValueError,
        "params[0][1]",
        "got (4, 1)",
    ),
    "params one layer short": (
        _params([(np.zeros((4, 4)), np.zeros(4))]),
        ValueError,
        "params",
        "got 1 entries",
    ),
    "params complex": (
        _params([(np.zeros((4, 4)) + 1j, np.zeros(4)), (np.zeros((1, 4)), np.zeros(1))]),
        TypeError,
        "params[0][0]",
        "complex128",
    ),
    "params bool": (
        _params([(np.zeros((4, 4), bool), np.zeros(4)), (np.zeros((1, 4)), np.zeros(1))]),
        TypeError,
        "params[0][0]",
        "bool",
    ),
    "params an array": (_params(np.zeros(3)), TypeError, "params", "a ndarray"),
    "params a triple": (
        _params([(np.zeros((4, 4)), np.zeros(4), 1), (np.zeros((1, 4)), np.zeros(1))]),
        TypeError,
        "params[0]",
        "a (W, b) pair",
    ),
    "float32 fed 1e300": (
        lambda tmp: Network([2, 1], seed=0, **F32).loss([[1e300, 0.0]], [1.0]),
        ValueError,
        "X",
        "overflows float32",
    ),
    "float32 targets 1e300": (
        lambda tmp: Network([2, 1], "identity", "squared_error", **F32).loss([[0, 0]], [1e300]),
        ValueError,
        "y",
        "overflows float32",
    ),
    "squared error on 1e300": (
        lambda tmp: Network([2, 1], "identity", "squared_error", seed=0).loss([[1e300] * 2], [0]),
        ValueError,
        "X",
        "the loss overflows",
    ),
    "squared error gradients on 1e300": (
        lambda tmp: Network([2, 1], "identity", "squared_error", seed=0).gradients(
            [[1e300] * 2], [0]
        ),
        ValueError,
        "X",
        "overflows",
    ),
    "labels out of range": (
        lambda tmp: SOFTMAX.loss(X4[:2], [0, 3]),
        ValueError,
        "y",
        "ints in [0, 3)",
    ),
    "load: metadata a list": (
        lambda tmp: _loaded(tmp, _meta([1, 2])),
        ValueError,
        "path",
        "must be a JSON object, got list",
    ),
    "load: metadata a string": (
        lambda tmp: _loaded(tmp, _meta("x")),
        ValueError,
        "path",
        "got str",
    ),
    "load: metadata null": (
        lambda tmp: _loaded(tmp, _meta(None)),
        ValueError,
        "path",
        "got NoneType",
    ),
    "load: huge declared sizes": (
        lambda tmp: _loaded(
            tmp,
            lambda a: a.update(
                meta=np.array(
                    json.dumps({**json.loads(str(a["meta"])), "sizes": [10**6, 10**6, 1]})
                )
            ),
        ),
        ValueError,
        "path",
        "the architecture needs (1000000, 1000000)",
    ),
    "load: NaN parameters": (
        lambda tmp: _loaded(tmp, lambda a: a["W1"].__setitem__((0, 0), np.nan)),
        ValueError,
        "path",
        "W1 has 1 NaN/Inf entries",
    ),
    "load: complex parameters": (
        lambda tmp: _loaded(tmp, lambda a: a.update(W1=a["W1"] + 1j)),
        ValueError,
        "path",
        "W1 has dtype complex128",
    ),
    "load: bool parameters": (
        lambda tmp: _loaded(tmp, lambda a: a.update(b1=a["b1"] > 0)),
        ValueError,
        "path",
        "b1 has dtype bool",
    ),
    "load: integer parameters": (
        lambda tmp: _loaded(tmp, lambda a: a.update(b2=np.zeros(1, int))),
        ValueError,
        "path",
        "b2 has dtype int64",
    ),
    "load: a .npy renamed .npz": (
        lambda tmp: (
            (np.save(tmp / "a.npy", np.zeros(3)), (tmp / "a.npy").rename(tmp / "a.npz"))
            and Network.load(tmp / "a.npz")
        ),
        ValueError,
        "path",
        "a .npy array, not a network",
    ),
    "load: a generator state that is not one": (
        lambda tmp: _loaded(
            tmp,
            lambda a: a.update(
                meta=np.array(json.dumps({**json.loads(str(a["meta"])), "rng": {"state": 1}}))
            ),
        ),
        ValueError,
        "path",
        "not a valid chainrule network",
    ),
    "predict_proba of a regression": (
        lambda tmp: Network([2, 1], "identity", "squared_error").predict_proba(X4),
        ValueError,
        "cost",
        "a classification cost",
    ),
}


@pytest.mark.parametrize(("call", "error", "name", "phrase"), SURVEY.values(), ids=list(SURVEY))
def test_the_surveys_inputs_are_refused_in_our_words(tmp_path, call, error, name, phrase):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning (overflow) on the way to the error
        with pytest.raises(error) as info:
            call(tmp_path)
    assert type(info.value) is error
    message = str(info.value)
    # load names the path, then says what in the file is wrong
    assert message.startswith(f"`{name}` " if name == "path" else f"`{name}` must be "), message
    assert phrase in message, message
    assert "got" in message or name == "path", message
