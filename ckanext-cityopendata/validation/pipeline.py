"""One validation of one local file against one Table Schema, within a budget: the report as a dict.

No database and no CKAN here: the background job, the CLI (``validate-file``) and the benchmark
all call ``validate_file``. CSV/TSV go through the fast checker (in parallel row chunks for large
files); XLSX, ODS and JSON tables, and schemas with foreign keys, go through frictionless itself in
a child process with a memory and time budget.
"""
from __future__ import annotations

import csv
import hashlib
import io
import itertools
import multiprocessing
import resource
import shutil
import tempfile
import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any, Iterator, Optional

from ckanext.cityopendata.validation import detect
from ckanext.cityopendata.validation.checker import (
    ChunkResult,
    KeyLimitExceeded,
    KeyTracker,
    TableCheck,
    message_of,
)
from ckanext.cityopendata.validation.limits import Limits

BATCH_ROWS = 5000
CHUNK_BYTES = 2 * 1024 * 1024
ASCII_COMPATIBLE = {"utf-8", "utf-8-sig", "cp1258", "cp1252", "latin-1"}
FRICTIONLESS_MEMORY_BYTES = 768 * 1024 * 1024


class Abort(Exception):
    """Validation stopped: the file is hostile, broken or over a limit. The message is for a person."""


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def validate_file(
    path: Path,
    fmt: str,
    schema: Optional[dict[str, Any]],
    schema_source: str,
    limits: Limits,
    encoding: Optional[str] = None,
    known_hash: Optional[str] = None,
) -> dict[str, Any]:
    """Validate the file at ``path`` (format csv, tsv, xlsx, ods or json) and return its report."""
    started = time.monotonic()
    report: dict[str, Any] = {
        "status": "error",
        "format": fmt,
        "bytes": 0,
        "rows": 0,
        "encoding": None,
        "encoding_label": None,
        "delimiter": None,
        "hash": None,
        "schema": {"source": schema_source, "descriptor": schema},
        "error_counts": {},
        "errors": [],
        "warnings": {},
        "warning_examples": {},
        "message": None,
    }
    try:
        size = path.stat().st_size
        report["bytes"] = size
        if size == 0:
            raise Abort("the file is empty")
        if size > limits.max_bytes:
            raise Abort(f"the file is {size} bytes, over the limit of {limits.max_bytes}")
        report["hash"] = known_hash or file_hash(path)
        if fmt in ("csv", "tsv") and not (schema and schema.get("foreignKeys")):
            _validate_text_table(path, fmt, schema, limits, encoding, report, started)
        elif fmt in ("csv", "tsv", "xlsx", "ods", "json"):
            if fmt in ("xlsx", "ods"):
                detect.check_zip_container(path, limits.max_unzipped_bytes, limits.max_zip_ratio)
            _validate_with_frictionless(path, fmt, schema, limits, encoding, report)
        else:
            raise Abort(f"{fmt or 'this format'} is not a table format the portal validates")
        report["status"] = "failure" if report["error_counts"] else "success"
    except (Abort, detect.DetectError, KeyLimitExceeded) as error:
        report["status"] = "error"
        report["message"] = str(error)
    except UnicodeDecodeError as error:
        report["status"] = "error"
        report["message"] = (
            f"the file cannot be decoded as {detect.ENCODING_LABELS.get(report['encoding'] or '', report['encoding'])}"
            f" ({error.reason})"
        )
    except csv.Error as error:
        report["status"] = "error"
        report["message"] = f"the file is not a readable CSV: {error}"
    report["duration"] = round(time.monotonic() - started, 3)
    for entry in report["errors"]:
        entry.setdefault("message", message_of(entry))
    return report


# CSV and TSV ---------------------------------------------------------------------------------------

def _lines(handle: io.TextIOBase, max_line: int) -> Iterator[str]:
    """The lines of ``handle``, refusing one longer than ``max_line`` before it is held in memory."""
    while True:
        line = handle.readline(max_line + 1)
        if not line:
            return
        if len(line) > max_line and not line.endswith("\n"):
            raise Abort(f"a line is longer than {max_line} characters: refused (not a table?)")
        yield line


INFER_ROWS = 1000


