"""Executors of the smoke checks: workloads available on a cluster, HTTP user flows through its ingress."""

from __future__ import annotations

from bluegreen.actions import CheckHttp, CheckReady
from bluegreen.errors import StepFailedError
from bluegreen.events import CHECK, WAITING
from bluegreen.executors.base import CheckFailed, ExecEnv, Outcome, executes
from bluegreen.http_checks import HttpCheck, run_check
from bluegreen.kinds import WORKLOAD_KINDS
from bluegreen.kube.readiness import pod_problems, workload_status
from bluegreen.kube.wait import NotYet, wait_until
from bluegreen.observe import object_key
from bluegreen.redact import redact_url


@executes(CheckReady)
def check_ready(p: CheckReady, env: ExecEnv) -> Outcome:
    kube = env.kube(p.cluster)
    env.report(WAITING, f"waiting for {p.cluster}'s workloads to become available")
    expected = set(p.expected)

    def all_ready() -> bool:
        found = {object_key(o) for ns in p.namespaces for v, k in WORKLOAD_KINDS for o in kube.list(v, k, ns)}
        missing = sorted(expected - found)
        if missing:
            raise NotYet(f"missing on {p.cluster}: {', '.join(m.replace('/', ' ', 1) for m in missing[:5])}")
        pending = []
        for namespace in p.namespaces:
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

    wait_until(all_ready, clock=env.clock, timeout=p.timeout, interval=env.poll_interval,
               describe=f"{p.cluster}'s workloads")
    env.report(CHECK, f"all workloads on {p.cluster} are available", ok=True)
    # What the switch may send traffic to: smoke vouches for this address and no other.
    return Outcome({"smoked_address": p.address})


def _http_check(env: ExecEnv, name: str) -> HttpCheck:
    """The playbook's check by name: its headers stay out of the plan."""
    pb = env.pb
    c = next(c for c in pb.smoke.http if c.name == name)
    return HttpCheck(name=c.name, url=c.url, method=c.method, expect_status=tuple(c.expect_status),
                     body_contains=c.body_contains, max_latency_ms=c.max_latency_ms, headers=dict(c.headers),
                     deadline_s=pb.smoke.http_deadline, verify_tls=c.verify_tls)


@executes(CheckHttp)
def check_http(p: CheckHttp, env: ExecEnv) -> Outcome:
    if not p.address:
        raise StepFailedError("green has no ingress address to send HTTP checks to", "smoke")
    check = _http_check(env, p.check)
    result = run_check(check, p.address, clock=env.clock)
    shown = redact_url(check.url)  # the request went to the real URL; what is shown never has its secrets
    env.report(CHECK, f"{check.name}: {shown} via {p.address}: " + ("ok" if result.ok else result.reason),
               ok=result.ok, status=result.status, latency_ms=result.latency_ms, attempts=result.attempts)
    if not result.ok:
        raise CheckFailed(f"{check.name} ({shown}): {result.reason}", "smoke")
    return Outcome()
