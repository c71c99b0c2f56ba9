"""``kiosk demo outage on|off``: take the running demo's central service away, and back.

With the demo running (``kiosk run --demo``), ``on`` makes its sandbox close every
``/v1`` connection without an answer, as when the central service cannot be reached:
a pre-loss confirmed then is queued in the outbox ("NOT yet in effect"), heartbeats
fail, the technician's central page says the service cannot be reached. ``off`` ends it:
the outbox delivers what was queued, and the pending screen turns into done by itself.
It uses the sandbox's admin side (``<data_dir>/sandbox-admin.json``, as ``kiosk fleet``).
"""

from __future__ import annotations

import argparse

from kiosk.cli.common import CliError, add_config_argument, settings_from
from kiosk.cli.fleet import TIMEOUT

STATES = {"on": 1, "off": 0}


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``kiosk demo``."""
    parser = sub.add_parser("demo", help="control the running demo (simulate an outage)")
    add_config_argument(parser)
    cmds = parser.add_subparsers(dest="demo_command", metavar="ACTION", required=True)
    outage = cmds.add_parser("outage", help="the demo's central service unreachable (on) "
                                            "or back (off)")
    outage.add_argument("state", choices=sorted(STATES))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # lazy: with the sandbox's admin helpers (requests), only when a demo is driven
    from kiosk.central.sandbox.fleet_access import read_admin_access

    settings = settings_from(args)
    found = read_admin_access(settings.data_dir)
    if found is None:
        raise CliError(f"no running demo found (no {settings.data_dir}/sandbox-admin.json): "
                       "start it with ./kiosk.sh run")
    base, token = found
    _set_outage(base, token, STATES[args.state])
    if args.state == "on":
        print("outage on: the demo's central service drops every call "
              "(kiosk demo outage off ends it)")
    else:
        print("outage off: the demo's central service answers again")
    return 0


def _set_outage(base: str, token: str, value: int) -> object:
    import requests  # lazy: heavy, only when a call is made

    try:
        resp = requests.post(f"{base}/admin/faults", json={"outage": value}, timeout=TIMEOUT,
                             allow_redirects=False,
                             headers={"Authorization": f"Bearer {token}"})
    except requests.RequestException as exc:
        raise CliError(f"cannot reach the demo's sandbox at {base} ({type(exc).__name__}): "
                       "is the demo still running?") from None
    if resp.status_code == 401:
        raise CliError("the demo's sandbox refused the admin token (a newer demo started?)")
    if not resp.ok:
        raise CliError(f"the demo's sandbox answered {resp.status_code}")
    answer: object = resp.json()
    return answer
