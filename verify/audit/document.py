"""The reference document as data: its text, its lines, and the types of the audit's items.

``DOCUMENT_TEXT`` is the reference document verbatim, read from the package data file
``backpropagation-derivation.txt``, so that the audit is self-contained and every quote can be
checked against it. ``verify.audit.items.ITEMS`` encodes each claim of it as an ``Item``: where
it is (``Location``: line and exact quote), what it claims and its correction. The displayed
equations are found in the text (``displayed_rows``) for the coverage test and the report.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = [
    "DOCUMENT_FILENAME",
    "DOCUMENT_SHA256",
    "DOCUMENT_TEXT",
    "PROGRAM_LINES",
    "SECTIONS",
    "TABLE_LINES",
    "DisplayedRow",
    "Item",
    "Location",
    "align_separators",
    "covers",
    "displayed_rows",
    "document_lines",
    "normalized",
    "section_of",
    "table_rows",
]

DOCUMENT_FILENAME = "backpropagation-derivation.txt"
DOCUMENT_SHA256 = "c6c5efaeef676ce31c4fcf2dace687ebd98c45b5d2d3a4e76da00cb351a6065c"
DOCUMENT_TEXT = (
    resources.files("verify.audit").joinpath(DOCUMENT_FILENAME).read_text(encoding="utf-8")
)
# Every line number and quote of the items refers to exactly this text.
if hashlib.sha256(DOCUMENT_TEXT.encode("utf-8")).hexdigest() != DOCUMENT_SHA256:
    raise RuntimeError(
        f"verify/audit/{DOCUMENT_FILENAME} must be the reference document (SHA-256 "
        f"{DOCUMENT_SHA256}), got a different text"
    )

# The toy program: its class definitions (lines 114-167) and its XOR run (lines 169-176); the
# notebook's "In [2]:" marker (line 168) and the printed table (lines 177-181) are not code.
PROGRAM_LINES = (*range(114, 168), *range(169, 177))
TABLE_LINES = (90, 91, 92, 97, 98)

# The document's headings, each with the line it starts on.
SECTIONS = {
    "Introduction": 1,
    "Review: The chain rule": 3,
    "Notation": 8,
    "Backpropagation in general": 28,
    "Backpropagation in practice": 85,
    "Example: Sigmoid network with cross-entropy loss using gradient descent": 105,
    "Toy Python example": 109,
}


@cache
def document_lines() -> tuple[str, ...]:
    """The document's lines; line n (1-based, as in an editor) is ``document_lines()[n - 1]``."""
    return tuple(DOCUMENT_TEXT.split("\n"))


def section_of(line: int) -> str:
    """The heading under which document line ``line`` falls."""
    return max((start, name) for name, start in SECTIONS.items() if start <= line)[1]


@dataclass(frozen=True)
class Location:
    """Where a claim is made: a document line and an exact substring of it.

    Attributes
    ----------
    line : int
        1-based line number in ``DOCUMENT_TEXT``.
    quote : str
        Verbatim text of that line (LaTeX as in the document, or program code).
    """

    line: int
    quote: str

    @property
    def kind(self) -> str:
        """``"code"`` in the toy program and its output, ``"math"`` for a fragment of a displayed
        equation (bare LaTeX), ``"text"`` for prose (with inline ``$...$`` math)."""
        if self.line >= min(PROGRAM_LINES):
            return "code"
        if "$" not in self.quote and any(
            self.quote in match.group(0)
            for match in _DISPLAY.finditer(document_lines()[self.line - 1])
        ):
            return "math"
        return "text"


@dataclass(frozen=True)
class Item:
    """One claim of the document.

    Attributes
    ----------
    id : str
        Stable identifier (kebab-case); ``verify.audit.checks`` has one check per id.
    title : str
        A short name for tables.
    locations : tuple of Location
        Every place the claim is stated (a formula repeated in the summary is one claim).
    claim : str
        The claim restated precisely, Markdown with GitHub math: what the check evaluates.
    correction : str or None
        The corrected statement, or None when the statement stands as written.
    kind : {"equation", "table", "prose", "program", "empirical"}
    """

    id: str
    title: str
    locations: tuple[Location, ...]
    claim: str
    correction: str | None
    kind: str

    @property
    def section(self) -> str:
        return section_of(self.locations[0].line)

    @property
    def lines(self) -> list[int]:
        return sorted({location.line for location in self.locations})


# -- the displayed equations, found in the text (for the coverage test and the report) ---------

_DISPLAY = re.compile(r"\$\$(.+?)\$\$|\\begin\{(align\*?)\}(.+?)\\end\{\2\}", re.S)


@dataclass(frozen=True)
class DisplayedRow:
    """One row of a displayed equation: a ``$$ ... $$`` block or one line of an align."""

    line: int
    latex: str


def _split_align(body: str) -> list[str]:
    """Rows of an align body: split at ``\\\\`` (and at the ``\\ `` that the example's aligns use
    instead), never inside a ``cases`` environment."""
    rows, current, depth, i = [], [], 0, 0
    while i < len(body):
        if body.startswith(r"\begin{cases}", i):
            depth += 1
        elif body.startswith(r"\end{cases}", i):
            depth -= 1
        if depth == 0 and body.startswith(("\\\\", "\\ "), i):
            rows.append("".join(current))
            current, i = [], i + 2
            continue
        current.append(body[i])
        i += 1
    rows.append("".join(current))
    return [row.strip() for row in rows if row.strip()]


def displayed_rows() -> list[DisplayedRow]:
    """Every row of every displayed equation of the document, in order."""
    rows = []
    for number, line in enumerate(document_lines(), start=1):
        for match in _DISPLAY.finditer(line):
            if match.group(1) is not None:
                rows.append(DisplayedRow(number, match.group(1).strip()))
            else:
                rows += [DisplayedRow(number, row) for row in _split_align(match.group(3))]
    return rows


def align_separators(line: int) -> dict[str, int]:
    """Counts of row separators in the aligns of ``line``: ``"\\\\"`` (a LaTeX line break) and
    ``"\\ "`` (a control space, which renders the rows on one line)."""
    counts = {"\\\\": 0, "\\ ": 0}
    for match in _DISPLAY.finditer(document_lines()[line - 1]):
        if match.group(2):
            body = match.group(3)
            counts["\\\\"] += body.count("\\\\")
            counts["\\ "] += len(re.findall(r"(?<!\\)\\ ", body))
    return counts


def table_rows() -> dict[int, str]:
    """The table rows of the document (line -> text)."""
    return {line: document_lines()[line - 1] for line in TABLE_LINES}


def normalized(latex: str) -> str:
    """``latex`` without spaces, alignment marks and arrows: for matching quotes against rows."""
    return re.sub(r"\s+|&|\\rightarrow", "", latex)


def covers(item: Item, row: DisplayedRow) -> bool:
    """Whether one of ``item``'s quotes contains the displayed ``row``."""
    return any(
        location.line == row.line and normalized(row.latex) in normalized(location.quote)
        for location in item.locations
    )
