"""Sessions of one process share their Azure SDK clients (one HTTP session each), never across identities."""

from __future__ import annotations

import threading

from bg_azure_testkit import SUB, FakeCredential

from bluegreen.azure.context import AzureContext
from bluegreen.retry import RetryPolicy
from bluegreen.shared_clients import SharedClients
from bluegreen.sim.clock import SimClock


def _ctx(clients: SharedClients, credential: FakeCredential, subscription: str = SUB, **kw: object) -> AzureContext:
    return AzureContext(credential, subscription, SimClock(), RetryPolicy(attempts=2), clients=clients, **kw)  # type: ignore[arg-type]


def test_sessions_with_one_identity_share_each_client() -> None:
    clients, credential = SharedClients(), FakeCredential()
    first, second = _ctx(clients, credential), _ctx(clients, credential)
    assert first.containerservice is second.containerservice
    assert first.privatedns is second.privatedns
    assert first.containerservice is not first.privatedns
    assert len(clients) == 2


def test_another_credential_subscription_endpoint_or_transport_gets_its_own_client() -> None:
    clients, credential = SharedClients(), FakeCredential()
    base = _ctx(clients, credential).containerservice
    assert _ctx(clients, FakeCredential()).containerservice is not base
    assert _ctx(clients, credential, "11111111-2222-3333-4444-555555555555").containerservice is not base
    assert _ctx(clients, credential, base_url="https://management.usgovcloudapi.net").containerservice is not base
    assert _ctx(clients, credential, client_kwargs={"user_agent": "another-tool"}).containerservice is not base
    assert _ctx(clients, credential).containerservice is base


def test_contexts_without_a_shared_holder_keep_their_own() -> None:
    credential = FakeCredential()
    one = AzureContext(credential, SUB, SimClock())
    two = AzureContext(credential, SUB, SimClock())
    assert one.containerservice is not two.containerservice


def test_concurrent_first_uses_build_one_client() -> None:
    clients, built, gate = SharedClients(), [], threading.Barrier(8)

    def build() -> object:
        built.append(1)
        return object()

    got: list[object] = []

    def use() -> None:
        gate.wait()
        got.append(clients.get("k", build))

    threads = [threading.Thread(target=use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(built) == 1 and len({id(g) for g in got}) == 1
