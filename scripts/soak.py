"""Soak the real sandbox server with mixed traffic for minutes, then prove nothing was lost.

``make soak`` (or ``.venv/bin/python -m scripts.soak [--minutes M] [--concurrency C] [--url U]``)
starts ``python -m rebilly_sandbox serve --db <temp dir>/db.json --rate-limit 0 --log-level
warning`` (the same way ``scripts/bench.py`` does, with its helpers) and drives it at concurrency 32
for ``--minutes`` (default 10; a float such as 0.5 makes a smoke run). ``--url`` soaks a sandbox
that is already running on this machine instead; then there is no restart check.

The load: a few forked worker processes, each with threads that own one keep-alive
``http.client`` connection to 127.0.0.1 and loop over a weighted mix of operations on three
kinds of namespace (each a ``sk_sandbox_soak_<run tag>_...`` API key):

- durable (never reset): ``POST /customers`` (each 201's id recorded), ``PUT /customers/{id}``
  with client-chosen ids, ``GET /customers/{id}`` of the thread's own acknowledged writes (the
  answer must carry the marker of the last acknowledged write: read-your-writes), and
  ``GET /customers?limit=50``, sometimes with a filter. Upserts cycle through a bounded set of
  ids (filled within the first minute) and creates are paced at ``DURABLE_CREATES_PER_SECOND``,
  so the stored data grows slowly and visibly ("stored" column; a stored customer costs about
  5 KiB of RSS), and RSS growing faster than that means a leak, not more customers;
- ephemeral: the same, plus ``POST /__admin/reset`` and snapshot save and restore;
- fault: the same traffic under fault rules made through ``/__admin/faults``: 503 on
  ``GET /customers/{id}`` (probability 0.2, seeded), a 50 ms delay on ``GET /customers``
  (probability 0.1), a 502 after commit on ``POST /customers`` (``times`` N, re-armed every
  minute) and a connection reset on ``PUT`` (probability 0.05); restoring an empty snapshot
  keeps their data small without removing the rules (a reset would).

How to read it. One line per minute: requests completed in that minute, req/s, client-side
latency percentiles in ms (injected delays and errors included), then "real err": answers of
5xx that no fault rule produced plus connection errors other than a reset on a ``PUT`` in a
fault namespace; "injected": 503/502 answers whose body says "Injected by fault rule" and those
resets; "unexpect": any other status the operation should not get (a 404 on an acknowledged id,
a 422, a wrong 200/201 on an upsert, a stale read); "stored": customers held by the soak's
namespaces; "srv CPU": the server's share of one core (it is one process, one thread, so near
100% means the server, not the client, sets the pace); "RSS MiB": the server's resident memory
at the end of the minute. A star marks a minute cut short by a fractional ``--minutes``.

At the end: totals (with the load generator's own CPU, to show it was not the bottleneck, and
how many journal compactions the run crossed, each a moment where writes could go missing), the
fault rules' own counters next to what the client saw (they should agree), then verification:
every create and upsert acknowledged with 201/200 in a durable namespace is read back with
``GET /customers/{id}`` and must carry its last acknowledged write, and each namespace's
``Pagination-Total`` must equal the number of ids acknowledged there (more would be phantom
writes). Then the server gets SIGTERM (it must exit 0 and leave only the journal header), is
started again on the same database and the same checks run again. The verdict block lists each
check: zero real errors, zero lost writes, memory flat (RSS at the end of the last minute
within 20% or 50 MiB of the end of the first) and a clean SIGTERM. The exit code is 0 when all
hold. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import array
import http.client
import json
import multiprocessing
import os
import queue
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from scripts.bench import (
    CUSTOMER,
    HOST,
    children_cpu,
    cpu_seconds,
    free_port,
    kill_children,
    percentile,
    proc_status,
    python_workers,
    sandbox_argv,
    spawn,
    stop,
    tail,
    wait_first_201,
)

DURABLE, EPHEMERAL, FAULT = "durable", "ephemeral", "fault"
NAMESPACES = {DURABLE: 4, EPHEMERAL: 2, FAULT: 2}
KIND_WEIGHTS = {DURABLE: 0.5, EPHEMERAL: 0.3, FAULT: 0.2}
OPERATIONS = {
    DURABLE: {"create": 0.15, "upsert": 0.30, "get": 0.35, "list": 0.20},
    EPHEMERAL: {"create": 0.25, "upsert": 0.20, "get": 0.25, "list": 0.285, "reset": 0.005,
                "save": 0.005, "restore": 0.005},
    FAULT: {"create": 0.30, "upsert": 0.30, "get": 0.25, "list": 0.145, "empty": 0.005},
}
DURABLE_CREATES_PER_SECOND = 5.0  # all threads together: ~12 MiB of customers in 10 minutes
UPSERT_IDS = 40  # client-chosen ids per thread and namespace: upserts revisit them
RECENT_IDS = 200  # ids a thread remembers per ephemeral or fault namespace, for its GETs
AFTER_COMMIT_TIMES = 25  # 502-after-commit answers per fault namespace and minute
EMPTY_SNAPSHOT = "soak-empty"
INJECTED_MARK = b"Injected by fault rule"
REQUEST_TIMEOUT = 30.0
VERIFY_THREADS = 8
MEMORY_SHARE, MEMORY_MIB = 0.20, 50.0
RSS_EVERY = 5.0
EXAMPLES = 8

#: The body of every write: bench's realistic customer, with a first name per thread (for the
#: list filter) and a marker per write (to tell which write a read shows).
TEMPLATE = json.dumps({**CUSTOMER,
                       "primaryAddress": {**CUSTOMER["primaryAddress"], "firstName": "@FIRST@"},
                       "customFields": {**CUSTOMER["customFields"], "soakWrite": "@MARK@"}},
                      separators=(",", ":"))


def log(message: str) -> None:
    """Progress goes to stderr so stdout carries only the report."""
    print(f"[soak] {message}", file=sys.stderr, flush=True)


def body_for(first_name: str, marker: str) -> bytes:
    return TEMPLATE.replace("@FIRST@", first_name).replace("@MARK@", marker).encode()


def api_keys(tag: str) -> dict[str, list[str]]:
    """Namespaces of this run: a fresh tag keeps them apart from any data already there."""
    return {kind: [f"sk_sandbox_soak_{tag}_{kind}{n}" for n in range(count)]
            for kind, count in NAMESPACES.items()}


def pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


# -- one HTTP connection --------------------------------------------------------------------


class Http:
    """A keep-alive connection that answers (status, headers, body) and reconnects after errors."""

    def __init__(self, port: int, timeout: float = REQUEST_TIMEOUT):
        self.connection = http.client.HTTPConnection(HOST, port, timeout=timeout)

    def call(self, method: str, path: str, key: str | None,
             body: bytes | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
        headers = {"REB-APIKEY": key} if key else {}
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            return response.status, response.headers, response.read()
        except BaseException:
            self.connection.close()  # the next call opens a new socket
            raise

    def close(self) -> None:
        self.connection.close()


TRANSPORT_ERRORS = (OSError, http.client.HTTPException)


# -- the load: statistics -------------------------------------------------------------------


class Stats:
    """Per-second latencies and outcome counts of one worker process, handed over as they
    complete so the main process can print a minute as soon as it ends."""

    def __init__(self, start_at: float):
        self.start_at = start_at
        self.lock = threading.Lock()
        self.seconds: dict[int, tuple[array.array, Counter]] = {}

    def record(self, finished: float, latency: float, outcome: str | None) -> None:
        second = max(0, int(finished - self.start_at))
        with self.lock:
            latencies, counts = self.seconds.setdefault(second, (array.array("d"), Counter()))
            latencies.append(latency)
            counts["requests"] += 1
            if outcome:
                counts[outcome] += 1

    def note(self, finished: float, outcome: str) -> None:
        """A problem found in an answer's content: counted, but not as another request."""
        second = max(0, int(finished - self.start_at))
        with self.lock:
            self.seconds.setdefault(second, (array.array("d"), Counter()))[1][outcome] += 1

    def take(self, before: float | None = None) -> dict[int, tuple[bytes, dict[str, int]]]:
        """Hand over the finished seconds (all of them when ``before`` is None)."""
        limit = None if before is None else int(before - self.start_at)
        with self.lock:
            done = [s for s in self.seconds if limit is None or s < limit]
            return {s: (self.seconds[s][0].tobytes(), dict(self.seconds.pop(s)[1])) for s in done}


