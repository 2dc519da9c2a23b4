"""Smoke checks against real sockets on 127.0.0.1 (plain and TLS), waits on a SimClock."""

from __future__ import annotations

import datetime as dt
import http.server
import socket
import ssl
import threading
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from bluegreen import http_checks
from bluegreen.errors import PlaybookError
from bluegreen.http_checks import CheckResult, HttpCheck, redact_url, run_check
from bluegreen.sim.clock import SimClock

HOST = "shop.example.test"


@dataclass
class Seen:
    hosts: list[str | None] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    sni: list[str | None] = field(default_factory=list)


Reply = tuple[int, bytes]
Responder = Callable[[int], Reply]  # request number (1-based) -> (status, body)


@contextmanager
def serve(respond: Responder, tls: ssl.SSLContext | None = None) -> Iterator[tuple[int, Seen]]:
    """A tiny threaded server on 127.0.0.1 recording what reached it."""
    seen = Seen()
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            with lock:
                seen.hosts.append(self.headers.get("Host"))
                seen.paths.append(self.path)
                seen.methods.append(self.command)
                seen.headers.append(dict(self.headers.items()))
                number = len(seen.paths)
            status, body = respond(number)
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_POST = do_HEAD = _answer

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if tls is not None:
        def remember_sni(sock: ssl.SSLObject, name: str | None, ctx: ssl.SSLContext) -> None:
            seen.sni.append(name)

        tls.sni_callback = remember_sni
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def always(status: int, body: bytes = b"<h1>Add to cart</h1>") -> Responder:
    return lambda _n: (status, body)


