"""PC/SC layer: context owner, card sessions, typed errors, the resilient watcher."""

from kiosk.devices.pcsc.context import CardSession, PcscContext, ReaderState
from kiosk.devices.pcsc.errors import CardError, CardErrorKind
from kiosk.devices.pcsc.watcher import ReaderEvent, ReaderEventKind, ReaderWatcher

__all__ = ["CardError", "CardErrorKind", "CardSession", "PcscContext", "ReaderEvent",
           "ReaderEventKind", "ReaderState", "ReaderWatcher"]
