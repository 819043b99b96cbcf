"""Serve the app with waitress: one process, a fixed pool of threads, idle sockets cost nothing.

Chosen by measurement (README, "Serving"): on two cores waitress with a few threads answered the
full create faster than gunicorn's threaded worker and Flask's development server, keeps slow
and idle clients off the worker threads, and starts in a few milliseconds.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Callable

from flask import Flask
from waitress.server import create_server

__all__ = ("Server",)

log = logging.getLogger("sandbox")


class Server:
    """A bound, not yet running server: the port is known before ``run`` is called."""

    def __init__(self, app: Flask, host: str, port: int, threads: int):
        self.app = app
        # waitress warns on every queued request under load; that is normal here.
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)
        self._server = create_server(app, host=host, port=port, threads=threads,
                                     ident="rebilly-sandbox", clear_untrusted_proxy_headers=True)
        self.host = host
        self.port = self._server.effective_port

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def run(self) -> None:
        """Serve until ``stop`` is called or SIGTERM/SIGINT arrives, then close the store."""
        try:
            self._server.run()
        finally:
            self.app.extensions["sandbox"].close()

    def stop(self) -> None:
        self._server.close()

    def stop_on_signals(self) -> None:
        def handle(signum: int, frame: object) -> None:
            log.info("received %s, shutting down", signal.Signals(signum).name)
            raise SystemExit(0)

        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, handle)

    def start_in_thread(self) -> Callable[[], None]:
        """Serve from a daemon thread (tests, the pytest plugin); return a function that stops."""
        thread = threading.Thread(target=self.run, name="sandbox-server", daemon=True)
        thread.start()

        def stop() -> None:
            self.stop()
            thread.join(timeout=5)

        return stop
