"""Pure planning of the CronJob handoff: originals come from the source's spec, suspends come first."""

from __future__ import annotations

from bluegreen.actions import RestoreCronJob
from bluegreen.derive import handoff_actions, prepare_for_green
from bluegreen.kinds import ORIGINAL_SUSPEND


def _cronjob(name: str, suspend: bool, annotation: str | None = None) -> dict:
    meta: dict = {"name": name, "namespace": "jobs"}
    if annotation is not None:
        meta["annotations"] = {ORIGINAL_SUSPEND: annotation}
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta,
            "spec": {"schedule": "*/5 * * * *", "suspend": suspend, "jobTemplate": {}}}


def test_green_gets_the_cronjob_suspended_with_its_real_original() -> None:
    # A blue that was an earlier cutover's green carries a stale annotation: its spec wins.
    out = prepare_for_green(_cronjob("paused", suspend=True, annotation="false"), "shop")
    assert out["spec"]["suspend"] is True
    assert out["metadata"]["annotations"][ORIGINAL_SUSPEND] == "true"
    active = prepare_for_green(_cronjob("active", suspend=False), "shop")
    assert active["spec"]["suspend"] is True
    assert active["metadata"]["annotations"][ORIGINAL_SUSPEND] == "false"


def test_every_suspend_on_the_source_comes_before_any_restore_on_the_target() -> None:
    blue = [_cronjob("a", False), _cronjob("b", False), _cronjob("c", True)]
    green = [prepare_for_green(c, "jobs") for c in blue]
    actions = handoff_actions("switch", blue, green, "blue", "green")
    kinds = [a.kind for a in actions]
    assert kinds == ["suspend_cronjob", "suspend_cronjob", "restore_cronjob", "restore_cronjob"]
    restored = {a.params.name: a.params.suspend for a in actions if isinstance(a.params, RestoreCronJob)}
    assert restored == {"a": False, "b": False}  # c stays suspended on green, as it was on blue
    # Resuming on green takes over blue's lastScheduleTime, so blue's last run is not made again.
    assert {a.params.carry_from for a in actions if isinstance(a.params, RestoreCronJob)} == {"blue"}