@dataclass
class Ledger:
    """What one worker process learnt: acknowledged writes to check, and problems to show."""

    acked: dict[str, dict[str, str]] = field(default_factory=dict)  # key -> id -> marker
    uncertain: dict[str, set[str]] = field(default_factory=dict)  # key -> ids of unknown outcome
    lost_creates: Counter = field(default_factory=Counter)  # key -> POSTs of unknown outcome
    operations: Counter = field(default_factory=Counter)  # "kind op" -> count
    examples: dict[str, list[str]] = field(default_factory=dict)  # outcome -> descriptions

    def example(self, outcome: str, text: str) -> None:
        found = self.examples.setdefault(outcome, [])
        if len(found) < EXAMPLES:
            found.append(text)

    def merge(self, other: Ledger) -> None:
        for key, ids in other.acked.items():
            self.acked.setdefault(key, {}).update(ids)
        for key, ids in other.uncertain.items():
            self.uncertain.setdefault(key, set()).update(ids)
        self.lost_creates.update(other.lost_creates)
        self.operations.update(other.operations)
        for outcome, texts in other.examples.items():
            for text in texts:
                self.example(outcome, text)


# -- the load: one thread -------------------------------------------------------------------


class Driver(threading.Thread):
    """One connection's worth of traffic: picks a namespace and an operation, sends it, and
    classifies the answer. Its client-chosen ids and server-given ids belong to it alone, so it
    knows which write each of its reads must show."""

    def __init__(self, number: int, port: int, keys: dict[str, list[str]], tag: str,
                 start_at: float, end_at: float, pace: float, stats: Stats):
        super().__init__(name=f"soak-{number}", daemon=True)
        self.number, self.keys, self.tag = number, keys, tag
        self.start_at, self.end_at, self.pace = start_at, end_at, pace
        self.stats = stats
        self.ledger = Ledger()  # its own: no two threads count into one Counter
        self.http = Http(port)
        self.rng = random.Random(f"{tag}-{number}")
        self.first_name = f"Soak{number}"
        self.writes = 0
        self.created = 0
        self.own: dict[str, list[str]] = {key: [] for key in keys[DURABLE]}  # for random picks
        self.upsert_ids: Counter = Counter()  # key -> client ids made so far
        self.recent: dict[str, deque] = {key: deque(maxlen=RECENT_IDS)
                                         for kind in (EPHEMERAL, FAULT) for key in keys[kind]}

    def run(self) -> None:
        try:
            while time.monotonic() < self.end_at:
                kind = pick(self.rng, KIND_WEIGHTS)
                key = self.rng.choice(self.keys[kind])
                operation = pick(self.rng, OPERATIONS[kind])
                getattr(self, f"do_{operation}")(kind, key)
        except Exception as exc:  # a bug here must show, not end the thread quietly
            self.ledger.example("client_bug", f"{self.name}: {exc!r}")
        finally:
            self.http.close()

    # Sending and classifying.

    def send(self, kind: str, method: str, path: str, key: str, body: bytes | None,
             expect: Sequence[int], operation: str) -> tuple[int, bytes] | None:
        """One request: its latency and outcome go to the stats; None when no answer came."""
        self.ledger.operations[f"{kind} {operation}"] += 1
        started = time.monotonic()
        try:
            status, _, payload = self.http.call(method, path, key, body)
        except TRANSPORT_ERRORS as exc:
            finished = time.monotonic()
            injected = (kind == FAULT and method == "PUT" and isinstance(exc, ConnectionResetError)
                        and not isinstance(exc, http.client.RemoteDisconnected))
            outcome = "injected_reset" if injected else "real_conn"
            self.stats.record(finished, finished - started, outcome)
            if not injected:
                self.ledger.example(outcome, f"{kind} {method} {path}: {exc!r}")
            return None
        finished = time.monotonic()
        outcome = None
        if status >= 500:
            outcome = f"injected_{status}" if kind == FAULT and INJECTED_MARK in payload \
                else "real_5xx"
        elif status not in expect:
            outcome = "unexpected"
        if outcome in ("real_5xx", "unexpected"):
            self.ledger.example(outcome, f"{kind} {method} {path} -> {status}: "
                                         f"{payload[:200].decode(errors='replace')}")
        self.stats.record(finished, finished - started, outcome)
        return status, payload

    def flag(self, outcome: str, text: str) -> None:
        """A problem found in an answer's content, counted like a status problem."""
        self.stats.note(time.monotonic(), outcome)
        self.ledger.example(outcome, text)

    def marker(self) -> str:
        self.writes += 1
        return f"{self.number}-{self.writes}"

    # Operations.

    def do_create(self, kind: str, key: str) -> None:
        allowed = self.pace * (time.monotonic() - self.start_at) + 2
        if kind == DURABLE and self.created >= allowed:
            return self.do_upsert(kind, key)  # paced: the durable data grows slowly
        marker = self.marker()
        answer = self.send(kind, "POST", "/customers", key, body_for(self.first_name, marker),
                           (201,), "create")
        if kind == DURABLE:
            self.created += 1
        if answer is None or answer[0] >= 500:
            if kind == DURABLE:
                self.ledger.lost_creates[key] += 1  # stored or not: nobody can tell
            return
        if answer[0] != 201:
            return
        customer_id = json.loads(answer[1])["id"]
        if kind == DURABLE:
            self.ledger.acked.setdefault(key, {})[customer_id] = marker
            self.own[key].append(customer_id)
        else:
            self.recent[key].append(customer_id)

    def do_upsert(self, kind: str, key: str) -> None:
        if kind != DURABLE:
            customer_id = f"soak-{self.tag}-{self.number}-{self.rng.randrange(50)}"
            self.send(kind, "PUT", f"/customers/{customer_id}", key,
                      body_for(self.first_name, self.marker()), (200, 201), "upsert")
            self.recent[key].append(customer_id)
            return
        acked = self.ledger.acked.setdefault(key, {})
        uncertain = self.ledger.uncertain.setdefault(key, set())
        if self.upsert_ids[key] < UPSERT_IDS and (self.rng.random() < 0.5 or not self.own[key]):
            customer_id = f"soak-{self.tag}-{self.number}-{self.upsert_ids[key]}"
            self.upsert_ids[key] += 1
            self.own[key].append(customer_id)
        else:
            customer_id = self.rng.choice(self.own[key])
        expected = (200,) if customer_id in acked else (201,)
        if customer_id in uncertain:
            expected = (200, 201)
        marker = self.marker()
        answer = self.send(kind, "PUT", f"/customers/{customer_id}", key,
                           body_for(self.first_name, marker), expected, "upsert")
        if answer is None or answer[0] >= 500:
            uncertain.add(customer_id)
        elif answer[0] in (200, 201):
            acked[customer_id] = marker
            uncertain.discard(customer_id)

    def do_get(self, kind: str, key: str) -> None:
        if kind != DURABLE:
            if not self.recent[key]:
                return self.do_list(kind, key)
            customer_id = self.rng.choice(self.recent[key])
            self.send(kind, "GET", f"/customers/{customer_id}", key, None, (200, 404), "get")
            return
        if not self.own[key]:
            return self.do_list(kind, key)
        customer_id = self.rng.choice(self.own[key])
        acked = self.ledger.acked.get(key, {})
        uncertain = customer_id in self.ledger.uncertain.get(key, ())
        expect = (200,) if customer_id in acked else (200, 404)
        answer = self.send(kind, "GET", f"/customers/{customer_id}", key, None, expect, "get")
        if answer is None or answer[0] != 200 or uncertain or customer_id not in acked:
            return
        shown = json.loads(answer[1]).get("customFields", {}).get("soakWrite")
        if shown != acked[customer_id]:
            self.flag("stale_read", f"{key[-12:]} {customer_id}: shows write {shown}, "
                                    f"last acknowledged {acked[customer_id]}")

    def do_list(self, kind: str, key: str) -> None:
        query = "limit=50"
        if self.rng.random() < 0.25:
            query += f"&filter={quote(f'firstName:{self.first_name}')}"
        self.send(kind, "GET", f"/customers?{query}", key, None, (200,), "list")

    def do_reset(self, kind: str, key: str) -> None:
        self.send(kind, "POST", "/__admin/reset", key, None, (200,), "reset")

    def do_save(self, kind: str, key: str) -> None:
        name = self.rng.choice(("soak-a", "soak-b"))
        self.send(kind, "POST", f"/__admin/snapshots/{name}", key, None, (201,), "save")

    def do_restore(self, kind: str, key: str) -> None:
        name = self.rng.choice(("soak-a", "soak-b"))
        self.send(kind, "POST", f"/__admin/snapshots/{name}/restore", key, None, (200, 404),
                  "restore")

    def do_empty(self, kind: str, key: str) -> None:
        """Fault namespaces shed their data this way: a reset would drop their rules too."""
        self.send(kind, "POST", f"/__admin/snapshots/{EMPTY_SNAPSHOT}/restore", key, None,
                  (200,), "restore empty")


