"""The simulated world: fake ARM + one fake API server per cluster + one clock, kept in a directory.

Successive CLI invocations (`bluegreen sim ...`, `bluegreen run --simulate`)
share the world through its directory. What changed is saved after every
mutation and every clock step, one SQLite transaction each (only the changed
rows), so a process killed at any instant leaves a world the next process can
open and continue, and a save costs the same in a small world as in a large one.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import signal
import threading
import zoneinfo
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import responses
import yaml

from bluegreen.errors import BluegreenError, PlaybookError
from bluegreen.events import WAITING, Event, EventSink, discard
from bluegreen.private_files import private_dir
from bluegreen.sim import persist
from bluegreen.sim.arm import FaultSpec
from bluegreen.sim.arm.simulator import ArmSimulator
from bluegreen.sim.clock import SimClock
from bluegreen.sim.credential import AKS_AAD_SCOPE, SimulatedCredential, token_for
from bluegreen.sim.dnsserver import DnsServer, DnsZones
from bluegreen.sim.entrypoints import EntryPoints
from bluegreen.sim.kube.cluster import ApiError, ClusterBehaviour, ClusterSimulator
from bluegreen.sim.manifests import load_seed_objects, namespaces_needed
from bluegreen.sim.schedule import next_run
from bluegreen.simulation_spec import Address, ClusterBehaviourSpec, ServiceRef, SimulationSpec

STATE_VERSION = 1
STEP = timedelta(seconds=60)  # how controllers and cron see time while something is happening
MAX_JUMP = timedelta(hours=1)  # the longest a quiet world jumps at once
_ARM = re.compile(r"^https://management\.azure\.com(?::443)?/", re.IGNORECASE)
_NOT_ARM = re.compile(r"^(?!https://management\.azure\.com(?::443)?/)", re.IGNORECASE)
_IPS_PER_WORLD = 254 * 256
_DEFAULT_BEHAVIOUR: dict[str, Any] = {
    "pod_ready_seconds": 20.0,
    "job_seconds": 30.0,
    "lb_provision_seconds": 45.0,
    "throttle_writes": 0,
    "broken_images": [],
    "node_count": 3,
}


class WorldError(BluegreenError):
    """The world directory or a request against it is unusable (not a world, unknown cluster)."""


class _WorldClock(SimClock):
    """SimClock that tells the world when a whole `advance` is done, so it persists once per wait."""

    def __init__(self, start: datetime, after_advance: Callable[[], None], lock: threading.RLock) -> None:
        super().__init__(start, lock)
        self._after_advance = after_advance

    def advance(self, seconds: float) -> None:
        super().advance(seconds)
        if seconds > 0:
            self._after_advance()

    def advance_to(self, when: datetime) -> None:
        """Jump straight to `when` (nothing is due in between), saving once."""
        with self._lock:
            if when <= self._now:
                return
            old, self._now = self._now, when
            for listener in list(self._listeners):
                listener(old, self._now)
        self._after_advance()


class _LockedRequestsMock(responses.RequestsMock):
    """Serialises fake-ARM requests with the API servers' threads, so a persist never sees half a change.

    Only ARM requests take the lock: a passthru request may be served by an API-server thread that
    needs the same lock.
    """

    def __init__(self, lock: threading.RLock) -> None:
        super().__init__(assert_all_requests_are_fired=False)
        self._world_lock = lock

    def _on_request(self, adapter: Any, request: Any, **kwargs: Any) -> Any:
        try:
            if request.url and _ARM.match(request.url):
                with self._world_lock:
                    return super()._on_request(adapter, request, **kwargs)
            return super()._on_request(adapter, request, **kwargs)
        finally:
            self._forget_calls()

    def _forget_calls(self) -> None:
        """`responses` keeps every request and response it served, for tests to assert on; nothing reads a
        world's, and a fleet run's would grow by tens of thousands (each with its body) for as long as it runs."""
        self.calls.reset()
        for match in self.registered():
            match.calls.reset()


class World:
    """Composes ArmSimulator and ClusterSimulators, and implements the ARM fake's ClusterHooks."""

    def __init__(self, directory: Path, state: dict[str, Any], *, seeding: bool = False) -> None:
        self.directory = directory
        self._lock = threading.RLock()
        self._serving = False
        self._quiet = seeding  # seeding is not traffic: no counting, no persisting
        self.subscription_id: str = state["subscription_id"]
        self.credential = SimulatedCredential()
        self.clock: SimClock = _WorldClock(_parse_time(state["clock"]), self._advanced, self._lock)
        self._ip: dict[str, Any] = dict(state["ip"])
        self._behaviour: dict[str, Any] = state["behaviour"]
        self._log: list[dict[str, Any]] = list(state.get("log", []))
        self._mutations: dict[str, int] = dict(state.get("mutations", {}))
        self._crash: dict[str, Any] | None = state.get("crash")
        self._meta: dict[str, dict[str, Any]] = {}
        self._clusters: dict[str, ClusterSimulator] = {}
        for cluster_id, saved in state.get("clusters", {}).items():
            self._add_cluster(cluster_id, saved["name"], saved["version"], saved["running"], saved["state"])
        self.arm = ArmSimulator(self.clock, self, state.get("arm"))
        self.arm.on_mutation = self._arm_mutated
        # The weighted routers' HTTP entry points (bluegreen/sim/entrypoints.py), on addresses kept with the world.
        self._zones = DnsZones(self.arm.records, self._lock, lambda: self._entry.names())
        self._entry = EntryPoints(lambda: self.arm.weights() + self._route_rows(), self._lock, self._allocate_ip,
                                  state.get("entry_points", {}), state.get("entry_log"))
        # The DNS zones served as DNS (bluegreen/sim/dnsserver.py), on a port kept with the world.
        self._dns = DnsServer(self._zones, (state.get("dns_server") or {}).get("port"))
        self.clock.subscribe(self._on_clock)
        self._mock: responses.RequestsMock | None = None
        self._db: persist.Database | None = None
        self._saved_rows: dict[str, str] = {}
        self._saved_clusters: dict[str, tuple[Any, ...]] = {}
        self._saved_log = len(self._log)
        self._arm_dirty = True
        self._saved_settled = -1
        self._deferred = 0

    # ----------------------------------------------------------------- creation and opening
    @classmethod
    def create(cls, directory: Path, spec: SimulationSpec, base_dir: Path, *, replace: bool = False) -> None:
        """Seed a world from `spec` (manifest paths relative to `base_dir`) and persist it to `directory`.

        Everything is built in memory first, so a bad spec leaves no directory behind.
        """
        directory = Path(directory)
        _check_target(directory, replace)
        blue_objects = load_seed_objects(spec.blue.manifests, base_dir, "simulation.blue.manifests")
        namespaces = namespaces_needed(blue_objects, spec.blue.namespaces)
        world = cls(directory, _initial_state(spec), seeding=True)
        world._seed(spec, namespaces + blue_objects)
        world._quiet = False
        private_dir(directory)  # its state holds kubeconfig credentials and Secrets
        with persist.exclusive(directory):
            _check_target(directory, replace)
            if replace:
                for name in (persist.STATE_FILE, f"{persist.STATE_FILE}-wal", f"{persist.STATE_FILE}-shm",
                             persist.LEGACY_STATE_FILE):
                    (directory / name).unlink(missing_ok=True)
            world.persist()

    @classmethod
    @contextlib.contextmanager
    def open(cls, directory: Path) -> Iterator[World]:
        """Lock the world, load it, serve its running clusters and the fake ARM; persist on the way out."""
        directory = Path(directory)
        if not persist.is_world(directory):
            raise WorldError(f"{directory} is not a simulated world (run `bluegreen sim init` first)")
        with persist.exclusive(directory):
            db = persist.open_database(directory)
            try:
                world = cls(directory, db.read_all())
                world._db = db
                world._start_serving()
                yield world
            finally:
                try:
                    # Persist first: closing the sockets is not a power-off, the pods stay as they are.
                    if "world" in locals():
                        world.persist()
                        world._stop_serving()
                        world._db = None
                finally:
                    db.close()

    @classmethod
    def peek(cls, directory: Path) -> dict[str, Any]:
        """The world's `show()` view without opening it: no lock, no servers, nothing written (for --dry-run)."""
        directory = Path(directory)
        if not persist.is_world(directory):
            raise WorldError(f"{directory} is not a simulated world (run `bluegreen sim init` first)")
        return cls(directory, persist.load_state(directory)).show()

    @staticmethod
    def schedule_crash(directory: Path, after_mutations: int) -> None:
        """Arm a one-shot crash: the process that counts `after_mutations` more mutations persists them and
        SIGKILLs itself. The fault is saved as consumed before the kill, so a re-run goes through."""
        if after_mutations < 1:
            raise ValueError("after_mutations must be at least 1")
        directory = Path(directory)
        with persist.exclusive(directory):
            if not persist.is_world(directory):
                raise WorldError(f"{directory} is not a simulated world (run `bluegreen sim init` first)")
            db = persist.open_database(directory)
            try:
                crash = {"after_mutations": after_mutations, "remaining": after_mutations, "consumed": False}
                with db.transaction() as tx:
                    tx.execute("INSERT OR REPLACE INTO meta VALUES ('crash', ?)", (json.dumps(crash),))
            finally:
                db.close()

    def _seed(self, spec: SimulationSpec, blue_objects: list[dict[str, Any]]) -> None:
        blue = spec.blue
        sub = self.subscription_id
        offered = {loc: (list(v.versions), list(v.preview)) for loc, v in spec.kubernetes_versions.items()}
        ga, _ = offered.setdefault(blue.location, ([], []))
        if blue.version not in ga and blue.version not in offered[blue.location][1]:
            ga.append(blue.version)
        for location, (versions, preview) in offered.items():
            self.arm.seed_kubernetes_versions(location, versions, preview=preview)
        groups = [blue.resource_group, *spec.resource_groups]
        groups += [z.resource_group for z in spec.dns_zones if z.resource_group]
        groups += [t.resource_group for t in spec.traffic_managers if t.resource_group]
        groups += [f.resource_group for f in spec.front_doors if f.resource_group]
        for group in groups:
            self.arm.seed_resource_group(sub, group)
        subnet_id = None
        if blue.subnet is not None:
            s = blue.subnet
            subnet_id = self.arm.seed_subnet(sub, blue.resource_group, s.vnet, s.name, prefix=s.prefix,
                                             used_ips=s.used_ips)
        pools = [_pool_wire(p, subnet_id) for p in blue.node_pools]
        cluster_id = self.arm.seed_cluster(
            sub,
            blue.resource_group,
            blue.name,
            location=blue.location,
            version=blue.version,
            pools=pools,
            network_plugin=blue.network_plugin,
            network_plugin_mode=blue.network_plugin_mode,
            tags=dict(blue.tags),
            running=True,
            aad=blue.aad,
        )
        if cluster_id not in self._clusters:
            raise WorldError(f"seeding {blue.name}: the ARM fake did not report the cluster as created")
        cluster = self._clusters[cluster_id]
        if blue_objects:
            try:
                cluster.load_objects(blue_objects)
            except ApiError as exc:
                raise PlaybookError(f"cannot load onto {blue.name}: {exc}", field="simulation.blue.manifests") from exc
        clusters = {"blue": cluster}
        for z, zone in enumerate(spec.dns_zones):
            rg = zone.resource_group or blue.resource_group
            if zone.private:
                self.arm.seed_private_zone(sub, rg, zone.name)
            else:
                self.arm.seed_public_zone(sub, rg, zone.name)
            for r, record in enumerate(zone.records):
                where = f"simulation.dns_zones[{z}].records[{r}].values"
                values = [self._resolve(v, clusters, f"{where}[{i}]") for i, v in enumerate(record.values)]
                self.arm.seed_record(
                    private=zone.private, subscription=sub, resource_group=rg, zone=zone.name,
                    name=record.name, type=record.type, values=values, ttl=record.ttl,
                )
        for t, tm in enumerate(spec.traffic_managers):
            endpoints = [
                {"name": e.name, "type": e.type, "weight": e.weight,
                 "endpointStatus": "Enabled" if e.enabled else "Disabled",
                 "target": self._resolve(e.target, clusters, f"simulation.traffic_managers[{t}].endpoints[{i}].target")}
                for i, e in enumerate(tm.endpoints)
            ]
            self.arm.seed_traffic_manager(sub, tm.resource_group or blue.resource_group, tm.name, endpoints=endpoints)
        for f, fd in enumerate(spec.front_doors):
            origins = [
                {"name": o.name, "weight": o.weight, "priority": o.priority,
                 "enabledState": "Enabled" if o.enabled else "Disabled",
                 "hostName": self._resolve(o.host_name, clusters, f"simulation.front_doors[{f}].origins[{i}].host_name")}
                for i, o in enumerate(fd.origins)
            ]
            self.arm.seed_front_door(sub, fd.resource_group or blue.resource_group, fd.name, fd.origin_group,
                                     origins=origins)
        for i, fault in enumerate(spec.faults):
            try:
                self.arm.add_fault(FaultSpec.from_dict(fault))
            except PlaybookError as exc:
                key = (exc.field or "").rsplit(".", 1)[-1] if exc.field not in (None, "simulation.faults") else ""
                where = f"simulation.faults[{i}]" + (f".{key}" if key else "")
                raise PlaybookError(str(exc).split(": ", 1)[-1], field=where) from exc
            except (KeyError, TypeError, ValueError) as exc:
                raise PlaybookError(f"invalid fault: {exc}", field=f"simulation.faults[{i}]") from exc
        if not blue.running:
            self.arm.set_power(cluster_id, False)

    def _resolve(self, value: Address, clusters: dict[str, ClusterSimulator], field: str) -> str:
        if not isinstance(value, ServiceRef):
            return value
        namespace, name = value.service.split("/")
        for obj in clusters[value.cluster].objects():
            meta = obj.get("metadata", {})
            if obj.get("kind") == "Service" and meta.get("namespace", "default") == namespace and meta.get("name") == name:
                ingress = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
                ip = ingress[0].get("ip") if ingress else None
                if not ip:
                    raise PlaybookError(f"Service {value.service} on {value.cluster} has no LoadBalancer IP", field=field)
                return str(ip)
        raise PlaybookError(f"no Service {value.service} on {value.cluster}", field=field)

    # ----------------------------------------------------------------- ClusterHooks
    def cluster_created(self, cluster_id: str, name: str, kubernetes_version: str) -> None:
        with self._lock:
            # Idempotent: a world saved mid-settle may hear about the same creation again after a crash,
            # and must not trade the cluster's objects for an empty one.
            known = self._clusters.get(cluster_id)
            if known is not None:
                self._meta[cluster_id]["running"] = True
            cluster = known or self._add_cluster(cluster_id, name, kubernetes_version, True, None)
            self._sync_aad(cluster_id)
            if self._serving and not cluster.running:
                cluster.start(serve=False)
            self._changed()

    def cluster_deleted(self, cluster_id: str) -> None:
        with self._lock:
            cluster = self._clusters.pop(cluster_id, None)
            self._meta.pop(cluster_id, None)
            if cluster is not None and cluster.running:
                cluster.stop()
            self._changed()

    def cluster_power_changed(self, cluster_id: str, running: bool) -> None:
        with self._lock:
            cluster = self._clusters.get(cluster_id)
            if cluster is None:
                return
            self._meta[cluster_id]["running"] = running
            if self._serving and running and not cluster.running:
                cluster.start(serve=False)
            elif not running and cluster.running:
                cluster.stop()
            self._changed()

    def cluster_upgraded(self, cluster_id: str, kubernetes_version: str) -> None:
        with self._lock:
            cluster = self._clusters.get(cluster_id)
            if cluster is None:
                return
            cluster.upgrade(kubernetes_version)
            self._meta[cluster_id]["version"] = kubernetes_version
            self._changed()

    def kubeconfig(self, cluster_id: str, role: str) -> bytes:
        cluster = self._clusters[cluster_id]
        data = cluster.kubeconfig(user="clusterAdmin" if role == "admin" else "clusterUser")
        if role == "admin" or not self._aad(cluster_id):
            return data
        # An Entra ID cluster's user kubeconfig carries no credential, only the kubelogin exec plugin, as AKS's.
        doc = yaml.safe_load(data)
        doc["users"][0]["user"] = {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1", "command": "kubelogin",
            "args": ["get-token", "--login", "azurecli", "--server-id", AKS_AAD_SCOPE.split("/")[0]],
            "interactiveMode": "IfAvailable", "provideClusterInfo": False}}
        return yaml.safe_dump(doc, sort_keys=False).encode()

    def _aad(self, cluster_id: str) -> bool:
        arm_cluster = self.arm.aks.state["clusters"].get(cluster_id.lower()) or {}
        return bool((arm_cluster.get("properties") or {}).get("aadProfile"))

    def _sync_aad(self, cluster_id: str) -> None:
        self._clusters[cluster_id].aad_token = token_for(AKS_AAD_SCOPE) if self._aad(cluster_id) else None

    # ----------------------------------------------------------------- operations
    def advance(self, seconds: float, *, events: EventSink = discard,
                stop: Callable[[], bool] | None = None) -> float:
        """Let simulated time pass (ARM operations settle, controllers and cron run); returns the seconds passed.

        Time jumps from one scheduled event to the next (a CronJob's next schedule, an ARM operation falling
        due) instead of stepping every minute; while a step changed something (pods starting, Jobs running),
        the next step is a minute, as controllers see time, and a quiet world never jumps more than
        MAX_JUMP (a controller may wait on a timer nothing announces). Every step is saved, so an
        interrupted advance (`stop()` true) keeps what it did. Emits `waiting` events with the progress.
        """
        if seconds <= 0:
            return 0.0
        start = self.clock.now()
        end = start + timedelta(seconds=seconds)
        busy = True
        steps = 0
        while self.clock.now() < end:
            if stop is not None and stop():
                break
            with self._lock:
                now = self.clock.now()
                before = self._activity()
                target = min(end, now + (STEP if busy else MAX_JUMP), *self._scheduled_after(now))
                assert isinstance(self.clock, _WorldClock)
                self.clock.advance_to(target)
                busy = self._activity() != before or self.arm.next_due() is not None
            steps += 1
            events(Event(WAITING, f"simulated time {_iso(target)}", time=target, data={
                "start": _iso(start), "now": _iso(target), "end": _iso(end), "steps": steps,
                "fraction": (target - start) / (end - start)}))
        return (self.clock.now() - start).total_seconds()

    def _activity(self) -> tuple[int, ...]:
        """Changes whenever any running cluster's objects change (resourceVersions only grow)."""
        return tuple(c.store.rv for c in self._clusters.values())

    def _scheduled_after(self, now: datetime) -> list[datetime]:
        """The next moment something is scheduled: an ARM operation's due time, each active CronJob's next run."""
        due = [d for d in (self.arm.next_due(),) if d is not None and d > now]
        for cid, cluster in self._clusters.items():
            if not (self._meta[cid]["running"] and cluster.running):
                continue
            for cj in cluster.store.select("batch", "CronJob"):
                spec = cj.get("spec") or {}
                if spec.get("suspend") or not spec.get("schedule"):
                    continue
                last = (cj.get("status") or {}).get("lastScheduleTime") or cj["metadata"].get("creationTimestamp")
                with contextlib.suppress(ValueError, KeyError, TypeError, zoneinfo.ZoneInfoNotFoundError):
                    # Memoised on the last run: the same answer every step until the CronJob fires again.
                    nxt = next_run(spec["schedule"], spec.get("timeZone"), _parse_time(last)) if last else now
                    if nxt <= now:  # behind (a stopped cluster, a late controller): from now on
                        nxt = next_run(spec["schedule"], spec.get("timeZone"), now)
                    due.append(nxt)
        return due

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Save once at the end instead of after every change (seeding a fleet: hundreds of add_cluster)."""
        with self._lock:
            self._deferred += 1
            try:
                yield
            finally:
                self._deferred -= 1
                if not self._deferred:
                    self.persist()

    def add_cluster(self, name: str, *, resource_group: str, version: str, location: str = "westeurope",
                    objects: list[dict[str, Any]] | tuple[dict[str, Any], ...] = (), node_count: int = 3) -> str:
        """Seed one more running cluster holding `objects` (fleet worlds: many cluster pairs); returns its id.

        Seeding, not traffic: nothing is counted; the world is saved once, at the end."""
        with self._lock:
            quiet, self._quiet = self._quiet, True
            try:
                self.arm.seed_resource_group(self.subscription_id, resource_group)
                pools = [{"name": "system", "count": node_count, "vmSize": "Standard_D4s_v5", "maxPods": 30,
                          "mode": "System", "osType": "Linux"}]
                cluster_id = self.arm.seed_cluster(self.subscription_id, resource_group, name, location=location,
                                                   version=version, pools=pools, running=True)
                if objects:
                    try:
                        self._clusters[cluster_id].load_objects(list(objects))
                    except ApiError as exc:
                        raise PlaybookError(f"cannot load onto {name}: {exc}", field="objects") from exc
            finally:
                self._quiet = quiet
            if not self._quiet:
                self.persist()
            return cluster_id

    def add_simulation(self, spec: SimulationSpec, base_dir: Path) -> None:
        """Seed one more pair's `simulation:` section into this world (a fleet: every pair in one world).

        The first pair's section created the world (its clock and subscription); later ones add their
        clusters, zones and routers. Seeding, not traffic: saved once, at the end of a batch."""
        blue_objects = load_seed_objects(spec.blue.manifests, base_dir, "simulation.blue.manifests")
        objects = namespaces_needed(blue_objects, spec.blue.namespaces) + blue_objects
        with self._lock:
            quiet, self._quiet = self._quiet, True
            try:
                self._seed(spec, objects)
            finally:
                self._quiet = quiet
            if not self._quiet and not self._deferred:
                self.persist()

    def start_cluster(self, name: str) -> None:
        """Portal-style start: immediate, as if someone pressed the button (or Terraform touched a tag)."""
        self.arm.set_power(self.cluster_id(name), True)
        self.persist()

    def stop_cluster(self, name: str) -> None:
        """Portal-style stop: immediate; the API server stops answering, its objects are kept."""
        self.arm.set_power(self.cluster_id(name), False)
        self.persist()

    def cluster_id(self, name: str) -> str:
        matches = [cid for cid, meta in self._meta.items() if meta["name"].lower() == name.lower()]
        if not matches:
            known = ", ".join(sorted(m["name"] for m in self._meta.values())) or "none"
            raise PlaybookError(f"no simulated cluster named {name!r} (known: {known})", field="cluster")
        if len(matches) > 1:
            raise PlaybookError(f"cluster name {name!r} is ambiguous: {', '.join(matches)}", field="cluster")
        return matches[0]

    def cluster(self, name: str) -> ClusterSimulator:
        return self._clusters[self.cluster_id(name)]

    def kubeconfigs(self) -> dict[str, bytes]:
        """User kubeconfig of every running cluster, by cluster name."""
        return {
            meta["name"]: self._clusters[cid].kubeconfig(user="clusterUser")
            for cid, meta in self._meta.items()
            if self._clusters[cid].running
        }

    def _route_rows(self) -> list[dict[str, Any]]:
        """Rule 0's backendRefs of every HTTPRoute in a running cluster, as entry point rows (weights, targets)."""
        rows: list[dict[str, Any]] = []
        with self._lock:
            for cid, meta in self._meta.items():
                cluster = self._clusters[cid]
                if not meta["running"]:
                    continue
                for route in cluster.store.select("gateway.networking.k8s.io", "HTTPRoute"):
                    ns, spec = route["metadata"].get("namespace") or "default", route.get("spec") or {}
                    rules = spec.get("rules") or []
                    for ref in (rules[0].get("backendRefs") or []) if rules else []:
                        weight = int(ref.get("weight", 1))
                        rows.append({"kind": "httpRoute", "cluster": meta["name"], "namespace": ns,
                                     "route": route["metadata"]["name"], "hostnames": spec.get("hostnames") or [],
                                     "endpoint": ref.get("name"), "weight": weight, "enabled": weight > 0,
                                     "target": self._service_address(cluster, ref.get("namespace") or ns,
                                                                     str(ref.get("name")))})
        return rows

    def _service_address(self, cluster: ClusterSimulator, namespace: str, name: str) -> str | None:
        service = cluster.store.peek(("", "Service", namespace, name))
        spec = (service or {}).get("spec") or {}
        if spec.get("type") == "ExternalName":
            return self._zones.resolve(str(spec.get("externalName") or ""))
        ingress = (((service or {}).get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        return ingress[0].get("ip") if ingress else None

    @property
    def dns_address(self) -> str | None:
        """`127.0.0.1:<port>` of the simulated DNS server while the world is open (None otherwise)."""
        return self._dns.address

    @property
    def execution_log(self) -> list[dict[str, Any]]:
        return [dict(e) for e in self._log]

    def show(self) -> dict[str, Any]:
        """A stable JSON view of the world; the shape is documented in docs/simulator.md."""
        with self._lock:
            arm_clusters = {c["id"].lower(): c for c in self.arm.clusters()}
            clusters = []
            objects: dict[str, list[dict[str, Any]]] = {}
            for cid, meta in sorted(self._meta.items(), key=lambda kv: kv[1]["name"]):
                cluster = self._clusters[cid]
                arm = arm_clusters.get(cid.lower(), {})
                clusters.append({
                    "name": meta["name"],
                    "id": cid,
                    "resource_group": arm.get("resourceGroup", _resource_group(cid)),
                    "power_state": arm.get("powerState", "Running" if meta["running"] else "Stopped"),
                    "provisioning_state": arm.get("provisioningState"),
                    "kubernetes_version": arm.get("version", meta["version"]),
                    "server_url": cluster.server_url if cluster.running else None,
                })
                objects[meta["name"]] = [_object_view(o) for o in cluster.summary()]
            total = sum(self._mutations.values())
            return {
                "time": _iso(self.clock.now()),
                "subscription_id": self.subscription_id,
                "clusters": clusters,
                "objects": objects,
                "records": [_record_view(r) for r in self.arm.records()],
                "weights": [_weight_view(w) for w in self.arm.weights()],
                "entry_points": self._entry.show(),
                "dns_server": self.dns_address,
                "executions": self.execution_log,
                "mutations": {"by_api": dict(sorted(self._mutations.items())), "total": total},
            }

    # ----------------------------------------------------------------- persistence
    def to_state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "version": STATE_VERSION,
                "subscription_id": self.subscription_id,
                "clock": _iso(self.clock.now()),
                "ip": dict(self._ip),
                "behaviour": self._behaviour,
                "arm": self.arm.to_state(),
                "clusters": {
                    cid: {**meta, "state": self._clusters[cid].to_state()} for cid, meta in self._meta.items()
                },
                "log": self._log,
                "mutations": self._mutations,
                "crash": self._crash,
                "entry_points": dict(self._entry.addresses),
                "dns_server": {"port": self._dns.port},
                "entry_log": list(self._entry.log),
            }

    def persist(self, *, arm: bool = True) -> None:
        """Save what changed since the last save, in one transaction (the whole state when not opened).

        `arm=False` says only Kubernetes changed (an API server write), sparing a walk over the ARM state."""
        with self._lock:
            self._arm_dirty = self._arm_dirty or arm
            if self._deferred:
                return
            if self._db is None:
                persist.dump_state(self.directory, self.to_state())
                return
            with self._db.transaction() as tx:
                self._save_changes(tx)

    def _save_changes(self, tx: Any) -> None:
        rows = {key: json.dumps(value, separators=(",", ":")) for key, value in (
            ("version", STATE_VERSION), ("subscription_id", self.subscription_id), ("clock", _iso(self.clock.now())),
            ("ip", self._ip), ("behaviour", self._behaviour), ("mutations", self._mutations),
            ("crash", self._crash), ("entry_points", dict(self._entry.addresses)),
            ("dns_server", {"port": self._dns.port}), ("entry_log", self._entry.log))}
        if self._arm_dirty:
            # Only an ARM request, seeding or an operation finishing changes ARM state; a Kubernetes write never does.
            self._saved_settled = self.arm.settled_generation
            arm = persist.arm_rows(self.arm.state_view())
            for gone in [k for k in self._saved_rows if k.startswith(persist.ARM_PREFIX) and k not in arm]:
                tx.execute("DELETE FROM meta WHERE key = ?", (gone,))
                del self._saved_rows[gone]
            rows.update(arm)
            self._arm_dirty = False
        changed = [(k, v) for k, v in rows.items() if self._saved_rows.get(k) != v]
        tx.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", changed)
        self._saved_rows.update(changed)
        for cid in [c for c in self._saved_clusters if c not in self._clusters]:
            tx.execute("DELETE FROM clusters WHERE id = ?", (cid,))
            tx.execute("DELETE FROM objects WHERE cluster = ?", (cid,))
            del self._saved_clusters[cid]
        for cid, cluster in self._clusters.items():
            meta = self._meta[cid]
            signature = (*cluster.header_signature(), meta["name"], meta["version"], meta["running"])
            if self._saved_clusters.get(cid) != signature:
                persist.Database.put_cluster(tx, cid, {**meta, "state": cluster.header_state()})
                self._saved_clusters[cid] = signature
            persist.Database.put_objects(tx, cid, cluster.store.take_dirty())
        if self._saved_log < len(self._log):
            tx.executemany("INSERT OR REPLACE INTO log VALUES (?, ?)", (
                (i, json.dumps(e, separators=(",", ":"))) for i, e in enumerate(self._log[self._saved_log:],
                                                                                   self._saved_log)))
            self._saved_log = len(self._log)

    # ----------------------------------------------------------------- internals
    def _add_cluster(
        self, cluster_id: str, name: str, version: str, running: bool, state: dict[str, Any] | None
    ) -> ClusterSimulator:
        cluster = ClusterSimulator(
            name,
            version,
            self.clock,
            lock=self._lock,
            ip_allocator=self._allocate_ip,
            on_mutation=lambda: self._kube_mutated(name),
            log=lambda entry: self._logged(name, entry),
            behaviour=ClusterBehaviour(**self._behaviour_for(name)),
            state=state,
        )
        self._clusters[cluster_id] = cluster
        self._meta[cluster_id] = {"name": name, "version": version, "running": running}
        return cluster

    def _behaviour_for(self, name: str) -> dict[str, Any]:
        merged = dict(_DEFAULT_BEHAVIOUR)
        merged.update({k: v for k, v in self._behaviour["default"].items() if v is not None})
        overrides = self._behaviour["clusters"].get(name) or {}
        merged.update({k: v for k, v in overrides.items() if v is not None})
        merged["broken_images"] = list(merged["broken_images"])
        return merged

    def _allocate_ip(self) -> str:
        with self._lock:
            n = self._ip["next"]
            if n >= _IPS_PER_WORLD:
                raise WorldError("the simulated world ran out of LoadBalancer addresses")
            self._ip["next"] = n + 1
            third, fourth = divmod(n, 254)
            return f"127.{self._ip['octet']}.{third}.{fourth + 1}"

    def _start_serving(self) -> None:
        with self._lock:
            self._serving = True
            mock = _LockedRequestsMock(self._lock)
            self.arm.install(mock)
            mock.add_passthru(_NOT_ARM)
            mock.start()
            self._mock = mock
            for cid, meta in self._meta.items():
                self._sync_aad(cid)
                if meta["running"] and not self._clusters[cid].running:
                    self._clusters[cid].start(serve=False)  # its API server listens once someone asks for it
            self._entry.start()
            self._dns.start()

    def _stop_serving(self) -> None:
        with self._lock:
            self._serving = False
            self._entry.stop()
            self._dns.stop()
            for cluster in self._clusters.values():
                if cluster.running:
                    cluster.close()
            if self._mock is not None:
                self._mock.stop(allow_assert=False)
                self._mock.reset()
                self._mock = None

    def _on_clock(self, old: datetime, new: datetime) -> None:
        with self._lock:
            self.arm.settle()
            for cid, cluster in list(self._clusters.items()):
                if self._meta[cid]["running"]:
                    cluster.on_clock(old, new)

    def _advanced(self) -> None:
        if not self._quiet:
            self.persist(arm=self.arm.settled_generation != self._saved_settled)

    def _arm_mutated(self, api: str) -> None:
        self._count(api)

    def _kube_mutated(self, name: str) -> None:
        self._count(f"kubernetes/{name}")

    def _logged(self, name: str, entry: dict[str, Any]) -> None:
        with self._lock:
            when = entry.get("time")
            if isinstance(when, str) and when.endswith("+00:00"):
                when = when[: -len("+00:00")] + "Z"
            self._log.append({**entry, "time": when, "seq": len(self._log) + 1, "cluster": name})

    def _changed(self) -> None:
        if not self._quiet:
            self.persist()

    def _count(self, api: str) -> None:
        if self._quiet:
            return
        with self._lock:
            self._mutations[api] = self._mutations.get(api, 0) + 1
            crash = self._crash
            if crash and not crash["consumed"]:
                crash["remaining"] -= 1
                if crash["remaining"] <= 0:
                    crash["consumed"] = True
                    self.persist(arm=not api.startswith("kubernetes/"))
                    os.kill(os.getpid(), signal.SIGKILL)
            self.persist(arm=not api.startswith("kubernetes/"))


def _pool_wire(pool: Any, subnet_id: str | None) -> dict[str, Any]:
    """A node pool of the spec in ARM's wire form (agentPoolProfiles[])."""
    wire: dict[str, Any] = {"name": pool.name, "count": pool.count, "vmSize": pool.vm_size,
                            "maxPods": pool.max_pods, "mode": pool.mode, "osType": "Linux"}
    if subnet_id:
        wire["vnetSubnetID"] = subnet_id
    return wire


def _check_target(directory: Path, replace: bool) -> None:
    if not directory.exists():
        return
    if not directory.is_dir():
        raise WorldError(f"{directory} exists and is not a directory")
    if persist.is_world(directory):
        if not replace:
            raise WorldError(f"{directory} already holds a simulated world (replace it explicitly)")
        return
    if any(p.name != persist.LOCK_FILE for p in directory.iterdir()):
        raise WorldError(f"{directory} is not empty and is not a simulated world; refusing to write there")


def _initial_state(spec: SimulationSpec) -> dict[str, Any]:
    rng = random.SystemRandom()
    return {
        "subscription_id": spec.subscription_id,
        "clock": _iso(spec.start),
        # A random /16 inside 127/8 (never 127.0.x.x) and a random start in it, so parallel worlds don't collide.
        "ip": {"octet": rng.randint(1, 254), "next": rng.randrange(0, _IPS_PER_WORLD - 4096)},
        "behaviour": {
            "default": _behaviour_dict(spec.behaviour),
            "clusters": {name: _behaviour_dict(b) for name, b in spec.cluster_behaviour.items()},
        },
        "log": [],
        "mutations": {},
        "crash": None,
    }


def _behaviour_dict(spec: ClusterBehaviourSpec) -> dict[str, Any]:
    return spec.model_dump()


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _resource_group(cluster_id: str) -> str | None:
    parts = cluster_id.split("/")
    lowered = [p.lower() for p in parts]
    return parts[lowered.index("resourcegroups") + 1] if "resourcegroups" in lowered else None


def _object_view(summary: dict[str, Any]) -> dict[str, Any]:
    keys = ("kind", "namespace", "name", "replicas", "ready", "suspend")
    return {k: summary.get(k) for k in keys}


def _weight_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": row.get("kind"),
        "profile": row.get("profile"),
        "group": row.get("originGroup"),
        "name": row.get("endpoint", row.get("origin")),
        "target": row.get("target"),
        "weight": row.get("weight"),
        "enabled": row.get("enabled"),
    }


def _record_view(record: dict[str, Any]) -> dict[str, Any]:
    keys = ("zone", "private", "name", "type", "values", "ttl", "etag")
    return {k: record.get(k) for k in keys}


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
