"""The quality score of a dataset (0-100) and the reason for each point, in vi and en.

The score is computed from the dataset dict alone (plus the stored link checks), so the same
function serves the search index (``before_dataset_index``) and the dataset page.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from typing import Any, Callable, Iterable, Optional

from ckan.plugins import toolkit as tk

# Formats a machine can read without proprietary software.
OPEN_MACHINE_FORMATS = frozenset(
    {"CSV", "TSV", "JSON", "GEOJSON", "JSONL", "NDJSON", "XML", "RDF", "TTL", "JSON-LD", "ODS",
     "PARQUET", "GPKG", "KML", "GML", "WMS", "WFS", "API", "SHP", "TXT"}
)

# Days a dataset of each declared update frequency may go without an update, grace included.
FREQUENCY_DAYS: dict[str, Optional[int]] = {
    "realtime": 2,
    "daily": 3,
    "weekly": 10,
    "monthly": 35,
    "quarterly": 100,
    "yearly": 380,
    "irregular": None,
}


@dataclass(frozen=True)
class Criterion:
    code: str
    points: int
    label: str  # English source text, translated with toolkit._ where shown
    explanation: str


def _(text: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return text


CRITERIA: tuple[Criterion, ...] = (
    Criterion("description_vi", 10, _("Description in Vietnamese"),
              _("The dataset has a description in Vietnamese of at least 30 characters.")),
    Criterion("description_en", 5, _("Description in English"),
              _("The dataset also has a description in English.")),
    Criterion("open_licence", 10, _("Open licence"),
              _("The licence is an open licence (Open Definition conformant).")),
    Criterion("temporal_coverage", 10, _("Temporal coverage"),
              _("The period the data covers is given (start date, and end date when it has ended).")),
    Criterion("admin_units", 10, _("Administrative units"),
              _("The administrative units (wards, communes) the data covers are given.")),
    Criterion("update_frequency", 5, _("Declared update frequency"),
              _("The agency declares how often the data is updated.")),
    Criterion("on_time", 10, _("Updated on time"),
              _("The last update is within the declared update frequency.")),
    Criterion("open_formats", 10, _("Machine-readable open formats"),
              _("Every resource is in a machine-readable open format such as CSV, JSON or GeoJSON.")),
    Criterion("schema_valid", 10, _("Valid against its Table Schema"),
              _("Every tabular resource declares a Table Schema and passes validation against it.")),
    Criterion("reachable", 10, _("Resources reachable"),
              _("Every resource can be downloaded (uploaded files, or links that answered the last check).")),
    Criterion("contact_point", 10, _("Contact point"),
              _("A contact e-mail address for questions about the data is given.")),
)

MAX_SCORE = sum(c.points for c in CRITERIA)


@dataclass
class Reason:
    code: str
    points: int
    max_points: int
    met: bool
    detail: str = ""


def _text(pkg: dict[str, Any], key: str) -> str:
    value = pkg.get(key)
    if value is None:
        for extra in pkg.get("extras") or []:
            if extra.get("key") == key:
                value = extra.get("value")
    return value.strip() if isinstance(value, str) else ""


def _list(pkg: dict[str, Any], key: str) -> list[str]:
    value: Any = pkg.get(key)
    if value is None:
        value = _text(pkg, key)
    if isinstance(value, str):
        value = value.strip()
        if value.startswith("["):
            try:
                value = json.loads(value)
            except ValueError:
                value = []
        else:
            value = [v.strip() for v in value.split(",")] if value else []
    return [str(v) for v in value or [] if str(v).strip()]


def _parse_time(value: Any) -> Optional[dt.datetime]:
    if not value or not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value.rstrip("Z"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def last_update(pkg: dict[str, Any]) -> Optional[dt.datetime]:
    """When the data last changed: the newest of the dataset's and its resources' dates."""
    moments = [_parse_time(pkg.get("metadata_modified"))]
    for res in pkg.get("resources") or []:
        moments.append(_parse_time(res.get("last_modified")))
        moments.append(_parse_time(res.get("created")))
    known = [m for m in moments if m]
    return max(known) if known else None


def is_overdue(pkg: dict[str, Any], now: Optional[dt.datetime] = None) -> bool:
    """True when the declared update frequency says the dataset should have been updated by now."""
    days = FREQUENCY_DAYS.get(_text(pkg, "update_frequency"))
    updated = last_update(pkg)
    if days is None or updated is None:
        return False
    now = now or dt.datetime.now(dt.timezone.utc)
    return now - updated > dt.timedelta(days=days)


def _is_open_licence(license_id: str) -> bool:
    if not license_id:
        return False
    from ckan import model

    licence = model.Package.get_license_register().get(license_id)
    return bool(licence and licence.isopen())


def _resource_is_tabular(res: dict[str, Any]) -> bool:
    return (res.get("format") or "").upper() in {"CSV", "TSV", "XLSX", "XLS", "ODS"}


def assess(
    pkg: dict[str, Any],
    reachable: Callable[[Iterable[str]], dict[str, bool]] = lambda ids: {},
    now: Optional[dt.datetime] = None,
) -> list[Reason]:
    """The reasons, one per criterion, for ``pkg`` (a package_show or index dict).

    ``reachable`` maps resource ids to the result of their last link check.
    """
    resources = [r for r in pkg.get("resources") or [] if r.get("state", "active") == "active"]
    checks = reachable([r["id"] for r in resources if r.get("id")]) if resources else {}
    got: dict[str, tuple[bool, str]] = {}

    got["description_vi"] = (len(_text(pkg, "notes")) >= 30, "")
    got["description_en"] = (bool(_text(pkg, "notes_en")), "")
    licence = _text(pkg, "license_id")
    got["open_licence"] = (_is_open_licence(licence), licence)
    start, end = _text(pkg, "temporal_start"), _text(pkg, "temporal_end")
    got["temporal_coverage"] = (bool(start), " – ".join(v for v in (start, end) if v))
    units = _list(pkg, "admin_units")
    got["admin_units"] = (bool(units), ", ".join(units[:5]))
    frequency = _text(pkg, "update_frequency")
    got["update_frequency"] = (bool(frequency), frequency)
    updated = last_update(pkg)
    got["on_time"] = (
        bool(frequency) and updated is not None and not is_overdue(pkg, now),
        updated.date().isoformat() if updated else "",
    )
    formats = sorted({(r.get("format") or "?").upper() for r in resources})
    got["open_formats"] = (
        bool(resources) and all(f in OPEN_MACHINE_FORMATS for f in formats),
        ", ".join(formats),
    )
    tabular = [r for r in resources if _resource_is_tabular(r)]
    valid = [r for r in tabular if r.get("table_schema") and r.get("validation_status") == "success"]
    got["schema_valid"] = (bool(tabular) and len(valid) == len(tabular), f"{len(valid)}/{len(tabular)}")
    ok = [r for r in resources if r.get("url_type") == "upload" or checks.get(r.get("id", "")) is True]
    got["reachable"] = (bool(resources) and len(ok) == len(resources), f"{len(ok)}/{len(resources)}")
    got["contact_point"] = ("@" in _text(pkg, "contact_email"), "")

    return [
        Reason(c.code, c.points if got[c.code][0] else 0, c.points, got[c.code][0], got[c.code][1])
        for c in CRITERIA
    ]


def score(reasons: Iterable[Reason]) -> int:
    return sum(r.points for r in reasons)


def index_value(value: int) -> str:
    """The score as indexed: three digits, so that CKAN's string field sorts it as a number."""
    return f"{max(0, min(100, value)):03d}"


def criterion(code: str) -> Criterion:
    return next(c for c in CRITERIA if c.code == code)


def reasons_for_display(reasons: Iterable[Reason]) -> list[dict[str, Any]]:
    """Reasons with their translated label and explanation, for templates."""
    out = []
    for reason in reasons:
        c = criterion(reason.code)
        out.append(dict(asdict(reason), label=tk._(c.label), explanation=tk._(c.explanation)))
    return out
