"""Harvest a spreadsheet catalogue: an XLSX or CSV file in which an agency lists its datasets.

One row a dataset, one column a field; headers may be Vietnamese or English (see
``harvesters/catalogue_template/README.md`` and the templates beside it). Columns we do not know
are reported in the job report, never dropped silently.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from typing import Any, Iterator, Optional

from ckanext.cityopendata import migrations
from ckanext.cityopendata.harvesters.base import (
    CityHarvester,
    CurrentState,
    RemoteDataset,
    SourceError,
    Unchanged,
    fetch,
)
from ckanext.cityopendata.text import fold, slugify
from ckanext.cityopendata.xmlguard import declared_dtd

migrations.install()

# field -> headers that mean it (vi first, then en); matched after folding
COLUMNS: dict[str, tuple[str, ...]] = {
    "guid": ("Mã", "Mã dữ liệu", "ID", "Identifier"),
    "title": ("Tên dữ liệu", "Tên", "Tiêu đề", "Title"),
    "title_en": ("Tên tiếng Anh", "Title (English)", "Title en"),
    "notes": ("Mô tả", "Description"),
    "notes_en": ("Mô tả tiếng Anh", "Description (English)", "Description en"),
    "topics": ("Chủ đề", "Lĩnh vực", "Topic", "Topics"),
    "tags": ("Từ khóa", "Từ khoá", "Keywords", "Tags"),
    "update_frequency": ("Tần suất cập nhật", "Update frequency", "Frequency"),
    "license": ("Giấy phép", "License", "Licence"),
    "temporal_start": ("Từ ngày", "Thời gian bắt đầu", "Start date", "Temporal start"),
    "temporal_end": ("Đến ngày", "Thời gian kết thúc", "End date", "Temporal end"),
    "contact_name": ("Người liên hệ", "Đầu mối liên hệ", "Contact name", "Contact"),
    "contact_email": ("Email liên hệ", "Thư điện tử", "Contact email", "Email"),
    "admin_units": ("Địa bàn", "Đơn vị hành chính", "Administrative units", "Area"),
    "legal_basis": ("Căn cứ pháp lý", "Legal basis"),
    "language": ("Ngôn ngữ", "Language"),
    "original_url": ("Trang gốc", "Landing page", "Web page"),
    "resource_urls": ("Tệp dữ liệu", "Đường dẫn tệp", "Liên kết", "File links", "Files", "Download URL"),
    "resource_formats": ("Định dạng", "Format", "Formats"),
    "resource_names": ("Tên tệp", "File names"),
}
_HEADER_INDEX = {fold(h): key for key, headers in COLUMNS.items() for h in headers + (key,)}
_LIST_FIELDS = {"topics", "tags", "admin_units", "resource_urls", "resource_formats", "resource_names"}
_SPLIT = re.compile(r"\s*(?:\n|;|\|)\s*")
_SPLIT_COMMA = re.compile(r"\s*(?:\n|;|\||,)\s*")
XLSX_TYPES = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",)
CSV_TYPES = ("text/csv", "application/csv", "text/plain")
MAX_ROWS = 20_000
MAX_UNZIPPED = 50 * 1024 * 1024


def read_rows(content: bytes, kind: str, sheet: Optional[str] = None) -> list[list[str]]:
    """Rows of the first (or the named) sheet, as text."""
    if kind == "xlsx":
        return _xlsx_rows(content, sheet)
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SourceError("the CSV file is neither UTF-8 nor UTF-16 text")
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel  # type: ignore[assignment]
    return [row for row in csv.reader(io.StringIO(text), dialect)][: MAX_ROWS + 1]


def _xlsx_rows(content: bytes, sheet: Optional[str]) -> list[list[str]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = archive.infolist()
    except zipfile.BadZipFile as error:
        raise SourceError("the file is not an XLSX workbook (not a zip archive)") from error
    if sum(m.file_size for m in members) > MAX_UNZIPPED:
        raise SourceError(f"the workbook unpacks to more than {MAX_UNZIPPED // (1024 * 1024)} MB")
    # every part, whatever its name: openpyxl follows the relationships, not the file extensions
    for member in members:
        with archive.open(member) as handle:
            found = declared_dtd(iter(lambda handle=handle: handle.read(64 * 1024), b""))
        if found:
            raise SourceError(f"the workbook part {member.filename[:100]} declares {found}: "
                              "workbooks with a DTD or entity declarations are refused")
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:
        raise SourceError(f"the workbook cannot be read: {type(error).__name__}") from error
    try:
        worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
    except KeyError as error:
        raise SourceError(f"the workbook has no sheet named {sheet!r}") from error
    rows = []
    try:
        for row in worksheet.iter_rows(values_only=True):
            rows.append(["" if v is None else (v.date().isoformat() if hasattr(v, "date") else str(v)) for v in row])
            if len(rows) > MAX_ROWS:
                break
    except Exception as error:  # the sheet's XML is parsed only now, row by row
        raise SourceError(f"the sheet cannot be read: {type(error).__name__}: {str(error)[:200]}") from error
    finally:
        workbook.close()
    return rows


def rows_to_datasets(rows: list[list[str]]) -> Iterator[RemoteDataset]:
    # the header is the first row that names a title column (a template may have a banner above)
    start = next((i for i, row in enumerate(rows[:10])
                  if "title" in [_HEADER_INDEX.get(fold(cell)) for cell in row]), None)
    if start is None:
        raise SourceError("no header row with a title column (\"Tên dữ liệu\" or \"Title\") in the first 10 rows")
    headers = rows[start]
    keys = [_HEADER_INDEX.get(fold(cell)) for cell in headers]
    if len(rows) - start - 1 > MAX_ROWS:
        raise SourceError(f"the catalogue lists more than {MAX_ROWS} datasets")
    for number, row in enumerate(rows[start + 1:], start=start + 2):
        if not any(cell.strip() for cell in row):
            continue
        values: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for header, key, cell in zip(headers, keys, row):
            cell = cell.strip()
            if not cell:
                continue
            if cell[0] in "=+@" or (cell[0] == "-" and not re.match(r"^-?\d", cell)):
                extra[f"{header} (row {number})"] = f"{cell[:40]} looks like a formula; ignored"
                continue
            if key is None:
                extra[header or f"column {len(extra) + 1}"] = cell
            elif key in _LIST_FIELDS:
                splitter = _SPLIT if key in ("resource_urls", "resource_names") else _SPLIT_COMMA
                values[key] = [v for v in splitter.split(cell) if v]
            else:
                values[key] = cell
        title = values.get("title", "")
        guid = values.pop("guid", "") or slugify(title) or f"row-{number}"
        urls = values.pop("resource_urls", [])
        formats = values.pop("resource_formats", [])
        names = values.pop("resource_names", [])
        resources = []
        for i, url in enumerate(urls):
            fmt = formats[i] if i < len(formats) else (formats[0] if len(formats) == 1 else "")
            name = names[i] if i < len(names) else url.rstrip("/").rsplit("/", 1)[-1]
            resources.append({"url": url, "format": fmt.upper(), "name": name})
        values.pop("topics_raw", None)
        record = RemoteDataset(guid=guid, resources=resources, extra=extra, **values)
        yield record


class SpreadsheetHarvester(CityHarvester):
    config_keys = ("format", "sheet")

    def info(self) -> dict[str, str]:
        return {
            "name": "cityopendata_spreadsheet",
            "title": "Spreadsheet catalogue (XLSX/CSV, city template)",
            "description": "An XLSX or CSV file in which an agency lists its datasets, one row each (vi/en headers).",
        }

    def check_config(self, config: dict[str, Any]) -> None:
        if config.get("format") not in (None, "xlsx", "csv"):
            raise ValueError("format must be xlsx or csv")

    def gather_records(
        self, url: str, config: dict[str, Any], known: dict[str, CurrentState]
    ) -> Iterator[RemoteDataset | Unchanged]:
        result = fetch(url, config, ", ".join(XLSX_TYPES + CSV_TYPES), XLSX_TYPES + CSV_TYPES + ("application/octet-stream",))
        kind = config.get("format")
        if not kind:
            kind = "xlsx" if result.content[:2] == b"PK" else "csv"
        rows = read_rows(result.content, kind, config.get("sheet"))
        for record in rows_to_datasets(rows):
            if not record.original_url:
                record.original_url = url
            yield record
