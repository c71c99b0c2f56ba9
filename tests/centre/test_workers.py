"""Two centre processes on one PostgreSQL: nonces, idempotency, directives, kill -9.

Each service is ``kiosk-centre serve`` in its own process (tests/fixtures/centre.py),
so nothing is shared but the database. Requests are signed like a terminal's
(kiosk/centre/loadgen.py), replies' signatures checked.
"""

from __future__ import annotations

import http.client
import os
import random
import secrets
import signal
import threading
from collections import Counter
from collections.abc import Iterator

import pytest
import requests

from kiosk.central import schemas as s
from kiosk.central.client import new_idempotency_key
from kiosk.central.request_build import chip_facts, id_card_facts
from kiosk.central.sandbox.watch import ALERT_PEOPLE
from kiosk.central.schemas_fleet import FleetPath
from kiosk.central.signing import sign_request
from kiosk.centre.keys import load_master_key
from kiosk.centre.loadgen import SignedHttp, Terminal, heartbeat_body
from kiosk.centre.sockets import ESTABLISHED, LISTEN, all_listening, count_sockets, tcp_table
from kiosk.centre.terminals import Terminals
from kiosk.devices.virtual.cards import id_card_data, ssc_card_data
from kiosk.domain.idnumber import check_char
from kiosk.personas import persona
from tests.fixtures.centre import CentreSetup, ServedCentre, serve_centre
from tests.fixtures.polling import until

CARD = persona("normal")["ssc"]["card_number"]
ID = persona("normal")["id"]["id_number"]


def handle_for(url: str, t: Terminal) -> str:
    """A handle for normal's card, looked up by terminal ``t`` with their ID card's chip
    (a pre-loss takes a handle, made for the terminal that looked it up)."""
    body = s.LookupRequest(id_card=id_card_facts(id_card_data("normal"))).model_dump_json(
        exclude_none=True).encode()
    reply = SignedHttp(url).post(t, s.Path.LOOKUP, body)
    assert reply.status == 200 and reply.authentic, reply.status
    return str(reply.json()["cards"][0]["handle"])


def enrol(setup: CentreSetup, prefix: str, n: int, region: str = "wk") -> list[Terminal]:
    """``n`` new terminals with keys the test holds."""
    db = setup.db()
    try:
        terminals = Terminals(db, load_master_key(setup.master_key_file))
        made = []
        for i in range(n):
            t = Terminal(f"{prefix}-{secrets.token_hex(3)}-{i:03d}", secrets.token_bytes(32))
            terminals.add(t.terminal_id, "wk-outlet", region, "outlet", actor="tests",
                          key=t.key)
            made.append(t)
        return made
    finally:
        db.close()


@pytest.fixture(scope="module")
def _two(pg_cluster: CentreSetup) -> Iterator[tuple[ServedCentre, ServedCentre]]:
    a = serve_centre(pg_cluster)
    try:
        b = serve_centre(pg_cluster)
    except BaseException:
        a.stop()
        raise
    yield a, b
    b.stop()
    a.stop()


@pytest.fixture
def two(_two: tuple[ServedCentre, ServedCentre]) -> tuple[ServedCentre, ServedCentre]:
    """Two ``kiosk-centre serve`` processes on the test cluster, the simulated core
    seeded afresh."""
    _two[0].admin("POST", "/reset")
    return _two


def test_a_nonce_used_at_one_worker_is_refused_at_the_other(two, pg_cluster):
    a, b = two
    (t,) = enrol(pg_cluster, "T-NONCE", 1)
    body = s.CardStatusRequest(card=chip_facts(ssc_card_data("normal"))).model_dump_json(
        exclude_none=True).encode()
    headers = sign_request(t.key, t.terminal_id, "POST", s.Path.CARD_STATUS, body)
    first = SignedHttp(a.url).post(t, s.Path.CARD_STATUS, body, headers=headers)
    assert first.status == 200 and first.authentic
    again = SignedHttp(b.url).post(t, s.Path.CARD_STATUS, body, headers=headers)
    assert again.status == 401 and again.json()["code"] == "replayed"
    # and the same at the first worker, for good measure
    assert SignedHttp(a.url).post(t, s.Path.CARD_STATUS, body,
                                  headers=headers).json()["code"] == "replayed"


