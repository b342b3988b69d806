"""The audit of the reference document: its encoding, its verdicts, its experiments, its reports."""

from __future__ import annotations

import hashlib
import json
import re
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import numeric
from verify.audit import (
    CONVENTION,
    DEFECTS,
    HOLDS,
    IMPRECISE,
    KINDS,
    SEVERITIES,
    VERDICTS,
    WRONG,
    Evidence,
    defect_of,
    run_audit,
    verdict_for_cases,
    verdict_for_hedged,
    verdict_for_readings,
    wilson_interval,
    write_audit,
)
from verify.audit.checks import CHECKS
from verify.audit.checks.general_parameters import range_cases
from verify.audit.document import (
    DOCUMENT_FILENAME,
    DOCUMENT_SHA256,
    DOCUMENT_TEXT,
    PROGRAM_LINES,
    TABLE_LINES,
    covers,
    displayed_rows,
    document_lines,
)
from verify.audit.experiments import (
    REPAIRS,
    Ensemble,
    Probe,
    program_source,
    run_toy_program,
    xor_experiment,
)
from verify.audit.items import ITEMS, get_item
from verify.audit.report import EXPERIMENTS, defect_rows, render_json, render_markdown
from verify.audit.tables import Z, one_sided_derivatives, symbolic_table_rows
from verify.audit.transcribe import at
from verify.audit.verdicts import compare_arrays, compared_case, evaluated_case, one_based

SHARED_DOCUMENT = Path("/work/shared/reference/backpropagation-derivation.txt")

# The verdict of every item, pinned. A change here means the computed evidence changed.
EXPECTED = {
    "dangling-reference": WRONG,
    "chain-rule-scalar": HOLDS,
    "chain-rule-sum": HOLDS,
    "notation-shapes": HOLDS,
    "notation-layer-count": IMPRECISE,
    "notation-weight-index": HOLDS,
    "notation-elementwise": HOLDS,
    "affine-called-linear": WRONG,
    "notation-undefined-h": IMPRECISE,
    "gradient-wording": IMPRECISE,
    "spelling-grammar": WRONG,
    "chain-rule-weights": HOLDS,
    "z-sum-range": WRONG,
    "dz-dW": HOLDS,
    "collapse-reason": WRONG,
    "dC-dW-component": HOLDS,
    "dC-dW-vector": HOLDS,
    "chain-rule-biases": HOLDS,
    "dz-db": HOLDS,
    "dz-db-cases": IMPRECISE,
    "dC-db": HOLDS,
    "output-delta-component": HOLDS,
    "output-delta-vector": IMPRECISE,
    "delta-recursion-derivation": HOLDS,
    # The literal text: the convention is said of an entry (a scalar); of the vector it holds.
    "column-vector-convention": IMPRECISE,
    "delta-recursion-vector": HOLDS,
    "previous-layer": IMPRECISE,
    "sigmoid-function": WRONG,
    "sigmoid-derivative": WRONG,
    "sigmoid-range": IMPRECISE,
    "tanh-function": HOLDS,
    "tanh-derivative": HOLDS,
    "tanh-sigmoid-relation": IMPRECISE,
    "relu-function": HOLDS,
    "relu-derivative": CONVENTION,
    # He initialisation: ReLU's deltas keep their size; the document's N(0, 1): they explode.
    "relu-depth": IMPRECISE,
    "squared-error-function": HOLDS,
    "squared-error-derivative": WRONG,
    "squared-error-note": HOLDS,
    "cross-entropy-function": IMPRECISE,
    "cross-entropy-derivative": HOLDS,
    "table-elementwise-products": IMPRECISE,
    # Hedged ("can"): a saturated start shows it, at each cost's best learning rate.
    "cross-entropy-convergence": HOLDS,
    "per-sample-procedure": IMPRECISE,
    "forward-pass": HOLDS,
    "summary-stray-index": IMPRECISE,
    "updates-wording": IMPRECISE,
    # The example's own sigmoid, 1/(1 + e^z), gives y - a: one verdict for the equation.
    "example-output-delta": WRONG,
    "example-delta-precedence": IMPRECISE,
    "example-dW-precedence": IMPRECISE,
    "example-align-breaks": IMPRECISE,
    "update-rule": HOLDS,
    "toy-description": WRONG,
    "toy-sigmoid": HOLDS,
    "toy-init": HOLDS,
    "toy-1d-inputs": WRONG,
    "toy-layer-output": WRONG,
    "toy-docstring": WRONG,
    "toy-forward-loop": WRONG,
    "toy-output-delta": HOLDS,
    "toy-backward-line": WRONG,
    "toy-missing-reverse": WRONG,
    "toy-input-delta": WRONG,
    "toy-weight-update-loop": WRONG,
    "toy-averaging": HOLDS,
    "toy-xor-table": IMPRECISE,
}

