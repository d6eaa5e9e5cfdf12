"""Harvest a DCAT catalogue: RDF/XML, Turtle or JSON-LD (with Hydra paging) through ckanext-dcat's
parser, and DCAT-US ``data.json``.

JSON-LD is checked before rdflib sees it: a ``@context`` (or ``@import``) that names a URL is
refused, because rdflib would fetch it, outside the guarded fetch (SECURITY.md 6). So is RDF/XML
with a DTD: Python's SAX parser does not load external entities, but it silently drops the text
they stand for, and internal ones can multiply a small document ("billion laughs").
"""
from __future__ import annotations

import json
from typing import Any, Iterator, Optional

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS

from ckanext.cityopendata import migrations
from ckanext.cityopendata.xmlguard import declared_dtd
from ckanext.cityopendata.harvesters.base import (
    CityHarvester,
    CurrentState,
    RemoteDataset,
    SourceError,
    Unchanged,
    fetch,
)

migrations.install()

FORMATS = {"xml", "turtle", "json-ld", "data.json"}
CONTENT_TYPES = {
    "application/rdf+xml": "xml", "application/xml": "xml", "text/xml": "xml",
    "text/turtle": "turtle", "application/x-turtle": "turtle", "text/n3": "turtle",
    "application/ld+json": "json-ld", "application/json": "json",
}
MAX_PAGES = 200
_MAX_DEPTH = 64


def check_jsonld_contexts(node: Any, depth: int = 0) -> None:
    """Raise SourceError if any ``@context`` would make rdflib fetch something."""
    if depth > _MAX_DEPTH:
        raise SourceError("the JSON-LD document is nested too deeply")
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "@context":
                contexts = value if isinstance(value, list) else [value]
                for context in contexts:
                    if isinstance(context, str):
                        raise SourceError(
                            f"the JSON-LD @context points to {context[:100]!r}; only inline contexts are accepted")
                    if isinstance(context, dict) and "@import" in context:
                        raise SourceError("the JSON-LD @context uses @import; only inline contexts are accepted")
            check_jsonld_contexts(value, depth + 1)
    elif isinstance(node, list):
        for item in node:
            check_jsonld_contexts(item, depth + 1)


