"""Fleets: many cluster pairs cut over in stages (a fleet file, its plan, run, approvals, status, pipelines)."""

from bluegreen.fleet.runner import (
    ApprovalRequiredError,
    FleetPlan,
    FleetRow,
    FleetStoppedError,
    approve,
    fleet_progress,
    plan_fleet,
    run_fleet,
    status_rows,
)
from bluegreen.fleet.spec import FleetSpec, LoadedFleet, Pair, load_fleet

__all__ = [
    "ApprovalRequiredError",
    "FleetPlan",
    "FleetRow",
    "FleetSpec",
    "FleetStoppedError",
    "LoadedFleet",
    "Pair",
    "approve",
    "fleet_progress",
    "load_fleet",
    "plan_fleet",
    "run_fleet",
    "status_rows",
]
