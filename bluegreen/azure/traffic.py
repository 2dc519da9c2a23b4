"""Weighted routers on Azure: Traffic Manager endpoints and Front Door Standard/Premium origins.

Why a thin client: the shift reads one endpoint or origin, writes its weight and
enabled state, and reads it back; nothing else. Neither API has an ETag on these
objects, so the caller compares what it reads with its plan before writing.
Traffic Manager writes are synchronous PATCHes; Front Door origin updates are
long-running operations, awaited on our clock.
"""

from __future__ import annotations

from typing import Any

from bluegreen.azure.context import AzureContext, ClockPolling
from bluegreen.azure.wire import wire_dict
from bluegreen.errors import NotFoundError
from bluegreen.traffic.split import BackendInfo


def _prop(raw: dict[str, Any], *names: str) -> Any:
    nested = raw.get("properties")
    props: dict[str, Any] = nested if isinstance(nested, dict) else raw
    for name in names:
        if name in props:
            return props[name]
        if name in raw:
            return raw[name]
    return None


class TrafficManagerEndpoints:
    def __init__(self, ctx: AzureContext, resource_group: str, profile: str, endpoint_type: str) -> None:
        self._ctx, self.resource_group, self.profile, self.endpoint_type = ctx, resource_group, profile, endpoint_type

    @property
    def _rid(self) -> str:
        return (f"/subscriptions/{self._ctx.subscription_id}/resourceGroups/{self.resource_group}/providers/"
                f"Microsoft.Network/trafficManagerProfiles/{self.profile}")

    def routing_method(self) -> str | None:
        """The profile's routing method, or None when the profile does not exist."""
        try:
            model = self._ctx.call(lambda: self._ctx.trafficmanager.profiles.get(self.resource_group, self.profile),
                                   resource=self._rid, operation="get profile")
        except NotFoundError:
            return None
        return str(_prop(wire_dict(model), "trafficRoutingMethod", "traffic_routing_method"))

    def get(self, name: str) -> BackendInfo | None:
        rid = f"{self._rid}/{self.endpoint_type}/{name}"
        try:
            model = self._ctx.call(lambda: self._ctx.trafficmanager.endpoints.get(
                self.resource_group, self.profile, self.endpoint_type, name), resource=rid, operation="get endpoint")
        except NotFoundError:
            return None
        raw = wire_dict(model)
        status = _prop(raw, "endpointStatus", "endpoint_status")
        return BackendInfo(name=raw.get("name") or name, weight=_prop(raw, "weight"), enabled=status == "Enabled",
                           target=_prop(raw, "target", "targetResourceId", "target_resource_id"))

    def set(self, name: str, weight: int, enabled: bool) -> None:
        rid = f"{self._rid}/{self.endpoint_type}/{name}"
        body = {"properties": {"weight": weight, "endpointStatus": "Enabled" if enabled else "Disabled"}}
        self._ctx.call(lambda: self._ctx.trafficmanager.endpoints.update(
            self.resource_group, self.profile, self.endpoint_type, name, body), resource=rid, operation="update endpoint")

    def set_target(self, name: str, target: str) -> None:
        rid = f"{self._rid}/{self.endpoint_type}/{name}"
        body = {"properties": {"target": target}}
        self._ctx.call(lambda: self._ctx.trafficmanager.endpoints.update(
            self.resource_group, self.profile, self.endpoint_type, name, body), resource=rid, operation="update endpoint")


class FrontDoorOrigins:
    def __init__(self, ctx: AzureContext, resource_group: str, profile: str, origin_group: str) -> None:
        self._ctx, self.resource_group, self.profile, self.origin_group = ctx, resource_group, profile, origin_group

    @property
    def _rid(self) -> str:
        return (f"/subscriptions/{self._ctx.subscription_id}/resourceGroups/{self.resource_group}/providers/"
                f"Microsoft.Cdn/profiles/{self.profile}/originGroups/{self.origin_group}")

    def get(self, name: str) -> BackendInfo | None:
        try:
            model = self._ctx.call(lambda: self._ctx.cdn.afd_origins.get(
                self.resource_group, self.profile, self.origin_group, name),
                resource=f"{self._rid}/origins/{name}", operation="get origin")
        except NotFoundError:
            return None
        raw = wire_dict(model)
        state = _prop(raw, "enabledState", "enabled_state")
        return BackendInfo(name=raw.get("name") or name, weight=_prop(raw, "weight"), enabled=state == "Enabled",
                           target=_prop(raw, "hostName", "host_name"))

    def set(self, name: str, weight: int, enabled: bool) -> None:
        self._update(name, {"properties": {"weight": weight, "enabledState": "Enabled" if enabled else "Disabled"}})

    def set_target(self, name: str, target: str) -> None:
        self._update(name, {"properties": {"hostName": target}})

    def _update(self, name: str, body: dict[str, Any]) -> None:
        def start(polling: ClockPolling, token: str | None) -> Any:
            return self._ctx.cdn.afd_origins.begin_update(self.resource_group, self.profile, self.origin_group,
                                                          name, body, polling=polling, continuation_token=token)

        self._ctx.run_lro(start, resource=f"{self._rid}/origins/{name}", operation="update origin")
