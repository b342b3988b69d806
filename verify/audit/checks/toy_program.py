"""Checks of the section "Toy Python example": the document's program, extracted from its text,
compiled and run as printed, with each repair and without it."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

import numpy as np

import numeric
from numeric.activations import sigmoid as logistic
from numeric.examples import XOR_INPUTS, XOR_TARGETS
from verify.audit.checks.procedure import batch_gradient
from verify.audit.checks.registry import check
from verify.audit.context import Context, probe_label
from verify.audit.document import document_lines
from verify.audit.ensemble import NUMERIC_DRAWS, PROGRAM_DRAWS
from verify.audit.experiments import (
    ALL_REPAIRS,
    QUANTILES,
    REPAIRS,
    Probe,
    program_source,
    run_backward_fragment,
)
from verify.audit.statistics import Rate, seeds_for_half_width
from verify.audit.tables import TABLE_FUNCTIONS
from verify.audit.verdicts import (
    RELIABLE,
    Check,
    Evidence,
    by_cases,
    by_readings,
    compare_arrays,
    compared_case,
    evaluated_case,
    fmt,
)


def _ablation_case(ctx: Context, item_id: str) -> Evidence:
    """The program with every repair except ``item_id``'s: it must fail, and say where."""
    run = ctx.ablations[item_id]
    return Evidence(
        "the program without this repair",
        run.stage == "done",
        run.error or "runs to completion",
    )


def _repaired_case(ctx: Context) -> Evidence:
    run = ctx.program
    return Evidence(
        "the program with every repair",
        run.stage == "done",
        run.error
        or f"runs the document's 1,000 steps and prints {len(run.printed.splitlines())} lines",
    )


def _program_ast() -> ast.Module:
    return ast.parse(program_source(REPAIRS)[0])


def _program_layer_sizes() -> list[int]:
    """The layer sizes the program's run builds its network with (``SigmoidNetwork([...])``)."""
    return next(
        ast.literal_eval(node.args[0])
        for node in ast.walk(_program_ast())
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "SigmoidNetwork"
    )


@check("toy-description")
def _toy_description(ctx: Context) -> Check:
    tree = _program_ast()
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    methods = {
        node.name: [arg.arg for arg in node.args.args[1:]]
        for node in classes["SigmoidNetwork"].body
        if isinstance(node, ast.FunctionDef)
    }
    built = sorted(
        {
            node.func.id
            for node in ast.walk(classes["SigmoidNetwork"])
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id[0].isupper()
        }
    )
    parameters = sorted({name for names in methods.values() for name in names})
    nonlinear = [name for name in parameters if re.search("nonlin|activ|sigma", name)]
    cost = [name for name in parameters if re.search("cost|loss", name)]
    output_delta = next(
        ast.unparse(node.value)
        for node in ast.walk(classes["SigmoidNetwork"])
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "cost_partials"
    )
    cases = [
        Evidence(
            "layer sizes are a parameter",
            "layer_sizes" in methods.get("__init__", []),
            f"SigmoidNetwork.__init__({', '.join(methods.get('__init__', []))})",
        ),
        Evidence(
            "nonlinearities are a parameter",
            bool(nonlinear),
            f"parameters of SigmoidNetwork's methods: {', '.join(parameters)}; every layer is a "
            f"{' / '.join(built)}",
        ),
        Evidence(
            "the cost function is a parameter",
            bool(cost),
            f"train starts the backward pass from cost_partials = {output_delta}: the "
            "sigmoid/cross-entropy delta, whatever the cost",
        ),
    ]
    return by_cases(cases, "program (syntax tree of the repaired program)")


@check("toy-sigmoid")
def _toy_sigmoid(ctx: Context) -> Check:
    points = ctx.points()
    program_sigmoid = ctx.program.namespace["sigmoid"]
    cases = [
        compared_case(
            "against the logistic function 1/(1 + e^(-x)) (numeric)",
            program_sigmoid(points),
            logistic(points),
        )
    ]
    table = compare_arrays(program_sigmoid(points), TABLE_FUNCTIONS["sigmoid"](points))
    return by_cases(
        cases,
        "program + numeric",
        evidence=[f"Unlike the table's $1/(1 + e^{{z}})$: against it, {table.text()}."],
    )


