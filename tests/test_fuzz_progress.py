"""fuzz's progress bar (no Brian): only on a terminal and without --quiet; on one, the pack lines print above a bar
that shows the share of the budget spent and the campaign's status."""
import io
import time

from rich.console import Console

from brian2_harness.fuzz import progress


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_only_on_a_terminal_and_not_quiet():
    assert progress.wanted(False, _Tty())
    assert not progress.wanted(True, _Tty())
    assert not progress.wanted(False, io.StringIO())        # CI logs, pipes: the plain pack lines


def test_bar_prints_the_lines_and_the_status():
    out = _Tty()
    console = Console(file=out, force_terminal=True, width=120)
    with progress.bar(60.0, lambda: "20 models, 1 finding(s), 0 invalid", lambda: 30.0, console=console) as say:
        say("pack 1: 10 models in 12 s [no markup]")
        time.sleep(1.2)                 # at least one redraw of the bar
    text = out.getvalue()
    assert "pack 1: 10 models in 12 s [no markup]" in text
    assert "20 models, 1 finding(s), 0 invalid" in text and "50%" in text
