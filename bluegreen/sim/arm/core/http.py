"""The request/response shapes handlers see, independent of `responses`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

HOST = "https://management.azure.com"


@dataclass
class ArmRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: Mapping[str, str]
    body: Any = None
    params: dict[str, str] = field(default_factory=dict)
    # Set by fault injection: the LRO this request starts must end Failed with this error.
    fail_lro: dict[str, Any] | None = None

    @property
    def api_version(self) -> str:
        return self.query.get("api-version", "")

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return None

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object; ARM answers 400 InvalidRequestContent otherwise."""
        from bluegreen.sim.arm.core.errors import ArmError

        if not isinstance(self.body, dict):
            raise ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized.")
        return self.body


@dataclass
class ArmResponse:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> str:
        return "" if self.body is None else json.dumps(self.body)


def absolute(path: str, api_version: str) -> str:
    return f"{HOST}{path}?api-version={api_version}"


DEFAULT_PAGE = 100  # ARM lists answer at most this many items per page unless $top says fewer
MAX_TOP = 1000


def page(req: ArmRequest, items: list[Any], *, default: int = DEFAULT_PAGE) -> dict[str, Any]:
    """One page of a list as ARM answers it: `value`, plus `nextLink` (same query, a skip token) while more remain.

    `$top` sets the page size; the SDK pagers follow `nextLink` until it is absent.
    """
    from bluegreen.sim.arm.core.errors import ArmError

    top_text = req.query.get("$top")
    size = default
    if top_text is not None:
        if not top_text.isdigit() or not 1 <= int(top_text) <= MAX_TOP:
            raise ArmError(400, "BadRequest", f"The value '{top_text}' of query parameter $top is invalid: "
                           f"give a whole number from 1 to {MAX_TOP}.", target="$top")
        size = int(top_text)
    token = req.query.get("$skipToken") or "0"
    if not token.isdigit():
        raise ArmError(400, "BadRequest", f"The $skipToken '{token}' is invalid.", target="$skipToken")
    start = int(token)
    out: dict[str, Any] = {"value": items[start : start + size]}
    if start + size < len(items):
        query = f"api-version={req.api_version}" + (f"&$top={size}" if top_text is not None else "")
        out["nextLink"] = f"{HOST}{req.path}?{query}&$skipToken={start + size}"
    return out
