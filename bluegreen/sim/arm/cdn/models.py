"""Front Door profiles, origin groups and origins as plain dicts.

Origin writes are long-running: the new properties show at once with provisioningState
Creating/Updating; if the operation fails they are rolled back (traffic did not move) and the
origin shows Failed.
"""

from __future__ import annotations

import copy
from typing import Any

from bluegreen.sim.arm.core.context import SimContext
from bluegreen.sim.arm.core.errors import ArmError

API = "Microsoft.Cdn/profiles"
ORIGIN_TYPE = "Microsoft.Cdn/profiles/origingroups/origins"
GROUP_TYPE = "Microsoft.Cdn/profiles/origingroups"
WRITABLE = ("hostName", "httpPort", "httpsPort", "originHostHeader", "priority", "weight", "enabledState",
            "enforceCertificateNameCheck", "sharedPrivateLinkResource", "azureOrigin")


def profile_id(sub: str, rg: str, profile: str) -> str:
    return f"/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.Cdn/profiles/{profile}"


def _bad(message: str, target: str) -> ArmError:
    return ArmError(400, "BadRequest", message, target=target)


class CdnBackend:
    def __init__(self, ctx: SimContext) -> None:
        self.ctx = ctx
        self.state = ctx.state.setdefault("cdn", {"profiles": {}})
        ctx.ops.register("cdn", self._complete)

    def group(self, sub: str, rg: str, profile: str, group: str) -> dict[str, Any]:
        prof = self.state["profiles"].get(profile_id(sub, rg, profile).lower())
        if prof is None:
            raise ArmError(404, "NotFound", f"Profile '{profile}' was not found.")
        found = prof["originGroups"].get(group.lower())
        if found is None:
            raise ArmError(404, "NotFound", f"Origin group '{group}' was not found in profile '{profile}'.")
        return found

    def groups(self, sub: str, rg: str, profile: str) -> list[dict[str, Any]]:
        prof = self.state["profiles"].get(profile_id(sub, rg, profile).lower())
        if prof is None:
            raise ArmError(404, "NotFound", f"Profile '{profile}' was not found.")
        return [g for _, g in sorted(prof["originGroups"].items())]

    def origin(self, sub: str, rg: str, profile: str, group: str, name: str) -> dict[str, Any]:
        found = self.group(sub, rg, profile, group)["origins"].get(name.lower())
        if found is None:
            raise ArmError(404, "NotFound", f"Origin '{name}' was not found in origin group '{group}'.")
        return found

    @staticmethod
    def _validate(props: dict[str, Any], *, create: bool) -> dict[str, Any]:
        clean = {k: v for k, v in props.items() if k in WRITABLE}
        if create and not clean.get("hostName"):
            raise _bad("The origin's hostName is required.", "properties.hostName")
        for key, low, high in (("weight", 1, 1000), ("priority", 1, 5), ("httpPort", 1, 65535),
                               ("httpsPort", 1, 65535)):
            value = clean.get(key)
            if value is not None and (not isinstance(value, int) or not low <= value <= high):
                raise _bad(f"The {key} must be an integer between {low} and {high}.", f"properties.{key}")
        state = clean.get("enabledState")
        if state is not None and state not in ("Enabled", "Disabled"):
            raise _bad("enabledState must be 'Enabled' or 'Disabled'.", "properties.enabledState")
        return clean

    def begin_put(self, sub: str, rg: str, profile: str, group: str, name: str,
                  body: dict[str, Any]) -> tuple[bool, dict[str, Any], dict[str, Any] | None]:
        """Returns (created, origin, previous properties or None)."""
        grp = self.group(sub, rg, profile, group)
        current = grp["origins"].get(name.lower())
        self._refuse_if_busy(current)
        props = self._validate(copy.deepcopy(body.get("properties") or {}), create=True)
        previous = copy.deepcopy(current["properties"]) if current else None
        origin = self._doc(grp, current["name"] if current else name, props,
                           "Updating" if current else "Creating")
        grp["origins"][name.lower()] = origin
        return current is None, origin, previous

    def begin_patch(self, sub: str, rg: str, profile: str, group: str, name: str,
                    body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        grp = self.group(sub, rg, profile, group)
        current = self.origin(sub, rg, profile, group, name)
        self._refuse_if_busy(current)
        props = self._validate(copy.deepcopy(body.get("properties") or {}), create=False)
        previous = copy.deepcopy(current["properties"])
        merged = {k: v for k, v in previous.items() if k in WRITABLE}
        merged.update({k: v for k, v in props.items() if v is not None})
        origin = self._doc(grp, current["name"], merged, "Updating")
        grp["origins"][name.lower()] = origin
        return origin, previous

    @staticmethod
    def _refuse_if_busy(origin: dict[str, Any] | None) -> None:
        if origin and origin["properties"]["provisioningState"] in ("Creating", "Updating"):
            raise ArmError(409, "Conflict", f"Origin '{origin['name']}' has an operation in progress.")

    @staticmethod
    def _doc(grp: dict[str, Any], name: str, props: dict[str, Any], state: str) -> dict[str, Any]:
        full = {"hostName": None, "httpPort": 80, "httpsPort": 443, "originHostHeader": props.get("hostName"),
                "priority": None, "weight": None, "enabledState": "Enabled", "enforceCertificateNameCheck": True,
                "sharedPrivateLinkResource": None}
        full.update(props)
        full.update({"originGroupName": grp["name"], "provisioningState": state,
                     "deploymentStatus": "InProgress" if state != "Succeeded" else "Succeeded"})
        return {"id": f"{grp['id']}/origins/{name}", "name": name, "type": ORIGIN_TYPE, "properties": full}

    def _complete(self, op: dict[str, Any]) -> None:
        data = op["_data"]
        grp = self.group(data["sub"], data["rg"], data["profile"], data["group"])
        origin = grp["origins"].get(data["origin"].lower())
        if origin is None:
            return
        props = origin["properties"]
        if op["status"] == "Failed":
            if data.get("previous") is not None:
                props.update(data["previous"])
            props["provisioningState"] = "Failed"
            props["deploymentStatus"] = "Failed"
        else:
            props["provisioningState"] = "Succeeded"
            props["deploymentStatus"] = "Succeeded"

    @staticmethod
    def group_doc(grp: dict[str, Any]) -> dict[str, Any]:
        return {"id": grp["id"], "name": grp["name"], "type": GROUP_TYPE, "properties": copy.deepcopy(grp["properties"])}

    # ---- seeding, inspection ---------------------------------------------------------------------
    def seed(self, sub: str, rg: str, profile: str, group: str, origins: list[dict[str, Any]]) -> str:
        pid = profile_id(sub, rg, profile)
        prof = self.state["profiles"].setdefault(pid.lower(), {"id": pid, "name": profile, "originGroups": {}})
        gid = f"{pid}/origingroups/{group}"
        grp: dict[str, Any] = {
            "id": gid, "name": group, "origins": {},
            "properties": {
                "loadBalancingSettings": {"sampleSize": 4, "successfulSamplesRequired": 3,
                                          "additionalLatencyInMilliseconds": 50},
                "healthProbeSettings": {"probePath": "/healthz", "probeRequestType": "HEAD", "probeProtocol": "Https",
                                        "probeIntervalInSeconds": 100},
                "sessionAffinityState": "Disabled", "provisioningState": "Succeeded", "deploymentStatus": "Succeeded",
                "profileName": profile,
            },
        }
        prof["originGroups"][group.lower()] = grp
        for spec in origins:
            spec = dict(spec)
            name = spec.pop("name")
            props = self._validate(spec, create=True)
            grp["origins"][name.lower()] = self._doc(grp, name, props, "Succeeded")
        return gid

    def inspect(self) -> list[dict[str, Any]]:
        rows = []
        for prof in sorted(self.state["profiles"].values(), key=lambda p: p["id"].lower()):
            for _, grp in sorted(prof["originGroups"].items()):
                for _, origin in sorted(grp["origins"].items()):
                    props = origin["properties"]
                    rows.append({"kind": "frontDoor", "profile": prof["name"], "originGroup": grp["name"],
                                 "origin": origin["name"], "target": props.get("hostName"),
                                 "weight": props.get("weight"), "enabled": props.get("enabledState") == "Enabled"})
        return rows
