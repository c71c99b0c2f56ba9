"""PC/SC layer: context owner and card sessions (:mod:`.context`), typed errors
(:mod:`.errors`), the resilient watcher (:mod:`.watcher`), short-lived probes
(:mod:`.probe`).

Import from the submodules. This package itself imports nothing, so that a layer which
only needs :class:`~kiosk.devices.pcsc.errors.CardError` (the services) does not load
pyscard with it.
"""
