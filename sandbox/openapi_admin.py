"""The admin half of the OpenAPI document: one operation per entry of the admin route table.

Kept apart from ``sandbox.openapi`` only for size; it uses that module's shared pieces.
"""

from __future__ import annotations

import copy
from typing import Any

from apispec import APISpec

from .openapi import JSON, _errors, _json, _parameters_of
from .schemas import admin_responses as answers
from .schemas.admin import ClockSchema, JournalQuerySchema
from .schemas.fault import FaultRuleSchema

__all__ = ("add_admin", "ADMIN_PREFIX")

ADMIN_PREFIX = "/__admin"
NAMESPACE = "Namespace"
OPTIONAL_NAMESPACE = "OptionalNamespace"


def _op(operation_id: str, summary: str, responses: dict[str, Any], *,
        namespace: str | None = None, body: Any = None,
        parameters: list[Any] = ()) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": operation_id, "tags": ["Admin"], "summary": summary,
        "parameters": [*([namespace] if namespace else []), *parameters],
        "responses": {**responses, **_errors(401)},
    }
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {JSON: {"schema": body}}}
    return operation


def _array(schema: Any) -> dict[str, Any]:
    return {"type": "array", "items": schema}


NO_CONTENT = {"204": {"description": "Done."}}


def _operations() -> dict[str, dict[str, dict[str, Any]]]:
    a = answers
    return {
        "/health": {"get": _op("health", "Liveness, version, uptime and store kind.",
                               {"200": _json(a.HealthSchema, "Healthy.")})},
        "/reset": {"post": _op(
            "reset", "Clear a namespace (or all): data, journal, rules, rate counter, clock; "
            "reload --fixtures.", {"200": _json(a.ResetResultSchema, "What was removed.")},
            namespace=OPTIONAL_NAMESPACE)},
        "/fixtures": {
            "get": _op("listFixtures", "The fixture sets on offer, with counts.",
                       {"200": _json(_array(a.FixtureSetInfoSchema), "The sets.")}),
            "post": _op("loadInlineFixtures", "Load a fixture set sent in the body, all or "
                        "nothing.", {"201": _json(a.FixtureLoadResultSchema, "Loaded."),
                                     **_errors(400, 422)},
                        namespace=NAMESPACE, body=a.FixtureSetSchema)},
        "/fixtures/{name}": {"post": _op(
            "loadNamedFixtures", "Load a named fixture set into the namespace.",
            {"201": _json(a.FixtureLoadResultSchema, "Loaded."), **_errors(400, 404, 422)},
            namespace=NAMESPACE)},
        "/export": {"get": _op("export", "The namespace as a fixture set that loads it back.",
                               {"200": _json(a.FixtureSetSchema, "The set."),
                                **_errors(400)}, namespace=NAMESPACE)},
        "/snapshots": {"get": _op("listSnapshots", "The namespace's snapshot names.",
                                  {"200": _json(_array({"type": "string"}), "Names."),
                                   **_errors(400)}, namespace=NAMESPACE)},
        "/snapshots/{name}": {
            "post": _op("saveSnapshot", "Save the namespace under this name (replacing).",
                        {"201": _json(a.SnapshotResultSchema, "Saved."), **_errors(400)},
                        namespace=NAMESPACE),
            "delete": _op("deleteSnapshot", "Forget a snapshot.",
                          {**NO_CONTENT, **_errors(400, 404)}, namespace=NAMESPACE)},
        "/snapshots/{name}/restore": {"post": _op(
            "restoreSnapshot", "Make the namespace exactly what the snapshot saved.",
            {"200": _json(a.SnapshotResultSchema, "Restored."), **_errors(400, 404)},
            namespace=NAMESPACE)},
        "/clock": {
            "get": _op("getClock", "The namespace's clock, or the global one.",
                       {"200": _json(a.ClockStateSchema, "The clock.")},
                       namespace=OPTIONAL_NAMESPACE),
            "post": _op("moveClock", "Freeze, set, advance, resume or return to real time.",
                        {"200": _json(a.ClockStateSchema, "The clock after the change."),
                         **_errors(400, 422)}, namespace=OPTIONAL_NAMESPACE, body=ClockSchema)},
        "/faults": {
            "post": _op("addFault", "Add a fault rule to the namespace, or a global one.",
                        {"201": _json(a.FaultRuleStateSchema, "The rule."),
                         **_errors(400, 422)}, namespace=OPTIONAL_NAMESPACE,
                        body=FaultRuleSchema),
            "get": _op("listFaults", "The namespace's rules, then the global ones.",
                       {"200": _json(_array(a.FaultRuleStateSchema), "The rules.")},
                       namespace=OPTIONAL_NAMESPACE),
            "delete": _op("clearFaults", "Remove the namespace's rules (without it: all).",
                          {"200": _json(a.RemovedCountSchema, "How many went.")},
                          namespace=OPTIONAL_NAMESPACE)},
        "/faults/{rule_id}": {
            "get": _op("getFault", "One rule with its counters.",
                       {"200": _json(a.FaultRuleStateSchema, "The rule."), **_errors(404)},
                       namespace=OPTIONAL_NAMESPACE),
            "delete": _op("deleteFault", "Remove one rule.", {**NO_CONTENT, **_errors(404)},
                          namespace=OPTIONAL_NAMESPACE)},
        "/requests": {
            "get": _op("listRequests", "The namespace's request journal, newest first.",
                       {"200": _json(_array(a.JournalEntrySchema), "The entries."),
                        **_errors(400, 422)}, namespace=NAMESPACE,
                       parameters=[{"in": "query", "schema": JournalQuerySchema}]),
            "delete": _op("clearRequests", "Empty the journal of the namespace (or all).",
                          {"200": _json(a.ClearedCountSchema, "How many went.")},
                          namespace=OPTIONAL_NAMESPACE)},
        "/openapi.json": {"get": _op("openapi", "This document.", {"200": _json(
            {"type": "object"}, "The OpenAPI document of the sandbox.")})},
        "/": {"get": {**_op("dashboard", "The dashboard: namespaces, customers, journal, "
                            "fault rules.", {"200": {"description": "An HTML page.",
                                                     "content": {"text/html": {"schema": {
                                                         "type": "string"}}}},
                                             **_errors(400)},
                            parameters=[{"name": "namespace", "in": "query",
                                         "description": "The namespace id to show (ns_…).",
                                         "schema": {"type": "string"}}]),
                      "tags": ["Dashboard"]}},
    }


def add_admin(spec: APISpec) -> None:
    security = [{"AdminToken": []}, {}]
    for path, operations in copy.deepcopy(_operations()).items():
        for operation in operations.values():
            operation["security"] = security
        full = ADMIN_PREFIX + path
        spec.path(path=full, operations=operations, parameters=_parameters_of(full))
