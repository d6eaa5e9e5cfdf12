"""Whether each resource's link answers: checked in a background job through the guarded fetch."""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Iterable

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from ckan import model
from ckan.plugins import toolkit as tk

from ckanext.cityopendata import net
from ckanext.cityopendata.portal.model import LinkCheck

log = logging.getLogger(__name__)


def _links(pkg_dict: dict[str, Any]) -> list[dict[str, Any]]:
    """Resources that link outside the portal (in a hook's dict a new resource may have no id yet:
    the job reads the committed dataset, where it has one)."""
    return [r for r in pkg_dict.get("resources") or [] if r.get("url") and r.get("url_type") != "upload"]


def schedule_check(pkg_dict: dict[str, Any]) -> None:
    """Queue a link check for a dataset that links to resources outside the portal."""
    if not tk.config.get("ckanext.cityopendata.portal.link_check") or not _links(pkg_dict):
        return
    from ckanext.cityopendata.jobs_after_commit import enqueue_after_commit

    # called from the dataset hooks, inside the change's transaction: the check must read what
    # was committed, and nothing if the change rolls back
    enqueue_after_commit(check_package, [pkg_dict["id"]], f"cityopendata-link-check-{pkg_dict['id']}",
                         f"cityopendata link check {pkg_dict['id']}")


def probe(url: str) -> tuple[bool, str]:
    """(answered, detail) for one URL; only http(s) to public addresses unless allow-listed."""
    policy = net.FetchPolicy.from_config()
    session = net.GuardedSession(policy)
    try:
        response = session.head(url, allow_redirects=True, timeout=policy.timeout)
        if response.status_code in (405, 501):  # servers that refuse HEAD
            response = session.get(url, stream=True, allow_redirects=True, timeout=policy.timeout)
            response.close()
        return response.status_code < 400, f"HTTP {response.status_code}"
    except net.FetchError as error:
        return False, str(error)
    except Exception as error:  # noqa: BLE001 - any failure is a broken link, recorded for people
        return False, type(error).__name__
    finally:
        session.close()


def check_package(package_id: str) -> dict[str, bool]:
    """Job: check every linked resource of a dataset, store the answers, re-index the dataset."""
    pkg = tk.get_action("package_show")({"ignore_auth": True}, {"id": package_id})
    results: dict[str, bool] = {}
    now = dt.datetime.now(dt.timezone.utc)
    for resource in _links(pkg):
        if not resource.get("id"):
            continue
        ok, detail = probe(resource["url"])
        results[resource["id"]] = ok
        statement = insert(LinkCheck.__table__).values(
            resource_id=resource["id"], package_id=package_id, ok=ok, detail=detail[:500], checked_at=now
        )
        model.Session.execute(statement.on_conflict_do_update(
            index_elements=["resource_id"], set_={"ok": ok, "detail": detail[:500], "checked_at": now}
        ))
    model.Session.commit()
    from ckan.lib.search import rebuild

    rebuild(package_id)
    return results


def last_results(resource_ids: Iterable[str]) -> dict[str, bool]:
    """The stored answer for each resource id that was checked (a connection of its own, so that
    reading it while a dataset is indexed cannot disturb the transaction that indexes it)."""
    ids = list(resource_ids)
    if not ids:
        return {}
    table = LinkCheck.__table__
    try:
        with model.meta.engine.connect() as connection:
            rows = connection.execute(sa.select(table.c.resource_id, table.c.ok).where(table.c.resource_id.in_(ids)))
            return {row.resource_id: row.ok for row in rows}
    except sa.exc.ProgrammingError:  # table not migrated yet (a portal without our migration)
        log.warning("cityopendata_link_check is missing: run `ckan db pending-migrations --apply`")
        return {}
