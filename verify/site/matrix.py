"""The verification page: the cross-check matrix as a colour-coded grid, each cell linking to the
comparisons of its cases.

It reads ``verify.matrix``'s public objects: the ``Matrix`` of ``run_matrix`` and the tables of
``verify.matrix.report.matrix_tables`` (the same rows as ``reports/verification.md``). Errors at
or below ``AGREEMENT_BOUND`` are shown as that bound and larger ones to three significant digits,
as in the Markdown report, so the page is the same on every machine.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from verify.matrix.report import matrix_tables
from verify.matrix.run import COMPARISONS, CaseResult, Matrix
from verify.site.mathml import latex
from verify.site.page import KIND_CLASSES, Cell, anchor, badge, escape, figure, table

__all__ = ["AGREEMENT_BOUND", "grid_cells", "render_verification"]

AGREEMENT_BOUND = 1e-12
SOURCE_NAMES = {"analytic": "analytic", "symbolic": "symbolic", "finite_difference": "FD"}
# The order in which kinds decide a cell's colour: the first present wins.
SEVERITY = ("bad", "warn", "note", "neutral", "good")


def _error(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"\u2264 {AGREEMENT_BOUND:g}" if value <= AGREEMENT_BOUND else f"{value:.3g}"


def _pair(pair: tuple[str, str]) -> str:
    return f"{SOURCE_NAMES.get(pair[0], pair[0])} vs {SOURCE_NAMES.get(pair[1], pair[1])}"


def _hidden_label(result: CaseResult) -> str:
    return f"{result.case.hidden} (z = 0)" if result.case.at_kink else result.case.hidden


def _kinds(results: Sequence[CaseResult]) -> list[str]:
    return sorted(
        {f.kind for r in results for findings in r.comparisons.values() for f in findings}
    )


def _colour(kinds: Sequence[str]) -> str:
    classes = {KIND_CLASSES.get(kind, "neutral") for kind in kinds} or {"neutral"}
    return next(css for css in SEVERITY if css in classes)


def _groups(matrix: Matrix, conventions: str) -> dict[tuple[str, str, str], list[CaseResult]]:
    groups: dict[tuple[str, str, str], list[CaseResult]] = {}
    for result in matrix.results:
        if result.case.conventions == conventions:
            key = (_hidden_label(result), result.case.output, result.case.cost)
            groups.setdefault(key, []).append(result)
    return groups


def _group_id(conventions: str, key: tuple[str, str, str]) -> str:
    return anchor(conventions, *key)


def grid_cells(matrix: Matrix, conventions: str) -> dict[tuple[str, str], dict]:
    """For one convention set, the grid's cells keyed by (hidden row label, cost): the verdict
    text, the colour class, the output activation and the id of the details section."""
    cells = {}
    for key, results in _groups(matrix, conventions).items():
        hidden, output, cost = key
        kinds = _kinds(results)
        failing = [k for k in kinds if k != "ok"]
        verdict = "all agree" if not failing else ", ".join(failing)
        cells[(hidden, cost)] = {
            "verdict": verdict,
            "colour": _colour(kinds),
            "output": output,
            "id": _group_id(conventions, key),
            "passed": sum(r.passed for r in results),
            "cases": len(results),
        }
    return cells


def _grid(matrix: Matrix, conventions: str) -> str:
    cells = grid_cells(matrix, conventions)
    hidden_rows = list(dict.fromkeys(hidden for hidden, _ in cells))
    costs = list(dict.fromkeys(cost for _, cost in cells))
    rows = []
    for hidden in hidden_rows:
        row: list = [Cell(f"<code>{escape(hidden)}</code>")]
        for cost in costs:
            cell = cells.get((hidden, cost))
            if cell is None:
                row.append(Cell("\u2014", "empty"))
                continue
            output = (
                f'<span class="sub">output {escape(cell["output"])}</span>'
                if cell["output"] != hidden.split(" ")[0]
                else ""
            )
            count = f'<span class="sub">{cell["passed"]}/{cell["cases"]} cases agree</span>'
            label = f"{hidden}, {cost}: {cell['verdict']}"
            row.append(
                Cell(
                    f'<a href="#{cell["id"]}" title="{escape(label)}">'
                    f"<strong>{escape(cell['verdict'])}</strong>{output}{count}</a>",
                    f"cell {cell['colour']}",
                )
            )
        rows.append(row)
    headers = ["hidden", *(f"<code>{escape(cost)}</code>" for cost in costs)]
    return table(headers, rows, classes="grid")


def _parameter_header(finding) -> str:
    if finding.layer is not None and finding.param in ("W", "b"):
        return latex(f"{finding.param}^{{{finding.layer}}}")
    return escape(finding.name)


def _clean(result: CaseResult) -> bool:
    return all(f.kind == "ok" for findings in result.comparisons.values() for f in findings)


def _case_label(result: CaseResult) -> str:
    case = result.case
    kink = ", one sample exactly at the kink" if case.at_kink else ""
    return f"sizes <code>{escape(list(case.sizes))}</code>, seed {case.seed}{kink}"


def _clean_cases(results: Sequence[CaseResult]) -> str:
    """Cases where every parameter agrees: one row each, the largest error per comparison."""
    pairs = [p for p in COMPARISONS if any(p in r.comparisons for r in results)]
    rows = [
        [Cell(badge("agree", "ok")), Cell(_case_label(r))]
        + [Cell(escape(_error(r.max_rel_error(p))), "num") for p in pairs]
        for r in results
    ]
    return table(["verdict", "case", *(_pair(p) for p in pairs)], rows, numeric=(2, 3, 4))


def _detailed_case(result: CaseResult) -> str:
    """A case where some parameter does not simply agree: each parameter's kind and error."""
    first = next(iter(result.comparisons.values()))
    rows = []
    for pair in COMPARISONS:
        findings = result.comparisons.get(pair)
        if findings is None:
            continue
        row: list = [_pair(pair)]
        for finding in findings:
            text = badge(finding.kind)
            if finding.kind == "scale" and finding.factor is not None:
                text += f" \u00d7{finding.factor:.3g}"
            error = escape(_error(finding.max_rel_error))
            row.append(Cell(f'{text} <span class="muted">{error}</span>'))
        rows.append(row)
    status = badge("agree", "ok") if result.passed else badge("differs", "sign")
    formulas = ", ".join(f"{k} {v}" for k, v in sorted(result.formula_errors.items()))
    parts = [
        f"<p>{status} {_case_label(result)}"
        + (f"; stated derivatives: {escape(formulas)}" if formulas else "")
        + "</p>",
        table(["comparison", *(_parameter_header(f) for f in first)], rows),
    ]
    if not result.passed:
        parts.append(
            f'<p class="muted">Per layer: {escape("; ".join(result.layer_effects()))}.</p>'
        )
    return "\n".join(parts)


