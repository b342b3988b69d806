"""The oracle's page: one check, shareable in a code review."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np

from numeric import Network
from verify.cli import main
from verify.oracle import check_gradients
from verify.site import render_oracle_page
from verify.site.mathml import inline

SIZES = [3, 4, 2]


def summed_biases(params, X, y):
    """Bias gradients summed over the batch while the weights are averaged."""
    network = Network(SIZES, "sigmoid", "cross_entropy")
    network.params = [(W.copy(), b.copy()) for W, b in params]
    return [(dW, db * len(X)) for dW, db in network.gradients(X, y)]


def test_the_page_names_the_bug_and_repeats_the_command():
    report = check_gradients(
        summed_biases, sizes=SIZES, activations="sigmoid", cost="cross_entropy", seed=3
    )
    text = render_oracle_page(report, "my_mlp.py:gradients")
    ET.fromstring(text)  # well-formed
    assert "FAILED" in text and "2 of 4 findings pass" in text
    assert text.count('class="badge warn">scale<') == 2
    assert "a sum over the batch" in text and inline(report.summary) in text  # the diagnosis
    assert (
        "chainrule oracle my_mlp.py:gradients --sizes 3,4,2 --activation sigmoid,sigmoid "
        "--cost cross_entropy --layout rows --reduction mean --dtype float64 --seed 3" in text
    )


def test_cli_writes_the_page(tmp_path):
    module = tmp_path / "mine.py"
    module.write_text(
        "from numeric import Network\n"
        "def gradients(params, X, y):\n"
        "    net = Network([2, 3, 1], 'sigmoid', 'cross_entropy')\n"
        "    net.params = [(W.copy(), b.copy()) for W, b in params]\n"
        "    return net.gradients(X, y)\n"
    )
    args = ["oracle", f"{module}:gradients", "--sizes", "2,3,1", "--activation", "sigmoid"]
    args += ["--cost", "cross_entropy", "--format", "html", "--output", str(tmp_path / "page")]
    assert main(args) == 0
    text = (tmp_path / "page" / "index.html").read_text()
    assert "PASSED" in text and "<nav" not in text  # a page that stands alone


def test_cli_output_needs_the_html_format(tmp_path, capsys):
    args = ["oracle", "numeric:Network", "--sizes", "2,1", "--activation", "sigmoid"]
    args += ["--cost", "cross_entropy", "--output", str(tmp_path)]
    assert main(args) == 2
    assert "--output needs --format html" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_the_page_of_a_passing_check_has_no_failure():
    def correct(params, X, y):
        network = Network(SIZES, "sigmoid", "cross_entropy")
        network.params = [(W.copy(), b.copy()) for W, b in params]
        return network.gradients(X, y)

    report = check_gradients(correct, sizes=SIZES, activations="sigmoid", cost="cross_entropy")
    text = render_oracle_page(report)
    assert "PASSED" in text and "FAILED" not in text
    assert "a gradient function" in text
    assert np.isfinite(report.findings[0].max_rel_error)
