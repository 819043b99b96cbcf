"""Fault rules stay cheap: bounded matching time, bounded number and size, expiry by the
sandbox's clock that touches only the namespace asking, and an honest journal."""

from __future__ import annotations

import random
import re
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from conftest import OTHER_KEY, ApiClient

from rebilly_sandbox.faults import Action, FaultRegistry, Rule, path_matches
from rebilly_sandbox.ids import Clock

PATHOLOGICAL = "/*a*a*a*a*a*a*a*a*a*a*b"


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"max_fault_rules": 3}


def add_rule(client: ApiClient, rule: dict[str, Any]):
    return client.post("/__admin/faults", json=rule)


def advance(client: ApiClient, seconds: float, *, everywhere: bool = False):
    target = client.with_key(None) if everywhere else client
    moved = target.post("/__admin/clock", json={"action": "advance", "seconds": seconds})
    assert moved.status_code == 200
    return moved


def within(seconds: float, work) -> Any:
    """Run ``work`` in a thread; fail if it has not answered in ``seconds`` (a guard against a
    frozen test run, far above the few milliseconds the work needs)."""
    answer: list[Any] = []
    worker = threading.Thread(target=lambda: answer.append(work()), daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "no answer: matching did not finish"
    return answer[0]


# -- matching -----------------------------------------------------------------------------------

def _as_regex(pattern: str) -> re.Pattern[str]:
    """The reference meaning of a rule path: ``*`` is any run of characters."""
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


def test_glob_matching_means_what_the_star_always_meant():
    chooser = random.Random(7)
    for _ in range(5000):
        pattern = "".join(chooser.choice("ab/*") for _ in range(chooser.randint(0, 7)))
        path = "".join(chooser.choice("ab/") for _ in range(chooser.randint(0, 9)))
        expected = _as_regex(pattern).fullmatch(path) is not None
        assert path_matches(pattern, path) is expected, (pattern, path)


@pytest.mark.parametrize("pattern, path, expected", [
    ("/customers", "/customers", True),
    ("/customers", "/customers/cus_1", False),
    ("/customers/*", "/customers/cus_1", True),
    ("/customers/*", "/customers/", True),
    ("/customers/*", "/customers", False),
    ("/*/cus_1", "/customers/cus_1", True),
    ("/c*s*s", "/customers", True),
    ("/ab*ba", "/aba", False),  # the two ends may not share a character
    ("*", "/anything/at/all", True),
    ("/customers/*/lead-source", "/customers/cus_1/lead-source", True),
])
def test_glob_examples(pattern, path, expected):
    assert path_matches(pattern, path) is expected


def test_a_many_star_path_is_matched_against_a_long_path_at_once():
    long_path = "/" + "a" * 100_000

    assert within(30, lambda: path_matches(PATHOLOGICAL, long_path)) is False
    assert within(30, lambda: path_matches(PATHOLOGICAL, long_path + "b")) is True


def test_a_many_star_rule_does_not_freeze_requests(client):
    rule = add_rule(client, {"match": {"path": PATHOLOGICAL}, "status": 418})
    assert rule.status_code == 201
    long_path = "/customers/" + "a" * 3000

    missed = within(30, lambda: client.get(long_path))
    hit = within(30, lambda: client.get(long_path + "b"))

    assert missed.status_code == 404
    assert hit.status_code == 418


def test_too_many_stars_or_too_long_a_path_is_refused(client):
    stars = add_rule(client, {"match": {"path": "/" + "*a" * 21}, "status": 500})
    long = add_rule(client, {"match": {"path": "/" + "a" * 500}, "status": 500})

    assert stars.status_code == 422
    assert stars.json["invalidFields"][0]["field"] == "match.path"
    assert "20" in stars.json["invalidFields"][0]["message"]
    assert long.status_code == 422
    assert long.json["invalidFields"][0]["field"] == "match.path"


# -- number and size ----------------------------------------------------------------------------

def test_a_namespace_holds_at_most_max_fault_rules(client):
    for number in range(3):
        assert add_rule(client, {"match": {"path": f"/r{number}"}, "status": 500}).status_code \
            == 201

    refused = add_rule(client, {"status": 500})

    assert refused.status_code == 422
    problem = refused.json
    assert problem["status"] == 422 and "3 fault rules" in problem["detail"]
    assert "--max-fault-rules" in problem["detail"]
    assert len(client.get("/__admin/faults").json) == 3
    # Another namespace, and the global rules, have caps of their own.
    assert add_rule(client.with_key(OTHER_KEY), {"status": 500}).status_code == 201
    assert add_rule(client, {"status": 500, "global": True}).status_code == 201


def test_global_rules_have_the_same_cap(client):
    keyless = client.with_key(None)
    for _ in range(3):
        assert add_rule(keyless, {"status": 500, "global": True,
                                  "match": {"path": "/nowhere"}}).status_code == 201

    refused = add_rule(keyless, {"status": 500, "global": True})

    assert refused.status_code == 422
    assert "3 global fault rules" in refused.json["detail"]


def test_deleted_and_expired_rules_make_room(client):
    ids = [add_rule(client, {"status": 500, "match": {"path": "/x"},
                             "expiresInSeconds": 60}).json["id"] for _ in range(3)]
    assert add_rule(client, {"status": 500}).status_code == 422

    assert client.request("DELETE", f"/__admin/faults/{ids[0]}").status_code == 204
    assert add_rule(client, {"status": 500, "expiresInSeconds": 600}).status_code == 201
    assert add_rule(client, {"status": 500}).status_code == 422

    advance(client, 61)

    assert add_rule(client, {"status": 500}).status_code == 201
    assert len(client.get("/__admin/faults").json) == 2


@pytest.mark.parametrize("rule, field", [
    ({"status": 500, "body": {"detail": "x" * 17_000}}, "body"),
    ({"status": 500, "body": "x" * 17_000}, "body"),
    ({"status": 500, "headers": {f"X-H{n}": "v" * 900 for n in range(20)}}, "headers"),
    ({"status": 500, "match": {"body": {"email": "x" * 17_000}}}, "match.body"),
    ({"status": 500, "probability": 0.5, "seed": "s" * 201}, "seed"),
])
def test_oversized_rule_parts_are_refused_with_the_field(client, rule, field):
    refused = add_rule(client, rule)

    assert refused.status_code == 422
    assert [entry["field"] for entry in refused.json["invalidFields"]] == [field]
    assert client.get("/__admin/faults").json == []


def test_a_body_just_under_the_cap_is_kept(client):
    body = {"detail": "x" * 16_000}

    assert add_rule(client, {"status": 500, "body": body}).status_code == 201
    assert client.post("/customers", json={}).json == body


# -- expiry by the sandbox's clock --------------------------------------------------------------

def test_rules_expire_when_the_namespace_clock_moves(client):
    other = client.with_key(OTHER_KEY)
    add_rule(client, {"status": 503, "expiresInSeconds": 30})
    add_rule(other, {"status": 503, "expiresInSeconds": 30})

    advance(client, 31)

    assert client.post("/customers", json={}).status_code == 201
    assert client.get("/__admin/faults").json == []
    assert other.post("/customers", json={}).status_code == 503


def test_global_rules_expire_by_the_global_clock(client):
    add_rule(client, {"status": 503, "global": True, "expiresInSeconds": 30})
    advance(client, 31)  # this namespace's own time moves on; the global rule's does not
    assert client.post("/customers", json={}).status_code == 503

    advance(client, 31, everywhere=True)

    assert client.with_key(OTHER_KEY).post("/customers", json={}).status_code == 201


def test_remaining_lifetime_is_read_from_the_clock(client):
    client.post("/__admin/clock", json={"action": "freeze"})
    rule = add_rule(client, {"status": 503, "expiresInSeconds": 100}).json
    assert rule["expiresInSeconds"] == 100

    advance(client, 40)

    assert client.get(f"/__admin/faults/{rule['id']}").json["expiresInSeconds"] == 60


class CountingClocks:
    """Clocks by owner, noting which owners' clocks were read."""

    def __init__(self):
        self.clocks: dict[str | None, Clock] = {}
        self.read: list[str | None] = []

    def __call__(self, owner: str | None) -> Clock:
        self.read.append(owner)
        return self.clocks.setdefault(owner, Clock())


def _rule(namespace: str | None, lifetime: float = 60) -> Rule:
    return Rule(definition={"status": 500}, action=Action(status=500), namespace=namespace,
                lifetime=lifetime)


def test_a_request_looks_only_at_its_own_and_the_global_rules():
    clocks = CountingClocks()
    registry = FaultRegistry(clocks, max_rules=100)
    for namespace in ("busy", "quiet"):
        for _ in range(100):
            registry.add(_rule(namespace))
    clocks.read.clear()

    decision = registry.decide("quiet", "GET", "/customers", {}, lambda: None)

    assert decision is not None
    assert set(clocks.read) <= {"quiet", None}


def test_expired_rules_of_a_quiet_namespace_are_forgotten():
    clocks = CountingClocks()
    registry = FaultRegistry(clocks, max_rules=100)
    for _ in range(50):
        registry.add(_rule("quiet", lifetime=10))
    clocks("quiet").freeze(datetime.now(timezone.utc) + timedelta(seconds=11))

    registry.add(_rule("busy"))  # the quiet namespace sends nothing more

    assert registry.clear("quiet") == 0
    assert registry.clear("busy") == 1


def test_the_expiry_queue_stays_near_the_rules_held():
    registry = FaultRegistry(CountingClocks(), max_rules=5)
    for _ in range(3000):
        registry.add(_rule("churning", lifetime=600))
        registry.clear("churning")

    assert len(registry._expiries) <= 1024 + 2


# -- the journal --------------------------------------------------------------------------------

def _last_entry(client: ApiClient) -> dict[str, Any]:
    return client.get("/__admin/requests").json[0]


@pytest.mark.parametrize("fault", ["status=201", "status=200", "status=503"])
def test_an_answer_injected_before_the_view_stores_nothing(client, fault):
    answer = client.post("/customers", json={}, headers={"X-Sandbox-Fault": fault})

    entry = _last_entry(client)
    assert answer.status_code == int(fault.split("=")[1])
    assert entry["stored"] is False
    assert client.get("/customers?limit=0").headers["Pagination-Total"] == "0"


def test_a_2xx_rule_stores_nothing_and_says_so(client):
    add_rule(client, {"match": {"method": "POST"}, "status": 200, "times": 1})

    assert client.post("/customers", json={}).status_code == 200
    assert _last_entry(client)["stored"] is False
    assert client.post("/customers", json={}).status_code == 201
    assert _last_entry(client)["stored"] is True
    assert client.get("/customers?limit=0").headers["Pagination-Total"] == "1"


def test_a_2xx_after_commit_was_stored_and_says_so(client):
    answer = client.post("/customers", json={},
                         headers={"X-Sandbox-Fault": "status=200;afterCommit=true"})

    assert answer.status_code == 200
    assert _last_entry(client)["stored"] is True
    assert client.get("/customers?limit=0").headers["Pagination-Total"] == "1"
