"""The fleet contract at the service: a heartbeat with a field the contract does not
have (free text) is refused, the largest heartbeat the contract allows still fits the
body cap, and a bundle chunk for a bundle nobody asked for is refused."""

from __future__ import annotations

import json

import requests

from kiosk.central import schemas_fleet as f
from kiosk.central.errors import CentralNotFound
from kiosk.central.sandbox.gate import MAX_BODY_BYTES
from kiosk.central.signing import sign_request
from kiosk.secrets import load_secrets


def _post(sandbox, t, path: str, doc: dict) -> requests.Response:
    body = json.dumps(doc).encode()
    key = load_secrets(t.settings).terminal_key
    headers = {"Content-Type": "application/json",
               **sign_request(key, t.terminal_id, "POST", path, body)}
    return requests.post(sandbox.url + path, data=body, headers=headers, timeout=5)


def test_free_text_is_refused_by_the_service(sandbox, terminals):
    t = terminals("T-CONTRACT-01")
    doc = t.agent.report().model_dump(mode="json")
    assert _post(sandbox, t, f.FleetPath.HEARTBEAT, doc).status_code == 200
    for bad in ({**doc, "note": "王小明 110105198503071230"},
                {**doc, "site": "wang xiaoming 13800001230"},
                {**doc, "counts": {**doc["counts"], "failures": {"13800001230": 1}}}):
        resp = _post(sandbox, t, f.FleetPath.HEARTBEAT, bad)
        assert resp.status_code == 422
        assert "110105198503071230" not in resp.text and "13800001230" not in resp.text


def test_the_largest_heartbeat_fits_the_body_cap(terminals):
    t = terminals("T-CONTRACT-02")
    hb = t.agent.report()
    # 32 distinct codes of the longest shape ("aaa_____…", "baa_____…", …).
    counts = {"".join(chr(97 + (i // 26 ** k) % 26) for k in range(3)) + "_" * 37:
              10_000_000 for i in range(f.MAX_COUNT_KEYS)}
    assert len(counts) == f.MAX_COUNT_KEYS
    biggest = hb.model_copy(update={
        "counts": f.Counts(period_seconds=1e9, sessions_started=counts,
                           sessions_finished=counts, failures=counts),
        "acks": [f.Ack(directive_id="d" * 64, outcome="refused", reason="r" * 40)
                 for _ in range(f.MAX_ACKS)]})
    size = len(biggest.model_dump_json(exclude_none=True).encode())
    assert size < MAX_BODY_BYTES, size


def test_a_bundle_nobody_asked_for_is_refused(sandbox, terminals):
    t = terminals("T-CONTRACT-03")
    t.agent.beat()
    chunk = f.BundleChunk(directive_id="not-asked-0001", index=0, total=1, sha256="0" * 64,
                          data="aGVsbG8=")
    try:
        t.client.upload_bundle_chunk(chunk)
    except CentralNotFound:
        pass
    else:
        raise AssertionError("a bundle nobody asked for was taken")
    assert sandbox.admin("GET", "/fleet/bundles") == []
