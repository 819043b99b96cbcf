"""/subscription-pauses: a pause now or later, its end, DELETE revoking or finishing it, PUT by
id, the ``start_pause`` and ``end_pause`` steps the clock calls, refusals, lists, events in
order, isolation and hostile bodies."""

from __future__ import annotations

import re

import pytest
from helpers import OTHER_KEY, assert_problem, stored
from test_openapi import assert_conforms
from test_order_cancellations import (
    NOW,
    RENEWAL,
    at,
    context,
    event_types,
    invalid_fields,
    make_order,
    messages,
    move_clock,
    open_shop,
    order_of,
    payload,
    put,
)

from rebilly_sandbox.services import pauses, schedule

PAUSE_ID = re.compile(r"^sub_pau_[0-9A-HJKMNP-TV-Z]{26}$")
FUTURE = "2030-01-15T00:00:00+00:00"
#: From NOW to RENEWAL: 22 days.
TWENTY_TWO_DAYS = f"P{22 * 86400}S"


@pytest.fixture
def shop(client):
    return open_shop(client)


def pause(client, **body):
    return client.post("/subscription-pauses", {"subscriptionId": "sub_1", **body})


def test_a_pause_without_effective_time_is_in_force_at_once(shop, app):
    before = make_order(app)

    response = pause(shop, pausedBy="merchant", description="Vacation")

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert PAUSE_ID.match(body["id"])
    assert response.headers["Location"] == f"http://localhost/subscription-pauses/{body['id']}"
    assert {key: body[key] for key in ("status", "pausedBy", "description", "effectiveTime",
                                       "endTime", "timeRemaining")} == {
        "status": "ongoing", "pausedBy": "merchant", "description": "Vacation",
        "effectiveTime": NOW, "endTime": None, "timeRemaining": TWENTY_TWO_DAYS}
    assert body["_links"] == [{"rel": "self", "href": response.headers["Location"]}]
    assert shop.get(f"/subscription-pauses/{body['id']}").get_json() == body
    assert (order_of(app)["status"], order_of(app)["revision"]) == (
        "paused", before["revision"] + 1)
    assert event_types(app) == ["subscription-pause-created", "subscription-paused"]
    paused = payload(app, "subscription-paused")
    assert (paused["subscriptionId"], paused["subscriptionPauseId"]) == ("sub_1", body["id"])
    assert paused["_embedded"]["pause"] == body
    assert paused["_embedded"]["subscription"]["status"] == "paused"
    assert {link["rel"] for link in paused["_links"]} == {"subscription", "pause"}
    created = payload(app, "subscription-pause-created")
    assert created["_embedded"]["pause"]["status"] == "pending"


def test_a_past_effective_time_means_now(shop, app):
    make_order(app)

    body = pause(shop, effectiveTime="2029-01-01T00:00:00Z").get_json()

    assert (body["status"], body["effectiveTime"]) == ("ongoing", NOW)


def test_a_future_pause_waits_until_start_pause_runs(shop, app):
    make_order(app)

    body = pause(shop, effectiveTime=FUTURE).get_json()

    assert (body["status"], body["effectiveTime"], body["timeRemaining"]) == (
        "pending", FUTURE, None)
    assert order_of(app)["status"] == "active"
    assert event_types(app) == ["subscription-pause-created"]

    ctx = context(app)
    with ctx.store.transaction() as tx:
        pauses.start_pause(tx, ctx, body["id"], at(FUTURE))

    started = shop.get(f"/subscription-pauses/{body['id']}").get_json()
    assert (started["status"], started["timeRemaining"]) == ("ongoing", f"P{17 * 86400}S")
    assert order_of(app)["status"] == "paused"
    assert event_types(app) == ["subscription-pause-created", "subscription-paused"]


