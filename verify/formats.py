"""The report formats every command shares, and JSON whose numbers do not depend on the machine.

Committed reports are compared byte for byte with a fresh run. A float computed through BLAS or a
vectorized ``exp`` can differ in its last bit from one machine to another, so the JSON reports
keep ``SIGNIFICANT_DIGITS`` significant digits: far more than any verdict needs, far fewer than
the 17 that expose rounding noise.
"""

from __future__ import annotations

import json
import math

import numpy as np

__all__ = ["SIGNIFICANT_DIGITS", "TABLE_FORMATS", "json_ready", "to_json"]

# Each report format and the tabulate table format it renders its tables with (JSON has none).
TABLE_FORMATS = {"md": "github", "txt": "simple", "tex": "latex", "html": "html", "json": None}

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
