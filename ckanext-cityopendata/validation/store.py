"""Reading and writing validation reports."""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterable, Optional

from ckan import model

from ckanext.cityopendata.validation.model import ValidationReport

LEVELS = ("failure", "error", "pending", "success")


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def get(resource_id: str) -> Optional[ValidationReport]:
    return model.Session.get(ValidationReport, resource_id)


def for_resources(resource_ids: Iterable[str]) -> dict[str, ValidationReport]:
    ids = list(resource_ids)
    if not ids:
        return {}
    rows = model.Session.query(ValidationReport).filter(ValidationReport.resource_id.in_(ids))
    return {row.resource_id: row for row in rows}


def mark_pending(resource_id: str, package_id: str, fingerprint: str,
                 row: Optional[ValidationReport] = None, looked_up: bool = False) -> ValidationReport:
    """Mark the resource's report pending; ``looked_up`` says ``row`` is already its current row."""
    if not looked_up:
        row = get(resource_id)
    if row is None:
        row = ValidationReport(resource_id=resource_id, package_id=package_id, created=now())
        model.Session.add(row)
    row.package_id = package_id
    row.status = "pending"
    row.fingerprint = fingerprint
    row.message = None
    return row


def save_report(row: ValidationReport, report: dict[str, Any]) -> None:
    row.status = report["status"]
    row.file_hash = report.get("hash")
    row.format = report.get("format")
    row.encoding = report.get("encoding")
    row.rows = report.get("rows")
    row.bytes = report.get("bytes")
    row.error_counts = report.get("error_counts") or {}
    row.errors = report.get("errors") or []
    row.warnings = report.get("warnings") or {}
    row.table_schema = report.get("schema") or {}
    row.details = {
        k: report.get(k)
        for k in ("encoding_label", "delimiter", "warning_examples", "header", "source_url")
        if report.get(k) is not None
    }
    row.details["final_status"] = report["status"]
    row.message = report.get("message")
    row.duration = report.get("duration")
    row.finished = now()


def dataset_status(statuses: Iterable[Optional[str]]) -> str:
    """The dataset's status from its tabular resources': the worst one, or none."""
    present = {s for s in statuses if s}
    for level in LEVELS:
        if level in present or (level == "pending" and "running" in present):
            return level
    return "none"
