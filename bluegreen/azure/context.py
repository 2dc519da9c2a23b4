"""One place that builds the Azure SDK clients, so every retry and every LRO wait runs on our clock.

Why: the SDK's own retry policy sleeps on the wall clock and hides throttling from us; its LRO poller
sleeps on the wall clock too. Building every client with `retry_total=0` and handing every `begin_*`
a `ClockPolling` makes `bluegreen.retry.call_with_retry` the single retry loop, and lets the simulator
run a ten-minute AKS create in milliseconds, while the SDK still does the real header handling
(Azure-AsyncOperation / Location / Retry-After).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from azure.core.exceptions import AzureError
from azure.core.polling import LROPoller
from azure.mgmt.core.polling.arm_polling import ARMPolling

from bluegreen.azure.errors import translate
from bluegreen.clock import Clock
from bluegreen.retry import RetryPolicy, call_with_retry
from bluegreen.shared_clients import SharedClients
from bluegreen.shared_reads import SharedReads

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential
    from azure.mgmt.cdn import CdnManagementClient
    from azure.mgmt.containerservice import ContainerServiceClient
    from azure.mgmt.dns import DnsManagementClient
    from azure.mgmt.network import NetworkManagementClient
    from azure.mgmt.privatedns import PrivateDnsManagementClient
    from azure.mgmt.trafficmanager import TrafficManagerManagementClient

T = TypeVar("T")

ARM_ENDPOINT = "https://management.azure.com"


class ClockPolling(ARMPolling):
    """ARMPolling whose waits are `clock.sleep`; everything else (which header to poll, when) is the SDK's."""

    def __init__(self, clock: Clock, timeout: float, **kwargs: Any) -> None:
        super().__init__(timeout, **kwargs)
        self._clock = clock

    def _sleep(self, delay: float) -> None:
        self._clock.sleep(delay)


# begin_* is called as start(polling, continuation_token); the token is None on the first attempt.
LroStart = Callable[[ClockPolling, "str | None"], "LROPoller[T]"]


class AzureContext:
    """Credential, subscription, clock and retry policy shared by every thin client."""

    def __init__(
        self,
        credential: TokenCredential,
        subscription_id: str,
        clock: Clock,
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008 - frozen dataclass, safe as a default
        polling_interval: float = 30.0,
        *,
        base_url: str = ARM_ENDPOINT,
        client_kwargs: dict[str, Any] | None = None,
        shared: SharedReads | None = None,
        clients: SharedClients | None = None,
    ) -> None:
        self.credential = credential
        self.subscription_id = subscription_id
        self.clock = clock
        self.retry = retry
        self.polling_interval = polling_interval
        self.base_url = base_url.rstrip("/")
        # Extra SDK keyword arguments (e.g. `transport=` for a test transport); retry_total is always 0.
        self._client_kwargs = dict(client_kwargs or {})
        self.shared = shared if shared is not None else SharedReads()
        self.clients = clients if clients is not None else SharedClients()

    def __repr__(self) -> str:
        return f"AzureContext(subscription_id={self.subscription_id!r}, base_url={self.base_url!r})"

    def _sdk_kwargs(self) -> dict[str, Any]:
        return {**self._client_kwargs, "retry_total": 0, "polling_interval": self.polling_interval}

    def _shared(self, kind: str, build: Callable[[], T]) -> T:
        """The process's client of `kind` for this credential, subscription and endpoint (see SharedClients)."""
        key = (kind, id(self.credential), self.subscription_id, self.base_url, self.polling_interval,
               tuple(sorted((name, id(value)) for name, value in self._client_kwargs.items())))
        return self.clients.get(key, build)

    @cached_property
    def containerservice(self) -> ContainerServiceClient:
        from azure.mgmt.containerservice import ContainerServiceClient

        return self._shared("containerservice", lambda: ContainerServiceClient(
            self.credential, self.subscription_id, self.base_url, **self._sdk_kwargs()
        ))

    @cached_property
    def privatedns(self) -> PrivateDnsManagementClient:
        from azure.mgmt.privatedns import PrivateDnsManagementClient

        return self._shared("privatedns", lambda: PrivateDnsManagementClient(
            self.credential, self.subscription_id, self.base_url, **self._sdk_kwargs()
        ))

    @cached_property
    def dns(self) -> DnsManagementClient:
        from azure.mgmt.dns import DnsManagementClient

        return self._shared("dns", lambda: DnsManagementClient(
            self.credential, self.subscription_id, self.base_url, **self._sdk_kwargs()
        ))

    @cached_property
    def network(self) -> NetworkManagementClient:
        from azure.mgmt.network import NetworkManagementClient

        return self._shared("network", lambda: NetworkManagementClient(
            self.credential, self.subscription_id, self.base_url, **self._sdk_kwargs()
        ))

    @cached_property
    def trafficmanager(self) -> TrafficManagerManagementClient:
        from azure.mgmt.trafficmanager import TrafficManagerManagementClient

        return self._shared("trafficmanager", lambda: TrafficManagerManagementClient(
            self.credential, self.subscription_id, self.base_url, **self._sdk_kwargs()
        ))

    @cached_property
    def cdn(self) -> CdnManagementClient:
        from azure.mgmt.cdn import CdnManagementClient

        return self._shared("cdn", lambda: CdnManagementClient(
            self.credential, self.subscription_id, self.base_url, **self._sdk_kwargs()
        ))

    def polling(self) -> ClockPolling:
        """A fresh poller for one `begin_*` call (pollers are stateful; never share one)."""
        return ClockPolling(
            self.clock, self.polling_interval, path_format_arguments={"endpoint": self.base_url}
        )

    def call(self, fn: Callable[[], T], *, resource: str | None = None, operation: str | None = None) -> T:
        """Run one SDK call with foreign errors translated and transient ones retried on our clock."""

        def attempt() -> T:
            try:
                return fn()
            except Exception as exc:
                translated = translate(exc, resource=resource, operation=operation, now=self.clock.now())
                if translated is exc:
                    raise
                raise translated from exc

        return call_with_retry(attempt, self.clock, self.retry)

    def run_lro(self, start: LroStart[T], *, resource: str, operation: str) -> T:
        """Start a long-running operation and wait for it on our clock.

        A transient error while *polling* resumes from the poller's continuation token instead of
        re-sending the initial request, so a throttled status poll never issues a second PUT/DELETE.
        """
        token: str | None = None

        def attempt() -> T:
            nonlocal token
            try:
                poller = start(self.polling(), token)
                token = poller.continuation_token()
                return poller.result()
            except Exception as exc:
                if isinstance(exc, AzureError):
                    token = getattr(exc, "continuation_token", None) or token
                translated = translate(exc, resource=resource, operation=operation, now=self.clock.now())
                if translated is exc:
                    raise
                raise translated from exc

        return call_with_retry(attempt, self.clock, self.retry)