# -- the load: one worker process -----------------------------------------------------------


def worker(index: int, numbers: list[int], port: int, keys: dict[str, list[str]], tag: str,
           start_at: float, end_at: float, pace: float, results: Any) -> None:
    """A forked process: its threads drive the server; every second the finished seconds go to
    the main process, and at the end the ledger."""
    stats, ledger = Stats(start_at), Ledger()
    drivers = [Driver(number, port, keys, tag, start_at, end_at, pace, stats)
               for number in numbers]
    while time.monotonic() < start_at:
        time.sleep(0.01)
    for driver in drivers:
        driver.start()
    while any(driver.is_alive() for driver in drivers):
        time.sleep(1.0)
        results.put(("stats", stats.take(before=time.monotonic())))
        if time.monotonic() > end_at + REQUEST_TIMEOUT + 10:
            ledger.example("client_bug", "threads still busy long after the end")
            break
    for driver in drivers:
        if not driver.is_alive():
            ledger.merge(driver.ledger)
    results.put(("stats", stats.take()))
    results.put(("done", index, ledger))


# -- observing the server -------------------------------------------------------------------


@dataclass
class Minute:
    """One printed line, and what the verdict needs from it."""

    number: int
    seconds: float
    latencies: array.array = field(default_factory=lambda: array.array("d"))
    counts: Counter = field(default_factory=Counter)
    rss: float | None = None
    server_cpu: float | None = None
    stored: int | None = None


