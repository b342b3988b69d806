"""The matrix report in every format: standalone LaTeX that compiles, HTML that parses, aliases."""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from verify.formats import FORMATS
from verify.matrix.report import KINK_NOTE, render_matrix
from verify.matrix.run import run_matrix


@pytest.fixture(scope="module")
def matrix():
    """A small matrix that still has an as-written failure, underscores and a kink case."""
    pairs = [("sigmoid", "sigmoid", "cross_entropy"), ("relu", "identity", "squared_error")]
    return run_matrix(pairs=pairs, architectures=[(2, 3, 2)], seeds=[0], symbolic=False)


def test_every_format_renders_and_aliases_resolve(matrix):
    for fmt in FORMATS:
        assert render_matrix(matrix, fmt)
    assert render_matrix(matrix, "latex") == render_matrix(matrix, "tex")
    assert render_matrix(matrix, "markdown") == render_matrix(matrix, "md")
    with pytest.raises(ValueError, match=r"^`format` must be one of md, txt, tex, html, json"):
        render_matrix(matrix, "pdf")


def test_the_kink_is_explained_wherever_it_is_reported(matrix):
    for fmt in ("md", "txt", "tex", "html"):
        text = render_matrix(matrix, fmt)
        assert "kink" in text
        assert "average of the two slopes" in text
    assert "| kink" in render_matrix(matrix, "md") and KINK_NOTE in render_matrix(matrix, "md")


def test_json_parses(matrix):
    data = json.loads(render_matrix(matrix, "json"))
    assert data["passed"] is True and "matrix:as_written" in data["tables"]


class _Strict(HTMLParser):
    """Records the tags that open and close, to check that they nest."""

    def __init__(self):
        super().__init__()
        self.stack, self.errors = [], []

    def handle_starttag(self, tag, attrs):
        if tag not in ("meta", "br", "hr", "img", "link"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(tag)


def test_html_is_a_whole_page_whose_tags_nest(matrix):
    page = render_matrix(matrix, "html")
    assert page.startswith("<!DOCTYPE html>") and "<title>" in page
    parser = _Strict()
    parser.feed(page)
    assert parser.errors == [] and parser.stack == []
    assert "`" not in page  # Markdown's backticks are not shown as such


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex (texlive-latex-base)")
def test_latex_is_a_standalone_document_that_compiles(matrix, tmp_path):
    source = render_matrix(matrix, "tex")
    assert source.startswith("\\documentclass") and source.rstrip().endswith("\\end{document}")
    (tmp_path / "verification.tex").write_text(source)
    result = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "verification.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    assert (tmp_path / "verification.pdf").stat().st_size > 1000
