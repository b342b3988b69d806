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

The items whose verdict is not "holds" are the symptoms of the document's defects
(``defects.DEFECTS``): each defect one fault with one fix, a kind and a severity, and every such
item the symptom of exactly one defect.

``run_audit`` runs every check and returns an ``Audit`` (``Audit.items`` in document order,
``Audit.defects`` most severe first, each with its symptoms, ``Audit.appendix`` the items that
hold); ``write_audit`` writes it in the formats of ``FORMATS`` (``report``), ``reports/errata.md``
among them. ``python -m verify.audit.reproduce xor|convergence|depth`` reruns one experiment.

Modules: ``document`` (the text, its lines, the item types), ``items``, ``defects``, ``verdicts``
(verdicts and evidence), ``statistics`` (rates and their intervals), ``transcribe`` (the notation
as NumPy), ``tables`` (the two tables as written), ``context`` (what the checks share), ``checks``,
``experiments`` (probes and the toy program), ``ensemble`` and ``empirical`` (the experiments over
many seeds), ``run``, ``report`` and ``reproduce``.
"""

from verify.audit.defects import DEFECTS, KINDS, SEVERITIES, Defect, defect_of, get_defect
from verify.audit.report import FORMATS, VERDICT_MEANINGS, write_audit
from verify.audit.run import Audit, AuditedDefect, AuditedItem, run_audit
from verify.audit.statistics import Rate, wilson_interval
from verify.audit.verdicts import (
    CONVENTION,
    HOLDS,
    IMPRECISE,
    RULES,
    VERDICTS,
    WRONG,
    Check,
    Evidence,
    verdict_for_cases,
    verdict_for_hedged,
    verdict_for_readings,
)

__all__ = [
    "CONVENTION",
    "DEFECTS",
    "FORMATS",
    "HOLDS",
    "IMPRECISE",
    "KINDS",
    "RULES",
    "SEVERITIES",
    "VERDICTS",
    "VERDICT_MEANINGS",
    "WRONG",
    "Audit",
    "AuditedDefect",
    "AuditedItem",
    "Check",
    "Defect",
    "Evidence",
    "Rate",
    "defect_of",
    "get_defect",
    "run_audit",
    "verdict_for_cases",
    "verdict_for_hedged",
    "verdict_for_readings",
    "wilson_interval",
    "write_audit",
]
