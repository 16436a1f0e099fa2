"""Running part of a plan: one shard of N (`run --shard K/N`) or what an interrupted run still lacks
(`run --resume PREVIOUS.json`).

A shard takes whole units: a build family (device, dtype, dt, mode: so each shard compiles its own builds
once), or every job of a variant that is judged against the numpy/float64 cell (its verdicts need all of its
devices). Units go to shards largest first onto the least loaded (cases), so every shard process computes the same
split from the same plan. A cell judged against the oracle is also compared with numpy of its dtype: a shard
without that numpy job runs it as a peer and reports none of its cells. `cell_order` gives the order the
unsharded run reports cells in, so merged shards and resumed runs are the document a single run writes.
"""
from __future__ import annotations

import hashlib

from brian2_harness.devices import BUILD
from brian2_harness.errors import UsageError
from brian2_harness.run.config import REFERENCE_DEVICE

RESULT, NO_RESULT = "result", "none"


def job_key(job) -> tuple:
    return (job.variant.name, job.device, job.dtype, job.batch)


def cell_keys(job) -> list[tuple]:
    return [(job.variant.name, job.device, job.dtype, cid) for cid in job.case_ids]


def vkey(v) -> tuple:
    return (v.variant, v.device, v.dtype, v.case_id)


def judged_against_reference(job, against) -> bool:
    return (against or job.variant.semantics) is None


def unit(job, against) -> tuple:
    if judged_against_reference(job, against):
        return ("variant", job.variant.name)
    first = job.cases[0] if job.cases else None
    return (job.device, job.dtype, getattr(first, "dt", None), job.mode)


def parse_shard(text: str) -> tuple[int, int]:
    try:
        k, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise UsageError(f"--shard: expected K/N (e.g. 2/3), got {text!r}") from None
    if not 1 <= k <= n:
        raise UsageError(f"--shard: K/N needs 1 <= K <= N, got {text!r}")
    return k, n


def split(jobs: list, n: int, against) -> dict[int, int]:
    """Job id -> shard (1..n): whole units, largest first onto the least loaded shard."""
    groups: dict = {}
    for j in jobs:
        groups.setdefault(unit(j, against), []).append(j)
    load = [0] * n
    out = {}
    for key, members in sorted(groups.items(), key=lambda kv: (-sum(len(j.cases) for j in kv[1]), str(kv[0]))):
        s = min(range(n), key=lambda i: (load[i], i))
        load[s] += sum(len(j.cases) for j in members)
        out.update({id(j): s + 1 for j in members})
    return out


def state(job) -> str:
    """RESULT when the job's cells are judged by comparison, NO_RESULT when they are error/built cells."""
    return NO_RESULT if job.built or job.arrays is None or job.mode == BUILD else RESULT


def cell_order(plan: list, states: dict, reference_variants: set, skipped: list) -> list[tuple]:
    """The order run/judge.py reports cells in: `plan` [(variant, device, dtype, batch, case_ids)] in plan order,
    `states` job key -> RESULT/NO_RESULT, then the skipped cells' keys."""
    out, seen = [], {}
    for variant, device, dtype, batch, cids in plan:
        if states.get((variant, device, dtype, batch)) != RESULT:
            out += [(variant, device, dtype, cid) for cid in cids]
            continue
        for cid in cids:
            seen.setdefault((variant, cid), []).append((device, dtype))
    for (variant, cid), cells in seen.items():
        ref = (REFERENCE_DEVICE, "float64")
        if variant in reference_variants and ref in cells:
            cells = [ref] + [c for c in cells if c != ref]
        out += [(variant, d, t, cid) for d, t in cells]
    return out + [tuple(s) for s in skipped]


def plan_section(planned: list, skipped_keys: list, against) -> dict:
    return {"plan": [[j.variant.name, j.device, j.dtype, j.batch, list(j.case_ids)] for j in planned],
            "reference_variants": sorted({j.variant.name for j in planned if judged_against_reference(j, against)}),
            "skipped": [list(k) for k in skipped_keys]}


class Shard:
    """`execute(subset=Shard(k, n, against))`: run shard k's units (and the numpy peers they are compared with)."""

    def __init__(self, k: int, n: int, against=None):
        self.k, self.n, self.against = k, n, against
        self.mine: set = set()
        self.skipped_keys: list = []
        self.own_skipped: set = set()

    def _skip_shard(self, v) -> int:
        digest = hashlib.sha256(f"{v.variant}|{v.device}|{v.dtype}".encode()).hexdigest()
        return int(digest, 16) % self.n + 1

    def select(self, jobs: list, skipped: list) -> tuple[list, list]:
        where = split(jobs, self.n, self.against)
        mine = [j for j in jobs if where[id(j)] == self.k]
        self.mine = {id(j) for j in mine}
        by_key = {job_key(j): j for j in jobs}
        peers = []
        for j in mine:
            peer = by_key.get((j.variant.name, REFERENCE_DEVICE, j.dtype, j.batch))
            if peer is not None and id(peer) not in self.mine and all(peer is not p for p in peers):
                peers.append(peer)
        self.skipped_keys = [vkey(v) for v in skipped]
        own_skipped = [v for v in skipped if self._skip_shard(v) == self.k]
        self.own_skipped = {vkey(v) for v in own_skipped}
        chosen = {id(j) for j in mine + peers}
        return [j for j in jobs if id(j) in chosen], own_skipped

    def own(self, verdicts: list, done: list) -> tuple[list, list]:
        keys = {k for j in done if id(j) in self.mine for k in cell_keys(j)} | self.own_skipped
        return [v for v in verdicts if vkey(v) in keys], [j for j in done if id(j) in self.mine]

    def section(self, planned: list, done: list) -> dict:
        """What `merge` needs to rebuild the unsharded document (reports/shards.py)."""
        return {"k": self.k, "n": self.n, **plan_section(planned, self.skipped_keys, self.against),
                "states": [[*job_key(j), state(j)] for j in done if id(j) in self.mine]}

