"""Smoke: green must be available and answer real user flows before traffic moves.

Reads only. A failure names the workload (and why its pods fail) or the URL,
and stops the run before the switch. The address the checks went to is what
the switch later sends traffic to, and nowhere else.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from bluegreen.actions import Action, CheckHttp, CheckReady
from bluegreen.derive import planned_objects
from bluegreen.kinds import WORKLOAD_KINDS
from bluegreen.kube.objects import namespace_of
from bluegreen.observe import Observed, object_key
from bluegreen.plan import StepPlan
from bluegreen.playbook import Playbook
from bluegreen.record import RunRecord
from bluegreen.redact import redact_url


def smoke_address(pb: Playbook, obs: Observed) -> str | None:
    """Where the HTTP checks go: the playbook's fixed A-record value, else green's ingress."""
    if pb.switch.record_type == "A" and pb.switch.green_value:
        return pb.switch.green_value
    return obs.green_value


def plan_smoke(pb: Playbook, obs: Observed, record: RunRecord | None = None) -> StepPlan:
    workload_kinds = {k for _, k in WORKLOAD_KINDS}
    planned = [o for o in planned_objects(pb, obs) if o.get("kind") in workload_kinds]
    # Manifests may put workloads in namespaces besides the playbook's: look wherever redeploy applied them.
    namespaces = sorted(set(pb.workloads.namespaces) | {ns for o in planned if (ns := namespace_of(o))})
    address = smoke_address(pb, obs)
    actions = [Action(id="smoke/ready", params=CheckReady("green", tuple(namespaces),
                                                         tuple(sorted(object_key(o) for o in planned)),
                                                         float(pb.smoke.ready_timeout), address), eta_seconds=60)]
    for check in pb.smoke.http:
        actions.append(Action(
            id=f"smoke/http/{check.name}",
            params=CheckHttp(check.name, check.method, redact_url(check.url), urlsplit(check.url).hostname,
                             address),
            after={"expect_status": check.expect_status, "body_contains": check.body_contains,
                   "max_latency_ms": check.max_latency_ms},
            eta_seconds=2,
        ))
    return StepPlan(name="smoke", actions=tuple(actions))
