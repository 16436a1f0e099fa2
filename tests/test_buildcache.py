"""Build folders seeded from a sibling of the same family (run/buildcache.py), without Brian."""
import fcntl
import os

from brian2_harness.plumbing.buildcache import MARKER, cached_build_dir


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


def test_every_first_batch_runs_before_any_second_one(monkeypatch):
    """A second batch (another schedule) of a variant starts after the first batches, so its build folder can be
    seeded from a finished sibling instead of compiling next to it from scratch (executor order, no Brian)."""
    from brian2_harness.families.growth.case import Case
    from brian2_harness.run import RunConfig, executor
    order = []

    def record(job, config):
        order.append((job.variant.name, job.batch))
        job.error = "not run: ordering test"
        return job
    monkeypatch.setattr(executor, "_run_job", record)
    monkeypatch.setattr(executor, "judge", lambda jobs, config, oracles=None: [])
    cases = [Case(n_pre=1, n_post=1, i=[0], j=[0], w0=[0.1], period=p, duration=2 * p) for p in (0.01, 0.02)]
    cfg = RunConfig(variants=["summed_seed", "summed_aligned"], devices=["numpy"], dtypes=["float64"], cases=cases,
                    jobs=1, isolate_failures=0)
    result = executor.execute(cfg)
    assert [b for _, b in order] == [0, 0, 1, 1]
    assert [(j.variant.name, j.batch) for j in result.jobs] == [("summed_seed", 0), ("summed_seed", 1),
                                                                ("summed_aligned", 0), ("summed_aligned", 1)]


def test_a_standalone_job_waits_for_a_running_sibling_of_its_family_and_others_go_ahead():
    """Dispatcher (run/dispatch.py): the second job of a build family starts only after the first ended, a job of
    another family or a runtime job meanwhile; nothing waits once a sibling has finished."""
    import threading
    from types import SimpleNamespace as J

    from brian2_harness.run.dispatch import Dispatcher
    a1, a2, b1, n1, a3 = (J(batch=0, name=n) for n in ("a1", "a2", "b1", "n1", "a3"))
    fam = {id(a1): "A", id(a2): "A", id(a3): "A", id(b1): "B", id(n1): None}
    d = Dispatcher([a1, a2, b1, n1, a3], fam, threading.Event())
    assert d.take() is a1
    assert d.take() is b1            # a2 waits for a1: b1 goes ahead
    assert d.take() is n1            # a runtime job never waits
    got = []
    t = threading.Thread(target=lambda: got.append(d.take()))
    t.start()
    t.join(0.3)
    assert t.is_alive() and not got  # only family-A jobs left, a1 still running: wait
    d.done(a1)
    t.join(2)
    assert got == [a2]
    assert d.take() is a3            # A has finished once: its jobs no longer wait for each other
    assert d.take() is None
