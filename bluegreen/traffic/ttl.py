"""TTL discipline for a DNS switch, as planning: lower ahead, wait out the old TTL, flip, restore after the soak.

Pure. Why: a resolver that cached the record just before the flip keeps sending
clients to blue for the TTL it got. Lowering the TTL well ahead (with redeploy)
and waiting until the old TTL has passed since the lowering bounds that to the
lowered TTL; the original comes back once decommission's soak is over.
"""

from __future__ import annotations

from bluegreen.actions import Action, SetTtl, WaitOldTtl
from bluegreen.observe import Observed
from bluegreen.playbook import Playbook
from bluegreen.record import RunRecord


def lower(pb: Playbook, obs: Observed, record: RunRecord | None, step: str) -> list[Action]:
    """The lowering, unless it was done (the run record knows when) or the TTL is already that low."""
    spec, dns = pb.switch.ttl, obs.record
    facts = record.facts if record is not None else None
    if spec is None or dns is None or (facts and facts.ttl_lowered_at) or (dns.ttl or 0) <= spec.lower_to:
        return []
    sw = pb.switch
    return [Action(id=f"{step}/ttl-lower",
                   params=SetTtl(pb.zone_rg, sw.zone or "", sw.record or "", sw.record_type, spec.lower_to,
                                 int(dns.ttl or 0)),
                   before={"ttl": dns.ttl}, after={"ttl": spec.lower_to}, eta_seconds=5)]


def before_flip(pb: Playbook, obs: Observed, record: RunRecord | None) -> tuple[list[Action], int | None]:
    """What the switch does before the flip, and how long clients may still reach blue after it (seconds)."""
    dns = obs.record
    if dns is None:
        return [], None
    spec = pb.switch.ttl
    if spec is None:
        return [], dns.ttl
    facts = record.facts if record is not None else None
    actions = lower(pb, obs, record, "switch")
    if facts and facts.ttl_lowered_at and facts.ttl_original:
        original, since = facts.ttl_original, facts.ttl_lowered_at
    elif actions:
        original, since = int(dns.ttl or 0), None  # lowered just before: wait the whole old TTL
    else:
        return [], dns.ttl  # already at most lower_to, and not by us: nothing to wait out
    actions.append(Action(id="switch/ttl-wait", params=WaitOldTtl(original, since), eta_seconds=float(original)))
    return actions, spec.lower_to


def restore(pb: Playbook, obs: Observed, record: RunRecord | None) -> list[Action]:
    """After decommission's soak: the TTL the record had before bluegreen lowered it."""
    facts = record.facts if record is not None else None
    dns = obs.record
    if pb.switch.ttl is None or dns is None or not (facts and facts.ttl_original) or dns.ttl == facts.ttl_original:
        return []
    sw = pb.switch
    original = int(facts.ttl_original)
    return [Action(id="decommission/ttl-restore",
                   params=SetTtl(pb.zone_rg, sw.zone or "", sw.record or "", sw.record_type, original, original),
                   before={"ttl": dns.ttl}, after={"ttl": original}, eta_seconds=5)]
