"""The clients of one command and the way its events go out.

Clients are built lazily, once, from the Runtime's seams. Every event passes
through the run's Redactor on its way out. It holds no run record: the engine
does, and observation needs only the clients.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import replace
from functools import cached_property
from typing import Any

from bluegreen.azure.aks import AksClient, ManagedClusterInfo
from bluegreen.azure.context import AzureContext
from bluegreen.azure.credentials import aks_aad_token_provider
from bluegreen.azure.dns import DnsRecords, PrivateDnsRecords, PublicDnsRecords
from bluegreen.azure.network import NetworkClient
from bluegreen.errors import NotFoundError, PlaybookError
from bluegreen.events import RETRY, Event, EventSink
from bluegreen.kube.client import KubeClient
from bluegreen.kube.kubeconfig import parse_kubeconfig
from bluegreen.playbook import ClusterRef, GreenSpec, LoadedPlaybook, Playbook
from bluegreen.redact import Redactor
from bluegreen.retry import RetryPolicy
from bluegreen.runtime import Runtime
from bluegreen.traffic.routers import Router, router_for


class Session:
    def __init__(self, loaded: LoadedPlaybook, runtime: Runtime, sink: EventSink) -> None:
        self.loaded = loaded
        self.pb: Playbook = loaded.playbook
        self.rt = runtime
        self.clock = runtime.clock
        self.redactor = Redactor()
        self._sink = sink
        self._kube: dict[str, KubeClient] = {}

    def close(self) -> None:
        """Close the clusters' connections: an embedding process (a fleet of hundreds of pairs) outlives its
        sessions, and every open connection holds a socket (and a simulated API server a thread)."""
        clients, self._kube = list(self._kube.values()), {}
        for kube in clients:
            with contextlib.suppress(Exception):  # closing what may already be broken must not hide the result
                kube.close()

    # -- events ---------------------------------------------------------------------------------------
    def emit(self, kind: str, message: str, step: str | None = None, **data: Any) -> None:
        event = Event(
            kind=kind,
            message=self.redactor.scrub(message),
            step=step,
            time=self.clock.now(),
            data=self.redactor.scrub(data),
        )
        self._sink(event)

    @cached_property
    def retry(self) -> RetryPolicy:
        """The runtime's policy, reporting each retry as an event."""

        def report(attempt: int, error: BaseException, delay: float) -> None:
            self.emit(RETRY, f"retrying in {delay:g}s after: {error}", None, attempt=attempt, delay=delay)

        return replace(self.rt.retry, on_retry=report)

    # -- Azure ------------------------------------------------------------------------------------------
    @cached_property
    def subscription_id(self) -> str:
        sub = self.rt.subscription_id or self.pb.subscription_id or os.environ.get("AZURE_SUBSCRIPTION_ID")
        if not sub:
            raise PlaybookError("no subscription: set subscription_id or AZURE_SUBSCRIPTION_ID", "subscription_id")
        return sub

    @cached_property
    def azure(self) -> AzureContext:
        return AzureContext(
            credential=self.rt.credential,
            subscription_id=self.subscription_id,
            clock=self.clock,
            retry=self.retry,
            polling_interval=self.rt.polling_interval,
            shared=self.rt.shared,
            clients=self.rt.clients,
        )

    @cached_property
    def aks(self) -> AksClient:
        return AksClient(self.azure)

    @cached_property
    def network(self) -> NetworkClient:
        return NetworkClient(self.azure)

    @cached_property
    def dns(self) -> DnsRecords:
        if self.pb.switch.type == "public_dns":
            return PublicDnsRecords(self.azure)
        return PrivateDnsRecords(self.azure)

    @cached_property
    def traffic(self) -> Router | None:
        """The playbook's weighted router (Traffic Manager, Front Door); None for a DNS switch."""
        return router_for(self.pb, self.azure, self._edge_kube) if self.pb.switch.weighted else None

    def _edge_kube(self) -> KubeClient:
        """A client for the cluster holding the playbook's HTTPRoute (built when first used)."""
        spec = self.pb.switch.gateway_api
        assert spec is not None
        edge = spec.cluster
        if edge.kubeconfig:
            key = f"kubeconfig:{edge.kubeconfig}:{edge.kubeconfig_context}"
            if key not in self._kube:
                path = self.loaded.resolve(edge.kubeconfig)
                try:
                    self.redactor.add_kubeconfig(path.read_bytes())
                except OSError as exc:
                    raise PlaybookError(f"cannot read {path}: {exc.strerror}", "switch.gateway_api.cluster.kubeconfig"
                                        ) from None
                self._kube[key] = KubeClient.from_kubeconfig_file(
                    path, clock=self.clock, retry=self.retry, context=edge.kubeconfig_context, on_secret=self.redactor.add)
            return self._kube[key]
        info = self.aks.get(edge.resource_group or self.pb.resource_group, edge.name)
        if info is None:  # a router that cannot be read: the plan shows it as a problem, not a crash
            raise NotFoundError(f"cluster {edge.name} (switch.gateway_api.cluster) does not exist", code="NotFound")
        return self.kube(info)

    # -- Kubernetes ---------------------------------------------------------------------------------------
    def kube(self, cluster: ManagedClusterInfo) -> KubeClient:
        """A client for a running cluster: from the playbook's `kubeconfig` for it when set, else from
        AKS's user credentials (with an Entra ID token when AAD-enabled)."""
        key = cluster.id.lower()
        if key not in self._kube:
            side, access = self._kube_access(cluster)
            if access is not None and access.kubeconfig:
                path = self.loaded.resolve(access.kubeconfig)
                try:
                    self.redactor.add_kubeconfig(path.read_bytes())
                except OSError as exc:
                    raise PlaybookError(f"cannot read {path}: {exc.strerror}", f"{side}.kubeconfig") from None
                self._kube[key] = KubeClient.from_kubeconfig_file(
                    path,
                    clock=self.clock,
                    retry=self.retry,
                    context=access.kubeconfig_context,
                    on_secret=self.redactor.add,
                )
            else:
                kubeconfig = self.aks.user_kubeconfig(cluster.resource_group, cluster.name)
                selected = parse_kubeconfig(kubeconfig)  # parsed once; its errors never quote the document
                self.redactor.add_kubeconfig_document(selected.document)
                provider = aks_aad_token_provider(self.rt.credential, self.clock) if cluster.aad_enabled else None
                self._kube[key] = KubeClient(selected, clock=self.clock, retry=self.retry, token_provider=provider)
        return self._kube[key]

    def _kube_access(self, cluster: ManagedClusterInfo) -> tuple[str, ClusterRef | GreenSpec | None]:
        """Which playbook section (blue or green) describes this cluster, if either does."""
        sides: tuple[tuple[str, ClusterRef | GreenSpec, str], ...] = (
            ("blue", self.pb.blue, self.pb.blue_rg),
            ("green", self.pb.green, self.pb.green_rg),
        )
        for side, spec, group in sides:
            if spec.name == cluster.name and group.lower() == cluster.resource_group.lower():
                return side, spec
        return "", None

    def forget_kube(self, cluster: ManagedClusterInfo) -> None:
        """Drop a cached client (after a stop, the API server address may change)."""
        self._kube.pop(cluster.id.lower(), None)
