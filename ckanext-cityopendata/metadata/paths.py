"""The stable addresses of the Table Schema catalogue (one place, used by views, API and helpers)."""

from __future__ import annotations

PREFIX = "/schemas/tables"


def table_schema_json(name: str, version: str) -> str:
    return f"{PREFIX}/{name}/{version}/schema.json"
