"""The catalog's routes: websites, products and plans, each created (``POST`` or ``PUT`` by id),
read, listed and deleted. Load the body or list query, call the service, show the result.

The three resources answer alike (201 with ``Location`` for a create, 200 for a replacement,
204 for a delete, a bare array with ``Pagination-*`` headers for a list), so one table declares
them and the same few views serve each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response, request
from marshmallow import Schema

from ..resources import PLANS, PRODUCTS, WEBSITES, ListedResource
from ..schemas.list_query import load_list_query
from ..schemas.plan import PlanSchema
from ..schemas.product import ProductSchema
from ..schemas.website import WebsiteSchema
from ..services import plans, products, websites
from .present import catalog_body, json_response, page_response
from .routing import add_route, base_url, load_body, service_context

__all__ = ("CATALOG",)


@dataclass(frozen=True)
class CatalogRoutes:
    """One catalog resource: its path, list, body schema and service calls."""

    path: str
    #: The path parameter that names one (``website_id``).
    id_name: str
    resource: ListedResource
    schema: Schema
    create: Callable[..., dict[str, Any]]
    upsert: Callable[..., tuple[dict[str, Any], bool]]
    get: Callable[..., dict[str, Any]]
    listed: Callable[..., Any]
    delete: Callable[..., None]


CATALOG = (
    CatalogRoutes("websites", "website_id", WEBSITES, WebsiteSchema(), websites.create_website,
                  websites.upsert_website, websites.get_website, websites.list_websites,
                  websites.delete_website),
    CatalogRoutes("products", "product_id", PRODUCTS, ProductSchema(), products.create_product,
                  products.upsert_product, products.get_product, products.list_products,
                  products.delete_product),
    CatalogRoutes("plans", "plan_id", PLANS, PlanSchema(), plans.create_plan,
                  plans.upsert_plan, plans.get_plan, plans.list_plans, plans.delete_plan),
)


def _views(routes: CatalogRoutes) -> None:
    """Add the five routes of one resource to the API blueprint."""
    show = catalog_body[routes.path]

    def location(document: dict[str, Any]) -> dict[str, str]:
        return {"Location": f"{base_url()}/{routes.path}/{document['id']}"}

    def post() -> Response:
        document = routes.create(service_context(), load_body(routes.schema))
        return json_response(show(document, base_url()), 201, location(document))

    def listed() -> Response:
        query = load_list_query(routes.resource, request.args)
        page = routes.listed(service_context(), query)
        return page_response([show(document, base_url()) for document in page.documents],
                             page.total, query.limit, query.offset)

    def get(**path: str) -> Response:
        return json_response(show(routes.get(service_context(), path[routes.id_name]),
                                  base_url()))

    def put(**path: str) -> Response:
        document, created = routes.upsert(service_context(), path[routes.id_name],
                                          load_body(routes.schema))
        if created:
            return json_response(show(document, base_url()), 201, location(document))
        return json_response(show(document, base_url()))

    def delete(**path: str) -> Response:
        routes.delete(service_context(), path[routes.id_name])
        return Response(status=204)

    member = f"/{routes.path}/<{routes.id_name}>"
    for view, rule, method in ((post, f"/{routes.path}", "POST"),
                               (listed, f"/{routes.path}", "GET"), (get, member, "GET"),
                               (put, member, "PUT"), (delete, member, "DELETE")):
        view.__name__ = f"{view.__name__}_{routes.path}"
        add_route(rule, view, [method])


for _routes in CATALOG:
    _views(_routes)
