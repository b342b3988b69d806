"""The command's exit statuses: 0 passed, 1 failed, 2 usage, 3 could not run, 4 inconclusive,
130 Ctrl-C, 143 SIGTERM; one line on stderr that says what to do; outputs checked before any work
starts; a set of reports replaced all or nothing.

The heavy work (the matrix, the audit, the derivation) is replaced by stubs where only the
command's handling of it is tested.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import signal
import sys
import textwrap
import types
from pathlib import Path

import pytest

import verify.cli
from verify.cli import main
from verify.core.findings import Finding
from verify.oracle.check import GradientReport
from verify.oracle.child import Outcome

ORACLE = ["--sizes", "2,3,1", "--activation", "sigmoid", "--cost", "cross_entropy"]


def run(argv, capsys):
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_line(err: str) -> str:
    assert "Traceback" not in err
    (line,) = err.strip().splitlines()
    return line


@pytest.fixture(autouse=True)
def elsewhere(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def hide(monkeypatch, *modules):
    """importlib.util.find_spec answers None for ``modules``, as when they are not installed."""
    real = importlib.util.find_spec

    def find_spec(name, *args, **kwargs):
        return None if name.split(".")[0] in modules else real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def forbid(monkeypatch, target: str):
    """Fail the test if ``module.attribute`` is called: the work must not start."""

    def called(*args, **kwargs):
        raise AssertionError(f"{target} ran although the command should have stopped first")

    module, _, attribute = target.rpartition(".")
    monkeypatch.setattr(importlib.import_module(module), attribute, called)


# -- missing extras -----------------------------------------------------------------------------


def test_bench_check_without_scipy_exits_3_with_the_pip_line_before_any_benchmark(
    monkeypatch, capsys
):
    hide(monkeypatch, "scipy")
    forbid(monkeypatch, "verify.bench.get_benchmark")
    code, out, err = run(["bench", "check", "--output", "performance.md"], capsys)
    assert code == 3 and out == ""
    line = one_line(err)
    assert 'needs scipy, which is not installed: pip install "chainrule[bench]"' in line


def test_a_missing_extra_found_late_still_names_the_pip_line(monkeypatch, capsys):
    def needs_torch(args):
        raise ModuleNotFoundError("No module named 'torch'", name="torch")

    monkeypatch.setattr(verify.cli, "cmd_verify", needs_torch)
    code, _, err = run(["verify"], capsys)
    assert code == 3
    assert one_line(err) == (
        'chainrule verify: error: torch is not installed: pip install "chainrule[peers]"'
    )


# -- chainrule report: plots, outputs, all or nothing --------------------------------------------


@pytest.fixture
def light_report(monkeypatch):
    """cmd_report's heavy parts replaced by stubs that write one small file each."""
    import derive
    import verify.audit
    import verify.matrix.report
    import verify.matrix.run
    import verify.site

    matrix = types.SimpleNamespace(passed=True)
    monkeypatch.setattr(verify.matrix.run, "run_matrix", lambda **kwargs: matrix)
    monkeypatch.setattr(verify.audit, "run_audit", lambda **kwargs: object())

    def write(name):
        def writer(result, out, formats):
            path = Path(out) / name
            path.write_text("new")
            return [path]

        return writer

    monkeypatch.setattr(verify.matrix.report, "write_matrix", write("verification.md"))
    monkeypatch.setattr(verify.audit, "write_audit", write("errata.md"))
    proof = types.SimpleNamespace(equal=True)
    network = types.SimpleNamespace(prove=lambda **kwargs: proof)
    monkeypatch.setattr(derive, "derive_network", lambda *args, **kwargs: network)
    monkeypatch.setattr(derive, "render_report", lambda network, fmt, proof: f"derivation {fmt}")

    def build_site(out, **kwargs):
        Path(out).mkdir(parents=True, exist_ok=True)
        (Path(out) / "index.html").write_text("new")
        return [Path(out) / "index.html"]

    monkeypatch.setattr(verify.site, "build_site", build_site)
    return verify.site


def test_report_without_matplotlib_skips_the_plots_up_front(
    light_report, monkeypatch, tmp_path, capsys
):
    hide(monkeypatch, "matplotlib")
    forbid(monkeypatch, "verify.bench.plots.step_error_plot")
    code, _, err = run(["report", "--output", str(tmp_path / "out")], capsys)
    assert code == 0
    lines = err.strip().splitlines()
    assert lines[0] == (
        'matplotlib is not installed: plots skipped (pip install "chainrule[plot]")'
    )
    written = sorted(
        p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*")
    )
    assert written == [
        "derivation-xor.md",
        "derivation-xor.tex",
        "errata.md",
        "site",
        "site/index.html",
        "verification.md",
    ]
    assert f"wrote {tmp_path / 'out' / 'verification.md'}" in lines  # the final paths


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, RuntimeError])
def test_an_interrupted_report_leaves_the_old_reports_untouched(
    light_report, monkeypatch, tmp_path, capsys, interruption
):
    hide(monkeypatch, "matplotlib")
    out = tmp_path / "reports"
    out.mkdir()
    (out / "verification.md").write_text("old")
    (out / "performance.md").write_text("timings")

    def fails(out, **kwargs):
        raise interruption("stopped while building the site")

    monkeypatch.setattr(light_report, "build_site", fails)
    code, _, err = run(["report", "--output", str(out)], capsys)
    assert code == (130 if interruption is KeyboardInterrupt else 3)
    assert "interrupted" in err or "internal error" in err
    assert sorted(p.name for p in out.iterdir()) == ["performance.md", "verification.md"]
    assert (out / "verification.md").read_text() == "old"  # no staging directory left either


