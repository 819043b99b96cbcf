"""The admin route table: every ``/__admin`` operation once, with what serves and documents it.

Each row says where the operation is served (rule and method), which view runs it, and how the
OpenAPI document describes it (operation id, summary, namespace header, body, query, answers,
errors). The blueprint registers from this table, ``rebilly_sandbox.openapi`` builds the admin part
of the document from it, and ``client`` names the ``SandboxClient`` methods that call the operation,
which ``tests/test_admin_table.py`` holds to the client's real requests; the first of them
takes every field of the row's ``body``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from flask import Response

from ..schemas import admin_responses as answers
from ..schemas.admin import ClockSchema, JournalQuerySchema
from ..schemas.fault import FaultRuleSchema
from ..schemas.tracking import TRACKING_ENTRY
from . import dashboard, views

__all__ = ("ADMIN_PREFIX", "ADMIN_ROUTES", "AdminRoute", "Answer")

ADMIN_PREFIX = "/__admin"

#: How an operation takes its namespace from ``REB-APIKEY``: it must be named, it may be
#: (without it, every namespace or the global clock and rules), or it takes none.
NamespaceUse = Literal["required", "optional"] | None


@dataclass(frozen=True)
class Answer:
    """One documented success answer: its body's schema (None: no body) and media type."""

    description: str
    schema: Any = None  # a marshmallow schema class, or a JSON Schema object
    many: bool = False  # the body is an array of ``schema``
    media_type: str = "application/json"


@dataclass(frozen=True)
class AdminRoute:
    """One admin operation: served at ``ADMIN_PREFIX + rule`` for ``method`` by ``view``."""

    rule: str  # a Flask rule, such as "/faults/<rule_id>"
    method: str
    view: Callable[..., Response]
    operation_id: str
    summary: str
    answers: Mapping[int, Answer]
    errors: tuple[int, ...] = ()  # problem answers besides 401, which every admin route has
    namespace: NamespaceUse = None
    body: type | None = None  # the request body's marshmallow schema
    query: tuple[Any, ...] = ()  # marshmallow schema classes or OpenAPI parameter objects
    tag: str = "Admin"
    client: tuple[str, ...] = ()  # the SandboxClient methods that call it

    @property
    def path(self) -> str:
        """The OpenAPI path template: ``/__admin/faults/{rule_id}``."""
        return ADMIN_PREFIX + self.rule.replace("<", "{").replace(">", "}")


DONE = {204: Answer("Done.")}

DELIVERY_COUNTS = {"type": "object", "properties": {
    name: {"type": "integer"} for name in ("attempts", "delivered", "failed", "pending")}}