def _case_section(conventions: str, key, results: Sequence[CaseResult]) -> str:
    hidden, output, cost = key
    parts = [
        f'<section class="case" id="{_group_id(conventions, key)}">',
        f"<h3><code>{escape(hidden)}</code> hidden, <code>{escape(output)}</code> output, "
        f'<code>{escape(cost)}</code> cost <span class="muted">({escape(conventions)})</span>'
        "</h3>",
    ]
    clean = [r for r in results if _clean(r)]
    if clean:
        parts.append(_clean_cases(clean))
    parts += [_detailed_case(r) for r in results if not _clean(r)]
    parts.append('<p><a href="#grids">Back to the grids</a></p></section>')
    return "\n".join(parts)


def _legend() -> str:
    items = [
        ("all agree", "ok", "the three sources agree to rounding"),
        ("kink", "kink", "differs only where a finite difference crossed a kink"),
        ("scale", "scale", "a constant factor"),
        ("sign", "sign", "exactly negated"),
        ("mismatch", "mismatch", "none of the above"),
    ]
    return (
        '<div class="legend">'
        + "".join(
            f"<span>{badge(label, kind)} {escape(text)}</span>" for label, kind, text in items
        )
        + "</div>"
    )


def render_verification(matrix: Matrix, step_plot: tuple | None = None) -> str:
    """The body of ``verification.html``.

    ``step_plot`` is ``(data_uri, width, height)`` of the finite-difference step plot, or None
    (no matplotlib).
    """
    tables = matrix_tables(matrix)
    corrected = [r for r in matrix.results if r.case.conventions == "corrected"]
    architectures = ", ".join(sorted({str(list(r.case.sizes)) for r in matrix.results}))
    seeds = sorted({r.case.seed for r in matrix.results})
    agree = sum(r.passed for r in corrected)
    status = badge(
        "corrected conventions: all agree" if matrix.passed else "corrected conventions: FAILURES",
        "ok" if matrix.passed else "failed",
    )
    parts = [
        "<h1>Verification: symbolic, analytic and finite-difference gradients</h1>",
        f'<p class="lead">{len(matrix.results)} cases: every activation and cost of the '
        f"catalogue, on the architectures {escape(architectures)} and seeds "
        f"{escape(seeds)}, under each convention set. Three sources give the gradient of the "
        "same batch cost: <strong>symbolic</strong> (derive's SymPy derivation, lambdified), "
        "<strong>analytic</strong> (numeric's backprop with the convention set's formulas) and "
        "<strong>FD</strong> (complex-step derivatives of numeric's forward pass, exact to "
        "rounding).</p>",
        f"<p>{status} {agree} of {len(corrected)} cases agree three ways under the corrected "
        "conventions. Under the reference document taken literally (<em>as written</em>) the "
        "disagreements are findings: each cell says what the analytic gradient is.</p>",
        '<h2 id="grids">The grids</h2>',
        "<p>Rows are the hidden activation, columns the cost (its output activation below the "
        "verdict where it differs). Each cell links to its cases.</p>",
        _legend(),
    ]
    for conv in matrix.conventions:
        parts += [
            f'<h3 id="{anchor("grid", conv.name)}"><code>{escape(conv.name)}</code>: '
            f"{escape(conv.description)}</h3>",
            _grid(matrix, conv.name),
        ]
    conventions = tables["conventions"]
    names = [c.name for c in matrix.conventions]
    parts += [
        '<h2 id="conventions">Convention sets</h2>',
        table(
            ["convention", *names],
            [[row["convention"], *(row[n] for n in names)] for row in conventions],
        ),
    ]
    for conv in matrix.conventions:
        effects = tables.get(f"effects:{conv.name}") or []
        if not effects:
            continue
        headers = list(effects[0])
        parts += [
            f'<h2 id="{anchor("effects", conv.name)}"><code>{escape(conv.name)}</code>: which '
            "formulas disagree, and what they do</h2>",
            "<p>Each stated derivative is compared with the complex-step derivative of the same "
            "function (<em>negated</em>: exactly the negative). Per layer, from the output down: "
            "how the analytic dC/dW<sup>m</sup> relates to the finite difference; a layer that "
            "agrees although negated formulas enter its chain is where errors cancel.</p>",
            table(headers, [[row[h] for h in headers] for row in effects]),
        ]
    parts += [
        '<h2 id="steps">Why complex-step differences</h2>',
        figure(
            step_plot,
            "Relative error of forward, central, Richardson and complex-step differences "
            "against the step size, for one weight of the XOR network",
            "Forward and central differences trade truncation error (large steps) against "
            "rounding error (small steps); the complex step has no subtraction and stays exact "
            "to rounding down to the smallest steps, which is why the matrix trusts it.",
        ),
    ]
    parts.append('<h2 id="cases">The cases</h2>')
    parts.append(
        "<p>Cases where every parameter agrees show the largest relative error of each "
        "comparison; the others show each parameter's kind (see the legend) and its largest "
        f"relative error. Errors at or below {AGREEMENT_BOUND:g} are shown as that bound.</p>"
    )
    for conv in matrix.conventions:
        for key, results in _groups(matrix, conv.name).items():
            parts.append(_case_section(conv.name, key, results))
    return "\n".join(parts)
