"""The audit of the reference document: its text as a data file, a check per displayed formula,
table row, claim and line of code, the experiments behind the empirical claims, the errata.

Each item of the document (``items.ITEMS``) has one check (``checks``, a module per section of the
document). A check transcribes the document's statement (a NumPy or SymPy expression, index ranges
and products as written: the transcription is the claim), evaluates it against the truth, and
derives the verdict from what it computed (``verdicts``):

- the truth comes from differentiation (``derive``, SymPy), from complex-step derivatives of the
  forward functions alone (``experiments.Probe``: exact to rounding, trusting no hand-written
  derivative), or, for empirical claims, from experiments over many seeds (``experiments``);
- a statement that must hold in every situation is evaluated in several cases, a statement whose
  notation admits several readings under each of them; ``verdict_for_cases`` and
  ``verdict_for_readings`` compute the verdict from the outcomes. No verdict is typed in.

``run_audit`` runs every check and returns an ``Audit``; ``write_audit`` writes it in the formats
of ``FORMATS`` (``report``), ``reports/errata.md`` among them.

Modules: ``document`` (the text, its lines, the item types), ``items``, ``verdicts`` (verdicts and
evidence), ``transcribe`` (the notation as NumPy), ``tables`` (the two tables as written),
``context`` (what the checks share), ``checks``, ``experiments``, ``run`` and ``report``.
"""

from verify.audit.report import FORMATS, write_audit
from verify.audit.run import Audit, AuditedItem, run_audit
from verify.audit.verdicts import (
    CONVENTION,
    HOLDS,
    IMPRECISE,
    VERDICTS,
    WRONG,
    Check,
    Evidence,
    verdict_for_cases,
    verdict_for_readings,
)

__all__ = [
    "CONVENTION",
    "FORMATS",
    "HOLDS",
    "IMPRECISE",
    "VERDICTS",
    "WRONG",
    "Audit",
    "AuditedItem",
    "Check",
    "Evidence",
    "run_audit",
    "verdict_for_cases",
    "verdict_for_readings",
    "write_audit",
]
