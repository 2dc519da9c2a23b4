"""Gateway API HTTPRoute backendRefs as a weighted router's two sides, through the Kubernetes client.

Why: an edge or gateway cluster (or Application Gateway for Containers) splits
traffic by backendRef weights. A side taken out gets weight 0 (the Gateway API's
way; there is no enabled flag). Each write is a merge patch carrying the
resourceVersion just read, so a route edited in between is refused by the API
server (409) instead of overwritten.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from bluegreen.errors import GuardError, PreconditionFailedError, StalePlanError
from bluegreen.kube.client import KubeClient
from bluegreen.traffic.split import BackendInfo

API = "gateway.networking.k8s.io/v1"


class HttpRouteBackends:
    def __init__(self, kube: Callable[[], KubeClient], namespace: str, route: str, rule: int) -> None:
        self._kube, self.namespace, self.route, self.rule = kube, namespace, route, rule

    def _read(self) -> dict[str, Any] | None:
        return self._kube().get(API, "HTTPRoute", self.namespace, self.route)

    def _ref(self, route: dict[str, Any], name: str) -> dict[str, Any] | None:
        rules = (route.get("spec") or {}).get("rules") or []
        if self.rule >= len(rules):
            return None
        return next((r for r in rules[self.rule].get("backendRefs") or [] if r.get("name") == name), None)

    def get(self, name: str) -> BackendInfo | None:
        route = self._read()
        ref = self._ref(route, name) if route is not None else None
        if ref is None:
            return None
        weight = int(ref.get("weight", 1))
        target = f"Service {ref.get('namespace') or self.namespace}/{name}" + (f":{ref['port']}" if ref.get("port") else "")
        return BackendInfo(name, weight, weight > 0, target)

    def set_target(self, name: str, target: str) -> None:
        raise GuardError(f"HTTPRoute {self.namespace}/{self.route}: a backendRef names a Service, not an address; "
                         "green_target is for Traffic Manager and Front Door")

    def set(self, name: str, weight: int, enabled: bool) -> None:
        route = self._read()
        if route is None or self._ref(route, name) is None:
            raise LookupError(f"HTTPRoute {self.namespace}/{self.route} has no backendRef {name} in rule {self.rule}")
        rules = copy.deepcopy(route["spec"]["rules"])
        for ref in rules[self.rule]["backendRefs"]:
            if ref.get("name") == name:
                ref["weight"] = weight if enabled else 0
        # The resourceVersion makes the patch conditional: an edit since our read answers 409.
        try:
            self._kube().patch_merge(API, "HTTPRoute", self.namespace, self.route, {
                "metadata": {"resourceVersion": route["metadata"]["resourceVersion"]}, "spec": {"rules": rules}})
        except PreconditionFailedError as exc:
            raise StalePlanError(f"HTTPRoute {self.namespace}/{self.route} changed while bluegreen wrote it ({exc}); "
                                 "make a new plan") from exc
