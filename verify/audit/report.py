"""The errata: the audit rendered as Markdown (``reports/errata.md``), JSON, plain text, HTML and
LaTeX, and ``write_audit``, which writes them.

The Markdown report is written for a reader of the document: first the defects at a glance (one
row per defect, with its kind, severity and fix), then how the verdicts are computed, each defect
with the audited statements it shows in, the experiments with their intervals and the commands that
reproduce them, the repaired program as a diff, and in an appendix the statements that hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tabulate import tabulate

from numeric.files import atomic_write
from verify.audit.context import CONVERGENCE_SEEDS, FAST_EXPERIMENT_SEEDS
from verify.audit.defects import KINDS, SEVERITIES, format_lines
from verify.audit.document import DOCUMENT_SHA256, Item
from verify.audit.experiments import ALL_REPAIRS, program_diff
from verify.audit.items import get_item
from verify.audit.run import Audit, AuditedDefect, AuditedItem
from verify.audit.verdicts import CONVENTION, EXACT_RTOL, HOLDS, IMPRECISE, RULES, WRONG, fmt_error
from verify.formats import latex_document, to_json

__all__ = [
    "COLLAPSE_AFTER",
    "EXPERIMENTS",
    "FORMATS",
    "VERDICT_MEANINGS",
    "defect_rows",
    "experiment_markdown",
    "item_markdown",
    "render_html",
    "render_json",
    "render_latex",
    "render_markdown",
    "render_text",
    "summary_rows",
    "write_audit",
]

TITLE = "Errata: the reference document"

# What each verdict says of the literal text (the report prints these definitions).
VERDICT_MEANINGS = {
    HOLDS: "the text as written agrees with the truth in every case evaluated (for a hedged "
    "claim, “X can happen”: in at least one fair condition)",
    CONVENTION: "the text as written disagrees only where correct texts make different choices "
    "(the value of a derivative at a kink)",
    IMPRECISE: "the text as written has more than one reading (an undefined symbol, a free "
    "index, an unnamed product, an ambiguous word, a missing condition); some readings agree "
    "and some do not",
    WRONG: "the text as written disagrees with the truth, under every reading it has",
}

# The experiments: name, the item whose verdict they decide, what they measure.
EXPERIMENTS = {
    "xor": (
        "toy-xor-table",
        "The toy program's XOR run from many initialisations: the rate at which it learns XOR.",
    ),
    "convergence": (
        "cross-entropy-convergence",
        "Cross-entropy against squared error, steps to an accuracy threshold, controlled for the "
        "learning rate and with a start saturated on the wrong side.",
    ),
    "depth": (
        "relu-depth",
        "The size of the deltas layer by layer at initialisation, for the sigmoid, tanh and "
        "ReLU, under their usual initialisation and the document's standard normal one.",
    ),
}
_EXPERIMENT_ITEMS = {item_id for item_id, _ in EXPERIMENTS.values()}

# Longer lists of cases are folded in the Markdown report (GitHub renders <details>).
COLLAPSE_AFTER = 8


def _lines(item: Item) -> str:
    return format_lines(item.lines)


def _line_word(lines) -> str:
    """``"line 43"`` or ``"lines 39, 41, 57"``."""
    return f"line{'s' if len(lines) > 1 else ''} {format_lines(lines)}"


def _table(rows: list[dict], tablefmt: str = "github") -> str:
    """A table whose cells may hold norms, ``||x||``: written ``‖x‖`` so that no cell breaks a
    Markdown table."""
    clean = [{k.replace("||", "‖"): v for k, v in row.items()} for row in rows]
    clean = [
        {k: v.replace("||", "‖") if isinstance(v, str) else v for k, v in row.items()}
        for row in clean
    ]
    return tabulate(clean, headers="keys", tablefmt=tablefmt)


def _quote_markdown(location) -> str:
    if location.kind == "code":
        return f"`{location.quote}`".replace("\t", " ")
    if location.kind == "math":
        math_text = location.quote.replace("&=", "=").replace("\\ &", "")
        return f"$`{math_text.strip()}`$"
    return location.quote


def _mark(case) -> str:
    if case.agrees:
        return "agrees"
    return "differs (a convention)" if case.convention else "**disagrees**"


def item_markdown(audited: AuditedItem, level: int = 3, tables: bool = True) -> list[str]:
    """One audited statement: where it is, the claim, the evaluations, the correction."""
    item, result = audited.item, audited.check
    heading = "#" * level
    out = [
        f"{heading} {item.title}",
        "",
        f"`{item.id}` · {_line_word(item.lines)} · **{result.verdict}**",
        "",
    ]
    for location in item.locations:
        out.append(f"> line {location.line}: {_quote_markdown(location)}")
        out.append(">")
    out[-1] = ""
    out += [f"**Claim.** {item.claim}", ""]
    out += [f"**Evidence** ({result.method}; {RULES[result.by]}):", ""]
    bullets = [f"- {case.label}: {_mark(case)}. {case.detail}" for case in result.cases]
    if len(bullets) > COLLAPSE_AFTER:
        agreeing = sum(case.agrees for case in result.cases)
        summary = f"{len(bullets)} cases, {agreeing} agree"
        bullets = ["<details>", f"<summary>{summary}</summary>", "", *bullets, "", "</details>", ""]
    out += bullets + [f"- {text}" for text in result.evidence if text]
    out.append("")
    if tables:
        for title, rows in result.tables:
            out += [f"*{title}*", "", _table(rows), ""]
    elif result.tables:
        out += ["The experiment's tables are under “The experiments”.", ""]
    if item.correction:
        holds = {True: " (checked: holds)", False: " (checked: **does not hold**)", None: ""}
        out += [f"**Correction.** {item.correction}{holds[result.correction_holds]}", ""]
    return out


def defect_rows(audit: Audit) -> list[dict]:
    """The table "Defects at a glance": one row per defect, numbered from 1."""
    return [
        {
            "#": n,
            "defect": d.defect.name,
            "lines": format_lines(d.lines),
            "kind": d.defect.kind,
            "severity": d.defect.severity,
            "fix": d.defect.fix,
        }
        for n, d in enumerate(audit.defects, start=1)
    ]


def summary_rows(audit: Audit) -> list[dict]:
    """Every audited statement in document order, with its verdict and its defect's number."""
    number = {d.id: n for n, d in enumerate(audit.defects, start=1)}
    rows = []
    for n, a in enumerate(audit.items, start=1):
        defect = a.defect
        rows.append(
            {
                "#": n,
                "item": a.item.id,
                "lines": _lines(a.item),
                "title": a.item.title,
                "verdict": a.verdict,
                "defect": f"{number[defect.id]}. {defect.id}" if defect else "",
            }
        )
    return rows


