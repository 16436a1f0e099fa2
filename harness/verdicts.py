"""Every verdict and status word of the harness, defined once: a `run` cell's verdict, a device run's status, and
`check`'s verdict of a device and of a script.

The words are what the JSON documents store, so they never change; each module that judges imports them from
here (tests/test_verdicts.py fails on a verdict word assigned anywhere else).
"""
from __future__ import annotations

# words shared by every kind of verdict
FAIL, ERROR, SKIP, BUILT = "fail", "error", "skip", "built"

# a `run` cell (cells/verdict.py): it passed, failed, errored, was skipped, or could only be built
PASS = "pass"
CELL_VERDICTS = (PASS, FAIL, ERROR, SKIP, BUILT)

# a device run of `check` (check/script.py): every seed ran (ok), Brian refused it, it errored, it was only built
OK = "ok"
RUN_STATUSES = (OK, SKIP, ERROR, BUILT)

# `check`'s verdict of a device against the reference (check/verdict.py), and of a script
AGREE, AGREE_STAT, REFERENCE = "agree", "agree_stat", "reference"
INTERRUPTED = "interrupted"          # a stop (SIGINT/SIGTERM) left the script unchecked
DEVICE_VERDICTS = (AGREE, AGREE_STAT, FAIL, ERROR, SKIP, BUILT, REFERENCE)
SCRIPT_VERDICTS = (AGREE, AGREE_STAT, FAIL, ERROR, SKIP, BUILT, INTERRUPTED)
WITH_OTHERS = (AGREE, AGREE_STAT, REFERENCE)     # a device that agreed with the others (or was their reference)
LABEL = {AGREE: "agree exactly", AGREE_STAT: "agree statistically", FAIL: "fail", SKIP: "skipped", ERROR: "error",
         REFERENCE: "reference", BUILT: "built, not run"}
