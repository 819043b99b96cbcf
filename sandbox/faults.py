"""Fault rules as data: what they match, what they do, and when they fire, repeatably.

A rule belongs to the namespace that created it (or is global), matches requests by method, path,
header and JSON body field, and fires on the n-th matching request according to ``skip``,
``times`` and a seeded ``probability``. The decision for the n-th match is a pure function of
(seed, rule definition, n), so the same requests fail on every run whatever other namespaces do.
Rules expire on their own, by the sandbox's clock (so a test moves time instead of sleeping),
and a crashed test cannot poison the next one. Matching is linear in the request path whatever
the rule path holds, and a namespace holds a bounded number of rules: no rule can take the
server's time from other tenants.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import json
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ulid import ULID

__all__ = ("Action", "Rule", "FaultRegistry", "Decision", "RuleLimitReached", "normalise_path",
           "path_matches", "parse_fault_header", "action_from_email", "valid_fault_status",
           "NETWORK_ACTIONS", "DELIVERY_ACTIONS")

NETWORK_ACTIONS = ("reset", "close", "truncate", "hang")
#: What a rule with ``"on": "delivery"`` does to a webhook delivery attempt.
DELIVERY_ACTIONS = ("delay", "duplicate", "reorder", "drop", "malformedBody", "truncateBody")
_ORGANIZATION_PREFIX = re.compile(r"^/organizations/[^/]+")


def normalise_path(path: str) -> str:
    """One form for ``/customers``, ``/customers/`` and ``/organizations/{id}/customers``."""
    path = _ORGANIZATION_PREFIX.sub("", path)
    return path.rstrip("/") or "/"


@dataclass(frozen=True)
class Action:
    """What a fault does: an error answer, a delay, a network fault, optionally after storing."""

    status: int | None = None
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay_ms: tuple[int, int] | None = None  # (low, high); equal for a fixed delay
    network: str | None = None
    hang_seconds: float | None = None
    after_commit: bool = False
    #: A webhook delivery fault (``DELIVERY_ACTIONS``) and, for ``delay``, its sandbox seconds.
    delivery: str | None = None
    delivery_delay_seconds: float = 0.0

    def describe(self) -> str:
        parts = []
        if self.delivery:
            parts.append(f"delivery {self.delivery}" + (
                f" {self.delivery_delay_seconds:g}s" if self.delivery == "delay" else ""))
        if self.delay_ms:
            low, high = self.delay_ms
            parts.append(f"delay {low}ms" if low == high else f"delay {low}-{high}ms")
        if self.status:
            parts.append(f"status {self.status}")
        if self.network:
            parts.append(f"network {self.network}")
        if self.after_commit:
            parts.append("after commit")
        return ", ".join(parts)


@dataclass(frozen=True)
class Decision:
    """A fault that fires for one request, and where it came from (for the journal)."""

    action: Action
    source: str  # "rule", "header" or "email"
    rule_id: str | None = None
    match_number: int | None = None
    delay_ms: int = 0

    def journal(self) -> dict[str, Any]:
        return {"source": self.source, "rule": self.rule_id, "match": self.match_number,
                "action": self.action.describe(), "delayMs": self.delay_ms or None}


def _unit_interval(*parts: object) -> float:
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2 ** 64


@dataclass
class Rule:
    """One fault rule and its counters."""

    definition: dict[str, Any]  # as validated, for listing and for the seeded decisions
    action: Action
    namespace: str | None  # None: global
    method: str | None = None
    path: str | None = None
    header: tuple[str, str] | None = None
    body: dict[str, Any] = field(default_factory=dict)
    times: int | None = None
    skip: int = 0
    probability: float = 1.0
    seed: int | str = 0
    lifetime: float = 3600.0  # seconds, from when the registry takes the rule
    #: "request" (API requests), "delivery" (webhook delivery attempts) or "renewal-payment"
    #: (autopay charges of renewal invoices, which it declines).
    on: str = "request"
    event_type: str | None = None  # delivery rules: the eventType to match
    url: str | None = None  # delivery rules: a ``*`` pattern for the delivery URL
    expires_at: float = 0.0  # POSIX seconds on the owner's clock; set by FaultRegistry.add
    id: str = field(default_factory=lambda: f"flt_{ULID()}")
    matched: int = 0
    fired: int = 0

    def __post_init__(self) -> None:
        # The rule's identity for seeded decisions: what it matches and does, not its lifetime.
        essence = {k: v for k, v in self.definition.items() if k != "expiresInSeconds"}
        canonical = json.dumps(essence, sort_keys=True, separators=(",", ":"))
        self._identity = hashlib.sha256(canonical.encode()).hexdigest()

    def matches_delivery(self, event_type: str, url: str) -> bool:
        if self.on != "delivery":
            return False
        if self.event_type and event_type != self.event_type:
            return False
        return not self.url or path_matches(self.url, url)

    def matches(self, method: str, path: str, headers: Mapping[str, str],
                body: Mapping[str, Any] | None) -> bool:
        if self.on != "request":
            return False
        if self.method and method != self.method:
            return False
        if self.path and not path_matches(self.path, normalise_path(path)):
            return False
        if self.header and headers.get(self.header[0]) != self.header[1]:
            return False
        for dotted, expected in self.body.items():
            if body is None or _dig(body, dotted) != expected:
                return False
        return True

    def decide(self) -> int | None:
        """Count one match; return its number when the rule fires for it, else None."""
        self.matched += 1
        number = self.matched
        if number <= self.skip:
            return None
        if self.times is not None and self.fired >= self.times:
            return None
        if self.probability < 1.0 and \
                _unit_interval(self.seed, self._identity, number) >= self.probability:
            return None
        self.fired += 1
        return number

    def delay_for(self, number: int) -> int:
        if not self.action.delay_ms:
            return 0
        low, high = self.action.delay_ms
        spread = _unit_interval(self.seed, self._identity, "delay", number)
        return low + int(spread * (high - low + 1))

    def remaining(self) -> int | None:
        return None if self.times is None else max(self.times - self.fired, 0)

    def shown(self, now: float) -> dict[str, Any]:
        return {"id": self.id, **self.definition, "global": self.namespace is None,
                "matched": self.matched, "fired": self.fired, "remaining": self.remaining(),
                "expiresInSeconds": round(max(self.expires_at - now, 0.0), 3)}


def path_matches(pattern: str, path: str) -> bool:
    """Whether ``path`` fits ``pattern``, where ``*`` stands for any run of characters and
    everything else is literal.

    No regular expression, so nothing to backtrack: the literal pieces between the stars are
    found left to right, each at its leftmost place, which is always a right place when the
    only wildcard is ``*``. The cost is at most one scan of the path per piece.
    """
    first, *middle = pattern.split("*")
    if not middle:
        return path == pattern
    last = middle.pop()
    end = len(path) - len(last)
    if end < len(first) or not path.startswith(first) or not path.endswith(last):
        return False
    position = len(first)
    for piece in middle:
        found = path.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return True


def _dig(document: Mapping[str, Any], dotted: str) -> Any:
    value: Any = document
    for part in dotted.split("."):
        if isinstance(value, Mapping):
            value = value.get(part)
        elif (isinstance(value, list) and part.isascii() and part.isdigit()
              and int(part) < len(value)):  # "²" is a digit to isdigit, not to int()
            value = value[int(part)]
        else:
            return None
    return value


class RuleLimitReached(Exception):
    """A namespace (or the global scope) already holds as many rules as it may."""

    def __init__(self, namespace: str | None, limit: int):
        scope = "There are already" if namespace is None else "This namespace already has"
        kind = "global fault rules" if namespace is None else "fault rules"
        super().__init__(f"{scope} {limit} {kind}, the most allowed; delete some or let them "
                         "expire.")
        self.namespace = namespace
        self.limit = limit


class FaultRegistry:
    """Every rule, by namespace. The first rule that matches decides (the namespace's own rules
    in the order they were made, then global ones); a rule whose ``times`` are used up stays
    listed but no longer matches.

    A request only looks at its own namespace's rules and the global ones, so expiry is checked
    there and nowhere else: one namespace's rules never slow another's requests. Expired rules of
    namespaces that went quiet are forgotten as new rules come in, earliest expiry first.
    """

    def __init__(self, clock_for: Callable[[str | None], Any], max_rules: int = 100):
        """``clock_for(namespace)`` is the clock a namespace's rules expire by (``None``: the
        global one); ``max_rules`` bounds each namespace's rules, and the global rules apart."""
        self._clock_for = clock_for
        self.max_rules = max_rules
        self._lock = threading.Lock()
        self._rules: dict[str | None, list[Rule]] = {}
        #: (expires_at, order, owner): when to look at an owner's rules again.
        self._expiries: list[tuple[float, int, str | None]] = []
        self._order = itertools.count()
        self._expiries_when_rebuilt = 0

    def now(self, owner: str | None) -> float:
        """Now on the clock the owner's rules expire by, in POSIX seconds."""
        return self._clock_for(owner).now().timestamp()

    def shown(self, rule: Rule) -> dict[str, Any]:
        """A rule as the admin API lists it, its remaining lifetime by its owner's clock."""
        return rule.shown(self.now(rule.namespace))

    def add(self, rule: Rule) -> Rule:
        """Take a rule, its lifetime starting now.

        :raises RuleLimitReached: when its owner already holds ``max_rules`` live rules.
        """
        rule.expires_at = self.now(rule.namespace) + rule.lifetime
        with self._lock:
            self._forget_expired()
            if len(self._live(rule.namespace)) >= self.max_rules:
                raise RuleLimitReached(rule.namespace, self.max_rules)
            self._rules.setdefault(rule.namespace, []).append(rule)
            heapq.heappush(self._expiries, (rule.expires_at, next(self._order), rule.namespace))
        return rule

    def _live(self, owner: str | None) -> list[Rule]:
        """The owner's rules whose time is not up, dropping the others (lock held)."""
        rules = self._rules.get(owner)
        if not rules:
            return []
        now = self.now(owner)
        if all(rule.expires_at > now for rule in rules):
            return rules
        kept = [rule for rule in rules if rule.expires_at > now]
        if kept:
            self._rules[owner] = kept
        else:
            del self._rules[owner]
        return kept

    def _forget_expired(self) -> None:
        """Drop the rules whose expiry has come, earliest first, also of namespaces that send
        no requests any more; keep the expiry heap near the number of rules held (lock held)."""
        while self._expiries:
            expires_at, _, owner = self._expiries[0]
            if expires_at > self.now(owner):
                break
            heapq.heappop(self._expiries)
            self._live(owner)
        if len(self._expiries) > 2 * self._expiries_when_rebuilt + 1024:
            self._expiries = [(rule.expires_at, next(self._order), owner)
                              for owner, rules in self._rules.items() for rule in rules]
            heapq.heapify(self._expiries)
            self._expiries_when_rebuilt = len(self._expiries)

    def rules(self, namespace: str | None) -> list[Rule]:
        """The rules a namespace sees: its own, then the global ones."""
        with self._lock:
            own = self._live(namespace) if namespace is not None else []
            return [*own, *self._live(None)]

    def get(self, namespace: str | None, rule_id: str) -> Rule | None:
        return next((rule for rule in self.rules(namespace) if rule.id == rule_id), None)

    def remove(self, namespace: str | None, rule_id: str) -> bool:
        with self._lock:
            for owner in (namespace, None):
                rules = self._rules.get(owner, [])
                for rule in rules:
                    if rule.id == rule_id:
                        rules.remove(rule)
                        return True
        return False

    def clear(self, namespace: str | None) -> int:
        """Drop a namespace's rules (``None``: every rule, global ones included)."""
        with self._lock:
            if namespace is None:
                count = sum(len(rules) for rules in self._rules.values())
                self._rules.clear()
                self._expiries.clear()
                self._expiries_when_rebuilt = 0
                return count
            return len(self._rules.pop(namespace, []))

    def clear_global(self) -> int:
        with self._lock:
            return len(self._rules.pop(None, []))

    def decide(self, namespace: str, method: str, path: str, headers: Mapping[str, str],
               body_loader) -> Decision | None:
        """The decision of the first rule that matches this request, if it fires."""
        rules = self.rules(namespace)
        if not rules:
            return None
        body = body_loader() if any(rule.body for rule in rules) else None
        with self._lock:
            for rule in rules:
                if rule.remaining() == 0:  # used up: no longer in the way of later rules
                    continue
                if rule.matches(method, path, headers, body):
                    number = rule.decide()
                    if number is None:
                        return None
                    return Decision(rule.action, "rule", rule.id, number, rule.delay_for(number))
        return None

    def decide_renewal(self, namespace: str) -> Decision | None:
        """Whether a renewal-payment rule declines this autopay charge of a renewal invoice;
        counted per charge as request rules count per request."""
        rules = self.rules(namespace)
        with self._lock:
            for rule in rules:
                if rule.on != "renewal-payment" or rule.remaining() == 0:
                    continue
                number = rule.decide()
                if number is None:
                    return None
                return Decision(rule.action, "rule", rule.id, number)
        return None

    def decide_delivery(self, namespace: str, event_type: str, url: str) -> Decision | None:
        """The decision of the first delivery rule that matches this attempt, if it fires.

        Counted per attempt as request rules count per request, so ``times``, ``skip`` and a
        seeded ``probability`` pick the same attempts on every run."""
        rules = self.rules(namespace)
        with self._lock:
            for rule in rules:
                if rule.remaining() == 0:
                    continue
                if rule.matches_delivery(event_type, url):
                    number = rule.decide()
                    if number is None:
                        return None
                    return Decision(rule.action, "rule", rule.id, number)
        return None


