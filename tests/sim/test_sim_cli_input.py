"""`bluegreen sim` input handling that needs no world: durations and playbook errors (exit 2, no side effect)."""

from __future__ import annotations

from pathlib import Path

import pytest
from bluegreen_cli.sim_cmd import app, parse_duration
from typer.testing import CliRunner

from bluegreen.errors import PlaybookError

runner = CliRunner()


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("10m", 600), ("2h", 7200), ("1d", 86400), ("1h30m", 5400), ("0.5m", 30)]
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "10", "2 hours", "h", "10x", "-5m", "1h 30m"])
def test_parse_duration_rejects(text):
    with pytest.raises(PlaybookError, match="not a duration"):
        parse_duration(text)


def test_advance_with_bad_duration_exits_2(tmp_path: Path):
    result = runner.invoke(app, ["advance", str(tmp_path), "soon"])
    assert result.exit_code == 2
    assert "not a duration" in result.output


@pytest.mark.parametrize(
    ("playbook", "message"),
    [
        ("name: x\n", "simulation: the playbook has no `simulation:` section"),
        ("simulation:\n  blue: {name: b, resource_group: rg, version: '1.29'}\n", "simulation.blue.version"),
        ("simulation:\n  blue: {name: b, resource_group: rg, version: 1.29.9, manifests: [nope.yaml]}\n",
         "simulation.blue.manifests[0]"),
        ("simulation: [\n", "not valid YAML"),
    ],
)
def test_init_bad_playbook_exits_2_without_side_effect(tmp_path: Path, playbook: str, message: str):
    book = tmp_path / "playbook.yaml"
    book.write_text(playbook)
    target = tmp_path / "world"
    result = runner.invoke(app, ["init", str(target), "--playbook", str(book)])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not target.exists()


def test_init_refuses_non_empty_foreign_directory(tmp_path: Path):
    book = tmp_path / "playbook.yaml"
    book.write_text("simulation:\n  blue: {name: b, resource_group: rg, version: 1.29.9}\n")
    target = tmp_path / "world"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    result = runner.invoke(app, ["init", str(target), "--playbook", str(book)])
    assert result.exit_code != 0
    assert "not empty" in result.output
    assert [p.name for p in target.iterdir()] == ["notes.txt"]
