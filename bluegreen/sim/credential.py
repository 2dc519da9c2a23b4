"""A TokenCredential for the simulated ARM.

The real SDK clients insist on a credential and on a bearer token in every
request; the simulated ARM ignores it. Far expiry means the SDK never asks twice.
"""

from __future__ import annotations

import time
from typing import Any

from azure.core.credentials import AccessToken, AccessTokenInfo

_TOKEN = "bluegreen-simulated-token"
_LIFETIME = 10 * 365 * 24 * 3600


class SimulatedCredential:
    """Satisfies both azure-core credential protocols (`get_token` and `get_token_info`)."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(_TOKEN, int(time.time()) + _LIFETIME)

    def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        return AccessTokenInfo(_TOKEN, int(time.time()) + _LIFETIME)

    def close(self) -> None:
        """Nothing to release; present because the protocols are context managers."""

    def __enter__(self) -> SimulatedCredential:
        return self

    def __exit__(self, *args: object) -> None:
        self.close()
