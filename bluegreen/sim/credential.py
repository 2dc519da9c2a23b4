"""A TokenCredential for the simulated ARM.

The real SDK clients insist on a credential and on a bearer token in every
request; the simulated ARM ignores it. Far expiry means the SDK never asks twice.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from azure.core.credentials import AccessToken, AccessTokenInfo

_TOKEN = "bluegreen-simulated-token"
_LIFETIME = 10 * 365 * 24 * 3600
# The Entra ID application every AKS API server with AAD integration accepts tokens for.
AKS_AAD_SCOPE = "6dae42f8-4368-4678-94ff-3960e28e3630/.default"


def token_for(*scopes: str) -> str:
    """One token per scope, so an AAD-enabled simulated cluster can tell an AKS token from an ARM one."""
    scope = scopes[0] if scopes else ""
    return f"{_TOKEN}.{hashlib.sha256(scope.encode()).hexdigest()[:16]}"


class SimulatedCredential:
    """Satisfies both azure-core credential protocols (`get_token` and `get_token_info`)."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(token_for(*scopes), int(time.time()) + _LIFETIME)

    def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        return AccessTokenInfo(token_for(*scopes), int(time.time()) + _LIFETIME)

    def close(self) -> None:
        """Nothing to release; present because the protocols are context managers."""

    def __enter__(self) -> SimulatedCredential:
        return self

    def __exit__(self, *args: object) -> None:
        self.close()
