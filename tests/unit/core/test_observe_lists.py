"""How observe lists blue's kinds: once per kind across namespaces, namespace by namespace when refused."""

from __future__ import annotations

from typing import Any

from bluegreen.errors import PermanentRemoteError, TransientRemoteError
from bluegreen.kube.discovery import ServedResource, select_kinds
from bluegreen.observe import ClusterView, _list_workloads

SERVED = [
    ServedResource("v1", "ConfigMap", "configmaps", True, ("create", "get", "list"), True),
    ServedResource("batch/v1", "CronJob", "cronjobs", True, ("create", "get", "list"), True),
    ServedResource("apps/v1", "Deployment", "deployments", True, ("create", "get", "list"), True),
]


def obj(api_version: str, kind: str, namespace: str, name: str) -> dict[str, Any]:
    return {"apiVersion": api_version, "kind": kind, "metadata": {"namespace": namespace, "name": name}}


class FakeKube:
    """Lists from a fixed set of objects; `refuse` maps (kind, namespace or None) to the error it raises."""

    def __init__(self, objects: list[dict[str, Any]], refuse: dict[tuple[str, str | None], Exception] | None = None):
        self.objects = objects
        self.refuse = refuse or {}
        self.calls: list[tuple[str, str | None]] = []
        self.kept: dict[str, set[str] | None] = {}  # the namespaces each list kept (None: every one)

    def list(self, api_version: str, kind: str, namespace: str | None = None, *,
             only_in: set[str] | None = None) -> list[dict[str, Any]]:
        self.calls.append((kind, namespace))
        self.kept[kind] = only_in
        if (kind, namespace) in self.refuse:
            raise self.refuse[(kind, namespace)]
        return [o for o in self.objects if o["kind"] == kind and o["apiVersion"] == api_version
                and namespace in (None, o["metadata"]["namespace"])
                and (only_in is None or o["metadata"]["namespace"] in only_in)]


OBJECTS = [
    obj("v1", "ConfigMap", "shop", "a"), obj("v1", "ConfigMap", "kube-system", "k"), obj("v1", "ConfigMap", "jobs", "b"),
    obj("apps/v1", "Deployment", "jobs", "worker"), obj("apps/v1", "Deployment", "shop", "web"),
    obj("batch/v1", "CronJob", "jobs", "nightly"), obj("batch/v1", "CronJob", "other", "theirs"),
]


def view() -> ClusterView:
    return ClusterView(info=None, kinds=select_kinds(SERVED))


def names(objects: list[dict[str, Any]]) -> list[str]:
    return [f"{o['metadata']['namespace']}/{o['kind']}/{o['metadata']['name']}" for o in objects]


def test_several_namespaces_are_one_list_per_kind_filtered_and_in_namespace_order() -> None:
    kube, v = FakeKube(OBJECTS), view()
    cronjobs = _list_workloads(kube, ["shop", "jobs"], v)  # type: ignore[arg-type]
    assert kube.calls == [("ConfigMap", None), ("Deployment", None), ("CronJob", None)]
    # as namespace-by-namespace listing gave them: the playbook's namespace order, then the kinds' order
    assert names(v.objects) == ["shop/ConfigMap/a", "shop/Deployment/web",
                                "jobs/ConfigMap/b", "jobs/Deployment/worker", "jobs/CronJob/nightly"]
    assert isinstance(cronjobs, list) and names(cronjobs) == ["jobs/CronJob/nightly", "other/CronJob/theirs"]
    assert v.unreadable == {}
    # others' objects are dropped page by page; CronJobs are kept from everywhere for decommission
    assert kube.kept == {"ConfigMap": {"shop", "jobs"}, "Deployment": {"shop", "jobs"}, "CronJob": None}


def test_one_namespace_is_listed_in_that_namespace_and_leaves_other_cronjobs_to_the_caller() -> None:
    kube, v = FakeKube(OBJECTS), view()
    assert _list_workloads(kube, ["jobs"], v) is None  # type: ignore[arg-type]
    assert kube.calls == [("ConfigMap", "jobs"), ("Deployment", "jobs"), ("CronJob", "jobs")]
    assert names(v.objects) == ["jobs/ConfigMap/b", "jobs/Deployment/worker", "jobs/CronJob/nightly"]


def test_a_namespace_scoped_identity_is_answered_namespace_by_namespace() -> None:
    forbidden = {(k, None): PermanentRemoteError(f"{k} forbidden", status=403, code="Forbidden")
                 for k in ("ConfigMap", "CronJob", "Deployment")}
    kube, v = FakeKube(OBJECTS, forbidden), view()
    cronjobs = _list_workloads(kube, ["shop", "jobs"], v)  # type: ignore[arg-type]
    assert names(v.objects) == ["shop/ConfigMap/a", "shop/Deployment/web",
                                "jobs/ConfigMap/b", "jobs/Deployment/worker", "jobs/CronJob/nightly"]
    assert ("CronJob", "shop") in kube.calls and ("CronJob", "jobs") in kube.calls
    assert isinstance(cronjobs, PermanentRemoteError) and cronjobs.status == 403  # the caller reports it
    assert v.unreadable == {}


def test_a_kind_that_cannot_be_read_is_reported_once_and_the_others_are_still_listed() -> None:
    broken = {("Deployment", None): TransientRemoteError("503 from the aggregated API", status=503)}
    kube, v = FakeKube(OBJECTS, broken), view()
    _list_workloads(kube, ["shop", "jobs"], v)  # type: ignore[arg-type]
    assert v.unreadable == {"apps/v1 Deployment": "503 from the aggregated API"}
    assert names(v.objects) == ["shop/ConfigMap/a", "jobs/ConfigMap/b", "jobs/CronJob/nightly"]
    assert ("Deployment", "shop") not in kube.calls  # not asked again namespace by namespace: it is not RBAC
