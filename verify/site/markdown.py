"""The few Markdown blocks the generated reports use, as HTML: headings, GitHub tables, bullet
lists and paragraphs (inline math, code and emphasis through ``verify.site.mathml.inline``).

It reads the project's own generated Markdown (``reports/performance.md``), not Markdown at
large; HTML comments (the benchmarks' section markers) are dropped, anything else is a paragraph.
"""

from __future__ import annotations

import re

from verify.site.mathml import inline
from verify.site.page import Cell, anchor, table

__all__ = ["render_markdown"]

_NUMBER = re.compile(r"^[-+]?(\d[\d,]*\.?\d*|\.\d+)(e[-+]?\d+)?\s*(%|x)?$", re.I)


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _table(lines: list[str]) -> str:
    headers = _cells(lines[0])
    body = [_cells(line) for line in lines[2:] if line.strip()]
    numeric = tuple(
        n
        for n in range(len(headers))
        if body and all(_NUMBER.match(row[n]) for row in body if n < len(row) and row[n])
    )
    rows = [[Cell(inline(cell)) for cell in row] for row in body]
    return table([inline(h) for h in headers], rows, numeric=numeric)


def render_markdown(text: str, *, heading_offset: int = 0) -> str:
    """``text`` as HTML blocks; ``heading_offset`` demotes every heading by that many levels."""
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        heading = re.match(r"^(#{1,6})\s+(.*)$", line)
        if heading:
            level = min(6, len(heading.group(1)) + heading_offset)
            title = heading.group(2).strip()
            out.append(f'<h{level} id="{anchor(title)}">{inline(title)}</h{level}>')
            i += 1
        elif line.lstrip().startswith("|"):
            block = []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                block.append(lines[i])
                i += 1
            if len(block) >= 2 and re.match(r"^\s*\|?[\s:|-]+\|?\s*$", block[1]):
                out.append(_table(block))
            else:
                out.append(f"<p>{inline(' '.join(block))}</p>")
        elif re.match(r"^\s*[-*]\s+", line):
            items = []
            while i < len(lines) and lines[i].strip():
                if re.match(r"^\s*[-*]\s+", lines[i]):
                    items.append(re.sub(r"^\s*[-*]\s+", "", lines[i]))
                else:  # a continuation line
                    items[-1] += " " + lines[i].strip()
                i += 1
            out.append("<ul>" + "".join(f"<li>{inline(item)}</li>" for item in items) + "</ul>")
        else:
            paragraph = []
            while (
                i < len(lines) and lines[i].strip() and not re.match(r"^(#|\||\s*[-*]\s)", lines[i])
            ):
                paragraph.append(lines[i].strip())
                i += 1
            out.append(f"<p>{inline(' '.join(paragraph))}</p>")
    return "\n".join(out)
