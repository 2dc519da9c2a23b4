"""Subnets as plain dicts; used addresses = seeded ones + nodes of simulated clusters placed in the subnet."""

from __future__ import annotations

import ipaddress
from typing import Any, Protocol

from bluegreen.sim.arm.core.context import SimContext, stable_guid
from bluegreen.sim.arm.core.errors import ArmError

API = "Microsoft.Network/virtualNetworks"
AZURE_RESERVED = 5  # Azure keeps 5 addresses of every subnet


class SubnetConsumers(Protocol):
    def subnet_consumers(self, subnet_id: str) -> list[tuple[dict[str, Any], dict[str, Any], int]]: ...


def subnet_id(sub: str, rg: str, vnet: str, subnet: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{vnet}/subnets/{subnet}"


class NetworkBackend:
    def __init__(self, ctx: SimContext) -> None:
        self.ctx = ctx
        self.state = ctx.state.setdefault("network", {"subnets": {}})
        self.clusters: SubnetConsumers | None = None

    def seed_subnet(self, sub: str, rg: str, vnet: str, subnet: str, prefix: str, used_ips: int) -> str:
        network = ipaddress.ip_network(prefix, strict=True)
        rid = subnet_id(sub, rg, vnet, subnet)
        self.state["subnets"][rid.lower()] = {"id": rid, "name": subnet, "prefix": str(network), "usedIps": used_ips,
                                              "etag": stable_guid(rid, "etag")}
        return rid

    def get(self, sub: str, rg: str, vnet: str, subnet: str) -> dict[str, Any]:
        found = self.state["subnets"].get(subnet_id(sub, rg, vnet, subnet).lower())
        if found is None:
            raise ArmError(404, "NotFound", f"Resource {subnet_id(sub, rg, vnet, subnet)} not found.")
        return found

    def _consumers(self, rid: str) -> list[tuple[dict[str, Any], dict[str, Any], int]]:
        return self.clusters.subnet_consumers(rid) if self.clusters else []

    def free_addresses(self, rid: str) -> int | None:
        found = self.state["subnets"].get(rid.lower())
        if found is None:
            return None
        size = ipaddress.ip_network(found["prefix"]).num_addresses - AZURE_RESERVED
        used = found["usedIps"] + sum(n for _, _, n in self._consumers(found["id"]))
        return max(0, size - used)

    def doc(self, found: dict[str, Any]) -> dict[str, Any]:
        sub, rg = found["id"].split("/")[2], found["id"].split("/")[4]
        configs = [
            {"id": f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/networkInterfaces/"
                   f"nic-{i}/ipConfigurations/ipconfig1"}
            for i in range(found["usedIps"])
        ]
        for cluster, pool, addresses in self._consumers(found["id"]):
            node_rg = cluster["properties"]["nodeResourceGroup"]
            vmss = f"aks-{pool['name']}-{stable_guid(cluster['id'])[:8]}-vmss"
            per_node = addresses // max(1, int(pool.get("count") or 1))
            for node in range(int(pool.get("count") or 0)):
                for k in range(per_node):
                    configs.append({"id": f"/subscriptions/{sub}/resourceGroups/{node_rg}/providers/"
                                          f"Microsoft.Compute/virtualMachineScaleSets/{vmss}/virtualMachines/{node}/"
                                          f"networkInterfaces/{vmss}/ipConfigurations/ipconfig{k + 1}"})
        return {
            "id": found["id"], "name": found["name"], "type": "Microsoft.Network/virtualNetworks/subnets",
            "etag": f'W/"{found["etag"]}"',
            "properties": {
                "addressPrefix": found["prefix"],
                "provisioningState": "Succeeded",
                "ipConfigurations": configs,
                "privateEndpointNetworkPolicies": "Disabled",
                "privateLinkServiceNetworkPolicies": "Enabled",
            },
        }
