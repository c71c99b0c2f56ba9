"""The sealed export of undelivered requests, handed in at the outlet: only the outlet's
private key opens it (not the terminal that wrote it, not whoever finds the USB stick),
nothing readable is left in the file, and the requests stay queued. The ``kiosk outbox``
commands as real subprocesses: keygen at the outlet, export on the terminal, open at the
outlet, and every failure in one line."""

from __future__ import annotations

import datetime as dt
import json
import stat
from pathlib import Path

import pytest

from kiosk.central.client import new_idempotency_key
from kiosk.central.outbox import Outbox
from kiosk.central.outbox_export import (
    DEMO_PRIVATE_KEY,
    ExportError,
    export_outbox,
    generate_keypair,
    open_export,
)
from kiosk.central.outbox_sender import OutboxSender
from kiosk.composition.outbox import OUTBOX_FILE
from tests.deploy.helpers import write_secrets
from tests.fixtures.cli import clean_env, one_line_error, run_kiosk

# A queued pre-loss names its card by the service's handle (no card or ID number): the
# centre, which made the handle, tells the outlet which card it is.
HANDLE = "h" * 60
NOW = dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.UTC)


def _queued(path: Path, client) -> tuple[Outbox, str]:
    box = Outbox(path, terminal_key=client.terminal_key)
    key = new_idempotency_key()
    OutboxSender(box, client).write_ahead(client.pre_loss_request(HANDLE), key)
    box.release(box.item(key).id, "direct:" + key)
    return box, key


def test_only_the_outlets_key_opens_it_and_the_items_stay(tmp_path, central_client) -> None:
    box, key = _queued(tmp_path / "o.db", central_client)
    box.mark_held(box.item(key).id, "not_found")  # one the service refused
    private, public = generate_keypair()
    stick = tmp_path / "usb"
    stick.mkdir()
    done = export_outbox(box, stick, public_key_setting=public.hex(), demo=False,
                         terminal_id="T-0001", now=NOW)
    assert done.items == 1 and not done.demo_key
    assert done.path.parent == stick and stat.S_IMODE(done.path.stat().st_mode) == 0o600
    raw = done.path.read_bytes()
    assert HANDLE.encode() not in raw and key.encode() not in raw
    header = json.loads(raw)
    assert header["terminal_id"] == "T-0001" and header["items"] == 1  # readable outside
    opened = open_export(raw, private)
    (request,) = opened["requests"]
    assert request["idempotency_key"] == key and request["kind"] == "pre_loss"
    assert request["request"] == {"handle": HANDLE, "channel": "kiosk",
                                  "terminal_id": "T-DEMO-0001"}
    assert request["status"] == "held" and request["alert"] == "held_not_found"
    # Still queued: an export is a copy for the outlet, not a way out of the queue.
    assert box.status_of(key) == "held" and box.stats().undeliverable == 1


def test_nobody_else_opens_it_and_a_changed_file_is_refused(tmp_path, central_client) -> None:
    box, _ = _queued(tmp_path / "o.db", central_client)
    _, public = generate_keypair()
    done = export_outbox(box, tmp_path, public_key_setting=public.hex(), demo=False,
                         terminal_id="T-0001", now=NOW)
    raw = done.path.read_bytes()
    other, _ = generate_keypair()
    with pytest.raises(ExportError) as err:
        open_export(raw, other)  # a finder with a key of their own
    assert err.value.reason == "wrong_key"
    with pytest.raises(ExportError):
        open_export(raw, DEMO_PRIVATE_KEY)
    with pytest.raises(ExportError):
        open_export(raw, central_client.terminal_key[:32])  # the terminal's own secret
    private, public = generate_keypair()
    (tmp_path / "again").mkdir()
    done = export_outbox(box, tmp_path / "again", public_key_setting=public.hex(),
                         demo=False, terminal_id="T-0001", now=NOW)
    doc = json.loads(done.path.read_bytes())
    doc["terminal_id"] = "T-9999"  # the readable header is bound to the sealed part
    with pytest.raises(ExportError) as err:
        open_export(json.dumps(doc).encode(), private)
    assert err.value.reason == "wrong_key"
    with pytest.raises(ExportError) as err:
        open_export(b"not json", private)
    assert err.value.reason == "not_an_export"


