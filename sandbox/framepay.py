"""``/_sandbox/framepay/``: a stand-in for Rebilly's FramePay script, served by the sandbox.

Rebilly's own ``framepay.js`` cannot be pointed at another API host, so a checkout page that
loads this one instead (the same global ``Framepay``) tokenises cards against the sandbox. The
files are plain JavaScript, CSS and HTML shipped in ``assets/framepay`` (no build step). The
card fields are iframes of ``field.html``: the page embedding them may be on any origin the
``cors_origins`` setting allows (its ``frame-ancestors``), and their script may talk only to the
sandbox itself. Like the approval page, these files are not API requests: never authenticated,
faulted, rate limited or journaled.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, Response, abort, send_file

from .state import get_state

__all__ = ("bp", "init_app", "ASSETS", "PREFIX")

PREFIX = "/_sandbox/framepay"
ASSETS = Path(__file__).parent / "assets" / "framepay"
#: The files served, and their content types (Flask adds "; charset=utf-8").
FILES = {
    "framepay.js": "text/javascript",
    "framepay.css": "text/css",
    "field.html": "text/html",
    "field.js": "text/javascript",
    "field.css": "text/css",
}
#: Short: a developer editing the sandbox sees a change within minutes; ETags make it cheap.
MAX_AGE = 300

bp = Blueprint("framepay", __name__)


def _frame_ancestors() -> str:
    origins = get_state().config["cors_origins"]
    return "*" if "*" in origins else " ".join(("'self'", *origins))


def serve(name: str) -> Response:
    mimetype = FILES.get(name)
    if mimetype is None:
        abort(404)
    response = send_file(ASSETS / name, mimetype=mimetype, max_age=MAX_AGE, conditional=True,
                         etag=True)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Access-Control-Allow-Origin"] = "*"  # static, public, holds no secret
    if name == "field.html":
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            f"base-uri 'none'; form-action 'none'; frame-ancestors {_frame_ancestors()}")
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


bp.add_url_rule(f"{PREFIX}/<name>", view_func=serve, methods=["GET"])


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
