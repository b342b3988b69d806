"""Running the audit: every check on its item, the results as an ``Audit``.

``run_audit`` builds the shared ``Context``, runs the check of each item of ``ITEMS`` (registered in
``verify.audit.checks.CHECKS``) and returns an ``Audit``; ``verify.audit.report`` renders it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from verify.audit.checks import CHECKS
from verify.audit.context import Context
from verify.audit.document import DOCUMENT_SHA256, Item
from verify.audit.items import ITEMS
from verify.audit.verdicts import VERDICTS, Check
from verify.formats import json_ready

__all__ = ["Audit", "AuditedItem", "run_audit"]


@dataclass
class AuditedItem:
    """An item of the document with what its check computed."""

    item: Item
    check: Check

    @property
    def verdict(self) -> str:
        return self.check.verdict

    def to_dict(self) -> dict:
        item, result = self.item, self.check
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
        for audited in self.items:
            if audited.item.id == item_id:
                return audited
        raise KeyError(f"item_id must be one of the audit's items, got {item_id!r}")

    def counts(self) -> dict[str, int]:
        """Number of items per verdict, in the order of ``VERDICTS``."""
        return {verdict: sum(a.verdict == verdict for a in self.items) for verdict in VERDICTS}

    def to_dict(self) -> dict:
        """JSON-ready: every item with its cases, figures and correction."""
        return json_ready(
            {
                "document_sha256": DOCUMENT_SHA256,
                "seeds": {"count": len(self.seeds), "first": self.seeds[0], "last": self.seeds[-1]},
                "fast": self.fast,
                "counts": self.counts(),
                "items": [a.to_dict() for a in self.items],
            }
        )


def run_audit(*, seeds: Sequence[int] | None = None, fast: bool = False) -> Audit:
    """Check every item of the document.

    Parameters
    ----------
    seeds : sequence of int, optional
        Seeds of the experiments; default ``range(200)``, or ``range(24)`` when ``fast``.
    fast : bool
        Fewer seeds and shorter experiments (for tests); the formula checks are the same.

    Returns
    -------
    Audit
    """
    if seeds is None:
        seeds = range(24) if fast else range(200)
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
