"""The webhook delivery worker: sends each ``webhook-deliveries`` document, retries on the
namespace's sandbox clock, and records every attempt in the tracking log.

Deliveries are written with the change that caused them (``services.events.emit``), so the store
is the queue and a crash loses none: at start-up every pending delivery of every namespace is
loaded once into the due-queue, and afterwards ``outbox`` tells the worker of each new one.

The policy is the sandbox's own (Rebilly documents none): an attempt when due; on a non-2xx
answer, a 3xx (redirects are never followed), a timeout or a connection error, the next attempt
``backoff * 2 ** (attempt - 1)`` seconds later on the namespace's clock, so moving the clock
through the admin API brings it on; after ``attempts`` attempts the delivery is ``failed``.

Bounded: one scheduler thread and ``POOL_SIZE`` sender threads (greenlets once gevent patched
the process), at most one of them per namespace at a time, each attempt ended at its deadline of
``timeout`` seconds for the whole of it and at most ``RESPONSE_CAP`` bytes of any answer read
(``outbound.send``), the target policy of ``--webhook-allow`` checked at every attempt, and at
most ``max_pending`` waiting deliveries per namespace (a new one beyond it is failed at once).
Nothing here runs on the request path. An attempt made but not recorded (the store refused the
write) is recorded when the delivery's turn comes again, never sent twice while the process runs.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from . import outbound
from .faults import Decision, FaultRegistry
from .ids import Clock, IdGenerator, format_time
from .services.events import DELIVERIES
from .services.tracking import record_attempt
from .store import Store
from .version import __version__

__all__ = ("DeliveryWorker", "USER_AGENT", "POOL_SIZE", "RESPONSE_CAP")

USER_AGENT = f"rebilly-sandbox/{__version__}"
#: Deliveries sent at once, whatever the number of namespaces and receivers.
POOL_SIZE = 8
#: The most of a receiver's answer read and kept.
RESPONSE_CAP = 16 * 1024
#: Longest sleep of the scheduler while deliveries wait: a clock moved without ``wake`` is
#: noticed this soon.
POLL_SECONDS = 0.5
#: Sandbox-clock seconds a ``reorder`` fault holds a delivery when no later one overtakes it.
REORDER_HOLD_SECONDS = 1.0
CREDENTIALS = "service-credentials"

log = logging.getLogger("sandbox")

Key = tuple[str, str]  # (namespace, delivery id)


@dataclass
class _Sent:
    """What one attempt saw, as the tracking log records it."""

    status: int
    duration: int
    initiated: str
    sent: str
    request: str
    request_headers: dict[str, str]
    response: str = ""
    response_headers: dict[str, str] | None = None
    #: The target policy refused the URL: nothing was sent, and no later attempt would be.
    refused: bool = False

    def as_attempt(self, number: int) -> dict[str, Any]:
        return {"status": self.status, "duration": self.duration, "initiatedTime": self.initiated,
                "sentTime": self.sent, "request": self.request,
                "requestHeaders": self.request_headers, "response": self.response,
                "responseHeaders": self.response_headers or {}, "attempt": number}

    @property
    def acknowledged(self) -> bool:
        return 200 <= self.status < 300


class DeliveryWorker:
    """The due-queue (a heap per namespace, by sandbox-clock time), its scheduler and senders.

    Threads start with the first delivery to send, so an app that never delivers runs none.
    """

    def __init__(self, store: Store, ids: IdGenerator, clock_for: Callable[[str], Clock],
                 faults: FaultRegistry, config: dict[str, Any]):
        self.store = store
        self.ids = ids
        self.clock_for = clock_for
        self.faults = faults
        self.attempts = config["webhook_attempts"]
        self.backoff = config["webhook_backoff_seconds"]
        self.timeout = config["webhook_timeout"]
        self.policy = outbound.TargetPolicy.for_server(config["webhook_allow"],
                                                       config.get("host", "127.0.0.1"))
        self.max_pending = config["webhook_max_pending"]
        self._cond = threading.Condition()
        self._heaps: dict[str, list[tuple[float, int, str]]] = {}
        self._due: dict[Key, float] = {}  # the one true due time of each queued delivery
        #: Queued deliveries written to go at once (not retries, not held by a fault): moving
        #: their namespace's clock back must not hold them until it catches up again.
        self._at_once: set[Key] = set()
        #: The delivery each namespace is sending: one at a time, so a namespace's events reach
        #: their receivers in the order they happened.
        self._inflight: dict[str, tuple[str, threading.Event]] = {}
        self._held: dict[str, list[str]] = {}  # reorder faults: held until overtaken
        #: Attempts made but not recorded (the store refused the write): recorded, never sent
        #: again, when their delivery's turn comes.
        self._unrecorded: dict[Key, tuple[dict[str, Any], int, list[_Sent], bool]] = {}
        self._order = itertools.count()
        self._jobs: queue.Queue[Key | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._closed = False

    # -- being told of work ---------------------------------------------------------------

    def outbox(self, namespace: str, delivery_id: str, due_time: str) -> None:
        """A delivery was just written (its transaction may still roll back)."""
        with self._cond:
            waiting = sum(1 for key in self._due if key[0] == namespace) \
                if len(self._due) >= self.max_pending else 0
        if waiting >= self.max_pending:
            self._refuse(namespace, delivery_id)
            return
        self.schedule(namespace, delivery_id, datetime.fromisoformat(due_time).timestamp(),
                      at_once=True)

    def schedule(self, namespace: str, delivery_id: str, due: float, *,
                 at_once: bool = False) -> None:
        with self._cond:
            if self._closed:
                return
            key = (namespace, delivery_id)
            self._due[key] = due
            if at_once:
                self._at_once.add(key)
            else:
                self._at_once.discard(key)
            heapq.heappush(self._heaps.setdefault(namespace, []),
                           (due, next(self._order), delivery_id))
            self._start()
            self._cond.notify_all()

    def wake(self) -> None:
        """Look at the clocks again (one was moved)."""
        with self._cond:
            self._bring_forward()
            self._cond.notify_all()

    def _bring_forward(self) -> None:
        """A delivery written to go at once stays due when its namespace's clock is moved back
        before it went: it comes forward to the clock's now, keeping its place in the queue, so
        events still reach their receivers in the order they happened (lock held)."""
        for owner, heap in self._heaps.items():
            now = self.clock_for(owner).now().timestamp()
            late = [(order, delivery_id) for due, order, delivery_id in heap
                    if due > now and (owner, delivery_id) in self._at_once
                    and self._due.get((owner, delivery_id)) == due]
            for order, delivery_id in late:
                self._due[(owner, delivery_id)] = now
                heapq.heappush(heap, (now, order, delivery_id))

    def load_pending(self) -> int:
        """Queue every pending delivery in the store: once, at start-up."""
        found = []
        with self.store.transaction() as tx:
            for namespace in self.store.namespaces():
                found.extend((namespace, doc["id"], doc["dueTime"])
                             for doc in tx.view(namespace, DELIVERIES)
                             if doc.get("state") == "pending")
        for namespace, delivery_id, due in found:
            self.schedule(namespace, delivery_id, datetime.fromisoformat(due).timestamp())
        if found:
            log.info("%d webhook deliveries pending from before the restart", len(found))
        return len(found)

    def _refuse(self, namespace: str, delivery_id: str) -> None:
        """Fail a delivery beyond ``--webhook-max-pending`` at once; its body goes, since nothing
        will ever send it, and no longer counts in the namespace's byte budget."""
        from .services.retention import refuse

        with self.store.transaction() as tx:
            delivery = tx.get(namespace, DELIVERIES, delivery_id)
            if delivery is not None:
                refuse(delivery, f"{self.max_pending} deliveries were already waiting in this "
                                 "namespace (--webhook-max-pending)")
                tx.put(namespace, DELIVERIES, delivery)
        log.warning("webhook delivery %s refused: %d already waiting", delivery_id,
                    self.max_pending)

    # -- threads --------------------------------------------------------------------------

    def _start(self) -> None:
        """Start the scheduler and senders (lock held)."""
        if self._threads:
            return
        self._threads.append(threading.Thread(target=self._schedule_loop, daemon=True,
                                              name="sandbox-webhook-scheduler"))
        self._threads.extend(threading.Thread(target=self._send_loop, daemon=True,
                                              name=f"sandbox-webhook-sender-{n}")
                             for n in range(POOL_SIZE))
        for thread in self._threads:
            thread.start()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        for _ in self._threads:
            self._jobs.put(None)

    def _schedule_loop(self) -> None:
        with self._cond:
            while not self._closed:
                wait = self._dispatch_due()
                self._cond.wait(wait)

    def _dispatch_due(self, namespace: str | None = None) -> float | None:
        """Hand each idle namespace's earliest due delivery to the senders (lock held); how
        long until the next one may be due."""
        wait: float | None = None
        for owner in [namespace] if namespace else list(self._heaps):
            heap = self._heaps.get(owner)
            if not heap:
                self._heaps.pop(owner, None)
                continue
            if owner in self._inflight:
                continue  # its turn comes when the attempt under way ends
            now = self.clock_for(owner).now().timestamp()
            while heap and heap[0][0] <= now:
                due, _, delivery_id = heapq.heappop(heap)
                key = (owner, delivery_id)
                if self._due.get(key) != due:
                    continue  # rescheduled since
                del self._due[key]
                self._at_once.discard(key)
                self._inflight[owner] = (delivery_id, threading.Event())
                self._start()
                self._jobs.put(key)
                break
            if heap and owner not in self._inflight:
                ahead = max(heap[0][0] - now, 0.0)
                wait = ahead if wait is None else min(wait, ahead)
        return None if wait is None else min(wait, POLL_SECONDS)

    def _send_loop(self) -> None:
        while True:
            key = self._jobs.get()
            if key is None:
                return
            try:
                self._attempt(*key)
            except Exception:  # a bug or a store that fails must not stop the sender
                log.exception("webhook delivery %s failed unexpectedly; tried again in %s "
                              "sandbox seconds", key[1], self._retry_seconds())
                self._retry_later(*key)
            finally:
                with self._cond:
                    self._inflight.pop(key[0])[1].set()
                    self._cond.notify_all()

    # -- deliver now ----------------------------------------------------------------------

    def deliver_now(self, namespace: str | None, timeout: float = 60.0) -> dict[str, int]:
        """Send everything due now (held reorders included) and wait for those attempts and any
        already under way; then the namespace's (or every) deliveries counted by state, and the
        attempts made in all. Totals, not what this call did: the worker may have sent a
        delivery a moment before this call came."""
        deadline = time.monotonic() + timeout
        self._drain(namespace, deadline)
        with self._cond:  # held by reorder faults, or not recorded: after everything else
            for owner in [namespace] if namespace else list(self._held):
                for delivery_id in self._held.pop(owner, []):
                    self._make_due(owner, delivery_id)
            for owner, delivery_id in list(self._unrecorded):
                if namespace in (None, owner):
                    self._make_due(owner, delivery_id)
        self._drain(namespace, deadline)
        return self._tally(namespace)

    def _drain(self, namespace: str | None, deadline: float) -> None:
        """Dispatch and wait until nothing of the namespace (or any) is due or under way."""
        while time.monotonic() < deadline:
            with self._cond:
                self._dispatch_due(namespace)
                waiting = [event for owner, (_, event) in self._inflight.items()
                           if namespace is None or owner == namespace]
            if not waiting:
                return
            for event in waiting:
                event.wait(max(deadline - time.monotonic(), 0))

    def _tally(self, namespace: str | None) -> dict[str, int]:
        counts = {"attempts": 0, "delivered": 0, "failed": 0, "pending": 0}
        with self.store.transaction() as tx:
            for owner in [namespace] if namespace else self.store.namespaces():
                for doc in tx.view(owner, DELIVERIES):
                    counts["attempts"] += doc.get("attempt", 0)
                    if doc.get("state") in counts:
                        counts[doc["state"]] += 1
        return counts

    def _make_due(self, namespace: str, delivery_id: str) -> None:
        """Queue a delivery for now on its namespace's clock (lock held)."""
        due = self.clock_for(namespace).now().timestamp()
        self._due[(namespace, delivery_id)] = due
        heapq.heappush(self._heaps.setdefault(namespace, []),
                       (due, next(self._order), delivery_id))

    # -- one attempt ----------------------------------------------------------------------

    def _attempt(self, namespace: str, delivery_id: str) -> None:
        unrecorded = self._unrecorded.pop((namespace, delivery_id), None)
        if unrecorded is not None:  # sent before; only its record is missing
            self._record(namespace, *unrecorded)
            return
        with self.store.transaction() as tx:
            delivery = tx.get(namespace, DELIVERIES, delivery_id)
            credential = delivery and tx.get(namespace, CREDENTIALS,
                                             delivery.get("credentialId", ""))
        if delivery is None or delivery.get("state") != "pending":
            return  # rolled back, reset away, or finished meanwhile
        number = delivery["attempt"] + 1
        decision = None
        if delivery.get("heldAttempt") != number:
            decision = self.faults.decide_delivery(namespace, delivery["eventType"],
                                                   delivery["url"])
        kind = decision.action.delivery if decision else None
        if kind in ("delay", "reorder"):
            self._hold(namespace, delivery, number, decision)
            return
        if kind == "drop":
            sent = [self._not_sent(namespace, delivery, f"Not sent: dropped by fault rule "
                                   f"{decision.rule_id}.")]
        else:
            body = _faulted_body(delivery["body"], kind)
            sent = [self._send(namespace, delivery, credential, body)]
            if kind == "duplicate" and not sent[0].refused:
                sent.append(self._send(namespace, delivery, credential, body))
        self._record(namespace, delivery, number, sent, any(one.refused for one in sent))

    def _record(self, namespace: str, delivery: dict[str, Any], number: int,
                sent: list[_Sent], final: bool) -> None:
        """Record an attempt that was made; when the store cannot take it (a full disk), keep
        it in memory and record it when the delivery's turn comes again, so a receiver is never
        sent the same attempt twice while the process runs."""
        try:
            self._finish(namespace, delivery, number, sent, final=final)
        except Exception:
            log.exception("webhook delivery %s: attempt %d made but not recorded; recorded "
                          "again in %s sandbox seconds", delivery["id"], number,
                          self._retry_seconds())
            self._unrecorded[(namespace, delivery["id"])] = (delivery, number, sent, final)
            self._retry_later(namespace, delivery["id"])

    def _retry_seconds(self) -> float:
        return max(self.backoff, 1.0)

    def _retry_later(self, namespace: str, delivery_id: str) -> None:
        """Queue a delivery whose attempt broke off again, on its namespace's clock."""
        due = self.clock_for(namespace).now() + timedelta(seconds=self._retry_seconds())
        self.schedule(namespace, delivery_id, due.timestamp())

    def _hold(self, namespace: str, delivery: dict[str, Any], number: int,
              decision: Decision) -> None:
        """A ``delay`` moves the attempt later on the sandbox clock; a ``reorder`` holds it until
        a later delivery of the namespace has gone (or ``REORDER_HOLD_SECONDS``)."""
        action = decision.action
        seconds = action.delivery_delay_seconds if action.delivery == "delay" \
            else REORDER_HOLD_SECONDS
        due = self.clock_for(namespace).now() + timedelta(seconds=seconds)
        with self.store.transaction() as tx:
            current = tx.get(namespace, DELIVERIES, delivery["id"])
            if current is None:
                return
            current.update(dueTime=due.isoformat(), heldAttempt=number)
            tx.put(namespace, DELIVERIES, current)
        if action.delivery == "reorder":
            with self._cond:
                self._held.setdefault(namespace, []).append(delivery["id"])
        self.schedule(namespace, delivery["id"], due.timestamp())

    def _not_sent(self, namespace: str, delivery: dict[str, Any], why: str) -> _Sent:
        now = format_time(self.clock_for(namespace).now())
        return _Sent(status=0, duration=0, initiated=now, sent=now, request=delivery["body"],
                     request_headers={}, response=why)

    def _send(self, namespace: str, delivery: dict[str, Any],
              credential: dict[str, Any] | None, body: str) -> _Sent:
        """One request, bounded by ``outbound.send``: the deadline covers the whole attempt, a
        digest challenge included, and at most ``RESPONSE_CAP`` bytes of any answer are read."""
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT}
        for header in delivery.get("headers", ()):
            if header["name"].lower() not in outbound.FORBIDDEN_HEADERS:
                headers[header["name"]] = header["value"]
        clock = self.clock_for(namespace)
        initiated = format_time(clock.now())
        started = time.perf_counter()
        sent = _Sent(status=0, duration=0, initiated=initiated, sent=initiated, request=body,
                     request_headers=dict(headers))
        try:
            answer = outbound.send(delivery["method"], delivery["url"], list(headers.items()),
                                   body.encode("utf-8"), policy=self.policy,
                                   timeout=self.timeout, cap=RESPONSE_CAP,
                                   auth=_auth_for(credential, delivery["url"]))
        except outbound.Refused as refusal:
            sent.response = f"Not sent: {refusal}."
            sent.refused = True
            log.info("webhook delivery %s not sent: %s", delivery["id"], refusal)
        except outbound.NotAnswered as error:
            sent.response = f"Not answered: {error}"
            log.info("webhook delivery %s to %s failed: %s", delivery["id"], delivery["url"],
                     error)
        else:
            sent.status = answer.status
            sent.request_headers = answer.request_headers
            sent.response_headers = answer.headers
            sent.response = answer.body.decode("utf-8", "replace")
        sent.duration = round((time.perf_counter() - started) * 1000)
        sent.sent = format_time(clock.now())
        return sent

    def _finish(self, namespace: str, delivery: dict[str, Any], number: int,
                sent: list[_Sent], *, final: bool = False) -> None:
        """Record the attempt, then mark the delivery delivered, failed, or due again."""
        acknowledged = any(one.acknowledged for one in sent)
        last = delivery.get("lastAttempt") or self.attempts
        retry_at = None
        with self.store.transaction() as tx:
            current = tx.get(namespace, DELIVERIES, delivery["id"])
            if current is None:
                return  # the namespace was reset while the attempt ran
            for one in sent:
                record_attempt(tx, namespace, self.ids.new("hook_log"), current,
                               one.as_attempt(number))
            current["attempt"] = number
            current.pop("heldAttempt", None)
            if acknowledged:
                current["state"] = "delivered"
            elif final or number >= last:
                current["state"] = "failed"
            else:
                retry_at = self.clock_for(namespace).now() + timedelta(
                    seconds=self.backoff * 2 ** (number - 1))
                current["dueTime"] = retry_at.isoformat()
            tx.put(namespace, DELIVERIES, current)
            if current["state"] != "pending":
                _forget_finished(tx, namespace)
        if retry_at is not None:
            self.schedule(namespace, delivery["id"], retry_at.timestamp())
        self._release_held(namespace, delivery["id"])

    def _release_held(self, namespace: str, just_sent: str) -> None:
        """A delivery went: those a ``reorder`` fault held in its namespace go after it."""
        with self._cond:
            held = self._held.get(namespace)
            if not held:
                return
            if just_sent in held:  # a held one went on its own time: it overtook nothing
                held.remove(just_sent)
                if not held:
                    del self._held[namespace]
                return
            for delivery_id in self._held.pop(namespace):
                self._make_due(namespace, delivery_id)
            self._cond.notify_all()


def _auth_for(credential: dict[str, Any] | None, url: str) -> dict[str, Any] | None:
    """The credential's ``auth``, for its own ``host`` only: a webhook aimed elsewhere carries
    no ``Authorization``, so a credential's password never reaches a host it was not made for."""
    if not credential:
        return None
    host = (urlsplit(url).hostname or "").rstrip(".")
    if host != str(credential.get("host", "")).lower().rstrip("."):
        return None
    return credential.get("auth")


def _faulted_body(body: str, kind: str | None) -> str:
    """``malformedBody``: the body with stray text after it, so it no longer parses as JSON;
    ``truncateBody``: its first half."""
    if kind == "malformedBody":
        return body + "\n}{"
    if kind == "truncateBody":
        return body[:len(body) // 2]
    return body


def _forget_finished(tx: Any, namespace: str) -> None:
    """Keep at most ``services.retention.MAX_FINISHED`` finished deliveries in a namespace,
    oldest going first: the rule deliveries are written with, applied as one finishes too."""
    from .services.retention import forget_finished

    forget_finished(tx, namespace)
