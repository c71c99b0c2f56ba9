"""The staff call on the centre's pages: the per-outlet staff page (a phone at the
outlet: the unanswered calls, one big "I'm coming" button each) and the calls' block at
the top of the fleet page.

Server-rendered HTML, no script: the staff page reloads itself every
:data:`REFRESH_SECONDS`; its button is a form POST that answers with a redirect back
(a reload never acknowledges twice). Every value is escaped. Bilingual, Chinese first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from html import escape
from urllib.parse import quote

from kiosk.central.schemas_help import OUTLET_PATTERN

STAFF_PREFIX = "/staff"
REFRESH_SECONDS = 5
STAFF_PATH = re.compile(r"^/admin/fleet/staff/([^/]+)(/ack/[0-9a-f]{32})?$")

_STYLE = """
body{font:18px/1.45 system-ui,'Noto Sans CJK SC',sans-serif;margin:0;background:#f4f5f7;
color:#1c1c1c}
header{background:#112233;color:#fff;padding:12px 16px}
h1{font-size:22px;margin:0}
.sum{font-size:15px}
.call{margin:12px;padding:14px 16px;border-radius:10px;background:#fff;
box-shadow:0 1px 3px rgba(0,0,0,.15)}
.waiting{border-left:10px solid #c62828}
.acknowledged{border-left:10px solid #1b7f3a;color:#3a3a3a}
.t{font-weight:700;font-size:20px}
button{font:inherit;font-size:22px;font-weight:700;width:100%;min-height:64px;margin-top:10px;
border:0;border-radius:10px;background:#c62828;color:#fff}
.none{margin:16px}
"""


def staff_token(admin_token: str, outlet: str) -> str:
    """The token of one outlet's staff page (opens that page only)."""
    mac = hmac.new(admin_token.encode(), f"staff:{outlet}".encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def staff_path_outlet(method: str, path: str) -> str | None:
    """The outlet a staff-page request is for (GET the page, POST an ack), else None."""
    m = STAFF_PATH.match(path)
    if m is None or re.fullmatch(OUTLET_PATTERN, m.group(1)) is None:
        return None
    if (method == "GET" and m.group(2) is None) or (method == "POST" and m.group(2)):
        return m.group(1)
    return None


def waiting_seconds(call: Mapping[str, object], now: dt.datetime) -> float:
    """How long a call has waited (until its answer, or until ``now``)."""
    end = dt.datetime.fromisoformat(str(call["acknowledged_at"])) \
        if call.get("acknowledged_at") else now
    received = dt.datetime.fromisoformat(str(call["received_at"]))
    return max(0.0, (end - received).total_seconds())


def _ago(seconds: float) -> str:
    if seconds < 90:
        return f"{int(seconds)} 秒 / {int(seconds)} s"
    if seconds < 5400:
        return f"{int(seconds // 60)} 分钟 / {int(seconds // 60)} min"
    return f"{int(seconds // 3600)} 小时 / {int(seconds // 3600)} h"


def _call(call: Mapping[str, object], now: dt.datetime, action: str = "") -> str:
    waited = _ago(waiting_seconds(call, now))
    if call["state"] == "waiting":
        state = f"等待中 · waiting {waited}"
    else:
        state = f"已应答 · answered after {waited}"
    return (f'<div class="call {escape(str(call["state"]))}">'
            f'<div class="t">{escape(str(call["terminal_id"]))}</div>'
            f'<div>{escape(state)}</div>'
            f'<div>画面 Screen: {escape(str(call["step"]))} · 网点 Outlet: '
            f'{escape(str(call["outlet"]))}</div>{action}</div>')


def render_staff_page(outlet: str, calls: Sequence[Mapping[str, object]], now: dt.datetime,
                      token: str) -> str:
    """The staff page of ``outlet``: unanswered calls first, each with its button."""
    waiting = [c for c in calls if c["state"] == "waiting"]
    blocks = []
    for c in calls[:30]:
        action = ""
        if c["state"] == "waiting":
            url = (f"/admin/fleet{STAFF_PREFIX}/{quote(outlet, safe='')}/ack/"
                   f"{quote(str(c['request_id']), safe='')}?token={quote(token, safe='')}")
            action = (f'<form method="post" action="{escape(url)}">'
                      '<button type="submit">我这就去 · I\'m coming</button></form>')
        blocks.append(_call(c, now, action))
    body = "".join(blocks) or '<p class="none">没有求助 · No calls.</p>'
    return ("<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
            f"<meta http-equiv=\"refresh\" content=\"{REFRESH_SECONDS}\">"
            f"<title>求助 {len(waiting)} · Help</title><style>{_STYLE}</style></head><body>"
            f"<header><h1>工作人员求助 · Staff calls · {escape(outlet)}</h1>"
            f"<div class=\"sum\">{len(waiting)} 个等待中 · waiting · "
            f"{escape(now.isoformat(timespec='seconds'))}</div></header>"
            f"{body}</body></html>")


def render_help_block(calls: Sequence[Mapping[str, object]], now: dt.datetime) -> str:
    """The fleet page's top block: every unanswered call (none: nothing at all)."""
    waiting = [c for c in calls if c["state"] == "waiting"]
    if not waiting:
        return ""
    items = "".join(_call(c, now) for c in waiting)
    return (f'<section class="help"><h2>求助 · Help requested ({len(waiting)})</h2>'
            f"{items}</section>")