def test_end_pause_resumes_the_order_with_the_time_that_remained(shop, app):
    make_order(app)
    body = pause(shop).get_json()
    ctx = context(app)

    with ctx.store.transaction() as tx:
        pauses.end_pause(tx, ctx, body["id"], at("2030-03-01T00:00:00+00:00"))

    ended = shop.get(f"/subscription-pauses/{body['id']}").get_json()
    assert (ended["status"], ended["endTime"]) == ("finished", "2030-03-01T00:00:00+00:00")
    order = order_of(app)
    assert (order["status"], order["renewalTime"], order["currentPeriodEnd"]) == (
        "active", "2030-03-23T00:00:00+00:00", "2030-03-23T00:00:00+00:00")
    assert event_types(app)[-1] == "subscription-resumed"
    assert payload(app, "subscription-resumed")["_embedded"]["pause"]["status"] == "finished"


def test_start_and_end_leave_a_pause_in_the_wrong_status_alone(shop, app):
    make_order(app)
    body = pause(shop, effectiveTime=FUTURE).get_json()
    ctx = context(app)

    with ctx.store.transaction() as tx:
        pauses.end_pause(tx, ctx, body["id"], at(FUTURE))

    assert shop.get(f"/subscription-pauses/{body['id']}").get_json()["status"] == "pending"
    assert event_types(app) == ["subscription-pause-created"]


def test_a_pause_that_comes_due_on_an_order_no_longer_active_is_revoked(shop, app):
    make_order(app)
    body = pause(shop, effectiveTime=FUTURE).get_json()
    assert shop.post("/subscription-cancellations", {
        "subscriptionId": "sub_1", "churnTimePolicy": "at-next-renewal"}).status_code == 201
    ctx = context(app)

    with ctx.store.transaction() as tx:
        pauses.start_pause(tx, ctx, body["id"], at(FUTURE))

    assert shop.get(f"/subscription-pauses/{body['id']}").get_json()["status"] == "revoked"
    assert order_of(app)["status"] == "canceled"
    assert event_types(app)[-1] == "subscription-pause-revoked"


def test_each_pause_write_puts_its_next_step_on_the_billing_schedule(shop, app):
    make_order(app)
    body = pause(shop, effectiveTime=FUTURE, endTime="2030-01-25T00:00:00Z").get_json()
    ctx = context(app)

    def due() -> str | None:
        with ctx.store.transaction() as tx:
            entry = tx.read(ctx.namespace, schedule.SCHEDULE,
                            schedule.entry_id(schedule.PAUSE, body["id"]))
        return entry and entry["dueTime"]

    assert due() == FUTURE
    with ctx.store.transaction() as tx:
        pauses.start_pause(tx, ctx, body["id"], at(FUTURE))
    assert due() == "2030-01-25T00:00:00+00:00"
    assert shop.request("DELETE", f"/subscription-pauses/{body['id']}").status_code == 204
    assert due() is None


def test_delete_revokes_a_pending_pause_and_then_conflicts(shop, app):
    make_order(app)
    body = pause(shop, effectiveTime=FUTURE).get_json()
    path = f"/subscription-pauses/{body['id']}"

    response = shop.request("DELETE", path)

    assert response.status_code == 204 and response.get_data() == b""
    assert shop.get(path).get_json()["status"] == "revoked"
    assert order_of(app)["status"] == "active"
    assert event_types(app) == ["subscription-pause-created", "subscription-pause-revoked"]
    problem = assert_problem(shop.request("DELETE", path), 409)
    assert "revoked" in problem["detail"]


def test_delete_finishes_an_ongoing_pause_and_the_order_resumes(shop, app):
    make_order(app)
    body = pause(shop).get_json()
    move_clock(shop, "advance", seconds=5 * 86400)
    path = f"/subscription-pauses/{body['id']}"

    assert shop.request("DELETE", path).status_code == 204

    assert shop.get(path).get_json()["status"] == "finished"
    order = order_of(app)
    assert (order["status"], order["renewalTime"]) == ("active", "2030-02-06T00:00:00+00:00")
    assert event_types(app) == ["subscription-pause-created", "subscription-paused",
                                "subscription-resumed"]
    assert_problem(shop.request("DELETE", path), 409)
    assert_problem(shop.request("DELETE", "/subscription-pauses/sub_pau_none"), 404)


