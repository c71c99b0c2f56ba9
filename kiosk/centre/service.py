"""The centre assembled: the shared ``/v1`` layer on PostgreSQL, and the operators' side.

One worker process = :func:`build_centre` + uvicorn on the public and admin sockets. The
public port serves exactly the sandbox's ``/v1`` (same app, gate and schemas over
:class:`kiosk.centre.backend.CentreBackend`). The admin port serves the operators' API,
the fleet page and ``/metrics``, each behind a named operator's token and role
(:class:`CentreGate`); with ``harness=True`` (demo, tests, bench) also the sandbox's
test harness (reset, faults, replacements, the last "SMS", e-SSC codes) over the
simulated core.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from kiosk.central.sandbox.app import create_app
from kiosk.central.sandbox.essc import essc_admin_router
from kiosk.central.sandbox.faults import FaultInjector, Faults
from kiosk.central.sandbox.gate import Gate, _answer, _header, _query_token
from kiosk.central.sandbox.harness_routes import harness_router
from kiosk.central.sandbox.ports import CoreCardSystem
from kiosk.central.sandbox.problems import invalid_request, problem_response
from kiosk.central.sandbox.rules import RegionalRules
from kiosk.central.sandbox.store_util import ApiProblem
from kiosk.centre.backend import CentreBackend
from kiosk.centre.keys import load_master_key
from kiosk.centre.operator_app import OPERATOR_STATE, operator_router
from kiosk.centre.operators import Operators
from kiosk.centre.pg import PgDatabase
from kiosk.centre.settings import CentreConfig
from kiosk.errors import CliError

#: GET pages a browser opens with ``?token=`` (it cannot send a header)
BROWSER_PAGES = ("/admin/fleet", "/admin/audit/export")


@dataclass
class Centre:
    """One worker's assembled service."""

    config: CentreConfig
    backend: CentreBackend
    operators: Operators
    faults: Faults
    asgi: CentreGate


class CentreGate(Gate):
    """The sandbox's gate for ``/v1``; on the admin port, a named operator's token."""

    def __init__(self, public: ASGIApp, admin: ASGIApp, backend: CentreBackend, max_skew: float,
                 operators: Operators) -> None:
        super().__init__(public, admin, backend, max_skew, admin_token="")
        self.operators = operators

    async def _admin(self, scope: Scope, receive: Receive, send: Send) -> None:
        given = _header(scope, b"authorization")
        token = given[7:] if given.startswith("Bearer ") else ""
        if not token and scope.get("method") == "GET" and scope.get("path") in BROWSER_PAGES:
            token = _query_token(scope)
        operator = await run_in_threadpool(self.operators.authenticate, token) \
            if token else None
        if operator is None:
            await _answer(send, 401, b'{"detail":"operator token required"}',
                          b"application/json")
            return
        scope.setdefault("state", {})[OPERATOR_STATE] = operator
        await self.admin(scope, receive, send)


def core_factory(spec: str) -> Callable[[PgDatabase, RegionalRules], CoreCardSystem]:
    """The factory ``package.module:factory`` names (one line when it cannot be had)."""
    module, _, name = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(module), name) if name else None
    except (ImportError, AttributeError, ValueError) as exc:
        raise CliError(f"--core {spec}: cannot load it ({type(exc).__name__})") from None
    if not callable(factory):
        raise CliError(f"--core {spec}: not package.module:factory")
    return factory


def load_core(spec: str, db: PgDatabase, rules: RegionalRules) -> CoreCardSystem | None:
    """The province's core adapter named ``package.module:factory`` (None: simulated)."""
    if spec == "simulated":
        return None
    return core_factory(spec)(db, rules)


def build_centre(config: CentreConfig) -> Centre:
    """One worker: the database pool, the backend, the apps and the gate."""
    db = PgDatabase(config.url, max_size=config.pool_size)
    backend = CentreBackend(db, config.rules, load_master_key(config.master_key_file),
                            config.data_dir / "fleet-bundles",
                            core=load_core(config.core, db, config.rules))
    operators = Operators(db)
    faults = Faults()
    public: ASGIApp = create_app(backend, config.max_skew)
    if config.harness:
        public = FaultInjector(public, faults)
    admin = FastAPI(title="kiosk-centre operators", openapi_url=None, docs_url=None,
                    redoc_url=None)

    @admin.exception_handler(ApiProblem)
    async def _problem(request: Request, exc: ApiProblem) -> JSONResponse:
        return problem_response(exc.status, exc.code, exc.detail, tries_left=exc.tries_left)

    admin.exception_handler(RequestValidationError)(invalid_request)
    admin.include_router(operator_router(backend, operators, config))
    if config.harness:
        admin.include_router(harness_router(backend, faults))
        admin.include_router(essc_admin_router(backend))
    gate = CentreGate(public, admin, backend, config.max_skew, operators)
    return Centre(config, backend, operators, faults, gate)
