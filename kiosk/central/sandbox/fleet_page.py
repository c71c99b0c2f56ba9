"""The read-only fleet page: one row per terminal with its lights, last seen, version
and outbox depth. Server-rendered HTML, no script, readable on a phone (one column of
cards under 640 px, a table above). Every value is escaped: a terminal's words are
hostile until shown.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from html import escape

from kiosk.central.sandbox.help_page import render_help_block

PART_ORDER = ("readers", "id_reader", "printer", "speech", "disk", "clock", "outbox",
              "technician")
_COLOURS = {"ok": "#1b7f3a", "warn": "#b36b00", "fail": "#c62828", "unknown": "#6b6b6b",
            "silent": "#6b6b6b"}
_STYLE = """
body{font:16px/1.4 system-ui,'Noto Sans CJK SC',sans-serif;margin:0;background:#f4f5f7;
color:#1c1c1c}
header{background:#112233;color:#fff;padding:12px 16px}
h1{font-size:20px;margin:0}
.sum{font-size:14px;opacity:.85}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{padding:8px 10px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
th{font-size:13px;color:#555555}
.light{display:inline-block;min-width:18px;padding:2px 6px;margin:1px;border-radius:10px;
color:#fff;font-size:12px}
.t{font-weight:600}
.state{font-size:13px}
.help{background:#fff3f3;border-bottom:3px solid #c62828;padding:4px 0 8px}
.help h2{font-size:18px;margin:8px 16px;color:#8c1b13}
.call{margin:8px 12px;padding:10px 12px;border-radius:8px;background:#fff;
border-left:8px solid #c62828}
.call .t{font-weight:700}
@media (max-width:640px){
 table,tbody,tr,td{display:block;width:auto}
 thead{display:none}
 tr{margin:10px;border-radius:8px;background:#fff;box-shadow:0 1px 3px rgba(0,0,0,.13)}
 td{border:0;padding:4px 12px}
 td::before{content:attr(data-label) ': ';color:#666666;font-size:13px}
}
"""


def _light(name: str, status: str) -> str:
    colour = _COLOURS.get(status, _COLOURS["unknown"])
    return (f'<span class="light" style="background:{colour}" '
            f'title="{escape(name)}: {escape(status)}">{escape(name)}</span>')


def _ago(then: str | None, now: dt.datetime) -> tuple[str, float]:
    if not then:
        return "never", float("inf")
    try:
        seconds = (now - dt.datetime.fromisoformat(then)).total_seconds()
    except ValueError:
        return "?", float("inf")
    if seconds < 90:
        return f"{max(0, int(seconds))} s ago", seconds
    if seconds < 5400:
        return f"{int(seconds // 60)} min ago", seconds
    return f"{int(seconds // 3600)} h ago", seconds


def _mapping(value: object) -> Mapping[str, object]:
    """A JSON object of the register, or empty for anything else (a part not reported)."""
    return value if isinstance(value, dict) else {}


def _number(value: object) -> float | None:
    """A number of the register (None when absent or not a number)."""
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _row(t: Mapping[str, object], now: dt.datetime) -> tuple[str, str]:
    last_seen = t.get("last_seen")
    seen, age = _ago(last_seen if isinstance(last_seen, str) else None, now)
    silent = age > 3 * (_number(t.get("heartbeat_seconds")) or 60)
    parts = _mapping(t.get("parts"))
    lights = "".join(_light(p, "silent" if silent else
                            str(_mapping(parts.get(p)).get("light", "unknown")))
                     for p in PART_ORDER)
    outbox = _mapping(parts.get("outbox"))
    depth = outbox.get("depth", "?")
    oldest = _number(outbox.get("oldest_age_seconds"))
    outbox_text = f"{depth}" + (f" (oldest {int(oldest)} s)" if oldest else "")
    stuck = outbox.get("undeliverable")
    if isinstance(stuck, int) and stuck > 0:  # kept but not deliverable: someone must act
        outbox_text += f" · {stuck} undeliverable"
    directives = t.get("directives")
    pending = [d for d in (directives if isinstance(directives, list) else [])
               if _mapping(d).get("state") == "pending"]
    if silent:
        state = "silent"
    elif t.get("paused"):
        state = "paused"
    else:
        state = "in service"
    if pending:
        state += f" · {len(pending)} pending"
    rolled = _number(t.get("rolled_back_from"))
    config = f"v{int(_number(t.get('config_version')) or 0)}" + (
        f" (rolled back v{int(rolled)})" if rolled else "")
    cells = [("Terminal", f'<span class="t">{escape(str(t["terminal_id"]))}</span>'),
             ("State", f'<span class="state">{escape(state)}</span>'),
             ("Parts", lights),
             ("Last seen", escape(seen)),
             ("Version", escape(str(t.get("version") or "?"))),
             ("Config", escape(config)),
             ("Outbox", escape(outbox_text))]
    html = "<tr>" + "".join(f'<td data-label="{label}">{value}</td>'
                            for label, value in cells) + "</tr>"
    return html, state.split(" ·")[0]


def render_fleet_page(terminals: Sequence[Mapping[str, object]], now: dt.datetime,
                      help_calls: Sequence[Mapping[str, object]] | None = None) -> str:
    """The whole page for the register's ``terminals`` as of ``now``; unanswered staff
    calls (``help_calls``) in a block at the top."""
    rows: list[str] = []
    states: Counter[str] = Counter()
    for t in terminals:
        html, state = _row(t, now)
        rows.append(html)
        states[state] += 1
    summary = ", ".join(f"{n} {escape(s)}" for s, n in sorted(states.items())) or "none yet"
    body = "".join(rows) or ('<tr><td colspan="7">No terminal has sent a heartbeat '
                             'yet.</td></tr>')
    heads = "".join(f"<th>{h}</th>" for h in ("Terminal", "State", "Parts", "Last seen",
                                              "Version", "Config", "Outbox"))
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
            f"<title>Fleet</title><style>{_STYLE}</style></head><body>"
            f"<header><h1>Fleet · {len(terminals)} terminals</h1>"
            f"<div class=\"sum\">{summary} · as of "
            f"{escape(now.isoformat(timespec='seconds'))}</div></header>"
            f"{render_help_block(help_calls or [], now)}"
            f"<table><thead><tr>{heads}</tr></thead><tbody>{body}</tbody></table>"
            "</body></html>")
