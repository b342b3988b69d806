"""The proof's engine: route (a) memoized over shared subexpressions, progress, budget, depth.

The memoized differentiator is compared with an independent source, ``sympy.diff`` (through
``derive.algebra.differentiate``), expression for expression; the memoized proof with the proof as
it was before (``engine="sympy"``), verdict for verdict.
"""

import itertools
import sys

import mpmath
import pytest
import sympy as sp

import derive
import derive.proof as proof_module
from derive import ProofBudgetExceeded, ProofProgress
from derive.algebra import Differentiator, differentiate
from verify.cli import main

HIDDEN = list(derive.ACTIVATIONS)
OUTPUTS = [
    ("sigmoid", "cross_entropy"),
    ("softmax", "categorical_cross_entropy"),
    ("softmax", "cross_entropy"),
    ("identity", "squared_error"),
    ("tanh", "squared_error"),
]
# Every catalogue activation as the hidden one, meeting the output pairs in turn.
CASES = [
    ((2, 2, 2), (hidden, *OUTPUTS[i % len(OUTPUTS)][:1]), OUTPUTS[i % len(OUTPUTS)][1], 1)
    for i, hidden in enumerate(HIDDEN)
] + [((2, 2, 1), ("relu", "sigmoid"), "cross_entropy", 2)]
IDS = [f"{list(s)}-{'-'.join(a)}-{c}-n{n}" for s, a, c, n in CASES]


@pytest.mark.parametrize(("sizes", "activations", "cost", "n_samples"), CASES, ids=IDS)
def test_memoized_route_a_is_sympy_diff_expression_for_expression(
    sizes, activations, cost, n_samples
):
    net = derive.derive_network(list(sizes), list(activations), cost, n_samples=n_samples)
    for symbol in net.parameter_symbols:
        expected = differentiate(net.cost_expression, symbol)
        assert net.direct_gradient(symbol) == expected, symbol  # structurally identical
    assert net.direct_gradients == {
        s: differentiate(net.cost_expression, s) for s in net.parameter_symbols
    }


def test_differentiator_handles_piecewise_and_unknown_functions():
    x, y = sp.symbols("x y", real=True)
    f = sp.Function("f")  # no derivative known to SymPy: left to sympy.diff, unevaluated
    expr = sp.Piecewise((x**2 * y, x > 0), (sp.exp(x * y), True)) + f(x * y) + sp.Max(x, y)
    differentiator = Differentiator(expr, [x, y])
    for symbol in (x, y):
        assert differentiator(symbol) == differentiate(expr, symbol)


def test_differentiator_refuses_a_symbol_it_was_not_given():
    x, y = sp.symbols("x y")
    with pytest.raises(ValueError, match=r"`symbol` must be one of \[x\], got y"):
        Differentiator(x * y, [x])(y)
    net = derive.derive_network([1, 1], "sigmoid", "cross_entropy")
    with pytest.raises(ValueError, match="`symbol` must be one of the network's parameter"):
        net.direct_gradient(y)


def test_differentiator_walks_deeper_than_the_recursion_limit():
    # e_k = y (e_{k-1} + 1), nested twice per level: sympy.diff recurses at least once per level.
    x, y = sp.symbols("x y")
    depth = sys.getrecursionlimit() + 500
    expr = x
    for _ in range(depth):
        expr = y * (expr + 1)
    assert Differentiator(expr, [x])(x) == y**depth


@pytest.mark.parametrize(
    ("sizes", "activations", "cost", "n_samples"),
    [
        ((2, 2, 2, 2), "sigmoid", "cross_entropy", 1),  # exact
        ((2, 2, 2), ("selu", "softmax"), "categorical_cross_entropy", 1),
        ((1, 1, 1, 1, 1, 1, 1), "softplus", "squared_error", 1),  # numeric: screened first
    ],
)
def test_memoized_proof_gives_the_reference_engines_verdicts(sizes, activations, cost, n_samples):
    net = derive.derive_network(list(sizes), activations, cost, n_samples=n_samples)
    fast = net.prove(seed=3)
    reference = net.prove(seed=3, engine="sympy")
    assert fast.equal and reference.equal
    # The same verdict and method per parameter (numeric details differ in the last digits: the
    # two engines evaluate route (a) through different common subexpressions).
    assert [(p.parameter, p.equal, p.method) for p in fast.proofs] == [
        (p.parameter, p.equal, p.method) for p in reference.proofs
    ]
    for a, b in zip(fast.proofs, reference.proofs):
        assert (a.max_difference is None) == (b.max_difference is None)
        if a.max_difference is not None:
            assert max(a.max_difference, b.max_difference) < 1e-45


