"""The cluster's pieces without a balancer: the HAProxy configuration (written, shipped in docs/,
accepted by haproxy), the replica marker in approval URLs and dashboard links, and global admin
writes passed on to peers."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from helpers import TRIGGER, WEBSITE, card, free_port, new_customer

from rebilly_sandbox import create_app
from rebilly_sandbox.haproxy import DNS_RESOLVERS, Replica, haproxy_config

DOCS = Path(__file__).resolve().parent.parent / "docs" / "cluster"
TWO = [Replica("r1", "127.0.0.1:9001"), Replica("r2", "127.0.0.1:9002")]


def test_the_configuration_hashes_the_namespace_credential_consistently():
    config = haproxy_config(TWO, "127.0.0.1:8080")

    assert "balance hash var(txn.route)" in config and "hash-type consistent" in config
    assert "set-var(txn.route) req.fhdr(REB-APIKEY)" in config
    assert "regsub(^pk_,sk_)" in config, "a publishable key routes as its secret key"
    assert "use-server r2 if { var(txn.replica) -m str r2 }" in config
    assert "http-send-name-header X-Sandbox-Replica" in config
    assert " check " not in config.split("backend health")[0], "routing servers never move"


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy is not installed")
def test_haproxy_accepts_the_configuration(tmp_path):
    path = tmp_path / "haproxy.cfg"
    path.write_text(haproxy_config(TWO, "127.0.0.1:8080"))

    checked = subprocess.run(["haproxy", "-c", "-f", str(path)], capture_output=True, text=True,
                             timeout=30)
    assert checked.returncode == 0, checked.stderr


def test_the_shipped_configurations_are_what_the_writer_writes():
    compose = [Replica(f"replica-{i}", f"replica-{i}:8080") for i in (1, 2)]
    kubernetes = [Replica(f"sandbox-{i}", f"sandbox-{i}.sandbox:8080") for i in (0, 1)]

    assert (DOCS / "haproxy.cfg").read_text() == haproxy_config(
        compose, "*:8080", resolvers=DNS_RESOLVERS)
    assert (DOCS / "kubernetes-haproxy.cfg").read_text() == haproxy_config(
        kubernetes, "*:8080", resolvers=DNS_RESOLVERS)


def test_the_compose_file_has_each_replica_name_the_others_as_peers():
    services = yaml.safe_load((DOCS / "docker-compose.yml").read_text())["services"]

    replicas = sorted(name for name in services if name.startswith("replica-"))
    assert replicas == ["replica-1", "replica-2"]
    for name in replicas:
        command = services[name]["command"]
        peers = command[command.index("--peers") + 1].split(",")
        assert sorted(peers) == [f"http://{other}:8080" for other in replicas if other != name]
    kinds = [document["kind"] for document in
             yaml.safe_load_all((DOCS / "kubernetes.yml").read_text())]
    assert kinds == ["Service", "StatefulSet", "Deployment", "Service"]


def test_behind_the_balancer_the_approval_url_names_the_replica_that_issued_it(client):
    marked = client.post("/transactions", {
        "type": "sale", "websiteId": WEBSITE, "customerId": new_customer(client),
        "currency": "USD", "amount": 3, "paymentInstruction": card(TRIGGER)},
        headers={"X-Sandbox-Replica": "r2"}).get_json()
    [url] = [link["href"] for link in marked["_links"] if link["rel"] == "approvalUrl"]

    assert url.startswith("http://localhost/_sandbox/replicas/r2/_sandbox/approval/")
    plain = client.get(f"/transactions/{marked['id']}").get_json()
    [direct] = [link["href"] for link in plain["_links"] if link["rel"] == "approvalUrl"]
    assert direct == url.replace("/_sandbox/replicas/r2", ""), "no balancer, no marker"
    page = client.get(direct.removeprefix("http://localhost"),
                      headers={"X-Sandbox-Prefix": "/_sandbox/replicas/r2"})
    assert page.status_code == 200


def test_a_stripped_marker_stays_in_the_dashboard_links(client):
    client.post("/customers", {"email": "ada@example.com"})

    page = client.get("/__admin/", headers={"X-Sandbox-Prefix": "/_sandbox/replicas/r1"})

    assert page.status_code == 200
    assert 'href="/_sandbox/replicas/r1/__admin/?namespace=' in page.get_data(as_text=True)


def test_a_global_write_is_made_on_the_peers_and_a_missing_peer_is_named(tmp_path):
    missing = f"http://127.0.0.1:{free_port()}"
    app = create_app({"db": "memory", "peers": missing})
    api = app.test_client()
    api.post("/customers", json={"email": "ada@example.com"},
             headers={"REB-APIKEY": "sk_sandbox_fanout"})

    answer = api.post("/__admin/reset")

    assert answer.status_code == 502 and missing in answer.get_json()["detail"]
    assert api.get("/customers", headers={"REB-APIKEY": "sk_sandbox_fanout"}).get_json() == [], \
        "the call stands on the replicas that took it"
    keyed = api.post("/__admin/reset", headers={"REB-APIKEY": "sk_sandbox_fanout"})
    assert keyed.status_code == 200, "a namespace's call concerns its own replica only"
    assert api.get("/__admin/clock").status_code == 200, "reads are answered where they land"


def test_the_cluster_command_says_when_haproxy_is_missing(monkeypatch, tmp_path, capsys):
    from rebilly_sandbox.cli import main

    monkeypatch.setenv("PATH", str(tmp_path))

    assert main(["cluster", "--replicas", "2", "--db", "memory", "--port", "0"]) == 5
    assert "haproxy is not installed" in capsys.readouterr().err


def test_links_made_on_a_marked_page_are_plain_api_links():
    from rebilly_sandbox.replicas import unmarked_root

    assert unmarked_root("http://h:8080/_sandbox/replicas/r2") == "http://h:8080"
    assert unmarked_root("http://h:8080") == "http://h:8080"
