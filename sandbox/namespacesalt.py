"""The database's namespace salt: a random value kept with the data, keying every namespace id.

Namespace ids are shown on the dashboard; salted, they reveal nothing about the keys behind them
to anyone without the database. The salt is a document in a reserved namespace (no namespace id
can name it), made when a database is first opened. A database that already holds data but no
salt was made before salting: it keeps the empty salt, so its namespaces stay where they are.
"""

from __future__ import annotations

import secrets

from .store import Store

__all__ = ("SALT_NAMESPACE", "load_salt", "clear_all_keeping_salt")

#: Not ``ns_…``: no credential's namespace can be this one.
SALT_NAMESPACE = "sandbox"
SALT_KIND = "settings"
SALT_ID = "namespace-salt"


def load_salt(store: Store, *, create: bool = True) -> str:
    """The store's salt; a new random one stored in it when it has none (unless ``create`` is
    false, for readers that must not change the database)."""
    with store.transaction() as tx:
        saved = tx.get(SALT_NAMESPACE, SALT_KIND, SALT_ID)
        if saved is not None:
            return saved["value"]
        holds_data = bool(store.namespaces())
        salt = "" if holds_data else secrets.token_hex(16)
        if create:
            tx.insert(SALT_NAMESPACE, SALT_KIND, {"id": SALT_ID, "value": salt})
        return salt


def clear_all_keeping_salt(store: Store, salt: str) -> dict[str, int]:
    """Clear every namespace, as ``Store.clear_all`` does, but keep the salt: the namespaces
    of the keys in use stay the same after a restart. Returns what was removed, by kind."""
    with store.transaction() as tx:
        removed = store.clear_all()
        tx.put(SALT_NAMESPACE, SALT_KIND, {"id": SALT_ID, "value": salt})
    if removed.get(SALT_KIND, 0) <= 1:
        removed.pop(SALT_KIND, None)
    else:
        removed[SALT_KIND] -= 1
    return removed
