"""pytest plugin: the ``gradient_oracle`` fixture, for checking backprop code in any test suite.

Installed with chainrule (entry point ``pytest11``), so a test only asks for the fixture::

    def test_my_backprop(gradient_oracle):
        gradient_oracle.assert_gradients(
            my_gradients, sizes=[3, 5, 2], activations="sigmoid", cost="cross_entropy",
            layout="columns", seeds=range(5),
        )

On failure the AssertionError's message is the oracle's table: which layer and parameter, what
kind of error (negated, scaled by the batch size, transposed, another layer's, ...), and the
numbers. This module imports nothing but pytest until a check runs.
"""

from __future__ import annotations

import pytest

__all__ = ["GradientOracle", "gradient_oracle"]


class GradientOracle:
    """The fixture's object: chainrule's oracle with defaults set once per test.

    Parameters
    ----------
    **defaults
        Keyword arguments given to every ``check``/``assert_gradients`` call unless the call
        overrides them (``layout="columns"``, ``dtype=numpy.float32``, ...).
    """

    def __init__(self, **defaults):
        self.defaults = defaults

    def configure(self, **defaults) -> GradientOracle:
        """Set defaults for the following calls; returns the oracle itself."""
        self.defaults.update(defaults)
        return self

    def check(self, grad_fn, **options):
        """``verify.oracle.check.check_gradients`` with the defaults: a GradientReport."""
        from verify.oracle.check import check_gradients

        return check_gradients(grad_fn, **{**self.defaults, **options})

    def assert_gradients(self, grad_fn, *, seeds=None, **options):
        """Fail the test (AssertionError, the report as message) unless every seed passes.

        Parameters
        ----------
        grad_fn : callable
            ``grad_fn(params, X, y)``, as for ``check_gradients``.
        seeds : iterable of int, optional
            Check each seed in turn (each draws other parameters and data); None checks the
            ``seed`` option (default 0) only.
        **options
            ``check_gradients``' keyword arguments.

        Returns
        -------
        list of GradientReport
            One per seed, all passed.
        """
        options = {**self.defaults, **options}
        default_seed = options.pop("seed", 0)
        seeds = [default_seed] if seeds is None else list(seeds)
        reports = []
        for seed in seeds:
            report = self.check(grad_fn, **options, seed=seed)
            if not report.passed:
                raise AssertionError(str(report))
            reports.append(report)
        return reports

    def gradcheck(self, loss_fn, grad_fn, params, **options):
        """``verify.oracle.blackbox_check.gradcheck`` (black-box mode): a GradientReport."""
        from verify.oracle.blackbox_check import gradcheck

        return gradcheck(loss_fn, grad_fn, params, **options)

    def assert_gradcheck(self, loss_fn, grad_fn, params, **options):
        """Fail the test unless ``gradcheck`` passes; returns the report."""
        report = self.gradcheck(loss_fn, grad_fn, params, **options)
        if not report.passed:
            raise AssertionError(str(report))
        return report


@pytest.fixture
def gradient_oracle() -> GradientOracle:
    """chainrule's gradient oracle (``.check``, ``.assert_gradients``, ``.gradcheck``)."""
    return GradientOracle()
