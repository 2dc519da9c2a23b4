"""Test helpers for the Azure clients: a fake credential and the project's records of ARM exchanges.

A uniquely named module (not a package: a tests/unit/azure/__init__.py would shadow the `azure` SDK)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from azure.core.credentials import AccessToken

RECORDS = Path(__file__).resolve().parents[2] / "data" / "arm"  # checked against ../shared by tests/conformance
ARM = "https://management.azure.com"
SUB = "00000000-0000-0000-0000-000000000000"


def example(name: str) -> dict[str, Any]:
    return json.loads((RECORDS / name).read_text())


class FakeCredential:
    """Hands out a fixed token; counts calls so tests can see caching."""

    def __init__(self, token: str = "fake-token", lifetime: int = 3600) -> None:
        self.token = token
        self.lifetime = lifetime
        self.calls: list[tuple[str, ...]] = []
        self.expires_on: int | None = None

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.calls.append(scopes)
        expires = self.expires_on if self.expires_on is not None else int(time.time()) + self.lifetime
        return AccessToken(self.token, expires)
