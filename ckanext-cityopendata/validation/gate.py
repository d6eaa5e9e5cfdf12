"""Publication gate: a dataset whose tabular resources fail validation is not made public."""
from __future__ import annotations

import logging
from typing import Any

from ckan import model
from ckan.plugins import toolkit as tk

from ckanext.cityopendata.validation import jobs, store

log = logging.getLogger(__name__)


def publication_blockers(package_id: str) -> list[str]:
    """Why the dataset cannot be published yet under the configured gate mode (strict blocks,
    warn logs and lets it through, off ignores); empty means it can. The publishing workflow and
    ``check_going_public`` both ask this."""
    if mode() == "off":
        return []
    found = failures(package_id)
    if found and mode() == "warn":
        log.warning("dataset %s published despite validation: %s", package_id, "; ".join(found))
        return []
    return found


def failures(package_id: str) -> list[str]:
    """One sentence per tabular resource whose latest report failed or errored."""
    pkg = model.Package.get(package_id)
    if pkg is None:
        return []
    resources = {res.id: res for res in pkg.resources}
    tabular = [r["id"] for r in jobs.tabular_resources(pkg.id)]
    reports = store.for_resources(tabular)
    blockers = []
    for resource_id in tabular:
        row = reports.get(resource_id)
        if row is None:
            continue
        name = resources[resource_id].name or resource_id
        if row.status == "failure":
            total = sum((row.error_counts or {}).values())
            blockers.append(tk._("Resource \"{name}\" fails validation ({n} errors)").format(name=name, n=total))
        elif row.status == "error":
            blockers.append(
                tk._("Resource \"{name}\" could not be validated: {why}").format(name=name, why=row.message or "")
            )
    return blockers


def mode() -> str:
    return str(tk.config.get("ckanext.cityopendata.validation.gate") or "strict")


def check_going_public(data_dict: dict[str, Any]) -> None:
    """Raise a ValidationError when an update would make a failing private dataset public.

    A dataset created public has no validated resources yet (its jobs run after the call), so the
    gate applies when a private dataset is turned public, whichever action does it (package_update,
    package_patch, bulk_update_public)."""
    if mode() == "off" or "private" not in data_dict or tk.asbool(data_dict.get("private")):
        return
    ident = data_dict.get("id") or data_dict.get("name")
    pkg = model.Package.get(ident) if ident else None
    if pkg is None or not pkg.private:
        return
    blockers = publication_blockers(pkg.id)
    if not blockers:
        return
    raise tk.ValidationError({"private": [tk._("This dataset cannot be made public yet.")] + blockers})
