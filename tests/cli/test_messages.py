"""What the CLI says when something is wrong: each thing once, nothing unknown shown as None.

Covers: a failed preflight says "preflight failed" once per line (the event and the error),
never "preflight failed: preflight failed"; a plan whose green does not exist yet names green's
address as unknown, never None; read-only commands (plan, status, validate, preflight) need no
--yes without a terminal; `validate -o json` answers JSON for a file that is not YAML.
"""

from __future__ import annotations

import json

from tests.scenarios.conftest import Cutover


def test_a_failed_preflight_says_so_once(cutover: Cutover) -> None:
    cutover.init()
    assert cutover.cli("sim", "stop-cluster", str(cutover.world), "aks-shop-blue").exit_code == 0
    result = cutover.cli("preflight", str(cutover.playbook))
    assert result.exit_code == 1, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert errors == [errors[0]] and errors[0].startswith("error: preflight failed: blue is running: power Stopped")
    assert all(line.count("preflight failed") <= 1 for line in result.output.splitlines())


def test_a_plan_never_shows_an_unknown_address_as_none(cutover: Cutover) -> None:
    result = cutover.cli("plan", str(cutover.playbook))
    assert result.exit_code == 0, result.output
    assert "None" not in result.output
    assert "green's ingress IP (known after redeploy)" in result.output


def test_read_only_commands_need_no_yes_without_a_terminal(cutover: Cutover) -> None:
    for command in ("plan", "status", "validate", "preflight"):
        result = cutover.subprocess(command, str(cutover.playbook))
        assert result.returncode == 0, (command, result.stderr)
        assert "--yes" not in result.stderr


def test_validate_answers_json_for_a_file_that_is_not_yaml(cutover: Cutover) -> None:
    cutover.playbook.write_bytes(b"\xff\xfe" + "name: x".encode("utf-16-le"))
    result = cutover.cli("validate", str(cutover.playbook), "-o", "json")
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["valid"] is False and report["problems"][0]["field"] == str(cutover.playbook)
    assert "UTF-16" in report["problems"][0]["message"]
