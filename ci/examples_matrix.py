"""Examples x releases: one Markdown table from the full examples tables of several releases.

Each release's table is the `examples.md` that `ci/examples_table.py` wrote (kept in docs/data/examples-X/), with
extra files for examples run on their own (Maass 2002: `maass.md`). The result has the verdict counts per release
(harness errors counted apart: an `error` row whose reason is the harness's), the verdict of every example on every
release, and the examples whose verdict is not the same on every release that ran them: those are the rows to
explain.

    python ci/examples_matrix.py 2.5.4=docs/data/examples-2.5.4/examples.md \\
        2.10.1=docs/data/examples-2.10.1/examples.md,docs/data/examples-2.10.1/maass.md --out matrix.md
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

SYMBOL = {"agree exactly": "=", "agree statistically": "≈", "skipped": "skip", "fail": "FAIL", "error": "ERROR"}
HARNESS = "harness problem"
ABSENT = "–"


class TableError(ValueError):
    """An examples.md that is not what ci/examples_table.py writes."""


def rows(text: str, source: str) -> dict[str, tuple[str, bool]]:
    """{example path: (verdict label, harness error?)} from one examples.md."""
    found: dict[str, tuple[str, bool]] = {}
    width = None
    for n, line in enumerate(text.splitlines(), 1):
        if not line.startswith("| "):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] == "example":
            width = len(cells)
            continue
        if width is None:
            raise TableError(f"{source}:{n}: a row before the header `| example | verdict | ... |`")
        if len(cells) < width:
            raise TableError(f"{source}:{n}: {len(cells)} cells, the header has {width}")
        example, label = cells[0], cells[1]
        if label not in SYMBOL:
            raise TableError(f"{source}:{n}: verdict {label!r}; allowed: {', '.join(SYMBOL)}")
        if example in found:
            raise TableError(f"{source}:{n}: {example} is in this table twice")
        found[example] = (label, label == "error" and HARNESS in " ".join(cells[width - 1:]))
    if not found:
        raise TableError(f"{source}: no example rows")
    return found


def release(files: list[Path]) -> dict[str, tuple[str, bool]]:
    """One release's rows from its tables; an example in two of them is an error (which one would count?)."""
    merged: dict[str, tuple[str, bool]] = {}
    for path in files:
        for example, row in rows(path.read_text(encoding="utf-8"), str(path)).items():
            if example in merged:
                raise TableError(f"{path}: {example} is also in another table of this release")
            merged[example] = row
    return merged


def version_key(v: str) -> tuple:
    return tuple(int(x) if x.isdigit() else 0 for x in v.split("."))


def matrix(tables: dict[str, dict[str, tuple[str, bool]]]) -> str:
    versions = sorted(tables, key=version_key)
    head = ["| release | examples | " + " | ".join(SYMBOL) + " | harness errors |",
            "|---|---|" + "---|" * (len(SYMBOL) + 1)]
    for v in versions:
        labels = [label for label, _ in tables[v].values()]
        harness = sum(h for _, h in tables[v].values())
        head.append(f"| {v} | {len(labels)} | " + " | ".join(str(labels.count(k)) for k in SYMBOL)
                    + f" | {harness} |")
    names = sorted({e for t in tables.values() for e in t}, key=lambda e: ("/" in e, e))
    body = ["| example | " + " | ".join(versions) + " |", "|---|" + "---|" * len(versions)]
    differ = []
    for name in names:
        cells = [SYMBOL[tables[v][name][0]] if name in tables[v] else ABSENT for v in versions]
        body.append(f"| {name} | " + " | ".join(cells) + " |")
        ran = {c for c in cells if c != ABSENT}
        if len(ran) > 1:
            differ.append(f"| {name} | " + " | ".join(cells) + " |")
    legend = (f"`=` agree exactly, `≈` agree statistically, `skip` Brian refuses the script there (or it runs no "
              f"simulation), `FAIL`, `ERROR`, `{ABSENT}` not in that release's examples (or not run).")
    out = ["## Verdicts per release", "", *head, "", "## Every example", "", legend, "", *body, "",
           f"## Examples whose verdict is not the same on every release ({len(differ)})", ""]
    out += (body[:2] + differ) if differ else ["None."]
    return "\n".join(out) + "\n"


def parse_spec(spec: str) -> tuple[str, list[Path]]:
    version, sep, files = spec.partition("=")
    if not sep or not version or not files:
        raise TableError(f"table {spec!r}: expected VERSION=FILE[,FILE...]")
    return version, [Path(f) for f in files.split(",")]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("tables", nargs="+", help="VERSION=examples.md[,more.md] per release")
    ap.add_argument("--out", type=Path, help="write here (default: standard output)")
    args = ap.parse_args(argv)
    try:
        tables = {}
        for spec in args.tables:
            version, files = parse_spec(spec)
            if version in tables:
                raise TableError(f"release {version} given twice")
            missing = [str(f) for f in files if not f.is_file()]
            if missing:
                raise TableError(f"release {version}: no such file: {', '.join(missing)}")
            tables[version] = release(files)
    except TableError as exc:
        print(f"examples_matrix: {exc}", file=sys.stderr)
        return 2
    text = matrix(tables)
    if args.out:
        tmp = args.out.with_suffix(args.out.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(args.out)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
