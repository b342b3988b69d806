"""Loading the user's function named on the command line: ``path/to/file.py:function``."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

__all__ = ["load_function", "parse_spec", "precheck"]


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
    location, name = parse_spec(spec)
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
            f"`spec` must name a callable, got {name} = {type(target).__name__} in {location}"
        )
    return target


def parse_spec(spec) -> tuple[str, str]:
    """``(location, name)`` of ``"path/to/file.py:function"`` or ``"module:function"``."""
    if not isinstance(spec, str):
        raise TypeError(f"`spec` must be a string like 'path/to/file.py:function', got {spec!r}")
    location, _, name = spec.rpartition(":")
    if not location or not name or not all(part.isidentifier() for part in name.split(".")):
        raise ValueError(
            f"`spec` must look like 'path/to/file.py:function' or 'module:function', got {spec!r}"
        )
    return location, name


def _looks_like_file(location: str) -> bool:
    return location.endswith(".py") or "/" in location or "\\" in location


def precheck(spec: str) -> None:
    """Check ``spec`` as far as can be done without running any of its code.

    A file must exist, be readable, be Python source text and compile; a module name must be a
    dotted identifier. Nothing is imported or executed.

    Raises
    ------
    ValueError, TypeError
        A malformed spec, a missing file (usage errors).
    ImportError
        A file that is binary, undecodable or has a syntax error (it cannot be run).
    OSError
        A file that cannot be read.
    """
    location, _ = parse_spec(spec)
    if not _looks_like_file(location):
        if not all(part.isidentifier() for part in location.split(".")):
            raise ValueError(
                f"`spec`'s module must be a dotted module name or a .py file, got {location!r}"
            )
        return
    path = _existing_file(location)
    source = path.read_bytes()
    if b"\0" in source:
        raise ImportError(f"{location} is not Python source (it holds NUL bytes: a binary file?)")
    try:
        text = importlib.util.decode_source(source)
    except (UnicodeDecodeError, SyntaxError) as err:
        raise ImportError(f"{location} is not Python source text ({err})") from None
    try:
        compile(text, str(path), "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as err:
        line = f", line {err.lineno}" if getattr(err, "lineno", None) else ""
        message = getattr(err, "msg", None) or str(err)
        raise ImportError(
            f"{location}{line}: {type(err).__name__}: {message}; fix the file and run again"
        ) from None


def _existing_file(location: str) -> Path:
    path = Path(location).expanduser().resolve()
    if path.is_dir():
        raise ValueError(f"`spec`'s file must be a .py file, got {location!r} (a directory)")
    if not path.is_file():
        raise ValueError(f"`spec`'s file must exist, got {location!r} (no such file)")
    return path


def _import_module(location: str):
    """``importlib.import_module``, trying again with the current directory on ``sys.path``."""
    try:
        return importlib.import_module(location)
    except ModuleNotFoundError as err:
        top = location.split(".")[0]
        if err.name not in (top, location):
            raise ImportError(f"importing {location!r} failed: {err}") from err
        cwd = str(Path.cwd())
        if cwd in sys.path or "" in sys.path:
            raise ValueError(
                f"`spec`'s module must be importable or a .py file, got {location!r} ({err})"
            ) from err
    sys.path.insert(0, cwd)
    try:
        return importlib.import_module(location)
    except ModuleNotFoundError as err:
        raise ValueError(
            f"`spec`'s module must be importable (from the current directory too) or a .py "
            f"file, got {location!r} ({err})"
        ) from err
    finally:
        sys.path.remove(cwd)


def _import_location(location: str):
    if not _looks_like_file(location):
        try:
            return _import_module(location)
        except (ValueError, ImportError):
            raise
        except KeyboardInterrupt:
            raise
        except BaseException as err:  # it raised, or called sys.exit, at import
            raise ImportError(f"importing {location} failed: {type(err).__name__}: {err}") from err
    path = _existing_file(location)
    module_name = f"_chainrule_user_{path.stem}_{abs(hash(str(path))):x}"
    file_spec = importlib.util.spec_from_file_location(module_name, path)
    if file_spec is None or file_spec.loader is None:
        raise ValueError(f"`spec`'s file must be a Python source file, got {location!r}")
    module = importlib.util.module_from_spec(file_spec)
    sys.path.insert(0, str(path.parent))
    sys.modules[module_name] = module
    try:
        file_spec.loader.exec_module(module)
    except KeyboardInterrupt:
        sys.modules.pop(module_name, None)
        raise
    except BaseException as err:  # it raised, or called sys.exit, at import
        sys.modules.pop(module_name, None)
        raise ImportError(f"importing {location} failed: {type(err).__name__}: {err}") from err
    finally:
        sys.path.remove(str(path.parent))
    return module
