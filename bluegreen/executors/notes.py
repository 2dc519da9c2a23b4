"""Executors that touch nothing outside: they record an intent, or let time pass on the clock."""

from __future__ import annotations

from datetime import datetime, timedelta

from bluegreen.actions import BeginDecommission, SwitchIntent, WaitOldTtl, WaitTtl
from bluegreen.events import WAITING
from bluegreen.executors.base import ExecEnv, Outcome, executes


@executes(SwitchIntent)
def switch_intent(p: SwitchIntent, env: ExecEnv) -> Outcome:
    if p.switched_from is None or p.switched_to is None:
        return Outcome()
    return Outcome({"switched_from": p.switched_from, "switched_to": p.switched_to})


@executes(BeginDecommission)
def begin_decommission(p: BeginDecommission, env: ExecEnv) -> Outcome:
    return Outcome({"decommission_begun": env.clock.now().isoformat()})


@executes(WaitTtl)
def wait_ttl(p: WaitTtl, env: ExecEnv) -> Outcome:
    # Without a recorded switch time (switched by hand, or a lost record write), count from now.
    start = datetime.fromisoformat(p.since) if p.since else env.clock.now()
    remaining = (start + timedelta(seconds=p.ttl) - env.clock.now()).total_seconds()
    if remaining > 0:
        env.report(WAITING, f"waiting {remaining:.0f}s for the record's TTL to pass since the switch",
                   seconds=remaining)
        env.clock.sleep(remaining)
    return Outcome()


@executes(WaitOldTtl)
def wait_old_ttl(p: WaitOldTtl, env: ExecEnv) -> Outcome:
    start = datetime.fromisoformat(p.since) if p.since else env.clock.now()
    remaining = (start + timedelta(seconds=p.ttl) - env.clock.now()).total_seconds()
    if remaining > 0:
        env.report(WAITING, f"waiting {remaining:.0f}s until resolvers no longer hold the record's old TTL "
                   f"({p.ttl}s)", seconds=remaining)
        env.clock.sleep(remaining)
    return Outcome()