class Observer:
    """Samples the server between the load's requests: RSS, CPU and stored customers."""

    def __init__(self, port: int, pid: int | None, keys: dict[str, list[str]],
                 journal: Path | None):
        self.http = Http(port)
        self.pid = pid
        self.keys = keys
        self.journal = journal
        self.generations: set[int] = set()
        self.rss_samples: list[tuple[float, float]] = []
        self.last_cpu = (time.monotonic(), self.cpu())

    def rss(self) -> float | None:
        if self.pid is None:
            return None
        try:
            return proc_status(self.pid, "VmRSS") / 2**20
        except (OSError, KeyError):
            return None

    def cpu(self) -> float | None:
        try:
            return cpu_seconds(self.pid) if self.pid is not None else None
        except OSError:
            return None

    def sample(self, at: float) -> None:
        """RSS, and the journal's generation: each compaction starts a new one."""
        value = self.rss()
        if value is not None:
            self.rss_samples.append((at, value))
        if self.journal is None:
            return
        try:
            with self.journal.open() as handle:
                self.generations.add(json.loads(handle.readline())["base"])
        except (OSError, ValueError, KeyError, TypeError):  # mid-rotation: the next one will do
            pass

    def cpu_share(self) -> float | None:
        """Server CPU since the last call, as a share of one core."""
        now, cpu = time.monotonic(), self.cpu()
        before_at, before = self.last_cpu
        self.last_cpu = (now, cpu)
        if cpu is None or before is None or now <= before_at:
            return None
        return (cpu - before) / (now - before_at) * 100

    def stored(self) -> int | None:
        """Customers held by the soak's namespaces (Pagination-Total of an empty page)."""
        total = 0
        for key in (key for keys in self.keys.values() for key in keys):
            try:
                status, headers, _ = self.http.call("GET", "/customers?limit=0", key)
            except TRANSPORT_ERRORS:
                return None
            if status != 200:
                return None
            total += int(headers.get("Pagination-Total", "0"))
        return total

    def fault_rules(self, expires: float) -> None:
        """Each fault namespace: the 503, delay and reset rules and an empty snapshot."""
        rules = [
            {"match": {"method": "GET", "path": "/customers/*"}, "status": 503,
             "probability": 0.2, "seed": 503},
            {"match": {"method": "GET", "path": "/customers"}, "delay": 50,
             "probability": 0.1, "seed": 50},
            {"match": {"method": "PUT", "path": "/customers/*"}, "network": "reset",
             "probability": 0.05, "seed": 104},
        ]
        for key in self.keys[FAULT]:
            self.expect(200, "DELETE", "/__admin/faults", key)
            for rule in rules:
                self.expect(201, "POST", "/__admin/faults", key,
                            {**rule, "expiresInSeconds": expires})
            self.expect(201, "POST", f"/__admin/snapshots/{EMPTY_SNAPSHOT}", key)
        self.arm_after_commit(expires)

    def arm_after_commit(self, expires: float) -> None:
        """A fresh 502-after-commit rule: the last one's ``times`` may be used up."""
        for key in self.keys[FAULT]:
            self.expect(201, "POST", "/__admin/faults", key, {
                "match": {"method": "POST", "path": "/customers"}, "status": 502,
                "afterCommit": True, "times": AFTER_COMMIT_TIMES, "expiresInSeconds": expires})

    def fired(self) -> Counter:
        """The rules' own count of what they did, by action, over every fault namespace."""
        fired: Counter = Counter()
        for key in self.keys[FAULT]:
            _, payload = self.expect(200, "GET", "/__admin/faults", key)
            for rule in json.loads(payload):
                action = ("reset" if rule.get("network") == "reset" else
                          "delay" if "delay" in rule else str(rule.get("status")))
                fired[action] += rule["fired"]
        return fired

    def expect(self, status: int, method: str, path: str, key: str | None,
               body: Any = None) -> tuple[http.client.HTTPMessage, bytes]:
        data = json.dumps(body).encode() if body is not None else None
        got, headers, payload = self.http.call(method, path, key, data)
        if got != status:
            raise RuntimeError(f"{method} {path} answered {got}, not {status}: {payload[:300]!r}")
        return headers, payload


