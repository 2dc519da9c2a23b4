"""The planners, one per step: pure functions `(playbook, observed, run record) -> StepPlan`.

They decide what, never how: no client calls, no events, no run record writes.
Executors (bluegreen.executors) do what they plan; the engine runs one through
the other. A step never imports another step; what several need is in
bluegreen.derive.
"""

from __future__ import annotations

from collections.abc import Callable

from bluegreen.observe import Observed
from bluegreen.plan import StepPlan
from bluegreen.playbook import Playbook
from bluegreen.record import RunRecord
from bluegreen.steps.decommission import plan_decommission
from bluegreen.steps.preflight import plan_preflight
from bluegreen.steps.provision import plan_provision
from bluegreen.steps.redeploy import plan_redeploy
from bluegreen.steps.smoke import plan_smoke
from bluegreen.steps.switch import plan_switch

Planner = Callable[[Playbook, Observed, RunRecord], StepPlan]

PLANNERS: dict[str, Planner] = {
    "preflight": plan_preflight,
    "provision": plan_provision,
    "redeploy": plan_redeploy,
    "smoke": plan_smoke,
    "switch": plan_switch,
    "decommission": plan_decommission,
}
