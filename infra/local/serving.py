"""Running the local runtime's HTTP servers (DynamoDB, @connections) on threads, and stopping them so
that their ports are free again."""
from __future__ import annotations

import socketserver
import threading


class ServerThread:
    def __init__(self, server: socketserver.BaseServer, name: str, poll_interval_s: float = 0.5) -> None:
        self.server = server
        # A short poll interval makes stop() quick: shutdown waits up to one interval for the loop.
        self._thread = threading.Thread(target=server.serve_forever, args=(poll_interval_s,), name=name,
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)
