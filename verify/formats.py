"""The report formats every command shares, and JSON whose numbers do not depend on the machine.

Committed reports are compared byte for byte with a fresh run. A float computed through BLAS or a
vectorized ``exp`` can differ in its last bit from one machine to another, so the JSON reports
keep ``SIGNIFICANT_DIGITS`` significant digits: far more than any verdict needs, far fewer than
the 17 that expose rounding noise.
"""

from __future__ import annotations

import html
import json
import math
import re

import numpy as np

__all__ = [
    "ALIASES",
    "FORMATS",
    "SIGNIFICANT_DIGITS",
    "TABLE_FORMATS",
    "canonical_format",
    "html_document",
    "html_text",
    "json_ready",
    "latex_document",
    "latex_escape",
    "to_json",
]

# Each report format and the tabulate table format it renders its tables with (JSON has none).
TABLE_FORMATS = {"md": "github", "txt": "simple", "tex": "latex", "html": "html", "json": None}
FORMATS = tuple(TABLE_FORMATS)
# Other names people use for the same formats.
ALIASES = {"markdown": "md", "github": "md", "text": "txt", "latex": "tex", "htm": "html"}


def canonical_format(name: str, allowed=FORMATS) -> str:
    """The format ``name`` stands for (an alias resolved), if it is one of ``allowed``."""
    resolved = ALIASES.get(name, name) if isinstance(name, str) else name
    if resolved not in allowed:
        ordered = [f for f in FORMATS if f in allowed] + [f for f in allowed if f not in FORMATS]
        names = ", ".join(ordered)
        aliases = ", ".join(f"{a} = {f}" for a, f in ALIASES.items() if f in allowed)
        raise ValueError(f"`format` must be one of {names} (or {aliases}), got {name!r}")
    return resolved


_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "`": "",
}


def latex_escape(text: str) -> str:
    """Plain ``text`` for LaTeX's text mode (Markdown's backticks dropped)."""
    return "".join(_LATEX_SPECIALS.get(char, char) for char in text)


def latex_document(title: str, body: str, packages: tuple[str, ...] = ()) -> str:
    """A standalone LaTeX document (``pdflatex`` compiles it) around ``body``, with ``packages``
    loaded besides the page layout and fonts."""
    extra = "".join(f"\\usepackage{{{package}}}\n" for package in packages)
    return (
        "\\documentclass[10pt]{article}\n"
        "\\usepackage[margin=1.5cm,landscape]{geometry}\n"
        "\\usepackage[T1]{fontenc}\n"
        "\\usepackage{lmodern}\n"
        f"{extra}"
        f"\\title{{{latex_escape(title)}}}\n"
        "\\date{}\n"
        "\\begin{document}\n"
        "\\maketitle\n"
        f"{body}\n"
        "\\end{document}\n"
    )


def html_text(text: str) -> str:
    """Plain ``text`` for HTML, Markdown's `code` spans as <code>."""
    return re.sub(r"`([^`]*)`", r"<code>\1</code>", html.escape(text))


def html_document(title: str, body: str) -> str:
    """A complete HTML page around ``body`` (whose text the caller has escaped)."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n"
        "<style>body{font-family:sans-serif;max-width:72rem;margin:auto;padding:1rem}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem}"
        "</style>\n</head>\n<body>\n"
        f"{body}\n</body>\n</html>\n"
    )


SIGNIFICANT_DIGITS = 12


def json_ready(value):
    """``value`` with NumPy scalars as Python ones, inf and nan as strings (JSON has neither),
    and every other float rounded to ``SIGNIFICANT_DIGITS`` significant digits."""
    if isinstance(value, dict):
        return {str(key): json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(item) for item in value]
    if isinstance(value, (np.floating, float)):
        value = float(value)
        if not math.isfinite(value):
            return str(value)
        return float(f"{value:.{SIGNIFICANT_DIGITS}g}") if value else value
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def to_json(data, **options) -> str:
    """``data`` as indented JSON text ending in a newline, floats to ``SIGNIFICANT_DIGITS``."""
    return json.dumps(json_ready(data), indent=2, allow_nan=False, **options) + "\n"
