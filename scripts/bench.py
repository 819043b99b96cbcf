"""Benchmark the real sandbox server as a user runs it, and check it against the performance bar.

``make bench`` (or ``.venv/bin/python -m scripts.bench [--quick] [--duration S]
[--loadgen auto|wrk|python]`` from the checkout) starts ``python -m rebilly_sandbox serve`` in a
temporary directory and prints one table:

- ``POST /customers`` and ``POST /transactions`` (a sale on a saved card) at concurrency 1 and
  16 with the default log level (a log line per request, see below), as a share of a baseline:
  Flask + the same marshmallow schema and nothing else (scripts/bench_baseline.py), served the
  same way (gevent patched in first, then ``rebilly_sandbox.serving.Server``);
- cold start: Popen to the first 201 of ``POST /customers`` on an empty database, and the same
  start-up time with 100,000 customers stored (loading the snapshot dominates), then with
  100,000 customers and 100,000 transactions;
- resident memory (VmRSS) of a server holding 100,000 customers and nothing else, right after
  start-up, against an empty one: the memory per stored customer;
- flat cost: at none stored (one customer with a saved card, and 1,000 sales on it to read and
  refund) and at 100,000 customers plus 100,000 transactions in the namespace under load (key
  ``sk_sandbox_bench``): ``POST /customers``, ``GET /customers/{id}``, ``POST /transactions``,
  ``GET /transactions/{id}`` and ``POST /transactions/{id}/refund`` (0.01 of a 1,000 USD sale)
  at 16 (req/s, p50, p99, max), and the rate at 100,000 as a share of the rate at none;
- at 100,000 stored: ``GET /customers?limit=100`` at 16, and at concurrency 1 (p50 is the
  figure) ``GET /customers?filter=email:…&limit=100`` and
  ``GET /transactions?filter=customerId:…&sort=-createdTime&limit=100`` (every stored customer
  has the same email and every sale the same customer, so each filter matches all 100,000);
- ``POST /__admin/reset`` and ``POST /__admin/snapshots/b10k/restore`` of a 10,000-customer
  namespace (median of 5, milliseconds, as the client sees them over HTTP);
- resident memory of a server sent 10,000 distinct API keys, then 200 refused 1 MB bodies;
- ``POST /customers`` at c=32 through HAProxy (``rebilly-sandbox cluster``) in front of 1 and of
  2 replicas, over 32 namespaces sent in turn, and the scaling of 2 over 1 (skipped without
  ``haproxy``; ``--cluster-only`` runs just these rows).

How the comparisons are made: the speed of a shared or throttled machine drifts (on the 2-core
development machine the same server under the same load made 320 req/s in one 4 s run and 640
in the next), so a ratio of two rates measured minutes apart is mostly noise. Every target that
compares two rates therefore runs both servers at the same time and alternates between them in
pairs of runs, each run on its own (the other server idles meanwhile):

- shares of the baseline: the sandbox at the default log level and the baseline, both on from
  the start of the stage; for each create and concurrency, 3 pairs (sandbox run, then baseline
  run); the share is the median of the 3 per-pair ratios;
- flat cost: two sandboxes at ``--log-level warning``, one on the small database (none stored)
  and one on the 100,000 + 100,000 database; for each run, 3 pairs (none, then 100,000); the
  ratio is the median of the 3 per-pair ratios.

The rows of such a run show the median req/s, p50, p99 and server and client CPU of its runs,
the slowest single request of any ("max ms") and each run's rate; the share or ratio row shows
the median and every pair's ratio, so the spread is in plain sight.

The sandbox runs as ``serve --rate-limit 0 --log-level warning`` with every other setting at its
default (``max_connections`` 1,000), and no ``SANDBOX_*`` variable reaches it. The default
``--log-level info`` writes one log line per request; the rows marked so run with it (the lines
go to /dev/null, so they count formatting and writing them, not a terminal's or a file's speed).

How to read it: latencies are client-side, end to end, in milliseconds; "max ms" is the slowest
single request, which shows stalls (a full garbage collection, say) that percentiles can hide.
"srv CPU" is the server's CPU time over the run as a share of one core. The server is one
process with one thread (gevent: a greenlet per connection, switching when one waits on its
socket or has sent an answer), so it never uses more than one core and there is no lock for
threads to fight over: near 100% means that core is the limit, and more connections will not add
throughput. Even so, c=16 can answer more per second than c=1: at c=1 every request
makes its own trip through the event loop (wait on the socket, wake, read, answer), while at c=16
a request is always waiting and that cost is shared. The price is queueing: p50 at c=16 is about
16 times the time one request takes (1 / req/s), not the c=1 latency. "client CPU" is the load
generator's own share; while it stays far below 100% the client is not what is being measured.

Every load run starts from exactly the stated number of stored documents: the namespace is
restored from an admin snapshot before each run, so what one run creates does not count towards
the next. The stored documents are written in-process with the sandbox's own service code before
the server starts, not pushed over HTTP. Each server gets a 1 s warm-up before its first run.
The package's bytecode is compiled first (``compileall``), as pip does on install, so start-up
times never include compiling the sources (which an environment with
``PYTHONDONTWRITEBYTECODE`` set would otherwise pay on every start).
The bar at the end lists each target and whether this run met it; progress lines on stderr
carry the seconds elapsed. A default run takes 3 s per load run and about 4 minutes in all on
the 2-core development machine (a typical laptop is about four times faster); ``--quick`` is a
smoke run (2 s per run, 2 pairs per share and 1 per flat-cost ratio, 20,000 instead of 100,000;
about 2 minutes): its numbers are not a measurement of record.

The load generator is wrk when it is on PATH (a Lua script sends the body and headers and counts
unexpected statuses; ``--latency`` gives p50/p99) or, with ``--loadgen python`` or without wrk, a
multiprocessing generator whose workers each multiplex keep-alive sockets on a selector and send
pre-encoded request bytes. The two differ in one way worth knowing: wrk corrects its percentiles
for coordinated omission (a stall of T ms on a connection that answers every t ms adds about T/t
backfilled samples), so at c=1 a few rare stalls can make wrk's p99 many times the Python
generator's, which reports each request as measured. "max ms" is the raw slowest request in both.
"""

from __future__ import annotations

import argparse
import array
import compileall
import gc
import http.client
import json
import multiprocessing
import os
import re
import resource
import selectors
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent

HOST = "127.0.0.1"
BENCH_KEY = "sk_sandbox_bench"
#: The cluster rows: namespaces sent in turn, and the concurrency.
CLUSTER_KEYS = 32
CLUSTER_CONCURRENCY = 32
ADMIN_KEY = "sk_sandbox_b10k"
PROBE_KEY = "sk_sandbox_probe"  # start-up probes create their customer away from the bench data
BASE_SNAPSHOT = "bench-base"
ADMIN_SNAPSHOT = "b10k"
ADMIN_STORED = 10_000
ADMIN_REPEATS = 5
SAMPLE_IDS = 1_000
NEW_KEYS = 10_000  # distinct API keys the memory check sends: ten times the credential cache
HUGE_BODIES = 200  # refused 1 MB bodies it sends after them
START_TIMEOUT = 180.0
STOP_TIMEOUT = 180.0

