"""HTTP smoke checks sent to green's ingress before any user is routed there.

Why the odd plumbing: at smoke time the public DNS name still points at blue, so
the request must go to green's ingress IP while the URL's host name travels in
the Host header and as TLS SNI (ingress controllers route and pick certificates
on both). Certificates are verified against that host name, not the IP.

Redirects are not followed: a 3xx is compared with `expect_status` like any
status, because following it would leave green (the Location names the public,
still-blue host).

Standard library only (http.client + ssl + socket): the simulator patches
`requests` in-process, and a smoke check must talk to a real socket.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from .clock import Clock
from .errors import PlaybookError
from .redact import redact_url

__all__ = ["CheckResult", "HttpCheck", "MetricAnswer", "WebhookAnswer", "post_webhook", "query_prometheus", "redact_headers", "redact_url", "run_check"]

#: Bodies are read up to this many bytes: enough for any page marker, bounded memory.
MAX_BODY_BYTES = 1024 * 1024
USER_AGENT = "bluegreen-smoke/1"
REDACTED = "<redacted>"

_SENSITIVE_HEADER_WORDS = ("authorization", "cookie", "token", "secret", "password", "api-key", "apikey",
                           "x-api-key", "session", "signature", "credential")


def _is_sensitive(name: str, words: tuple[str, ...]) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in words)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers safe to render: Authorization/Cookie/token-like values replaced by a marker."""
    return {k: (REDACTED if _is_sensitive(k, _SENSITIVE_HEADER_WORDS) else v) for k, v in headers.items()}


@dataclass(frozen=True)
class HttpCheck:
    """One representative user flow from the playbook (already validated there)."""

    name: str
    url: str
    method: str = "GET"
    expect_status: tuple[int, ...] = (200,)
    body_contains: str | None = None
    max_latency_ms: int | None = None
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    timeout_s: float = 5.0
    deadline_s: float = 120.0
    interval_s: float = 5.0
    verify_tls: bool = True

    def __repr__(self) -> str:
        # Header values may be bearer tokens or session cookies: names only, URL redacted.
        return (
            f"HttpCheck(name={self.name!r}, url={redact_url(self.url)!r}, method={self.method!r}, "
            f"expect_status={self.expect_status!r}, body_contains={self.body_contains!r}, "
            f"max_latency_ms={self.max_latency_ms!r}, headers={sorted(self.headers)!r}, "
            f"timeout_s={self.timeout_s!r}, deadline_s={self.deadline_s!r}, interval_s={self.interval_s!r}, "
            f"verify_tls={self.verify_tls!r})"
        )

    __str__ = __repr__

    def __hash__(self) -> int:
        return hash((self.name, self.url, self.method, self.expect_status, self.body_contains,
                     self.max_latency_ms, tuple(sorted(self.headers.items())), self.timeout_s,
                     self.deadline_s, self.interval_s, self.verify_tls))

    def render(self) -> dict[str, object]:
        """A plain dict for plans and reports, with secrets redacted."""
        return {
            "name": self.name,
            "url": redact_url(self.url),
            "method": self.method,
            "expect_status": list(self.expect_status),
            "body_contains": self.body_contains,
            "max_latency_ms": self.max_latency_ms,
            "headers": redact_headers(self.headers),
            "timeout_s": self.timeout_s,
            "deadline_s": self.deadline_s,
            "interval_s": self.interval_s,
            "verify_tls": self.verify_tls,
        }


@dataclass(frozen=True)
class CheckResult:
    """Outcome of a check (or of one attempt, when passed to `on_attempt`)."""

    name: str
    url: str  # redacted form of the check's URL
    address: str
    ok: bool
    status: int | None
    latency_ms: float | None
    attempts: int
    reason: str  # "ok" on success, a human reason otherwise
    #: Loud notes that the result is weaker than it looks, e.g. TLS verification disabled.
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str  # bare host name (no brackets), used for SNI and certificate matching
    host_header: str
    port: int
    path: str


