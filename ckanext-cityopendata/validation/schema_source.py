"""Which Table Schema a resource is checked against: a catalogue entry, a remote URL, or none."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any, Optional
from urllib.parse import urlsplit

CATALOGUE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*/[0-9][0-9A-Za-z._-]*$")
MAX_SCHEMA_BYTES = 1024 * 1024


class SchemaError(Exception):
    """The resource names a schema that cannot be used; the message is for a person."""


@dataclass
class ResolvedSchema:
    source: str  # "catalogue:<id>", the URL, or "inferred"
    descriptor: Optional[dict[str, Any]]


def catalogue_root() -> Any:
    """The Table Schema catalogue of the schemas package (``tables/<name>/<version>/schema.json``)."""
    try:
        return resources.files("ckanext.cityopendata.schemas") / "tables"
    except ModuleNotFoundError:
        return None


def from_catalogue(ref: str, root: Any = None) -> dict[str, Any]:
    if not CATALOGUE_ID.match(ref):
        raise SchemaError(f"{ref!r} is not a catalogue id like bus-stops/1.0")
    root = catalogue_root() if root is None else root
    name, version = ref.split("/", 1)
    entry = root / name / version / "schema.json" if root is not None else None
    if entry is None or not entry.is_file():
        raise SchemaError(f"the Table Schema {ref!r} is not in the catalogue")
    return _checked(json.loads(entry.read_text(encoding="utf-8")), ref)


def from_url(url: str) -> dict[str, Any]:
    from ckanext.cityopendata import net

    policy = net.FetchPolicy.from_config(max_bytes=MAX_SCHEMA_BYTES)
    try:
        fetched = net.fetch_guarded(url, policy, accept="application/json")
    except net.FetchError as error:
        raise SchemaError(f"the Table Schema at {url} cannot be fetched: {error}") from error
    try:
        descriptor = json.loads(fetched.content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise SchemaError(f"the Table Schema at {url} is not JSON") from error
    return _checked(descriptor, url)


def _checked(descriptor: Any, ref: str) -> dict[str, Any]:
    from frictionless import FrictionlessException, Schema

    if not isinstance(descriptor, dict):
        raise SchemaError(f"the Table Schema {ref!r} is not a JSON object")
    try:
        Schema.from_descriptor(descriptor)
    except FrictionlessException as error:
        raise SchemaError(f"the Table Schema {ref!r} is invalid: {error.error.message}") from error
    return descriptor


def resolve(table_schema: Optional[str]) -> ResolvedSchema:
    """The schema a resource's ``table_schema`` field names; local paths and file:// are refused."""
    ref = (table_schema or "").strip()
    if not ref:
        return ResolvedSchema("inferred", None)
    scheme = urlsplit(ref).scheme.lower()
    if scheme in ("http", "https"):
        return ResolvedSchema(ref, from_url(ref))
    if scheme or ref.startswith(("/", ".", "~")) or "\\" in ref or ".." in ref:
        raise SchemaError(f"{ref!r} is neither a catalogue id nor an http(s) URL: refused")
    return ResolvedSchema(f"catalogue:{ref}", from_catalogue(ref))
