"""`fuzz --resume DIR` (no Brian: the pack check is replaced by one that records which models it was given): a
campaign stopped after some packs and resumed checks exactly the packs an uninterrupted campaign checks, with the
counts added up; a campaign of another release or without a state is refused with one line naming --resume."""
from __future__ import annotations

import json

import pytest

from brian2_harness.check.verdict import REFERENCE, CheckResult, DeviceVerdict
from brian2_harness.errors import UsageError
from brian2_harness.fuzz import campaign, differential, emit, features, resume

DEVICES = ["numpy", "cpp_standalone"]


@pytest.fixture
def checked(monkeypatch):
    """Every pack's script text, in order; every model agrees (nothing to shrink)."""
    seen = []

    def fake(models, runs, devices, work, **kw):
        seen.append(emit.pack(models, runs))
        verdicts = {d: DeviceVerdict(d, REFERENCE if d == devices[0] else "pass", "") for d in devices}
        return CheckResult("pack.py", "pass", "", devices[0], verdicts, {}, "exact"), [], []
    monkeypatch.setattr(differential, "check_models", fake)
    return seen


def _campaign(out, max_models, state=None):
    cfg = campaign.Config(devices=DEVICES, budget_s=3600, seed=4, out=str(out), pack=3, max_models=max_models,
                          shares=features.shares(), release="2.10.1")
    return campaign.Campaign(cfg, lambda text: None, state).run()


def test_a_resumed_campaign_checks_the_packs_an_uninterrupted_one_does(tmp_path, checked):
    whole = _campaign(tmp_path / "whole", 12)
    straight = list(checked)
    checked.clear()
    _campaign(tmp_path / "split", 6)
    first = resume.load(str(tmp_path / "split"), "2.10.1")
    assert (first["next_pack"], first["stats"]["models"]) == (2, 6)
    summary = _campaign(tmp_path / "split", 6, first)
    assert checked == straight                       # the same packs, in the same order: the seed sequence goes on
    assert summary["stats"]["models"] == whole["stats"]["models"] == 12
    assert summary["stats"]["packs"] == 4 and len(summary["stats"]["pack_seconds"]) == 4
    assert summary["stats"]["coverage"] == whole["stats"]["coverage"]
    assert summary["seconds"] >= first["seconds"]
    # negative control: a campaign started afresh in the same folder repeats the first packs
    checked.clear()
    _campaign(tmp_path / "split", 6)
    assert checked == straight[:2]


def test_resume_refuses_another_release_or_a_folder_without_state(tmp_path, checked):
    _campaign(tmp_path / "c", 3)
    with pytest.raises(UsageError, match=r"--resume: .* ran on brian2 2\.10\.1, this is 2\.5\.4"):
        resume.load(str(tmp_path / "c"), "2.5.4")
    with pytest.raises(UsageError, match="--resume: .* holds no readable state.json"):
        resume.load(str(tmp_path / "empty"), "2.10.1")
    (tmp_path / "c" / "state.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(UsageError, match="not a fuzz campaign state"):
        resume.load(str(tmp_path / "c"), "2.10.1")


def test_resume_on_the_command_line_names_the_option(tmp_path, capsys):
    from brian2_harness.cli import main
    assert main(["fuzz", "--resume", str(tmp_path / "nothing")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.count("--resume:") == 1, err


def test_resume_on_the_command_line_continues_with_the_stored_settings(tmp_path, checked, capsys):
    """`fuzz --resume DIR` takes devices, seed, pack size and shares from DIR (the options given are ignored) and
    goes on from the next pack; the negative control is the fresh campaign's first pack, which it must not repeat."""
    from brian2_harness import versions
    from brian2_harness.cli import main
    release = versions.installed_version("brian2") or "?"
    cfg = campaign.Config(devices=DEVICES, budget_s=3600, seed=4, out=str(tmp_path / "c"), pack=3, max_models=3,
                          shares=features.shares(), release=release)
    campaign.Campaign(cfg, lambda text: None).run()
    first = list(checked)
    checked.clear()
    assert main(["fuzz", "--resume", str(tmp_path / "c"), "--max-models", "3", "--seed", "99", "--quiet"]) == 0
    state = resume.load(str(tmp_path / "c"), release)
    assert (state["next_pack"], state["stats"]["models"], state["seed"], state["devices"]) == (2, 6, 4, DEVICES)
    assert len(checked) == 1 and checked != first
    assert "6 models" in capsys.readouterr().out
    resumed = list(checked)
    checked.clear()
    campaign.Campaign(campaign.Config(devices=DEVICES, budget_s=3600, seed=4, out=str(tmp_path / "whole"), pack=3,
                                      max_models=6, shares=features.shares(), release=release),
                      lambda text: None).run()
    assert checked == first + resumed          # seed 4's packs 0 and 1, not a pack of seed 99
