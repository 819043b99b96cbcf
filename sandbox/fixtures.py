"""Fixture sets: named JSON files of websites, tags, tokens and customers to load into a namespace.

Every record goes through the same validation and business rules as the API (a customer's
``paymentToken`` is redeemed, tags are shared by name), inside one store transaction, so a set
with one bad record loads nothing. Names are looked up among the files of the fixtures folder,
never joined into a path, so no name can reach outside it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from marshmallow import fields, validate

from .ids import Clock, IdGenerator, format_time
from .problems import BadRequest, NotFound, SandboxError, ValidationFailed
from .schemas import CustomerSchema, TokenSchema, load
from .schemas.base import RequestSchema, Text
from .schemas.customer import TagSchema
from .services.context import Context
from .services.customers import CLIENT_ID, CUSTOMERS, LEAD_SOURCES, WEBSITES, upsert_customer
from .services.tags import TAGS, resolve
from .services.tokens import create_token
from .store import Store

__all__ = ("FIXTURE_NAME", "fixture_names", "read_fixture", "load_fixture_set",
           "check_fixture_set", "fixture_counts", "problem_summary", "export_namespace",
           "describe_fixtures")

FIXTURE_NAME = re.compile(r"[A-Za-z0-9_\-]{1,64}")
KINDS = ("websites", "tags", "tokens", "customers")


class WebsiteSchema(RequestSchema):
    id = Text(50, pattern=CLIENT_ID, required=True, allow_none=False,
              pattern_message="Must be 1-50 characters: letters, digits and @ ~ - . _")
    name = Text(255)
    url = fields.Url(allow_none=True, require_tld=False, validate=validate.Length(max=2083))


website_schema = WebsiteSchema()
tag_schema = TagSchema()
token_schema = TokenSchema()
customer_schema = CustomerSchema()


def fixtures_dir(configured: str | None) -> Path:
    """The folder of fixture sets: the configured one, else the sets shipped with the package."""
    if configured:
        return Path(configured)
    return Path(str(resources.files("sandbox.fixture_data")))


def fixture_names(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(path.stem for path in folder.glob("*.json") if FIXTURE_NAME.fullmatch(path.stem))


def read_fixture(folder: Path, name: str) -> dict[str, Any]:
    """The fixture set called ``name``.

    :raises NotFound: when no set has that name (including any name that is not a plain name).
    :raises BadRequest: when the file is not a JSON object.
    """
    if name not in fixture_names(folder):
        raise NotFound(f"No fixture set named {name!r}; see GET /__admin/fixtures.")
    try:
        data = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise BadRequest(f"Fixture set {name!r} cannot be read: {exc}") from None
    if not isinstance(data, dict):
        raise BadRequest(f"Fixture set {name!r} must be a JSON object.")
    return data


def describe_fixtures(folder: Path) -> list[dict[str, Any]]:
    """Every set with its description and counts; a set that cannot load says why instead.

    Only the shape is checked here (a JSON object of known sections, each a list of objects):
    listing stays cheap, and ``check_fixture_set`` finds the bad records.
    """
    described = []
    for name in fixture_names(folder):
        try:
            data = read_fixture(folder, name)
            counts = fixture_counts(data)
        except SandboxError as error:
            described.append({"name": name, "error": problem_summary(error)})
            continue
        described.append({"name": name, "description": data.get("description") or "",
                          "counts": counts})
    return described


def fixture_counts(data: dict[str, Any]) -> dict[str, int]:
    """How many records each section holds, once the set's shape is known to be loadable.

    :raises ValidationFailed: for an unknown section, a section that is not a list of objects,
        or a description that is not text.
    """
    _check_sections(data)
    return {kind: sum(1 for _ in _records(data, kind)) for kind in KINDS}


def problem_summary(error: SandboxError) -> str:
    """One line naming every problem: ``customers.2.email: Not a valid email address.``"""
    problems = error.extra.get("invalidFields")
    if not problems:
        return error.detail
    return "; ".join(f"{problem['field']}: {problem['message']}" for problem in problems)


def _check_sections(data: dict[str, Any]) -> None:
    unknown = sorted(set(data) - set(KINDS) - {"description"})
    if unknown:
        raise ValidationFailed([{"field": key, "message": "Unknown fixture section."}
                                for key in unknown])
    if not isinstance(data.get("description", ""), (str, type(None))):
        raise ValidationFailed([{"field": "description", "message": "Must be text."}])


def _records(data: dict[str, Any], kind: str) -> Iterator[tuple[int, dict[str, Any]]]:
    records = data.get(kind)
    if records is None:
        return
    if not isinstance(records, list):
        raise ValidationFailed([{"field": kind, "message": "Must be a list of records."}])
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise ValidationFailed([{"field": f"{kind}.{index}", "message": "Must be an object."}])
        yield index, record


def _prefixed(error: ValidationFailed, prefix: str) -> ValidationFailed:
    return ValidationFailed([{"field": f"{prefix}.{entry['field']}", "message": entry["message"]}
                             for entry in error.extra["invalidFields"]])


def _record_id(record: dict[str, Any]) -> str:
    record_id = record.get("id")
    if not isinstance(record_id, str) or not CLIENT_ID.fullmatch(record_id):
        raise ValidationFailed([{"field": "id", "message": "Each record needs an id of "
                                 "1-50 characters: letters, digits and @ ~ - . _"}])
    return record_id


def load_fixture_set(ctx: Context, data: dict[str, Any], *, strict: bool = False) -> dict[str, int]:
    """Load a fixture set into ``ctx``'s namespace, all or nothing; return counts by kind.

    :raises ValidationFailed: naming the record (``customers.2.primaryAddress.country``).
    """
    _check_sections(data)
    counts = dict.fromkeys(KINDS, 0)
    with ctx.store.transaction() as tx:
        for kind, step in (("websites", _load_website), ("tags", _load_tag),
                           ("tokens", _load_token), ("customers", _load_customer)):
            loaded = []
            for index, record in _records(data, kind):
                where = f"{kind}.{index}"
                try:
                    loaded.append(step(tx, ctx, record, strict))
                except ValidationFailed as error:
                    raise _prefixed(error, where) from None
                counts[kind] += 1
            if kind == "tags" and loaded:  # in one call: it indexes the namespace's tags once
                resolve(tx, ctx, loaded, _now(ctx))
    return counts


def _load_website(tx, ctx: Context, record: dict[str, Any], strict: bool) -> None:
    tx.put(ctx.namespace, WEBSITES, load(website_schema, record, strict=strict))


def _load_tag(tx, ctx: Context, record: dict[str, Any], strict: bool) -> dict[str, Any]:
    """The validated tag; the section's tags are stored together once all are valid."""
    tag = load(tag_schema, record, strict=strict)
    if tag["type"] != "customer":
        raise ValidationFailed([{"field": "type", "message": "Fixture tags are customer tags."}])
    return tag