def _defect_markdown(n: int, audited: AuditedDefect) -> list[str]:
    defect = audited.defect
    out = [
        f"### {n}. {defect.name}",
        "",
        f"defect `{defect.id}` · {_line_word(defect.lines)} · {defect.kind} · "
        f"**{defect.severity}** severity",
        "",
        defect.title,
        "",
        f"**Fix.** {defect.fix}",
        "",
    ]
    if len(audited.symptoms) > 1:
        out += [f"It shows in {len(audited.symptoms)} statements:", ""]
        out += [
            f"- {a.item.title} (`{a.item.id}`, {_line_word(a.item.lines)}): **{a.verdict}**"
            for a in audited.symptoms
        ]
        out.append("")
    for symptom in audited.symptoms:
        out += item_markdown(symptom, level=4, tables=symptom.item.id not in _EXPERIMENT_ITEMS)
    return out


def experiment_markdown(audit: Audit, name: str) -> list[str]:
    """One experiment: what it measures, its verdict's readings, its tables, its command."""
    item_id, purpose = EXPERIMENTS[name]
    audited = audit[item_id]
    result = audited.check
    out = [
        f"### {audited.item.title}",
        "",
        f"{purpose} Decides `{item_id}` (**{result.verdict}**).",
        "",
    ]
    out += [f"- {case.label}: {_mark(case)}. {case.detail}" for case in result.cases]
    out += [f"- {text}" for text in result.evidence if text]
    out.append("")
    for title, rows in result.tables:
        out += [f"*{title}*", "", _table(rows), ""]
    return out


def _program_markdown() -> list[str]:
    rows = [
        {
            "document line": f"{repair.first}"
            if repair.first == repair.last
            else f"{repair.first}-{repair.last}",
            "change": "inserted after" if repair.insert else "replaced",
            "item": f"`{repair.item}`",
            "title": get_item(repair.item).title,
        }
        for repair in sorted(ALL_REPAIRS, key=lambda r: (r.first, r.insert))
    ]
    return [
        "## The repaired program",
        "",
        "The toy program as printed (lines 114-176) against the program with every repair; hunks "
        "are numbered by document line. The first six changes make it run (without any one of "
        "them it fails: the items above run it so); the others make it do what its text says. "
        "With all of them, `chainrule audit` runs it: it prints the same table as with the first "
        "six alone.",
        "",
        "```diff",
        program_diff().rstrip("\n"),
        "```",
        "",
        _table(rows),
        "",
    ]


