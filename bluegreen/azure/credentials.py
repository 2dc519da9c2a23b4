"""Credentials: the default chain, the subscription, and AAD tokens for Entra ID-enabled AKS API servers.

Why the token provider: an Entra ID cluster's user kubeconfig calls the external `kubelogin` binary;
we fetch the AKS server-app token with the same credential instead, so no extra tool is needed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from bluegreen.clock import Clock
from bluegreen.errors import PlaybookError

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

AKS_SERVER_SCOPE = "6dae42f8-4368-4678-94ff-3960e28e3630/.default"
_REFRESH_MARGIN_SECONDS = 300.0


def default_credential() -> TokenCredential:
    """DefaultAzureCredential: env vars, workload identity, managed identity, az CLI, ... in that order."""
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential()


def subscription_from(playbook_value: str | None, env: Mapping[str, str]) -> str:
    """The playbook's subscription if set, else AZURE_SUBSCRIPTION_ID; neither -> PlaybookError."""
    value = (playbook_value or "").strip() or (env.get("AZURE_SUBSCRIPTION_ID") or "").strip()
    if not value:
        raise PlaybookError(
            "no subscription: set it in the playbook or export AZURE_SUBSCRIPTION_ID", "subscription"
        )
    return value


def aks_aad_token_provider(
    credential: TokenCredential, clock: Clock, margin_seconds: float = _REFRESH_MARGIN_SECONDS
) -> Callable[[], str]:
    """A callable returning a bearer token for the AKS API server, cached until `margin_seconds` before expiry."""
    lock = threading.Lock()
    cached: dict[str, object] = {}

    def token() -> str:
        from azure.core.exceptions import ClientAuthenticationError

        from bluegreen.errors import PermanentRemoteError

        with lock:
            now = clock.now().timestamp()
            value, expires = cached.get("token"), cached.get("expires_on")
            if (
                isinstance(value, str)
                and isinstance(expires, (int, float))
                and now < expires - margin_seconds
            ):
                return value
            try:
                access = credential.get_token(AKS_SERVER_SCOPE)
            except ClientAuthenticationError as exc:
                raise PermanentRemoteError(
                    f"could not get an AKS API server token; run `az login`: {exc.message}",
                    code="AuthenticationFailed",
                ) from exc
            cached["token"], cached["expires_on"] = access.token, float(access.expires_on)
            return access.token

    return token
