"""Blue/green cluster cutovers on Azure Kubernetes Service.

The public surface is what this module exports; everything else is internal
and may change. A typical embedding::

    from bluegreen import Runtime, SystemClock, default_credential, load_playbook, make_plan, run

    loaded = load_playbook("cutover.yaml")
    runtime = Runtime(credential=default_credential(), clock=SystemClock(), state_dir=Path(".bluegreen"))
    the_plan = make_plan(loaded, runtime, sink=print)      # observe only; review it
    run(loaded, runtime, sink=print, saved_plan=the_plan, until="redeploy")
"""

from bluegreen.azure.credentials import default_credential
from bluegreen.clock import Clock, SystemClock
from bluegreen.engine import RunResult, make_plan, rollback, run, status
from bluegreen.errors import (
    BluegreenError,
    GuardError,
    LockHeldError,
    PermanentRemoteError,
    PlaybookError,
    RefusedError,
    RemoteError,
    StalePlanError,
    StepFailedError,
    TransientRemoteError,
)
from bluegreen.events import Event, EventLog, EventSink
from bluegreen.plan import STEPS, Action, Check, Plan, StepPlan
from bluegreen.playbook import LoadedPlaybook, Playbook, json_schema, load_playbook, validation_problems
from bluegreen.runtime import Runtime

__all__ = [
    "STEPS",
    "Action",
    "BluegreenError",
    "Check",
    "Clock",
    "Event",
    "EventLog",
    "EventSink",
    "GuardError",
    "LoadedPlaybook",
    "LockHeldError",
    "PermanentRemoteError",
    "Plan",
    "Playbook",
    "PlaybookError",
    "RefusedError",
    "RemoteError",
    "RunResult",
    "Runtime",
    "StalePlanError",
    "StepFailedError",
    "StepPlan",
    "SystemClock",
    "TransientRemoteError",
    "default_credential",
    "json_schema",
    "load_playbook",
    "make_plan",
    "rollback",
    "run",
    "status",
    "validation_problems",
]
