"""Blue/green cluster cutovers on Azure Kubernetes Service."""
