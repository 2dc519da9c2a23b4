"""Traffic Manager profiles as plain dicts; the path says `trafficmanagerprofiles`, ids say `trafficManagerProfiles`."""

from __future__ import annotations

import copy
from typing import Any

from bluegreen.sim.arm.core.errors import ArmError

API = "Microsoft.Network/trafficManagerProfiles"
PROFILE_TYPE = "Microsoft.Network/trafficManagerProfiles"
ENDPOINT_TYPES = {"azureendpoints": "azureEndpoints", "externalendpoints": "externalEndpoints",
                  "nestedendpoints": "nestedEndpoints"}
ROUTING = ("Performance", "Priority", "Weighted", "Geographic", "MultiValue", "Subnet")


def profile_id(sub: str, rg: str, profile: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/trafficManagerProfiles/{profile}"


def _bad(message: str, target: str) -> ArmError:
    return ArmError(400, "BadRequest", message, target=target)


class TrafficManagerBackend:
    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self.state = ctx.state.setdefault("trafficManager", {"profiles": {}})

    def profile(self, sub: str, rg: str, name: str) -> dict[str, Any]:
        found = self.state["profiles"].get(profile_id(sub, rg, name).lower())
        if found is None:
            raise ArmError(404, "NotFound", f"The Traffic Manager profile '{name}' was not found in resource group '{rg}'.")
        return found

    @staticmethod
    def _endpoint_key(endpoint_type: str, name: str) -> str:
        kind = ENDPOINT_TYPES.get(endpoint_type.lower())
        if kind is None:
            raise _bad(f"'{endpoint_type}' is not a valid endpoint type.", "endpointType")
        return f"{kind}/{name.lower()}"

    def endpoint(self, sub: str, rg: str, profile: str, endpoint_type: str, name: str) -> dict[str, Any]:
        prof = self.profile(sub, rg, profile)
        found = prof["endpoints"].get(self._endpoint_key(endpoint_type, name))
        if found is None:
            raise ArmError(404, "NotFound", f"The endpoint '{name}' was not found in Traffic Manager profile '{profile}'.")
        return found

    def put_endpoint(self, sub: str, rg: str, profile: str, endpoint_type: str, name: str,
                     body: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
        prof = self.profile(sub, rg, profile)
        key = self._endpoint_key(endpoint_type, name)
        props = self._validate(prof, endpoint_type, copy.deepcopy(body.get("properties") or {}), partial=False)
        created = key not in prof["endpoints"]
        stored_name = name if created else prof["endpoints"][key]["name"]
        prof["endpoints"][key] = self._doc(prof, key, stored_name, props)
        return created, prof["endpoints"][key]

    def patch_endpoint(self, sub: str, rg: str, profile: str, endpoint_type: str, name: str,
                       body: dict[str, Any]) -> dict[str, Any]:
        prof = self.profile(sub, rg, profile)
        current = self.endpoint(sub, rg, profile, endpoint_type, name)
        props = self._validate(prof, endpoint_type, copy.deepcopy(body.get("properties") or {}), partial=True)
        merged = {**current["properties"], **{k: v for k, v in props.items() if v is not None}}
        key = self._endpoint_key(endpoint_type, name)
        prof["endpoints"][key] = self._doc(prof, key, current["name"], merged)
        return prof["endpoints"][key]

    @staticmethod
    def _validate(prof: dict[str, Any], endpoint_type: str, props: dict[str, Any], *, partial: bool) -> dict[str, Any]:
        for key, low, high in (("weight", 1, 1000), ("priority", 1, 1000)):
            value = props.get(key)
            if value is not None and (not isinstance(value, int) or not low <= value <= high):
                raise _bad(f"The {key} must be an integer between {low} and {high}.", key)
        status = props.get("endpointStatus")
        if status is not None and status not in ("Enabled", "Disabled"):
            raise _bad("endpointStatus must be 'Enabled' or 'Disabled'.", "endpointStatus")
        if not partial:
            kind = endpoint_type.lower()
            if kind == "externalendpoints" and not props.get("target"):
                raise _bad("An external endpoint needs a target.", "target")
            if kind in ("azureendpoints", "nestedendpoints") and not props.get("targetResourceId"):
                raise _bad("An Azure or nested endpoint needs a targetResourceId.", "targetResourceId")
            props.setdefault("endpointStatus", "Enabled")
            props.setdefault("weight", 1)
            props.setdefault("priority", len(prof["endpoints"]) + 1)
        return props

    @staticmethod
    def _doc(prof: dict[str, Any], key: str, name: str, props: dict[str, Any]) -> dict[str, Any]:
        kind = key.split("/", 1)[0]
        props = dict(props)
        props["endpointMonitorStatus"] = "Online" if props.get("endpointStatus") == "Enabled" else "Disabled"
        return {"id": f"{prof['id']}/{kind}/{name}", "name": name, "type": f"{PROFILE_TYPE}/{kind}",
                "properties": props}

    def profile_doc(self, prof: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": prof["id"], "name": prof["name"], "type": PROFILE_TYPE, "location": "global",
            "tags": dict(prof.get("tags") or {}),
            "properties": {
                "profileStatus": "Enabled",
                "trafficRoutingMethod": prof["routing"],
                "dnsConfig": {"relativeName": prof["name"].lower(), "fqdn": f"{prof['name'].lower()}.trafficmanager.net",
                              "ttl": 60},
                "monitorConfig": {"profileMonitorStatus": "Online", "protocol": "HTTPS", "port": 443, "path": "/healthz",
                                  "intervalInSeconds": 30, "timeoutInSeconds": 10, "toleratedNumberOfFailures": 3},
                "endpoints": [copy.deepcopy(e) for _, e in sorted(prof["endpoints"].items())],
                "trafficViewEnrollmentStatus": "Disabled",
            },
        }

    # ---- seeding, inspection ---------------------------------------------------------------------
    def seed_profile(self, sub: str, rg: str, name: str, endpoints: list[dict[str, Any]],
                     routing: str = "Weighted") -> str:
        rid = profile_id(sub, rg, name)
        prof = {"id": rid, "name": name, "routing": routing, "tags": {}, "endpoints": {}}
        self.state["profiles"][rid.lower()] = prof
        for spec in endpoints:
            spec = dict(spec)
            endpoint_type = spec.pop("type", "ExternalEndpoints")
            ep_name = spec.pop("name")
            self.put_endpoint(sub, rg, name, endpoint_type, ep_name, {"properties": spec})
        return rid

    def inspect(self) -> list[dict[str, Any]]:
        rows = []
        for prof in sorted(self.state["profiles"].values(), key=lambda p: p["id"].lower()):
            for _, ep in sorted(prof["endpoints"].items()):
                props = ep["properties"]
                rows.append({"kind": "trafficManager", "profile": prof["name"], "endpoint": ep["name"],
                             "target": props.get("target") or props.get("targetResourceId"),
                             "weight": props.get("weight"), "enabled": props.get("endpointStatus") == "Enabled"})
        return rows