class DcatHarvester(CityHarvester):
    config_keys = ("format", "max_pages")

    def info(self) -> dict[str, str]:
        return {
            "name": "cityopendata_dcat",
            "title": "DCAT (city: RDF/XML, Turtle, JSON-LD, data.json)",
            "description": "A DCAT catalogue (with Hydra paging) or a DCAT-US data.json, mapped to the city schema.",
        }

    def check_config(self, config: dict[str, Any]) -> None:
        if config.get("format") and config["format"] not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(sorted(FORMATS))}")

    def gather_records(
        self, url: str, config: dict[str, Any], known: dict[str, CurrentState]
    ) -> Iterator[RemoteDataset | Unchanged]:
        pages_left = int(config.get("max_pages") or MAX_PAGES)
        seen_pages: set[str] = set()
        next_url: Optional[str] = url
        while next_url:
            if next_url in seen_pages:
                break
            if pages_left == 0:
                raise SourceError(f"the catalogue has more than {config.get('max_pages') or MAX_PAGES} pages")
            seen_pages.add(next_url)
            pages_left -= 1
            result = fetch(next_url, config, "text/turtle, application/rdf+xml, application/ld+json, application/json;q=0.9",
                           CONTENT_TYPES)
            kind = config.get("format") or CONTENT_TYPES.get(result.content_type.split(";")[0].strip().lower(), "")
            text = _decode(result.content, next_url)
            if kind in ("json", "json-ld", "data.json"):
                try:
                    document = json.loads(text)
                except ValueError as error:
                    raise SourceError(f"{next_url} is not valid JSON: {error}") from error
                if kind == "data.json" or (kind == "json" and isinstance(document, dict) and "dataset" in document
                                           and "@graph" not in document):
                    yield from self._data_json(document, next_url)
                    return
                check_jsonld_contexts(document)
                kind = "json-ld"
            elif not kind:
                kind = "turtle" if not text.lstrip().startswith("<") else "xml"
            datasets, next_url = self._rdf(text, kind, next_url)
            yield from datasets

    # -- RDF through ckanext-dcat ------------------------------------------------------------
    def _rdf(self, text: str, kind: str, url: str) -> tuple[list[RemoteDataset], Optional[str]]:
        from ckanext.dcat.exceptions import RDFParserException
        from ckanext.dcat.processors import RDFParser

        if kind == "xml":
            found = declared_dtd([text.encode("utf-8")], encoding="utf-8")
            if found:
                raise SourceError(f"{url} declares {found}: RDF/XML with a DTD or entity declarations is refused")
        parser = RDFParser(profiles=["euro_dcat_ap_3"])
        try:
            parser.parse(text, _format=kind)
        except RDFParserException as error:
            raise SourceError(f"{url} is not a readable {kind} document: {str(error)[:300]}") from error
        except Exception as error:  # rdflib raises many kinds for garbage input
            raise SourceError(f"{url} is not a readable {kind} document: {type(error).__name__}: {str(error)[:300]}") from error
        graph = parser.g
        records = []
        refs = list(parser._datasets())
        for ref, parsed in zip(refs, parser.datasets()):
            records.append(self._from_dcat(graph, ref, parsed))
        if not refs and not any(True for _ in graph.subjects()):
            raise SourceError(f"{url} holds no RDF statements")
        return records, parser.next_page()

    def _from_dcat(self, graph: Any, ref: Any, d: dict[str, Any]) -> RemoteDataset:
        extras: dict[str, Any] = {}
        for e in d.get("extras") or []:
            value = e.get("value")
            if isinstance(value, str) and value.startswith("["):
                try:
                    value = json.loads(value)
                except ValueError:
                    pass
            extras[e["key"]] = value
        # under a scheming schema ckanext-dcat returns the same values as top-level fields
        for key, value in d.items():
            if key not in ("extras", "resources", "tags", "title", "notes", "url", "license_id", "name"):
                extras.setdefault(key, value)
        for period in _as_list(extras.pop("temporal_coverage", [])):
            if isinstance(period, dict):
                extras.setdefault("temporal_start", period.get("start"))
                extras.setdefault("temporal_end", period.get("end"))
        for contact in _as_list(extras.pop("contact", [])):
            if isinstance(contact, dict):
                extras.setdefault("contact_name", contact.get("name"))
                extras.setdefault("contact_email", contact.get("email"))
        for key in ("publisher", "creator", "spatial_coverage", "qualified_relation", "applicable_legislation"):
            if not extras.get(key):
                extras.pop(key, None)
        guid = str(extras.pop("identifier", "") or extras.get("uri") or ref)
        record = RemoteDataset(guid=guid, original_url=str(d.get("url") or extras.pop("uri", "") or ""))
        extras.pop("uri", None)
        titles = _by_language(graph, ref, DCTERMS.title)
        notes = _by_language(graph, ref, DCTERMS.description)
        record.title = titles.get("vi") or titles.get("") or d.get("title") or ""
        record.title_en = titles.get("en", "") if record.title != titles.get("en") else ""
        record.notes = notes.get("vi") or notes.get("") or d.get("notes") or ""
        record.notes_en = notes.get("en", "") if record.notes != notes.get("en") else ""
        record.tags = [t["name"] for t in d.get("tags") or []]
        record.topics = [str(t) for t in _as_list(extras.pop("theme", []))]
        record.update_frequency = str(extras.pop("frequency", "") or "")
        record.temporal_start = str(extras.pop("temporal_start", "") or "")
        record.temporal_end = str(extras.pop("temporal_end", "") or "")
        record.contact_name = str(extras.pop("contact_name", "") or "")
        record.contact_email = str(extras.pop("contact_email", "") or "")
        record.language = ",".join(str(v) for v in _as_list(extras.pop("language", [])))
        record.admin_units = [str(s) for s in _as_list(extras.pop("spatial_uri", []))]
        for key in ("publisher_name", "publisher_uri", "publisher_email", "publisher_url", "publisher_type",
                    "contact_uri", "access_rights", "issued", "modified"):
            extras.pop(key, None)
        record.extra = {k: v for k, v in extras.items() if v not in (None, "", [])}
        licenses = set()
        for r in d.get("resources") or []:
            record.resources.append({
                "url": r.get("download_url") or r.get("url") or r.get("access_url") or "",
                "name": r.get("name") or "", "description": r.get("description") or "",
                "format": r.get("format") or r.get("mimetype") or "",
            })
            if r.get("license"):
                licenses.add(r["license"])
        record.license = d.get("license_id") or (sorted(licenses)[0] if licenses else "")
        modified = graph.value(ref, DCTERMS.modified)
        record.remote_modified = str(modified or "")
        return record

    # -- DCAT-US data.json --------------------------------------------------------------------
    def _data_json(self, document: Any, url: str) -> Iterator[RemoteDataset]:
        if not isinstance(document, dict) or not isinstance(document.get("dataset"), list):
            raise SourceError(f"{url} is not a data.json catalogue (no \"dataset\" list)")
        for item in document["dataset"]:
            if not isinstance(item, dict) or not (item.get("identifier") or item.get("title")):
                raise SourceError(f"{url} holds a dataset entry without identifier or title")
            item = dict(item)
            record = RemoteDataset(guid=str(item.pop("identifier", None) or item.get("title")))
            record.title = str(item.pop("title", "") or "")
            record.notes = str(item.pop("description", "") or "")
            record.tags = [str(k) for k in _as_list(item.pop("keyword", []))]
            record.topics = [str(t) for t in _as_list(item.pop("theme", []))]
            record.update_frequency = str(item.pop("accrualPeriodicity", "") or "")
            record.license = str(item.pop("license", "") or "")
            record.original_url = str(item.pop("landingPage", "") or "")
            record.language = ",".join(str(v) for v in _as_list(item.pop("language", [])))
            record.remote_modified = str(item.pop("modified", "") or "")
            temporal = str(item.pop("temporal", "") or "")
            if "/" in temporal:
                record.temporal_start, record.temporal_end = temporal.split("/", 1)
            elif temporal:
                record.temporal_start = temporal
            contact = item.pop("contactPoint", None) or {}
            if isinstance(contact, dict):
                record.contact_name = str(contact.get("fn") or "")
                record.contact_email = str(contact.get("hasEmail") or "")
            spatial = item.pop("spatial", None)
            if spatial:
                record.admin_units = [str(s) for s in _as_list(spatial)]
            for distribution in _as_list(item.pop("distribution", [])):
                if isinstance(distribution, dict):
                    record.resources.append({
                        "url": distribution.get("downloadURL") or distribution.get("accessURL") or "",
                        "name": distribution.get("title") or "", "description": distribution.get("description") or "",
                        "format": distribution.get("format") or distribution.get("mediaType") or "",
                    })
            for key in ("@type", "accessLevel", "publisher", "bureauCode", "programCode", "issued"):
                item.pop(key, None)
            record.extra = item
            yield record


def _decode(content: bytes, url: str) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SourceError(f"{url} is not UTF-8 text") from error


def _as_list(value: Any) -> list[Any]:
    if value in (None, ""):
        return []
    return value if isinstance(value, list) else [value]


def _by_language(graph: Any, ref: Any, predicate: URIRef) -> dict[str, str]:
    found: dict[str, str] = {}
    for value in graph.objects(ref, predicate):
        if isinstance(value, Literal):
            found.setdefault((value.language or "").lower()[:2], str(value))
    return found
