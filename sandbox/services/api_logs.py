"""The API log: a namespace's request journal in Rebilly's ``ApiTracking`` shape.

The journal (``requestjournal``) already keeps each namespace's recent API requests in memory,
with the credential redacted and card data masked; this module shows them as API logs and lists
them through the shared list machinery, newest first unless sorted. Outbound entries (the
``notificationUrl`` POSTs the journal also keeps) are not API requests and are left out. What the
journal does not keep (the answer's body and headers, the client's address, a user) is null.
Pure Python: no Flask.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..problems import NotFound
from ..requestjournal import RequestJournal
from .context import Context, default_organization
from .listing import Page
from .paging import ListQuery, select_page

__all__ = ("Placement", "api_logs", "list_api_logs", "get_api_log")

#: Where a request went, from its method and path: Rebilly's route template (None when Rebilly
#: has no such route) and the organization id its path's prefix named (None when none did).
Placement = Callable[[str, str], tuple[str | None, str | None]]

#: Members of ``user`` the sandbox cannot know: it has no users, API key resources or addresses.
_UNKNOWN_USER = ("userId", "apiKeyId", "email", "firstName", "lastName", "ipAddress",
                 "fingerprint")


def api_logs(ctx: Context, journal: RequestJournal, *, root_url: str,
             place: Placement) -> list[dict[str, Any]]:
    """Every API request the journal keeps for the namespace, oldest first, as API logs.

    ``root_url`` (no trailing slash) is put before each path to make ``url``.
    """
    entries = journal.entries(ctx.namespace, {"path": "/"})
    return [_api_log(entry, ctx.namespace, root_url, place) for entry in reversed(entries)]


def list_api_logs(ctx: Context, journal: RequestJournal, query: ListQuery, *, root_url: str,
                  place: Placement) -> Page:
    """The page of the namespace's API logs ``query`` asks for, and how many matched."""
    documents, total = select_page(api_logs(ctx, journal, root_url=root_url, place=place), query)
    return Page(documents, total, [])


def get_api_log(ctx: Context, journal: RequestJournal, log_id: str, *, root_url: str,
                place: Placement) -> dict[str, Any]:
    """One API log of the namespace.

    :raises NotFound: when the journal no longer (or never) kept a request with this id.
    """
    for log in api_logs(ctx, journal, root_url=root_url, place=place):
        if log["id"] == log_id:
            return log
    raise NotFound(f"No API log {log_id}.")


def _api_log(entry: dict[str, Any], namespace: str, root_url: str,
             place: Placement) -> dict[str, Any]:
    route, organization_id = place(entry["method"], entry["path"])
    moment = entry["time"]  # to the millisecond, so a sort on it keeps the order of requests
    headers = entry["headers"]
    query = f"?{entry['query']}" if entry["query"] else ""
    return {
        "id": str(entry["id"]),
        "status": entry["status"],
        "url": f"{root_url}{entry['path']}{query}",
        "route": route,
        "method": entry["method"],
        "request": entry["body"],
        "response": None,
        "requestHeaders": headers,
        "responseHeaders": None,
        "user": {**dict.fromkeys(_UNKNOWN_USER), "userAgent": _header(headers, "User-Agent"),
                 "isSupport": False},
        "ipAddress": None,
        "relatedResourceIds": [],
        "duration": round(entry["durationMs"]),
        "organizationId": organization_id or default_organization(namespace),
        "createdTime": moment,
        "updatedTime": moment,
    }


def _header(headers: dict[str, str], name: str) -> str | None:
    folded = name.casefold()
    return next((value for key, value in headers.items() if key.casefold() == folded), None)
