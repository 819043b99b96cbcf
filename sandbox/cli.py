"""The ``rebilly-sandbox`` command: ``serve`` starts the sandbox with every setting as a flag."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Sequence

from . import create_app
from .version import __version__
from .config import SETTINGS, ConfigError
from .serving import Server
from .store import StorageError

__all__ = ("main",)

log = logging.getLogger("sandbox")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rebilly-sandbox",
        description="A local fake of Rebilly's customers API, for tests and CI.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="start the sandbox",
        description="Start the sandbox. Every flag can also be set with the environment "
                    "variable shown; a flag wins over the variable.",
    )
    for setting in SETTINGS:
        if isinstance(setting.default, bool):
            serve.add_argument(setting.flag, dest=setting.name, action="store_const", const="true",
                               default=None, help=f"{setting.help} [env {setting.env}]")
        else:
            serve.add_argument(setting.flag, dest=setting.name, default=None, metavar="VALUE",
                               help=f"{setting.help} [default {_shown(setting.default)}; "
                                    f"env {setting.env}]")
    return parser


def _shown(default: object) -> str:
    if isinstance(default, tuple):
        return ",".join(default) or "any"
    return str(default)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    args = _parser().parse_args(argv)
    if args.command != "serve":
        _parser().print_help()
        return 2
    overrides = {s.name: getattr(args, s.name) for s in SETTINGS
                 if getattr(args, s.name) is not None}
    try:
        app = create_app(overrides)
    except ConfigError as exc:
        print(f"rebilly-sandbox: bad setting: {exc}", file=sys.stderr)
        return 2
    except StorageError as exc:
        print(f"rebilly-sandbox: {exc}", file=sys.stderr)
        return 3
    config = app.extensions["sandbox"].config
    logging.basicConfig(level=config["log_level"].upper(), format="%(asctime)s %(name)s %(message)s")
    try:
        server = Server(app, config["host"], config["port"], config["threads"])
    except OSError as exc:
        app.extensions["sandbox"].close()
        print(f"rebilly-sandbox: cannot listen on {config['host']}:{config['port']}: "
              f"{exc.strerror or exc}", file=sys.stderr)
        return 4
    server.stop_on_signals()
    log.info("rebilly-sandbox %s listening on %s (store: %s %s)", __version__, server.url,
             app.extensions["sandbox"].store.kind, config["db"])
    try:
        server.run()
    except SystemExit:
        pass
    return 0
