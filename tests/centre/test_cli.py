"""``kiosk-centre`` on the test cluster: init, terminals (add / rotate / revoke), operators
and roles, the audit log; keys and tokens never in the database in clear."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import requests

from kiosk.central import schemas as s
from kiosk.central.request_build import chip_facts
from kiosk.centre.loadgen import SignedHttp, Terminal
from kiosk.centre.migrate import migrations
from kiosk.devices.virtual.cards import ssc_card_data
from kiosk.personas import persona
from tests.fixtures.centre import CentreSetup

CARD = persona("normal")["ssc"]["card_number"]


def centre_cli(setup: CentreSetup, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``kiosk-centre`` on the test cluster."""
    return subprocess.run([sys.executable, "-m", "kiosk.centre.cli", "--url", setup.url,
                           "--master-key", str(setup.master_key_file), *args],
                          capture_output=True, text=True, timeout=120, check=False)


def credential(text: str) -> Terminal:
    """The terminal a printed credential describes."""
    fields = dict(re.findall(r'^(\w+) = "([^"]*)"$', text, re.M))
    assert fields["format"] == "kiosk-terminal-credential/1"
    return Terminal(fields["terminal_id"], bytes.fromhex(fields["terminal_key"]))


def status(centre_session, t: Terminal) -> tuple[int, str]:
    body = s.CardStatusRequest(card=chip_facts(ssc_card_data("normal"))).model_dump_json(
        exclude_none=True).encode()
    reply = SignedHttp(centre_session.url).post(t, s.Path.CARD_STATUS, body)
    assert reply.authentic or reply.status == 401
    return reply.status, reply.json().get("code", "") if reply.status != 200 else "ok"


def everything_stored(setup: CentreSetup) -> bytes:
    """Every row of every table, as a dump would hold them."""
    db = setup.db()
    try:
        return b"".join(repr([dict(r) for r in db.all(f"SELECT * FROM {t}")]).encode()
                        for t in db.tables())
    finally:
        db.close()