def test_an_end_time_now_or_past_resumes_at_once(shop, app):
    make_order(app)

    body = pause(shop, endTime="2029-06-01T00:00:00Z").get_json()

    assert (body["status"], body["endTime"]) == ("finished", NOW)
    assert (order_of(app)["status"], order_of(app)["renewalTime"]) == ("active", RENEWAL)
    assert event_types(app) == ["subscription-pause-created", "subscription-paused",
                                "subscription-resumed"]


def test_a_time_remaining_sent_is_used_on_resume(shop, app):
    make_order(app)
    body = pause(shop, timeRemaining="P10D").get_json()
    assert body["timeRemaining"] == "P864000S"

    assert shop.request("DELETE", f"/subscription-pauses/{body['id']}").status_code == 204

    assert order_of(app)["renewalTime"] == "2030-01-20T00:00:00+00:00"


def test_put_creates_by_id_and_changes_a_pending_or_ongoing_pause(shop, app):
    """The SDK's pause({id}) reads first (404), then PUTs: a new id is a 201."""
    make_order(app)
    path = "/subscription-pauses/summer"
    assert_problem(shop.get(path), 404)

    created = put(shop, path, {"subscriptionId": "sub_1", "effectiveTime": FUTURE})
    assert created.status_code == 201
    assert created.headers["Location"] == f"http://localhost{path}"
    assert created.get_json()["status"] == "pending"

    changed = put(shop, path, {"subscriptionId": "sub_1", "effectiveTime": FUTURE,
                               "description": "Summer"})
    assert changed.status_code == 200
    assert (changed.get_json()["description"], changed.get_json()["status"]) == (
        "Summer", "pending")
    assert event_types(app) == ["subscription-pause-created", "subscription-pause-modified"]
    assert payload(app, "subscription-pause-modified")["_embedded"]["pause"]["description"] == (
        "Summer")

    started = put(shop, path, {"subscriptionId": "sub_1"})
    assert started.get_json()["status"] == "ongoing"
    assert order_of(app)["status"] == "paused"

    kept = put(shop, path, {"subscriptionId": "sub_1", "effectiveTime": FUTURE,
                            "endTime": "2030-02-01T00:00:00Z"}).get_json()
    assert (kept["status"], kept["effectiveTime"], kept["timeRemaining"]) == (
        "ongoing", NOW, TWENTY_TWO_DAYS)

    ended = put(shop, path, {"subscriptionId": "sub_1", "endTime": NOW}).get_json()
    assert ended["status"] == "finished"
    assert order_of(app)["status"] == "active"
    assert_problem(put(shop, path, {"subscriptionId": "sub_1"}), 409)


def test_a_pause_cannot_move_to_another_order(shop, app):
    make_order(app)
    make_order(app, "sub_2")
    body = pause(shop, effectiveTime=FUTURE).get_json()

    response = put(shop, f"/subscription-pauses/{body['id']}", {"subscriptionId": "sub_2"})

    assert invalid_fields(response) == {"subscriptionId"}
    assert "cannot move" in messages(response)


@pytest.mark.parametrize("changes, message", [
    ({"status": "paused"}, "is paused; only an active order can be paused"),
    ({"status": "canceled"}, "is canceled; only an active order"),
    ({"status": "pending"}, "is pending; only an active order"),
    ({"one_time": True}, "one-time order, which cannot be paused"),
])
def test_an_order_that_cannot_be_paused_is_a_422(shop, app, changes, message):
    make_order(app, **changes)

    response = pause(shop)

    assert invalid_fields(response) == {"subscriptionId"}
    assert message in messages(response)
    assert stored(app, "subscription-pauses") == 0


def test_a_second_open_pause_is_a_422(shop, app):
    make_order(app)
    first = pause(shop, effectiveTime=FUTURE).get_json()

    response = pause(shop, effectiveTime="2030-01-25T00:00:00Z")

    assert f"already has the pending pause {first['id']}" in messages(response)
    assert stored(app, "subscription-pauses") == 1


