"""The FramePay stand-in's files: served with their types and caching, shipped with the package,
and the field page's framing policy read from the ``cors_origins`` setting."""

from __future__ import annotations

import configparser
import fnmatch
from pathlib import Path

import pytest

from rebilly_sandbox.browser import CheckoutPage
from rebilly_sandbox.framepay import ASSETS, FILES, PREFIX

ROOT = Path(__file__).resolve().parent.parent


def fetch(app, path: str, **kwargs):
    """The answer, its body read and its file closed (send_file streams from an open file)."""
    answer = app.test_client().get(path, **kwargs)
    answer.get_data()
    answer.close()
    return answer


@pytest.mark.parametrize(("name", "mimetype"), sorted(FILES.items()))
def test_each_file_is_served_with_its_type_and_cache_headers(app, name, mimetype):
    answer = fetch(app, f"{PREFIX}/{name}")

    assert answer.status_code == 200
    assert (answer.mimetype, answer.mimetype_params) == (mimetype, {"charset": "utf-8"})
    assert answer.headers["Cache-Control"] == "public, max-age=300"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.get_data() == (ASSETS / name).read_bytes()
    again = fetch(app, f"{PREFIX}/{name}", headers={"If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("name", ["nope.js", "..%2Fapp.py", "../framepay.py", ""])
def test_nothing_else_is_served(app, name):
    assert fetch(app, f"{PREFIX}/{name}").status_code == 404


def test_the_files_need_no_key_and_are_not_journaled(client):
    client.with_key(None).get(f"{PREFIX}/framepay.js").close()

    assert client.get("/__admin/requests").json == []


def test_the_card_field_may_be_framed_by_the_allowed_origins_only(app):
    policy = fetch(app, f"{PREFIX}/field.html").headers["Content-Security-Policy"]

    assert "frame-ancestors 'self' http://localhost:* http://127.0.0.1:* http://[::1]:*" in policy
    assert "script-src 'self'" in policy and "connect-src 'self'" in policy


@pytest.mark.parametrize("app_config", [{"cors_origins": "*"}])
def test_any_origin_may_frame_the_field_when_any_may_call(app):
    policy = fetch(app, f"{PREFIX}/field.html").headers["Content-Security-Policy"]

    assert policy.endswith("frame-ancestors *")


def test_the_files_are_package_data():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    patterns = config["options.package_data"]["rebilly_sandbox"].split()

    for name in FILES:
        assert (ASSETS / name).is_file()
        relative = (ASSETS / name).relative_to(ROOT / "sandbox").as_posix()
        assert any(fnmatch.fnmatch(relative, pattern) for pattern in patterns), relative


def test_the_stand_in_defines_what_framepay_vue_calls():
    script = (ASSETS / "framepay.js").read_text(encoding="utf-8")

    for member in ("initialize:", "initialized:", "update:", "createToken:", "on:",
                   "card: { mount: mountCard }", "window.Framepay = Framepay"):
        assert member in script, member


def test_a_checkout_page_tells_the_page_where_the_sandbox_is():
    page = CheckoutPage.__new__(CheckoutPage)
    page.sandbox_url, page.publishable_key = "http://127.0.0.1:9", "pk_sandbox_x"
    page.framepay_url = "http://127.0.0.1:9/_sandbox/framepay/framepay.js"
    page.framepay_style_url = "http://127.0.0.1:9/_sandbox/framepay/framepay.css"

    script = page._init_script()

    assert '"publishableKey": "pk_sandbox_x"' in script
    assert "process.env.FRAMEPAY_SCRIPT_LINK = window.REBILLY_SANDBOX.framepayScript" in script
