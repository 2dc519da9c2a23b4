"""Workload controllers on simulated time: Deployments -> ReplicaSets -> Pods, StatefulSets,
DaemonSets, Jobs, PVC binding and LoadBalancer addresses.

Pod state is a pure function of the pod's age and image, so the result only
depends on simulated time, never on how often reconcile runs.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from bluegreen.clock import Clock

from .api import LB_CLEANUP, PVC_PROTECTION, iso, mark_terminating, rand_suffix, terminating
from .behaviour import ClusterBehaviour
from .selectors import match_label_selector_object
from .store import Key, Store

_BACKOFF = [10, 20, 40, 80, 160]  # then 300 s between restarts, as the kubelet does


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def template_hash(template: dict) -> str:
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    return "".join(alphabet[int(digest[i : i + 2], 16) % len(alphabet)] for i in range(0, 20, 2))


def restarts_after(seconds: float) -> int:
    count, t = 0, 0.0
    while True:
        t += _BACKOFF[count] if count < len(_BACKOFF) else 300
        if t > seconds:
            return count + 1
        count += 1


def owner_ref(obj: dict) -> dict:
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": obj["metadata"]["name"],
            "uid": obj["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}


def owned_by(obj: dict, owner: dict) -> bool:
    uid = owner["metadata"]["uid"]
    return any(r.get("uid") == uid and r.get("controller") for r in obj["metadata"].get("ownerReferences") or [])


def _scaled(value: object, desired: int, round_up: bool) -> int:
    if isinstance(value, str) and value.endswith("%"):
        exact = desired * int(value[:-1]) / 100
        return math.ceil(exact) if round_up else math.floor(exact)
    return int(value)  # type: ignore[call-overload]


def surge_and_unavailable(spec: dict, desired: int) -> tuple[int, int]:
    """maxSurge (rounded up) and maxUnavailable (rounded down); both 0 means one may be unavailable."""
    rolling = (spec.get("strategy") or {}).get("rollingUpdate") or {}
    surge = _scaled(rolling.get("maxSurge", "25%"), desired, True)
    unavailable = _scaled(rolling.get("maxUnavailable", "25%"), desired, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def _max_unavailable(spec: dict, desired: int) -> int:
    return surge_and_unavailable(spec, desired)[1]


class Controllers:
    def __init__(self, store: Store, clock: Clock, behaviour: ClusterBehaviour,
                 ip_allocator: Callable[[], str], pod_ip: Callable[[], str]) -> None:
        self.store = store
        self.clock = clock
        self.behaviour = behaviour
        self.ip_allocator = ip_allocator
        self.pod_ip = pod_ip
        self.finish_deletions: Callable[[], None] = lambda: None  # the API server's garbage collector
        self.lagging: set[Key] = set()  # workloads whose new spec the controllers have not seen yet
        # The earliest moment a check of the last reconcile would answer differently (a pod's readiness,
        # minReadySeconds, a progress deadline, a load balancer's address, a pod's grace period); None: no
        # check waits on time. Until then, with no object changed, reconciling again changes nothing.
        self.wake_at: datetime | None = None

    def wake(self, when: datetime) -> None:
        """Note a moment at which a time-based check flips (see `wake_at`)."""
        if self.wake_at is None or when < self.wake_at:
            self.wake_at = when

    # --- helpers ----------------------------------------------------------------------------
    @staticmethod
    def _key(obj: dict) -> Key:
        meta = obj["metadata"]
        return ("apps", obj["kind"], meta.get("namespace") or "", meta["name"])

    def _new_meta(self, name: str, namespace: str, labels: dict, owner: dict | None,
                  annotations: dict | None = None) -> dict:
        meta: dict = {"name": name, "namespace": namespace, "labels": dict(labels),
                      "uid": str(uuid.uuid4()), "creationTimestamp": iso(self.clock), "generation": 1}
        if annotations:
            meta["annotations"] = dict(annotations)
        if owner is not None:
            meta["ownerReferences"] = [owner_ref(owner)]
        return meta

    def _put_if_changed(self, group: str, old: dict, new: dict) -> None:
        if old != new:
            self.store.put(group, new)

    def _set_status(self, group: str, obj: dict, status: dict) -> None:
        if obj.get("status") != status:
            new = copy.deepcopy(obj)
            new["status"] = status
            self.store.put(group, new)

    def _pods(self, namespace: str) -> list[dict]:
        """Pods that count for their controllers: Terminating ones are on their way out."""
        return [p for p in self.store.select("", "Pod", namespace) if not terminating(p)]

    def _terminate(self, pod: dict) -> None:
        lingering = mark_terminating(pod, self.clock)
        meta = pod["metadata"]
        if lingering is None:
            self.store.remove(("", "Pod", meta["namespace"], meta["name"]))
        elif lingering is not pod:
            self.store.put("", lingering)

    def nodes(self) -> list[str]:
        return [n["metadata"]["name"] for n in self.store.select("", "Node")]

    def _create_pod(self, name: str, namespace: str, template: dict, owner: dict | None,
                    extra_labels: dict, restart: str | None = None) -> None:
        labels = dict((template.get("metadata") or {}).get("labels") or {})
        labels.update(extra_labels)
        meta = self._new_meta(name, namespace, labels, owner, (template.get("metadata") or {}).get("annotations"))
        meta.pop("generation")
        spec = copy.deepcopy(template.get("spec") or {})
        if restart:
            spec["restartPolicy"] = restart
        nodes = self.nodes()
        if nodes and not spec.get("nodeName"):
            spec["nodeName"] = nodes[sum(map(ord, name)) % len(nodes)]
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec,
               "status": {"phase": "Pending", "podIP": self.pod_ip(), "qosClass": "BestEffort"}}
        pod["status"] = self.pod_status(pod)
        self.store.put("", pod)

    # --- pods -------------------------------------------------------------------------------
    def pod_status(self, pod: dict) -> dict:
        now = self.clock.now()
        age = (now - parse_time(pod["metadata"]["creationTimestamp"])).total_seconds()
        spec = pod.get("spec") or {}
        containers = spec.get("containers") or []
        broken = [c for c in containers if self.behaviour.is_broken(c.get("image", ""))]
        old = pod.get("status") or {}
        ready_after = self.behaviour.pod_ready_seconds
        is_job = any(r.get("kind") == "Job" for r in pod["metadata"].get("ownerReferences") or [])
        started = age >= ready_after
        born = now - timedelta(seconds=age)
        if not started:
            self.wake(born + timedelta(seconds=ready_after))
        elif broken and spec.get("restartPolicy") != "Never":
            self.wake(now)  # its restart count grows with time: every step changes it
        elif is_job and age < self.behaviour.job_seconds:
            self.wake(born + timedelta(seconds=self.behaviour.job_seconds))
        status: dict = {"podIP": old.get("podIP"), "podIPs": [{"ip": old.get("podIP")}],
                        "hostIP": "10.224.0.4", "qosClass": old.get("qosClass", "BestEffort"),
                        "startTime": pod["metadata"]["creationTimestamp"]}
        start_iso = pod["metadata"]["creationTimestamp"]
        cstatuses = []
        phase, ready = "Pending", False
        if broken and started:
            never = spec.get("restartPolicy") == "Never"
            phase = "Failed" if never else "Running"
            for c in containers:
                bad = c in broken
                state = ({"terminated": {"exitCode": 1, "reason": "Error", "startedAt": start_iso,
                                         "finishedAt": start_iso}} if bad and never else
                         {"waiting": {"reason": "CrashLoopBackOff",
                                      "message": f"back-off restarting failed container {c.get('name')}"}}
                         if bad else {"running": {"startedAt": start_iso}})
                cstatuses.append({"name": c.get("name"), "image": c.get("image"), "imageID": "",
                                  "ready": False, "started": not bad,
                                  "restartCount": 0 if never or not bad else restarts_after(age - ready_after),
                                  "state": state})
        elif is_job and age >= self.behaviour.job_seconds and started:
            phase = "Succeeded"
            for c in containers:
                cstatuses.append({"name": c.get("name"), "image": c.get("image"), "imageID": "", "ready": False,
                                  "started": False, "restartCount": 0,
                                  "state": {"terminated": {"exitCode": 0, "reason": "Completed",
                                                           "startedAt": start_iso, "finishedAt": iso(self.clock)}}})
        elif started:
            phase, ready = "Running", True
            for c in containers:
                cstatuses.append({"name": c.get("name"), "image": c.get("image"), "imageID": "", "ready": True,
                                  "started": True, "restartCount": 0, "state": {"running": {"startedAt": start_iso}}})
        else:
            for c in containers:
                cstatuses.append({"name": c.get("name"), "image": c.get("image"), "imageID": "", "ready": False,
                                  "started": False, "restartCount": 0,
                                  "state": {"waiting": {"reason": "ContainerCreating"}}})
        # Checked when containers start: running ones keep running if a ConfigMap or Secret goes away later.
        missing = self.missing_references(pod) if started and not broken and old.get("phase") != "Running" else []
        if missing:
            # The kubelet cannot start containers whose env or volumes name what does not exist.
            phase, ready = "Pending", False
            env_problem = [m for m in missing if m.startswith("env:")]
            reason = "CreateContainerConfigError" if env_problem else "ContainerCreating"
            message = "; ".join(m.split(":", 1)[1].strip() for m in missing)
            cstatuses = [{"name": c.get("name"), "image": c.get("image"), "imageID": "", "ready": False,
                          "started": False, "restartCount": 0,
                          "state": {"waiting": {"reason": reason, "message": message}}} for c in containers]
        status["phase"] = phase
        flag = "True" if ready else "False"
        ready_iso = start_iso
        if ready:
            became = parse_time(start_iso) + timedelta(seconds=ready_after)
            ready_iso = min(became, now).strftime("%Y-%m-%dT%H:%M:%SZ")
        status["conditions"] = [
            {"type": "PodScheduled", "status": "True", "lastTransitionTime": start_iso},
            {"type": "Initialized", "status": "True", "lastTransitionTime": start_iso},
            {"type": "ContainersReady", "status": flag, "lastTransitionTime": ready_iso},
            {"type": "Ready", "status": flag, "lastTransitionTime": ready_iso},
        ]
        status["containerStatuses"] = cstatuses
        if phase == "Pending":
            status.pop("startTime")
        return status

    def missing_references(self, pod: dict) -> list[str]:
        """ConfigMaps, Secrets and keys a pod's env and volumes name that are not there ("env: ..."/"volume: ...")."""
        ns = pod["metadata"]["namespace"]
        spec = pod.get("spec") or {}

        def data(kind: str, name: str) -> dict | None:
            obj = self.store.peek(("", kind, ns, name))
            if obj is None:
                return None
            return {**(obj.get("data") or {}), **(obj.get("binaryData") or {}), **(obj.get("stringData") or {})}

        out: list[str] = []
        for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
            for src in c.get("envFrom") or []:
                for key, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                    ref = src.get(key)
                    if ref and not ref.get("optional") and data(kind, ref.get("name", "")) is None:
                        out.append(f'env: {kind.lower()} "{ref.get("name")}" not found')
            for env in c.get("env") or []:
                source = env.get("valueFrom") or {}
                for key, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                    ref = source.get(key)
                    if not ref or ref.get("optional"):
                        continue
                    values = data(kind, ref.get("name", ""))
                    if values is None:
                        out.append(f'env: {kind.lower()} "{ref.get("name")}" not found')
                    elif ref.get("key") not in values:
                        out.append(f'env: couldn\'t find key {ref.get("key")} in {kind} {ns}/{ref.get("name")}')
        for volume in spec.get("volumes") or []:
            for key, kind, field in (("configMap", "ConfigMap", "name"), ("secret", "Secret", "secretName")):
                ref = volume.get(key)
                if ref and not ref.get("optional") and data(kind, ref.get(field, "")) is None:
                    out.append(f'volume: MountVolume.SetUp failed for volume "{volume.get("name")}": '
                               f'{kind.lower()} "{ref.get(field)}" not found')
        return sorted(set(out))

    def pod_available(self, pod: dict, min_ready_seconds: int) -> bool:
        """Ready for at least minReadySeconds, as the ReplicaSet controller counts available pods."""
        if not self.pod_ready(pod):
            return False
        if not min_ready_seconds:
            return True
        since = next((c.get("lastTransitionTime") for c in pod["status"].get("conditions") or []
                      if c.get("type") == "Ready"), None)
        if since is None:
            return False
        available_at = parse_time(since) + timedelta(seconds=min_ready_seconds)
        if self.clock.now() < available_at:
            self.wake(available_at)
            return False
        return True

    @staticmethod
    def pod_ready(pod: dict) -> bool:
        return any(c.get("type") == "Ready" and c.get("status") == "True"
                   for c in (pod.get("status") or {}).get("conditions") or [])

    @staticmethod
    def pod_crashing(pod: dict) -> bool:
        return any("waiting" in (cs.get("state") or {}) and cs["state"]["waiting"].get("reason") == "CrashLoopBackOff"
                   for cs in (pod.get("status") or {}).get("containerStatuses") or [])

    def refresh_pods(self) -> None:
        for pod in self.store.select("", "Pod"):
            if terminating(pod):
                continue  # removed by the garbage collector once its grace period and finalizers are over
            if not (pod.get("status") or {}).get("podIP"):  # a bare Pod created through the API: it gets an IP
                pod = {**pod, "status": {"phase": "Pending", "qosClass": "BestEffort", **(pod.get("status") or {}),
                                         "podIP": self.pod_ip()}}
            if pod["status"].get("phase") in ("Succeeded", "Failed"):
                continue
            self._set_status("", pod, self.pod_status(pod))

    # --- replica sets -----------------------------------------------------------------------
    def replicasets(self) -> None:
        for rs in self.store.select("apps", "ReplicaSet"):
            if self._key(rs) in self.lagging:
                continue
            ns = rs["metadata"]["namespace"]
            spec = rs["spec"]
            pods = [p for p in self._pods(ns) if owned_by(p, rs)]
            desired = spec.get("replicas", 1)
            if len(pods) < desired:
                extra = {"pod-template-hash": rs["metadata"].get("labels", {}).get("pod-template-hash", "")}
                extra = {k: v for k, v in extra.items() if v}
                for _ in range(desired - len(pods)):
                    self._create_pod(f"{rs['metadata']['name']}-{rand_suffix()}", ns, spec["template"], rs, extra)
            elif len(pods) > desired:
                doomed = sorted(pods, key=lambda p: (self.pod_ready(p), p["metadata"]["creationTimestamp"]))
                for p in doomed[: len(pods) - desired]:
                    self._terminate(p)
            rs = self.store.peek(("apps", "ReplicaSet", ns, rs["metadata"]["name"])) or rs
            pods = [p for p in self._pods(ns) if owned_by(p, rs)]
            ready = sum(1 for p in pods if self.pod_ready(p))
            available = sum(1 for p in pods if self.pod_available(p, spec.get("minReadySeconds", 0)))
            status = {"replicas": len(pods), "fullyLabeledReplicas": len(pods), "readyReplicas": ready,
                      "availableReplicas": available, "observedGeneration": rs["metadata"].get("generation", 1)}
            self._set_status("apps", rs, {k: v for k, v in status.items() if v or k in ("replicas",
                                                                                        "observedGeneration")})

    # --- deployments ------------------------------------------------------------------------
    def deployments(self) -> None:
        for d in self.store.select("apps", "Deployment"):
            if self._key(d) not in self.lagging:
                self._deployment(d)

    def _deployment(self, d: dict) -> None:
        ns, name = d["metadata"]["namespace"], d["metadata"]["name"]
        spec = d["spec"]
        desired = spec.get("replicas", 1)
        h = template_hash(spec["template"])[:10]
        owned = [rs for rs in self.store.select("apps", "ReplicaSet", ns) if owned_by(rs, d)]
        new_rs = next((rs for rs in owned if rs["metadata"].get("labels", {}).get("pod-template-hash") == h), None)
        revision = 1 + max((int(rs["metadata"].get("annotations", {}).get("deployment.kubernetes.io/revision", 0))
                            for rs in owned), default=0)
        if new_rs is None:
            template = copy.deepcopy(spec["template"])
            template.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = h
            selector = copy.deepcopy(spec["selector"])
            selector.setdefault("matchLabels", {})["pod-template-hash"] = h
            labels = dict(template["metadata"]["labels"])
            meta = self._new_meta(f"{name}-{h}", ns, labels, d, {
                "deployment.kubernetes.io/desired-replicas": str(desired),
                "deployment.kubernetes.io/max-replicas": str(desired + 1),
                "deployment.kubernetes.io/revision": str(revision)})
            new_rs = self.store.put("apps", {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": meta,
                                             "spec": {"replicas": 0, "selector": selector, "template": template,
                                                      "minReadySeconds": spec.get("minReadySeconds", 0)}})
        olds = [rs for rs in owned if rs["metadata"]["uid"] != new_rs["metadata"]["uid"]]
        if new_rs["spec"].get("minReadySeconds", 0) != spec.get("minReadySeconds", 0):
            updated = copy.deepcopy(new_rs)
            updated["spec"]["minReadySeconds"] = spec.get("minReadySeconds", 0)
            new_rs = self.store.put("apps", updated)
        if spec.get("paused"):
            return
        if (spec.get("strategy") or {}).get("type") == "Recreate":
            old_pods_left = sum((rs.get("status") or {}).get("replicas", 0) for rs in olds)
            for rs in olds:
                self._scale(rs, 0)
            if old_pods_left == 0:
                self._scale(new_rs, desired)
        else:
            self._roll(desired, spec, new_rs, olds)
        if spec.get("paused"):
            return
        self._prune_history(olds, spec.get("revisionHistoryLimit", 10))

    def _roll(self, desired: int, spec: dict, new_rs: dict, olds: list[dict]) -> None:
        """One pass of the rolling update, within maxSurge and maxUnavailable (deployment/rolling.go)."""
        surge, unavailable = surge_and_unavailable(spec, desired)
        new_replicas = new_rs["spec"].get("replicas", 0)
        total = new_replicas + sum(rs["spec"].get("replicas", 0) for rs in olds)
        if new_replicas > desired:
            self._scale(new_rs, desired)
            return
        if new_replicas < desired and total < desired + surge:
            self._scale(new_rs, new_replicas + min(desired + surge - total, desired - new_replicas))
            return
        live_olds = [rs for rs in olds if rs["spec"].get("replicas", 0) > 0]
        if not live_olds:
            return
        min_available = desired - unavailable
        new_unavailable = new_replicas - (new_rs.get("status") or {}).get("availableReplicas", 0)
        budget = total - min_available - new_unavailable
        if budget <= 0:
            return
        live_olds.sort(key=lambda r: r["metadata"]["creationTimestamp"])
        replicas = {rs["metadata"]["uid"]: rs["spec"].get("replicas", 0) for rs in live_olds}
        # Old replicas that are not available go first: removing them costs no availability.
        for rs in live_olds:
            uid = rs["metadata"]["uid"]
            cut = min(budget, max(0, replicas[uid] - (rs.get("status") or {}).get("availableReplicas", 0)))
            replicas[uid] -= cut
            budget -= cut
        available = (new_rs.get("status") or {}).get("availableReplicas", 0) + sum(
            min(replicas[rs["metadata"]["uid"]], (rs.get("status") or {}).get("availableReplicas", 0))
            for rs in live_olds)
        budget = min(budget, available - min_available)
        for rs in live_olds:
            uid = rs["metadata"]["uid"]
            cut = min(max(budget, 0), replicas[uid])
            replicas[uid] -= cut
            budget -= cut
        for rs in live_olds:
            self._scale(rs, replicas[rs["metadata"]["uid"]])

    def _scale(self, rs: dict, replicas: int) -> None:
        if rs["spec"].get("replicas") != replicas:
            new = copy.deepcopy(rs)
            new["spec"]["replicas"] = replicas
            new["metadata"].setdefault("annotations", {})["deployment.kubernetes.io/desired-replicas"] = str(replicas)
            self.store.put("apps", new)

    def _prune_history(self, olds: list[dict], limit: int) -> None:
        idle = [rs for rs in olds if rs["spec"].get("replicas", 0) == 0 and not (rs.get("status") or {}).get(
            "replicas")]
        idle.sort(key=lambda r: r["metadata"]["creationTimestamp"])
        for rs in idle[: max(0, len(idle) - limit)]:
            self.store.remove(("apps", "ReplicaSet", rs["metadata"]["namespace"], rs["metadata"]["name"]))

    def deployment_status(self) -> None:
        for d in self.store.select("apps", "Deployment"):
            if self._key(d) in self.lagging:
                continue
            ns, spec = d["metadata"]["namespace"], d["spec"]
            desired = spec.get("replicas", 1)
            h = template_hash(spec["template"])[:10]
            owned = [rs for rs in self.store.select("apps", "ReplicaSet", ns) if owned_by(rs, d)]
            sts = [rs.get("status") or {} for rs in owned]
            new = [rs for rs in owned if rs["metadata"].get("labels", {}).get("pod-template-hash") == h]
            replicas = sum(s.get("replicas", 0) for s in sts)
            updated = sum((rs.get("status") or {}).get("replicas", 0) for rs in new)
            ready = sum(s.get("readyReplicas", 0) for s in sts)
            available = sum(s.get("availableReplicas", 0) for s in sts)
            old = d.get("status") or {}
            now = iso(self.clock)
            counts = {"replicas": replicas, "updatedReplicas": updated, "readyReplicas": ready,
                      "availableReplicas": available}
            status: dict = {"observedGeneration": d["metadata"].get("generation", 1),
                            **{k: v for k, v in counts.items() if v}}
            if desired - available > 0:
                status["unavailableReplicas"] = desired - available
            progressed = any(old.get(k, 0) != v for k, v in counts.items())
            complete = updated == desired and replicas == desired and available == desired
            avail_ok = available >= desired - _max_unavailable(spec, desired)
            prev = {c["type"]: c for c in old.get("conditions") or []}
            rs_name = new[0]["metadata"]["name"] if new else ""
            if complete:
                prog = ("True", "NewReplicaSetAvailable", f'ReplicaSet "{rs_name}" has successfully progressed.')
            else:
                last = prev.get("Progressing", {}).get("lastUpdateTime", now)
                deadline = spec.get("progressDeadlineSeconds", 600)
                stalled = not progressed and (self.clock.now() - parse_time(last)).total_seconds() > deadline
                if not stalled:
                    self.wake(parse_time(last) + timedelta(seconds=deadline, microseconds=1))
                prog = (("False", "ProgressDeadlineExceeded", f'ReplicaSet "{rs_name}" has timed out progressing.')
                        if stalled or prev.get("Progressing", {}).get("reason") == "ProgressDeadlineExceeded"
                        and not progressed else
                        ("True", "ReplicaSetUpdated", f'ReplicaSet "{rs_name}" is progressing.'))
            avail = (("True", "MinimumReplicasAvailable", "Deployment has minimum availability.") if avail_ok else
                     ("False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability."))
            conds = []
            for ctype, (st, reason, msg) in (("Available", avail), ("Progressing", prog)):
                p = prev.get(ctype)
                same = p is not None and p.get("status") == st and p.get("reason") == reason
                touched = ctype == "Progressing" and (progressed or not same)
                conds.append({"type": ctype, "status": st, "reason": reason, "message": msg,
                              "lastUpdateTime": now if (touched or p is None) else p.get("lastUpdateTime", now),
                              "lastTransitionTime": p.get("lastTransitionTime", now) if p and p.get("status") == st
                              else now})
            status["conditions"] = conds
            self._set_status("apps", d, status)

    # --- stateful sets ----------------------------------------------------------------------
    def statefulsets(self) -> None:
        for s in self.store.select("apps", "StatefulSet"):
            if self._key(s) not in self.lagging:
                self._statefulset(s)

    def _statefulset(self, s: dict) -> None:
        ns, name, spec = s["metadata"]["namespace"], s["metadata"]["name"], s["spec"]
        desired = spec.get("replicas", 1)
        revision = f"{name}-{template_hash(spec['template'])}"
        ordered = spec.get("podManagementPolicy", "OrderedReady") == "OrderedReady"
        pods = {p["metadata"]["name"]: p for p in self._pods(ns) if owned_by(p, s)}
        for i in range(desired):
            pod_name = f"{name}-{i}"
            for claim in spec.get("volumeClaimTemplates") or []:
                self._ensure_claim(claim, f"{claim['metadata']['name']}-{pod_name}", ns, spec)
            if pod_name in pods:
                continue
            if ordered and not all(self.pod_ready(pods[f"{name}-{j}"]) for j in range(i)):
                break
            self._create_pod(pod_name, ns, self._sts_template(spec, pod_name), s, {
                "controller-revision-hash": revision, "statefulset.kubernetes.io/pod-name": pod_name,
                "apps.kubernetes.io/pod-index": str(i)})
            pods = {p["metadata"]["name"]: p for p in self._pods(ns) if owned_by(p, s)}
            if ordered:
                break
        for pod_name, _p in sorted(pods.items(), reverse=True):
            idx = int(pod_name.rsplit("-", 1)[1])
            if idx >= desired:
                self._terminate(pods[pod_name])
                del pods[pod_name]
        strategy = spec.get("updateStrategy") or {}
        partition = (strategy.get("rollingUpdate") or {}).get("partition", 0)
        if strategy.get("type", "RollingUpdate") == "RollingUpdate" and all(map(self.pod_ready, pods.values())):
            stale = [n for n, p in pods.items() if p["metadata"]["labels"].get("controller-revision-hash") != revision
                     and int(n.rsplit("-", 1)[1]) >= partition]
            if stale:
                victim = max(stale, key=lambda n: int(n.rsplit("-", 1)[1]))
                self.store.remove(("", "Pod", ns, victim))  # the same name comes back at once: no grace here
                del pods[victim]
        s = self.store.peek(("apps", "StatefulSet", ns, name)) or s
        pods = {p["metadata"]["name"]: p for p in self._pods(ns) if owned_by(p, s)}
        ready = sum(1 for p in pods.values() if self.pod_ready(p))
        updated = sum(1 for p in pods.values() if p["metadata"]["labels"].get("controller-revision-hash") == revision)
        old = s.get("status") or {}
        current_rev = old.get("currentRevision", revision)
        if updated == len(pods) == desired and ready == desired:
            current_rev = revision
        current = sum(1 for p in pods.values() if p["metadata"]["labels"].get("controller-revision-hash") == current_rev)
        status = {"observedGeneration": s["metadata"].get("generation", 1), "replicas": len(pods),
                  "readyReplicas": ready, "availableReplicas": ready, "currentReplicas": current,
                  "updatedReplicas": updated, "currentRevision": current_rev, "updateRevision": revision,
                  "collisionCount": 0}
        self._set_status("apps", s, status)

    @staticmethod
    def _sts_template(spec: dict, pod_name: str) -> dict:
        template = copy.deepcopy(spec["template"])
        pod_spec = template.setdefault("spec", {})
        pod_spec.setdefault("hostname", pod_name)
        if spec.get("serviceName"):
            pod_spec.setdefault("subdomain", spec["serviceName"])
        for claim in spec.get("volumeClaimTemplates") or []:
            cname = claim["metadata"]["name"]
            vols = pod_spec.setdefault("volumes", [])
            if not any(v.get("name") == cname for v in vols):
                vols.append({"name": cname, "persistentVolumeClaim": {"claimName": f"{cname}-{pod_name}"}})
        return template

    def _ensure_claim(self, claim: dict, name: str, ns: str, sts_spec: dict) -> None:
        if self.store.peek(("", "PersistentVolumeClaim", ns, name)) is not None:
            return
        labels = dict((sts_spec.get("selector") or {}).get("matchLabels") or {})
        meta = self._new_meta(name, ns, labels, None, (claim.get("metadata") or {}).get("annotations"))
        meta["finalizers"] = [PVC_PROTECTION]
        self.store.put("", {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta,
                            "spec": copy.deepcopy(claim.get("spec") or {}), "status": {"phase": "Pending"}})

    def bind_claims(self) -> None:
        """Dynamic provisioning: every pending claim gets a fresh volume and is Bound."""
        for pvc in self.store.select("", "PersistentVolumeClaim"):
            if (pvc.get("status") or {}).get("phase") == "Bound":
                continue
            ns, name = pvc["metadata"]["namespace"], pvc["metadata"]["name"]
            pv_name = f"pvc-{pvc['metadata']['uid']}"
            spec = pvc.get("spec") or {}
            storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage", "1Gi")
            sc = spec.get("storageClassName") or (pvc["metadata"].get("annotations") or {}).get(
                "volume.beta.kubernetes.io/storage-class") or "default"
            if self.store.peek(("", "PersistentVolume", "", pv_name)) is None:
                meta = self._new_meta(pv_name, "", {}, None)
                del meta["namespace"]
                self.store.put("", {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": meta, "spec": {
                    "capacity": {"storage": storage}, "accessModes": spec.get("accessModes", ["ReadWriteOnce"]),
                    "persistentVolumeReclaimPolicy": "Delete", "storageClassName": sc,
                    "claimRef": {"kind": "PersistentVolumeClaim", "namespace": ns, "name": name,
                                 "uid": pvc["metadata"]["uid"]}}, "status": {"phase": "Bound"}})
            new = copy.deepcopy(pvc)
            new["spec"]["volumeName"] = pv_name
            new["spec"].setdefault("storageClassName", sc)
            new["status"] = {"phase": "Bound", "accessModes": spec.get("accessModes", ["ReadWriteOnce"]),
                             "capacity": {"storage": storage}}
            self.store.put("", new)

    # --- daemon sets ------------------------------------------------------------------------
    def daemonsets(self) -> None:
        nodes = self.nodes()
        for ds in self.store.select("apps", "DaemonSet"):
            if self._key(ds) in self.lagging:
                continue
            ns, name, spec = ds["metadata"]["namespace"], ds["metadata"]["name"], ds["spec"]
            revision = template_hash(spec["template"])
            pods = [p for p in self._pods(ns) if owned_by(p, ds)]
            for p in pods:
                stale = p["metadata"]["labels"].get("controller-revision-hash") != revision
                if p["spec"].get("nodeName") not in nodes or stale:
                    self._terminate(p)
            have = {p["spec"].get("nodeName") for p in self._pods(ns) if owned_by(p, ds)}
            for node in nodes:
                if node not in have:
                    template = copy.deepcopy(spec["template"])
                    template.setdefault("spec", {})["nodeName"] = node
                    self._create_pod(f"{name}-{rand_suffix()}", ns, template, ds,
                                     {"controller-revision-hash": revision, "pod-template-generation":
                                      str(ds["metadata"].get("generation", 1))})
            ds = self.store.peek(("apps", "DaemonSet", ns, name)) or ds
            pods = [p for p in self._pods(ns) if owned_by(p, ds)]
            ready = sum(1 for p in pods if self.pod_ready(p))
            status = {"observedGeneration": ds["metadata"].get("generation", 1),
                      "desiredNumberScheduled": len(nodes), "currentNumberScheduled": len(pods),
                      "numberReady": ready, "numberAvailable": ready, "numberMisscheduled": 0,
                      "updatedNumberScheduled": sum(1 for p in pods if p["metadata"]["labels"].get(
                          "controller-revision-hash") == revision)}
            if len(nodes) - ready:
                status["numberUnavailable"] = len(nodes) - ready
            self._set_status("apps", ds, status)

    # --- jobs -------------------------------------------------------------------------------
    def jobs(self) -> None:
        for job in self.store.select("batch", "Job"):
            self._job(job)

    def _job(self, job: dict) -> None:
        ns, name, spec = job["metadata"]["namespace"], job["metadata"]["name"], job["spec"]
        old = job.get("status") or {}
        if any(c.get("type") in ("Complete", "Failed") and c.get("status") == "True"
               for c in old.get("conditions") or []):
            return
        pods = [p for p in self._pods(ns) if owned_by(p, job)]
        succeeded = sum(1 for p in pods if p["status"].get("phase") == "Succeeded")
        failed = sum(1 for p in pods if p["status"].get("phase") == "Failed")
        active = [p for p in pods if p["status"].get("phase") not in ("Succeeded", "Failed")]
        completions = spec.get("completions", 1)
        now = iso(self.clock)
        status: dict = {"startTime": old.get("startTime", now)}
        if succeeded >= completions:
            status.update({"succeeded": succeeded, "completionTime": now, "conditions": [
                {"type": "Complete", "status": "True", "lastProbeTime": now, "lastTransitionTime": now}]})
        elif failed > spec.get("backoffLimit", 6):
            status.update({"failed": failed, "conditions": [
                {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "lastProbeTime": now,
                 "lastTransitionTime": now}]})
        else:
            if not active and not spec.get("suspend"):
                labels = {"controller-uid": job["metadata"]["uid"], "job-name": name,
                          "batch.kubernetes.io/job-name": name,
                          "batch.kubernetes.io/controller-uid": job["metadata"]["uid"]}
                self._create_pod(f"{name}-{rand_suffix()}", ns, spec["template"], job, labels)
                active = [p for p in self._pods(ns) if owned_by(p, job)
                          and p["status"].get("phase") not in ("Succeeded", "Failed")]
            status["active"] = len(active)
            status["ready"] = sum(1 for p in active if self.pod_ready(p))
            if succeeded:
                status["succeeded"] = succeeded
            if failed:
                status["failed"] = failed
        self._set_status("batch", job, status)

    @staticmethod
    def job_finished(job: dict) -> bool:
        return any(c.get("type") in ("Complete", "Failed") and c.get("status") == "True"
                   for c in (job.get("status") or {}).get("conditions") or [])

    # --- services ---------------------------------------------------------------------------
    def load_balancers(self, *, immediately: bool = False) -> None:
        """Azure's cloud provider gives a LoadBalancer Service its address after a while (<pending> meanwhile)."""
        now = self.clock.now()
        for svc in self.store.select("", "Service"):
            finalizers = svc["metadata"].get("finalizers") or []
            if (svc.get("spec") or {}).get("type") != "LoadBalancer" or terminating(svc):
                if LB_CLEANUP in finalizers and not terminating(svc):  # no longer a LoadBalancer: released
                    new = copy.deepcopy(svc)
                    new["metadata"]["finalizers"] = [f for f in finalizers if f != LB_CLEANUP]
                    new["status"] = {"loadBalancer": {}}
                    self.store.put("", new)
                continue
            if ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress"):
                continue
            age = (now - parse_time(svc["metadata"]["creationTimestamp"])).total_seconds()
            if not immediately and age < self.behaviour.lb_provision_seconds:
                self.wake(now + timedelta(seconds=self.behaviour.lb_provision_seconds - age))
                continue
            new = copy.deepcopy(svc)
            new.setdefault("status", {})["loadBalancer"] = {"ingress": [{"ip": self.ip_allocator(), "ipMode": "VIP"}]}
            if LB_CLEANUP not in finalizers:  # the service controller holds the Service until it releases the IP
                new["metadata"]["finalizers"] = [*finalizers, LB_CLEANUP]
            self.store.put("", new)

    def endpoints(self) -> None:
        """Endpoints objects follow ready pods, as the endpoints controller keeps them."""
        for svc in self.store.select("", "Service"):
            spec = svc.get("spec") or {}
            selector = spec.get("selector")
            if not selector:
                continue
            ns, name = svc["metadata"]["namespace"], svc["metadata"]["name"]
            pods = [p for p in self._pods(ns) if match_label_selector_object({"matchLabels": selector},
                                                                             p["metadata"].get("labels") or {})]
            ready = [{"ip": p["status"].get("podIP"), "nodeName": p["spec"].get("nodeName"),
                      "targetRef": {"kind": "Pod", "namespace": ns, "name": p["metadata"]["name"],
                                    "uid": p["metadata"]["uid"]}} for p in pods if self.pod_ready(p)]
            not_ready = [{"ip": p["status"].get("podIP"), "targetRef": {"kind": "Pod", "namespace": ns,
                          "name": p["metadata"]["name"], "uid": p["metadata"]["uid"]}}
                         for p in pods if not self.pod_ready(p) and p["status"].get("phase") != "Succeeded"]
            subset: dict = {"ports": [{"name": p.get("name"), "port": p.get("targetPort") if isinstance(
                p.get("targetPort"), int) else p.get("port"), "protocol": p.get("protocol", "TCP")}
                for p in spec.get("ports") or []]}
            if ready:
                subset["addresses"] = ready
            if not_ready:
                subset["notReadyAddresses"] = not_ready
            subsets = [subset] if ready or not_ready else []
            key: Key = ("", "Endpoints", ns, name)
            existing = self.store.peek(key)
            if existing is None:
                meta = self._new_meta(name, ns, svc["metadata"].get("labels") or {}, None)
                self.store.put("", {"apiVersion": "v1", "kind": "Endpoints", "metadata": meta, "subsets": subsets})
            elif existing.get("subsets") != subsets:
                new = copy.deepcopy(existing)
                new["subsets"] = subsets
                self.store.put("", new)

    def orphan_endpoints(self) -> None:
        for ep in self.store.select("", "Endpoints"):
            ns, name = ep["metadata"]["namespace"], ep["metadata"]["name"]
            if self.store.peek(("", "Service", ns, name)) is None:
                self.store.remove(("", "Endpoints", ns, name))

    # --- all --------------------------------------------------------------------------------
    def reconcile(self) -> bool:
        """Run every controller until nothing changes (bounded, so a bug cannot spin forever); True when settled."""
        self.wake_at = None
        for _ in range(12):
            before = self.store.rv
            self.refresh_pods()
            self.bind_claims()
            self.deployments()
            self.replicasets()
            self.statefulsets()
            self.daemonsets()
            self.jobs()
            self.deployment_status()
            self.load_balancers()
            self.endpoints()
            self.orphan_endpoints()
            self.finish_deletions()
            if self.store.rv == before:
                return True
        return False
