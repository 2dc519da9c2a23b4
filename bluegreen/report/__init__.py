"""Self-contained HTML reports: one page for a pair's run, one grid for a fleet.

A report is attached to a change record or a post-mortem and opened years later,
offline: so every page carries its own CSS and SVG and loads nothing.
"""

from bluegreen.report.html import fleet_page
from bluegreen.report.model import FLEET_STATES, FleetRow

__all__ = ["FLEET_STATES", "FleetRow", "fleet_page"]
