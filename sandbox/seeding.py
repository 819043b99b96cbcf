"""The start-up fixture set (``--fixtures NAME``): every namespace starts with it, lazily.

A namespace is seeded the first time a request names it and again after a reset, in the same
transaction that records it as seeded, so restarts and concurrent first requests seed it once.

Reads with ever-new keys must not grow the database without bound, so a namespace that has only
been read since it was seeded ("untouched": it holds exactly the fixture set) is kept only while
it is among the ``MAX_UNTOUCHED`` most recently used ones; beyond that the least recently used is
cleared, and seeded again, identical, if it is ever named again. The first write (an API write,
or an admin change such as loading fixtures) marks a namespace touched, for good and on disk.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

from .config import ConfigError
from .fixtures import (
    check_fixture_set,
    fixture_names,
    fixtures_dir,
    load_fixture_set,
    problem_summary,
    read_fixture,
)
from .problems import SandboxError

if TYPE_CHECKING:
    from .state import SandboxState

__all__ = ("SEEDED_KIND", "MAX_UNTOUCHED", "SeededNamespaces", "seed_namespace",
           "check_start_up_fixtures")

SEEDED_KIND = "fixture-seed"
#: Namespaces seeded and since only read, kept at most; each holds a copy of the fixture set.
MAX_UNTOUCHED = 100


class SeededNamespaces:
    """The namespaces this process knows hold the start-up set: touched ones, and untouched ones
    least recently used first."""

    def __init__(self) -> None:
        self._touched: set[str] = set()
        self._untouched: OrderedDict[str, None] = OrderedDict()
        #: Whether the untouched namespaces a previous run left were counted yet.
        self.swept = False

    def __contains__(self, namespace: str) -> bool:
        return namespace in self._touched or namespace in self._untouched

    def __len__(self) -> int:
        return len(self._touched) + len(self._untouched)

    def is_touched(self, namespace: str) -> bool:
        return namespace in self._touched

    def add(self, namespace: str, touched: bool = True) -> None:
        self.discard(namespace)
        if touched:
            self._touched.add(namespace)
        else:
            self._untouched[namespace] = None

    def used(self, namespace: str) -> None:
        self._untouched.move_to_end(namespace)

    def discard(self, namespace: str) -> None:
        self._touched.discard(namespace)
        self._untouched.pop(namespace, None)

    def clear(self) -> None:
        self._touched.clear()
        self._untouched.clear()

    def over_limit(self, limit: int) -> list[str]:
        """Forget and return the least recently used untouched namespaces beyond ``limit``."""
        evicted = []
        while len(self._untouched) > limit:
            evicted.append(self._untouched.popitem(last=False)[0])
        return evicted


def seed_namespace(state: SandboxState, namespace: str, writing: bool = True) -> None:
    """Load the start-up fixture set into a namespace unless it already holds it.

    ``writing`` says whether the request about to run may change the namespace; a read leaves
    it untouched, and so one the limit may clear.
    """
    name = state.config["fixtures"]
    seeded = state.seeded
    if name is None or seeded.is_touched(namespace):
        return
    if not seeded.swept:
        _count_untouched_on_disk(state, name)
    if namespace in seeded and not writing:
        seeded.used(namespace)
        return
    with state.store.transaction() as tx:
        record = tx.get(namespace, SEEDED_KIND, name)
        if record is None:
            data = read_fixture(fixtures_dir(state.config["fixtures_dir"]), name)
            load_fixture_set(state.context(namespace), data)
            tx.insert(namespace, SEEDED_KIND, {"id": name, "touched": writing})
            touched = writing
        else:
            touched = record.get("touched", True) or writing
            if touched and not record.get("touched", True):
                tx.put(namespace, SEEDED_KIND, {**record, "touched": True})
    seeded.add(namespace, touched)
    _clear_least_used(state)


def _count_untouched_on_disk(state: SandboxState, name: str) -> None:
    """Learn which namespaces an earlier run seeded and left untouched, so they count too."""
    state.seeded.swept = True
    for namespace, kinds in state.store.namespaces().items():
        if SEEDED_KIND in kinds and namespace not in state.seeded:
            record = state.store.get(namespace, SEEDED_KIND, name)
            if record is not None and not record.get("touched", True):
                state.seeded.add(namespace, touched=False)


def _clear_least_used(state: SandboxState) -> None:
    for namespace in state.seeded.over_limit(MAX_UNTOUCHED):
        state.store.clear_namespace(namespace)


def check_start_up_fixtures(config: dict) -> None:
    """Refuse to start with a ``--fixtures`` set that is missing or would not load, rather than
    fail every request: the whole set is loaded once into a throwaway store, as seeding loads it.

    :raises ConfigError: naming the sets there are, or every problem of the set.
    """
    name = config["fixtures"]
    if name is None:
        return
    folder = fixtures_dir(config["fixtures_dir"])
    if name not in fixture_names(folder):
        raise ConfigError(f"fixtures: no set named {name!r} in {folder} "
                          f"(there are: {', '.join(fixture_names(folder)) or 'none'})")
    try:
        check_fixture_set(read_fixture(folder, name))
    except SandboxError as error:
        raise ConfigError(f"fixtures: set {name!r} in {folder} cannot be loaded: "
                          f"{problem_summary(error)}") from None
