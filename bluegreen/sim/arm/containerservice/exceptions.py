"""AKS error codes as the real resource provider sends them."""

from __future__ import annotations

from bluegreen.sim.arm.core.errors import ArmError


def version_not_supported(version: str, location: str) -> ArmError:
    return ArmError(
        400,
        "VersionNotSupported",
        f"Version {version} is not supported in this region {location}. "
        "Please use [az aks get-versions] command to get the supported version list in this region.",
        target="kubernetesVersion",
    )


def location_not_available(location: str) -> ArmError:
    return ArmError(
        400,
        "LocationNotAvailableForResourceType",
        f"The provided location '{location}' is not available for resource type 'Microsoft.ContainerService/managedClusters'.",
        target="location",
    )


def operation_not_allowed(message: str) -> ArmError:
    return ArmError(409, "OperationNotAllowed", message)


def operation_in_progress(state: str) -> ArmError:
    """What AKS answers to a mutation while another operation runs on the cluster (409, no Retry-After)."""
    return ArmError(
        409,
        "OperationNotAllowed",
        f"Operation is not allowed: Another operation ({state}) is in progress, please wait for it to finish "
        "before starting a new operation. See https://aka.ms/aks-pending-operation for more details.",
    )


def invalid_parameter(message: str, target: str) -> ArmError:
    return ArmError(400, "InvalidParameter", message, target=target)


def property_change_not_allowed(prop: str) -> ArmError:
    return ArmError(400, "PropertyChangeNotAllowed", f"Changing property '{prop}' is not allowed.", target=prop)


def insufficient_subnet(needed: int, available: int, subnet_id: str) -> ArmError:
    return ArmError(
        400,
        "InsufficientSubnetSize",
        f"Pre-allocated IPs {needed} exceeds IPs available {available} in Subnet {subnet_id}.",
        target="agentPoolProfiles.vnetSubnetID",
    )
