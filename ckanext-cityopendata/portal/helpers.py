"""Template helpers of the portal pages."""
from __future__ import annotations

import json
import re
from typing import Any, Optional

from ckan.plugins import toolkit as tk

from ckanext.cityopendata.metadata.search import TOPICS
from ckanext.cityopendata.portal import indexing, quality, usage

__all__ = [
    "cityopendata_portal_theme",
    "cityopendata_portal_home",
    "cityopendata_portal_quality",
    "cityopendata_portal_may_see_workflow",
    "cityopendata_portal_field",
    "cityopendata_portal_dataset_validation",
    "cityopendata_portal_api_examples",
    "cityopendata_portal_validation_badge",
    "cityopendata_portal_table_schema_link",
    "cityopendata_portal_usage",
    "cityopendata_portal_json",
    "cityopendata_portal_other_locale_url",
    "cityopendata_portal_workflow_label",
    "cityopendata_portal_dashboard_charts",
    "cityopendata_portal_harvest_label",
]

COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def cityopendata_portal_theme() -> dict[str, str]:
    """The city's name, logo and colours from config (colours checked, so they are safe in CSS)."""
    def colour(key: str, default: str) -> str:
        value = (tk.config.get(key) or "").strip()
        return value if COLOUR.match(value) else default

    return {
        "city": tk.h.cityopendata_city_name(),
        "logo": tk.config.get("ckanext.cityopendata.portal.logo") or "",
        "primary": colour("ckanext.cityopendata.portal.primary_colour", "#0b5394"),
        "accent": colour("ckanext.cityopendata.portal.accent_colour", "#b45f06"),
    }


def _public_search(**data_dict: Any) -> dict[str, Any]:
    return tk.get_action("package_search")({"user": tk.current_user.name if tk.current_user else ""}, data_dict)


def cityopendata_portal_home() -> dict[str, Any]:
    """What the home page shows: topic tiles, newest and most used datasets, agencies, all counted."""
    facets = _public_search(q="*:*", rows=6, sort="metadata_created desc",
                            **{"facet.field": [TOPICS, "organization"], "facet.limit": -1})
    search_facets = facets.get("search_facets", {})
    # The schemas plugin labels the facet items (display_name) in the reader's language.
    topics = sorted(search_facets.get(TOPICS, {}).get("items", []), key=lambda i: (-i["count"], i["display_name"]))
    agencies = sorted(search_facets.get("organization", {}).get("items", []), key=lambda i: -i["count"])
    most_used: list[dict[str, Any]] = []
    try:
        ranked = usage.most_used_ids(limit=12)
    except Exception:  # noqa: BLE001 - no usage table yet: the section is simply empty
        ranked = []
    if ranked:
        ids = " OR ".join(f'"{i}"' for i, _ in ranked)
        found = {d["id"]: d for d in _public_search(fq=f"id:({ids})", rows=len(ranked))["results"]}
        most_used = [dict(found[i], usage_total=n) for i, n in ranked if i in found][:6]
    return {
        "count": facets.get("count", 0),
        "topics": [{"code": i["name"], "label": i["display_name"], "count": i["count"]} for i in topics],
        "newest": facets.get("results", []),
        "most_used": most_used,
        "agencies": agencies,
    }


def _as_stored(pkg: dict[str, Any]) -> dict[str, Any]:
    """The dataset as package_show gives it outside a page: on pages, plugins such as ckanext-dcat
    rename extras into display labels (for_view), which would hide them from the score."""
    from flask import g

    cache = g.setdefault("cityopendata_portal_datasets", {})
    if pkg["id"] not in cache:
        try:
            cache[pkg["id"]] = tk.get_action("package_show")(
                {"user": tk.current_user.name if tk.current_user else ""}, {"id": pkg["id"]})
        except (tk.ObjectNotFound, tk.NotAuthorized):
            cache[pkg["id"]] = pkg
    return cache[pkg["id"]]


def cityopendata_portal_quality(pkg: dict[str, Any]) -> dict[str, Any]:
    reasons = indexing.reasons_for(_as_stored(pkg))
    return {"score": quality.score(reasons), "max": quality.MAX_SCORE,
            "reasons": quality.reasons_for_display(reasons)}


def cityopendata_portal_may_see_workflow(pkg: dict[str, Any]) -> bool:
    try:
        tk.check_access("package_update", {"user": tk.current_user.name if tk.current_user else ""}, {"id": pkg["id"]})
        return True
    except (tk.NotAuthorized, tk.ObjectNotFound):
        return False


def cityopendata_portal_field(pkg: dict[str, Any], key: str) -> Any:
    """A key another feature adds to the dataset (validation_status, workflow_state): top-level, or
    an extra, since the dataset schema does not declare it."""
    if pkg.get(key) is not None:
        return pkg[key]
    stored = _as_stored(pkg)
    return stored.get(key) or next((e.get("value") for e in stored.get("extras") or [] if e.get("key") == key), None)