@check("toy-init")
def _toy_init(ctx: Context) -> Check:
    sizes = _program_layer_sizes()
    cases = [
        Evidence(
            f"layer {m}: W^{m} is (N^{m}, N^{m - 1}), b^{m} a column of N^{m}",
            W.shape == (sizes[m], sizes[m - 1]) and b.shape == (sizes[m], 1),
            f"W {W.shape}, b {b.shape} for sizes {sizes}",
        )
        for m, (W, b) in enumerate(ctx.program.initial_params or [], start=1)
    ] or [Evidence("the program builds its network", False, ctx.program.error)]
    return by_cases(
        cases,
        "program",
        evidence=[
            "`np.random.randn` is called without a seed: every run starts elsewhere (see item "
            "toy-xor-table)."
        ],
    )


def _program_item(
    item_id: str,
    literal: Callable[[Context], list[Evidence]] | None = None,
    corrected: Callable[[Context], Evidence] | None = None,
) -> None:
    """Register the check of a repaired program line: the program without the repair fails
    (plus ``literal``'s cases of the line as printed); the correction holds when the program with
    every repair runs (and ``corrected``'s case agrees)."""

    def run(ctx: Context) -> Check:
        cases = [_ablation_case(ctx, item_id)] + (literal(ctx) if literal else [])
        evidence = [
            f"The program exactly as printed stops at its first error: {ctx.literal_program.error}."
        ]
        holds = _repaired_case(ctx).agrees
        if corrected is not None:
            case = corrected(ctx)
            evidence.append(
                f"Corrected, {case.label}: {'agrees' if case.agrees else 'disagrees'}. "
                f"{case.detail}"
            )
            holds = holds and case.agrees
        return by_cases(
            cases, "program (compile and run)", evidence=evidence, correction_holds=holds
        )

    check(item_id)(run)


def _repaired_layer_case(ctx: Context) -> Evidence:
    network = ctx.program.namespace["nn"]
    layer = network.layers[0]
    return compared_case(
        "the repaired layer on the 4 XOR inputs against sigma(W X + b)",
        layer.output(XOR_INPUTS.T),
        logistic(layer.W @ XOR_INPUTS.T + layer.b),
    )


def _layer_output_cases(ctx: Context) -> list[Evidence]:
    """The layer as printed, called on the four XOR inputs: does its output depend on them?"""
    namespace = ctx.ablations["toy-layer-output"].namespace
    if "SigmoidLayer" not in namespace:
        return [
            Evidence(
                "the printed layer can be built", False, ctx.ablations["toy-layer-output"].error
            )
        ]
    layer = namespace["SigmoidLayer"](2, 2)
    outputs = layer.output(XOR_INPUTS.T)
    distinct = np.unique(outputs, axis=1).shape[1] if outputs.ndim == 2 else 1
    return [
        Evidence(
            "the printed layer on the 4 XOR inputs (one per column)",
            outputs.shape == (2, 4) and distinct == 4,
            f"returns shape {outputs.shape} with {distinct} distinct column(s): sigmoid(b), "
            "whatever X is",
        )
    ]


_program_item("toy-layer-output", _layer_output_cases, _repaired_layer_case)
_program_item("toy-docstring")
_program_item("toy-forward-loop")
_program_item("toy-backward-line")
_program_item("toy-weight-update-loop")


def _backward_pairing(ctx: Context, reverse: bool) -> Evidence:
    """The program's backward pass (lines 149-151): does ``cost_partials[1:]`` hold
    delta^1..delta^L, in the order of ``layer_outputs[:-1]`` and ``self.layers`` that lines
    154-157 pair it with?"""
    namespace = ctx.program.namespace
    network, X, y = namespace["nn"], namespace["X"].astype(float), namespace["y"].reshape(1, -1)
    params = [(layer.W, layer.b.ravel()) for layer in network.layers]
    sizes = [X.shape[0]] + [W.shape[0] for W, _ in params]
    probes = [
        Probe(sizes, "sigmoid", "cross_entropy", params=params, x=X[:, s], y=y[:, s])
        for s in range(X.shape[1])
    ]
    truth = [np.column_stack([p.dC_dz(m) for p in probes]) for m in range(1, len(sizes))]
    partials = run_backward_fragment(network, X, y, reverse=reverse)[1:]
    results = [compare_arrays(p, t) for p, t in zip(partials, truth)]
    label = "with cost_partials.reverse()" if reverse else "as printed (no reversal)"
    return Evidence(
        f"cost_partials[1:] {label}, against delta^1..delta^L of each sample",
        len(partials) == len(truth) and all(r.agrees for r in results),
        f"{len(partials) + 1} deltas computed for L = {len(truth)}; "
        + "; ".join(f"entry {m}: {r.text()}" for m, r in enumerate(results, start=1)),
    )