#: A realistic customer: full primary address, one email and phone, custom fields (~600 bytes).
CUSTOMER = {
    "websiteId": "web_01HZX3B6Q0M4W8K2P7N5R9T1VY",
    "email": "eleanor.whitfield@harbourline-trading.co.uk",
    "primaryAddress": {
        "firstName": "Eleanor",
        "lastName": "Whitfield",
        "address": "14 Wharfside Court, Canal Street",
        "city": "Manchester",
        "region": "Greater Manchester",
        "country": "GB",
        "postalCode": "M1 3HE",
        "emails": [{"label": "work", "value": "eleanor.whitfield@harbourline-trading.co.uk",
                    "primary": True}],
        "phoneNumbers": [{"label": "mobile", "value": "+44 7700 900461", "primary": True}],
    },
    "locale": "en-GB",
    "customFields": {"crmId": "HLT-004218", "plan": "annual-pro", "channel": "partner"},
    "notificationEmails": ["accounts@harbourline-trading.co.uk"],
}
BODY = json.dumps(CUSTOMER, separators=(",", ":")).encode()
#: The card the bench's sales are charged to (saved once, paid by id, approved by the gateway).
CARD = {"method": "payment-card", "pan": "4111111111111111", "cvv": "123", "expMonth": 12,
        "expYear": 2035, "billingAddress": {"firstName": "Eleanor", "lastName": "Whitfield"}}
#: A refund small enough that a sale can take many of them (each run refunds a few per sale).
REFUND = json.dumps({"amount": 0.01}).encode()


def sale_body(customer_id: str, instrument_id: str) -> bytes:
    """A sale of 1,000 USD on the saved card: room for many 0.01 refunds."""
    return json.dumps({"type": "sale", "customerId": customer_id,
                       "websiteId": CUSTOMER["websiteId"], "currency": "USD", "amount": 1000,
                       "paymentInstruction": {"paymentInstrumentId": instrument_id}},
                      separators=(",", ":")).encode()

#: The plan the bench's orders subscribe to (stored with the payer, before any run).
BENCH_PLAN = {"name": "Bench monthly", "productId": "bench-product", "currency": "USD",
              "pricing": {"formula": "fixed-fee", "price": 30}, "setup": {"price": 5},
              "recurringInterval": {"unit": "month", "length": 1}}


def order_body(customer_id: str, instrument_id: str) -> bytes:
    """A monthly order paid at once with the saved card: an order, its initial invoice and a
    sale, all in one request."""
    return json.dumps({"orderType": "subscription-order", "customerId": customer_id,
                       "websiteId": CUSTOMER["websiteId"],
                       "items": [{"plan": {"id": "bench-monthly"}, "quantity": 1}],
                       "paymentInstrumentId": instrument_id},
                      separators=(",", ":")).encode()


#: The billing-clock row: monthly orders in one namespace, renewed for a year in one advance.
RENEWAL_ORDERS = 1_000
RENEWAL_KEY = "sk_sandbox_renewals"
READER_KEY = "sk_sandbox_reader"


def renewal_fixtures(how_many: int) -> dict[str, Any]:
    """A monthly plan and ``how_many`` customers, each with a card and an order on it."""
    card = {key: CARD[key] for key in ("method", "pan", "cvv", "expMonth", "expYear",
                                       "billingAddress")}
    return {
        "products": [{"id": "bench-product", "name": "Bench product"}],
        "plans": [{"id": "bench-monthly", **BENCH_PLAN}],
        "customers": [{"id": f"cus_{n}", "websiteId": CUSTOMER["websiteId"],
                       "firstName": "Eleanor"} for n in range(how_many)],
        "paymentInstruments": [{"id": f"inst_{n}", "customerId": f"cus_{n}", **card}
                               for n in range(how_many)],
        "subscriptions": [{"id": f"sub_{n}", "orderType": "subscription-order",
                           "customerId": f"cus_{n}", "websiteId": CUSTOMER["websiteId"],
                           "items": [{"plan": {"id": "bench-monthly"}}],
                           "paymentInstrumentId": f"inst_{n}"} for n in range(how_many)]}


def _read_meanwhile(port: int, waits: list[float], stop_reading: threading.Event) -> None:
    """Read another namespace's customers until told to stop, keeping each wait (ms)."""
    reader = Client(port)
    try:
        while not stop_reading.is_set():
            waits.append(reader.expect(200, "GET", "/customers?limit=1", READER_KEY)[1])
    finally:
        reader.close()


_CHILDREN: list[subprocess.Popen] = []


_STARTED = time.perf_counter()


def log(message: str) -> None:
    """Progress goes to stderr so stdout carries only the table; each line says how many
    seconds the run has taken so far."""
    print(f"[bench {time.perf_counter() - _STARTED:5.0f} s] {message}", file=sys.stderr,
          flush=True)


# -- processes ------------------------------------------------------------------------------


def free_port() -> int:
    """A port nothing listens on now; the server binds it a moment later."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def child_env() -> dict[str, str]:
    """The environment without SANDBOX_* settings, so every run measures the same server."""
    return {name: value for name, value in os.environ.items() if not name.startswith("SANDBOX_")}


def spawn(argv: list[str], log_path: Path | None) -> tuple[subprocess.Popen, float]:
    """Start a server process; return it and the perf_counter instant just before Popen.

    Its output goes to ``log_path``, or to /dev/null when that is None.
    """
    output = log_path.open("ab") if log_path is not None else subprocess.DEVNULL
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=output, stderr=output,
                               cwd=ROOT, env=child_env())
    if log_path is not None:
        output.close()
    _CHILDREN.append(process)
    return process, started


def sandbox_argv(port: int, db: Path, log_level: str | None = "warning") -> list[str]:
    """The sandbox as the bench runs it; ``log_level=None`` leaves the default (info)."""
    argv = [sys.executable, "-m", "rebilly_sandbox", "serve", "--port", str(port), "--db", str(db),
            "--rate-limit", "0"]
    return argv + (["--log-level", log_level] if log_level is not None else [])


def baseline_argv(port: int) -> list[str]:
    return [sys.executable, "-m", "scripts.bench_baseline", "--port", str(port)]


def wait_first_201(process: subprocess.Popen, started: float, port: int,
                   log_path: Path | None) -> float:
    """Poll POST /customers in a tight loop; return seconds from Popen to the first 201."""
    deadline = started + START_TIMEOUT
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{tail(log_path)}")
        connection = http.client.HTTPConnection(HOST, port, timeout=5)
        try:
            connection.request("POST", "/customers", body=BODY, headers=headers(PROBE_KEY, BODY))
            response = connection.getresponse()
            response.read()
            if response.status == 201:
                return time.perf_counter() - started
            raise RuntimeError(f"first POST answered {response.status}:\n{tail(log_path)}")
        except (ConnectionRefusedError, ConnectionResetError):
            time.sleep(0.002)
        finally:
            connection.close()
    raise RuntimeError(f"no 201 within {START_TIMEOUT:.0f} s:\n{tail(log_path)}")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM and wait: the sandbox compacts its journal on the way out and holds a file lock."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
            raise RuntimeError(
                "server did not stop within the timeout after SIGTERM") from None
    if process in _CHILDREN:
        _CHILDREN.remove(process)


def kill_children() -> None:
    """Last resort on any exit path: no server outlives the benchmark."""
    for process in list(_CHILDREN):
        if process.poll() is None:
            process.kill()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        _CHILDREN.remove(process)


def tail(path: Path | None, lines: int = 20) -> str:
    if path is None:
        return "(output went to /dev/null)"
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def proc_status(pid: int, field: str) -> int:
    """A ``/proc/PID/status`` memory field (VmRSS, VmHWM) in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU of a running process, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    """CPU of reaped children: a load generator's cost once it has been waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# -- plain HTTP calls -----------------------------------------------------------------------


def headers(key: str, body: bytes | None) -> dict[str, str]:
    result = {"REB-APIKEY": key}
    if body is not None:
        result["Content-Type"] = "application/json"
    return result


class Client:
    """One keep-alive connection, so admin timings measure the call and not the TCP handshake."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection(HOST, port, timeout=120)

    def call(self, method: str, path: str, key: str, body: bytes | None = None,
             ) -> tuple[int, bytes, float]:
        """Return status, body and milliseconds from sending to the last byte read."""
        started = time.perf_counter()
        self.connection.request(method, path, body=body, headers=headers(key, body))
        response = self.connection.getresponse()
        payload = response.read()
        return response.status, payload, (time.perf_counter() - started) * 1000

    def expect(self, status: int, method: str, path: str, key: str,
               body: bytes | None = None) -> tuple[bytes, float]:
        got, payload, elapsed = self.call(method, path, key, body)
        if got != status:
            raise RuntimeError(f"{method} {path} answered {got}, not {status}: {payload[:300]!r}")
        return payload, elapsed

    def close(self) -> None:
        self.connection.close()


