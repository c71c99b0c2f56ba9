"""One-layer unit tests: schemas, signing, error mapping, i18n keys, OpenAPI is current."""

from __future__ import annotations

import http.client
import inspect
import json

import pytest
import requests
import urllib3
from pydantic import ValidationError

from kiosk.central import error_tables as t
from kiosk.central import errors as e
from kiosk.central import schemas as s
from kiosk.central.sandbox.openapi import OPENAPI_FILE, render
from kiosk.central.schemas_essc import EsscPath
from kiosk.central.schemas_fleet import FleetPath
from kiosk.central.schemas_help import HelpPath
from kiosk.central.signing import SignatureError, sign_request, verify_request
from kiosk.i18n import catalog, placeholders

KEY = b"k" * 32
ID = "110105198503071230"


def test_openapi_json_is_current():
    assert OPENAPI_FILE.read_text(encoding="utf-8") == render(), (
        "kiosk/central/openapi.json is stale: run "
        ".venv/bin/python -m kiosk.central.sandbox.openapi")


def test_openapi_lists_every_operation_as_post_with_problem_answers():
    doc = json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))
    assert set(doc["paths"]) == {p.value for p in (*s.Path, *EsscPath, *FleetPath,
                                                     *HelpPath)}
    for path, ops in doc["paths"].items():
        assert list(ops) == ["post"], path
        assert {"401", "404", "409", "422"} <= set(ops["post"]["responses"])
    assert not any(p.startswith("/admin") for p in doc["paths"])


def test_lookup_needs_exactly_one_key():
    with pytest.raises(ValidationError):
        s.LookupRequest()
    with pytest.raises(ValidationError):
        s.LookupRequest(id_number=ID, card_number="X00000019")
    with pytest.raises(ValidationError):
        s.LookupRequest(id_number="12345")


def test_validation_errors_do_not_echo_personal_data():
    with pytest.raises(ValidationError) as err:
        s.VerificationRequest(id_number=ID + "9")
    assert ID not in str(err.value)


def test_repr_masks_personal_fields():
    facts = s.IdCardFacts(id_number=ID, valid_from="2015-03-01", authority="北京市公安局")
    chip = s.SscChipFacts(card_number="X00000019", chip_id="AB" * 16)
    text = repr(s.CancelPreLossRequest(card=chip, id_card=facts))
    assert ID not in text and "X00000019" not in text and "AB" * 16 not in text
    assert "北京市公安局" not in text
    handle = "h" * 60
    assert handle not in repr(s.PreLossRequest(handle=handle, terminal_id="T"))
    person = s.PersonCards(person_ref="P1", name="王小明", phone_masked="138****1230",
                           cards=[])
    assert "王小明" not in repr(person) and "王小明" not in str(person)


def test_signature_roundtrip_and_failures():
    body = b'{"a":1}'
    headers = sign_request(KEY, "T1", "POST", "/v1/x", body, now=1000)
    who = verify_request({"T1": KEY}, "POST", "/v1/x", body, headers, 300, now=1100)
    assert who.terminal_id == "T1" and who.timestamp == 1000
    for method, path, data, keys in (("POST", "/v1/y", body, {"T1": KEY}),
                                     ("PUT", "/v1/x", body, {"T1": KEY}),
                                     ("POST", "/v1/x", b'{"a":2}', {"T1": KEY}),
                                     ("POST", "/v1/x", body, {"T1": b"z" * 32}),
                                     ("POST", "/v1/x", body, {"T2": KEY})):
        with pytest.raises(SignatureError) as err:
            verify_request(keys, method, path, data, headers, 300, now=1000)
        assert err.value.code == "bad_signature"
    with pytest.raises(SignatureError) as err:
        verify_request({"T1": KEY}, "POST", "/v1/x", body, headers, 300, now=1301)
    assert err.value.code == "clock_skew"
    with pytest.raises(SignatureError):
        verify_request({"T1": KEY}, "POST", "/v1/x", body, {}, 300, now=1000)


def test_fresh_nonce_per_signature():
    a = sign_request(KEY, "T1", "POST", "/v1/x", b"", now=1)
    b = sign_request(KEY, "T1", "POST", "/v1/x", b"", now=1)
    assert a["X-Kiosk-Nonce"] != b["X-Kiosk-Nonce"]


def _requests_exception_classes():
    return [cls for _, cls in inspect.getmembers(requests.exceptions, inspect.isclass)
            if issubclass(cls, requests.exceptions.RequestException)]


@pytest.mark.parametrize("cls", _requests_exception_classes(), ids=lambda c: c.__name__)
def test_every_requests_exception_is_mapped_explicitly(cls):
    assert cls in t.REQUESTS_ERROR_MAP, f"{cls.__name__} has no entry in REQUESTS_ERROR_MAP"
    args = ("boom", "doc", 0) if cls is requests.exceptions.JSONDecodeError else ("boom",)
    mapped = t.map_requests_error(cls(*args))
    assert isinstance(mapped, e.CentralError) and type(mapped) is not e.CentralError


def test_mapping_details():
    assert isinstance(t.map_requests_error(requests.exceptions.ReadTimeout()), e.CentralTimeout)
    connect = t.map_requests_error(requests.exceptions.ConnectTimeout())
    assert isinstance(connect, e.CentralOffline) and not connect.maybe_applied
    # Dropped after sending, by the type requests wraps (urllib3's ProtocolError), never
    # by the words of its message: a refused connection says nothing of "aborted".
    dropped = t.map_requests_error(requests.exceptions.ConnectionError(
        urllib3.exceptions.ProtocolError("Connection aborted.",
                                         http.client.RemoteDisconnected("closed"))))
    assert isinstance(dropped, e.CentralOffline) and dropped.maybe_applied
    reset = t.map_requests_error(requests.exceptions.ConnectionError(
        urllib3.exceptions.ProtocolError("Connection broken", ConnectionResetError(104))))
    assert reset.maybe_applied
    refused = t.map_requests_error(requests.exceptions.ConnectionError(
        urllib3.exceptions.MaxRetryError(None, "/v1/x", reason=urllib3.exceptions
                                         .NewConnectionError(None, "Connection aborted?"))))
    assert isinstance(refused, e.CentralOffline) and not refused.maybe_applied
    worded = t.map_requests_error(requests.exceptions.ConnectionError(
        "('Connection aborted.', RemoteDisconnected('closed'))"))
    assert not worded.maybe_applied  # words alone decide nothing
    assert isinstance(t.map_requests_error(requests.exceptions.ChunkedEncodingError()),
                      e.CentralBadResponse)
    assert isinstance(t.map_requests_error(ConnectionRefusedError()), e.CentralOffline)


def _error_classes():
    found, todo = [], [e.CentralError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return found


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_every_error_kind_and_problem_code_has_text(language):
    cat = catalog(language)
    for cls in _error_classes():
        assert f"central.error.{cls.kind}" in cat
    assert e.OutboxError.i18n_key in cat
    for code in s.ProblemCode:
        assert f"central.refused.{code.value}" in cat, code


def test_central_catalog_same_keys_and_placeholders():
    en = {k: v for k, v in catalog("en").items() if k.startswith("central.")}
    zh = {k: v for k, v in catalog("zh_CN").items() if k.startswith("central.")}
    assert set(en) == set(zh)
    assert all(placeholders(en[k]) == placeholders(zh[k]) for k in en)
