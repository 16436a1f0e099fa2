"""The harness' changes to Brian's makefile (devices/makefile.py): a seeded build keeps what is still valid and
ends byte-identical to a fresh build; anything but a change of the source lists recompiles everything; a folder
without objects skips the dependency listing (its seeded successors still list theirs: the Brian test below)."""
import os
import shutil
import subprocess

import pytest
from projects import differing, outputs, snapshot

from brian2_harness.devices import makefile
from brian2_harness.families.growth.case import Case, default_case
from brian2_harness.run import RunConfig, execute

BRIAN_MAKEFILE = """PROGRAM = main

SRCS = a.cpp b.cpp
H_SRCS = a.h
OPTIMISATIONS = -w -O3 -ffast-math
CXXFLAGS = -c $(OPTIMISATIONS) -I.
%.o : %.cpp makefile
\t$(CXX) $(CXXFLAGS) $< -o $@
"""


def test_only_a_change_of_the_source_lists_counts():
    more = (BRIAN_MAKEFILE.replace("SRCS = a.cpp b.cpp", "SRCS = a.cpp b.cpp c.cpp")
            .replace("H_SRCS = a.h", "H_SRCS = a.h c.h"))
    assert makefile.only_sources_differ(BRIAN_MAKEFILE, more)
    assert not makefile.only_sources_differ(BRIAN_MAKEFILE, BRIAN_MAKEFILE)          # unchanged: nothing to do
    # negative controls: flags, rules or the harness' own rule changed -> the file is new, every object recompiles
    assert not makefile.only_sources_differ(BRIAN_MAKEFILE, more.replace("-O3", "-O2"))
    assert not makefile.only_sources_differ(BRIAN_MAKEFILE, more + "code_objects/%.o : CXXFLAGS += -include x.h\n")
    assert not makefile.only_sources_differ(BRIAN_MAKEFILE, more.replace("-I.", "-I. -fopenmp"))


def test_write_keeps_the_time_and_removes_the_binary_only_when_the_sources_changed(tmp_path):
    path, binary = tmp_path / "makefile", tmp_path / "main"

    def write(name, contents):
        (tmp_path / name).write_text(contents)

    def reset():
        write("makefile", BRIAN_MAKEFILE)
        binary.write_text("old binary")
        os.utime(path, (1000, 1000))

    reset()
    makefile.write_makefile(str(tmp_path), write, BRIAN_MAKEFILE.replace("b.cpp", "b.cpp c.cpp"))
    assert "c.cpp" in path.read_text() and os.stat(path).st_mtime == 1000 and not binary.exists()
    reset()
    makefile.write_makefile(str(tmp_path), write, BRIAN_MAKEFILE.replace("-O3", "-O2"))
    assert "-O2" in path.read_text() and os.stat(path).st_mtime > 1000 and binary.exists()
    path.unlink()
    makefile.write_makefile(str(tmp_path), write, BRIAN_MAKEFILE)                   # a new folder
    assert path.read_text() == BRIAN_MAKEFILE


def test_a_folder_without_objects_gets_an_empty_dependency_file_and_no_other_does(tmp_path):
    def write(name, contents):
        (tmp_path / name).write_text(contents)

    makefile.write_makefile(str(tmp_path), write, BRIAN_MAKEFILE)
    deps = tmp_path / "make.deps"
    assert deps.read_text().startswith("#") and "\n" not in deps.read_text().strip()
    deps.unlink()
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.o").write_bytes(b"object")          # one object anywhere: Brian's make.deps is made
    makefile.write_makefile(str(tmp_path), write, BRIAN_MAKEFILE)
    assert not deps.exists()


def test_attach_appends_the_rule_to_the_makefile_only(tmp_path):
    class Writer:
        def __init__(self):
            self.files, self.project_dir = {}, str(tmp_path)

        def write(self, name, contents):
            self.files[name] = contents

    class Dev:
        def generate_makefile(self, writer, *args):
            writer.write("makefile", "all:\n")
            writer.write("main.cpp", "int main(){}\n")

    dev, w = Dev(), Writer()
    makefile.attach(dev, "/some where/std.h")
    dev.generate_makefile(w)
    assert w.files["main.cpp"] == "int main(){}\n"
    assert w.files["makefile"].endswith("code_objects/%.o : CXXFLAGS += -include '/some where/std.h'\n"
                                        "main.o : CXXFLAGS += -include '/some where/std.h'\n")
    assert "write" not in vars(w)                      # the writer is left as it was
    makefile.attach(dev, None)
    w2 = Writer()
    dev.generate_makefile(w2)
    assert w2.files["makefile"] == "all:\n"


