"""Credentials in smoke-check URLs never appear in anything bluegreen shows or writes (issue 7 item 8).

Secrets are planted in every part of every URL a playbook carries (userinfo, query values, fragment);
then every output (plan text and JSON, the saved plan, events, failure messages) and every file under
the playbook's folder except the playbook itself is searched for them. The checks still pass, so the
requests went out (to the real URL).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bluegreen.redact import MASK, redact_url, redact_urls
from tests.scenarios.conftest import Cutover

SECRETS = ("smoke-user-51", "pass-0c7e9d", "sig-7a8b9c0d1e", "expiry-secret-33", "frag-token-9f", "cart-key-2b4d")
URLS = [
    "http://smoke-user-51:pass-0c7e9d@shop.contoso.internal/?sig=sig-7a8b9c0d1e&se=expiry-secret-33#frag-token-9f",
    "http://shop.contoso.internal/cart?api_key=cart-key-2b4d&page=2",
]


def _plant(cutover: Cutover, *, failing: bool = False) -> None:
    def change(raw: dict[str, Any]) -> None:
        for check, url in zip(raw["smoke"]["http"], URLS, strict=True):
            check["url"] = url
        if failing:
            raw["smoke"]["http"][1]["body_contains"] = "no such text on the page"
            raw["smoke"]["http_deadline"] = "10s"

    cutover.edit(change)


def _leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def _files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text(errors="replace") for p in root.rglob("*")
            if p.is_file() and p.name != "playbook.yaml"}


def test_no_url_secret_in_plans_events_journal_or_files(cutover: Cutover) -> None:
    _plant(cutover)
    cutover.init()
    plan_file = cutover.root / "plan.json"
    outputs = {
        "plan text": cutover.cli("plan", str(cutover.playbook)),
        "plan json": cutover.cli("plan", str(cutover.playbook), "--output", "json", "--out", str(plan_file)),
    }
    outputs["run json"] = cutover.cli("run", str(cutover.playbook), "--yes", "--plan", str(plan_file),
                                      "--output", "json", "--until", "smoke")
    outputs["run text"] = cutover.cli("run", str(cutover.playbook), "--yes")
    outputs["status"] = cutover.cli("status", str(cutover.playbook), "--output", "json")
    for name, result in outputs.items():
        assert result.exit_code == 0, (name, result.output)
        assert _leaks(result.output) == [], (name, result.output)
    events = [json.loads(line) for line in outputs["run json"].stdout.splitlines() if line.startswith("{")]
    checks = [e for e in events if e["kind"] == "check" and "shop.contoso.internal" in e["message"]]
    assert len(checks) == 2 and all(e["data"]["ok"] for e in checks)  # sent, and passed
    assert f"sig={MASK}" in checks[0]["message"] and f"http://{MASK}@shop" in checks[0]["message"]
    assert "shop.contoso.internal/cart?api_key=" in plan_file.read_text()  # recognisable, not gone
    files = _files(cutover.root)
    assert any("journal.json" in f for f in files) and "plan.json" in files
    assert {f: _leaks(t) for f, t in files.items() if _leaks(t)} == {}


def test_no_url_secret_in_a_failing_checks_message(cutover: Cutover) -> None:
    _plant(cutover, failing=True)
    cutover.init()
    for output in ("text", "json"):
        result = cutover.cli("run", str(cutover.playbook), "--yes", "--output", output)
        assert result.exit_code == 1, result.output
        assert "cart" in result.output and "no such text" in result.output
        assert _leaks(result.output) == [], result.output
    assert {f: _leaks(t) for f, t in _files(cutover.root).items() if _leaks(t)} == {}


@pytest.mark.parametrize(("url", "shown"), [
    ("https://u:p@h.example/a?sig=s&se=2&flag#f", f"https://{MASK}@h.example/a?sig={MASK}&se={MASK}&flag#{MASK}"),
    ("https://token@h.example:8443/", f"https://{MASK}@h.example:8443/"),
    ("https://h.example/a?b=", "https://h.example/a?b="),
    ("https://h.example/plain/path", "https://h.example/plain/path"),
])
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown
    assert redact_url(shown) == shown  # a mask is never masked again


def test_redact_urls_finds_urls_in_any_text_and_structure() -> None:
    text = 'GET "http://u:p@h/x?sig=s1" failed (see https://h/y?code=c2).'
    assert redact_urls(text) == f'GET "http://{MASK}@h/x?sig={MASK}" failed (see https://h/y?code={MASK}).'
    nested = {"a": [text, 3, None], "b": ("https://h/?t=t3",)}
    assert not any(s in json.dumps(redact_urls(nested)) for s in ("s1", "c2", "t3", "u:p"))
