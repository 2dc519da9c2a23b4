"""`bluegreen report PLAYBOOK --html FILE` on real cutovers through the simulator, read back by a real browser.

A stepwise Traffic Manager shift (10, 25, 50, 100 with the CronJobs changing hands at 50%) and a DNS flip
(0 to 100 at the switch): the page must show each step, each split with its weights and gate, and which
cluster owned each CronJob before and after, with the record's value; it loads nothing from elsewhere and
holds no secret.
"""

from __future__ import annotations

import html
import re
import shutil
import threading
from collections.abc import Iterator
from http.server import HTTPServer
from pathlib import Path
from typing import Any

import pytest

from bluegreen.plan import STEPS
from bluegreen.record import RunRecord, StepRecord
from bluegreen.report import pair_page, pair_report
from tests.report.conftest import Chromium, external_resources, png_facts
from tests.scenarios.conftest import DEMO, SECRET_VALUES, Cutover
from tests.scenarios.test_traffic import _copy, _gate_hook, _Hook

JOBS = DEMO / "manifests" / "jobs.yaml"


def _with_cronjobs(raw: dict[str, Any]) -> None:
    raw["workloads"]["namespaces"].append("jobs")
    raw["workloads"]["manifests"].append(str(JOBS))
    raw["simulation"]["blue"]["manifests"].append(str(JOBS))
    raw["switch"]["shift"]["cronjobs_at"] = 50


def _text(dom: str) -> str:
    """The page's visible words, tags dropped and spaces collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", dom)))


@pytest.fixture(scope="module")
def shifted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Cutover, Path]:
    c = _copy(tmp_path_factory.mktemp("tm"), "shop-traffic-manager.yaml", _with_cronjobs)
    result = c.cli("run", str(c.playbook), "--yes")
    assert result.exit_code == 0, result.output
    out = c.root / "report.html"
    result = c.cli("report", str(c.playbook), "--html", str(out))
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output
    return c, out


@pytest.fixture(scope="module")
def flipped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Cutover, Path]:
    root = tmp_path_factory.mktemp("dns")
    shutil.copy(DEMO / "playbook.yaml", root / "playbook.yaml")
    shutil.copytree(DEMO / "manifests", root / "manifests")
    c = Cutover(root)
    result = c.cli("run", str(c.playbook), "--yes")
    assert result.exit_code == 0, result.output
    out = root / "report.html"
    assert c.cli("report", str(c.playbook), "--html", str(out)).exit_code == 0
    return c, out


def _journal(c: Cutover, name: str) -> RunRecord:
    import json

    return RunRecord.from_dict(json.loads((c.world / "state" / name / "journal.json").read_text()))


def test_the_page_loads_nothing_from_elsewhere_and_holds_no_secret(shifted: Any, flipped: Any) -> None:
    for _, out in (shifted, flipped):
        page = out.read_text()
        assert external_resources(page) == []
        assert not re.search(r"""(?:src|href)\s*=\s*["']?https?:""", page, re.I) and "@import" not in page
        for secret in SECRET_VALUES:
            assert secret not in page


def test_the_stepwise_shift_renders_steps_weights_and_the_cronjob_handoff(
        shifted: Any, chromium: Chromium) -> None:
    c, out = shifted
    record = _journal(c, "shop-tm")
    dom = chromium.dump_dom(out)
    text = _text(dom)
    # Who and what: the record's run id, identity and archive.
    assert record.run_id in text and record.facts.archive and record.facts.archive in text
    assert "rg-shop/aks-shop-blue" in text and "traffic_manager rg-shop/tm-shop/blue,green" in text
    # Every step on the timeline, as a bar and a row, with its times on the record's clock.
    for step in STEPS:
        assert f'data-step="{step}"' in dom
        entry = record.steps[step]
        assert entry.started and f'datetime="{entry.started}"' in dom
    assert "2026-11-20 08:10:50" in text  # the simulated clock, not the wall clock
    # The split: each step's weights and gate, and a point per step on the chart.
    for percent, weights in ((10, "blue 900, green 100"), (25, "blue 750, green 250"),
                             (50, "blue 500, green 500"), (100, "blue 1 (disabled), green 1000")):
        assert re.search(rf"{percent}% {re.escape(weights)} shift to {percent}% passed", text), (percent, text)
        assert f'data-percent="{percent}"' in dom
    assert "step reached 100" in text
    # The CronJob: blue's until the 50% step, green's after, with the record's value before and after.
    switch = record.steps["switch"].actions
    suspended = switch["switch/suspend/blue/jobs/send-invoices"]
    resumed = switch["switch/restore/green/jobs/send-invoices"]
    assert suspended == switch["switch/shift/50"]  # handed over at the step the playbook names
    row = re.search(r"<tr><td><code>jobs/send-invoices</code></td>.*?</tr>", dom, re.S)
    assert row, dom
    cells = _text(row.group(0)).split()
    assert cells[:3] == ["jobs/send-invoices", "switch", "blue"]
    assert "green" in cells and f'datetime="{suspended}"' in row.group(0) and f'datetime="{resumed}"' in row.group(0)
    assert cells[-2:] == ["blue", "green"]  # the router's value (the endpoint) before and after
    assert "CronJobs to green" in text