ADMIN_ROUTES: tuple[AdminRoute, ...] = (
    AdminRoute("/health", "GET", views.health, "health",
               "Liveness, version, uptime and store kind.",
               {200: Answer("Healthy.", answers.HealthSchema)},
               client=("health", "wait_until_ready")),
    AdminRoute("/reset", "POST", views.reset, "reset",
               "Clear a namespace (or all): data, journal, rules, rate counter, clock; reload "
               "--fixtures.", {200: Answer("What was removed.", answers.ResetResultSchema)},
               namespace="optional", client=("reset",)),
    AdminRoute("/fixtures", "GET", views.list_fixtures, "listFixtures",
               "The fixture sets on offer, with counts.",
               {200: Answer("The sets.", answers.FixtureSetInfoSchema, many=True)},
               client=("fixtures",)),
    AdminRoute("/fixtures", "POST", views.load_inline_fixtures, "loadInlineFixtures",
               "Load a fixture set sent in the body, all or nothing.",
               {201: Answer("Loaded.", answers.FixtureLoadResultSchema)}, errors=(400, 422),
               namespace="required", body=answers.FixtureSetSchema, client=("load_fixtures",)),
    AdminRoute("/fixtures/<name>", "POST", views.load_named_fixtures, "loadNamedFixtures",
               "Load a named fixture set into the namespace.",
               {201: Answer("Loaded.", answers.FixtureLoadResultSchema)},
               errors=(400, 404, 422), namespace="required", client=("load_fixtures",)),
    AdminRoute("/export", "GET", views.export, "export",
               "The namespace as a fixture set that loads it back.",
               {200: Answer("The set.", answers.FixtureSetSchema)}, errors=(400,),
               namespace="required", client=("export",)),
    AdminRoute("/snapshots", "GET", views.list_snapshots, "listSnapshots",
               "The namespace's snapshot names.",
               {200: Answer("Names.", {"type": "string"}, many=True)}, errors=(400,),
               namespace="required", client=("snapshots",)),
    AdminRoute("/snapshots/<name>", "POST", views.save_snapshot, "saveSnapshot",
               "Save the namespace under this name (replacing).",
               {201: Answer("Saved.", answers.SnapshotResultSchema)}, errors=(400,),
               namespace="required", client=("save_snapshot",)),
    AdminRoute("/snapshots/<name>/restore", "POST", views.restore_snapshot, "restoreSnapshot",
               "Make the namespace exactly what the snapshot saved.",
               {200: Answer("Restored.", answers.SnapshotResultSchema)}, errors=(400, 404),
               namespace="required", client=("restore_snapshot",)),
    AdminRoute("/snapshots/<name>", "DELETE", views.delete_snapshot, "deleteSnapshot",
               "Forget a snapshot.", DONE, errors=(400, 404), namespace="required",
               client=("delete_snapshot",)),
    AdminRoute("/clock", "GET", views.get_clock, "getClock",
               "The namespace's clock, or the global one.",
               {200: Answer("The clock.", answers.ClockStateSchema)}, namespace="optional",
               client=("clock",)),
    AdminRoute("/clock", "POST", views.move_clock, "moveClock",
               "Freeze, set, advance, resume or return to real time.",
               {200: Answer("The clock after the change.", answers.ClockStateSchema)},
               errors=(400, 422), namespace="optional", body=ClockSchema,
               client=("move_clock", "freeze_clock", "set_clock", "advance_clock", "advance",
                       "resume_clock", "real_clock")),
    AdminRoute("/faults", "POST", views.add_fault, "addFault",
               "Add a fault rule to the namespace, or a global one.",
               {201: Answer("The rule.", answers.FaultRuleStateSchema)}, errors=(400, 422),
               namespace="optional", body=FaultRuleSchema, client=("add_fault",)),
    AdminRoute("/faults", "GET", views.list_faults, "listFaults",
               "The namespace's rules, then the global ones.",
               {200: Answer("The rules.", answers.FaultRuleStateSchema, many=True)},
               namespace="optional", client=("faults",)),
    AdminRoute("/faults", "DELETE", views.clear_faults, "clearFaults",
               "Remove the namespace's rules (without it: all).",
               {200: Answer("How many went.", answers.RemovedCountSchema)},
               namespace="optional", client=("clear_faults",)),
    AdminRoute("/faults/<rule_id>", "GET", views.get_fault, "getFault",
               "One rule with its counters.",
               {200: Answer("The rule.", answers.FaultRuleStateSchema)}, errors=(404,),
               namespace="optional", client=("fault",)),
    AdminRoute("/faults/<rule_id>", "DELETE", views.delete_fault, "deleteFault",
               "Remove one rule.", DONE, errors=(404,), namespace="optional",
               client=("delete_fault",)),
    AdminRoute("/requests", "GET", views.list_requests, "listRequests",
               "The namespace's request journal, newest first.",
               {200: Answer("The entries.", answers.JournalEntrySchema, many=True)},
               errors=(400, 422), namespace="required", query=(JournalQuerySchema,),
               client=("requests",)),
    AdminRoute("/requests", "DELETE", views.clear_requests, "clearRequests",
               "Empty the journal of the namespace (or all).",
               {200: Answer("How many went.", answers.ClearedCountSchema)},
               namespace="optional", client=("clear_requests",)),
    AdminRoute("/webhooks/deliver", "POST", views.deliver_webhooks, "deliverWebhooks",
               "Send the webhook deliveries due now (of the namespace, or all) and wait for them.",
               {200: Answer("Deliveries by state afterwards, and attempts made in all.",
                           DELIVERY_COUNTS)},
               namespace="optional", client=("deliver_webhooks",)),
    AdminRoute("/webhooks/tracking", "GET", views.webhook_tracking, "webhookTracking",
               "The namespace's webhook delivery attempts, newest first.",
               {200: Answer("The attempts.", TRACKING_ENTRY, many=True)}, errors=(400,),
               namespace="required", client=("webhook_tracking",),
               query=({"name": "eventType", "in": "query", "schema": {"type": "string"},
                       "description": "Only attempts of this event type."},)),
    AdminRoute("/openapi.json", "GET", views.openapi_document, "openapi", "This document.",
               {200: Answer("The OpenAPI document of the sandbox.", {"type": "object"})},
               client=("openapi",)),
    # For a person with a browser, so no client method: it answers HTML, not JSON.
    AdminRoute("/", "GET", dashboard.dashboard, "dashboard",
               "The dashboard: namespaces, customers, journal, fault rules.",
               {200: Answer("An HTML page.", {"type": "string"}, media_type="text/html")},
               errors=(400,), tag="Dashboard",
               query=({"name": "namespace", "in": "query",
                       "description": "The namespace id to show (ns_…).",
                       "schema": {"type": "string"}},)),
)