# The defects, pinned: kind, severity and symptoms (the fault each item's verdict is due to).
EXPECTED_DEFECTS = {
    "sum-range": ("changes numbers", "high", ("z-sum-range",)),
    "sigmoid-sign": (
        "changes numbers",
        "high",
        ("sigmoid-function", "sigmoid-derivative", "example-output-delta"),
    ),
    "squared-error-sign": ("sign convention", "high", ("squared-error-derivative",)),
    "lost-code": (
        "transcription of the code",
        "high",
        (
            "toy-layer-output",
            "toy-docstring",
            "toy-forward-loop",
            "toy-backward-line",
            "toy-weight-update-loop",
        ),
    ),
    "delta-order": (
        "transcription of the code",
        "high",
        ("toy-missing-reverse", "toy-input-delta"),
    ),
    "elementwise-products": (
        "notation",
        "medium",
        (
            "output-delta-vector",
            "table-elementwise-products",
            "example-delta-precedence",
            "example-dW-precedence",
        ),
    ),
    "collapse-reason": ("notation", "medium", ("collapse-reason",)),
    "cross-entropy-sum": ("notation", "medium", ("cross-entropy-function",)),
    "per-sample-procedure": ("changes numbers", "medium", ("per-sample-procedure",)),
    "sigmoid-range": ("notation", "medium", ("sigmoid-range",)),
    "program-description": ("transcription of the code", "medium", ("toy-description",)),
    "one-dimensional-arrays": ("transcription of the code", "medium", ("toy-1d-inputs",)),
    "xor-table": ("empirical claim", "medium", ("toy-xor-table",)),
    "relu-depth": ("empirical claim", "low", ("relu-depth",)),
    "tanh-relation": ("notation", "low", ("tanh-sigmoid-relation",)),
    "relu-kink": ("notation", "low", ("relu-derivative",)),
    "undefined-h": ("notation", "low", ("notation-undefined-h",)),
    "gradient-wording": ("notation", "low", ("gradient-wording",)),
    "bias-cases": ("notation", "low", ("dz-db-cases",)),
    "column-vector": ("notation", "low", ("column-vector-convention",)),
    "stray-index": ("notation", "low", ("summary-stray-index",)),
    "updates-wording": ("notation", "low", ("updates-wording",)),
    "align-breaks": ("typesetting", "low", ("example-align-breaks",)),
    "affine-called-linear": ("notation", "low", ("affine-called-linear",)),
    "layer-count": ("notation", "low", ("notation-layer-count",)),
    "previous-layer": ("notation", "low", ("previous-layer",)),
    "dangling-reference": ("typesetting", "low", ("dangling-reference",)),
    "spelling-grammar": ("typesetting", "low", ("spelling-grammar",)),
}


@pytest.fixture(scope="module")
def audit():
    return run_audit(fast=True)


# -- the document as data ----------------------------------------------------------------------


def test_packaged_document_is_the_reference():
    packaged = resources.files("verify.audit").joinpath(DOCUMENT_FILENAME).read_bytes()
    assert hashlib.sha256(packaged).hexdigest() == DOCUMENT_SHA256
    assert packaged.decode("utf-8") == DOCUMENT_TEXT
    if not SHARED_DOCUMENT.exists():
        pytest.skip("the shared reference document is not on this machine")
    assert SHARED_DOCUMENT.read_bytes() == packaged


def test_every_quote_is_verbatim_in_its_line():
    lines = document_lines()
    for item in ITEMS:
        for location in item.locations:
            assert location.quote in lines[location.line - 1], (item.id, location.line)


