"""Plots where a picture says more than a table (matplotlib is an optional extra: ``[plot]``).

- ``step_error_plot``: each finite-difference method's error against the step size for one
  parameter of the XOR network: truncation error falls with the step, rounding error grows as it
  shrinks, and the complex step has no rounding term at all.
- ``xor_loss_plot``: the training loss of the document's XOR run, for several seeds.

Each ``*_plot`` writes a PNG; its ``*_figure`` builds the figure, which ``svg_data_uri`` embeds in
a web page (``verify.site``).
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np

from numeric import Network, kernels
from numeric.examples import XOR_INPUTS, XOR_TARGETS
from numeric.files import atomic_write_bytes
from verify.core.complex_step import complex_derivative

__all__ = [
    "step_error_curves",
    "step_error_figure",
    "step_error_plot",
    "svg_data_uri",
    "xor_loss_figure",
    "xor_loss_plot",
]

STEPS = np.logspace(-1, -16, 61)


def step_error_curves(seed: int = 1, layer: int = 0, index=(0, 0)):
    """Relative error of forward, central, Richardson and complex-step differences per step size.

    Returns ``(steps, {method: errors})`` for dC/dW^{layer+1}[index] of the document's 2-2-1 XOR
    network (initialised with ``seed``), against numeric's backprop (itself exact to rounding).
    """
    net = Network([2, 2, 1], "sigmoid", "cross_entropy", seed=seed)
    X, y = net.check_data(XOR_INPUTS, XOR_TARGETS)
    exact = net.gradients(X, y)[layer][0][index]
    W = net.params[layer][0]

    def loss_at(delta):
        W_trial = W.astype(np.result_type(W, delta))  # a copy: W itself stays as it is
        W_trial[index] += delta
        params = list(net.params)
        params[layer] = (W_trial, params[layer][1])
        X_trial = X.astype(W_trial.dtype)
        return kernels.loss(params, net.activations, net.cost, X_trial, y, net.reduction)

    f0 = loss_at(0.0)
    curves = {"forward": [], "central": [], "Richardson": [], "complex step": []}
    for h in STEPS:
        central = (loss_at(h) - loss_at(-h)) / (2 * h)
        central_2h = (loss_at(2 * h) - loss_at(-2 * h)) / (4 * h)
        estimates = {
            "forward": (loss_at(h) - f0) / h,
            "central": central,
            "Richardson": (4 * central - central_2h) / 3,
            "complex step": complex_derivative(loss_at, 0.0, h=h),
        }
        for method, value in estimates.items():
            curves[method].append(abs(value - exact) / abs(exact))
    return STEPS, {method: np.array(errors) for method, errors in curves.items()}


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path) -> Path:
    """Save through a temporary file and a rename; no timestamp or version in the PNG."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return atomic_write_bytes(path, buffer.getvalue())


def step_error_figure():
    """The figure of ``step_error_curves``: each method's error against the step, log-log."""
    plt = _figure()
    steps, curves = step_error_curves()
    floor = np.finfo(float).eps / 2
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for method, errors in curves.items():
        ax.loglog(steps, np.maximum(errors, floor), marker=".", label=method)
    ax.set_xlabel("step h")
    ax.set_ylabel("relative error of dC/dW^1[0, 0]")
    ax.set_title("Finite differences on the XOR network: truncation against rounding")
    ax.invert_xaxis()
    ax.grid(True, which="major", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def step_error_plot(path) -> Path:
    return _save_and_close(step_error_figure(), path)


def xor_loss_figure(seeds=range(1, 9)):
    """The training loss of the document's XOR run for each of ``seeds``, log scale."""
    plt = _figure()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for seed in seeds:
        net = Network([2, 2, 1], "sigmoid", "cross_entropy", seed=seed)
        losses = net.fit(XOR_INPUTS, XOR_TARGETS, learning_rate=1.0, epochs=1000, progress=False)
        learned = (net.predict(XOR_INPUTS).ravel() == XOR_TARGETS).all()
        ax.semilogy(losses.losses, label=f"seed {seed}" + ("" if learned else " (fails)"))
    ax.set_xlabel("full-batch step")
    ax.set_ylabel("cross-entropy (mean over the 4 samples)")
    ax.set_title("The document's XOR run: 2-2-1 sigmoid, learning rate 1")
    ax.grid(True, alpha=0.3)
    ax.legend(ncol=2, fontsize="small")
    fig.tight_layout()
    return fig


def xor_loss_plot(path, seeds=range(1, 9)) -> Path:
    return _save_and_close(xor_loss_figure(seeds), path)


def _save_and_close(fig, path) -> Path:
    path = _save(fig, path)
    _figure().close(fig)
    return path


def svg_data_uri(fig, close: bool = True) -> tuple[str, int, int]:
    """``fig`` as an SVG data URI for an ``<img>``, with its width and height in CSS pixels.

    Text stays text (the page's fonts draw it) and the SVG carries no date, no generator and
    fixed element ids, so the same figure gives the same bytes on every run of one matplotlib.
    """
    import matplotlib

    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "chainrule"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    width, height = (round(v * 100) for v in fig.get_size_inches())
    if close:
        _figure().close(fig)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"data:image/svg+xml;base64,{encoded}", width, height
