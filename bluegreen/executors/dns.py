"""Executors of the DNS record kinds: a guarded write, and a re-read before blue is touched."""

from __future__ import annotations

from bluegreen.actions import ConfirmRecord, SetOwnership, SetRecord, SetTtl, VerifyResolution
from bluegreen.errors import GuardError, StepFailedError
from bluegreen.executors.base import ExecEnv, Outcome, executes
from bluegreen.kube.wait import NotYet, wait_until
from bluegreen.traffic.resolve import ask
from bluegreen.traffic.routers import DnsRouter


@executes(SetRecord)
def set_record(p: SetRecord, env: ExecEnv) -> Outcome:
    """Write the record from `expected` to `value` with If-Match, then read it back."""
    if not p.value or not p.expected:
        raise GuardError(f"{p.toward}'s or the current ingress address is unknown; cannot point {p.label} at it")
    # The DNS record is the all-or-nothing router: ETag + If-Match, read back.
    record = DnsRouter(env.dns, p.zone_rg, p.zone, p.record, p.record_type).apply(p.expected, p.value)
    message = f"{p.label} now {', '.join(record.values)} (TTL {record.ttl}s)"
    if p.toward != "green":
        return Outcome(message=message)
    # The TTL after which no client should still be sent to blue counts from here.
    return Outcome({"switched_at": env.clock.now().isoformat(), "record_ttl": record.ttl}, message)


@executes(ConfirmRecord)
def confirm_record(p: ConfirmRecord, env: ExecEnv) -> Outcome:
    label = p.target
    record = env.dns.get(p.zone_rg, p.zone, p.record, p.record_type)
    if record is None:
        raise GuardError(f"{label} is gone; not touching blue while that is unexplained")
    values = list(record.values)
    if p.not_value and p.not_value in values:
        raise GuardError(f"{label} points at blue ({p.not_value}) again; not touching blue")
    if p.only_value and values != [p.only_value]:
        raise GuardError(f"{label} holds {', '.join(values)}, not green's {p.only_value}; not touching blue")
    return Outcome()


@executes(SetTtl)
def set_ttl(p: SetTtl, env: ExecEnv) -> Outcome:
    """Change only the TTL (If-Match on the ETag just read); a record already at it is left alone."""
    record = env.dns.get(p.zone_rg, p.zone, p.record, p.record_type)
    if record is None:
        raise GuardError(f"{p.target} vanished")
    if record.ttl != p.ttl:
        env.dns.set_values(record, list(record.values), ttl=p.ttl)
    if p.ttl == p.original:
        return Outcome(message=f"{p.target}: TTL back to {p.ttl}s")
    # The old TTL counts from here: clients may hold the record that long.
    return Outcome({"ttl_lowered_at": env.clock.now().isoformat(), "ttl_original": p.original},
                   f"{p.target}: TTL {p.original}s -> {p.ttl}s")


@executes(SetOwnership)
def set_ownership(p: SetOwnership, env: ExecEnv) -> Outcome:
    """Only from the owner the plan saw; a record already handed over is left alone."""
    record = env.dns.get_txt(p.zone_rg, p.zone, p.name)
    if record is None:
        raise GuardError(f"{p.target} vanished")
    if any(f"external-dns/owner={p.to}" in v for v in record.values):
        return Outcome()
    if not any(f"external-dns/owner={p.owner}" in v for v in record.values):
        raise GuardError(f"{p.target} no longer names owner id {p.owner}: {'; '.join(record.values)}")
    values = [v.replace(f"external-dns/owner={p.owner}", f"external-dns/owner={p.to}") for v in record.values]
    env.dns.set_txt(record, values)
    after = env.dns.get_txt(p.zone_rg, p.zone, p.name)
    if after is None or list(after.values) != values:
        raise StepFailedError(f"{p.target} reads back {after.values if after else 'nothing'}, expected {values}")
    return Outcome(message=f"{p.target}: ExternalDNS owner {p.owner} -> {p.to}")


@executes(VerifyResolution)
def verify_resolution(p: VerifyResolution, env: ExecEnv) -> Outcome:
    """Poll the resolver on the clock until it answers green's value; fail, naming what it answers, at the bound."""
    seen: list[str] = []

    def answers_green() -> bool:
        values, why = ask(p.fqdn, p.record_type, p.resolver, p.port)
        seen[:] = values or [why or "nothing"]
        if p.expect and [v.rstrip(".") for v in values] == [p.expect.rstrip(".")]:
            return True
        raise NotYet(f"resolver {p.resolver}:{p.port} answers {', '.join(seen)} for {p.fqdn}")

    try:
        wait_until(answers_green, clock=env.clock, timeout=p.timeout, interval=p.interval,
                   describe=f"{p.fqdn} via {p.resolver}")
    except StepFailedError as exc:
        raise StepFailedError(f"resolver {p.resolver}:{p.port} still answers {', '.join(seen)} for {p.fqdn} after "
                              f"{p.timeout:g}s, not green's {p.expect}: {exc}", "switch") from exc
    return Outcome(message=f"resolver {p.resolver}:{p.port} answers {p.expect} for {p.fqdn}")
