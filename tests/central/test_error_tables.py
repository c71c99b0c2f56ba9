"""Completeness of the central error tables: every kind has words, every HTTP status and
every lower-layer exception maps, and every reply parse raises only CentralError."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.central import error_tables as t
from kiosk.central import errors as e
from kiosk.central import schemas as s
from kiosk.central.replies import check_unsigned, decode_reply
from kiosk.i18n import catalog
from kiosk.services.failures import FAILURE_KINDS, failure_from_error


def _subclasses(cls: type) -> list[type]:
    found = [cls]
    for sub in cls.__subclasses__():
        found += _subclasses(sub)
    return found


def _instance(cls: type) -> e.CentralError:
    if cls is e.CentralRefused:
        return cls("not_allowed")
    return cls()


def test_every_central_error_class_has_a_listed_kind():
    kinds = {cls.kind for cls in _subclasses(e.CentralError)}
    assert kinds == set(e.CENTRAL_ERROR_KINDS)


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_every_central_error_kind_has_words(language):
    cat = catalog(language)
    missing = [k for k in e.CENTRAL_ERROR_KINDS if not cat.get(f"central.error.{k}")]
    assert missing == []


@pytest.mark.parametrize("cls", _subclasses(e.CentralError), ids=lambda c: c.__name__)
def test_every_central_error_class_has_a_failure_screen(cls):
    failure = failure_from_error(_instance(cls), "12333")
    assert failure.kind in FAILURE_KINDS
    for language in ("zh_CN", "en"):
        cat = catalog(language)
        assert cat.get(failure.title_key) and cat.get(failure.advice_key)


def test_unauthenticated_has_its_own_failure_screen():
    assert failure_from_error(e.CentralUnauthenticated(), "12333").kind == "unauthenticated"


def test_every_status_class_is_in_the_table():
    assert set(t.STATUS_CLASS_KIND) == {1, 2, 3, 4, 5}
    assert set(t.STATUS_CLASS_KIND.values()) - {"ok"} <= set(e.CENTRAL_ERROR_KINDS)


@pytest.mark.parametrize("status", [st_ for st_ in range(100, 600) if not 200 <= st_ < 300])
def test_every_non_2xx_status_maps_to_a_kind(status):
    for code in (None, "not_allowed"):
        err = t.error_for_status(status, code)
        assert isinstance(err, e.CentralError) and err.kind in e.CENTRAL_ERROR_KINDS
        if status < 400:
            assert err.kind == "bad_response"  # 1xx, and 3xx: redirects are never followed
        elif status >= 500:
            assert err.kind == "server_error" and err.status == status
        elif code is None:
            assert err.kind == "bad_response"
        else:
            assert err.kind == ("not_found" if status == 404 else "refused")


def test_status_details_are_kept():
    refused = t.error_for_status(403, "code_wrong", "wrong", tries_left=2)
    assert isinstance(refused, e.CentralRefused) and refused.tries_left == 2
    busy = t.error_for_status(503, "unavailable", retry_after=3.0)
    assert busy.retry_after == 3.0  # type: ignore[attr-defined]


MODELS = [model for _, model in s.OPERATIONS.values()]


@settings(max_examples=300, deadline=None)
@given(status=st.integers(0, 1000), ctype=st.sampled_from(
    ["application/json", s.PROBLEM_CONTENT_TYPE, "text/html", ""]),
       content=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode),
                         st.recursive(st.none() | st.booleans() | st.integers()
                                      | st.text(max_size=20),
                                      lambda c: st.lists(c, max_size=4)
                                      | st.dictionaries(st.text(max_size=10), c, max_size=4),
                                      max_leaves=20).map(lambda v: repr(v).encode())),
       model=st.sampled_from(MODELS), retry_after=st.text(max_size=5))
def test_any_reply_parses_or_raises_central_error(status, ctype, content, model, retry_after):
    headers = {"Content-Type": ctype, "Retry-After": retry_after}
    try:
        decode_reply(status, headers, content, model)
    except e.CentralError:
        pass
    try:
        check_unsigned(status, content)
    except e.CentralUnauthenticated:
        pass


@pytest.mark.parametrize("retry_after", ["²", "١٢", "9" * 400, "-1", "1.5"])
def test_odd_retry_after_values_do_not_escape(retry_after):
    with pytest.raises(e.CentralServerError):
        decode_reply(503, {"Retry-After": retry_after}, b"", s.CardStatus)


def test_deeply_nested_reply_is_a_bad_response():
    with pytest.raises(e.CentralBadResponse):
        decode_reply(200, {}, b"[" * 100_000 + b"]" * 100_000, s.CardStatus)


def test_reply_fields_have_length_limits():
    card = {"handle": "h" * 60, "card_number_masked": "*1", "state": "active",
            "bank_function": True, "issued": "2020-01-01", "has_replacement": False}
    good = {"person_ref": "P1", "name": "王**", "phone_masked": "138****1230", "cards": [card]}
    assert decode_reply(200, {}, json.dumps(good).encode(), s.PersonCards).name == "王**"
    for bad in ({**good, "name": "王" * 10_000}, {**good, "cards": [card] * 1000},
                {**good, "person_ref": "P" * 65},
                {**good, "cards": [{**card, "handle": "h" * 129}]}):
        with pytest.raises(e.CentralBadResponse):
            decode_reply(200, {}, json.dumps(bad).encode(), s.PersonCards)
    with pytest.raises(e.CentralBadResponse):  # a huge problem detail is not a problem
        decode_reply(403, {"Content-Type": s.PROBLEM_CONTENT_TYPE}, json.dumps(
            {"title": "t", "status": 403, "code": "x", "detail": "d" * 10_000}).encode(),
            s.PersonCards)
