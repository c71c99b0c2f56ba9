"""One centre worker process (started by ``kiosk-centre serve``): builds the service from
the configuration in its environment and serves the two sockets it inherited."""

from __future__ import annotations

import os
import socket
import sys

from kiosk.centre.janitor import Janitor
from kiosk.centre.rollouts import Rollouts
from kiosk.centre.server import CONFIG_ENV, config_from_env, uvicorn_server
from kiosk.centre.service import build_centre


def main(argv: list[str]) -> int:
    """``python -m kiosk.centre.worker PUBLIC_FD ADMIN_FD ADMIN_PORT``."""
    public_fd, admin_fd, admin_port = (int(a) for a in argv[:3])
    config = config_from_env(os.environ[CONFIG_ENV])
    centre = build_centre(config)
    centre.asgi.admin_ports.add(admin_port)
    sockets = [socket.socket(fileno=public_fd), socket.socket(fileno=admin_fd)]
    janitor = Janitor(centre.backend.db, Rollouts(centre.backend.db, centre.backend.fleet,
                                                  centre.operators),
                      config.max_skew, config.retention_days).start()
    try:
        uvicorn_server(centre.asgi, log_level="warning", access_log=False).run(
            sockets=sockets)
    finally:
        janitor.stop()
        centre.backend.db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
