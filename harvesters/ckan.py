"""Harvest an agency's own CKAN: pages of package_search, incremental on metadata_modified.

Two kinds of request only, each a page of up to 1,000 datasets: a light listing (id and
metadata_modified) that tells what exists and what changed, then full dataset dicts for the changed
ones. A re-harvest with nothing changed is therefore one request per 1,000 datasets and no writes.
Remote organisations map to agencies through ``organization_mapping``; remote groups map to topic
codes through ``topic_mapping`` (or their name matches a topic in vi/en).
"""
from __future__ import annotations

from typing import Any, Iterator
from urllib.parse import urlencode

from ckanext.cityopendata import migrations
from ckanext.cityopendata.harvesters.base import (
    CityHarvester,
    CurrentState,
    RemoteDataset,
    SourceError,
    Unchanged,
    WITHDRAWN,
    fetch_json,
)

migrations.install()

PAGE = 1000
# Remote fields that have a place in the city schema or are CKAN's own bookkeeping.
_HANDLED = {
    "id", "name", "title", "notes", "tags", "groups", "organization", "owner_org", "resources",
    "license_id", "license_title", "license_url", "maintainer", "maintainer_email",
    "author", "author_email", "metadata_modified", "metadata_created", "extras", "state", "type",
    "private", "num_resources", "num_tags", "creator_user_id", "isopen", "relationships_as_object",
    "relationships_as_subject", "revision_id", "title_en", "notes_en", "topics", "update_frequency",
    "temporal_start", "temporal_end", "contact_name", "contact_email", "legal_basis", "language",
    "admin_units", "admin_units_original", "url", "version", "harvest", "original_id", "original_url",
    "harvested_at", "harvest_object_id", "harvest_source_id", "harvest_source_title",
}
_EXTRA_FIELDS = {"frequency": "update_frequency", "accrual_periodicity": "update_frequency",
                 "temporal_start": "temporal_start", "temporal_end": "temporal_end",
                 "language": "language", "contact_name": "contact_name",
                 "contact_email": "contact_email", "legal_basis": "legal_basis"}


class CkanHarvester(CityHarvester):
    config_keys = ("fq",)

    def info(self) -> dict[str, str]:
        return {
            "name": "cityopendata_ckan",
            "title": "CKAN (city, incremental)",
            "description": "An agency's CKAN portal, read in pages and incrementally, mapped to the city schema.",
        }

    def check_config(self, config: dict[str, Any]) -> None:
        if "fq" in config and not isinstance(config["fq"], str):
            raise ValueError("fq must be a string (a Solr filter query)")

    def _search(self, base: str, config: dict[str, Any], **params: Any) -> Iterator[dict[str, Any]]:
        """Every dataset of a package_search, page by page; fails unless all pages arrive."""
        fq = " ".join(x for x in (config.get("fq", ""), params.pop("fq", "")) if x)
        start, total, seen = 0, None, 0
        while True:
            query = {"q": "*:*", "rows": PAGE, "start": start, "sort": "id asc", **params}
            if fq:
                query["fq"] = fq
            answer = fetch_json(f"{base}/api/3/action/package_search?{urlencode(query)}", config)
            if not isinstance(answer, dict) or not answer.get("success") or not isinstance(answer.get("result"), dict):
                raise SourceError(f"{base} is not a CKAN action API (package_search gave no result)")
            result = answer["result"]
            total = result.get("count") if total is None else total
            page = result.get("results") or []
            if not isinstance(page, list) or not all(isinstance(d, dict) and d.get("id") for d in page):
                raise SourceError(f"{base} returned malformed search results")
            yield from page
            seen += len(page)
            start += PAGE
            if not page or start >= (total or 0):
                break
        if seen != total:
            raise SourceError(f"{base} listed {seen} datasets of the {total} it announced; try again")

    def gather_records(
        self, url: str, config: dict[str, Any], known: dict[str, CurrentState]
    ) -> Iterator[RemoteDataset | Unchanged]:
        base = url.rstrip("/")
        if base.endswith("/api/3/action/package_search"):
            base = base[: -len("/api/3/action/package_search")]
        listing = {d["id"]: str(d.get("metadata_modified") or "")
                   for d in self._search(base, config, fl="id,metadata_modified")}
        changed = {}
        for guid, modified in listing.items():
            state = known.get(guid)
            if state and modified and state.remote_modified == modified and state.content_hash != WITHDRAWN:
                yield Unchanged(guid, modified)
            else:
                changed[guid] = modified
        if not changed:
            return
        since = min((m for m in changed.values() if m), default="")
        fq = f"metadata_modified:[{since}Z TO *]" if since and len(changed) < len(listing) else ""
        found = 0
        for remote in self._search(base, config, fq=fq):
            if remote["id"] in changed:
                found += 1
                yield self._to_remote(base, remote)
        if found < len(changed):
            raise SourceError(f"{base} changed while it was read ({len(changed) - found} datasets missing); try again")

    def _to_remote(self, base: str, d: dict[str, Any]) -> RemoteDataset:
        extras = {e.get("key"): e.get("value") for e in d.get("extras") or [] if isinstance(e, dict)}
        record = RemoteDataset(
            guid=d["id"],
            name=str(d.get("name") or ""),
            title=str(d.get("title") or d.get("name") or ""),
            title_en=str(d.get("title_en") or ""),
            notes=str(d.get("notes") or ""),
            notes_en=str(d.get("notes_en") or ""),
            tags=[t["name"] for t in d.get("tags") or [] if isinstance(t, dict) and t.get("name")],
            license=str(d.get("license_id") or ""),
            contact_name=str(d.get("contact_name") or d.get("maintainer") or d.get("author") or ""),
            contact_email=str(d.get("contact_email") or d.get("maintainer_email") or d.get("author_email") or ""),
            original_url=f"{base}/dataset/{d.get('name') or d['id']}",
            owner_org=str((d.get("organization") or {}).get("name") or ""),
            remote_modified=str(d.get("metadata_modified") or ""),
        )
        for field in ("update_frequency", "temporal_start", "temporal_end", "legal_basis", "language"):
            if d.get(field):
                setattr(record, field, str(d[field]))
        topics = d.get("topics") or []
        record.topics = list(topics) if isinstance(topics, list) else [str(topics)]
        for group in d.get("groups") or []:
            record.topics.append(str(group.get("name") or group.get("title")))
        units = d.get("admin_units_original") or d.get("admin_units") or []
        record.admin_units = [str(u) for u in units] if isinstance(units, list) else [str(units)]
        for key, value in extras.items():
            if key in _EXTRA_FIELDS:
                setattr(record, _EXTRA_FIELDS[key], str(value))
            elif key not in _HANDLED:
                record.extra[f"extras.{key}"] = value
        for key in ("version", "url"):
            if d.get(key):
                record.extra[key] = d[key]
        for key, value in d.items():
            if key not in _HANDLED:
                record.extra[key] = value
        record.resources = [
            {"url": r.get("url") or "", "name": r.get("name") or "", "description": r.get("description") or "",
             "format": r.get("format") or ""}
            for r in d.get("resources") or [] if isinstance(r, dict)
        ]
        return record
