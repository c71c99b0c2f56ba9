"""Directives to a group, with a canary that stops by itself.

A rollout picks its terminals once, when it starts: a region, an outlet, a site kind, a
version, or a list (every condition given must hold), among the terminals in the
register. With ``canary = N`` it queues the directive for N of them first and waits:

- every canary terminal acknowledged it ``applied`` and is neither failing nor silent →
  the rest get it (in batches), then the rollout is ``done``;
- a canary terminal refused or failed it, reports a failing part, or fell silent (no
  heartbeat for three of its intervals), or ``wait_seconds`` passed without all the
  acknowledgements → the rollout ``stopped`` by itself, with the reason, and nobody
  else gets the directive.

:meth:`Rollouts.advance` runs in every worker's janitor. Each step takes its rows
``FOR UPDATE SKIP LOCKED``, so two workers never both advance one rollout or queue one
terminal's directive twice: a target's directive id is set in the same transaction
that queues it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Literal

from pydantic import Field, JsonValue

from kiosk.central import schemas_fleet as f
from kiosk.central.sandbox.db import (
    Database,
    Row,
    sql_datetime,
    sql_int,
    sql_json_object,
    sql_str,
)
from kiosk.central.sandbox.fleet_store import FleetStore
from kiosk.central.sandbox.store_util import ApiProblem
from kiosk.central.schemas import ProblemCode, Unicode
from kiosk.centre.operators import Operators

BATCH = 500
Code = Field(default=None, pattern=r"^[A-Za-z0-9._-]{1,64}$")


class Selector(Unicode):
    """Which terminals: every condition given must hold."""

    region: str | None = Code
    outlet: str | None = Code
    site: Literal["outlet", "medical"] | None = None
    version: str | None = Code
    terminals: list[str] | None = Field(default=None, max_length=10_000)


class RolloutRequest(Unicode):
    """A directive for a group (``canary``: how many first; 0 = all at once)."""

    kind: Literal["pause", "resume", "config", "collect_bundle"]
    selector: Selector
    pause_reason: f.PauseReason | None = None
    guidance_readable: bool = True
    overlay: dict[str, dict[str, JsonValue]] | None = Field(default=None, max_length=32)
    version: int | None = Field(default=None, ge=1)
    canary: int = Field(default=0, ge=0, le=1000)
    wait_seconds: int = Field(default=900, ge=10, le=86_400)
    reason: str = Field(default="", max_length=500)

    def fields(self) -> dict[str, object]:
        """The directive's own fields."""
        if self.kind == "pause":
            if self.pause_reason is None:
                raise ApiProblem(ProblemCode.VALIDATION_ERROR, 422, "invalid: pause_reason")
            return {"reason": self.pause_reason.value,
                    "guidance_readable": self.guidance_readable}
        if self.kind == "config":
            if not self.overlay:
                raise ApiProblem(ProblemCode.VALIDATION_ERROR, 422, "invalid: overlay")
            return {"overlay": self.overlay, "version": self.version}
        return {}


