"""Blue/green cluster cutovers on Azure Kubernetes Service.

The public surface is what this module exports; everything else is internal
and may change. A typical embedding::

    from bluegreen import Runtime, SystemClock, default_credential, load_playbook, make_plan, run

    loaded = load_playbook("cutover.yaml")
    runtime = Runtime(credential=default_credential(), clock=SystemClock(), state_dir=Path(".bluegreen"))
    the_plan = make_plan(loaded, runtime, sink=print)      # observe only; review it
    run(loaded, runtime, sink=print, saved_plan=the_plan, until="redeploy")

Names are imported on first use (PEP 562), so `import bluegreen` stays cheap: a
command that only validates a playbook never loads the Azure SDKs or the
Kubernetes client.
"""

import importlib
import typing

if typing.TYPE_CHECKING:
    from bluegreen.azure.credentials import default_credential
    from bluegreen.clock import Clock, SystemClock
    from bluegreen.engine import RunResult, make_plan, promote, rollback, run, status
    from bluegreen.errors import (
        BluegreenError,
        GuardError,
        LockHeldError,
        PausedError,
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

# Each public name and the module that defines it.
_SOURCES = {
    "bluegreen.azure.credentials": ("default_credential",),
    "bluegreen.clock": ("Clock", "SystemClock"),
    "bluegreen.engine": ("RunResult", "make_plan", "promote", "rollback", "run", "status"),
    "bluegreen.errors": (
        "BluegreenError", "GuardError", "LockHeldError", "PausedError", "PermanentRemoteError", "PlaybookError",
        "RefusedError", "RemoteError", "StalePlanError", "StepFailedError", "TransientRemoteError",
    ),
    "bluegreen.events": ("Event", "EventLog", "EventSink"),
    "bluegreen.plan": ("STEPS", "Action", "Check", "Plan", "StepPlan"),
    "bluegreen.playbook": ("LoadedPlaybook", "Playbook", "json_schema", "load_playbook", "validation_problems"),
    "bluegreen.runtime": ("Runtime",),
}
_MODULE_OF = {name: module for module, names in _SOURCES.items() for name in names}

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
    "PausedError",
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
    "promote",
    "rollback",
    "run",
    "status",
    "validation_problems",
]


def __getattr__(name: str) -> typing.Any:
    """Import a public name's module on first use and keep the name here afterwards."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'bluegreen' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