def listener_pid(port: int) -> int | None:
    """The process listening on a local port, from /proc, so --url runs can show its memory."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if parts[3] == "0A" and int(parts[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{parts[9]}]")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) in inodes for fd in (entry / "fd").iterdir()):
                return int(entry.name)
        except OSError:
            continue
    return None


# -- running the load -----------------------------------------------------------------------


@dataclass
class Settings:
    minutes: float
    concurrency: int
    url: str | None


@dataclass
class Run:
    """The load's outcome: minutes, the merged ledger, and the load generator's CPU."""

    minutes: list[Minute]
    ledger: Ledger
    wall: float
    client_cpu: float
    processes: int
    fired: Counter
    rss_samples: list[tuple[float, float]]
    generations: set[int]


def split(concurrency: int, processes: int) -> list[list[int]]:
    """Thread numbers per process, as even as possible."""
    return [list(range(concurrency))[i::processes] for i in range(processes)]


def drive(settings: Settings, port: int, pid: int | None, keys: dict[str, list[str]],
          tag: str, journal: Path | None) -> Run:
    """Fork the workers, print each minute as it ends, and gather what they learnt."""
    duration = settings.minutes * 60
    expires = max(3600.0, duration + 900)
    observer = Observer(port, pid, keys, journal)
    observer.fault_rules(expires)
    processes = min(4, python_workers(settings.concurrency))  # bench: 1 for c=1, else 2 or more
    shares = [share for share in split(settings.concurrency, processes) if share]
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    start_at = time.monotonic() + 1.0
    end_at = start_at + duration
    pace = DURABLE_CREATES_PER_SECOND / settings.concurrency
    cpu_before = children_cpu()
    workers = [context.Process(target=worker, daemon=True, args=(
        index, share, port, keys, tag, start_at, end_at, pace, results))
        for index, share in enumerate(shares)]
    for process in workers:
        process.start()
    log(f"{len(workers)} worker processes, {settings.concurrency} connections, "
        f"{duration:.0f} s")
    boundaries = [start_at + 60 * n for n in range(1, int(-(-duration // 60)))] + [end_at]
    minutes = [Minute(n + 1, min(60.0, duration - 60 * n)) for n in range(len(boundaries))]
    ledger, done = Ledger(), set()
    next_rss = start_at

    def receive(until: float) -> None:
        nonlocal next_rss
        while True:
            now = time.monotonic()
            if now >= next_rss:
                observer.sample(now - start_at)
                next_rss += RSS_EVERY
            if now >= until or len(done) == len(workers):
                return
            try:
                message = results.get(timeout=min(0.5, max(0.01, until - now)))
            except queue.Empty:
                continue
            if message[0] == "stats":
                for second, (raw, counts) in message[1].items():
                    minute = minutes[min(second // 60, len(minutes) - 1)]
                    minute.latencies.frombytes(raw)
                    minute.counts.update(counts)
            else:
                done.add(message[1])
                ledger.merge(message[2])

    print(header_row(), flush=True)
    observer.cpu_share()
    for number, boundary in enumerate(boundaries):
        receive(boundary)
        minute = minutes[number]
        minute.rss, minute.server_cpu = observer.rss(), observer.cpu_share()
        minute.stored = observer.stored()
        last = number == len(boundaries) - 1
        if not last:
            observer.arm_after_commit(expires)
            receive(boundary + 2.0)  # the workers hand over each second a second late
            print(minute_row(minute), flush=True)
    receive(end_at + REQUEST_TIMEOUT + 30)
    for process in workers:
        process.join(timeout=10)
        if process.is_alive():
            process.kill()
            process.join(timeout=5)
    if len(done) != len(workers):
        ledger.example("client_bug", f"only {len(done)} of {len(workers)} workers reported")
    print(minute_row(minutes[-1]), flush=True)
    wall = time.monotonic() - start_at
    fired = observer.fired()
    observer.http.close()
    return Run(minutes, ledger, wall, (children_cpu() - cpu_before) / wall * 100, len(workers),
               fired, observer.rss_samples, observer.generations)


# -- verification ---------------------------------------------------------------------------


@dataclass
class Check:
    """Read-back of every acknowledged durable write, and each namespace's count."""

    checked: int = 0
    missing: int = 0
    stale: int = 0
    errors: int = 0
    phantom: int = 0
    short: int = 0
    examples: list[str] = field(default_factory=list)
    counts: list[str] = field(default_factory=list)

    @property
    def lost(self) -> int:
        """Acknowledged writes not read back as acknowledged (a missing id also makes its
        namespace's count short, so ``short`` is not added again)."""
        return self.missing + self.stale

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stale or self.errors or self.short or self.phantom)

    def note(self, text: str) -> None:
        if len(self.examples) < EXAMPLES:
            self.examples.append(text)


