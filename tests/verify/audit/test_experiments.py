"""The audit's experiments over many seeds: the ensemble, the program's draws, the commands."""

from __future__ import annotations

import numpy as np
import pytest

import numeric
from numeric.examples import XOR_INPUTS, XOR_TARGETS
from verify.audit.empirical import (
    XOR_Y,
    convergence_experiment,
    depth_experiment,
    xor_experiment,
)
from verify.audit.ensemble import Ensemble, program_params
from verify.audit.experiments import (
    ALL_REPAIRS,
    FURTHER_REPAIRS,
    REPAIRS,
    program_diff,
    run_toy_program,
)
from verify.audit.reproduce import main, reproduce


def test_per_copy_learning_rates_equal_separate_runs():
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((6, 3)), rng.random((6, 1))
    rates = np.array([0.3, 1.2])
    together = Ensemble([3, 4, 1], "sigmoid", "cross_entropy", seeds=[5, 5])
    together.train(X, Y, learning_rate=rates, epochs=20)
    for k, rate in enumerate(rates):
        alone = Ensemble([3, 4, 1], "sigmoid", "cross_entropy", seeds=[5])
        alone.train(X, Y, learning_rate=float(rate), epochs=20)
        np.testing.assert_array_equal(together.outputs(X)[k], alone.outputs(X)[0])


def test_copies_that_reach_the_target_leave_without_changing_the_others():
    seeds = list(range(12))
    ensemble = Ensemble([2, 2, 1], "sigmoid", "cross_entropy", seeds)
    steps = ensemble.train(XOR_INPUTS, XOR_Y, learning_rate=4.0, epochs=300, target_accuracy=1.0)
    assert np.isfinite(steps).any() and np.isinf(steps).any()  # some stop early, some never
    for k, seed in enumerate(seeds):
        alone = Ensemble([2, 2, 1], "sigmoid", "cross_entropy", [seed])
        expected = alone.train(
            XOR_INPUTS, XOR_Y, learning_rate=4.0, epochs=300, target_accuracy=1.0
        )
        assert steps[k] == expected[0]
    # A copy's step count is the first step after which it classifies every input right, as
    # numeric's trainer sees it.
    for k in np.flatnonzero(np.isfinite(steps))[:2]:
        network = numeric.Network([2, 2, 1], "sigmoid", "cross_entropy", seed=seeds[k])
        first = None
        for step in range(int(steps[k]) + 1):
            if ((network.forward(XOR_INPUTS)[:, 0] > 0.5) == (XOR_TARGETS > 0.5)).all():
                first = step
                break
            network.fit(XOR_INPUTS, XOR_TARGETS, learning_rate=4.0, epochs=1, progress=False)
        assert first == steps[k]


def test_from_params_checks_the_stacks():
    params = [(np.zeros((3, 2, 2)), np.zeros((3, 2))), (np.zeros((3, 1, 2)), np.zeros((3, 1)))]
    assert Ensemble.from_params([2, 2, 1], "sigmoid", "cross_entropy", params).n_copies == 3
    with pytest.raises(ValueError, match=r"`params` must hold 2 layers, got 1"):
        Ensemble.from_params([2, 2, 1], "sigmoid", "cross_entropy", params[:1])
    bad = [params[0], (np.zeros((3, 2, 2)), np.zeros((3, 1)))]
    with pytest.raises(ValueError, match=r"`params` must be stacks of shapes"):
        Ensemble.from_params([2, 2, 1], "sigmoid", "cross_entropy", bad)
    ensemble = Ensemble([2, 2, 1], "sigmoid", "cross_entropy", [0, 1])
    with pytest.raises(ValueError, match=r"`learning_rate` must be a positive number or one per"):
        ensemble.step(XOR_INPUTS, XOR_Y, np.array([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match=r"`learning_rate` must be positive and finite, got -1"):
        ensemble.step(XOR_INPUTS, XOR_Y, -1.0)


def test_program_params_are_the_programs_own_draws():
    for seed in (0, 7):
        run = run_toy_program(REPAIRS, seed=seed)
        drawn = program_params([2, 2, 1], seed)
        for (W, b), (W_run, b_run) in zip(drawn, run.initial_params):
            np.testing.assert_array_equal(W, W_run)
            np.testing.assert_array_equal(b, b_run.ravel())


def test_the_program_generator_runs_are_the_programs_runs():
    seeds = range(6)
    result = xor_experiment(seeds, other_learning_rates=())
    program_run = next(run for run in result.others if run.generator == "program")
    for seed, learned in zip(seeds, program_run.success):
        printed = run_toy_program(REPAIRS, seed=seed).printed.splitlines()
        quantized = [int(line.split("\t")[2].strip("[]")) for line in printed]
        assert (quantized == [0, 1, 1, 0]) == learned, seed


def test_further_repairs_do_not_change_the_documents_run():
    for seed in (0, 3):
        minimal, full = run_toy_program(REPAIRS, seed=seed), run_toy_program(ALL_REPAIRS, seed=seed)
        assert full.stage == "done", full.error
        assert full.printed == minimal.printed
    assert {repair.item for repair in FURTHER_REPAIRS} == {"toy-input-delta", "toy-1d-inputs"}


def test_program_diff_is_numbered_by_document_line():
    diff = program_diff()
    assert diff.startswith("--- backpropagation-derivation.txt (as printed)\n")
    lines = diff.splitlines()
    assert "-        return sigmoid( + self.b)" in lines
    assert "+        return sigmoid(self.W.dot(X) + self.b)" in lines
    assert "@@ -126," in diff  # the hunk around document line 128 starts at line 126
    assert "+        cost_partials.reverse()" in diff


def test_convergence_and_depth_on_few_seeds():
    results = convergence_experiment(range(4), fast=True, starts=("saturated",))
    assert [r.start for r in results] == ["saturated", "saturated"]
    for result in results:
        for _, ce_rate, se_rate in result.comparisons():
            found = result.compare(ce_rate, se_rate)
            assert found["ce_reached"].n == 4
    depth = depth_experiment(range(3), depth=4, width=8, batch=16)
    assert depth.deltas["relu", "he"].shape == (3, 4)
    assert np.all(depth.profile("relu", "he")[-1] == 1.0)


def test_reproduce_prints_the_experiment():
    text = reproduce("depth", seeds=3)
    assert text.startswith("<!-- python -m verify.audit.reproduce depth --seeds 3;")
    assert "### ReLU: many layers" in text
    assert "‖delta^1‖" in text  # norms written so that no table breaks
    with pytest.raises(ValueError, match=r"`name` must be one of xor, convergence, depth"):
        reproduce("speed")
    with pytest.raises(SystemExit):
        main(["depth", "--seeds", "0"])
