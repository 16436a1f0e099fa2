"""The precompiled standard headers (devices/pch.py) speed up a standalone build without changing one byte of it.

Generated projects are built by the harness (with the header); in a copy, the makefile is put back as Brian wrote
it and every object that got the header is compiled again, and the binary linked again: all must be byte-identical.
Negative control: a code object whose meaning depends on what was included before it must be flagged by the same
comparison.
"""
import os
import re
import shutil
import subprocess

import pytest
from projects import differing, outputs, snapshot

from brian2_harness.devices import pch
from brian2_harness.families.growth.case import default_case
from brian2_harness.families.metaplastic.case import default_meta_case
from brian2_harness.run import RunConfig, execute

pytestmark = pytest.mark.brian
RULE = re.compile(r"\n# brian2-harness: precompiled.*\n(?:\S+ : CXXFLAGS \+= -include .*\n)+", re.M)


def _rebuild_plain(folder, dest):
    """A copy of the project whose makefile is Brian's own (the harness' rule dropped, file time kept) and whose
    objects that got the header, and binary, are rebuilt; the copy's path."""
    shutil.copytree(folder, dest, symlinks=True)
    makefile = os.path.join(dest, "makefile")
    with open(makefile) as f:
        text = f.read()
    plain, n = RULE.subn("", text)
    assert n == 1, "the harness did not add its rule to the makefile"
    stat = os.stat(makefile)
    with open(makefile, "w") as f:
        f.write(plain)
    os.utime(makefile, ns=(stat.st_atime_ns, stat.st_mtime_ns))   # else make rebuilds every object
    rebuilt = [o for o in outputs(dest) if o.startswith("code_objects/") or o in ("main.o", "main")]
    for name in rebuilt:
        os.unlink(os.path.join(dest, name))
    subprocess.run(["make", "-s", "-j2"], cwd=dest, check=True, capture_output=True)
    return dest


def _projects(cache_dir, tmp_path):
    """Snapshots of two projects of the session's build cache: the growth model with OpenMP and the metaplastic one
    without (two sets of compile flags). Copied under the folder's lock: another test may be using it."""
    snapshots = []
    for variant, device, case in (("summed_aligned", "cpp_standalone_omp", default_case()),
                                  ("metaplastic_stdp", "cpp_standalone", default_meta_case())):
        cfg = RunConfig(variants=[variant], devices=[device], dtypes=["float64"], cases=[case], cache_dir=cache_dir,
                        isolate_failures=0)
        (job,) = execute(cfg).jobs
        assert job.arrays is not None, job.error
        folder = job.cache["folder"]
        snapshots.append(snapshot(folder, str(tmp_path / os.path.basename(folder))))
    return snapshots


# `deep`: it rebuilds two whole projects without the header (65 s of CI's command); the comparison it relies on is
# tested below in the default suite, negative control included
@pytest.mark.deep
@pytest.mark.skipif(pch.gcc_identity(pch.compiler()) is None, reason="the C++ compiler is not GCC: no header is built")
def test_every_object_and_the_binary_are_byte_identical_to_brians_own_build(cache_dir, tmp_path):
    projects = _projects(cache_dir, tmp_path)
    assert len(projects) == 2
    headers = set()
    for folder in projects:
        with open(os.path.join(folder, "makefile")) as f:
            headers.update(re.findall(r"-include (\S+)", f.read()))
        plain = _rebuild_plain(folder, str(tmp_path / ("plain-" + os.path.basename(folder))))
        assert differing(folder, plain) == []
        assert len(outputs(folder)) > 8
        # the header is used, not only read: gcc -H marks a used precompiled header with '!'
        obj = next(o for o in outputs(folder) if o.startswith("code_objects/"))
        cmd = subprocess.run(["make", "-n", "-B", obj], cwd=folder, capture_output=True, text=True, check=True).stdout
        line = next(c for c in cmd.splitlines() if obj in c and "-include" in c)
        out = subprocess.run(line.replace(f"-o {obj}", "-o /dev/null") + " -H", shell=True, cwd=folder,
                             capture_output=True, text=True)
        assert re.search(r"^! .*std\.h\.gch$", out.stderr, re.M), out.stderr[:500]
    assert len(headers) == 2                          # one per set of compile flags


@pytest.mark.skipif(pch.gcc_identity(pch.compiler()) is None, reason="the C++ compiler is not GCC: no header is built")
def test_the_comparison_flags_code_that_depends_on_what_was_included_before_it(tmp_path):
    """Negative control: a code object that reads whether <vector> was included before its first line differs
    between the build with the header and the plain one, and the comparison says so."""
    flags = ["-O2", "-std=c++11"]
    header = pch.ensure(str(tmp_path / "compiled"), pch.compiler(), flags)
    assert header and os.path.exists(header + ".gch")
    project = tmp_path / "project"
    (project / "code_objects").mkdir(parents=True)
    (project / "code_objects" / "probe.cpp").write_text(
        "#ifdef _GLIBCXX_VECTOR\nint harness_probe() { return 1; }\n#else\nint harness_probe() { return 2; }\n#endif\n"
        "#include <vector>\n")
    (project / "main.cpp").write_text("int harness_probe();\nint main() { return harness_probe(); }\n")
    (project / "makefile").write_text(
        f"CXXFLAGS = -c {' '.join(flags)}\nmain: main.o code_objects/probe.o\n\t$(CXX) $^ -o main\n"
        "SRCS = main.cpp code_objects/probe.cpp\n%.o : %.cpp makefile\n\t$(CXX) $(CXXFLAGS) $< -o $@\n"
        + pch.makefile_rule(header))
    subprocess.run(["make", "-s"], cwd=project, check=True, capture_output=True)
    assert subprocess.run(["./main"], cwd=project).returncode == 1
    plain = _rebuild_plain(str(project), str(tmp_path / "plain"))
    assert subprocess.run(["./main"], cwd=plain).returncode == 2
    assert {"code_objects/probe.o", "main"} <= set(differing(str(project), plain))


def test_off_switch_and_other_compilers(monkeypatch, tmp_path):
    monkeypatch.setenv(pch.OFF_VAR, "0")
    assert pch.header(str(tmp_path), 0) is None
    assert pch.ensure(str(tmp_path), "clang++-that-does-not-exist", []) is None
    assert not os.path.exists(tmp_path / "pch")
