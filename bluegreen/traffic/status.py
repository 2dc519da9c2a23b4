"""What `bluegreen status` says about a shift: the step reached, a pause, and each gate's result."""

from __future__ import annotations

from typing import Any

from bluegreen.record import RunRecord


def shift_status(record: RunRecord) -> dict[str, Any]:
    facts = record.facts
    finished = record.finished("switch")
    gates = {int(k.rsplit("/", 1)[1]): "passed" for k in finished if k.startswith("switch/gate/")}
    if facts.shift_gate and not facts.shift_gate.startswith("passed"):
        percent = facts.shift_reached if facts.shift_failed else facts.shift_paused_at
        if percent is not None:
            gates[percent] = facts.shift_gate
    return {"step_reached": facts.shift_reached, "paused_at": facts.shift_paused_at,
            "gates": {f"{p}%": verdict for p, verdict in sorted(gates.items())}, "failed": facts.shift_failed}
