"""Downloads and API calls per dataset and agency, counted per day; no personal data is stored."""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Optional

import sqlalchemy as sa
from flask import Response, request
from sqlalchemy.dialects.postgresql import insert

from ckan import model
from ckan.plugins import toolkit as tk

from ckanext.cityopendata.portal.model import Usage

log = logging.getLogger(__name__)

# API actions that read a dataset's data or metadata, and the parameter naming it.
COUNTED_ACTIONS = {
    "package_show": "id",
    "resource_show": "id",
    "datastore_search": "resource_id",
    "datastore_info": "id",
}


def _param(name: str) -> Optional[str]:
    value = request.args.get(name)
    if value is None and request.is_json:
        body = request.get_json(silent=True)
        if isinstance(body, dict):
            value = body.get(name)
    return value if isinstance(value, str) else None


def _dataset_of(action: str, ident: str) -> Optional[tuple[str, Optional[str]]]:
    """(package id, owner org) of the dataset a request is about, if it is a public dataset."""
    if action == "package_show":
        pkg = model.Package.get(ident)
    else:
        resource = model.Resource.get(ident)
        pkg = model.Package.get(resource.package_id) if resource else None
    if pkg is None or pkg.private or pkg.state != "active":
        return None
    return pkg.id, pkg.owner_org


def record(package_id: str, owner_org: Optional[str], downloads: int = 0, api_calls: int = 0) -> None:
    """Add to today's counters of a dataset, on a connection of its own."""
    today = dt.datetime.now(dt.timezone.utc).date()
    table = Usage.__table__
    statement = insert(table).values(
        package_id=package_id, day=today, owner_org=owner_org, downloads=downloads, api_calls=api_calls
    ).on_conflict_do_update(
        index_elements=["package_id", "day"],
        set_={"downloads": table.c.downloads + downloads, "api_calls": table.c.api_calls + api_calls},
    )
    with model.meta.engine.begin() as connection:
        connection.execute(statement)


def count_request(response: Response) -> Response:
    """after_app_request hook: count successful downloads and dataset API reads."""
    if response.status_code >= 400 or not tk.config.get("ckanext.cityopendata.portal.count_usage"):
        return response
    try:
        endpoint = request.endpoint or ""
        if endpoint.endswith("resource.download") or endpoint == "resource.download":
            found = _dataset_of("resource_show", (request.view_args or {}).get("resource_id", ""))
            if found:
                record(*found, downloads=1)
        elif endpoint in ("api.action", "api.action_ver"):
            action = (request.view_args or {}).get("logic_function", "")
            key = COUNTED_ACTIONS.get(action)
            ident = _param(key) if key else None
            found = _dataset_of(action, ident) if ident else None
            if found:
                record(*found, api_calls=1)
    except sa.exc.SQLAlchemyError:
        log.exception("could not count usage")  # counting must never break a download
    return response


def most_used_ids(limit: int = 5, since_days: int = 90) -> list[tuple[str, int]]:
    """The datasets with most downloads plus API calls in the period, best first."""
    table = Usage.__table__
    since = dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=since_days)
    total = sa.func.sum(table.c.downloads + table.c.api_calls).label("total")
    query = (
        sa.select(table.c.package_id, total).where(table.c.day >= since)
        .group_by(table.c.package_id).order_by(total.desc()).limit(limit)
    )
    with model.meta.engine.connect() as connection:
        return [(row.package_id, int(row.total)) for row in connection.execute(query)]


def per_agency() -> dict[str, dict[str, int]]:
    """{organization id: {"downloads": n, "api_calls": n}} over all time."""
    table = Usage.__table__
    query = sa.select(
        table.c.owner_org, sa.func.sum(table.c.downloads).label("d"), sa.func.sum(table.c.api_calls).label("a")
    ).group_by(table.c.owner_org)
    with model.meta.engine.connect() as connection:
        return {
            row.owner_org: {"downloads": int(row.d or 0), "api_calls": int(row.a or 0)}
            for row in connection.execute(query) if row.owner_org
        }


def per_dataset(package_id: str) -> dict[str, Any]:
    table = Usage.__table__
    query = sa.select(sa.func.sum(table.c.downloads), sa.func.sum(table.c.api_calls)).where(
        table.c.package_id == package_id
    )
    with model.meta.engine.connect() as connection:
        downloads, api_calls = connection.execute(query).one()
    return {"downloads": int(downloads or 0), "api_calls": int(api_calls or 0)}
