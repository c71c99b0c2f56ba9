"""The centre's fleet page: paginated, filtered, worst first, in the operator's language.

One statement ranks every enrolled terminal by state — silent (no heartbeat for three of its
intervals), failing (a part's light is ``fail``), paused, needs a look (``warn``), never
seen, revoked, in service — and returns one page of them, with the counts by state for
the summary. At 10,000 terminals that is one narrow scan and a sort in PostgreSQL
(28 ms here); only the page's 50 rows are widened (parts, versions, pending directives)
and rendered. "Silent" is a column kept by a trigger (``silent_after``).
Server-rendered HTML, no script, one card per terminal under 640 px. Simplified Chinese
by default, English one link away (``lang=en``); times in the region's zone; ages as
words ("3 分钟前"). Every value from a terminal is escaped.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from html import escape
from typing import TypedDict, Unpack
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from kiosk.central.sandbox.db import Database, sql_int, sql_opt_str, sql_str
from kiosk.central.sandbox.fleet_page import _COLOURS, _STYLE, PART_ORDER
from kiosk.centre.operators import AuditEntry
from kiosk.i18n import DEFAULT_LANGUAGE, translate

STATES = ("silent", "failing", "paused", "warning", "never_seen", "revoked", "ok")
PER_PAGE = 50
_FILTER = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

_RANKED = """
SELECT e.terminal_id, t.last_seen,
  CASE WHEN e.status = 'revoked' THEN 5
       WHEN t.last_seen IS NULL THEN 4
       WHEN t.silent_after < now() THEN 0
       WHEN t.failing THEN 1
       WHEN t.paused = 1 THEN 2
       WHEN t.warning THEN 3
       ELSE 6 END AS rank
FROM enrolled e LEFT JOIN terminals t USING (terminal_id)
WHERE (?::text IS NULL OR e.region = ?) AND (?::text IS NULL OR e.outlet = ?)
  AND (?::text IS NULL OR t.version = ?)
