"""``kiosk outbox status|export|keygen|open``: the confirmed requests a terminal keeps.

On the terminal (the technician, headless): ``status`` counts what waits and what needs
a person, ``export [--out DIR]`` seals every undelivered request into a file for the
outlet. At the outlet (never on a terminal): ``keygen --out DIR`` makes the outlet's key
pair once, ``open FILE --key KEYFILE`` shows what an export holds, to be entered there.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from kiosk.central.errors import OutboxError
from kiosk.central.outbox import Outbox
from kiosk.cli.common import CliError, add_config_argument, settings_from
from kiosk.composition.outbox import open_outbox, outbox_path
from kiosk.config import Settings
from kiosk.secrets import load_secrets
from kiosk.services.diagnostics.tools import bundle_targets

PRIVATE_NAME = "outlet-export.key"
PUBLIC_NAME = "outlet-export.pub"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("outbox", help="confirmed requests kept on this terminal: "
                                           "status, sealed export for the outlet")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    status = actions.add_parser("status", help="how many wait, how many need a person "
                                               "(exit 1 while any cannot be delivered)")
    status.add_argument("--json", action="store_true")
    export = actions.add_parser("export", help="seal every undelivered request into a file "
                                               "for the outlet (they stay queued)")
    export.add_argument("--out", metavar="DIR", default=None,
                        help="where (default: a mounted USB stick, else <data_dir>/support)")
    keygen = actions.add_parser("keygen", help="at the outlet: make its export key pair")
    keygen.add_argument("--out", metavar="DIR", required=True)
    opener = actions.add_parser("open", help="at the outlet: show what an export holds")
    opener.add_argument("file", metavar="FILE")
    opener.add_argument("--key", metavar="KEYFILE", default=None,
                        help="the outlet's private key file (from keygen); in demo mode "
                             "without one, the demo key")
    for p in (status, export, opener):
        add_config_argument(p)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return {"status": _status, "export": _export, "keygen": _keygen,
            "open": _open}[args.action](args)


def _outbox(args: argparse.Namespace, *, sealed: bool = True) -> tuple[Outbox, Settings]:
    """The terminal's outbox; ``sealed``: with the terminal key, to read the requests
    (counting them needs no key)."""
    settings = settings_from(args)
    path = outbox_path(settings)
    if not path.exists():
        raise CliError(f"no outbox at {path}: nothing was ever queued here")
    key = None
    if sealed:
        try:
            key = load_secrets(settings).terminal_key
        except Exception as exc:  # a missing or unreadable secrets file: one line
            raise CliError(f"cannot read the terminal key: {exc}") from None
    try:
        return open_outbox(settings, terminal_key=key), settings
    except OutboxError as exc:
        raise CliError(f"cannot open the outbox: {exc}") from None


def _status(args: argparse.Namespace) -> int:
    box, _ = _outbox(args, sealed=False)
    try:
        stats = box.stats()
    finally:
        box.close()
    doc = {"pending": stats.pending, "held": stats.held,
           "undeliverable": stats.undeliverable, "alert": stats.alert,
           "oldest_age_seconds": stats.oldest_age_seconds,
           "delivered_total": stats.delivered_total, "last_error": stats.last_error}
    if args.json:
        print(json.dumps(doc))
    else:
        for key, value in doc.items():
            print(f"{key}: {'-' if value is None else value}")
    return 1 if stats.undeliverable else 0


def _export(args: argparse.Namespace) -> int:
    # lazy: cryptography (~5 MiB) only for the commands that seal or open
    from kiosk.central.outbox_export import ExportError, export_outbox

    box, settings = _outbox(args)
    try:
        targets = [Path(args.out)] if args.out else bundle_targets(settings)
        if not targets or not targets[0].is_dir():
            where = args.out or "no USB stick and no support folder"
            raise CliError(f"no place to write the export: {where}")
        try:
            done = export_outbox(box, targets[0],
                                 public_key_setting=settings.central.outbox_export_public_key,
                                 demo=settings.kiosk.demo,
                                 terminal_id=settings.kiosk.terminal_id)
        except ExportError as exc:
            raise CliError(f"export failed: {exc}") from None
    finally:
        box.close()
    print(f"{done.items} request(s) sealed for the outlet: {done.path}"
          + (" (DEMO key: anyone can open it)" if done.demo_key else ""))
    return 0


def _keygen(args: argparse.Namespace) -> int:
    from kiosk.central.outbox_export import fingerprint, generate_keypair

    out = Path(args.out)
    private_path, public_path = out / PRIVATE_NAME, out / PUBLIC_NAME
    if private_path.exists():
        raise CliError(f"{private_path} exists: keep it (the exports sealed to it need it)")
    out.mkdir(parents=True, exist_ok=True)
    private, public = generate_keypair()
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write("# the outlet's key for opening kiosk outbox exports: keep it off terminals\n"
                 + private.hex() + "\n")
    public_path.write_text(public.hex() + "\n")
    print(f"private key: {private_path} (0600; keep it at the outlet)")
    print(f"public key {fingerprint(public)}: put this in each terminal's config:")
    print(f'[central]\noutbox_export_public_key = "{public.hex()}"')
    return 0


def _open(args: argparse.Namespace) -> int:
    from kiosk.central.outbox_export import DEMO_PRIVATE_KEY, ExportError, open_export, parse_key

    if args.key:
        try:
            private = parse_key(Path(args.key).read_text())
        except ExportError as exc:
            raise CliError(f"{args.key}: {exc}") from None
    elif settings_from(args).kiosk.demo:
        private = DEMO_PRIVATE_KEY
    else:
        raise CliError("--key KEYFILE is needed (the outlet's private key from keygen)")
    try:
        content = open_export(Path(args.file).read_bytes(), private)
    except ExportError as exc:
        raise CliError(f"{args.file}: {exc}") from None
    json.dump(content, sys.stdout, ensure_ascii=False, indent=1)
    print()
    return 0
