"""The site's pages as files: which there are, that they parse, link and say what they should."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest

from numeric import ACTIVATIONS, COSTS
from verify.audit import HOLDS, WRONG
from verify.site import PAGES, REPORT_SET, build_site
from verify.site.errata import defects, render_errata
from verify.site.markdown import render_markdown
from verify.site.mathml import FALLBACK_CLASS
from verify.site.matrix import grid_cells
from verify.site.performance import render_performance

from .conftest import HAS_MATPLOTLIB

XHTML_TEXT_EXCLUDED = {"code", "pre", "style", "title", "script"}


def _tag(element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _tree(text: str):
    return ET.fromstring(text)


def test_the_site_has_every_page(site):
    expected = {name for name, _, _ in PAGES} | {f"derivation-{s.slug}.html" for s in REPORT_SET}
    assert {p.name for p in site.iterdir()} == expected


def test_pages_are_well_formed_xml(pages):
    for name, text in pages.items():
        try:
            ET.fromstring(text)
        except ET.ParseError as err:  # pragma: no cover - the assertion's message
            pytest.fail(f"{name} is not well-formed: {err}")


def test_pages_parse_as_html_without_a_single_error(pages):
    html5lib = pytest.importorskip("html5lib", reason="html5lib (an HTML5 parser) is not installed")
    for name, text in pages.items():
        parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
        try:
            parser.parse(text)
        except html5lib.html5parser.ParseError as err:  # pragma: no cover - the message
            pytest.fail(f"{name}: HTML parse error {err}")


def test_every_internal_link_resolves(pages):
    ids = {
        name: {e.get("id") for e in _tree(text).iter() if e.get("id")}
        for name, text in pages.items()
    }
    checked = 0
    for name, text in pages.items():
        for element in _tree(text).iter():
            href = element.get("href") if _tag(element) == "a" else None
            if href is None or urlsplit(href).scheme in ("http", "https"):
                continue
            target, _, fragment = href.partition("#")
            target = target or name
            assert target in pages, f"{name} links to a missing page {href!r}"
            assert not fragment or fragment in ids[target], f"{name}: no #{fragment} in {target}"
            checked += 1
    assert checked > 100  # the grid's cells, the glance table, the navigation


def test_ids_are_unique_on_every_page(pages):
    for name, text in pages.items():
        found = [e.get("id") for e in _tree(text).iter() if e.get("id")]
        assert len(found) == len(set(found)), f"{name} repeats an id"


def _visible_text(element, out: list[str]) -> None:
    """Text outside MathML, code and the head."""
    if _tag(element) in XHTML_TEXT_EXCLUDED or _tag(element) == "math":
        out.append(element.tail or "")
        return
    out.append(element.text or "")
    for child in element:
        _visible_text(child, out)
    out.append(element.tail or "")


def test_no_raw_latex_outside_math(pages):
    for name, text in pages.items():
        body = _tree(text).find("body")
        words: list[str] = []
        _visible_text(body, words)
        visible = "".join(words)
        assert "$" not in visible, f"{name} shows a $"
        commands = re.findall(r"\\[A-Za-z]+", visible)
        assert not commands, f"{name} shows LaTeX commands {commands[:5]}"
        assert f'class="{FALLBACK_CLASS}"' not in text, f"{name} has LaTeX that did not convert"


def test_pages_are_self_contained(pages):
    for name, text in pages.items():
        assert "<script" not in text, name
        sources = re.findall(r'\b(?:src|href)="([^"]*)"', text)
        external = [s for s in sources if urlsplit(s).scheme not in ("", "data")]
        assert not external, f"{name} loads {external[:3]}"
        assert text.isascii(), f"{name} has characters outside ASCII (not as references)"


def test_math_is_mathml_on_the_pages_of_formulas(pages):
    for name in ("errata.html", *(f"derivation-{s.slug}.html" for s in REPORT_SET)):
        assert pages[name].count('<math xmlns="http://www.w3.org/1998/Math/MathML"') > 10, name


@pytest.mark.skipif(not HAS_MATPLOTLIB, reason="the plots need matplotlib (the [plot] extra)")
def test_plots_are_embedded_svg(pages):
    for name in ("verification.html", "derivation-xor.html"):
        images = re.findall(r'<img src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', pages[name])
        assert len(images) == 1 and len(images[0]) > 10_000, name


def test_build_is_deterministic(tmp_path, site_inputs, site):
    """The same inputs give the same bytes (the figures aside: plots are checked loosely)."""
    written = build_site(
        tmp_path, performance=site.parent / "performance.md", plots=False, **site_inputs
    )
    figure = re.compile(r"<figure>.*?</figure>", re.S)
    for path in written:
        again = figure.sub("", path.read_text(encoding="utf-8"))
        assert again == figure.sub("", (site / path.name).read_text(encoding="utf-8")), path.name


def test_grid_cells_link_to_the_case_sections(site_inputs, pages):
    matrix = site_inputs["matrix"]
    for conventions in ("corrected", "as_written"):
        cells = grid_cells(matrix, conventions)
        assert len(cells) == len(ACTIVATIONS) * len(COSTS) + 1  # and the kink case
        for cell in cells.values():
            assert f'href="#{cell["id"]}"' in pages["verification.html"]
    corrected = grid_cells(matrix, "corrected")
    assert {c["colour"] for c in corrected.values()} <= {"good", "note"}
    assert corrected[("relu (z = 0)", "categorical_cross_entropy")]["verdict"] == "kink"
    as_written = grid_cells(matrix, "as_written")
    assert as_written[("sigmoid", "cross_entropy")]["colour"] == "bad"  # the document's sigmoid


def test_errata_lists_the_defects_first_most_serious_first(site_inputs, pages):
    audit = site_inputs["audit"]
    found = defects(audit)
    assert found and all(a.verdict != HOLDS for a in found)
    assert [a.verdict for a in found] == sorted(
        (a.verdict for a in found), key=lambda v: v != WRONG
    )
    text = pages["errata.html"]
    glance = text.index('id="defects"')
    assert glance < text.index('class="item"')
    for audited in found:
        assert f'href="#item-{audited.item.id}"' in text


def test_errata_tolerates_verdicts_and_fields_it_does_not_know():
    item = SimpleNamespace(id="new-item", title="A claim about $x^2$", lines=[3], section="New")
    check = SimpleNamespace(verdict="disputed", cases=[], method="review")
    audited = SimpleNamespace(item=item, check=check, verdict="disputed")
    audit = SimpleNamespace(items=[audited], counts=lambda: {HOLDS: 0, WRONG: 0})
    text = render_errata(audit)
    assert 'class="badge neutral">disputed<' in text
    assert "1 disputed" in text and 'href="#item-new-item"' in text
    assert "<math" in text and "$" not in text


def test_derivation_pages_show_the_proof_per_parameter(pages):
    xor = pages["derivation-xor.html"]
    assert xor.count(">equal, exact</span>") == 9  # 9 parameters, each proven exactly
    assert 'id="gradients"' in xor and 'id="recursion"' in xor
    softmax = pages["derivation-softmax.html"]
    assert "when the targets of a sample sum to 1" in softmax
    relu = pages["derivation-relu.html"]
    assert "Heaviside step" in relu


def test_performance_page_renders_the_benchmark_tables(pages):
    text = pages["performance.html"]
    assert '<td class="num">0.152</td>' in text and "bench:train" not in text
    assert "<math" in text  # the note's $x$


def test_performance_page_without_timings_says_how_to_measure():
    assert render_markdown("<!-- bench:x -->\n") == ""
    assert "No timings yet: run <code>chainrule bench" in render_performance(None)
