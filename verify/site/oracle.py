"""The oracle's page: one gradient check as a self-contained page to share in a code review.

``render_oracle_page`` turns a ``verify.oracle.GradientReport`` into a whole page (the verdict,
what was checked, the findings table and the diagnosis, and the command that repeats the check);
``write_oracle_page`` writes it as ``index.html`` into a directory.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from numeric.files import atomic_write
from verify.core.summary import TABLE_HEADERS
from verify.site.mathml import inline
from verify.site.page import Cell, badge, escape, page, table

__all__ = ["render_oracle_page", "write_oracle_page"]

# The settings shown, in order, with their labels.
SETTINGS = (
    ("mode", "reference"),
    ("sizes", "sizes"),
    ("activations", "activations"),
    ("cost", "cost"),
    ("layout", "layout"),
    ("reduction", "reduction"),
    ("dtype", "dtype"),
    ("n_samples", "samples"),
    ("seed", "seed"),
    ("method", "method"),
    ("rtol", "rtol"),
    ("atol", "atol"),
)
# Command-line options that repeat a check, from its settings.
OPTIONS = (
    ("sizes", "--sizes"),
    ("activations", "--activation"),
    ("cost", "--cost"),
    ("layout", "--layout"),
    ("reduction", "--reduction"),
    ("dtype", "--dtype"),
    ("seed", "--seed"),
    ("n_samples", "--n-samples"),
)


def _value(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_value(v) for v in value)
    return str(value)


def _number(value) -> str:
    return "-" if value is None else f"{value:.3g}"


def _command(function: str, settings: dict) -> str | None:
    if not function or "sizes" not in settings:
        return None
    words = ["chainrule", "oracle", function]
    for key, option in OPTIONS:
        value = settings.get(key)
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            value = ",".join(map(str, value))
        words += [option, str(value)]
    return " ".join(shlex.quote(word) for word in words)


def render_oracle_page(report, function: str = "") -> str:
    """The whole page for ``report`` (a GradientReport); ``function`` names what was checked."""
    settings = dict(report.settings)
    passed = report.passed
    verdict = badge("PASSED", "passed") if passed else badge("FAILED", "failed")
    name = f"<code>{escape(function)}</code>" if function else "a gradient function"
    rows = []
    for f in report.findings:
        rows.append(
            [
                Cell("-" if f.layer is None else str(f.layer), "num"),
                f.param or "-",
                Cell(badge(f.kind)),
                Cell(escape(_number(f.max_rel_error)), "num"),
                "-" if f.worst_index is None else str(list(f.worst_index)),
                Cell(escape(_number(f.candidate_value)), "num"),
                Cell(escape(_number(f.reference_value)), "num"),
                Cell(inline(f.detail) if f.detail else ""),
            ]
        )
    known = {key for key, _ in SETTINGS}
    shown = [(label, settings[key]) for key, label in SETTINGS if settings.get(key) is not None]
    shown += [(key.replace("_", " "), value) for key, value in settings.items() if key not in known]
    failing = len(report.failures())
    parts = [
        f"<h1>Gradient check of {name}</h1>",
        f'<p class="lead">{verdict} {len(report.findings) - failing} of '
        f"{len(report.findings)} findings pass.</p>",
        '<h2 id="diagnosis">Diagnosis</h2>',
        f"<p>{inline(report.summary) if report.summary else 'No finding to summarise.'}</p>",
        '<h2 id="findings">Findings</h2>',
        "<p>One row per layer and parameter: what the candidate's gradient is against "
        "chainrule's reference (cross-checked by complex-step differences), its largest "
        "relative error, where that occurs, and both values there.</p>",
        table(list(TABLE_HEADERS), rows, numeric=(0, 3, 5, 6)),
        '<h2 id="settings">What was checked</h2>',
        table(["setting", "value"], [[label, _value(value)] for label, value in shown]),
    ]
    command = _command(function, settings)
    if command:
        parts += [
            "<p>To repeat the check:</p>",
            f"<pre><code>{escape(command)}</code></pre>",
        ]
    title = f"Gradient check: {'passed' if passed else 'failed'}"
    return page(
        "index.html",
        title,
        "\n".join(parts),
        description=f"chainrule's gradient check of {function or 'a gradient function'}",
        navigation=(),
        generator="chainrule oracle",
    )


def write_oracle_page(report, output_dir, function: str = "") -> Path:
    """Write ``render_oracle_page(report, function)`` as ``output_dir/index.html``, atomically."""
    return atomic_write(Path(output_dir) / "index.html", render_oracle_page(report, function))
