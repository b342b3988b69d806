"""The page template every page of the site shares, and the HTML building blocks of its pages.

A page is self-contained: its CSS is inline, its plots are data URIs, its math is MathML, and it
runs no script. The markup is valid HTML and well-formed XML at once (every element closed, void
elements self-closed, numeric character references only), so both an HTML5 parser and an XML parser
read it without an error. Nothing on a page depends on when or where it was made.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "CSS",
    "KIND_CLASSES",
    "NAVIGATION",
    "Cell",
    "anchor",
    "badge",
    "details",
    "escape",
    "figure",
    "page",
    "table",
]

# (file, label) of the pages in the navigation bar, in order.
NAVIGATION = (
    ("index.html", "Overview"),
    ("verification.html", "Verification"),
    ("errata.html", "Errata"),
    ("derivations.html", "Derivations"),
    ("performance.html", "Performance"),
)

# Colour classes of outcomes: comparison kinds (verify.core.findings.KINDS), audit verdicts and
# proof outcomes. Anything not listed is shown in the neutral colour.
KIND_CLASSES = {
    "ok": "good",
    "agree": "good",
    "all agree": "good",
    "holds": "good",
    "passed": "good",
    "exact": "good",
    "numeric": "good",
    "kink": "note",
    "holds only under a convention": "note",
    "imprecise": "warn",
    "scale": "warn",
    "transpose": "warn",
    "layer_order": "warn",
    "sign": "bad",
    "wrong": "bad",
    "mismatch": "bad",
    "nonfinite": "bad",
    "shape": "bad",
    "exception": "bad",
    "type": "bad",
    "mutation": "bad",
    "failed": "bad",
}

CSS = """
:root {
  --ink: #1b1f24; --muted: #57606a; --paper: #ffffff; --panel: #f6f8fa; --rule: #d0d7de;
  --link: #0a58ca; --accent: #24476b;
  --good: #1a7f37; --good-bg: #dafbe1; --note: #0969da; --note-bg: #ddf4ff;
  --warn: #9a6700; --warn-bg: #fff8c5; --bad: #cf222e; --bad-bg: #ffebe9;
  --neutral: #57606a; --neutral-bg: #eaeef2;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body {
  margin: 0; color: var(--ink); background: var(--paper);
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", "Liberation Sans",
    sans-serif;
}
header.site { background: var(--accent); color: #fff; }
header.site .bar {
  max-width: 72rem; margin: 0 auto; padding: 0.6rem 1rem;
  display: flex; flex-wrap: wrap; align-items: baseline; gap: 0.3rem 1.2rem;
}
header.site .brand { font-weight: 700; color: #fff; text-decoration: none; font-size: 1.1rem; }
header.site nav { display: flex; flex-wrap: wrap; gap: 0.2rem 1rem; }
header.site nav a { color: #dbe9f7; text-decoration: none; padding: 0.1rem 0; }
header.site nav a:hover { color: #fff; text-decoration: underline; }
header.site nav a[aria-current="page"] { color: #fff; border-bottom: 2px solid #fff; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem 1rem 3rem; }
footer { max-width: 72rem; margin: 0 auto; padding: 1rem; color: var(--muted);
  border-top: 1px solid var(--rule); font-size: 0.875rem; }
h1 { font-size: 1.9rem; line-height: 1.25; margin: 0.8rem 0 0.6rem; }
h2 { font-size: 1.4rem; margin: 2.2rem 0 0.6rem; padding-bottom: 0.2rem;
  border-bottom: 1px solid var(--rule); }
h3 { font-size: 1.12rem; margin: 1.6rem 0 0.4rem; }
p, ul, ol { margin: 0.5rem 0; }
li { margin: 0.15rem 0; }
a { color: var(--link); }
.lead { font-size: 1.08rem; color: #33393f; }
.muted { color: var(--muted); }
code { font-family: "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace;
  font-size: 0.88em; background: var(--panel); padding: 0.05em 0.3em; border-radius: 4px;
  overflow-wrap: anywhere; }
pre { background: var(--panel); padding: 0.6rem 0.8rem; border-radius: 6px; overflow-x: auto; }
pre code { background: none; padding: 0; }
blockquote { margin: 0.6rem 0; padding: 0.3rem 0.9rem; border-left: 4px solid var(--rule);
  color: #33393f; background: #fbfcfd; }
blockquote p { margin: 0.3rem 0; }
math { font-family: "STIX Two Math", "Latin Modern Math", "DejaVu Math TeX Gyre",
  "Cambria Math", math; font-size: 1.05em; }
td math { math-style: normal; }
.equation { overflow-x: auto; overflow-y: hidden; padding: 0.3rem 0; margin: 0.4rem 0; }
.equation math { margin: 0 auto; }
.wide-math { display: inline-block; max-width: 100%; overflow-x: auto; overflow-y: hidden;
  vertical-align: middle; }
mtable.aligned mtd.left-side { text-align: right; }
mtd[columnalign="left"] { text-align: left; }
mtable.aligned mtd.right-side { text-align: left; }
.scroll { overflow-x: auto; margin: 0.6rem 0; border: 1px solid var(--rule); border-radius: 6px; }
table { border-collapse: collapse; width: 100%; font-size: 0.92rem; }
.scroll > table { margin: 0; }
th, td { text-align: left; vertical-align: top; padding: 0.35rem 0.6rem;
  border-bottom: 1px solid var(--rule); }
th { background: var(--panel); font-weight: 600; white-space: nowrap; }
tbody tr:last-child td { border-bottom: none; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.badge { display: inline-block; padding: 0.05rem 0.5rem; border-radius: 999px;
  font-size: 0.82rem; font-weight: 600; white-space: nowrap; border: 1px solid transparent; }
.good { color: var(--good); background: var(--good-bg); border-color: #aceebb; }
.note { color: var(--note); background: var(--note-bg); border-color: #b6e3ff; }
.warn { color: var(--warn); background: var(--warn-bg); border-color: #f5e0a0; }
.bad { color: var(--bad); background: var(--bad-bg); border-color: #ffcecb; }
.neutral { color: var(--neutral); background: var(--neutral-bg); border-color: var(--rule); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 26rem), 1fr));
  gap: 0.9rem; margin: 1rem 0; }
.card { border: 1px solid var(--rule); border-radius: 8px; padding: 0.8rem 1rem;
  background: var(--paper); }
.card h2 { border: none; margin: 0 0 0.4rem; font-size: 1.15rem; padding: 0; }
.card p { margin: 0.3rem 0; }
.card .badge { white-space: normal; }
td.shrink, th.shrink { width: 1%; white-space: nowrap; }
.phone-only { display: none; }
table.glance { table-layout: fixed; }
table.glance th:nth-child(1) { width: 3.2rem; }
table.glance th:nth-child(2) { width: 8rem; }
table.glance th:nth-child(3) { width: 14rem; }
table.glance th:nth-child(4) { width: 6.5rem; }
table.glance .badge { white-space: normal; }
nav.toc { display: flex; flex-wrap: wrap; gap: 0.3rem 0.5rem; margin: 0.6rem 0; }
nav.toc a { padding: 0.1rem 0.6rem; border: 1px solid var(--rule); border-radius: 999px;
  text-decoration: none; font-size: 0.9rem; background: var(--panel); }
.chips { display: flex; flex-wrap: wrap; gap: 0.3rem; margin: 0.4rem 0; }
table.grid { width: auto; min-width: 100%; border-collapse: separate; border-spacing: 0; }
table.grid th:first-child, table.grid td:first-child { position: sticky; left: 0; z-index: 1;
  background: var(--paper); border-right: 1px solid var(--rule); }
table.grid th:first-child { background: var(--panel); }
table.grid td:first-child code { overflow-wrap: normal; white-space: nowrap; }
table.grid td { vertical-align: middle; border-bottom: 2px solid var(--paper); }
table.grid td.cell { padding: 0; text-align: center; min-width: 8.5rem;
  border-left: 2px solid var(--paper); border-top: none; border-right: none; }
table.grid td.cell a { display: block; padding: 0.45rem 0.4rem; text-decoration: none;
  color: inherit; }
table.grid td.cell a:hover, table.grid td.cell a:focus { outline: 2px solid var(--link);
  outline-offset: -2px; }
table.grid td.cell .sub { display: block; font-size: 0.78rem; font-weight: 400; opacity: 0.85; }
table.grid td.empty { color: var(--muted); text-align: center; }
.legend { display: flex; flex-wrap: wrap; gap: 0.35rem 0.8rem; align-items: center;
  font-size: 0.9rem; }
details { border: 1px solid var(--rule); border-radius: 6px; padding: 0.3rem 0.8rem;
  margin: 0.6rem 0; background: var(--paper); }
details > summary { cursor: pointer; font-weight: 600; padding: 0.2rem 0; }
details[open] > summary { margin-bottom: 0.4rem; }
article.item { border-top: 1px solid var(--rule); padding-top: 0.4rem; margin-top: 1.4rem; }
article.item h3 { margin-top: 0.4rem; }
.meta { color: var(--muted); font-size: 0.9rem; display: flex; flex-wrap: wrap;
  gap: 0.2rem 0.8rem; align-items: center; }
figure { margin: 1rem 0; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid var(--rule);
  border-radius: 6px; background: #fff; }
figcaption { color: var(--muted); font-size: 0.9rem; margin-top: 0.3rem; }
:target { scroll-margin-top: 1rem; }
section.case:target, article.item:target { background: #fffbe6; }
.tex-fallback { font-style: italic; }
@media (max-width: 40rem) {
  body { font-size: 15px; }
  h1 { font-size: 1.5rem; }
  h2 { font-size: 1.22rem; }
  main { padding: 0.6rem 0.75rem 2rem; }
  th, td { padding: 0.3rem 0.45rem; }
  table.grid td.cell { min-width: 5.8rem; }
  table.grid td.cell .sub { font-size: 0.72rem; }
  table.stack, table.stack tbody, table.stack tr, table.stack td { display: block; width: auto; }
  table.stack thead { display: none; }
  table.stack tr { padding: 0.45rem 0.6rem; border-bottom: 1px solid var(--rule); }
  table.stack tbody tr:last-child { border-bottom: none; }
  table.stack td { border: none; padding: 0.1rem 0; text-align: left; }
  table.stack td.inline { display: inline-block; margin-right: 0.5rem; }
  table.stack td.muted-phone { color: var(--muted); font-size: 0.9rem; }
  .phone-only { display: inline; }
}
@media print {
  header.site, footer { display: none; }
  main { max-width: none; padding: 0; }
  body { font-size: 11pt; }
  a { color: inherit; text-decoration: none; }
  .scroll { overflow: visible; border: none; }
  .equation { overflow: visible; }
  details { border: none; padding: 0; }
  details::details-content { content-visibility: visible; display: block; }
  h2, h3 { break-after: avoid; }
  tr, figure, .equation { break-inside: avoid; }
  .badge, .good, .note, .warn, .bad, .neutral { print-color-adjust: exact;
    -webkit-print-color-adjust: exact; }
}
"""


class _AsciiTable(dict):
    """``str.translate`` table: characters outside ASCII become numeric references."""

    def __missing__(self, code: int):
        value = chr(code) if code < 128 else f"&#x{code:X};"
        self[code] = value
        return value


_ASCII = _AsciiTable()


def escape(text) -> str:
    """Plain text for HTML, ASCII only (other characters as numeric references)."""
    escaped = html.escape(str(text), quote=True).replace("&#x27;", "&#39;")
    return "".join(c if ord(c) < 128 else f"&#x{ord(c):X};" for c in escaped)


def anchor(*parts: str) -> str:
    """An id made of ``parts``: letters, digits and hyphens only."""
    text = "-".join(str(part) for part in parts)
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-") or "section"


def badge(label: str, kind: str | None = None) -> str:
    """``label`` in a coloured pill; the colour is ``KIND_CLASSES[kind or label]``."""
    css = KIND_CLASSES.get(kind if kind is not None else label, "neutral")
    return f'<span class="badge {css}">{escape(label)}</span>'


@dataclass(frozen=True)
class Cell:
    """A table cell holding ready HTML, with optional classes (``num`` aligns right)."""

    html: str
    classes: str = ""


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence],
    *,
    numeric: Sequence[int] = (),
    caption: str | None = None,
    classes: str = "",
) -> str:
    """A table in a horizontally scrolling box. Cells are ``Cell`` (HTML) or plain values
    (escaped); columns listed in ``numeric`` are right-aligned."""

    def cell(tag: str, value, column: int) -> str:
        css = "num" if column in numeric else ""
        if isinstance(value, Cell):
            content, css = value.html, " ".join(c for c in (css, value.classes) if c)
        else:
            content = escape(value)
        attribute = f' class="{css}"' if css else ""
        return f"<{tag}{attribute}>{content}</{tag}>"

    head = "".join(
        cell("th", Cell(h) if h.startswith("<") else h, n) for n, h in enumerate(headers)
    )
    body = "\n".join(
        "<tr>" + "".join(cell("td", value, n) for n, value in enumerate(row)) + "</tr>"
        for row in rows
    )
    table_class = f' class="{classes}"' if classes else ""
    title = f"<caption>{caption}</caption>" if caption else ""
    return (
        f'<div class="scroll"><table{table_class}>{title}<thead><tr>{head}</tr></thead>\n'
        f"<tbody>\n{body}\n</tbody></table></div>"
    )


def details(summary: str, body: str, *, open_: bool = False) -> str:
    """A folded block: ``summary`` (HTML) shown, ``body`` (HTML) below it."""
    opened = ' open="open"' if open_ else ""
    return f"<details{opened}><summary>{summary}</summary>\n{body}\n</details>"


def figure(plot: tuple | None, alt: str, caption: str) -> str:
    """A plot, ``(data URI, width, height)``, with its alternative text and a caption (HTML);
    without a plot (``None``: matplotlib, the [plot] extra, is missing) a note takes its place."""
    if plot is None:
        image = '<p class="muted">This plot needs matplotlib (the [plot] extra).</p>'
    else:
        uri, width, height = plot
        image = f'<img src="{uri}" alt="{escape(alt)}" width="{width}" height="{height}"/>'
    return f"<figure>{image}<figcaption>{caption}</figcaption></figure>"


def page(
    filename: str,
    title: str,
    body: str,
    *,
    description: str,
    navigation=NAVIGATION,
    generator: str = "chainrule report",
) -> str:
    """A whole page: head with inline CSS, the site's navigation, ``body`` (HTML), a footer.

    ``filename`` marks the current page in the navigation; ``navigation=()`` leaves the bar out
    (a page that stands alone, such as the oracle's); ``generator`` is the command named in
    the footer.
    """
    current = ' aria-current="page"'
    links = "".join(
        f'<a href="{href}"{current if href == filename else ""}>{escape(label)}</a>'
        for href, label in navigation
    )
    brand_href = navigation[0][0] if navigation else "#top"
    nav = f'<nav aria-label="Reports">{links}</nav>' if navigation else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8"/>\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1"/>\n'
        f"<title>{escape(title)} &#x2013; chainrule</title>\n"
        f'<meta name="description" content="{escape(description)}"/>\n'
        '<link rel="icon" href="data:,"/>\n'
        f"<style>{CSS}</style>\n</head>\n"
        '<body id="top">\n<header class="site"><div class="bar">'
        f'<a class="brand" href="{brand_href}">chainrule</a>{nav}</div></header>\n'
        f"<main>\n{body}\n</main>\n"
        f"<footer>Generated by <code>{escape(generator)}</code>; do not edit by hand.</footer>\n"
        "</body>\n</html>\n"
    ).translate(_ASCII)
