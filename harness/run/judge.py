"""Turn finished jobs into verdicts: each cell against the oracle of its semantics and against the numpy cell of
the same dtype; variants without semantics against numpy/float64 only. Family-agnostic (families/base.py).
"""
from __future__ import annotations

from brian2_harness.cells.verdict import BUILT, ERROR, FAIL, PASS, SKIP, Verdict
from brian2_harness.devices import BUILD, get_device
from brian2_harness.families import get_family
from brian2_harness.families.comparison import Comparison
from brian2_harness.registry import get
from brian2_harness.run.config import BUILT_REASON, REFERENCE_DEVICE, RunConfig
from brian2_harness.run.planner import Job


class OracleCache:
    """One oracle simulation per (family, batch of cases, semantics), shared by every device."""

    def __init__(self):
        self._memo: dict = {}
        self._tokens: dict = {}   # tuple of cases -> small int, so that each batch is hashed once, not per cell
        self._lists: dict = {}    # id(list of cases) -> (list, token)

    def _token(self, cases: list) -> int:
        held = self._lists.get(id(cases))
        if held is None or held[0] is not cases:
            token = self._tokens.setdefault(tuple(cases), len(self._tokens))
            held = self._lists[id(cases)] = (cases, token)
        return held[1]

    def prefill(self, jobs: list[Job], config: RunConfig) -> None:
        """Compute the oracles the judging will ask for (run in a thread while the workers run the jobs)."""
        for job in jobs:
            schedule = config.against or job.variant.semantics
            if schedule is not None and job.mode != BUILD:
                self.get(job.variant.family, job.cases, schedule)

    def get(self, family: str, cases: list, semantics: str) -> list:
        key = (family, self._token(cases), semantics)
        if key not in self._memo:
            self._memo[key] = get_family(family).oracle(cases, semantics)
        return self._memo[key]


def _observables(job: Job) -> list:
    return get_family(job.variant.family).split(job.cases, job.arrays)


def _verdict(job: Job, cid: str, cmp: Comparison, reference: str) -> Verdict:
    return Verdict(job.variant.name, job.device, job.dtype, cid, PASS if cmp.ok else FAIL,
                   reference=reference, max_abs_err=cmp.max_abs_err, max_rel_err=cmp.max_rel_err,
                   tolerance=cmp.tolerance, boundary=cmp.boundary, reason=cmp.reason, log=job.log if not cmp.ok else "",
                   detection_limit=cmp.detection_limit, lag_visible=cmp.lag_visible, judged=cmp.judged,
                   ratio=cmp.ratio, first=cmp.first)


LAG_BLIND = "cannot see a one-step lag"


def apply_lag_policy(v: Verdict, require_visible: bool) -> None:
    """A cell that cannot see a one-step lag says so; with `require_visible` that is a failure."""
    if v.lag_visible is not False or v.verdict not in (PASS, FAIL):
        return
    note = (f"{LAG_BLIND}: |g|*dt is below the bound of some neuron (detection limit up to "
            f"{v.detection_limit['max']:.3g})" if v.detection_limit else LAG_BLIND)
    v.extra["lag_note"] = note
    if require_visible and v.verdict == PASS:
        v.verdict, v.reason = FAIL, f"{note} (--require-lag-visible)"


