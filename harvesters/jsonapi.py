"""Harvest an agency's own JSON API through a mapping of JSONPath-like expressions.

Source config (all paths start at ``$``; ``.key``, ``['key with spaces']``, ``[0]`` and ``[*]``)::

    {"items": "$.data.items",            # where the list of datasets is
     "next": "$.links.next",             # optional: URL of the next page
     "mapping": {"guid": "$.id", "title": "$.ten", "notes": "$.mo_ta", "topics": "$.linh_vuc[*]",
                 "resources": {"each": "$.tep[*]", "url": "$.duong_dan", "name": "$.ten",
                               "format": "$.dinh_dang"}}}

Any key of an item that no mapping path reads is reported in the job report.
"""
from __future__ import annotations

import re
from typing import Any, Iterator, Optional
from urllib.parse import urljoin

from ckanext.cityopendata import migrations
from ckanext.cityopendata.harvesters.base import (
    CityHarvester,
    CurrentState,
    RemoteDataset,
    SourceError,
    Unchanged,
    fetch_json,
)

migrations.install()

_STEP = re.compile(r"\.([A-Za-z_][\w-]*)|\[(\d+)\]|\[\*\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")
LIST_FIELDS = {"tags", "topics", "admin_units"}
TEXT_FIELDS = {"guid", "name", "title", "title_en", "notes", "notes_en", "update_frequency", "license",
               "temporal_start", "temporal_end", "contact_name", "contact_email", "legal_basis", "language",
               "original_url", "remote_modified"}
MAX_PAGES = 200


def parse_path(path: str) -> list[Any]:
    """``$.a['b c'][0][*]`` -> ["a", "b c", 0, "*"]; raises ValueError on anything else."""
    if not isinstance(path, str) or not path.startswith("$"):
        raise ValueError(f"{path!r} is not a path starting with $")
    steps: list[Any] = []
    position = 1
    while position < len(path):
        match = _STEP.match(path, position)
        if not match:
            raise ValueError(f"cannot read the path {path!r} at {path[position:]!r}")
        name, index, quoted, dquoted = match.groups()
        if name is not None:
            steps.append(name)
        elif index is not None:
            steps.append(int(index))
        elif quoted is not None or dquoted is not None:
            steps.append(quoted if quoted is not None else dquoted)
        else:
            steps.append("*")
        position = match.end()
    return steps


def select(document: Any, path: str) -> list[Any]:
    """Every value ``path`` reaches in ``document``."""
    values = [document]
    for step in parse_path(path):
        found: list[Any] = []
        for value in values:
            if step == "*":
                if isinstance(value, list):
                    found.extend(value)
                elif isinstance(value, dict):
                    found.extend(value.values())
            elif isinstance(step, int):
                if isinstance(value, list) and -len(value) <= step < len(value):
                    found.append(value[step])
            elif isinstance(value, dict) and step in value:
                found.append(value[step])
        values = found
    return values


def first(document: Any, path: Optional[str]) -> Any:
    if not path:
        return None
    values = select(document, path)
    return values[0] if values else None


class JsonApiHarvester(CityHarvester):
    config_keys = ("items", "next", "mapping", "max_pages", "report_unmapped")

    def info(self) -> dict[str, str]:
        return {
            "name": "cityopendata_jsonapi",
            "title": "JSON API (city, configurable mapping)",
            "description": "An agency's JSON API, mapped to the city schema by JSONPath-like expressions.",
        }

    def check_config(self, config: dict[str, Any]) -> None:
        mapping = config.get("mapping")
        if not isinstance(mapping, dict) or "title" not in mapping:
            raise ValueError("mapping must be an object with at least a \"title\" path")
        parse_path(config.get("items") or "$")
        if config.get("next"):
            parse_path(config["next"])
        for key, path in mapping.items():
            if key == "resources":
                if not isinstance(path, dict) or "each" not in path or "url" not in path:
                    raise ValueError("mapping.resources needs \"each\" and \"url\" paths")
                for sub in path.values():
                    parse_path(sub)
            elif key in TEXT_FIELDS or key in LIST_FIELDS:
                parse_path(path)
            else:
                raise ValueError(f"mapping.{key}: not a field of the city schema")

    def gather_records(
        self, url: str, config: dict[str, Any], known: dict[str, CurrentState]
    ) -> Iterator[RemoteDataset | Unchanged]:
        self.check_config(config)
        mapping: dict[str, Any] = config["mapping"]
        used_keys = {str(parse_path(p)[0]) for k, p in mapping.items() if k != "resources" and parse_path(p)}
        if "resources" in mapping and parse_path(mapping["resources"]["each"]):
            used_keys.add(str(parse_path(mapping["resources"]["each"])[0]))
        pages, next_url, seen = int(config.get("max_pages") or MAX_PAGES), url, set()
        while next_url and next_url not in seen:
            if pages == 0:
                raise SourceError(f"the API has more than {config.get('max_pages') or MAX_PAGES} pages")
            pages -= 1
            seen.add(next_url)
            document = fetch_json(next_url, config)
            items = select(document, config.get("items") or "$")
            if len(items) == 1 and isinstance(items[0], list):
                items = items[0]
            if not items and not isinstance(first(document, config.get("items") or "$"), list):
                raise SourceError(f"{next_url}: the items path {config.get('items')!r} finds no list")
            for item in items:
                if not isinstance(item, dict):
                    raise SourceError(f"{next_url}: an item is not a JSON object")
                yield self._record(item, mapping, used_keys, config.get("report_unmapped", True))
            link = first(document, config.get("next"))
            next_url = urljoin(next_url, link) if isinstance(link, str) and link else None

    def _record(self, item: dict[str, Any], mapping: dict[str, Any], used: set[str], report: bool) -> RemoteDataset:
        values: dict[str, Any] = {}
        for key, path in mapping.items():
            if key == "resources":
                continue
            found = select(item, path)
            if key in LIST_FIELDS:
                values[key] = [str(v) for v in found if v not in (None, "")]
            elif found and found[0] not in (None, ""):
                values[key] = str(found[0])
        guid = values.pop("guid", "") or values.get("title", "")
        if not guid:
            raise SourceError("an item has neither an identifier nor a title")
        record = RemoteDataset(guid=guid, **values)
        spec = mapping.get("resources")
        if spec:
            for entry in select(item, spec["each"]):
                record.resources.append({k: str(first(entry, p) or "") for k, p in spec.items() if k != "each"})
        if report:
            record.extra = {k: v for k, v in item.items() if k not in used}
        return record
