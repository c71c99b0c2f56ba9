"""The sandbox's e-SSC side: identities, one-time codes, grants (contract in
:mod:`kiosk.central.schemas_essc`).

Personas with an ``essc`` table carry an e-SSC identity (``status = "active"`` or
``"revoked"``). The admin side issues a code for a persona (``POST /admin/essc/codes
{persona, expired, used}``; ``expired``/``used`` make a code that is already past its
60 s or already spent, for the refusal screens); ``/v1/essc/verify`` spends it once.
Like a real issuer it keeps only SHA-256 hashes of codes and grants. The tables live in
the store's database; the store's reset empties them and :meth:`EsscStore.seed` (a reset
hook) seeds the identities again.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Header
from fastapi.responses import JSONResponse
from pydantic import Field

from kiosk.central import schemas as s
from kiosk.central import schemas_essc as e
from kiosk.central.sandbox.gate import Signed
from kiosk.central.sandbox.store import ApiProblem, SandboxStore
from kiosk.domain.masking import mask_name
from kiosk.personas import load_personas

SCHEMA = """
CREATE TABLE IF NOT EXISTS essc_identities (
  person_ref TEXT PRIMARY KEY, status TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS essc_codes (
  code_sha256 TEXT PRIMARY KEY, person_ref TEXT NOT NULL, expires REAL NOT NULL,
  used_at REAL, used_by TEXT);
CREATE TABLE IF NOT EXISTS essc_grants (
  grant_sha256 TEXT PRIMARY KEY, person_ref TEXT NOT NULL, terminal_id TEXT NOT NULL,
  expires REAL NOT NULL);
"""
CODE_PREFIX = "essc1."
CODE_SHAPE = re.compile(r"^essc1\.[A-Za-z0-9_-]{32,200}$")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class Refused(Exception):
    """An e-SSC refusal (answered as its problem document)."""

    def __init__(self, refusal: e.EsscRefusal, detail: str = "") -> None:
        self.refusal, self.detail = refusal, detail
        super().__init__(refusal.value)


class EsscStore:
    """e-SSC data in the sandbox store's database, under the store's lock."""

    def __init__(self, store: SandboxStore) -> None:
        self.store = store
        with store._lock:
            store._db.executescript(SCHEMA)
        self.seed()
        store.reset_hooks.append(self.seed)

    def _now(self) -> float:
        return self.store.now().timestamp()

    def seed(self) -> None:
        """Identities from the personas' ``essc`` tables (kept if already there)."""
        refs = self.store.person_ids()
        with self.store._tx() as db:
            for key, p in load_personas().items():
                if "essc" in p and key in refs:
                    db.execute("INSERT OR IGNORE INTO essc_identities VALUES (?,?)",
                               (refs[key], p["essc"].get("status", "active")))

    # -- admin: the e-SSC platform's side ------------------------------------------------
    def issue(self, persona: str, expired: bool = False, used: bool = False) -> dict[str, Any]:
        ref = self.store.person_ids().get(persona)
        with self.store._tx() as db:
            if ref is None or db.execute("SELECT 1 FROM essc_identities WHERE person_ref = ?",
                                         (ref,)).fetchone() is None:
                raise ApiProblem(s.ProblemCode.NOT_FOUND, 404, "persona has no e-SSC")
            code = CODE_PREFIX + secrets.token_urlsafe(30)
            now = self._now()
            expires = now - 1 if expired else now + e.CODE_TTL_SECONDS
            db.execute("INSERT INTO essc_codes VALUES (?,?,?,?,?)",
                       (_sha(code), ref, expires, now if used else None,
                        "elsewhere" if used else None))
        return {"code": code, "expires_in": max(0, round(expires - now))}

    def set_status(self, persona: str, status: str) -> dict[str, Any]:
        ref = self.store.person_ids().get(persona)
        with self.store._tx() as db:
            db.execute("UPDATE essc_identities SET status = ? WHERE person_ref = ?",
                       (status, ref))
        return {"persona": persona, "status": status}

    # -- /v1 -------------------------------------------------------------------------------
    def verify(self, code: str, terminal_id: str) -> dict[str, Any]:
        """Spend a code once: the identity and a grant, or :class:`Refused`."""
        if not CODE_SHAPE.match(code):
            raise Refused(e.EsscRefusal.NOT_AN_ESSC, "not an e-SSC code")
        st = self.store
        with st._tx() as db:
            row = db.execute("SELECT * FROM essc_codes WHERE code_sha256 = ?",
                             (_sha(code),)).fetchone()
            if row is None:
                raise Refused(e.EsscRefusal.NOT_AN_ESSC, "code not issued by the platform")
            ident = db.execute("SELECT status FROM essc_identities WHERE person_ref = ?",
                               (row["person_ref"],)).fetchone()
            if ident is None or ident["status"] != "active":
                raise Refused(e.EsscRefusal.REVOKED, "e-SSC not active")
            if row["used_at"] is not None:
                raise Refused(e.EsscRefusal.ALREADY_USED, "code already used")
            now = self._now()
            if now >= row["expires"]:
                raise Refused(e.EsscRefusal.EXPIRED, "code expired")
            db.execute("UPDATE essc_codes SET used_at = ?, used_by = ? WHERE code_sha256 = ?",
                       (now, terminal_id, row["code_sha256"]))
            person = db.execute("SELECT * FROM persons WHERE person_ref = ?",
                                (row["person_ref"],)).fetchone()
            found = st._person_cards(person)
            grant = secrets.token_urlsafe(32)
            db.execute("INSERT INTO essc_grants VALUES (?,?,?,?)",
                       (_sha(grant), row["person_ref"], terminal_id,
                        now + e.GRANT_TTL_SECONDS))
        return {**found, "name": mask_name(found["name"]), "grant": grant,
                "grant_expires_in": e.GRANT_TTL_SECONDS, "grant_scope": ["pre_loss"]}

    def pre_loss(self, req: e.EsscPreLossRequest, key: str | None) -> dict[str, Any]:
        """Inside the store's idempotent transaction: the grant's person pre-loses."""
        st = self.store
        grant = st._one("SELECT * FROM essc_grants WHERE grant_sha256 = ?", _sha(req.grant))
        if (grant is None or grant["terminal_id"] != req.terminal_id
                or self._now() >= grant["expires"]):
            raise ApiProblem(e.EsscRefusal.GRANT_INVALID, 403, "grant not valid here")  # type: ignore[arg-type]
        person = st._one("SELECT id_number FROM persons WHERE person_ref = ?",
                         grant["person_ref"])
        return st.pre_loss(req.card_number, person["id_number"], req.terminal_id,
                           req.channel, key)


def _answer(problem: s.Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(problem.model_dump(exclude_none=True), status_code=problem.status,
                        media_type=s.PROBLEM_CONTENT_TYPE, headers=headers)


def _problem_for(code: str, status: int, detail: str, extra: dict[str, Any]) -> s.Problem:
    if code in e.EsscRefusal.__members__.values():
        return e.essc_problem(e.EsscRefusal(code), detail)
    return s.problem(s.ProblemCode(code), status, detail, **extra)


def essc_for(store: SandboxStore) -> EsscStore:
    """The store's e-SSC side (made once; the public and admin apps share it)."""
    essc = getattr(store, "_essc", None)
    if essc is None:
        essc = EsscStore(store)
        store._essc = essc  # type: ignore[attr-defined]
    return essc


def add_essc_routes(app: FastAPI, store: SandboxStore, signed: Any,
                    common: dict[int | str, dict[str, Any]]) -> EsscStore:
    """Mount the two ``/v1/essc`` operations on the sandbox app (``signed``: the app's
    dependency giving the gate-verified request; ``common``: its problem answers)."""
    essc = essc_for(store)
    router = APIRouter(tags=["e-SSC"])
    responses = dict(common)
    for status in sorted(set(e.REFUSAL_STATUS.values())):
        mine = ", ".join(r.value for r, st in e.REFUSAL_STATUS.items() if st == status)
        before = responses.get(status, {}).get("description")
        responses[status] = {**responses.get(status, {"model": s.Problem}),
                             "description": f"{before}; e-SSC: {mine}" if before else mine}

    @router.post(e.EsscPath.VERIFY, response_model=e.EsscIdentity, responses=responses,
                 summary="Identify by a scanned e-SSC QR code (one-time)",
                 description=e.VERIFY_DESCRIPTION)
    def verify(req: e.EsscVerifyRequest, ctx: Signed = Depends(signed)) -> Any:  # noqa: B008
        try:
            return essc.verify(req.code, ctx.who.terminal_id)
        except Refused as exc:
            return _answer(e.essc_problem(exc.refusal, exc.detail))

    @router.post(e.EsscPath.PRE_LOSS, response_model=s.PreLossResult, responses=responses,
                 summary="Pre-lose a card on an e-SSC identity grant",
                 description=e.PRE_LOSS_DESCRIPTION)
    def pre_loss(req: e.EsscPreLossRequest, ctx: Signed = Depends(signed),  # noqa: B008
                key: str | None = Header(None, alias=s.IDEMPOTENCY_HEADER,  # noqa: B008
                                         min_length=8, max_length=128)) -> Any:
        if req.terminal_id != ctx.who.terminal_id:
            raise ApiProblem(s.ProblemCode.NOT_ALLOWED, 403, "terminal_id is not the signer")
        if not key:
            raise ApiProblem(s.ProblemCode.IDEMPOTENCY_KEY_MISSING, 400,
                             f"{s.IDEMPOTENCY_HEADER} header required")
        status, body, replayed = store.idempotent(
            ctx.who.terminal_id, key, e.EsscPath.PRE_LOSS.value, ctx.body,
            lambda: essc.pre_loss(req, key))
        headers = {s.IDEMPOTENT_REPLAY_HEADER: "true"} if replayed else None
        if "__problem__" in body:
            extra = {k: v for k, v in body.items() if k not in ("__problem__", "detail")}
            return _answer(_problem_for(body["__problem__"], status, body.get("detail", ""),
                                        extra), headers)
        return JSONResponse(body, status_code=status, headers=headers)

    app.include_router(router)
    return essc


class IssueRequest(s.Unicode):
    persona: str = Field(max_length=64)
    expired: bool = False
    used: bool = False


class StatusRequest(s.Unicode):
    persona: str = Field(max_length=64)
    status: str = Field(default="revoked", max_length=16)


def essc_admin_router(store: SandboxStore) -> APIRouter:
    """``/admin/essc/*`` (admin port, token): issue a code, revoke an identity."""
    admin = APIRouter(prefix="/admin/essc", include_in_schema=False)

    @admin.post("/codes")
    def issue(req: IssueRequest) -> Any:
        return essc_for(store).issue(req.persona, req.expired, req.used)

    @admin.post("/status")
    def status(req: StatusRequest) -> Any:
        return essc_for(store).set_status(req.persona, req.status)

    return admin
