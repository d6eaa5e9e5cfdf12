"""What a file is: format, encoding (UTF-8 with or without BOM, UTF-16, Windows-1258), delimiter."""
from __future__ import annotations

import codecs
import csv

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator, Optional

from ckanext.cityopendata.xmlguard import declared_dtd

SAMPLE_BYTES = 64 * 1024

TABULAR_FORMATS = {
    "csv": "csv",
    "text/csv": "csv",
    "tsv": "tsv",
    "text/tab-separated-values": "tsv",
    "xlsx": "xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "ods": "ods",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "json": "json",
    "application/json": "json",
}

# Encodings a resource may declare; anything else is refused rather than guessed at.
ALLOWED_ENCODINGS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "utf-16": "utf-16",
    "utf-16le": "utf-16-le",
    "utf-16-le": "utf-16-le",
    "utf-16be": "utf-16-be",
    "utf-16-be": "utf-16-be",
    "windows-1258": "cp1258",
    "cp1258": "cp1258",
    "windows-1252": "cp1252",
    "cp1252": "cp1252",
    "latin-1": "latin-1",
    "iso-8859-1": "latin-1",
    "ascii": "utf-8",
}

ENCODING_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16 LE",
    "utf-16-be": "UTF-16 BE",
    "cp1258": "Windows-1258",
    "cp1252": "Windows-1252",
    "latin-1": "ISO-8859-1",
}

DELIMITERS = (",", ";", "\t", "|")
# Combining tone marks that Windows-1258 text carries after a base letter.
_CP1258_TONES = re.compile("[\u0300\u0301\u0303\u0309\u0323]")
_VIETNAMESE_LETTERS = re.compile("[ăâđêôơưĂÂĐÊÔƠƯ]")


class DetectError(Exception):
    """The file cannot be read as a table; the message is for a person."""


def tabular_format(fmt: Optional[str], url: Optional[str] = None) -> Optional[str]:
    """The table format of a resource (csv, tsv, xlsx, ods, json) or None when it is not tabular."""
    key = (fmt or "").strip().lower().lstrip(".")
    if key in TABULAR_FORMATS:
        return TABULAR_FORMATS[key]
    if not key and url:
        suffix = Path(url.split("?", 1)[0]).suffix.lower().lstrip(".")
        return TABULAR_FORMATS.get(suffix)
    return None


def normalise_encoding(name: str) -> str:
    key = name.strip().lower().replace("_", "-")
    if key not in ALLOWED_ENCODINGS:
        raise DetectError(f"the encoding {name!r} is not supported")
    return ALLOWED_ENCODINGS[key]


def detect_encoding(sample: bytes, declared: Optional[str] = None) -> str:
    """The Python codec of a text file from its first bytes (or the declared one, if allowed)."""
    if declared:
        enc = normalise_encoding(declared)
        if enc == "utf-8" and sample.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        return enc
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if not sample:
        return "utf-8"
    head = sample[:4096]
    even_nul = head[0::2].count(0)
    odd_nul = head[1::2].count(0)
    half = len(head) / 2
    if odd_nul > 0.3 * half and even_nul < 0.05 * half:
        return "utf-16-le"
    if even_nul > 0.3 * half and odd_nul < 0.05 * half:
        return "utf-16-be"
    if 0 in head:
        raise DetectError("the file contains NUL bytes: it is binary, not a text table")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = sample.decode("cp1258", errors="strict")
    except UnicodeDecodeError as error:
        raise DetectError(
            f"the file is neither UTF-8, UTF-16 nor Windows-1258 (undecodable byte at {error.start})"
        ) from error
    if _CP1258_TONES.search(text) or _VIETNAMESE_LETTERS.search(text):
        return "cp1258"
    return "cp1252"


def sniff_delimiter(text_sample: str, fmt: str) -> str:
    """The delimiter of the header line: tab for TSV, else the most frequent candidate outside quotes."""
    if fmt == "tsv":
        return "\t"
    first = text_sample.split("\n", 1)[0]
    unquoted = re.sub(r'"[^"]*"', "", first)
    counts = {d: unquoted.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_sample(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(SAMPLE_BYTES)


def text_sample(sample: bytes, encoding: str) -> str:
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    return decoder.decode(sample, final=False)


def csv_dialect(delimiter: str) -> type[csv.Dialect]:
    class Dialect(csv.excel):
        pass

    Dialect.delimiter = delimiter
    return Dialect


@dataclass
class ZipVerdict:
    uncompressed: int
    members: int


def _within_budget(member: IO[bytes], budget: int) -> Iterator[bytes]:
    read = 0
    while chunk := member.read(256 * 1024):
        read += len(chunk)
        if read > budget:
            raise DetectError("the spreadsheet inflates past the limit (zip bomb?)")
        yield chunk


def check_zip_container(path: Path, max_unzipped: int, max_ratio: int) -> ZipVerdict:
    """Refuse an XLSX/ODS that would inflate past the budget or carries a DTD (entities, XXE)."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise DetectError("the file is not a valid XLSX/ODS (broken ZIP container)") from error
    with archive:
        infos = archive.infolist()
        if len(infos) > 10_000:
            raise DetectError("the spreadsheet has too many parts")
        total = sum(info.file_size for info in infos)
        compressed = sum(info.compress_size for info in infos) or 1
        if total > max_unzipped:
            raise DetectError(
                f"the spreadsheet inflates to {total} bytes, over the limit of {max_unzipped} (zip bomb?)"
            )
        if total / compressed > max_ratio and total > 1024 * 1024:
            raise DetectError(
                f"the spreadsheet inflates {total // compressed}× (over {max_ratio}×): refused as a zip bomb"
            )
        # every part, whatever its name (openpyxl follows the relationships, not the extensions),
        # asked of an XML parser (a byte search misses a DTD in UTF-16 or behind a long comment)
        for info in infos:
            with archive.open(info) as member:
                found = declared_dtd(_within_budget(member, max_unzipped))
            if found:
                raise DetectError(f"the spreadsheet part {info.filename[:100]} declares {found}: refused")
    return ZipVerdict(uncompressed=total, members=len(infos))