@pytest.mark.parametrize("command", [["report"], ["audit"], ["verify"]])
def test_an_output_that_is_a_file_is_refused_before_any_work(
    monkeypatch, tmp_path, capsys, command
):
    forbid(monkeypatch, "verify.matrix.run.run_matrix")
    forbid(monkeypatch, "verify.audit.run_audit")
    (tmp_path / "taken").write_text("a file")
    for output in ["taken", "taken/below"]:
        code, out, err = run([*command, "--output", str(tmp_path / output)], capsys)
        assert code == 2 and out == ""
        assert "`--output` must be a directory" in one_line(err)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_a_read_only_output_could_not_run(monkeypatch, tmp_path, capsys):
    forbid(monkeypatch, "verify.audit.run_audit")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        code, _, err = run(["audit", "--output", str(locked)], capsys)
    finally:
        locked.chmod(0o700)
    assert code == 3 and "cannot write into" in one_line(err)


# -- Ctrl-C, SIGTERM, internal and I/O errors ---------------------------------------------------


@pytest.mark.parametrize(
    ("raised", "code", "says"),
    [
        (KeyboardInterrupt(), 130, "chainrule verify: interrupted (Ctrl-C)"),
        (RuntimeError("broken"), 3, "internal error: RuntimeError: broken; please report it"),
        (PermissionError(13, "Permission denied", "x.md"), 3, "could not read or write 'x.md'"),
        (MemoryError(), 3, "out of memory"),
        (ValueError("`seeds` must be ..."), 2, "chainrule verify: error: `seeds` must be"),
        (FloatingPointError("diverged"), 1, "chainrule verify: diverged"),
    ],
)
def test_every_ending_is_one_line_and_its_own_status(monkeypatch, capsys, raised, code, says):
    def command(args):
        raise raised

    monkeypatch.setattr(verify.cli, "cmd_verify", command)
    status, out, err = run(["verify"], capsys)
    assert status == code and out == ""
    assert says in one_line(err)


def test_sigterm_ends_the_command_like_ctrl_c(monkeypatch, capsys):
    def command(args):
        os.kill(os.getpid(), signal.SIGTERM)
        raise AssertionError("SIGTERM should have ended the command")

    monkeypatch.setattr(verify.cli, "cmd_verify", command)
    previous = signal.getsignal(signal.SIGTERM)
    status, _, err = run(["verify"], capsys)
    assert status == 143 and "terminated (SIGTERM)" in one_line(err)
    assert signal.getsignal(signal.SIGTERM) is previous  # restored


