"""`run --resume PREVIOUS.json`: finish an interrupted run from the document it wrote.

Jobs that finished before the interruption keep their cells (an error cell is a result too); the jobs that were
interrupted, and every job with a cell missing from the document (whatever its job list says), run now, with the
numpy jobs they are compared with (run/subset.py). The cells come out in the order the uninterrupted run would
have written, so the resumed document is that run's, apart from host and timing fields.
The previous document must come from the same command (same config), else a usage error names the field.
"""
from __future__ import annotations

from brian2_harness.cells.verdict import BUILT, Verdict
from brian2_harness.errors import UsageError
from brian2_harness.run.config import REFERENCE_DEVICE
from brian2_harness.run.subset import (
    NO_RESULT,
    RESULT,
    cell_keys,
    cell_order,
    job_key,
    plan_section,
    state,
    vkey,
)

INTERRUPTED = ("not run: interrupted", "interrupted while running")


def check_same_config(previous: dict, config: dict, where: str) -> None:
    old = previous.get("config") or {}
    for k, v in config.items():
        if old.get(k) != v:
            raise UsageError(f"--resume: {where} was written by another run: its config '{k}' is {old.get(k)!r}, "
                             f"this run's is {v!r}")


class Resume:
    """`execute(subset=Resume(previous_document))`: run what the previous run did not finish."""

    def __init__(self, previous: dict):
        self.previous = previous
        self.kept_records = [j for j in previous.get("jobs") or [] if not str(j.get("error", "")).startswith(
            INTERRUPTED)]
        self.kept = {(j["variant"], j["device"], j["dtype"], j["batch"]) for j in self.kept_records}
        self.mine: set = set()
        self.skipped_keys: list = []
        self.states: dict = {}

    def select(self, jobs: list, skipped: list) -> tuple[list, list]:
        present = {(c.get("variant"), c.get("device"), c.get("dtype"), c.get("case_id"))
                   for c in self.previous.get("cells") or []}
        # a job is kept only with every cell of it in the document: its job list alone is not trusted
        self.kept = {job_key(j) for j in jobs if job_key(j) in self.kept and all(k in present for k in cell_keys(j))}
        self.kept_records = [j for j in self.kept_records
                             if (j["variant"], j["device"], j["dtype"], j["batch"]) in self.kept]
        mine = [j for j in jobs if job_key(j) not in self.kept]
        self.mine = {id(j) for j in mine}
        by_key = {job_key(j): j for j in jobs}
        peers = {id(p): p for j in mine
                 if (p := by_key.get((j.variant.name, REFERENCE_DEVICE, j.dtype, j.batch))) is not None}
        chosen = self.mine | set(peers)
        self.skipped_keys = [vkey(v) for v in skipped]
        return [j for j in jobs if id(j) in chosen], skipped

    def own(self, verdicts: list, done: list) -> tuple[list, list]:
        keys = {k for j in done if id(j) in self.mine for k in cell_keys(j)} | set(self.skipped_keys)
        return [v for v in verdicts if vkey(v) in keys], [j for j in done if id(j) in self.mine]

    def combine(self, planned: list, verdicts: list, done: list, against) -> list:
        """The previous run's kept cells and this run's, in the uninterrupted run's order."""
        kept_cells = {}
        kept_jobs = [j for j in planned if job_key(j) in self.kept]
        wanted = {k for j in kept_jobs for k in cell_keys(j)}
        for c in self.previous.get("cells") or []:
            key = (c["variant"], c["device"], c["dtype"], c["case_id"])
            if key in wanted:
                kept_cells[key] = Verdict.from_dict(c)
        errors = {(j["variant"], j["device"], j["dtype"], j["batch"]): j.get("error") for j in self.kept_records}
        states = {}
        for j in kept_jobs:
            built = all(getattr(kept_cells.get(k), "verdict", None) == BUILT for k in cell_keys(j))
            states[job_key(j)] = NO_RESULT if errors.get(job_key(j)) or built else RESULT
        states.update({job_key(j): state(j) for j in done})
        section = plan_section(planned, self.skipped_keys, against)
        cells = {**kept_cells, **{vkey(v): v for v in verdicts}}
        order = cell_order([tuple(p) for p in section["plan"]], states, set(section["reference_variants"]),
                           section["skipped"])
        return [cells[k] for k in order if k in cells]

    def records(self, planned: list, new_records: list) -> list:
        """Job records of the previous run's kept jobs and this run's, in plan order."""
        index = {job_key(j): k for k, j in enumerate(planned)}
        both = self.kept_records + new_records
        return sorted(both, key=lambda j: index.get((j["variant"], j["device"], j["dtype"], j["batch"]), len(index)))
