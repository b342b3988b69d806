"""The reference document's tables, as written, checked by derivation.

The expected verdicts below are worked by hand from the document's formulas:
d/dz 1/(1 + e^z) = -e^z/(1 + e^z)^2 = -a(1 - a), so the stated a(1 - a) is negated;
d/da (y - a)^2/2 = a - y, so the stated y - a is negated; tanh and cross-entropy hold;
ReLU's one-sided derivatives at 0 are 0 and 1, and the table's value 1 is a convention.
"""

import pytest
import sympy as sp

import derive
from derive.algebra import relation
from derive.catalogue import A, Z

Y = sp.Symbol("y", real=True)


@pytest.fixture(scope="module")
def checks():
    return {(c.table, c.row): c for c in derive.check_document_tables()}


def test_every_row_of_both_tables_is_checked(checks):
    assert set(checks) == {
        ("nonlinearities", "Sigmoid"),
        ("nonlinearities", "Tanh"),
        ("nonlinearities", "ReLU"),
        ("costs", "Squared Error"),
        ("costs", "Cross-Entropy"),
        ("example", "Sigmoid with Cross-Entropy"),
    }


def test_rows_are_transcribed_as_written(checks):
    sigmoid = checks["nonlinearities", "Sigmoid"]
    assert sigmoid.stated_function == 1 / (1 + sp.exp(Z))
    assert sigmoid.stated_derivative == A * (1 - A)
    assert checks["costs", "Squared Error"].stated_derivative == Y - A


@pytest.mark.parametrize(
    "key, holds, relation_, catalogue_relation",
    [
        (("nonlinearities", "Sigmoid"), False, "negated", "equal"),
        (("nonlinearities", "Tanh"), True, "equal", "equal"),
        (
            ("nonlinearities", "ReLU"),
            True,
            "equal where differentiable",
            "equal where differentiable",
        ),
        (("costs", "Squared Error"), False, "negated", "negated"),
        (("costs", "Cross-Entropy"), True, "equal", "equal"),
        (("example", "Sigmoid with Cross-Entropy"), False, "negated", "equal"),
    ],
)
def test_verdicts(checks, key, holds, relation_, catalogue_relation):
    check = checks[key]
    assert (check.holds, check.relation, check.catalogue_relation) == (
        holds,
        relation_,
        catalogue_relation,
    )


def test_sigmoid_as_written_has_the_negated_derivative_in_terms_of_a(checks):
    sigmoid = checks["nonlinearities", "Sigmoid"]
    assert sp.expand(sigmoid.derived_derivative + A * (1 - A)) == 0
    assert not sigmoid.function_matches_catalogue
    assert "1/(1 + exp(-z))" in sigmoid.note


def test_tanh_as_written_is_tanh_and_its_derivative_is_one_minus_a_squared(checks):
    tanh = checks["nonlinearities", "Tanh"]
    assert tanh.function_matches_catalogue
    assert sp.expand(tanh.derived_derivative - (1 - A**2)) == 0


def test_relu_kink_is_located_with_its_one_sided_derivatives(checks):
    relu = checks["nonlinearities", "ReLU"]
    assert relu.kinks == ((0, 0, 1, 1, 0),)  # point, left, right, stated value, chainrule's value
    assert relu.function_matches_catalogue
    assert "not differentiable" in relu.note and "chainrule's relu takes 0" in relu.note


def test_squared_error_derivative_is_a_minus_y(checks):
    squared = checks["costs", "Squared Error"]
    assert sp.expand(squared.derived_derivative - (A - Y)) == 0
    assert "descent direction" in squared.note


def test_cross_entropy_as_written_is_the_catalogues(checks):
    assert checks["costs", "Cross-Entropy"].function_matches_catalogue


def test_examples_a_minus_y_needs_the_corrected_sigmoid(checks):
    example = checks["example", "Sigmoid with Cross-Entropy"]
    assert sp.expand(example.derived_derivative - (Y - A)) == 0


@pytest.mark.parametrize(
    "stated, derived, expected",
    [
        (2 * A, A, "scaled by 2"),
        (-sp.exp(Z), sp.exp(Z), "negated"),
        (sp.tanh(Z), (sp.exp(2 * Z) - 1) / (sp.exp(2 * Z) + 1), "equal"),
        (A**2, A, "differs"),
    ],
)
def test_relation_classifies_planted_errors(stated, derived, expected):
    assert relation(stated, derived) == expected
