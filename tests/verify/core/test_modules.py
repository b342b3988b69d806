"""The checking core's modules: old import paths still work, and no module is too long."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

import verify.core

FINITE_DIFFERENCES = [
    "METHODS",
    "PERTURBATIONS",
    "DirectionalResult",
    "FDResult",
    "directional_check",
    "kinked_at_zero",
    "network_gradient",
    "network_loss",
    "numerical_gradient",
]
COMPARE = [
    "KINDS",
    "LAYER_FLOOR",
    "N_WORST",
    "NEARLY_SCALED",
    "PASSING_KINDS",
    "TABLE_HEADERS",
    "Finding",
    "compare_gradients",
    "default_tolerances",
    "describe_factor",
    "findings_table",
    "least_precise_dtype",
    "summarize",
]


@pytest.mark.parametrize(
    ("module", "names"),
    [("verify.core.finite_differences", FINITE_DIFFERENCES), ("verify.core.compare", COMPARE)],
)
def test_public_names_stay_importable_from_their_old_modules(module, names):
    imported = importlib.import_module(module)
    assert all(hasattr(imported, name) for name in names)


@pytest.mark.parametrize(
    "module",
    ["network_gradient", "estimators", "summary", "findings", "params", "validation"],
)
def test_each_module_imports_on_its_own(module):
    importlib.import_module(f"verify.core.{module}")


def test_no_module_of_the_core_is_over_800_lines():
    folder = Path(verify.core.__file__).parent
    lengths = {path.name: len(path.read_text().splitlines()) for path in folder.glob("*.py")}
    assert max(lengths.values()) <= 800, lengths
