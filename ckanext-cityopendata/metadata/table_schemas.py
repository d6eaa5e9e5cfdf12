"""The catalogue of Table Schemas: schemas/tables/<name>/<version>/schema.json, with examples."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from importlib.abc import Traversable
from typing import Any

from ckanext.cityopendata.text import nfc_deep


@dataclass(frozen=True)
class TableSchema:
    name: str
    version: str
    descriptor: dict[str, Any]
    folder: Traversable

    @property
    def id(self) -> str:
        return f"{self.name}/{self.version}"

    def example(self, kind: str) -> str:
        """The text of the ``valid`` or ``invalid`` example CSV."""
        return self.folder.joinpath(f"{kind}.csv").read_text(encoding="utf-8")

    def summary(self) -> dict[str, Any]:
        d = self.descriptor
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "title": d.get("title", ""),
            "title_en": d.get("title_en", ""),
            "description": d.get("description", ""),
            "description_en": d.get("description_en", ""),
            "fields": len(d.get("fields", [])),
            "primaryKey": d.get("primaryKey", []),
        }


def _root() -> Traversable:
    return resources.files("ckanext.cityopendata.schemas").joinpath("tables")


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("."))


@lru_cache(maxsize=1)
def catalogue() -> dict[str, TableSchema]:
    """Every schema of the catalogue by id, ordered by name then version."""
    found: dict[str, TableSchema] = {}
    for table in sorted(_root().iterdir(), key=lambda t: t.name):
        if not table.is_dir():
            continue
        for version in sorted((v for v in table.iterdir() if v.is_dir()), key=lambda v: _version_key(v.name)):
            descriptor = nfc_deep(json.loads(version.joinpath("schema.json").read_text(encoding="utf-8")))
            schema = TableSchema(table.name, version.name, descriptor, version)
            found[schema.id] = schema
    return found


def ids() -> list[str]:
    return list(catalogue())


def get(schema_id: str) -> TableSchema | None:
    """A schema by id "name/version", or by name alone for its latest version."""
    schemas = catalogue()
    if schema_id in schemas:
        return schemas[schema_id]
    versions = [s for s in schemas.values() if s.name == schema_id]
    return versions[-1] if versions else None


def latest() -> list[TableSchema]:
    """The latest version of each schema."""
    by_name: dict[str, TableSchema] = {}
    for schema in catalogue().values():
        by_name[schema.name] = schema
    return list(by_name.values())
