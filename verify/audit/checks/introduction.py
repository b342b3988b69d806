"""Checks of the document's introduction (line 1): the tutorial it recommends."""

from __future__ import annotations

import re

from verify.audit.checks.registry import check
from verify.audit.context import Context
from verify.audit.document import DOCUMENT_TEXT, document_lines
from verify.audit.verdicts import Check, Evidence, by_cases

_LINK = re.compile(r"https?://|www\.|\[[^\]]+\]\(")


@check("dangling-reference")
def _dangling_reference(ctx: Context) -> Check:
    lines = document_lines()
    first = lines[0].rstrip()
    last_sentence = re.split(r"(?<=[.!?])\s+", first)[-1]
    # What follows "please see": on the line, or as the next text of the document.
    after = first.split("please see", 1)[1].strip() if "please see" in first else ""
    following = next((n for n, line in enumerate(lines[1:], start=2) if line.strip()), None)
    links = len(_LINK.findall(DOCUMENT_TEXT))
    cases = [
        Evidence(
            "the sentence names the tutorial it recommends",
            bool(after) or not last_sentence.endswith("see"),
            f"line 1 ends “…{last_sentence[-40:]}” with no object and no final stop; the next "
            f"text is the heading on line {following} ({lines[following - 1]!r}), and the "
            f"document holds {links} link(s)",
        )
    ]
    return by_cases(cases, "document text")
