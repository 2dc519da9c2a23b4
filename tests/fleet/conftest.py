"""Fleets in the simulator: a copy of the example fleet (template, table, manifests) per test."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from bluegreen_cli.app import app
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]


class FleetDir:
    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def fleet(self) -> Path:
        return self.root / "playbooks" / "fleet" / "shops.yaml"

    @property
    def world(self) -> Path:
        return self.root / "world"

    def edit(self, change: Any) -> None:
        raw = yaml.safe_load(self.fleet.read_text())
        change(raw)
        self.fleet.write_text(yaml.safe_dump(raw, sort_keys=False))

    def cli(self, *args: str) -> Any:
        return CliRunner().invoke(app, ["--simulate", str(self.world), *args], catch_exceptions=False)


@pytest.fixture
def shops(tmp_path: Path) -> FleetDir:
    shutil.copytree(ROOT / "playbooks" / "fleet", tmp_path / "playbooks" / "fleet")
    shutil.copytree(ROOT / "bluegreen" / "demo" / "manifests", tmp_path / "bluegreen" / "demo" / "manifests")
    return FleetDir(tmp_path)
