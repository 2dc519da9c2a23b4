"""The CronJob controller and the execution log that proves what ran where.

Like the real controller, a CronJob that missed schedules (cluster stopped,
controller late) starts only the most recent missed one, unless
`startingDeadlineSeconds` says it is too late. Schedules are evaluated in the
CronJob's `timeZone` (UTC when unset).
"""

from __future__ import annotations

import copy
import itertools
import threading
import uuid
import zoneinfo
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from croniter import croniter

from bluegreen.clock import Clock

from ..schedule import next_run
from .api import iso
from .controllers import Controllers, owned_by, owner_ref, parse_time
from .store import Store

_SEQ_LOCK = threading.Lock()
_SEQ = itertools.count(1)
_SEQ_FLOOR = 0


def next_seq() -> int:
    """A process-wide sequence number, so entries of several clusters order totally."""
    with _SEQ_LOCK:
        value = next(_SEQ)
        while value <= _SEQ_FLOOR:
            value = next(_SEQ)
        return value


def raise_seq_floor(seen: int) -> None:
    """After restoring state, never hand out a number already used."""
    global _SEQ_FLOOR
    with _SEQ_LOCK:
        _SEQ_FLOOR = max(_SEQ_FLOOR, seen)


def is_active(cronjob: dict | None) -> bool:
    return cronjob is not None and not (cronjob.get("spec") or {}).get("suspend", False)


class CronController:
    def __init__(self, cluster: str, store: Store, clock: Clock, controllers: Controllers,
                 log: Callable[[dict], None] | None) -> None:
        self.cluster = cluster
        self.store = store
        self.clock = clock
        self.controllers = controllers
        self.log = log
        self.last_seq = 0
        store.hooks.append(self._on_change)

    def _emit(self, namespace: str, cronjob: str, event: str, job: str | None, when: datetime | None = None) -> None:
        seq = next_seq()
        self.last_seq = seq
        entry = {"seq": seq, "time": (when or self.clock.now()).isoformat(), "cluster": self.cluster,
                 "namespace": namespace, "cronjob": cronjob, "event": event, "job": job}
        if self.log is not None:
            self.log(entry)

    def _on_change(self, old: dict | None, new: dict | None) -> None:
        obj = new or old
        if obj is None or obj.get("kind") != "CronJob":
            return
        was, now = is_active(old), is_active(new)
        if was != now:
            meta = obj["metadata"]
            self._emit(meta.get("namespace", ""), meta["name"], "activated" if now else "deactivated", None)

    def most_recent_schedule(self, cj: dict, after: datetime, until: datetime) -> datetime | None:
        """The latest schedule time in (after, until], as the v2 controller's mostRecentScheduleTime finds it.

        However long the cluster was stopped, at most this one missed run is started.
        """
        spec = cj["spec"]
        if next_run(spec["schedule"], spec.get("timeZone"), after) > until:
            return None  # the cheap, memoised answer for the common case: nothing due yet
        tz = zoneinfo.ZoneInfo(spec["timeZone"]) if spec.get("timeZone") else timezone.utc
        local = until.astimezone(tz)
        if local.second == 0 and local.microsecond == 0 and croniter.match(spec["schedule"], local):
            latest = local  # get_prev is strictly before its start: a schedule exactly at `until` counts
        else:
            latest = croniter(spec["schedule"], local).get_prev(datetime)
        latest = latest.astimezone(timezone.utc)
        return latest if latest > after else None

    def run(self) -> None:
        """Start the Jobs that are due now."""
        now = self.clock.now()
        for cj in self.store.select("batch", "CronJob"):
            if not is_active(cj):
                continue
            status = cj.get("status") or {}
            base = parse_time(status.get("lastScheduleTime") or cj["metadata"]["creationTimestamp"])
            scheduled = self.most_recent_schedule(cj, base, now)
            if scheduled is None:
                continue
            deadline = cj["spec"].get("startingDeadlineSeconds")
            ns, name = cj["metadata"]["namespace"], cj["metadata"]["name"]
            jobs = [j for j in self.store.select("batch", "Job", ns) if owned_by(j, cj)]
            active = [j for j in jobs if not self.controllers.job_finished(j)]
            fire = deadline is None or (now - scheduled) <= timedelta(seconds=deadline)
            policy = cj["spec"].get("concurrencyPolicy", "Allow")
            if fire and active and policy == "Forbid":
                fire = False
            if fire and active and policy == "Replace":
                for j in active:
                    self.store.remove(("batch", "Job", ns, j["metadata"]["name"]))
                    for p in [p for p in self.store.select("", "Pod", ns) if owned_by(p, j)]:
                        self.store.remove(("", "Pod", ns, p["metadata"]["name"]))
                active = []
            job_name = f"{name}-{int(scheduled.timestamp() // 60)}"
            new_status = copy.deepcopy(status)
            new_status["lastScheduleTime"] = scheduled.strftime("%Y-%m-%dT%H:%M:%SZ")
            if fire and self.store.peek(("batch", "Job", ns, job_name)) is None:
                self._create_job(cj, job_name, scheduled)
                self._emit(ns, name, "fired", job_name)
                active.append({"metadata": {"name": job_name}})
            new_status["active"] = [{"kind": "Job", "namespace": ns, "name": j["metadata"]["name"],
                                     "apiVersion": "batch/v1"} for j in active]
            if not new_status["active"]:
                del new_status["active"]
            fresh = self.store.peek(("batch", "CronJob", ns, name))
            if fresh is not None and fresh.get("status") != new_status:
                updated = copy.deepcopy(fresh)
                updated["status"] = new_status
                self.store.put("batch", updated)
            self._prune(cj)

    def _create_job(self, cj: dict, job_name: str, scheduled: datetime) -> None:
        template = copy.deepcopy(cj["spec"].get("jobTemplate") or {})
        ns = cj["metadata"]["namespace"]
        meta = copy.deepcopy(template.get("metadata") or {})
        meta.update({"name": job_name, "namespace": ns, "uid": str(uuid.uuid4()), "creationTimestamp": iso(self.clock),
                     "generation": 1, "ownerReferences": [owner_ref(cj)]})
        meta.setdefault("annotations", {})["batch.kubernetes.io/cronjob-scheduled-timestamp"] = (
            scheduled.strftime("%Y-%m-%dT%H:%M:%SZ"))
        spec = template.get("spec") or {}
        spec.setdefault("template", {}).setdefault("metadata", {}).setdefault("labels", {})["job-name"] = job_name
        self.store.put("batch", {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": spec})

    def _prune(self, cj: dict) -> None:
        """Keep successfulJobsHistoryLimit/failedJobsHistoryLimit finished Jobs, like the controller."""
        ns = cj["metadata"]["namespace"]
        jobs = [j for j in self.store.select("batch", "Job", ns) if owned_by(j, cj)]
        finished = sorted((j for j in jobs if self.controllers.job_finished(j)),
                          key=lambda j: j["metadata"]["creationTimestamp"])
        ok = [j for j in finished if any(c.get("type") == "Complete" for c in j["status"].get("conditions", []))]
        bad = [j for j in finished if j not in ok]
        spec = cj["spec"]
        for group, limit in ((ok, spec.get("successfulJobsHistoryLimit", 3)), (bad, spec.get("failedJobsHistoryLimit",
                                                                                              1))):
            for j in group[: max(0, len(group) - limit)]:
                jname = j["metadata"]["name"]
                for p in [p for p in self.store.select("", "Pod", ns) if owned_by(p, j)]:
                    self.store.remove(("", "Pod", ns, p["metadata"]["name"]))
                self.store.remove(("batch", "Job", ns, jname))
