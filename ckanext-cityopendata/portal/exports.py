"""Tables as CSV and XLSX, and the catalogue's metadata streamed as CSV or JSON Lines.

Every cell we write is neutralised against formula injection (SECURITY.md 11): a text cell that a
spreadsheet would read as a formula gets a leading apostrophe.
"""
from __future__ import annotations

import csv
import io
import json
from typing import Any, Iterable, Iterator, Optional, Sequence

from ckan.plugins import toolkit as tk

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """The cell as it may be written to a spreadsheet: numbers stay numbers, formulas become text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return value
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(headings: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    buffer.write("\ufeff")  # so that spreadsheet programs read the Vietnamese as UTF-8
    writer = csv.writer(buffer)
    writer.writerow([neutralise(h) for h in headings])
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return buffer.getvalue()


def to_xlsx(headings: Sequence[str], rows: Iterable[Sequence[Any]], title: str = "data") -> bytes:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31] or "data")
    sheet.append([neutralise(h) for h in headings])
    for row in rows:
        sheet.append([neutralise(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# The catalogue export: one line per public dataset.
CATALOGUE_COLUMNS = (
    "name", "title", "title_en", "organization", "notes", "topics", "tags", "admin_units",
    "license_id", "update_frequency", "temporal_start", "temporal_end", "contact_email",
    "metadata_created", "metadata_modified", "quality_score", "resource_formats", "url",
)
PAGE = 500


def catalogue_datasets(organization: Optional[str] = None) -> Iterator[dict[str, Any]]:
    """Every public dataset (or one agency's), page by page in a stable order, as the public sees it."""
    fq = f'organization:"{organization}"' if organization else ""
    search = tk.get_action("package_search")
    start = 0
    while True:
        result = search({"user": "", "ignore_auth": False},
                        {"q": "*:*", "fq": fq, "rows": PAGE, "start": start, "sort": "name asc"})
        for dataset in result["results"]:
            yield dataset
        start += PAGE
        if start >= result["count"] or not result["results"]:
            return


def _flat(dataset: dict[str, Any], key: str) -> Any:
    value = dataset.get(key)
    if key == "organization":
        return (value or {}).get("name", "") if isinstance(value, dict) else value
    if key == "tags":
        return ";".join(t.get("name", "") for t in value or [])
    if key == "resource_formats":
        return ";".join(sorted({(r.get("format") or "").upper() for r in dataset.get("resources") or []} - {""}))
    if key == "url":
        return tk.url_for("dataset.read", id=dataset["name"], _external=True)
    if key == "quality_score":
        from ckanext.cityopendata.portal import indexing, quality

        return quality.score(indexing.reasons_for(dataset))
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return value


def catalogue_rows(organization: Optional[str] = None) -> Iterator[list[Any]]:
    for dataset in catalogue_datasets(organization):
        yield [_flat(dataset, key) for key in CATALOGUE_COLUMNS]


def stream_csv(organization: Optional[str] = None) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(CATALOGUE_COLUMNS)
    for number, row in enumerate(catalogue_rows(organization)):
        writer.writerow([neutralise(v) for v in row])
        if number % 100 == 99:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def stream_jsonl(organization: Optional[str] = None) -> Iterator[str]:
    for dataset in catalogue_datasets(organization):
        yield json.dumps(dataset, ensure_ascii=False) + "\n"
