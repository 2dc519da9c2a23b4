"""Front Door handlers: origin create is 201 + Azure-AsyncOperation, updates 202 + Azure-AsyncOperation + Location."""

from __future__ import annotations

from typing import Any

from bluegreen.sim.arm.cdn.models import CdnBackend
from bluegreen.sim.arm.core.context import POLL_SECONDS
from bluegreen.sim.arm.core.errors import ArmError
from bluegreen.sim.arm.core.http import ArmRequest, ArmResponse, absolute
from bluegreen.sim.arm.core.operation_responses import find_operation, operation_status, still_running


class CdnResponses:
    def __init__(self, backend: CdnBackend) -> None:
        self.backend = backend
        self.ops = backend.ctx.ops

    @staticmethod
    def _args(req: ArmRequest) -> tuple[str, str, str, str]:
        p = req.params
        return p["subscriptionId"], p["resourceGroupName"], p["profileName"], p["originGroupName"]

    def _start(self, req: ArmRequest, kind: str, origin: dict[str, Any], previous: dict[str, Any] | None) -> dict:
        sub, rg, profile, group = self._args(req)
        base = f"/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.Cdn"
        return self.ops.start(
            kind=f"cdn.{kind}", resource_id=origin["id"], duration=self.backend.ctx.durations[f"cdn.{kind}"],
            status_path=base + "/operationresults/{op}", result_path=base + "/operationresults/{op}/profileresults",
            fail=req.fail_lro,
            data={"sub": sub, "rg": rg, "profile": profile, "group": group, "origin": origin["name"],
                  "previous": previous},
        )

    def get_group(self, req: ArmRequest) -> ArmResponse:
        return ArmResponse(200, self.backend.group_doc(self.backend.group(*self._args(req))))

    def list_groups(self, req: ArmRequest) -> ArmResponse:
        p = req.params
        groups = self.backend.groups(p["subscriptionId"], p["resourceGroupName"], p["profileName"])
        return ArmResponse(200, {"value": [self.backend.group_doc(g) for g in groups]})

    def get_origin(self, req: ArmRequest) -> ArmResponse:
        return ArmResponse(200, self.backend.origin(*self._args(req), req.params["originName"]))

    def list_origins(self, req: ArmRequest) -> ArmResponse:
        grp = self.backend.group(*self._args(req))
        return ArmResponse(200, {"value": [o for _, o in sorted(grp["origins"].items())]})

    def put_origin(self, req: ArmRequest) -> ArmResponse:
        created, origin, previous = self.backend.begin_put(*self._args(req), req.params["originName"],
                                                           req.json_object())
        op = self._start(req, "create" if created else "update", origin, previous)
        headers = {"Azure-AsyncOperation": absolute(op["id"], req.api_version), "Retry-After": str(POLL_SECONDS)}
        if created:
            return ArmResponse(201, origin, headers)
        headers["Location"] = absolute(op["_resultPath"], req.api_version)
        return ArmResponse(202, origin, headers)

    def patch_origin(self, req: ArmRequest) -> ArmResponse:
        origin, previous = self.backend.begin_patch(*self._args(req), req.params["originName"], req.json_object())
        op = self._start(req, "update", origin, previous)
        return ArmResponse(202, origin, {"Azure-AsyncOperation": absolute(op["id"], req.api_version),
                                         "Location": absolute(op["_resultPath"], req.api_version),
                                         "Retry-After": str(POLL_SECONDS)})

    def operation_status(self, req: ArmRequest) -> ArmResponse:
        return operation_status(self.ops, req)

    def operation_result(self, req: ArmRequest) -> ArmResponse:
        op = find_operation(self.ops, req)
        pending = still_running(op, req)
        if pending is not None:
            return pending
        if op["status"] == "Failed":
            error = op["error"]
            raise ArmError(400, error["code"], error["message"])
        data = op["_data"]
        return ArmResponse(200, self.backend.origin(data["sub"], data["rg"], data["profile"], data["group"],
                                                    data["origin"]))