def judge(jobs: list[Job], config: RunConfig, oracles: OracleCache | None = None) -> list[Verdict]:
    """Turn finished jobs into verdicts.

    Variants with semantics: each cell against the oracle, then against the reference device (numpy,
    same dtype) so that devices are also checked with each other. Variants without semantics: each cell
    against numpy/float64 with the per-step bound; the reference cell passes only if others agree with it.
    """
    oracles = oracles or OracleCache()
    verdicts: list[Verdict] = []
    seen: dict[tuple, dict[tuple, tuple]] = {}   # (variant, case id) -> (device, dtype) -> (job, observables)
    for job in jobs:
        if job.built:   # BUILD mode: compiled, nothing to compare; never a pass
            extra = {k: round(job.timing[k], 3) for k in ("build_s", "compile_s", "compile_cpu_s") if k in job.timing}
            verdicts += [Verdict(job.variant.name, job.device, job.dtype, cid, BUILT, reason=BUILT_REASON,
                                 extra=dict(extra)) for cid in job.case_ids]
            continue
        if job.arrays is None or job.mode == BUILD:
            verdicts += [Verdict(job.variant.name, job.device, job.dtype, cid, ERROR,
                                 reason=job.error or "did not run", log=job.log) for cid in job.case_ids]
            continue
        obs = _observables(job)
        for cid, o in zip(job.case_ids, obs):
            seen.setdefault((job.variant.name, cid), {})[(job.device, job.dtype)] = (job, o)

    for (vname, cid), cells in seen.items():
        variant = get(vname)
        schedule = config.against or variant.semantics
        if schedule is not None:
            verdicts += _judge_with_oracle(cells, cid, schedule, oracles)
        else:
            verdicts += _judge_against_reference(cells, cid)
    for v in verdicts:
        apply_lag_policy(v, config.require_lag_visible)
    return verdicts


def _judge_with_oracle(cells: dict, cid: str, schedule: str, oracles: "OracleCache") -> list[Verdict]:
    out = []
    for (dev, dtype), (job, obs) in cells.items():
        k = job.case_ids.index(cid)
        case = job.cases[k]
        family = get_family(job.variant.family)
        ref = oracles.get(family.name, job.cases, schedule)[k]
        arithmetic = get_device(dev).arithmetic
        cmp = family.compare(obs, ref, case, dtype, arithmetic=arithmetic)
        v = _verdict(job, cid, cmp, f"oracle:{schedule}")
        peer = cells.get((REFERENCE_DEVICE, dtype))
        if peer is not None and dev != REFERENCE_DEVICE:
            cross = family.compare(obs, peer[1], case, dtype, oracle=ref, arithmetic=arithmetic)
            v.extra["vs_numpy_max_abs_err"] = cross.max_abs_err
            if not cross.ok and v.verdict == PASS:
                v.verdict, v.reason, v.log = FAIL, f"disagrees with {REFERENCE_DEVICE}: {cross.reason}", job.log
                v.reference = f"device:{REFERENCE_DEVICE}/{dtype}"
        if v.verdict != PASS:
            v.extra["case"] = case.to_dict()
            observed = family.observed(obs, ref, cmp)
            if observed is not None:
                v.extra["observed"] = observed
        out.append(v)
    return out


def _judge_against_reference(cells: dict, cid: str) -> list[Verdict]:
    ref_key = (REFERENCE_DEVICE, "float64")
    if ref_key not in cells:
        return [Verdict(job.variant.name, dev, dtype, cid, ERROR, reason="reference numpy/float64 did not run")
                for (dev, dtype), (job, _) in cells.items()]
    ref_job, ref = cells[ref_key]
    out, agree = [], []
    for (dev, dtype), (job, obs) in cells.items():
        if (dev, dtype) == ref_key:
            continue
        k = job.case_ids.index(cid)
        cmp = get_family(job.variant.family).compare_devices(obs, ref, job.cases[k], dtype)
        out.append(_verdict(job, cid, cmp, "device:numpy/float64"))
        agree.append(cmp.ok)
    if not agree:
        rv = Verdict(ref_job.variant.name, *ref_key, cid, SKIP, reference="(reference)",
                     reason="reference device only: no other device to compare with")
    elif all(agree):
        rv = Verdict(ref_job.variant.name, *ref_key, cid, PASS, reference="(reference)",
                     reason=f"{len(agree)} other cell(s) agree with this reference")
    else:
        rv = Verdict(ref_job.variant.name, *ref_key, cid, FAIL, reference="(reference)",
                     reason=f"{agree.count(False)} other cell(s) disagree with this reference", log=ref_job.log)
    return [rv] + out