def read_back(port: int, ledger: Ledger) -> Check:
    """GET every acknowledged id from a few threads; each must show its last acknowledged write."""
    items = [(key, customer_id, marker, customer_id in ledger.uncertain.get(key, ()))
             for key, ids in sorted(ledger.acked.items()) for customer_id, marker in ids.items()]
    check, lock = Check(), threading.Lock()

    def shard(part: list[tuple[str, str, str, bool]]) -> None:
        http_ = Http(port)
        for key, customer_id, marker, uncertain in part:
            try:
                status, _, payload = http_.call("GET", f"/customers/{customer_id}", key)
                shown = json.loads(payload).get("customFields", {}).get("soakWrite") \
                    if status == 200 else None
            except (*TRANSPORT_ERRORS, ValueError) as exc:
                status, shown = None, repr(exc)
            with lock:
                check.checked += 1
                if status == 404:
                    check.missing += 1
                    check.note(f"{key[-12:]} {customer_id}: 404, acknowledged write {marker}")
                elif status != 200:
                    check.errors += 1
                    check.note(f"{key[-12:]} {customer_id}: {status or shown}")
                elif shown != marker and not uncertain:
                    check.stale += 1
                    check.note(f"{key[-12:]} {customer_id}: shows {shown}, acknowledged {marker}")
        http_.close()

    threads = [threading.Thread(target=shard, args=(items[i::VERIFY_THREADS],))
               for i in range(VERIFY_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    count_check(port, ledger, check)
    return check


def count_check(port: int, ledger: Ledger, check: Check) -> None:
    """Pagination-Total must lie between the acknowledged ids and those plus the writes whose
    outcome is unknown: fewer is loss, more is a write nobody acknowledged."""
    http_ = Http(port)
    for key in sorted(ledger.acked):
        acked = len(ledger.acked[key])
        unknown = len(ledger.uncertain.get(key, set()) - ledger.acked[key].keys()) + \
            ledger.lost_creates[key]
        status, headers, _ = http_.call("GET", "/customers?limit=0", key)
        total = int(headers.get("Pagination-Total", "-1")) if status == 200 else -1
        if total < acked:
            check.short += acked - total
        elif total > acked + unknown:
            check.phantom += total - acked - unknown
        bound = f" (+ up to {unknown} of unknown outcome)" if unknown else ""
        check.counts.append(f"{key}: {total:,} stored, {acked:,} acknowledged{bound}")
    http_.close()


# -- restart --------------------------------------------------------------------------------


@dataclass
class Restart:
    exit_code: int | None = None
    stop_seconds: float = 0.0
    journal_bytes: int | None = None
    leftovers: list[str] = field(default_factory=list)
    startup_seconds: float = 0.0
    check: Check | None = None
    second_exit_code: int | None = None


def stop_server(process: Any) -> tuple[int | None, float]:
    """SIGTERM, as a service manager would; return the exit code and how long it took."""
    started = time.monotonic()
    stop(process)
    return process.returncode, time.monotonic() - started


def restart_check(process: Any, db: Path, workdir: Path, ledger: Ledger) -> Restart:
    """Stop cleanly, look at what is left on disk, start on the same db and read back again."""
    result = Restart()
    log("stopping the server with SIGTERM")
    result.exit_code, result.stop_seconds = stop_server(process)
    journal = db.with_name(db.name + ".journal")
    result.journal_bytes = journal.stat().st_size if journal.exists() else None
    result.leftovers = [path.name for path in db.parent.iterdir()
                        if path.name.endswith((".compacting", ".tmp"))]
    log("starting it again on the same database")
    port = free_port()
    log_path = workdir / "server-restart.log"
    process, started = spawn(sandbox_argv(port, db), log_path)
    result.startup_seconds = wait_first_201(process, started, port, log_path)
    log("reading back every acknowledged write after the restart")
    result.check = read_back(port, ledger)
    result.second_exit_code, _ = stop_server(process)
    return result


# -- report ---------------------------------------------------------------------------------


COLUMNS = ("minute", "requests", "req/s", "p50 ms", "p99 ms", "max ms", "real err", "injected",
           "unexpect", "stored", "srv CPU", "RSS MiB")
WIDTHS = (6, 9, 7, 7, 7, 7, 8, 8, 8, 8, 7, 7)


def row(values: Sequence[str]) -> str:
    return "  ".join(value.rjust(width) for value, width in zip(values, WIDTHS, strict=True))


def header_row() -> str:
    return row(COLUMNS) + "\n" + row(["-" * width for width in WIDTHS])


def injected(counts: Counter) -> int:
    return sum(n for name, n in counts.items() if name.startswith("injected_"))


def real(counts: Counter) -> int:
    return counts["real_5xx"] + counts["real_conn"]


def unexpected(counts: Counter) -> int:
    return counts["unexpected"] + counts["stale_read"]


def ms(seconds: float) -> str:
    value = seconds * 1000
    return "-" if value != value else f"{value:.1f}" if value < 100 else f"{value:.0f}"


def minute_row(minute: Minute) -> str:
    ordered = sorted(minute.latencies)
    requests = minute.counts["requests"]
    label = f"{minute.number}" if minute.seconds >= 60 else f"{minute.number}*"
    return row([label, f"{requests:,}", f"{requests / minute.seconds:,.0f}",
                ms(percentile(ordered, 50)), ms(percentile(ordered, 99)),
                ms(ordered[-1] if ordered else float("nan")), f"{real(minute.counts):,}",
                f"{injected(minute.counts):,}", f"{unexpected(minute.counts):,}",
                "-" if minute.stored is None else f"{minute.stored:,}",
                "-" if minute.server_cpu is None else f"{minute.server_cpu:.0f}%",
                "-" if minute.rss is None else f"{minute.rss:.1f}"])


def totals(run: Run) -> tuple[list[str], Counter]:
    """The whole run in a few lines, with the load generator's own cost."""
    counts: Counter = Counter()
    latencies = array.array("d")
    for minute in run.minutes:
        counts.update(minute.counts)
        latencies.extend(minute.latencies)
    ordered = sorted(latencies)
    requests = counts["requests"]
    seconds = sum(minute.seconds for minute in run.minutes)
    operations = ", ".join(f"{name} {n:,}" for name, n in sorted(run.ledger.operations.items()))
    lines = [
        f"requests      {requests:,} in {seconds:.0f} s: {requests / seconds:,.0f} req/s; "
        f"p50 {ms(percentile(ordered, 50))} ms, p99 {ms(percentile(ordered, 99))} ms, "
        f"max {ms(ordered[-1] if ordered else float('nan'))} ms",
        f"real errors   {real(counts):,} ({counts['real_5xx']:,} 5xx not injected, "
        f"{counts['real_conn']:,} connection errors)",
        f"injected      {injected(counts):,} ({counts['injected_503']:,} x 503, "
        f"{counts['injected_502']:,} x 502 after commit, {counts['injected_reset']:,} resets)",
        f"unexpected    {counts['unexpected']:,} statuses, {counts['stale_read']:,} stale reads",
        f"operations    {operations}",
        f"compactions   {compactions(run)}",
        f"load client   {run.processes} processes, {run.client_cpu:.0f}% of one core in all "
        f"({run.client_cpu / run.processes:.0f}% each)",
    ]
    return lines, counts


def compactions(run: Run) -> str:
    """How often the journal was folded into the snapshot while writes went on."""
    if not run.generations:
        return "not seen (no database file to watch)"
    low, high = min(run.generations), max(run.generations)
    return f"{high - low} during the run (journal generation {low} -> {high})"


def fault_lines(run: Run, counts: Counter) -> tuple[list[str], bool]:
    """What the rules say they did next to what the client saw; they should match."""
    pairs = [("503 on GET /customers/{id}", run.fired["503"], counts["injected_503"]),
             ("502 after commit on POST", run.fired["502"], counts["injected_502"]),
             ("reset on PUT", run.fired["reset"], counts["injected_reset"])]
    lines = [f"{label:<28} rules fired {server:>7,}   client saw {client:>7,}"
             f"{'' if server == client else '   MISMATCH'}" for label, server, client in pairs]
    lines.append(f"{'50 ms delay on GET list':<28} rules fired {run.fired['delay']:>7,}   "
                 f"(seen only as latency)")
    return lines, all(server == client for _, server, client in pairs)


def check_lines(title: str, check: Check) -> list[str]:
    lines = [f"{title}: {check.checked:,} acknowledged ids read back: {check.missing:,} missing, "
             f"{check.stale:,} showing an older write, {check.errors:,} read errors; "
             f"{check.short:,} short and {check.phantom:,} unacknowledged in the counts"]
    lines += [f"  {text}" for text in check.counts]
    lines += [f"  ! {text}" for text in check.examples]
    return lines


def memory(run: Run) -> tuple[str, bool | None]:
    """RSS at the end of the first minute against the end of the last one; a one-minute run
    compares its half-way sample with its end instead, and says so."""
    if len(run.minutes) >= 2 and run.minutes[0].rss and run.minutes[-1].rss:
        first, last, what = run.minutes[0].rss, run.minutes[-1].rss, "end of minute 1"
    elif run.rss_samples and run.minutes[-1].rss:
        half = run.minutes[-1].seconds / 2
        first = min(run.rss_samples, key=lambda sample: abs(sample[0] - half))[1]
        last, what = run.minutes[-1].rss, f"{half:.0f} s in (a single-minute run)"
    else:
        return "not measured (no server process to read)", None
    grew = last - first
    holds = grew <= max(first * MEMORY_SHARE, MEMORY_MIB)
    stored = [m.stored for m in run.minutes if m.stored is not None]
    data = "" if not stored else f"; stored customers {stored[0]:,} -> {stored[-1]:,}" \
        if len(run.minutes) >= 2 else f"; {stored[-1]:,} customers stored at the end"
    return (f"RSS {first:.1f} MiB at {what} -> {last:.1f} MiB at the end "
            f"({grew:+.1f} MiB, {grew / first:+.0%}){data}"), holds


def server_log_lines(workdir: Path) -> list[str]:
    """At --log-level warning every line the server wrote is a warning or an error."""
    lines = []
    for path in sorted(workdir.glob("server*.log")):
        lines += [f"{path.name}: {line}" for line in path.read_text(errors="replace").splitlines()
                  if line.strip()]
    return lines


def verdict(items: list[tuple[str, str, bool | None]]) -> str:
    width = max(len(name) for name, _, _ in items)
    lines = ["verdict", "-------"]
    for name, detail, holds in items:
        mark = "n/a " if holds is None else "PASS" if holds else "FAIL"
        lines.append(f"{mark}  {name:<{width}}  {detail}")
    return "\n".join(lines)


# -- entry point ----------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> Settings:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0,
                        help="how long to drive traffic (default 10; 0.5 for a smoke run)")
    parser.add_argument("--concurrency", type=int, default=32,
                        help="connections kept busy at once (default 32)")
    parser.add_argument("--url", default=None,
                        help="soak a sandbox already running on this machine "
                             "(http://127.0.0.1:PORT); skips the restart check")
    arguments = parser.parse_args(argv)
    if not arguments.minutes > 0:
        parser.error("--minutes must be above 0")
    if arguments.concurrency < 1:
        parser.error("--concurrency must be at least 1")
    if arguments.url is not None:
        parts = urlsplit(arguments.url)
        if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost") \
                or parts.port is None:
            parser.error("--url must be http://127.0.0.1:PORT: the soak only talks to this "
                         "machine")
    return Settings(arguments.minutes, arguments.concurrency, arguments.url)


def describe(settings: Settings, tag: str, port: int) -> str:
    """What was run, on what, so two soaks can be compared honestly."""
    import platform

    from rebilly_sandbox.version import __version__
    server = (f"already running at {settings.url}" if settings.url else
              f"started here: serve --port {port} --db <temp>/db.json --rate-limit 0 "
              "--log-level warning")
    return "\n".join([
        f"rebilly-sandbox {__version__} soak: {settings.minutes:g} min at concurrency "
        f"{settings.concurrency}; run tag {tag}",
        f"server: {server}",
        f"namespaces: {', '.join(f'{n} {kind}' for kind, n in NAMESPACES.items())}; "
        f"durable creates paced at {DURABLE_CREATES_PER_SECOND:g}/s, {UPSERT_IDS} upsert ids "
        "per thread and namespace",
        f"host: {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "",
    ])


def main(argv: Sequence[str] | None = None) -> int:
    settings = parse_args(argv)
    tag = os.urandom(3).hex()
    keys = api_keys(tag)
    workdir = Path(tempfile.mkdtemp(prefix="sandbox-soak-"))
    db = workdir / "data" / "db.json"
    db.parent.mkdir()
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    process = None
    try:
        if settings.url:
            port = urlsplit(settings.url).port
            pid = listener_pid(port)
        else:
            port = free_port()
            log_path = workdir / "server.log"
            process, started = spawn(sandbox_argv(port, db), log_path)
            log(f"server up in {wait_first_201(process, started, port, log_path):.2f} s")
            pid = process.pid
        print(describe(settings, tag, port), flush=True)
        run = drive(settings, port, pid, keys, tag,
                    None if settings.url else db.with_name(db.name + ".journal"))
        total_lines, counts = totals(run)
        print("\ntotals\n------\n" + "\n".join(total_lines))
        fault_text, faults_agree = fault_lines(run, counts)
        print("\nfault rules\n-----------\n" + "\n".join(fault_text))
        for outcome, texts in sorted(run.ledger.examples.items()):
            print(f"\nexamples: {outcome}\n" + "\n".join(f"  {text}" for text in texts))
        log("reading back every acknowledged durable write")
        check = read_back(port, run.ledger)
        print("\nverification\n------------\n" + "\n".join(check_lines("live", check)))
        restart = None
        if process is not None:
            peak = proc_status(process.pid, "VmHWM") / 2**20
            restart = restart_check(process, db, workdir, run.ledger)
            print("\n".join([
                f"SIGTERM: exit code {restart.exit_code} after {restart.stop_seconds:.2f} s; "
                f"journal left {restart.journal_bytes} bytes"
                f"{'; leftovers ' + ', '.join(restart.leftovers) if restart.leftovers else ''}",
                f"restart on the same db: up in {restart.startup_seconds:.2f} s",
                *check_lines("after restart", restart.check),
                f"second SIGTERM: exit code {restart.second_exit_code}"]))
        memory_text, memory_flat = memory(run)
        print("\nmemory\n------\n" + memory_text +
              (f"; peak VmHWM {peak:.1f} MiB" if process is not None else ""))
        if run.rss_samples:
            print("RSS samples (s: MiB): " + ", ".join(
                f"{at:.0f}: {value:.0f}" for at, value in run.rss_samples[::max(
                    1, len(run.rss_samples) // 24)]))
        logged = server_log_lines(workdir)
        if logged:
            print(f"\nserver log ({len(logged)} lines at warning or above)\n" +
                  "\n".join(logged[:15]))
        checks = [check] + ([restart.check] if restart else [])
        lost = sum(one.lost for one in checks)
        items = [
            ("zero real errors", f"{real(counts):,} (5xx not injected, connection errors)",
             real(counts) == 0 and not run.ledger.examples.get("client_bug")),
            ("zero lost writes", f"{lost:,} lost across {check.checked:,} acknowledged ids"
             f"{' (live and after restart)' if restart else ' (live)'}; "
             f"counts {sum(one.short for one in checks):,} short, "
             f"{sum(one.phantom for one in checks):,} unacknowledged",
             all(one.clean for one in checks)),
            ("no unexpected answers", f"{unexpected(counts):,}", unexpected(counts) == 0),
            ("faults as injected", "client and rule counters agree" if faults_agree
             else "client and rule counters differ", faults_agree),
            ("memory flat", f"within {MEMORY_SHARE:.0%} or {MEMORY_MIB:g} MiB: {memory_text}",
             memory_flat),
            ("clean SIGTERM", "not checked with --url" if restart is None else
             f"exit {restart.exit_code}, journal {restart.journal_bytes} bytes, "
             f"restart exit {restart.second_exit_code}",
             None if restart is None else restart.exit_code == 0 and
             restart.second_exit_code == 0 and not restart.leftovers),
        ]
        print("\n" + verdict(items), flush=True)
        return 0 if all(holds is not False for _, _, holds in items) else 1
    except Exception:
        for path in sorted(workdir.glob("server*.log")):
            log(f"--- end of {path.name} ---\n{tail(path, 40)}")
        raise
    finally:
        kill_children()
        signal.signal(signal.SIGTERM, previous)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
