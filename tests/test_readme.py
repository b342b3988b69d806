"""The README's promises: its two set-up commands and its quickstart, run as written."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def blocks(language: str, after: str) -> list[str]:
    section = README[README.index(after) :]
    return re.findall(rf"```{language}\n(.*?)```", section, re.S)


def test_ci_runs_the_readme_test_command():
    test_command = blocks("bash", "## Set-up on a fresh machine")[1].strip()
    assert test_command == "python -m pytest"
    ci = (ROOT / ".ci" / "run").read_text()
    # Phase 1 of CI runs the README's set-up blocks themselves, read from the README.
    assert "README.md" in ci and "## Set-up" in ci
    assert "python -m pytest" in ci


def test_quickstart_runs_and_learns_xor():
    code = blocks("python", "## Quickstart")[0]
    namespace: dict = {}
    exec(compile(code, "README quickstart", "exec"), namespace)
    assert namespace["net"].predict(namespace["X"]).ravel().tolist() == [0, 1, 1, 0]
    grads = namespace["grads"]
    assert [dW.shape for dW, _ in grads] == [W.shape for W, _ in namespace["net"].params]
    assert all(np.isfinite(g).all() for pair in grads for g in pair)


def test_quickstart_digits_block_keeps_the_scikit_learn_habits():
    pytest.importorskip("sklearn", reason="the digits block needs scikit-learn (the [peers] extra)")
    code = blocks("python", "## Quickstart")[1]
    assert "load_digits" in code and "random_state=0" in code
    namespace: dict = {}
    exec(compile(code, "README digits", "exec"), namespace)
    clf, X_test, y_test = namespace["clf"], namespace["X_test"], namespace["y_test"]
    assert clf.score(X_test, y_test) > 0.9  # the README states 0.962 for this seed and split
    assert clf.predict(X_test[:5]).shape == (5,)
    np.testing.assert_allclose(clf.predict_proba(X_test[:3]).sum(axis=1), 1.0)


@pytest.mark.slow
def test_main_job_command_as_written(tmp_path):
    """The first set-up command in a fresh copy of the project: a new venv, install, verify."""
    command = blocks("bash", "## Set-up on a fresh machine")[0].strip()
    assert command.endswith("chainrule verify")
    copy = tmp_path / "chainrule"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis"
        ),
    )
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    result = subprocess.run(
        ["bash", "-c", command],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "corrected conventions: all agree" in result.stderr
    assert "sigmoid" in result.stdout
