"""Failing cases of a batch re-run alone, with the comparison that failed, and a replay command for each."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from brian2_harness.cells.replay import replay_command
from brian2_harness.cells.verdict import FAIL, PASS, Verdict
from brian2_harness.run.config import REFERENCE_DEVICE, RunConfig
from brian2_harness.run.judge import judge
from brian2_harness.run.planner import Job


def isolate_failures(verdicts: list[Verdict], jobs: list[Job], config: RunConfig, run_job) -> None:
    """Re-run failing cases of multi-case batches alone, so each failure is a minimal reproducible case.

    The alone run keeps the comparison that failed: a cell that failed against its numpy peer is re-run
    together with that peer, alone too. The alone verdict goes to `extra['alone']`; a case that fails only inside
    a batch says so in its reason (that would be a packing bug, not a model difference). Every failing cell
    gets a replay command carrying what the verdict depended on (replay.py). `run_job(job, config)` runs one job.
    """
    job_of = {(j.variant.name, j.device, j.dtype, cid): j for j in jobs for cid in j.case_ids}
    picked: dict[tuple, list[Verdict]] = {}
    smallest_first = sorted(verdicts, key=lambda v: len((v.extra.get("case") or {}).get("i", ())))
    for v in smallest_first:
        if v.verdict == FAIL and v.extra.get("case"):
            job = job_of.get((v.variant, v.device, v.dtype, v.case_id))
            if job is not None and len(job.cases) > 1:
                group = picked.setdefault((v.variant, v.device, v.dtype), [])
                if len(group) < config.isolate_failures:
                    group.append(v)
    alone_jobs: list[tuple[Verdict | None, Job]] = []
    for (variant, device, dtype), vs in picked.items():
        for v in vs:
            job = job_of[(variant, device, dtype, v.case_id)]
            case = job.cases[job.case_ids.index(v.case_id)]
            alone_jobs.append((v, Job(job.variant, device, dtype, [case], [v.case_id], 0,
                                      label=f"{variant} x {device} x {dtype}: {v.case_id} alone")))
            peer_dtype = _peer_dtype(v)
            if peer_dtype:   # the peer runs alone too, so the same comparison is made
                peer = job_of.get((variant, REFERENCE_DEVICE, peer_dtype, v.case_id))
                if peer is not None:
                    alone_jobs.append((None, Job(peer.variant, REFERENCE_DEVICE, peer_dtype,
                                                 [peer.cases[peer.case_ids.index(v.case_id)]], [v.case_id], 1,
                                                 label=f"{variant} x {REFERENCE_DEVICE} x {peer_dtype}: "
                                                       f"{v.case_id} alone")))
    if alone_jobs:
        with ThreadPoolExecutor(max_workers=config.jobs) as pool:
            finished = list(pool.map(lambda pair: run_job(pair[1], config), alone_jobs))
        alone_verdicts = {(a.variant, a.device, a.dtype, a.case_id): a for a in judge(finished, config)}
        for v, job in alone_jobs:
            if v is None:
                continue
            a = alone_verdicts.get((v.variant, v.device, v.dtype, v.case_id))
            v.extra["alone"] = a.verdict if a else "error"
            v.extra["alone_reference"] = a.reference if a else ""
            if a and a.verdict == PASS:
                v.reason = f"fails only inside a batch (passes alone against {a.reference}): {v.reason}"
    for v in verdicts:
        if v.verdict == FAIL and v.extra.get("case"):
            v.extra["replay"] = replay_command(variant=v.variant, device=v.device, dtype=v.dtype,
                                               against=config.against, plugins=config.plugins,
                                               peer=bool(_peer_dtype(v)))


def _peer_dtype(v: Verdict) -> str:
    """The dtype of the numpy cell this cell failed against, or "" when it failed against the oracle."""
    prefix = f"device:{REFERENCE_DEVICE}/"
    if v.device != REFERENCE_DEVICE and v.reference.startswith(prefix):
        return v.reference[len(prefix):]
    return ""
