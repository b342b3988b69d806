"""Building the site: every page from the matrix, the audit, the report set's derivations, the
benchmarks' Markdown and the plots, written atomically into one directory.

The pages hold no date, no path and no timing of their own making; numbers are rounded as in the
Markdown reports. Only the plots (SVG from the installed matplotlib, on curves whose rounding-level
parts vary with the machine's libm) and the performance page (timings) differ between machines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from numeric.files import atomic_write
from verify.site.derivation import Derivation, render_derivation, render_derivations
from verify.site.errata import defects, render_errata
from verify.site.matrix import render_verification
from verify.site.page import badge, escape, page
from verify.site.performance import render_performance

__all__ = ["PAGES", "REPORT_SET", "NetworkSpec", "build_site", "derive_report_set"]


@dataclass(frozen=True)
class NetworkSpec:
    """A network of the report set: what ``derive.derive_network`` is given, and how the site
    names it."""

    slug: str
    title: str
    summary: str  # Markdown: $...$ math
    sizes: tuple[int, ...]
    activations: str | tuple[str, ...]
    cost: str


REPORT_SET = (
    NetworkSpec(
        "xor",
        "The XOR network: sigmoid and cross-entropy",
        "The reference document's toy example, a 2-2-1 sigmoid network with binary "
        "cross-entropy, where the output delta collapses to $a - y$.",
        (2, 2, 1),
        "sigmoid",
        "cross_entropy",
    ),
    NetworkSpec(
        "tanh",
        "A tanh network with squared error",
        "Hyperbolic tangent in every layer and the squared error: the derivative in terms of the "
        "output, $1 - a^2$, enters every delta.",
        (2, 3, 1),
        "tanh",
        "squared_error",
    ),
    NetworkSpec(
        "relu",
        "A ReLU hidden layer under a sigmoid output",
        "A rectified linear hidden layer, whose derivative is a Heaviside step with a convention "
        "at the kink, under a sigmoid output with binary cross-entropy.",
        (2, 3, 1),
        ("relu", "sigmoid"),
        "cross_entropy",
    ),
    NetworkSpec(
        "softmax",
        "Softmax with categorical cross-entropy",
        "A tanh hidden layer under a softmax output: the output Jacobian is not diagonal, and "
        "with categorical cross-entropy the output delta is $a - y$ when each sample's targets "
        "sum to 1.",
        (2, 2, 3),
        ("tanh", "softmax"),
        "categorical_cross_entropy",
    ),
)

# (file, title, description) of the site's fixed pages; the derivation pages come from REPORT_SET.
PAGES = (
    ("index.html", "Reports", "chainrule's reports: verification, errata, derivations, timings"),
    (
        "verification.html",
        "Verification matrix",
        "Symbolic, analytic and finite-difference gradients of every activation and cost",
    ),
    ("errata.html", "Errata", "The reference document's formulas checked one by one"),
    ("derivations.html", "Derivations", "Small networks' gradients derived with SymPy"),
    ("performance.html", "Performance", "Timings of chainrule beside its peers"),
)


def derive_report_set(specs: Sequence[NetworkSpec] = REPORT_SET, seed: int = 0) -> list[Derivation]:
    """Derive and prove every network of ``specs`` (the proof's random points from ``seed``)."""
    import derive

    derivations = []
    for spec in specs:
        activations = (
            spec.activations if isinstance(spec.activations, str) else list(spec.activations)
        )
        network = derive.derive_network(list(spec.sizes), activations, spec.cost)
        derivations.append(
            Derivation(spec.slug, spec.title, spec.summary, network, network.prove(seed=seed))
        )
    return derivations


def _plots():
    """(step plot, XOR loss plot) as (data URI, width, height), or (None, None) without
    matplotlib (the optional [plot] extra)."""
    try:
        from verify.bench.plots import step_error_figure, svg_data_uri, xor_loss_figure
    except ImportError:  # pragma: no cover - matplotlib missing
        return None, None
    try:
        return svg_data_uri(step_error_figure()), svg_data_uri(xor_loss_figure())
    except ImportError:  # pragma: no cover - matplotlib missing
        return None, None


def _index(matrix, audit, derivations) -> str:
    corrected = [r for r in matrix.results if r.case.conventions == "corrected"]
    agree = sum(r.passed for r in corrected)
    status = (
        badge("corrected conventions: all agree", "ok")
        if matrix.passed
        else badge("corrected conventions: FAILURES", "failed")
    )
    counts = audit.counts()
    chips = "".join(badge(f"{n} {verdict}", verdict) for verdict, n in counts.items() if n)
    derivation_items = "".join(
        f'<li><a href="{d.filename}">{escape(d.title)}</a> '
        + (badge("proven", "ok") if d.proof.equal else badge("proof fails", "failed"))
        + "</li>"
        for d in derivations
    )
    as_written = [r for r in matrix.results if r.case.conventions != "corrected"]
    differing = sum(not r.passed for r in as_written)
    kinds = sorted(
        {
            f.kind
            for r in as_written
            if not r.passed
            for findings in r.comparisons.values()
            for f in findings
            if not f.passed
        }
    )
    named = f", each named ({', '.join(kinds)})" if kinds else ""
    cards = [
        (
            "verification.html",
            "Verification matrix",
            f"<p>{status}</p><p>{agree} of {len(corrected)} cases agree three ways (symbolic, "
            "analytic, finite differences) under chainrule's conventions; "
            f"{differing} of {len(as_written)} disagree under the reference document taken "
            f"literally{named}, in a colour-coded grid.</p>",
        ),
        (
            "errata.html",
            "Errata of the reference document",
            f'<div class="chips">{chips}</div><p>{len(audit.items)} formulas, table rows, '
            f"claims and program lines checked; {len(defects(audit))} defects, each with its "
            "evidence and a checked correction.</p>",
        ),
        (
            "derivations.html",
            "Derivations",
            "<p>Forward pass, deltas and gradients derived with SymPy and proven equal to direct "
            f"differentiation:</p><ul>{derivation_items}</ul>",
        ),
        (
            "performance.html",
            "Performance",
            "<p>One training step, the symbolic derivation and a full gradient check timed beside "
            "PyTorch and a textbook implementation (measured by <code>chainrule bench</code>, so "
            "these numbers belong to the machine that ran it).</p>",
        ),
    ]
    body = [
        "<h1>chainrule reports</h1>",
        '<p class="lead">chainrule derives, computes and verifies the gradients of fully '
        "connected networks: a SymPy derivation, a NumPy trainer and a harness that checks every "
        "gradient three ways. These pages are its reports, regenerated by <code>chainrule "
        "report</code>.</p>",
        '<div class="cards">',
    ]
    for href, title, text in cards:
        body.append(
            f'<section class="card"><h2><a href="{href}">{escape(title)}</a></h2>{text}</section>'
        )
    body.append("</div>")
    return "\n".join(body)


def build_site(
    output_dir,
    *,
    matrix,
    audit,
    derivations: Sequence[Derivation] | None = None,
    performance=None,
    plots: bool = True,
) -> list[Path]:
    """Write the site into ``output_dir``; return the files written.

    Parameters
    ----------
    output_dir : path
    matrix : verify.matrix.run.Matrix
        The cross-check matrix (``run_matrix()``).
    audit : verify.audit.Audit
        The audit of the reference document (``run_audit()``).
    derivations : sequence of Derivation, optional
        Default: ``derive_report_set()``.
    performance : path or str, optional
        The benchmarks' Markdown (``reports/performance.md``); a missing file gives a page that
        says how to measure.
    plots : bool
        Embed the plots (needs matplotlib, the [plot] extra; left out without it).
    """
    output_dir = Path(output_dir)
    derivations = derive_report_set() if derivations is None else list(derivations)
    step_plot, loss_plot = _plots() if plots else (None, None)
    markdown = None
    if performance is not None and Path(performance).is_file():
        markdown = Path(performance).read_text(encoding="utf-8")
    titles = {name: (title, description) for name, title, description in PAGES}
    bodies = {
        "index.html": _index(matrix, audit, derivations),
        "verification.html": render_verification(matrix, step_plot),
        "errata.html": render_errata(audit),
        "derivations.html": render_derivations(derivations),
        "performance.html": render_performance(markdown),
    }
    pages = {
        name: page(name, *titles[name][:1], body, description=titles[name][1])
        for name, body in bodies.items()
    }
    for d in derivations:
        body = render_derivation(d, loss_plot, training=d.slug == "xor")
        description = d.summary.replace("$", "")
        pages[d.filename] = page("derivations.html", d.title, body, description=description)
    return [atomic_write(output_dir / name, text) for name, text in pages.items()]
