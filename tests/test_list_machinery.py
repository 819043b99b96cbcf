"""The list machinery on its own: the query schema parses and refuses, the filter grammar compiles,
and a resource declared in a few lines is listed, sorted, filtered and described for OpenAPI."""

from __future__ import annotations

import re
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from rebilly_sandbox.problems import ValidationFailed
from rebilly_sandbox.resources import CUSTOMERS, INSTANT, NUMBER, TAGS, TEXT, ListedResource
from rebilly_sandbox.schemas.list_query import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_Q_LENGTH,
    list_query_parameters,
    load_expand,
    load_list_query,
)
from rebilly_sandbox.services.filters import FilterRefused, compile_filter
from rebilly_sandbox.services.listing import list_documents
from rebilly_sandbox.services.paging import select_fields
from rebilly_sandbox.store import Store

#: A second resource, declared the way payment instruments and transactions will be.
WIDGETS = ListedResource(
    table="widgets", singular="widget", plural="Widgets",
    sortable={"name": TEXT, "weight": NUMBER, "madeTime": INSTANT},
    filterable={"name": TEXT, "weight": NUMBER, "madeTime": INSTANT, "tags": TAGS},
    searched=("name", "maker.city"), searched_description="name and maker's city",
    sort_example="-weight")

NAMESPACE = "ns_test"


def refused(resource: ListedResource, args: Any) -> list[dict[str, str]]:
    with pytest.raises(ValidationFailed) as caught:
        load_list_query(resource, args)
    assert caught.value.status == 422
    return caught.value.extra["invalidFields"]


@pytest.fixture
def store():
    store = Store()
    widgets = [
        {"id": "w1", "name": "Bolt", "weight": 3, "madeTime": "2024-01-03T00:00:00+00:00",
         "maker": {"city": "Oslo"}, "tags": [{"name": "steel"}]},
        {"id": "w2", "name": "nut", "weight": 1, "madeTime": "2024-01-01T00:00:00+00:00",
         "maker": {"city": "Riga"}, "tags": []},
        {"id": "w3", "name": "Gear", "weight": 7, "madeTime": "2024-01-02T00:00:00+00:00",
         "maker": None, "tags": [{"name": "Steel"}]},
        {"id": "w4", "name": "Cog", "weight": None, "madeTime": None, "maker": {"city": "oslo"}},
    ]
    with store.transaction() as tx:
        for widget in widgets:
            tx.insert(NAMESPACE, "widgets", widget)
    yield store
    store.close()


def listed_ids(store: Store, **args: Any) -> tuple[list[str], int]:
    page = list_documents(store, NAMESPACE, load_list_query(WIDGETS, args))
    return [document["id"] for document in page.documents], page.total


# -- the schema parses ----------------------------------------------------------------------------


def test_defaults_when_nothing_is_asked():
    query = load_list_query(CUSTOMERS, MultiDict())

    assert (query.limit, query.offset, query.sort, query.filters, query.q, query.fields,
            query.expand) == (DEFAULT_LIMIT, 0, (), (), None, None, ())
    assert query.resource is CUSTOMERS and not query.scans


def test_every_parameter_is_read_into_the_query():
    query = load_list_query(CUSTOMERS, MultiDict([
        ("limit", "5"), ("offset", "10"), ("sort", "-createdTime,email"), ("sort", "+id"),
        ("filter", "firstName:Ann"), ("filter", " "), ("filter", "paymentCount:1..3"),
        ("q", "  ADA "), ("fields", "email, firstName,"), ("expand", "website,leadSource")]))

    assert (query.limit, query.offset) == (5, 10)
    assert query.sort == (("createdTime", True), ("email", False), ("id", False))
    assert len(query.filters) == 2  # one predicate per field named
    assert query.q == "ada"
    assert query.fields == frozenset({"email", "firstName", "id"})
    assert query.expand == ("website", "leadSource")


def test_a_plain_mapping_is_read_like_a_query_string():
    query = load_list_query(WIDGETS, {"sort": ["-weight", "name"], "limit": "2"})

    assert query.sort == (("weight", True), ("name", False)) and query.limit == 2


# -- the schema refuses, as the list always has -------------------------------------------------


def test_every_bad_list_parameter_is_named_at_once_in_order():
    fields = refused(CUSTOMERS, MultiDict([
        ("fields", ",".join(f"f{n}" for n in range(101))), ("q", "x" * (MAX_Q_LENGTH + 1)),
        ("filter", "nope:1"), ("sort", "nope"), ("offset", "-1"), ("limit", "1001")]))

    assert [entry["field"] for entry in fields] == ["limit", "offset", "sort", "filter", "q",
                                                    "fields"]
    assert fields[0]["message"] == f"Must be an integer from 0 to {MAX_LIMIT}."
    assert fields[2]["message"].startswith("Cannot sort on 'nope'; sortable fields: id, email")
    assert fields[3]["message"].startswith("Cannot filter on 'nope'; filterable fields: id, ")


def test_a_bad_expand_is_named_only_when_the_list_parameters_are_sound():
    assert refused(CUSTOMERS, {"expand": "nope", "limit": "x"}) == [
        {"field": "limit", "message": "Must be an integer from 0 to 1000."}]
    assert refused(CUSTOMERS, {"expand": "nope,website,other"}) == [
        {"field": "expand", "message": "Cannot expand nope, other; a customer embeds "
                                       "defaultPaymentInstrument, website, leadSource."}]


