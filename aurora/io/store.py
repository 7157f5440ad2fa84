"""Save and load fitted results in a versioned, pickle-free file (R: ``saveRDS``/``readRDS``).

A file is a zip archive holding

- ``aurora.json``: the format name and version, a short description (formula, family,
  coefficient names), the shape and dtype of every array, and the result itself as tagged
  JSON (see :mod:`aurora.io._codec`): the formula, the compiled
  :class:`~aurora.compile.spec.ModelSpec` (factor levels, term columns, formulaic's
  stateful-transform and encoder state), the family with its link and parameters, and
  every scalar of the estimates;
- ``arrays/<key>.npy``: the arrays (model matrix, response, weights, offset,
  coefficients, covariance, fitted values...), written with ``allow_pickle=False``;
- ``SHA256SUMS``: the SHA-256 of every other member, one ``<hex>  <member>`` line each
  (the layout of ``sha256sum``, so ``unzip m.aurora && sha256sum -c SHA256SUMS`` checks
  an unpacked file with standard tools).

Loading checks the archive before it builds anything: every member must decompress
cleanly, match its recorded SHA-256, and be listed; every array must have the shape and
dtype that ``aurora.json`` records. Any failure raises :class:`StoreError` naming the
member, and nothing is loaded. The checksums detect damage and edits, not forgery: whoever
can rewrite a file can rewrite its checksums too.

Files of format version 1 (Aurora before checksums were added) carry no checksums; they
still load, with the structural checks only.

Loading rebuilds the same :class:`~aurora.models.glm.GLMResult`, so ``predict(newdata)``
replays the same transforms (``poly()`` coefficients, factor levels, contrasts).
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import struct
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from aurora.io._codec import Decoder, Encoder, StoreError

__all__ = ["save_result", "load", "FORMAT", "FORMAT_VERSION", "StoreError"]

FORMAT = "aurora-result"
FORMAT_VERSION = 2
_META = "aurora.json"
_SUMS = "SHA256SUMS"
_FIRST_CHECKED_VERSION = 2
# What zipfile, zlib and struct raise on damaged archives (a bad CRC is a BadZipFile).
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError,
               NotImplementedError, struct.error, OverflowError, IndexError, KeyError,
               UnicodeDecodeError)
_SUM_LINE = re.compile(r"([0-9a-f]{64})  (\S[^\r\n]*)")
_FIX_DAMAGED = "the file was damaged or edited after it was saved; save the result again"


def _member(key: str) -> str:
    return f"arrays/{key}.npy"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _describe(result: Any) -> dict[str, Any]:
    return {"formula": str(result.plan.spec.formula), "family": result.family.name,
            "link": result.family.link.name, "coefficients": list(result.column_names),
            "nobs": int(result.nobs)}


def save_result(result: Any, path: str | os.PathLike) -> None:
    """Write a fitted result to ``path`` (any extension; ``.aurora`` is customary).

    The file is written to a temporary name and moved into place, so a failed save never
    leaves a partial file at ``path``.

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
    from aurora.models.gam_result import GAMResult
    from aurora.models.glm import GLMResult

    enc = Encoder()
    if isinstance(result, GAMResult):
        kind = "GAMResult"
        body = {"plan": enc.encode(result.plan), "fit": enc.encode(result.fit),
                "family": enc.encode(result.family), "method": result.method,
                "formula": result.formula, "engine": result.engine,
                "P": enc.encode(result.P)}
    elif isinstance(result, GLMResult):
        kind = "GLMResult"
        body = {
            "plan": enc.encode(result.plan),
            "estimates": enc.encode(result.estimates),
            "engine": result.engine,
            "call": result.call,
            "matrix_rename": enc.encode(getattr(result, "_matrix_rename", None)),
        }
    else:
        raise StoreError(f"cannot save a {type(result).__name__}",
                         "save_result writes GLMResult and GAMResult objects")
    from aurora import __version__

    members: dict[str, bytes] = {}
    record: dict[str, dict[str, Any]] = {}
    for key, arr in enc.arrays.items():
        buf = io.BytesIO()
        np.save(buf, arr, allow_pickle=False)
        members[_member(key)] = buf.getvalue()
        record[key] = {"shape": list(arr.shape), "dtype": arr.dtype.str}
    meta = {"format": FORMAT, "version": FORMAT_VERSION, "kind": kind,
            "aurora_version": __version__, "description": _describe(result),
            "arrays": record, "result": body}
    members = {_META: json.dumps(meta, allow_nan=False, indent=1).encode("utf-8"), **members}
    sums = "".join(f"{_sha256(data)}  {name}\n" for name, data in members.items())
    members[_SUMS] = sums.encode("ascii")
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", suffix=".tmp")
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, data in members.items():
                zf.writestr(name, data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


# ---------------------------------------------------------------- reading the archive
def _truncation(data: bytes) -> str | None:
    """Say where a zip archive without its end record was cut, walking its local headers
    (``"is truncated: member 'arrays/a3.npy' is cut off"``).

    Returns None when the bytes do not look like a zip archive written front to back.
    """
    pos, name = 0, None
    while data.startswith(b"PK\x03\x04", pos):
        header_end = pos + 30
        if header_end <= len(data):
            flags, method, csize, nlen, xlen = struct.unpack_from("<6xHH8xI4xHH", data, pos)
            if flags & 0x08 or csize == 0xFFFFFFFF or method not in (0, 8):
                return None  # not a header Aurora writes, or sizes kept after the data
            header_end += nlen
        if header_end > len(data):
            break
        try:
            name = data[pos + 30:header_end].decode("utf-8")
        except UnicodeDecodeError:
            return None
        if not name.isprintable():
            return None
        pos = header_end + xlen + csize
        if pos > len(data):
            return f"is truncated: member {name!r} is cut off"
    tail = data[pos:]
    if pos == 0 and not tail.startswith(b"PK\x03\x04"):
        return None
    if pos == len(data) or tail.startswith(b"PK\x01\x02") or b"PK\x01\x02".startswith(tail):
        return ("is truncated or damaged: its index (the zip central directory, after the last "
                "member) is missing or cut off")
    if tail.startswith(b"PK\x03\x04") or b"PK\x03\x04".startswith(tail):
        after = "its first member" if name is None else f"the member after {name!r}"
        return f"is truncated: it ends inside the header of {after}"
    return None


def _read_members(path: Path) -> dict[str, bytes]:
    """Every member's bytes; any damage the zip layer detects names the member."""
    try:
        zf = zipfile.ZipFile(path)
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except _ZIP_ERRORS as exc:
        data = path.read_bytes()
        if not data:
            raise StoreError(f"{path} is empty, not an Aurora result file") from exc
        where = _truncation(data)
        if where is not None:
            raise StoreError(f"{path} {where}", _FIX_DAMAGED) from exc
        raise StoreError(f"{path} is not an Aurora result file "
                         f"(not a zip archive, or a corrupt one: {exc})") from exc
    members: dict[str, bytes] = {}
    with zf:
        for info in zf.infolist():
            name = info.filename
            if name in members:
                raise StoreError(f"{path}: member {name!r} appears twice in the archive",
                                 _FIX_DAMAGED)
            try:
                members[name] = zf.read(info)
            except _ZIP_ERRORS as exc:
                raise StoreError(f"{path}: member {name!r} is corrupt or truncated ({exc})",
                                 _FIX_DAMAGED) from exc
    return members


def _verify(members: dict[str, bytes], path: Path) -> None:
    """Check every member against ``SHA256SUMS``, and that it lists exactly the members."""
    def corrupt(why: str) -> StoreError:
        return StoreError(f"{path}: member {_SUMS!r} is corrupt ({why})", _FIX_DAMAGED)

    try:
        lines = members[_SUMS].decode("ascii").splitlines()
    except UnicodeDecodeError:
        raise corrupt("it is not ASCII text") from None
    recorded: dict[str, str] = {}
    for number, line in enumerate(lines, 1):
        match = _SUM_LINE.fullmatch(line)
        if match is None or match.group(2) in recorded:
            raise corrupt(f"line {number} is not '<sha256>  <member>' for a new member")
        recorded[match.group(2)] = match.group(1)
    if _META not in recorded:
        raise corrupt(f"it does not list {_META}")
    for name, digest in recorded.items():
        if name not in members:
            raise StoreError(f"{path}: the file lacks the member {name!r} (listed in {_SUMS})",
                             "the file is incomplete; save the result again")
        if _sha256(members[name]) != digest:
            raise StoreError(f"{path}: member {name!r} is corrupt: its SHA-256 differs from the "
                             f"one recorded in {_SUMS}", _FIX_DAMAGED)
    for name in members:
        if name != _SUMS and name not in recorded:
            raise StoreError(f"{path}: member {name!r} is not listed in {_SUMS}", _FIX_DAMAGED)


def _read_meta(members: dict[str, bytes], path: Path) -> dict[str, Any]:
    if _META not in members:
        raise StoreError(f"{path} is a zip file but not an Aurora result (no {_META})")
    try:
        meta = json.loads(members[_META].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise StoreError(f"{path}: member {_META!r} is corrupt ({exc})") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise StoreError(f"{path} is not an Aurora result file (format {meta.get('format')!r})"
                         if isinstance(meta, dict) else f"{path}: member {_META!r} is corrupt")
    version = meta.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise StoreError(f"{path}: invalid format version {version!r} in {_META!r}")
    if version > FORMAT_VERSION:
        raise StoreError(f"{path} was written by a newer Aurora (format version {version}); "
                         f"this version reads up to {FORMAT_VERSION}",
                         "upgrade aurora to load it")
    if meta.get("kind") not in ("GLMResult", "GAMResult"):
        raise StoreError(f"{path} holds a {meta.get('kind')!r}, which this version cannot load")
    return meta


def _array_record(meta: dict[str, Any], path: Path) -> dict[str, tuple[list[int], str]]:
    record = meta.get("arrays")
    out = {}
    try:
        for key, rec in record.items():
            shape, dtype = rec["shape"], rec["dtype"]
            if not (isinstance(key, str) and isinstance(dtype, str) and isinstance(shape, list)
                    and all(isinstance(n, int) for n in shape)):
                raise TypeError
            out[key] = (shape, dtype)
    except (AttributeError, KeyError, TypeError) as exc:
        raise StoreError(f"{path}: member {_META!r} is corrupt (its 'arrays' record is not "
                         "key -> {shape, dtype})") from exc
    return out


def _read_arrays(members: dict[str, bytes], meta: dict[str, Any], path: Path) -> dict[str, np.ndarray]:
    """The arrays, each checked against the shape and dtype recorded in the metadata."""
    checked = meta["version"] >= _FIRST_CHECKED_VERSION
    record = _array_record(meta, path) if checked else {}
    if checked:
        for key in record:
            if _member(key) not in members:
                raise StoreError(f"{path}: the file lacks the member {_member(key)!r}",
                                 "the file is incomplete; save the result again")
    arrays = {}
    for name, data in members.items():
        if not (name.startswith("arrays/") and name.endswith(".npy")):
            continue
        key = name[len("arrays/"):-len(".npy")]
        if checked and key not in record:
            raise StoreError(f"{path}: member {name!r} is not recorded in {_META!r}", _FIX_DAMAGED)
        try:
            arr = np.load(io.BytesIO(data), allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:
            raise StoreError(f"{path}: member {name!r} is corrupt ({exc})", _FIX_DAMAGED) from exc
        if not isinstance(arr, np.ndarray):
            raise StoreError(f"{path}: member {name!r} is not a single .npy array")
        if checked and (list(arr.shape), arr.dtype.str) != record[key]:
            shape, dtype = record[key]
            raise StoreError(f"{path}: member {name!r} holds an array of shape {tuple(arr.shape)} "
                             f"and dtype {arr.dtype.str!r}, but {_META} records shape "
                             f"{tuple(shape)} and dtype {dtype!r}", _FIX_DAMAGED)
        arrays[key] = arr
    return arrays


class _Arrays(dict):
    def __missing__(self, key: str) -> np.ndarray:
        raise StoreError(f"the file lacks the member {_member(key)!r}",
                         "the file is incomplete or corrupt")


def load(path: str | os.PathLike) -> Any:
    """Load a result written by :func:`save_result` (R: ``readRDS``).

    The whole archive is checked first (see the module notes): a member that does not
    match its SHA-256, is missing, unlisted, truncated or undecompressable, or an array
    whose shape or dtype differs from the record, raises :class:`StoreError` naming the
    member. Files of format version 1 have no checksums and load with structural checks
    only.

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
        result, damaged or edited, or written by a newer format version.

    Examples
    --------
    >>> import aurora, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "m.aurora")
    >>> aurora.glm("mpg ~ wt", aurora.datasets.load("mtcars")).save(p)
    >>> with open(p, "r+b") as fh:  # damage one byte of the first member's data
    ...     _ = fh.seek(60); b = fh.read(1); _ = fh.seek(60); _ = fh.write(bytes([b[0] ^ 0xFF]))
    >>> try:
    ...     load(p)
    ... except StoreError as exc:
    ...     print("'aurora.json'" in str(exc))
    True
    """
    from aurora.models.glm import GLMResult

    path = Path(path)
    if not path.exists():
        raise StoreError(f"no such file: {path}")
    if path.is_dir():
        raise StoreError(f"{path} is a directory, not an Aurora result file")
    members = _read_members(path)
    has_sums = _SUMS in members
    if has_sums:
        _verify(members, path)
    meta = _read_meta(members, path)
    if meta["version"] >= _FIRST_CHECKED_VERSION and not has_sums:
        raise StoreError(f"{path}: the file lacks the member {_SUMS!r} (its checksums)",
                         "the file is incomplete; save the result again")
    arrays = _read_arrays(members, meta, path)
    dec = Decoder(_Arrays(arrays))
    try:
        body = meta["result"]
        plan = dec.decode(body["plan"])
        rename = None
        if meta.get("kind") == "GAMResult":
            from aurora.models.gam_result import GAMResult

            result = GAMResult(plan, dec.decode(body["fit"]), dec.decode(body["family"]),
                               body["method"], body["formula"], engine=body.get("engine", "numpy"),
                               P=dec.decode(body.get("P")))
        else:
            estimates = dec.decode(body["estimates"])
            result = GLMResult(plan, estimates, engine=body.get("engine", "numpy"),
                               call=body.get("call"))
            rename = dec.decode(body.get("matrix_rename"))
    except StoreError as exc:
        raise StoreError(f"{path}: {exc.message}", exc.fix) from exc
    except (LookupError, TypeError, ValueError, AttributeError, ArithmeticError,
            RecursionError) as exc:
        raise StoreError(f"{path}: member {_META!r} is corrupt "
                         f"({type(exc).__name__}: {exc})") from exc
    if rename:
        result._matrix_rename = rename
    return result
