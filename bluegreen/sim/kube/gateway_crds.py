"""A minimal Gateway API CRD set (GatewayClass, Gateway, HTTPRoute, ReferenceGrant).

Enough for the simulated server to serve `gateway.networking.k8s.io` once seeded:
names, scope and served versions. Schemas accept anything (the fake does not
validate custom resources).
"""

from __future__ import annotations

GROUP = "gateway.networking.k8s.io"

_KINDS = [
    # kind, plural, singular, short names, scope, served versions (storage first)
    ("GatewayClass", "gatewayclasses", "gatewayclass", ["gc"], "Cluster", ["v1", "v1beta1"]),
    ("Gateway", "gateways", "gateway", ["gtw"], "Namespaced", ["v1", "v1beta1"]),
    ("HTTPRoute", "httproutes", "httproute", [], "Namespaced", ["v1", "v1beta1"]),
    ("ReferenceGrant", "referencegrants", "referencegrant", ["refgrant"], "Namespaced", ["v1beta1"]),
]


def gateway_api_crds(bundle_version: str = "v1.2.1") -> list[dict]:
    """CustomResourceDefinition objects, ready for `ClusterSimulator.load_objects` or `kubectl apply`."""
    crds = []
    for kind, plural, singular, short, scope, versions in _KINDS:
        crds.append({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": f"{plural}.{GROUP}", "annotations": {
                "gateway.networking.k8s.io/bundle-version": bundle_version,
                "gateway.networking.k8s.io/channel": "standard"}},
            "spec": {
                "group": GROUP,
                "names": {"kind": kind, "listKind": f"{kind}List", "plural": plural, "singular": singular,
                          "shortNames": short, "categories": ["gateway-api"]},
                "scope": scope,
                "versions": [{"name": v, "served": True, "storage": i == 0, "subresources": {"status": {}},
                              "schema": {"openAPIV3Schema": {"type": "object",
                                                             "x-kubernetes-preserve-unknown-fields": True}}}
                             for i, v in enumerate(versions)],
            },
        })
    return crds