@pytest.mark.parametrize("body, fields", [
    ({}, {"subscriptionId"}),
    ({"subscriptionId": 7}, {"subscriptionId"}),
    ({"subscriptionId": "sub_1", "pausedBy": "rebilly"}, {"pausedBy"}),
    ({"subscriptionId": "sub_1", "effectiveTime": "soon"}, {"effectiveTime"}),
    ({"subscriptionId": "sub_1", "endTime": "2030-02-01"}, {"endTime"}),
    ({"subscriptionId": "sub_1", "effectiveTime": FUTURE, "endTime": "2030-01-12T00:00:00Z"},
     {"endTime"}),
    ({"subscriptionId": "sub_1", "timeRemaining": "P1M"}, {"timeRemaining"}),
    ({"subscriptionId": "sub_1", "timeRemaining": "P"}, {"timeRemaining"}),
    ({"subscriptionId": "sub_1", "timeRemaining": "PT"}, {"timeRemaining"}),
    ({"subscriptionId": "sub_1", "timeRemaining": "-P1D"}, {"timeRemaining"}),
    ({"subscriptionId": "sub_1", "timeRemaining": 3600}, {"timeRemaining"}),
    ({"subscriptionId": "sub_1", "timeRemaining": "P999999999999D"}, {"timeRemaining"}),
    ({"subscriptionId": "sub_1", "description": "x" * 256}, {"description"}),
])
def test_hostile_bodies_are_422_and_change_nothing(shop, app, body, fields):
    make_order(app)

    assert invalid_fields(shop.post("/subscription-pauses", body)) == fields
    assert stored(app, "subscription-pauses") == 0
    assert order_of(app)["status"] == "active"


def test_the_list_filters_sorts_and_pages(shop, app):
    for order_id in ("sub_1", "sub_2", "sub_3"):
        make_order(app, order_id)
    first = pause(shop).get_json()
    second = pause(shop, subscriptionId="sub_2", effectiveTime=FUTURE).get_json()
    third = pause(shop, subscriptionId="sub_3", effectiveTime="2030-01-12T00:00:00Z").get_json()

    page = shop.get("/subscription-pauses?limit=1&offset=2")
    assert [entry["id"] for entry in page.get_json()] == [third["id"]]
    assert (page.headers["Pagination-Total"], page.headers["Pagination-Limit"],
            page.headers["Pagination-Offset"]) == ("3", "1", "2")
    pending = shop.get("/subscription-pauses?filter=status:pending&sort=-effectiveTime")
    assert [entry["id"] for entry in pending.get_json()] == [second["id"], third["id"]]
    ongoing = shop.get("/subscription-pauses?filter=subscriptionId:sub_1").get_json()
    assert [entry["id"] for entry in ongoing] == [first["id"]]
    assert shop.get("/subscription-pauses?sort=description").status_code == 422


def test_namespaces_do_not_see_each_others_pauses(shop, app):
    make_order(app)
    body = pause(shop, effectiveTime=FUTURE).get_json()
    other = shop.with_key(OTHER_KEY)
    path = f"/subscription-pauses/{body['id']}"

    assert_problem(other.get(path), 404)
    assert_problem(other.request("DELETE", path), 404)
    assert other.get("/subscription-pauses").get_json() == []
    assert invalid_fields(put(other, path, {"subscriptionId": "sub_1"})) == {"subscriptionId"}
    assert stored(app, "subscription-pauses", OTHER_KEY) == 0
    assert shop.get(path).get_json()["status"] == "pending"


def test_answers_match_the_document(shop, app):
    document = app.test_client().get("/__admin/openapi.json").get_json()
    make_order(app)
    member = "/subscription-pauses/{pause_id}"
    created = pause(shop, effectiveTime=FUTURE)
    path = f"/subscription-pauses/{created.get_json()['id']}"
    assert_conforms(document, "/subscription-pauses", "POST", created)
    assert_conforms(document, member, "GET", shop.get(path))
    assert_conforms(document, "/subscription-pauses", "GET", shop.get("/subscription-pauses"))
    assert_conforms(document, member, "PUT", put(shop, path, {"subscriptionId": "sub_1"}))
    assert_conforms(document, member, "DELETE", shop.request("DELETE", path))
    assert_conforms(document, member, "DELETE", shop.request("DELETE", path))
