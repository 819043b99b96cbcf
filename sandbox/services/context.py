"""What every service call acts with: who asks (namespace, organization) and with what tools.

Its own module, so that the application state can build one and every service can take one
without any service importing another just for this type.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime

from ..ids import Clock, IdGenerator, derived_id
from ..store import Store
from .retention import DEFAULT_MAX_STORED_BYTES

__all__ = ("Context", "default_organization")


#: Told of each webhook delivery just written: ``outbox(namespace, delivery_id, due_time_iso)``.
Outbox = Callable[[str, str, str], None]


class Context:
    """Who is asking and with what tools: namespace, organization, id source, clock, store.

    ``base_url`` is the API root the request came in on (with any organization prefix), for
    absolute links in event payloads; None outside a request. ``outbox`` learns of each webhook
    delivery right after it is written, so delivery needs no scan; it must bear a delivery that
    was then rolled back. ``max_stored_bytes`` is the budget of the namespace's delivery bodies
    (``--webhook-max-stored-bytes``). ``retry_days`` is the dunning schedule
    (``--dunning-retries``, ``services.autopay``) and ``renewal_fault`` the fault rules' say on
    renewal charges.
    """

    def __init__(self, store: Store, ids: IdGenerator, clock: Clock, namespace: str,
                 organization_id: str | None = None, *, base_url: str | None = None,
                 outbox: Outbox | None = None,
                 max_stored_bytes: int = DEFAULT_MAX_STORED_BYTES,
                 retry_days: tuple[float, ...] = (1.0, 3.0, 7.0),
                 renewal_fault: Callable[[], bool] | None = None):
        self.store = store
        self.ids = ids
        self.clock = clock
        self.namespace = namespace
        self.organization_id = organization_id or default_organization(namespace)
        self.base_url = base_url
        self.outbox = outbox
        self.max_stored_bytes = max_stored_bytes
        self.retry_days = retry_days
        #: Asked before each autopay charge of a renewal invoice: True declines it (a fault
        #: rule with ``"on": "renewal-payment"``).
        self.renewal_fault = renewal_fault
        #: Events fired through this context (whether or not a webhook wanted them).
        self.events_fired = 0

    def at(self, moment: datetime) -> Context:
        """The same context with its clock stopped at ``moment``: a step the billing clock runs
        happens, and is stamped, at the simulated time it was due."""
        clock = Clock()
        clock.freeze(moment)
        return Context(self.store, self.ids, clock, self.namespace, self.organization_id,
                       base_url=self.base_url, outbox=self.outbox,
                       max_stored_bytes=self.max_stored_bytes, retry_days=self.retry_days,
                       renewal_fault=self.renewal_fault)


@functools.lru_cache(maxsize=4096)
def default_organization(namespace: str) -> str:
    """The organization id a namespace's customers get when no URL prefix names one."""
    return derived_id("org", namespace)
