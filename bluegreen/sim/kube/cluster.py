"""One simulated AKS cluster: API server, controllers, cron, LoadBalancer sockets, power.

The world (another module) owns the clock, the lock and persistence; this
class owns everything inside the cluster. State round-trips through
`to_state()` / `ClusterSimulator(state=...)` so successive CLI runs share it.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import secrets
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import yaml

from bluegreen.clock import Clock

from .api import ApiCore, ApiError, iso
from .apis import ApiTable, parse_minor
from .behaviour import ClusterBehaviour
from .controllers import Controllers
from .cron import CronController, raise_seq_floor
from .ingress import IngressBindError, IngressServers
from .server import ApiServer
from .store import Store
from .tls import make_certificate

__all__ = ["ClusterBehaviour", "ClusterSimulator", "IngressBindError", "ApiError"]

SEED_MANAGER = "bluegreen-sim-seed"
_SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"]
_SUMMARY_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "CronJob", "Job", "Service"}


def _store_group(obj: dict) -> str:
    return obj.get("apiVersion", "").rpartition("/")[0]


class ClusterSimulator:
    def __init__(self, name: str, version: str, clock: Clock, *, lock: threading.RLock,
                 ip_allocator: Callable[[], str], on_mutation: Callable[[], None] | None = None,
                 log: Callable[[dict], None] | None = None,
                 behaviour: ClusterBehaviour | None = None, state: dict | None = None) -> None:
        self.name = name
        self.version = version
        self.clock = clock
        self.lock = lock
        self.ip_allocator = ip_allocator
        self.on_mutation = on_mutation
        if behaviour is None and state is not None and state.get("behaviour"):
            behaviour = ClusterBehaviour(**state["behaviour"])
        self.behaviour = behaviour or ClusterBehaviour()
        self.table = ApiTable(parse_minor(version))
        self.store = Store(lock)
        self.token = secrets.token_hex(24)
        self.tls_cert, self.tls_key = "", ""
        self.mutation_count = 0
        self.running = False
        self.aad_token: str | None = None  # set by the world for AAD-integrated clusters
        self.throttles_left = self.behaviour.throttle_writes
        self.was_running = False  # from restored state: the world decides whether to start()
        self._server: ApiServer | None = None
        self._url = ""
        self._counters = {"clusterIP": 10, "nodePort": 30000, "podIP": 10}
        self.api = ApiCore(self.store, self.table, clock, self._allocate)
        self.controllers = Controllers(self.store, clock, self.behaviour, ip_allocator, self._pod_ip)
        self.api.stuck_finalizers = frozenset(self.behaviour.stuck_finalizers)
        self.controllers.finish_deletions = self.api.finish_deletions
        self.api.wake = self.controllers.wake
        # The store's resourceVersion when the controllers last settled (-1: not settled); with it unchanged and
        # nothing waiting on time, a clock step has nothing to do here (a fleet world steps hundreds of clusters).
        self._settled_rv = -1
        self.controllers.lagging = self.api.lagging
        self.cron = CronController(name, self.store, clock, self.controllers, log)
        self.ingress = IngressServers(name, self.store, lock)
        with lock:
            if state is not None:
                self._restore(state)
            else:
                self._seed()
            if not self.tls_cert:
                self.tls_cert, self.tls_key = make_certificate(name)

    # --- allocation -----------------------------------------------------------------------
    def _allocate(self, what: str) -> str:
        n = self._counters[what]
        self._counters[what] = n + 1
        if what == "clusterIP":
            return f"10.0.{n // 250}.{n % 250 + 1}"
        return str(n)

    def _pod_ip(self) -> str:
        n = self._counters["podIP"]
        self._counters["podIP"] = n + 1
        return f"10.244.{n // 250}.{n % 250 + 1}"

    # --- seeding and state ----------------------------------------------------------------
    def _seed(self) -> None:
        ns_res = self.table.lookup("", "v1", "namespaces")
        assert ns_res is not None
        for ns in _SYSTEM_NAMESPACES:
            self.api.create(ns_res, None, {"metadata": {"name": ns}}, "kube-apiserver")
        svc = self.table.lookup("", "v1", "services")
        assert svc is not None
        self.api.create(svc, "default", {"metadata": {"name": "kubernetes", "labels": {
            "component": "apiserver", "provider": "kubernetes"}}, "spec": {"clusterIP": "10.0.0.1", "ports": [
                {"name": "https", "port": 443, "targetPort": 443}]}}, "kube-apiserver")
        suffix = f"{int(hashlib.sha256(self.name.encode()).hexdigest(), 16) % 10**8:08d}"
        for i in range(self.behaviour.node_count):
            self.store.put("", self._node(f"aks-nodepool1-{suffix}-vmss{i:06d}"))
        self._service_accounts()

    def _node(self, name: str) -> dict:
        patch = self.version.lstrip("v").split(".")
        kubelet = f"v{patch[0]}.{patch[1]}.{patch[2] if len(patch) > 2 else 0}"
        now = iso(self.clock)
        return {"apiVersion": "v1", "kind": "Node", "metadata": {
            "name": name, "uid": str(uuid.uuid4()), "creationTimestamp": now, "labels": {
                "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "agentpool": "nodepool1",
                "node.kubernetes.io/instance-type": "Standard_D4s_v5"}},
            "spec": {"providerID": f"azure:///subscriptions/sim/{name}"},
            "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                       "lastTransitionTime": now}],
                       "nodeInfo": {"kubeletVersion": kubelet, "kubeProxyVersion": kubelet,
                                    "osImage": "Ubuntu 22.04.4 LTS", "operatingSystem": "linux",
                                    "architecture": "amd64", "kernelVersion": "5.15.0-1064-azure",
                                    "containerRuntimeVersion": "containerd://1.7.15",
                                    "machineID": hashlib.md5(name.encode()).hexdigest(),
                                    "systemUUID": str(uuid.uuid5(uuid.NAMESPACE_DNS, name)),
                                    "bootID": str(uuid.uuid5(uuid.NAMESPACE_URL, name))},
                       "capacity": {"cpu": "4", "memory": "16393244Ki", "pods": "30"},
                       "allocatable": {"cpu": "3860m", "memory": "12880412Ki", "pods": "30"},
                       "addresses": [{"type": "Hostname", "address": name},
                                     {"type": "InternalIP", "address": f"10.224.0.{4 + int(name[-2:])}"}]}}

    def _service_accounts(self) -> None:
        """Every namespace gets its `default` ServiceAccount, as the token controller does."""
        for ns in self.store.select("", "Namespace"):
            name = ns["metadata"]["name"]
            if self.store.peek(("", "ServiceAccount", name, "default")) is None:
                self.store.put("", {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {
                    "name": "default", "namespace": name, "uid": str(uuid.uuid4()),
                    "creationTimestamp": iso(self.clock)}})
            if self.store.peek(("", "ConfigMap", name, "kube-root-ca.crt")) is None:
                # The root CA publisher puts the cluster's CA in every namespace (this cluster's own).
                self.store.put("", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
                    "name": "kube-root-ca.crt", "namespace": name, "uid": str(uuid.uuid4()),
                    "creationTimestamp": iso(self.clock),
                    "annotations": {"kubernetes.io/description": "Contains a CA bundle that can be used to verify "
                                    "the kube-apiserver when using internal endpoints such as the internal "
                                    "service IP or kubernetes.default.svc. No other usage is guaranteed across "
                                    "distributions of Kubernetes clusters."}},
                    "data": {"ca.crt": self.tls_cert}})

    def to_state(self) -> dict:
        with self.lock:
            return {**self.header_state(), "objects": self.objects()}

    def header_state(self) -> dict:
        """Everything but the objects (which the world saves one row each, as they change)."""
        with self.lock:
            return {"name": self.name, "version": self.version, "token": self.token,
                    "tls_cert": self.tls_cert, "tls_key": self.tls_key, "rv": self.store.rv,
                    "counters": dict(self._counters),
                    "mutation_count": self.mutation_count, "running": self.running,
                    "last_seq": self.cron.last_seq, "behaviour": self.behaviour.to_dict(),
                    "throttles_left": self.throttles_left}

    def header_signature(self) -> tuple:
        """Cheap: changes whenever `header_state()` may have (the world skips unchanged clusters)."""
        return (self.store.rv, self.mutation_count, self.running, self.cron.last_seq, self.throttles_left,
                self.version, tuple(self._counters.values()))

    def _restore(self, state: dict) -> None:
        self.token = state["token"]
        self.tls_cert, self.tls_key = state.get("tls_cert", ""), state.get("tls_key", "")
        self.store.rv = state["rv"]
        for obj in state["objects"]:
            meta = obj["metadata"]
            self.store.objects[(_store_group(obj), obj["kind"], meta.get("namespace") or "", meta["name"])] = \
                copy.deepcopy(obj)
        self._counters.update(state.get("counters") or {})
        self.mutation_count = state.get("mutation_count", 0)
        self.was_running = bool(state.get("running"))
        self.cron.last_seq = state.get("last_seq", 0)
        self.throttles_left = state.get("throttles_left", self.throttles_left)
        raise_seq_floor(self.cron.last_seq)
        self.api.refresh_crds()

    def upgrade(self, version: str) -> None:
        """The control plane now runs `version`: it serves that release's APIs and the nodes report its kubelet.

        Stored objects stay as they are, as on a real upgrade; the server keeps its address and token."""
        with self.lock:
            self.version = version
            self.table = ApiTable(parse_minor(version))
            self.api.table = self.table
            self.api.refresh_crds()
            kubelet = "v" + ".".join((version.lstrip("v").split(".") + ["0"])[:3])
            for node in self.store.select("", "Node"):
                upgraded = copy.deepcopy(node)
                info = upgraded.setdefault("status", {}).setdefault("nodeInfo", {})
                info["kubeletVersion"] = info["kubeProxyVersion"] = kubelet
                self.store.put("", upgraded)

    # --- serving --------------------------------------------------------------------------
    @property
    def server_url(self) -> str:
        if not self.running:
            raise RuntimeError(f"cluster {self.name} is stopped")
        self._ensure_server()
        return self._url

    @property
    def serving(self) -> bool:
        """Whether the API server listens (it starts on first use: a fleet of 600 idle servers would not)."""
        return self._server is not None

    def _ensure_server(self) -> None:
        with self.lock:
            if self.running and self._server is None:
                self._server = ApiServer(self)
                self._url = self._server.url

    @property
    def port(self) -> int:
        return self._server.port if self._server else 0

    @property
    def ingress_errors(self) -> list[str]:
        return sorted(self.ingress.errors.values())

    def start(self, *, serve: bool = True) -> None:
        """Power on: controllers resume, LoadBalancer sockets bind again, and (now, or on first use when
        `serve` is false) the API server listens on a new port."""
        with self.lock:
            if self.running:
                return
            self.running = True
            self._settled_rv = -1
            if serve:
                self._ensure_server()
            self.controllers.reconcile()
            problems = self.ingress.sync(self._lb_event)
        if problems:
            raise IngressBindError("; ".join(problems))

    def stop(self) -> None:
        """Power off like AKS stop: sockets close, every pod is gone (controllers recreate them on start)."""
        self._shut_down(remove_pods=True)

    def close(self) -> None:
        """Close the sockets because the world is closing (it has saved its state): not a power-off, so the
        stored objects stay as they are and nothing is written or recorded for them."""
        self._shut_down(remove_pods=False)

    def _shut_down(self, *, remove_pods: bool) -> None:
        with self.lock:
            if not self.running:
                return
            self.running = False
            server, self._server = self._server, None
            self.ingress.close_all()
            for pod in self.store.select("", "Pod") if remove_pods else ():
                meta = pod["metadata"]
                self.store.remove(("", "Pod", meta["namespace"], meta["name"]))
        if server is not None:
            server.close()

    def take_throttle(self) -> bool:
        """Whether this write is turned away with 429 (one of the configured throttled writes)."""
        with self.lock:
            if self.throttles_left <= 0:
                return False
            self.throttles_left -= 1
            return True

    def accepts(self, authorization: str) -> bool:
        """The cluster's own (local account) token, or the Entra ID token of an AAD-integrated cluster."""
        if authorization == f"Bearer {self.token}":
            return True
        return self.aad_token is not None and authorization == f"Bearer {self.aad_token}"

    def kubeconfig(self, user: str = "clusterUser") -> bytes:
        self._ensure_server()
        user_name = f"{user}_{self.name}"
        doc = {"apiVersion": "v1", "kind": "Config", "preferences": {},
               "clusters": [{"name": self.name, "cluster": {
                   "server": self._url or "https://127.0.0.1:1",
                   "certificate-authority-data": base64.b64encode(self.tls_cert.encode()).decode()}}],
               "users": [{"name": user_name, "user": {"token": self.token}}],
               "contexts": [{"name": self.name, "context": {"cluster": self.name, "user": user_name}}],
               "current-context": self.name}
        # libyaml's emitter where PyYAML has it: AKS hands out a kubeconfig per session, hundreds in a fleet
        return yaml.dump(doc, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False).encode()

    # --- time and writes ------------------------------------------------------------------
    def catch_up(self) -> None:
        """Run the controllers a spec change left pending (a client watching sees them work)."""
        with self.lock:
            if self.api.lagging:
                self.api.lagging.clear()
                self.reconcile()

    def reconcile(self) -> None:
        with self.lock:
            if not self.running:
                return
            self._service_accounts()
            settled = self.controllers.reconcile()
            self.ingress.sync(self._lb_event)
            self._settled_rv = self.store.rv if settled and not self.api.lagging else -1

    def on_clock(self, old: datetime, new: datetime) -> None:
        """Controllers and cron for (old, new]; a stopped cluster does nothing, a settled one only runs cron."""
        with self.lock:
            if not self.running:
                return
            wake = self.controllers.wake_at
            if not self.api.lagging and self.store.rv == self._settled_rv and (wake is None or new < wake):
                self.cron.run()
                if self.store.rv == self._settled_rv:
                    return  # no object changed and no check waits on time before `new`: reconciling changes nothing
            self.api.lagging.clear()  # time passed: the controllers have seen every spec change
            self.controllers.reconcile()
            self.cron.run()
            self.reconcile()

    def _after_mutation(self) -> None:
        """After a write the control plane catches up, except with workloads whose spec it changed."""
        self.mutation_count += 1
        if not self.behaviour.controller_lag:
            self.api.lagging.clear()
        self.reconcile()
        if self.on_mutation is not None:
            self.on_mutation()

    def _lb_event(self, key: tuple[str, str, str, int], message: str) -> None:
        ns, name, _, _ = key
        now = iso(self.clock)
        self.store.put("", {"apiVersion": "v1", "kind": "Event", "metadata": {
            "name": f"{name}.{uuid.uuid4().hex[:16]}", "namespace": ns, "uid": str(uuid.uuid4()),
            "creationTimestamp": now},
            "involvedObject": {"kind": "Service", "namespace": ns, "name": name, "apiVersion": "v1"},
            "reason": "SyncLoadBalancerFailed", "message": message, "type": "Warning", "count": 1,
            "firstTimestamp": now, "lastTimestamp": now, "source": {"component": "service-controller"}})

    def load_objects(self, objects: list[dict]) -> None:
        """Seed without HTTP: server-side apply (forced, manager `bluegreen-sim-seed`), then reconcile."""
        order = {"Namespace": 0, "CustomResourceDefinition": 0}
        with self.lock:
            for obj in sorted(objects, key=lambda o: order.get(o.get("kind", ""), 1)):
                res = self.table.by_kind(obj.get("apiVersion", ""), obj.get("kind", ""))
                if res is None:
                    raise ApiError(404, "NotFound", f"no resource for {obj.get('apiVersion')} {obj.get('kind')} "
                                   f"on Kubernetes {self.version}")
                meta = obj.get("metadata") or {}
                ns = (meta.get("namespace") or "default") if res.namespaced else None
                self.api.apply(res, ns, meta.get("name", ""), obj, SEED_MANAGER, force=True)
            self._service_accounts()
            # Seeded objects have existed for a while: their LoadBalancer IPs exist before the world resolves
            # records that point at them; sockets open only while the cluster serves.
            self.controllers.load_balancers(immediately=True)
            self.controllers.reconcile()
            self._age_seeded_pods()
            if self.running:
                problems = self.ingress.sync(self._lb_event)
                if problems:
                    raise IngressBindError("; ".join(problems))

    def _age_seeded_pods(self) -> None:
        """Seeded workloads have been running for a while: their pods start out Running and Ready."""
        born = (self.clock.now() - timedelta(seconds=self.behaviour.pod_ready_seconds + 1)).strftime(
            "%Y-%m-%dT%H:%M:%SZ")
        for pod in self.store.select("", "Pod"):
            if pod["metadata"].get("creationTimestamp", "") > born:
                aged = copy.deepcopy(pod)
                aged["metadata"]["creationTimestamp"] = born
                self.store.put("", aged)
        self.controllers.reconcile()

    # --- inspection -----------------------------------------------------------------------
    def objects(self) -> list[dict]:
        with self.lock:
            return [copy.deepcopy(o) for _, o in sorted(self.store.objects.items())]

    def summary(self) -> list[dict]:
        out = []
        with self.lock:
            for (_, kind, ns, name), obj in sorted(self.store.objects.items()):
                if kind not in _SUMMARY_KINDS:
                    continue
                spec, status = obj.get("spec") or {}, obj.get("status") or {}
                ready = status.get("readyReplicas", status.get("numberReady"))
                if kind == "Job":
                    ready = status.get("succeeded", 0)
                out.append({"kind": kind, "namespace": ns, "name": name,
                            "replicas": spec.get("replicas", status.get("desiredNumberScheduled")),
                            "ready": ready, "suspend": spec.get("suspend") if kind == "CronJob" else None})
        return out
