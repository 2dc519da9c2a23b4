"""Case-insensitive ARM path routing: ARM treats provider, type and name segments case-insensitively."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bluegreen.sim.arm.core.http import ArmRequest, ArmResponse

Handler = Callable[[ArmRequest], ArmResponse]
_PARAM = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    api: str  # e.g. "Microsoft.ContainerService/managedClusters": the unit of mutation counting
    operation: str  # the spec's operationId, e.g. "ManagedClusters_CreateOrUpdate"
    mutating: bool
    lro: bool


def compile_template(template: str) -> re.Pattern[str]:
    """`/a/{x}/b` -> regex with named groups; each parameter is one path segment."""
    parts = []
    pos = 0
    for match in _PARAM.finditer(template):
        parts.append(re.escape(template[pos : match.start()]))
        parts.append(f"(?P<{match.group(1)}>[^/]+)")
        pos = match.end()
    parts.append(re.escape(template[pos:]))
    return re.compile("^" + "".join(parts) + "/?$", re.IGNORECASE)


class Router:
    def __init__(self) -> None:
        self._routes: list[Route] = []

    def add(
        self,
        method: str,
        template: str,
        handler: Handler,
        *,
        api: str,
        operation: str,
        mutating: bool = False,
        lro: bool = False,
    ) -> None:
        """Routes match in registration order: register literal segments before parameters."""
        self._routes.append(Route(method.upper(), compile_template(template), handler, api, operation, mutating, lro))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self._routes:
            if route.method != method.upper():
                continue
            found = route.pattern.match(path)
            if found:
                return route, found.groupdict()
        return None

    def path_known(self, path: str) -> bool:
        return any(route.pattern.match(path) for route in self._routes)