def _fresh_build(folder, dest):
    """The same sources built from nothing (no object, no binary, no dependency file)."""
    shutil.copytree(folder, dest, symlinks=True, ignore=shutil.ignore_patterns("*.o", "main", "make.deps"))
    subprocess.run(["make", "-s", "-j2"], cwd=dest, check=True, capture_output=True)
    return dest


@pytest.mark.brian
def test_a_build_seeded_from_another_model_is_byte_identical_to_a_fresh_build(tmp_path):
    """A network without synapses has no synapse-creation code object: the second build starts from the first's
    folder (same device, dtype and dt), its makefile differs only in the source lists, and every object that
    did not change is kept. The result must equal a build from nothing, byte for byte."""
    folders = []
    for case in (Case(n_pre=3, n_post=2, period=0.01, duration=0.02), default_case(period=0.01, duration=0.02)):
        cfg = RunConfig(variants=["summed_aligned"], devices=["cpp_standalone"], dtypes=["float64"], cases=[case],
                        cache_dir=tmp_path / "cache", isolate_failures=0)
        (job,) = execute(cfg).jobs
        assert job.arrays is not None, job.error
        folders.append(snapshot(job.cache["folder"], str(tmp_path / f"build{len(folders)}")))
    first, seeded = folders
    with open(os.path.join(first, "makefile")) as a, open(os.path.join(seeded, "makefile")) as b:
        assert makefile.only_sources_differ(a.read(), b.read())
    kept = "brianlib/spikequeue.o"                    # its source is the same in both: not compiled again
    assert os.stat(os.path.join(seeded, kept)).st_mtime_ns == os.stat(os.path.join(first, kept)).st_mtime_ns
    with open(os.path.join(first, "make.deps")) as a, open(os.path.join(seeded, "make.deps")) as b:
        assert a.read().startswith("# brian2-harness") and "objects.h" in b.read()   # listed once sources changed
    assert differing(seeded, _fresh_build(seeded, str(tmp_path / "fresh"))) == []

    # negative control: an object kept although its source changed (a stale object) is caught by the comparison
    stale = str(tmp_path / "stale")
    shutil.copytree(seeded, stale, symlinks=True)
    obj = next(o for o in outputs(stale) if o.startswith("code_objects/"))
    src = os.path.join(stale, obj[:-2] + ".cpp")
    before = os.stat(src)
    with open(src, "a") as f:
        f.write("\nint harness_probe() { return 42; }\n")
    os.utime(src, ns=(before.st_atime_ns, before.st_mtime_ns))
    subprocess.run(["make", "-s"], cwd=stale, check=True, capture_output=True)
    reference = str(tmp_path / "reference")
    shutil.copytree(stale, reference, symlinks=True)
    os.unlink(os.path.join(reference, obj))
    subprocess.run(["make", "-s"], cwd=reference, check=True, capture_output=True)
    assert obj in differing(stale, reference)


class _Prefs:
    """Brian's prefs object, as far as bounded_make_args reads it."""
    def __init__(self, make_args):
        self.devices = type("D", (), {})()
        self.devices.cpp_standalone = type("C", (), {})()
        self.devices.cpp_standalone.extra_make_args_unix = make_args


def test_brians_unbounded_make_is_bounded_to_the_cores():
    from brian2_harness.devices.makefile import bounded_make_args
    prefs = _Prefs(["-j"])
    assert bounded_make_args(prefs, 2) == ["-j", "2"]
    assert prefs.devices.cpp_standalone.extra_make_args_unix == ["-j", "2"]


def test_the_users_make_arguments_are_kept():
    from brian2_harness.devices.makefile import bounded_make_args
    prefs = _Prefs(["-j", "8", "-k"])
    assert bounded_make_args(prefs, 2) is None
    assert prefs.devices.cpp_standalone.extra_make_args_unix == ["-j", "8", "-k"]
