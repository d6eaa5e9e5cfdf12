"""Maps a city dataset (our schema) to the neutral form a national target receives."""
from __future__ import annotations

from typing import Any

from ckan.plugins import toolkit as tk

from ckanext.cityopendata.publishing.fields import value_of
from ckanext.cityopendata.publishing.interfaces import NationalDataset

EXTRA_FIELDS = ("title_en", "notes_en", "update_frequency", "legal_basis", "language",
                "temporal_start", "temporal_end", "original_url")
LIST_FIELDS = ("topics", "admin_units")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def to_national(pkg: dict[str, Any]) -> NationalDataset:
    site = tk.config.get("ckan.site_url").rstrip("/")
    prefix = tk.config.get("ckanext.cityopendata.national.name_prefix") or ""
    org = pkg.get("organization") or {}
    extras = {key: _text(value_of(pkg, key)) for key in EXTRA_FIELDS + LIST_FIELDS if value_of(pkg, key) is not None}
    extras["city_portal"] = site
    extras["city_dataset_id"] = pkg["id"]
    resources = [
        {
            "name": r.get("name") or "",
            "description": r.get("description") or "",
            "format": r.get("format") or "",
            "url": r.get("url") or "",
            "city_resource_id": r["id"],
        }
        for r in pkg.get("resources") or []
        if r.get("url")
    ]
    return NationalDataset(
        source_id=pkg["id"],
        name=(prefix + pkg["name"])[:100],
        title=pkg.get("title") or pkg["name"],
        notes=pkg.get("notes") or "",
        agency_name=(prefix + (org.get("name") or "agency"))[:100],
        agency_title=org.get("title") or org.get("name") or "",
        agency_description=org.get("description") or "",
        license_id=pkg.get("license_id") or "",
        tags=[t["name"] for t in pkg.get("tags") or []],
        landing_page=f"{site}/dataset/{pkg['name']}",
        contact_name=_text(value_of(pkg, "contact_name")),
        contact_email=_text(value_of(pkg, "contact_email")),
        extras=extras,
        resources=resources,
    )
