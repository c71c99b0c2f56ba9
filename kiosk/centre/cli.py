"""``kiosk-centre``: the province centre's command (installed with ``pip install .[centre]``).

    kiosk-centre init                      master key (0600, if missing) + migrations
    kiosk-centre migrate                   apply the migrations the database lacks
    kiosk-centre serve --workers N         the /v1 service and the operators' side
    kiosk-centre terminals add|rotate|revoke|reinstate|ls
    kiosk-centre operators add|disable|ls
    kiosk-centre audit export [--format csv|jsonl]
    kiosk-centre bench --terminals N --duration S [--workers W] [--json]

The database is ``--url`` or ``$KIOSK_CENTRE_DATABASE_URL`` (a libpq URL); the master key
``--master-key`` or ``$CREDENTIALS_DIRECTORY/master-key`` (systemd's
``LoadCredentialEncrypted=``) or ``/etc/kiosk-centre/master.key``. Keys and tokens are
printed once, to stdout, never logged. Errors are one line and a non-zero exit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import psycopg

from kiosk.errors import CliError

if TYPE_CHECKING:  # imported where used: each command loads only what it needs
    from kiosk.centre.pg import PgDatabase
    from kiosk.centre.service import CentreConfig

DEFAULT_MASTER_KEY = Path("/etc/kiosk-centre/master.key")
DEFAULT_DATA_DIR = Path("/var/lib/kiosk-centre")
URL_ENV = "KIOSK_CENTRE_DATABASE_URL"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _url(args: argparse.Namespace) -> str:
    url = args.url or os.environ.get(URL_ENV, "")
    if not url:
        raise CliError(f"no database: give --url or set {URL_ENV}", 2)
    return str(url)


def _master_key(args: argparse.Namespace) -> Path:
    if args.master_key:
        return Path(args.master_key)
    creds = os.environ.get("CREDENTIALS_DIRECTORY")
    if creds and (Path(creds) / "master-key").exists():
        return Path(creds) / "master-key"
    return DEFAULT_MASTER_KEY


def _actor() -> str:
    try:
        return "cli:" + getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def cmd_init(args: argparse.Namespace) -> int:
    from kiosk.centre.keys import create_master_key  # lazy: each command its own imports
    from kiosk.centre.migrate import migrate

    path = _master_key(args)
    made = create_master_key(path)
    print(f"master key {'written to' if made else 'kept in'} {path}"
          + (" (0600; back it up apart from the database)" if made else ""))
    applied = migrate(_url(args))
    print(f"schema: {len(applied)} migration(s) applied"
          + (f" ({', '.join(f'{m.version:04d}_{m.name}' for m in applied)})" if applied
             else ", up to date"))
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from kiosk.centre.migrate import current_version, migrate

    applied = migrate(_url(args))
    for m in applied:
        print(f"applied {m.version:04d}_{m.name}")
    print(f"schema version {current_version(_url(args))}")
    return 0


def _config(args: argparse.Namespace) -> CentreConfig:
    from kiosk.central.sandbox.rules import RegionalRules
    from kiosk.centre.service import CentreConfig

    rules = RegionalRules()
    if args.config:
        from kiosk.config import load_settings

        rules = RegionalRules.from_settings(load_settings(Path(args.config)))
    core = args.core or ("simulated" if args.harness else "")
    if not core:
        raise CliError("give --core package.module:factory (the province's core adapter, "
                       "docs/centre.md), or --core simulated for a demo", 2)
    return CentreConfig(_url(args), _master_key(args), Path(args.data_dir), rules=rules,
                        timezone=args.timezone, harness=args.harness, core=core,
                        pool_size=args.pool_size, retention_days=args.retention_days)


def cmd_serve(args: argparse.Namespace) -> int:
    from kiosk.central.sandbox.server import is_loopback
    from kiosk.centre.keys import load_master_key
    from kiosk.centre.server import serve

    if not 1 <= args.workers <= 64:
        raise CliError(f"--workers must be 1..64, got {args.workers}", 2)
    if args.harness and not (is_loopback(args.host) and is_loopback(args.admin_host)):
        raise CliError("--harness (fictional people, test endpoints) only on loopback", 2)
    from kiosk.centre.service import core_factory

    load_master_key(_master_key(args))  # one line now rather than in every worker
    config = _config(args)
    if config.core != "simulated":
        core_factory(config.core)
    return serve(config, args.host, args.port, args.admin_host,
                 args.admin_port, args.workers)


def _db(args: argparse.Namespace) -> PgDatabase:
    from kiosk.centre.pg import PgDatabase

    try:
        return PgDatabase(_url(args), min_size=1, max_size=2)
    except Exception as exc:  # noqa: BLE001 - psycopg_pool raises its own timeout
        raise CliError(f"cannot reach PostgreSQL ({type(exc).__name__})") from None


def cmd_terminals(args: argparse.Namespace) -> int:
    from kiosk.centre.keys import load_master_key
    from kiosk.centre.terminals import Terminals, format_credential

    db = _db(args)
    try:
        terminals = Terminals(db, load_master_key(_master_key(args)))
        if args.action == "add":
            if not (args.outlet and args.region and args.site):
                raise CliError("terminals add needs --outlet, --region and --site", 2)
            key = terminals.add(args.terminal_id, args.outlet, args.region, args.site,
                                actor=_actor(), reason=args.reason)
            sys.stdout.write(format_credential(args.terminal_id, key, args.base_url,
                                               args.site))
        elif args.action == "rotate":
            key = terminals.rotate(args.terminal_id, dt.timedelta(hours=args.overlap_hours),
                                   actor=_actor(), reason=args.reason)
            sys.stdout.write(format_credential(args.terminal_id, key, args.base_url))
        elif args.action in ("revoke", "reinstate"):
            terminals.set_status(args.terminal_id, args.action == "revoke", actor=_actor(),
                                 reason=args.reason)
            print(f"{args.terminal_id} {args.action}d")
        else:
            rows = terminals.list()
            if args.json:
                print(json.dumps(rows, default=str, indent=1))
            else:
                for r in rows:
                    print(f"{r['terminal_id']:24} {r['status']:8} {r['site']:8} "
                          f"{r['region']}/{r['outlet']} keys={r['valid_keys']}")
    finally:
        db.close()
    return 0


def cmd_operators(args: argparse.Namespace) -> int:
    from kiosk.centre.operators import Operators

    db = _db(args)
    try:
        ops = Operators(db)
        if args.action == "add":
            if not args.role:
                raise CliError("operators add needs --role viewer|operator|admin", 2)
            print(ops.add(args.name, args.role, actor=_actor()))
        elif args.action == "disable":
            ops.disable(args.name, actor=_actor())
            print(f"{args.name} disabled")
        else:
            for r in ops.list():
                print(f"{r['name']:24} {r['role']:9} "
                      f"{'disabled' if r['disabled_at'] else 'active'}")
    finally:
        db.close()
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from kiosk.centre.operators import Operators

    db = _db(args)
    try:
        sys.stdout.write(Operators(db).export(args.format))
    finally:
        db.close()
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from kiosk.centre.bench import run_bench

    return run_bench(args)


def build_parser() -> argparse.ArgumentParser:
    """The command's parser."""
    p = _Parser(prog="kiosk-centre", description="The province centre (前置服务) on "
                "PostgreSQL: terminals' /v1 service, operators, fleet page, metrics")
    p.add_argument("--url", help=f"PostgreSQL URL (default ${URL_ENV})")
    p.add_argument("--master-key", help="the master key file (default "
                   "$CREDENTIALS_DIRECTORY/master-key, else /etc/kiosk-centre/master.key)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("init", help="create the master key if missing, migrate").set_defaults(
        func=cmd_init)
    sub.add_parser("migrate", help="apply the schema migrations").set_defaults(
        func=cmd_migrate)
    s = sub.add_parser("serve", help="serve /v1 and the operators' side")
    s.add_argument("--workers", type=int, default=2)
    s.add_argument("--host", default="127.0.0.1", help="public address (behind the TLS "
                   "load balancer; default 127.0.0.1)")
    s.add_argument("--port", type=int, default=8080)
    s.add_argument("--admin-host", default="127.0.0.1")
    s.add_argument("--admin-port", type=int, default=8081)
    s.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR), help="support bundles")
    s.add_argument("--config", help="a kiosk config file for the regional rules")
    s.add_argument("--timezone", default="Asia/Shanghai", help="the region's zone (page)")
    s.add_argument("--pool-size", type=int, default=16, help="connections per worker")
    s.add_argument("--retention-days", type=int, default=30, help="heartbeat history")
    s.add_argument("--core", help="the core card system: package.module:factory "
                   "(factory(db, rules) -> CoreCardSystem), or 'simulated' (fictional "
                   "people: demo, tests, bench)")
    s.add_argument("--harness", action="store_true", help="demo/tests only: the test "
                   "endpoints (reset, faults, …) and the simulated core, loopback only")
    s.set_defaults(func=cmd_serve)
    t = sub.add_parser("terminals", help="enrol, rotate, revoke terminals")
    t.add_argument("action", choices=["add", "rotate", "revoke", "reinstate", "ls"])
    t.add_argument("terminal_id", nargs="?", default="")
    t.add_argument("--outlet")
    t.add_argument("--region")
    t.add_argument("--site", choices=["outlet", "medical"])
    t.add_argument("--base-url", help="the centre's URL as terminals reach it")
    t.add_argument("--overlap-hours", type=float, default=24.0,
                   help="rotate: how long the old key stays valid")
    t.add_argument("--reason", default="", help="why (kept in the audit log)")
    t.add_argument("--json", action="store_true")
    t.set_defaults(func=cmd_terminals)
    o = sub.add_parser("operators", help="named operator accounts")
    o.add_argument("action", choices=["add", "disable", "ls"])
    o.add_argument("name", nargs="?", default="")
    o.add_argument("--role", choices=["viewer", "operator", "admin"])
    o.set_defaults(func=cmd_operators)
    a = sub.add_parser("audit", help="export the audit log")
    a.add_argument("action", choices=["export"])
    a.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    a.set_defaults(func=cmd_audit)
    b = sub.add_parser("bench", help="load test: N terminals' heartbeats + cardholder calls")
    b.add_argument("--terminals", type=int, default=10_000)
    b.add_argument("--duration", type=float, default=300.0)
    b.add_argument("--workers", type=int, default=2)
    b.add_argument("--rate", type=float, default=50.0, help="cardholder calls per second")
    b.add_argument("--heartbeat-seconds", type=float, default=60.0)
    b.add_argument("--db", help="an existing, throwaway database URL (also the global "
                   "--url; default: a private cluster of its own)")
    b.add_argument("--json", action="store_true")
    b.set_defaults(func=cmd_bench)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the command; one-line errors."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    if args.command in ("terminals", "operators") and args.action not in ("ls",) and not (
            getattr(args, "terminal_id", None) or getattr(args, "name", None)):
        print(f"kiosk-centre: {args.command} {args.action} needs a name", file=sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"kiosk-centre: {exc}", file=sys.stderr)
        return exc.exit_code
    except psycopg.Error as exc:
        print(f"kiosk-centre: database: {str(exc).strip().splitlines()[0]}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
