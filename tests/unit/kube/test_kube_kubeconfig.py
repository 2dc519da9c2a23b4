"""Kubeconfig parsing without ~/.kube or global state.

Covers: current-context vs an explicit context, the context's namespace, token and tokenFile,
CA from data or from a file, insecure and tls-server-name flags, client certificate data,
exec plugins detected (never run), missing entries named, and secrets absent from repr.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import yaml

from bluegreen.errors import PlaybookError
from bluegreen.kube.kubeconfig import parse_kubeconfig


def config(**overrides: object) -> bytes:
    doc: dict = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "blue",
        "clusters": [
            {"name": "blue", "cluster": {"server": "https://blue.hcp.westeurope.azmk8s.io:443/",
                                         "certificate-authority-data": base64.b64encode(b"CA-PEM").decode()}},
            {"name": "green", "cluster": {"server": "https://10.1.0.4", "insecure-skip-tls-verify": True,
                                          "tls-server-name": "green.privatelink.azmk8s.io"}},
        ],
        "contexts": [
            {"name": "blue", "context": {"cluster": "blue", "user": "blue-user"}},
            {"name": "green", "context": {"cluster": "green", "user": "green-user", "namespace": "shop"}},
        ],
        "users": [
            {"name": "blue-user", "user": {"token": "tok-blue",
                                           "client-certificate-data": base64.b64encode(b"CERT").decode(),
                                           "client-key-data": base64.b64encode(b"KEY").decode()}},
            {"name": "green-user", "user": {"exec": {"command": "kubelogin", "args": ["get-token"]}}},
        ],
    }
    doc.update(overrides)
    return yaml.safe_dump(doc).encode()


def test_current_context() -> None:
    access = parse_kubeconfig(config())
    assert access.server == "https://blue.hcp.westeurope.azmk8s.io:443"
    assert access.namespace == "default"
    assert (access.ca_pem, access.token) == ("CA-PEM", "tok-blue")
    assert (access.client_cert_pem, access.client_key_pem) == (b"CERT", b"KEY")
    assert not access.uses_exec
    text = repr(access)
    assert "tok-blue" not in text and "CERT" not in text and "CA-PEM" not in text


def test_explicit_context_with_namespace_exec_and_tls_flags() -> None:
    access = parse_kubeconfig(config(), context="green")
    assert (access.server, access.namespace) == ("https://10.1.0.4", "shop")
    assert access.insecure and access.tls_server_name == "green.privatelink.azmk8s.io"
    assert access.uses_exec and access.exec_command == "kubelogin"
    assert access.token is None


def test_files_are_read(tmp_path: Path) -> None:
    (tmp_path / "ca.crt").write_text("CA-FROM-FILE")
    (tmp_path / "token").write_text("tok-file\n")
    data = yaml.safe_dump({
        "current-context": "c",
        "clusters": [{"name": "c", "cluster": {"server": "https://x", "certificate-authority": str(tmp_path / "ca.crt")}}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
        "users": [{"name": "u", "user": {"tokenFile": str(tmp_path / "token")}}],
    }).encode()
    access = parse_kubeconfig(data)
    assert (access.ca_pem, access.token) == ("CA-FROM-FILE", "tok-file")


@pytest.mark.parametrize(
    ("data", "context", "message"),
    [
        (config(), "purple", "no context named 'purple'"),
        (config(users=[]), None, "no user named 'blue-user'"),
        (config(clusters=[]), None, "no cluster named 'blue'"),
    ],
)
def test_missing_entries_are_named(data: bytes, context: str | None, message: str) -> None:
    with pytest.raises(PlaybookError, match=message):
        parse_kubeconfig(data, context)
