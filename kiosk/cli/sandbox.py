"""``kiosk sandbox``: run the sandbox central service in the foreground (demo, manual tests)."""

from __future__ import annotations

import argparse
from pathlib import Path

from kiosk.cli.common import CliError, add_config_argument, settings_from


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("sandbox", help="run the sandbox central card service")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="TCP port (default 8765)")
    parser.add_argument("--db", metavar="PATH", default=None,
                        help="SQLite file (default: <data_dir>/sandbox.db)")
    parser.add_argument("--reset", action="store_true",
                        help="forget all changes and seed the personas again")
    parser.add_argument("--allow-remote", action="store_true",
                        help="allow a non-loopback --host; needs --tls-cert and --tls-key "
                             "(admin stays on loopback)")
    parser.add_argument("--tls-cert", metavar="PATH", default=None,
                        help="serve HTTPS with this certificate (PEM)")
    parser.add_argument("--tls-key", metavar="PATH", default=None,
                        help="the certificate's private key (PEM)")
    parser.add_argument("--admin-port", type=int, default=0,
                        help="loopback port of the admin API (default: a free one); its "
                             "token is written to <data_dir>/sandbox-admin.token")
    parser.add_argument("--write-openapi", metavar="PATH", default=None,
                        help="write the OpenAPI document to PATH and exit")
    add_config_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # lazy: FastAPI and uvicorn load only for this command
    from kiosk.central.sandbox.openapi import write_openapi
    from kiosk.central.sandbox.server import (
        build_sandbox,
        default_db_path,
        is_loopback,
        serve_forever,
    )

    if args.write_openapi:
        write_openapi(Path(args.write_openapi))
        print(f"wrote {args.write_openapi}")
        return 0
    if not is_loopback(args.host) and not args.allow_remote:
        raise CliError(f"refusing to listen on {args.host}: the sandbox holds fictional "
                       "personal data and test endpoints; use --allow-remote if you mean it")
    if not 0 < args.port < 65536:
        raise CliError(f"--port must be between 1 and 65535, got {args.port}")
    if not 0 <= args.admin_port < 65536:
        raise CliError(f"--admin-port must be between 0 and 65535, got {args.admin_port}")
    if bool(args.tls_cert) != bool(args.tls_key):
        raise CliError("--tls-cert and --tls-key go together")
    tls = (Path(args.tls_cert), Path(args.tls_key)) if args.tls_cert else None
    if not is_loopback(args.host) and tls is None:
        raise CliError(f"refusing to listen on {args.host} without TLS: personal data and "
                       "signed requests would cross the network in clear; give --tls-cert "
                       "and --tls-key")
    for path in tls or ():
        if not path.is_file():
            raise CliError(f"{path}: no such file")
    settings = settings_from(args)
    db = Path(args.db) if args.db else default_db_path(settings)
    if args.reset:
        build_sandbox(settings, db).store.reset()
    scheme = "https" if tls else "http"
    print(f"sandbox central service on {scheme}://{args.host}:{args.port} (db {db})",
          flush=True)
    serve_forever(settings, args.host, args.port, db, admin_port=args.admin_port, tls=tls,
                  token_file=settings.data_dir / "sandbox-admin.token")
    return 0
