"""The start-up fixture set (``--fixtures NAME``): every namespace starts with it, lazily.

A namespace is seeded the first time a request names it and again after a reset, in the same
transaction that records it as seeded, so restarts and concurrent first requests seed it once.
"""

from __future__ import annotations

from .config import ConfigError
from .fixtures import fixture_names, fixtures_dir, load_fixture_set, read_fixture
from .state import SandboxState

__all__ = ("SEEDED_KIND", "seed_namespace", "check_start_up_fixtures")

SEEDED_KIND = "fixture-seed"


def seed_namespace(state: SandboxState, namespace: str) -> None:
    """Load the start-up fixture set into a namespace unless it already holds it."""
    name = state.config["fixtures"]
    if name is None or namespace in state.seeded:
        return
    with state.store.transaction() as tx:
        if tx.get(namespace, SEEDED_KIND, name) is None:
            data = read_fixture(fixtures_dir(state.config["fixtures_dir"]), name)
            load_fixture_set(state.context(namespace), data)
            tx.insert(namespace, SEEDED_KIND, {"id": name})
    state.seeded.add(namespace)


def check_start_up_fixtures(config: dict) -> None:
    """Refuse to start with a ``--fixtures`` name no set has, rather than fail every request.

    :raises ConfigError: naming the sets there are.
    """
    name = config["fixtures"]
    if name is None:
        return
    folder = fixtures_dir(config["fixtures_dir"])
    if name not in fixture_names(folder):
        raise ConfigError(f"fixtures: no set named {name!r} in {folder} "
                          f"(there are: {', '.join(fixture_names(folder)) or 'none'})")
