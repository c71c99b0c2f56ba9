"""``kiosk fleet``: the operator's view of the terminals, against the central service's
admin side (the sandbox's in demo mode: its URL and token are in
``<data_dir>/sandbox-admin.json``; or ``--admin-url`` with ``--token-file``).

    kiosk fleet ls [--json]
    kiosk fleet pause TERMINAL --reason maintenance [--no-guidance]
    kiosk fleet resume TERMINAL
    kiosk fleet push-config TERMINAL FILE.toml [--version N]
    kiosk fleet bundle TERMINAL
    kiosk fleet revoke TERMINAL        (its key: the next call is refused, out of service)
    kiosk fleet reinstate TERMINAL
    kiosk fleet check-overlay FILE [--json] [--config PATH]
    kiosk fleet ack TERMINAL [--request ID]      # staff are on their way (一键呼叫)
    kiosk fleet staff-link OUTLET                # the outlet's staff page, for a phone

``ls`` lists the staff calls too (unanswered first; ``help_requests`` in ``--json``).

``check-overlay`` needs no central service: it checks an overlay exactly as a terminal
with that local config would (:func:`kiosk.fleet.overlay.check_overlay`, the function the
fleet agent uses) and prints ``accepted`` (exit 0) or one ``refused: <key>: <reason>``
line per refused key (exit 1).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.central.sandbox.fleet_access import read_admin_access
from kiosk.central.sandbox.help_page import staff_token
from kiosk.central.schemas_help import OUTLET_PATTERN
from kiosk.cli.common import CliError, add_config_argument, settings_from
from kiosk.domain.pause_reasons import PauseReason

if TYPE_CHECKING:  # requests is imported when a call is made (~0.1 s)
    from requests import Response

TIMEOUT = (3.0, 10.0)
PARTS = ("readers", "id_reader", "printer", "speech", "disk", "clock", "outbox", "technician")


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``kiosk fleet`` and its actions."""
    parser = sub.add_parser("fleet", help="list, pause, resume and configure terminals")
    add_config_argument(parser)
    parser.add_argument("--admin-url", default=None,
                        help="the central admin side (default: the demo sandbox's)")
    parser.add_argument("--token-file", metavar="PATH", default=None,
                        help="file holding the admin token (with --admin-url)")
    cmds = parser.add_subparsers(dest="fleet_command", metavar="ACTION", required=True)
    ls = cmds.add_parser("ls", help="list terminals with their parts and directives")
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    pause = cmds.add_parser("pause", help="pause a terminal after its current journey")
    pause.add_argument("terminal")
    pause.add_argument("--reason", required=True, choices=[r.value for r in PauseReason])
    pause.add_argument("--no-guidance", action="store_true",
                       help="do not leave the plain guidance readable while paused")
    resume = cmds.add_parser("resume", help="put a paused terminal back in service")
    resume.add_argument("terminal")
    push = cmds.add_parser("push-config", help="send a settings overlay (TOML) to a terminal")
    push.add_argument("terminal")
    push.add_argument("file", type=Path)
    push.add_argument("--version", type=int, default=None,
                      help="overlay version (default: one above the last)")
    bundle = cmds.add_parser("bundle", help="ask a terminal for its support bundle")
    bundle.add_argument("terminal")
    revoke = cmds.add_parser("revoke", help="revoke a terminal's key now (stolen, retired): "
                                            "its next call is refused and it shows out "
                                            "of service")
    revoke.add_argument("terminal")
    reinstate = cmds.add_parser("reinstate", help="take a revoked terminal key back")
    reinstate.add_argument("terminal")
    ack = cmds.add_parser("ack", help="answer a staff call: staff are on their way")
    ack.add_argument("terminal", help="the terminal whose oldest unanswered call to answer")
    ack.add_argument("--request", metavar="ID", default=None,
                     help="answer this call (its request id) instead")
    link = cmds.add_parser("staff-link", help="print an outlet's staff page address (for a "
                                              "phone; its token opens that page only)")
    link.add_argument("outlet")
    check = cmds.add_parser("check-overlay",
                            help="check a settings overlay (TOML or .json) as a terminal would")
    check.add_argument("file", type=Path)
    check.add_argument("--json", action="store_true", help="machine-readable output")
    # SUPPRESS: without it the subcommand's default would hide `kiosk fleet --config X`.
    check.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS,
                       help="the terminal's local config (default: config/kiosk.toml)")
    parser.set_defaults(func=run)