def test_without_a_key_outside_demo_there_is_no_export(tmp_path, central_client) -> None:
    box, _ = _queued(tmp_path / "o.db", central_client)
    with pytest.raises(ExportError) as err:
        export_outbox(box, tmp_path, public_key_setting="", demo=False, terminal_id="T")
    assert err.value.reason == "no_recipient_key"
    assert list(tmp_path.glob("*.sealed.json")) == []
    demo = export_outbox(box, tmp_path, public_key_setting="", demo=True, terminal_id="T")
    assert demo.demo_key and open_export(demo.path.read_bytes(), DEMO_PRIVATE_KEY)["items"] == 1


def test_the_commands_keygen_export_open(tmp_path, central_settings, central_client) -> None:
    """The outlet makes its keys; the terminal's config names the public one; the
    technician exports; the outlet opens it. Real subprocesses, real files."""
    outlet = tmp_path / "outlet"
    made = run_kiosk(["outbox", "keygen", "--out", str(outlet)])
    assert made.returncode == 0, made.stderr
    private_file = outlet / "outlet-export.key"
    assert stat.S_IMODE(private_file.stat().st_mode) == 0o600
    public = (outlet / "outlet-export.pub").read_text().strip()
    assert f'outbox_export_public_key = "{public}"' in made.stdout
    again = run_kiosk(["outbox", "keygen", "--out", str(outlet)])
    assert "exists" in one_line_error(again)  # never overwrites the outlet's key

    data = Path(central_settings.kiosk.data_dir)
    box, key = _queued(data / OUTBOX_FILE, central_client)
    box.close()
    env = clean_env(KIOSK__KIOSK__DATA_DIR=str(data), KIOSK__KIOSK__DEMO="true",
                    KIOSK__SECURITY__SECRETS_FILE=central_settings.security.secrets_file,
                    KIOSK__CENTRAL__OUTBOX_EXPORT_PUBLIC_KEY=public)
    status = run_kiosk(["outbox", "status", "--json"], env)
    assert status.returncode == 0 and json.loads(status.stdout)["pending"] == 1
    stick = tmp_path / "usb"
    stick.mkdir()
    exported = run_kiosk(["outbox", "export", "--out", str(stick)], env)
    assert exported.returncode == 0, exported.stderr
    assert "1 request(s) sealed" in exported.stdout and "DEMO key" not in exported.stdout
    (file,) = stick.glob("*.sealed.json")

    opened = run_kiosk(["outbox", "open", str(file), "--key", str(private_file)], env)
    assert opened.returncode == 0, opened.stderr
    (request,) = json.loads(opened.stdout)["requests"]
    assert request["idempotency_key"] == key and request["request"]["handle"] == HANDLE

    wrong, _ = generate_keypair()
    (tmp_path / "wrong.key").write_text(wrong.hex())
    refused = run_kiosk(["outbox", "open", str(file), "--key", str(tmp_path / "wrong.key")],
                        env)
    assert "wrong_key" in one_line_error(refused)
    nokey = run_kiosk(["outbox", "open", str(file)], {**env, "KIOSK__KIOSK__DEMO": "false"})
    assert "--key" in one_line_error(nokey)  # outside demo mode, no demo key to try
    production = {**env, "KIOSK__KIOSK__DEMO": "false",
                  "KIOSK__CENTRAL__OUTBOX_EXPORT_PUBLIC_KEY": "",
                  "KIOSK__SECURITY__SECRETS_FILE": str(write_secrets(tmp_path / "s.toml"))}
    unset = run_kiosk(["outbox", "export", "--out", str(stick)], production)
    assert "no_recipient_key" in one_line_error(unset)  # no demo key outside demo mode
    bad = run_kiosk(["outbox", "status"], {**env, "KIOSK__CENTRAL__OUTBOX_EXPORT_PUBLIC_KEY":
                                           "abc"})
    assert "outbox_export_public_key" in one_line_error(bad)
