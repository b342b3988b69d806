"""The errata page: the defects of the reference document at a glance, then every item in document
order with its quotes, claim and correction, and its evidence folded below.

It reads ``verify.audit``'s public objects (``Audit.items``, each ``AuditedItem`` with its ``item``
and ``check``, and the verdict constants) rather than the Markdown report, and reads them
tolerantly: an attribute that is missing is left out, a verdict it does not know is shown in the
neutral colour and counted as a defect.
"""

from __future__ import annotations

from verify.audit import CONVENTION, HOLDS, IMPRECISE, WRONG, Audit
from verify.audit.defects import format_lines
from verify.site.mathml import inline, latex
from verify.site.page import Cell, anchor, badge, details, escape, table

__all__ = ["defects", "render_errata"]

# Defects first by severity, then in document order; verdicts not listed come after these.
SEVERITY = (WRONG, IMPRECISE, CONVENTION)


# Severity badges borrow the verdict colours: high as wrong, medium as imprecise, low neutral.
_SEVERITY_STYLE = {"high": WRONG, "medium": IMPRECISE, "low": CONVENTION}


def _get(obj, name: str, default=None):
    return getattr(obj, name, default)


def _lines(item) -> str:
    lines = list(_get(item, "lines", None) or [])
    if len(lines) > 2 and lines == list(range(lines[0], lines[-1] + 1)):
        return f"{lines[0]}\u2013{lines[-1]}"
    return ", ".join(map(str, lines))


def _line_word(item) -> str:
    return "line" if len(list(_get(item, "lines", None) or [])) == 1 else "lines"


def _item_id(audited) -> str:
    return anchor("item", _get(audited.item, "id", "") or _get(audited.item, "title", ""))


def defects(audit: Audit) -> list:
    """The items whose verdict is not "holds", the most serious verdicts first."""
    found = [a for a in audit.items if a.verdict != HOLDS]
    rank = {verdict: n for n, verdict in enumerate(SEVERITY)}
    return sorted(found, key=lambda a: rank.get(a.verdict, len(SEVERITY)))  # stable: doc order


def _quote(location) -> str:
    line = _get(location, "line", "?")
    quote = _get(location, "quote", "")
    kind = _get(location, "kind", "text")
    if kind == "code":
        body = f"<pre><code>{escape(quote.replace(chr(9), '    '))}</code></pre>"
    elif kind == "math":
        body = f'<div class="equation">{latex(quote, display=True)}</div>'
    else:
        body = f"<p>{inline(quote)}</p>"
    return f'<p class="muted">line {escape(line)}:</p>{body}'


def _cases(check) -> str:
    cases = list(_get(check, "cases", None) or [])
    items = []
    for case in cases:
        agrees = _get(case, "agrees", False)
        if agrees:
            mark = badge("agrees", "ok")
        elif _get(case, "convention", False):
            mark = badge("differs: a convention", "kink")
        else:
            mark = badge("disagrees", "wrong")
        detail = _get(case, "detail", "")
        items.append(
            f"<li>{inline(str(_get(case, 'label', '')))}: {mark}"
            + (f" {inline(str(detail))}" if detail else "")
            + "</li>"
        )
    items += [
        f"<li>{inline(str(text))}</li>" for text in _get(check, "evidence", None) or [] if text
    ]
    parts = [f"<ul>{''.join(items)}</ul>"] if items else []
    for title, rows in _get(check, "tables", None) or []:
        rows = list(rows)
        if not rows:
            continue
        headers = list(rows[0])
        parts.append(f"<p><em>{inline(str(title))}</em></p>")
        parts.append(
            table(
                [escape(h) for h in headers],
                [[Cell(inline(str(row.get(h, "")))) for h in headers] for row in rows],
            )
        )
    return "\n".join(parts)


def _evidence(check) -> str:
    cases = list(_get(check, "cases", None) or [])
    agreeing = sum(bool(_get(case, "agrees", False)) for case in cases)
    rule = "every case must agree" if _get(check, "by", "cases") == "cases" else "the readings"
    method = _get(check, "method", "")
    summary = (
        f"Evidence: {len(cases)} case{'s' if len(cases) != 1 else ''}, {agreeing} agree"
        f' <span class="muted">({escape(method)}; {rule})</span>'
    )
    return details(summary, _cases(check))


def _article(number: int, audited) -> str:
    item, check = audited.item, audited.check
    verdict = audited.verdict
    parts = [
        f'<article class="item" id="{_item_id(audited)}">',
        f"<h3>{number}. {inline(str(_get(item, 'title', '')))}</h3>",
        f'<p class="meta">{badge(verdict)} <code>{escape(_get(item, "id", ""))}</code>'
        f"<span>{_line_word(item)} {escape(_lines(item))}</span>"
        + (f"<span>{escape(_get(item, 'kind'))}</span>" if _get(item, "kind") else "")
        + "</p>",
    ]
    locations = list(_get(item, "locations", None) or [])
    if locations:
        parts.append("<blockquote>" + "".join(_quote(loc) for loc in locations) + "</blockquote>")
    claim = _get(item, "claim")
    if claim:
        parts.append(f"<p><strong>Claim.</strong> {inline(claim)}</p>")
    correction = _get(item, "correction")
    if correction:
        holds = _get(check, "correction_holds")
        checked = {
            True: " " + badge("checked: holds", "ok"),
            False: " " + badge("checked: does not hold", "wrong"),
        }.get(holds, "")
        parts.append(f"<p><strong>Correction.</strong> {inline(correction)}{checked}</p>")
    parts.append(_evidence(check))
    parts.append("</article>")
    return "\n".join(parts)


