"""Smoke: green must be available and answer real user flows before traffic moves.

Reads only. A failure names the workload (and why its pods fail) or the URL,
and stops the run before the switch.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from bluegreen.context import StepContext
from bluegreen.errors import StepFailedError
from bluegreen.events import CHECK, WAITING
from bluegreen.http_checks import HttpCheck, run_check
from bluegreen.kube.objects import namespace_of
from bluegreen.kube.readiness import pod_problems, workload_status
from bluegreen.kube.wait import NotYet, wait_until
from bluegreen.observe import Observed, object_key
from bluegreen.plan import Action, StepPlan
from bluegreen.playbook import Playbook
from bluegreen.steps.kinds import WORKLOAD_KINDS
from bluegreen.steps.redeploy import planned_objects


def http_checks(pb: Playbook) -> list[HttpCheck]:
    return [
        HttpCheck(
            name=c.name, url=c.url, method=c.method, expect_status=tuple(c.expect_status),
            body_contains=c.body_contains, max_latency_ms=c.max_latency_ms, headers=dict(c.headers),
            deadline_s=pb.smoke.http_deadline, verify_tls=c.verify_tls,
        )
        for c in pb.smoke.http
    ]


def plan_smoke(pb: Playbook, obs: Observed) -> StepPlan:
    workloads = [o for o in obs.source_objects if o.get("kind") in {k for _, k in WORKLOAD_KINDS}]
    address = obs.green_value or "green's ingress IP (known after redeploy)"
    actions = [
        Action(id="smoke/ready", kind="check_ready", target=f"{len(workloads)} workloads on green",
               summary=f"wait until {len(workloads)} Deployments/StatefulSets/DaemonSets are available "
               f"(at most {pb.smoke.ready_timeout:g}s)", eta_seconds=60),
    ]
    for check in pb.smoke.http:
        host = urlsplit(check.url).hostname
        actions.append(Action(
            id=f"smoke/http/{check.name}", kind="check_http", target=check.url,
            summary=f"{check.method} {check.url} via {address} (Host: {host})",
            after={"expect_status": check.expect_status, "body_contains": check.body_contains,
                   "max_latency_ms": check.max_latency_ms},
            eta_seconds=2,
        ))
    return StepPlan(name="smoke", actions=tuple(actions))


def run_smoke(ctx: StepContext, obs: Observed, plan: StepPlan) -> None:
    pb = ctx.pb
    assert obs.green.info is not None
    kube = ctx.kube(obs.green.info)
    ctx.emit(WAITING, "waiting for green's workloads to become available", "smoke")

    workload_kinds = {k for _, k in WORKLOAD_KINDS}
    planned = [o for o in planned_objects(pb, obs) if o.get("kind") in workload_kinds]
    expected = {object_key(o) for o in planned}
    # Manifests may put workloads in namespaces besides the playbook's: look wherever redeploy applied them.
    namespaces = sorted(set(pb.workloads.namespaces) | {ns for o in planned if (ns := namespace_of(o))})

    def all_ready() -> bool:
        found = {object_key(o) for ns in namespaces for v, k in WORKLOAD_KINDS for o in kube.list(v, k, ns)}
        missing = sorted(expected - found)
        if missing:
            raise NotYet(f"missing on green: {', '.join(m.replace('/', ' ', 1) for m in missing[:5])}")
        pending = []
        for namespace in namespaces:
            for api_version, kind in WORKLOAD_KINDS:
                for obj in kube.list(api_version, kind, namespace):
                    status = workload_status(obj)
                    if not status.ready:
                        pending.append((status, obj))
        if not pending:
            return True
        status, obj = pending[0]
        selector = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        label_selector = ",".join(f"{k}={v}" for k, v in sorted(selector.items())) or None
        pods = kube.list("v1", "Pod", status.namespace, label_selector=label_selector)
        problems = pod_problems(pods)
        more = f" (and {len(pending) - 1} more)" if len(pending) > 1 else ""
        raise NotYet(f"{status}{more}" + (f"; {'; '.join(problems)}" if problems else ""))

    wait_until(all_ready, clock=ctx.clock, timeout=pb.smoke.ready_timeout, interval=ctx.rt.poll_interval,
               describe="green's workloads")
    ctx.emit(CHECK, "all workloads on green are available", "smoke", ok=True)
    address = pb.switch.green_value if pb.switch.record_type == "A" and pb.switch.green_value else obs.green_value
    if pb.smoke.http and not address:
        raise StepFailedError("green has no ingress address to send HTTP checks to", "smoke")
    ctx.journal.facts["smoked_address"] = address  # the switch refuses to send traffic anywhere else
    failures = []
    for check in http_checks(pb):
        result = run_check(check, str(address), clock=ctx.clock)
        ctx.emit(CHECK, f"{check.name}: {check.url} via {address}: "
                 + ("ok" if result.ok else result.reason), "smoke",
                 ok=result.ok, status=result.status, latency_ms=result.latency_ms, attempts=result.attempts)
        if not result.ok:
            failures.append(f"{check.name} ({check.url}): {result.reason}")
    if failures:
        raise StepFailedError("HTTP checks failed on green: " + "; ".join(failures), "smoke")
