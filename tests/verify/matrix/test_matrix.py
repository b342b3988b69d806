"""The cross-check matrix: corrected conventions agree three ways; the document's formulas, taken
literally, disagree exactly where and how the derivation says."""

from __future__ import annotations

import json

import numpy as np
import pytest

from numeric import ACTIVATIONS, COSTS
from verify.matrix.conventions import AS_WRITTEN, CORRECTED, get_conventions
from verify.matrix.report import render_matrix
from verify.matrix.run import DOCUMENT_PAIRS, catalogue_pairs, formula_errors, run_matrix


@pytest.fixture(scope="module")
def numeric_matrix():
    """The whole catalogue, both convention sets, without the (slower) symbolic source."""
    return run_matrix(symbolic=False)


def effects(matrix, conventions, hidden, output, cost, sizes, seed=0):
    (result,) = [
        r
        for r in matrix.results
        if (
            r.case.conventions,
            r.case.hidden,
            r.case.output,
            r.case.cost,
            r.case.sizes,
            r.case.seed,
        )
        == (conventions, hidden, output, cost, sizes, seed)
        and not r.case.at_kink
    ]
    findings = result.comparisons[("analytic", "finite_difference")]
    return {(f.layer, f.param): f.kind for f in findings}, result


def test_catalogue_covers_every_activation_and_cost():
    pairs = catalogue_pairs()
    assert len(pairs) == len(set(pairs)) == len(ACTIVATIONS) * len(COSTS)
    assert {hidden for hidden, _, _ in pairs} == set(ACTIVATIONS)
    assert {cost for _, _, cost in pairs} == set(COSTS)
    assert set(DOCUMENT_PAIRS) <= set(pairs)
    assert {hidden for hidden, _, _ in DOCUMENT_PAIRS} == {"sigmoid", "tanh", "relu"}


def test_corrected_conventions_agree_everywhere(numeric_matrix):
    assert numeric_matrix.passed
    corrected = [r for r in numeric_matrix.results if r.case.conventions == "corrected"]
    # every pair on two architectures and two seeds, and the ReLU case at its kink
    assert len(corrected) == len(ACTIVATIONS) * len(COSTS) * 2 * 2 + 1
    assert all(r.passed for r in corrected)


def test_formula_errors_are_measured():
    pairs = ["sigmoid", "tanh", "relu", "squared_error", "cross_entropy"]
    assert formula_errors(CORRECTED, pairs) == dict.fromkeys(pairs, "ok")
    literal = formula_errors(AS_WRITTEN, pairs)
    # The document's sigmoid 1/(1 + e^z) has derivative -a(1 - a), not the stated a(1 - a); its
    # squared-error derivative y - a is the negative of a - y. The other rows hold.
    assert literal == {
        "sigmoid": "negated",
        "tanh": "ok",
        "relu": "ok",
        "squared_error": "negated",
        "cross_entropy": "ok",
    }


def test_as_written_sigmoid_cross_entropy_errors_cancel_in_alternate_layers(numeric_matrix):
    kinds, result = effects(
        numeric_matrix, "as_written", "sigmoid", "sigmoid", "cross_entropy", (3, 4, 3, 2)
    )
    # delta^L passes one negated sigma' (the output's); each hidden sigmoid layer adds one more.
    assert kinds[(3, "W")] == kinds[(3, "b")] == "sign"
    assert kinds[(2, "W")] == kinds[(2, "b")] == "ok"
    assert kinds[(1, "W")] == kinds[(1, "b")] == "sign"
    assert "errors cancel" in result.layer_effects()[1]


def test_as_written_squared_error_negates_every_layer(numeric_matrix):
    kinds, _ = effects(numeric_matrix, "as_written", "tanh", "tanh", "squared_error", (3, 4, 3, 2))
    assert set(kinds.values()) == {"sign"}


def test_as_written_rows_that_hold_agree(numeric_matrix):
    kinds, _ = effects(
        numeric_matrix, "as_written", "tanh", "softmax", "categorical_cross_entropy", (2, 3, 2)
    )
    assert set(kinds.values()) == {"ok"}


def test_relu_kink_is_reported_not_failed(numeric_matrix):
    kink_cases = {r.case.conventions: r for r in numeric_matrix.results if r.case.at_kink}
    corrected = kink_cases["corrected"].comparisons[("analytic", "finite_difference")]
    # relu'(0) = 0 here, while the complex step through z = 0 sees the right-hand slope 1: the
    # bias gradient of the first layer differs only at kink-crossing entries.
    assert {(f.layer, f.param): f.kind for f in corrected}[(1, "b")] == "kink"
    assert kink_cases["corrected"].passed and kink_cases["as_written"].passed


def test_reports_render_in_every_format(numeric_matrix):
    md = render_matrix(numeric_matrix, "md")
    assert "| sigmoid    | sigmoid    | cross_entropy" in md
    assert "errors cancel" in md
    data = json.loads(render_matrix(numeric_matrix, "json"))
    assert data["passed"] is True
    assert render_matrix(numeric_matrix, "tex").count(r"\begin{tabular}") >= 3
    assert "<table>" in render_matrix(numeric_matrix, "html")
    with pytest.raises(ValueError, match=r"`format` must be one of md, txt.*got 'pdf'"):
        render_matrix(numeric_matrix, "pdf")


def test_a_planted_wrong_derivative_fails_the_corrected_matrix(monkeypatch):
    import dataclasses

    import numeric

    broken = dataclasses.replace(numeric.ACTIVATIONS["tanh"], derivative=lambda z, a: 1 - a)
    monkeypatch.setitem(numeric.ACTIVATIONS, "tanh", broken)
    matrix = run_matrix(
        conventions=["corrected"],
        pairs=[("tanh", "tanh", "squared_error")],
        architectures=[(2, 3, 2)],
        seeds=[0],
        symbolic=False,
    )
    assert not matrix.passed
    assert len(matrix.failures()) == 1


def test_unknown_convention_set():
    with pytest.raises(ValueError, match=r"conventions must be one of 'corrected', 'as_written'"):
        get_conventions("literal")
    with pytest.raises(ValueError, match=r"activation must be one of .*got 'swish'"):
        CORRECTED.numeric_activation("swish")


def test_as_written_network_uses_the_literal_formulas():
    net = AS_WRITTEN.network([1, 1], "sigmoid", "squared_error", seed=0)
    z = np.array([[0.7]])
    assert net.activations[0](z)[0, 0] == pytest.approx(1 / (1 + np.exp(0.7)))
    assert net.cost.gradient(np.array([[0.2]]), np.array([[1.0]]))[0, 0] == pytest.approx(0.8)


def test_symbolic_source_agrees_with_finite_differences_under_both_conventions():
    matrix = run_matrix(pairs=DOCUMENT_PAIRS, architectures=[(2, 3, 2)], seeds=[0])
    assert matrix.passed
    for result in matrix.results:
        pairs = set(result.comparisons)
        assert ("symbolic", "finite_difference") in pairs, result.case.label
        # derive differentiates each convention set's definitions (the document's sigmoid
        # 1/(1 + e^z) included), so it agrees with finite differences under both sets ...
        symbolic = result.comparisons[("symbolic", "finite_difference")]
        assert all(f.passed for f in symbolic), result.case.label
        # ... and the analytic side fails against it exactly as against finite differences.
        against_symbolic = [f.kind for f in result.comparisons[("analytic", "symbolic")]]
        against_fd = [f.kind for f in result.comparisons[("analytic", "finite_difference")]]
        if not result.case.at_kink:
            assert against_symbolic == against_fd, result.case.label
