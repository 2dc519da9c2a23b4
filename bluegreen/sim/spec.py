"""The simulator's seed data lives in `bluegreen.simulation_spec`, so the playbook need not import the simulator."""

from bluegreen.simulation_spec import (
    Address,
    ClusterBehaviourSpec,
    ServiceRef,
    SimulationSpec,
)

__all__ = ["Address", "ClusterBehaviourSpec", "ServiceRef", "SimulationSpec"]