def _target(check: HttpCheck, port: int | None) -> _Target:
    where = f"smoke_checks.{check.name}.url"
    try:
        parts = urlsplit(check.url)
        url_port = parts.port
    except ValueError as exc:
        raise PlaybookError(f"not a valid URL ({exc})", where) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise PlaybookError(f"scheme {parts.scheme!r} is not http or https", where)
    host = parts.hostname
    if not host:
        raise PlaybookError("URL has no host name", where)
    default_port = 443 if scheme == "https" else 80
    bracketed = f"[{host}]" if ":" in host else host
    host_header = bracketed if url_port in (None, default_port) else f"{bracketed}:{url_port}"
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return _Target(scheme, host, host_header, port or url_port or default_port, path)


def _tls_context(verify: bool) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _expected(codes: tuple[int, ...]) -> str:
    return " or ".join(str(c) for c in codes)


def _describe_error(exc: BaseException, target: _Target, timeout_s: float) -> str:
    """A short human reason for a failed request; never echoes request headers."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        if exc.verify_code == 62 or "hostname mismatch" in str(exc).lower():  # X509_V_ERR_HOSTNAME_MISMATCH
            return f"TLS: certificate for {target.host} does not match"
        return f"TLS: certificate for {target.host} not trusted ({exc.verify_message})"
    if isinstance(exc, ssl.SSLError):
        return f"TLS: handshake failed ({exc.reason or type(exc).__name__})"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return f"timed out after {timeout_s:g} s"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "connection closed without a response"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    if isinstance(exc, socket.gaierror):
        return "address does not resolve"
    if isinstance(exc, http.client.HTTPException):
        return f"bad HTTP response ({type(exc).__name__})"
    if isinstance(exc, OSError):
        return f"connection failed ({exc.strerror or type(exc).__name__})"
    return f"request failed ({type(exc).__name__})"


def _request_headers(check: HttpCheck, target: _Target) -> dict[str, str]:
    # The URL decides Host: a Host in the playbook headers would split Host from SNI.
    headers = {k: v for k, v in check.headers.items() if k.lower() != "host"}
    lowered = {k.lower() for k in headers}
    if "user-agent" not in lowered:
        headers["User-Agent"] = USER_AGENT
    if "accept" not in lowered:
        headers["Accept"] = "*/*"
    headers["Connection"] = "close"
    headers["Host"] = target.host_header
    return headers


def _attempt(check: HttpCheck, target: _Target, address: str, attempt: int,
             warnings: tuple[str, ...]) -> CheckResult:
    """One request to `address`; any failure becomes a reason, never an exception."""

    def result(ok: bool, status: int | None, latency: float | None, reason: str) -> CheckResult:
        return CheckResult(check.name, redact_url(check.url), address, ok, status, latency, attempt, reason,
                           warnings)

    started = time.perf_counter()
    conn = http.client.HTTPConnection(target.host, target.port, timeout=check.timeout_s)
    try:
        sock = socket.create_connection((address, target.port), timeout=check.timeout_s)
        if target.scheme == "https":
            try:
                sock = _tls_context(check.verify_tls).wrap_socket(sock, server_hostname=target.host)
            except BaseException:
                sock.close()
                raise
        conn.sock = sock  # http.client sends on it instead of resolving target.host
        conn.request(check.method.upper(), target.path, headers=_request_headers(check, target))
        response = conn.getresponse()
        body = response.read(MAX_BODY_BYTES)
        truncated = bool(response.read(1))
        latency = (time.perf_counter() - started) * 1000.0
        status = response.status
        charset = response.headers.get_content_charset() or "utf-8"
    except Exception as exc:  # every failure of one attempt is a reason to retry, not a crash
        return result(False, None, None, _describe_error(exc, target, check.timeout_s))
    finally:
        conn.close()

    if status not in check.expect_status:
        return result(False, status, latency, f"status {status} (expected {_expected(check.expect_status)})")
    if check.body_contains is not None:
        try:
            text = body.decode(charset, errors="replace")
        except LookupError:
            text = body.decode("utf-8", errors="replace")
        if check.body_contains not in text:
            suffix = f" (first {MAX_BODY_BYTES} bytes read)" if truncated else ""
            return result(False, status, latency, f"body lacks {check.body_contains!r}{suffix}")
    if check.max_latency_ms is not None and latency > check.max_latency_ms:
        return result(False, status, latency, f"latency {latency:.0f} ms > {check.max_latency_ms} ms")
    return result(True, status, latency, "ok")


def run_check(
    check: HttpCheck,
    address: str,
    *,
    clock: Clock,
    port: int | None = None,
    on_attempt: Callable[[int, CheckResult], None] | None = None,
) -> CheckResult:
    """Send `check` to `address` until it passes or `deadline_s` (on `clock`) runs out.

    Returns the passing result, or the last failing one. `port` overrides the
    URL's port for the connection only; the Host header keeps the URL's. Raises
    PlaybookError only for a check that cannot be sent at all (bad URL/interval).
    """
    target = _target(check, port)
    if check.interval_s <= 0 and check.deadline_s > 0:
        raise PlaybookError("must be > 0 when a deadline is set", f"smoke_checks.{check.name}.interval_s")
    warnings: tuple[str, ...] = ()
    if target.scheme == "https" and not check.verify_tls:
        warnings = (
            f"TLS VERIFICATION DISABLED for {target.host}: the certificate was not checked, "
            "a wrong or expired certificate on green would pass this check",
        )
    started = clock.now()
    attempt = 0
    while True:
        attempt += 1
        outcome = _attempt(check, target, address, attempt, warnings)
        if on_attempt is not None:
            on_attempt(attempt, outcome)
        if outcome.ok:
            return outcome
        elapsed = (clock.now() - started).total_seconds()
        if elapsed + check.interval_s > check.deadline_s:
            return outcome
        clock.sleep(check.interval_s)


@dataclass(frozen=True)
class WebhookAnswer:
    """A gate webhook's answer: `status` None when none came (the gate is then inconclusive, not failed)."""

    status: int | None
    reason: str

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post_webhook(url: str, payload: Mapping[str, object], *, timeout_s: float) -> WebhookAnswer:
    """POST `payload` as JSON once; a 2xx answer passes. Lives here: this module is the one that talks HTTP."""
    import json

    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(parts.hostname or "", port, timeout=timeout_s,
                                           context=_tls_context(True))
    else:
        conn = http.client.HTTPConnection(parts.hostname or "", port, timeout=timeout_s)
    path = urlunsplit(("", "", parts.path or "/", parts.query, ""))
    try:
        conn.request("POST", path, body=json.dumps(payload).encode(),
                     headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, "Connection": "close"})
        response = conn.getresponse()
        response.read(MAX_BODY_BYTES)
        status = response.status
    except Exception as exc:  # no answer is no verdict: the caller pauses for a person
        return WebhookAnswer(None, f"no answer from {redact_url(url)}: {type(exc).__name__}: {exc}")
    finally:
        conn.close()
    return WebhookAnswer(status, f"{redact_url(url)} answered {status}")


