"""A corpus: a fixed, versioned set of cases (growth and metaplastic) that baselines are recorded on.

`brian2-harness corpus --seed S --cases N --out FILE` draws N growth cases (schedule dt 0.1 ms, period 1 s,
3 s: one batch) and N metaplastic cases from the Hypothesis strategies, adds the documented default case of
each family, and writes one self-describing JSON document atomically:

    {"format": "brian2-harness-corpus/1",
     "generator": {"seed": S, "cases": N, "schedule": [...], "hypothesis": "6.x", ...},   # provenance only
     "growth": [Case.to_dict(), ...], "metaplastic": [MetaCase.to_dict(), ...],
     "sha256": "..."}                  # of the canonical JSON of the two case lists

The cases themselves are stored, not just the seed: what a seed draws depends on the Hypothesis version, and a
baseline must be rerun on exactly the same cases under another Brian2 (and possibly another Hypothesis).
Floats are written as Python's shortest round-trip repr, so reading a corpus gives back equal cases (names
included). Every case needs a name, unique within its family: the name is the cell's case id in a baseline.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field

from brian2_harness import variant_sources
from brian2_harness.atomic import write_output
from brian2_harness.documents import check_format, read_json
from brian2_harness.errors import UsageError
from brian2_harness.families import all_families, get_family
from brian2_harness.versions import installed_version

CORPUS_FORMAT = "brian2-harness-corpus/1"
DEFAULT_SCHEDULE = (1e-4, 1.0, 3.0)


def _case_families() -> list:
    return [f for f in all_families() if f.has_cases]


def case_counts(n: int | None, per_family: dict, meta_cases: int | None = None) -> dict:
    """Generated cases per family name: `per_family`, else `meta_cases` for every family after the first, else
    `n`, else the family's own `corpus_size`."""
    families = _case_families()
    known = [f.name for f in families]
    for name in per_family:
        if name not in known:
            raise UsageError(f"--family-cases: '{name}' is not a family with cases (known: {', '.join(known)})")
    counts = {}
    for k, fam in enumerate(families):
        own = n if n is not None else fam.corpus_size
        counts[fam.name] = per_family.get(fam.name, meta_cases if k and meta_cases is not None else own)
    bad = {name: c for name, c in counts.items() if c < 0}
    if bad:
        raise UsageError(f"--cases / --family-cases must be >= 0, got {bad}")
    return counts


