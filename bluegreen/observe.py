"""Read-only observation of everything a cutover depends on.

One `observe` call gathers blue, green, the DNS record and the workloads from
Azure and both clusters. It makes no mutating request (listing credentials is
a read), so `plan` and `--dry-run` are safe at any time. Which kinds it lists
comes from each cluster's own discovery (bluegreen.kube.discovery). It needs clients,
not a run: it knows nothing of steps, the run record or events.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from bluegreen.azure.aks import AksClient, KubernetesVersionInfo, ManagedClusterInfo
from bluegreen.azure.dns import DnsRecords, RecordSetInfo
from bluegreen.azure.network import NetworkClient, SubnetInfo
from bluegreen.errors import NotFoundError, RemoteError
from bluegreen.kinds import CRONJOB
from bluegreen.kube.apiversions import Conversion, conversion_target, convert
from bluegreen.kube.client import KubeClient
from bluegreen.kube.discovery import KindSelection, select_kinds
from bluegreen.kube.manifests import is_builtin, load_manifests
from bluegreen.kube.objects import name_of, namespace_of
from bluegreen.kube.sanitize import should_copy, strip_server_fields
from bluegreen.plan import FingerprintEntry
from bluegreen.playbook import LoadedPlaybook, Playbook
from bluegreen.traffic import externaldns
from bluegreen.traffic.routers import Router
from bluegreen.traffic.split import TrafficState


class ObserveClients(Protocol):
    """The read access observation needs: Azure and a client per running cluster."""

    @property
    def aks(self) -> AksClient: ...

    @property
    def dns(self) -> DnsRecords: ...

    @property
    def network(self) -> NetworkClient: ...

    def kube(self, cluster: ManagedClusterInfo) -> KubeClient: ...

    @property
    def traffic(self) -> Router | None: ...


@dataclass
class ClusterView:
    """One cluster as Azure and its API server see it; `objects` only when it is reachable."""

    info: ManagedClusterInfo | None
    reachable: bool = False
    objects: list[dict[str, Any]] = field(default_factory=list)
    ingress_ip: str | None = None
    unreachable_reason: str | None = None
    served: set[str] = field(default_factory=set)
    # What discovery says the cluster serves and which kinds were listed or left out, and why.
    kinds: KindSelection | None = None
    # Kinds that were listed but could not be read ("batch/v1beta1 CronJob" -> the error).
    unreadable: dict[str, str] = field(default_factory=dict)
    # The CustomResourceDefinitions of the custom kinds that have objects in the playbook's namespaces.
    crds: list[dict[str, Any]] = field(default_factory=list)
    # Active CronJobs outside the playbook's namespaces ("ns/name"); None when they could not be listed.
    other_cronjobs: list[str] | None = field(default_factory=list)
    other_cronjobs_error: str | None = None

    @property
    def exists(self) -> bool:
        return self.info is not None

    @property
    def running(self) -> bool:
        return self.info is not None and (self.info.power_state or "Running") == "Running"


@dataclass
class Observed:
    blue: ClusterView
    green: ClusterView
    record: RecordSetInfo | None
    zone_exists: bool
    versions: list[KubernetesVersionInfo]
    source_objects: list[dict[str, Any]]  # what redeploy will apply on green, already sanitized
    source_kind: str  # "live" or "manifests"
    source_problems: list[str] = field(default_factory=list)
    source_origins: dict[str, str] = field(default_factory=dict)  # object key -> manifest location
    subnets: dict[str, SubnetInfo] = field(default_factory=dict)  # green's node subnets, by lower-cased id
    green_rg_exists: bool = True
    conversions: list[Conversion] = field(default_factory=list)  # blue's objects green gets at a newer version
    # When the record is missing: the type a record of that name has instead (a CNAME playbook against an A).
    record_other_type: str | None = None
    traffic: TrafficState | None = None  # the weighted router's split (None for a DNS switch)
    external_dns: list[externaldns.ExternalDns] = field(default_factory=list)  # in blue and green (DNS switch)
    ownership: dict[str, tuple[str, ...]] = field(default_factory=dict)  # ExternalDNS TXT record name -> strings

    @property
    def blue_value(self) -> str | None:
        return self.blue.ingress_ip

    @property
    def green_value(self) -> str | None:
        return self.green.ingress_ip

    def secrets(self) -> list[dict[str, Any]]:
        """Every Secret seen, so the engine's redactor learns their values before anything is shown."""
        seen = self.blue.objects + self.green.objects + self.source_objects
        return [o for o in seen if o.get("kind") == "Secret"]


