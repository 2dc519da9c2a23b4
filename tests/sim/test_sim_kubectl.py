"""Acceptance: kubectl works against `bluegreen sim serve` as against a real cluster, validation included."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bluegreen.sim.world import World

from .sim_helpers import MANIFESTS, make_spec

KUBECTL = shutil.which("kubectl")


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed (CI installs it)")
def test_kubectl_create_apply_and_explain_against_sim_serve(tmp_path: Path) -> None:
    assert KUBECTL is not None
    World.create(tmp_path / "w", make_spec(), MANIFESTS)
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{root / 'cli'}"}
    server = subprocess.Popen(
        [sys.executable, "-c", "from bluegreen_cli.sim_cmd import app; app()", "serve", str(tmp_path / "w"),
         "--speed", "0"],
        cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    manifest = tmp_path / "web.yaml"
    manifest.write_text("""apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: checked}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: main, image: "nginx:1.27", ports: [{containerPort: 80}]}]
""")

    def kubectl(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([KUBECTL, "--kubeconfig", str(tmp_path / "w" / "kubeconfig"), *args],
                              capture_output=True, text=True, timeout=60)

    try:
        assert server.stderr is not None
        assert "written to" in server.stderr.readline()
        created = kubectl("create", "namespace", "checked")
        assert created.returncode == 0 and "namespace/checked created" in created.stdout, created.stderr
        applied = kubectl("apply", "-f", str(manifest))  # client-side, validating: no --validate=false
        assert applied.returncode == 0 and "deployment.apps/web created" in applied.stdout, applied.stderr
        again = kubectl("apply", "-f", str(manifest))
        assert again.returncode == 0 and "deployment.apps/web unchanged" in again.stdout, again.stderr
        typo = tmp_path / "typo.yaml"
        typo.write_text(manifest.read_text().replace("replicas: 2", "replicaz: 2"))
        refused = kubectl("apply", "-f", str(typo))
        assert refused.returncode != 0 and 'unknown field "spec.replicaz"' in refused.stderr, refused.stderr
        explained = kubectl("explain", "deployment.spec")
        assert explained.returncode == 0, explained.stderr
        assert "FIELD: spec <DeploymentSpec>" in explained.stdout
        for field in ("minReadySeconds", "replicas", "selector", "strategy", "template"):
            assert f"  {field}\t<" in explained.stdout
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=30)
    assert server.returncode == 0