def _admin(args: argparse.Namespace) -> tuple[str, str]:
    if args.admin_url:
        if not args.token_file:
            raise CliError("--admin-url needs --token-file")
        try:
            token = Path(args.token_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise CliError(f"cannot read {args.token_file}: {exc.strerror}") from None
        return args.admin_url.rstrip("/"), token
    settings = settings_from(args)
    found = read_admin_access(settings.data_dir)
    if found is None:
        raise CliError(f"no central admin side known (no {settings.data_dir}/"
                       "sandbox-admin.json): start the demo (kiosk run) or kiosk sandbox, "
                       "or give --admin-url and --token-file")
    return found


def _call(base: str, token: str, method: str, path: str,
          body: Mapping[str, object] | None = None) -> object:
    import requests  # lazy: heavy (~0.1 s), only when a call is made, not for --help

    try:
        resp = requests.request(method, f"{base}/admin/fleet{path}", json=body,
                                timeout=TIMEOUT, allow_redirects=False,
                                headers={"Authorization": f"Bearer {token}"})
    except requests.RequestException as exc:
        raise CliError(f"cannot reach the central admin side at {base} "
                       f"({type(exc).__name__})") from None
    if resp.status_code == 404:
        raise CliError(_detail(resp) or "not found")
    if resp.status_code == 401:
        raise CliError("the central admin side refused the token")
    if not resp.ok:
        raise CliError(f"the central admin side answered {resp.status_code}: "
                       f"{_detail(resp) or 'error'}")
    try:
        answer: object = resp.json()
    except ValueError:
        raise CliError("the central admin side answered something that is not JSON") from None
    return answer


def _detail(resp: Response) -> str:
    try:
        answer: object = resp.json()
    except ValueError:
        return ""
    detail = answer.get("detail", "") if isinstance(answer, dict) else ""
    return detail if isinstance(detail, str) else "invalid request"


def _table(value: object) -> dict[str, object]:
    """An object of the admin side's answer; anything else is a one-line error."""
    if not isinstance(value, dict):
        raise CliError("the central admin side answered something unexpected")
    return value


def _tables(value: object) -> list[dict[str, object]]:
    """A list of objects of the admin side's answer (one-line error otherwise)."""
    if not isinstance(value, list):
        raise CliError("the central admin side answered something unexpected")
    return [_table(item) for item in value]


def _when(value: object) -> str | None:
    """A time of the admin side's answer (ISO text), or None."""
    return value if isinstance(value, str) else None


def _read_overlay(path: Path, code: int = 1) -> object:
    """The overlay in ``path``: TOML, or JSON for a ``.json`` file (as the centre sends
    it); a file that cannot be read or parsed is a one-line error (exit ``code``)."""
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() == ".json":
            parsed: object = json.loads(text)
            return parsed
        return tomllib.loads(text)
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}", code) from None
    except UnicodeDecodeError:
        raise CliError(f"{path}: not UTF-8 text", code) from None
    except json.JSONDecodeError as exc:
        raise CliError(f"{path}: not valid JSON ({exc})", code) from None
    except tomllib.TOMLDecodeError as exc:
        raise CliError(f"{path}: not valid TOML ({exc})", code) from None


def _overlay(path: Path) -> dict[str, object]:
    data = _read_overlay(path)
    if not data or not isinstance(data, dict) or \
            not all(isinstance(v, dict) for v in data.values()):
        raise CliError(f"{path}: expected [section] tables of keys")
    return data


def check_overlay_file(args: argparse.Namespace) -> int:
    """``kiosk fleet check-overlay``: 0 accepted, 1 refused, 2 a file or config that
    cannot be read."""
    # lazy: the fleet package (and its logging) only for this action
    from kiosk.fleet.overlay import check_overlay

    values = _read_overlay(args.file, code=2)
    if not values:
        raise CliError(f"{args.file}: empty: no setting to check", 2)
    _, refusals = check_overlay(values, getattr(args, "config", None))
    if args.json:
        print(json.dumps({"accepted": not refusals, "refused": [
            {"key": r.key, "reason": r.why.value, "message": r.message} for r in refusals]},
            ensure_ascii=False, indent=2))
    else:
        print("\n".join(r.line() for r in refusals) if refusals else "accepted")
    return 1 if refusals else 0


