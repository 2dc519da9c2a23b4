"""How a simulated cluster's workloads behave (timings, broken images, size)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class ClusterBehaviour:
    pod_ready_seconds: float = 20.0
    job_seconds: float = 30.0
    broken_images: list[str] = field(default_factory=list)  # exact image or prefix match
    node_count: int = 3
    lb_provision_seconds: float = 0.0  # how long Azure takes to give a LoadBalancer Service its address
    throttle_writes: int = 0  # the first N writes answer 429 + Retry-After, as API Priority and Fairness does
    # A workload whose spec a write changed is reconciled when simulated time passes (or a client watches),
    # not inside that write: its status lags the spec (observedGeneration < generation) as on a real cluster.
    controller_lag: bool = True
    # Finalizers whose controller never finishes (a test hook): objects carrying them stay Terminating
    # until a client removes the finalizer, e.g. ["kubernetes.io/pvc-protection"].
    stuck_finalizers: list[str] = field(default_factory=list)

    def is_broken(self, image: str) -> bool:
        return any(image == b or image.startswith(b) for b in self.broken_images)

    def to_dict(self) -> dict:
        return asdict(self)
