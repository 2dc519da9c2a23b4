"""Self-contained HTML reports: one page for a pair's run, one grid for a fleet.

A report is attached to a change record or a post-mortem and opened years later,
offline: so every page carries its own CSS and SVG and loads nothing.
"""

from bluegreen.report.html import fleet_page, pair_page
from bluegreen.report.model import FLEET_STATES, FleetRow
from bluegreen.report.pair import PairReport, load_record, pair_report

__all__ = ["FLEET_STATES", "FleetRow", "PairReport", "fleet_page", "load_record", "pair_page", "pair_report"]
