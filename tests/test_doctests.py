"""The examples in the docstrings of all three packages run and print what they show."""

import doctest
import importlib
import pkgutil

import pytest

import derive
import numeric
import verify


def _modules():
    for package in (numeric, derive, verify):
        yield package.__name__
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
            yield info.name


def _with_examples(name: str) -> bool:
    module = importlib.import_module(name)
    return any(test.examples for test in doctest.DocTestFinder().find(module))


MODULES = [name for name in _modules() if _with_examples(name)]
# Modules whose examples use an optional extra: (module to import, the extra that brings it).
NEEDS = {"verify.oracle.adapters": ("torch", "peers")}


def test_every_package_has_runnable_examples():
    for package in ("numeric", "derive", "verify"):
        assert any(name.split(".")[0] == package for name in MODULES), package


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    if name in NEEDS:
        module, extra = NEEDS[name]
        pytest.importorskip(
            module, reason=f"the examples need {module}: pip install -e '.[{extra}]'"
        )
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
