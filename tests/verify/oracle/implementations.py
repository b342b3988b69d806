"""Backprop written the ways people write it, for the oracle to check: correct, and with faults.

Five styles, each written here for these tests:

- layer classes: ``Dense`` keeps ``weights`` (n_inputs, n_neurons) and ``biases`` (1, n_neurons),
  ``forward`` stores ``output``, ``backward`` stores ``dweights``, ``dbiases``, ``dinputs``;
  activation and loss objects work the same way; ``SelfUpdatingDense`` updates its own weights
  in ``backward_pass`` instead of storing gradients;
- per-sample lists: ``PerSampleNetwork`` keeps ``biases`` and ``weights`` as lists of column
  vectors and backpropagates one sample at a time (``backprop(x, y) -> (nabla_b, nabla_w)``);
- scikit-learn style: ``CoefsMLP`` keeps ``coefs_`` (n_in, n_out) and ``intercepts_`` and returns
  ``(loss, coef_grads, intercept_grads)`` from ``_backprop``;
- a scalar autograd engine: ``Value``, ``Neuron``, ``Layer``, ``MLP``;
- PyTorch models live in the tests that use them (torch is optional).

``bug=`` plants one fault; ``None`` is the correct code.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

# -- layer classes -------------------------------------------------------------------------------


class Dense:
    """z = inputs @ weights + biases; an optional L2 penalty l2 * sum(W^2) (and of the biases)."""

    def __init__(self, n_inputs, n_neurons, *, l2=0.0, l2_biases=False, seed=0, bug=None):
        rng = np.random.default_rng(seed)
        self.weights = 0.1 * rng.standard_normal((n_inputs, n_neurons))
        self.biases = np.zeros((1, n_neurons))
        self.l2, self.l2_biases, self.bug = l2, l2_biases, bug

    def forward(self, inputs):
        self.inputs = inputs
        self.output = inputs @ self.weights + self.biases

    def backward(self, dvalues):
        self.dweights = self.inputs.T @ dvalues
        self.dbiases = dvalues.sum(axis=0, keepdims=True)
        if self.bug == "bias_not_summed":
            self.dbiases = dvalues.mean(axis=0, keepdims=True)
        if self.l2:
            self.dweights = self.dweights + 2 * self.l2 * self.weights
            if self.l2_biases:
                self.dbiases = self.dbiases + 2 * self.l2 * self.biases
        self.dinputs = dvalues @ self.weights.T


class Tanh:
    def forward(self, inputs):
        self.output = np.tanh(inputs)

    def backward(self, dvalues):
        self.dinputs = dvalues * (1 - self.output**2)


class ReLU:
    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.maximum(inputs, 0)

    def backward(self, dvalues):
        self.dinputs = np.where(self.inputs > 0, dvalues, 0.0)


class LeakyReLU:
    """A leak ``slope`` below 0; ``backward_slope`` planted different makes a wrong backward."""

    def __init__(self, slope=0.2, backward_slope=None):
        self.slope = slope
        self.backward_slope = slope if backward_slope is None else backward_slope

    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.where(inputs > 0, inputs, self.slope * inputs)

    def backward(self, dvalues):
        self.dinputs = np.where(self.inputs > 0, dvalues, self.backward_slope * dvalues)


class Sigmoid:
    def forward(self, inputs):
        self.output = 1 / (1 + np.exp(-inputs))

    def backward(self, dvalues):
        self.dinputs = dvalues * self.output * (1 - self.output)


class Softmax:
    """Rows of probabilities; ``bug="diagonal"`` keeps only the Jacobian's diagonal a(1 - a)."""

    def __init__(self, bug=None):
        self.bug = bug

    def forward(self, inputs):
        shifted = np.exp(inputs - inputs.max(axis=1, keepdims=True))
        self.output = shifted / shifted.sum(axis=1, keepdims=True)

    def backward(self, dvalues):
        a = self.output
        if self.bug == "diagonal":
            self.dinputs = dvalues * a * (1 - a)
        else:
            self.dinputs = a * (dvalues - (dvalues * a).sum(axis=1, keepdims=True))


class MeanSquaredError:
    """mean over samples and outputs of (y - a)^2, no 1/2: PyTorch's and Keras's default."""

    def forward(self, output, y):
        return np.mean((y - output) ** 2)

    def backward(self, output, y):
        self.dinputs = -2 * (y - output) / output.shape[1] / len(output)


class CategoricalCrossEntropy:
    """-sum y log a per sample, mean over samples, on softmax outputs."""

    def forward(self, output, y):
        return -np.mean(np.sum(y * np.log(output), axis=1))

    def backward(self, output, y):
        self.dinputs = -y / output / len(output)