def _appendix_markdown(audit: Audit) -> list[str]:
    out = [
        "## Appendix: statements that hold",
        "",
        f"{len(audit.appendix)} statements hold as written: each evaluation agrees (formulas to "
        f"a relative error below {EXACT_RTOL:g}; those that agree to rounding show "
        f"{fmt_error(0.0)}).",
        "",
    ]
    for audited in audit.appendix:
        item, result = audited.item, audited.check
        errors = [case.error for case in result.cases if case.error is not None]
        worst = f"; worst relative error {fmt_error(max(errors))}" if errors else ""
        agreeing = sum(case.agrees for case in result.cases)
        out += [
            f"- **{item.title}** (`{item.id}`, {_line_word(item.lines)}; {result.method}): "
            f"evaluations agreeing {agreeing} of {len(result.cases)}{worst}. {item.claim}",
        ]
        notes = [text for text in result.evidence if text]
        if item.id in _EXPERIMENT_ITEMS:
            notes = ["Its cases, tables and design are under “The experiments”."]
        out += [f"  - {text}" for text in notes]
    out.append("")
    return out


def render_json(audit: Audit) -> str:
    return to_json(audit.to_dict(), ensure_ascii=False)


def render_markdown(audit: Audit) -> str:
    """``reports/errata.md``: the defects at a glance, the verdicts' rules, each defect with its
    symptoms, the experiments, the repaired program and the statements that hold."""
    counts = audit.counts()
    severity = audit.defect_counts()
    symptoms = sum(len(d.symptoms) for d in audit.defects)
    parts = [
        f"# {TITLE}",
        "",
        "Generated by `chainrule audit` (`verify.audit`); do not edit by hand. The audited "
        "document is `backpropagation-derivation.txt` (SHA-256 "
        f"`{DOCUMENT_SHA256[:16]}...`). Line numbers refer to it and start at 1, as in an "
        "editor; units, entries, rows and columns are numbered from 1 and layers from 0 (the "
        "input), as in the document.",
        "",
        f"**{len(audit.defects)} defects** ({', '.join(f'{n} {s}' for s, n in severity.items())} "
        f"severity) show in {symptoms} of the {len(audit.items)} audited statements; the other "
        f"{len(audit.appendix)} hold (appendix). Verdicts of the statements: "
        + ", ".join(f"{counts[v]} {v}" for v in counts)
        + ".",
        "",
        "## Defects at a glance",
        "",
        tabulate(defect_rows(audit), headers="keys", tablefmt="github"),
        "",
        "Kinds: " + "; ".join(f"**{kind}**, {meaning}" for kind, meaning in KINDS.items()) + ".",
        "",
        "Severity: "
        + "; ".join(f"**{level}**, {meaning}" for level, meaning in SEVERITIES.items())
        + ".",
        "",
        "## How the verdicts are computed",
        "",
        "Every audited statement is one claim of the document, transcribed as written (index "
        "ranges, subscripts, products and words included) into NumPy, SymPy or a run of the "
        "program, and evaluated against the truth:",
        "",
        "- **symbolic**: differentiation of the definitions by SymPy through chainrule's "
        "`derive` package (the tables' derivatives, the output delta, the backprop recursion);",
        "- **complex step**: exact derivatives (to rounding) of the forward functions alone, "
        "on networks whose layer sizes all differ, so that a wrong index range cannot hide; "
        f"formulas agree when their relative error is below {EXACT_RTOL:g} (rounding is "
        "about 1e-13 here, a wrong formula is off by order one);",
        "- **program**: the document's toy program, extracted from its text, compiled and run "
        "with and without each repaired line;",
        "- **experiment**: many seeded runs, each rate with its 95% Wilson interval (“The "
        "experiments”);",
        "- **document text**: rules applied to the text itself (a reference with nothing after "
        "it, spelling and grammar).",
        "",
        "One vocabulary, for the text as written (the literal reading is always evaluated):",
        "",
        *[f"- **{verdict}**: {meaning}." for verdict, meaning in VERDICT_MEANINGS.items()],
        "",
        "A statement that must hold in every situation is evaluated in several *cases* (“every "
        "case must agree”); one whose text has several readings is evaluated under each (“every "
        "reading of the text must agree”); a hedged claim under several fair conditions (“one "
        "fair condition must show it”). No verdict is typed in: each follows from the computed "
        "evaluations. A defect has no verdict of its own: its statements have theirs, and every "
        "statement that does not hold belongs to exactly one defect.",
        "",
        "## The defects",
        "",
    ]
    for n, audited in enumerate(audit.defects, start=1):
        parts += _defect_markdown(n, audited)
    parts += [
        "## The experiments",
        "",
        f"Seeds 0 to {audit.seeds[-1]} ({len(audit.seeds):,}) for the XOR runs, the first "
        f"{min(FAST_EXPERIMENT_SEEDS if audit.fast else CONVERGENCE_SEEDS, len(audit.seeds))} "
        "of them for the others; every rate comes with its 95% Wilson interval. Each "
        "experiment's command prints its tables again; `chainrule audit` reruns them all.",
        "",
    ]
    for name in EXPERIMENTS:
        parts += experiment_markdown(audit, name)
    parts += _program_markdown()
    parts += [
        "## Every audited statement",
        "",
        tabulate(summary_rows(audit), headers="keys", tablefmt="github"),
        "",
    ]
    parts += _appendix_markdown(audit)
    return "\n".join(parts).rstrip() + "\n"


