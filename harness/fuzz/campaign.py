"""A fuzzing campaign: packs of generated models checked across devices until the budget is spent; every
disagreement attributed to its model, shrunk by Hypothesis, saved as a finding (deduplicated by signature), and at
the end every finding re-checked (one that no longer reproduces is flaky) and triaged; a Markdown report.

Pack p draws its models from Hypothesis under the seed `seed * 10007 + p` (generate.py), its run() calls from the
same seed (strategies.schedule); a pack is stochastic (random_models.py: models that draw random numbers, judged
statistically where the devices' streams differ) with the share `stochastic_packs`, drawn from its own generator
seeded by the pack's seed (stochastic_pack: a campaign whose shares lack it draws exactly as before); so a campaign
is reproducible from (seed, pack size, shares, release). After every pack its state is saved (resume.py): `--resume
DIR` continues from the next pack, counts added up. Every check (packs, bisection, shrinking candidates, findings,
re-checks) runs through `Config.runner` (None: `run_device` here; `fuzz --scheduler`: check's Dask runner, each
device's runs a Dask task); summary.json's `cluster` names it.
"""
from __future__ import annotations

import json
import os
import random
import time
from collections import Counter
from dataclasses import dataclass, field

from ..check.document import check_document
from ..check.verdict import REFERENCE
from ..devices import is_known
from ..errors import UsageError
from . import differential, emit, features, findings, generate, random_models, report, resume, shrink, triage
from .strategies import model_shares, schedule

SUMMARY = "summary.json"
RECHECK_SEED = 100000      # the end's re-check: other seeds than every earlier check's (0.., 1000·d + ..)


@dataclass
class Config:
    devices: list
    budget_s: float
    seed: int
    out: str
    pack: int = 10
    max_models: int | None = None
    shares: dict = field(default_factory=features.shares)
    shrink_s: float = 300.0
    timeout: float = 300.0
    cache_dir: str | None = None
    release: str = ""
    runner: object = None           # run_device's replacement for every check (check/cluster.py's DaskRunner)
    scheduler: str | None = None    # --scheduler as given (recorded in summary.json)


def gen_seed(seed: int, pack: int) -> int:
    return seed * 10007 + pack


def stochastic_pack(gs: int, shares: dict) -> bool:
    """Whether the pack of seed `gs` is stochastic: its own generator (not the one of its run() calls), and never
    where the shares lack `stochastic_packs` (a campaign stored before it existed draws the same models)."""
    share = shares.get(random_models.PACK_FEATURE, 0.0)
    return share > 0 and random.Random(f"stochastic-pack:{gs}").random() < share


def draw_pack(seed: int, p: int, count: int, shares: dict) -> tuple[list, tuple[int, ...], bool]:
    """Pack p's models (as generate.draw gives them), its run() calls and whether it is stochastic."""
    gs = gen_seed(seed, p)
    stochastic = stochastic_pack(gs, shares)
    # no dt change in a stochastic pack: Brian refuses a PoissonInput whose group's dt changed after it was created
    dt_change = 0.0 if stochastic else shares.get("dt_change", 0.0)
    store = 0.0 if stochastic else shares.get("store_restore", 0.0)
    changes = 0.0 if stochastic else shares.get("run_changes", 0.0)
    runs = schedule(random.Random(gs), shares["several_runs"], dt_change, store, changes)
    return generate.draw(gs, count, model_shares(shares, runs), stochastic=stochastic), runs, stochastic


def observable_kind(result, name: str) -> str:
    """'int', 'float', 'spikes' (or the check kind) of an observable of the reference's run."""
    ref = result.runs.get(result.reference) if result.reference else None
    obs = (ref.runs[0].observables.get(name) if ref and ref.runs else None) or {}
    if obs.get("kind") in ("spikes", "rate"):
        return "spikes"
    values = (obs.get("arrays") or {}).get("values")
    return "missing" if values is None else ("float" if values.dtype.kind == "f" else "int")