def test_an_idempotent_pre_loss_sent_to_both_at_once_makes_one_row(two, pg_cluster):
    a, b = two
    (t,) = enrol(pg_cluster, "T-IDEM", 1)
    key = new_idempotency_key()
    body = s.PreLossRequest(handle=handle_for(a.url, t), channel="kiosk",
                            terminal_id=t.terminal_id).model_dump_json().encode()
    start = threading.Barrier(2)
    replies = {}

    def send(name: str, url: str) -> None:
        client = SignedHttp(url)
        start.wait()
        replies[name] = client.post(t, s.Path.PRE_LOSS, body, idempotency_key=key)

    threads = [threading.Thread(target=send, args=(n, svc.url)) for n, svc in
               (("a", a), ("b", b))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert {r.status for r in replies.values()} == {200}
    assert all(r.authentic for r in replies.values())
    assert replies["a"].json()["reference"] == replies["b"].json()["reference"]
    rows = [p for p in a.admin("GET", "/pre_losses") if p["idempotency_key"] == key]
    assert len(rows) == 1 and rows[0]["terminal_id"] == t.terminal_id


def test_a_handle_from_one_worker_opens_at_the_other_and_no_dump_holds_its_key(two,
                                                                              pg_cluster):
    a, b = two
    (t,) = enrol(pg_cluster, "T-HANDLE", 1)
    body = s.CardStatusRequest(handle=handle_for(a.url, t)).model_dump_json(
        exclude_none=True).encode()
    reply = SignedHttp(b.url).post(t, s.Path.CARD_STATUS, body)
    assert reply.status == 200 and reply.authentic and reply.json()["state"] == "active"
    # The key is derived from the master key (a file), never written to the database.
    db = pg_cluster.db()
    try:
        assert db.one("SELECT COUNT(*) AS n FROM service_secrets")["n"] == 0
    finally:
        db.close()
    forged = s.CardStatusRequest(handle="A" * 60).model_dump_json(exclude_none=True).encode()
    refused = SignedHttp(b.url).post(t, s.Path.CARD_STATUS, forged)
    assert refused.status == 403 and refused.authentic
    assert refused.json()["code"] == "handle_invalid"


def _series(text: str, name: str, terminal_id: str | None = None) -> float | None:
    """The value of ``name`` (for ``terminal_id`` when given) in an exposition text."""
    for line in text.splitlines():
        if line.startswith(name + ("{" if terminal_id else " ")) and (
                terminal_id is None or f'terminal_id="{terminal_id}"' in line):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_a_terminal_asking_about_many_people_at_both_workers_is_on_the_centres_metrics(
        two, pg_cluster):
    a, b = two
    (t,) = enrol(pg_cluster, "T-HARVEST", 1)
    auth = {"Authorization": f"Bearer {pg_cluster.admin_token}"}

    def metrics(at: ServedCentre) -> str:
        reply = requests.get(f"{at.admin_url}/metrics", headers=auth, timeout=20)
        assert reply.status_code == 200
        return reply.text

    def harness(at: ServedCentre) -> float | None:
        text = requests.get(f"{at.admin_url}/admin/metrics", headers=auth, timeout=20).text
        return _series(text, "central_terminal_distinct_people", t.terminal_id)

    # The same person at each worker is one person: the count is the database's.
    handle_for(a.url, t)
    handle_for(b.url, t)
    assert harness(a) == harness(b) == 1.0
    quiet = metrics(a)
    assert _series(quiet, "kiosk_centre_terminal_distinct_people", t.terminal_id) is None
    assert _series(quiet, "kiosk_centre_terminals_looking_up_many") == 0.0
    # Walking ID numbers through the SMS request, half at each worker (nobody: 404).
    for n in range(ALERT_PEOPLE):
        body_ = f"11010519800101{n:03d}"
        body = s.VerificationRequest(id_number=body_ + check_char(body_)).model_dump_json(
        ).encode()
        reply = SignedHttp((a, b)[n % 2].url).post(t, s.Path.VERIFY_REQUEST, body)
        assert reply.status == 404 and reply.authentic, reply.body[:200]
        if n == ALERT_PEOPLE - 3:  # normal + 28 numbers = 29 people: not listed yet
            assert _series(metrics(b), "kiosk_centre_terminal_distinct_people",
                           t.terminal_id) is None
    for at in (a, b):  # either worker's scrape says the same
        text = metrics(at)
        assert _series(text, "kiosk_centre_terminal_distinct_people",
                       t.terminal_id) == ALERT_PEOPLE + 1
        assert _series(text, "kiosk_centre_terminals_looking_up_many") == 1.0
    # What the database keeps names no one: keyed digests, no ID number.
    db = pg_cluster.db()
    try:
        kept = [r["digest"] for r in db.all(
            "SELECT digest FROM lookup_sightings WHERE terminal_id = ?", t.terminal_id)]
    finally:
        db.close()
    assert len(kept) == ALERT_PEOPLE + 1
    assert not any(ID in d or "110105198001" in d for d in kept)


def _refused(at: ServedCentre, token: str) -> dict[str, float]:
    """``kiosk_centre_rate_limited_total`` by limit, from ``at``'s ``/metrics``."""
    reply = requests.get(f"{at.admin_url}/metrics", timeout=20,
                         headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 200
    return {line.split('"')[1]: float(line.rsplit(" ", 1)[1])
            for line in reply.text.splitlines()
            if line.startswith("kiosk_centre_rate_limited_total{")}


def _card_status_until_refused(t: Terminal, urls: tuple[str, ...], each: int) -> Counter:
    """Ask about normal's card by its chip at ``urls`` in turn until each has refused
    ``each`` times (the per-card bucket is the database's, shared); the 429s by URL."""
    body = s.CardStatusRequest(card=chip_facts(ssc_card_data("normal"))).model_dump_json(
        exclude_none=True).encode()
    refused: Counter = Counter()
    for n in range(100):
        url = urls[n % len(urls)]
        reply = SignedHttp(url).post(t, s.Path.CARD_STATUS, body)
        assert reply.status in (200, 429) and reply.authentic, reply.body[:200]
        if reply.status == 429:
            assert reply.json()["code"] == "rate_limited"
            refused[url] += 1
            if all(refused[u] >= each for u in urls):
                return refused
    raise AssertionError(f"not refused {each} times at each: {dict(refused)}")


def test_429s_at_both_workers_are_counted_in_one_scrape_of_either(two, pg_cluster):
    a, b = two
    (t,) = enrol(pg_cluster, "T-LIMITED", 1)
    before = _refused(a, pg_cluster.admin_token)
    assert set(before) == {"terminal", "id_number", "card_number"}
    refused = _card_status_until_refused(t, (a.url, b.url), each=2)
    for at in (a, b):  # either worker's scrape counts both workers' 429s
        after = _refused(at, pg_cluster.admin_token)
        assert after == {**before, "card_number": before["card_number"] + sum(
            refused.values())}
    # One row per limit, naming the limit only (not the terminal, not the card).
    db = pg_cluster.db()
    try:
        rows = db.all("SELECT * FROM rate_limited ORDER BY limit_name")
    finally:
        db.close()
    assert {r["limit_name"] for r in rows} <= {"terminal", "id_number", "card_number"}
    assert set(rows[0]) == {"limit_name", "refused"}
    assert not any(t.terminal_id in str(r) or CARD in str(r) for r in rows)


def test_the_429_count_survives_a_worker_restart(pg_cluster):
    served = serve_centre(pg_cluster, workers=1)
    try:
        served.admin("POST", "/reset")
        (t,) = enrol(pg_cluster, "T-LIMIT-RESTART", 1)
        before = _refused(served, pg_cluster.admin_token)
        refused = _card_status_until_refused(t, (served.url,), each=1)
        counted = _refused(served, pg_cluster.admin_token)
        assert counted["card_number"] == before["card_number"] + refused[served.url]
        (worker,) = served.worker_pids()
        os.kill(worker, signal.SIGKILL)
        until(lambda: len(served.worker_pids()) == 1 and worker not in served.worker_pids(),
              timeout=30, what="the worker restarted")

        def scraped() -> dict[str, float] | None:
            try:
                return _refused(served, pg_cluster.admin_token)
            except (requests.RequestException, AssertionError):
                return None  # the new worker not answering yet

        assert until(scraped, timeout=30, what="the new worker's /metrics") == counted
    finally:
        served.stop()


def test_kept_alive_connections_are_spread_over_both_workers(pg_cluster):
    # A load balancer's (or the bench's) pool of kept-alive connections: with one socket
    # shared by the workers, the first to wake accepted them all and the other idled.
    served = serve_centre(pg_cluster, workers=2)
    conns: list[http.client.HTTPConnection] = []
    try:
        port = int(served.url.rsplit(":", 1)[1])
        until(lambda: all_listening(served.proc.pid, port, 2), timeout=30,
              what="both workers listening on the public port")
        terminals = enrol(pg_cluster, "T-SPREAD", 16)
        conns = [http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                 for _ in terminals]
        for conn in conns:
            conn.connect()
        rng = random.Random(16)
        for conn, t in zip(conns, terminals, strict=True):
            body = heartbeat_body(t, rng)
            conn.request("POST", FleetPath.HEARTBEAT, body, headers={
                **sign_request(t.key, t.terminal_id, "POST", FleetPath.HEARTBEAT, body),
                "Content-Type": "application/json"})
            reply = conn.getresponse()
            assert reply.status == 200, reply.read()[:300]
            reply.read()
            assert not reply.will_close  # kept alive
        table = tcp_table()
        held = {pid: count_sockets(pid, port, ESTABLISHED, table)
                for pid in served.worker_pids()}
        assert sum(held.values()) == 16 and all(n >= 1 for n in held.values()), held
        # The parent only holds the port: it listens on nothing there, so it is given
        # no connections, and a restarted worker listens again.
        assert count_sockets(served.proc.pid, port, LISTEN, table) == 0
        victim = served.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        until(lambda: victim not in served.worker_pids()
              and all_listening(served.proc.pid, port, 2), timeout=30,
              what="the restarted worker listening on the public port")
    finally:
        for conn in conns:
            conn.close()
        served.stop()


def _beat(client: SignedHttp, t: Terminal, rng: random.Random,
          acks: list[dict] | None = None) -> list[dict]:
    reply = client.post(t, FleetPath.HEARTBEAT, heartbeat_body(t, rng, acks))
    assert reply.status == 200 and reply.authentic, reply.body[:300]
    return list(reply.json()["directives"])


def test_a_group_directive_is_queued_once_per_terminal_by_both_workers(two, pg_cluster):
    a, b = two
    rng = random.Random(7)
    region = "wk-" + secrets.token_hex(3)
    fleet = enrol(pg_cluster, "T-GRP", 30, region=region)
    clients = [SignedHttp(a.url), SignedHttp(b.url)]
    for i, t in enumerate(fleet):
        _beat(clients[i % 2], t, rng)
    rollout = a.admin("POST", "/rollouts", json={
        "kind": "resume", "selector": {"region": region}, "reason": "test"})
    # Both workers' janitors queue the rollout's directives (SKIP LOCKED).
    until(lambda: a.admin("GET", "/rollouts")[0]["state"] == "done", timeout=60,
          what="the rollout done")
    seen: dict[str, Counter] = {t.terminal_id: Counter() for t in fleet}
    applied: Counter = Counter()
    pending_acks: dict[str, list[dict]] = {t.terminal_id: [] for t in fleet}
    for _ in range(3):  # heartbeats to either worker, acks in the next one
        for t in fleet:
            got = _beat(clients[rng.randrange(2)], t, rng, pending_acks[t.terminal_id])
            pending_acks[t.terminal_id] = []
            for d in got:
                seen[t.terminal_id][d["id"]] += 1
                if seen[t.terminal_id][d["id"]] == 1:  # the agent applies an id once
                    applied[d["id"]] += 1
                pending_acks[t.terminal_id].append({"directive_id": d["id"],
                                                    "outcome": "applied"})
    assert all(len(c) == 1 for c in seen.values()), "one directive per terminal"
    assert set(applied.values()) == {1} and len(applied) == len(fleet)
    done = a.admin("GET", "/rollouts")[0]
    assert done["id"] == rollout["id"] and done["targets"] == done["queued"] == len(fleet)
    assert done["acknowledged"] == len(fleet)


def test_a_canary_that_fails_stops_the_rollout_by_itself(two, pg_cluster):
    a, b = two
    rng = random.Random(11)
    region = "wk-" + secrets.token_hex(3)
    fleet = enrol(pg_cluster, "T-CAN", 8, region=region)
    client = SignedHttp(b.url)
    for t in fleet:
        _beat(client, t, rng)
    rollout = a.admin("POST", "/rollouts", json={
        "kind": "pause", "pause_reason": "maintenance", "selector": {"region": region},
        "canary": 2, "wait_seconds": 600, "reason": "test"})
    assert rollout["state"] == "canary" and rollout["queued"] == 2
    got = {t.terminal_id: _beat(client, t, rng) for t in fleet}
    canary = [t for t in fleet if got[t.terminal_id]]
    assert len(canary) == 2
    # One canary terminal fails to apply it: the rollout stops, the rest never get it.
    _beat(client, canary[0], rng, [{"directive_id": got[canary[0].terminal_id][0]["id"],
                                    "outcome": "failed", "reason": "not_idle"}])
    stopped = until(lambda: next((r for r in a.admin("GET", "/rollouts")
                                  if r["id"] == rollout["id"] and r["state"] == "stopped"),
                                 None), timeout=30, what="the rollout stopped")
    assert "failed" in stopped["stop_reason"] and stopped["queued"] == 2
    others = [t for t in fleet if t not in canary]
    assert all(_beat(client, t, rng) == [] for t in others)
    log = a.admin("GET", "/audit", params={"limit": 20})
    assert any(e["action"] == "rollout_stopped" for e in log)


def test_a_good_canary_lets_the_rest_have_it(two, pg_cluster):
    a, b = two
    rng = random.Random(12)
    region = "wk-" + secrets.token_hex(3)
    fleet = enrol(pg_cluster, "T-OKC", 6, region=region)
    client = SignedHttp(a.url)
    for t in fleet:
        _beat(client, t, rng)
    rollout = a.admin("POST", "/rollouts", json={
        "kind": "resume", "selector": {"region": region}, "canary": 2, "reason": "test"})
    got = {t.terminal_id: _beat(client, t, rng) for t in fleet}
    for t in fleet:
        if got[t.terminal_id]:
            _beat(client, t, rng, [{"directive_id": got[t.terminal_id][0]["id"],
                                    "outcome": "applied"}])
    until(lambda: next(r for r in a.admin("GET", "/rollouts")
                       if r["id"] == rollout["id"])["state"] == "done", timeout=30,
          what="the rollout done after its canary")
    assert all(_beat(client, t, rng) for t in fleet if not got[t.terminal_id])


def test_kill_9_of_a_worker_under_load_loses_no_ack_and_applies_nothing_twice(pg_cluster):
    served = serve_centre(pg_cluster, workers=2)
    try:
        served.admin("POST", "/reset")
        rng = random.Random(3)
        fleet = enrol(pg_cluster, "T-K9", 12)
        client = SignedHttp(served.url)
        for t in fleet:
            _beat(client, t, rng)
        queued = {t.terminal_id: served.admin(
            "POST", f"/fleet/terminals/{t.terminal_id}/resume")["id"] for t in fleet}
        victim = served.worker_pids()[0]
        keys = [new_idempotency_key() for _ in range(40)]
        handles = {t.terminal_id: handle_for(served.url, t) for t in fleet[:4]}
        answers: dict[str, set[str]] = {k: set() for k in keys}
        applied: Counter = Counter()
        acked_ok: set[str] = set()
        lock = threading.Lock()
        killed = threading.Event()

        def post_retrying(t: Terminal, path: str, body: bytes, key: str | None = None):
            for _ in range(50):  # a terminal retries a failed connection (same key)
                try:
                    reply = client.post(t, path, body, idempotency_key=key)
                except OSError:
                    continue
                except Exception:  # noqa: BLE001 - http.client's own, on a cut connection
                    client.drop()
                    continue
                if reply.status < 500:
                    return reply
            raise AssertionError("no answer after 50 tries")

        def cardholders(offset: int) -> None:
            t = fleet[offset]
            for i, key in enumerate(keys[offset::4]):
                if offset == 0 and i == 3:
                    os.kill(victim, signal.SIGKILL)  # mid-load, other requests in flight
                    killed.set()
                body = s.PreLossRequest(handle=handles[t.terminal_id], channel="kiosk",
                                        terminal_id=t.terminal_id).model_dump_json().encode()
                reply = post_retrying(t, s.Path.PRE_LOSS, body, key)
                with lock:
                    answers[key].add(reply.body.decode())

        def terminals(offset: int) -> None:
            acks: dict[str, list[dict]] = {t.terminal_id: [] for t in fleet}
            seen: set[str] = set()
            for _ in range(6):
                for t in fleet[offset::2]:
                    sent = acks[t.terminal_id]
                    reply = post_retrying(t, FleetPath.HEARTBEAT,
                                          heartbeat_body(t, random.Random(), sent))
                    assert reply.status == 200 and reply.authentic, reply.body
                    with lock:
                        acked_ok.update(a["directive_id"] for a in sent)
                    acks[t.terminal_id] = []
                    for d in reply.json()["directives"]:
                        if d["id"] not in seen:  # the agent applies an id once
                            seen.add(d["id"])
                            with lock:
                                applied[d["id"]] += 1
                        acks[t.terminal_id].append({"directive_id": d["id"],
                                                    "outcome": "applied"})

        threads = [threading.Thread(target=cardholders, args=(i,)) for i in range(4)]
        threads += [threading.Thread(target=terminals, args=(i,)) for i in range(2)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(180)
        assert killed.is_set()
        # Every key has one answer however often it was sent, and one row at most.
        assert all(len(a) == 1 for a in answers.values())
        rows = [p for p in served.admin("GET", "/pre_losses") if p["idempotency_key"] in
                answers]
        assert len(rows) == 1  # the card was pre-lost once; the other keys were refused
        # Each directive applied once, and every ack whose heartbeat was answered kept.
        assert set(applied.values()) == {1} and set(applied) == set(queued.values())
        register = {t["terminal_id"]: t for t in served.admin(
            "GET", "/fleet/terminals", params={"per": 2000})["terminals"]}
        for t in fleet:
            (d,) = [d for d in register[t.terminal_id]["directives"]
                    if d["id"] == queued[t.terminal_id]]
            if d["id"] in acked_ok:
                assert d["state"] == "acknowledged" and d["outcome"] == "applied"
        # The killed worker was started again.
        until(lambda: len(served.worker_pids()) == 2 and victim not in served.worker_pids(),
              timeout=30, what="the worker restarted")
    finally:
        served.stop()