def test_screen_finds_nonzero_rational_functions_and_never_a_zero_one():
    x, y = sp.symbols("x y")
    zero = (x**2 - y**2) / (x - y) - x - y
    assert not proof_module._nonzero_somewhere(zero)
    assert proof_module._nonzero_somewhere(zero + sp.Rational(1, 10**30) * x)
    assert not proof_module._nonzero_somewhere(sp.Float(0.5) * x)  # floats: left to is_zero
    assert not proof_module._nonzero_somewhere(sp.exp(x))  # not a rational function


def test_progress_reports_every_parameter_then_the_points():
    net = derive.derive_network([2, 2, 2], ("tanh", "softmax"), "categorical_cross_entropy")
    events: list[ProofProgress] = []
    result = net.prove(points=2, progress=events.append)
    first = [e for e in events if e.stage == "route (a)"]
    assert [e.parameter for e in first] == net.parameters
    assert [(e.done, e.total) for e in first] == [(k, 12) for k in range(1, 13)]
    assert [e.settled for e in first] == sorted(e.settled for e in first)  # never goes back
    numeric = [e for e in events if e.stage == "numeric"]
    counts = result.counts()
    if counts["numeric"]:
        assert [(e.done, e.total) for e in numeric] == [(0, 2), (1, 2), (2, 2)]
        assert all(e.settled == counts["exact"] and e.parameter is None for e in numeric)
    else:
        assert not numeric
    assert str(first[0]).startswith("prove: route (a) 1/12 W^1[1,1], ")
    assert all(b.seconds >= a.seconds for a, b in itertools.pairwise(events))


def test_budget_stops_and_says_how_far_it_got(monkeypatch):
    # A clock that advances one second per reading: the budget runs out after a few parameters,
    # the same ones every run.
    ticks = iter(range(10**6))
    monkeypatch.setattr(proof_module.time, "perf_counter", lambda: float(next(ticks)))
    net = derive.derive_network([2, 2, 1], "sigmoid", "cross_entropy")
    with pytest.raises(ProofBudgetExceeded) as caught:
        net.prove(budget_seconds=6.5, progress=lambda event: None)
    err = caught.value
    settled = err.partial.proofs
    assert 0 < len(settled) < 9 and err.total == 9 and err.stage == "route (a)"
    assert err.differentiated >= len(settled)
    assert [p.parameter for p in settled] == net.parameters[: len(settled)]
    assert all(p.equal for p in settled)
    message = str(err)
    assert f"{len(settled)} of 9 parameters settled" in message
    assert "budget of 6.5 s" in message and "raise the budget" in message
    assert not isinstance(err, OSError)  # the CLI reports it as inconclusive, not as I/O


def test_a_generous_budget_changes_nothing():
    net = derive.derive_network([2, 2, 1], "sigmoid", "cross_entropy")
    with_budget = net.prove(budget_seconds=3600)
    without = net.prove()
    assert [(p.method, p.detail) for p in with_budget.proofs] == [
        (p.method, p.detail) for p in without.proofs
    ]


