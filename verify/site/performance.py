"""The performance page: the benchmarks' Markdown (``reports/performance.md``, written by
``chainrule bench``) with a table of contents. Its timings belong to the machine that measured
them; ``chainrule report`` shows them as they are."""

from __future__ import annotations

from verify.site.markdown import render_markdown
from verify.site.mathml import inline
from verify.site.page import anchor

__all__ = ["render_performance"]


def render_performance(markdown: str | None) -> str:
    """The body of ``performance.html`` from the benchmarks' Markdown (None: not measured)."""
    parts = [
        "<h1>Performance</h1>",
        '<p class="lead">Timings measured by <code>chainrule bench</code> on the machine each '
        "section names; <code>chainrule report</code> does not measure them, so they are the "
        "last benchmark run's.</p>",
    ]
    if not markdown:
        parts.append(
            "<p>No timings yet: run <code>chainrule bench train derive check</code>, then "
            "<code>chainrule report</code>.</p>"
        )
        return "\n".join(parts)
    lines = markdown.splitlines()
    if lines and lines[0].startswith("# "):  # the file's own title: this page has one
        lines = lines[1:]
    sections = [line[3:].strip() for line in lines if line.startswith("## ")]
    if sections:
        parts.append(
            "<ul>"
            + "".join(f'<li><a href="#{anchor(s)}">{inline(s)}</a></li>' for s in sections)
            + "</ul>"
        )
    parts.append(render_markdown("\n".join(lines)))
    return "\n".join(parts)
