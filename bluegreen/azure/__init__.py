"""Thin Azure clients: our own dataclasses out, bluegreen errors out, retries and LRO waits on the injected clock."""

from __future__ import annotations

from bluegreen.azure.aks import AksClient, KubernetesVersionInfo, ManagedClusterInfo, NodePoolInfo
from bluegreen.azure.aks_clone import clone_warnings, green_cluster_body
from bluegreen.azure.context import AzureContext, ClockPolling
from bluegreen.azure.credentials import aks_aad_token_provider, default_credential, subscription_from
from bluegreen.azure.dns import DnsRecords, PrivateDnsRecords, PublicDnsRecords, RecordSetInfo
from bluegreen.azure.network import NetworkClient, SubnetInfo, addresses_needed

__all__ = [
    "AksClient",
    "AzureContext",
    "ClockPolling",
    "DnsRecords",
    "KubernetesVersionInfo",
    "ManagedClusterInfo",
    "NetworkClient",
    "NodePoolInfo",
    "PrivateDnsRecords",
    "PublicDnsRecords",
    "RecordSetInfo",
    "SubnetInfo",
    "addresses_needed",
    "aks_aad_token_provider",
    "clone_warnings",
    "default_credential",
    "green_cluster_body",
    "subscription_from",
]