class Campaign:
    def __init__(self, cfg: Config, say=print, state: dict | None = None):
        """`state`: a stored campaign's state (resume.load) to continue from; its packs and seconds count."""
        self.cfg, self.say = cfg, say
        self.t0 = time.perf_counter()
        self.next_pack = state["next_pack"] if state else 0
        self.earlier_s = state["seconds"] if state else 0.0
        self.work = os.path.join(cfg.out, "work")
        self.cache = cfg.cache_dir or os.path.join(cfg.out, "cache")
        os.makedirs(self.work, exist_ok=True)
        self.stats = dict(models=0, packs=0, invalid=0, disagreements=0, duplicates=0, first_finding_s=None,
                          first_disagreement_s=None,
                          pack_seconds=[], coverage=Counter(), invalid_models=[], timed_out=[], unchecked=0,
                          stochastic_packs=0)
        self.stats.update(state["stats"] if state else {})
        self.models_at_start = self.stats["models"]
        self.found: dict[str, findings.Finding] = {f.signature: f for f in findings.load_all(cfg.out)}
        self.new: list[str] = []

    def elapsed(self) -> float:
        """Seconds of this run (the budget's measure)."""
        return time.perf_counter() - self.t0

    def total(self) -> float:
        """Seconds of the whole campaign, earlier runs included (times to findings, the rate)."""
        return self.earlier_s + self.elapsed()

    def check_script(self, text: str, devices: list[str], label: str, seed: int = 0):
        return differential.run_text(text, devices, self.work, label, timeout=self.cfg.timeout, cache_dir=self.cache,
                                     stem="fuzzmodel", runner=self.cfg.runner, seed=seed)

    def run(self) -> dict:
        """Packs until this run's budget (or --max-models, counted in this run) is spent; state saved after each."""
        cfg = self.cfg
        while self.elapsed() < cfg.budget_s and (cfg.max_models is None or self.run_models() < cfg.max_models):
            count = cfg.pack if cfg.max_models is None else min(cfg.pack, cfg.max_models - self.run_models())
            self.one_pack(self.next_pack, count)
            self.next_pack += 1
            resume.save(cfg.out, cfg, self.next_pack, self.total(), self.stats)
        self.recheck()
        return self.finish()

    def run_models(self) -> int:
        return self.stats["models"] - self.models_at_start

    def one_pack(self, p: int, count: int) -> None:
        cfg = self.cfg
        drawn, runs, stochastic = draw_pack(cfg.seed, p, count, cfg.shares)
        self.stats["stochastic_packs"] += int(stochastic)
        models = [m for _, m in drawn]
        t = time.perf_counter()
        result, found, invalid = differential.check_models(models, runs, cfg.devices, self.work,
                                                           timeout=cfg.timeout, cache_dir=self.cache,
                                                           label=f"pack{p}", runner=cfg.runner)
        self.stats["pack_seconds"].append(round(time.perf_counter() - t, 1))
        late = differential.timed_out(result)
        if late:
            self.stats["timed_out"].append(f"pack {p}: {', '.join(late)}")
            self.stats["unchecked"] += len(models)
        refusals = differential.refused(result)
        if refusals:
            self.stats.setdefault("refused", []).append(f"pack {p}: {'; '.join(refusals)}")
            self.stats["refused_models"] = self.stats.get("refused_models", 0) + len(models)
            if not differential.compared(result, cfg.devices):     # nothing beside the reference ran: unchecked
                self.stats["uncompared_models"] = self.stats.get("uncompared_models", 0) + len(models)
        self.stats["packs"] += 1
        self.stats["models"] += len(models)
        self.stats["invalid"] += len(invalid)
        self.stats["invalid_models"] += [f"pack {p} model {k}" for k in invalid]
        for m in models:
            self.stats["coverage"].update(features.used(emit.script(m, runs)))
        by_model: dict[int, list] = {}
        for d in found:
            by_model.setdefault(d.model, []).append(d)
        kind = "stochastic " if stochastic else ""
        self.say(f"pack {p}: {len(models)} {kind}models in {self.stats['pack_seconds'][-1]:.0f} s, {len(by_model)} "
                 f"disagreeing, {len(invalid)} invalid" + (f", timed out on {', '.join(late)}" if late else "")
                 + (f", refused by {', '.join(r.split(':')[0] for r in refusals)}" if refusals else "")
                 + (" (compared on no device)" if refusals and not differential.compared(result, cfg.devices)
                    else "")
                 + f" ({self.stats['models']} models, {self.total():.0f} s)")
        if by_model and self.stats.get("first_disagreement_s") is None:    # seen when its pack was checked
            self.stats["first_disagreement_s"] = round(self.total(), 1)
        for k, ds in sorted(by_model.items()):
            self.stats["disagreements"] += 1
            self.disagreement(p, drawn[k], runs, ds, generate.examples_for(count), stochastic)

    def _known(self, devices, outcome, model_features) -> findings.Finding | None:
        """A finding already made whose devices and outcome match and whose minimal script's features this model
        has too: most likely the same disagreement again (counted, not shrunk again)."""
        for f in self.found.values():
            if sorted(f.devices) == sorted(devices) and f.outcome == outcome and set(f.features) <= model_features:
                return f
        return None

    def disagreement(self, p: int, drawn, runs, ds, max_examples: int, stochastic: bool = False) -> None:
        cfg, (position, model) = self.cfg, drawn
        devices = sorted({d.device for d in ds})
        outcome = differential.ERROR if any(d.outcome == differential.ERROR for d in ds) else "fail"
        original = emit.script(model, runs)
        same = self._known(devices, outcome, set(features.used(original)))
        if same is not None:
            same.occurrences += 1
            self.stats["duplicates"] += 1
            findings.save(cfg.out, same)
            self.say(f"  model {k_label(p, ds)}: same as finding {same.id} ({same.occurrences} occurrences)")
            return
        ref, dev = cfg.devices[0], devices[0]
        counter = [0]

        def reproduces(text: str) -> bool:
            counter[0] += 1
            r = self.check_script(text, [ref, dev], f"shrink-p{p}-{counter[0]}")
            v = r.devices.get(dev)
            return r.reference == ref and r.devices[ref].verdict == REFERENCE and v is not None and \
                v.verdict == outcome
        self.say(f"  model {k_label(p, ds)}: {outcome} on {', '.join(devices)}; shrinking "
                 f"(up to {cfg.shrink_s:.0f} s)")
        shrunk = shrink.shrink(model, gen_seed(cfg.seed, p), max_examples, model_shares(cfg.shares, runs), runs,
                               reproduces, cfg.shrink_s, stochastic)
        final = self.check_script(shrunk.script, [ref] + devices, f"finding-p{p}-{ds[0].model}")
        failing = [n for d in devices for n in differential.failing_observables(final, d)]
        kinds = sorted({observable_kind(final, n) for n in failing}) or [outcome]
        feats = features.used(shrunk.script)
        sig = findings.signature(devices, outcome, kinds, feats)
        if sig in self.found:
            self.found[sig].occurrences += 1
            self.stats["duplicates"] += 1
            findings.save(cfg.out, self.found[sig])
            return
        f = findings.Finding(
            id=findings.finding_id(sig), signature=sig, devices=devices, reference=ref, outcome=outcome,
            observables=failing, features=feats, release=cfg.release,
            script_lines=len(emit.model_lines(shrunk.script)), found_after_s=round(self.total(), 1),
            model=dict(gen_seed=gen_seed(cfg.seed, p), position=position, pack=p, index=ds[0].model),
            shrink=dict(reached=shrunk.reached, candidates=shrunk.candidates, seconds=round(shrunk.seconds, 1),
                        original_lines=len(emit.model_lines(original))),
            detail=final.reason[:600] or ds[0].detail)
        f.triage = triage.classify(f, shrunk.script)
        self.found[sig] = f
        self.new.append(sig)
        if self.stats["first_finding_s"] is None:
            self.stats["first_finding_s"] = f.found_after_s
        doc = check_document([final], environment={"brian2": cfg.release}, config={"devices": [ref] + devices})
        where = findings.save(cfg.out, f, shrunk.script, doc)
        self.say(f"  finding {f.id}: {f.triage['class']} ({f.triage['rule']}), {f.script_lines} lines, "
                 f"{where}/script.py")

    def recheck(self) -> None:
        """Every new finding checked again, under check seed RECHECK_SEED: a deterministic script's verdict does not
        depend on it, a statistical one's samples are then new (seed 0's verdict is reproducible, so only new seeds
        can show that a statistical difference was one of alpha's false alarms: flaky)."""
        for f in self.found.values():
            if f.signature not in self.new:
                continue
            result = self.check_script(findings.script_of(self.cfg.out, f.id), [f.reference] + f.devices,
                                       f"recheck-{f.id}", seed=RECHECK_SEED)
            still = any(result.devices.get(d) is not None and result.devices[d].verdict == f.outcome
                        for d in f.devices)
            f.status = "reproduces" if still else "flaky"
            findings.save(self.cfg.out, f)

    def finish(self) -> dict:
        s = dict(self.stats)
        s["coverage"] = dict(s["coverage"])
        minutes = self.total() / 60
        summary = dict(
            format="brian2-harness-fuzz/1", release=self.cfg.release, devices=self.cfg.devices,
            seed=self.cfg.seed, pack=self.cfg.pack, budget_s=self.cfg.budget_s, seconds=round(self.total(), 1),
            models_per_minute=round(s["models"] / minutes, 2) if minutes > 0 else 0.0,
            shares=self.cfg.shares, stats=s, cluster=cluster(self.cfg),
            findings=[f.to_dict() for f in self.found.values()], new=[self.found[x].id for x in self.new])
        with open(os.path.join(self.cfg.out, SUMMARY), "w") as fh:
            json.dump(summary, fh, indent=1, default=str)
        report.write(self.cfg.out, summary)
        return summary


