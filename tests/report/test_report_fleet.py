"""The fleet grid: every pair in its stage, coloured by its state, nothing loaded from elsewhere."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bluegreen.report import FLEET_STATES, FleetRow, fleet_page
from bluegreen.report.html import STATE_COLOURS
from tests.report.conftest import Chromium, external_resources, png_facts


class Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[str, tuple[str, str]] = {}  # pair -> (stage, state)
        self.stage = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section" and a.get("data-stage") is not None:
            self.stage = a["data-stage"] or ""
        if tag == "div" and a.get("data-pair") is not None:
            self.cells[a["data-pair"] or ""] = (self.stage, a.get("data-state") or "")


def test_fleet_page_groups_pairs_by_stage_with_their_state() -> None:
    rows = [FleetRow("shop-weu", "canary", "done"), FleetRow("shop-neu", "canary", "failed", "smoke: 503"),
            FleetRow("pay-weu", "prod", "waiting-approval"), FleetRow("pay-neu", "prod", "skipped", "blue stopped"),
            FleetRow("<b>x</b>", "prod", "pending")]
    page = fleet_page("Fleet shop", rows)
    parser = Cells()
    parser.feed(page)
    assert parser.cells == {"shop-weu": ("canary", "done"), "shop-neu": ("canary", "failed"),
                            "pay-weu": ("prod", "waiting-approval"), "pay-neu": ("prod", "skipped"),
                            "<b>x</b>": ("prod", "pending")}
    assert "<b>x</b>" not in page  # names are escaped, never markup
    assert "smoke: 503" in page and "blue stopped" in page
    assert STATE_COLOURS["failed"] in page


def test_fleet_row_refuses_an_unknown_state() -> None:
    with pytest.raises(ValueError, match="not one of"):
        FleetRow("a", "s", "exploded")


def _fleet() -> list[FleetRow]:
    return [FleetRow(f"pair-{i:02d}", stage, FLEET_STATES[i % len(FLEET_STATES)], f"detail {i}")
            for i, stage in enumerate(["canary"] * 2 + ["europe"] * 5 + ["americas"] * 5)]


def test_the_fleet_grid_loads_nothing_from_elsewhere() -> None:
    assert external_resources(fleet_page("Fleet", _fleet())) == []


def test_the_fleet_grid_renders_every_pair_with_its_state_in_chromium(chromium: Chromium, tmp_path: Path) -> None:
    rows = _fleet()
    out = tmp_path / "fleet.html"
    out.write_text(fleet_page("Fleet shop", rows))
    dom = chromium.dump_dom(out)
    parser = Cells()
    parser.feed(dom)
    assert parser.cells == {r.pair: (r.stage, r.state) for r in rows}
    stages = re.findall(r'<section class="stage" data-stage="([^"]+)"', dom)
    assert stages == ["canary", "europe", "americas"]  # in the order the fleet names them
    assert "Stage europe (1 pending, 1 done, 1 failed, 1 skipped, 1 waiting-approval)" in dom.replace("<small>", "").replace(
        "</small>", "")
    width, height, distinct = png_facts(chromium.screenshot(out, tmp_path / "fleet.png", "900,700"))
    assert (width, height) == (900, 700) and distinct > 20
