"""The city's approved open-data list: what each agency committed to publish, tracked against the portal."""
from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from ckan import model
from ckan.plugins import toolkit as tk

from ckanext.cityopendata.portal.model import Commitment
from ckanext.cityopendata.text import nfc

# Column headings accepted in the spreadsheet (Vietnamese or English), folded to one key.
HEADINGS = {
    "agency": "agency", "co_quan": "agency", "don_vi": "agency", "organization": "agency",
    "title": "title", "ten_du_lieu": "title", "ten": "title",
    "dataset_name": "dataset_name", "ma_du_lieu": "dataset_name", "name": "dataset_name",
    "publish_by": "publish_by", "han_cong_bo": "publish_by",
    "review_by": "review_by", "han_ra_soat": "review_by",
    "update_frequency": "update_frequency", "tan_suat_cap_nhat": "update_frequency", "tan_suat": "update_frequency",
}
REQUIRED = ("agency", "title")


class ImportError_(ValueError):
    """A spreadsheet that cannot be imported; the message names the row and the problem."""


def _heading(text: Any) -> str:
    from ckanext.cityopendata.text import fold

    key = fold(str(text or "")).strip().lower().replace(" ", "_").replace("-", "_")
    return HEADINGS.get(key, key)


def _date(value: Any, row: int, column: str) -> Optional[dt.date]:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    raise ImportError_(f"row {row}: {column} {text!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)")


def read_rows(path: Path) -> Iterator[list[Any]]:
    """Rows of a CSV (UTF-8) or XLSX file, heading row first."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as f:
            yield from csv.reader(f)
    elif suffix == ".xlsx":
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            for values in book.worksheets[0].iter_rows(values_only=True):
                yield list(values)
        finally:
            book.close()
    else:
        raise ImportError_(f"{path.name}: only .csv and .xlsx spreadsheets are read")


def parse(rows: Iterable[list[Any]]) -> list[dict[str, Any]]:
    """Commitment dicts from spreadsheet rows; raises ImportError_ on the first bad row."""
    iterator = iter(rows)
    try:
        headings = [_heading(h) for h in next(iterator)]
    except StopIteration:
        raise ImportError_("the spreadsheet is empty") from None
    missing = [h for h in REQUIRED if h not in headings]
    if missing:
        raise ImportError_(f"missing column(s): {', '.join(missing)}")
    known = set(HEADINGS.values())
    items = []
    for number, values in enumerate(iterator, start=2):
        cells = {h: v for h, v in zip(headings, values) if h}
        if not any(v not in (None, "") for v in cells.values()):
            continue
        item: dict[str, Any] = {
            "agency": nfc(str(cells.get("agency") or "").strip()),
            "title": nfc(str(cells.get("title") or "").strip()),
            "dataset_name": str(cells.get("dataset_name") or "").strip() or None,
            "publish_by": _date(cells.get("publish_by"), number, "publish_by"),
            "review_by": _date(cells.get("review_by"), number, "review_by"),
            "update_frequency": str(cells.get("update_frequency") or "").strip() or None,
            "extra": {k: str(v) for k, v in cells.items() if k not in known and v not in (None, "")},
        }
        for required in REQUIRED:
            if not item[required]:
                raise ImportError_(f"row {number}: {required} is empty")
        items.append(item)
    return items


def replace_all(items: list[dict[str, Any]]) -> int:
    """Make the stored list exactly ``items`` (the spreadsheet is the source of truth)."""
    agencies = {r.name for r in model.Session.query(model.Group.name).filter(model.Group.is_organization.is_(True))}
    unknown = sorted({i["agency"] for i in items} - agencies)
    if unknown:
        raise ImportError_(f"unknown agency name(s): {', '.join(unknown[:5])}")
    names = [i["dataset_name"] for i in items if i["dataset_name"]]
    if len(names) != len(set(names)):
        raise ImportError_("a dataset name appears twice in the list")
    model.Session.execute(sa.delete(Commitment.__table__))
    if items:
        model.Session.execute(insert(Commitment.__table__), items)
    model.Session.commit()
    return len(items)


def _published(names: list[str]) -> dict[str, dict[str, Any]]:
    """Public datasets among ``names`` (one search per 200 names)."""
    found: dict[str, dict[str, Any]] = {}
    search = tk.get_action("package_search")
    for start in range(0, len(names), 200):
        batch = names[start:start + 200]
        quoted = " OR ".join(f'"{n}"' for n in batch if n.replace("-", "").replace("_", "").isalnum())
        if not quoted:
            continue
        result = search({"user": "", "ignore_auth": False}, {
            "fq": f"name:({quoted})", "rows": len(batch), "fl": "name,metadata_modified",
        })
        for item in result["results"]:
            found[item["name"]] = item
    return found


def tracked(today: Optional[dt.date] = None) -> list[dict[str, Any]]:
    """Each commitment with its status: published, late (deadline passed) or planned."""
    today = today or dt.datetime.now(dt.timezone.utc).date()
    try:
        rows = model.Session.query(Commitment).order_by(Commitment.agency, Commitment.title).all()
    except sa.exc.ProgrammingError:
        model.Session.rollback()
        return []
    published = _published([r.dataset_name for r in rows if r.dataset_name])
    out = []
    for row in rows:
        hit = published.get(row.dataset_name or "")
        if hit:
            status = "published"
        elif row.publish_by and row.publish_by < today:
            status = "late"
        else:
            status = "planned"
        out.append({
            "agency": row.agency,
            "title": row.title,
            "dataset_name": row.dataset_name or "",
            "publish_by": row.publish_by.isoformat() if row.publish_by else "",
            "review_by": row.review_by.isoformat() if row.review_by else "",
            "review_overdue": bool(row.review_by and row.review_by < today),
            "update_frequency": row.update_frequency or "",
            "status": status,
            "last_update": (hit or {}).get("metadata_modified", "")[:10],
        })
    return out


def progress_per_agency(items: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    """{agency name: (committed, published)}."""
    out: dict[str, tuple[int, int]] = {}
    for item in items:
        committed, done = out.get(item["agency"], (0, 0))
        out[item["agency"]] = (committed + 1, done + (item["status"] == "published"))
    return out


def template_csv() -> str:
    """An empty spreadsheet with the expected headings, for agencies to fill in."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(["agency", "title", "dataset_name", "publish_by", "review_by", "update_frequency"])
    return buffer.getvalue()
