"""The errata's LaTeX is a standalone document that pdflatex compiles."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from verify.audit import run_audit
from verify.audit.report import render_latex


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex (texlive-latex-base)")
def test_errata_latex_compiles(tmp_path):
    source = render_latex(run_audit(fast=True))
    assert source.startswith("\\documentclass") and source.rstrip().endswith("\\end{document}")
    (tmp_path / "errata.tex").write_text(source)
    result = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "errata.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-2000:]
