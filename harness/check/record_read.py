"""Reading a recorded baseline back without trusting it: every problem is one `UsageError` naming the file, never a
traceback, a memory blow-up or a file outside the record.

* every file is opened without following a symlink (O_NOFOLLOW) and must be a regular file of at most `MAX_JSON`
  (JSON) or `MAX_NPZ` (arrays) bytes: a link to /etc/passwd, a device or a huge file is refused before reading;
* JSON: empty, truncated, not UTF-8 or nested too deep (RecursionError) is one line;
* npz: each array's .npy header is read first and must describe exactly the bytes the archive holds for it (an
  array claiming 2 GiB in a 1 kB file is refused before anything is allocated); object arrays are refused (no
  pickle); a truncated archive is one line.
"""
from __future__ import annotations

import errno
import io
import json
import os
import stat
import zipfile
import zlib

import numpy as np

from brian2_harness.errors import UsageError

MAX_JSON = 64 * 1024 * 1024
MAX_NPZ = 4 * 1024 * 1024 * 1024


def _open(path, limit: int):
    """`path` opened for reading (binary), refusing a symlink, a non-regular file and a file over `limit` bytes."""
    path = os.fspath(path)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise UsageError(f"baseline file {path} is missing (the record is incomplete; record it again)") from None
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK):
            raise UsageError(f"baseline file {path} is a symlink: records are never read through links") from None
        raise UsageError(f"baseline file {path}: {exc.strerror or exc}") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise UsageError(f"baseline file {path} is not a regular file")
    if st.st_size > limit:
        os.close(fd)
        raise UsageError(f"baseline file {path} is {st.st_size} bytes, more than a record holds ({limit})")
    return os.fdopen(fd, "rb")


def read_json(path) -> object:
    """A JSON file of a record (one line for every way it can be broken)."""
    with _open(path, MAX_JSON) as f:
        data = f.read()
    if not data.strip():
        raise UsageError(f"baseline file {path} is empty (record it again)")
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise UsageError(f"baseline file {path} is not text") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"baseline file {path} is not valid JSON (truncated or corrupt?): {exc}") from None
    except RecursionError:
        raise UsageError(f"baseline file {path} is nested too deeply to be a record") from None


def _header(member: zipfile.ZipInfo, archive: zipfile.ZipFile, where: str) -> None:
    """The .npy header of `member` describes exactly the bytes stored for it (checked before loading)."""
    with archive.open(member) as f:
        try:
            version = np.lib.format.read_magic(f)
            reader = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
            if version not in reader:
                raise ValueError(f"npy version {version}")
            shape, _, dtype = reader[version](f)
        except ValueError as exc:
            raise UsageError(f"{where}: array {member.filename} has a bad header ({exc})") from None
        if dtype.hasobject:
            raise UsageError(f"{where}: array {member.filename} holds Python objects (never loaded)")
        claimed = int(np.prod(shape, dtype=object)) * dtype.itemsize
        if claimed != member.file_size - f.tell():
            raise UsageError(f"{where}: array {member.filename} claims {claimed} bytes, the archive holds "
                             f"{member.file_size - f.tell()} (truncated or corrupt)")


def check_headers(source, where: str, unreadable: bool = True) -> None:
    """Every .npy header of the archive `source` (a path or a file object) matches the bytes stored for it. An
    archive that cannot be read at all is a UsageError too, or (`unreadable=False`) left to the caller's loader."""
    try:
        with zipfile.ZipFile(source) as archive:
            for member in archive.infolist():
                _header(member, archive, where)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
        if unreadable:
            raise UsageError(f"{where} is not a readable array archive (truncated or corrupt?): {exc}") from None


def read_npz(path) -> dict:
    """name -> array of an observables.npz, every header checked first."""
    where = f"baseline file {path}"
    with _open(path, MAX_NPZ) as f:
        data = f.read()
    check_headers(io.BytesIO(data), where)
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            return {name: npz[name] for name in npz.files}
    except UsageError:
        raise
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as exc:
        raise UsageError(f"{where} is not a readable array archive (truncated or corrupt?): {exc}") from None


def expect(value, kind, where: str, name: str):
    """`value` is of `kind` (a type or tuple of types), else one line naming the field."""
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple)
                                                                                 else (kind,))):
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise UsageError(f"{where}: '{name}' is {type(value).__name__} {value!r:.40}, expected {names}")
    return value
