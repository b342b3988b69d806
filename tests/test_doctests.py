"""The examples in derive's docstrings run and print what they show."""

import doctest
import importlib

import pytest

MODULES = [
    "derive",
    "derive.algebra",
    "derive.catalogue",
    "derive.tables",
    "derive.network",
    "derive.symbols",
    "derive.validation",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
