"""Reacting to core events: queue validations after dataset/resource changes; statuses in show/index."""
from __future__ import annotations

import logging
from typing import Any

from ckan.plugins import toolkit as tk

from ckanext.cityopendata.validation import detect, jobs, store

log = logging.getLogger(__name__)

WATCHED = (
    "package_create", "package_update", "package_patch", "package_revise",
    "resource_create", "resource_update", "resource_patch",
)


def signal_subscriptions() -> dict[Any, list[Any]]:
    return {tk.signals.action_succeeded: [{"sender": name, "receiver": on_change} for name in WATCHED]}


def on_change(sender: str, **kwargs: Any) -> None:
    """After a change is committed, queue the validations it calls for (by fingerprint, so once)."""
    context = kwargs.get("context") or {}
    if context.get("defer_commit"):
        return  # an outer action commits and signals later
    result = kwargs.get("result")
    data_dict = kwargs.get("data_dict") or {}
    if sender.startswith("resource_"):
        package_id = (result or {}).get("package_id") if isinstance(result, dict) else None
        package_id = package_id or data_dict.get("package_id")
    elif isinstance(result, dict):
        package_id = result.get("id")
    else:
        package_id = result if isinstance(result, str) else data_dict.get("id")
    if not package_id:
        return
    try:
        jobs.consider_dataset(package_id)
    except Exception:  # queueing must never break the edit the person just made; recorded in the log
        log.exception("could not queue validation for dataset %s", package_id)


def add_resource_statuses(pkg_dict: dict[str, Any]) -> None:
    resources = pkg_dict.get("resources") or []
    if not resources:
        return
    reports = store.for_resources(r["id"] for r in resources if r.get("id"))
    for res in resources:
        row = reports.get(res.get("id", ""))
        if row is not None:
            res["validation_status"] = row.status
        elif detect.tabular_format(res.get("format"), res.get("url")):
            res["validation_status"] = "none"


def index_dataset_status(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    import json

    resources: list[dict[str, Any]] = []
    raw = pkg_dict.get("validated_data_dict") or pkg_dict.get("data_dict")
    if raw:
        try:
            resources = json.loads(raw).get("resources") or []
        except ValueError:
            resources = []
    tabular = [r["id"] for r in resources if detect.tabular_format(r.get("format"), r.get("url"))]
    reports = store.for_resources(tabular)
    pkg_dict["validation_status"] = store.dataset_status(
        reports[i].status if i in reports else None for i in tabular
    )
    return pkg_dict