_program_item(
    "toy-missing-reverse",
    lambda ctx: [_backward_pairing(ctx, reverse=False)],
    lambda ctx: _backward_pairing(ctx, reverse=True),
)


@check("toy-output-delta")
def _toy_output_delta(ctx: Context) -> Check:
    cases = []
    for probe in ctx.probes:
        if probe.network.cost.name == "cross_entropy":
            cases.append(
                compared_case(
                    f"{probe_label(probe)}: a^L - y against dC/dz^L",
                    probe.a[probe.L] - probe.y,
                    probe.dC_dz(probe.L),
                )
            )
    return by_cases(cases, "complex step")


@check("toy-averaging")
def _toy_averaging(ctx: Context) -> Check:
    namespace = ctx.program.namespace
    network_class = namespace["SigmoidNetwork"]
    X_columns, y_row = namespace["X"], namespace["y"]
    program = network_class([2, 2, 1])
    rng = np.random.default_rng([ctx.seeds[0], 8])
    for layer in program.layers:  # a fresh point, seeded, instead of the program's own draw
        layer.W = rng.standard_normal(layer.W.shape)
        layer.b = rng.standard_normal(layer.b.shape)
    before = [(layer.W.copy(), layer.b.ravel().copy()) for layer in program.layers]
    rate = 0.7
    program.train(X_columns, y_row, learning_rate=rate)
    steps = [(layer.W - W, layer.b.ravel() - b) for layer, (W, b) in zip(program.layers, before)]
    twin = numeric.Network([2, 2, 1], "sigmoid", "cross_entropy")
    twin.params = [(W.copy(), b.copy()) for W, b in before]
    X, y = X_columns.T.astype(float), y_row.reshape(-1, 1).astype(float)
    mean_gradient = batch_gradient(twin, X, y)
    flat_steps = [s for pair in steps for s in pair]
    cases = [
        compared_case(
            f"{'W' if k % 2 == 0 else 'b'}^{k // 2 + 1}: step against -{rate} x gradient of the "
            "mean cost",
            step,
            -rate * g,
        )
        for k, (step, g) in enumerate(zip(flat_steps, mean_gradient))
    ]
    summed = compare_arrays(
        flat_steps[0], -rate * len(X) * mean_gradient[0], named_factors={"n_samples": len(X)}
    )
    # The whole run: the program's 1,000 steps against numeric's, from the program's own draw.
    run_twin = numeric.Network([2, 2, 1], "sigmoid", "cross_entropy")
    run_twin.params = [(W.copy(), b.ravel()) for W, b in ctx.program.initial_params]
    run_twin.fit(XOR_INPUTS, XOR_TARGETS, learning_rate=1.0, epochs=1000, progress=False)
    program_out = np.array([namespace["nn"].output(list(map(int, x)))[0, 0] for x in XOR_INPUTS])
    cases.append(
        compared_case(
            "1,000 steps of the program against numeric.Network.fit from the same start",
            program_out,
            run_twin.forward(XOR_INPUTS)[:, 0],
        )
    )
    return by_cases(
        cases,
        "program + complex step",
        evidence=[
            "Against the gradient of the summed cost the step is off by the number of samples "
            f"({summed.detail})."
        ],
    )


