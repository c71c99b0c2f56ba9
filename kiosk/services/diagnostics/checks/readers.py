"""The PC/SC readers: service up, readers present, card present, ATR."""

from __future__ import annotations

from typing import Any

from kiosk.services.diagnostics.context import DiagnosticsContext
from kiosk.services.diagnostics.model import CheckResult, CheckStatus


def pcsc_snapshot() -> list[dict[str, Any]]:
    """A short-lived PC/SC query: each reader's name, card present, ATR (hex).
    Raises ``CardError`` (service_down …) when pcscd cannot be reached."""
    from smartcard import scard

    from kiosk.devices.pcsc import PcscContext

    ctx = PcscContext()
    try:
        names = ctx.list_readers()
        if not names:
            return []
        states = ctx.get_status_change(0, [(n, scard.SCARD_STATE_UNAWARE) for n in names])
        return [{"reader": st.name, "card_present": st.present,
                 "atr": st.atr.hex().upper() if st.present else ""}
                for st in (states or [])]
    finally:
        ctx.release()


def _from_hub(hub: Any) -> list[dict[str, Any]]:
    """Readers from the running app's CardHub snapshot (no second PC/SC client)."""
    from kiosk.devices.pcsc import CardError, CardErrorKind

    snap = hub.snapshot()
    if isinstance(snap, dict) and snap.get("service") == "down":
        raise CardError(CardErrorKind.service_down, "card hub reports pcscd down")
    readers = snap.get("readers") if isinstance(snap, dict) else getattr(snap, "readers", None)
    out = []
    for r in readers or []:
        get = r.get if isinstance(r, dict) else (lambda k, _r=r: getattr(_r, k, None))
        atr = get("atr") or ""
        out.append({"reader": get("name") or get("reader"),
                    "card_present": bool(get("card_present")),
                    "atr": atr.hex().upper() if isinstance(atr, bytes) else str(atr)})
    return out


def check_readers(ctx: DiagnosticsContext) -> CheckResult:
    """Fail when pcscd is down, no reader is connected, or the configured SSC reader is
    missing; otherwise list the readers."""
    from kiosk.devices.pcsc import CardError

    try:
        readers = _from_hub(ctx.card_hub) if ctx.card_hub is not None else pcsc_snapshot()
    except CardError as exc:
        key = ("diagnostics.readers.service_down" if exc.kind == "service_down"
               else "diagnostics.readers.error")
        return CheckResult("readers", CheckStatus.FAIL, key,
                           {"error": str(exc.kind), "count": 0, "readers": []})
    wanted = ctx.settings.cards.ssc_reader
    details = {"count": len(readers), "readers": readers, "ssc_reader": wanted,
               "cards_present": sum(1 for r in readers if r["card_present"])}
    if not readers:
        return CheckResult("readers", CheckStatus.FAIL, "diagnostics.readers.none", details)
    if wanted and not any(wanted in (r["reader"] or "") for r in readers):
        return CheckResult("readers", CheckStatus.FAIL, "diagnostics.readers.ssc_missing",
                           details)
    return CheckResult("readers", CheckStatus.OK, "diagnostics.readers.ok", details)
