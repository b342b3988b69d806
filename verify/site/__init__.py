"""The report site: self-contained static HTML pages people would rather read than Markdown.

``build_site`` writes, into one directory, an index, the verification matrix as a colour-coded grid
whose cells link to their cases, the errata of the reference document (the defects at a glance
first, each item's evidence folded below), one derivation page per network of ``REPORT_SET`` (the
forward pass, the deltas and the gradients as rendered equations, with the proof's verdict per
parameter) and the benchmarks' timings. ``render_oracle_page`` and ``write_oracle_page`` give one
oracle check a page of its own (``chainrule oracle ... --format html --output DIR``).

Every page is self-contained and runs no script: inline CSS (readable at phone and desktop widths,
printable), math as presentation MathML (``mathml``: SymPy's printer for derive's expressions,
latex2mathml for LaTeX written by hand), plots as SVG data URIs. The pages are valid HTML and
well-formed XML, and hold nothing that depends on when or where they were made.

Modules: ``page`` (the template and building blocks), ``mathml``, ``markdown`` (the reports' few
Markdown blocks), ``matrix``, ``errata``, ``derivation``, ``performance``, ``oracle`` and
``build``.
"""

from verify.site.build import PAGES, REPORT_SET, NetworkSpec, build_site, derive_report_set
from verify.site.derivation import Derivation
from verify.site.oracle import render_oracle_page, write_oracle_page

__all__ = [
    "PAGES",
    "REPORT_SET",
    "Derivation",
    "NetworkSpec",
    "build_site",
    "derive_report_set",
    "render_oracle_page",
    "write_oracle_page",
]