class SoftmaxCrossEntropy:
    """Softmax and categorical cross-entropy in one, on logits: dC/dz = p - y.

    Written for class labels: one-hot rows are turned into labels with an argmax, which is right
    for hard targets only (``strict`` says so by checking). ``bug="no_mean"`` drops the 1/n.
    """

    def __init__(self, bug=None):
        self.bug = bug

    def forward(self, logits, y):
        shifted = logits - logits.max(axis=1, keepdims=True)
        self.probabilities = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        labels = y if y.ndim == 1 else np.argmax(y, axis=1)
        return -np.mean(np.log(self.probabilities[np.arange(len(y)), labels]))

    def backward(self, logits, y):
        self.forward(logits, y)
        labels = y if y.ndim == 1 else np.argmax(y, axis=1)
        self.dinputs = self.probabilities.copy()
        self.dinputs[np.arange(len(labels)), labels] -= 1
        if self.bug != "no_mean":
            self.dinputs /= len(labels)


class BinaryCrossEntropy:
    """mean over samples and outputs of the binary cross-entropy, on sigmoid outputs; ``strict``
    refuses targets that are not 0 or 1."""

    def __init__(self, strict=False):
        self.strict = strict

    def _check(self, y):
        if self.strict and not np.isin(y, (0.0, 1.0)).all():
            raise ValueError("targets must be 0 or 1")

    def forward(self, output, y):
        self._check(y)
        return -np.mean(y * np.log(output) + (1 - y) * np.log(1 - output))

    def backward(self, output, y):
        self._check(y)
        self.dinputs = -(y / output - (1 - y) / (1 - output)) / output.shape[1] / len(output)


def forward_through(layers, X):
    """The output of a list of layer objects, for a ``forward(params, X)`` of the oracle."""
    for layer in layers:
        layer.forward(X)
        X = layer.output
    return X


class SelfUpdatingDense:
    """A layer whose ``backward_pass`` updates W and w0 (a (1, n) row) by plain gradient descent
    and returns the gradient for its input; it stores no gradient. Sums over the batch."""

    def __init__(self, n_inputs, n_units, learning_rate=0.01, seed=0):
        rng = np.random.default_rng(seed)
        self.W = rng.uniform(-0.5, 0.5, (n_inputs, n_units))
        self.w0 = np.zeros((1, n_units))
        self.learning_rate = learning_rate

    def forward_pass(self, X):
        self.layer_input = X
        return X @ self.W + self.w0

    def backward_pass(self, accum_grad):
        W = self.W
        grad_w = self.layer_input.T @ accum_grad
        grad_w0 = accum_grad.sum(axis=0, keepdims=True)
        self.W = self.W - self.learning_rate * grad_w
        self.w0 = self.w0 - self.learning_rate * grad_w0
        return accum_grad @ W.T


class TanhPass:
    def forward_pass(self, X):
        self.output = np.tanh(X)
        return self.output

    def backward_pass(self, accum_grad):
        return accum_grad * (1 - self.output**2)


class SquareLoss:
    """0.5 (y - p)^2 per entry; the gradient is per sample (no mean over the batch)."""

    def gradient(self, y, p):
        return -(y - p)


# -- per-sample lists of column vectors ----------------------------------------------------------


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))


class PerSampleNetwork:
    """Sigmoid layers; ``biases[m]`` (N, 1), ``weights[m]`` (N, N_prev); one sample at a time.

    ``cost="quadratic"``: 1/2 |a - y|^2, delta^L = (a - y) sigma'(z); ``"cross_entropy"``: delta^L =
    a - y. ``update_mini_batch`` is a gradient-descent step on a list of (x, y) columns.
    """

    def __init__(self, sizes, *, cost="quadratic", seed=0, bug=None):
        rng = np.random.default_rng(seed)
        self.biases = [rng.standard_normal((n, 1)) for n in sizes[1:]]
        self.weights = [
            rng.standard_normal((n, m)) / math.sqrt(m) for m, n in itertools.pairwise(sizes)
        ]
        self.cost, self.bug = cost, bug

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation, activations, zs = x, [x], []
        for b, w in zip(self.biases, self.weights):
            z = w @ activation + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = activations[-1] - y
        if self.cost == "quadratic" and self.bug != "no_output_derivative":
            delta = delta * sigmoid_prime(zs[-1])
        nabla_b[-1], nabla_w[-1] = delta, delta @ activations[-2].T
        for layer in range(2, len(self.weights) + 1):
            z = zs[-layer]
            slope = (
                sigmoid_prime(activations[-layer]) if self.bug == "prime_of_a" else sigmoid_prime(z)
            )
            delta = (self.weights[-layer + 1].T @ delta) * slope
            nabla_b[-layer], nabla_w[-layer] = delta, delta @ activations[-layer - 1].T
        return nabla_b, nabla_w

    def update_mini_batch(self, mini_batch, eta):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_b, delta_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_w)]
        self.weights = [w - (eta / len(mini_batch)) * nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - (eta / len(mini_batch)) * nb for b, nb in zip(self.biases, nabla_b)]


# -- scikit-learn style ----------------------------------------------------------------------------