def valid_fault_status(status: int) -> bool:
    """Statuses a fault may answer with: 200-599, but not the bodiless 204 and 304."""
    return 200 <= status <= 599 and status not in (204, 304)


def parse_fault_header(value: str) -> Action:
    """``X-Sandbox-Fault: status=503``, ``delay=800``, ``network=reset``, ``afterCommit=true``,
    combined with ``;`` (``delay=200;status=503``).

    :raises ValueError: naming the part that cannot be read.
    """
    settings: dict[str, Any] = {}
    for part in filter(None, (piece.strip() for piece in value.split(";"))):
        key, _, raw = part.partition("=")
        key, raw = key.strip(), raw.strip()
        if key == "status" and raw.isdigit() and valid_fault_status(int(raw)):
            settings["status"] = int(raw)
        elif key == "delay" and raw.isdigit():
            settings["delay_ms"] = (int(raw), int(raw))
        elif key == "network" and raw in NETWORK_ACTIONS:
            settings["network"] = raw
        elif key == "afterCommit" and raw in ("true", "false"):
            settings["after_commit"] = raw == "true"
        else:
            raise ValueError(f"cannot read {part!r}; use status=NNN, delay=MS, "
                             f"network={'|'.join(NETWORK_ACTIONS)}, afterCommit=true")
    if not settings.keys() & {"status", "delay_ms", "network"}:
        raise ValueError("name a status, a delay or a network fault")
    if "status" in settings and "network" in settings:
        raise ValueError("a fault is either a status or a network fault, not both")
    if settings.get("after_commit") and not settings.keys() & {"status", "network"}:
        raise ValueError("afterCommit needs a status or a network fault to answer with")
    return Action(**settings)


_MAGIC_EMAIL = re.compile(
    r"^fault\.(?:(aftercommit)\.)?(?:status\.(\d{3})|delay\.(\d{1,6})|network\.(reset|close|truncate|hang))@",
    re.IGNORECASE)


def action_from_email(email: str) -> Action | None:
    """The fault a magic email address asks for, e.g. ``fault.status.503@example.com``."""
    found = _MAGIC_EMAIL.match(email)
    if not found:
        return None
    after_commit, status, delay, network = found.groups()
    if status and not valid_fault_status(int(status)):
        return None
    if after_commit and not (status or network):
        return None
    return Action(status=int(status) if status else None,
                  delay_ms=(int(delay), int(delay)) if delay else None,
                  network=network.lower() if network else None, after_commit=bool(after_commit))
