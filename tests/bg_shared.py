"""The conformance tier: tests against third-party material in ../shared, which a clone does not carry.

The suite proves every behaviour from the repository's own fixtures (tests/data). What lives in
../shared (public manifests, Azure REST spec examples) is only read by the conformance tier, all of it
under tests/conformance/ (tests/test_conformance_tier.py checks nothing else reaches it). Its tests are
marked `conformance`,
skip with one line saying why when the folder is absent, and fail instead when
BLUEGREEN_REQUIRE_CONFORMANCE=1 (CI sets it, so a skipped tier cannot pass unnoticed).
A uniquely named module, imported by tests/conftest.py and by the test of this mechanism.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

SHARED_ENV = "BLUEGREEN_SHARED_DIR"
REQUIRE_ENV = "BLUEGREEN_REQUIRE_CONFORMANCE"
REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"


def required() -> bool:
    return os.environ.get(REQUIRE_ENV, "").strip().lower() not in ("", "0", "false", "no")


def shared_root() -> Path:
    """Where ../shared is expected: $BLUEGREEN_SHARED_DIR, else the folder beside the repository."""
    configured = os.environ.get(SHARED_ENV)
    return Path(configured).expanduser().resolve() if configured else (REPO.parent / "shared").resolve()


def shared_path(relative: str = "") -> Path:
    """A path inside ../shared; skips the calling test (fails it when the tier is required) if it is absent."""
    path = shared_root() / relative
    if not path.exists():
        reason = f"conformance: {path} not found (clone ../shared beside the repository or set {SHARED_ENV})"
        if required():
            pytest.fail(f"{reason}, but {REQUIRE_ENV} is set", pytrace=False)
        pytest.skip(reason)
    return path


class ConformanceTier:
    """Marks the tier, and with REQUIRE set turns each of its skips into a failure and an empty tier into a failed run."""

    def __init__(self, config: pytest.Config) -> None:
        self.folder = config.rootpath / "tests" / "conformance"
        self.outcomes: dict[str, int] = {}

    def is_conformance(self, item: pytest.Item) -> bool:
        return self.folder in item.path.parents

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            if self.is_conformance(item):
                item.add_marker(pytest.mark.conformance)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
        outcome = yield
        report = outcome.get_result()
        if item.get_closest_marker("conformance") is None:
            return
        if report.skipped and required():
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            report.outcome = "failed"
            report.longrepr = f"{REQUIRE_ENV} is set, yet this conformance test was skipped: {reason}"

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Counted from the reports, not the items: under pytest-xdist only the controller sees them all."""
        if "conformance" in report.keywords and (report.when == "call" or report.outcome != "passed"):
            self.outcomes[report.outcome] = self.outcomes.get(report.outcome, 0) + 1

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        counts = ", ".join(f"{n} {what}" for what, n in sorted(self.outcomes.items())) or "nothing ran"
        terminalreporter.write_line(f"conformance tier ({shared_root()}): {counts}")

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if hasattr(session.config, "workerinput"):
            return  # an xdist worker sees only its share; the controller judges the whole tier
        if required() and not self.outcomes.get("passed") and exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
            print(f"\n{REQUIRE_ENV} is set, yet no conformance test passed")