@dataclass(frozen=True)
class MetricAnswer:
    """One Prometheus instant query: `value` None when there was no answer or no data (inconclusive)."""

    value: float | None
    reason: str


def query_prometheus(base_url: str, query: str, *, timeout_s: float) -> MetricAnswer:
    """GET /api/v1/query (the HTTP API's JSON; no text exposition format is involved) and read the first value."""
    import json

    parts = urlsplit(base_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(parts.hostname or "", port, timeout=timeout_s, context=_tls_context(True))
    else:
        conn = http.client.HTTPConnection(parts.hostname or "", port, timeout=timeout_s)
    path = (parts.path.rstrip("/") or "") + "/api/v1/query?" + urlencode({"query": query})
    where = redact_url(base_url)
    try:
        conn.request("GET", path, headers={"Accept": "application/json", "User-Agent": USER_AGENT,
                                           "Connection": "close"})
        response = conn.getresponse()
        body = json.loads(response.read(MAX_BODY_BYTES) or b"{}")
        status = response.status
    except Exception as exc:  # no answer is no verdict
        return MetricAnswer(None, f"no answer from {where}: {type(exc).__name__}: {exc}")
    finally:
        conn.close()
    if status != 200 or body.get("status") != "success":
        return MetricAnswer(None, f"{where} answered {status}: {body.get('error') or 'no result'}")
    data = body.get("data") or {}
    result: Any = data.get("result")
    try:
        if data.get("resultType") == "scalar":
            return MetricAnswer(float(result[1]), "ok")
        if not result:
            return MetricAnswer(None, f"no data for {query!r}")
        return MetricAnswer(float(result[0]["value"][1]), "ok")
    except (TypeError, ValueError, KeyError, IndexError):
        return MetricAnswer(None, f"{where} answered a result that is not a number")
