"""The floor for ``POST /customers``: Flask plus the sandbox's own schema, and nothing else.

It parses the body, validates it with ``rebilly_sandbox.schemas.CustomerSchema`` through
``rebilly_sandbox.schemas.load`` and answers 201 with the loaded data's keys. It stores nothing,
makes no ids and builds no response document, so the gap between it and the sandbox is what the
sandbox's own work (auth, store, journal, presentation) costs.

It is served the way ``rebilly-sandbox serve`` serves the sandbox: gevent's cooperative sockets
and locks are installed (``monkey.patch_all``) before Flask is imported, and the app runs in
``rebilly_sandbox.serving.Server`` (one process, one thread, a greenlet per connection, the
sandbox's default of 1,000 connections at once). SIGTERM or SIGINT stops it. scripts/bench.py starts
it as::

    python -m scripts.bench_baseline --port 8081
"""

from __future__ import annotations

if __name__ == "__main__":
    # As in rebilly_sandbox.cli: patch before Flask, werkzeug or anything else that imports socket.
    from gevent import monkey

    monkey.patch_all()

import argparse  # noqa: E402
from typing import Any  # noqa: E402

from flask import Flask, Response, jsonify, request  # noqa: E402

from rebilly_sandbox.config import SETTINGS  # noqa: E402
from rebilly_sandbox.problems import ValidationFailed  # noqa: E402
from rebilly_sandbox.schemas import CustomerSchema, load  # noqa: E402

__all__ = ("app",)

#: Connections served at once: the sandbox's default ``max_connections`` (1,000).
MAX_CONNECTIONS: int = next(s.default for s in SETTINGS if s.name == "max_connections")

app = Flask(__name__)
_schema = CustomerSchema()


@app.post("/customers")
def create_customer() -> tuple[Response, int]:
    """Validate exactly as the sandbox does; a bad body is a 422 so a broken run is visible."""
    body: Any = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        return jsonify({"detail": "The request body must be a JSON object."}), 400
    try:
        data = load(_schema, body)
    except ValidationFailed:
        return jsonify({"detail": "invalid body"}), 422
    return jsonify(sorted(data)), 201


def _serve(port: int) -> None:
    """Serve with rebilly_sandbox.serving.Server until SIGTERM or SIGINT."""
    from rebilly_sandbox.serving import Server

    server = Server(app, "127.0.0.1", port, MAX_CONNECTIONS)
    server.stop_on_signals()
    server.run()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    arguments = parser.parse_args()
    _serve(arguments.port)
