"""Which Kubernetes kinds each step treats specially.

Which kinds exist at all is no longer a list here: observation asks each
cluster's discovery (bluegreen.kube.discovery). What is left is the behaviour
some kinds have, keyed by group and kind so that every version a server may
serve them at (batch/v1beta1 CronJobs on an old blue) is treated alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bluegreen.kube.discovery import canonical_group

WORKLOAD_KINDS: tuple[tuple[str, str], ...] = (
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
)
# (group, kind) of what can run, in the order decommission deletes it: timers first.
RUNNABLE: tuple[tuple[str, str], ...] = (
    ("batch", "CronJob"),
    ("batch", "Job"),
    ("apps", "Deployment"),
    ("apps", "StatefulSet"),
    ("apps", "DaemonSet"),
    ("apps", "ReplicaSet"),
    ("", "ReplicationController"),
    ("", "Pod"),
)
CRONJOB = ("batch", "CronJob")
ORIGINAL_SUSPEND = "bluegreen.io/original-suspend"
MANAGED_BY_TAG = "bluegreen-playbook"


def group_kind(obj: Mapping[str, Any]) -> tuple[str, str]:
    """(canonical group, kind) of a wire-form object: ("batch", "CronJob") for batch/v1 and batch/v1beta1 alike."""
    kind = str(obj.get("kind") or "")
    return canonical_group(str(obj.get("apiVersion") or "").rpartition("/")[0], kind), kind


def is_cronjob(obj: Mapping[str, Any]) -> bool:
    return group_kind(obj) == CRONJOB


def runnable_rank(obj: Mapping[str, Any]) -> int | None:
    """Where the object goes in decommission's deletion order, or None when it cannot run."""
    key = group_kind(obj)
    return RUNNABLE.index(key) if key in RUNNABLE else None
