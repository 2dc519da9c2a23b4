"""The fake Azure Resource Manager, moto-style on `responses` (one subpackage per service)."""

from __future__ import annotations

from bluegreen.sim.arm.core.faults import FaultSpec
from bluegreen.sim.arm.hooks import ClusterHooks, NullHooks
from bluegreen.sim.arm.simulator import ArmSimulator

__all__ = ["ArmSimulator", "ClusterHooks", "FaultSpec", "NullHooks"]
