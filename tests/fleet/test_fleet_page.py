"""The read-only fleet page on the sandbox's admin side, in a real headless Chromium
(phone-sized window, fresh profile): one row per terminal with lights, last seen,
version and outbox depth; the token is required; every value is escaped."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from kiosk.central import schemas_fleet as f
from kiosk.central.sandbox.fleet_page import render_fleet_page
from kiosk.central.sandbox.fleet_store import FleetStore

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def chromium(tmp_path: Path, url: str, *extra: str) -> subprocess.CompletedProcess[bytes]:
    """Debian's chromium, headless, no network chatter, a fresh profile."""
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--hide-scrollbars",
         f"--user-data-dir={profile}", *extra, url],
        capture_output=True, timeout=90, check=False,
        env={**os.environ, "HOME": str(tmp_path)})


def _fleet(sandbox, terminals) -> None:
    """Three terminals: one fine, one paused with a printer out of paper and a backlog,
    one that sent a heartbeat long ago."""
    a, b, c = (terminals("T-PAGE-0001"), terminals("T-PAGE-0002"),
               terminals("T-PAGE-0003"))
    a.agent.beat()
    a.agent.beat()
    hb = b.agent.report()
    parts = hb.parts.model_copy(update={
        "printer": f.PrinterStatus(light="fail", code="out_of_paper", paper="out"),
        "outbox": f.OutboxPart(light="warn", code="stale", depth=7,
                               oldest_age_seconds=1260.0)})
    b.client.fleet_heartbeat(hb.model_copy(update={"parts": parts, "paused": True}))
    c.agent.beat()
    # c fell silent: its last heartbeat is an hour old.
    an_hour_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    register = FleetStore.beside(sandbox.store)
    with register.db.tx():
        register.db.run("UPDATE terminals SET last_seen=? WHERE terminal_id=?",
                        an_hour_ago, "T-PAGE-0003")
        # The two live ones beat every 10 minutes, so a slow Chromium start on a loaded
        # machine (20 s+ in CI) cannot make them silent (3 missed beats) before it reads.
        register.db.run("UPDATE terminals SET heartbeat_seconds=600 WHERE "
                        "terminal_id IN ('T-PAGE-0001', 'T-PAGE-0002')")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed")
def test_fleet_page_in_headless_chromium(sandbox, terminals, tmp_path):
    _fleet(sandbox, terminals)
    url = f"{sandbox.admin_url}/admin/fleet?token={sandbox.admin_token}"
    dom = chromium(tmp_path, url, "--dump-dom")
    assert dom.returncode == 0, dom.stderr.decode()[-2000:]
    html = dom.stdout.decode()
    rows = re.findall(r"<tr>.*?</tr>", html, re.S)
    body_rows = [r for r in rows if "<td" in r]
    assert len(body_rows) == 3
    by_id = {re.search(r"T-PAGE-000\d", r).group(0): r for r in body_rows}
    assert "in service" in by_id["T-PAGE-0001"]
    assert "paused" in by_id["T-PAGE-0002"] and ">7 (oldest 1260 s)<" in by_id["T-PAGE-0002"]
    assert 'title="printer: fail"' in by_id["T-PAGE-0002"]
    assert "silent" in by_id["T-PAGE-0003"] and "60 min ago" in by_id["T-PAGE-0003"]
    for row in body_rows:
        assert "0.1.0" in row or re.search(r">\d+\.\d+", row)
    shot = tmp_path / "fleet-page.png"
    run = chromium(tmp_path, url, f"--screenshot={shot}", "--window-size=390,844")
    assert run.returncode == 0, run.stderr.decode()[-2000:]
    data = shot.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 10_000
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (390, 844)
    keep = os.environ.get("KIOSK_FLEET_PAGE_PNG")
    if keep:  # to look at it: KIOSK_FLEET_PAGE_PNG=/tmp/fleet.png pytest ...
        shutil.copy(shot, keep)


def test_fleet_page_needs_the_token(sandbox):
    base = f"{sandbox.admin_url}/admin/fleet"
    assert requests.get(base, timeout=5).status_code == 401
    assert requests.get(base + "?token=wrong", timeout=5).status_code == 401
    assert requests.get(f"{sandbox.url}/admin/fleet?token={sandbox.admin_token}",
                        timeout=5).status_code == 404  # never on the public port
    # The query token opens the page only, not the operations.
    assert requests.get(f"{base}/terminals?token={sandbox.admin_token}",
                        timeout=5).status_code == 401
    ok = requests.get(f"{base}?token={sandbox.admin_token}", timeout=5)
    assert ok.status_code == 200 and ok.headers["content-type"].startswith("text/html")


def test_fleet_page_escapes_everything():
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    evil = "<script>alert(1)</script>"
    html = render_fleet_page([{
        "terminal_id": evil, "last_seen": now.isoformat(), "version": evil,
        "heartbeat_seconds": 60, "config_version": 0, "paused": False,
        "parts": {"printer": {"light": evil}, "outbox": {"depth": evil}},
        "directives": []}], now)
    assert "<script>" not in html and "&lt;script&gt;" in html
