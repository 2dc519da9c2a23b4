"""Kubeconfig selection and the official loader's per-cluster Configuration, without ~/.kube or global state.

Covers: current-context vs an explicit context, the context's namespace, token and tokenFile,
CA from data (in memory) or from a file relative to the kubeconfig's folder, insecure and
tls-server-name flags, client certificate data in a private 0600 file, exec plugins detected
(never run by the loader), an injected token provider asked per request, urllib3 retries off,
the global default Configuration untouched, missing entries and files named, secrets absent
from repr.
"""

from __future__ import annotations

import base64
import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest
import yaml
from kubernetes.client import Configuration

from bluegreen.errors import PlaybookError
from bluegreen.kube.kubeconfig import ClusterAccess, parse_kubeconfig
from bluegreen.kube.transport import configuration


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


def build(access: ClusterAccess) -> tuple[Configuration, list[str]]:
    folders: list[str] = []

    def folder() -> str:
        folders.append(tempfile.mkdtemp(prefix="bluegreen-test-"))
        return folders[-1]

    return configuration(access, None, folder), folders


def test_current_context() -> None:
    access = parse_kubeconfig(config())
    assert access.server == "https://blue.hcp.westeurope.azmk8s.io:443"
    assert (access.namespace, access.context) == ("default", "blue")
    assert not access.uses_exec
    text = repr(access)
    assert "tok-blue" not in text and "CERT" not in text and "CA-PEM" not in text
    cfg, folders = build(access)
    assert cfg.host == "https://blue.hcp.westeurope.azmk8s.io:443"
    assert cfg.get_api_key_with_prefix("BearerToken") == "Bearer tok-blue"
    assert cfg.ca_cert_data == "CA-PEM" and cfg.verify_ssl
    # Inline client credentials go to the connection's own private folder, readable by us alone.
    (folder,) = folders
    assert Path(cfg.cert_file).read_bytes() == b"CERT" and Path(cfg.key_file).read_bytes() == b"KEY"
    assert Path(cfg.cert_file).parent == Path(folder)
    assert stat.S_IMODE(os.stat(cfg.key_file).st_mode) == 0o600
    assert cfg.retries is False  # every retry runs in bluegreen.retry, on the injected clock
    shutil.rmtree(folder)


def test_never_the_global_default_configuration() -> None:
    before = Configuration.get_default_copy().host
    cfg, _ = build(parse_kubeconfig(config(), context="green"))
    assert cfg is not Configuration._default
    assert Configuration.get_default_copy().host == before != cfg.host


def test_explicit_context_with_namespace_exec_and_tls_flags() -> None:
    access = parse_kubeconfig(config(), context="green")
    assert (access.server, access.namespace) == ("https://10.1.0.4", "shop")
    assert access.insecure and access.tls_server_name == "green.privatelink.azmk8s.io"
    assert access.uses_exec and access.exec_command == "kubelogin"
    cfg, folders = build(access)
    assert cfg.verify_ssl is False and cfg.tls_server_name == "green.privatelink.azmk8s.io"
    assert "BearerToken" not in cfg.api_key and not folders  # the loader never ran the plugin


def test_injected_token_provider_is_asked_for_every_request() -> None:
    tokens = iter(["one", "two"])
    cfg = configuration(parse_kubeconfig(config(), context="green"), lambda: next(tokens), lambda: "unused")
    assert cfg.auth_settings()["BearerToken"]["value"] == "Bearer one"
    assert cfg.auth_settings()["BearerToken"]["value"] == "Bearer two"


def test_relative_files_resolve_from_the_kubeconfig_folder(tmp_path: Path) -> None:
    (tmp_path / "ca.crt").write_text("CA-FROM-FILE")
    (tmp_path / "token").write_text("tok-file")
    data = yaml.safe_dump({
        "current-context": "c",
        "clusters": [{"name": "c", "cluster": {"server": "https://x", "certificate-authority": "ca.crt"}}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
        "users": [{"name": "u", "user": {"tokenFile": "token"}}],
    }).encode()
    cfg, _ = build(parse_kubeconfig(data, base_dir=tmp_path))
    assert Path(cfg.ssl_ca_cert).read_text() == "CA-FROM-FILE"
    assert cfg.get_api_key_with_prefix("BearerToken") == "Bearer tok-file"


def test_missing_referenced_file_is_a_playbook_error(tmp_path: Path) -> None:
    data = yaml.safe_dump({
        "current-context": "c",
        "clusters": [{"name": "c", "cluster": {"server": "https://x", "certificate-authority": "absent.crt"}}],
        "contexts": [{"name": "c", "context": {"cluster": "c"}}],
    }).encode()
    with pytest.raises(PlaybookError, match="absent.crt"):
        build(parse_kubeconfig(data, base_dir=tmp_path))


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
