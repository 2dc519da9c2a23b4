"""Keeps secret values out of everything bluegreen emits.

Defence in depth: plans never hold Secret data by construction, but every
secret value the run touches (Secret data, tokens, kubeconfig credentials) is
also registered here, and events and error texts pass through `scrub` before
they leave the library.
"""

from __future__ import annotations

import base64
import contextlib
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

MASK = "<redacted>"
_MIN_LEN = 4  # shorter values would mask ordinary words


# A URL inside any text: scheme://, then up to whitespace, a quote or a bracket (a mask is never re-masked).
_URL_IN_TEXT = re.compile(r"\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>`]+")


def redact_url(url: str) -> str:
    """The URL safe to show: userinfo, every query value and any fragment replaced by the mask.

    The one redaction of URLs (smoke-check URLs may carry `user:pass@` or a SAS `?sig=`); query keys,
    host and path stay, so the URL is still recognisable. Only for showing: requests use the real URL.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rpartition('@')[2]}"
    query = "&".join(
        f"{key}={MASK if value else ''}" if sep else pair
        for pair in parts.query.split("&") if pair or parts.query
        for key, sep, value in [pair.partition("=")]
    ) if parts.query else ""
    fragment = MASK if parts.fragment else ""
    if netloc == parts.netloc and query == parts.query and fragment == parts.fragment:
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, fragment))


def _redact_match(match: re.Match[str]) -> str:
    url = match.group(0)
    trailing = len(url) - len(url.rstrip(".,;:)]!?"))  # a sentence's punctuation after the URL stays
    return redact_url(url[: len(url) - trailing]) + url[len(url) - trailing:] if trailing else redact_url(url)


def redact_urls(value: Any) -> Any:
    """`redact_url` applied to every URL in a text, or in every string of nested dicts and lists."""
    if isinstance(value, str):
        return _URL_IN_TEXT.sub(_redact_match, value) if "://" in value else value
    if isinstance(value, dict):
        return {k: redact_urls(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact_urls(v) for v in value)
    return value


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
        if isinstance(doc, dict):
            self.add_kubeconfig_document(doc)

    def add_kubeconfig_document(self, doc: Mapping[str, Any]) -> None:
        """The same, from a kubeconfig already parsed (AKS's credentials: parsed once, for the client)."""
        for user in doc.get("users") or []:
            entry = user.get("user") if isinstance(user, Mapping) else None
            for key, value in (entry.items() if isinstance(entry, Mapping) else ()):
                if key in ("token", "client-key-data", "client-certificate-data", "password") and value:
                    self.add(str(value))

    def scrub(self, value: Any) -> Any:
        if isinstance(value, str):
            for secret in sorted(self._values, key=len, reverse=True):
                if secret in value:
                    value = value.replace(secret, MASK)
            return redact_urls(value)
        if isinstance(value, dict):
            return {k: self.scrub(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self.scrub(v) for v in value)
        return value
