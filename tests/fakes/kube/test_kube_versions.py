"""Served versions per release (betas until their removal) and conversion between them on read."""

from __future__ import annotations

import pytest
from kube_helpers import World, fresh_dynamic
from kubernetes import client
from kubernetes.dynamic.exceptions import ResourceNotFoundError


def served(api: client.ApiClient) -> set[str]:
    groups = client.ApisApi(api).get_api_versions().groups
    return {v.group_version for g in groups for v in g.versions} | {"v1"}


@pytest.fixture(scope="module")
def old() -> World:
    w = World(version="1.21")
    yield w
    w.close()


def test_each_release_serves_its_betas_until_their_removal() -> None:
    expected = {
        "1.21": ({"rbac.authorization.k8s.io/v1beta1", "networking.k8s.io/v1beta1", "batch/v1beta1",
                  "policy/v1beta1", "discovery.k8s.io/v1beta1", "storage.k8s.io/v1beta1",
                  "admissionregistration.k8s.io/v1beta1", "coordination.k8s.io/v1beta1", "events.k8s.io/v1beta1",
                  "flowcontrol.apiserver.k8s.io/v1beta1", "node.k8s.io/v1beta1"}, set()),
        "1.25": ({"autoscaling/v2beta2", "flowcontrol.apiserver.k8s.io/v1beta2", "discovery.k8s.io/v1"},
                 {"batch/v1beta1", "policy/v1beta1", "rbac.authorization.k8s.io/v1beta1"}),
        "1.30": ({"flowcontrol.apiserver.k8s.io/v1", "flowcontrol.apiserver.k8s.io/v1beta3", "autoscaling/v2",
                  "admissionregistration.k8s.io/v1", "coordination.k8s.io/v1", "node.k8s.io/v1"},
                 {"autoscaling/v2beta2", "flowcontrol.apiserver.k8s.io/v1beta2"}),
        "1.32": (set(), {"flowcontrol.apiserver.k8s.io/v1beta3"}),
    }
    for version, (present, absent) in expected.items():
        world = World(version=version)
        try:
            have = served(world.api_client())
        finally:
            world.close()
        assert present <= have, (version, present - have)
        assert not absent & have, (version, absent & have)


def test_rbac_v1beta1_roles_on_1_21_are_the_v1_roles(old: World) -> None:
    dyn = fresh_dynamic(old.api_client())
    beta = dyn.resources.get(api_version="rbac.authorization.k8s.io/v1beta1", kind="Role")
    beta.create(namespace="default", body={"apiVersion": "rbac.authorization.k8s.io/v1beta1", "kind": "Role",
                                           "metadata": {"name": "reader"}, "rules": [
                                               {"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]})
    v1 = dyn.resources.get(api_version="rbac.authorization.k8s.io/v1", kind="Role").get(name="reader",
                                                                                        namespace="default")
    assert v1.apiVersion == "rbac.authorization.k8s.io/v1" and v1.rules[0].verbs == ["get"]
    newer = World(version="1.22")
    try:
        with pytest.raises(ResourceNotFoundError):
            fresh_dynamic(newer.api_client()).resources.get(
                api_version="rbac.authorization.k8s.io/v1beta1", kind="Role")
    finally:
        newer.close()


def test_ingress_converts_between_v1beta1_and_v1(old: World) -> None:
    dyn = fresh_dynamic(old.api_client())
    beta = dyn.resources.get(api_version="networking.k8s.io/v1beta1", kind="Ingress")
    beta.create(namespace="default", body={"apiVersion": "networking.k8s.io/v1beta1", "kind": "Ingress",
                                           "metadata": {"name": "shop"}, "spec": {
        "backend": {"serviceName": "default-page", "servicePort": 80},
        "rules": [{"host": "shop.example", "http": {"paths": [
            {"path": "/", "backend": {"serviceName": "web", "servicePort": "http"}}]}}]}})
    v1 = dyn.resources.get(api_version="networking.k8s.io/v1", kind="Ingress").get(name="shop",
                                                                                  namespace="default").to_dict()
    assert v1["spec"]["defaultBackend"] == {"service": {"name": "default-page", "port": {"number": 80}}}
    path = v1["spec"]["rules"][0]["http"]["paths"][0]
    assert path["backend"] == {"service": {"name": "web", "port": {"name": "http"}}}
    assert path["pathType"] == "ImplementationSpecific"
    again = beta.get(name="shop", namespace="default").to_dict()
    assert again["spec"]["backend"] == {"serviceName": "default-page", "servicePort": 80}
    assert again["spec"]["rules"][0]["http"]["paths"][0]["backend"] == {"serviceName": "web",
                                                                         "servicePort": "http"}


def test_hpa_converts_between_v1_and_v2() -> None:
    world = World(version="1.24")
    try:
        dyn = fresh_dynamic(world.api_client())
        v2 = dyn.resources.get(api_version="autoscaling/v2", kind="HorizontalPodAutoscaler")
        v2.create(namespace="default", body={"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                                             "metadata": {"name": "web"}, "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 2, "maxReplicas": 5, "metrics": [
                {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization",
                                                                            "averageUtilization": 60}}},
                {"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue",
                                                                               "averageValue": "500Mi"}}}]}})
        v1 = dyn.resources.get(api_version="autoscaling/v1", kind="HorizontalPodAutoscaler")
        seen = v1.get(name="web", namespace="default").to_dict()
        assert seen["spec"]["targetCPUUtilizationPercentage"] == 60 and "metrics" not in seen["spec"]
        assert "memory" in seen["metadata"]["annotations"]["autoscaling.alpha.kubernetes.io/metrics"]
        beta1 = dyn.resources.get(api_version="autoscaling/v2beta1", kind="HorizontalPodAutoscaler")
        assert beta1.get(name="web", namespace="default").to_dict()["spec"]["metrics"][0]["resource"] == {
            "name": "cpu", "targetAverageUtilization": 60}
        v1.patch(name="web", namespace="default", body={"spec": {"targetCPUUtilizationPercentage": 75}},
                 content_type="application/merge-patch+json")
        back = v2.get(name="web", namespace="default").to_dict()
        assert [m["resource"]["name"] for m in back["spec"]["metrics"]] == ["cpu", "memory"]
        assert back["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 75
        assert "annotations" not in back["metadata"] or not back["metadata"]["annotations"]
    finally:
        world.close()
