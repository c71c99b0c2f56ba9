"""Vendor SDK adapter (ctypes) for certified ID readers: ``SDT_StartFindIDCard``,
``SDT_SelectIDCard``, ``SDT_ReadBaseMsg`` from the vendor's shared library
(``cards.id_sdk_library``, e.g. ``libsdtapi.so``).

Return codes: ``0x9F`` card found, ``0x90`` success, ``0x80``/``0x81`` no card / select
failed. ``SDT_ReadBaseMsg`` fills the 256-byte text block and the 1024-byte photo.
A missing library or function is reported as a ``no_reader`` :class:`CardError` naming
the setting to fix, never as a crash at import time.
"""

from __future__ import annotations

import ctypes
import datetime as dt

from kiosk.devices.idcard.text import TEXT_LEN, parse_text_block
from kiosk.devices.pcsc.errors import CardError, CardErrorKind
from kiosk.domain.models import IdCardData

USB_PORT = 1001  # SDT convention: 1001..1016 = USB readers
RC_FOUND, RC_OK = 0x9F, 0x90


class SdkIdReader:
    """:class:`~kiosk.devices.idcard.IdCardReader` over the vendor library."""

    def __init__(self, library: str, port: int = USB_PORT) -> None:
        self.port = port
        try:
            self._lib = ctypes.CDLL(library)
            self._find = self._lib.SDT_StartFindIDCard
            self._select = self._lib.SDT_SelectIDCard
            self._read = self._lib.SDT_ReadBaseMsg
        except (OSError, AttributeError) as exc:
            raise CardError(CardErrorKind.no_reader,
                            f"ID reader vendor library {library!r} not usable "
                            "(install it or change cards.id_sdk_library / cards.id_reader)"
                            ) from exc
        buf = ctypes.c_char_p
        self._find.argtypes = [ctypes.c_int, buf, ctypes.c_int]
        self._select.argtypes = [ctypes.c_int, buf, ctypes.c_int]
        self._read.argtypes = [ctypes.c_int, buf, ctypes.POINTER(ctypes.c_uint),
                               buf, ctypes.POINTER(ctypes.c_uint), ctypes.c_int]
        for fn in (self._find, self._select, self._read):
            fn.restype = ctypes.c_int

    def read(self, today: dt.date | None = None) -> IdCardData:
        info = ctypes.create_string_buffer(8)
        rc = self._find(self.port, info, 1)
        if rc != RC_FOUND:
            raise CardError(CardErrorKind.no_card, "no ID card on the reader", raw_code=rc)
        rc = self._select(self.port, info, 1)
        if rc != RC_OK:
            raise CardError(CardErrorKind.no_card, "ID card not selectable", raw_code=rc)
        text = ctypes.create_string_buffer(TEXT_LEN)
        photo = ctypes.create_string_buffer(1024)
        text_len, photo_len = ctypes.c_uint(0), ctypes.c_uint(0)
        rc = self._read(self.port, text, ctypes.byref(text_len), photo,
                        ctypes.byref(photo_len), 1)
        if rc != RC_OK:
            raise CardError(CardErrorKind.comm_failed, "ID card read failed", raw_code=rc)
        if text_len.value != TEXT_LEN:
            raise CardError(CardErrorKind.unsupported_card, "unexpected text length")
        return parse_text_block(text.raw[:TEXT_LEN], photo=photo.raw[:photo_len.value],
                                today=today)

    def close(self) -> None:
        """The SDK opens and closes the port per call (``iIfOpen = 1``): nothing held."""
