"""The ``rebilly-sandbox`` command: ``serve`` (every setting as a flag), ``cluster`` (replicas
behind HAProxy) and ``fixtures list|check``.

Only the settings table is imported up front: ``serve`` must install gevent's cooperative
sockets and locks before Flask and the app are imported, so each command imports what it uses.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from .config import SETTINGS, ConfigError
from .version import __version__

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
            default = "on" if setting.default else "off"
            serve.add_argument(setting.flag, dest=setting.name, default=None,
                               action=argparse.BooleanOptionalAction,
                               help=f"{setting.help} [default {default}; env {setting.env}]")
        else:
            serve.add_argument(setting.flag, dest=setting.name, default=None, metavar="VALUE",
                               help=f"{setting.help} [default {_shown(setting.default)}; "
                                    f"env {setting.env}]")
    cluster = commands.add_parser(
        "cluster", help="start N replicas behind HAProxy",
        description="Start --replicas sandboxes on free ports of 127.0.0.1, each with its own "
                    "database file in the --db folder, behind HAProxy on --host/--port; any "
                    "other flag is passed to every replica's serve. See docs/cluster.md.")
    cluster.add_argument("--replicas", type=int, default=2, help="how many [default 2]")
    cluster.add_argument("--host", default="127.0.0.1", help="HAProxy's address")
    cluster.add_argument("--port", type=int, default=8080, help="HAProxy's port")
    cluster.add_argument("--db", default="sandbox-data/cluster",
                         help="folder of the replicas' database files, or 'memory' "
                              "[default sandbox-data/cluster]")
    fixtures = commands.add_parser("fixtures", help="list or check the fixture sets")
    fixtures.add_argument("action", choices=("list", "check"))
    fixtures.add_argument("--fixtures-dir", metavar="DIR", default=None,
                          help="folder of fixture sets [default: the shipped sets; "
                               "env SANDBOX_FIXTURES_DIR]")
    export = commands.add_parser(
        "export", help="write a namespace as a fixture set",
        description="Write one namespace's websites, products, plans, tags and customers as a "
                    "fixture set, from a running sandbox (--url) or from a database file no "
                    "sandbox holds (--db).")
    export.add_argument("--namespace", metavar="KEY", required=True,
                        help="the API key whose namespace to export")
    source = export.add_mutually_exclusive_group()
    source.add_argument("--url", default=None,
                        help="a running sandbox [default: env SANDBOX_URL, else "
                             "http://127.0.0.1:8080]")
    source.add_argument("--db", default=None, help="a TinyDB database file")
    export.add_argument("--admin-token", default=None,
                        help="the sandbox's admin token [env SANDBOX_ADMIN_TOKEN]")
    export.add_argument("--output", "-o", default="-", help="file to write [default: stdout]")
    return parser


def _shown(default: object) -> str:
    if isinstance(default, tuple):
        return ",".join(f"{item:g}" if isinstance(item, float) else item
                        for item in default) or "any"
    return str(default)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    args, passed_on = _parser().parse_known_args(argv)
    if args.command == "cluster":
        from .cluster import run

        return run(args.replicas, None if args.db == "memory" else args.db, args.host,
                   args.port, passed_on)
    if passed_on:
        _parser().error(f"unrecognized arguments: {' '.join(passed_on)}")
    if args.command == "fixtures":
        return _fixtures_command(args.action, args.fixtures_dir)
    if args.command == "export":
        return _export_command(args)
    if args.command == "serve":
        overrides = {s.name: getattr(args, s.name) for s in SETTINGS
                     if getattr(args, s.name) is not None}
        return _serve(overrides)
    _parser().print_help()
    return 2


def _serve(overrides: dict[str, object]) -> int:
    from gevent import monkey

    monkey.patch_all()
    from . import create_app
    from .serving import Server
    from .store import StorageError

    try:
        app = create_app(overrides)
    except ConfigError as exc:
        print(f"rebilly-sandbox: bad setting: {exc}", file=sys.stderr)
        return 2
    except StorageError as exc:
        print(f"rebilly-sandbox: {exc}", file=sys.stderr)
        return 3
    state = app.extensions["sandbox"]
    config = state.config
    logging.basicConfig(level=config["log_level"].upper(),
                        format="%(asctime)s %(name)s %(message)s")
    try:
        server = Server.from_config(app, config)
    except OSError as exc:
        state.close()
        print(f"rebilly-sandbox: cannot listen on {config['host']}:{config['port']}: "
              f"{exc.strerror or exc}", file=sys.stderr)
        return 4
    server.stop_on_signals()
    log.info("rebilly-sandbox %s listening on %s (store: %s)", __version__, server.url,
             state.store.kind if state.store.path is None
             else f"{state.store.kind} {state.store.path}")
    try:
        server.run()
    finally:
        state.close()
    log.info("stopped")
    return 0


def _fixtures_command(action: str, folder_setting: str | None) -> int:
    from .fixtures import (
        check_fixture_set,
        fixture_counts,
        fixture_names,
        fixtures_dir,
        read_fixture,
    )
    from .problems import SandboxError

    folder = fixtures_dir(folder_setting or os.environ.get("SANDBOX_FIXTURES_DIR"))
    names = fixture_names(folder)
    if not names:
        print(f"rebilly-sandbox: no fixture sets in {folder}", file=sys.stderr)
        return 1
    failed = 0
    for name in names:
        try:
            data = read_fixture(folder, name)
            counts = check_fixture_set(data) if action == "check" else fixture_counts(data)
        except SandboxError as error:
            failed += 1
            problems = error.extra.get("invalidFields") or [{"field": "", "message": error.detail}]
            for problem in problems:
                print(f"FAILED {name}: {problem['field']}: {problem['message']}")
            continue
        summary = ", ".join(f"{count} {kind}" for kind, count in counts.items())
        print(f"{'ok' if action == 'check' else '-'} {name}: {summary}")
    return 1 if failed else 0


def _export_command(args: argparse.Namespace) -> int:
    import json

    try:
        data = _export_from_db(args) if args.db else _export_from_url(args)
    except (OSError, ValueError, RuntimeError) as exc:
        print(f"rebilly-sandbox: cannot export: {exc}", file=sys.stderr)
        return 1
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
    return 0


def _export_from_db(args: argparse.Namespace) -> dict:
    from pathlib import Path

    from .auth import namespace_for
    from .fixtures import export_namespace
    from .namespacesalt import load_salt
    from .store import Store

    database = Path(args.db)
    if not any(path.is_file() for path in (database, Path(f"{args.db}.journal"))):
        raise RuntimeError(f"no database at {args.db!r} (export reads an existing one)")
    store = Store(args.db)
    try:
        salt = load_salt(store, create=False)
        return export_namespace(store, namespace_for(args.namespace, salt).id)
    finally:
        store.close()


def _export_from_url(args: argparse.Namespace) -> dict:
    import requests

    url = (args.url or os.environ.get("SANDBOX_URL") or "http://127.0.0.1:8080").rstrip("/")
    headers = {"REB-APIKEY": args.namespace}
    token = args.admin_token or os.environ.get("SANDBOX_ADMIN_TOKEN")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        response = requests.get(f"{url}/__admin/export", headers=headers, timeout=30)
    except requests.RequestException as exc:
        raise RuntimeError(f"no sandbox answers at {url} ({exc.__class__.__name__})") from None
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}: {response.text[:300]}")
    return response.json()
