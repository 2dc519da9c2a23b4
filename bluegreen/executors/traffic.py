"""Executors of the weighted shift: move the weights, pause, gate, and confirm before blue is touched.

A failed gate moves all traffic back to blue at once (through the router's undo)
before the step fails; an inconclusive one (a webhook that does not answer)
records where the shift waits and stops for a person, as a manual pause does.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import socket

from bluegreen.actions import ConfirmTraffic, Gate, PauseShift, SetTarget, SetWeights
from bluegreen.azure.monitor import query_metric
from bluegreen.errors import GuardError, PausedError, StepFailedError
from bluegreen.events import CHECK, WAITING, WARNING
from bluegreen.executors.base import ExecEnv, Outcome, executes
from bluegreen.executors.smoke import _http_check
from bluegreen.http_checks import post_webhook, query_prometheus, run_check
from bluegreen.traffic.resolve import ask
from bluegreen.traffic.routers import Router
from bluegreen.traffic.spec import MetricSpec
from bluegreen.traffic.split import describe


def _router(env: ExecEnv) -> Router:
    if env.traffic is None:
        raise GuardError("the playbook's switch has no weighted router")
    return env.traffic


@executes(SetWeights)
def set_weights(p: SetWeights, env: ExecEnv) -> Outcome:
    state = _router(env).apply(p.expected, p.setting)
    message = f"{p.router} now {describe(state.setting)}"
    if p.toward != "green":
        return Outcome(message=message)
    return Outcome({"shift_reached": p.percent, "shift_paused_at": None}, message)


@executes(SetTarget)
def set_target(p: SetTarget, env: ExecEnv) -> Outcome:
    _router(env).point_green(p.expected, p.address)
    return Outcome(message=f"{p.router}'s {p.name} now points at {p.address}")


@executes(PauseShift)
def pause_shift(p: PauseShift, env: ExecEnv) -> Outcome:
    if p.seconds is None:
        if p.promoted:
            return Outcome(message=f"pause at {p.percent}% released by promote")
        env.checkpoint({"shift_paused_at": p.percent})
        raise PausedError(f"the shift pauses at {p.percent}% for a person: run `bluegreen promote PLAYBOOK` to go on, "
                          "or `bluegreen abort PLAYBOOK` to send all traffic back to blue")
    env.report(WAITING, f"pausing {p.seconds:g}s at {p.percent}% before the gate", seconds=p.seconds)
    env.clock.sleep(p.seconds)
    return Outcome()


@executes(Gate)
def gate(p: Gate, env: ExecEnv) -> Outcome:
    failed: list[str] = []
    inconclusive: list[str] = []
    for name in p.http_checks:
        if not p.address:
            inconclusive.append("green's ingress address is unknown")
            break
        check = _http_check(env, name)
        result = run_check(check, p.address, clock=env.clock)
        env.report(CHECK, f"gate {p.percent}%: {check.name} via {p.address}: " + ("ok" if result.ok else result.reason),
                   ok=result.ok, status=result.status)
        if not result.ok:
            failed.append(f"{check.name}: {result.reason}")
    shift = env.pb.switch.shift
    if p.entry_host and p.http_checks:
        _through_entry_point(env, p, shift.gate.entry_point.resolver if shift and shift.gate.entry_point else None,
                             failed, inconclusive)
    hooks = {w.name: w for w in shift.gate.webhooks} if shift else {}
    for name in p.webhooks:
        hook = hooks[name]
        answer = post_webhook(hook.url, {"playbook": env.pb.name, "step": p.percent, "percent": p.percent,
                                         "router": p.router}, timeout_s=hook.timeout)
        env.report(CHECK, f"gate {p.percent}%: webhook {name}: {answer.reason}", ok=answer.ok, status=answer.status)
        if answer.status is None:
            inconclusive.append(f"webhook {name}: {answer.reason}")
        elif not answer.ok:
            failed.append(f"webhook {name}: {answer.reason}")
    metrics = {m.name: m for m in shift.gate.metrics} if shift else {}
    for name in p.metrics:
        verdict_of = _sample(env, p.percent, metrics[name])
        if verdict_of is not None:
            (failed if verdict_of[0] else inconclusive).append(verdict_of[1])
    if failed:
        verdict = f"failed at {p.percent}%: " + "; ".join(failed)
        env.report(WARNING, f"gate {verdict}; moving all traffic back to blue")
        env.checkpoint({"shift_gate": verdict, "shift_failed": verdict})
        state = _router(env).undo()
        raise StepFailedError(f"gate {verdict}. All traffic is back on blue ({describe(state.setting)}); "
                              "run `bluegreen rollback PLAYBOOK` to hand back what else moved before shifting again",
                              "switch")
    if inconclusive and not p.promoted:
        verdict = f"inconclusive at {p.percent}%: " + "; ".join(inconclusive)
        env.checkpoint({"shift_gate": verdict, "shift_paused_at": p.percent})
        raise PausedError(f"gate {verdict}. The shift waits for a person: `bluegreen promote PLAYBOOK` goes on, "
                          "`bluegreen abort PLAYBOOK` sends all traffic back to blue")
    verdict = f"passed at {p.percent}%" + (" (inconclusive, promoted by a person)" if inconclusive else "")
    return Outcome({"shift_gate": verdict, "shift_paused_at": None}, f"gate {verdict}")


def _through_entry_point(env: ExecEnv, p: Gate, resolver: str | None, failed: list[str],
                         inconclusive: list[str]) -> None:
    """The checks through the router's public entry point, once per request: a share of failures shows there."""
    assert p.entry_host is not None
    address, why = entry_address(p.entry_host, resolver or env.resolver)
    if address is None:
        env.report(CHECK, f"gate {p.percent}%: entry point {p.entry_host}: {why}", ok=False)
        inconclusive.append(f"entry point {p.entry_host} does not resolve: {why}")
        return
    for name in p.http_checks:
        check = dataclasses.replace(_http_check(env, name), deadline_s=0.0)  # one attempt per request
        bad = [r for r in (run_check(check, address, clock=env.clock) for _ in range(p.entry_requests)) if not r.ok]
        env.report(CHECK, f"gate {p.percent}%: {check.name} through {p.entry_host} ({address}): "
                   f"{p.entry_requests - len(bad)}/{p.entry_requests} ok" + (f", last: {bad[-1].reason}" if bad else ""),
                   ok=not bad, requests=p.entry_requests, failed=len(bad))
        if bad:
            failed.append(f"{check.name} through {p.entry_host}: {len(bad)}/{p.entry_requests} failed "
                          f"({bad[-1].reason})")


