"""The routers: observe the split, apply a planned move, verify it by reading it back, undo it.

`Router` is the one interface. Weighted routers (Traffic Manager, Front Door, HTTPRoute) have
no ETag on an endpoint or origin, so `apply` reads, compares with what the plan
expected, writes, and reads back; a side that differs from both the plan's
expectation and its target is somebody else's edit and the move is refused as
stale. The DNS record (`DnsRouter`) is the all-or-nothing case: 0% or 100%,
guarded by the record's ETag and If-Match.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from bluegreen.azure.context import AzureContext
from bluegreen.azure.dns import DnsRecords, RecordSetInfo, RecordType
from bluegreen.azure.traffic import FrontDoorOrigins, TrafficManagerEndpoints
from bluegreen.errors import GuardError, RemoteError, StalePlanError, StepFailedError
from bluegreen.kube.client import KubeClient
from bluegreen.playbook import Playbook
from bluegreen.traffic.gateway import HttpRouteBackends
from bluegreen.traffic.split import (
    BackendInfo,
    Setting,
    TrafficState,
    describe,
    same,
    setting_for,
    write_order,
)


class Backends(Protocol):
    """An Azure weighted router's two sides: read one, write one."""

    def get(self, name: str) -> BackendInfo | None: ...

    def set(self, name: str, weight: int, enabled: bool) -> None: ...

    def set_target(self, name: str, target: str) -> None: ...


class Router:
    """A weighted router between blue's and green's backend."""

    def __init__(self, label: str, backends: Backends, blue: str, green: str,
                 tm: TrafficManagerEndpoints | None = None) -> None:
        self.label, self._backends, self._names, self._tm = label, backends, {"blue": blue, "green": green}, tm

    def observe(self) -> TrafficState:
        """The split now; a router that cannot be reached is a state with a problem, not an error."""
        try:
            return self._observe()
        except RemoteError as exc:
            return TrafficState(self.label, None, None, f"{self.label} cannot be read: {exc}")

    def _observe(self) -> TrafficState:
        if self._tm is not None:
            method = self._tm.routing_method()
            if method is None:
                return TrafficState(self.label, None, None, f"{self.label} not found")
            if method != "Weighted":
                return TrafficState(self.label, None, None,
                                    f"{self.label} routes by {method}; weights need the Weighted method")
        blue, green = (self._backends.get(self._names[s]) for s in ("blue", "green"))
        missing = [f"{side} {self._names[side]}" for side, b in (("blue", blue), ("green", green)) if b is None]
        problem = f"{self.label}: no {' and no '.join(missing)}" if missing else None
        return TrafficState(self.label, blue, green, problem)

    def apply(self, expected: Setting, target: Setting) -> TrafficState:
        """Move from `expected` to `target`; each side already at its target is left alone (resumable)."""
        state = self.observe()
        current = state.setting
        if current is None:
            raise GuardError(state.problem or f"{self.label} cannot be read")
        for side in ("blue", "green"):
            if not (same(current[side], expected[side]) or same(current[side], target[side])):
                raise StalePlanError(
                    f"{self.label}: {side}'s {self._names[side]} is {describe(current)} now, but the plan expected "
                    f"{describe(expected)}; somebody changed it since the plan: make a new plan")
        for side in write_order(target):
            if not same(current[side], target[side]):
                self._backends.set(self._names[side], int(target[side]["weight"]), bool(target[side]["enabled"]))
        return self.verify(target)

    def verify(self, target: Setting) -> TrafficState:
        state = self.observe()
        if state.setting is None or not all(same(state.setting[s], target[s]) for s in ("blue", "green")):
            raise StepFailedError(f"{self.label} reads back {describe(state.setting)}, expected {describe(target)}")
        return state

    def point_green(self, expected: str | None, address: str) -> TrafficState:
        """Green's endpoint/origin to `address`, unless somebody pointed it elsewhere since the plan (stale)."""
        name = self._names["green"]
        current = self._backends.get(name)
        if current is None:
            raise GuardError(f"{self.label}: no green {name}")
        if current.target != address:
            if current.target != expected:
                raise StalePlanError(f"{self.label}: green's {name} points at {current.target} now, but the plan "
                                     f"expected {expected}; somebody changed it since the plan: make a new plan")
            self._backends.set_target(name, address)
        state = self.observe()
        if state.green is None or state.green.target != address:
            raise StepFailedError(f"{self.label}: green's {name} reads back "
                                  f"{state.green.target if state.green else 'nothing'}, expected {address}")
        return state

    def undo(self) -> TrafficState:
        """All traffic back to blue from whatever split the shift reached (abort, failed gate)."""
        state = self.observe()
        if state.setting is None:
            raise GuardError(state.problem or f"{self.label} cannot be read")
        return self.apply(state.setting, setting_for(0))


def router_for(pb: Playbook, ctx: AzureContext, edge_kube: Callable[[], KubeClient] | None = None) -> Router | None:
    """The playbook's weighted router, or None for a DNS switch; `edge_kube` reaches the HTTPRoute's cluster."""
    sw = pb.switch
    if sw.type == "gateway_api" and sw.gateway_api is not None and edge_kube is not None:
        g = sw.gateway_api
        routes = HttpRouteBackends(edge_kube, g.namespace, g.route, g.rule)
        return Router(f"HTTPRoute {g.namespace}/{g.route} on {g.cluster.name}", routes, g.blue_backend,
                      g.green_backend)
    if sw.type == "traffic_manager" and sw.traffic_manager is not None:
        t = sw.traffic_manager
        tm = TrafficManagerEndpoints(ctx, t.resource_group or pb.resource_group, t.profile, t.endpoint_type)
        return Router(f"Traffic Manager {t.profile}", tm, t.blue_endpoint, t.green_endpoint, tm=tm)
    if sw.type == "front_door" and sw.front_door is not None:
        f = sw.front_door
        origins = FrontDoorOrigins(ctx, f.resource_group or pb.resource_group, f.profile, f.origin_group)
        return Router(f"Front Door {f.profile}/{f.origin_group}", origins, f.blue_origin, f.green_origin)
    return None


class DnsRouter:
    """The all-or-nothing router: one record holds blue's value (0%) or green's (100%)."""

    def __init__(self, dns: DnsRecords, zone_rg: str, zone: str, record: str, record_type: RecordType) -> None:
        self._dns, self._where = dns, (zone_rg, zone, record, record_type)
        self.label = f"{record}.{zone} {record_type}"

    def observe(self) -> RecordSetInfo | None:
        return self._dns.get(*self._where)

    def apply(self, expected: str, value: str) -> RecordSetInfo:
        """From `expected` to `value` with If-Match on the ETag just read; a record at `value` is left alone."""
        record = self.observe()
        if record is None:
            raise GuardError(f"{self.label} vanished")
        if list(record.values) == [value]:
            return record
        if list(record.values) != [expected]:
            raise GuardError(f"{self.label} holds {', '.join(record.values)}, expected {expected}; not touching it")
        self._dns.set_values(record, [value])
        return self.verify(value)

    def verify(self, value: str) -> RecordSetInfo:
        record = self.observe()
        if record is None or list(record.values) != [value]:
            raise StepFailedError(f"{self.label} reads back {record.values if record else 'nothing'}, "
                                  f"expected {value}")
        return record
