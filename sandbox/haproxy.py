"""The cluster's HAProxy configuration: which replica a request goes to, written as text.

A namespace lives on one replica, so every request naming it must reach that one: HAProxy
hashes the credential that names the namespace (``REB-APIKEY``, else ``Authorization`` with
``Bearer`` dropped and a publishable ``pk_`` key read as its ``sk_`` secret key) with consistent
hashing, so adding a replica moves only the share it takes. Paths under
``/_sandbox/replicas/{name}/`` (the approval URLs a replica hands out, see ``replicas``) go to
the replica named, marker stripped. ``/__admin/health`` is answered by HAProxy itself: 200 when
every replica passes its health check, 503 otherwise; ``/__admin/`` links each replica's
dashboard (``/_sandbox/replicas/{name}/__admin/``, where its own health is too). Routing servers
are never taken out: a down replica's namespaces answer 503 until it is back, instead of moving
to a replica their data is not on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ("DNS_RESOLVERS", "Replica", "haproxy_config")

#: Longer than the longest injected hang (``--max-fault-seconds``) and slow admin calls.
SERVER_TIMEOUT_SECONDS = 90
#: For replicas named by DNS (compose services, StatefulSet pods): the container's resolvers,
#: asked again while a replica is away, so one that comes back at a new address is found.
DNS_RESOLVERS = """\
resolvers dns
    parse-resolv-conf
    hold valid 5s
"""
#: Each replica's weight: its points on the hash ring (16 per unit), so many points that the
#: shares come out even (at weight 1, the bench's 32 namespaces split 23 to 9 over two).
RING_WEIGHT = 64


@dataclass(frozen=True)
class Replica:
    """One replica: its name (a server name and path marker) and ``host:port``."""

    name: str
    address: str


def haproxy_config(replicas: Sequence[Replica], bind: str, *, check_interval_ms: int = 500,
                   resolvers: str | None = None, threads: int = 1) -> str:
    """The configuration of a balancer on ``bind`` (``host:port``) in front of ``replicas``.

    ``resolvers`` names a ``resolvers`` section (with its text) for replicas named by DNS names
    that may not resolve yet when HAProxy starts (docker compose, Kubernetes). One thread
    forwards far more than a replica answers and leaves the cores to the replicas.
    """
    count = len(replicas)
    health_ok = ('{"status":"ok","replicas":%[nbsrv(health)],"of":' + str(count) + "}")
    health_down = ('{"status":"down","replicas":%[nbsrv(health)],"of":' + str(count) + "}")
    server_options = "" if resolvers is None else " resolvers dns init-addr last,libc,none"
    routing = "\n".join(
        f"    use-server {r.name} if {{ var(txn.replica) -m str {r.name} }}\n"
        f"    server {r.name} {r.address} weight {RING_WEIGHT}{server_options}" for r in replicas)
    checked = "\n".join(
        f"    server {r.name} {r.address} check inter {check_interval_ms} fall 1 rise 1"
        f"{server_options}" for r in replicas)
    credential = ("req.fhdr(Authorization),regsub(^bearer\\ +,,i),regsub(^pk_,sk_)"
                  " unless { var(txn.route) -m found }")
    resolvers_block = f"{resolvers}\n" if resolvers else ""
    unmarked = "!{ var(txn.replica) -m found }"
    is_health = f"if {{ path /__admin/health }} {unmarked}"
    is_index = f"if {{ path /__admin/ }} METH_GET {unmarked}"
    dashboards = "".join(f'<li><a href="/_sandbox/replicas/{r.name}/__admin/">{r.name}</a></li>'
                         for r in replicas)
    index = (f"<!doctype html><title>rebilly-sandbox cluster</title><h1>rebilly-sandbox: {count} "
             f"replica(s)</h1><p>Each replica shows the namespaces it holds.</p>"
             f"<ul>{dashboards}</ul>")
    answer = "http-request return content-type application/json"
    html = 'content-type "text/html; charset=utf-8"'
    return f"""\
# Written by rebilly-sandbox: {count} replica(s) behind one address.
global
    maxconn 4096
    nbthread {threads}

defaults
    mode http
    option http-keep-alive
    timeout connect 2s
    timeout client 90s
    timeout server {SERVER_TIMEOUT_SECONDS}s
    timeout http-keep-alive 75s
    retries 1

{resolvers_block}frontend sandbox
    bind {bind}
    http-request del-header X-Sandbox-Prefix
    http-request del-header X-Sandbox-Fanned-Out
    # The namespace's credential: the secret key, else the JWT or the publishable key's secret.
    http-request set-var(txn.route) req.fhdr(REB-APIKEY)
    http-request set-var(txn.route) {credential}
    # A URL a replica handed out: /_sandbox/replicas/{{name}}/... goes to that replica.
    acl marked path_reg ^/_sandbox/replicas/[A-Za-z0-9_.-]+/
    http-request set-var(txn.replica) path,field(4,/) if marked
    http-request set-header X-Sandbox-Prefix /_sandbox/replicas/%[var(txn.replica)] if marked
    http-request set-path %[path,regsub(^/_sandbox/replicas/[A-Za-z0-9_.-]+,)] if marked
    # Health of the whole cluster: every replica up, or 503.
    {answer} status 200 lf-string '{health_ok}' {is_health} {{ nbsrv(health) ge {count} }}
    {answer} status 503 lf-string '{health_down}' {is_health}
    # The dashboard's address lists each replica's own dashboard.
    http-request return status 200 {html} lf-string '{index}' {is_index}
    default_backend replicas

backend replicas
    balance hash var(txn.route)
    hash-type consistent sdbm avalanche
    http-send-name-header X-Sandbox-Replica
{routing}

backend health
    option httpchk GET /__admin/health
{checked}
"""
