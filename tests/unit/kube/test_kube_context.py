"""Session.kube with a user-supplied kubeconfig (`blue.kubeconfig`), against a simulated world.

Covers: the playbook's kubeconfig replaces listClusterUserCredential for that cluster; its
`kubeconfig_context` picks the context; an exec credential plugin (relative to the kubeconfig's
folder) supplies the simulated API server's token and that token is registered for redaction;
a missing file is a PlaybookError naming the field; `kubeconfig_context` alone is refused.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bluegreen.azure.aks import AksClient
from bluegreen.context import Session
from bluegreen.errors import PlaybookError
from bluegreen.playbook import load_playbook, validation_problems
from bluegreen.redact import MASK
from bluegreen.runtime import Runtime
from bluegreen.sim.world import World

DEMO = Path(__file__).resolve().parents[3] / "bluegreen" / "demo"
BLUE = "aks-shop-blue"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    shutil.copy(DEMO / "playbook.yaml", tmp_path / "playbook.yaml")
    shutil.copytree(DEMO / "manifests", tmp_path / "manifests")
    loaded = load_playbook(tmp_path / "playbook.yaml")
    assert loaded.playbook.simulation is not None
    World.create(tmp_path / "world", loaded.playbook.simulation, tmp_path)
    with World.open(tmp_path / "world") as opened:
        yield opened


def write_playbook(folder: Path, **blue: Any) -> Path:
    raw = yaml.safe_load((folder / "playbook.yaml").read_text())
    raw["blue"].update(blue)
    (folder / "playbook.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    return folder / "playbook.yaml"


def context_for(world: World, playbook: Path) -> Session:
    runtime = Runtime(credential=world.credential, clock=world.clock, state_dir=playbook.parent / "state",
                      subscription_id=world.subscription_id)
    return Session(load_playbook(playbook), runtime, lambda event: None)


def jump_host_kubeconfig(world: World, folder: Path) -> str:
    """Two contexts: the default one is unreachable, "jump" reaches blue with an exec plugin's token."""
    sim = yaml.safe_load(world.cluster(BLUE).kubeconfig())
    cluster, token = sim["clusters"][0]["cluster"], sim["users"][0]["user"]["token"]
    credential = {"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
                  "status": {"token": token}}
    plugin = folder / "kube" / "bin" / "get-token"
    plugin.parent.mkdir(parents=True)
    plugin.write_text(f"#!/bin/sh\necho ran >> {folder / 'runs'}\ncat <<'JSON'\n{json.dumps(credential)}\nJSON\n")
    plugin.chmod(0o700)
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "direct",
        "clusters": [{"name": "unreachable", "cluster": {**cluster, "server": "https://127.0.0.1:1"}},
                     {"name": "via-jump", "cluster": cluster}],
        "contexts": [{"name": "direct", "context": {"cluster": "unreachable", "user": "me"}},
                     {"name": "jump", "context": {"cluster": "via-jump", "user": "me"}}],
        "users": [{"name": "me", "user": {"exec": {"apiVersion": "client.authentication.k8s.io/v1",
                                                   "command": "./bin/get-token", "interactiveMode": "Never"}}}],
    }
    (folder / "kube" / "blue.yaml").write_text(yaml.safe_dump(doc))
    return token


def test_playbook_kubeconfig_with_an_exec_plugin_reaches_the_simulated_cluster(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = jump_host_kubeconfig(world, tmp_path)

    def no_aks_credentials(*args: object) -> bytes:
        raise AssertionError("listClusterUserCredential must not be used when blue.kubeconfig is set")

    monkeypatch.setattr(AksClient, "user_kubeconfig", no_aks_credentials)
    ctx = context_for(world, write_playbook(tmp_path, kubeconfig="kube/blue.yaml", kubeconfig_context="jump"))
    info = ctx.aks.get("rg-shop", BLUE)
    assert info is not None
    kube = ctx.kube(info)
    assert kube.server == world.cluster(BLUE).server_url
    assert kube.get("v1", "Namespace", None, "shop") is not None
    assert (tmp_path / "runs").read_text().count("ran") == 1
    assert ctx.kube(info) is kube
    assert ctx.redactor.scrub(f"token {token}") == f"token {MASK}"


def test_missing_kubeconfig_file_names_the_field(world: World, tmp_path: Path) -> None:
    ctx = context_for(world, write_playbook(tmp_path, kubeconfig="kube/absent.yaml"))
    info = ctx.aks.get("rg-shop", BLUE)
    assert info is not None
    with pytest.raises(PlaybookError, match=r"blue\.kubeconfig"):
        ctx.kube(info)


def test_kubeconfig_context_needs_a_kubeconfig() -> None:
    raw = yaml.safe_load((DEMO / "playbook.yaml").read_text())
    raw["green"]["kubeconfig_context"] = "jump"
    assert any("kubeconfig_context needs kubeconfig" in message for _, message in validation_problems(raw))


def test_aks_credentials_reach_the_cluster_and_their_credentials_are_redacted(world: World, tmp_path: Path) -> None:
    ctx = context_for(world, tmp_path / "playbook.yaml")
    info = ctx.aks.get("rg-shop", BLUE)
    assert info is not None
    kube = ctx.kube(info)
    assert kube.get("v1", "Namespace", None, "shop") is not None
    issued = yaml.safe_load(ctx.aks.user_kubeconfig("rg-shop", BLUE))
    secrets = [str(v) for u in issued["users"] for k, v in u["user"].items()
               if k in ("token", "client-key-data", "client-certificate-data", "password")]
    assert secrets  # the simulated AKS issues credentials, as the real one does
    for secret in secrets:
        assert ctx.redactor.scrub(f"leaked {secret}!") == f"leaked {MASK}!"


def test_an_engine_command_closes_the_cluster_connections_it_opened(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bluegreen import engine
    from bluegreen.kube.client import KubeClient

    opened: list[KubeClient] = []
    closed: list[KubeClient] = []
    original_init, original_close = KubeClient.__init__, KubeClient.close

    def init(self: KubeClient, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        opened.append(self)

    def close(self: KubeClient) -> None:
        closed.append(self)
        original_close(self)

    monkeypatch.setattr(KubeClient, "__init__", init)
    monkeypatch.setattr(KubeClient, "close", close)
    runtime = Runtime(credential=world.credential, clock=world.clock, state_dir=tmp_path / "state",
                      subscription_id=world.subscription_id)
    engine.make_plan(load_playbook(tmp_path / "playbook.yaml"), runtime, lambda event: None)
    assert opened and closed == opened  # blue's client, closed when the plan is made
