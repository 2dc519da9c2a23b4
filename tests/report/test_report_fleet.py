"""The fleet grid: every pair in its stage, coloured by its state, nothing loaded from elsewhere."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from bluegreen.report import FleetRow, fleet_page
from bluegreen.report.html import STATE_COLOURS


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
