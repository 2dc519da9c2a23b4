"""ETags and the If-Match / If-None-Match rules ARM services share."""

from __future__ import annotations

import hashlib

from bluegreen.sim.arm.core.errors import precondition_failed


def new_etag(state: dict, salt: str = "") -> str:
    """A fresh ETag; deterministic (a counter kept in state) so runs and to_state() round-trips are reproducible."""
    state["etagSeq"] = state.get("etagSeq", 0) + 1
    digest = hashlib.sha256(f"{state['etagSeq']}:{salt}".encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


def _bare(tag: str) -> str:
    tag = tag.strip()
    if tag.startswith("W/"):
        tag = tag[2:]
    return tag.strip('"')


def check_conditions(
    if_match: str | None, if_none_match: str | None, current: str | None, what: str, *, star_only_none_match: bool
) -> None:
    """Raise 412 PreconditionFailed as ARM does; `current` is None when the resource does not exist.

    DNS ignores If-None-Match values other than '*' (`star_only_none_match`); AKS also refuses a matching tag.
    """
    if if_match is not None and if_match.strip():
        wanted = [_bare(t) for t in if_match.split(",")]
        if current is None or ("*" not in wanted and _bare(current) not in wanted):
            raise precondition_failed(what)
    if if_none_match is not None and if_none_match.strip() and current is not None:
        wanted = [_bare(t) for t in if_none_match.split(",")]
        if "*" in wanted or (not star_only_none_match and _bare(current) in wanted):
            raise precondition_failed(what)