def render_text(audit: Audit) -> str:
    """Plain text: the defects at a glance, then each statement's verdict, cases and
    correction."""
    lines = [
        TITLE,
        "",
        "Defects at a glance",
        "",
        tabulate(defect_rows(audit), headers="keys", tablefmt="simple"),
        "",
        tabulate(summary_rows(audit), headers="keys", tablefmt="simple"),
        "",
    ]
    for audited in audit.items:
        item, result = audited.item, audited.check
        lines += [f"[{item.id}] {item.title} (lines {_lines(item)}): {result.verdict}"]
        lines += [f"  {'+' if c.agrees else '-'} {c.label}: {c.detail}" for c in result.cases]
        if item.correction:
            lines.append(f"  correction: {item.correction}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def render_html(audit: Audit) -> str:
    """An HTML page with the defects at a glance and the statements' verdicts."""
    defects = tabulate(defect_rows(audit), headers="keys", tablefmt="html")
    table = tabulate(summary_rows(audit), headers="keys", tablefmt="html")
    return (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>chainrule errata</title>"
        f"</head><body>\n<h1>{TITLE}</h1>\n<h2>Defects at a glance</h2>\n{defects}\n"
        f"<h2>Every audited statement</h2>\n{table}\n</body></html>\n"
    )


def render_latex(audit: Audit) -> str:
    """A standalone LaTeX document (booktabs tables): the defects at a glance and the verdicts."""
    defects = [
        {k: v for k, v in r.items() if k in ("#", "lines", "kind", "severity")}
        | {"defect": audit.defects[r["#"] - 1].id}
        for r in defect_rows(audit)
    ]
    rows = [{k: v for k, v in r.items() if k != "title"} for r in summary_rows(audit)]
    tables = (
        "\\section*{Defects at a glance}\n"
        + tabulate(defects, headers="keys", tablefmt="latex_booktabs")
        + "\n\\section*{Every statement}\n"
        + "{\\small\n"
        + tabulate(rows, headers="keys", tablefmt="latex_booktabs")
        + "\n}"
    )
    title = "Errata: the reference document, formula by formula"
    return latex_document(title, tables, packages=("booktabs",))


FORMATS = {
    "md": ("errata.md", render_markdown),
    "json": ("errata.json", render_json),
    "txt": ("errata.txt", render_text),
    "html": ("errata.html", render_html),
    "tex": ("errata.tex", render_latex),
}


def write_audit(audit: Audit, output_dir, formats: Sequence[str] = ("md",)) -> list[Path]:
    """Write ``audit`` into ``output_dir`` in each of ``formats`` (keys of ``FORMATS``), atomically.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    if isinstance(formats, str):
        formats = [formats]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        known = ", ".join(map(repr, FORMATS))
        raise ValueError(f"formats must be a non-empty list of {known}, got {list(formats)!r}")
    output_dir = Path(output_dir)
    written = []
    for name in formats:
        filename, render = FORMATS[name]
        written.append(atomic_write(output_dir / filename, render(audit)))
    return written
