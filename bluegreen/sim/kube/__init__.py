"""Simulated Kubernetes API servers (one per simulated AKS cluster), served over real sockets."""

from __future__ import annotations

from .cluster import ClusterBehaviour, ClusterSimulator
from .gateway_crds import gateway_api_crds
from .ingress import IngressBindError

__all__ = ["ClusterBehaviour", "ClusterSimulator", "IngressBindError", "gateway_api_crds"]