def object_key(obj: dict[str, Any]) -> str:
    """"ns/Kind/name"; a custom resource's kind carries its group ("ns/Widget.example.com/name"), as two groups may
    define the same kind."""
    kind = str(obj.get("kind"))
    if obj.get("apiVersion") and not is_builtin(obj):
        kind = f"{kind}.{str(obj.get('apiVersion')).rpartition('/')[0]}"
    return f"{namespace_of(obj) or '-'}/{kind}/{name_of(obj)}"


def _digest_content(objects: list[dict[str, Any]]) -> str:
    body = json.dumps(sorted(objects, key=object_key), sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def _view(clients: ObserveClients, pb: Playbook, info: ManagedClusterInfo | None) -> ClusterView:
    view = ClusterView(info=info)
    if info is None or not view.running or info.provisioning_state not in ("Succeeded", "Updating"):
        view.unreachable_reason = ("cluster absent" if info is None else
                                   f"cluster is {info.power_state} ({info.provisioning_state})")
        return view
    try:
        kube = clients.kube(info)
        served = kube.served_resources()
        view.served = {r.api_version for r in served}
        view.kinds = select_kinds(served)
        cronjobs = _list_workloads(kube, pb.workloads.namespaces, view)
        view.crds = _crds_of(kube, view)
        view.ingress_ip = kube.load_balancer_ip(pb.ingress.namespace, pb.ingress.service)
        view.reachable = True
    except RemoteError as exc:
        view.unreachable_reason = str(exc)
    cronjob_version = view.kinds.version_of(*CRONJOB) if view.kinds else None
    if view.reachable and cronjob_version:
        # Cluster-wide, and often not allowed to a namespace-scoped identity: its failure is no outage.
        try:
            if isinstance(cronjobs, RemoteError):
                raise cronjobs
            everywhere = kube.list(cronjob_version, "CronJob") if cronjobs is None else cronjobs
            view.other_cronjobs = sorted(
                f"{namespace_of(cj)}/{name_of(cj)}" for cj in everywhere
                if namespace_of(cj) not in pb.workloads.namespaces and not (cj.get("spec") or {}).get("suspend")
            )
        except RemoteError as exc:
            view.other_cronjobs = None
            view.other_cronjobs_error = str(exc)
    return view


def _list_workloads(
    kube: KubeClient, namespaces: list[str], view: ClusterView
) -> list[dict[str, Any]] | RemoteError | None:
    """Every listed kind's objects in the playbook's namespaces, into `view.objects` (namespace by namespace,
    in the order of the kinds); returns blue's CronJobs in all namespaces when that list was made (or why
    it was refused), else None.

    With several namespaces a kind is listed once across all of them and filtered here: a request per kind,
    not per kind and namespace (with two namespaces, half the lists). An identity that may
    not list across namespaces (403) is answered namespace by namespace, as with a single namespace.
    """
    assert view.kinds is not None
    cronjob = view.kinds.version_of(*CRONJOB)
    found: dict[str, list[dict[str, Any]]] = {ns: [] for ns in namespaces}
    cronjobs: list[dict[str, Any]] | RemoteError | None = None
    for listed in view.kinds.listed:
        label = f"{listed.api_version} {listed.kind}"
        is_cronjob = (listed.api_version, listed.kind) == (cronjob, CRONJOB[1])
        if len(namespaces) > 1:
            try:
                # CronJobs are kept from every namespace: decommission names blue's other timers
                items = kube.list(listed.api_version, listed.kind, only_in=None if is_cronjob else set(found))
            except RemoteError as exc:
                if exc.status != 403:
                    view.unreadable.setdefault(label, str(exc))  # one kind refused is reported, not an outage
                    continue
                if is_cronjob:
                    cronjobs = exc
            else:
                for item in items:
                    if namespace_of(item) in found:
                        found[namespace_of(item) or ""].append(item)
                if is_cronjob:
                    cronjobs = items
                continue
        for namespace in namespaces:
            try:
                found[namespace].extend(kube.list(listed.api_version, listed.kind, namespace))
            except RemoteError as exc:
                # One kind refused (RBAC, a broken aggregated API) is reported by the steps, not an outage.
                view.unreadable.setdefault(label, str(exc))
    for namespace in namespaces:
        view.objects.extend(found[namespace])
    return cronjobs


def _crds_of(kube: KubeClient, view: ClusterView) -> list[dict[str, Any]]:
    """The definitions of the custom kinds found in the namespaces: green needs them before their objects."""
    assert view.kinds is not None
    plurals = {(k.group, k.kind): k.plural for k in view.kinds.listed}
    wanted = sorted({(str(o.get("apiVersion")).rpartition("/")[0], str(o.get("kind")))
                     for o in view.objects if not is_builtin(o)})
    crd_version = ("apiextensions.k8s.io/v1" if "apiextensions.k8s.io/v1" in view.served
                   else "apiextensions.k8s.io/v1beta1")
    crds = []
    for group, kind in wanted:
        plural = plurals.get((group, kind))
        crd = kube.get(crd_version, "CustomResourceDefinition", None, f"{plural}.{group}") if plural else None
        if crd is not None:  # an aggregated API's kind has no CRD: it is served by its own server
            crds.append(crd)
    return crds


def observe(loaded: LoadedPlaybook, clients: ObserveClients) -> Observed:
    pb = loaded.playbook
    blue_info = clients.aks.get(pb.blue_rg, pb.blue.name)
    green_rg_exists = True
    try:
        green_info = clients.aks.get(pb.green_rg, pb.green.name)
    except NotFoundError as exc:
        if exc.code != "ResourceGroupNotFound":
            raise
        green_info, green_rg_exists = None, False
    blue, green = _view(clients, pb, blue_info), _view(clients, pb, green_info)
    versions = clients.aks.kubernetes_versions(blue_info.location) if blue_info else []
    sw = pb.switch
    zone_exists, record = (clients.dns.lookup(pb.zone_rg, sw.zone, sw.record or "", sw.record_type) if sw.zone
                           else (False, None))
    other_type = None
    if zone_exists and record is None:
        other: Literal["A", "CNAME"] = "CNAME" if sw.record_type == "A" else "A"
        if clients.dns.get(pb.zone_rg, sw.zone or "", sw.record or "", other) is not None:
            other_type = other
    router = clients.traffic
    traffic = router.observe() if router is not None else None
    found: list[externaldns.ExternalDns] = []
    ownership: dict[str, tuple[str, ...]] = {}
    if zone_exists and sw.record:
        for label, view in (("blue", blue), ("green", green)):
            found += _external_dns(clients, label, view)
        for name in externaldns.ownership_names(sw.record, sw.record_type, found):
            txt = clients.dns.get_txt(pb.zone_rg, sw.zone or "", name)
            if txt is not None:
                ownership[name] = txt.values
    target = (green_info.kubernetes_version if green_info and green_info.kubernetes_version
              else pb.green.kubernetes_version)
    source, problems, origins, conversions = _source_objects(loaded, blue, target)
    subnets = {}
    if green_info is None and blue_info is not None:
        ids = {pb.green.subnet_id} if pb.green.subnet_id else {p.vnet_subnet_id for p in blue_info.node_pools}
        subnets = {sid.lower(): clients.network.subnet(sid) for sid in sorted(i for i in ids if i)}
    return Observed(
        blue=blue,
        green=green,
        record=record,
        zone_exists=zone_exists,
        record_other_type=other_type,
        versions=versions,
        source_objects=source,
        source_kind="manifests" if pb.workloads.manifests else "live",
        source_problems=problems,
        source_origins=origins,
        subnets=subnets,
        green_rg_exists=green_rg_exists,
        conversions=conversions,
        traffic=traffic,
        external_dns=found,
        ownership=ownership,
    )


def _external_dns(clients: ObserveClients, label: str, view: ClusterView) -> list[externaldns.ExternalDns]:
    """ExternalDNS Deployments anywhere on a reachable cluster; a cluster that will not list them has none known."""
    if not view.reachable or view.info is None:
        return []
    try:
        return externaldns.find(label, clients.kube(view.info).list("apps/v1", "Deployment"))
    except RemoteError:
        return []


def _source_objects(
    loaded: LoadedPlaybook, blue: ClusterView, target_version: str
) -> tuple[list[dict[str, Any]], list[str], dict[str, str], list[Conversion]]:
    """What green receives: the manifests as written, or blue's live objects (with their CRDs) at the versions
    green serves."""
    pb = loaded.playbook
    problems: list[str] = []
    origins: dict[str, str] = {}
    objects: list[dict[str, Any]] = []
    if pb.workloads.manifests:
        manifests = load_manifests([loaded.resolve(p) for p in pb.workloads.manifests])
        for m in manifests:
            obj = dict(m.obj)
            objects.append(obj)
            origins[object_key(obj)] = m.location
        return objects, problems, origins, []
    if not blue.reachable:
        problems.append(f"cannot read blue's objects: {blue.unreachable_reason}")
        return [], problems, origins, []
    conversions: list[Conversion] = []
    live = [strip_server_fields(o) for o in blue.objects if o.get("kind") != "Pod" and should_copy(o)]
    for obj in [strip_server_fields(c) for c in blue.crds] + live:
        to_version = conversion_target(str(obj.get("apiVersion")), str(obj.get("kind")), target_version)
        if to_version:
            conversions.append(Conversion(str(obj.get("kind")), namespace_of(obj), name_of(obj),
                                          str(obj.get("apiVersion")), to_version))
            obj = convert(obj, to_version)
        objects.append(obj)
    return objects, problems, origins, conversions


def source_digest(obs: Observed) -> str:
    """What redeploy would apply, as content: changes when blue's objects or the manifests change.

    Replica counts an HPA moves are left out, as in the fingerprint.
    """
    return _digest_content([_without_autoscaled_replicas(o, obs.source_objects) for o in obs.source_objects])


def fingerprint(pb: Playbook, obs: Observed) -> dict[str, FingerprintEntry]:
    """What the plan relies on, each tagged with the step that will change it."""
    fp = {
        f"azure/cluster/{pb.blue.name}": FingerprintEntry(_cluster_version(obs.blue.info), "decommission"),
        f"azure/cluster/{pb.green.name}": FingerprintEntry(_cluster_version(obs.green.info), "provision"),
    }
    if obs.traffic is not None:  # no ETag on endpoints or origins: their content is what the plan relies on
        fp[f"traffic/{obs.traffic.router}"] = FingerprintEntry(obs.traffic.version, "switch")
    else:
        fp[f"azure/record/{pb.switch.zone}/{pb.switch.record_type}/{pb.switch.record}"] = FingerprintEntry(
            obs.record.etag if obs.record and obs.record.etag else "(absent)", "switch")
    if obs.blue.reachable:
        # Content without server fields: status churn on blue must not make every plan stale.
        content = [_without_autoscaled_replicas(strip_server_fields(o), obs.blue.objects)
                   for o in obs.blue.objects if o.get("kind") != "Pod" and should_copy(o)]
        fp[f"kube/{pb.blue.name}/objects"] = FingerprintEntry(_digest_content(content), "switch")
    if obs.source_kind == "manifests":
        fp["manifests"] = FingerprintEntry(_digest_content(obs.source_objects), "redeploy")
    # What the plan showed it would write: the version green gets and the address the record gets.
    offered = sorted(f"{v.version}:{','.join(sorted(v.patch_versions))}" for v in obs.versions if not v.is_preview)
    fp["azure/kubernetes-versions"] = FingerprintEntry(hashlib.sha256(" ".join(offered).encode()).hexdigest()[:16],
                                                       "provision")
    fp[f"kube/{pb.green.name}/ingress"] = FingerprintEntry(obs.green.ingress_ip or "(none)", "redeploy")
    return fp


def _cluster_version(info: ManagedClusterInfo | None) -> str:
    if info is None:
        return "(absent)"
    return f"{info.etag or '-'} {info.provisioning_state} {info.power_state}"


def _without_autoscaled_replicas(obj: dict[str, Any], objects: list[dict[str, Any]]) -> dict[str, Any]:
    """An HPA moves spec.replicas all day; that must not make every plan stale."""
    targets = {
        ((h.get("spec") or {}).get("scaleTargetRef") or {}).get("name")
        for h in objects if h.get("kind") == "HorizontalPodAutoscaler" and namespace_of(h) == namespace_of(obj)
    }
    if name_of(obj) in targets and isinstance(obj.get("spec"), dict):
        obj = {**obj, "spec": {k: v for k, v in obj["spec"].items() if k != "replicas"}}
    return obj
