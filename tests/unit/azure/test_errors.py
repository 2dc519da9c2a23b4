from __future__ import annotations

from datetime import datetime, timezone

import pytest
from azure.core.exceptions import ServiceRequestError, ServiceResponseError

from bluegreen.azure.errors import retry_after_seconds, translate
from bluegreen.errors import PermanentRemoteError, TransientRemoteError


def test_retry_after_variants():
    assert retry_after_seconds({"Retry-After": "12"}) == 12
    assert retry_after_seconds({"retry-after-ms": "1500"}) == 1.5
    assert retry_after_seconds({"x-ms-retry-after-ms": "250", "Retry-After": "9"}) == 0.25
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert retry_after_seconds({"Retry-After": "Thu, 01 Jan 2026 00:00:30 GMT"}, now) == 30
    assert retry_after_seconds({"Retry-After": "soon"}) is None
    assert retry_after_seconds({}) is None


@pytest.mark.parametrize(
    "exc", [ServiceRequestError("reset"), ServiceResponseError("reset"), ConnectionResetError()]
)
def test_connection_problems_are_transient(exc):
    out = translate(exc, resource="/x", operation="get")
    assert isinstance(out, TransientRemoteError) and out.resource == "/x"


def test_unknown_exceptions_pass_through():
    err = KeyError("k")
    assert translate(err) is err
    already = PermanentRemoteError("x")
    assert translate(already) is already
