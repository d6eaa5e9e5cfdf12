"""Personal-data screening: flags columns that look like citizens' personal data.

Vietnam's personal data protection law (in force since 1 January 2026) makes publishing ID
numbers, phone numbers, e-mail addresses, personal tax codes or dates of birth of named people a
breach. The screen streams at most ``ckanext.cityopendata.screening.max_rows`` rows of a CSV or
XLSX file and reports, per column, the kind of data, how many cells matched and a masked sample;
a raw value is never stored, logged or shown.
"""
from __future__ import annotations

import codecs
import csv
import hashlib
import logging
import os
import re
import tempfile
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Optional

from ckan import model
from ckan.plugins import toolkit as tk

from ckanext.cityopendata.publishing.helpers import N_
from ckanext.cityopendata.publishing.model import ScreeningFinding, ScreeningRun, now
from ckanext.cityopendata.text import fold

log = logging.getLogger(__name__)

KINDS = {
    "citizen_id": N_("Citizen ID number (CCCD, 12 digits)"),
    "old_id": N_("Identity card number (CMND, 9 digits)"),
    "phone": N_("Phone number"),
    "email": N_("E-mail address"),
    "tax_code": N_("Personal tax code"),
    "date_of_birth": N_("Date of birth next to names"),
}
MIN_SHARE = 0.3

