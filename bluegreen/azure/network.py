"""Subnet capacity: will green's nodes (plus surge) fit next to blue's in a shared subnet?

Why: a green cluster sharing blue's node subnet fails mid-create (SubnetIsFull) if the addresses are not
there; checking first turns that into a plan-time refusal. Azure reserves 5 addresses per subnet prefix.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bluegreen.azure.aks import NodePoolInfo
from bluegreen.azure.context import AzureContext
from bluegreen.azure.wire import wire_dict
from bluegreen.errors import PlaybookError

AZURE_RESERVED_PER_PREFIX = 5
# Azure CNI (node subnet) default maxPods when a pool does not say.
_CNI_DEFAULT_MAX_PODS = 30


@dataclass(frozen=True)
class SubnetInfo:
    id: str
    address_prefixes: tuple[str, ...]
    total: int
    reserved: int
    used: int

    @property
    def free(self) -> int:
        return max(self.total - self.reserved - self.used, 0)

    @classmethod
    def from_arm(cls, raw: Mapping[str, Any]) -> SubnetInfo:
        props = raw.get("properties") or {}
        prefixes = list(props.get("addressPrefixes") or [])
        if not prefixes and props.get("addressPrefix"):
            prefixes = [props["addressPrefix"]]
        v4 = [ipaddress.ip_network(p, strict=False) for p in prefixes]
        v4 = [n for n in v4 if n.version == 4]
        return cls(
            id=raw.get("id", ""),
            address_prefixes=tuple(prefixes),
            total=sum(n.num_addresses for n in v4),
            reserved=AZURE_RESERVED_PER_PREFIX * len(v4),
            used=len(props.get("ipConfigurations") or []),
        )


def parse_subnet_id(subnet_id: str) -> tuple[str, str, str]:
    """(resource group, virtual network, subnet) of a subnet's ARM id."""
    parts = [p for p in subnet_id.split("/") if p]
    lowered = [p.lower() for p in parts]
    try:
        rg = parts[lowered.index("resourcegroups") + 1]
        vnet = parts[lowered.index("virtualnetworks") + 1]
        subnet = parts[lowered.index("subnets") + 1]
    except (ValueError, IndexError) as exc:
        raise PlaybookError(f"not a subnet resource id: {subnet_id!r}", "subnet_id") from exc
    return rg, vnet, subnet


class NetworkClient:
    def __init__(self, ctx: AzureContext) -> None:
        self._ctx = ctx

    def subnet(self, subnet_id: str) -> SubnetInfo:
        rg, vnet, name = parse_subnet_id(subnet_id)
        ops = self._ctx.network.subnets
        model = self._ctx.call(lambda: ops.get(rg, vnet, name), resource=subnet_id, operation="get subnet")
        return SubnetInfo.from_arm(wire_dict(model))


def surge_nodes(count: int, max_surge: str | None) -> int:
    """Extra nodes an upgrade adds: "33%" rounds up; "5" is absolute; unset is one node (docs) - at least 10% (spec)."""
    if not max_surge:
        return max(1, math.ceil(count * 0.10))
    text = max_surge.strip()
    if text.endswith("%"):
        return math.ceil(count * float(text[:-1]) / 100.0)
    return int(text)


def addresses_needed(
    pools: Iterable[NodePoolInfo], network_plugin: str | None, network_plugin_mode: str | None
) -> int:
    """Node-subnet addresses a cluster needs at peak (every pool at max size plus its surge nodes).

    Azure CNI on the node subnet: each node takes 1 + maxPods addresses. Overlay, kubenet, Cilium overlay,
    and pools with a separate pod subnet: 1 per node.
    """
    per_pod = network_plugin == "azure" and (network_plugin_mode or "").lower() != "overlay"
    total = 0
    for pool in pools:
        nodes = max(pool.count, pool.max_count or 0) if pool.enable_auto_scaling else pool.count
        nodes += surge_nodes(nodes, pool.max_surge)
        per_node = 1 + (pool.max_pods or _CNI_DEFAULT_MAX_PODS) if per_pod and not pool.pod_subnet_id else 1
        total += nodes * per_node
    return total
