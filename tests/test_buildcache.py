"""Build folders seeded from a sibling of the same family (run/buildcache.py), without Brian."""
import fcntl
import os

from brian2_harness.run.buildcache import MARKER, cached_build_dir


def _build(root, label, key, family, files):
    with cached_build_dir(str(root), label, key, family) as (folder, warm):
        os.makedirs(folder, exist_ok=True)                # Brian creates it in real use
        for name, text in files.items():
            path = os.path.join(folder, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if not os.path.exists(path):
                with open(path, "w") as f:
                    f.write(text)
        return folder, warm, sorted(os.listdir(folder))


def test_a_new_folder_starts_from_the_newest_complete_sibling_of_its_family(tmp_path):
    first, warm, _ = _build(tmp_path, "a-cpp-float64", "k1", "fam", {"main.o": "object", "results/x": "old"})
    assert not warm
    mtime = os.path.getmtime(os.path.join(first, "main.o"))
    second, warm, names = _build(tmp_path, "b-cpp-float64", "k2", "fam", {})
    assert not warm and "main.o" in names and "results" not in names and MARKER not in names
    assert os.path.getmtime(os.path.join(second, "main.o")) == mtime      # times kept: make rebuilds what changed
    other, _, names = _build(tmp_path, "c-cpp-float32", "k3", "other-family", {})
    assert names == []                                                      # another family: nothing copied
    again, warm, _ = _build(tmp_path, "b-cpp-float64", "k2", "fam", {})
    assert warm and again == second


def test_a_sibling_in_use_is_not_copied(tmp_path):
    first, _, _ = _build(tmp_path, "a-cpp-float64", "k1", "fam", {"main.o": "object"})
    with open(first + ".lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)                  # another job is rebuilding it right now
        _, warm, names = _build(tmp_path, "b-cpp-float64", "k2", "fam", {})
    assert not warm and names == []
