"""The centre's fleet page with 10,000 registered terminals, in headless Chromium on a
phone-sized window: one page of the worst first, filters, pages, Chinese by default and
English one link away, ages as words, the audit log on the page and exportable, and the
aggregated metrics. (Its speed is a benchmark figure: ``kiosk-centre bench`` measures it.)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from collections.abc import Iterator

import pytest
import requests

from kiosk.centre.keys import load_master_key
from kiosk.centre.loadgen import Terminal, heartbeat_body
from kiosk.centre.operators import Operators
from kiosk.centre.pg import PgDatabase
from kiosk.centre.server import CentreHandle, start_centre_thread
from kiosk.centre.terminals import Terminals
from tests.fixtures.centre import CentreSetup
from tests.fleet.test_fleet_page import CHROMIUM, PNG_MAGIC, chromium

N = 10_000
SILENT, FAILING, PAUSED = 37, 12, 5  # the first terminals of the numbering are these


@pytest.fixture(scope="module")
def big_fleet(pg_cluster: CentreSetup) -> Iterator[tuple[CentreHandle, str]]:
    url = pg_cluster.fresh_database("fleetpage")
    db = PgDatabase(url, min_size=1, max_size=2)
    try:
        token = Operators(db).add("page-viewer", "viewer", actor="tests")
        admin = Operators(db).add("page-admin", "admin", actor="tests")
        rows = [(f"T-{i:05d}", f"outlet-{i % 400:03d}", f"region-{i % 16:02d}",
                 "medical" if i % 5 == 0 else "outlet") for i in range(N)]
        Terminals(db, load_master_key(pg_cluster.master_key_file)).add_many(rows)
        now = dt.datetime.now(dt.UTC)
        import random
        rng = random.Random(5)
        register = []
        for i, (tid, *_rest) in enumerate(rows):
            hb = json.loads(heartbeat_body(Terminal(tid, b""), rng, failing=i < SILENT +
                                           FAILING and i >= SILENT))
            if i == 0:  # two confirmed requests it keeps but cannot deliver
                hb["parts"]["outbox"].update(undeliverable=2, alert="held_not_found")
            seen = now - dt.timedelta(hours=2) if i < SILENT else now - dt.timedelta(
                seconds=rng.randint(0, 50))
            register.append((tid, seen.isoformat(), seen.isoformat(), hb["version"],
                             hb["config_hash"], 0, "outlet", 60,
                             1 if SILENT + FAILING <= i < SILENT + FAILING + PAUSED else 0,
                             json.dumps(hb["parts"], separators=(",", ":")), "{}"))
        db.run_many("INSERT INTO terminals (terminal_id, first_seen, last_seen, heartbeats, "
                    "version, config_hash, config_version, site, heartbeat_seconds, paused, "
                    "parts, counts) VALUES (?,?,?,1,?,?,?,?,?,?,?,?)", register)
        db.run("ANALYZE")
    finally:
        db.close()
    handle = start_centre_thread(pg_cluster.config(url=url, harness=False), admin)
    yield handle, token
    handle.stop()


def page_url(handle: CentreHandle, token: str, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"token": token, **params}.items())
    return f"{handle.admin_url}/admin/fleet?{query}"


def rows_of(html: str) -> list[str]:
    """The fleet table's rows (not the audit log's below it)."""
    fleet = html.split('<table class="audit"')[0]
    return [r for r in re.findall(r"<tr>.*?</tr>", fleet, re.S) if "<td" in r]


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed")
def test_ten_thousand_terminals_worst_first_in_chinese_on_a_phone(big_fleet, tmp_path):
    handle, token = big_fleet
    dom = chromium(tmp_path, page_url(handle, token), "--dump-dom",
                   "--window-size=390,844")
    assert dom.returncode == 0, dom.stderr.decode()[-2000:]
    html = dom.stdout.decode()
    assert 'lang="zh-CN"' in html and "终端运行总览" in html and "共 10,000 台终端" in html
    rows = rows_of(html)
    assert len(rows) == 50
    # Worst first: the 37 silent, then the failing ones.
    assert all("失联" in r for r in rows[:SILENT])
    assert all("故障" in r for r in rows[SILENT:SILENT + FAILING])
    assert "2 小时前" in rows[0] and "2 条无法送达" in rows[0]
    assert "第 1 / 200 页" in html and "下一页" in html and "English" in html
    assert "Asia/Shanghai" in html
    shot = tmp_path / "centre-fleet.png"
    run = chromium(tmp_path, page_url(handle, token), f"--screenshot={shot}",
                   "--window-size=390,844")
    assert run.returncode == 0 and shot.read_bytes().startswith(PNG_MAGIC)
    keep = os.environ.get("KIOSK_CENTRE_PAGE_PNG")
    if keep:  # to look at it: KIOSK_CENTRE_PAGE_PNG=/tmp/centre.png pytest ...
        shutil.copy(shot, keep)


def test_filters_pages_and_english(big_fleet):
    handle, token = big_fleet
    paused = requests.get(page_url(handle, token, state="paused", lang="en"), timeout=30)
    assert paused.status_code == 200
    rows = rows_of(paused.text)
    assert len(rows) == PAUSED and all("Paused" in r for r in rows)
    assert 'lang="en"' in paused.text and "中文" in paused.text
    region = requests.get(page_url(handle, token, region="region-03", page="2"), timeout=30)
    assert all("region-03" in r for r in rows_of(region.text))
    assert "第 2 / 13 页" in region.text  # 625 terminals in region-03, 50 a page
    hostile = requests.get(page_url(handle, token, region="<script>", page="x"), timeout=30)
    assert hostile.status_code == 200 and "<script>" not in hostile.text
    assert requests.get(f"{handle.admin_url}/admin/fleet?token=kco_nope",
                        timeout=30).status_code == 401


def test_metrics_and_audit_cover_the_province(big_fleet):
    handle, token = big_fleet
    auth = {"Authorization": f"Bearer {token}"}
    text = requests.get(f"{handle.admin_url}/metrics", headers=auth, timeout=30).text
    assert f'kiosk_centre_terminals{{state="silent"}} {SILENT}' in text
    assert f'kiosk_centre_terminals{{state="paused"}} {PAUSED}' in text
    assert 'kiosk_centre_part_failures{part="printer",region=' in text
    assert "kiosk_centre_outbox_undeliverable_total 2" in text
    export = requests.get(f"{handle.admin_url}/admin/audit/export?token={token}",
                          timeout=30)
    assert export.status_code == 200 and export.text.startswith("id,at,actor,action")
    assert "terminal_add" in export.text
    assert "操作记录" in requests.get(page_url(handle, token), timeout=30).text
