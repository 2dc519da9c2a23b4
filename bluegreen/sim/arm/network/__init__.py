"""Fake Microsoft.Network subnets: address space and what is using it (seeded NICs plus simulated AKS nodes)."""
