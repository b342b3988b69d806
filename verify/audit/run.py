"""Running the audit: every check on its item, the results as an ``Audit``.

``run_audit`` builds the shared ``Context``, runs the check of each item of ``ITEMS`` (registered in
``verify.audit.checks.CHECKS``) and returns an ``Audit``; ``verify.audit.report`` renders it.
``Audit.defects`` groups the items whose verdict is not "holds" under the defects of
``verify.audit.defects.DEFECTS`` (one row each in the errata); ``Audit.appendix`` holds the rest.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from verify.audit.checks import CHECKS
from verify.audit.context import Context
from verify.audit.defects import DEFECTS, KINDS, SEVERITIES, Defect, defect_of, format_lines
from verify.audit.document import DOCUMENT_SHA256, Item
from verify.audit.items import ITEM_ALIASES, ITEMS
from verify.audit.verdicts import HOLDS, VERDICTS, Check
from verify.formats import json_ready

__all__ = [
    "DEFAULT_SEEDS",
    "FAST_SEEDS",
    "ITEM_ALIASES",
    "Audit",
    "AuditedDefect",
    "AuditedItem",
    "run_audit",
]

# The XOR experiment's seeds (the other experiments take the first of them): 2,500 keep every 95%
# interval of a rate within +-2 percentage points (2,401 suffice at any rate).
DEFAULT_SEEDS = 2500
FAST_SEEDS = 24


@dataclass
class AuditedItem:
    """An item of the document with what its check computed."""

    item: Item
    check: Check

    @property
    def verdict(self) -> str:
        return self.check.verdict

    @property
    def defect(self) -> Defect | None:
        """The defect this item is a symptom of (None when it holds)."""
        return defect_of(self.item.id)

    def to_dict(self) -> dict:
        item, result = self.item, self.check
        defect = self.defect
        return {
            "id": item.id,
            "title": item.title,
            "section": item.section,
            "kind": item.kind,
            "locations": [{"line": loc.line, "quote": loc.quote} for loc in item.locations],
            "claim": item.claim,
            "verdict": result.verdict,
            "verdict_by": result.by,
            "method": result.method,
            "cases": [case.to_dict() for case in result.cases],
            "evidence": list(result.evidence),
            "tables": [{"title": title, "rows": rows} for title, rows in result.tables],
            "figures": result.figures,
            "correction": item.correction,
            "correction_holds": result.correction_holds,
            "defect": defect.id if defect else None,
        }


@dataclass
class AuditedDefect:
    """A defect of the document with its symptoms as audited.

    Attributes
    ----------
    defect : Defect
    symptoms : list of AuditedItem
        In the order of ``defect.symptoms``.
    """

    defect: Defect
    symptoms: list[AuditedItem]

    @property
    def id(self) -> str:
        return self.defect.id

    @property
    def lines(self) -> list[int]:
        return self.defect.lines

    @property
    def verdicts(self) -> dict[str, str]:
        """Each symptom's verdict, by item id."""
        return {a.item.id: a.verdict for a in self.symptoms}

    def to_dict(self) -> dict:
        defect = self.defect
        return {
            "id": defect.id,
            "name": defect.name,
            "title": defect.title,
            "lines": defect.lines,
            "kind": defect.kind,
            "severity": defect.severity,
            "fix": defect.fix,
            "symptoms": [{"id": a.item.id, "verdict": a.verdict} for a in self.symptoms],
        }


@dataclass
class Audit:
    """The audit of the whole document.

    Attributes
    ----------
    items : list of AuditedItem
        In document order.
    seeds : list of int
    fast : bool
    seconds : float
        Wall time of ``run_audit`` (not part of the reports, which stay reproducible).

    ``verify.audit.report`` renders it (``render_markdown`` is ``reports/errata.md``).
    """

    items: list[AuditedItem]
    seeds: list[int]
    fast: bool
    seconds: float = 0.0

    def __getitem__(self, item_id: str) -> AuditedItem:
        item_id = ITEM_ALIASES.get(item_id, item_id)
        for audited in self.items:
            if audited.item.id == item_id:
                return audited
        raise KeyError(f"item_id must be one of the audit's items, got {item_id!r}")

    def counts(self) -> dict[str, int]:
        """Number of items per verdict, in the order of ``VERDICTS``."""
        return {verdict: sum(a.verdict == verdict for a in self.items) for verdict in VERDICTS}

    @property
    def defects(self) -> list[AuditedDefect]:
        """The defects, most severe first (then in document order), each with its symptoms."""
        by_id = {a.item.id: a for a in self.items}
        order = list(SEVERITIES)
        defects = sorted(DEFECTS, key=lambda d: (order.index(d.severity), d.lines[0]))
        return [AuditedDefect(d, [by_id[item_id] for item_id in d.symptoms]) for d in defects]

    @property
    def appendix(self) -> list[AuditedItem]:
        """The items that hold, in document order: no defect."""
        return [a for a in self.items if a.verdict == HOLDS]

    def defect_counts(self) -> dict[str, int]:
        """Number of defects per severity, in the order of ``SEVERITIES``."""
        return {s: sum(d.severity == s for d in DEFECTS) for s in SEVERITIES}

    def to_dict(self) -> dict:
        """JSON-ready: the defects, then every item with its cases, figures and correction."""
        return json_ready(
            {
                "document_sha256": DOCUMENT_SHA256,
                "seeds": {"count": len(self.seeds), "first": self.seeds[0], "last": self.seeds[-1]},
                "fast": self.fast,
                "counts": self.counts(),
                "defect_counts": self.defect_counts(),
                "kinds": KINDS,
                "severities": SEVERITIES,
                "defects": [
                    {**d.to_dict(), "lines_text": format_lines(d.lines)} for d in self.defects
                ],
                "items": [a.to_dict() for a in self.items],
            }
        )


def run_audit(*, seeds: Sequence[int] | None = None, fast: bool = False) -> Audit:
    """Check every item of the document.

    Parameters
    ----------
    seeds : sequence of int, optional
        Seeds of the experiments; default ``range(DEFAULT_SEEDS)`` (2,500), or
        ``range(FAST_SEEDS)`` (24) when ``fast``.
    fast : bool
        Fewer seeds and shorter experiments (for tests); the formula checks are the same.

    Returns
    -------
    Audit
    """
    if seeds is None:
        seeds = range(FAST_SEEDS if fast else DEFAULT_SEEDS)
    seeds = list(seeds)
    if not seeds or not all(
        isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in seeds
    ):
        raise ValueError(f"seeds must be a non-empty sequence of ints, got {seeds!r}")
    missing = [item.id for item in ITEMS if item.id not in CHECKS]
    if missing:
        raise RuntimeError(f"every item needs a check; missing: {', '.join(missing)}")
    start = time.perf_counter()
    context = Context(seeds, fast)
    items = [AuditedItem(item, CHECKS[item.id](context)) for item in ITEMS]
    return Audit(items, seeds, fast, time.perf_counter() - start)