class CoefsMLP:
    """tanh hidden layers, an identity output; ``coefs_[i]`` (n_in, n_out), ``intercepts_[i]``.

    Squared error 1/2 sum over outputs, mean over samples; ``alpha`` adds the L2 term
    alpha / (2 n_samples) sum W^2 (weights only), as scikit-learn's MLP does.
    """

    def __init__(self, alpha=0.0, bug=None):
        self.alpha, self.bug = alpha, bug
        self.coefs_, self.intercepts_ = [], []

    def _backprop(self, X, y):
        n = X.shape[0]
        activations = [X]
        for i, (coef, intercept) in enumerate(zip(self.coefs_, self.intercepts_)):
            z = activations[-1] @ coef + intercept
            activations.append(z if i == len(self.coefs_) - 1 else np.tanh(z))
        loss = 0.5 * np.sum((activations[-1] - y) ** 2) / n
        loss += 0.5 * self.alpha * sum(np.sum(c * c) for c in self.coefs_) / n
        delta = activations[-1] - y
        coef_grads = [None] * len(self.coefs_)
        intercept_grads = [None] * len(self.coefs_)
        for i in range(len(self.coefs_) - 1, -1, -1):
            coef_grads[i] = (activations[i].T @ delta + self.alpha * self.coefs_[i]) / n
            intercept_grads[i] = delta.mean(axis=0)
            if self.bug == "transposed" and i == 0:
                coef_grads[i] = coef_grads[i].T
            if i:
                delta = (delta @ self.coefs_[i].T) * (1 - activations[i] ** 2)
        return loss, coef_grads, intercept_grads


# -- a scalar autograd engine ----------------------------------------------------------------------


class Value:
    """A number that remembers how it was computed; ``backward`` fills ``grad`` everywhere.

    ``Value.bug = "tanh"`` plants a wrong tanh derivative (1 - t instead of 1 - t^2).
    """

    bug = None

    def __init__(self, data, children=()):
        self.data = float(data)
        self.grad = 0.0
        self._backward = lambda: None
        self._children = children

    @staticmethod
    def _wrap(other):
        return other if isinstance(other, Value) else Value(other)

    def __add__(self, other):
        other = self._wrap(other)
        out = Value(self.data + other.data, (self, other))

        def backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = backward
        return out

    def __mul__(self, other):
        other = self._wrap(other)
        out = Value(self.data * other.data, (self, other))

        def backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = backward
        return out

    def __pow__(self, exponent):
        out = Value(self.data**exponent, (self,))

        def backward():
            self.grad += exponent * self.data ** (exponent - 1) * out.grad

        out._backward = backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,))

        def backward():
            slope = (1 - t) if Value.bug == "tanh" else (1 - t * t)
            self.grad += slope * out.grad

        out._backward = backward
        return out

    def relu(self):
        out = Value(max(self.data, 0.0), (self,))

        def backward():
            self.grad += (out.data > 0) * out.grad

        out._backward = backward
        return out

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-self._wrap(other))

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def backward(self):
        order, seen = [], set()

        def visit(node):
            if id(node) not in seen:
                seen.add(id(node))
                for child in node._children:
                    visit(child)
                order.append(node)

        visit(self)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()


class Neuron:
    def __init__(self, n_inputs, nonlinearity, rng):
        self.w = [Value(rng.uniform(-1, 1)) for _ in range(n_inputs)]
        self.b = Value(0.0)
        self.nonlinearity = nonlinearity

    def __call__(self, x):
        z = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return getattr(z, self.nonlinearity)() if self.nonlinearity else z


class Layer:
    def __init__(self, n_inputs, n_outputs, nonlinearity, rng):
        self.neurons = [Neuron(n_inputs, nonlinearity, rng) for _ in range(n_outputs)]

    def __call__(self, x):
        return [neuron(x) for neuron in self.neurons]


class MLP:
    """Hidden layers with ``nonlinearity`` ("tanh" or "relu"), a linear output layer."""

    def __init__(self, sizes, nonlinearity="tanh", seed=0):
        rng = np.random.default_rng(seed)
        last = len(sizes) - 2
        self.layers = [
            Layer(n_in, n_out, None if i == last else nonlinearity, rng)
            for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes))
        ]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


def sum_of_squares(model, X, y):
    """The engine's loss: squared errors summed over samples and outputs, no 1/2."""
    total = Value(0.0)
    for x, target in zip(X, y):
        for out, t in zip(model([float(v) for v in x]), target):
            total = total + (out - float(t)) ** 2
    return total


# -- functions for the checks of one piece ---------------------------------------------------------


def softmax(z):
    shifted = np.exp(z - z.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def softmax_backward(z, g):
    """dC/dz = J^T g for the upstream gradient g = dC/da, row by row."""
    a = softmax(z)
    return a * (g - (g * a).sum(axis=1, keepdims=True))


def softmax_backward_diagonal(z, g):
    """The planted fault: only the Jacobian's diagonal a (1 - a)."""
    a = softmax(z)
    return g * a * (1 - a)


class SigmoidStyleCrossEntropy:
    """Categorical cross-entropy whose backward is written as the binary one's,
    (a - y) / (a (1 - a)) / n: wrong for softmax outputs, yet right after a softmax backward that
    keeps only the Jacobian's diagonal a (1 - a), where the two errors cancel to (a - y) / n."""

    def forward(self, output, y):
        return -np.mean(np.sum(y * np.log(output), axis=1))

    def backward(self, output, y):
        self.dinputs = (output - y) / (output * (1 - output)) / len(output)
