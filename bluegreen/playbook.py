"""The playbook: one cutover, declared in YAML and validated before anything runs.

Validation errors name the field path (``green.node_pools.system.count``) so
the operator can fix the file without guessing. Nothing here talks to Azure or
a cluster.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from bluegreen import names
from bluegreen.durations import Duration
from bluegreen.errors import PlaybookError
from bluegreen.simulation_spec import SimulationSpec
from bluegreen.state import location as state_location
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


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _rule(check: Any) -> Any:
    """A field validator from a `bluegreen.names` rule (None when the value is fine)."""

    def validate(value: Any) -> Any:
        problem = check(value) if isinstance(value, str) else None
        if problem:
            raise ValueError(f"{value!r}: {problem}")
        return value

    return validate


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

    _names = field_validator("name")(_rule(names.aks_cluster))
    _groups = field_validator("resource_group")(_rule(names.resource_group))


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
        if not re.fullmatch(r"1\.\d{1,3}(\.\d{1,3})?", v):
            raise ValueError('expected "1.<minor>" or "1.<minor>.<patch>"')
        return v

    _names = field_validator("name")(_rule(names.aks_cluster))
    _groups = field_validator("resource_group")(_rule(names.resource_group))
    _prefix = field_validator("dns_prefix")(_rule(names.dns_prefix))

    @field_validator("node_pools")
    @classmethod
    def _pools(cls, pools: dict[str, NodePoolOverride]) -> dict[str, NodePoolOverride]:
        for name in pools:
            problem = names.agent_pool(name)
            if problem:
                raise PydanticCustomError("at_key", "{why}", {"key": name, "why": f"{name!r}: {problem}"})
        return pools

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: dict[str, str]) -> dict[str, str]:
        for key, value in tags.items():
            problem = names.tag(key, value)
            if problem:
                raise PydanticCustomError("at_key", "{why}", {"key": key, "why": problem})
        return tags


class Workloads(_Model):
    namespaces: list[str] = Field(
        default_factory=list,
        description="Application namespaces: copied from blue (when no manifests are given), smoke-checked "
        "on green and emptied on blue at decommission.",
    )
    manifests: list[str] = Field(
        default_factory=list, description="Files or folders (relative to the playbook) to apply on green."
    )

    @field_validator("namespaces")
    @classmethod
    def _namespaces(cls, namespaces: list[str]) -> list[str]:
        return names.each(names.namespace, namespaces)


_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an RFC 9110 token
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class HttpCheckSpec(_Model):
    name: str = Field(min_length=1)
    url: str = Field(description="Public URL of a user flow; sent to green's ingress IP with this host name.")
    method: Literal["GET", "HEAD", "POST"] = "GET"
    expect_status: list[Annotated[int, Field(ge=100, le=599)]] = Field(
        default_factory=lambda: [200], min_length=1, description="HTTP status codes (100-599) that pass.")
    body_contains: str | None = None
    max_latency_ms: int | None = Field(None, gt=0, le=3_600_000)
    headers: dict[str, str] = Field(default_factory=dict)
    verify_tls: bool = True

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        """A URL that can only fail (no host, a port out of range, a line break) is refused before green exists."""
        if _CONTROL.search(v) or " " in v:
            raise ValueError("a URL holds no spaces, line breaks or control characters")
        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an absolute http:// or https:// URL")
        try:
            port = parts.port
        except ValueError:
            raise ValueError("the port must be a number from 1 to 65535") from None
        if port == 0:
            raise ValueError("the port must be a number from 1 to 65535")
        problem = names.url_host(parts.hostname or "")
        if problem:
            raise ValueError(problem)
        return v

    @field_validator("headers")
    @classmethod
    def _headers(cls, headers: dict[str, str]) -> dict[str, str]:
        for key, value in headers.items():
            if not _HEADER_NAME.fullmatch(key):
                raise PydanticCustomError("at_key", "{why}", {"key": key, "why": "not a valid header name"})
            if _CONTROL.sub("", value.replace("\t", "")) != value.replace("\t", ""):
                raise PydanticCustomError("at_key", "{why}",
                                          {"key": key, "why": "a header value holds no line breaks or control "
                                                              "characters"})
        return headers


class IngressRef(_Model):
    namespace: str
    service: str = Field(description="LoadBalancer Service whose IP is the cluster's entry point.")

    _namespace = field_validator("namespace")(_rule(names.namespace))
    _service = field_validator("service")(_rule(names.service))


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
    accept_unmanaged_schedulers: list[str] = Field(
        default_factory=list,
        description='Schedulers bluegreen cannot hand over that may go on running on blue after the switch: '
        'a custom resource kind owning CronJobs or Jobs ("<group>/<Kind>", e.g. "example.com/Schedule"), one '
        'owner object ("<namespace>/<name>"), or "batch/CronJob" when blue\'s CronJobs cannot be read. '
        "Without it such a scheduler stops the switch.",
    )

    @field_validator("accept_unmanaged_schedulers")
    @classmethod
    def _scheduler_refs(cls, value: list[str]) -> list[str]:
        for item in value:
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.-]*/[A-Za-z0-9][A-Za-z0-9.-]*", item):
                raise ValueError(f"{item!r} is neither <group>/<Kind> nor <namespace>/<name>")
        return value

    _groups = field_validator("resource_group")(_rule(names.resource_group))
    _zone = field_validator("zone")(_rule(names.dns_zone))
    _record = field_validator("record")(_rule(names.record_set))

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
    delete_volume_claims: bool = Field(
        False,
        description="Also delete blue's PersistentVolumeClaims. Off by default: with a Delete reclaim policy the "
        "volume's data goes with its claim, and the archive holds only the manifest.",
    )

    @field_validator("archive_dir")
    @classmethod
    def _archive_dir(cls, v: str) -> str:
        """Blue's Secrets land here: a relative path stays inside the playbook's folder; elsewhere, say so."""
        if not v.strip() or _CONTROL.search(v):
            raise ValueError("give a folder (relative to the playbook, or absolute)")
        if not posixpath.isabs(v) and not v.startswith("~") and \
                posixpath.normpath(v.replace("\\", "/")).split("/")[0] == "..":
            raise ValueError(f"{v!r} leaves the playbook's folder; give an absolute path to archive elsewhere")
        return v



class StateSpec(_Model):
    """Where the run record and its lock live when not in local files: blobs in Azure Storage."""

    backend: Literal["azure_blob"] = Field(description="azure_blob: the record a blob written with If-Match, "
                                                       "the lock a blob lease.")
    account_url: str = Field(description="https://ACCOUNT.blob.core.windows.net (no SAS token: credentials come "
                                         "from DefaultAzureCredential).")
    container: str = Field(description="The blob container (it must exist).")
    prefix: str = Field("", description="Blob name prefix; the record is <prefix>/<name>/journal.json.")

    @field_validator("account_url")
    @classmethod
    def _account_url(cls, value: str) -> str:
        problem = state_location.account_url_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    _container = field_validator("container")(_rule(state_location.container_problem))
    _prefix = field_validator("prefix")(_rule(state_location.prefix_problem))

    def location(self) -> state_location.StateLocation:
        return state_location.StateLocation(self.account_url, self.container, self.prefix)


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
    state: StateSpec | None = Field(None, description="Keep the run record and lock in Azure Blob Storage "
                                                    "(default: local files; --state URL overrides).")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    _name = field_validator("name")(_rule(names.playbook_name))
    _subscription = field_validator("subscription_id")(_rule(names.subscription_id))
    _groups = field_validator("resource_group")(_rule(names.resource_group))

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


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")
_BUILTIN_TAGS = {"str", "int", "float", "bool", "none", "list", "dict", "datetime", "bytes"}


def field_path(loc: Sequence[Any], raw: Any = None) -> str:
    """The playbook's own spelling of a location (`smoke.http[1].url`), without pydantic's internal names.

    pydantic puts the branch of a union (`str`, `ServiceRef`, `function-after[...]`) into an error's
    location; such a part is dropped when the document has no key of that name at that point.
    """
    out = ""
    node = raw
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if isinstance(node, list) and -len(node) <= part < len(node) else None
            continue
        text = str(part)
        present = isinstance(node, dict) and text in node
        if not present and ("[" in text or text in _BUILTIN_TAGS or text[:1].isupper()):
            continue
        if not _PLAIN_KEY.fullmatch(text):
            out += f"[{json.dumps(text)}]"
        else:
            out += f".{text}" if out else text
        node = node.get(text) if isinstance(node, dict) else None
    return out or "(playbook)"


def pydantic_problems(exc: ValidationError, raw: Any, prefix: Sequence[Any] = ()) -> list[tuple[str, str]]:
    """A ValidationError as (field path, message) pairs; `at_key` errors name the key or index they are about."""
    located = []
    for error in exc.errors():
        loc = list(error["loc"])
        context = error.get("ctx") or {}
        if error["type"] == "at_key":
            loc.append(context["key"])
            if context.get("sub") is not None:
                loc.append(context["sub"])
        if loc and loc[-1] == "[key]":  # a dict key of the wrong type: pydantic's spelling
            loc.pop()
        message = error["msg"].removeprefix("Value error, ")
        located.append((field_path([*prefix, *loc], _wrap(prefix, raw)), message, error["type"]))
    # A union reports every branch; "not a string" is noise when the mapping branch says what is wrong inside.
    return [(path, message) for path, message, kind in located
            if not (kind.endswith("_type") and any(other.startswith(path + ".") or other.startswith(path + "[")
                                                  for other, _, _ in located))]


def _wrap(prefix: Sequence[Any], raw: Any) -> Any:
    for part in reversed(prefix):
        raw = {part: raw}
    return raw


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
            if isinstance(ns, str) and ns in _SYSTEM_NAMESPACES:
                problems.append((f"workloads.namespaces[{i}]",
                                 f"{ns} is a system namespace; bluegreen never copies or empties it"))
        ingress_ns = _get(raw, "ingress", "namespace")
        if isinstance(ingress_ns, str) and namespaces and ingress_ns not in namespaces:
            problems.append(("ingress.namespace", f"{ingress_ns!r} must be one of workloads.namespaces"))
    rg = raw.get("resource_group")
    blue = (_get(raw, "blue", "name"), _get(raw, "blue", "resource_group") or rg)
    green = (_get(raw, "green", "name"), _get(raw, "green", "resource_group") or rg)
    if blue[0] and blue == green:
        problems.append(("green.name", "green.name must differ from blue.name"))
    record_type = _get(raw, "switch", "record_type") or "A"
    for side in ("blue_value", "green_value"):
        value = _get(raw, "switch", side)
        if record_type == "CNAME" and not value:
            problems.append((f"switch.{side}", "a CNAME switch needs blue_value and green_value (host names)"))
        elif isinstance(value, str):
            problem = (names.host_name if record_type == "CNAME" else names.ipv4)(value)
            if problem:
                problems.append((f"switch.{side}", f"{value!r}: {problem} (record_type is {record_type})"))
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
        problems = [p for p in pydantic_problems(exc, raw) if _CROSS_FIELD not in p[1]]
    # A field already refused on its own needs no second word about how it relates to others.
    named = {field for field, _ in problems}
    return problems + [p for p in cross_field_problems(raw) if p[0] not in named]


MAX_PLAYBOOK_BYTES = 1024 * 1024  # a playbook is a few KB; its manifests are separate files


def read_document(path: str | Path) -> Any:
    """A playbook file's YAML, bounded (size, depth, aliases) and strict (duplicate keys); errors name the file."""
    from bluegreen import safe_yaml  # here, not at the top: `bluegreen schema` needs no YAML parser

    path = Path(path)
    if path.is_dir():
        raise PlaybookError("is a folder, not a playbook file", field=str(path))
    return safe_yaml.load_file(path, max_bytes=MAX_PLAYBOOK_BYTES, what="playbook")


