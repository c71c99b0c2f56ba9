"""The terminal's own ``/etc/kiosk/kiosk.toml``, edited in place: the install writes it
once from the release's ``config/kiosk.toml`` (production paths), kiosk-provision sets
this terminal's values in it. Comments and the operator's other edits stay."""

from __future__ import annotations

import json
import re

from kiosk.deploy.layout import Layout

HEADER = "# This terminal's settings: written once by the kiosk package, then the site's own\n" \
         "# (kiosk-provision sets terminal_id, base_url, site and hotline here).\n"


def literal(value: str | bool | int) -> str:
    """A TOML literal for a string, boolean or integer."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False)   # a TOML basic string


def set_value(text: str, section: str, key: str, value: str | bool | int) -> str:
    """``text`` with ``key = value`` in ``[section]``: the existing line replaced (its
    comment kept), else added under the section header, else a new section at the end."""
    new = f"{key} = {literal(value)}"
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines)
                  if line.strip() == f"[{section}]"), None)
    if start is None:
        sep = "" if not text or text.endswith("\n") else "\n"
        return f"{text}{sep}\n[{section}]\n{new}\n"
    end = next((i for i in range(start + 1, len(lines))
                if lines[i].lstrip().startswith("[")), len(lines))
    pattern = re.compile(rf"^(\s*){re.escape(key)}\s*=\s*(?:\"(?:[^\"\\]|\\.)*\"|[^#\n]*?)"
                         rf"(\s*(#.*)?)$")
    for i in range(start + 1, end):
        m = pattern.match(lines[i].rstrip("\n"))
        if m:
            comment = m.group(2) or ""
            lines[i] = f"{m.group(1)}{new}{comment}\n"
            return "".join(lines)
    lines.insert(start + 1, new + "\n")
    return "".join(lines)


def production_config(shipped: str, layout: Layout) -> str:
    """The release's ``config/kiosk.toml`` made this terminal's: production mode, the
    terminal's data, log and secrets paths (under the layout's root)."""
    text = shipped
    for section, key, value in (("kiosk", "demo", False),
                                ("kiosk", "data_dir", str(layout.state)),
                                ("kiosk", "log_dir", str(layout.logs)),
                                ("security", "secrets_file", str(layout.secrets))):
        text = set_value(text, section, key, value)
    return HEADER + text
