"""Admin operations as plain Python calls; the HTTP routes and the test helpers both use these.

``namespace`` arguments are namespace ids (``rebilly_sandbox.auth.namespace_for(key).id``); ``None``
means every namespace where that makes sense (reset, clock, clearing the journal).
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from typing import Any

from ..faults import Action, Rule, RuleLimitReached, normalise_path
from ..fixtures import (
    describe_fixtures,
    export_namespace,
    fixtures_dir,
    load_fixture_set,
    read_fixture,
)
from ..namespacesalt import clear_all_keeping_salt
from ..problems import BadRequest, NotFound, ValidationFailed
from ..schemas.admin import EARLIEST, LATEST
from ..schemas.fault import RENEWAL_RULE_SECONDS
from ..seeding import SEEDED_KIND, seed_namespace
from ..services import tracking
from ..services.billing_clock import namespaces_with_steps
from ..state import SandboxState
from ..version import __version__

__all__ = ("health", "reset", "list_fixtures", "load_fixtures", "export",
           "save_snapshot", "restore_snapshot", "list_snapshots", "delete_snapshot",
           "clock", "move_clock", "add_fault", "list_faults", "get_fault", "delete_fault",
           "clear_faults", "requests", "clear_requests", "deliver_webhooks", "webhook_tracking")

SNAPSHOT_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,64}")


def health(state: SandboxState) -> dict[str, Any]:
    return {
        "status": "ok",
        "version": __version__,
        "uptimeSeconds": round(time.monotonic() - state.started, 3),
        "store": state.store.kind,
        "fixtures": state.config["fixtures"],
    }


def reset(state: SandboxState, namespace: str | None = None) -> dict[str, Any]:
    """Back to a clean state: data, journal, rate counters and clock of one namespace (or all),
    then the start-up fixture set again. Idempotent."""
    if namespace is None:
        removed = clear_all_keeping_salt(state.store, state.namespace_salt)
        state.namespace_clocks.clear()
        state.clock.reset()
        state.seeded.clear()
    else:
        removed = state.store.clear_namespace(namespace)
        state.namespace_clocks.pop(namespace, None)
        state.seeded.discard(namespace)
    removed.pop(SEEDED_KIND, None)
    journal_entries = state.journal.clear(namespace)
    fault_rules = state.faults.clear(namespace)
    state.rate_limiter.reset(namespace)
    if namespace is not None:
        seed_namespace(state, namespace)
    return {"scope": "namespace" if namespace else "all", "removed": removed,
            "journalEntries": journal_entries, "faultRules": fault_rules,
            "fixtures": state.config["fixtures"]}


def list_fixtures(state: SandboxState) -> list[dict[str, Any]]:
    return describe_fixtures(fixtures_dir(state.config["fixtures_dir"]))


def load_fixtures(state: SandboxState, namespace: str, name: str | None = None,
                  inline: dict[str, Any] | None = None) -> dict[str, Any]:
    """Load the named set, or an inline one, into a namespace: all of it or, on error, nothing."""
    data = inline if inline is not None else read_fixture(
        fixtures_dir(state.config["fixtures_dir"]), name or "")
    loaded = load_fixture_set(state.context(namespace), data, strict=state.config["strict"])
    return {"name": name, "loaded": loaded}


def export(state: SandboxState, namespace: str) -> dict[str, Any]:
    return export_namespace(state.store, namespace)


def _checked(name: str) -> str:
    if not SNAPSHOT_NAME.fullmatch(name):
        raise BadRequest("Snapshot names are 1-64 letters, digits, '.', '_' or '-'.")
    return name


def save_snapshot(state: SandboxState, namespace: str, name: str) -> dict[str, Any]:
    """Save (or replace) a snapshot; a new name beyond ``--max-snapshots`` is refused, since
    every snapshot is a full copy of the namespace in memory and in the database file."""
    existing = state.store.snapshots(namespace)
    limit = state.config["max_snapshots"]
    if _checked(name) not in existing and len(existing) >= limit:
        raise ValidationFailed([{"field": "name", "message": (
            f"This namespace already holds {len(existing)} snapshots, the most it may hold "
            f"(--max-snapshots {limit}); delete one or save over an existing name.")}])
    saved = state.store.save_snapshot(namespace, name)
    saved.pop(SEEDED_KIND, None)
    return {"name": name, "saved": saved}


def restore_snapshot(state: SandboxState, namespace: str, name: str) -> dict[str, Any]:
    restored = state.store.restore_snapshot(namespace, _checked(name))
    if restored is None:
        raise NotFound(f"No snapshot named {name!r} in this namespace.")
    restored.pop(SEEDED_KIND, None)
    state.seeded.discard(namespace)
    return {"name": name, "restored": restored}


def list_snapshots(state: SandboxState, namespace: str) -> list[str]:
    return state.store.snapshots(namespace)


def delete_snapshot(state: SandboxState, namespace: str, name: str) -> None:
    if not state.store.delete_snapshot(namespace, _checked(name)):
        raise NotFound(f"No snapshot named {name!r} in this namespace.")


def clock(state: SandboxState, namespace: str | None = None) -> dict[str, Any]:
    target = state.clock if namespace is None else state.clock_for(namespace)
    return {**target.describe(), "scope": "global" if target is state.clock else "namespace"}


def move_clock(state: SandboxState, namespace: str | None, action: str,
               at: datetime | None = None, seconds: float | None = None) -> dict[str, Any]:
    """Freeze, set, advance, resume or return to real time: one namespace's clock, or the global
    one (which every namespace without a clock of its own follows). Answers once every billing
    step the move made due (renewals, retries, churns, pauses) has run, with what they made."""
    target = state.clock if namespace is None else state.own_clock(namespace)
    if action == "advance" and not EARLIEST <= target.now() + timedelta(seconds=seconds or 0) \
            <= LATEST:
        raise ValidationFailed([{"field": "seconds",
                                 "message": "The clock must stay between 1970 and 9000."}])

    def move() -> None:
        if action == "freeze":
            target.freeze(at)
        elif action == "set":
            target.set(at)
        elif action == "advance":
            target.advance(timedelta(seconds=seconds or 0))
        elif action == "resume":
            target.resume()
        elif namespace is None:
            target.reset()
        else:
            state.namespace_clocks.pop(namespace, None)
        state.save_clock(namespace)

    if namespace is None:
        followers = [name for name in namespaces_with_steps(state.store)
                     if name not in state.namespace_clocks]
        made = state.billing.run_all(followers, move)
    else:
        made = state.billing.run(namespace, move)
    state.deliveries.wake()  # retries due by the moved clock go now
    state.notifier.wake()
    return {**clock(state, namespace), "billing": made}


def add_fault(state: SandboxState, namespace: str | None, rule: dict[str, Any],
              definition: dict[str, Any]) -> dict[str, Any]:
    """Add a rule from its validated form (``rule``) and the payload it came from."""
    owner = None if rule["globalRule"] else namespace
    if owner is None and not rule["globalRule"]:
        raise BadRequest("Name the rule's namespace with REB-APIKEY, or make it global with "
                         '"global": true.')
    match = rule["match"]
    header = next(iter(match["header"].items())) if "header" in match else None
    lifetime = (RENEWAL_RULE_SECONDS if rule["on"] == "renewal-payment"
                and "expiresInSeconds" not in definition else rule["expiresInSeconds"])
    action = Action(status=rule.get("status"), body=rule.get("body"),
                    headers=rule.get("headers") or {}, delay_ms=rule.get("delay"),
                    network=rule.get("network"), hang_seconds=rule.get("hangSeconds"),
                    after_commit=rule["afterCommit"], delivery=rule.get("delivery"),
                    delivery_delay_seconds=rule.get("delaySeconds", 0.0))
    try:
        added = state.faults.add(Rule(
            definition=definition, action=action, namespace=owner, method=match.get("method"),
            path=normalise_path(match["path"]) if "path" in match else None,
            header=(header[0], header[1]) if header else None, body=match.get("body") or {},
            times=rule.get("times"), skip=rule["skip"], probability=rule.get("probability", 1.0),
            seed=rule.get("seed", 0), lifetime=lifetime, on=rule["on"],
            event_type=match.get("eventType"), url=match.get("url")))
    except RuleLimitReached as full:
        raise ValidationFailed([], detail=f"{full} (--max-fault-rules)") from None
    return state.faults.shown(added)


def list_faults(state: SandboxState, namespace: str | None) -> list[dict[str, Any]]:
    return [state.faults.shown(rule) for rule in state.faults.rules(namespace)]


def get_fault(state: SandboxState, namespace: str | None, rule_id: str) -> dict[str, Any]:
    rule = state.faults.get(namespace, rule_id)
    if rule is None:
        raise NotFound(f"No fault rule {rule_id} (it may have expired).")
    return state.faults.shown(rule)


def delete_fault(state: SandboxState, namespace: str | None, rule_id: str) -> None:
    if not state.faults.remove(namespace, rule_id):
        raise NotFound(f"No fault rule {rule_id} (it may have expired).")


def clear_faults(state: SandboxState, namespace: str | None) -> dict[str, int]:
    """A namespace's own rules; without one, the global rules (never other namespaces')."""
    if namespace is None:
        return {"removed": state.faults.clear_global()}
    return {"removed": state.faults.clear(namespace)}


def requests(state: SandboxState, namespace: str, filters: dict[str, Any]) -> list[dict[str, Any]]:
    limit = filters.pop("limit", None)
    return state.journal.entries(namespace, filters, limit)


def clear_requests(state: SandboxState, namespace: str | None) -> dict[str, int]:
    return {"cleared": state.journal.clear(namespace)}


def deliver_webhooks(state: SandboxState, namespace: str | None) -> dict[str, int]:
    """Send every webhook delivery due now (of the namespace, or all) and wait until those
    attempts end: a test asserts on what its receiver got without sleeping."""
    return state.deliveries.deliver_now(namespace)


def webhook_tracking(state: SandboxState, namespace: str,
                     event_type: str | None = None) -> list[dict[str, Any]]:
    """The namespace's webhook delivery attempts, newest first."""
    return tracking.all_entries(state.context(namespace), event_type)
