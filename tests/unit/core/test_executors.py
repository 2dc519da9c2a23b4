"""Executors on a stub client: what they do with their parameters, and what they refuse.

Covers: the CronJob check that green holds no active timer before the switch.
"""

from __future__ import annotations

from typing import Any

import pytest

from bluegreen.actions import CheckSuspended
from bluegreen.errors import StepFailedError
from bluegreen.executors import EXECUTORS, ExecEnv


class _Kube:
    def __init__(self, cronjobs: dict[str, list[dict[str, Any]]]) -> None:
        self.cronjobs = cronjobs

    def list(self, api_version: str, kind: str, namespace: str) -> list[dict[str, Any]]:
        assert (api_version, kind) == ("batch/v1", "CronJob")
        return self.cronjobs.get(namespace, [])


def _env(kube: _Kube) -> ExecEnv:
    def unused(*_: Any, **__: Any) -> Any:
        raise AssertionError("not used by this executor")

    return ExecEnv(loaded=None, clock=None, poll_interval=1.0, aks=None, dns=None,  # type: ignore[arg-type]
                   kube=lambda label: kube, forget=unused, report=unused, checkpoint=unused)  # type: ignore[arg-type]


def _cronjob(name: str, suspend: bool) -> dict[str, Any]:
    return {"metadata": {"name": name}, "spec": {"suspend": suspend}}


def test_green_with_every_cronjob_suspended_passes() -> None:
    kube = _Kube({"jobs": [_cronjob("nightly", True)], "shop": [_cronjob("report", True)]})
    EXECUTORS[CheckSuspended](CheckSuspended("green", ("jobs", "shop")), _env(kube))


def test_an_active_cronjob_on_green_before_the_switch_fails_naming_it() -> None:
    kube = _Kube({"jobs": [_cronjob("nightly", False), _cronjob("weekly", True)]})
    with pytest.raises(StepFailedError, match="active on green before the switch \\(jobs/nightly\\)"):
        EXECUTORS[CheckSuspended](CheckSuspended("green", ("jobs", "shop")), _env(kube))
