"""``kiosk card``: drive the virtual card slots (demo, tests) from another terminal.

    kiosk card insert PERSONA [--slot ssc|id]   put a persona's card in a slot
    kiosk card remove [--slot ssc|id]           take it out (both slots by default)
    kiosk card list                             personas, their cards, what is inserted
    kiosk card scan PERSONA [--expired|--reuse] scan a fresh e-SSC code of the persona
    kiosk card scan --text TEXT                 scan any QR text (e.g. a payment code)
    kiosk card scan --unplug | --replug         pull / plug the virtual scanner's cable
    kiosk card serve [--vpcd-port N]            run the slots daemon in the foreground

The slots live in a daemon (the demo runner, or ``kiosk card serve``) listening on
``<data_dir>/virtual-cards.sock``; the demo's virtual QR scanner on
``<data_dir>/virtual-scanner.sock`` (it asks the sandbox for the code: the code never
passes through this command, and only its length and hash prefix are printed).
"""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path

from kiosk.cli.common import CliError, add_config_argument, settings_from
from kiosk.personas import load_personas

SYSTEM_VPCD_PORT = 0x8C7B  # 35963, Debian's /etc/reader.conf.d/vpcd


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("card", help="insert/remove virtual cards (demo and tests)",
                            description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_argument(parser)
    parser.add_argument("--socket", metavar="PATH",
                        help="control socket (default: <data_dir>/virtual-cards.sock)")
    csub = parser.add_subparsers(dest="card_command", metavar="ACTION", required=True)
    p = csub.add_parser("insert", help="insert a persona's card")
    p.add_argument("persona")
    p.add_argument("--slot", choices=("ssc", "id"), default=None,
                   help="default: ssc if the persona has a social security card, else id")
    p = csub.add_parser("remove", help="remove the card(s)")
    p.add_argument("--slot", choices=("ssc", "id"), default=None)
    csub.add_parser("list", help="list personas and what is inserted")
    p = csub.add_parser("scan", help="scan a persona's e-SSC QR code (virtual scanner)")
    p.add_argument("persona", nargs="?")
    p.add_argument("--expired", action="store_true", help="a code past its 60 s")
    p.add_argument("--reuse", action="store_true", help="a code already used")
    p.add_argument("--text", help="scan this text instead (a code that is not an e-SSC)")
    p.add_argument("--unplug", action="store_true", help="pull the scanner's cable")
    p.add_argument("--replug", action="store_true", help="plug it in again")
    p = csub.add_parser("serve", help="run the virtual card slots in the foreground")
    p.add_argument("--vpcd-port", type=int, default=SYSTEM_VPCD_PORT,
                   help=f"first vpcd port (default {SYSTEM_VPCD_PORT}, the system pcscd)")
    parser.set_defaults(func=run)


def _socket(args: argparse.Namespace) -> Path:
    if args.socket:
        return Path(args.socket)
    # lazy: the virtual cards (~35 ms) load only for this command
    from kiosk.devices.virtual.slots import control_socket_path

    return control_socket_path(settings_from(args))


def _ask(path: Path, request: dict, label: str, absent: str, timeout: float) -> dict:
    """One request to a virtual device's control socket; no device there, a reply not
    understood or a refusal is a one-line CliError (``absent`` names the path as {path})."""
    from kiosk.devices.virtual.control import send_control  # lazy: as above

    try:
        reply = send_control(path, request, timeout)
    except OSError:
        raise CliError(absent.format(path=path)) from None
    except ValueError:
        raise CliError(f"{label}: the reply from {path} was not understood") from None
    if not reply.get("ok"):
        raise CliError(f"{label}: {reply.get('error', 'failed')}")
    return reply


def _send(args: argparse.Namespace, request: dict) -> dict:
    return _ask(_socket(args), request, f"card {request['cmd']}", "no virtual card slots "
                "running at {path} (start the demo, or `kiosk card serve`)", 5.0)


def _slots_line(reply: dict) -> str:
    slots = reply.get("slots", {})
    return "  ".join(f"{k}: {v or '-'}" for k, v in slots.items())


def run(args: argparse.Namespace) -> int:
    cmd = args.card_command
    if cmd == "insert":
        if args.persona not in load_personas():
            raise CliError(f"unknown persona {args.persona!r}; see `kiosk card list`")
        print(_slots_line(_send(args, {"cmd": "insert", "persona": args.persona,
                                       "slot": args.slot})))
        return 0
    if cmd == "remove":
        print(_slots_line(_send(args, {"cmd": "remove", "slot": args.slot})))
        return 0
    if cmd == "list":
        for key, p in sorted(load_personas().items()):
            cards = "+".join(c for c in ("ssc", "id") if c in p) or (
                "tech" if "technician_card" in p else "-")
            behaviour = p.get("ssc", {}).get("behaviour", "")
            extra = f" [{behaviour}]" if behaviour and behaviour != "normal" else ""
            print(f"{key:14} {cards:7} {p.get('summary', '')}{extra}")
        try:
            from kiosk.devices.virtual.control import send_control  # lazy: as above

            print("inserted: " + _slots_line(send_control(_socket(args), {"cmd": "status"})))
        except (OSError, ValueError):
            print("inserted: (no virtual card slots running)")
        return 0
    if cmd == "scan":
        return _scan(args)
    if cmd == "serve":
        return _serve(args)
    raise CliError(f"unknown card action {cmd!r}")  # pragma: no cover - argparse checks


def _scan(args: argparse.Namespace) -> int:
    # lazy: the virtual devices load only for this command (as above)
    from kiosk.devices.virtual.scanner import scanner_socket_path

    if args.unplug or args.replug:
        request: dict = {"cmd": "unplug" if args.unplug else "replug"}
    elif args.text is not None:
        request = {"cmd": "scan", "text": args.text}
    elif not args.persona:
        raise CliError("card scan: give a PERSONA, --text, --unplug or --replug")
    elif args.persona not in load_personas():
        raise CliError(f"unknown persona {args.persona!r}; see `kiosk card list`")
    else:
        request = {"cmd": "scan", "persona": args.persona, "expired": args.expired,
                   "reuse": args.reuse}
    reply = _ask(scanner_socket_path(settings_from(args).data_dir), request, "card scan",
                 "no virtual QR scanner running at {path} (start the demo with "
                 "cards.qr_scanner_port = \"virtual\")", 10.0)
    plugged = "plugged in" if reply.get("plugged") else "unplugged"
    if "chars" in reply:
        print(f"scanned a code of {reply['chars']} characters (#{reply['code_hash']})")
    print(f"virtual scanner {plugged} at {reply.get('port')}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from kiosk.devices.virtual.slots import VirtualSlots  # lazy: as above

    slots = VirtualSlots(args.vpcd_port)
    path = _socket(args)
    try:
        slots.serve(path)
    except (RuntimeError, OSError) as exc:
        raise CliError(f"card serve: {exc}") from None
    print(f"virtual card slots on vpcd ports {args.vpcd_port}/{args.vpcd_port + 1}, "
          f"control socket {path}; Ctrl-C to stop", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    finally:
        slots.stop()
    return 0