def test_the_numeric_comparison_stops_between_points(monkeypatch):
    net = derive.derive_network([1, 1, 1, 1, 1], "softplus", "squared_error")  # numeric only
    events = []

    def progress(event):
        events.append(event)
        if event.stage == "numeric" and event.done == 1:  # the time runs out after one point
            monkeypatch.setattr(proof_module.time, "perf_counter", lambda: 1e12)

    with pytest.raises(ProofBudgetExceeded) as caught:
        net.prove(points=3, budget_seconds=3600, progress=progress)
    assert caught.value.stage == "numeric"
    assert caught.value.differentiated == len(net.parameters)
    assert [e.done for e in events if e.stage == "numeric"] == [0, 1]
    assert "waiting for the numeric comparison" in str(caught.value)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"points": "3"}, TypeError, r"`points` must be an int >= 1, got '3'"),
        ({"points": 2.5}, TypeError, r"`points` must be an int >= 1, got 2.5"),
        ({"points": True}, TypeError, r"`points` must be an int >= 1, got True"),
        ({"points": 0}, ValueError, r"`points` must be an int >= 1, got 0"),
        ({"digits": 19}, ValueError, r"`digits` must be an int >= 20, got 19"),
        ({"seed": -1}, ValueError, r"`seed` must be an int >= 0, got -1"),
        ({"budget_seconds": 0}, ValueError, r"`budget_seconds` must be a finite number > 0"),
        ({"budget_seconds": float("nan")}, ValueError, r"`budget_seconds` must be a finite"),
        ({"budget_seconds": "1"}, TypeError, r"`budget_seconds` must be a number > 0 or None"),
        ({"budget_seconds": True}, TypeError, r"`budget_seconds` must be a number > 0 or None"),
        ({"progress": 5}, TypeError, r"`progress` must be a callable or None, got 5"),
        ({"engine": "symengine"}, ValueError, r"`engine` must be one of 'memoized', 'sympy'"),
    ],
)
def test_prove_rejects_bad_arguments(kwargs, error, message):
    net = derive.derive_network([1, 1], "sigmoid", "cross_entropy")
    with pytest.raises(error, match=message):
        net.prove(**kwargs)


def test_recursion_limit_is_restored():
    before = sys.getrecursionlimit()
    derive.derive_network([1, 1, 1], "tanh", "squared_error").prove()
    assert sys.getrecursionlimit() == before


def test_derive_prove_on_a_deep_chain_of_one_unit_layers(capsys):
    # 60 one-unit layers: route (a) by sympy.diff, and route (b)'s expansion, recurse deeper than
    # Python's default limit here (they died with RecursionError before).
    sizes = ",".join(["1"] * 61)
    network = ["--sizes", sizes, "--activation", "identity", "--cost", "squared_error"]
    code = main(["derive", *network, "--prove"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Traceback" not in captured.err and "RecursionError" not in captured.err
    assert "prove: route (a) 120/120 b^60[1]" in captured.err
    assert "agree for 120 parameters" in captured.out


def test_a_deep_chains_route_a_gradient_is_the_product_of_its_slopes():
    # An independent check of route (a) through 30 layers: at one point, against the chain rule
    # worked by hand in mpmath, dC/dW^1 = (a^L - y) prod_m (1 - (a^m)^2) prod_{m>1} W^m x.
    net = derive.derive_network([1] * 31, "tanh", "squared_error")
    arguments = [*net.parameter_symbols, net.inputs[0][0], net.targets[0][0]]
    gradient = sp.lambdify(arguments, net.direct_gradient(net.parameter_symbols[0]), "mpmath")
    with mpmath.workdps(30):
        half, x, y = mpmath.mpf(1) / 2, mpmath.mpf(1) / 3, mpmath.mpf(1) / 5
        a, slopes = x, []
        for _ in range(30):
            a = mpmath.tanh(half * a + half)
            slopes.append(1 - a**2)
        expected = (a - y) * mpmath.fprod(slopes) * half**29 * x
        value = gradient(*([half] * len(net.parameter_symbols)), x, y)
        assert abs(value - expected) <= mpmath.mpf(10) ** -25 * abs(expected)


def test_cli_budget_is_inconclusive_with_one_line(capsys):
    code = main(["derive", "--sizes", "3,4,4,2", "--prove", "--budget", "0.001"])
    err = capsys.readouterr().err
    assert code == 4
    assert "chainrule derive: proof stopped at its budget of 0.001 s" in err
    assert "of 46 parameters settled" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--budget", "0"], "must be a number of seconds > 0, got '0'"),
        (["--budget", "soon", "--prove"], "must be a number of seconds > 0, got 'soon'"),
        (["--budget", "5"], "`--budget` needs --prove"),
    ],
)
def test_cli_budget_usage_errors(capsys, argv, message):
    with pytest.raises(SystemExit) as caught:
        code = main(["derive", "--sizes", "2,2,1", *argv])
        raise SystemExit(code)
    assert caught.value.code == 2
    assert message in capsys.readouterr().err
