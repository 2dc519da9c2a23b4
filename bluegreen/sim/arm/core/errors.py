"""ARM's CloudError, raised by handlers and turned into a JSON error body by the router."""

from __future__ import annotations

from typing import Any

from bluegreen.sim.arm.core.http import ArmResponse


class ArmError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        target: str | None = None,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.target = target
        self.details = details or []
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "target": self.target, "details": self.details}}

    def to_response(self) -> ArmResponse:
        return ArmResponse(self.status, self.body(), dict(self.headers))


def not_found(resource_type: str, name: str, resource_group: str) -> ArmError:
    return ArmError(
        404,
        "ResourceNotFound",
        f"The Resource '{resource_type}/{name}' under resource group '{resource_group}' was not found. "
        "For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    )


def precondition_failed(what: str) -> ArmError:
    return ArmError(412, "PreconditionFailed", f"The condition specified using HTTP conditional header(s) is not met for {what}.")


def bad_request(code: str, message: str, target: str | None = None) -> ArmError:
    return ArmError(400, code, message, target=target)
