"""Saving and loading networks as ``.npz``: architecture as JSON metadata, parameters as arrays.

The metadata also keeps the seed, the initialisation and the state of the network's random
generator, so training continued after a load shuffles exactly as the saved network would have.
``load`` checks the metadata and the arrays' headers before it reads or allocates anything.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np

from numeric.activations import ACTIVATIONS
from numeric.costs import COSTS
from numeric.files import atomic_write_bytes
from numeric.validation import Description, argument_error

__all__ = ["SUFFIX", "load", "save"]

FORMAT = "chainrule.numeric.Network"
VERSION = 2
SUFFIX = ".npz"
# Fields every version has; version 2 added seed, init, rng and target_ndim.
REQUIRED = ("sizes", "activations", "cost", "dtype", "reduction")


def npz_path(path) -> Path:
    """``path`` with ``.npz`` appended when it has another suffix or none (as numpy.savez)."""
    path = Path(path)
    return path if path.suffix == SUFFIX else path.with_name(path.name + SUFFIX)


def save(network, path) -> Path:
    """Write ``network`` to ``path`` (``.npz`` appended when missing) through a temporary file
    and a rename: never half-written. Returns the path written."""
    for act in network.activations:
        if ACTIVATIONS.get(act.name) is not act:
            raise argument_error(
                f"network.activations[{network.activations.index(act)}]",
                "a registered activation to be saved",
                Description(f"a custom {act!r}"),
            )
    if COSTS.get(network.cost.name) is not network.cost:
        raise argument_error(
            "network.cost",
            "a registered cost to be saved",
            Description(f"a custom {network.cost!r}"),
        )
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "sizes": list(network.sizes),
        "activations": [a.name for a in network.activations],
        "cost": network.cost.name,
        "dtype": network.dtype.name,
        "reduction": network.reduction,
        "seed": network.seed,
        "init": network.init,
        "rng": network.rng.bit_generator.state,
        "target_ndim": network._target_ndim,
    }
    arrays = {"meta": np.array(json.dumps(meta))}
    for m, (W, b) in enumerate(network.params, start=1):
        arrays[f"W{m}"], arrays[f"b{m}"] = W, b
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return atomic_write_bytes(npz_path(path), buffer.getvalue())


def _resolve(path) -> Path:
    path = Path(path)
    if not path.exists() and path.suffix != SUFFIX and npz_path(path).exists():
        return npz_path(path)  # what save("model") wrote
    return path


def _headers(archive: zipfile.ZipFile) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Each array's shape and dtype, from its .npy header alone (no data read)."""
    headers = {}
    for info in archive.infolist():
        name = info.filename
        if not name.endswith(".npy"):
            raise ValueError(f"member {name!r} is not a .npy array")
        with archive.open(info) as handle:
            version = np.lib.format.read_magic(handle)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(handle)
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(handle)
            else:
                raise ValueError(f"{name!r} has .npy format version {version}, expected 1.0 or 2.0")
        if dtype.hasobject:
            raise ValueError(f"{name!r} holds Python objects, which are never unpickled")
        headers[name[: -len(".npy")]] = (shape, dtype)
    return headers


def _check_meta(meta) -> dict:
    if not isinstance(meta, dict):
        raise ValueError(f"the metadata must be a JSON object, got {type(meta).__name__}")
    if meta.get("format") != FORMAT:
        raise ValueError(f"format is {meta.get('format')!r}, expected {FORMAT!r}")
    for key in REQUIRED:
        if key not in meta:
            raise KeyError(key)
    sizes = meta["sizes"]
    if (
        not isinstance(sizes, list)
        or len(sizes) < 2
        or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in sizes)
    ):
        raise ValueError(f"sizes must be a list of at least 2 positive ints, got {sizes!r}")
    return meta


def _check_arrays(headers, sizes) -> None:
    """The arrays present are exactly the layers of ``sizes``, of their shapes and real floats."""
    n_layers = len(sizes) - 1
    expected = {f"{name}{m}" for m in range(1, n_layers + 1) for name in "Wb"}
    if set(headers) != expected:
        raise ValueError(f"arrays {sorted(headers)} do not match the layers {sorted(expected)}")
    for m in range(1, n_layers + 1):
        for name, shape in (("W", (sizes[m], sizes[m - 1])), ("b", (sizes[m],))):
            stored, dtype = headers[f"{name}{m}"]
            if stored != shape:
                raise ValueError(f"{name}{m} has shape {stored}, the architecture needs {shape}")
            if dtype.kind != "f":
                raise ValueError(f"{name}{m} has dtype {dtype}, expected real floats")


def load(path, network_class):
    """The ``network_class`` stored at ``path``; ValueError if the file is corrupt or mismatched."""
    path = _resolve(path)
    where = f"`path` {str(path)!r}"
    try:
        with zipfile.ZipFile(path) as archive:
            headers = _headers(archive)
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as err:
        kind = " (a .npy array, not a network)" if _is_npy(path) else ""
        raise ValueError(f"{where} is not a readable .npz network file{kind}: {err}") from err
    try:
        if "meta" not in headers:
            raise KeyError("meta")
        shape, dtype = headers.pop("meta")
        if shape != () or dtype.kind != "U":
            raise ValueError(f"meta must be a JSON string, got an array of {dtype}, shape {shape}")
        with np.load(path, allow_pickle=False) as data:
            meta = _check_meta(json.loads(str(data["meta"])))
            _check_arrays(headers, meta["sizes"])
            network = network_class.__new__(network_class)
            network._configure(
                meta["sizes"],
                meta["activations"],
                meta["cost"],
                meta.get("seed"),
                meta["dtype"],
                meta.get("init", "normal"),
                meta["reduction"],
            )
            arrays = {key: data[key] for key in headers}
        for key, array in arrays.items():
            if not np.isfinite(array).all():
                raise ValueError(
                    f"{key} has {np.count_nonzero(~np.isfinite(array))} NaN/Inf entries"
                )
        network.params = [
            (arrays[f"W{m}"], arrays[f"b{m}"]) for m in range(1, network.n_layers + 1)
        ]
        _restore_state(network, meta)
    except (KeyError, TypeError, ValueError, json.JSONDecodeError) as err:
        raise ValueError(f"{where} is not a valid chainrule network: {err}") from err
    return network


def _restore_state(network, meta: dict) -> None:
    state = meta.get("rng")
    if state is not None:
        if not isinstance(state, dict):
            raise ValueError(f"rng must be a generator state (a JSON object), got {state!r}")
        network.rng.bit_generator.state = state
    ndim = meta.get("target_ndim")
    if ndim not in (None, 1, 2) or isinstance(ndim, bool):
        raise ValueError(f"target_ndim must be 1, 2 or null, got {ndim!r}")
    network._target_ndim = ndim


def _is_npy(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(6) == b"\x93NUMPY"
    except OSError:
        return False
