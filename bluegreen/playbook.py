"""The playbook: one cutover, declared in YAML and validated before anything runs.

Validation errors name the field path (``green.node_pools.system.count``) so
the operator can fix the file without guessing. Nothing here talks to Azure or
a cluster.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from bluegreen.errors import PlaybookError
from bluegreen.simulation_spec import SimulationSpec
from bluegreen.traffic.spec import (
    WEIGHTED,
    FrontDoorRouterSpec,
    GatewayApiRouterSpec,
    ResolverSpec,
    ShiftSpec,
    TrafficManagerRouterSpec,
    TtlSpec,
    router_problems,
)

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}
_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]{0,62}$")


def parse_duration(value: Any) -> float:
    """Seconds from 90, "90s", "10m", "2h" or "1d"."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"not a duration: {value!r} (use e.g. 90s, 10m, 2h)")
    return float(match.group(1)) * _UNITS[match.group(2)]


# Seconds, written as 90, "90s", "15m" or "2h" in the playbook.
Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    WithJsonSchema({"anyOf": [{"type": "number", "minimum": 0},
                              {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*(ms|s|m|h|d)?\s*$"}]}),
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _KubeAccess(_Model):
    """How to reach a cluster's API server when AKS's own user credentials will not do."""

    kubeconfig: str | None = Field(
        None,
        description="Kubeconfig file (relative to the playbook) used instead of AKS's user credentials, e.g. for "
        "a cluster behind a jump host or a non-default login; exec credential plugins in it are run.",
    )
    kubeconfig_context: str | None = Field(None, description="Context of `kubeconfig`; default: its current-context.")

    @model_validator(mode="after")
    def _context_needs_file(self) -> _KubeAccess:
        if self.kubeconfig_context and not self.kubeconfig:
            raise ValueError("kubeconfig_context needs kubeconfig")
        return self


class ClusterRef(_KubeAccess):
    name: str = Field(description="AKS managed cluster name.")
    resource_group: str | None = Field(None, description="Defaults to the playbook's resource_group.")


class NodePoolOverride(_Model):
    count: int | None = Field(None, ge=0, le=1000)
    vm_size: str | None = None
    max_pods: int | None = Field(None, ge=10, le=250)
    max_surge: str | None = Field(None, description='e.g. "33%" or "3"; pools without one get 33%.')

    @field_validator("max_surge")
    @classmethod
    def _surge(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"\d+%?", v):
            raise ValueError('max_surge must look like "33%" or "3"')
        return v


class GreenSpec(_KubeAccess):
    name: str = Field(description="Name of the green AKS cluster to create (or adopt).")
    resource_group: str | None = None
    kubernetes_version: str = Field(description='Target version, "1.31" or "1.31.2".')
    dns_prefix: str | None = Field(None, description="Defaults to the green cluster name.")
    node_pools: dict[str, NodePoolOverride] = Field(default_factory=dict, description="Overrides per pool name.")
    subnet_id: str | None = Field(None, description="Put every pool of green on this subnet instead of blue's.")
    tags: dict[str, str] = Field(default_factory=dict)

    @field_validator("kubernetes_version")
    @classmethod
    def _version(cls, v: str) -> str:
        if not re.fullmatch(r"1\.\d+(\.\d+)?", v):
            raise ValueError('expected "1.<minor>" or "1.<minor>.<patch>"')
        return v


class Workloads(_Model):
    namespaces: list[str] = Field(
        default_factory=list,
        description="Application namespaces: copied from blue (when no manifests are given), smoke-checked "
        "on green and emptied on blue at decommission.",
    )
    manifests: list[str] = Field(
        default_factory=list, description="Files or folders (relative to the playbook) to apply on green."
    )


class HttpCheckSpec(_Model):
    name: str
    url: str = Field(description="Public URL of a user flow; sent to green's ingress IP with this host name.")
    method: Literal["GET", "HEAD", "POST"] = "GET"
    expect_status: list[int] = Field(default_factory=lambda: [200])
    body_contains: str | None = None
    max_latency_ms: int | None = Field(None, gt=0)
    headers: dict[str, str] = Field(default_factory=dict)
    verify_tls: bool = True

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not re.match(r"^https?://[^/\s]+", v):
            raise ValueError("must be an absolute http:// or https:// URL")
        return v


class IngressRef(_Model):
    namespace: str
    service: str = Field(description="LoadBalancer Service whose IP is the cluster's entry point.")


class SmokeSpec(_Model):
    ready_timeout: Duration = Field(900, description="Seconds (or 15m) to wait for workloads to become available.")
    http_deadline: Duration = Field(120, description="Seconds each HTTP check may retry before failing.")
    http: list[HttpCheckSpec] = Field(default_factory=list)



class SwitchSpec(_Model):
    type: Literal["private_dns", "public_dns", "traffic_manager", "front_door", "gateway_api"] = "private_dns"
    resource_group: str | None = Field(None, description="Zone's resource group; defaults to the playbook's.")
    zone: str | None = Field(None, description="The DNS zone (private_dns, public_dns).")
    record: str | None = Field(None, description='Relative record name, e.g. "www" or "@" (private_dns, public_dns).')
    record_type: Literal["A", "CNAME"] = "A"
    blue_value: str | None = Field(None, description="Expected current value; default: blue's ingress IP (A).")
    green_value: str | None = Field(None, description="New value; default: green's ingress IP (A).")
    # Weighted routers and the stepwise shift: bluegreen/traffic/spec.py.
    traffic_manager: TrafficManagerRouterSpec | None = Field(None, description="type traffic_manager: the endpoints.")
    front_door: FrontDoorRouterSpec | None = Field(None, description="type front_door: the origins.")
    gateway_api: GatewayApiRouterSpec | None = Field(None, description="type gateway_api: the HTTPRoute's backends.")
    shift: ShiftSpec | None = Field(None, description="Weighted routers: move traffic in steps, with gates.")
    ttl: TtlSpec | None = Field(None, description="DNS: lower the TTL ahead, wait out the old one, restore it.")
    verify_resolver: ResolverSpec | None = Field(None, description="DNS: after the flip, wait until this resolver "
                                                                   "answers green's value.")

    @property
    def weighted(self) -> bool:
        return self.type in WEIGHTED


class DecommissionSpec(_Model):
    mode: Literal["stop", "delete"] = Field("delete", description="delete is safest: a stopped cluster can be restarted.")
    archive_dir: str = Field("archive", description="Where blue's objects are archived (relative to the playbook).")
    drain_timeout: Duration = Field(900, description="Seconds to wait for blue's application pods to be gone.")
    wait_for_ttl: bool = Field(True, description="Wait one record TTL after the switch before touching blue.")
    accept_unmanaged_cronjobs: bool = Field(
        False,
        description="With mode stop, go ahead although blue runs CronJobs outside workloads.namespaces "
        "(they would run again if the stopped cluster is started).",
    )



class Playbook(_Model):
    """One blue/green cutover."""

    api_version: Literal["bluegreen/v1"] = Field("bluegreen/v1", alias="apiVersion")
    name: str = Field(description="Identifies the cutover; names its journal and lock.")
    subscription_id: str | None = Field(None, description="Defaults to AZURE_SUBSCRIPTION_ID.")
    resource_group: str
    blue: ClusterRef
    green: GreenSpec
    ingress: IngressRef
    workloads: Workloads
    smoke: SmokeSpec = Field(default_factory=lambda: SmokeSpec())
    switch: SwitchSpec
    decommission: DecommissionSpec = Field(default_factory=lambda: DecommissionSpec())
    simulation: SimulationSpec | None = Field(None, description="Seeds the simulator (bluegreen demo, --simulate).")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError("use letters, digits, '-' and '_' (max 63)")
        return v

    @model_validator(mode="after")
    def _cross_field(self) -> Playbook:
        """The same rules validation_problems reports with field paths, so a Playbook built in code holds them."""
        problems = cross_field_problems(self.model_dump(by_alias=True, mode="json"))
        if problems:
            raise ValueError(_CROSS_FIELD + "; ".join(f"{f}: {m}" for f, m in problems))
        return self

    @property
    def blue_rg(self) -> str:
        return self.blue.resource_group or self.resource_group

    @property
    def green_rg(self) -> str:
        return self.green.resource_group or self.resource_group

    @property
    def zone_rg(self) -> str:
        return self.switch.resource_group or self.resource_group


class LoadedPlaybook:
    """A validated playbook plus where it came from (relative paths resolve from there)."""

    def __init__(self, playbook: Playbook, path: Path, raw: dict[str, Any]) -> None:
        self.playbook = playbook
        self.path = path
        self.base_dir = path.parent
        self.digest = hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()[:16]

    def resolve(self, relative: str) -> Path:
        p = Path(relative).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)


def _field_path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(playbook)"


_SYSTEM_NAMESPACES = {"kube-system", "kube-public", "kube-node-lease"}
_CROSS_FIELD = "cross-field rules: "


def _get(raw: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(raw, dict):
            return None
        raw = raw.get(key)
    return raw


def cross_field_problems(raw: dict[str, Any]) -> list[tuple[str, str]]:
    """Rules that tie fields together, checked on the raw document so they are reported with every other problem."""
    problems: list[tuple[str, str]] = []
    namespaces = _get(raw, "workloads", "namespaces")
    if isinstance(namespaces, list):
        if not namespaces:
            problems.append(("workloads.namespaces", "list at least one application namespace"))
        for i, ns in enumerate(namespaces):
            if ns in _SYSTEM_NAMESPACES:
                problems.append((f"workloads.namespaces.{i}",
                                 f"{ns} is a system namespace; bluegreen never copies or empties it"))
        ingress_ns = _get(raw, "ingress", "namespace")
        if isinstance(ingress_ns, str) and namespaces and ingress_ns not in namespaces:
            problems.append(("ingress.namespace", f"{ingress_ns!r} must be one of workloads.namespaces"))
    rg = raw.get("resource_group")
    blue = (_get(raw, "blue", "name"), _get(raw, "blue", "resource_group") or rg)
    green = (_get(raw, "green", "name"), _get(raw, "green", "resource_group") or rg)
    if blue[0] and blue == green:
        problems.append(("green.name", "green.name must differ from blue.name"))
    if _get(raw, "switch", "record_type") == "CNAME":
        for side in ("blue_value", "green_value"):
            if not _get(raw, "switch", side):
                problems.append((f"switch.{side}", "a CNAME switch needs blue_value and green_value (host names)"))
    problems.extend(router_problems(raw.get("switch")))
    return problems


def validation_problems(raw: Any) -> list[tuple[str, str]]:
    """Every problem in a playbook document as (field path, message); empty when valid."""
    if not isinstance(raw, dict):
        return [("(playbook)", "the document must be a mapping")]
    problems: list[tuple[str, str]] = []
    try:
        Playbook.model_validate(raw)
    except ValidationError as exc:
        # The model's own cross-field error is reported below, field by field.
        problems = [(_field_path(e["loc"]), e["msg"]) for e in exc.errors() if _CROSS_FIELD not in e["msg"]]
    return problems + [p for p in cross_field_problems(raw) if p not in problems]


def load_playbook(path: str | Path) -> LoadedPlaybook:
    """Read and validate a playbook file; raises PlaybookError naming the first bad field (all in `.problems`)."""
    import yaml  # here, not at the top: `bluegreen schema` needs no YAML parser

    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise PlaybookError(f"cannot read playbook: {exc.strerror}", field=str(path)) from exc
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PlaybookError(f"not valid YAML: {exc}", field=str(path)) from exc
    problems = validation_problems(raw)
    if problems:
        summary = "; ".join(f"{f}: {m}" for f, m in problems[:5]) + (" ..." if len(problems) > 5 else "")
        raise PlaybookError(summary, problems=problems)
    loaded = LoadedPlaybook(Playbook.model_validate(raw), path.resolve(), raw)
    for rel in loaded.playbook.workloads.manifests:
        if not loaded.resolve(rel).exists():
            raise PlaybookError(f"no such file or folder: {rel}", field="workloads.manifests")
    return loaded


def json_schema() -> dict[str, Any]:
    """The playbook's JSON Schema, for editors."""
    schema = Playbook.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "bluegreen playbook"
    return schema
