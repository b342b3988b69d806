"""The oracle's report: :class:`GradientReport`, what one check of a gradient function found
(``check_gradients`` in ``verify.oracle.check``, ``gradcheck`` in ``verify.oracle.blackbox_check``),
rendered as text, Markdown, HTML, LaTeX or JSON and read back from JSON; and :class:`OracleError`,
raised when the oracle's own reference fails its cross-check."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from verify.core.blackbox import BlackBoxGradient
from verify.core.compare import Finding, findings_table
from verify.core.findings import finding_from_dict
from verify.core.validation import argument_error

__all__ = ["GradientReport", "OracleError"]


class OracleError(RuntimeError):
    """The oracle's own reference failed its cross-check (a bug in chainrule, not in grad_fn)."""


@dataclass
class GradientReport:
    """The outcome of one oracle check.

    Attributes
    ----------
    findings : list of Finding
        One per layer and parameter, plus any about the call (exception, type, mutation).
    settings : dict
        What was checked and how: mode, sizes, activations, cost, layout, reduction, dtype, seed,
        n_samples, method, rtol, atol (JSON-ready values).
    summary : str
        The pattern the findings make, in a few sentences ("inconclusive: ..." when the check
        cannot tell).
    reference : BlackBoxGradient or None
        ``gradcheck``'s finite-difference reference, for checking another gradient of the same
        loss at the same parameters (``gradcheck(..., reference=report.reference)``).

    ``passed`` is True only when every finding passes; ``inconclusive`` when none fails but some
    parameter cannot be told right from wrong (``reason`` says why; ``passed`` is then False);
    ``verdict`` is one of "passed", "failed", "inconclusive".
    """

    findings: list[Finding]
    settings: dict = field(default_factory=dict)
    summary: str = ""
    reference: BlackBoxGradient | None = field(default=None, repr=False, compare=False)

    @property
    def passed(self) -> bool:
        return bool(self.findings) and all(f.passed for f in self.findings)

    @property
    def inconclusive(self) -> bool:
        """Nothing disagrees, but some parameter cannot be told right from wrong (``reason``)."""
        return any(f.kind == "inconclusive" for f in self.findings) and not any(
            not f.passed and f.kind != "inconclusive" for f in self.findings
        )

    @property
    def verdict(self) -> str:
        """``"passed"``, ``"failed"`` or ``"inconclusive"``."""
        return "passed" if self.passed else "inconclusive" if self.inconclusive else "failed"

    @property
    def reason(self) -> str:
        """Why the check is inconclusive (empty otherwise)."""
        if not self.inconclusive:
            return ""
        details = [f"{f.name}: {f.detail}" for f in self.findings if f.kind == "inconclusive"]
        return "inconclusive: " + " | ".join(details)

    def failures(self) -> list[Finding]:
        """The findings that fail."""
        return [f for f in self.findings if not f.passed]

    def finding(self, layer: int | None, param: str | None) -> Finding:
        """The finding for one layer and parameter (``layer=None`` for the call itself)."""
        for f in self.findings:
            if f.layer == layer and f.param == param:
                return f
        names = ", ".join(f.name for f in self.findings)
        raise KeyError(f"no finding for layer {layer}, param {param!r}; findings: {names}")

    def _headline(self) -> str:
        verdict = self.verdict.upper()
        keys = ("mode", "sizes", "activations", "cost", "layout", "reduction", "dtype", "method")
        shown = ", ".join(f"{k}={self.settings[k]}" for k in keys if self.settings.get(k))
        tolerance = f"rtol={self.settings.get('rtol'):.3g}" if "rtol" in self.settings else ""
        seed = f"seed={self.settings['seed']}" if "seed" in self.settings else ""
        extra = ", ".join(part for part in (tolerance, seed) if part)
        return f"Gradient check {verdict} ({shown}; {extra})"

    def table(self, tablefmt: str = "simple") -> str:
        """The findings as a tabulate table in ``tablefmt``."""
        return findings_table(self.findings, tablefmt)

    def __str__(self) -> str:
        return f"{self._headline()}\n{self.table()}\n{self.summary}"

    def to_dict(self) -> dict:
        """Everything in JSON-ready types."""
        return {
            "passed": self.passed,
            "inconclusive": self.inconclusive,
            "verdict": self.verdict,
            "reason": self.reason,
            "settings": self.settings,
            "summary": self.summary,
            "findings": [f.to_dict() for f in self.findings],
        }

    @classmethod
    def from_dict(cls, data: dict) -> GradientReport:
        """The report that ``to_dict`` described (read back from JSON)."""
        findings = [finding_from_dict(item) for item in data.get("findings", [])]
        return cls(findings, dict(data.get("settings", {})), str(data.get("summary", "")))

    def to_json(self, indent: int = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, default=str)

    def render(self, fmt: str = "text") -> str:
        """The whole report, headline, table and summary, in ``fmt``: "text", "json", "github"
        (Markdown; "md" too), "html", or "latex" ("tex")."""
        if fmt in ("text", "txt"):
            return str(self)
        if fmt == "json":
            return self.to_json()
        if fmt in ("github", "md"):
            return self._repr_markdown_()
        if fmt == "html":
            return self._repr_html_()
        if fmt in ("latex", "tex"):
            from verify.formats import latex_escape

            return (
                f"\\textbf{{{latex_escape(self._headline())}}}\n\n{self.table('latex')}\n\n"
                f"{latex_escape(self.summary)}\n"
            )
        known = "'text', 'json', 'github', 'md', 'html', 'latex', 'tex'"
        raise argument_error("fmt", f"one of {known}", fmt)

    def _repr_markdown_(self) -> str:
        return f"**{self._headline()}**\n\n{self.table('github')}\n\n{self.summary}\n"

    def _repr_html_(self) -> str:
        import html

        return (
            f"<p><b>{html.escape(self._headline())}</b></p>\n{self.table('html')}\n"
            f"<p>{html.escape(self.summary)}</p>"
        )
