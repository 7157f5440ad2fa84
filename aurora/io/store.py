"""Save and load fitted results in a versioned, pickle-free file (R: ``saveRDS``/``readRDS``).

A file is a zip archive holding

- ``aurora.json``: the format name and version, a short description (formula, family,
  coefficient names) and the result itself as tagged JSON (see :mod:`aurora.io._codec`):
  the formula, the compiled :class:`~aurora.compile.spec.ModelSpec` (factor levels,
  term columns, formulaic's stateful-transform and encoder state), the family with its
  link and parameters, and every scalar of the estimates;
- ``arrays/<key>.npy``: the arrays (model matrix, response, weights, offset,
  coefficients, covariance, fitted values...), written with ``allow_pickle=False``.

Loading rebuilds the same :class:`~aurora.models.glm.GLMResult`, so ``predict(newdata)``
replays the same transforms (``poly()`` coefficients, factor levels, contrasts).
"""
from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from aurora.io._codec import Decoder, Encoder, StoreError

__all__ = ["save_result", "load", "FORMAT", "FORMAT_VERSION", "StoreError"]

FORMAT = "aurora-result"
FORMAT_VERSION = 1
_META = "aurora.json"


def _describe(result: Any) -> dict[str, Any]:
    return {"formula": str(result.plan.spec.formula), "family": result.family.name,
            "link": result.family.link.name, "coefficients": list(result.column_names),
            "nobs": int(result.nobs)}


def save_result(result: Any, path: str | os.PathLike) -> None:
    """Write a fitted result to ``path`` (any extension; ``.aurora`` is customary).

    Parameters
    ----------
    result : GLMResult
    path : str or path-like

    Raises
    ------
    StoreError
        For results that hold something the format cannot represent (e.g. a
        user-defined family class).

    Examples
    --------
    >>> import aurora, tempfile, os
    >>> m = aurora.glm("count ~ spray", aurora.datasets.load("InsectSprays"), family="poisson")
    >>> p = os.path.join(tempfile.mkdtemp(), "sprays.aurora")
    >>> save_result(m, p)
    >>> m2 = load(p)
    >>> bool((m2.predict() == m.predict()).all())
    True
    """
    from aurora.models.glm import GLMResult

    if not isinstance(result, GLMResult):
        raise StoreError(f"cannot save a {type(result).__name__}",
                         "save_result writes GLMResult objects")
    enc = Encoder()
    body = {
        "plan": enc.encode(result.plan),
        "estimates": enc.encode(result.estimates),
        "engine": result.engine,
        "call": result.call,
        "matrix_rename": enc.encode(getattr(result, "_matrix_rename", None)),
    }
    from aurora import __version__

    meta = {"format": FORMAT, "version": FORMAT_VERSION, "kind": "GLMResult",
            "aurora_version": __version__, "description": _describe(result), "result": body}
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", suffix=".tmp")
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(_META, json.dumps(meta, allow_nan=False, indent=1))
            for key, arr in enc.arrays.items():
                buf = io.BytesIO()
                np.save(buf, arr, allow_pickle=False)
                zf.writestr(f"arrays/{key}.npy", buf.getvalue())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _read_meta(zf: zipfile.ZipFile, path: Path) -> dict[str, Any]:
    try:
        meta = json.loads(zf.read(_META).decode("utf-8"))
    except KeyError:
        raise StoreError(f"{path} is a zip file but not an Aurora result (no {_META})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreError(f"{path}: the metadata of the file is corrupt ({exc})") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise StoreError(f"{path} is not an Aurora result file (format {meta.get('format')!r})"
                         if isinstance(meta, dict) else f"{path}: corrupt metadata")
    version = meta.get("version")
    if not isinstance(version, int) or version < 1:
        raise StoreError(f"{path}: invalid format version {version!r}")
    if version > FORMAT_VERSION:
        raise StoreError(f"{path} was written by a newer Aurora (format version {version}); "
                         f"this version reads up to {FORMAT_VERSION}",
                         "upgrade aurora to load it")
    if meta.get("kind") != "GLMResult":
        raise StoreError(f"{path} holds a {meta.get('kind')!r}, which this version cannot load")
    return meta


def _read_arrays(zf: zipfile.ZipFile, path: Path) -> dict[str, np.ndarray]:
    arrays = {}
    for name in zf.namelist():
        if not (name.startswith("arrays/") and name.endswith(".npy")):
            continue
        key = name[len("arrays/"):-len(".npy")]
        try:
            arrays[key] = np.load(io.BytesIO(zf.read(name)), allow_pickle=False)
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
            raise StoreError(f"{path}: array {key!r} is corrupt ({exc})") from exc
    return arrays


class _Arrays(dict):
    def __missing__(self, key: str) -> np.ndarray:
        raise StoreError(f"the file lacks the array {key!r}", "the file is incomplete or corrupt")


def load(path: str | os.PathLike) -> Any:
    """Load a result written by :func:`save_result` (R: ``readRDS``).

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    GLMResult

    Raises
    ------
    StoreError
        (an :class:`aurora.errors.AuroraError`) when the file is missing, not an Aurora
        result, corrupt, or written by a newer format version.
    """
    from aurora.models.glm import GLMResult

    path = Path(path)
    if not path.exists():
        raise StoreError(f"no such file: {path}")
    try:
        with zipfile.ZipFile(path) as zf:
            meta = _read_meta(zf, path)
            arrays = _read_arrays(zf, path)
    except zipfile.BadZipFile as exc:
        raise StoreError(f"{path} is not an Aurora result file (not a zip archive: {exc})") from exc
    dec = Decoder(_Arrays(arrays))
    try:
        body = meta["result"]
        plan = dec.decode(body["plan"])
        estimates = dec.decode(body["estimates"])
        result = GLMResult(plan, estimates, engine=body.get("engine", "numpy"), call=body.get("call"))
        rename = dec.decode(body.get("matrix_rename"))
    except StoreError as exc:
        raise StoreError(f"{path}: {exc.message}", exc.fix) from exc
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise StoreError(f"{path}: the file is corrupt ({type(exc).__name__}: {exc})") from exc
    if rename:
        result._matrix_rename = rename
    return result
