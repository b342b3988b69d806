"""Every page of the site in a real headless browser (Chromium), at laptop and phone widths.

Each page must load with no console error, no exception and no failed request; every math element
must be rendered MathML (a MathMLElement with a size) and no ``$`` or LaTeX command may be left in
the visible text; every image must load; every link within the site must reach its page and
anchor; and the page must fit a phone's width (wide tables and formulas scroll in their own box).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from verify.oracle import check_gradients
from verify.site import write_oracle_page

from .browser import Browser, find_chromium

pytestmark = pytest.mark.skipif(
    find_chromium() is None,
    reason="chromium is not installed (Debian: apt-get install chromium)",
)

WIDTHS = {"desktop": 1280, "phone": 390}

# Everything the assertions need from a loaded page, in one round trip.
PAGE_FACTS = """(() => {
  const visible = (root) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
      acceptNode: (node) => node.parentElement.closest('math, code, pre, style, script, title')
        ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT });
    let text = '';
    while (walker.nextNode()) text += walker.currentNode.data;
    return text;
  };
  document.querySelectorAll('details').forEach((d) => { d.open = true; });
  const maths = [...document.querySelectorAll('math')];
  return {
    text: visible(document.body),
    math: maths.length,
    mathml: maths.filter((m) => m instanceof MathMLElement).length,
    sized: maths.filter((m) => { const r = m.getBoundingClientRect();
      return r.width > 0 && r.height > 0; }).length,
    images: [...document.images].map((i) => [i.complete && i.naturalWidth > 0, i.alt]),
    links: [...document.querySelectorAll('a[href]')].map((a) => a.href),
    ids: [...document.querySelectorAll('[id]')].map((e) => e.id),
    overflow: document.documentElement.scrollWidth - window.innerWidth,
  };
})()"""


@pytest.fixture(scope="module")
def browser():
    with Browser() as instance:
        yield instance


@pytest.fixture(scope="module")
def facts(browser, site):
    """For each page and width: what it logged while loading, and PAGE_FACTS."""
    out = {}
    for path in sorted(site.glob("*.html")):
        for label, width in WIDTHS.items():
            loaded = browser.load(path.as_uri(), width=width, mobile=label == "phone")
            out[path.name, label] = (loaded, browser.evaluate(PAGE_FACTS))
    return out


def _cases(site_pages):
    return [(name, label) for name in site_pages for label in WIDTHS]


PAGES = [
    "index.html",
    "verification.html",
    "errata.html",
    "derivations.html",
    "performance.html",
    "derivation-xor.html",
    "derivation-tanh.html",
    "derivation-relu.html",
    "derivation-softmax.html",
]


def test_the_pages_under_test_are_the_sites(site):
    assert sorted(PAGES) == sorted(p.name for p in site.glob("*.html"))


@pytest.mark.parametrize(("name", "width"), _cases(PAGES))
def test_page_loads_without_console_errors(facts, name, width):
    loaded, _ = facts[name, width]
    assert loaded.errors == []
    assert [text for level, text in loaded.console if level == "warning"] == []


@pytest.mark.parametrize(("name", "width"), _cases(PAGES))
def test_math_is_rendered_mathml_and_no_latex_is_visible(facts, name, width):
    _, page = facts[name, width]
    assert page["mathml"] == page["math"] == page["sized"]
    assert "$" not in page["text"]
    assert re.findall(r"\\[A-Za-z]+", page["text"]) == []


@pytest.mark.parametrize(("name", "width"), _cases(PAGES))
def test_every_image_loads(facts, name, width):
    _, page = facts[name, width]
    assert all(ok for ok, _ in page["images"]), page["images"]
    assert all(alt for _, alt in page["images"])


@pytest.mark.parametrize("name", PAGES)
def test_every_internal_link_resolves(facts, site, name):
    _, page = facts[name, "desktop"]
    ids = {page_name: set(f["ids"]) for (page_name, label), (_, f) in facts.items()}
    for link in page["links"]:
        parts = urlsplit(link)
        if parts.scheme != "file":
            continue
        target = Path(unquote(parts.path))
        assert target.parent == site and target.name in ids, f"{name}: {link}"
        assert not parts.fragment or parts.fragment in ids[target.name], f"{name}: {link}"


@pytest.mark.parametrize("name", PAGES)
def test_page_fits_a_phone(facts, name):
    _, page = facts[name, "phone"]
    assert page["overflow"] <= 0


def test_math_is_actually_on_the_pages_of_formulas(facts):
    for name in ("errata.html", "derivation-xor.html", "derivation-softmax.html"):
        assert facts[name, "desktop"][1]["math"] > 20, name


def test_printing_hides_the_navigation_and_unfolds_the_evidence(browser, site):
    browser.load((site / "errata.html").as_uri())
    browser.call("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        hidden = browser.evaluate("getComputedStyle(document.querySelector('header')).display")
        folded = browser.evaluate(
            "document.querySelector('details:not([open]) li').getBoundingClientRect().height"
        )
    finally:
        browser.call("Emulation.setEmulatedMedia", {"media": ""})
    assert hidden == "none"
    assert folded > 0  # a case of a closed <details> is printed


def test_the_oracle_page_in_the_browser(browser, tmp_path):
    from numeric import Network

    def doubled(params, X, y):
        network = Network([2, 3, 2], "tanh", "squared_error")
        network.params = [(W.copy(), b.copy()) for W, b in params]
        return [(2 * dW, 2 * db) for dW, db in network.gradients(X, y)]

    report = check_gradients(
        doubled, sizes=[2, 3, 2], activations="tanh", cost="squared_error", seed=1
    )
    path = write_oracle_page(report, tmp_path, "doubled.py:gradients")
    for label, width in WIDTHS.items():
        loaded = browser.load(path.as_uri(), width=width, mobile=label == "phone")
        page = browser.evaluate(PAGE_FACTS)
        assert loaded.errors == []
        assert "FAILED" in page["text"] and "scale" in page["text"]
        assert page["overflow"] <= 0
