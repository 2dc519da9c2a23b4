"""Translate azure-core / azure-identity exceptions into bluegreen's error tree, once, at the boundary.

Why here and only here: callers above the clients reason about *retry or not* and *lost a race or not*;
they must never import azure.core to find out. Status codes decide, not exception classes, because the
generated SDKs map 412 to ResourceModifiedError / ResourceExistsError / ResourceNotFoundError depending on
which match condition was sent, and an LRO that ends Failed surfaces as an HttpResponseError whose
response is the (2xx) status-monitor poll.
"""

from __future__ import annotations

import email.utils
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)

from bluegreen.errors import (
    BluegreenError,
    NotFoundError,
    PermanentRemoteError,
    PreconditionFailedError,
    RemoteError,
    TransientRemoteError,
)

_TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})
_AZ_LOGIN_HINT = (
    "Azure refused the credential; run `az login` (or set the AZURE_* service principal variables)"
)


def retry_after_seconds(headers: Mapping[str, str] | None, now: datetime | None = None) -> float | None:
    """Seconds to wait per `retry-after-ms`, `x-ms-retry-after-ms` or `Retry-After` (seconds or HTTP-date)."""
    if not headers:
        return None
    lowered = {k.lower(): v for k, v in headers.items()}
    for name in ("retry-after-ms", "x-ms-retry-after-ms"):
        value = lowered.get(name)
        if value is not None:
            try:
                return max(float(value) / 1000.0, 0.0)
            except ValueError:
                pass
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if now is None or when.tzinfo is None:
        return None
    return max((when - now).total_seconds(), 0.0)


def _body_error(response: Any) -> tuple[str | None, str | None]:
    """(code, message) of an ARM error body `{"error": {...}}` or a status monitor `{"status", "error"}`."""
    if response is None:
        return None, None
    try:
        body = json.loads(response.text() or "null")
    except (ValueError, TypeError, AttributeError):
        return None, None
    if not isinstance(body, dict):
        return None, None
    error = body.get("error")
    if isinstance(error, dict):
        return error.get("code"), error.get("message")
    return body.get("code"), body.get("message")


def _http_error(
    exc: HttpResponseError, resource: str | None, operation: str | None, now: datetime | None
) -> RemoteError:
    response = exc.response
    status = exc.status_code
    code, message = _body_error(response)
    if exc.error is not None:
        code = code or exc.error.code
        message = message or exc.error.message
    message = message or exc.message or type(exc).__name__
    what = f"{operation} failed" if operation else "request failed"
    headers = dict(getattr(response, "headers", None) or {})
    if status is None or status < 400:
        # An LRO that reached Failed/Canceled: the response is the last (successful) poll.
        return PermanentRemoteError(
            f"{what}: {code or 'OperationFailed'}: {message}", resource=resource, status=status, code=code
        )
    text = f"{what} (HTTP {status}{' ' + code if code else ''}): {message}"
    if status in _TRANSIENT_STATUS:
        return TransientRemoteError(
            text, resource=resource, status=status, code=code, retry_after=retry_after_seconds(headers, now)
        )
    if status == 412:
        return PreconditionFailedError(text, resource=resource, status=status, code=code)
    if status == 404:
        return NotFoundError(text, resource=resource, status=status, code=code)
    return PermanentRemoteError(text, resource=resource, status=status, code=code)


def translate(
    exc: BaseException,
    *,
    resource: str | None = None,
    operation: str | None = None,
    now: datetime | None = None,
) -> BaseException:
    """The bluegreen error for `exc`; anything we do not recognise is returned unchanged."""
    if isinstance(exc, BluegreenError):
        return exc
    if isinstance(exc, ClientAuthenticationError):
        status = exc.status_code
        return PermanentRemoteError(
            f"{_AZ_LOGIN_HINT}: {exc.message}", resource=resource, status=status, code="AuthenticationFailed"
        )
    if isinstance(exc, HttpResponseError):
        return _http_error(exc, resource, operation, now)
    if isinstance(exc, (ServiceRequestError, ServiceResponseError, ConnectionError)):
        what = f"{operation}: " if operation else ""
        return TransientRemoteError(f"{what}connection problem: {exc}", resource=resource)
    return exc
