"""Reports of the cross-check matrix: Markdown, plain text, LaTeX and HTML tables, and JSON.

Every figure in a committed report must come out the same on every run and machine of this kind,
so agreement is shown against a bound (``<= 1e-12``) instead of as rounding noise, and
disagreements, which are of order one, with three significant digits.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from pathlib import Path

from tabulate import tabulate

from numeric.files import atomic_write
from verify.formats import (
    TABLE_FORMATS,
    canonical_format,
    html_document,
    html_text,
    latex_document,
    latex_escape,
    to_json,
)
from verify.matrix.run import COMPARISONS, CaseResult, Matrix

__all__ = ["FORMATS", "matrix_tables", "render_matrix", "write_matrix"]

FORMATS = TABLE_FORMATS
AGREEMENT_BOUND = 1e-12
KINK_NOTE = (
    "kink: the case puts a ReLU pre-activation exactly at z = 0, where the derivative is a "
    "convention (chainrule takes the left derivative 0, the document 1) and a finite difference "
    "sees the average of the two slopes. A disagreement there is expected, so a kink is reported "
    "but is not a failure."
)


def _error(value: float) -> str:
    if value != value:  # NaN: the comparison was not made
        return "-"
    return f"<= {AGREEMENT_BOUND:g}" if value <= AGREEMENT_BOUND else f"{value:.3g}"


def _pair_label(pair: tuple[str, str]) -> str:
    short = {"analytic": "analytic", "symbolic": "symbolic", "finite_difference": "FD"}
    return f"{short[pair[0]]} vs {short[pair[1]]}"


def _verdict(results: Sequence[CaseResult]) -> str:
    kinds = sorted(
        {
            f.kind
            for r in results
            for findings in r.comparisons.values()
            for f in findings
            if f.kind != "ok"
        }
    )
    if not kinds:
        return "all agree"
    return ", ".join(kinds)


def _groups(matrix: Matrix, conventions: str) -> dict[tuple[str, str, str], list[CaseResult]]:
    groups: dict[tuple[str, str, str], list[CaseResult]] = {}
    for r in matrix.results:
        if r.case.conventions == conventions:
            hidden = f"{r.case.hidden} (z = 0)" if r.case.at_kink else r.case.hidden
            groups.setdefault((hidden, r.case.output, r.case.cost), []).append(r)
    return groups


def matrix_tables(matrix: Matrix) -> dict[str, list[dict]]:
    """The report's tables as rows of plain values, keyed by section."""
    tables: dict[str, list[dict]] = {}
    tables["conventions"] = [
        {"convention": key, **{c.name: c.choices()[key] for c in matrix.conventions}}
        for key in matrix.conventions[0].choices()
    ]
    for conv in matrix.conventions:
        rows = []
        for (hidden, output, cost), results in _groups(matrix, conv.name).items():
            row = {"hidden": hidden, "output": output, "cost": cost, "cases": len(results)}
            for pair in COMPARISONS:
                errors = [r.max_rel_error(pair) for r in results]
                row[_pair_label(pair)] = _error(
                    max((e for e in errors if not math.isnan(e)), default=math.nan)
                )
            row["verdict"] = _verdict(results)
            rows.append(row)
        tables[f"matrix:{conv.name}"] = rows
        effects = []
        for (hidden, output, cost), results in _groups(matrix, conv.name).items():
            failing = [r for r in results if not r.passed]
            if not failing:
                continue
            wrong = sorted(k for k, v in failing[0].formula_errors.items() if v != "ok")
            for r in failing:
                if r.case.seed != failing[0].case.seed:
                    continue
                effects.append(
                    {
                        "hidden": hidden,
                        "output": output,
                        "cost": cost,
                        "sizes": ",".join(map(str, r.case.sizes)),
                        "wrong formulas": ", ".join(
                            f"{name} ({failing[0].formula_errors[name]})" for name in wrong
                        )
                        or "none",
                        "dC/dW per layer (analytic vs FD)": "; ".join(r.layer_effects()),
                    }
                )
        tables[f"effects:{conv.name}"] = effects
    return tables


def render_matrix(matrix: Matrix, fmt: str = "md") -> str:
    """The whole report in one format: ``md``, ``txt``, ``tex``, ``html`` or ``json``."""
    fmt = canonical_format(fmt)
    tables = matrix_tables(matrix)
    if fmt == "json":
        return to_json({"passed": matrix.passed, "tables": tables})
    tablefmt = FORMATS[fmt]
    text = {"tex": latex_escape, "html": html_text}.get(fmt, str)
    heading = {
        "md": "## {}",
        "txt": "{}\n" + "=" * 20,
        "tex": r"\section*{{{}}}",
        "html": "<h2>{}</h2>",
    }[fmt]
    paragraph = "<p>{}</p>" if fmt == "html" else "{}"

    def say(words: str) -> str:
        return paragraph.format(text(words))

    def head(title: str) -> str:
        return heading.format(text(title))

    cases = len(matrix.results)
    corrected = [r for r in matrix.results if r.case.conventions == "corrected"]
    title = "Verification: symbolic, analytic and finite-difference gradients"
    architectures = ", ".join(sorted({str(list(r.case.sizes)) for r in matrix.results}))
    seeds = sorted({r.case.seed for r in matrix.results})
    parts = [
        say(
            f"Generated by `chainrule verify`. {cases} cases: every activation and cost of the "
            f"catalogue, on the architectures {architectures} and seeds {seeds}, under each "
            "convention set."
            " Finite differences are complex-step derivatives of numeric's forward pass (exact to "
            "rounding); symbolic gradients are derive's, lambdified; analytic ones are numeric's "
            f"backprop with the convention set's formulas. Errors at or below {AGREEMENT_BOUND:g} "
            "are shown as that bound."
        ),
        "",
        say(
            f"Corrected conventions: {sum(r.passed for r in corrected)} of {len(corrected)} cases "
            f"agree three ways{'' if matrix.passed else ' (FAILURES below)'}."
        ),
        "",
        head("Convention sets"),
        tabulate(tables["conventions"], headers="keys", tablefmt=tablefmt),
        "",
    ]
    for conv in matrix.conventions:
        rows = tables[f"matrix:{conv.name}"]
        parts += [
            head(f"{conv.name}: {conv.description}"),
            tabulate(rows, headers="keys", tablefmt=tablefmt),
            "",
        ]
        if any("kink" in row["verdict"] for row in rows):
            parts += [say(KINK_NOTE), ""]
        if tables[f"effects:{conv.name}"]:
            parts += [
                head(f"{conv.name}: which formulas disagree, and what they do"),
                say(
                    "Each stated derivative is compared with the complex-step derivative of the "
                    "same function ('negated' = exactly the negative). Per layer, from the output "
                    "down: how the analytic dC/dW^m relates to the finite difference; a layer that "
                    "agrees although negated formulas enter its chain is where errors cancel."
                ),
                "",
                tabulate(tables[f"effects:{conv.name}"], headers="keys", tablefmt=tablefmt),
                "",
            ]
    body = "\n".join(parts)
    if fmt == "tex":
        return latex_document(title, body)
    if fmt == "html":
        return html_document(title, f"<h1>{html.escape(title)}</h1>\n{body}")
    return head(title) + "\n" + body


def write_matrix(matrix: Matrix, output_dir, formats: Sequence[str] = ("md",)) -> list[Path]:
    """Write ``verification.<fmt>`` for each format into ``output_dir``, each atomically."""
    output_dir = Path(output_dir)
    return [
        atomic_write(output_dir / f"verification.{fmt}", render_matrix(matrix, fmt))
        for fmt in formats
    ]
