"""Acceptance 2: the official Python client (typed APIs and DynamicClient) against the fake."""

from __future__ import annotations

import pytest
from kube_helpers import (
    World,
    check_dynamic_client_applies_and_lists,
    check_older_versions_serve_what_they_served,
    check_removed_versions_answer_404,
    load_manifests,
)
from kubernetes import client
from kubernetes.client.rest import ApiException

from bluegreen.sim.kube.cluster import ClusterBehaviour


@pytest.fixture(scope="module")
def world() -> World:
    w = World(version="1.30", behaviour=ClusterBehaviour(pod_ready_seconds=0))
    yield w
    w.close()


@pytest.fixture(scope="module")
def api(world: World) -> client.ApiClient:
    return world.api_client()


def test_typed_core_apps_batch(world: World, api: client.ApiClient) -> None:
    core, apps, batch = client.CoreV1Api(api), client.AppsV1Api(api), client.BatchV1Api(api)
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="shop")))
    dep = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="web", labels={"app": "web"}),
        spec=client.V1DeploymentSpec(
            replicas=2, selector=client.V1LabelSelector(match_labels={"app": "web"}),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels={"app": "web"}),
                spec=client.V1PodSpec(containers=[client.V1Container(name="web", image="nginx:1.27")]))))
    created = apps.create_namespaced_deployment("shop", dep)
    assert created.metadata.uid and created.metadata.generation == 1
    assert created.spec.strategy.type == "RollingUpdate"
    read = apps.read_namespaced_deployment("web", "shop")
    assert read.status.ready_replicas == 2 and read.status.observed_generation == 1
    pods = core.list_namespaced_pod("shop", label_selector="app=web")
    assert len(pods.items) == 2 and all(p.status.phase == "Running" for p in pods.items)
    patched = apps.patch_namespaced_deployment("web", "shop", {"spec": {"replicas": 3}})
    assert patched.spec.replicas == 3
    assert patched.status.observed_generation == 1  # the controller has not seen generation 2 yet
    world.clock.advance(1)
    assert len(core.list_namespaced_pod("shop", label_selector="app=web").items) == 3
    cj = client.V1CronJob(
        metadata=client.V1ObjectMeta(name="report"),
        spec=client.V1CronJobSpec(schedule="*/5 * * * *", job_template=client.V1JobTemplateSpec(
            spec=client.V1JobSpec(template=client.V1PodTemplateSpec(spec=client.V1PodSpec(
                restart_policy="Never", containers=[client.V1Container(name="r", image="busybox:1.36")]))))))
    batch.create_namespaced_cron_job("shop", cj)
    suspended = batch.patch_namespaced_cron_job("report", "shop", {"spec": {"suspend": True}})
    assert suspended.spec.suspend is True
    with pytest.raises(ApiException) as err:
        core.read_namespaced_config_map("missing", "shop")
    assert err.value.status == 404
    core.delete_namespace("shop")
    assert not apps.list_deployment_for_all_namespaces(field_selector="metadata.namespace=shop").items
    # Every kind the cluster serves deserialises into the typed models (Nodes carry full nodeInfo).
    nodes = core.list_node().items
    assert nodes and all(n.status.node_info.architecture == "amd64" for n in nodes)
    for lister in (core.list_namespace, core.list_service_for_all_namespaces, core.list_pod_for_all_namespaces,
                   core.list_config_map_for_all_namespaces, core.list_secret_for_all_namespaces,
                   core.list_service_account_for_all_namespaces, core.list_endpoints_for_all_namespaces,
                   apps.list_replica_set_for_all_namespaces, apps.list_stateful_set_for_all_namespaces,
                   apps.list_daemon_set_for_all_namespaces, batch.list_job_for_all_namespaces,
                   batch.list_cron_job_for_all_namespaces):
        lister()


def test_dynamic_client_applies_manifests_and_lists(world: World, api: client.ApiClient) -> None:
    check_dynamic_client_applies_and_lists(api, load_manifests("orders.yaml"), "orders-web")


def test_removed_versions_answer_404(world: World, api: client.ApiClient) -> None:
    check_removed_versions_answer_404(api, load_manifests("legacy-deployments.yaml"), load_manifests("legacy-budget.yaml"))


def test_older_versions_still_serve_what_they_served() -> None:
    check_older_versions_serve_what_they_served(load_manifests("legacy-deployments.yaml"))
