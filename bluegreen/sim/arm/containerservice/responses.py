"""Parse AKS requests, call the backend, shape the answer (status codes and LRO headers as ARM sends them)."""

from __future__ import annotations

from typing import Any

from bluegreen.sim.arm.containerservice.models import AksBackend, public
from bluegreen.sim.arm.core.context import POLL_SECONDS
from bluegreen.sim.arm.core.errors import ArmError
from bluegreen.sim.arm.core.http import ArmRequest, ArmResponse, absolute
from bluegreen.sim.arm.core.operation_responses import find_operation, operation_status, still_running

_LOC = "/subscriptions/{sub}/providers/Microsoft.ContainerService/locations/{location}"


class AksResponses:
    def __init__(self, backend: AksBackend) -> None:
        self.backend = backend
        self.ops = backend.ctx.ops

    # ---- helpers -------------------------------------------------------------------------------
    def _start(self, req: ArmRequest, cluster: dict[str, Any], kind: str,
               data: dict[str, Any] | None = None) -> dict[str, Any]:
        sub = req.params["subscriptionId"]
        base = _LOC.format(sub=sub, location=cluster["location"])
        return self.ops.start(
            kind=f"aks.{kind}",
            resource_id=cluster["id"],
            duration=self.backend.ctx.durations[f"aks.{kind}"],
            status_path=base + "/operations/{op}",
            result_path=base + "/operationresults/{op}",
            fail=req.fail_lro,
            data=data,
        )

    @staticmethod
    def _lro_headers(req: ArmRequest, op: dict[str, Any], *, async_op: bool, location: bool) -> dict[str, str]:
        headers = {"Retry-After": str(POLL_SECONDS)}
        if async_op:
            headers["Azure-AsyncOperation"] = absolute(op["id"], req.api_version)
        if location:
            headers["Location"] = absolute(op["_resultPath"], req.api_version)
        return headers

    def _names(self, req: ArmRequest) -> tuple[str, str, str]:
        p = req.params
        return p["subscriptionId"], p["resourceGroupName"], p["resourceName"]

    # ---- managedClusters -----------------------------------------------------------------------
    def get(self, req: ArmRequest) -> ArmResponse:
        return ArmResponse(200, public(self.backend.get(*self._names(req))))

    def list_by_resource_group(self, req: ArmRequest) -> ArmResponse:
        found = self.backend.list_clusters(req.params["subscriptionId"], req.params["resourceGroupName"])
        return ArmResponse(200, {"value": [public(c) for c in found]})

    def list_all(self, req: ArmRequest) -> ArmResponse:
        return ArmResponse(200, {"value": [public(c) for c in self.backend.list_clusters(req.params["subscriptionId"])]})

    def create_or_update(self, req: ArmRequest) -> ArmResponse:
        created, cluster = self.backend.create_or_update(
            *self._names(req), req.json_object(),
            if_match=req.header("If-Match"), if_none_match=req.header("If-None-Match"),
        )
        kind = "create" if created else ("upgrade" if cluster["properties"].get("_upgradeTo") else "update")
        op = self._start(req, cluster, kind)
        headers = self._lro_headers(req, op, async_op=True, location=False)
        return ArmResponse(201 if created else 200, public(cluster), headers)

    def delete(self, req: ArmRequest) -> ArmResponse:
        cluster = self.backend.begin_delete(*self._names(req), req.header("If-Match"))
        if cluster is None:
            return ArmResponse(204)
        op = self._start(req, cluster, "delete")
        return ArmResponse(202, None, self._lro_headers(req, op, async_op=True, location=True))

    def stop(self, req: ArmRequest) -> ArmResponse:
        return self._power(req, start=False)

    def start(self, req: ArmRequest) -> ArmResponse:
        return self._power(req, start=True)

    def _power(self, req: ArmRequest, *, start: bool) -> ArmResponse:
        cluster = self.backend.begin_power(*self._names(req), start)
        op = self._start(req, cluster, "start" if start else "stop")
        return ArmResponse(202, None, self._lro_headers(req, op, async_op=False, location=True))

    def update_tags(self, req: ArmRequest) -> ArmResponse:
        cluster = self.backend.begin_update_tags(*self._names(req), req.json_object())
        op = self._start(req, cluster, "tags")
        return ArmResponse(200, public(cluster), self._lro_headers(req, op, async_op=True, location=False))

    def user_credentials(self, req: ArmRequest) -> ArmResponse:
        return ArmResponse(200, self.backend.credentials(*self._names(req), "user"))

    def admin_credentials(self, req: ArmRequest) -> ArmResponse:
        return ArmResponse(200, self.backend.credentials(*self._names(req), "admin"))

    # ---- agentPools, versions --------------------------------------------------------------------
    def get_pool(self, req: ArmRequest) -> ArmResponse:
        return ArmResponse(200, self.backend.pool(*self._names(req), req.params["agentPoolName"]))

    def put_pool(self, req: ArmRequest) -> ArmResponse:
        pool_name = req.params["agentPoolName"]
        created, cluster, kind = self.backend.put_pool(
            *self._names(req), pool_name, req.json_object(),
            if_match=req.header("If-Match"), if_none_match=req.header("If-None-Match"))
        op = self._start(req, cluster, kind, {"pool": pool_name.lower()})
        headers = self._lro_headers(req, op, async_op=True, location=False)
        return ArmResponse(201 if created else 200, self.backend.pool(*self._names(req), pool_name), headers)

    def delete_pool(self, req: ArmRequest) -> ArmResponse:
        pool_name = req.params["agentPoolName"]
        cluster = self.backend.begin_delete_pool(*self._names(req), pool_name, req.header("If-Match"))
        if cluster is None:
            return ArmResponse(204)
        op = self._start(req, cluster, "pooldelete", {"pool": pool_name.lower()})
        return ArmResponse(202, None, self._lro_headers(req, op, async_op=True, location=True))

    def upgrade_profile(self, req: ArmRequest) -> ArmResponse:
        return ArmResponse(200, self.backend.upgrade_profile(*self._names(req)))

    def list_pools(self, req: ArmRequest) -> ArmResponse:
        return ArmResponse(200, {"value": self.backend.pools(*self._names(req))})

    def kubernetes_versions(self, req: ArmRequest) -> ArmResponse:
        return ArmResponse(200, self.backend.versions_doc(req.params["location"]))

    # ---- operation status / results -----------------------------------------------------------
    def operation_status(self, req: ArmRequest) -> ArmResponse:
        return operation_status(self.ops, req)

    def operation_result(self, req: ArmRequest) -> ArmResponse:
        op = find_operation(self.ops, req)
        pending = still_running(op, req)
        if pending is not None:
            return pending
        if op["status"] == "Succeeded":
            return ArmResponse(204)
        error = op.get("error") or {"code": "OperationCanceled", "message": "The operation was canceled."}
        raise ArmError(400, error.get("code", "InternalOperationError"), error.get("message", ""),
                       details=error.get("details"))