@dataclass(frozen=True)
class Corpus:
    cases: dict = field(default_factory=dict)   # family name -> tuple of cases (every family with cases)
    generator: dict = field(default_factory=dict, compare=False)   # provenance (seed, versions); informative

    def cases_of(self, family: str) -> tuple:
        return tuple(self.cases.get(family, ()))

    def case(self, family: str, name: str):
        for c in self.cases_of(family):
            if c.name == name:
                return c
        raise KeyError(f"{family} case '{name}' is not in the corpus")

    def case_lists(self) -> dict:
        return {family: [c.to_dict() for c in cases] for family, cases in self.cases.items()}

    def digest(self) -> str:
        """sha256 of the canonical JSON of the cases (names included): equal digests, equal corpora."""
        blob = json.dumps(self.case_lists(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    def to_document(self) -> dict:
        return {"format": CORPUS_FORMAT, "generator": dict(self.generator), **self.case_lists(),
                "sha256": self.digest()}

    def summary(self) -> str:
        parts = " + ".join(f"{len(c)} {family}" for family, c in self.cases.items())
        return f"{parts} cases (sha256 {self.digest()[:12]})"


def make_corpus(seed: int, n: int | None = None, *, per_family: dict | None = None, meta_cases: int | None = None,
                include_default: bool = True, schedule: tuple = DEFAULT_SCHEDULE) -> Corpus:
    """Generated cases of every family with cases, and each family's default case (`Family.corpus_cases`).
    How many of a family: `per_family[name]`, else `n`, else the family's own `corpus_size`; `meta_cases` (kept
    for `corpus --meta-cases`) counts those of every family after the first."""
    counts = case_counts(n, per_family or {}, meta_cases)
    cases, generator = {}, {"seed": seed, "cases": counts, "default_cases": include_default,
                            "schedule": list(schedule)}
    for fam in _case_families():
        got, info = fam.corpus_cases(counts[fam.name], seed, schedule=tuple(schedule), include_default=include_default)
        cases[fam.name] = tuple(got)
        generator.update(info)
    if not any(cases.values()):
        raise UsageError("an empty corpus: use --cases N (N >= 1) or keep the default cases")
    generator.update({"hypothesis": installed_version("hypothesis"),
                      "brian2_harness": installed_version("brian2-harness")})
    corpus = Corpus(cases, generator)
    _check_names(corpus, "corpus")
    return corpus


def _check_names(corpus: Corpus, where: str) -> None:
    for family, items in corpus.cases.items():
        seen: set[str] = set()
        for k, c in enumerate(items):
            if not isinstance(c.name, str) or not c.name:
                raise UsageError(f"{where}: {family} case {k} has no name (every case needs a unique name: "
                                 f"it is the case id of its cells)")
            if c.name in seen:
                raise UsageError(f"{where}: {family} case name '{c.name}' is used twice")
            seen.add(c.name)


def corpus_from_document(doc, where: str) -> Corpus:
    """Validate a corpus document; raise one-line `UsageError`s naming `where` and what is wrong."""

    check_format(doc, where, "corpus", CORPUS_FORMAT, "brian2-harness corpus")
    lists = {}
    known = {f.name for f in _case_families()}
    unknown = sorted(set(doc) - known - {"format", "generator", "sha256"})
    if unknown:
        raise UsageError(f"{where}: '{unknown[0]}' is not a family with cases (known: {', '.join(sorted(known))})")
    for family in [f.name for f in _case_families() if f.name in doc]:
        items = doc.get(family, [])
        if not isinstance(items, list):
            raise UsageError(f"{where}: '{family}' must be a list of cases, got {type(items).__name__}")
        cases = []
        for k, item in enumerate(items):
            try:
                cases.append(get_family(family).case_from_dict(item))
            except UsageError as exc:
                raise UsageError(f"{where}: {family} case {k}: {exc}") from None
            except TypeError as exc:
                raise UsageError(f"{where}: {family} case {k}: {exc}") from None
        lists[family] = tuple(cases)
    generator = doc.get("generator", {})
    corpus = Corpus(lists, generator if isinstance(generator, dict) else {})
    if not any(corpus.cases.values()):
        raise UsageError(f"{where}: the corpus has no cases")
    _check_names(corpus, where)
    stored = doc.get("sha256")
    if stored is not None and stored != corpus.digest():
        raise UsageError(f"{where}: the cases do not match the corpus checksum (file edited or corrupt); "
                         f"regenerate it with `brian2-harness corpus`, or delete the 'sha256' field to accept edits")
    return corpus


def load_corpus(path) -> Corpus:
    where = f"corpus file '{os.fspath(path)}'"
    return corpus_from_document(read_json(path, where, "is not text (not a corpus; a baseline .npz goes to `compare`)"),
                                where)


def corpus_text(corpus: Corpus) -> str:
    """The document as JSON text, one case per line (diff-friendly, still plain JSON)."""
    doc = corpus.to_document()
    parts = [f' "format": {json.dumps(doc["format"])}', f' "generator": {json.dumps(doc["generator"])}']
    for family in corpus.cases:
        cases = ",\n".join("  " + json.dumps(c) for c in doc[family])
        parts.append(f' "{family}": [\n{cases}\n ]' if cases else f' "{family}": []')
    parts.append(f' "sha256": {json.dumps(doc["sha256"])}')
    return "{\n" + ",\n".join(parts) + "\n}\n"


def write_corpus(corpus: Corpus, path) -> None:
    write_output(path, corpus_text(corpus), "cannot write corpus")


def cmd_corpus(args) -> int:
    """The `corpus` command (its options: cli/upgrade.py)."""
    variant_sources.load_all(args.plugin)
    corpus = make_corpus(args.seed, args.cases, per_family=dict(args.family_cases), meta_cases=args.meta_cases,
                         include_default=not args.no_default_cases)
    write_corpus(corpus, args.out)
    print(f"corpus: {corpus.summary()} -> {args.out}")
    return 0
