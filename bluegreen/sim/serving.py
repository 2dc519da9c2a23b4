"""Simulated servers that sleep until a connection or `shutdown()` arrives, instead of polling.

`serve_forever(poll_interval=0.02)` woke every server thread 50 times a second so that shutdown was prompt;
a fleet world has hundreds of API servers and load balancers, and their wake-ups took the GIL from the
threads doing the work (plan time per pair grew with the fleet). A socket pair wakes the loop on shutdown.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import socketserver
import threading


class PromptShutdown(socketserver.TCPServer):
    """Mix in before the server class (TCP, UDP or HTTP): same serve_forever/shutdown contract, no polling."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        # before the base class binds: a failed bind calls server_close(), which closes these too
        self._wake_r, self._wake_w = socket.socketpair()
        self._stopping = False
        self._stopped = threading.Event()
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def server_bind(self) -> None:
        """Bind without `HTTPServer.server_bind`'s reverse lookup of the address (`socket.getfqdn`).

        The lookup asks the machine's resolver about 127.x addresses; where it has no answer it waits for
        its timeout (5 s), once per simulated load balancer, and nothing reads the name it finds.
        """
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Serve until `shutdown()`; `poll_interval` is accepted and ignored (nothing polls)."""
        self._stopped.clear()
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(self.fileno(), selectors.EVENT_READ)
                selector.register(self._wake_r, selectors.EVENT_READ)
                while not self._stopping:
                    ready = selector.select()
                    if self._stopping:
                        break
                    if any(key.fd != self._wake_r.fileno() for key, _ in ready):
                        # what serve_forever calls; handle_request() would block again if the client had gone
                        self._handle_request_noblock()  # type: ignore[attr-defined]
                    self.service_actions()
        finally:
            self._stopped.set()

    def shutdown(self) -> None:
        """Stop the loop and wait for it (like socketserver's: call it from another thread)."""
        self._stopping = True
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")
        self._stopped.wait()

    def server_close(self) -> None:
        super().server_close()
        self._wake_r.close()
        self._wake_w.close()