def _glance(audit: Audit) -> str:
    """One row per defect of the document (``Audit.defects``), its symptoms linked below; an
    audit without defects grouped falls back to one row per item that does not hold."""
    grouped = getattr(audit, "defects", None)
    if grouped is None:
        return _glance_by_item(audit)
    rows = []
    for number, audited_defect in enumerate(grouped, start=1):
        defect = audited_defect.defect
        links = ", ".join(
            f'<a href="#{_item_id(symptom)}">{escape(symptom.item.id)}</a>'
            for symptom in audited_defect.symptoms
        )
        rows.append(
            [
                Cell(str(number), "num shrink inline"),
                Cell(badge(defect.severity, _SEVERITY_STYLE.get(defect.severity)), "shrink inline"),
                Cell(f'{inline(defect.name)} <span class="muted">({escape(defect.kind)})</span>'),
                Cell(escape(format_lines(defect.lines)), "inline muted-phone"),
                Cell(inline(defect.fix)),
                Cell(links),
            ]
        )
    if not rows:
        return "<p>Every item holds.</p>"
    headers = ["#", "severity", "defect", "lines", "fix", "symptoms"]
    return table(headers, rows, classes="stack glance")


def _glance_by_item(audit: Audit) -> str:
    numbers = {id(a): n for n, a in enumerate(audit.items, start=1)}
    rows = []
    for audited in defects(audit):
        item = audited.item
        correction = _get(item, "correction")
        rows.append(
            [
                Cell(str(numbers[id(audited)]), "num shrink inline"),
                Cell(badge(audited.verdict), "shrink inline"),
                Cell(f'<a href="#{_item_id(audited)}">{inline(str(_get(item, "title", "")))}</a>'),
                Cell(
                    f'<span class="phone-only">{_line_word(item)} </span>{escape(_lines(item))}',
                    "inline muted-phone",
                ),
                Cell(inline(correction) if correction else '<span class="muted">\u2014</span>'),
            ]
        )
    if not rows:
        return "<p>Every item holds.</p>"
    return table(["#", "verdict", "item", "lines", "correction"], rows, classes="stack glance")


def render_errata(audit: Audit) -> str:
    """The body of ``errata.html``."""
    counts = audit.counts()
    extra = sorted({a.verdict for a in audit.items} - set(counts))
    for verdict in extra:  # verdicts the audit does not count (tolerated, shown neutral)
        counts[verdict] = sum(a.verdict == verdict for a in audit.items)
    chips = "".join(f"{badge(f'{n} {verdict}', verdict)}" for verdict, n in counts.items())
    grouped = getattr(audit, "defects", None)
    n_defects = len(grouped) if grouped is not None else len(defects(audit))
    parts = [
        "<h1>Errata: the reference document, formula by formula</h1>",
        f'<p class="lead">Every displayed equation, table row, testable claim and line of the toy '
        f"program of <code>backpropagation-derivation.txt</code> is transcribed as written and "
        f"evaluated against the truth (SymPy differentiation, complex-step derivatives, the "
        f"program run, seeded experiments). {len(audit.items)} items; line numbers refer to the "
        "document.</p>",
        f'<div class="chips">{chips}</div>',
        '<h2 id="defects">Defects at a glance</h2>',
        f"<p>The document's {n_defects} defects, the most serious first; each links to the "
        "items that show it, with their evidence below.</p>",
        _glance(audit),
        '<h2 id="verdicts">How the verdicts are computed</h2>',
        "<p>A statement that must hold in every situation is evaluated in several "
        f"<em>cases</em>: it {badge(HOLDS)} when all agree, is {badge(WRONG)} when one disagrees, "
        f"and {badge(CONVENTION)} when the only disagreements are a choice on which correct "
        "implementations differ. A statement whose notation admits several <em>readings</em> (an "
        "undefined symbol, an index free on one side, an unspecified product), or a hedged "
        f"empirical claim tested under several conditions, is {badge(IMPRECISE)} when some "
        "readings agree and some do not. No verdict is typed in: each follows from the computed "
        "cases.</p>",
    ]
    section = None
    for number, audited in enumerate(audit.items, start=1):
        current = _get(audited.item, "section", "")
        if current != section:
            section = current
            parts.append(f'<h2 id="{anchor("section", section)}">{inline(str(section))}</h2>')
        parts.append(_article(number, audited))
    return "\n".join(parts)
