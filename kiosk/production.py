"""Start-up checks of a production terminal (``kiosk run`` without ``--demo``).

Each refusal is one line for the operator (a :class:`ProductionError`), raised before
any window opens: a terminal that fails one of these must not serve cardholders.

- the secrets file (``security.secrets_file``) is missing: the demo would create a
  throw-away one, production never does;
- the central service is plain HTTP on a non-loopback address: the requests carry
  card numbers;
- the vpcd virtual-reader driver is installed or configured: vpcd listens on all
  interfaces, so anyone on the outlet network could play "the card" and read the PIN
  VERIFY APDU (see docs/pcsc.md). Where to look is configurable
  (``security.reader_conf_dir``, ``security.pcsc_driver_dir``) so tests can point at a
  scratch tree; on a terminal the defaults are Debian's paths;
- the terminal is not provisioned: its id is the demo's (``T-DEMO-0001``) or its central
  service is the demo's sandbox on loopback (the shipped defaults). A fresh install used
  to show the start screen with them and report every heartbeat as "offline".

The session runner (kiosk/system/session.py) runs the same checks before it starts the
app and puts the refusal on the out-of-service screen as well as in the journal.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from kiosk.config import CentralSection, KioskSection, Settings
from kiosk.errors import CliError

# The shipped defaults are the demo's: its terminal id, its sandbox on loopback.
DEMO_TERMINAL_ID = KioskSection.terminal_id
DEMO_CENTRAL_URL = CentralSection.base_url
VPCD_MARKERS = ("libifdvpcd", "vpcd")


class ProductionError(CliError):
    """A reason this terminal must not start in production; ``str()`` is one line,
    exit status 2 (like a configuration error)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 2)


def check_secrets(settings: Settings) -> None:
    """The secrets file must exist (its content is checked by ``load_secrets``)."""
    path = settings.path(settings.security.secrets_file)
    if not path.exists():
        raise ProductionError(
            f"production: the secrets file {path} is missing "
            "(fill it in from /etc/kiosk/secrets.toml.template: owner kiosk, mode 0400)")


def is_loopback(host: str) -> bool:
    """True for ``localhost`` or a loopback address (127.0.0.0/8, ::1), parsed as an
    address: ``127.attacker.example`` is a name anyone's DNS can point anywhere."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_central(settings: Settings) -> None:
    """Plain HTTP only to a loopback address (a local relay), never across a network."""
    url = urlsplit(settings.central.base_url)
    host = url.hostname or ""
    if url.scheme != "https" and not is_loopback(host):
        raise ProductionError(
            f"production: central.base_url {url.scheme}://{host} is plain HTTP on a "
            "network address: use https://")


def _port(url: str) -> int | None:
    parts = urlsplit(url)
    try:
        return parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:   # a port out of range: not the demo's, check_central judges it
        return None


def check_provisioned(settings: Settings) -> None:
    """Not the demo's terminal id, not the demo's sandbox (any loopback name, its port):
    both mean kiosk-provision was never run on this terminal."""
    if settings.kiosk.terminal_id == DEMO_TERMINAL_ID:
        raise ProductionError(
            f"production: kiosk.terminal_id is the demo's ({DEMO_TERMINAL_ID}): this "
            "terminal is not provisioned (run kiosk-provision)")
    url = settings.central.base_url
    if (is_loopback(urlsplit(url).hostname or "")
            and _port(url) == _port(DEMO_CENTRAL_URL)):
        raise ProductionError(
            f"production: central.base_url {url} is the demo's sandbox: this terminal is "
            "not provisioned (run kiosk-provision)")


def vpcd_traces(reader_conf_dir: Path, driver_dir: Path) -> list[Path]:
    """Files showing that the vpcd driver is configured or installed."""
    found: list[Path] = []
    if reader_conf_dir.is_dir():
        for conf in sorted(reader_conf_dir.iterdir()):
            try:
                text = conf.read_text(encoding="utf-8", errors="replace") if conf.is_file() else ""
            except OSError:
                text = ""
            if conf.name == "vpcd" or "libifdvpcd" in text:
                found.append(conf)
    if driver_dir.is_dir():
        found.extend(sorted(p for p in driver_dir.rglob("*")
                            if any(p.name.startswith(m) or p.name.startswith("ifd-" + m)
                                   for m in VPCD_MARKERS)))
    return found


def check_no_vpcd(settings: Settings) -> None:
    """Refuse while any trace of the vpcd driver is on the machine."""
    traces = vpcd_traces(Path(settings.security.reader_conf_dir),
                         Path(settings.security.pcsc_driver_dir))
    if traces:
        raise ProductionError(
            f"production: the vpcd virtual-reader driver is present ({traces[0]}): "
            "remove it (apt-get purge vsmartcard-vpcd), it listens on the network")


def check_production(settings: Settings) -> None:
    """All start-up checks, cheapest first; raise :class:`ProductionError` on the first."""
    check_secrets(settings)
    check_central(settings)
    check_provisioned(settings)
    check_no_vpcd(settings)


def settings_for_run(settings: Settings, demo: bool) -> Settings:
    """The settings ``kiosk run`` goes on with: demo when asked for (``--demo`` or
    ``kiosk.demo = true``), else production, checked here before anything starts."""
    if demo or settings.kiosk.demo:
        # Children (helpers started by the demo) see the same mode as this process.
        os.environ["KIOSK__KIOSK__DEMO"] = "true"
        return replace(settings, kiosk=replace(settings.kiosk, demo=True))
    check_production(settings)
    return settings