# -- preloading -----------------------------------------------------------------------------


@dataclass
class Preloaded:
    """Sample ids of what ``preload`` stored, and the customer and card the sales use."""

    customers: list[str]
    transactions: list[str]
    customer_id: str = ""
    instrument_id: str = ""


def preload(db: Path, key: str, how_many: int, transactions: int = 0,
            payer: tuple[str, str] | None = None, orders: int = 0) -> Preloaded:
    """Add ``how_many`` customers to ``db`` under ``key`` with the service code; return sample ids.

    Pushing 100,000 creates over HTTP would take minutes and measure nothing new; the service
    call stores exactly what a POST stores, and ``close`` leaves a plain compacted snapshot.
    The cyclic garbage collector is paused meanwhile: with this many live objects its full
    passes would cost more than the creates themselves.
    """
    from rebilly_sandbox.auth import namespace_for
    from rebilly_sandbox.ids import Clock, IdGenerator
    from rebilly_sandbox.namespacesalt import load_salt
    from rebilly_sandbox.schemas import CustomerSchema, load
    from rebilly_sandbox.schemas.instrument import InstrumentCreateSchema
    from rebilly_sandbox.schemas.order import OrderSchema
    from rebilly_sandbox.schemas.plan import PlanSchema
    from rebilly_sandbox.schemas.transaction import TransactionSchema
    from rebilly_sandbox.services.context import Context
    from rebilly_sandbox.services.customers import create_customer
    from rebilly_sandbox.services.instruments import create_instrument
    from rebilly_sandbox.services.orders import create_order
    from rebilly_sandbox.services.plans import upsert_plan
    from rebilly_sandbox.services.products import upsert_product
    from rebilly_sandbox.services.transactions import create_transaction
    from rebilly_sandbox.store import Store

    gc.disable()
    try:
        store = Store(db, compact_bytes=1 << 62)  # one compaction, at close, not several
        try:
            namespace = namespace_for(key, load_salt(store)).id  # as the server will name it
            context = Context(store, IdGenerator(), Clock(), namespace)
            data = load(CustomerSchema(), json.loads(BODY))
            step = max(1, how_many // SAMPLE_IDS)
            loaded = Preloaded([], [])
            for number in range(how_many):
                customer = create_customer(context, data)
                if number % step == 0:
                    loaded.customers.append(customer["id"])
            if payer is None:
                payer_id = create_customer(context, data)["id"]
                instrument, _ = create_instrument(context, load(InstrumentCreateSchema(), {
                    **CARD, "customerId": payer_id}))
                payer = payer_id, instrument["id"]
                upsert_product(context, "bench-product", {"name": "Bench product"})
                upsert_plan(context, "bench-monthly", load(PlanSchema(), BENCH_PLAN))
            loaded.customer_id, loaded.instrument_id = payer
            sale = load(TransactionSchema(), json.loads(sale_body(*payer))) if transactions \
                else {}
            step = max(1, transactions // SAMPLE_IDS)
            for number in range(transactions):
                transaction = create_transaction(context, sale)
                if number % step == 0:
                    loaded.transactions.append(transaction["id"])
            order = load(OrderSchema(), json.loads(order_body(*payer))) if orders else {}
            for _ in range(orders):
                create_order(context, order)
        finally:
            store.close()
    finally:
        gc.enable()
    del store, context
    gc.collect()
    return loaded


# -- load generation ------------------------------------------------------------------------


@dataclass
class Load:
    """What to send: one request or a rotation of them, and the status each must get."""

    method: str
    paths: list[str]
    key: str
    body: bytes | None
    expect: int
    #: Keys sent in turn (namespaces spread over a cluster's replicas); empty: ``key`` alone.
    keys: tuple[str, ...] = ()

    def all_keys(self) -> tuple[str, ...]:
        return self.keys or (self.key,)


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    requests: int
    unexpected: int
    errors: int
    client_cpu: float = 0.0
    server_cpu: float = 0.0


def raw_request(load: Load, path: str, port: int, key: str | None = None) -> bytes:
    """The exact bytes of one request, encoded once before the run."""
    lines = [f"{load.method} {path} HTTP/1.1", f"Host: {HOST}:{port}",
             f"REB-APIKEY: {key or load.key}"]
    if load.body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(load.body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (load.body or b"")


_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)
_CONNECTION_CLOSE = re.compile(rb"\r\nconnection:[ \t]*close", re.IGNORECASE)


class _Connection:
    """One keep-alive socket of a Python load worker and its read buffer."""

    def __init__(self, port: int):
        self.port = port
        self.buffer = bytearray()
        self.sent_at = 0.0
        self.sock = self._open()

    def _open(self) -> socket.socket:
        sock = socket.create_connection((HOST, self.port), timeout=10)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        return sock

    def reopen(self) -> None:
        self.sock.close()
        self.buffer.clear()
        self.sock = self._open()

    def send(self, payload: bytes) -> None:
        self.sent_at = time.monotonic()
        view = memoryview(payload)
        while view:
            try:
                view = view[self.sock.send(view):]
            except BlockingIOError:
                time.sleep(0.0005)

    def take_response(self) -> tuple[bytes, bool] | None:
        """Cut one complete response off the buffer: (status line, server closes), or None."""
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = bytes(self.buffer[:end])
        match = _CONTENT_LENGTH.search(head)
        total = end + 4 + (int(match.group(1)) if match else 0)
        if len(self.buffer) < total:
            return None
        del self.buffer[:total]
        return head.split(b"\r\n", 1)[0], bool(_CONNECTION_CLOSE.search(head))


def _python_worker(port: int, payloads: list[bytes], expect: int, connections: int,
                   start_at: float, end_at: float, results: Any) -> None:
    """One load process: many keep-alive sockets on one selector, no threads, no parsing beyond
    the status line and Content-Length, so the client costs a few percent of a core."""
    expect_prefix = f"HTTP/1.1 {expect} ".encode()
    latencies = array.array("d")
    in_window = unexpected = errors = 0
    cursor = 0
    selector = selectors.DefaultSelector()
    conns = [_Connection(port) for _ in range(connections)]
    while time.monotonic() < start_at:
        time.sleep(min(0.005, max(0.0, start_at - time.monotonic())))
    for conn in conns:
        conn.send(payloads[cursor % len(payloads)])
        cursor += 1
        selector.register(conn.sock, selectors.EVENT_READ, conn)
    in_flight = len(conns)
    while in_flight and time.monotonic() < end_at + 15:
        for key, _ in selector.select(timeout=0.5):
            conn = key.data
            try:
                chunk = conn.sock.recv(262144)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            now = time.monotonic()
            if not chunk:  # the server closed: count it, start over on a new socket
                errors += 1
                selector.unregister(conn.sock)
                if now < end_at:
                    conn.reopen()
                    conn.send(payloads[cursor % len(payloads)])
                    cursor += 1
                    selector.register(conn.sock, selectors.EVENT_READ, conn)
                else:
                    in_flight -= 1
                continue
            conn.buffer += chunk
            while (response := conn.take_response()) is not None:
                status_line, closing = response
                latencies.append(now - conn.sent_at)
                if now <= end_at:
                    in_window += 1
                if not status_line.startswith(expect_prefix):
                    unexpected += 1
                if now >= end_at:
                    selector.unregister(conn.sock)
                    in_flight -= 1
                    break
                if closing:
                    selector.unregister(conn.sock)
                    conn.reopen()
                    selector.register(conn.sock, selectors.EVENT_READ, conn)
                conn.send(payloads[cursor % len(payloads)])
                cursor += 1
    for conn in conns:
        conn.sock.close()
    results.put((latencies.tobytes(), in_window, unexpected, errors + in_flight))


def pipelined(port: int, payloads: Sequence[bytes], expect: int, depth: int = 32) -> None:
    """Send ``payloads`` on one keep-alive socket, up to ``depth`` ahead of the answers (the
    server reads them one after another), and check every status: many small calls at the
    server's pace instead of one round trip each."""
    conn = _Connection(port)
    conn.sock.setblocking(True)
    expect_prefix = f"HTTP/1.1 {expect} ".encode()
    sent = answered = 0
    try:
        while answered < len(payloads):
            while sent < len(payloads) and sent - answered < depth:
                conn.send(payloads[sent])
                sent += 1
            chunk = conn.sock.recv(262144)
            if not chunk:
                raise RuntimeError(f"the server closed the connection after {answered} answers")
            conn.buffer += chunk
            while (response := conn.take_response()) is not None:
                status_line, closing = response
                if not status_line.startswith(expect_prefix) or closing:
                    raise RuntimeError(f"answer {answered + 1} was {status_line!r}, "
                                       f"not {expect} on a kept-alive connection")
                answered += 1
    finally:
        conn.sock.close()


def python_workers(concurrency: int) -> int:
    """Enough processes to keep the client far from a full core, few enough to leave the
    server its cores."""
    return max(1, min(concurrency, 8, max(2, (os.cpu_count() or 2) // 2)))


def run_python(load: Load, port: int, concurrency: int, duration: int) -> Result:
    """Drive the server from forked worker processes and merge their latencies."""
    context = multiprocessing.get_context("fork")
    payloads = [raw_request(load, path, port, key) for path in load.paths
                for key in load.all_keys()]
    workers = python_workers(concurrency)
    shares = [concurrency // workers + (1 if i < concurrency % workers else 0)
              for i in range(workers)]
    results = context.Queue()
    start_at = time.monotonic() + 0.3  # every worker connects before the clock starts
    end_at = start_at + duration
    processes = [context.Process(target=_python_worker, daemon=True,
                                 args=(port, payloads[i::workers] or payloads, load.expect, share,
                                       start_at, end_at, results))
                 for i, share in enumerate(shares)]
    for process in processes:
        process.start()
    try:
        parts = [results.get(timeout=duration + 60) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join(timeout=5)
    latencies = array.array("d")
    for raw, _, _, _ in parts:
        latencies.frombytes(raw)
    ordered = sorted(latencies)
    in_window = sum(part[1] for part in parts)
    return Result(rps=in_window / duration, p50_ms=percentile(ordered, 50) * 1000,
                  p99_ms=percentile(ordered, 99) * 1000,
                  max_ms=(ordered[-1] if ordered else float("nan")) * 1000, requests=len(ordered),
                  unexpected=sum(part[2] for part in parts), errors=sum(part[3] for part in parts))


def percentile(ordered: Sequence[float], pct: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


def lua_string(text: str) -> str:
    """A Lua long-bracket literal; the level is chosen so the text cannot close it."""
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


def wrk_script(load: Load) -> str:
    """Pre-format every request once per thread; count any status but the expected one."""
    paths = ", ".join(lua_string(path) for path in load.paths)
    keys = ", ".join(lua_string(key) for key in load.all_keys())
    body = lua_string(load.body.decode()) if load.body is not None else "nil"
    content_type = 'wrk.headers["Content-Type"] = "application/json"' if load.body else ""
    return f"""
local paths = {{ {paths} }}
local keys = {{ {keys} }}
local body = {body}
local requests = {{}}
local threads = {{}}
local counter = 0

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  unexpected = 0
  {content_type}
  for _, path in ipairs(paths) do
    for _, key in ipairs(keys) do
      wrk.headers["REB-APIKEY"] = key
      table.insert(requests, wrk.format({lua_string(load.method)}, path, nil, body))
    end
  end
end

function request()
  counter = counter + 1
  return requests[(counter % #requests) + 1]
end

function response(status, headers, body)
  if status ~= {load.expect} then
    unexpected = unexpected + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("unexpected")
  end
  io.write(string.format("bench-unexpected %d\\n", total))
end
"""


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def wrk_ms(value: str, unit: str) -> float:
    return float(value) * _UNITS[unit]


def parse_wrk(output: str) -> Result:
    """Read Requests/sec, the --latency distribution, socket errors and the Lua status count."""
    def find(pattern: str) -> re.Match[str]:
        match = re.search(pattern, output, re.MULTILINE)
        if match is None:
            raise RuntimeError(f"cannot read wrk output ({pattern!r}):\n{output}")
        return match

    latency = r"([\d.]+)(us|ms|s|m)\s+"
    summary = find(r"^\s*Latency\s+" + latency * 3)
    p50 = find(r"^\s*50%\s+([\d.]+)(us|ms|s|m)\s*$")
    p99 = find(r"^\s*99%\s+([\d.]+)(us|ms|s|m)\s*$")
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       output)
    return Result(rps=float(find(r"^Requests/sec:\s+([\d.]+)").group(1)),
                  p50_ms=wrk_ms(*p50.groups()), p99_ms=wrk_ms(*p99.groups()),
                  max_ms=wrk_ms(*summary.groups()[4:6]),
                  requests=int(find(r"^\s*(\d+) requests in").group(1)),
                  unexpected=int(find(r"^bench-unexpected (\d+)").group(1)),
                  errors=sum(int(n) for n in errors.groups()) if errors else 0)


def run_wrk(load: Load, port: int, concurrency: int, duration: int, workdir: Path) -> Result:
    """One wrk thread is plenty for a few thousand req/s and leaves the cores to the server."""
    script = workdir / "load.lua"
    script.write_text(wrk_script(load))
    argv = [shutil.which("wrk") or "wrk", "-t1", f"-c{concurrency}", f"-d{duration}s",
            "--timeout", "10s", "--latency", "-s", str(script),
            f"http://{HOST}:{port}{load.paths[0]}"]
    completed = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr.strip()}")
    return parse_wrk(completed.stdout)


class LoadGenerator:
    """The chosen generator, with CPU accounting for both sides of each run."""

    def __init__(self, choice: str, workdir: Path):
        self.kind = "wrk" if choice == "wrk" or (choice == "auto" and shutil.which("wrk")) \
            else "python"
        if self.kind == "wrk" and not shutil.which("wrk"):
            raise SystemExit("bench: --loadgen wrk given but wrk is not on PATH")
        self.workdir = workdir

    def describe(self) -> str:
        if self.kind == "wrk":
            version = subprocess.run(["wrk", "--version"], capture_output=True, text=True,
                                     timeout=10).stdout.split("Copyright")[0].strip()
            return (f"{version} at {shutil.which('wrk')}, 1 thread, Lua script, --latency "
                    "(percentiles corrected for coordinated omission)")
        return (f"python (multiprocessing, {python_workers(16)} worker processes at c=16, "
                f"keep-alive sockets on a selector, pre-encoded requests)")

    def run(self, load: Load, port: int, concurrency: int, duration: int,
            server_pid: int) -> Result:
        client_before, server_before = children_cpu(), cpu_seconds(server_pid)
        started = time.perf_counter()
        if self.kind == "wrk":
            result = run_wrk(load, port, concurrency, duration, self.workdir)
        else:
            result = run_python(load, port, concurrency, duration)
        wall = time.perf_counter() - started
        result.client_cpu = (children_cpu() - client_before) / wall * 100
        result.server_cpu = (cpu_seconds(server_pid) - server_before) / wall * 100
        return result


# -- the table ------------------------------------------------------------------------------


@dataclass
class Row:
    measurement: str
    stored: str = "-"
    concurrency: str = "-"
    rps: str = ""
    p50: str = ""
    p99: str = ""
    max: str = ""
    server_cpu: str = ""
    client_cpu: str = ""
    result: str = ""


COLUMNS = (("measurement", "measurement", "<"), ("stored", "stored", ">"),
           ("c", "concurrency", ">"), ("req/s", "rps", ">"), ("p50 ms", "p50", ">"),
           ("p99 ms", "p99", ">"), ("max ms", "max", ">"), ("srv CPU", "server_cpu", ">"),
           ("client CPU", "client_cpu", ">"), ("result", "result", "<"))


def render(rows: list[Row]) -> str:
    """Plain text with aligned columns, so it reads in a terminal and pastes into a PR."""
    cells = [[title for title, _, _ in COLUMNS]]
    cells += [[getattr(row, attribute) for _, attribute, _ in COLUMNS] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    def line(values: list[str]) -> str:
        aligned = zip(values, widths, COLUMNS, strict=True)
        return "  ".join(value.ljust(width) if align == "<" else value.rjust(width)
                         for value, width, (_, _, align) in aligned).rstrip()
    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(cells[0]), rule] + [line(values) for values in cells[1:]])


def count(n: int) -> str:
    return f"{n:,}"


def ms(value: float) -> str:
    return f"{value:.2f}" if value < 100 else f"{value:.0f}"


def problems(results: Sequence[Result]) -> list[str]:
    """Wrong statuses and socket errors over the runs, spelled out, never hidden."""
    unexpected = sum(result.unexpected for result in results)
    errors = sum(result.errors for result in results)
    return ([f"{count(unexpected)} unexpected statuses"] if unexpected else []) + \
        ([f"{count(errors)} socket errors"] if errors else [])


def load_row(label: str, stored: int | str, concurrency: int, result: Result) -> Row:
    """A load run as a row."""
    return Row(label, count(stored) if isinstance(stored, int) else stored, str(concurrency),
               rps=count(round(result.rps)), p50=ms(result.p50_ms), p99=ms(result.p99_ms),
               max=ms(result.max_ms),
               server_cpu=f"{result.server_cpu:.0f}%", client_cpu=f"{result.client_cpu:.0f}%",
               result="; ".join(problems([result])) or f"{count(result.requests)} requests")


def runs_row(label: str, stored: int | str, concurrency: int, results: Sequence[Result]) -> Row:
    """Several runs of one load as a row: req/s, p50, p99 and the CPU shares are medians over
    the runs, "max ms" the slowest request of any; the result lists each run's rate."""
    if len(results) == 1:
        return load_row(label, stored, concurrency, results[0])
    median = statistics.median
    rates = ", ".join(count(round(result.rps)) for result in results)
    return Row(label, count(stored) if isinstance(stored, int) else stored, str(concurrency),
               rps=count(round(median(result.rps for result in results))),
               p50=ms(median(result.p50_ms for result in results)),
               p99=ms(median(result.p99_ms for result in results)),
               max=ms(max(result.max_ms for result in results)),
               server_cpu=f"{median(result.server_cpu for result in results):.0f}%",
               client_cpu=f"{median(result.client_cpu for result in results):.0f}%",
               result="; ".join(problems(results))
               or f"median of {len(results)} runs ({rates} req/s)")


def pair_ratios(ours: Sequence[Result], theirs: Sequence[Result]) -> tuple[float, str]:
    """The median of the per-pair rate ratios, and the ratios themselves as text."""
    ratios = [a.rps / b.rps if b.rps else float("nan")
              for a, b in zip(ours, theirs, strict=True)]
    return statistics.median(ratios), ", ".join(f"{ratio:.0%}" for ratio in ratios)


# -- the phases -----------------------------------------------------------------------------


@dataclass
class Settings:
    duration: int
    warmup: int
    top: int
    quick: bool
    share_pairs: int  # sandbox / baseline pairs per share of the baseline
    flat_pairs: int  # none / top pairs per flat-cost ratio


@dataclass
class Served:
    """A sandbox under test: its process, an admin connection, a sample id to read after a
    restore, and the loads it is driven with."""

    process: subprocess.Popen
    port: int
    client: Client
    sample: str
    loads: dict[str, Load]


def copy_db(db: Path, directory: Path) -> Path:
    """A copy of a closed database (snapshot and journal, not its lock) in ``directory``."""
    shutil.copytree(db.parent, directory, ignore=shutil.ignore_patterns("*.lock"))
    return directory / db.name


class Bench:
    """Runs the phases in order and collects rows and the numbers the bar is checked against."""

    def __init__(self, settings: Settings, loadgen: LoadGenerator, workdir: Path):
        self.settings = settings
        self.loadgen = loadgen
        self.workdir = workdir
        self.rows: list[Row] = []
        self.numbers: dict[str, float] = {}
        self.post = Load("POST", ["/customers"], BENCH_KEY, BODY, 201)

    def start(self, argv_for: Callable[[int], list[str]], name: str, quiet: bool = False,
              ) -> tuple[subprocess.Popen, int, float]:
        """Start a server; ``quiet`` sends its output to /dev/null instead of ``name``.log."""
        port = free_port()
        log_path = None if quiet else self.workdir / f"{name}.log"
        process, started = spawn(argv_for(port), log_path)
        return process, port, wait_first_201(process, started, port, log_path)

    def measure(self, load: Load, port: int, concurrency: int, pid: int,
                duration: int | None = None) -> Result:
        return self.loadgen.run(load, port, concurrency, duration or self.settings.duration, pid)

    def fresh(self, client: Client, sample: str) -> None:
        """Put the namespace back to its stated size and rebuild the id index a restore drops,
        so the run's first request does not pay for it."""
        client.expect(200, "POST", f"/__admin/snapshots/{BASE_SNAPSHOT}/restore", BENCH_KEY)
        client.call("GET", f"/customers/{sample}", BENCH_KEY)

    def loads(self, loaded: Preloaded) -> dict[str, Load]:
        """The runs of a stage, by name: creates, reads by id and refunds over stored samples."""
        email = quote(CUSTOMER["email"], safe="")
        return {
            "post_customer": self.post,
            "get_customer": Load("GET", [f"/customers/{cid}" for cid in loaded.customers],
                                 BENCH_KEY, None, 200),
            "post_transaction": Load("POST", ["/transactions"], BENCH_KEY,
                                     sale_body(loaded.customer_id, loaded.instrument_id), 201),
            "post_order": Load("POST", ["/subscriptions"], BENCH_KEY,
                               order_body(loaded.customer_id, loaded.instrument_id), 201),
            "get_transaction": Load("GET", [f"/transactions/{tid}"
                                            for tid in loaded.transactions], BENCH_KEY, None, 200),
            "refund": Load("POST", [f"/transactions/{tid}/refund" for tid in loaded.transactions],
                           BENCH_KEY, REFUND, 201),
            "list_customers": Load("GET", [f"/customers?filter=email:{email}&limit=100"],
                                   BENCH_KEY, None, 200),
            "list_transactions": Load(
                "GET", [f"/transactions?filter=customerId:{loaded.customer_id}"
                        "&sort=-createdTime&limit=100"], BENCH_KEY, None, 200),
            "list_page": Load("GET", ["/customers?limit=100"], BENCH_KEY, None, 200),
        }

    def open_sandbox(self, db: Path, stored: int, loaded: Preloaded, log_level: str | None,
                     name: str) -> tuple[Served, float]:
        """Start a sandbox on ``db``, save its bench namespace as the snapshot ``fresh``
        restores, and warm it up; return it and its start-up time."""
        level = log_level or "info"
        log(f"starting the sandbox with {count(stored)} stored, --log-level {level}")
        process, port, startup = self.start(lambda p: sandbox_argv(p, db, log_level), name,
                                            quiet=log_level is None)
        client = Client(port)
        client.expect(201, "POST", f"/__admin/snapshots/{BASE_SNAPSHOT}", BENCH_KEY)
        served = Served(process, port, client,
                        loaded.customers[0] if loaded.customers else "cus_none",
                        self.loads(loaded))
        self.measure(self.post, port, 16, process.pid, self.settings.warmup)
        return served, startup

    def close_sandbox(self, served: Served) -> None:
        served.client.close()
        log("stopping the sandbox (it compacts on the way out)")
        stop(served.process)

    def run_on(self, served: Served, name: str, concurrency: int) -> Result:
        """One load run on a sandbox, from exactly its stated stored documents."""
        self.fresh(served.client, served.sample)
        return self.measure(served.loads[name], served.port, concurrency, served.process.pid)

    def share_stage(self, db: Path, loaded: Preloaded) -> None:
        """Both creates at the default log level against the baseline (Flask + the same schema
        only), the two servers up at once and their runs alternating: the share is the median
        of the pairs' ratios, so the machine's drift over a minute cancels out."""
        sandbox, _ = self.open_sandbox(db, 0, loaded, None, "sandbox-info")
        log("starting the baseline (Flask + CustomerSchema only)")
        baseline, port, _ = self.start(baseline_argv, "baseline")
        self.measure(self.post, port, 16, baseline.pid, self.settings.warmup)
        pairs = self.settings.share_pairs
        transactions = count(SAMPLE_IDS)
        try:
            for name, label in (("post_customer", "POST /customers"),
                                ("post_transaction", "POST /transactions")):
                for concurrency in (1, 16):
                    ours, theirs = [], []
                    for number in range(1, pairs + 1):
                        log(f"{label} c={concurrency}, pair {number} of {pairs}: "
                            "sandbox (log info), then baseline")
                        ours.append(self.run_on(sandbox, name, concurrency))
                        theirs.append(self.measure(self.post, port, concurrency, baseline.pid))
                    share, each = pair_ratios(ours, theirs)
                    key = f"{name}_info_0_c{concurrency}"
                    self.numbers[f"{key}_rps"] = statistics.median(r.rps for r in ours)
                    self.numbers[f"baseline_{name}_c{concurrency}_rps"] = statistics.median(
                        r.rps for r in theirs)
                    self.numbers[f"{name}_share_c{concurrency}"] = share
                    stored = transactions if name == "post_transaction" else "0"
                    self.rows += [
                        runs_row(f"{label}, --log-level info (default)", stored, concurrency,
                                 ours),
                        runs_row("baseline POST (Flask + schema only)", "-", concurrency,
                                 theirs),
                        Row(f"{label} (log info) / baseline", stored, str(concurrency),
                            result=f"{share:.0%} of the baseline (pairs: {each})")]
        finally:
            self.close_sandbox(sandbox)
            stop(baseline)

    def flat_stage(self, none_db: Path, none_loaded: Preloaded, top_db: Path,
                   top_loaded: Preloaded) -> None:
        """Each of FLAT_RUNS on two sandboxes up at once, one with none stored and one with
        ``top`` customers and transactions, runs alternating: the ratio is the median of the
        pairs'. Then the list runs on the full one."""
        top = self.settings.top
        none, _ = self.open_sandbox(none_db, 0, none_loaded, "warning", "sandbox-none")
        try:
            full, startup = self.open_sandbox(top_db, top, top_loaded, "warning",
                                              f"sandbox-{top}")
        except BaseException:
            self.close_sandbox(none)
            raise
        self.numbers[f"startup_{top}"] = startup
        self.rows.append(Row("start-up to first 201, customers and transactions",
                             f"{count(top)} + {count(top)}", result=f"{startup * 1000:.0f} ms"))
        pairs = self.settings.flat_pairs
        try:
            for name, label in FLAT_RUNS:
                at_none, at_top = [], []
                for number in range(1, pairs + 1):
                    log(f"{label} c=16, pair {number} of {pairs}: none stored, then "
                        f"{count(top)}")
                    at_none.append(self.run_on(none, name, 16))
                    at_top.append(self.run_on(full, name, 16))
                kept, each = pair_ratios(at_top, at_none)
                self.numbers[f"{name}_flat"] = kept
                for stored, results in ((0, at_none), (top, at_top)):
                    self.numbers[f"{name}_warning_{stored}_c16_rps"] = statistics.median(
                        r.rps for r in results)
                    shown = count(max(stored, SAMPLE_IDS)) if "transaction" in name \
                        or name == "refund" else count(stored)
                    self.rows.append(runs_row(label, shown, 16, results))
                self.rows.append(Row(f"{label} at {count(top)} / at none", count(top), "16",
                                     result=f"{kept:.0%} of the rate at none (pairs: {each})"))
            self.close_sandbox(none)
            for name, label, concurrency in (
                    ("list_page", "GET /customers?limit=100", 16),
                    ("list_customers", "GET /customers?filter=email:...&limit=100", 1),
                    ("list_transactions",
                     "GET /transactions?filter=customerId:...&sort=-createdTime&limit=100", 1)):
                log(f"{label} c={concurrency} with {count(top)} stored")
                result = self.run_on(full, name, concurrency)
                self.numbers[f"{name}_warning_{top}_c{concurrency}_rps"] = result.rps
                self.numbers[f"{name}_warning_{top}_c{concurrency}_p50"] = result.p50_ms
                self.rows.append(load_row(label, top, concurrency, result))
        finally:
            if none.process.poll() is None:
                self.close_sandbox(none)
            self.close_sandbox(full)

    def memory_stage(self, db: Path, stored: int) -> None:
        """Cold start and resident memory of an empty server, then start-up and memory of one
        holding ``stored`` customers and nothing else: the memory each stored customer costs."""
        rss, startups = {}, {}
        for size, path in ((0, self.workdir / "empty" / "db.json"), (stored, db)):
            log(f"starting a sandbox with {count(size)} customers for its start-up and memory")
            process, _, startups[size] = self.start(lambda p, path=path: sandbox_argv(p, path),
                                                    f"sandbox-memory-{size}")
            rss[size] = proc_status(process.pid, "VmRSS")
            peak = proc_status(process.pid, "VmHWM")
            stop(process)
        self.numbers["startup_0"] = startups[0]
        self.numbers[f"startup_customers_{stored}"] = startups[stored]
        per_customer = (rss[stored] - rss[0]) / stored / 1024
        self.numbers["rss_per_customer_kb"] = per_customer
        self.rows.append(Row("cold start to first 201 (empty db)", "0",
                             result=f"{startups[0] * 1000:.0f} ms"))
        self.rows.append(Row("start-up to first 201, customers only", count(stored),
                             result=f"{startups[stored] * 1000:.0f} ms"))
        self.rows.append(Row("server resident memory (VmRSS)", count(stored),
                             result=f"{rss[stored] / 2**20:.0f} MB after start-up (empty: "
                                    f"{rss[0] / 2**20:.0f} MB; peak VmHWM {peak / 2**20:.0f} MB)"
                                    f"; {per_customer:.2f} KB per stored customer"))

    def admin_stage(self) -> None:
        """Reset and restore on their own database: a namespace of exactly 10,000 customers."""
        db = self.workdir / "admin" / "db.json"
        log(f"preloading {count(ADMIN_STORED)} customers under {ADMIN_KEY}")
        preload(db, ADMIN_KEY, ADMIN_STORED, payer=("", ""))
        process, port, _ = self.start(lambda p: sandbox_argv(p, db), "sandbox-admin")
        client = Client(port)
        try:
            client.expect(201, "POST", f"/__admin/snapshots/{ADMIN_SNAPSHOT}", ADMIN_KEY)
            log("timing snapshot restores and resets")
            restores = [client.expect(200, "POST", f"/__admin/snapshots/{ADMIN_SNAPSHOT}/restore",
                                      ADMIN_KEY)[1] for _ in range(ADMIN_REPEATS)]
            resets, removed = [], set()
            for _ in range(ADMIN_REPEATS):
                client.expect(200, "POST", f"/__admin/snapshots/{ADMIN_SNAPSHOT}/restore",
                              ADMIN_KEY)
                payload, elapsed = client.expect(200, "POST", "/__admin/reset", ADMIN_KEY)
                resets.append(elapsed)
                removed.add(json.loads(payload)["removed"].get("customers", 0))
        finally:
            client.close()
            stop(process)
        for name, label, times, extra in (
                ("reset", "reset (POST /__admin/reset)", resets,
                 f"; removed {', '.join(count(n) for n in sorted(removed))} each time"),
                ("restore", f"snapshot restore (POST /__admin/snapshots/{ADMIN_SNAPSHOT}/restore)",
                 restores, "")):
            median = statistics.median(times)
            self.numbers[f"{name}_ms"] = median
            self.rows.append(Row(label, count(ADMIN_STORED), result=(
                f"{median:.1f} ms median of {len(times)} "
                f"({min(times):.1f}-{max(times):.1f}){extra}")))

    def renewal_stage(self) -> None:
        """A year of renewals: ``RENEWAL_ORDERS`` monthly orders (each with its card) in one
        namespace, then one advance of 365 days; meanwhile another namespace is read in a loop
        and its longest wait is the stall the advance caused."""
        db = self.workdir / "renewals" / "db.json"
        db.parent.mkdir(parents=True, exist_ok=True)
        process, port, _ = self.start(lambda p: sandbox_argv(p, db), "sandbox-renewals")
        client = Client(port)
        try:
            client.expect(200, "POST", "/__admin/clock", RENEWAL_KEY,
                          json.dumps({"action": "freeze",
                                      "time": "2030-01-01T00:00:00Z"}).encode())
            log(f"loading {count(RENEWAL_ORDERS)} monthly orders (each paid at once)")
            client.expect(201, "POST", "/__admin/fixtures", RENEWAL_KEY,
                          json.dumps(renewal_fixtures(RENEWAL_ORDERS)).encode())
            waits: list[float] = []
            stop_reading = threading.Event()
            reader = threading.Thread(target=_read_meanwhile, args=(port, waits, stop_reading),
                                      daemon=True)
            reader.start()
            time.sleep(0.2)
            log("advancing the clock 365 days")
            payload, elapsed = client.expect(
                200, "POST", "/__admin/clock", RENEWAL_KEY,
                json.dumps({"action": "advance", "seconds": 365 * 86400}).encode())
            stop_reading.set()
            reader.join(10)
        finally:
            client.close()
            stop(process)
        made = json.loads(payload)["billing"]
        self.numbers["renewal_year_s"] = elapsed / 1000
        self.numbers["renewal_stall_ms"] = percentile(sorted(waits), 99) if waits else 0.0
        self.rows.append(Row(
            f"a year of renewals: {count(RENEWAL_ORDERS)} monthly orders, one advance",
            count(RENEWAL_ORDERS), result=(
                f"{elapsed / 1000:.2f} s for {made['renewals']:,} renewals, "
                f"{made['payments']:,} payments, {made['events']:,} events; another "
                f"namespace's {len(waits)} GETs meanwhile: p99 {percentile(sorted(waits), 99):.0f}"
                f" ms, max {max(waits) if waits else 0:.0f} ms (a journal compaction included)")))

    def new_keys_stage(self) -> None:
        """Memory under endless new API keys and huge refused bodies: both must leave nothing
        behind but bounded journals (namespaces appear on the fly, bodies are capped)."""
        keys = NEW_KEYS
        log(f"{count(keys)} requests with distinct API keys, then {count(HUGE_BODIES)} huge "
            "refused bodies")
        process, port, _ = self.start(lambda p: sandbox_argv(p, self.workdir / "keys.json"),
                                      "sandbox-keys")
        client = Client(port)
        huge = json.dumps({"primaryAddress": {"firstName": "x" * 1_000_000}}).encode()

        def missing(prefix: str, how_many: int) -> list[bytes]:
            return [raw_request(Load("GET", ["/customers/missing"], f"{prefix}{number:07d}",
                                     None, 404), "/customers/missing", port)
                    for number in range(how_many)]
        try:
            pipelined(port, missing("sk_sandbox_warm_", 2_000), 404)  # settle the allocators
            before = proc_status(process.pid, "VmRSS") / 2**20
            pipelined(port, missing("sk_sandbox_key_", keys), 404)
            after_keys = proc_status(process.pid, "VmRSS") / 2**20
            for _ in range(HUGE_BODIES):
                client.expect(422, "POST", "/customers", BENCH_KEY, huge)
            after_bodies = proc_status(process.pid, "VmRSS") / 2**20
        finally:
            client.close()
            stop(process)
        self.numbers["rss_growth_keys"] = after_bodies - before
        self.rows.append(Row("RSS, distinct keys then 1 MB refused bodies", count(keys),
                             result=f"{before:.0f} MB -> {after_keys:.0f} MB after {count(keys)} "
                                    f"keys -> {after_bodies:.0f} MB after "
                                    f"{count(HUGE_BODIES)} bodies"))

    def cluster_stage(self) -> None:
        """Creates through HAProxy in front of 1 and of 2 replicas (``rebilly-sandbox cluster``),
        32 namespaces sent in turn so the hash spreads them; both clusters on from the start and
        run in pairs (1 replica, then 2), like the shares of the baseline. "srv CPU" counts
        HAProxy and every replica together, so 200% is both cores."""
        if shutil.which("haproxy") is None:
            log("haproxy not found: no cluster rows (make haproxy installs it)")
            return
        from rebilly_sandbox.cluster import Cluster

        load = Load("POST", ["/customers"], BENCH_KEY, BODY, 201,
                    keys=tuple(f"sk_sandbox_bench_{n:02d}" for n in range(CLUSTER_KEYS)))
        clusters = {}
        try:
            for replicas in (1, 2):
                log(f"starting a cluster of {replicas} replica(s) behind HAProxy")
                clusters[replicas] = Cluster(
                    replicas, str(self.workdir / f"cluster-{replicas}"), port=free_port(),
                    serve_args=("--rate-limit", "0", "--log-level", "warning"))
                clusters[replicas].start()
                self.measure(load, clusters[replicas].port, CLUSTER_CONCURRENCY,
                             clusters[replicas].balancer.pid, self.settings.warmup)
            results: dict[int, list[Result]] = {1: [], 2: []}
            for _ in range(self.settings.share_pairs):
                for replicas, cluster in clusters.items():
                    pids = [cluster.balancer.pid, *(m.process.pid for m in cluster.members)]
                    before, started = sum(map(cpu_seconds, pids)), time.perf_counter()
                    result = self.measure(load, cluster.port, CLUSTER_CONCURRENCY,
                                          cluster.balancer.pid)
                    result.server_cpu = ((sum(map(cpu_seconds, pids)) - before)
                                         / (time.perf_counter() - started) * 100)
                    results[replicas].append(result)
        finally:
            for cluster in clusters.values():
                cluster.stop()
        for replicas in (1, 2):
            self.rows.append(runs_row(f"POST /customers via HAProxy, {replicas} replica(s)",
                                      "-", CLUSTER_CONCURRENCY, results[replicas]))
        scaling, each = pair_ratios(results[2], results[1])
        self.numbers["cluster_scaling"] = scaling
        self.rows.append(Row("2 replicas / 1 replica, POST /customers via HAProxy",
                             concurrency=str(CLUSTER_CONCURRENCY),
                             result=f"{scaling:.2f}x median of pairs ({each})"))

    def run(self) -> None:
        """The plan: the shares of the baseline on the small database, the big database's
        preload with the memory stage between customers and transactions, the flat-cost pairs,
        then the admin calls and the new keys."""
        log("compiling the package's bytecode, as an installed package has it")
        compileall.compile_dir(ROOT / "sandbox", quiet=1)
        top = self.settings.top
        none_db = self.workdir / "none" / "db.json"
        log(f"preloading the payer and {count(SAMPLE_IDS)} transactions")
        loaded = preload(none_db, BENCH_KEY, 0, SAMPLE_IDS)
        loaded.customers = [loaded.customer_id]  # the one customer there is to read at none
        share_db = copy_db(none_db, self.workdir / "share")
        top_db = copy_db(none_db, self.workdir / "top")
        self.share_stage(share_db, loaded)
        payer = (loaded.customer_id, loaded.instrument_id)
        log(f"preloading {count(top)} customers")
        more = preload(top_db, BENCH_KEY, top, payer=payer)
        self.memory_stage(top_db, top)
        log(f"preloading {count(top - SAMPLE_IDS)} transactions more and {count(top)} orders "
            "(each with its invoice and payment)")
        extra = preload(top_db, BENCH_KEY, 0, top - SAMPLE_IDS, payer=payer, orders=top)
        self.flat_stage(none_db, loaded, top_db,
                        Preloaded(more.customers, extra.transactions, *payer))
        self.admin_stage()
        self.renewal_stage()
        self.new_keys_stage()
        self.cluster_stage()


# -- the bar --------------------------------------------------------------------------------


#: The runs whose rate must stay flat from (almost) nothing stored to the top size.
FLAT_RUNS = (("post_customer", "POST /customers"), ("get_customer", "GET /customers/{id}"),
             ("post_transaction", "POST /transactions"),
             ("get_transaction", "GET /transactions/{id}"),
             ("refund", "POST /transactions/{id}/refund"),
             ("post_order", "POST /subscriptions (order + invoice + payment)"))


def bar(numbers: dict[str, float], top: int) -> list[tuple[str, str, bool]]:
    """Each target, what this run measured, and whether it holds."""
    top_label = count(top)
    items = []
    for name, label in (("post_customer", "POST /customers"),
                        ("post_transaction", "POST /transactions")):
        c1, c16 = numbers[f"{name}_share_c1"], numbers[f"{name}_share_c16"]
        items.append((f"{label} (log info) >= 60% of the baseline, c=1 and c=16",
                      f"{c1:.0%} / {c16:.0%}", min(c1, c16) >= 0.6))
    for name, label in FLAT_RUNS:
        kept = numbers[f"{name}_flat"]
        items.append((f"{label} c=16 at {top_label} stored >= 90% of the rate at none",
                      f"{kept:.0%}", kept >= 0.9))
    for name, label in (("list_customers", "GET /customers?filter=email:…&limit=100"),
                        ("list_transactions",
                         "GET /transactions?filter=customerId:…&sort=-createdTime&limit=100")):
        p50 = numbers[f"{name}_warning_{top}_c1_p50"]
        items.append((f"{label} p50 < 5 ms ({top_label} stored)", f"{p50:.2f} ms", p50 < 5))
    if "renewal_year_s" in numbers:
        items += [(f"a year of renewals over {count(RENEWAL_ORDERS)} monthly orders <= 10 s",
                   f"{numbers['renewal_year_s']:.2f} s", numbers["renewal_year_s"] <= 10),
                  ("another namespace's GETs during that advance: p99 <= 100 ms",
                   f"{numbers['renewal_stall_ms']:.0f} ms", numbers["renewal_stall_ms"] <= 100)]
    per_customer = numbers["rss_per_customer_kb"]
    items += [
        (f"memory per stored customer <= 2.5 KB ({top_label} stored)", f"{per_customer:.2f} KB",
         per_customer <= 2.5),
        (f"start-up < 1 s with {top_label} customers stored",
         f"{numbers[f'startup_customers_{top}']:.2f} s",
         numbers[f"startup_customers_{top}"] < 1.0),
        ("cold start < 0.5 s (empty db)", f"{numbers['startup_0']:.2f} s",
         numbers["startup_0"] < 0.5),
        (f"reset of {count(ADMIN_STORED)} < 100 ms", f"{numbers['reset_ms']:.1f} ms",
         numbers["reset_ms"] < 100),
        (f"snapshot restore of {count(ADMIN_STORED)} < 100 ms", f"{numbers['restore_ms']:.1f} ms",
         numbers["restore_ms"] < 100),
    ]
    if "cluster_scaling" in numbers:
        items.append(("POST /customers c=32 via HAProxy: 2 replicas >= 1.4x of 1",
                      f"{numbers['cluster_scaling']:.2f}x", numbers["cluster_scaling"] >= 1.4))
    return items


def render_bar(items: list[tuple[str, str, bool]]) -> str:
    width = max(len(target) for target, _, _ in items)
    measured = max(len(value) for _, value, _ in items)
    lines = [f"{'bar':<{width}}  {'measured':>{measured}}  holds",
             f"{'-' * width}  {'-' * measured}  -----"]
    lines += [f"{target:<{width}}  {value:>{measured}}  {'yes' if holds else 'NO'}"
              for target, value, holds in items]
    return "\n".join(lines)


# -- entry point ----------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=None, metavar="SECONDS",
                        help="seconds per load run (default 3; 2 with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 2 s per run, fewer pairs, and 20,000 stored instead "
                             "of 100,000")
    parser.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto",
                        help="load generator: wrk when on PATH (auto), or the Python one")
    parser.add_argument("--cluster-only", action="store_true",
                        help="only the rows of creates through HAProxy with 1 and 2 replicas")
    parser.add_argument("--renewals-only", action="store_true",
                        help="only the row of a year of renewals over 1,000 monthly orders")
    arguments = parser.parse_args(argv)
    if arguments.duration is not None and arguments.duration < 1:
        parser.error("--duration must be at least 1 second")
    return arguments


def header(settings: Settings, loadgen: LoadGenerator) -> str:
    """What was run, on what, so two tables can be compared honestly."""
    import platform

    from rebilly_sandbox.version import __version__
    mode = (f"QUICK SMOKE RUN ({count(settings.top)} stands in for 100,000; not a measurement "
            "of record)" if settings.quick else "full run")
    return "\n".join([
        f"rebilly-sandbox {__version__} benchmark: {mode}",
        f"load generator: {loadgen.describe()}",
        f"{settings.duration} s per load run after a {settings.warmup} s warm-up per server; "
        f"runs alternate in pairs between two servers up at once ({settings.share_pairs} "
        f"per share of the baseline, {settings.flat_pairs} per flat-cost ratio), each share "
        f"or ratio the median of its pairs'",
        f"server: gevent (one process, one thread), --rate-limit 0, --log-level warning "
        f"unless marked info; body {len(BODY)} bytes",
        f"host: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}",
    ])


def show_logs(workdir: Path) -> None:
    """On failure, the servers' own words, before the temporary directory goes."""
    for path in sorted(workdir.glob("*.log")):
        text = tail(path, 40)
        if text.strip():
            log(f"--- end of {path.name} ---\n{text}")


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_args(argv)
    quick = arguments.quick
    settings = Settings(duration=arguments.duration or (2 if quick else 3), warmup=1,
                        top=20_000 if quick else 100_000, quick=quick,
                        share_pairs=2 if quick else 3, flat_pairs=1 if quick else 3)
    workdir = Path(tempfile.mkdtemp(prefix="sandbox-bench-"))
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    try:
        loadgen = LoadGenerator(arguments.loadgen, workdir)
        bench = Bench(settings, loadgen, workdir)
        started = time.perf_counter()
        if arguments.cluster_only:
            bench.cluster_stage()
        elif arguments.renewals_only:
            bench.renewal_stage()
        else:
            bench.run()
        print(header(settings, loadgen))
        print()
        print(render(bench.rows))
        if not (arguments.cluster_only or arguments.renewals_only):
            print()
            print(render_bar(bar(bench.numbers, settings.top)))
        log(f"done in {time.perf_counter() - started:.0f} s")
    except Exception:
        show_logs(workdir)
        raise
    finally:
        kill_children()
        signal.signal(signal.SIGTERM, previous)
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
