"""Aggregated fleet metrics for Prometheus: one scrape covers the province.

Nobody can scrape 10,000 terminals behind NAT; the centre already holds what each one
last said. Every series is computed from the register at scrape time (a few queries over
the ``terminals`` table), so every worker answers the same:

- ``kiosk_centre_terminals{state}`` — by state (silent, failing, paused, warning,
  never_seen, revoked, ok), as on the fleet page;
- ``kiosk_centre_part_failures{part,region}`` — terminals whose part is failing;
- ``kiosk_centre_outbox_depth_total`` / ``kiosk_centre_outbox_oldest_age_seconds`` —
  pre-losses waiting on terminals, and the oldest;
- ``kiosk_centre_outbox_undeliverable_total`` — confirmed requests terminals keep but
  cannot deliver (refused, or stuck on a terminal problem): someone must act;
- ``kiosk_centre_directives_pending{kind}`` — directives not yet acknowledged;
- ``kiosk_centre_rollouts{state}`` — group rollouts by state;
- ``kiosk_centre_terminal_distinct_people{terminal_id}`` — terminals that asked about
  :data:`~kiosk.central.sandbox.watch.ALERT_PEOPLE` or more different people in the last
  hour (harvesting, most likely with a stolen key), with that count; only those, so the
  series stay few at 10,000 terminals (from ``lookup_sightings``, every worker's);
- ``kiosk_centre_terminals_looking_up_many`` — how many such terminals (0 when none);
- ``kiosk_centre_rate_limited_total{limit}`` — requests refused with 429, by rate limit
  (``terminal``, ``id_number``, ``card_number``; each listed, 0 when none), counted by
  every worker in ``rate_limited``: a counter since the database was made;
- ``kiosk_centre_up`` — 1 (the scrape reached a worker and the database).
"""

from __future__ import annotations

import time

from kiosk.central.sandbox.db import Database, sql_float, sql_int
from kiosk.central.sandbox.watch import ALERT_PEOPLE, WINDOW_SECONDS
from kiosk.centre.fleet_page import _RANKED, STATES
from kiosk.centre.lookup_watch import counts, refusals

ROLLOUT_STATES = ("canary", "rolling", "done", "stopped")


def _label(value: object) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def render_metrics(db: Database) -> str:
    """The exposition text (see the module doc)."""
    lines: list[str] = []

    def family(name: str, kind: str, help_: str) -> None:
        lines.append(f"# HELP {name} {help_}")
        lines.append(f"# TYPE {name} {kind}")

    with db.tx():
        by_rank = {r["rank"]: sql_int(r["n"]) for r in db.all(
            f"SELECT rank, COUNT(*) AS n FROM ({_RANKED}) r GROUP BY rank",
            None, None, None, None, None, None)}
        parts = db.all(
            "SELECT e.region, p.key AS part, COUNT(*) AS n FROM terminals t JOIN enrolled e "
            "USING (terminal_id), jsonb_each(t.parts::jsonb) p WHERE e.status = 'active' "
            "AND p.value->>'light' = 'fail' GROUP BY e.region, p.key ORDER BY 1, 2")
        outbox = db.one(
            "SELECT COALESCE(SUM((parts::jsonb->'outbox'->>'depth')::int), 0) AS depth, "
            "COALESCE(MAX((parts::jsonb->'outbox'->>'oldest_age_seconds')::float8), 0) "
            "AS oldest, COALESCE(SUM((parts::jsonb->'outbox'->>'undeliverable')::int), 0) "
            "AS stuck FROM terminals")
        pending = db.all("SELECT kind, COUNT(*) AS n FROM directives WHERE acked_at IS NULL "
                         "GROUP BY kind ORDER BY kind")
        rollouts = {r["state"]: sql_int(r["n"]) for r in db.all(
            "SELECT state, COUNT(*) AS n FROM rollouts GROUP BY state")}
        many = counts(db, time.time(), at_least=ALERT_PEOPLE)
        refused = refusals(db)
    family("kiosk_centre_up", "gauge", "The centre answered this scrape.")
    lines.append("kiosk_centre_up 1")
    family("kiosk_centre_terminals", "gauge", "Enrolled terminals by state.")
    for i, state in enumerate(STATES):
        lines.append(f'kiosk_centre_terminals{{state="{state}"}} {by_rank.get(i, 0)}')
    family("kiosk_centre_part_failures", "gauge",
           "Terminals whose part reports a failing light, by part and region.")
    for r in parts:
        lines.append(f'kiosk_centre_part_failures{{part="{_label(r["part"])}",'
                     f'region="{_label(r["region"])}"}} {sql_int(r["n"])}')
    family("kiosk_centre_outbox_depth_total", "gauge",
           "Confirmed requests waiting in terminals' outboxes, summed.")
    lines.append(f"kiosk_centre_outbox_depth_total {sql_int(outbox['depth']) if outbox else 0}")
    family("kiosk_centre_outbox_oldest_age_seconds", "gauge",
           "The oldest waiting outbox item on any terminal.")
    lines.append("kiosk_centre_outbox_oldest_age_seconds "
                 f"{sql_float(outbox['oldest']) if outbox else 0.0}")
    family("kiosk_centre_outbox_undeliverable_total", "gauge",
           "Confirmed requests terminals keep but cannot deliver (someone must act).")
    lines.append("kiosk_centre_outbox_undeliverable_total "
                 f"{sql_int(outbox['stuck']) if outbox else 0}")
    family("kiosk_centre_directives_pending", "gauge",
           "Directives queued and not yet acknowledged, by kind.")
    for kind in ("pause", "resume", "config", "collect_bundle"):
        n = next((sql_int(r["n"]) for r in pending if r["kind"] == kind), 0)
        lines.append(f'kiosk_centre_directives_pending{{kind="{kind}"}} {n}')
    family("kiosk_centre_rollouts", "gauge", "Group rollouts by state.")
    for state in ROLLOUT_STATES:
        lines.append(f'kiosk_centre_rollouts{{state="{state}"}} {rollouts.get(state, 0)}')
    family("kiosk_centre_terminal_distinct_people", "gauge",
           f"Terminals that asked about {ALERT_PEOPLE} or more different people in the last "
           f"{int(WINDOW_SECONDS)} s, with how many (harvesting, most likely with a stolen "
           "key); terminals below are not listed.")
    for terminal, n in many.items():
        lines.append(f'kiosk_centre_terminal_distinct_people{{terminal_id="{_label(terminal)}"}} '
                     f"{n}")
    family("kiosk_centre_terminals_looking_up_many", "gauge",
           f"Terminals that asked about {ALERT_PEOPLE} or more different people in the last "
           f"{int(WINDOW_SECONDS)} s.")
    lines.append(f"kiosk_centre_terminals_looking_up_many {len(many)}")
    family("kiosk_centre_rate_limited_total", "counter",
           "Requests refused with 429 (rate_limited), by rate limit, at every worker.")
    for limit, n in refused.items():
        lines.append(f'kiosk_centre_rate_limited_total{{limit="{limit}"}} {n}')
    return "\n".join(lines) + "\n"