@check("toy-xor-table")
def _toy_xor_table(ctx: Context) -> Check:
    result = ctx.xor
    printed = np.array([0.0143, 0.9888, 0.9892, 0.0124])
    printed_error = float(np.abs(printed - XOR_TARGETS).max())
    successful = result.max_errors()[result.success]
    best, worst = (successful.min(), successful.max()) if len(successful) else (np.nan, np.nan)
    at_least_as_good = Rate.of(successful <= printed_error) if len(successful) else None
    main = result.main
    program = next((run for run in result.others if run.generator == "program"), None)
    readings = [
        Evidence(
            "every run of the program prints such a table (learns XOR)",
            main.rate.high >= RELIABLE,
            f"{main.rate.text()} of the initialisations learn XOR (numeric's generator)"
            + (f", {program.rate.text()} with the program's own" if program else "")
            + f"; a rate of {RELIABLE:.0%} or more is excluded by the interval"
            if main.rate.high < RELIABLE
            else f"{main.rate.text()} learn XOR",
        ),
        Evidence(
            "the printed table is one outcome the program can produce",
            bool(best <= printed_error <= worst),
            f"the printed table's largest error |a - y| is {printed_error:.4f}; successful runs "
            f"range from {best:.4f} to {worst:.4f}, and "
            + (at_least_as_good.text() if at_least_as_good else "none")
            + " of them do at least as well as the printed one",
        ),
    ]
    rows = []
    for label, only in (("all runs", False), ("successful runs", True)):
        q = result.quantiles(only_successful=only)
        for k, inputs in enumerate(XOR_INPUTS.astype(int).tolist()):
            rows.append(
                {
                    "runs": label,
                    "input": str(inputs),
                    "printed": fmt(printed[k]),
                    **{f"q{int(p * 100)}": f"{v:.4f}" for p, v in zip(QUANTILES, q[:, k])},
                }
            )
    rate_rows = [
        {
            "generator": run.generator,
            "learning rate": f"{run.learning_rate:g}",
            "steps": f"{run.epochs:,}",
            "seeds": f"{len(run.seeds):,}",
            "learn XOR [95% CI]": run.rate.text(),
        }
        for run in result.runs
    ]
    printed_lines = ctx.program.printed.splitlines()
    document_table = document_lines()[176:181]
    half_width = max(run.rate.high - run.rate.low for run in result.runs) / 2
    evidence = [
        f"{len(result.seeds):,} seeds ({result.seeds[0]} to {result.seeds[-1]}), each the "
        f"document's run: standard-normal W and b, {main.epochs:,} full-batch steps on the mean "
        "cross-entropy (the repaired program's arithmetic, item toy-averaging). Generators: "
        f"numeric's, {NUMERIC_DRAWS}; the program's, {PROGRAM_DRAWS}. Each rate with its 95% "
        f"Wilson interval; the widest is +-{100 * half_width:.1f} percentage points "
        f"({seeds_for_half_width(0.02):,} seeds guarantee +-2 at any rate). Reproduce: "
        f"`python -m verify.audit.reproduce xor --seeds {len(result.seeds)}`.",
        f"The program prints {len(printed_lines)} lines per run; the document shows "
        f"{len(document_table)}, with a header line ({document_table[0]!r}) that the program "
        "does not print.",
    ]
    return by_readings(
        readings,
        "experiment",
        evidence=evidence,
        tables=[
            ("Runs that learn XOR", rate_rows),
            (f"Output quantiles per input after {main.epochs:,} steps", rows),
        ],
        figures={
            "success_rate": result.success_rate,
            "n_seeds": len(result.seeds),
            "other_rates": {str(k): v for k, v in result.other_rates.items()},
            "rates": [
                {
                    "generator": run.generator,
                    "learning_rate": run.learning_rate,
                    **run.rate.to_dict(),
                }
                for run in result.runs
            ],
            "at_least_as_good_as_printed": at_least_as_good.to_dict() if at_least_as_good else None,
        },
    )


# -- one-dimensional arrays ------------------------------------------------------------------------


def _flat(params) -> np.ndarray:
    return np.concatenate([p.ravel() for pair in params for p in pair])


def _program_step(namespace: dict, sizes, X, y, seed: int) -> np.ndarray:
    """One ``train`` call of the program's SigmoidNetwork on ``X`` and ``y`` as given, from a
    seeded start: the change of its parameters, flat."""
    network = namespace["SigmoidNetwork"](list(sizes))
    rng = np.random.default_rng([seed, 11])
    for layer in network.layers:
        layer.W = rng.standard_normal(layer.W.shape)
        layer.b = rng.standard_normal(layer.b.shape)
    before = _flat([(layer.W.copy(), layer.b.copy()) for layer in network.layers])
    network.train(X, y, learning_rate=_RATE)
    return _flat([(layer.W, layer.b) for layer in network.layers]) - before


def _true_step(sizes, X_rows: np.ndarray, y_rows: np.ndarray, seed: int) -> np.ndarray:
    """-rate x the complex-step gradient of the mean cross-entropy, samples as rows."""
    twin = numeric.Network(list(sizes), "sigmoid", "cross_entropy")
    rng = np.random.default_rng([seed, 11])
    twin.params = [
        (rng.standard_normal(W.shape), rng.standard_normal((len(b), 1)).ravel())
        for W, b in twin.params
    ]
    return -_RATE * np.concatenate([g.ravel() for g in batch_gradient(twin, X_rows, y_rows)])


