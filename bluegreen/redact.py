"""Keeps secret values out of everything bluegreen emits.

Defence in depth: plans never hold Secret data by construction, but every
secret value the run touches (Secret data, tokens, kubeconfig credentials) is
also registered here, and events and error texts pass through `scrub` before
they leave the library.
"""

from __future__ import annotations

import base64
import contextlib
from typing import Any

import yaml

MASK = "<redacted>"
_MIN_LEN = 4  # shorter values would mask ordinary words


class Redactor:
    def __init__(self) -> None:
        self._values: set[str] = set()

    def add(self, value: str | bytes | None) -> None:
        if value is None:
            return
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        if len(text) >= _MIN_LEN:
            self._values.add(text)

    def add_secret_object(self, obj: dict[str, Any]) -> None:
        """Register a Secret's values, both as stored (base64) and decoded."""
        for encoded in (obj.get("data") or {}).values():
            self.add(encoded)
            with contextlib.suppress(ValueError, UnicodeDecodeError):
                self.add(base64.b64decode(encoded).decode("utf-8"))
        for plain in (obj.get("stringData") or {}).values():
            self.add(plain)

    def add_kubeconfig(self, data: bytes) -> None:
        """Register the credentials a kubeconfig carries (tokens, keys, passwords)."""
        try:
            doc = yaml.safe_load(data)
        except yaml.YAMLError:
            return
        for user in (doc or {}).get("users") or []:
            for key, value in ((user or {}).get("user") or {}).items():
                if key in ("token", "client-key-data", "client-certificate-data", "password") and value:
                    self.add(str(value))

    def scrub(self, value: Any) -> Any:
        if isinstance(value, str):
            for secret in sorted(self._values, key=len, reverse=True):
                if secret in value:
                    value = value.replace(secret, MASK)
            return value
        if isinstance(value, dict):
            return {k: self.scrub(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self.scrub(v) for v in value)
        return value