def test_expand_alone_is_read_for_one_document_routes():
    assert load_expand(CUSTOMERS, None) == ()
    assert load_expand(CUSTOMERS, "") == ()
    assert load_expand(CUSTOMERS, " website , leadSource") == ("website", "leadSource")
    with pytest.raises(ValidationFailed) as caught:
        load_expand(WIDGETS, "maker")
    assert caught.value.detail == "expand: Cannot expand maker; a widget embeds nothing."


@pytest.mark.parametrize("expression, problem", [
    ("name", "'name' is not a field:value expression."),
    (":x", "':x' names no field before the ':'."),
    ("colour:red", "Cannot filter on 'colour'; filterable fields: name, weight, madeTime, tags."),
    ("name:", "'name' is given no value."),
    ("name:!", "'name' has an empty value after '!'."),
    ("name:@set", "'name': value lists (@set) are not supported."),
    ("weight:heavy", "'weight': 'heavy' is not a number."),
    ("madeTime:..", "'madeTime': the range '..' has no bounds."),
    ("madeTime:soon", "'madeTime': 'soon' is not an ISO 8601 date-time or date."),
    (";".join(["name:a"] * 21), "Join at most 20 clauses with ';'."),
    ("name:" + ",".join(map(str, range(101))), "Give at most 100 values in all."),
])
def test_the_filter_grammar_says_why_it_refuses(expression, problem):
    with pytest.raises(FilterRefused, match=f"^{re.escape(problem)}$"):
        compile_filter(expression, WIDGETS.filterable)
    assert refused(WIDGETS, {"filter": expression}) == [{"field": "filter", "message": problem}]


# -- a second resource is listed by its declaration alone ---------------------------------------


def test_a_declared_resource_is_paged_in_insertion_order(store):
    assert listed_ids(store) == (["w1", "w2", "w3", "w4"], 4)
    assert listed_ids(store, limit="2", offset="1") == (["w2", "w3"], 4)


def test_a_declared_resource_sorts_on_its_fields_with_missing_values_first(store):
    assert listed_ids(store, sort="weight") == (["w4", "w2", "w1", "w3"], 4)
    assert listed_ids(store, sort="-madeTime") == (["w1", "w3", "w2", "w4"], 4)
    assert listed_ids(store, sort=["name", "-weight"]) == (["w1", "w4", "w3", "w2"], 4)


def test_a_declared_resource_filters_and_searches_its_fields(store):
    assert listed_ids(store, filter="weight:2..") == (["w1", "w3"], 2)
    assert listed_ids(store, filter="tags:steel;madeTime:..2024-01-02") == (["w3"], 1)
    assert listed_ids(store, filter="name:!bolt,NUT") == (["w3", "w4"], 2)
    assert listed_ids(store, q="OSL") == (["w1", "w4"], 2)
    assert listed_ids(store, q="osl", sort="-name", limit="1") == (["w4"], 2)


def test_a_declared_resource_refuses_fields_it_did_not_declare(store):
    assert refused(WIDGETS, {"sort": "id"})[0]["message"] == (
        "Cannot sort on 'id'; sortable fields: name, weight, madeTime.")


def test_only_the_page_leaves_the_store(store):
    page = list_documents(store, NAMESPACE, load_list_query(WIDGETS, {"limit": "1"}))

    assert [document["id"] for document in page.documents] == ["w1"]
    assert page.total > 1
    assert page.related == []


def test_a_sparse_fieldset_keeps_id_and_the_names_asked_for():
    query = load_list_query(WIDGETS, {"fields": "name,unknown"})

    assert select_fields({"id": "w1", "name": "Bolt", "weight": 3}, query.fields) == {
        "id": "w1", "name": "Bolt"}


# -- the OpenAPI parameters come from the same fields -------------------------------------------


def test_openapi_parameters_carry_the_schema_limits():
    parameters = {parameter["name"]: parameter for parameter in list_query_parameters(WIDGETS)}

    assert list(parameters) == ["limit", "offset", "sort", "filter", "q", "fields", "expand"]
    assert all(parameter["in"] == "query" for parameter in parameters.values())
    assert parameters["limit"]["schema"] == {"type": "integer", "minimum": 0,
                                             "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}
    assert parameters["offset"]["description"] == "Widgets to skip."
    assert parameters["q"]["schema"] == {"type": "string", "maxLength": MAX_Q_LENGTH}
    assert parameters["q"]["description"] == ("Case-insensitive partial match on name and "
                                              "maker's city.")
    assert "such as -weight;" in parameters["sort"]["description"]


def test_a_resource_takes_only_the_parameters_it_declares():
    gadgets = ListedResource(table="gadgets", singular="gadget", plural="Gadgets",
                             sortable={"name": TEXT}, filterable={"name": TEXT},
                             parameters=("limit", "offset", "filter"))
    query = load_list_query(gadgets, MultiDict([("limit", "5"), ("sort", "-name"),
                                                ("q", "x"), ("filter", "name:a")]))

    assert (query.limit, query.sort, query.q) == (5, (), None)
    assert [check.field for check in query.filters] == ["name"]
    assert [parameter["name"] for parameter in list_query_parameters(gadgets)] == [
        "limit", "offset", "filter"]
    with pytest.raises(ValidationFailed):  # a declared parameter is still checked
        load_list_query(gadgets, {"limit": "5000"})