def test_item_ids_are_unique_and_each_has_one_check():
    ids = [item.id for item in ITEMS]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(CHECKS)
    assert set(EXPECTED) == set(ids)


def test_every_displayed_equation_row_is_covered():
    rows = displayed_rows()
    assert len(rows) >= 40  # the document's $$...$$ blocks and align rows
    uncovered = [(r.line, r.latex) for r in rows if not any(covers(i, r) for i in ITEMS)]
    assert uncovered == []


def test_every_table_cell_is_an_item():
    # Each table row has three cells after its name: function, derivative, note.
    for line in TABLE_LINES:
        located = [item for item in ITEMS if line in item.lines]
        assert len(located) >= 3, line


def test_the_toy_program_lines_are_the_code_block():
    source, origin = program_source(())
    assert source.splitlines()[0] == "# Ensure python 3 forward compatibility"
    assert [o.line for o in origin] == list(PROGRAM_LINES)


def test_get_item_names_unknown_ids():
    assert get_item("sigmoid-function").lines == [90, 107]
    with pytest.raises(ValueError, match="item_id must be one of the audit's item ids, got 'x'"):
        get_item("x")


# -- verdict rules --------------------------------------------------------------------------------


def test_verdict_for_cases():
    agrees, disagrees = Evidence("a", True), Evidence("b", False)
    convention = Evidence("c", False, convention=True)
    assert verdict_for_cases([agrees, Evidence("b", True)]) == HOLDS
    assert verdict_for_cases([agrees, disagrees]) == WRONG
    assert verdict_for_cases([agrees, convention]) == CONVENTION
    assert verdict_for_cases([convention, disagrees]) == WRONG
    with pytest.raises(ValueError, match="cases must hold at least one Case"):
        verdict_for_cases([])


def test_verdict_for_readings():
    assert verdict_for_readings([Evidence("a", True)]) == HOLDS
    assert verdict_for_readings([Evidence("a", False), Evidence("b", True)]) == IMPRECISE
    assert verdict_for_readings([Evidence("a", False), Evidence("b", False)]) == WRONG
    with pytest.raises(ValueError, match="readings must hold at least one Case"):
        verdict_for_readings([])


def test_a_literal_transcription_that_fails_is_a_disagreement():
    truth = np.array([1.0, 2.0])
    assert not evaluated_case("x", truth, at, truth, 3).agrees
    assert not compared_case("negated", -truth, truth).agrees
    assert compare_arrays(-truth, truth).kind == "sign"
    assert compared_case("same", truth + 1e-15, truth).agrees


def test_the_range_check_passes_the_corrected_range():
    # The same literal evaluation that refutes l = 1..N^m accepts l = 1..N^(m-1).
    probe = Probe((3, 5, 4, 2), seed=0)
    literal = range_cases(probe, lambda m: probe.sizes[m], "as written")
    corrected = range_cases(probe, lambda m: probe.sizes[m - 1], "corrected")
    assert not any(case.agrees for case in literal)
    assert all(case.agrees for case in corrected)


def test_symbolic_table_rows_relations():
    rows = symbolic_table_rows()
    assert rows["sigmoid"].relation == "negated"
    assert rows["tanh"].relation == "equal"
    assert rows["squared_error"].relation == "negated"
    assert rows["cross_entropy"].relation == "equal"
    assert rows["relu"].relation == "equal where differentiable"
    left, right = one_sided_derivatives(rows["relu"].function, Z)
    assert (left, right) == (0, 1)


def test_a_correct_sigmoid_row_is_found_equal():
    # The checker on a planted correct transcription: the logistic function with a(1 - a).
    from derive.algebra import relation

    z = Z
    logistic = 1 / (1 + sp.exp(-z))
    assert relation(logistic * (1 - logistic), sp.diff(logistic, z)) == "equal"


# -- the audit ------------------------------------------------------------------------------------


@pytest.mark.parametrize("item_id", list(EXPECTED))
def test_pinned_verdict(audit, item_id):
    assert audit[item_id].verdict == EXPECTED[item_id]


