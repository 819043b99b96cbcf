"""What every service call acts with: who asks (namespace, organization) and with what tools.

Its own module, so that the application state can build one and every service can take one
without any service importing another just for this type.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

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
    (``--webhook-max-stored-bytes``).
    """

    def __init__(self, store: Store, ids: IdGenerator, clock: Clock, namespace: str,
                 organization_id: str | None = None, *, base_url: str | None = None,
                 outbox: Outbox | None = None,
                 max_stored_bytes: int = DEFAULT_MAX_STORED_BYTES):
        self.store = store
        self.ids = ids
        self.clock = clock
        self.namespace = namespace
        self.organization_id = organization_id or default_organization(namespace)
        self.base_url = base_url
        self.outbox = outbox
        self.max_stored_bytes = max_stored_bytes


@functools.lru_cache(maxsize=4096)
def default_organization(namespace: str) -> str:
    """The organization id a namespace's customers get when no URL prefix names one."""
    return derived_id("org", namespace)
