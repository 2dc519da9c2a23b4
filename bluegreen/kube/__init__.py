"""The library's Kubernetes layer: the only code that talks to a cluster.

`client` speaks HTTP to one API server; everything else here is pure data
work on wire-form dicts (load and order manifests, strip server fields, check
API versions, judge readiness) plus `wait`, which polls on the injected clock.
Steps use this layer; it never imports steps, the engine or the simulator.
"""

from __future__ import annotations

from bluegreen.kube.apiversions import ApiChange, Finding, parse_version, removed_api_findings
from bluegreen.kube.client import ApiResource, KubeClient
from bluegreen.kube.manifests import Manifest, load_manifests, order_for_apply, order_for_delete
from bluegreen.kube.readiness import WorkloadStatus, pod_problems, workload_status
from bluegreen.kube.sanitize import CopyDecision, should_copy, strip_server_fields
from bluegreen.kube.wait import NotYet, wait_until

__all__ = [
    "ApiChange",
    "ApiResource",
    "CopyDecision",
    "Finding",
    "KubeClient",
    "Manifest",
    "NotYet",
    "WorkloadStatus",
    "load_manifests",
    "order_for_apply",
    "order_for_delete",
    "parse_version",
    "pod_problems",
    "removed_api_findings",
    "should_copy",
    "strip_server_fields",
    "wait_until",
    "workload_status",
]
