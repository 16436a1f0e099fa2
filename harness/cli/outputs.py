"""Which arguments of a command are outputs and which are inputs, so that `main` validates every output before
the command starts (outputs.validate_outputs). A new output option is named here once, by its `dest`."""
from __future__ import annotations

from brian2_harness.outputs import FILE, FOLDER, Output, validate_outputs

REPORT_FILES = ("index.html", "summary.md")

# dest -> (kind, files written inside a folder); `out` depends on the command (OUT_FOLDER_COMMANDS)
OUTPUT_DESTS = {"json_out": FILE, "junit": FILE, "markdown": FILE, "report": FOLDER, "out": FILE, "record": FOLDER}
OUT_FOLDER_COMMANDS = {"report"}
INPUT_DESTS = ("plugin", "case_file", "scripts", "inputs", "results", "baseline", "baselines", "corpus", "against")


def _option(dest: str) -> str:
    return {"json_out": "--json", "scripts": "SCRIPT.py", "inputs": "RESULTS.json", "results": "RESULTS.json",
            "baseline": "BASELINE.npz", "baselines": "BASELINE.npz"}.get(dest, "--" + dest.replace("_", "-"))


def outputs_of(args) -> list[Output]:
    out = []
    for dest, kind in OUTPUT_DESTS.items():
        path = getattr(args, dest, None)
        if not isinstance(path, str) or not path:
            continue
        if dest == "out" and args.command in OUT_FOLDER_COMMANDS:
            kind = FOLDER
        out.append(Output(_option(dest), path, kind, REPORT_FILES if kind == FOLDER and dest != "record" else ()))
    return out


def inputs_of(args) -> list[tuple[str, str]]:
    found = []
    for dest in INPUT_DESTS:
        value = getattr(args, dest, None)
        for path in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(path, str) and path:
                found.append((_option(dest), path))
    for item in getattr(args, "script_for", None) or []:     # check --script-for DEVICE=SCRIPT.py
        if isinstance(item, str) and "=" in item:
            found.append(("--script-for", item.partition("=")[2]))
    return found


def validate(args) -> None:
    """Raise `UsageError` for an output the command could not write or that would replace one of its inputs."""
    validate_outputs(outputs_of(args), inputs_of(args))
