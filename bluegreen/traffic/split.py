"""The split between blue and green as data: what a router reports and what a move asks for.

Pure: no I/O, so planners use it. A *setting* is the wire-level intent per side
(`{"blue": {"weight": 900, "enabled": True}, "green": {...}}`), plain JSON so a
saved plan carries it. Weights run 1-1000 (Traffic Manager and Front Door alike);
taking a side fully out disables it rather than weighing it 0, which neither allows.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BackendInfo:
    """One Traffic Manager endpoint or Front Door origin as a router reads it."""

    name: str
    weight: int | None
    enabled: bool
    target: str | None


Setting = dict[str, dict[str, Any]]
MAX_WEIGHT = 1000


def setting_for(percent: int) -> Setting:
    """Weights and enabled states that send `percent` of requests to green."""
    if percent <= 0:
        return {"blue": {"weight": MAX_WEIGHT, "enabled": True}, "green": {"weight": 1, "enabled": False}}
    if percent >= 100:
        return {"blue": {"weight": 1, "enabled": False}, "green": {"weight": MAX_WEIGHT, "enabled": True}}
    return {"blue": {"weight": 10 * (100 - percent), "enabled": True},
            "green": {"weight": 10 * percent, "enabled": True}}


def percent_of(setting: Setting) -> int | None:
    """Percent of requests green gets under a setting; None when neither side takes traffic."""
    blue, green = setting["blue"], setting["green"]
    if not blue["enabled"] and not green["enabled"]:
        return None
    if not green["enabled"]:
        return 0
    if not blue["enabled"]:
        return 100
    total = (blue["weight"] or 0) + (green["weight"] or 0)
    return round(100 * (green["weight"] or 0) / total) if total else None


def same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Two sides route alike: both out (whatever weight an out side keeps), or both in with equal weights."""
    if not a["enabled"] and not b["enabled"]:
        return True
    return bool(a["enabled"]) == bool(b["enabled"]) and a["weight"] == b["weight"]


def write_order(target: Setting) -> list[str]:
    """Sides to write, the one that will take traffic first: never a moment with both sides out."""
    return sorted(("blue", "green"), key=lambda side: not target[side]["enabled"])


@dataclass(frozen=True)
class TrafficState:
    """One observation of a weighted router; `problem` says why it cannot be used (then sides may be None)."""

    router: str  # for people: "Traffic Manager tm-shop"
    blue: BackendInfo | None
    green: BackendInfo | None
    problem: str | None = None

    @property
    def setting(self) -> Setting | None:
        if self.blue is None or self.green is None:
            return None
        return {side: {"weight": b.weight, "enabled": b.enabled} for side, b in (("blue", self.blue),
                                                                                  ("green", self.green))}

    @property
    def green_percent(self) -> int | None:
        setting = self.setting
        return None if setting is None else percent_of(setting)

    @property
    def version(self) -> str:
        """What the plan relies on: both sides' weights, states and targets."""
        body = json.dumps([self.problem, self.blue and vars(self.blue), self.green and vars(self.green)],
                          sort_keys=True, default=str)
        return hashlib.sha256(body.encode()).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        return {"router": self.router, "green_percent": self.green_percent, "setting": self.setting,
                "problem": self.problem}


def describe(setting: Setting | None) -> str:
    if setting is None:
        return "(unknown)"
    sides = []
    for side in ("blue", "green"):
        s = setting[side]
        sides.append(f"{side} {s['weight']}" + ("" if s["enabled"] else " (disabled)"))
    percent = percent_of(setting)
    return ", ".join(sides) + (f" = {percent}% to green" if percent is not None else " = no traffic")
