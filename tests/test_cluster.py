"""Replicas behind a real HAProxy: a namespace stays on one replica, its approval page and
webhooks work through the balancer, global admin writes reach every replica, and a replica killed
with SIGKILL comes back with every acknowledged write while health says it is down."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import types
from pathlib import Path

import pytest
import requests
from helpers import TRIGGER, WEBSITE, card

from rebilly_sandbox.client import SandboxClient
from rebilly_sandbox.cluster import Cluster, free_port
from rebilly_sandbox.haproxy import Replica, haproxy_config
from rebilly_sandbox.webhook_receiver import WebhookReceiver

pytestmark = [
    pytest.mark.served,
    pytest.mark.skipif(shutil.which("haproxy") is None,
                       reason="haproxy is not installed (`make haproxy` installs it as root)"),
]

JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    started = Cluster(2, str(tmp_path_factory.mktemp("cluster")), port=0,
                      serve_args=("--log-level", "warning"))
    started.start()
    watcher = threading.Thread(target=started.watch, daemon=True)  # restarts a dead replica
    watcher.start()
    yield started
    started.request_stop()
    watcher.join(30)


def keyed(key: str) -> dict[str, str]:
    return {"REB-APIKEY": key, **JSON}


def create_customer(url: str, key: str, **body) -> requests.Response:
    return requests.post(f"{url}/customers", headers=keyed(key), timeout=10,
                         json={"websiteId": WEBSITE,
                               "primaryAddress": {"firstName": "Ada", "lastName": "Byron"},
                               **body})


def holders(cluster: Cluster, key: str) -> list[str]:
    """The replicas whose own address shows customers in the key's namespace."""
    return [member.name for member in cluster.members
            if requests.get(f"{member.url}/customers", headers=keyed(key), timeout=10).json()]


def keys_on_each_replica(cluster: Cluster, tag: str) -> dict[str, str]:
    """A key per replica, found by writing through the balancer and looking where it landed."""
    found: dict[str, str] = {}
    for index in range(64):
        key = f"sk_sandbox_{tag}_{index:02d}"
        assert create_customer(cluster.url, key).status_code == 201
        [name] = holders(cluster, key)
        found.setdefault(name, key)
        if len(found) == len(cluster.members):
            return found
    raise AssertionError(f"64 keys all landed on {sorted(found)}")


def test_each_namespace_lives_on_one_replica_and_sees_only_its_own(cluster):
    keys = keys_on_each_replica(cluster, "iso")

    assert sorted(keys) == ["r1", "r2"], "the hash spreads namespaces over both replicas"
    for name, key in keys.items():
        listed = requests.get(f"{cluster.url}/customers", headers=keyed(key), timeout=10).json()
        assert len(listed) == 1, "each key sees its own customer, through the balancer"
        assert holders(cluster, key) == [name]


def test_a_publishable_key_and_a_jwt_land_where_their_namespace_is(cluster):
    keys = keys_on_each_replica(cluster, "pk")
    for key in keys.values():
        publishable = "pk_" + key.removeprefix("sk_")
        token = requests.post(f"{cluster.url}/tokens", timeout=10,
                              headers={"Authorization": publishable, **JSON},
                              json={"method": "payment-card", "paymentInstrument": {
                                  "pan": "4111111111111111", "expMonth": 12, "expYear": 2030,
                                  "cvv": "123"}, "billingAddress": {
                                  "firstName": "Ada", "lastName": "Byron"}})
        assert token.status_code == 201, token.text
        read = requests.get(f"{cluster.url}/tokens/{token.json()['id']}", headers=keyed(key),
                            timeout=10)
        assert read.status_code == 200, "the secret key's replica holds the browser's token"
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjbHVzdGVyIn0.c2ln"
    for scheme in ("Bearer", "bearer", "BEARER", "Bearer"):
        assert requests.post(f"{cluster.url}/customers", timeout=10,
                             headers={"Authorization": f"{scheme} {jwt}", **JSON},
                             json={"email": "jwt@example.com"}).status_code == 201
    listed = requests.get(f"{cluster.url}/customers", headers={"Authorization": f"Bearer {jwt}"},
                          timeout=10).json()
    assert len(listed) == 4, "every request with the JWT reached the same replica"


