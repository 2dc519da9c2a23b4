"""Actions are data: a closed set of kinds, each with typed parameters.

An action's target and summary are derived from its parameters, and what is
applied is read from the parameters alone: display text is never parsed back.
Parameters marked transient (object bodies that may hold Secret values) live
only in the plan the engine makes at apply time; they are never saved, so a
saved plan read back holds them as None and is only ever compared, not applied.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, ClassVar, Generic, Literal, TypedDict, TypeVar

from bluegreen.kube.objects import describe
from bluegreen.traffic.split import describe as describe_split

T = TypeVar("T")


class Kind(str, Enum):
    CREATE_CLUSTER = "create_cluster"
    SETTLE_CLUSTER = "settle_cluster"
    VERIFY_CLUSTER = "verify_cluster"
    ENSURE_NAMESPACE = "ensure_namespace"
    APPLY = "apply"
    AWAIT_INGRESS = "await_ingress"
    CHECK_SUSPENDED = "check_suspended"
    CHECK_READY = "check_ready"
    CHECK_HTTP = "check_http"
    SWITCH_INTENT = "switch_intent"
    SET_RECORD = "set_record"
    SUSPEND_CRONJOB = "suspend_cronjob"
    RESTORE_CRONJOB = "restore_cronjob"
    WAIT_TTL = "wait_ttl"
    CONFIRM_RECORD = "confirm_record"
    BEGIN_DECOMMISSION = "begin_decommission"
    ARCHIVE = "archive"
    DELETE = "delete"
    WAIT_NO_PODS = "wait_no_pods"
    TAG_CLUSTER = "tag_cluster"
    STOP_CLUSTER = "stop_cluster"
    DELETE_CLUSTER = "delete_cluster"
    VERIFY_ARCHIVE = "verify_archive"
    SET_WEIGHTS = "set_weights"
    PAUSE_SHIFT = "pause_shift"
    GATE = "gate"
    CONFIRM_TRAFFIC = "confirm_traffic"
    SET_TTL = "set_ttl"
    WAIT_OLD_TTL = "wait_old_ttl"
    SET_OWNERSHIP = "set_ownership"
    VERIFY_RESOLUTION = "verify_resolution"
    SET_TARGET = "set_target"


class Learned(TypedDict, total=False):
    """What an executor found out that the run record keeps (never a secret)."""

    green_id: str
    green_version: str
    green_ingress_ip: str
    smoked_address: str | None
    switched_from: str
    switched_to: str
    switched_at: str
    record_ttl: int | None
    archive_started: str
    archive: str
    archived_objects: int
    decommission_begun: str
    shift_reached: int
    shift_paused_at: int | None
    shift_promoted: int | None
    shift_gate: str
    shift_failed: str
    ttl_lowered_at: str
    ttl_original: int


class Sealed(Generic[T]):
    """A body carried to the executor but never shown: str() and copies (asdict) reveal nothing of it."""

    def __init__(self, value: T) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "(not shown)"

    __str__ = __repr__

    def __deepcopy__(self, memo: dict[int, Any]) -> Sealed[T]:
        return self


def transient(default: Any = None) -> Any:
    """A parameter used at apply time only: not saved with the plan, not part of its id."""
    return field(default=default, compare=False, repr=False, metadata={"transient": True})


@dataclass(frozen=True)
class Params:
    """Base of every kind's parameters; `REPEAT` kinds (checks, notes of intent) run on every attempt and are never marked done."""

    KIND: ClassVar[Kind]
    REPEAT: ClassVar[bool] = False

    @property
    def target(self) -> str:
        raise NotImplementedError

    @property
    def summary(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class CreateCluster(Params):
    KIND = Kind.CREATE_CLUSTER
    resource_group: str
    name: str
    body: dict[str, Any]
    recreate: bool = False

    @property
    def target(self) -> str:
        return f"managedClusters/{self.name}"

    @property
    def summary(self) -> str:
        return ("recreate failed" if self.recreate else "create") + f" green cluster {self.name}"


@dataclass(frozen=True)
class SettleCluster(Params):
    KIND = Kind.SETTLE_CLUSTER
    resource_group: str
    name: str
    state: str

    @property
    def target(self) -> str:
        return f"managedClusters/{self.name}"

    @property
    def summary(self) -> str:
        return f"wait until {self.name} is no longer {self.state}"


@dataclass(frozen=True)
class VerifyCluster(Params):
    KIND = Kind.VERIFY_CLUSTER
    resource_group: str
    name: str

    @property
    def target(self) -> str:
        return f"managedClusters/{self.name}"

    @property
    def summary(self) -> str:
        return f"check that {self.name} succeeded and its API server answers"


@dataclass(frozen=True)
class EnsureNamespace(Params):
    KIND = Kind.ENSURE_NAMESPACE
    cluster: str
    namespace: str

    @property
    def target(self) -> str:
        return f"Namespace {self.namespace}"

    @property
    def summary(self) -> str:
        return f"ensure namespace {self.namespace} on {self.cluster}"


@dataclass(frozen=True)
class Apply(Params):
    KIND = Kind.APPLY
    cluster: str
    kind: str
    namespace: str | None
    name: str
    exists: bool
    obj: Sealed[dict[str, Any]] | None = transient()

    @property
    def target(self) -> str:
        return describe(self.kind, self.namespace, self.name)

    @property
    def summary(self) -> str:
        return ("update" if self.exists else "create") + f" {self.kind} {self.namespace or '-'}/{self.name}"


@dataclass(frozen=True)
class AwaitIngress(Params):
    KIND = Kind.AWAIT_INGRESS
    cluster: str
    namespace: str
    service: str
    timeout: float = 600.0

    @property
    def target(self) -> str:
        return f"Service {self.namespace}/{self.service}"

    @property
    def summary(self) -> str:
        return f"wait for a LoadBalancer IP on {self.namespace}/{self.service} on {self.cluster}"


@dataclass(frozen=True)
class CheckSuspended(Params):
    """Every CronJob on the cluster is suspended: a timer active there would also be active on the other."""

    KIND = Kind.CHECK_SUSPENDED
    REPEAT = True
    cluster: str
    namespaces: tuple[str, ...]
    api_version: str = "batch/v1"  # as the cluster serves CronJobs

    @property
    def target(self) -> str:
        return f"CronJobs in {', '.join(self.namespaces)} on {self.cluster}"

    @property
    def summary(self) -> str:
        return f"check that every CronJob on {self.cluster} is suspended"


@dataclass(frozen=True)
class CheckReady(Params):
    KIND = Kind.CHECK_READY
    REPEAT = True
    cluster: str
    namespaces: tuple[str, ...]
    expected: tuple[str, ...]  # object keys of the workloads that must be there and available
    timeout: float
    address: str | None  # the address smoke vouches for: the switch sends traffic nowhere else

    @property
    def target(self) -> str:
        return f"{len(self.expected)} workloads on {self.cluster}"

    @property
    def summary(self) -> str:
        return (f"wait until {len(self.expected)} Deployments/StatefulSets/DaemonSets are available "
                f"(at most {self.timeout:g}s)")


@dataclass(frozen=True)
class CheckHttp(Params):
    """One of the playbook's smoke.http checks, by name: its headers may hold secrets and stay in the playbook."""

    KIND = Kind.CHECK_HTTP
    REPEAT = True
    check: str
    method: str
    url: str
    host: str | None
    address: str | None

    @property
    def target(self) -> str:
        return self.url

    @property
    def summary(self) -> str:
        via = self.address or "green's ingress IP (known after redeploy)"
        return f"{self.method} {self.url} via {via} (Host: {self.host})"


@dataclass(frozen=True)
class SwitchIntent(Params):
    """Recorded before the record is written, so a rollback after a crash knows what to undo."""

    KIND = Kind.SWITCH_INTENT
    REPEAT = True
    switched_from: str | None
    switched_to: str | None

    @property
    def target(self) -> str:
        return "run record"

    @property
    def summary(self) -> str:
        source = self.switched_from or "blue's ingress IP (unknown)"
        target = self.switched_to or "green's ingress IP (known after redeploy)"
        return f"record the intent to move traffic from {source} to {target}"


@dataclass(frozen=True)
class SetRecord(Params):
    KIND = Kind.SET_RECORD
    zone_rg: str
    zone: str
    record: str
    record_type: Literal["A", "CNAME"]
    expected: str | None
    value: str | None
    toward: str  # "green" or "blue", for people

    @property
    def label(self) -> str:
        return f"{self.record}.{self.zone} {self.record_type}"

    @property
    def target(self) -> str:
        return self.label

    @property
    def summary(self) -> str:
        back = " back" if self.toward == "blue" else ""
        value = self.value or f"({self.toward} ingress IP, known after redeploy)"
        return f"point {self.label}{back} at {self.toward}: {self.expected} -> {value}"


@dataclass(frozen=True)
class SuspendCronJob(Params):
    KIND = Kind.SUSPEND_CRONJOB
    cluster: str
    namespace: str
    name: str
    keep_original: bool = True  # remember `suspend: false` so the other side restores it
    api_version: str = "batch/v1"  # as the cluster serves CronJobs (batch/v1beta1 before 1.21)

    @property
    def target(self) -> str:
        return f"CronJob {self.namespace}/{self.name} on {self.cluster}"

    @property
    def summary(self) -> str:
        at = "" if self.api_version == "batch/v1" else f" ({self.api_version})"
        return f"suspend CronJob {self.namespace}/{self.name} on {self.cluster}{at}"


@dataclass(frozen=True)
class RestoreCronJob(Params):
    KIND = Kind.RESTORE_CRONJOB
    cluster: str
    namespace: str
    name: str
    suspend: bool
    carry_from: str | None = None  # the cluster whose lastScheduleTime a resumed CronJob takes over
    api_version: str = "batch/v1"  # as `cluster` serves CronJobs
    carry_api_version: str = "batch/v1"  # as `carry_from` serves them

    @property
    def target(self) -> str:
        return f"CronJob {self.namespace}/{self.name} on {self.cluster}"

    @property
    def summary(self) -> str:
        return f"restore CronJob {self.namespace}/{self.name} on {self.cluster} to suspend={str(self.suspend).lower()}"


@dataclass(frozen=True)
class WaitTtl(Params):
    """Clients may cache the record's old value for one TTL: blue keeps serving until that has passed."""

    KIND = Kind.WAIT_TTL
    ttl: int
    since: str | None  # when the switch wrote the record; None: unknown, count from now

    @property
    def target(self) -> str:
        return "the record's TTL"

    @property
    def summary(self) -> str:
        return f"wait one record TTL ({self.ttl}s) after the switch before touching blue"


@dataclass(frozen=True)
class ConfirmRecord(Params):
    """Read the record again right before touching blue: somebody may have pointed it back meanwhile."""

    KIND = Kind.CONFIRM_RECORD
    REPEAT = True
    zone_rg: str
    zone: str
    record: str
    record_type: Literal["A", "CNAME"]
    not_value: str | None  # blue's
    only_value: str | None  # green's

    @property
    def target(self) -> str:
        return f"{self.record}.{self.zone} {self.record_type}"

    @property
    def summary(self) -> str:
        return f"confirm {self.target} still points at green before touching blue"


@dataclass(frozen=True)
class BeginDecommission(Params):
    """From here on rollback is refused: blue starts losing what it would take traffic back with."""

    KIND = Kind.BEGIN_DECOMMISSION
    cluster: str

    @property
    def target(self) -> str:
        return "run record"

    @property
    def summary(self) -> str:
        return f"record that decommission of {self.cluster} has begun (rollback is refused from here)"


@dataclass(frozen=True)
class Archive(Params):
    KIND = Kind.ARCHIVE
    cluster_name: str
    directory: str
    namespaces: tuple[str, ...]
    count: int
    started: str | None = None  # an earlier run's archive, adopted if it was completed
    objects: Sealed[list[dict[str, Any]]] | None = transient()

    @property
    def target(self) -> str:
        return f"{self.count} objects on blue"

    @property
    def summary(self) -> str:
        return f"archive {self.count} objects of {', '.join(self.namespaces)} to {self.directory}/ (mode 0600)"


@dataclass(frozen=True)
class Delete(Params):
    KIND = Kind.DELETE
    cluster: str
    api_version: str
    kind: str
    namespace: str | None
    name: str
    archived: bool = False  # must be in this run's archive before it is deleted (checked on every attempt)
    uid: str | None = None  # the object the plan saw; the archive must hold this one

    @property
    def target(self) -> str:
        return describe(self.kind, self.namespace, self.name)

    @property
    def summary(self) -> str:
        return f"delete {self.kind} {self.namespace}/{self.name} on {self.cluster}"


@dataclass(frozen=True)
class WaitNoPods(Params):
    KIND = Kind.WAIT_NO_PODS
    cluster: str
    namespaces: tuple[str, ...]
    timeout: float

    @property
    def target(self) -> str:
        return f"pods in {', '.join(self.namespaces)}"

    @property
    def summary(self) -> str:
        return f"wait until no application pod is left on {self.cluster}"


@dataclass(frozen=True)
class TagCluster(Params):
    KIND = Kind.TAG_CLUSTER
    resource_group: str
    name: str
    tags: dict[str, str]  # the cluster's tags now; the retirement tags are added to them
    retired_by: str
    why: str

    @property
    def target(self) -> str:
        return f"managedClusters/{self.name}"

    @property
    def summary(self) -> str:
        return f"tag {self.name} with when and why it was retired"


@dataclass(frozen=True)
class _ClusterPower(Params):
    """Stop or delete a whole cluster: the two differ only in their kind and verb."""

    VERB: ClassVar[str]
    cluster: str
    resource_group: str
    name: str

    @property
    def target(self) -> str:
        return f"managedClusters/{self.name}"

    @property
    def summary(self) -> str:
        return f"{self.VERB} {self.cluster} cluster {self.name}"


@dataclass(frozen=True)
class StopCluster(_ClusterPower):
    KIND = Kind.STOP_CLUSTER
    VERB = "stop"


@dataclass(frozen=True)
class DeleteCluster(_ClusterPower):
    KIND = Kind.DELETE_CLUSTER
    VERB = "delete"


@dataclass(frozen=True)
class VerifyArchive(Params):
    """Before blue is deleted with everything on it: this run's archive holds each object still there."""

    KIND = Kind.VERIFY_ARCHIVE
    REPEAT = True
    cluster: str
    count: int
    # (kind, namespace, name, uid) of what is still on the cluster, owned objects left out (their owners count)
    objects: Sealed[tuple[tuple[str, str | None, str, str | None], ...]] | None = transient()

    @property
    def target(self) -> str:
        return f"this run's archive ({self.count} objects left on {self.cluster})"

    @property
    def summary(self) -> str:
        return f"check that this run's archive holds the {self.count} objects still on {self.cluster}"


@dataclass(frozen=True)
class SetWeights(Params):
    """Move a weighted router from the split the plan expects to the next one (no ETag: compared, then written)."""

    KIND = Kind.SET_WEIGHTS
    router: str
    percent: int  # to green, after the move
    expected: dict[str, Any]  # the Setting (bluegreen.traffic.split) the router must hold before
    setting: dict[str, Any]  # the Setting it holds after
    toward: str  # "green" or "blue", for people

    @property
    def target(self) -> str:
        return self.router

    @property
    def summary(self) -> str:
        return f"shift {self.router} to {self.percent}% green: {describe_split(self.expected)} -> " \
               f"{describe_split(self.setting)}"


@dataclass(frozen=True)
class PauseShift(Params):
    """Let the step soak before its gate: a duration on the clock, or until a person runs `bluegreen promote`."""

    KIND = Kind.PAUSE_SHIFT
    percent: int
    seconds: float | None  # None: manual
    promoted: bool = False  # a manual pause `bluegreen promote` has released

    @property
    def target(self) -> str:
        return f"the {self.percent}% step"

    @property
    def summary(self) -> str:
        if self.seconds is None:
            return f"pause at {self.percent}% until `bluegreen promote`" + (" (promoted)" if self.promoted else "")
        return f"pause {self.seconds:g}s at {self.percent}%"


@dataclass(frozen=True)
class Gate(Params):
    """Decide whether the shift goes on: failed -> all traffic back to blue at once; inconclusive -> pause."""

    KIND = Kind.GATE
    router: str
    percent: int
    http_checks: tuple[str, ...]  # smoke.http checks by name (their headers stay in the playbook)
    address: str | None  # green's ingress, where the checks are sent directly
    webhooks: tuple[str, ...]  # switch.shift.gate.webhooks by name
    promoted: bool = False  # a person looked at an inconclusive result and said go on
    metrics: tuple[str, ...] = ()  # switch.shift.gate.metrics by name
    entry_host: str | None = None  # the public entry point the HTTP checks are also sent through
    entry_requests: int = 0  # requests per check through it

    @property
    def target(self) -> str:
        return f"the {self.percent}% step"

    @property
    def summary(self) -> str:
        parts = [f"{len(self.http_checks)} HTTP checks against green"] if self.http_checks else []
        if self.http_checks and self.entry_host:
            parts.append(f"{self.entry_requests} requests per check through {self.entry_host}")
        parts += [f"webhook {w}" for w in self.webhooks]
        parts += [f"metric {m}" for m in self.metrics]
        return f"gate at {self.percent}%: " + (", ".join(parts) or "nothing to check")


@dataclass(frozen=True)
class ConfirmTraffic(Params):
    """Read the router again right before touching blue: all traffic must be on green."""

    KIND = Kind.CONFIRM_TRAFFIC
    REPEAT = True
    router: str

    @property
    def target(self) -> str:
        return self.router

    @property
    def summary(self) -> str:
        return f"confirm {self.router} sends everything to green before touching blue"


@dataclass(frozen=True)
class SetTtl(Params):
    """Lower the record's TTL ahead of the switch (or restore it after the soak); values untouched, If-Match."""

    KIND = Kind.SET_TTL
    zone_rg: str
    zone: str
    record: str
    record_type: Literal["A", "CNAME"]
    ttl: int
    original: int  # the TTL before bluegreen lowered it: what a restore writes back

    @property
    def target(self) -> str:
        return f"{self.record}.{self.zone} {self.record_type}"

    @property
    def summary(self) -> str:
        verb = "restore" if self.ttl == self.original else "lower"
        return f"{verb} the TTL of {self.target} to {self.ttl}s"


@dataclass(frozen=True)
class WaitOldTtl(Params):
    """Resolvers may hold the record for the TTL it had before the lowering: the flip waits that out."""

    KIND = Kind.WAIT_OLD_TTL
    ttl: int  # the TTL before the lowering
    since: str | None  # when it was lowered; None: just now (lowered by this step)

    @property
    def target(self) -> str:
        return "the record's old TTL"

    @property
    def summary(self) -> str:
        return f"wait until the old TTL ({self.ttl}s) has passed since the TTL was lowered"


@dataclass(frozen=True)
class SetOwnership(Params):
    """Rewrite ExternalDNS's TXT ownership record from one owner id to another (If-Match)."""

    KIND = Kind.SET_OWNERSHIP
    zone_rg: str
    zone: str
    name: str  # the TXT record set
    owner: str
    to: str

    @property
    def target(self) -> str:
        return f"{self.name}.{self.zone} TXT"

    @property
    def summary(self) -> str:
        return f"hand ExternalDNS ownership of {self.target} from owner id {self.owner} to {self.to}"


@dataclass(frozen=True)
class VerifyResolution(Params):
    """After the flip, a resolver inside the network must answer green's value (within the playbook's bound)."""

    KIND = Kind.VERIFY_RESOLUTION
    REPEAT = True
    fqdn: str
    record_type: Literal["A", "CNAME"]
    expect: str | None
    resolver: str
    port: int
    timeout: float
    interval: float

    @property
    def target(self) -> str:
        return f"{self.fqdn} via {self.resolver}:{self.port}"

    @property
    def summary(self) -> str:
        return f"wait until resolver {self.resolver}:{self.port} answers {self.expect} for {self.fqdn} " \
               f"(at most {self.timeout:g}s)"


@dataclass(frozen=True)
class SetTarget(Params):
    """Point green's Traffic Manager endpoint or Front Door origin at green's ingress (`green_target: auto`)."""

    KIND = Kind.SET_TARGET
    router: str
    name: str  # the endpoint or origin
    expected: str | None  # where it points now, as the plan saw it
    address: str  # green's ingress address

    @property
    def target(self) -> str:
        return f"{self.router} {self.name}"

    @property
    def summary(self) -> str:
        return f"point {self.router}'s {self.name} at green's ingress {self.address} (from {self.expected or 'nothing'})"


PARAMS: dict[Kind, type[Params]] = {
    cls.KIND: cls
    for cls in (CreateCluster, SettleCluster, VerifyCluster, EnsureNamespace, Apply, AwaitIngress, CheckSuspended,
                CheckReady,
                CheckHttp, SwitchIntent, SetRecord, SuspendCronJob, RestoreCronJob, WaitTtl, ConfirmRecord,
                BeginDecommission, Archive, Delete, WaitNoPods, TagCluster, StopCluster, DeleteCluster,
                SetWeights, PauseShift, Gate, ConfirmTraffic, SetTtl, WaitOldTtl, SetOwnership,
                VerifyResolution)
}
PARAMS[VerifyArchive.KIND] = VerifyArchive
PARAMS[SetTarget.KIND] = SetTarget
assert set(PARAMS) == set(Kind), "every kind has its parameters"


def params_to_dict(params: Params) -> dict[str, Any]:
    return {f.name: getattr(params, f.name) for f in dataclasses.fields(params) if not f.metadata.get("transient")}


def params_from_dict(kind: str, data: dict[str, Any]) -> Params:
    """Typed parameters back from a saved plan; an unknown kind is refused, naming it."""
    try:
        cls = PARAMS[Kind(kind)]
    except ValueError:
        raise ValueError(f"unknown action kind {kind!r}: this plan was made by another version of bluegreen; "
                         "make a new plan") from None
    values = {}
    for f in dataclasses.fields(cls):
        if f.metadata.get("transient"):
            continue
        if f.name not in data:
            raise ValueError(f"action kind {kind!r} lacks parameter {f.name!r}; make a new plan")
        value = data[f.name]
        values[f.name] = tuple(value) if str(f.type).startswith("tuple") and value is not None else value
    return cls(**values)


@dataclass(frozen=True)
class Action:
    """One change (or check) a step makes; `before`/`after` are shown to people, never applied.

    `kind`, `target` and `summary` are derived from the parameters when the action is made.
    """

    id: str  # stable within a playbook: the run record keys on it
    params: Params
    before: Any = None
    after: Any = None
    eta_seconds: float = 0.0
    kind: Kind = field(init=False)
    target: str = field(init=False)
    summary: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", self.params.KIND)
        object.__setattr__(self, "target", self.params.target)
        object.__setattr__(self, "summary", self.params.summary)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind.value, "target": self.target, "summary": self.summary,
                "before": self.before, "after": self.after, "eta_seconds": self.eta_seconds,
                "params": params_to_dict(self.params)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Action:
        return cls(id=data["id"], params=params_from_dict(data["kind"], data.get("params") or {}),
                   before=data.get("before"), after=data.get("after"), eta_seconds=data.get("eta_seconds", 0.0))