def cluster(cfg: Config) -> dict | None:
    """summary.json's `cluster` (as in run's documents): the scheduler, its workers and the tasks sent; None
    when the checks ran here."""
    if cfg.scheduler is None:
        return None
    return {"scheduler": cfg.scheduler, "workers": len(getattr(cfg.runner, "workers", []) or []),
            "tasks": getattr(cfg.runner, "tasks", None)}


def k_label(p: int, ds) -> str:
    return f"{ds[0].model} of pack {p}"


def exit_code(summary: dict) -> int:
    """1 when a finding new in this campaign is a Brian2 bug that reproduces, else 0."""
    new = set(summary.get("new") or [])
    return int(any(f["id"] in new and f["status"] == "reproduces" and f["triage"].get("class") == triage.BUG
                   for f in summary["findings"]))


def validate(devices: list[str], known: list[str], budget: float, pack: int) -> None:
    for d in devices:
        if not is_known(d):
            raise UsageError(f"--devices: unknown device {d!r} (allowed: {', '.join(known)}; each also as "
                             f"NAME@RELEASE: that device under another installed Brian2 release)")
    if len(devices) < 2:
        raise UsageError(f"--devices: name at least two devices (allowed: {', '.join(known)})")
    if not budget > 0:
        raise UsageError(f"--budget: minutes must be a positive number, got {budget!r}")
    if pack < 1:
        raise UsageError(f"--pack: models per script must be at least 1, got {pack!r}")
