"""Damaged, edited and foreign result files: each raises StoreError naming the member.

Edits are made two ways: on the member's content (the zip stays valid, so only the
SHA-256 in ``SHA256SUMS`` or the shape/dtype record can catch them) and on the archive's
raw bytes (where zip's CRC and zlib catch them first). ``resign=True`` rewrites
``SHA256SUMS`` to match, to reach the checks behind the checksums and to show that an
edit caught by the checksum really changes what would be loaded.
"""
from __future__ import annotations

import hashlib
import io
import json
import struct
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

import aurora
from aurora.io import FORMAT_VERSION, StoreError, load
from reference import case_by_name, case_newdata, fit_case

SUMS, META = "SHA256SUMS", "aurora.json"


@pytest.fixture(scope="module")
def fitted():
    return fit_case("insectsprays_poisson")


@pytest.fixture(scope="module")
def good(fitted, tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("good") / "good.aurora"
    fitted.save(path)
    return path.read_bytes()


def _members(raw: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _zip(members: dict[str, bytes], resign: bool = False) -> bytes:
    members = dict(members)
    if resign:
        members[SUMS] = "".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n"
                                for n, d in members.items() if n != SUMS).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _edit(raw: bytes, name: str, data: bytes | None, resign: bool = False) -> bytes:
    """Replace (or, with ``data=None``, delete) one member."""
    members = _members(raw)
    if data is None:
        del members[name]
    else:
        members[name] = data
    return _zip(members, resign)


def _load(tmp_path: Path, raw: bytes):
    path = tmp_path / "edited.aurora"
    path.write_bytes(raw)
    return load(path)


def _error(tmp_path: Path, raw: bytes) -> str:
    with pytest.raises(StoreError) as info:
        _load(tmp_path, raw)
    return str(info.value)


def _data_span(raw: bytes, name: str) -> tuple[int, int]:
    """Where a member's (compressed) data lies in the archive."""
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        info = zf.getinfo(name)
    nlen, xlen = struct.unpack_from("<HH", raw, info.header_offset + 26)
    start = info.header_offset + 30 + nlen + xlen
    return start, start + info.compress_size


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def _coefficient_member(raw: bytes, fitted) -> str:
    for name, data in _members(raw).items():
        if name.endswith(".npy"):
            arr = np.load(io.BytesIO(data))
            if arr.shape == fitted.params.shape and np.array_equal(arr, fitted.params.to_numpy()):
                return name
    raise AssertionError("no member holds the coefficients")


# ---------------------------------------------------------------- the clean file
def test_clean_round_trip_predicts_the_same(tmp_path, good, fitted):
    m2 = _load(tmp_path, good)
    new = case_newdata(case_by_name("insectsprays_poisson"))
    np.testing.assert_array_equal(m2.predict(new, type="response"), fitted.predict(new, type="response"))
    np.testing.assert_array_equal(m2.params, fitted.params)


def test_sha256sums_lists_every_member_and_json_records_every_array(good):
    members = _members(good)
    lines = members[SUMS].decode().splitlines()
    listed = {line[66:]: line[:64] for line in lines}
    assert set(listed) == set(members) - {SUMS}
    assert all(hashlib.sha256(members[n]).hexdigest() == h for n, h in listed.items())
    assert _zip(members, resign=True) == _zip(members)  # the helper writes the same list
    meta = json.loads(members[META])
    assert meta["version"] == FORMAT_VERSION == 2
    for key, rec in meta["arrays"].items():
        arr = np.load(io.BytesIO(members[f"arrays/{key}.npy"]))
        assert rec == {"shape": list(arr.shape), "dtype": arr.dtype.str}


# ---------------------------------------------------------------- edited content
def test_changed_coefficient_is_refused(tmp_path, good, fitted):
    name = _coefficient_member(good, fitted)
    coef = np.load(io.BytesIO(_members(good)[name]))
    coef[1] = np.nextafter(coef[1], np.inf)
    msg = _error(tmp_path, _edit(good, name, _npy(coef)))
    assert repr(name) in msg and "SHA-256" in msg
    # control: with matching checksums the edit would load, with the changed number
    changed = _load(tmp_path, _edit(good, name, _npy(coef), resign=True))
    assert changed.params.iloc[1] != fitted.params.iloc[1]


def test_flipped_byte_in_each_member_content(tmp_path, good):
    for name, data in _members(good).items():
        msg = _error(tmp_path, _edit(good, name, _flip(data, len(data) // 2)))
        assert repr(name) in msg, (name, msg)


def test_flipped_byte_in_each_member_on_disk(tmp_path, good):
    for name in _members(good):
        start, end = _data_span(good, name)
        msg = _error(tmp_path, _flip(good, (start + end) // 2))
        assert repr(name) in msg, (name, msg)


def _flip_sample(raw: bytes) -> list[int]:
    """Every byte of the first member's local and central headers and of the end record
    (the other members' headers have the same fields), every 17th byte of the members'
    data, and each member's first and last data bytes."""
    cd_offset = struct.unpack_from("<I", raw, len(raw) - 6)[0]
    nlen, xlen, clen = struct.unpack_from("<HHH", raw, cd_offset + 28)
    first_start, _ = _data_span(raw, META)
    sample = set(range(first_start)) | set(range(cd_offset, cd_offset + 46 + nlen + xlen + clen))
    sample |= set(range(len(raw) - 22, len(raw)))
    for name in _members(raw):
        start, end = _data_span(raw, name)
        sample |= set(range(start, end, 17)) | {start, end - 2, end - 1}
    return sorted(sample)


def test_flipped_bytes_are_refused_or_harmless(tmp_path, good, fitted):
    """A flipped byte gives StoreError or, where it hits a field the reader ignores (a
    timestamp, a size repeated in the local header, zlib's padding), the same members and
    the same model: never a raw zip/zlib error, never changed numbers."""
    original = _members(good)
    sample = _flip_sample(good)
    refused = 0
    for at in sample:
        flipped = _flip(good, at)
        try:
            m2 = _load(tmp_path, flipped)
        except StoreError:
            refused += 1
            continue
        assert _members(flipped) == original, at
        np.testing.assert_array_equal(m2.params, fitted.params)
    assert refused > len(sample) // 2


def test_truncated_member(tmp_path, good):
    for name, data in _members(good).items():
        msg = _error(tmp_path, _edit(good, name, data[: len(data) // 2]))
        assert repr(name) in msg and ("SHA-256" in msg or name == SUMS), (name, msg)
        if name != SUMS:  # behind the checksums, the reader refuses the short member too
            msg = _error(tmp_path, _edit(good, name, data[: len(data) // 2], resign=True))
            assert repr(name) in msg and "corrupt" in msg, (name, msg)


def test_array_of_another_shape_or_dtype(tmp_path, good, fitted):
    name = _coefficient_member(good, fitted)
    coef = np.load(io.BytesIO(_members(good)[name]))
    for other in (coef[:-1], np.concatenate([coef, coef]), coef.reshape(1, -1),
                  coef.astype(np.float32), coef.astype(">f8")):
        msg = _error(tmp_path, _edit(good, name, _npy(other), resign=True))
        assert repr(name) in msg and "records shape" in msg, msg
        msg = _error(tmp_path, _edit(good, name, _npy(other)))
        assert repr(name) in msg and "SHA-256" in msg, msg


def test_edited_json_is_refused(tmp_path, good):
    text = _members(good)[META].decode()
    for old, new in (('"nobs": 72', '"nobs": 73'), ('"engine": "numpy"', '"engine": "jax"'),
                     ("sprayB", "sprayZ")):
        assert old in text
        msg = _error(tmp_path, _edit(good, META, text.replace(old, new, 1).encode()))
        assert repr(META) in msg and "SHA-256" in msg
    # control: the same edit with a matching checksum loads
    m2 = _load(tmp_path, _edit(good, META, text.replace('"nobs": 72', '"nobs": 73').encode(),
                               resign=True))
    assert m2.nobs == 72


def test_deleted_member(tmp_path, good):
    for name in _members(good):
        msg = _error(tmp_path, _edit(good, name, None))
        assert repr(name) in msg or (name == META and "no aurora.json" in msg), (name, msg)
        assert "lacks" in msg or name == META


def test_deleted_array_with_matching_checksums(tmp_path, good):
    msg = _error(tmp_path, _edit(good, "arrays/a3.npy", None, resign=True))
    assert "lacks the member 'arrays/a3.npy'" in msg


def test_unlisted_and_duplicate_members(tmp_path, good):
    members = _members(good)
    msg = _error(tmp_path, _zip({**members, "arrays/a99.npy": _npy(np.zeros(2))}))
    assert "'arrays/a99.npy' is not listed" in msg
    msg = _error(tmp_path, _zip({**members, "arrays/a99.npy": _npy(np.zeros(2))}, resign=True))
    assert "'arrays/a99.npy' is not recorded" in msg
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate name
        with zipfile.ZipFile(buf, "w") as zf:
            for name, data in members.items():
                zf.writestr(name, data)
            zf.writestr("arrays/a0.npy", _npy(np.zeros(3)))
    assert "'arrays/a0.npy' appears twice" in _error(tmp_path, buf.getvalue())


def test_malformed_sha256sums(tmp_path, good):
    sums = _members(good)[SUMS].decode()
    for bad in (sums.replace("  ", " ", 1), sums.upper(), "", sums + sums.splitlines()[0] + "\n",
                "\n".join(line for line in sums.splitlines() if not line.endswith(META))):
        msg = _error(tmp_path, _edit(good, SUMS, bad.encode()))
        assert f"'{SUMS}' is corrupt" in msg, msg


# ---------------------------------------------------------------- damaged archives
def test_truncated_file_names_the_member_cut(tmp_path, good):
    for name in _members(good):
        start, end = _data_span(good, name)
        msg = _error(tmp_path, good[: (start + end) // 2])
        assert "truncated" in msg and repr(name) in msg, (name, msg)
    last_start, last_end = _data_span(good, SUMS)
    msg = _error(tmp_path, good[: last_end + 10])
    assert "truncated" in msg and "central directory" in msg
    for cut in (0, 2, 20, len(good) - 1):
        _error(tmp_path, good[:cut])


def test_corrupt_and_foreign_files(tmp_path, good):
    with pytest.raises(StoreError, match="no such file"):
        load(tmp_path / "nope.aurora")
    with pytest.raises(StoreError, match="is a directory"):
        load(tmp_path)
    for raw in (b"y,x\n1,2\n", b"PK\x03\x04" + bytes(range(256)) * 4, b"PK\x05\x06" + bytes(18)):
        assert "not an Aurora result" in _error(tmp_path, raw)
    assert "central directory" in _error(tmp_path, good[:-22] + bytes(22))
    other = io.BytesIO()
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("readme.txt", "hello")
    assert "no aurora.json" in _error(tmp_path, other.getvalue())


# ---------------------------------------------------------------- checks behind the checksums
def _edit_meta(raw: bytes, change) -> bytes:
    meta = json.loads(_members(raw)[META])
    change(meta)
    return _edit(raw, META, json.dumps(meta).encode(), resign=True)


def test_wrong_format_and_newer_version(tmp_path, good):
    assert "not an Aurora result" in _error(tmp_path, _edit_meta(good, lambda m: m.update(format="x")))
    msg = _error(tmp_path, _edit_meta(good, lambda m: m.update(version=FORMAT_VERSION + 1)))
    assert "newer Aurora" in msg
    msg = _error(tmp_path, _edit_meta(good, lambda m: m.update(version="2")))
    assert "invalid format version" in msg


def test_tampered_types_are_refused(tmp_path, good):
    def evil(meta):
        meta["result"]["estimates"]["v"]["family"]["cls"] = "os.system"

    def unknown(meta):
        meta["result"]["plan"]["v"]["spec"]["$t"] = "pickle"

    def bad_record(meta):
        meta["arrays"] = [1, 2]

    _error(tmp_path, _edit_meta(good, evil))
    assert "unknown entry type" in _error(tmp_path, _edit_meta(good, unknown))
    assert "'arrays' record" in _error(tmp_path, _edit_meta(good, bad_record))


def test_pickled_array_is_refused(tmp_path, good):
    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    msg = _error(tmp_path, _edit(good, "arrays/a0.npy", buf.getvalue(), resign=True))
    assert "'arrays/a0.npy' is corrupt" in msg


# ---------------------------------------------------------------- format version 1
def _as_version_1(raw: bytes) -> bytes:
    """A file as Aurora wrote it before checksums: no SHA256SUMS, no array record."""
    members = _members(raw)
    del members[SUMS]
    meta = json.loads(members[META])
    del meta["arrays"]
    meta["version"] = 1
    members[META] = json.dumps(meta, indent=1).encode()
    return _zip(members)


def test_version_1_files_still_load(tmp_path, good, fitted):
    m2 = _load(tmp_path, _as_version_1(good))
    new = case_newdata(case_by_name("insectsprays_poisson"))
    np.testing.assert_array_equal(m2.predict(new), fitted.predict(new))


def test_version_1_files_keep_structural_checks(tmp_path, good):
    old = _as_version_1(good)
    assert "lacks the member 'arrays/a0.npy'" in _error(tmp_path, _edit(old, "arrays/a0.npy", None))
    data = _members(old)["arrays/a0.npy"]
    assert "'arrays/a0.npy' is corrupt" in _error(tmp_path, _edit(old, "arrays/a0.npy", data[:40]))
    # a version-2 file that lost its checksums is refused, not read as version 1
    assert f"lacks the member '{SUMS}'" in _error(tmp_path, _edit(good, SUMS, None))


def test_saved_file_is_aurora_loadable_by_top_level_function(tmp_path, fitted):
    path = tmp_path / "m.aurora"
    fitted.save(path)
    assert aurora.load(path).params.equals(fitted.params)