def infer_schema(path: Path, fmt: str, encoding: Optional[str], delimiter: Optional[str],
                 max_line: int = 1024 * 1024) -> dict[str, Any]:
    """The schema frictionless infers from the file's first rows: the one the agency can adopt.

    Frictionless only ever sees a bounded sample (the first rows, each line within the limit), so a
    hostile file cannot make inference run away."""
    from frictionless import Dialect, Resource, formats

    folder = tempfile.mkdtemp(prefix="cityopendata-infer-")
    sample = Path(folder) / "sample.csv"
    with open(path, encoding=encoding or "utf-8", newline="", errors="strict") as source, \
            open(sample, "w", encoding="utf-8", newline="") as target:
        for line in itertools.islice(_lines(source, max_line), INFER_ROWS):
            target.write(line)
    try:
        options: dict[str, Any] = {"encoding": "utf-8"}
        if delimiter:
            options["dialect"] = Dialect(controls=[formats.CsvControl(delimiter=delimiter)])
        res = Resource(path=sample.name, basepath=str(sample.parent), format=fmt, **options)
        res.infer()
        return res.schema.to_descriptor()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _validate_text_table(
    path: Path,
    fmt: str,
    schema: Optional[dict[str, Any]],
    limits: Limits,
    declared: Optional[str],
    report: dict[str, Any],
    started: float,
) -> None:
    sample = detect.read_sample(path)
    enc = detect.detect_encoding(sample, declared)
    report["encoding"] = enc
    report["encoding_label"] = detect.ENCODING_LABELS.get(enc, enc)
    text = detect.text_sample(sample, enc)
    if "\x00" in text:
        raise Abort("the file contains NUL characters: it is binary or mis-encoded")
    delimiter = detect.sniff_delimiter(text, fmt)
    report["delimiter"] = delimiter
    if schema is None:
        schema = infer_schema(path, "csv", enc, delimiter, limits.max_line_bytes)
        report["schema"]["descriptor"] = schema
    check = TableCheck(schema, limits.max_errors)
    keys = KeyTracker(check, limits.max_unique_keys)
    merged = Merger(check, keys, limits, started)
    parallel = (
        limits.workers > 1 and enc in ASCII_COMPATIBLE and path.stat().st_size >= limits.parallel_min_bytes
    )
    if parallel:
        _check_parallel(path, enc, delimiter, schema, limits, merged)
    else:
        _check_serial(path, enc, delimiter, check, limits, merged)
    merged.finish(report)


class Merger:
    """Adds chunk results in file order: row offsets, keys across chunks, the first N errors."""

    def __init__(self, check: TableCheck, keys: KeyTracker, limits: Limits, started: float) -> None:
        self.check, self.keys, self.limits, self.started = check, keys, limits, started
        self.rows = 0
        self.errors: list[dict[str, Any]] = []
        self.key_errors: list[dict[str, Any]] = []
        self.counts: dict[str, int] = {}
        self.warnings: dict[str, int] = {}
        self.examples: dict[str, list[dict[str, Any]]] = {}
        self.labels: list[str] = []

    def header(self, labels: list[str]) -> None:
        self.labels = labels
        self.add(self.check.check_header(labels), 0)

    def add(self, result: ChunkResult, offset: int) -> None:
        """``offset``: rows of the file before this chunk's first row, the header included."""
        self.rows += result.rows
        room = self.limits.max_errors
        for entry in result.errors:
            if len(self.errors) >= room:
                break
            if entry["row"] is not None:
                entry["row"] += offset
            self.errors.append(entry)
        for kind, n in result.counts.items():
            self.counts[kind] = self.counts.get(kind, 0) + n
        for kind, n in result.warnings.items():
            self.warnings[kind] = self.warnings.get(kind, 0) + n
            mine = self.examples.setdefault(kind, [])
            for example in result.warning_examples.get(kind, []):
                if len(mine) < 5:
                    mine.append(dict(example, row=example["row"] + offset))
        if result.keys:
            for entry in self.keys.feed(result.keys, offset):
                self.counts[entry["type"]] = self.counts.get(entry["type"], 0) + 1
                if len(self.key_errors) < room:
                    self.key_errors.append(entry)
        if self.rows > self.limits.max_rows:
            raise Abort(f"the file has more than {self.limits.max_rows} rows, the limit")
        if time.monotonic() - self.started > self.limits.max_seconds:
            raise Abort(f"validation took longer than {self.limits.max_seconds:g} s, the limit")

    def finish(self, report: dict[str, Any]) -> None:
        ordered = sorted(self.errors + self.key_errors, key=lambda e: e["row"] or 0)
        report.update(
            rows=self.rows,
            error_counts=self.counts,
            errors=ordered[: self.limits.max_errors],
            warnings=self.warnings,
            warning_examples=self.examples,
            header=self.labels,
        )
        for label in self.labels:
            if label and not label.isascii():
                import unicodedata

                if not unicodedata.is_normalized("NFC", label):
                    report["warnings"]["non-nfc-header"] = report["warnings"].get("non-nfc-header", 0) + 1


