"""Pages of the Table Schema catalogue: the list, one page per version and its stable JSON URL."""

from __future__ import annotations

import json

from ckan.plugins import toolkit as tk
from flask import Blueprint, Response

from . import paths, table_schemas

__all__ = ["cityopendata_schemas"]

cityopendata_schemas = Blueprint("cityopendata_schemas", __name__)


def _found(name: str, version: str) -> table_schemas.TableSchema:
    found = table_schemas.catalogue().get(f"{name}/{version}")
    if found is None:
        tk.abort(404, tk._("Table Schema not found"))
    return found  # type: ignore[return-value]


@cityopendata_schemas.route(paths.PREFIX)
def table_schema_list() -> str:
    schemas = sorted(table_schemas.catalogue().values(), key=lambda s: (s.name, s.version))
    return tk.render("cityopendata/table_schema_list.html", {"schemas": schemas})


@cityopendata_schemas.route(f"{paths.PREFIX}/<name>/<version>")
def table_schema_read(name: str, version: str) -> str:
    found = _found(name, version)
    return tk.render(
        "cityopendata/table_schema_read.html",
        {"schema": found, "json_url": paths.table_schema_json(name, version)},
    )


@cityopendata_schemas.route(f"{paths.PREFIX}/<name>/<version>/schema.json")
def table_schema_json(name: str, version: str) -> Response:
    found = _found(name, version)
    body = json.dumps(found.descriptor, ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Access-Control-Allow-Origin"] = "*"  # validators elsewhere fetch it
    return response


@cityopendata_schemas.route(f"{paths.PREFIX}/<name>/<version>/<kind>.csv")
def table_schema_example(name: str, version: str, kind: str) -> Response:
    if kind not in ("valid", "invalid"):
        tk.abort(404)
    found = _found(name, version)
    return Response(found.example(kind), mimetype="text/csv; charset=utf-8")
