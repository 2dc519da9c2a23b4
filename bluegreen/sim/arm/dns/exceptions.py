"""DNS error codes."""

from __future__ import annotations

from bluegreen.sim.arm.core.errors import ArmError


def zone_not_found(zone: str, rg: str) -> ArmError:
    return ArmError(404, "ParentResourceNotFound",
                    f"Can not perform requested operation on nested resource. Parent resource '{zone}' not found.",
                    target=rg)


def record_not_found(zone: str, name: str, rtype: str) -> ArmError:
    return ArmError(404, "NotFound", f"The resource record '{name}' of type '{rtype}' does not exist in zone '{zone}'.")


def record_modified(name: str) -> ArmError:
    return ArmError(412, "PreconditionFailed",
                    f"The Record set {name} has been modified (etag mismatch) or a condition was not met.")


def bad_record(message: str, target: str | None = None) -> ArmError:
    return ArmError(400, "BadRequest", message, target=target)
