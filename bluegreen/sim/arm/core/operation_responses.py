"""The two polling endpoints every long-running ARM operation has: its status monitor and its result."""

from __future__ import annotations

from typing import Any

from bluegreen.sim.arm.core.context import POLL_SECONDS
from bluegreen.sim.arm.core.errors import ArmError
from bluegreen.sim.arm.core.http import ArmRequest, ArmResponse, absolute
from bluegreen.sim.arm.core.lro import Operations


def find_operation(ops: Operations, req: ArmRequest) -> dict[str, Any]:
    op = ops.get(req.params["operationId"])
    if op is None:
        raise ArmError(404, "NotFound", f"Operation {req.params['operationId']} was not found.")
    return op


def operation_status(ops: Operations, req: ArmRequest) -> ArmResponse:
    """Azure-AsyncOperation monitor: 200 with `status`, and Retry-After while it is in progress."""
    op = find_operation(ops, req)
    headers = {"Retry-After": str(POLL_SECONDS)} if op["status"] == "InProgress" else {}
    return ArmResponse(200, Operations.public(op), headers)


def still_running(op: dict[str, Any], req: ArmRequest) -> ArmResponse | None:
    """The Location (operation result) endpoint's 202 while the operation is in progress, else None."""
    if op["status"] != "InProgress":
        return None
    return ArmResponse(202, None, {"Location": absolute(op["_resultPath"], req.api_version),
                                   "Retry-After": str(POLL_SECONDS)})