def test_a_checkout_is_approved_on_its_page_through_the_balancer(cluster):
    key = "sk_sandbox_checkout_through_haproxy"
    customer = create_customer(cluster.url, key).json()["id"]
    sale = requests.post(f"{cluster.url}/transactions", headers=keyed(key), timeout=10,
                         json={"type": "sale", "websiteId": WEBSITE, "customerId": customer,
                               "currency": "USD", "amount": 12.5,
                               "paymentInstruction": card(TRIGGER)}).json()
    [page_url] = [link["href"] for link in sale["_links"] if link["rel"] == "approvalUrl"]
    [owner] = holders(cluster, key)

    assert page_url.startswith(f"{cluster.url}/_sandbox/replicas/{owner}/_sandbox/approval/")
    for _ in range(3):  # no key, yet always the replica that issued it
        page = requests.get(page_url, headers={"Accept": "text/html"}, timeout=10)
        assert page.status_code == 200 and '<form method="post">' in page.text
    chosen = requests.post(page_url, data={"result": "approved"},
                           headers={"Accept": "text/html"}, timeout=10)
    assert chosen.status_code == 200
    done = requests.get(f"{cluster.url}/transactions/{sale['id']}", headers=keyed(key),
                        timeout=10).json()
    assert (done["status"], done["result"]) == ("completed", "approved")


def test_webhooks_are_delivered_for_a_namespace_behind_the_balancer(cluster):
    key = "sk_sandbox_webhooks_through_haproxy"
    client = SandboxClient(cluster.url, api_key=key)
    namespace = types.SimpleNamespace(url=cluster.url, headers={"REB-APIKEY": key},
                                      client=client)
    with WebhookReceiver() as receiver:
        receiver.register(namespace, events=["customer-created"])
        created = create_customer(cluster.url, key).json()
        [payload] = receiver.wait_for("customer-created", timeout=10)
    assert payload["_embedded"]["customer"]["id"] == created["id"]


def test_reset_of_one_namespace_and_of_every_one(cluster):
    keys = keys_on_each_replica(cluster, "reset")
    first, second = keys["r1"], keys["r2"]

    SandboxClient(cluster.url, api_key=first).reset()
    assert holders(cluster, first) == [] and holders(cluster, second) == ["r2"]
    answer = requests.post(f"{cluster.url}/__admin/reset", timeout=10)
    assert answer.status_code == 200 and answer.headers["X-Sandbox-Replicas"] == "2"
    assert holders(cluster, second) == []
    for member in cluster.members:
        assert requests.get(f"{member.url}/customers", headers=keyed("sk_sandbox_iso_00"),
                            timeout=10).json() == []


def test_a_global_fault_rule_reaches_every_replica(cluster):
    keys = keys_on_each_replica(cluster, "fault")
    added = requests.post(f"{cluster.url}/__admin/faults", headers=JSON, timeout=10,
                          json={"status": 503, "global": True,
                                "match": {"method": "POST", "path": "/customers"}})
    assert added.status_code == 201, added.text
    try:
        for key in keys.values():
            assert create_customer(cluster.url, key).status_code == 503
    finally:
        assert requests.delete(f"{cluster.url}/__admin/faults", timeout=10).status_code < 300
    for key in keys.values():
        assert create_customer(cluster.url, key).status_code == 201


def test_the_dashboard_of_each_replica_is_reached_through_the_balancer(cluster):
    keys = keys_on_each_replica(cluster, "dash")
    index = requests.get(f"{cluster.url}/__admin/", timeout=10)

    assert index.status_code == 200
    for member in cluster.members:
        link = f"/_sandbox/replicas/{member.name}/__admin/"
        assert f'href="{link}"' in index.text
        page = requests.get(f"{cluster.url}{link}", timeout=10)
        assert page.status_code == 200
        assert f'href="{link}?namespace=' in page.text, "its links stay on that replica"
        assert requests.get(f"{cluster.url}/__admin/requests", headers=keyed(keys[member.name]),
                            timeout=10).json(), "a namespace's journal is read on its replica"


