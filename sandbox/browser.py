"""A real browser for checkout tests: Chromium through Playwright, pointed at the sandbox.

A shop's checkout page loads FramePay from Rebilly; in a test it must load the sandbox's
stand-in and tokenise against the sandbox. ``CheckoutPage`` does that without changing the page:
every request for ``https://framepay.rebilly.com/`` is answered with the stand-in's file, and
before any script of the page runs it sets ``window.REBILLY_SANDBOX`` (the sandbox URL, the
stand-in's URLs, the publishable key) and ``process.env.FRAMEPAY_SCRIPT_LINK`` /
``FRAMEPAY_STYLE_LINK``, the settings ``@rebilly/framepay-vue`` reads.

Playwright is imported only when a browser is started, so the pytest plugin stays cheap to load.
Chromium is the system's (``/usr/bin/chromium``, or ``REBILLY_SANDBOX_CHROMIUM``); Playwright's
own download is used only when neither exists.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

__all__ = ("CHROMIUM_ARGS", "BrowserUnavailable", "CheckoutPage", "chromium_path",
           "launch_chromium", "FRAMEPAY_ORIGIN")

SYSTEM_CHROMIUM = Path("/usr/bin/chromium")
#: A machine with no network: nothing in the background reaches out, nothing waits for it.
CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync",
                 "--disable-quic")
FRAMEPAY_ORIGIN = "https://framepay.rebilly.com"
STAND_IN = "/_sandbox/framepay"


class BrowserUnavailable(RuntimeError):
    """Playwright or Chromium is missing; the message says what to install."""


def chromium_path() -> Path | None:
    """The Chromium to drive: ``REBILLY_SANDBOX_CHROMIUM``, else the system's, else none."""
    named = os.environ.get("REBILLY_SANDBOX_CHROMIUM")
    if named:
        return Path(named)
    return SYSTEM_CHROMIUM if SYSTEM_CHROMIUM.exists() else None


def launch_chromium() -> tuple[Any, Any]:
    """Start Playwright and a headless Chromium: ``(playwright, browser)``; stop both after.

    :raises BrowserUnavailable: when Playwright is not installed or Chromium cannot start.
    """
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as error:
        raise BrowserUnavailable("Playwright is not installed: pip install playwright") from error
    path = chromium_path()
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=str(path) if path else None, args=list(CHROMIUM_ARGS))
    except Error as error:
        playwright.stop()
        raise BrowserUnavailable(
            f"Chromium could not start ({path or 'Playwright download'}): install it "
            f"(apt-get install chromium, or name one in REBILLY_SANDBOX_CHROMIUM): "
            f"{str(error).splitlines()[0]}") from error
    return playwright, browser


class CheckoutPage:
    """A fresh browser context whose pages load FramePay from the sandbox at ``sandbox_url``.

    ``page`` is a Playwright ``Page``; ``open(url)`` goes to the shop's checkout page and
    returns it. ``framepay_url`` and ``framepay_style_url`` are the stand-in's files, for a
    page that takes the script's address as a setting.
    """

    def __init__(self, browser: Any, sandbox_url: str, publishable_key: str):
        self.sandbox_url = sandbox_url.rstrip("/")
        self.publishable_key = publishable_key
        self.framepay_url = f"{self.sandbox_url}{STAND_IN}/framepay.js"
        self.framepay_style_url = f"{self.sandbox_url}{STAND_IN}/framepay.css"
        self.context = browser.new_context()
        self.context.add_init_script(self._init_script())
        self.context.route(f"{FRAMEPAY_ORIGIN}/**", self._serve_stand_in)
        self.page = self.context.new_page()

    def open(self, url: str) -> Any:
        self.page.goto(url)
        return self.page

    def close(self) -> None:
        self.context.close()

    def _init_script(self) -> str:
        settings = json.dumps({"url": self.sandbox_url, "framepayScript": self.framepay_url,
                               "framepayStyle": self.framepay_style_url,
                               "publishableKey": self.publishable_key})
        return (f"window.REBILLY_SANDBOX = {settings};"
                "window.REBILLY_SANDBOX_URL = window.REBILLY_SANDBOX.url;"
                "window.process = window.process || {};"
                "window.process.env = window.process.env || {};"
                "window.process.env.FRAMEPAY_SCRIPT_LINK = window.REBILLY_SANDBOX.framepayScript;"
                "window.process.env.FRAMEPAY_STYLE_LINK = window.REBILLY_SANDBOX.framepayStyle;")

    def _serve_stand_in(self, route: Any) -> None:
        """FramePay's own file names, answered with the stand-in's files."""
        name = route.request.url.split("?", 1)[0].rsplit("/", 1)[-1]
        if name not in ("framepay.js", "framepay.css"):
            route.abort()
            return
        route.fulfill(response=route.fetch(url=f"{self.sandbox_url}{STAND_IN}/{name}"))

    def __enter__(self) -> CheckoutPage:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
