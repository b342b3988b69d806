"""Saving and loading networks as ``.npz``: architecture as JSON metadata, parameters as arrays."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np

from numeric.activations import ACTIVATIONS
from numeric.costs import COSTS
from numeric.files import atomic_write_bytes
from numeric.validation import Description, argument_error

__all__ = ["load", "save"]

FORMAT = "chainrule.numeric.Network"
VERSION = 1


def save(network, path) -> None:
    """Write ``network`` to ``path`` through a temporary file and a rename: never half-written."""
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
    }
    arrays = {"meta": np.array(json.dumps(meta))}
    for m, (W, b) in enumerate(network.params, start=1):
        arrays[f"W{m}"], arrays[f"b{m}"] = W, b
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    atomic_write_bytes(path, buffer.getvalue())


def load(path, network_class):
    """The ``network_class`` stored at ``path``; ValueError if the file is corrupt or mismatched."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise ValueError(
            f"`path` {str(path)!r} is not a readable .npz network file: {err}"
        ) from err
    try:
        meta = json.loads(str(arrays.pop("meta")))
        if meta.get("format") != FORMAT:
            raise ValueError(f"format is {meta.get('format')!r}, expected {FORMAT!r}")
        network = network_class(
            meta["sizes"],
            meta["activations"],
            meta["cost"],
            dtype=meta["dtype"],
            reduction=meta["reduction"],
            seed=0,
        )
        expected = {f"{name}{m}" for m in range(1, network.n_layers + 1) for name in "Wb"}
        if set(arrays) != expected:
            raise ValueError(f"arrays {sorted(arrays)} do not match the layers {sorted(expected)}")
        for m, (W, b) in enumerate(network.params, start=1):
            for name, current in (("W", W), ("b", b)):
                stored = arrays[f"{name}{m}"]
                if stored.shape != current.shape:
                    raise ValueError(
                        f"{name}{m} has shape {stored.shape}, "
                        f"the architecture needs {current.shape}"
                    )
        network.params = [
            (arrays[f"W{m}"].astype(network.dtype), arrays[f"b{m}"].astype(network.dtype))
            for m in range(1, network.n_layers + 1)
        ]
    except (KeyError, TypeError, ValueError, json.JSONDecodeError) as err:
        raise ValueError(f"`path` {str(path)!r} is not a valid chainrule network: {err}") from err
    return network