def load_playbook(path: str | Path) -> LoadedPlaybook:
    """Read and validate a playbook file; raises PlaybookError naming the first bad field (all in `.problems`)."""
    path = Path(path)
    raw = read_document(path)
    problems = validation_problems(raw)
    if problems:
        summary = "; ".join(f"{f}: {m}" for f, m in problems[:5]) + (" ..." if len(problems) > 5 else "")
        raise PlaybookError(summary, problems=problems)
    loaded = LoadedPlaybook(Playbook.model_validate(raw), path.resolve(), raw)
    problems = file_problems(loaded)
    if problems:
        raise PlaybookError("; ".join(f"{f}: {m}" for f, m in problems), problems=problems)
    return loaded


def file_problems(loaded: LoadedPlaybook) -> list[tuple[str, str]]:
    """What only the file system can tell: manifests that are missing, an archive folder that leaves home."""
    pb = loaded.playbook
    problems = []
    for i, rel in enumerate(pb.workloads.manifests):
        if not loaded.resolve(rel).exists():
            problems.append((f"workloads.manifests[{i}]", f"no such file or folder: {rel}"))
    archive = pb.decommission.archive_dir
    if not Path(archive).expanduser().is_absolute():
        home = loaded.base_dir.resolve()
        target = loaded.resolve(archive).resolve()
        if target != home and home not in target.parents:
            problems.append(("decommission.archive_dir",
                             f"{archive!r} resolves to {target}, outside the playbook's folder (through a link); "
                             "give an absolute path to archive elsewhere"))
        elif target.exists() and not target.is_dir():
            problems.append(("decommission.archive_dir", f"{archive!r} is a file, not a folder"))
    return problems


def json_schema() -> dict[str, Any]:
    """The playbook's JSON Schema, for editors."""
    schema = Playbook.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "bluegreen playbook"
    return schema