def test_a_dns_flip_is_one_jump_from_0_to_100_with_the_record_values(flipped: Any, chromium: Chromium) -> None:
    c, out = flipped
    record = _journal(c, "shop-1-31")
    text = _text(chromium.dump_dom(out))
    before, after = record.facts.switched_from, record.facts.switched_to
    assert before and after and before != after
    assert f"traffic moved {before} -> {after}" in text
    assert re.search(rf"0% {re.escape(before)} before the switch", text)
    assert re.search(rf"100% {re.escape(after)} DNS flip", text)
    assert re.search(rf"jobs/send-invoices switch blue .*? green .*? {re.escape(before)} {re.escape(after)}", text)


def test_a_screenshot_of_the_page_is_a_picture(shifted: Any, chromium: Chromium, tmp_path: Path) -> None:
    _, out = shifted
    png = chromium.screenshot(out, tmp_path / "report.png")
    width, height, distinct = png_facts(png)
    assert (width, height) == (1000, 1600)
    assert distinct > 20, "the screenshot is blank"


def test_report_without_a_run_record_is_refused(tmp_path: Path) -> None:
    shutil.copy(DEMO / "playbook.yaml", tmp_path / "playbook.yaml")
    shutil.copytree(DEMO / "manifests", tmp_path / "manifests")
    c = Cutover(tmp_path)
    result = c.cli("report", str(c.playbook), "--html", str(tmp_path / "r.html"))
    assert result.exit_code == 3 and "no run record yet" in result.output
    assert not (tmp_path / "r.html").exists()


def test_credentials_in_a_recorded_error_are_redacted_and_markup_is_escaped() -> None:
    record = RunRecord(playbook="p<script>")
    record.steps["smoke"] = StepRecord(status="failed", started="2026-01-01T00:00:00+00:00",
                                       finished="2026-01-01T00:01:00+00:00",
                                       error="GET https://ops:hunter22@shop.example/health?sig=abc123 gave 500 "
                                             "<img src=x>")
    page = pair_page(pair_report(record))
    assert "hunter22" not in page and "abc123" not in page
    assert "<script>" not in page and "<img" not in page
    assert "shop.example/health" in page and external_resources(page) == []


@pytest.fixture
def failing_gate() -> Iterator[str]:
    """A webhook gate that answers 500 at 50%."""
    handler = type("Hook", (_Hook,), {"seen": [], "fail_at": 50})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/gate"
    server.shutdown()
    server.server_close()


def test_a_failed_gate_drops_to_0_and_a_rollback_says_what_it_reset(
        tmp_path: Path, failing_gate: str, chromium: Chromium) -> None:
    def change(raw: dict[str, Any]) -> None:
        _gate_hook(failing_gate)(raw)
        _with_cronjobs(raw)

    c = _copy(tmp_path, "shop-traffic-manager.yaml", change)
    assert c.cli("run", str(c.playbook), "--yes").exit_code == 1
    out = tmp_path / "failed.html"
    assert c.cli("report", str(c.playbook), "--html", str(out)).exit_code == 0
    text = _text(chromium.dump_dom(out))
    assert re.search(r"50% blue 500, green 500 shift to 50% failed at 50%: webhook analysis", text), text
    assert re.search(r"0% blue 1000, green 1 \(disabled\) gate failed at 50%.*?all traffic back to blue", text)
    assert re.search(r"switch failed .*? gate failed at 50%", text)
    assert "jobs/send-invoices switch blue" in text  # handed to green at 50%, still so until the rollback
    assert c.cli("rollback", str(c.playbook), "--yes").exit_code == 0
    assert c.cli("report", str(c.playbook), "--html", str(out)).exit_code == 0
    text = _text(chromium.dump_dom(out))
    assert "switch rolled_back" in text and "Rolled back to blue at 2026-11-20 08:10:50" in text
