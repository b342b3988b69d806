"""Checks of the text as English, across sections: spelling and grammar slips.

Each slip is found by a rule applied to the document's line, so that the verdict follows from the
text (a corrected document passes): a word used once and one letter away from a word the document
uses elsewhere (not an inflection of it), a plural numeral before a singular noun, two determiners
in a row, a plural subject with a singular verb, "the gradient of C to W" where the document
otherwise writes "with respect to".
"""

from __future__ import annotations

import re

from verify.audit.checks.registry import check
from verify.audit.context import Context
from verify.audit.document import DOCUMENT_TEXT, document_lines
from verify.audit.verdicts import Check, Evidence, by_cases


def edit_distance(first: str, second: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions)."""
    previous = list(range(len(second) + 1))
    for i, a in enumerate(first, start=1):
        current = [i]
        for j, b in enumerate(second, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b)))
        previous = current
    return previous[-1]


def _words(line: str) -> list[str]:
    return re.findall(r"[A-Za-z]+", re.sub(r"\$[^$]*\$", " ", line))


def _misspelling(line_number: int) -> Evidence:
    """A word used once in the document, one edit from a word the document uses elsewhere (not
    an inflection of it: neither word begins the other, as "depend" begins "depends")."""
    counts: dict[str, list[int]] = {}
    for number, line in enumerate(document_lines(), start=1):
        for word in _words(line):
            counts.setdefault(word.lower(), []).append(number)
    found = [
        (word, other, lines)
        for word in map(str.lower, _words(document_lines()[line_number - 1]))
        if counts[word] == [line_number] and len(word) > 5
        for other, lines in counts.items()
        if edit_distance(word, other) == 1
        and len(other) > 5
        and not (other.startswith(word) or word.startswith(other))
    ]
    detail = "; ".join(
        f"“{word}” appears only here, one letter from “{other}” (line {', '.join(map(str, lines))})"
        for word, other, lines in found
    )
    return Evidence(
        f"line {line_number}: every word spelled as elsewhere in the document",
        not found,
        detail or "no such word",
    )


def _pattern(line_number: int, rule: str, pattern: str, correction: str) -> Evidence:
    match = re.search(pattern, document_lines()[line_number - 1])
    return Evidence(
        f"line {line_number}: {rule}",
        match is None,
        f"“{match.group(0)}”: {correction}" if match else "not found",
    )


@check("spelling-grammar")
def _spelling_grammar(ctx: Context) -> Check:
    usual = DOCUMENT_TEXT.count("with respect to")
    cases = [
        _pattern(
            35,
            "a derivative “with respect to” its variable",
            r"gradient of our cost/error function \$C\$ to",
            f"the document says “with respect to” {usual} times elsewhere",
        ),
        _misspelling(75),
        _pattern(
            87,
            "a plural numeral with a plural noun and verb",
            r"\btwo [a-z]+[^s\W] [a-z]+s\b",
            "“two tables list”",
        ),
        _pattern(
            87, "one determiner per noun phrase", r"\b(?:the|a|an) (?:some|any|each)\b", "“some”"
        ),
        _pattern(
            107,
            "a plural subject with a plural verb",
            r"\bcriteria is\b",
            "“criterion is” (or “criteria are”)",
        ),
    ]
    return by_cases(cases, "document text (rules of spelling and grammar)")
