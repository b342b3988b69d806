"""Loading the user's function named on the command line: ``path/to/file.py:function``."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

__all__ = ["load_function"]


def load_function(spec: str) -> Callable:
    """The function named by ``"path/to/file.py:function"`` or ``"package.module:function"``.

    ``function`` may be dotted (``"file.py:Network.gradients"``). A file is imported under a
    private module name with its own folder on ``sys.path`` during the import, so its sibling
    modules import as they would when it runs as a script.

    Raises
    ------
    ValueError
        When ``spec`` is malformed, the file does not exist, or the name is not in it (the
        message lists the callables it does have).
    TypeError
        When the name is not callable.
    ImportError
        When importing the file or module fails (the original error is chained).
    """
    if not isinstance(spec, str):
        raise TypeError(f"spec must be a string like 'path/to/file.py:function', got {spec!r}")
    location, _, name = spec.rpartition(":")
    if not location or not name or not all(part.isidentifier() for part in name.split(".")):
        raise ValueError(
            f"spec must look like 'path/to/file.py:function' or 'module:function', got {spec!r}"
        )
    module = _import_location(location)
    target = module
    for depth, part in enumerate(name.split(".")):
        if not hasattr(target, part):
            where = ".".join(name.split(".")[:depth]) or location
            available = sorted(
                n for n, v in vars(target).items() if callable(v) and not n.startswith("_")
            )
            raise ValueError(
                f"spec's name {part!r} is not defined in {where}; callables there: "
                f"{', '.join(available) or 'none'}"
            )
        target = getattr(target, part)
    if not callable(target):
        raise TypeError(
            f"spec must name a callable, got {name} = {type(target).__name__} in {location}"
        )
    return target


def _import_location(location: str):
    looks_like_file = location.endswith(".py") or "/" in location or "\\" in location
    if not looks_like_file:
        try:
            return importlib.import_module(location)
        except ModuleNotFoundError as err:
            if err.name != location.split(".")[0] and err.name != location:
                raise ImportError(f"importing {location!r} failed: {err}") from err
            raise ValueError(
                f"spec's module must be importable or a .py file, got {location!r} ({err})"
            ) from err
    path = Path(location).expanduser().resolve()
    if not path.is_file():
        raise ValueError(f"spec's file must exist, got {location!r} (no such file)")
    module_name = f"_chainrule_user_{path.stem}_{abs(hash(str(path))):x}"
    file_spec = importlib.util.spec_from_file_location(module_name, path)
    if file_spec is None or file_spec.loader is None:
        raise ValueError(f"spec's file must be a Python source file, got {location!r}")
    module = importlib.util.module_from_spec(file_spec)
    sys.path.insert(0, str(path.parent))
    sys.modules[module_name] = module
    try:
        file_spec.loader.exec_module(module)
    except Exception as err:
        del sys.modules[module_name]
        raise ImportError(f"importing {location} failed: {type(err).__name__}: {err}") from err
    finally:
        sys.path.remove(str(path.parent))
    return module
