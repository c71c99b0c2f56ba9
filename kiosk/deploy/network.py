"""Where kiosk.service may connect: the unit says ``IPAddressDeny=any`` and allows
loopback; this writes the drop-in that allows the rest, from the terminal's own config
(kiosk-provision and every package configure run it):

- the central service's addresses (``central.base_url``: an address, or a name resolved
  now) and, for a name, the name servers of ``/etc/resolv.conf`` that resolve it;
- a network printer's address (``printer.kind = "network"``);
- whatever the site lists in ``/etc/kiosk/network-allow`` (one address or prefix a line,
  e.g. the province network's range when the centre's address may change).

A name is resolved when the drop-in is written: when the centre's address changes, run
``kiosk-provision --network`` again (docs/deploying.md).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from kiosk.config import Settings
from kiosk.deploy.layout import Layout

DROPIN = "50-network.conf"
Resolver = Callable[[str], list[str]]


def resolve(host: str) -> list[str]:
    """Every address ``host`` resolves to now ([] when it does not)."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return []
    return sorted({str(info[4][0]) for info in infos})


def _address(text: str) -> str | None:
    """``text`` as a normalised address or prefix, or None."""
    try:
        return str(ipaddress.ip_network(text.strip(), strict=False))
    except ValueError:
        return None


def name_servers(resolv_conf: Path) -> list[str]:
    """The ``nameserver`` addresses of a resolv.conf (loopback ones need nothing)."""
    try:
        lines = resolv_conf.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "nameserver" and (a := _address(parts[1])):
            out.append(a)
    return out


@dataclass
class Allowed:
    """What the drop-in allows, and what could not be resolved (said, not hidden)."""

    addresses: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)

    def add(self, address: str) -> None:
        """Allow ``address`` (a loopback one needs nothing: the unit allows it)."""
        if not ipaddress.ip_network(address).is_loopback and address not in self.addresses:
            self.addresses.append(address)


def allowed(settings: Settings, layout: Layout, resolver: Resolver = resolve) -> Allowed:
    """The addresses kiosk.service may reach beyond loopback."""
    out = Allowed()
    hosts = [urlsplit(settings.central.base_url).hostname or ""]
    if settings.printer.kind == "network" and settings.printer.target:
        hosts.append(settings.printer.target.rsplit(":", 1)[0].strip("[]"))
    named = False
    for host in filter(None, hosts):
        literal = _address(host)
        if literal:
            out.add(literal)
            continue
        found = resolver(host)
        named = named or host != "localhost"
        if not found:
            out.unresolved.append(host)
        for a in found:
            out.add(str(ipaddress.ip_network(a)))
    if named:
        for server in name_servers(layout.p("/etc/resolv.conf")):
            out.add(server)
    extra = layout.etc / "network-allow"
    if extra.exists():
        for line in extra.read_text(encoding="utf-8").splitlines():
            text = line.split("#", 1)[0].strip()
            if text:
                address = _address(text)
                if address is None:
                    raise ValueError(f"{extra}: {text[:60]!r} is not an address or prefix")
                out.add(address)
    return out


def dropin_text(allow: Allowed) -> str:
    """The drop-in's text for ``allow``."""
    lines = ["# Written from /etc/kiosk (kiosk/deploy/network.py): do not edit. Change",
             "# central.base_url or /etc/kiosk/network-allow, then: kiosk-provision --network",
             "[Service]"]
    if allow.unresolved:
        lines.insert(2, f"# not resolved when written: {' '.join(allow.unresolved)}")
    if allow.addresses:
        lines.append(f"IPAddressAllow={' '.join(allow.addresses)}")
    return "\n".join(lines) + "\n"


def write_dropin(settings: Settings, layout: Layout, resolver: Resolver = resolve) -> Allowed:
    """Write ``kiosk.service.d/50-network.conf``; what it allows."""
    allow = allowed(settings, layout, resolver)
    layout.dropins.mkdir(parents=True, exist_ok=True)
    path = layout.dropins / DROPIN
    tmp = path.with_suffix(".tmp")
    tmp.write_text(dropin_text(allow), encoding="utf-8")
    tmp.chmod(0o644)
    tmp.replace(path)
    return allow