def test_ctrl_c_in_a_subprocess_prints_one_line_and_exits_130(tmp_path):
    # The one real signal: the command runs in its own process and is interrupted there.
    import subprocess

    code = textwrap.dedent(
        """
        import os, signal, verify.cli
        def slow(args):
            os.kill(os.getpid(), signal.SIGINT)
            raise AssertionError("not interrupted")
        verify.cli.cmd_verify = slow
        raise SystemExit(verify.cli.main(["verify"]))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert result.returncode == 130, result.stderr
    assert result.stderr.strip() == (
        "chainrule verify: interrupted (Ctrl-C); nothing half-written was left"
    )


# -- the oracle: its own statuses ---------------------------------------------------------------


def fake_child(monkeypatch, report: GradientReport | None = None, **outcome):
    import verify.oracle.child

    def run_isolated(options, **kwargs):
        return Outcome(report=None if report is None else report.to_dict(), **outcome)

    monkeypatch.setattr(verify.oracle.child, "run_isolated", run_isolated)


@pytest.fixture
def module(tmp_path):
    path = tmp_path / "user.py"
    path.write_text("def gradients(params, X, y):\n    return params\n")
    return path


def test_an_inconclusive_check_exits_4_with_its_reason(monkeypatch, module, capsys):
    finding = Finding(1, "W", "inconclusive", detail="agrees, but cannot be told right from wrong")
    report = GradientReport(
        [finding, Finding(1, "b", "ok")], {"mode": "reference"}, "inconclusive: x"
    )
    fake_child(monkeypatch, report)
    code, out, _ = run(["oracle", f"{module}:gradients", *ORACLE, "--format", "json"], capsys)
    assert code == 4
    data = json.loads(out)
    assert data["verdict"] == "inconclusive" and data["inconclusive"] and not data["passed"]
    assert data["reason"].startswith("inconclusive: W^1: agrees, but cannot be told")


def test_kink_is_explained_wherever_the_oracle_shows_it(monkeypatch, module, capsys):
    from verify.core.summary import summarize

    findings = [Finding(1, "W", "kink", detail="1 entry sits on a kink"), Finding(1, "b", "ok")]
    fake_child(monkeypatch, GradientReport(findings, {"mode": "reference"}, summarize(findings)))
    for fmt in ["text", "json", "github", "html", "latex"]:
        code, out, _ = run(["oracle", f"{module}:gradients", *ORACLE, "--format", fmt], capsys)
        assert code == 0
        assert "A kink is a point where the loss" in out and "slope jumps" in out, fmt


@pytest.mark.parametrize(
    ("outcome", "code", "says"),
    [
        (
            {"error": "import", "message": "importing user.py failed: SystemExit: 0"},
            3,
            "SystemExit",
        ),
        ({"error": "internal", "message": "the oracle did not finish"}, 3, "did not finish"),
        ({"error": "usage", "message": "spec's name 'x' is not defined"}, 2, "is not defined"),
    ],
)
def test_what_the_child_could_not_do_is_one_line(monkeypatch, module, capsys, outcome, code, says):
    fake_child(monkeypatch, **outcome)
    status, out, err = run(["oracle", f"{module}:gradients", *ORACLE], capsys)
    assert status == code and out == ""
    assert says in one_line(err)


def test_the_oracle_hints_at_the_columns_layout(tmp_path, capsys):
    # Correct code in the document's columns layout, checked under the default rows layout:
    # the user's own shape error, and the hint.
    source = textwrap.dedent(
        """
        import numpy as np

        def gradients(params, X, y):
            acts = [X]
            for W, b in params:
                acts.append(1 / (1 + np.exp(-(W @ acts[-1] + b))))
            delta = (acts[-1] - y) / X.shape[1]
            grads = []
            for m in range(len(params) - 1, -1, -1):
                grads.append((delta @ acts[m].T, delta.sum(axis=1, keepdims=True)))
                if m:
                    delta = (params[m][0].T @ delta) * acts[m] * (1 - acts[m])
            return grads[::-1]
        """
    )
    (tmp_path / "document.py").write_text(source)
    code, out, _ = run(["oracle", f"{tmp_path / 'document.py'}:gradients", *ORACLE], capsys)
    assert code == 1
    assert "with layout='columns' it passes" in out and "--layout columns" in out
    code, out, _ = run(
        ["oracle", f"{tmp_path / 'document.py'}:gradients", *ORACLE, "--layout", "columns"], capsys
    )
    assert code == 0 and "PASSED" in out


def test_the_issues_option_errors_name_the_option(module, capsys):
    code, _, err = run(["oracle", f"{module}:gradients", "--sizes", "-1,2", *ORACLE[2:]], capsys)
    assert code == 2 and "argument --sizes: sizes must be positive ints" in one_line(err)
    code, _, err = run(["oracle", f"{module}:gradients", *ORACLE, "--seed=-1"], capsys)
    assert code == 2 and "argument --seed: must be an int >= 0, got '-1'" in one_line(err)
    code, _, err = run(["derive", "--sizes", "2,1", "--seed=-1"], capsys)
    assert code == 2 and "argument --seed" in one_line(err)


def test_verify_and_audit_replace_their_reports_all_or_nothing(monkeypatch, tmp_path, capsys):
    import verify.audit

    audit = types.SimpleNamespace(items=[], counts=dict)
    monkeypatch.setattr(verify.audit, "run_audit", lambda **kwargs: audit)
    out = tmp_path / "reports"
    out.mkdir()
    (out / "errata.md").write_text("old")

    def half_written(result, directory, formats):
        (Path(directory) / "errata.md").write_text("new")
        raise KeyboardInterrupt

    monkeypatch.setattr(verify.audit, "write_audit", half_written)
    code, _, err = run(["audit", "--output", str(out)], capsys)
    assert code == 130 and "interrupted" in one_line(err)
    assert [p.name for p in out.iterdir()] == ["errata.md"]
    assert (out / "errata.md").read_text() == "old"

    def written(result, directory, formats):
        paths = [Path(directory) / f"errata.{fmt}" for fmt in formats]
        for path in paths:
            path.write_text("new")
        return paths

    monkeypatch.setattr(verify.audit, "write_audit", written)
    code, _, err = run(["audit", "--output", str(out), "--format", "md", "json"], capsys)
    assert code == 0 and sorted(p.name for p in out.iterdir()) == ["errata.json", "errata.md"]
    assert (out / "errata.md").read_text() == "new"
    assert f"wrote {out / 'errata.md'}" in err
