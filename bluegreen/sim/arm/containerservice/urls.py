"""AKS routes (paths as the azure-mgmt-containerservice SDK sends them; matched case-insensitively)."""

from __future__ import annotations

from bluegreen.sim.arm.containerservice.models import API
from bluegreen.sim.arm.containerservice.responses import AksResponses
from bluegreen.sim.arm.core.router import Router

SUB = "/subscriptions/{subscriptionId}"
MCS = SUB + "/resourceGroups/{resourceGroupName}/providers/Microsoft.ContainerService/managedClusters"
MC = MCS + "/{resourceName}"
LOC = SUB + "/providers/Microsoft.ContainerService/locations/{location}"


def register(router: Router, r: AksResponses) -> None:
    add = router.add
    add("GET", LOC + "/kubernetesVersions", r.kubernetes_versions, api=API, operation="ManagedClusters_ListKubernetesVersions")
    add("GET", LOC + "/operations/{operationId}", r.operation_status, api=API, operation="OperationStatus_Get")
    add("GET", LOC + "/operationresults/{operationId}", r.operation_result, api=API, operation="OperationResults_Get")
    add("GET", SUB + "/providers/Microsoft.ContainerService/managedClusters", r.list_all, api=API,
        operation="ManagedClusters_List")
    add("GET", MCS, r.list_by_resource_group, api=API, operation="ManagedClusters_ListByResourceGroup")
    add("GET", MC + "/agentPools", r.list_pools, api=API, operation="AgentPools_List")
    add("GET", MC + "/agentPools/{agentPoolName}", r.get_pool, api=API, operation="AgentPools_Get")
    add("PUT", MC + "/agentPools/{agentPoolName}", r.put_pool, api=API, operation="AgentPools_CreateOrUpdate",
        mutating=True, lro=True)
    add("DELETE", MC + "/agentPools/{agentPoolName}", r.delete_pool, api=API, operation="AgentPools_Delete",
        mutating=True, lro=True)
    add("GET", MC + "/upgradeProfiles/default", r.upgrade_profile, api=API, operation="ManagedClusters_GetUpgradeProfile")
    add("POST", MC + "/listClusterUserCredential", r.user_credentials, api=API,
        operation="ManagedClusters_ListClusterUserCredentials")
    add("POST", MC + "/listClusterAdminCredential", r.admin_credentials, api=API,
        operation="ManagedClusters_ListClusterAdminCredentials")
    add("POST", MC + "/stop", r.stop, api=API, operation="ManagedClusters_Stop", mutating=True, lro=True)
    add("POST", MC + "/start", r.start, api=API, operation="ManagedClusters_Start", mutating=True, lro=True)
    add("GET", MC, r.get, api=API, operation="ManagedClusters_Get")
    add("PUT", MC, r.create_or_update, api=API, operation="ManagedClusters_CreateOrUpdate", mutating=True, lro=True)
    add("PATCH", MC, r.update_tags, api=API, operation="ManagedClusters_UpdateTags", mutating=True, lro=True)
    add("DELETE", MC, r.delete, api=API, operation="ManagedClusters_Delete", mutating=True, lro=True)
