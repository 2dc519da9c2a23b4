"""The fake Azure Resource Manager: every service's routes on one `responses.RequestsMock`.

Each request: authenticate (Bearer), require api-version, settle due operations, apply faults,
route case-insensitively, run the handler, count the mutation, and only then tell `on_mutation`,
so a world that persists (or is killed) there always sees the whole mutation applied.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import responses

from bluegreen.clock import Clock
from bluegreen.sim.arm.cdn.models import API as CDN_API
from bluegreen.sim.arm.cdn.models import CdnBackend
from bluegreen.sim.arm.cdn.responses import CdnResponses
from bluegreen.sim.arm.cdn.urls import register as register_cdn
from bluegreen.sim.arm.containerservice.models import AksBackend, cluster_id
from bluegreen.sim.arm.containerservice.responses import AksResponses
from bluegreen.sim.arm.containerservice.urls import register as register_aks
from bluegreen.sim.arm.core.context import SimContext
from bluegreen.sim.arm.core.errors import ArmError
from bluegreen.sim.arm.core.faults import FaultSpec
from bluegreen.sim.arm.core.http import ArmRequest, ArmResponse
from bluegreen.sim.arm.core.lro import Operations
from bluegreen.sim.arm.core.router import Router
from bluegreen.sim.arm.dns.models import PRIVATE_API, PUBLIC_API, DnsBackend
from bluegreen.sim.arm.dns.responses import DnsResponses
from bluegreen.sim.arm.dns.urls import register as register_dns
from bluegreen.sim.arm.hooks import ClusterHooks
from bluegreen.sim.arm.insights.models import InsightsBackend
from bluegreen.sim.arm.insights.responses import InsightsResponses
from bluegreen.sim.arm.insights.urls import register as register_insights
from bluegreen.sim.arm.network.models import NetworkBackend
from bluegreen.sim.arm.network.responses import NetworkResponses
from bluegreen.sim.arm.network.urls import register as register_network
from bluegreen.sim.arm.trafficmanager.models import API as TM_API
from bluegreen.sim.arm.trafficmanager.models import TrafficManagerBackend
from bluegreen.sim.arm.trafficmanager.responses import TrafficManagerResponses
from bluegreen.sim.arm.trafficmanager.urls import register as register_tm

URL_PATTERN = re.compile(r"https://management\.azure\.com/.*", re.IGNORECASE)
METHODS = ("GET", "PUT", "PATCH", "POST", "DELETE", "HEAD")
STATE_VERSION = 1


class ArmSimulator:
    def __init__(self, clock: Clock, hooks: ClusterHooks, state: dict[str, Any] | None = None) -> None:
        self._clock = clock
        self._state: dict[str, Any] = copy.deepcopy(state) if state else {"version": STATE_VERSION}
        ops = Operations(self._state.setdefault("operations", {}), clock)
        self._ctx = SimContext(clock=clock, hooks=hooks, state=self._state, ops=ops)
        self._ctx.durations.update(self._state.get("durations", {}))
        self._state["durations"] = self._ctx.durations
        self._faults = [FaultSpec(**f) for f in self._state.get("faults", [])]
        self.mutation_counts: dict[str, int] = self._state.setdefault("mutationCounts", {})
        self.on_mutation: Callable[[str], None] | None = None
        # Grows when a clock step finished an operation: a world saves ARM state after a step only then.
        self.settled_generation = 0
        self._request_seq = 0
        # azure-core pollers run in background threads; one request at a time keeps state consistent.
        self._lock = threading.RLock()

        self.network = NetworkBackend(self._ctx)
        self.aks = AksBackend(self._ctx, subnet_free=self.network.free_addresses)
        self.network.clusters = self.aks
        self.dns = DnsBackend(self._ctx)
        self.traffic_manager = TrafficManagerBackend(self._ctx)
        self.cdn = CdnBackend(self._ctx)
        self.insights = InsightsBackend(self._ctx)

        self.router = Router()
        register_aks(self.router, AksResponses(self.aks))
        register_dns(self.router, DnsResponses(self.dns))
        register_tm(self.router, TrafficManagerResponses(self.traffic_manager))
        register_cdn(self.router, CdnResponses(self.cdn))
        register_network(self.router, NetworkResponses(self.network))
        register_insights(self.router, InsightsResponses(self.insights))

    @property
    def durations(self) -> dict[str, float]:
        """Simulated seconds per operation kind ("aks.create", ...); edit to make operations slower or faster."""
        return self._ctx.durations

    # ---- wiring ----------------------------------------------------------------------------------
    def install(self, mock: responses.RequestsMock) -> None:
        for method in METHODS:
            mock.add_callback(method, URL_PATTERN, callback=self.respond, content_type=None)

    def to_state(self) -> dict[str, Any]:
        return json.loads(json.dumps(self.state_view()))

    def state_view(self) -> dict[str, Any]:
        """The live state, not a copy (read only): saving serialises it row by row anyway."""
        self._state["faults"] = [f.to_dict() for f in self._faults]
        return self._state

    def settle(self) -> None:
        with self._lock:
            if self._ctx.ops.settle():
                self.settled_generation += 1

    def next_due(self) -> datetime | None:
        """When the next long-running operation finishes, if one is in progress."""
        with self._lock:
            return self._ctx.ops.next_due()

    def add_fault(self, fault: FaultSpec) -> None:
        self._faults.append(fault)

    # ---- request handling ------------------------------------------------------------------------
    def respond(self, prepared: Any) -> tuple[int, dict[str, str], str]:
        """The `responses` callback: a `requests.PreparedRequest` in, (status, headers, body) out."""
        response = self.handle(
            prepared.method, prepared.url, dict(prepared.headers or {}), prepared.body
        )
        self._request_seq += 1
        headers = {
            "x-ms-request-id": f"00000000-0000-0000-0000-{self._request_seq:012d}",
            "x-ms-correlation-request-id": f"00000000-0000-0000-0001-{self._request_seq:012d}",
            **response.headers,
        }
        if response.body is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        return response.status, headers, response.encoded()

    def handle(self, method: str, url: str, headers: dict[str, str], raw_body: Any) -> ArmResponse:
        """One ARM request, independent of the HTTP mock (usable from a server too)."""
        with self._lock:
            return self._handle(method, url, headers, raw_body)

    def _handle(self, method: str, url: str, headers: dict[str, str], raw_body: Any) -> ArmResponse:
        split = urlsplit(url)
        path = unquote(split.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        try:
            body = self._parse_body(raw_body)
            req = ArmRequest(method.upper(), path, query, headers, body)
            self._authenticate(req)
            if not req.api_version:
                raise ArmError(400, "MissingApiVersionParameter",
                               "The api-version query parameter (?api-version=) is required for all requests.")
            self.settle()
            found = self.router.match(req.method, path)
            if found is None:
                raise self._no_route(req)
            route, params = found
            req.params = params
            self._check_resource_group(params)
            early = self._apply_faults(req, route.api, route.operation, route.lro)
            if early is not None:
                return early
            self.settle()
            response = route.handler(req)
        except ArmError as err:
            return err.to_response()
        if route.mutating and response.status < 400:
            self.mutation_counts[route.api] = self.mutation_counts.get(route.api, 0) + 1
            late = self._apply_faults(req, route.api, route.operation, route.lro, after_commit=True)
            self._state["faults"] = [f.to_dict() for f in self._faults]
            if self.on_mutation is not None:
                self.on_mutation(route.api)
            if late is not None:
                return late
        return response

    @staticmethod
    def _parse_body(raw: Any) -> Any:
        if raw is None or raw == b"" or raw == "":
            return None
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8")
        if not isinstance(raw, str):
            raw = b"".join(raw).decode("utf-8")  # a stream
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise ArmError(400, "InvalidRequestContent",
                           f"The request content was invalid and could not be deserialized: {exc}") from exc

    @staticmethod
    def _authenticate(req: ArmRequest) -> None:
        auth = req.header("Authorization") or ""
        if not auth.startswith("Bearer ") or not auth[len("Bearer "):].strip():
            raise ArmError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")

    def _no_route(self, req: ArmRequest) -> ArmError:
        if self.router.path_known(req.path):
            return ArmError(405, "MethodNotAllowed", f"The requested resource does not support http method '{req.method}'.")
        return ArmError(404, "InvalidResourceType",
                        f"The resource type could not be found for path '{req.path}' (not simulated).")

    def _apply_faults(self, req: ArmRequest, api: str, operation: str, lro: bool,
                      after_commit: bool = False) -> ArmResponse | None:
        for fault in self._faults:
            if fault.after_commit != after_commit or not fault.matches(req.method, req.path, api, operation, lro):
                continue
            fault.fired += 1
            if fault.effect == "latency":
                self._clock.sleep(fault.latency_seconds)
                continue
            if fault.effect == "fail_lro":
                req.fail_lro = {"code": fault.code or "InternalOperationError",
                                "message": fault.message or "The operation failed (injected fault)."}
                continue
            return self._fault_response(fault)
        return None

    @staticmethod
    def _fault_response(fault: FaultSpec) -> ArmResponse:
        seconds = max(0.0, float(fault.retry_after))
        retry = {"Retry-After": str(int(seconds)) if seconds.is_integer() else str(seconds)}
        if fault.effect == "throttle":
            err = ArmError(429, fault.code or "SubscriptionRequestsThrottled", fault.message or (
                "Number of requests for subscription exceeded the limit. Please try again after some time."),
                headers={**retry, "x-ms-ratelimit-remaining-subscription-reads": "0"})
        elif fault.effect == "unavailable":
            err = ArmError(503, fault.code or "ServiceUnavailable",
                           fault.message or "The service is temporarily unavailable.", headers=retry)
        else:
            err = ArmError(500, fault.code or "InternalServerError",
                           fault.message or "Encountered internal server error.")
        return err.to_response()

    def _check_resource_group(self, params: dict[str, str]) -> None:
        """ARM answers 404 ResourceGroupNotFound for anything under a group that does not exist.

        Enforced once the world declares its groups (seed_resource_group); bare fakes in unit tests accept any.
        """
        groups = self._state.get("resourceGroups")
        rg = params.get("resourceGroupName")
        if groups is None or rg is None:
            return
        if f"{params.get('subscriptionId', '')}/{rg}".lower() not in groups:
            raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found.")

    # ---- seeding (no HTTP, no mutation counting) -------------------------------------------------
    def seed_resource_group(self, subscription: str, resource_group: str) -> None:
        """Declare a resource group; from the first declaration on, requests to undeclared groups get 404."""
        groups = self._state.setdefault("resourceGroups", [])
        key = f"{subscription}/{resource_group}".lower()
        if key not in groups:
            groups.append(key)

    def seed_kubernetes_versions(self, location: str, versions: list[str],
                                 preview: list[str] | tuple[str, ...] = ()) -> None:
        self.aks.seed_versions(location, versions, preview)

    def seed_cluster(
        self,
        subscription: str,
        resource_group: str,
        name: str,
        *,
        location: str,
        version: str,
        pools: list[dict[str, Any]],
        network_plugin: str = "azure",
        network_plugin_mode: str | None = None,
        tags: dict[str, str] | None = None,
        running: bool = True,
        aad: bool = False,
    ) -> str:
        if not self.aks.state["versions"].get(location.lower().replace(" ", "")):
            self.aks.seed_versions(location, [version])
        network: dict[str, Any] = {"networkPlugin": network_plugin}
        if network_plugin_mode:
            network["networkPluginMode"] = network_plugin_mode
        props: dict[str, Any] = {
            "kubernetesVersion": version,
            "dnsPrefix": f"{name}-dns",
            "agentPoolProfiles": [dict(p) for p in pools],
            "networkProfile": network,
        }
        if aad:
            props["aadProfile"] = {"managed": True, "enableAzureRBAC": True}
        body = {"location": location, "tags": tags or {}, "identity": {"type": "SystemAssigned"}, "properties": props}
        _, cluster = self.aks.create_or_update(subscription, resource_group, name, body, if_match=None,
                                               if_none_match=None)
        self.aks.mark_settled(cluster, running=True)
        rid = cluster_id(subscription, resource_group, name)
        self._ctx.hooks.cluster_created(cluster["id"], cluster["name"], cluster["properties"]["currentKubernetesVersion"])
        if not running:
            self.aks.set_power(rid, False)
        return str(cluster["id"])

    def seed_private_zone(self, subscription: str, resource_group: str, zone: str) -> str:
        return self.dns.seed_zone(True, subscription, resource_group, zone)

    def seed_public_zone(self, subscription: str, resource_group: str, zone: str) -> str:
        return self.dns.seed_zone(False, subscription, resource_group, zone)

    def seed_record(self, *, private: bool, subscription: str, resource_group: str, zone: str, name: str,
                    type: str, values: list[str], ttl: int) -> str:
        return self.dns.seed_record(private, subscription, resource_group, zone, name, type, values, ttl)

    def seed_subnet(self, subscription: str, resource_group: str, vnet: str, subnet: str, *, prefix: str,
                    used_ips: int) -> str:
        return self.network.seed_subnet(subscription, resource_group, vnet, subnet, prefix, used_ips)

    def seed_traffic_manager(self, subscription: str, resource_group: str, profile: str, *,
                             endpoints: list[dict[str, Any]]) -> str:
        return self.traffic_manager.seed_profile(subscription, resource_group, profile, endpoints)

    def seed_front_door(self, subscription: str, resource_group: str, profile: str, origin_group: str, *,
                        origins: list[dict[str, Any]]) -> str:
        return self.cdn.seed(subscription, resource_group, profile, origin_group, origins)

    # ---- inspection ------------------------------------------------------------------------------
    def clusters(self) -> list[dict[str, Any]]:
        self.settle()
        rows = []
        for cluster in sorted(self.aks.state["clusters"].values(), key=lambda c: c["id"].lower()):
            props = cluster["properties"]
            rows.append({
                "id": cluster["id"], "name": cluster["name"], "resourceGroup": cluster["id"].split("/")[4],
                "location": cluster["location"], "version": props["currentKubernetesVersion"],
                "powerState": props["powerState"]["code"], "provisioningState": props["provisioningState"],
            })
        return rows

    def records(self) -> list[dict[str, Any]]:
        return self.dns.inspect()

    def weights(self) -> list[dict[str, Any]]:
        self.settle()
        return self.traffic_manager.inspect() + self.cdn.inspect()

    def set_power(self, cluster_id: str, running: bool) -> None:
        self.aks.set_power(cluster_id, running)


__all__ = ["ArmSimulator", "FaultSpec", "CDN_API", "PRIVATE_API", "PUBLIC_API", "TM_API"]