def test_init_is_idempotent_and_the_master_key_private(pg_cluster, tmp_path):
    key = tmp_path / "etc" / "master.key"
    run = subprocess.run([sys.executable, "-m", "kiosk.centre.cli", "--url", pg_cluster.url,
                          "--master-key", str(key), "init"], capture_output=True, text=True,
                         timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    assert "written to" in run.stdout and "up to date" in run.stdout
    assert key.stat().st_mode & 0o777 == 0o600
    again = subprocess.run([sys.executable, "-m", "kiosk.centre.cli", "--url",
                            pg_cluster.url, "--master-key", str(key), "init"],
                           capture_output=True, text=True, timeout=60, check=False)
    assert again.returncode == 0 and "kept in" in again.stdout


def test_add_prints_a_credential_that_signs_and_is_stored_wrapped(pg_cluster, centre_session):
    run = centre_cli(pg_cluster, "terminals", "add", "T-CLI-ADD-0001", "--outlet",
                     "bj-chaoyang-01", "--region", "beijing", "--site", "medical",
                     "--base-url", "https://centre.example/")
    assert run.returncode == 0, run.stderr
    t = credential(run.stdout)
    assert 'site = "medical"' in run.stdout and "https://centre.example/" in run.stdout
    assert status(centre_session, t) == (200, "ok")
    dump = everything_stored(pg_cluster)
    assert t.key.hex().encode() not in dump and repr(t.key).encode() not in dump
    again = centre_cli(pg_cluster, "terminals", "add", "T-CLI-ADD-0001", "--outlet", "x",
                       "--region", "y", "--site", "outlet")
    assert again.returncode == 1 and again.stderr.count("\n") == 1
    assert "already enrolled" in again.stderr


def test_rotate_keeps_the_old_key_for_the_overlap_only(pg_cluster, centre_session):
    t = credential(centre_cli(pg_cluster, "terminals", "add", "T-CLI-ROT-0001", "--outlet",
                              "o", "--region", "r", "--site", "outlet").stdout)
    new = credential(centre_cli(pg_cluster, "terminals", "rotate", "T-CLI-ROT-0001",
                                "--overlap-hours", "1").stdout)
    assert new.key != t.key
    assert status(centre_session, t) == (200, "ok")  # the overlap
    assert status(centre_session, new) == (200, "ok")
    newest = credential(centre_cli(pg_cluster, "terminals", "rotate", "T-CLI-ROT-0001",
                                   "--overlap-hours", "0").stdout)
    assert status(centre_session, t) == (401, "bad_signature")  # no overlap left
    assert status(centre_session, new) == (401, "bad_signature")
    assert status(centre_session, newest) == (200, "ok")


def test_revoke_refuses_the_next_call_signed_and_reinstate_takes_it_back(
        pg_cluster, centre_session):
    t = credential(centre_cli(pg_cluster, "terminals", "add", "T-CLI-REV-0001", "--outlet",
                              "o", "--region", "r", "--site", "outlet").stdout)
    assert status(centre_session, t) == (200, "ok")
    run = centre_cli(pg_cluster, "terminals", "revoke", "T-CLI-REV-0001", "--reason",
                     "stolen from the outlet")
    assert run.returncode == 0, run.stderr
    assert status(centre_session, t) == (403, "terminal_revoked")
    centre_cli(pg_cluster, "terminals", "reinstate", "T-CLI-REV-0001")
    assert status(centre_session, t) == (200, "ok")
    export = centre_cli(pg_cluster, "audit", "export", "--format", "jsonl").stdout
    assert "stolen from the outlet" in export and '"terminal_revoke"' in export


def test_operators_have_roles_and_hashed_tokens(pg_cluster, centre_session):
    viewer = centre_cli(pg_cluster, "operators", "add", "wang.viewer", "--role",
                        "viewer").stdout.strip()
    assert viewer.startswith("kco_") and viewer.encode() not in everything_stored(pg_cluster)
    base = centre_session.admin_url + "/admin"
    auth = {"Authorization": f"Bearer {viewer}"}
    assert requests.get(base + "/health", headers=auth, timeout=10).json()["role"] == "viewer"
    refused = requests.post(base + "/fleet/terminals/T-DEMO-0001/resume", headers=auth,
                            timeout=10)
    assert refused.status_code == 403
    assert requests.get(base + "/health", timeout=10).status_code == 401
    assert requests.get(base + "/health", headers={"Authorization": "Bearer kco_wrong"},
                        timeout=10).status_code == 401
    centre_cli(pg_cluster, "operators", "disable", "wang.viewer")
    assert requests.get(base + "/health", headers=auth, timeout=10).status_code == 401


def test_the_audit_log_is_append_only(pg_cluster):
    db = pg_cluster.db()
    try:
        with pytest.raises(Exception, match="append-only"):
            db.run("DELETE FROM audit_log")
        with pytest.raises(Exception, match="append-only"):
            db.run("UPDATE audit_log SET reason = 'rewritten'")
    finally:
        db.close()


def test_a_changed_migration_is_refused(pg_cluster):
    db = pg_cluster.db()
    try:
        first = migrations()[0]
        db.run("UPDATE schema_migrations SET sha256 = 'x' WHERE version = ?", first.version)
        run = centre_cli(pg_cluster, "migrate")
        assert run.returncode == 1 and "was changed after it was applied" in run.stderr
    finally:
        db.run("UPDATE schema_migrations SET sha256 = ? WHERE version = ?", first.sha256,
               first.version)
        db.close()


def test_bad_input_is_one_line(pg_cluster):
    for args in (("terminals", "add", "bad id!", "--outlet", "o", "--region", "r",
                  "--site", "outlet"),
                 ("terminals", "add", "T-X", "--outlet", "O U", "--region", "r", "--site",
                  "outlet"),
                 ("terminals", "revoke", "T-NOBODY"),
                 ("serve", "--workers", "1"),  # no core named: never fictional people
                 ("serve", "--core", "no_such_module:make"),
                 ("operators", "add", "x", "--role", "viewer")):
        run = centre_cli(pg_cluster, *args)
        assert run.returncode != 0 and run.stderr.count("\n") == 1, (args, run.stderr)
        assert "Traceback" not in run.stderr
    nodb = subprocess.run([sys.executable, "-m", "kiosk.centre.cli", "--url",
                           "postgresql://nobody@127.0.0.1:9/none", "migrate"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert nodb.returncode != 0 and nodb.stderr.count("\n") == 1