def _check_serial(
    path: Path, enc: str, delimiter: str, check: TableCheck, limits: Limits, merged: Merger
) -> None:
    with open(path, encoding=enc, newline="", errors="strict") as handle:
        reader = csv.reader(_lines(handle, limits.max_line_bytes), detect.csv_dialect(delimiter))
        try:
            labels = next(reader)
        except StopIteration:
            raise Abort("the file has no header row") from None
        merged.header(labels)
        row = 2
        while True:
            batch = list(itertools.islice(reader, BATCH_ROWS))
            if not batch:
                break
            merged.add(check.check_rows(batch, 1), row - 1)
            row += len(batch)


# Parallel chunks -----------------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _init_worker(schema: dict[str, Any], max_errors: int, delimiter: str, enc: str) -> None:
    _WORKER["check"] = TableCheck(schema, max_errors)
    _WORKER["dialect"] = detect.csv_dialect(delimiter)
    _WORKER["encoding"] = "utf-8" if enc == "utf-8-sig" else enc


def _check_chunk(data: bytes, offset: int) -> ChunkResult:
    try:
        text = data.decode(_WORKER["encoding"])
    except UnicodeDecodeError as error:
        raise Abort(f"undecodable bytes near byte {offset + error.start} ({error.reason})") from None
    records = csv.reader(io.StringIO(text, newline=""), _WORKER["dialect"])
    return _WORKER["check"].check_rows(records, 1)


def _record_cut(buffer: bytes, quote_parity: int) -> int:
    """The end of the last complete record in ``buffer`` (after a newline outside quotes), or 0."""
    cut = buffer.rfind(b"\n")
    tries = 0
    while cut >= 0 and tries < 64:
        if (buffer.count(b'"', 0, cut) + quote_parity) % 2 == 0:
            return cut + 1
        cut = buffer.rfind(b"\n", 0, cut)
        tries += 1
    return 0


def _chunks(handle: io.BufferedReader, max_line: int, size: int) -> Iterator[tuple[bytes, int]]:
    buffer = b""
    position = handle.tell()
    while True:
        block = handle.read(size)
        if not block:
            if buffer:
                yield buffer, position
            return
        buffer += block
        cut = _record_cut(buffer, 0)
        if not cut:
            if len(buffer) > max(max_line, size) * 2:
                raise Abort(f"a record is longer than {max_line} bytes: refused (not a table?)")
            continue
        yield buffer[:cut], position
        position += cut
        buffer = buffer[cut:]


def _check_parallel(
    path: Path, enc: str, delimiter: str, schema: dict[str, Any], limits: Limits, merged: Merger
) -> None:
    with open(path, "rb") as raw:
        head = raw.read(min(CHUNK_BYTES, limits.max_line_bytes + 1))
        start = 3 if enc == "utf-8-sig" else 0
        end = _record_cut(head[start:], 0)
        first = head[start:].find(b"\n")
        if first < 0 or not end:
            raise Abort(f"the header line is longer than {limits.max_line_bytes} bytes")
        header_end = start + first + 1
        header_text = head[start:header_end].decode("utf-8" if enc == "utf-8-sig" else enc)
        labels = next(csv.reader(io.StringIO(header_text, newline=""), detect.csv_dialect(delimiter)), [])
        merged.header(labels)
        raw.seek(header_end)
        context = multiprocessing.get_context("fork")
        window: deque[Future[ChunkResult]] = deque()
        offset = 1
        with ProcessPoolExecutor(
            limits.workers, mp_context=context, initializer=_init_worker,
            initargs=(schema, limits.max_errors, delimiter, enc),
        ) as pool:
            try:
                for data, position in _chunks(raw, limits.max_line_bytes, limits.chunk_bytes):
                    window.append(pool.submit(_check_chunk, data, position))
                    while len(window) >= limits.workers * 2:
                        result = window.popleft().result()
                        merged.add(result, offset)
                        offset += result.rows
                while window:
                    result = window.popleft().result()
                    merged.add(result, offset)
                    offset += result.rows
            finally:
                for future in window:
                    future.cancel()


# Frictionless itself (spreadsheets, JSON, foreign keys) ---------------------------------------------

