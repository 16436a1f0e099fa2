"""A symlink planted in a shared cache at a build folder's or a lock's path is removed, never followed: the link's
target keeps its files."""
import os

from brian2_harness import nofollow
from brian2_harness.plumbing.buildcache import cached_build_dir


def _victim(tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "main.cpp").write_text("the victim's own file\n")
    (victim / "notes.txt").write_text("keep\n")
    return victim


def test_a_planted_build_folder_link_is_not_followed(tmp_path):
    cache, victim = tmp_path / "cache", _victim(tmp_path)
    (cache / "standalone").mkdir(parents=True)
    planted = cache / "standalone" / "v-numpy-key1"
    planted.symlink_to(victim)
    with cached_build_dir(str(cache), "v-numpy", "key1") as (folder, warm):
        assert not os.path.islink(folder) and not warm
        os.makedirs(folder, exist_ok=True)                 # as Brian does
        with open(os.path.join(folder, "main.cpp"), "w") as f:
            f.write("generated\n")
    assert (victim / "main.cpp").read_text() == "the victim's own file\n"
    assert sorted(os.listdir(victim)) == ["main.cpp", "notes.txt"]


def test_a_planted_standalone_root_and_lock_are_not_followed(tmp_path):
    cache, victim = tmp_path / "cache", _victim(tmp_path)
    cache.mkdir()
    (cache / "standalone").symlink_to(victim)
    with cached_build_dir(str(cache), "v-numpy", "key2") as (folder, _):
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "main.cpp"), "w") as f:
            f.write("generated\n")
    assert sorted(os.listdir(victim)) == ["main.cpp", "notes.txt"]
    lock = cache / "standalone" / "v-numpy-key3.lock"
    lock.symlink_to(victim / "notes.txt")
    with nofollow.open_lock(str(lock)) as f:
        f.write("x")
    assert (victim / "notes.txt").read_text() == "keep\n" and not lock.is_symlink()