_RATE = 0.5
_DOCUMENT_X = np.array([[0, 1, 0, 1], [0, 0, 1, 1]])
# (situation, sizes, X and y as passed to train, the same as rows of samples)
ONE_DIMENSIONAL = (
    (
        "the document's call: X of shape (2, 4), y 1-d with one target per sample (N^L = 1)",
        (2, 2, 1),
        _DOCUMENT_X,
        np.array([0.0, 1.0, 1.0, 0.0]),
        _DOCUMENT_X.T,
        np.array([[0.0], [1.0], [1.0], [0.0]]),
    ),
    (
        "one sample of a 2-3-2 network: x and y 1-d (N^0 = N^L = 2)",
        (2, 3, 2),
        np.array([0.5, -1.0]),
        np.array([0.2, 0.9]),
        np.array([[0.5, -1.0]]),
        np.array([[0.2, 0.9]]),
    ),
    (
        "four samples of a 1-3-1 network: x and y 1-d (N^0 = N^L = 1)",
        (1, 3, 1),
        np.array([-1.0, -0.5, 0.5, 1.0]),
        np.array([0.0, 1.0, 1.0, 0.0]),
        np.array([[-1.0], [-0.5], [0.5], [1.0]]),
        np.array([[0.0], [1.0], [1.0], [0.0]]),
    ),
)


def one_dimensional_cases(namespace: dict, seed: int) -> list[Evidence]:
    """``train`` on 1-d and 2-d arrays, each step against the gradient step of the same data."""
    cases = []
    for label, sizes, X, y, X_rows, y_rows in ONE_DIMENSIONAL:
        truth = _true_step(sizes, X_rows, y_rows, seed)
        cases.append(evaluated_case(label, truth, _program_step, namespace, sizes, X, y, seed))
    return cases


@check("toy-1d-inputs")
def _toy_1d_inputs(ctx: Context) -> Check:
    seed = ctx.seeds[0]
    cases = one_dimensional_cases(ctx.program.namespace, seed)
    corrected = one_dimensional_cases(ctx.full_program.namespace, seed)
    return by_cases(
        cases,
        "program + complex step",
        evidence=[
            "The program as the document runs it (the lines lost in transcription repaired); "
            f"one call of train at learning rate {_RATE:g} from a seeded start, against "
            f"-{_RATE:g} x the gradient of the mean cross-entropy of the same samples.",
            "With 1-d arrays read by the layer's size (`reshape(N, -1)`, lines 127, 142, 144, "
            f"164): {sum(c.agrees for c in corrected)} of {len(corrected)} situations agree.",
        ],
        correction_holds=all(case.agrees for case in corrected),
    )


# -- the delta of the input layer -------------------------------------------------------------


@check("toy-input-delta")
def _toy_input_delta(ctx: Context) -> Check:
    namespace = ctx.program.namespace
    network, X, y = namespace["nn"], namespace["X"].astype(float), namespace["y"].reshape(1, -1)
    L = len(network.layers)
    partials = run_backward_fragment(network, X, y, reverse=False)
    extra = partials[-1]
    cases = [
        Evidence(
            f"the loop computes dC/dz^m for m = L..1, L = {L} deltas",
            len(partials) == L,
            f"it computes {len(partials)}: after delta^L the loop runs over all {L} layers, the "
            f"last time for the input (shape {extra.shape}, (W^1T delta^1) o a^0 o (1 - a^0))",
        )
    ]
    fixed = run_backward_fragment(network, X, y, reverse=True, repairs=ALL_REPAIRS)
    reference = run_backward_fragment(network, X, y, reverse=True)[1:]
    same = len(fixed) == L and all(compare_arrays(f, r).agrees for f, r in zip(fixed, reference))
    minimal = [(layer.W, layer.b) for layer in ctx.program.namespace["nn"].layers]
    full = [(layer.W, layer.b) for layer in ctx.full_program.namespace["nn"].layers]
    trajectory = compare_arrays(_flat(full), _flat(minimal))
    return by_cases(
        cases,
        "program",
        evidence=[
            "On the XOR inputs, 0 and 1, a^0 (1 - a^0) is 0: the extra delta is "
            f"{'all zeros' if not np.any(extra) else 'not zero'} (largest |entry| "
            f"{fmt(float(np.abs(extra).max()))}), and the program drops it with cost_partials[1:].",
            f"Looping over layers L..2 instead: {len(fixed)} deltas, "
            f"{'equal to' if same else 'different from'} delta^1..delta^L of the program; the "
            "program with that loop and the whole list (lines 150, 154, 156) ends its 1,000 "
            f"steps where the program does ({trajectory.text()}).",
        ],
        correction_holds=same and trajectory.agrees,
    )
