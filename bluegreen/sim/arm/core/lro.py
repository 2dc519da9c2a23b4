"""Long-running operations: status resources that finish when the simulated clock passes their due time.

An operation is a plain dict in state; `_`-prefixed keys are ours, the rest is the ARM status-monitor
shape `{"id","name","status","startTime","endTime","error"}`. Services register a completer per kind
prefix ("aks", "cdn"); `settle()` calls it when an operation falls due, so state and hooks move forward
exactly when a poll (or any other request) observes the new time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bluegreen.clock import Clock
from bluegreen.sim.arm.core.timefmt import iso, parse

Completer = Callable[[dict[str, Any]], None]
TERMINAL = ("Succeeded", "Failed", "Canceled")


class Operations:
    def __init__(self, state: dict[str, Any], clock: Clock) -> None:
        self._state = state  # the "operations" sub-dict: op id -> op
        self._meta = state.setdefault("_meta", {"seq": 0})
        self._clock = clock
        self._completers: dict[str, Completer] = {}

    def register(self, kind_prefix: str, completer: Completer) -> None:
        self._completers[kind_prefix] = completer

    def start(
        self,
        *,
        kind: str,
        resource_id: str,
        duration: float,
        status_path: str,
        result_path: str | None = None,
        fail: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """`status_path`/`result_path` are format strings with `{op}` for the operation id."""
        self._meta["seq"] += 1
        op_id = self._new_id(resource_id)
        now = self._clock.now()
        op: dict[str, Any] = {
            "id": status_path.format(op=op_id),
            "name": op_id,
            "status": "InProgress",
            "startTime": iso(now),
            "_kind": kind,
            "_resource": resource_id,
            "_due": iso(now + timedelta(seconds=duration)),
            "_resultPath": result_path.format(op=op_id) if result_path else None,
            "_fail": fail,
            "_data": data or {},
        }
        self._state[op_id] = op
        return op

    def _new_id(self, salt: str) -> str:
        digest = hashlib.sha256(f"op:{self._meta['seq']}:{salt}".encode()).hexdigest()
        return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"

    def get(self, op_id: str) -> dict[str, Any] | None:
        for key, op in self._state.items():
            if key != "_meta" and key.lower() == op_id.lower():
                return op
        return None

    def in_progress_for(self, resource_id: str) -> list[dict[str, Any]]:
        return [
            op
            for key, op in self._state.items()
            if key != "_meta" and op["status"] == "InProgress" and op["_resource"].lower() == resource_id.lower()
        ]

    def finish(self, op: dict[str, Any], status: str, error: dict[str, Any] | None = None) -> None:
        op["status"] = status
        op["endTime"] = iso(self._clock.now())
        if error is not None:
            op["error"] = error

    def settle(self) -> int:
        """Complete every operation whose time has come, oldest first; returns how many finished."""
        now = self._clock.now()
        finished = 0
        while True:
            due = [
                op
                for key, op in self._state.items()
                if key != "_meta" and op["status"] == "InProgress" and parse(op["_due"]) <= now
            ]
            if not due:
                return finished
            op = min(due, key=lambda o: (o["_due"], o["startTime"]))
            completer = self._completers[op["_kind"].split(".", 1)[0]]
            if op["_fail"]:
                self.finish(op, "Failed", op["_fail"])
            else:
                self.finish(op, "Succeeded")
            completer(op)
            finished += 1

    def next_due(self) -> datetime | None:
        """When the next operation in progress finishes (a clock jumping ahead stops there)."""
        due = [parse(op["_due"]) for key, op in self._state.items() if key != "_meta" and op["status"] == "InProgress"]
        return min(due, default=None)

    @staticmethod
    def public(op: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in op.items() if not k.startswith("_")}
