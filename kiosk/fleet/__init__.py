"""Fleet operations on the terminal, Kivy-free: the heartbeat with status to the central
service and the directives in its answers (pause, resume, config overlay, support
bundle).

    agent = FleetAgent(settings, client, FleetHooks(on_pause=..., on_resume=...,
                       on_config=..., is_idle=...), status=StatusCollector(settings, ...))
    agent.start()            # a daemon thread, one heartbeat every fleet.heartbeat_seconds
    agent.beat()             # one heartbeat now (tests, the CLI)
    agent.stop()

At start-up, :func:`kiosk.fleet.overlay.boot_settings` lays the last applied overlay over
the local config and rolls back to the last good one when the previous start with it
never reached its first frame (:meth:`OverlayStore.started` marks that).
"""
