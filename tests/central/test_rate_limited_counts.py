"""Every 429 is counted by the limit that refused it, on both services: the sandbox in
its process (``central_rate_limited_total{limit}`` on ``/admin/metrics``), the centre
in PostgreSQL (the same harness series, and ``kiosk_centre_rate_limited_total{limit}``
on its ``/metrics``). The label is the limit's name only, from an allow-list."""

from __future__ import annotations

import pytest
import requests

from kiosk.central.errors import CentralRefused
from kiosk.central.sandbox.limits import Limit, RateLimiter
from kiosk.central.sandbox.watch import RATE_LIMITS, LookupWatch
from kiosk.devices.virtual.cards import id_card_data, ssc_card_data
from kiosk.personas import persona

CENTRAL_BACKENDS = ("sandbox", "centre")  # the centre shares the gate and routes

ID = persona("normal")["id"]["id_number"]
CARD = persona("normal")["ssc"]["card_number"]


def _counts(text: str, family: str) -> dict[str, float]:
    """``family``'s samples by their ``limit`` label, in an exposition text."""
    found = {}
    for line in text.splitlines():
        if line.startswith(family + "{"):
            label = line[len(family) + 1:].split("}", 1)[0]
            assert label.startswith('limit="'), line
            found[label[7:-1]] = float(line.rsplit(" ", 1)[1])
    return found


def _refused(sandbox, central_backend: str) -> dict[str, float]:
    """The 429 counts the service shows (the centre: both its pages, which agree)."""
    auth = {"Authorization": f"Bearer {sandbox.admin_token}"}
    harness = requests.get(sandbox.admin_url + "/admin/metrics", timeout=10, headers=auth)
    assert harness.status_code == 200
    counts = _counts(harness.text, "central_rate_limited_total")
    if central_backend == "centre":
        province = requests.get(sandbox.admin_url + "/metrics", timeout=10, headers=auth)
        assert province.status_code == 200
        assert _counts(province.text, "kiosk_centre_rate_limited_total") == counts
        assert "# TYPE kiosk_centre_rate_limited_total counter" in province.text
    return counts


def _more(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {limit: after[limit] - before[limit] for limit in after}


def test_each_429_is_counted_by_its_limit_and_by_nothing_else(sandbox, make_central_client,
                                                              central_backend):
    before = _refused(sandbox, central_backend)
    assert set(before) == set(RATE_LIMITS)  # every limit listed, 0 included
    client = make_central_client(retries=0)
    # Per terminal (the gate), with a small bucket for the test.
    saved = sandbox.gate.terminal_limit
    sandbox.gate.terminal_limit = RateLimiter(Limit(burst=2, per_second=0.01))
    try:
        client.card_status(ssc=ssc_card_data("x_check"))
        client.card_status(ssc=ssc_card_data("x_check"))
        with pytest.raises(CentralRefused) as refused:
            client.card_status(ssc=ssc_card_data("x_check"))
        assert refused.value.code == "rate_limited" and refused.value.status == 429
    finally:
        sandbox.gate.terminal_limit = saved
    after_terminal = _refused(sandbox, central_backend)
    assert _more(before, after_terminal) == {"terminal": 1, "id_number": 0, "card_number": 0}
    # Per card number: a card's chip asked about past its bucket, twice.
    ssc, refusals = ssc_card_data("normal"), 0
    for _ in range(60):
        try:
            client.card_status(ssc=ssc)
        except CentralRefused as exc:
            assert exc.code == "rate_limited"
            refusals += 1
            if refusals == 2:
                break
    assert refusals == 2
    after_card = _refused(sandbox, central_backend)
    assert _more(after_terminal, after_card) == {"terminal": 0, "id_number": 0,
                                                 "card_number": 2}
    # Per ID number: a person's ID card looked up past its bucket.
    for _ in range(60):
        try:
            client.lookup_by_id_card(id_card_data("normal"))
        except CentralRefused as exc:
            assert exc.code == "rate_limited"
            break
    else:
        raise AssertionError("the ID number was never refused")
    after_id = _refused(sandbox, central_backend)
    assert _more(after_card, after_id) == {"terminal": 0, "id_number": 1, "card_number": 0}
    # Nothing of who was refused is on the page: no terminal, card or ID number.
    auth = {"Authorization": f"Bearer {sandbox.admin_token}"}
    text = requests.get(sandbox.admin_url + "/admin/metrics", timeout=10, headers=auth).text
    refused_lines = [ln for ln in text.splitlines() if "rate_limited" in ln]
    assert not any(x in ln for ln in refused_lines for x in ("T-DEMO", CARD, ID))


def test_a_limit_not_on_the_allow_list_is_refused():
    watch = LookupWatch()
    for name in ("unknown", CARD, ID, "T-DEMO-0001", 'terminal"} 1e9\nx{a="'):
        with pytest.raises(ValueError, match="not a rate limit"):
            watch.refused(name)  # type: ignore[arg-type]
    assert watch.refusals() == {"terminal": 0, "id_number": 0, "card_number": 0}
    text = watch.exposition().decode()
    assert _counts(text, "central_rate_limited_total") == dict.fromkeys(RATE_LIMITS, 0.0)