def cityopendata_portal_dataset_validation(pkg: dict[str, Any]) -> Optional[str]:
    """The dataset's validation status: package_show carries it per resource only (the validation
    feature indexes the dataset-level value), so it is the worst of the resources', as indexed."""
    status = cityopendata_portal_field(pkg, "validation_status")
    if status is not None:
        return status
    statuses = [r.get("validation_status") for r in pkg.get("resources") or []]
    if not any(statuses):
        return None
    from ckanext.cityopendata.validation.store import dataset_status

    return dataset_status(statuses)


def cityopendata_portal_validation_badge(status: Optional[str]) -> dict[str, str]:
    """Label and colour class of a validation status (absent means not validated)."""
    badges = {
        "success": (tk._("Valid"), "bg-success"),
        "failure": (tk._("Invalid"), "bg-danger"),
        "error": (tk._("Validation error"), "bg-danger"),
        "pending": (tk._("Validation pending"), "bg-secondary"),
    }
    label, css = badges.get(status or "", (tk._("Not validated"), "bg-secondary"))
    return {"label": label, "css": css, "status": status or "none"}


def cityopendata_portal_table_schema_link(value: Optional[str]) -> dict[str, str]:
    """Where a resource's Table Schema can be read: its page in the city's catalogue, or its URL."""
    if not value:
        return {}
    return {"label": value, "url": tk.h.cityopendata_table_schema_page(value) or ""}


def cityopendata_portal_api_examples(pkg: dict[str, Any]) -> dict[str, str]:
    """Ready-to-copy examples of the CKAN API and the DataStore for one dataset."""
    site = tk.config.get("ckan.site_url").rstrip("/")
    name = pkg["name"]
    resource = next((r for r in pkg.get("resources") or [] if r.get("datastore_active")), None)
    resource = resource or next(iter(pkg.get("resources") or []), None)
    rid = resource["id"] if resource else "RESOURCE_ID"
    return {
        "curl": (
            f"curl '{site}/api/3/action/package_show?id={name}'\n"
            f"curl '{site}/api/3/action/datastore_search?resource_id={rid}&limit=5'"
        ),
        "python": (
            "from ckanapi import RemoteCKAN\n\n"
            f"portal = RemoteCKAN('{site}')\n"
            f"dataset = portal.action.package_show(id='{name}')\n"
            f"rows = portal.action.datastore_search(resource_id='{rid}', limit=5)['records']\n"
            "print(dataset['title'], len(rows))"
        ),
        "javascript": (
            f"const base = '{site}/api/3/action';\n"
            f"const dataset = (await (await fetch(`${{base}}/package_show?id={name}`)).json()).result;\n"
            f"const rows = (await (await fetch(`${{base}}/datastore_search?resource_id={rid}&limit=5`)).json())"
            ".result.records;\n"
            "console.log(dataset.title, rows.length);"
        ),
    }


def cityopendata_portal_usage(pkg: dict[str, Any]) -> dict[str, int]:
    try:
        return usage.per_dataset(pkg["id"])
    except Exception:  # noqa: BLE001 - no usage table yet
        return {"downloads": 0, "api_calls": 0}


def cityopendata_portal_json(value: Any) -> str:
    """JSON safe to put inside a <script type="application/json"> element."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def cityopendata_portal_other_locale_url() -> dict[str, str]:
    """The current page in the other language (vi <-> en)."""
    from flask import request

    current = tk.h.lang()
    other = "en" if current == "vi" else "vi"
    path = request.full_path if request.query_string else request.path
    if path.startswith(f"/{current}/"):
        path = path[len(current) + 1:]
    default = tk.config.get("ckan.locale_default") or "en"
    url = path if other == default else f"/{other}{path}"
    return {"locale": other, "url": url, "label": "English" if other == "en" else "Tiếng Việt"}


def cityopendata_portal_workflow_label(state: str) -> str:
    labels = {
        "draft": tk._("Draft"),
        "submitted": tk._("In review"),
        "returned": tk._("Returned for changes"),
        "published": tk._("Published"),
        "withdrawn": tk._("Withdrawn"),
    }
    return labels.get(state, state)


def cityopendata_portal_dashboard_charts(board: dict[str, Any]) -> dict[str, Any]:
    """The figures the dashboard's charts draw (Chart.js reads them from the page)."""
    shares = board["shares"]
    top = sorted(board["agencies"], key=lambda a: -a["published"])[:20]
    series = [("published", tk._("Published")), ("valid", tk._("Valid")), ("overdue", tk._("Overdue"))]
    if board["detail"]:
        series.append(("in_review", tk._("In review")))
    return {
        "shares": {
            "title": tk._("Share (%)"),
            "labels": [tk._("Agencies publishing"), tk._("Valid"), tk._("Up to date"), tk._("Synced nationally")],
            "values": [shares["agencies_publishing"], shares["valid"], shares["up_to_date"], shares["synced"]],
        },
        "agencies": {
            "labels": [a["title"] for a in top],
            "series": [{"label": label, "values": [a.get(key) or 0 for a in top]} for key, label in series],
        },
    }


def cityopendata_portal_harvest_label(state: Optional[str]) -> str:
    """The harvest health of an agency in words."""
    labels = {"ok": tk._("ok"), "errors": tk._("errors"), "never run": tk._("never run"), "none": tk._("none")}
    return labels.get(state or "none", state or "")