def test_every_item_has_evidence_and_a_consistent_correction(audit):
    assert [a.item.id for a in audit.items] == [item.id for item in ITEMS]
    for audited in audit.items:
        result = audited.check
        assert result.verdict in VERDICTS
        assert result.cases and all(case.detail for case in result.cases), audited.item.id
        # A statement that holds needs no correction; any other verdict comes with one.
        assert (audited.item.correction is None) == (result.verdict == HOLDS), audited.item.id
        # Where the correction was evaluated too, it holds.
        assert result.correction_holds is not False, audited.item.id


def test_counts_add_up(audit):
    counts = audit.counts()
    assert sum(counts.values()) == len(ITEMS)
    assert list(counts) == list(VERDICTS)


def test_xor_success_rate_is_computed_from_runs(audit):
    figures = audit["toy-xor-table"].check.figures
    assert figures["n_seeds"] == 24
    rate = figures["success_rate"]
    assert 0 < rate < 1
    # The same seeds trained one by one with numeric's own trainer give the same outcomes.
    result = xor_experiment(range(6))
    for seed, success in zip(result.seeds, result.success):
        network = numeric.train_xor(seed)
        learned = np.all((network.forward(numeric.examples.XOR_INPUTS)[:, 0] > 0.5) == [0, 1, 1, 0])
        assert learned == success


def test_the_errata_name_every_item_and_verdict(audit):
    markdown = render_markdown(audit)
    assert markdown.startswith("# Errata")
    for audited in audit.items:
        assert f"`{audited.item.id}`" in markdown
        assert f"**{audited.verdict}**" in markdown
    data = json.loads(render_json(audit))
    assert [entry["id"] for entry in data["items"]] == [item.id for item in ITEMS]
    assert data["counts"] == audit.counts()


def test_write_audit_all_formats(audit, tmp_path):
    written = write_audit(audit, tmp_path / "out", ["md", "json", "txt", "html", "tex"])
    assert sorted(p.name for p in written) == sorted(
        ["errata.md", "errata.json", "errata.txt", "errata.html", "errata.tex"]
    )
    assert (tmp_path / "out" / "errata.md").read_text() == render_markdown(audit)
    assert "\\begin{tabular}" in (tmp_path / "out" / "errata.tex").read_text()
    assert [p.name for p in (tmp_path / "out").iterdir() if p.name.startswith(".")] == []


def test_write_audit_refuses_unknown_formats(audit, tmp_path):
    with pytest.raises(
        ValueError, match=r"formats must be a non-empty list of 'md', .*got \['pdf'\]"
    ):
        write_audit(audit, tmp_path, ["pdf"])


def test_run_audit_refuses_bad_seeds():
    with pytest.raises(ValueError, match=r"seeds must be a non-empty sequence of ints, got \[\]"):
        run_audit(seeds=[])


# -- the experiments' machinery --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("activation", "cost"), [("sigmoid", "cross_entropy"), ("tanh", "squared_error")]
)
def test_ensemble_follows_numeric_fit(activation, cost):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 3))
    Y = rng.random((6, 2)) if cost == "cross_entropy" else rng.standard_normal((6, 2))
    ensemble = Ensemble([3, 4, 2], activation, cost, seeds=[3, 4])
    ensemble.train(X, Y, learning_rate=0.3, epochs=50)
    for k, seed in enumerate([3, 4]):
        network = numeric.Network([3, 4, 2], activation, cost, seed=seed)
        network.fit(X, Y, learning_rate=0.3, epochs=50, progress=False)
        # Same operations in the same order, batched: equal up to a few roundings.
        np.testing.assert_allclose(ensemble.outputs(X)[k], network.forward(X), rtol=1e-12)