@dataclass(frozen=True)
class Pki:
    ca_file: Path
    other_ca_file: Path
    cert_file: Path
    key_file: Path


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _ca(cn: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cn)).issuer_name(_name(cn)).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A throwaway CA and a leaf for shop.example.test (plus an unrelated CA)."""
    base = tmp_path_factory.mktemp("pki")
    ca_key, ca_cert = _ca("bluegreen test CA")
    _, other_ca = _ca("someone else's CA")
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name(HOST)).issuer_name(ca_cert.subject).public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    files = Pki(base / "ca.pem", base / "other-ca.pem", base / "leaf.pem", base / "leaf.key")
    files.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.other_ca_file.write_bytes(other_ca.public_bytes(serialization.Encoding.PEM))
    files.cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    files.key_file.write_bytes(leaf_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return files


@pytest.fixture
def server_tls(pki: Pki) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki.cert_file, pki.key_file)
    return ctx


@pytest.fixture
def trust_test_ca(pki: Pki, monkeypatch: pytest.MonkeyPatch) -> None:
    """Operators with a private CA point SSL_CERT_FILE at it; so do these tests."""
    monkeypatch.setenv("SSL_CERT_FILE", str(pki.ca_file))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)


def check(url: str = f"http://{HOST}/cart", **kw: object) -> HttpCheck:
    return HttpCheck(name="cart", url=url, **kw)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- plain HTTP ---------------------------------------------------------------------------------------------

def test_request_goes_to_address_with_url_host_in_host_header() -> None:
    clock = SimClock()
    with serve(always(200)) as (port, seen):
        result = run_check(check(f"http://{HOST}/cart?item=42", body_contains="Add to cart"), "127.0.0.1",
                           clock=clock, port=port)
    assert result.ok, result.reason
    assert (result.status, result.attempts, result.reason, result.address) == (200, 1, "ok", "127.0.0.1")
    assert result.latency_ms is not None and result.latency_ms >= 0
    assert seen.hosts == [HOST]
    assert seen.paths == ["/cart?item=42"]
    assert result.warnings == ()


def test_explicit_url_port_is_kept_in_host_header() -> None:
    with serve(always(200)) as (port, seen):
        result = run_check(check(f"http://{HOST}:8080/"), "127.0.0.1", clock=SimClock(), port=port)
    assert result.ok
    assert seen.hosts == [f"{HOST}:8080"]


def test_method_and_custom_headers_are_sent_but_host_comes_from_url() -> None:
    c = check(method="post", headers={"X-Flow": "checkout", "Host": "evil.example"}, expect_status=(200, 204))
    with serve(always(204, b"")) as (port, seen):
        result = run_check(c, "127.0.0.1", clock=SimClock(), port=port)
    assert result.ok and result.status == 204
    assert seen.methods == ["POST"]
    assert seen.headers[0]["X-Flow"] == "checkout"
    assert seen.hosts == [HOST]


def test_unexpected_status_is_a_failure_with_reason() -> None:
    with serve(always(503)) as (port, _):
        result = run_check(check(deadline_s=0), "127.0.0.1", clock=SimClock(), port=port)
    assert not result.ok
    assert result.status == 503
    assert result.reason == "status 503 (expected 200)"
    assert result.attempts == 1


def test_several_expected_statuses_are_named() -> None:
    with serve(always(500)) as (port, _):
        result = run_check(check(expect_status=(200, 302), deadline_s=0), "127.0.0.1", clock=SimClock(), port=port)
    assert result.reason == "status 500 (expected 200 or 302)"


def test_missing_body_text_is_a_failure() -> None:
    with serve(always(200, b"<h1>Out of stock</h1>")) as (port, _):
        result = run_check(check(body_contains="Add to cart", deadline_s=0), "127.0.0.1",
                           clock=SimClock(), port=port)
    assert not result.ok
    assert result.status == 200
    assert result.reason == "body lacks 'Add to cart'"


def test_latency_above_limit_is_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    # perf_counter stepping 0.812 s per call: one request "takes" 812 ms without any real waiting.
    ticks = iter(i * 0.812 for i in range(100))
    monkeypatch.setattr(http_checks, "time", types.SimpleNamespace(perf_counter=lambda: next(ticks)))
    with serve(always(200)) as (port, _):
        result = run_check(check(max_latency_ms=500, deadline_s=0), "127.0.0.1", clock=SimClock(), port=port)
    assert not result.ok
    assert result.latency_ms == pytest.approx(812.0)
    assert result.reason == "latency 812 ms > 500 ms"


def test_latency_within_limit_passes() -> None:
    with serve(always(200)) as (port, _):
        result = run_check(check(max_latency_ms=5000), "127.0.0.1", clock=SimClock(), port=port)
    assert result.ok


def test_connection_refused() -> None:
    port = free_port()
    clock = SimClock()
    start = clock.now()
    result = run_check(check(deadline_s=10, interval_s=5), "127.0.0.1", clock=clock, port=port)
    assert not result.ok
    assert result.reason == "connection refused"
    assert result.status is None and result.latency_ms is None
    assert result.attempts == 3  # t=0, 5, 10
    assert (clock.now() - start).total_seconds() == 10


def test_read_timeout_is_reported() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # accepts the TCP connection, never answers
        port = listener.getsockname()[1]
        result = run_check(check(timeout_s=0.05, deadline_s=0), "127.0.0.1", clock=SimClock(), port=port)
    assert not result.ok
    assert result.reason == "timed out after 0.05 s"


def test_retries_until_server_flips_from_503_to_200() -> None:
    clock = SimClock()
    start = clock.now()
    attempts: list[tuple[int, CheckResult]] = []
    with serve(lambda n: (503, b"warming up") if n <= 2 else (200, b"Add to cart")) as (port, seen):
        result = run_check(check(body_contains="Add to cart", interval_s=7), "127.0.0.1", clock=clock,
                           port=port, on_attempt=lambda i, r: attempts.append((i, r)))
    assert result.ok
    assert result.attempts == 3
    assert [i for i, _ in attempts] == [1, 2, 3]
    assert [r.status for _, r in attempts] == [503, 503, 200]
    assert [r.ok for _, r in attempts] == [False, False, True]
    assert (clock.now() - start).total_seconds() == 14
    assert len(seen.paths) == 3


def test_deadline_expiry_returns_last_failure_without_real_sleeping() -> None:
    clock = SimClock()
    start = clock.now()
    with serve(always(503)) as (port, seen):
        result = run_check(check(deadline_s=120, interval_s=5), "127.0.0.1", clock=clock, port=port)
    assert not result.ok
    assert result.reason == "status 503 (expected 200)"
    assert result.attempts == 25  # t = 0, 5, ..., 120
    assert len(seen.paths) == 25
    assert (clock.now() - start).total_seconds() == 120


def test_header_values_never_appear_in_reprs_or_reasons() -> None:
    token = "Bearer eyJ-very-secret-token"
    c = check(url=f"http://user:pa55word@{HOST}/cart?sig=SAS-SECRET&page=2",
              headers={"Authorization": token, "Cookie": "session=COOKIE-SECRET", "X-Flow": "checkout"},
              deadline_s=0)
    with serve(always(503)) as (port, seen):
        result = run_check(c, "127.0.0.1", clock=SimClock(), port=port)
    assert seen.headers[0]["Authorization"] == token  # it is sent...
    rendered = " ".join([repr(c), str(c), repr(result), result.reason, str(c.render())])
    for secret in ("eyJ-very-secret-token", "COOKIE-SECRET", "pa55word", "SAS-SECRET"):
        assert secret not in rendered  # ...but never shown
    assert c.render()["headers"] == {"Authorization": "<redacted>", "Cookie": "<redacted>", "X-Flow": "checkout"}
    assert "page=<redacted>" in result.url  # every query value: the key stays, the value may be a secret
    assert "Authorization" in repr(c)  # names are fine


def test_redact_url_keeps_host_path_and_query_keys() -> None:
    assert redact_url(f"https://{HOST}/a") == f"https://{HOST}/a"
    assert redact_url(f"https://{HOST}/a?b=1") == f"https://{HOST}/a?b=<redacted>"  # any value may be a key
    assert "s3cret" not in redact_url(f"https://{HOST}/a?access_token=s3cret")


@pytest.mark.parametrize("url", ["ftp://shop.example.test/", "http:///nohost", "http://shop.example.test:99999/"])
def test_unsendable_url_is_a_playbook_error(url: str) -> None:
    with pytest.raises(PlaybookError) as err:
        run_check(check(url), "127.0.0.1", clock=SimClock())
    assert err.value.field == "smoke_checks.cart.url"


def test_zero_interval_with_deadline_is_refused() -> None:
    with pytest.raises(PlaybookError):
        run_check(check(interval_s=0), "127.0.0.1", clock=SimClock())


def test_check_is_hashable_and_frozen() -> None:
    c = check(headers={"A": "b"})
    assert hash(c) == hash(check(headers={"A": "b"}))
    with pytest.raises(AttributeError):
        c.name = "x"  # type: ignore[misc]


# --- HTTPS --------------------------------------------------------------------------------------------------

@pytest.mark.usefixtures("trust_test_ca")
def test_https_sends_sni_and_host_and_verifies_against_host_name(server_tls: ssl.SSLContext) -> None:
    with serve(always(200), tls=server_tls) as (port, seen):
        result = run_check(check(f"https://{HOST}/cart", body_contains="Add to cart"), "127.0.0.1",
                           clock=SimClock(), port=port)
    assert result.ok, result.reason
    assert seen.sni == [HOST]
    assert seen.hosts == [HOST]
    assert result.warnings == ()


@pytest.mark.usefixtures("trust_test_ca")
def test_https_certificate_for_another_host_fails(server_tls: ssl.SSLContext) -> None:
    with serve(always(200), tls=server_tls) as (port, seen):
        result = run_check(check("https://checkout.example.test/", deadline_s=0), "127.0.0.1",
                           clock=SimClock(), port=port)
    assert not result.ok
    assert result.reason == "TLS: certificate for checkout.example.test does not match"
    assert seen.sni == ["checkout.example.test"]
    assert seen.paths == []  # nothing was sent over an unverified connection


def test_https_untrusted_certificate_fails(pki: Pki, server_tls: ssl.SSLContext,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(pki.other_ca_file))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with serve(always(200), tls=server_tls) as (port, _):
        result = run_check(check(f"https://{HOST}/", deadline_s=0), "127.0.0.1", clock=SimClock(), port=port)
    assert not result.ok
    assert result.reason.startswith(f"TLS: certificate for {HOST} not trusted")


def test_https_verification_disabled_passes_with_loud_warning(pki: Pki, server_tls: ssl.SSLContext,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(pki.other_ca_file))
    with serve(always(200), tls=server_tls) as (port, seen):
        result = run_check(check("https://checkout.example.test/", verify_tls=False), "127.0.0.1",
                           clock=SimClock(), port=port)
    assert result.ok
    assert seen.sni == ["checkout.example.test"]  # SNI still sent so the ingress picks the right cert
    assert len(result.warnings) == 1
    assert "TLS VERIFICATION DISABLED" in result.warnings[0]


def test_https_default_port_is_443_and_host_header_has_no_port(server_tls: ssl.SSLContext,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # Intercept the connection to learn which port would be used without needing to bind 443.
    used: list[tuple[str, int]] = []

    def fake_connect(addr: tuple[str, int], timeout: float) -> socket.socket:
        used.append(addr)
        raise ConnectionRefusedError()

    monkeypatch.setattr(http_checks.socket, "create_connection", fake_connect)
    result = run_check(check(f"https://{HOST}/", deadline_s=0), "10.1.2.3", clock=SimClock())
    assert used == [("10.1.2.3", 443)]
    assert result.reason == "connection refused"
    run_check(check(f"http://{HOST}/", deadline_s=0), "10.1.2.3", clock=SimClock())
    assert used[-1] == ("10.1.2.3", 80)
