"""plumbing/extcache.py (no Brian): a compiled module cut short (a run killed while the linker wrote it) is told from
a whole one and removed from the Cython cache, a whole one or one another process is building is kept."""
import fcntl
import glob
import os
import time

import numpy
import pytest

from brian2_harness.plumbing import extcache


@pytest.fixture(scope="module")
def whole_module():
    """A real ELF shared object (numpy's largest extension module)."""
    found = sorted(glob.glob(os.path.join(numpy.__path__[0], "**", "*.so"), recursive=True), key=os.path.getsize)
    if not found or open(found[-1], "rb").read(4) != extcache.ELF_MAGIC:
        pytest.skip("no ELF extension module here (not Linux)")
    with open(found[-1], "rb") as f:
        return f.read()


def _write(path, data):
    path.write_bytes(data)
    return str(path)


def test_empty_zero_headed_and_truncated_modules_are_incomplete_a_whole_one_is_not(tmp_path, whole_module):
    assert not extcache.incomplete(_write(tmp_path / "whole.so", whole_module))         # control
    assert extcache.incomplete(_write(tmp_path / "empty.so", b""))
    assert extcache.incomplete(_write(tmp_path / "zero.so", b"\0" * 64 + whole_module[64:]))
    for cut in (10, 63, len(whole_module) // 2):
        assert extcache.incomplete(_write(tmp_path / "cut.so", whole_module[:cut])), cut


def test_another_format_is_never_judged(tmp_path):
    """A Mach-O bundle (macOS builds Brian's modules as such) is left alone whatever its size."""
    assert not extcache.incomplete(_write(tmp_path / "m.so", b"\xcf\xfa\xed\xfe" + b"\1" * 60))


def test_repair_removes_only_incomplete_modules_newer_than_since_and_not_one_being_built(tmp_path, whole_module):
    whole = _write(tmp_path / "_cython_magic_a.cpython-312-x86_64-linux-gnu.so", whole_module)
    cut = _write(tmp_path / "_cython_magic_b.cpython-312-x86_64-linux-gnu.so", whole_module[:4096])
    old = _write(tmp_path / "_cython_magic_c.cpython-312-x86_64-linux-gnu.so", b"")
    busy = _write(tmp_path / "_cython_magic_d.cpython-312-x86_64-linux-gnu.so", b"")
    hour_ago = time.time() - 3600
    os.utime(old, (hour_ago, hour_ago))
    with open(tmp_path / "_cython_magic_d.lock", "a") as lock:          # Brian holds it while it builds d
        fcntl.flock(lock, fcntl.LOCK_EX)
        assert extcache.repair(str(tmp_path), since=time.time() - 60) == [os.path.basename(cut)]
    assert os.path.exists(whole) and os.path.exists(busy) and os.path.exists(old) and not os.path.exists(cut)
    assert extcache.repair(str(tmp_path)) == sorted([os.path.basename(old), os.path.basename(busy)])  # lock released
    assert os.listdir(tmp_path) and os.path.exists(whole)
    assert extcache.repair(str(tmp_path / "missing")) == []


def test_an_import_error_about_the_cache_is_told_from_others(tmp_path):
    folder = str(tmp_path)
    inner = ImportError(f"{folder}/_cython_magic_x.cpython-312-x86_64-linux-gnu.so: file too short")
    try:
        try:
            raise inner
        except ImportError as exc:
            raise RuntimeError("Error encountered with object named 'poissoninput_4'") from exc
    except RuntimeError as outer:
        assert extcache.broken_import(outer, folder)
    assert not extcache.broken_import(ImportError("/elsewhere/x.so: file too short"), folder)       # control
    assert not extcache.broken_import(ModuleNotFoundError(f"No module named {folder}"), folder)
    assert not extcache.broken_import(ValueError(folder), folder)
