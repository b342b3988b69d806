"""No module of the three packages is over 800 lines: one room per capability (issue 9)."""

from __future__ import annotations

from pathlib import Path

import derive
import numeric
import verify

LIMIT = 800


def test_no_module_of_numeric_derive_or_verify_is_over_800_lines():
    lengths = {}
    for package in (numeric, derive, verify):
        root = Path(package.__file__).parent
        for path in sorted(root.rglob("*.py")):
            name = path.relative_to(root.parent).as_posix()
            lengths[name] = len(path.read_text(encoding="utf-8").splitlines())
    assert {name.split("/")[0] for name in lengths} == {"numeric", "derive", "verify"}
    too_long = {name: n for name, n in lengths.items() if n > LIMIT}
    assert not too_long, f"over {LIMIT} lines: {too_long}"
