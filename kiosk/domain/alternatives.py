"""Where else a cardholder can go while this terminal is paused: a fixed vocabulary.

The centre picks one of these keys (``fleet.alternative`` in an overlay); the words are in
the kiosk's catalogs (``fleet.alternatives.<key>``, both languages), so nothing the centre
sends is shown as text. ``site`` shows the site's own words from the LOCAL config
(``fleet.alternative_zh`` / ``fleet.alternative_en``), written at install, never from afar;
``none`` shows nothing.
"""

from __future__ import annotations

from enum import StrEnum


class Alternative(StrEnum):
    """The nearest other place to go, as a catalog key."""

    SITE = "site"
    NONE = "none"
    NEAREST_OUTLET = "nearest_outlet"
    STAFFED_COUNTER = "staffed_counter"
    INSURANCE_DESK = "insurance_desk"
    OTHER_TERMINAL = "other_terminal"


# The keys whose words are in the catalogs (the others are the site's words, or nothing).
CATALOG_ALTERNATIVES = tuple(a for a in Alternative
                             if a not in (Alternative.SITE, Alternative.NONE))