def _frictionless_child(conn: Any, args: tuple[Any, ...]) -> None:
    budget = args[-1]
    try:
        with open("/proc/self/status") as status:
            vm = next((int(line.split()[1]) * 1024 for line in status if line.startswith("VmData:")), 0)
        resource.setrlimit(resource.RLIMIT_DATA, (vm + budget, vm + budget))
    except (OSError, ValueError):
        pass
    try:
        conn.send(("ok", _run_frictionless(*args[:-1])))
    except MemoryError:
        conn.send(("error", "the file needs more memory than the validation budget allows"))
    except Exception as error:  # recorded in the report the person sees
        conn.send(("error", f"{type(error).__name__}: {error}"[:500]))
    finally:
        conn.close()


def _run_frictionless(
    path: str, fmt: str, schema: Optional[dict[str, Any]], max_errors: int, max_rows: int, encoding: Optional[str]
) -> dict[str, Any]:
    from frictionless import Schema
    from frictionless.resources import TableResource

    options: dict[str, Any] = {}
    if encoding and fmt in ("csv", "tsv"):
        options["encoding"] = encoding
    p = Path(path)
    # A table resource: a plain Resource would read a .json file as a frictionless descriptor.
    res = TableResource(path=p.name, basepath=str(p.parent), format="csv" if fmt == "tsv" else fmt, **options)
    if schema is None:
        res.infer()
        schema = res.schema.to_descriptor()
    else:
        res.schema = Schema.from_descriptor(schema)
    outcome = res.validate(limit_errors=max_errors, limit_rows=max_rows)
    task = outcome.tasks[0] if outcome.tasks else None
    errors = list(outcome.errors) + (list(task.errors) if task else [])
    out = []
    for e in errors:
        d = e.to_descriptor()
        out.append({
            "type": d.get("type"),
            "row": d.get("rowNumber"),
            "field": d.get("fieldName", ""),
            "field_number": d.get("fieldNumber"),
            "cell": (str(d["cell"])[:200] if d.get("cell") is not None else None),
            "note": d.get("note", ""),
            "message": d.get("message", ""),
        })
    return {
        "rows": (task.stats.get("rows") if task else 0) or 0,
        "errors": out,
        "schema": schema,
        "encoding": getattr(res, "encoding", None),
        "truncated": bool(task and task.warnings),
    }


FATAL_TYPES = {"source-error", "scheme-error", "format-error", "encoding-error", "hash-count", "byte-count"}


def _validate_with_frictionless(
    path: Path, fmt: str, schema: Optional[dict[str, Any]], limits: Limits, encoding: Optional[str], report: dict[str, Any]
) -> None:
    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe(duplex=False)
    args = (str(path), fmt, schema, limits.max_errors, limits.max_rows, encoding, FRICTIONLESS_MEMORY_BYTES)
    process = context.Process(target=_frictionless_child, args=(child, args), daemon=True)
    process.start()
    child.close()
    try:
        if not parent.poll(limits.max_seconds):
            raise Abort(f"validation took longer than {limits.max_seconds:g} s, the limit")
        kind, payload = parent.recv()
    except EOFError:
        raise Abort("the validator ran out of its memory budget on this file") from None
    finally:
        if process.is_alive():
            process.kill()
        process.join(5)
        parent.close()
    if kind != "ok":
        raise Abort(payload)
    fatal = [e for e in payload["errors"] if e["type"] in FATAL_TYPES]
    if fatal:
        raise Abort(fatal[0]["message"] or fatal[0]["note"])
    counts: dict[str, int] = {}
    for entry in payload["errors"]:
        counts[entry["type"]] = counts.get(entry["type"], 0) + 1
    report.update(rows=payload["rows"], errors=payload["errors"], error_counts=counts, encoding=payload["encoding"])
    report["schema"]["descriptor"] = payload["schema"]
    if payload["truncated"]:
        report["warnings"]["limits-reached"] = 1


def summarise(report: dict[str, Any]) -> str:
    """One line: status, rows, errors by type."""
    counts = ", ".join(f"{k}: {v}" for k, v in sorted(report.get("error_counts", {}).items()))
    line = f"{report['status']}: {report.get('rows', 0)} rows, {report.get('bytes', 0)} bytes"
    if report.get("encoding_label") or report.get("encoding"):
        line += f", {report.get('encoding_label') or report.get('encoding')}"
    if counts:
        line += f"; errors: {counts}"
    if report.get("message"):
        line += f"; {report['message']}"
    return line


