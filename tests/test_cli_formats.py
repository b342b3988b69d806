"""One vocabulary of formats for every command, aliases accepted, stdout without --output."""

from __future__ import annotations

import json

import pytest

from verify.cli import main


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("chainrule ")


def test_verify_prints_the_asked_format_when_there_is_no_output(capsys):
    assert main(["verify", "--seeds", "0", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["passed"] is True


def test_verify_writes_aliases_under_their_canonical_names(tmp_path, capsys):
    assert main(["verify", "--seeds", "0", "--output", str(tmp_path), "--format", "latex"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["verification.tex"]
    assert (tmp_path / "verification.tex").read_text().startswith("\\documentclass")


@pytest.mark.parametrize("command", [["verify"], ["audit"]])
def test_an_unknown_format_is_a_usage_error_that_lists_the_formats(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--format", "pdf"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "`format` must be one of md, txt, tex, html, json" in err and "latex = tex" in err


def test_derive_accepts_tex_and_its_alias_latex(capsys):
    options = ["derive", "--sizes", "1,1", "--activation", "identity", "--cost", "squared_error"]
    assert main([*options, "--format", "tex"]) == 0
    tex = capsys.readouterr().out
    assert main([*options, "--format", "latex"]) == 0
    assert capsys.readouterr().out == tex and tex.startswith("\\documentclass")
