"""Fake Microsoft.ContainerService: managedClusters, agentPools, kubernetesVersions."""