def test_probe_derivatives_match_numeric_backprop():
    # Complex step on the forward functions against numeric's hand-written backward pass; both
    # exact to rounding in float64, so 1e-10 leaves a wide margin.
    probe = Probe((3, 5, 4, 2), "sigmoid", "cross_entropy", seed=1)
    network = probe.network
    gradients = network.gradients(probe.x[None, :], probe.y[None, :])
    for m, (dW, db) in enumerate(gradients, start=1):
        np.testing.assert_allclose(probe.dC_dW(m), dW, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(probe.dC_db(m), db, rtol=1e-10, atol=1e-14)


def test_the_toy_program_as_printed_and_repaired():
    literal = run_toy_program(())
    assert literal.stage == "compile"
    assert literal.error.startswith("SyntaxError at document line 133")
    repaired = run_toy_program(REPAIRS, seed=3)
    assert repaired.stage == "done", repaired.error
    assert len(repaired.printed.splitlines()) == 4
    # Each repair is needed: without any one of them the program fails.
    for repair in REPAIRS:
        ablated = run_toy_program([r for r in REPAIRS if r is not repair], seed=3)
        assert ablated.stage in ("compile", "run"), repair.item


def test_the_program_draws_from_the_seed():
    first, again = run_toy_program(REPAIRS, seed=5), run_toy_program(REPAIRS, seed=5)
    other = run_toy_program(REPAIRS, seed=6)
    assert first.printed == again.printed
    assert first.printed != other.printed


# -- defects: one row each, every symptom under exactly one ------------------------------------


def test_pinned_defects(audit):
    found = {d.id: (d.defect.kind, d.defect.severity, d.defect.symptoms) for d in audit.defects}
    assert found == EXPECTED_DEFECTS


def test_every_item_that_does_not_hold_is_the_symptom_of_exactly_one_defect(audit):
    symptoms = [item_id for d in audit.defects for item_id in d.defect.symptoms]
    assert len(symptoms) == len(set(symptoms))  # no item under two defects
    not_holding = {a.item.id for a in audit.items if a.verdict != HOLDS}
    assert set(symptoms) == not_holding
    assert {a.item.id for a in audit.appendix} == {a.item.id for a in audit.items} - not_holding
    for audited in audit.items:
        defect = audited.defect
        assert (defect is None) == (audited.verdict == HOLDS), audited.item.id
        if defect is not None:
            assert defect_of(audited.item.id) is defect
            assert audited.item.id in defect.symptoms


def test_each_defect_is_one_row_of_the_glance_table(audit):
    rows = defect_rows(audit)
    assert [r["#"] for r in rows] == list(range(1, len(DEFECTS) + 1))
    assert sorted(r["defect"] for r in rows) == sorted(d.name for d in DEFECTS)
    markdown = render_markdown(audit)
    glance = markdown.split("## Defects at a glance", 1)[1].split("\n## ", 1)[0]
    table_rows = [line for line in glance.splitlines() if line.startswith("|")][2:]
    assert len(table_rows) == len(DEFECTS)
    for defect in DEFECTS:
        assert sum(f"| {defect.name} " in row for row in table_rows) == 1, defect.id


def test_defect_kinds_and_severities_agree_with_the_verdicts(audit):
    for audited in audit.defects:
        defect = audited.defect
        assert defect.kind in KINDS and defect.severity in SEVERITIES
        assert defect.fix and "\n" not in defect.fix
        verdicts = set(audited.verdicts.values())
        # Following the text changes numbers, or the reader gets a failing program: some
        # statement of the defect is wrong as written, not merely imprecise.
        if defect.severity == "high" or defect.kind in ("transcription of the code",):
            assert WRONG in verdicts, defect.id
        if defect.kind == "changes numbers" and defect.severity == "high":
            assert verdicts == {WRONG}, defect.id
        # Claims about behaviour are decided by experiments.
        if defect.kind == "empirical claim":
            assert {a.check.method for a in audited.symptoms} == {"experiment"}, defect.id


def test_the_errata_lead_with_the_defects_and_render_each_symptom_once(audit):
    markdown = render_markdown(audit)
    sections = [line for line in markdown.splitlines() if line.startswith("## ")]
    assert sections[0] == "## Defects at a glance"
    assert sections[-1] == "## Appendix: statements that hold"
    defects_part = markdown.split("## The defects", 1)[1].split("\n## The experiments", 1)[0]
    for n, audited in enumerate(audit.defects, start=1):
        assert f"### {n}. {audited.defect.name}\n" in defects_part
        for symptom in audited.symptoms:
            assert defects_part.count(f"\n`{symptom.item.id}` · line") == 1, symptom.item.id
    appendix = markdown.split("## Appendix: statements that hold", 1)[1]
    for audited in audit.appendix:
        assert f"(`{audited.item.id}`, line" in appendix
        assert f"\n`{audited.item.id}` · line" not in defects_part


def test_old_item_ids_still_name_their_statement(audit):
    assert audit["example-output-delta-as-written"] is audit["example-output-delta"]


def test_json_has_the_defects(audit):
    data = json.loads(render_json(audit))
    assert [d["id"] for d in data["defects"]] == [d.id for d in audit.defects]
    by_item = {entry["id"]: entry["defect"] for entry in data["items"]}
    for defect in data["defects"]:
        assert all(by_item[s["id"]] == defect["id"] for s in defect["symptoms"])


# -- what a reader sees: 1-based indices, rates with their intervals ------------------------------


def test_indices_a_reader_sees_are_one_based(audit):
    markdown = render_markdown(audit)
    # NumPy's 0-based positions ("[0]: 1.5 vs 2", "first at (0, 2)") never reach the report.
    assert not re.search(r"\[\d+(, \d+)*\]: \S+ vs ", markdown)
    assert "first at (" not in markdown
    assert re.search(r"entry \(\d+(, \d+)*\): ", markdown)
    assert " entry (0" not in markdown  # (layers are numbered from 0, the input, as in the text)


RATE_TEXT = re.compile(
    r"(\d+(?:\.\d+)?)% \(([\d,]+) of ([\d,]+); 95% CI (\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)%\)"
)


def _rates_in(value, found: list) -> list:
    if isinstance(value, dict):
        if {"successes", "n", "rate", "low", "high"} <= set(value):
            found.append(value)
        for inner in value.values():
            _rates_in(inner, found)
    elif isinstance(value, list):
        for inner in value:
            _rates_in(inner, found)
    return found


def test_every_rate_is_inside_its_computed_interval(audit):
    scipy_stats = pytest.importorskip("scipy.stats")
    rates = _rates_in(json.loads(render_json(audit)), [])
    assert len(rates) >= 20  # XOR runs, convergence comparisons, depth fractions
    for rate in rates:
        assert rate["rate"] == pytest.approx(rate["successes"] / rate["n"], rel=1e-9)
        # Computed, not typed: the interval is the Wilson interval of the counts (SciPy's).
        interval = scipy_stats.binomtest(rate["successes"], rate["n"]).proportion_ci(
            confidence_level=0.95, method="wilson"
        )
        assert rate["low"] == pytest.approx(interval.low, abs=1e-9)
        assert rate["high"] == pytest.approx(interval.high, abs=1e-9)
        assert rate["low"] <= rate["rate"] <= rate["high"]


def test_every_rate_in_the_text_is_inside_its_interval(audit):
    markdown = render_markdown(audit)
    stated = RATE_TEXT.findall(markdown)
    assert len(stated) >= 20
    for value, successes, n, low, high in stated:
        k, total = int(successes.replace(",", "")), int(n.replace(",", ""))
        assert float(low) <= float(value) <= float(high)
        assert float(value) == pytest.approx(100 * k / total, abs=0.51)
        interval = wilson_interval(k, total)
        assert float(low) == pytest.approx(100 * interval[0], abs=0.51)
        assert float(high) == pytest.approx(100 * interval[1], abs=0.51)


def test_each_experiment_names_its_command_generator_and_seeds(audit):
    markdown = render_markdown(audit)
    experiments = markdown.split("## The experiments", 1)[1].split("\n## The repaired", 1)[0]
    for name in EXPERIMENTS:
        assert f"`python -m verify.audit.reproduce {name} --seeds " in experiments
    assert "default_rng(s) (PCG64)" in experiments and "MT19937" in experiments
    assert "```diff" in markdown


def test_verdict_for_hedged():
    assert verdict_for_hedged([Evidence("a", False), Evidence("b", True)]) == HOLDS
    assert verdict_for_hedged([Evidence("a", False)]) == WRONG
    with pytest.raises(ValueError, match="conditions must hold at least one Case"):
        verdict_for_hedged([])


def test_one_based_renumbers_compare_details():
    detail = compare_arrays(np.array([1.0, 5.0, 3.0]), np.array([1.0, 2.0, 3.0])).detail
    assert "entry (2): 5 vs 2" in detail
    assert one_based("worst [0, 2]: 1 vs 2; [3]: 4 vs 5") == (
        "worst entry (1, 3): 1 vs 2; entry (4): 4 vs 5"
    )
