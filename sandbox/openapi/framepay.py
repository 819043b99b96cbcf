"""The FramePay stand-in's part of the OpenAPI document: static files for a browser, no key."""

from __future__ import annotations

from apispec import APISpec

from ..framepay import FILES, PREFIX

__all__ = ("add_framepay",)

NAME = {"name": "name", "in": "path", "required": True,
        "schema": {"type": "string", "enum": sorted(FILES)},
        "description": "framepay.js and framepay.css for the shop's page; field.html, field.js "
                       "and field.css for a card field's iframe."}


def add_framepay(spec: APISpec) -> None:
    content = {mimetype: {"schema": {"type": "string"}} for mimetype in sorted(set(FILES.values()))}
    spec.path(path=f"{PREFIX}/{{name}}", parameters=[NAME], operations={"get": {
        "operationId": "getFramepayStandIn", "tags": ["FramePay stand-in"], "security": [],
        "summary": "A file of the FramePay stand-in: the global Framepay, its stylesheet, and "
                   "the card field's iframe (see docs/checkout.md).",
        "responses": {"200": {"description": "The file; Cache-Control and ETag.",
                              "content": content},
                      "304": {"description": "Unchanged since the ETag sent."},
                      "404": {"description": "No such file."}}}})
