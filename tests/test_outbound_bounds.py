"""What the sandbox sends out is bounded whoever receives it: one deadline per attempt, a cap on
every byte read (digest challenges included), strict parsing of answers, a target policy that
keeps deliveries and notifications off link-local and metadata addresses, headers the sender owns,
a share of senders and notification slots per namespace, and an attempt the store could not
record kept and recorded later instead of being sent twice."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hostile import HostileReceiver, answer, drip, endless

from rebilly_sandbox import delivery as delivery_module
from rebilly_sandbox.outbound import Refused, TargetPolicy, send
from rebilly_sandbox.requestjournal import RequestJournal
from rebilly_sandbox.services.notifications import Notifier
from rebilly_sandbox.testing import LiveServer, SandboxNamespace, SandboxServer, new_api_key
from rebilly_sandbox.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.served

SETTINGS = {"webhook_attempts": 3, "webhook_backoff_seconds": 10, "webhook_timeout": 1}


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with LiveServer(SETTINGS) as live:
        yield SandboxServer(live.url, live=live)


def namespace(server: SandboxServer) -> SandboxNamespace:
    made = SandboxNamespace(server, new_api_key())
    made.freeze_clock("2030-01-01T00:00:00Z")
    return made


@pytest.fixture
def sandbox(server: SandboxServer) -> SandboxNamespace:
    return namespace(server)


def register(sandbox: SandboxNamespace, url: str, auth: dict[str, Any] | None = None,
             credential_host: str = "127.0.0.1", **webhook: Any) -> requests.Response:
    headers = {**sandbox.headers, "Content-Type": "application/json"}
    credential = requests.post(f"{sandbox.url}/service-credentials/webhook", headers=headers,
                               timeout=10, json={"type": "webhook", "host": credential_host,
                                                 "auth": auth or {"type": "none"}})
    credential.raise_for_status()
    return requests.post(f"{sandbox.url}/webhooks", headers=headers, timeout=10,
                         json={"method": "POST", "url": url, "eventsFilter": ["customer-created"],
                               "credentialHash": credential.json()["id"], **webhook})


def create_customer(sandbox: SandboxNamespace) -> dict[str, Any]:
    made = requests.post(f"{sandbox.url}/customers", headers=sandbox.headers, timeout=10,
                         json={"primaryAddress": {"firstName": "Ada", "lastName": "L"}})
    assert made.status_code == 201, made.text
    return made.json()


def deliver(sandbox: SandboxNamespace) -> tuple[dict[str, int], float]:
    started = time.monotonic()
    counts = sandbox.client.deliver_webhooks()
    return counts, time.monotonic() - started


def test_a_receiver_dripping_its_answer_is_cut_at_the_attempts_deadline(sandbox):
    with HostileReceiver(drip(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 0.3)) as hook:
        assert register(sandbox, hook.url).status_code == 201
        create_customer(sandbox)
        counts, seconds = deliver(sandbox)

    assert counts["delivered"] == 0 and counts["pending"] == 1
    assert seconds < 5
    [entry] = sandbox.client.webhook_tracking()
    assert entry["status"] == 0 and entry["response"].startswith("Not answered: Timeout")
    assert entry["duration"] < 3000


def test_an_endless_digest_challenge_is_read_up_to_the_cap_then_answered(sandbox):
    challenge = (b'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm="shop", '
                 b'nonce="abc", qop="auth"\r\nTransfer-Encoding: chunked\r\n\r\n'
                 b'10000\r\n')
    with HostileReceiver(endless(challenge, first_only=True)) as hook:
        assert register(sandbox, hook.url, auth={"type": "digest", "username": "shop",
                                                 "password": "s3cret"}).status_code == 201
        create_customer(sandbox)
        counts, seconds = deliver(sandbox)
        cut_after = hook.cuts()
        heads = list(hook.heads)

    assert counts["delivered"] == 1
    assert seconds < 5
    assert cut_after and cut_after[0] < 5  # the sandbox stopped reading and closed
    assert len(heads) == 2 and b'Authorization: Digest username="shop"' in heads[1]


def test_an_endless_answer_costs_the_cap_not_the_process(sandbox):
    with HostileReceiver(endless(b"HTTP/1.1 200 OK\r\nContent-Length: 999999999999\r\n\r\n")) \
            as hook:
        assert register(sandbox, hook.url).status_code == 201
        create_customer(sandbox)
        counts, seconds = deliver(sandbox)
        cut_after = hook.cuts()

    assert counts["delivered"] == 1 and seconds < 5
    assert cut_after and cut_after[0] < 5  # the sandbox stopped reading and closed
    [entry] = sandbox.client.webhook_tracking()
    assert entry["response"] == "x" * (16 * 1024)


@pytest.mark.parametrize("raw", [b"HTTP/1.1 200 O", b"HTTP/1.1 200 OK\r\nContent-Le",
                                 b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nok"])
def test_an_answer_cut_short_is_no_acknowledgement(sandbox, raw):
    with HostileReceiver(answer(raw)) as hook:
        assert register(sandbox, hook.url).status_code == 201
        create_customer(sandbox)
        counts, _ = deliver(sandbox)

    [entry] = sandbox.client.webhook_tracking()
    if raw.endswith(b"ok"):  # the head was whole: its status counts, the body is what came
        assert counts["delivered"] == 1 and entry["status"] == 200
    else:
        assert counts == {"attempts": 1, "delivered": 0, "failed": 0, "pending": 1}
        assert entry["status"] == 0 and entry["response"].startswith("Not answered")


def test_drippers_in_every_sender_hold_another_tenant_for_a_deadline_at_most(server):
    drippers = [namespace(server) for _ in range(8)]
    with HostileReceiver(drip(b"HTTP/1.1 200 OK\r\n" * 100, 0.5)) as hook, \
            WebhookReceiver() as good:
        for other in drippers:
            assert register(other, hook.url).status_code == 201
            create_customer(other)
        time.sleep(0.2)  # every sender now holds a dripping receiver
        mine = namespace(server)
        good.register(mine, events=["customer-created"])
        create_customer(mine)
        started = time.monotonic()
        good.wait_for("customer-created", sandbox=mine, timeout=10)
        waited = time.monotonic() - started

    assert waited < 4  # one deadline (1 s) and change; before, until the drip ended


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/",
                                 "http://[fe80::1]:8080/hook", "http://0.0.0.0:9/hook"])
def test_link_local_metadata_and_unspecified_addresses_are_never_targets(sandbox, url):
    assert register(sandbox, url).status_code == 201
    create_customer(sandbox)

    assert deliver(sandbox)[0]["failed"] == 1
    [entry] = sandbox.client.webhook_tracking()
    assert entry["status"] == 0 and entry["response"].startswith("Not sent:")
    assert "--webhook-allow" in entry["response"]


def test_a_listed_metadata_address_is_a_target():
    policy = TargetPolicy.for_server(["169.254.0.0/16"], "127.0.0.1")
    assert policy.addresses("169.254.169.254", 80)


def test_an_allow_list_refuses_an_unlisted_name_without_resolving_it(monkeypatch):
    def no_lookup(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a refusal made a DNS look-up")

    monkeypatch.setattr("socket.getaddrinfo", no_lookup)
    with pytest.raises(Refused, match="--webhook-allow"):
        TargetPolicy.for_server(["127.0.0.1/32"], "127.0.0.1").addresses("example.com", 80)


def test_a_url_whose_port_is_out_of_range_is_refused_not_retried():
    with pytest.raises(Refused, match="port"):
        send("POST", "http://127.0.0.1:99999/hook", [], b"{}", policy=TargetPolicy(),
             timeout=1, cap=16)


def test_loopback_is_a_target_only_where_the_sandbox_listens_on_loopback():
    assert TargetPolicy.for_server([], "127.0.0.1").addresses("127.0.0.1", 80)
    assert TargetPolicy.for_server([], "localhost").addresses("localhost", 80)
    with pytest.raises(Exception, match="loopback"):
        TargetPolicy.for_server([], "0.0.0.0").addresses("127.0.0.1", 80)
    with pytest.raises(Exception, match="loopback"):
        TargetPolicy.for_server([], "0.0.0.0").addresses("::ffff:127.0.0.1", 80)
    assert TargetPolicy.for_server(["127.0.0.1"], "0.0.0.0").addresses("127.0.0.1", 80)


@pytest.mark.parametrize("name", ["Host", "host", "Connection", "Transfer-Encoding",
                                  "Content-Length", "Upgrade", "Proxy-Authorization"])
def test_the_senders_own_headers_cannot_be_webhook_headers(sandbox, name):
    made = register(sandbox, "http://127.0.0.1:9/hook",
                    headers=[{"name": name, "value": "internal.example"}])

    assert made.status_code == 422
    assert [field["field"] for field in made.json()["invalidFields"]] == ["headers.0.name"]


@pytest.mark.parametrize("credential_host", ["hooks.example.com", "localhost"])
def test_a_credentials_auth_goes_only_to_its_own_host(sandbox, credential_host):
    basic = {"type": "basic", "username": "shop", "password": "s3cret"}
    with WebhookReceiver() as receiver:  # at 127.0.0.1
        assert register(sandbox, f"{receiver.url}/hook", auth=basic,
                        credential_host=credential_host).status_code == 201
        create_customer(sandbox)
        assert deliver(sandbox)[0]["delivered"] == 1

        [received] = receiver.requests
    assert "Authorization" not in received.headers
    [entry] = sandbox.client.webhook_tracking()
    assert "Authorization" not in entry["requestHeaders"]


def test_a_credential_for_the_webhooks_host_sends_its_auth(sandbox):
    basic = {"type": "basic", "username": "shop", "password": "s3cret"}
    with WebhookReceiver() as receiver:
        assert register(sandbox, f"{receiver.url}/hook", auth=basic).status_code == 201
        create_customer(sandbox)
        deliver(sandbox)

        [received] = receiver.requests
    assert received.headers["Authorization"].startswith("Basic ")


# -- notifications --------------------------------------------------------------------------

class _Clock:
    def now(self):
        from datetime import datetime, timezone
        return datetime(2030, 1, 1, tzinfo=timezone.utc)


def _wait_idle(notifier: Notifier, seconds: float) -> float:
    started = time.monotonic()
    while notifier.pending and time.monotonic() - started < seconds:
        time.sleep(0.02)
    return time.monotonic() - started


def test_a_dripping_notification_url_is_cut_at_the_attempts_deadline():
    journal = RequestJournal()
    notifier = Notifier(journal, lambda namespace: _Clock(), retry_delays=(), timeout=1)
    with HostileReceiver(drip(b"HTTP/1.1 200 OK\r\n" * 100, 0.3)) as merchant:
        assert notifier.notify("ns_a", merchant.url, b"{}")
        waited = _wait_idle(notifier, 10)

    assert waited < 4 and not notifier.pending
    [entry] = journal.entries("ns_a")
    assert entry["status"] is None


def test_one_namespace_holds_at_most_its_share_of_notification_slots():
    release = threading.Event()

    def hold(receiver, conn, head):
        release.wait(10)
        receiver.write(conn, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")

    notifier = Notifier(RequestJournal(), lambda namespace: _Clock(), retry_delays=(),
                        timeout=10, max_pending=8, max_per_namespace=2)
    with HostileReceiver(hold) as merchant:
        try:
            taken = [notifier.notify("ns_greedy", merchant.url, b"{}") for _ in range(8)]
            others = [notifier.notify(f"ns_{n}", merchant.url, b"{}") for n in range(3)]
        finally:
            release.set()
        _wait_idle(notifier, 10)

    assert taken == [True, True] + [False] * 6
    assert others == [True, True, True]


def test_notifications_follow_the_allow_list(tmp_path):
    journal = RequestJournal()
    with WebhookReceiver() as merchant:
        policy = TargetPolicy.for_server(["hooks.example.com"], "127.0.0.1")
        notifier = Notifier(journal, lambda namespace: _Clock(), retry_delays=(0.01, 0.01),
                            timeout=5, policy=policy)
        assert notifier.notify("ns_a", f"{merchant.url}/notify", b"{}")
        _wait_idle(notifier, 10)
        assert merchant.requests == []
    [entry] = journal.entries("ns_a")  # refused once, not retried
    assert entry["status"] is None


def test_the_served_sandbox_gives_notifications_its_allow_list():
    with LiveServer({"webhook_allow": ("hooks.example.com",)}) as live:
        notifier = live.app.extensions["sandbox-notifier"]
        assert notifier.policy.allow == ("hooks.example.com",)


# -- an attempt the store could not record ---------------------------------------------------

def test_an_attempt_that_could_not_be_recorded_is_recorded_later_and_sent_once(
        sandbox, monkeypatch):
    real = delivery_module.record_attempt
    failing = {"on": True}

    def record(*args: Any, **kwargs: Any) -> Any:
        if failing["on"]:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(delivery_module, "record_attempt", record)
    with WebhookReceiver() as receiver:
        receiver.register(sandbox, events=["customer-created"])
        create_customer(sandbox)
        counts, _ = deliver(sandbox)
        assert len(receiver.requests) == 1
        assert counts["pending"] == 1 and counts["delivered"] == 0

        failing["on"] = False  # the disk has room again
        counts, _ = deliver(sandbox)

        assert counts == {"attempts": 1, "delivered": 1, "failed": 0, "pending": 0}
        assert len(receiver.requests) == 1
    [entry] = sandbox.client.webhook_tracking()
    assert entry["status"] == 200 and entry["attempt"] == 1


def test_a_header_value_or_path_outside_ascii_is_sent_not_a_broken_sender(sandbox):
    with WebhookReceiver() as receiver:
        assert register(sandbox, f"{receiver.url}/h\u00e9", headers=[
            {"name": "X-Shop", "value": "caf\u00e9"},
            {"name": "X-Emoji", "value": "\U0001f600"}]).status_code == 201
        create_customer(sandbox)

        assert deliver(sandbox)[0]["delivered"] == 1
        [received] = receiver.requests
    assert received.path == "/webhooks/h%C3%A9"
    assert received.headers["X-Shop"] == "caf\u00e9"
