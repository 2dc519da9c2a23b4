"""Spec builders and small probes shared by the world tests."""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import urlsplit

import yaml
from bg_shared import DATA
from kubernetes import client as k8s
from kubernetes import config as k8s_config

from bluegreen.simulation_spec import SimulationSpec

MANIFESTS = DATA / "manifests"  # the project's own; ../shared's corpus is only read by tests/conformance
SHOP = "shop.yaml"
SHOP_LB = "default/storefront-public"
CRON = "janitor-cronjob.yaml"
# The ConfigMap and ServiceAccount that CronJob's pods need (not in its file); an absolute path.
CRON_DEPS = str(DATA / "janitor-companions.yaml")


def spec_dict(*manifests: str, lb_service: str | None = None, **extra: Any) -> dict[str, Any]:
    """A small world: blue with the given manifests; with the shop (or `lb_service`), DNS and TM pointing at its LB."""
    data: dict[str, Any] = {
        "start": "2026-03-01T08:00:00Z",
        "kubernetes_versions": {"westeurope": {"versions": ["1.29.9", "1.30.5"], "preview": ["1.31.1"]}},
        "blue": {
            "name": "aks-blue",
            "resource_group": "rg-shop",
            "version": "1.29.9",
            "manifests": list(manifests),
            "namespaces": ["ingress"],
            "subnet": {"vnet": "vnet-shop", "name": "snet-aks", "prefix": "10.240.0.0/20", "used_ips": 120},
            "tags": {"env": "prod"},
        },
    }
    lb_service = lb_service or (SHOP_LB if SHOP in manifests else None)
    if lb_service:
        data["dns_zones"] = [
            {"name": "shop.internal", "records": [
                {"name": "www", "type": "A", "ttl": 60, "values": [{"service": lb_service}]},
                {"name": "api", "type": "CNAME", "values": ["www.shop.internal"]},
            ]},
            {"name": "shop.example.com", "private": False, "records": [
                {"name": "@", "type": "A", "values": ["20.1.2.3"]}]},
        ]
        data["traffic_managers"] = [
            {"name": "tm-shop", "endpoints": [{"name": "blue", "target": {"service": lb_service},
                                               "weight": 1000}]}]
    data.update(extra)
    return data


def make_spec(*manifests: str, lb_service: str | None = None, **extra: Any) -> SimulationSpec:
    return SimulationSpec.model_validate(spec_dict(*manifests, lb_service=lb_service, **extra))


def kube_api(kubeconfig: bytes) -> k8s.ApiClient:
    return k8s_config.new_client_from_config_dict(yaml.safe_load(kubeconfig))


def refuses_connections(server_url: str) -> bool:
    parts = urlsplit(server_url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=2):
            return False
    except ConnectionRefusedError:
        return True


def fired(executions: list[dict[str, Any]], *, after: str | None = None) -> list[dict[str, Any]]:
    """CronJob firings in the execution log, optionally only those strictly after an ISO time."""
    from datetime import datetime

    def t(s: str) -> datetime:
        return datetime.fromisoformat(s.replace("Z", "+00:00"))

    return [e for e in executions if e["event"] == "fired" and (after is None or t(e["time"]) > t(after))]
