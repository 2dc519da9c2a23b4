"""What an executor gets and gives back.

An executor does one kind of action through the clients and returns what
happened. It knows nothing of steps, the run record or how events are shown:
the engine hands it an `ExecEnv` and records its `Outcome`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bluegreen.actions import Learned, Params
from bluegreen.azure.aks import AksClient
from bluegreen.azure.context import AzureContext
from bluegreen.azure.dns import DnsRecords
from bluegreen.clock import Clock
from bluegreen.errors import StepFailedError
from bluegreen.kube.client import KubeClient
from bluegreen.playbook import LoadedPlaybook, Playbook
from bluegreen.traffic.routers import Router


def _no_azure() -> AzureContext:
    raise StepFailedError("no Azure context was given to this executor")


class CheckFailed(StepFailedError):
    """A check found a problem; the engine runs the step's other checks before the step fails."""


@dataclass
class ExecEnv:
    loaded: LoadedPlaybook
    clock: Clock
    poll_interval: float
    aks: AksClient
    dns: DnsRecords
    kube: Callable[[str], KubeClient]  # a client for "blue" or "green"
    forget: Callable[[str], None]  # drop a cluster's client (its API server may move after a stop)
    report: Callable[..., None]  # report(event_kind, message, **data): the engine emits it, redacted
    checkpoint: Callable[[Learned], None]  # recorded at once, before the executor goes on (intent before a write)
    run_id: str = ""  # the run record's id: what this run writes outside the record carries it (the archive)
    archive_path: Callable[[], str | None] = lambda: None  # this run's archive, once written
    traffic: Router | None = None  # the playbook's weighted router (None for a DNS switch)
    resolver: str | None = None  # "address:port" host names are resolved through (Runtime.resolver)
    azure: Callable[[], AzureContext] = _no_azure  # the run's ARM context (Azure Monitor metric gates)

    @property
    def pb(self) -> Playbook:
        return self.loaded.playbook


@dataclass
class Outcome:
    learned: Learned = field(default_factory=lambda: Learned())
    message: str | None = None  # what happened, when it says more than the action's summary


P = TypeVar("P", bound=Params)
Executor = Callable[[Any, ExecEnv], Outcome]
EXECUTORS: dict[type[Params], Executor] = {}


def executes(params: type[P]) -> Callable[[Callable[[P, ExecEnv], Outcome]], Callable[[P, ExecEnv], Outcome]]:
    """Register the executor of one action kind."""

    def register(fn: Callable[[P, ExecEnv], Outcome]) -> Callable[[P, ExecEnv], Outcome]:
        assert params not in EXECUTORS, f"{params.__name__} has two executors"
        EXECUTORS[params] = fn
        return fn

    return register