class Rollouts:
    """The ``rollouts`` and ``rollout_targets`` tables."""

    def __init__(self, db: Database, fleet: FleetStore, operators: Operators) -> None:
        self.db, self.fleet, self.operators = db, fleet, operators

    def start(self, req: RolloutRequest, actor: str) -> dict[str, object]:
        """Pick the terminals, queue the canary's (or everyone's) directives."""
        fields = req.fields()
        sel = req.selector
        with self.db.tx():
            targets = [sql_str(r["terminal_id"]) for r in self.db.all(
                "SELECT t.terminal_id FROM terminals t JOIN enrolled e USING (terminal_id) "
                "WHERE e.status = 'active' AND (?::text IS NULL OR e.region = ?) AND "
                "(?::text IS NULL OR e.outlet = ?) AND (?::text IS NULL OR e.site = ?) AND "
                "(?::text IS NULL OR t.version = ?) AND "
                "(?::text[] IS NULL OR t.terminal_id = ANY(?)) ORDER BY random()",
                sel.region, sel.region, sel.outlet, sel.outlet, sel.site, sel.site,
                sel.version, sel.version, sel.terminals, sel.terminals)]
            if not targets:
                raise ApiProblem(ProblemCode.NOT_FOUND, 404, "no terminal matches")
            canary = min(req.canary, len(targets))
            state = "canary" if canary else "rolling"
            row = self.db.one(
                "INSERT INTO rollouts (actor, kind, fields, selector, canary, wait_seconds, "
                "state) VALUES (?,?,?,?,?,?,?) RETURNING id", actor, req.kind,
                json.dumps(fields), sel.model_dump_json(exclude_none=True), canary,
                req.wait_seconds, state)
            assert row is not None
            rid = sql_int(row["id"])
            self.db.run_many("INSERT INTO rollout_targets (rollout_id, terminal_id, canary) "
                             "VALUES (?,?,?)", [(rid, t, i < canary)
                                                for i, t in enumerate(targets)])
            self.operators.audit(actor, f"rollout_{req.kind}", targets,
                                 {"rollout": rid, "canary": canary,
                                  "selector": sel.model_dump(exclude_none=True)}, req.reason)
            self._queue(rid, req.kind, fields, canary_only=bool(canary))
        return self.get(rid)

    def _queue(self, rid: int, kind: str, fields: Mapping[str, object], canary_only: bool,
               limit: int = BATCH) -> int:
        """Queue directives for targets that have none yet (locked, skipping others')."""
        rows = self.db.all(
            "SELECT terminal_id FROM rollout_targets WHERE rollout_id = ? AND directive_id "
            "IS NULL AND (canary OR NOT ?) ORDER BY terminal_id LIMIT ?" + self.db.skip_locked,
            rid, canary_only, limit)
        for r in rows:
            body = self.fleet.add_directive(sql_str(r["terminal_id"]), kind, **dict(fields))
            self.db.run("UPDATE directives SET rollout_id = ? WHERE id = ?", rid, body["id"])
            self.db.run("UPDATE rollout_targets SET directive_id = ? WHERE rollout_id = ? AND "
                        "terminal_id = ?", body["id"], rid, r["terminal_id"])
        return len(rows)

    def advance(self) -> None:
        """One step for every live rollout no other worker is stepping."""
        with self.db.tx():
            live = self.db.all("SELECT * FROM rollouts WHERE state IN ('canary', 'rolling') "
                               "ORDER BY id" + self.db.skip_locked)
            for ro in live:
                if ro["state"] == "canary":
                    self._judge_canary(ro)
                else:
                    fields = sql_json_object(ro["fields"])
                    if self._queue(sql_int(ro["id"]), sql_str(ro["kind"]), fields, False) == 0:
                        self.db.run("UPDATE rollouts SET state = 'done' WHERE id = ?",
                                    ro["id"])

    def _judge_canary(self, ro: Row) -> None:
        rows = self.db.all(
            "SELECT rt.terminal_id, d.acked_at, d.outcome, t.failing, t.last_seen, "
            "t.silent_after < now() AS silent FROM rollout_targets rt "
            "JOIN directives d ON d.id = rt.directive_id JOIN terminals t ON "
            "t.terminal_id = rt.terminal_id WHERE rt.rollout_id = ? AND rt.canary", ro["id"])
        reason = None
        for r in rows:
            if r["acked_at"] is not None and r["outcome"] != "applied":
                reason = f"{r['terminal_id']} {r['outcome']}"
            elif r["acked_at"] is not None and r["failing"]:
                reason = f"{r['terminal_id']} failing"
            elif r["silent"]:
                reason = f"{r['terminal_id']} silent"
            if reason:
                break
        waited = dt.datetime.now(dt.UTC) - sql_datetime(ro["canary_started_at"])
        if reason is None and any(r["acked_at"] is None for r in rows):
            if waited.total_seconds() < sql_int(ro["wait_seconds"]):
                return  # still waiting for the canary
            reason = "canary not acknowledged in time"
        if reason is not None:
            self.db.run("UPDATE rollouts SET state = 'stopped', stop_reason = ? WHERE id = ?",
                        reason, ro["id"])
            self.operators.audit("centre", "rollout_stopped", [], {"rollout": ro["id"]},
                                 reason)
            return
        self.db.run("UPDATE rollouts SET state = 'rolling' WHERE id = ?", ro["id"])

    def get(self, rid: int) -> dict[str, object]:
        """One rollout with its progress."""
        row = self.db.one("SELECT * FROM rollouts WHERE id = ?", rid)
        if row is None:
            raise ApiProblem(ProblemCode.NOT_FOUND, 404, "no such rollout")
        counts = self.db.one(
            "SELECT COUNT(*) AS targets, COUNT(directive_id) AS queued, "
            "COUNT(*) FILTER (WHERE canary) AS canary FROM rollout_targets "
            "WHERE rollout_id = ?", rid)
        acked = self.db.one("SELECT COUNT(*) AS n FROM directives WHERE rollout_id = ? AND "
                            "acked_at IS NOT NULL", rid)
        return {"id": rid, "kind": row["kind"], "state": row["state"],
                "stop_reason": row["stop_reason"], "actor": row["actor"],
                "created_at": sql_datetime(row["created_at"]).isoformat(),
                "selector": json.loads(sql_str(row["selector"])),
                **{k: sql_int(v) for k, v in dict(counts or {}).items()},
                "acknowledged": sql_int(acked["n"]) if acked else 0}

    def list(self, limit: int = 50) -> list[dict[str, object]]:
        """The newest rollouts."""
        return [self.get(sql_int(r["id"])) for r in self.db.all(
            "SELECT id FROM rollouts ORDER BY id DESC LIMIT ?", limit)]