def _ago(then: str | None, now: dt.datetime) -> str:
    if not then:
        return "never"
    seconds = (now - dt.datetime.fromisoformat(then)).total_seconds()
    return f"{int(seconds)}s ago" if seconds < 5400 else f"{int(seconds // 3600)}h ago"


def _server_time(answer: Mapping[str, object]) -> dt.datetime:
    when = _when(answer.get("server_time"))
    if when is None:
        raise CliError("the central admin side answered without its time")
    return dt.datetime.fromisoformat(when)


def _print_help(answer: Mapping[str, object]) -> None:
    now = _server_time(answer)
    waiting = [c for c in _tables(answer.get("help_requests", [])) if c["state"] == "waiting"]
    for c in waiting:
        print(f"HELP  {c['terminal_id']!s:<16} waiting since "
              f"{_ago(_when(c['received_at']), now):<9} "
              f"screen {c['step']} (outlet {c['outlet']}, request {c['request_id']})")
    if waiting:
        print()


def _print_table(answer: Mapping[str, object]) -> None:
    now = _server_time(answer)
    _print_help(answer)
    rows = _tables(answer["terminals"])
    if not rows:
        print("no terminal has sent a heartbeat yet")
        return
    print(f"{'TERMINAL':<16} {'STATE':<8} {'SEEN':<9} {'VERSION':<9} {'CONF':<5} "
          f"{'OUTBOX':<6} PARTS (not ok)")
    for t in rows:
        parts = _table(t.get("parts") or {})
        lights = {p: _table(parts[p]).get("light") for p in PARTS if p in parts}
        bad = [f"{p}={light}" for p, light in lights.items() if light != "ok"]
        pending = sum(1 for d in _tables(t.get("directives", [])) if d["state"] == "pending")
        state = ("paused" if t.get("paused") else "up") + (f"+{pending}" if pending else "")
        print(f"{t['terminal_id']!s:<16} {state:<8} {_ago(_when(t.get('last_seen')), now):<9} "
              f"{str(t.get('version')):<9} v{t.get('config_version') or 0:<4} "
              f"{_table(parts.get('outbox') or {}).get('depth', '?')!s:<6} "
              f"{', '.join(bad) or 'all ok'}")


def run(args: argparse.Namespace) -> int:
    """One operator action against the admin side; errors are one line (CliError)."""
    if args.fleet_command == "check-overlay":
        return check_overlay_file(args)
    base, token = _admin(args)
    cmd = args.fleet_command
    if cmd == "ls":
        answer = _call(base, token, "GET", "/terminals")
        if args.json:
            print(json.dumps(answer, ensure_ascii=False, indent=2))
        else:
            _print_table(_table(answer))
        return 0
    if cmd == "ack":
        body = {"terminal_id": args.terminal, "request_id": args.request}
        answered = _table(_call(base, token, "POST", "/help/ack", body))
        print(f"staff call {answered['request_id']} of {answered['terminal_id']} answered: "
              "the kiosk will say that staff are on their way")
        return 0
    if cmd == "staff-link":
        if not re.fullmatch(OUTLET_PATTERN, args.outlet):
            raise CliError(f"{args.outlet!r} is not an outlet code (lower-case letters, "
                           "digits, - and _)")
        print(f"{base}/admin/fleet/staff/{args.outlet}?token={staff_token(token, args.outlet)}")
        return 0
    where = f"/terminals/{args.terminal}"
    if cmd in ("revoke", "reinstate"):
        _call(base, token, "POST", f"{where}/{cmd}")
        print(f"{args.terminal}: key revoked; its next call is refused (terminal_revoked)"
              if cmd == "revoke" else f"{args.terminal}: key reinstated")
        return 0
    if cmd == "pause":
        body = {"reason": args.reason, "guidance_readable": not args.no_guidance}
        sent = _table(_call(base, token, "POST", where + "/pause", body))
    elif cmd == "resume":
        sent = _table(_call(base, token, "POST", where + "/resume"))
    elif cmd == "push-config":
        sent = _table(_call(base, token, "POST", where + "/config",
                            {"overlay": _overlay(args.file), "version": args.version}))
    else:
        sent = _table(_call(base, token, "POST", where + "/bundle"))
    extra = f" version {sent['version']}" if "version" in sent else ""
    print(f"{sent['kind']}{extra} for {args.terminal}: directive {sent['id']} pending "
          "(taken at its next heartbeat)")
    return 0
