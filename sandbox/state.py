"""The one object that holds a running sandbox's state, owned by the app, never global."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from flask import Flask, current_app

from .auth import Namespace, namespace_for
from .billing_worker import BillingClock
from .delivery import DeliveryWorker
from .faults import FaultRegistry
from .ids import Clock, IdGenerator
from .namespacesalt import SALT_NAMESPACE, load_salt
from .ratelimit import RateLimiter
from .requestjournal import RequestJournal
from .seeding import SeededNamespaces
from .services.billing_clock import namespaces_with_steps
from .services.context import Context
from .services.notifications import Notifier
from .store import Store

__all__ = ("SandboxState", "get_state", "init_app", "CLOCK_TABLE")

#: Where a moved clock is kept, one document per namespace (the global one's beside the salt).
CLOCK_TABLE, CLOCK_ID = "sandbox-clock", "clock"


@dataclass
class SandboxState:
    config: dict[str, Any]
    store: Store
    ids: IdGenerator
    #: The global clock; namespaces follow it unless their time was moved on its own.
    clock: Clock = field(default_factory=Clock)
    namespace_clocks: dict[str, Clock] = field(default_factory=dict)
    #: Namespaces this process has already given the start-up fixture set (``--fixtures``).
    seeded: SeededNamespaces = field(default_factory=SeededNamespaces)
    started: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.rate_limiter = RateLimiter(
            self.config["rate_limit"], self.config["rate_window"],
            lambda namespace: self.clock_for(namespace).now().timestamp())
        self.journal = RequestJournal(self.config["journal_entries"])
        #: Keys every namespace id of this database (see ``rebilly_sandbox.namespacesalt``).
        self.namespace_salt = load_salt(self.store)
        self.faults = FaultRegistry(self.clock_for, self.config["max_fault_rules"])
        #: Sends webhook deliveries; those pending before a restart are queued again here.
        self.deliveries = DeliveryWorker(self.store, self.ids, self.clock_for, self.faults,
                                         self.config)
        self.deliveries.load_pending()
        #: Sends the ``notificationUrl`` POSTs, retried on the namespace's clock.
        self.notifier = Notifier(self.journal, self.clock_for, policy=self.deliveries.policy)
        self._load_clocks()
        #: Renews orders, retries and pauses as each namespace's clock passes their times.
        self.billing = BillingClock(self.store, self.context, self.clock_for)
        if namespaces_with_steps(self.store):
            self.billing.ensure_started()  # a catch-up a restart cut short goes on

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SandboxState:
        path = None if config["db"] == "memory" else config["db"]
        store = Store(path, fsync=config["fsync"], compact_bytes=config["journal_compact_bytes"])
        return cls(config=config, store=store, ids=IdGenerator(config["seed"]))

    def namespace_for(self, credential: str) -> Namespace:
        """The namespace a key or JWT names in this database."""
        return namespace_for(credential, self.namespace_salt)

    def clock_for(self, namespace: str) -> Clock:
        """The clock a namespace's requests read: its own once moved alone, else the global one."""
        return self.namespace_clocks.get(namespace, self.clock)

    def own_clock(self, namespace: str) -> Clock:
        """Give a namespace a clock of its own (starting where the global one stands)."""
        if namespace not in self.namespace_clocks:
            self.namespace_clocks[namespace] = self.clock.copy()
        return self.namespace_clocks[namespace]

    def save_clock(self, namespace: str | None) -> None:
        """Keep where a clock stands in the store, so a restart finds it there: a namespace's
        own clock in that namespace, the global one beside the database's salt."""
        owner = SALT_NAMESPACE if namespace is None else namespace
        target = self.clock if namespace is None else self.namespace_clocks.get(namespace)
        with self.store.transaction() as tx:
            if target is None or (namespace is None and not _moved(target)):
                tx.delete(owner, CLOCK_TABLE, CLOCK_ID)
            else:
                tx.put(owner, CLOCK_TABLE, {"id": CLOCK_ID, **target.describe()})

    def _load_clocks(self) -> None:
        for namespace, kinds in self.store.namespaces().items():
            if not kinds.get(CLOCK_TABLE):
                continue
            saved = self.store.get(namespace, CLOCK_TABLE, CLOCK_ID)
            if saved is None:
                continue
            clock = self.clock if namespace == SALT_NAMESPACE else Clock()
            _restore(clock, saved)
            if namespace != SALT_NAMESPACE:
                self.namespace_clocks[namespace] = clock

    def context(self, namespace: str, organization_id: str | None = None) -> Context:
        """What a service needs to act for a namespace: store, ids and that namespace's clock."""
        return Context(self.store, self.ids, self.clock_for(namespace), namespace, organization_id,
                       outbox=self.deliveries.outbox,
                       max_stored_bytes=self.config["webhook_max_stored_bytes"],
                       retry_days=self.config["dunning_retries"],
                       renewal_fault=lambda: self.faults.decide_renewal(namespace) is not None)

    def close(self) -> None:
        self.billing.close()
        self.notifier.close()
        self.deliveries.close()
        self.store.close()


def _moved(clock: Clock) -> bool:
    described = clock.describe()
    return described["frozen"] or described["offsetSeconds"] != 0


def _restore(clock: Clock, saved: dict[str, Any]) -> None:
    """Put a clock where ``describe`` said it stood: frozen at its time, or running at its
    offset from real time."""
    if saved.get("frozen"):
        clock.freeze(datetime.fromisoformat(saved["now"]))
    else:
        clock.set(datetime.now(timezone.utc)
                  + timedelta(seconds=saved.get("offsetSeconds") or 0))


def init_app(app: Flask, state: SandboxState) -> None:
    app.extensions["sandbox"] = state


def get_state() -> SandboxState:
    return current_app.extensions["sandbox"]
