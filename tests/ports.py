"""Whether a local port is free again: the tests check that every server they start lets go of its ports."""
from __future__ import annotations

import socket


def port_is_free(port: int) -> bool:
    """Nothing listens there and a new server could bind it (as servers do, with SO_REUSEADDR:
    connections the old one closed may linger in TIME_WAIT)."""
    with socket.socket() as client:
        if client.connect_ex(("127.0.0.1", port)) == 0:
            return False
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True