_CCCD = re.compile(r"^0\d{11}$")
_CMND = re.compile(r"^\d{9}$")
_PHONE = re.compile(r"^(?:\+?84|0)(?:[35789]\d{8}|2\d{9})$")
_PHONE_NOISE = re.compile(r"[\s.\-()]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_TAX = re.compile(r"^\d{10}(?:-\d{3})?$")
_DATE = re.compile(r"^(?:\d{1,2}[/.\-]\d{1,2}[/.\-](?:19|20)\d{2}|(?:19|20)\d{2}-\d{2}-\d{2})(?:[ T].*)?$")

_NAME_HEADERS = ("ho ten", "ho va ten", "hoten", "ho_ten", "full name", "fullname", "name", "ten", "nguoi")
_TAX_HEADERS = ("ma so thue", "mst", "tax")
_BIRTH_HEADERS = ("ngay sinh", "nam sinh", "sinh ngay", "birth", "dob")


@dataclass
class Finding:
    column: str
    kind: str
    count: int
    sample: str


def mask(value: str, kind: str) -> str:
    """A sample a reviewer can recognise without learning the value."""
    value = value.strip()
    if kind == "email":
        local, _, domain = value.partition("@")
        host, _, tld = domain.rpartition(".")
        return f"{local[:1]}***@{host[:1]}***.{tld}"
    if kind == "date_of_birth":
        return re.sub(r"\d", "*", value)
    digits = value if kind != "phone" else _PHONE_NOISE.sub("", value)
    if len(digits) <= 4:
        return "*" * len(digits)
    return digits[:2] + "*" * (len(digits) - 4) + digits[-2:]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


def _kinds_of(value: str) -> list[str]:
    kinds = []
    if _CCCD.match(value) and 1 <= int(value[:3]) <= 96:
        kinds.append("citizen_id")
    if _CMND.match(value):
        kinds.append("old_id")
    if _PHONE.match(_PHONE_NOISE.sub("", value)) and not _CCCD.match(value):
        kinds.append("phone")
    if "@" in value and _EMAIL.match(value):
        kinds.append("email")
    return kinds


def _header_has(header: str, hints: Iterable[str]) -> bool:
    folded = fold(header or "").replace("_", " ").strip()
    return any(folded == hint or f" {hint} " in f" {folded} " for hint in hints)


def screen_rows(header: list[str], rows: Iterable[list[Any]]) -> tuple[list[Finding], int]:
    """Findings for a table given as a header and rows; returns (findings, rows read)."""
    width = len(header)
    counts = [Counter() for _ in range(width)]  # type: list[Counter[str]]
    samples: list[dict[str, str]] = [{} for _ in range(width)]
    non_empty = [0] * width
    has_name = any(_header_has(h, _NAME_HEADERS) for h in header)
    tax_columns = {i for i, h in enumerate(header) if _header_has(h, _TAX_HEADERS)}
    birth_columns = {i for i, h in enumerate(header) if _header_has(h, _BIRTH_HEADERS)}
    read = 0
    for row in rows:
        read += 1
        for i in range(min(width, len(row))):
            value = _cell(row[i])
            if not value:
                continue
            non_empty[i] += 1
            kinds = _kinds_of(value)
            if i in tax_columns and _TAX.match(value):
                kinds.append("tax_code")
            if i in birth_columns and _DATE.match(value):
                kinds.append("date_of_birth")
            for kind in kinds:
                counts[i][kind] += 1
                samples[i].setdefault(kind, mask(value, kind))
    findings = []
    for i, column_counts in enumerate(counts):
        for kind, count in column_counts.items():
            if kind in ("tax_code", "date_of_birth") and not has_name:
                continue
            if count >= max(1, MIN_SHARE * non_empty[i]):
                findings.append(Finding(header[i] or f"#{i + 1}", kind, count, samples[i][kind]))
    return findings, read


def _limited(rows: Iterator[list[Any]], limit: int) -> Iterator[list[Any]]:
    for n, row in enumerate(rows):
        if n >= limit:
            return
        yield row


def read_csv(path: str, limit: int) -> tuple[list[str], Iterator[list[Any]]]:
    with open(path, "rb") as raw:
        head = raw.read(64 * 1024)
    encoding = "utf-8-sig"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 4:  # a cut multi-byte character at the end is fine
            encoding = "cp1258"
    stream = codecs.open(path, "r", encoding=encoding, errors="replace")
    csv.field_size_limit(1024 * 1024)
    try:
        dialect = csv.Sniffer().sniff(head.decode(encoding, errors="replace")[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel  # type: ignore[assignment]
    reader = csv.reader(stream, dialect)
    header = next(reader, [])

    def rows() -> Iterator[list[Any]]:
        try:
            yield from _limited(reader, limit)
        finally:
            stream.close()

    return [h.strip() for h in header], rows()


def read_xlsx(path: str, limit: int) -> tuple[list[str], Iterator[list[Any]]]:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    sheet = book.worksheets[0]
    values = sheet.iter_rows(values_only=True, max_row=limit + 1)
    header = [_cell(h) for h in next(values, ())]

    def rows() -> Iterator[list[Any]]:
        try:
            yield from (list(r) for r in values)
        finally:
            book.close()

    return header, rows()


def fingerprint(resource: dict[str, Any]) -> str:
    parts = [resource.get(k) or "" for k in ("url", "last_modified", "size", "hash", "metadata_modified")]
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def _format_of(resource: dict[str, Any], path: str) -> Optional[str]:
    fmt = (resource.get("format") or "").strip().lower()
    url = (resource.get("url") or "").lower().split("?")[0]
    if fmt in ("xlsx", "xlsm") or url.endswith((".xlsx", ".xlsm")):
        return "xlsx"
    if fmt in ("csv", "tsv", "txt") or url.endswith((".csv", ".tsv")):
        return "csv"
    with open(path, "rb") as f:
        magic = f.read(4)
    return "xlsx" if magic == b"PK\x03\x04" else None


def _local_copy(resource: dict[str, Any]) -> tuple[str, bool]:
    """The file of a resource on disk: the upload itself, or a guarded download (temporary)."""
    if resource.get("url_type") == "upload":
        from ckan.lib.uploader import get_resource_uploader

        return get_resource_uploader(resource).get_path(resource["id"]), False
    from ckanext.cityopendata.net import FetchPolicy, fetch_guarded

    handle, path = tempfile.mkstemp(prefix="cityopendata-screen-")
    with os.fdopen(handle, "wb") as dest:
        fetch_guarded(resource["url"], FetchPolicy.from_config(), dest=dest)
    return path, True


def screen_file(path: str, fmt: str, limit: int) -> tuple[list[Finding], int]:
    header, rows = read_xlsx(path, limit) if fmt == "xlsx" else read_csv(path, limit)
    return screen_rows(header, rows)


def screen_resource(resource_id: str) -> dict[str, Any]:
    """Screen one resource and store its findings; acceptances of findings still present stay."""
    resource = tk.get_action("resource_show")({"ignore_auth": True}, {"id": resource_id})
    limit = int(tk.config.get("ckanext.cityopendata.screening.max_rows"))
    status, error, findings, read = "done", None, [], 0
    path, temporary = "", False
    try:
        path, temporary = _local_copy(resource)
        fmt = _format_of(resource, path)
        if fmt is None:
            status = "skipped"
        else:
            findings, read = screen_file(path, fmt, limit)
    except Exception as failure:  # a broken file must not hide the resource from the gate
        log.warning("screening of resource %s failed: %s", resource_id, type(failure).__name__)
        status, error = "error", f"{type(failure).__name__}: {str(failure)[:300]}"
    finally:
        if temporary and path:
            os.unlink(path)
    _store(resource, status, error, findings, read)
    return {"resource_id": resource_id, "status": status, "error": error, "rows": read,
            "findings": [f.__dict__ for f in findings]}


def _store(resource: dict[str, Any], status: str, error: Optional[str], findings: list[Finding], read: int) -> None:
    run = model.Session.get(ScreeningRun, resource["id"])
    if run is None:
        run = ScreeningRun(resource_id=resource["id"], package_id=resource["package_id"])
        model.Session.add(run)
    run.fingerprint, run.status, run.error, run.rows, run.checked_at = fingerprint(resource), status, error, read, now()
    existing = {
        (f.column, f.kind): f
        for f in model.Session.query(ScreeningFinding).filter(ScreeningFinding.resource_id == resource["id"])
    }
    seen = set()
    for found in findings:
        key = (found.column, found.kind)
        seen.add(key)
        row = existing.get(key)
        if row is None:
            row = ScreeningFinding(resource_id=resource["id"], package_id=resource["package_id"],
                                   column=found.column, kind=found.kind)
            model.Session.add(row)
        row.count, row.sample, row.active, row.checked_at = found.count, found.sample, True, now()
    for key, row in existing.items():
        if key not in seen:
            row.active = False
    model.repo.commit()


def _resources(package_id: str) -> list[dict[str, Any]]:
    pkg = tk.get_action("package_show")({"ignore_auth": True}, {"id": package_id})
    return list(pkg.get("resources") or [])


def ensure_screened(package_id: str) -> None:
    """Screen now every resource whose file changed since its last screening."""
    for resource in _resources(package_id):
        run = model.Session.get(ScreeningRun, resource["id"])
        if run is None or run.fingerprint != fingerprint(resource):
            screen_resource(resource["id"])


def findings_of(package_id: str, include_inactive: bool = False) -> list[ScreeningFinding]:
    resource_ids = [r["id"] for r in _resources(package_id)]
    if not resource_ids:
        return []
    query = model.Session.query(ScreeningFinding).filter(ScreeningFinding.resource_id.in_(resource_ids))
    if not include_inactive:
        query = query.filter(ScreeningFinding.active.is_(True))
    return query.order_by(ScreeningFinding.resource_id, ScreeningFinding.column).all()


def blockers(package_id: str) -> list[str]:
    ensure_screened(package_id)
    messages = []
    for finding in findings_of(package_id):
        if not finding.accepted:
            messages.append(
                tk._("Column “{column}” holds personal data ({kind}): {count} cells, e.g. {sample}").format(
                    column=finding.column, kind=tk._(KINDS.get(finding.kind, finding.kind)),
                    count=finding.count, sample=finding.sample,
                )
            )
    for resource in _resources(package_id):
        run = model.Session.get(ScreeningRun, resource["id"])
        if run is not None and run.status == "error":
            messages.append(tk._("The file of “{name}” could not be screened for personal data: {error}").format(
                name=resource.get("name") or resource["id"], error=run.error))
    return messages


def accept(finding_id: str, user: str, reason: str) -> ScreeningFinding:
    finding = model.Session.get(ScreeningFinding, finding_id)
    if finding is None:
        raise tk.ObjectNotFound(tk._("No such screening finding"))
    finding.accepted, finding.accepted_by, finding.accepted_reason, finding.accepted_at = True, user, reason, now()
    model.repo.commit()
    return finding


def screen_resource_job(resource_id: str) -> None:
    """Background job: screen a resource after its file changed (idempotent)."""
    try:
        screen_resource(resource_id)
    finally:
        model.Session.remove()


def enqueue(resource_id: str) -> None:
    """Queue the screening of a resource for when its change is committed."""
    from ckanext.cityopendata.jobs_after_commit import enqueue_after_commit

    enqueue_after_commit(screen_resource_job, [resource_id], f"cityopendata-screening-{resource_id}",
                         f"cityopendata screening {resource_id}")