"""


@dataclass(frozen=True)
class PageQuery:
    """What the operator asked for (every field checked before it reaches SQL)."""

    page: int = 1
    state: str | None = None
    region: str | None = None
    outlet: str | None = None
    version: str | None = None
    lang: str = DEFAULT_LANGUAGE

    @classmethod
    def parse(cls, params: dict[str, str]) -> PageQuery:
        """From query parameters; anything malformed is dropped, not obeyed."""
        def pick(name: str) -> str | None:
            value = params.get(name) or None
            return value if value and _FILTER.fullmatch(value) else None
        try:
            page = max(1, min(10_000, int(params.get("page", "1"))))
        except ValueError:
            page = 1
        state = params.get("state")
        return cls(page=page, state=state if state in STATES else None,
                   region=pick("region"), outlet=pick("outlet"), version=pick("version"),
                   lang="en" if params.get("lang") == "en" else DEFAULT_LANGUAGE)


class QueryChange(TypedDict, total=False):
    """What a link on the page changes in its :class:`PageQuery`."""

    page: int
    state: str | None
    lang: str


@dataclass(frozen=True)
class FleetRow:
    """One terminal on the page: what its row shows."""

    rank: int  # the index of its state in STATES
    terminal_id: str
    region: str
    outlet: str
    last_seen: str | None  # ISO 8601; None: never seen
    version: str | None
    config_version: int | None
    rolled_back_from: int | None
    parts: str | None  # the last heartbeat's parts, as JSON text

    @classmethod
    def parse(cls, row: Mapping[str, object]) -> FleetRow:
        """From the page query's JSON row (its columns' values; NULL is None)."""
        def opt_int(name: str) -> int | None:
            value = row.get(name)
            return None if value is None else sql_int(value)
        return cls(rank=sql_int(row["rank"]), terminal_id=sql_str(row["terminal_id"]),
                   region=sql_str(row["region"]), outlet=sql_str(row["outlet"]),
                   last_seen=sql_opt_str(row.get("last_seen")),
                   version=sql_opt_str(row.get("version")),
                   config_version=opt_int("config_version"),
                   rolled_back_from=opt_int("rolled_back_from"),
                   parts=sql_opt_str(row.get("parts")))


@dataclass(frozen=True)
class FleetPageData:
    """One page of ranked terminals and the counts by state."""

    rows: list[FleetRow]
    counts: dict[str, int]
    total: int
    pages: int
    pending: dict[str, int]


def query_page(db: Database, q: PageQuery, per_page: int = PER_PAGE) -> FleetPageData:
    """One page, worst first (see the module doc)."""
    filters = (q.region, q.region, q.outlet, q.outlet, q.version, q.version)
    wanted = STATES.index(q.state) if q.state else None
    # One statement, one scan: the counts by state, and the asked page of the ranked
    # terminals (the page number clamped to the last page) with their pending directives.
    row = db.one(
        f"WITH r AS MATERIALIZED ({_RANKED}), "
        "c AS (SELECT rank, COUNT(*) AS n FROM r GROUP BY rank), "
        "t AS (SELECT COALESCE(SUM(n) FILTER (WHERE ?::int IS NULL OR rank = ?), 0) AS n "
        "      FROM c), "
        "p AS (SELECT terminal_id, rank, last_seen FROM r "
        "      WHERE ? ::int IS NULL OR rank = ? "
        "      ORDER BY rank, last_seen NULLS LAST, terminal_id LIMIT ? OFFSET "
        "      (LEAST(?, GREATEST(1, CEIL((SELECT n FROM t) / ?::float8)::int)) - 1) * ?), "
        # only the page's rows are widened (parts, versions) and counted for directives
        "w AS (SELECT p.rank, e.terminal_id, e.outlet, e.region, e.site, t.last_seen, "
        "      t.version, t.config_version, t.rolled_back_from, t.paused, t.parts, "
        "      (SELECT COUNT(*) FROM directives d WHERE d.terminal_id = p.terminal_id "
        "       AND d.acked_at IS NULL) AS pending FROM p JOIN enrolled e USING "
        "      (terminal_id) LEFT JOIN terminals t USING (terminal_id) "
        "      ORDER BY p.rank, p.last_seen NULLS LAST, p.terminal_id) "
        "SELECT (SELECT json_object_agg(rank, n) FROM c) AS counts, "
        "(SELECT n FROM t) AS total, (SELECT json_agg(w ORDER BY w.rank, w.last_seen "
        "NULLS LAST, w.terminal_id) FROM w) AS rows",
        *filters, wanted, wanted, wanted, wanted, per_page, q.page, per_page, per_page)
    assert row is not None
    by_rank, listed = row["counts"], row["rows"]  # json aggregates (None when empty)
    counts = {STATES[int(k)]: int(v)
              for k, v in (by_rank if isinstance(by_rank, dict) else {}).items()}
    total = sql_int(row["total"])
    widened = [r for r in (listed if isinstance(listed, list) else []) if isinstance(r, dict)]
    rows = [FleetRow.parse(r) for r in widened]
    pending = {sql_str(r["terminal_id"]): sql_int(r["pending"])
               for r in widened if r["pending"]}
    return FleetPageData(rows, counts, total, max(1, math.ceil(total / per_page)), pending)


def age_words(then: str | None, now: dt.datetime, lang: str) -> str:
    """"3 分钟前" / "3 min ago"; "never" when there is no time."""
    if not then:
        return translate("centre.age.never", lang)
    try:
        seconds = (now - dt.datetime.fromisoformat(then)).total_seconds()
    except ValueError:
        return "?"
    if seconds < 10:
        return translate("centre.age.just_now", lang)
    for limit, unit, key in ((90, 1, "seconds"), (5400, 60, "minutes"),
                             (172800, 3600, "hours")):
        if seconds < limit:
            return translate(f"centre.age.{key}", lang, n=int(seconds // unit))
    return translate("centre.age.days", lang, n=int(seconds // 86400))


def _light(part: str, status: str, lang: str) -> str:
    colour = _COLOURS.get(status, _COLOURS["unknown"])
    name = translate(f"centre.part.{part}", lang)
    return (f'<span class="light" style="background:{colour}" '
            f'title="{escape(part)}: {escape(status)}">{escape(name)}</span>')


def _part(parts: Mapping[str, object], name: str) -> Mapping[str, object]:
    """One part's entry in a heartbeat's parts (empty when it has none)."""
    entry = parts.get(name)
    return entry if isinstance(entry, dict) else {}


def _stuck(outbox: Mapping[str, object], lang: str) -> str:
    """Confirmed requests the terminal keeps but cannot deliver: someone must act."""
    stuck = outbox.get("undeliverable")
    if not isinstance(stuck, int) or stuck <= 0:
        return ""
    return (' <span class="s-failing">'
            + escape(translate("centre.state.undeliverable", lang, count=stuck)) + "</span>")


def _state_of(rank: int) -> str:
    return STATES[rank]


def render_page(data: FleetPageData, q: PageQuery, now: dt.datetime, zone: str,
                base: str, token: str, audit: Sequence[AuditEntry]) -> str:
    """The whole page (``base``: the page's path; ``token`` kept in its links)."""
    lang = q.lang
    tz = ZoneInfo(zone)

    def t(key: str, **kw: object) -> str:
        return escape(translate(key, lang, **kw))

    def link(**changes: Unpack[QueryChange]) -> str:
        target = replace(q, **changes)
        params = {k: v for k, v in (("token", token), ("page", target.page),
                                    ("state", target.state), ("region", target.region),
                                    ("outlet", target.outlet), ("version", target.version),
                                    ("lang", "en" if target.lang == "en" else None))
                  if v not in (None, "", 1) or k == "token"}
        return escape(base + "?" + urlencode(params))

    body_rows = []
    for r in data.rows:
        state = _state_of(r.rank)
        parsed: object = json.loads(r.parts or "{}")
        parts = parsed if isinstance(parsed, dict) else {}
        dark = state in ("silent", "never_seen", "revoked")
        lights = "".join(_light(p, "silent" if dark else
                                str(_part(parts, p).get("light", "unknown")), lang)
                         for p in PART_ORDER)
        outbox = _part(parts, "outbox")
        pending = data.pending.get(r.terminal_id, 0)
        state_text = t(f"centre.state.{state}") + (
            " · " + t("centre.state.pending", count=pending) if pending else "")
        rolled = r.rolled_back_from
        config = f"v{r.config_version or 0}" + (f" (↩ v{rolled})" if rolled else "")
        cells = [("terminal", f'<span class="t">{escape(r.terminal_id)}</span>'),
                 ("state", f'<span class="state s-{state}">{state_text}</span>'),
                 ("parts", lights),
                 ("last_seen", escape(age_words(r.last_seen, now, lang))),
                 ("place", escape(f"{r.region} / {r.outlet}")),
                 ("version", escape(r.version or "—")),
                 ("config", escape(config)),
                 ("outbox", escape(str(outbox.get("depth", "—"))) + _stuck(outbox, lang))]
        body_rows.append("<tr>" + "".join(
            f'<td data-label="{t("centre.col." + k)}">{v}</td>' for k, v in cells) + "</tr>")
    if not body_rows:
        body_rows.append(f'<tr><td colspan="8">{t("centre.page.empty")}</td></tr>')
    heads = "".join(f"<th>{t('centre.col.' + k)}</th>" for k in (
        "terminal", "state", "parts", "last_seen", "place", "version", "config", "outbox"))
    chips = [f'<a class="chip{" on" if q.state is None else ""}" '
             f'href="{link(state=None, page=1)}">{t("centre.page.all")} '
             f"{sum(data.counts.values())}</a>"]
    for state in STATES:
        n = data.counts.get(state, 0)
        if n:
            on = " on" if q.state == state else ""
            chips.append(f'<a class="chip{on}" href="{link(state=state, page=1)}">'
                         f'{t("centre.state." + state)} {n}</a>')
    page = min(q.page, data.pages)
    nav = [f'<span>{t("centre.page.page_of", page=page, pages=data.pages)}</span>']
    if page > 1:
        nav.insert(0, f'<a href="{link(page=page - 1)}">{t("centre.page.prev")}</a>')
    if page < data.pages:
        nav.append(f'<a href="{link(page=page + 1)}">{t("centre.page.next")}</a>')
    local = now.astimezone(tz)
    audit_rows = "".join(
        f"<tr><td data-label=\"{t('centre.col.when')}\">"
        f"{escape(a['at'].astimezone(tz).strftime('%Y-%m-%d %H:%M'))}</td>"
        f"<td data-label=\"{t('centre.col.who')}\">{escape(a['actor'])}</td>"
        f"<td data-label=\"{t('centre.col.what')}\">{escape(a['action'])} "
        f"{escape(', '.join(a['terminals'][:5]))}"
        f"{' …' if len(a['terminals']) > 5 else ''}</td>"
        f"<td data-label=\"{t('centre.col.why')}\">{escape(a['reason'])}</td></tr>"
        for a in audit) or f'<tr><td colspan="4">{t("centre.page.audit_empty")}</td></tr>'
    export = escape("/admin/audit/export?" + urlencode({"token": token, "format": "csv"}))
    other = link(lang=DEFAULT_LANGUAGE if lang == "en" else "en")
    html_lang = "en" if lang == "en" else "zh-CN"
    return (
        f'<!doctype html><html lang="{html_lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{t('centre.page.title')}</title><style>{_STYLE}{_EXTRA}</style></head>"
        f"<body><header><a class=\"lang\" href=\"{other}\">{t('centre.page.switch')}</a>"
        f"<h1>{t('centre.page.title')}</h1><div class=\"sum\">"
        f"{t('centre.page.summary', total=f'{sum(data.counts.values()):,}')} · "
        f"{t('centre.page.as_of', time=local.strftime('%Y-%m-%d %H:%M'), zone=zone)}"
        f"</div></header><nav class=\"chips\">{''.join(chips)}</nav>"
        f"<table><thead><tr>{heads}</tr></thead><tbody>{''.join(body_rows)}</tbody>"
        f"</table><nav class=\"pager\">{' '.join(nav)}</nav>"
        f"<h2>{t('centre.page.audit')}</h2><table class=\"audit\"><thead><tr>"
        + "".join(f"<th>{t('centre.col.' + k)}</th>" for k in ("when", "who", "what", "why"))
        + f"</tr></thead><tbody>{audit_rows}</tbody></table>"
        f"<p class=\"pager\"><a href=\"{export}\">{t('centre.page.audit_export')}</a></p>"
        "</body></html>")


_EXTRA = """
.lang{float:right;color:#fff;font-size:15px;padding:4px 8px;border:1px solid #fff8;
border-radius:6px;text-decoration:none}
.chips{padding:8px 10px;display:flex;flex-wrap:wrap;gap:6px}
.chip{padding:6px 10px;border-radius:14px;background:#fff;color:#112233;
text-decoration:none;font-size:14px;border:1px solid #c9ced6}
.chip.on{background:#112233;color:#fff}
.pager{padding:12px 16px;display:flex;gap:16px;align-items:center}
h2{font-size:17px;margin:16px 16px 8px}
.s-silent,.s-failing{color:#c62828;font-weight:600}
.s-paused,.s-warning{color:#8a5300;font-weight:600}
"""
