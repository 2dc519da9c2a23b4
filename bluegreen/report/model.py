"""The data a report shows, kept apart from how it is drawn.

`FleetRow` is the contract with whoever runs fleets: one row per pair, in the
stage it belongs to, with a state from `FLEET_STATES` and a short detail.
"""

from __future__ import annotations

from dataclasses import dataclass

# The states a pair of a fleet can be in, in the order the grid's legend shows them.
FLEET_STATES = ("pending", "running", "done", "failed", "skipped", "waiting-approval")


@dataclass(frozen=True)
class FleetRow:
    pair: str
    stage: str
    state: str
    detail: str = ""

    def __post_init__(self) -> None:
        if self.state not in FLEET_STATES:
            raise ValueError(f"fleet row {self.pair!r}: state {self.state!r} is not one of {', '.join(FLEET_STATES)}")
