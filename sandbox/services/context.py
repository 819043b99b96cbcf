"""What every service call acts with: who asks (namespace, organization) and with what tools.

Its own module, so that the application state can build one and every service can take one
without any service importing another just for this type.
"""

from __future__ import annotations

import functools

from ..ids import Clock, IdGenerator, derived_id
from ..store import Store

__all__ = ("Context", "default_organization")


class Context:
    """Who is asking and with what tools: namespace, organization, id source, clock, store."""

    def __init__(self, store: Store, ids: IdGenerator, clock: Clock, namespace: str,
                 organization_id: str | None = None):
        self.store = store
        self.ids = ids
        self.clock = clock
        self.namespace = namespace
        self.organization_id = organization_id or default_organization(namespace)


@functools.lru_cache(maxsize=4096)
def default_organization(namespace: str) -> str:
    """The organization id a namespace's customers get when no URL prefix names one."""
    return derived_id("org", namespace)
