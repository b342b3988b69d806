"""Derivation reports: Markdown with math, standalone LaTeX, Jupyter representations."""

import re

import pytest

import derive


@pytest.fixture(scope="module")
def xor_network():
    return derive.derive_network([2, 2, 1], "sigmoid", "cross_entropy")


@pytest.fixture(scope="module")
def markdown(xor_network):
    return derive.render_report(xor_network, format="md", proof=xor_network.prove())


def test_sigmoid_cross_entropy_report_shows_delta_l_is_a_minus_y(markdown):
    # delta^2_1 = (dC/da)(da/dz) as built, then simplified to a^2_1 - y_1
    line = next(line for line in markdown.splitlines() if line.startswith(r"\delta^{2}_{1} &="))
    assert line.endswith(r"= a^{2}_{1} - y_{1}")
    assert r"collapses to $\delta^L = a^L - y$" in markdown


def test_report_has_every_section_and_every_parameter(markdown, xor_network):
    headings = re.findall(r"^## (.+)$", markdown, flags=re.M)
    assert headings == [
        "Notation",
        "Activations and cost",
        "Forward pass",
        "Output layer",
        "Backward recursion",
        "Gradients",
        "Proof: direct differentiation equals backprop",
    ]
    for symbol in (r"W^{1}_{11}", r"W^{2}_{12}", r"b^{2}_{1}"):
        assert rf"\frac{{\partial C}}{{\partial {symbol}}}" in markdown
    assert "agree for 9 parameters" in markdown


def test_markdown_math_is_delimited_for_github(markdown):
    # display blocks on their own lines, inline math balanced on every line
    blocks = re.findall(r"^\$\$$", markdown, flags=re.M)
    assert len(blocks) % 2 == 0 and blocks
    for line in markdown.splitlines():
        if line != "$$":
            assert line.count("$") % 2 == 0, line


def test_output_form_of_the_sigmoid_derivative_is_shown(markdown):
    assert r"\sigma'(z) = - a \left(a - 1\right)" in markdown


def test_large_expansions_are_summarised_not_dumped():
    net = derive.derive_network([3, 4, 4, 2], "tanh", "squared_error")
    report = derive.render_report(net)
    summaries = re.findall(r"\| (\d+) operations \|", report)
    assert len(summaries) >= 16  # at least every first-layer parameter
    assert all(int(n) > derive.report.SHOWN_OPERATION_LIMIT for n in summaries)
    assert max(len(line) for line in report.splitlines()) < 2000


def test_softmax_categorical_report_states_the_condition_for_a_minus_y():
    net = derive.derive_network([2, 3, 2], ["tanh", "softmax"], "categorical_cross_entropy")
    report = derive.render_report(net)
    assert "when the targets of a sample sum to 1" in report
    assert "Jacobian is not diagonal" in report


def test_no_collapse_is_claimed_where_there_is_none():
    net = derive.derive_network([2, 2, 1], "sigmoid", "squared_error")
    assert "collapses" not in derive.render_report(net)


def test_batch_report_explains_the_mean():
    net = derive.derive_network([1, 1, 1], "tanh", "squared_error", n_samples=2)
    report = derive.render_report(net)
    assert r"C = \frac{1}{n}\sum_{s=1}^{n} C^{(s)}" in report
    assert "averaged over the batch" in report


def test_latex_report_is_a_standalone_document(xor_network):
    latex = derive.render_report(xor_network, format="latex")
    assert latex.isascii()
    assert latex.startswith(r"\documentclass{article}")
    assert latex.rstrip().endswith(r"\end{document}")
    for environment in ("document", "aligned", "longtable"):
        assert latex.count(rf"\begin{{{environment}}}") == latex.count(rf"\end{{{environment}}}")
    # code names are escaped outside math
    assert r"\texttt{cross\_entropy}" in latex
    assert r"\[" in latex and latex.count(r"\[") == latex.count(r"\]")


def test_jupyter_representations(xor_network):
    assert xor_network._repr_markdown_() == derive.render_report(xor_network)
    latex = xor_network._repr_latex_()
    assert latex.startswith("$$\\begin{aligned}") and latex.endswith("\\end{aligned}$$")
    assert r"\delta^{2}_{1} &= a^{2}_{1} - y_{1}" in latex


def test_unknown_format_is_refused(xor_network):
    with pytest.raises(ValueError, match=r"`format` must be one of 'md', 'latex', got 'html'"):
        derive.render_report(xor_network, format="html")


def test_relu_report_states_the_convention_at_the_kink():
    net = derive.derive_network([2, 2, 1], ["relu", "leaky_relu"], "squared_error")
    report = derive.render_report(net)
    assert r"the derivative at the kink $\sigma'(0) = 0$" in report
    assert r"the derivative at the kink $\sigma'(0) = \frac{1}{100}$" in report