def _load_token(tx, ctx: Context, record: dict[str, Any], strict: bool) -> None:
    token_id = _record_id(record)
    create_token(ctx, load(token_schema, record, strict=strict), token_id=token_id)


def _load_customer(tx, ctx: Context, record: dict[str, Any], strict: bool) -> None:
    customer_id = _record_id(record)
    upsert_customer(ctx, customer_id, load(customer_schema, record, strict=strict))


def _now(ctx: Context) -> str:
    return format_time(ctx.clock.now())


def check_fixture_set(data: dict[str, Any]) -> dict[str, int]:
    """Load a set into a throwaway store: the counts, or the ``ValidationFailed`` it would give."""
    store = Store(None)
    ctx = Context(store, IdGenerator(0), Clock(), "ns_fixture_check")
    return load_fixture_set(ctx, data)


_EXPORTED_CUSTOMER_FIELDS = ("id", "websiteId", "preferredPayoutInstrumentId", "customFields",
                             "primaryAddress", "locale", "taxNumbers", "personId",
                             "notificationEmails", "isEddRequired")


def export_namespace(store: Store, namespace: str) -> dict[str, Any]:
    """A namespace's websites, tags and customers as a fixture set that loads them back.

    Payment tokens and instruments are left out: card numbers are never kept, so they cannot be
    made again; customers come back without a default payment instrument.
    """
    with store.transaction() as tx:
        websites = tx.all(namespace, WEBSITES)
        tags = [{"name": tag["name"], "type": tag["type"]} for tag in tx.view(namespace, TAGS)]
        customers = []
        for customer in tx.view(namespace, CUSTOMERS):
            record = {field: customer.get(field) for field in _EXPORTED_CUSTOMER_FIELDS}
            if record["primaryAddress"]:
                record["primaryAddress"] = {k: v for k, v in customer["primaryAddress"].items()
                                            if k != "hash" and v not in (None, [])}
            record["tags"] = [{"name": tag["name"], "type": tag["type"]}
                              for tag in customer["tags"]]
            lead_source = tx.get(namespace, LEAD_SOURCES, customer["id"])
            if lead_source:
                record["leadSource"] = {k: v for k, v in lead_source.items() if k not in (
                    "id", "customerId", "createdTime", "updatedTime")}
            customers.append({k: v for k, v in record.items() if v not in (None, [], {})})
    return {"description": "Exported from a rebilly-sandbox namespace.", "websites": websites,
            "tags": tags, "customers": customers}