def entry_address(host: str, resolver: str | None) -> tuple[str | None, str | None]:
    """(the IPv4 address `host` resolves to, why there is none): through `resolver` ("address[:port]") or the
    system's."""
    try:
        ipaddress.IPv4Address(host)
        return host, None
    except ValueError:
        pass
    if resolver:
        server, _, port = resolver.rpartition(":") if resolver.count(":") == 1 else (resolver, "", "")
        values, why = ask(host, "A", server or resolver, int(port or 53), timeout=5.0)
        ips = [v for v in values if _is_ipv4(v)]
        return (ips[0], None) if ips else (None, why or f"{resolver} answers no address")
    try:
        infos = socket.getaddrinfo(host, None, socket.AF_INET, socket.SOCK_STREAM)
    except OSError as exc:
        return None, str(exc)
    return str(infos[0][4][0]), None


def _is_ipv4(value: str) -> bool:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return True


def _sample(env: ExecEnv, percent: int, metric: MetricSpec) -> tuple[bool, str] | None:
    """None when every sample is within bounds; else (failed?, why): a breach fails, missing data is inconclusive."""
    for i in range(metric.samples):
        if i:
            env.clock.sleep(metric.interval)
        if metric.azure_monitor is not None:
            m = metric.azure_monitor
            answer = query_metric(env.azure(), m.resource_id, m.metric, m.aggregation, m.window,
                                  timeout_s=metric.timeout)
        else:
            answer = query_prometheus(metric.prometheus or "", metric.query or "", timeout_s=metric.timeout)
        value = answer.value
        breach = value is not None and ((metric.max is not None and value > metric.max)
                                        or (metric.min is not None and value < metric.min))
        env.report(CHECK, f"gate {percent}%: metric {metric.name} sample {i + 1}/{metric.samples}: "
                   + (answer.reason if value is None else f"{value:g}"), ok=value is not None and not breach,
                   value=value)
        if value is None:
            return False, f"metric {metric.name}: {answer.reason}"
        if breach:
            bound = f"max {metric.max:g}" if metric.max is not None and value > metric.max else f"min {metric.min:g}"
            return True, f"metric {metric.name}: {value:g} beyond {bound}"
    return None


@executes(ConfirmTraffic)
def confirm_traffic(p: ConfirmTraffic, env: ExecEnv) -> Outcome:
    state = _router(env).observe()
    if state.green_percent != 100:
        raise GuardError(f"{p.router} holds {describe(state.setting)}, not everything on green; not touching blue")
    return Outcome()
