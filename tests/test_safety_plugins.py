"""A plugin file's import has a time limit and is reported as such; Ctrl-C during it is an interrupt, not a
plugin error."""
import time

from brian2_harness import variant_sources as registry
from brian2_harness.cli import main


def test_a_hanging_plugin_import_is_stopped_and_named(tmp_path, capsys, monkeypatch):
    slow = tmp_path / "slow_plugin.py"
    slow.write_text("import time\ntry:\n    time.sleep(30)\nexcept Exception:\n    pass\n")
    monkeypatch.setenv(registry.TIMEOUT_VAR, "0.5")
    t0 = time.monotonic()
    assert main(["list", "--plugin", str(slow)]) == 2
    assert time.monotonic() - t0 < 10
    err = capsys.readouterr().err
    assert "did not finish importing within 0.5 s" in err and registry.TIMEOUT_VAR in err and err.count("\n") == 1


def test_ctrl_c_during_a_plugin_import_is_an_interrupt(tmp_path, capsys):
    stop = tmp_path / "stop_plugin.py"
    stop.write_text("raise KeyboardInterrupt\n")
    assert main(["list", "--plugin", str(stop)]) == 1
    err = capsys.readouterr().err
    assert "interrupted" in err and "raised on import" not in err


def test_a_bad_limit_is_a_usage_error(tmp_path, capsys, monkeypatch):
    ok = tmp_path / "ok_plugin.py"
    ok.write_text("x = 1\n")
    monkeypatch.setenv(registry.TIMEOUT_VAR, "soon")
    assert main(["list", "--plugin", str(ok)]) == 2
    assert registry.TIMEOUT_VAR in capsys.readouterr().err
