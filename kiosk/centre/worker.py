"""One centre worker process (started by ``kiosk-centre serve``): binds its own listening
socket on the public host and port (``SO_REUSEPORT``: every worker has one, and the
kernel spreads new connections across them), builds the service from the configuration
in its environment and serves that socket and the admin socket it inherited."""

from __future__ import annotations

import os
import socket
import sys

from kiosk.centre.janitor import Janitor
from kiosk.centre.rollouts import Rollouts
from kiosk.centre.server import CONFIG_ENV, config_from_env, reuseport_socket, uvicorn_server
from kiosk.centre.service import build_centre


def main(argv: list[str]) -> int:
    """``python -m kiosk.centre.worker HOST PORT ADMIN_FD ADMIN_PORT``."""
    host, port, admin_fd, admin_port = argv[0], int(argv[1]), int(argv[2]), int(argv[3])
    # Listening first: connections the kernel hands this socket wait in its queue while
    # the service is built.
    public = reuseport_socket(host, port, listen=True)
    config = config_from_env(os.environ[CONFIG_ENV])
    centre = build_centre(config)
    centre.asgi.admin_ports.add(admin_port)
    sockets = [public, socket.socket(fileno=admin_fd)]
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