@pytest.mark.slow
def test_a_replica_killed_comes_back_with_every_acknowledged_write(cluster):
    keys = keys_on_each_replica(cluster, "kill")
    victim = next(member for member in cluster.members if member.name == "r1")
    acknowledged = [create_customer(cluster.url, keys["r1"], email=f"c{n}@example.com").json()
                    ["id"] for n in range(20)]

    os.kill(victim.process.pid, signal.SIGKILL)
    seen_down = False
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        health = requests.get(f"{cluster.url}/__admin/health", timeout=10)
        if health.status_code == 503:
            seen_down = True
            assert health.json() == {"status": "down", "replicas": 1, "of": 2}
            assert create_customer(cluster.url, keys["r2"]).status_code == 201
            meanwhile = create_customer(cluster.url, keys["r1"])
            if meanwhile.status_code == 201:  # the replica is back already
                acknowledged.append(meanwhile.json()["id"])
            else:
                assert meanwhile.status_code == 503, "its namespaces wait, they do not move"
        elif seen_down and health.status_code == 200:
            break
        time.sleep(0.05)
    assert seen_down, "health showed the killed replica down"
    assert requests.get(f"{cluster.url}/__admin/health", timeout=10).json()["replicas"] == 2
    listed = requests.get(f"{cluster.url}/customers?limit=100", headers=keyed(keys["r1"]),
                          timeout=10).json()
    assert set(acknowledged) <= {customer["id"] for customer in listed}


def test_the_cluster_command_starts_replicas_and_stops_them_all_on_sigterm(tmp_path):
    port = free_port()
    command = subprocess.Popen([sys.executable, "-m", "rebilly_sandbox", "cluster",
                                "--replicas", "2", "--port", str(port), "--db", str(tmp_path),
                                "--log-level", "warning"])
    try:
        client = SandboxClient(f"http://127.0.0.1:{port}", api_key="sk_sandbox_command")
        assert client.wait_until_ready(timeout=20) == {"status": "ok", "replicas": 2, "of": 2}
        state = json.loads(Path(tmp_path, "cluster.json").read_text())
        assert [Path(r["db"]).name for r in state["replicas"]] == ["replica-1.json",
                                                                   "replica-2.json"]
        command.send_signal(signal.SIGTERM)
        assert command.wait(20) == 0
    finally:
        if command.poll() is None:
            command.kill()
    for pid in [state["haproxy"]["pid"], *(r["pid"] for r in state["replicas"])]:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_the_pytest_plugin_runs_a_suite_against_the_balancer(cluster, tmp_path):
    (tmp_path / "test_through_the_balancer.py").write_text('''
import requests


def test_a_namespace_of_its_own(sandbox):
    created = requests.post(f"{sandbox.url}/customers", headers=sandbox.headers, timeout=10,
                            json={"email": "ada@example.com"})
    assert created.status_code == 201
    assert sandbox.requests(method="POST")[0]["status"] == 201
    sandbox.add_fault(status=503, times=1)
    assert requests.get(f"{sandbox.url}/customers", headers=sandbox.headers,
                        timeout=10).status_code == 503
''')
    env = {**os.environ, "SANDBOX_URL": cluster.url}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "-n", "2", str(tmp_path)], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


def test_a_new_replica_takes_namespaces_only_from_the_others_never_between_them(tmp_path):
    three = Cluster(3, None, port=0, serve_args=("--log-level", "warning"))
    three.start()
    two_config = tmp_path / "two.cfg"
    two_port = free_port()
    two_config.write_text(haproxy_config([Replica(m.name, f"127.0.0.1:{m.port}")
                                          for m in three.members[:2]],
                                         f"127.0.0.1:{two_port}", check_interval_ms=200))
    two = subprocess.Popen(["haproxy", "-db", "-f", str(two_config)])
    try:
        SandboxClient(f"http://127.0.0.1:{two_port}").wait_until_ready(timeout=10)
        moved = 0
        for index in range(40):
            key = f"sk_sandbox_ring_{index:02d}"
            landed = []
            for url in (f"http://127.0.0.1:{two_port}", three.url):
                assert create_customer(url, key).status_code == 201
                [name] = holders(three, key)
                landed.append(name)
                for member in three.members:
                    SandboxClient(member.url, api_key=key).reset()
            if landed[0] != landed[1]:
                moved += 1
                assert landed[1] == "r3", f"{key} moved from {landed[0]} to {landed[1]}"
        assert 0 < moved < 40
    finally:
        two.terminate()
        two.wait(10)
        three.stop()
