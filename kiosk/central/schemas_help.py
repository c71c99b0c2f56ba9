"""The staff call (一键呼叫) in the ``/v1`` contract: a cardholder asks for help at the
terminal, staff acknowledge, the terminal says that someone is coming.

``POST /v1/help/request`` — the terminal's call. It holds **no personal data**: the
terminal (also the signer), its outlet, the screen's step (a code such as
``pre_loss_cards``), the terminal's clock and a ``request_id`` the terminal chose. A
repeat with the same ``request_id`` answers the same ticket (safe to retry); another
terminal's ``request_id`` is refused (403).

``POST /v1/help/status`` — the terminal asks how its call stands, every
``access.help_poll_seconds`` while the cardholder waits. ``acknowledged`` means staff
said, on the staff page or with ``kiosk fleet ack``, that they are on their way.

Both are signed like every ``/v1`` call, and their answers are signed by the service.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import Field

from kiosk.central.schemas import _Model, _Response
from kiosk.central.schemas_fleet import CODE_PATTERN, TerminalId

REQUEST_ID_PATTERN = r"^[0-9a-f]{32}$"
OUTLET_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"

RequestId = Annotated[str, Field(pattern=REQUEST_ID_PATTERN, min_length=32, max_length=32,
                                 description="chosen by the terminal (uuid4 hex)")]
Outlet = Annotated[str, Field(pattern=OUTLET_PATTERN, max_length=40,
                              description="the outlet's code: which staff page shows it")]
Step = Annotated[str, Field(pattern=CODE_PATTERN, max_length=40,
                            description="the screen the cardholder was on (a code)")]


class HelpPath(StrEnum):
    """The staff call's operations (POST, signed)."""

    REQUEST = "/v1/help/request"
    STATUS = "/v1/help/status"


class HelpState(StrEnum):
    """Where a call stands."""

    WAITING = "waiting"            # received, no one has answered yet
    ACKNOWLEDGED = "acknowledged"  # staff are on their way


class HelpRequest(_Model):
    """A cardholder pressed "call staff" (no personal data: see the module doc)."""

    terminal_id: TerminalId
    request_id: RequestId
    outlet: Outlet
    step: Step
    at: dt.datetime = Field(description="the terminal's clock when it was pressed (UTC)")


class HelpStatusRequest(_Model):
    """How does my call stand?"""

    terminal_id: TerminalId
    request_id: RequestId


class HelpTicket(_Response):
    """A call as the centre holds it."""

    request_id: RequestId
    state: HelpState
    received_at: dt.datetime
    acknowledged_at: dt.datetime | None = None


HELP_OPERATIONS: dict[HelpPath, tuple[type[_Model], type[_Response]]] = {
    HelpPath.REQUEST: (HelpRequest, HelpTicket),
    HelpPath.STATUS: (HelpStatusRequest, HelpTicket),
}
