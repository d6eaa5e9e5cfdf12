"""The fast row checker: frictionless' own field readers and constraints, without its row machinery.

Frictionless decides every type and constraint (we call the readers its ``Schema`` builds); what we
drop is the per-row object model that makes it slow. Errors carry frictionless' types, row numbers
(the header is row 1) and field numbers, so a report reads the same as ``frictionless validate``.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import partial
from hashlib import blake2b
from typing import Any, Callable, Iterable, Optional

from frictionless import Schema, errors as ferrors
from frictionless.schema import field as ffield

FORMULA_START = ("=", "+", "-", "@")
WARNING_EXAMPLES = 5
_NUMBER_LIKE = re.compile(r"^[+-]?[\d.,\s]+$")

CellReader = Callable[[Any], "tuple[Any, Optional[dict[str, str]]]"]


def _fast_date(pattern: str, fallback: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A date reader that parses zero-padded dd/mm/yyyy or ISO dates without strptime.

    Whatever it accepts strptime accepts with the same value; anything else goes to frictionless."""
    if pattern == "%d/%m/%Y":
        d0, m0, y0, s1, s2 = slice(0, 2), slice(3, 5), slice(6, 10), 2, 5
        sep = "/"
    elif pattern == "%Y-%m-%d":
        y0, m0, d0, s1, s2 = slice(0, 4), slice(5, 7), slice(8, 10), 4, 7
        sep = "-"
    else:
        return fallback

    def reader(cell: Any) -> Any:
        if isinstance(cell, str) and len(cell) == 10 and cell[s1] == sep and cell[s2] == sep:
            y, m, d = cell[y0], cell[m0], cell[d0]
            if (y + m + d).isascii() and (y + m + d).isdigit():
                try:
                    return date(int(y), int(m), int(d))
                except ValueError:
                    return None
        return fallback(cell)

    return reader


def _fast_value_reader(fld: Any) -> Callable[[Any], Any]:
    """Frictionless' value reader, or an equivalent one without its per-call attribute lookups."""
    original = fld.create_value_reader()
    if fld.type == "date":
        return _fast_date({"default": "%Y-%m-%d"}.get(fld.format, fld.format), original)
    if fld.type == "string" and fld.format == "default":
        return lambda cell: cell if isinstance(cell, str) else original(cell)
    if fld.type == "integer" and fld.bare_number:
        def integer(cell: Any) -> Any:
            if isinstance(cell, str):
                try:
                    return int(cell.strip())
                except ValueError:
                    return None
            return original(cell)

        return integer
    if fld.type == "number" and fld.bare_number and not fld.float_number:
        group, decimal = fld.group_char, fld.decimal_char
        processed = bool({"group_char", "decimal_char", "bare_number"} & set(fld.list_defined()))

        def number(cell: Any) -> Any:
            if not isinstance(cell, str):
                return original(cell)
            cell = cell.strip()
            if processed:
                cell = cell.replace(group, "")
                if decimal != "." and "." in cell:
                    return None
                cell = cell.replace(decimal, ".")
            try:
                return Decimal(cell)
            except Exception:
                return None

        return number
    return original


def make_cell_reader(fld: Any) -> CellReader:
    """The same decision as ``Field.create_cell_reader`` (missing values, type, constraints)."""
    value_reader = _fast_value_reader(fld)
    missing = fld.missing_values
    if not fld.has_defined("missing_values") and fld.schema:
        missing = fld.schema.missing_values
    missing_set = frozenset(missing)
    required = False
    value_checks: list[tuple[str, Callable[[Any, Any], bool], Any, str]] = []
    for name in fld.supported_constraints:
        constraint = fld.constraints.get(name)
        if constraint is None:
            continue
        text = f'constraint "{name}" is "{constraint}"'
        if name == "required":
            required = bool(constraint)
            continue
        if name in ("minimum", "maximum"):
            constraint = fld.create_value_reader()(constraint)
        if name == "pattern":
            constraint = re.compile("^{0}$".format(constraint))
        if name == "enum":
            constraint = list(map(fld.create_value_reader(), constraint))
        check = getattr(ffield, f"check_{name}", None)
        if check is not None:
            value_checks.append((name, check, constraint, text))
    type_note = f'type is "{fld.type}/{fld.format}"'
    required_text = 'constraint "required" is "True"'

    def cell_reader(cell: Any) -> tuple[Any, Optional[dict[str, str]]]:
        # Checks other than "required" pass on None, as in frictionless.
        if cell is None or cell in missing_set:
            return None, ({"required": required_text} if required else None)
        value = value_reader(cell)
        if value is None:
            return None, {"type": type_note}
        notes = None
        for name, check, constraint, text in value_checks:
            if not check(constraint, value):
                if notes is None:
                    notes = {}
                notes[name] = text
        return value, notes

    return cell_reader


def key_hash(values: Iterable[Any]) -> int:
    """A stable 64-bit digest of cast key values (stable across processes, unlike ``hash``)."""
    parts = []
    for v in values:
        if isinstance(v, Decimal):
            v = v.normalize()
        parts.append(f"{type(v).__name__}:{v}")
    return int.from_bytes(blake2b("\x1f".join(parts).encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big")


@dataclass
class ChunkResult:
    rows: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    warnings: dict[str, int] = field(default_factory=dict)
    warning_examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # (row, key slot, digest); slot -1 is the primary key, n >= 0 the unique field n.
    keys: list[tuple[int, int, int]] = field(default_factory=list)


def error_entry(kind: str, row: Optional[int], fld: str, number: Optional[int], cell: Any, note: str) -> dict[str, Any]:
    return {
        "type": kind,
        "row": row,
        "field": fld,
        "field_number": number,
        "cell": None if cell is None else str(cell)[:200],
        "note": note,
    }


MESSAGE_CLASSES = {
    cls.type: cls
    for cls in (
        ferrors.TypeError, ferrors.ConstraintError, ferrors.MissingCellError, ferrors.ExtraCellError,
        ferrors.BlankRowError, ferrors.PrimaryKeyError, ferrors.UniqueError, ferrors.IncorrectLabelError,
        ferrors.MissingLabelError, ferrors.ExtraLabelError, ferrors.DuplicateLabelError,
        ferrors.BlankLabelError, ferrors.BlankHeaderError,
    )
}


def message_of(entry: dict[str, Any]) -> str:
    """The sentence frictionless would print for this error."""
    cls = MESSAGE_CLASSES.get(entry["type"])
    if cls is None:
        return entry.get("note") or entry["type"]
    values = {
        "cell": entry.get("cell") or "",
        "rowNumber": entry.get("row"),
        "fieldName": entry.get("field") or "",
        "fieldNumber": entry.get("field_number"),
        "label": entry.get("cell") or "",
        "note": entry.get("note") or "",
        "cells": "",
        "labels": "",
        "rowNumbers": "1",
    }
    try:
        return cls.template.format(**values)
    except (KeyError, IndexError):
        return entry.get("note") or entry["type"]


class TableCheck:
    """Checks the header and rows of one table against one frictionless Schema."""

    def __init__(self, descriptor: dict[str, Any], max_errors: int) -> None:
        self.schema = Schema.from_descriptor(descriptor)
        self.max_errors = max_errors
        self.names = [f.name for f in self.schema.fields]
        self.readers = [make_cell_reader(f) for f in self.schema.fields]
        self.textual = [f.type in ("string", "any") for f in self.schema.fields]
        # Strings without format or constraints need no reader call: missing value or the text itself.
        self.plain = [
            frozenset(f.missing_values if f.has_defined("missing_values") else self.schema.missing_values)
            if f.type == "string" and f.format == "default" and not f.constraints else None
            for f in self.schema.fields
        ]
        index = {name: i for i, name in enumerate(self.names)}
        self.primary = [index[name] for name in self.schema.primary_key if name in index]
        self.unique = [i for i, f in enumerate(self.schema.fields) if f.constraints.get("unique")]

    # Header ----------------------------------------------------------------------------------
    def check_header(self, labels: list[str]) -> ChunkResult:
        result = ChunkResult()
        add = partial(self._add, result)
        if not labels or not any(labels):
            add(error_entry("blank-header", None, "", None, None, ""))
            return result
        labels = [unicodedata.normalize("NFC", label) for label in labels]
        names = [unicodedata.normalize("NFC", n) for n in self.names]
        for number in range(len(names) + 1, len(labels) + 1):
            add(error_entry("extra-label", None, "", number, "", ""))
        for number in range(len(labels) + 1, len(names) + 1):
            add(error_entry("missing-label", None, names[number - 1], number, "", ""))
        for number, (name, label) in enumerate(zip(names, labels), start=1):
            if not label:
                add(error_entry("blank-label", None, name, number, "", ""))
                continue
            seen = [i for i, other in enumerate(labels[: number - 1], start=1) if other == label]
            if seen:
                add(error_entry("duplicate-label", None, name, number, label,
                                'at position "%s"' % ", ".join(map(str, seen))))
                continue
            if name != label.replace("\n", " ").strip():
                add(error_entry("incorrect-label", None, name, number, label, ""))
        return result

    # Rows ------------------------------------------------------------------------------------
    def _add(self, result: ChunkResult, entry: dict[str, Any]) -> None:
        result.counts[entry["type"]] = result.counts.get(entry["type"], 0) + 1
        if len(result.errors) < self.max_errors:
            result.errors.append(entry)

    def _warn(self, result: ChunkResult, kind: str, row: int, name: str, cell: str) -> None:
        result.warnings[kind] = result.warnings.get(kind, 0) + 1
        examples = result.warning_examples.setdefault(kind, [])
        if len(examples) < WARNING_EXAMPLES:
            examples.append({"row": row, "field": name, "cell": cell[:200]})

    def check_rows(self, records: Iterable[list[str]], first_row: int) -> ChunkResult:
        """Check ``records``; the first one is row ``first_row`` of the file (the header is row 1)."""
        result = ChunkResult()
        names, readers, textual, plain = self.names, self.readers, self.textual, self.plain
        nfields = len(names)
        primary, unique = self.primary, self.unique
        with_keys = bool(primary or unique)
        is_nfc = unicodedata.is_normalized
        row = first_row - 1
        for cells in records:
            row += 1
            ncells = len(cells)
            row_errors: list[dict[str, Any]] = []
            blank = 0
            values: list[Any] = [None] * nfields if with_keys else []
            for i in range(nfields):
                source = cells[i] if i < ncells else None
                missing = plain[i]
                if missing is not None:
                    target, notes = (None if source is None or source in missing else source), None
                else:
                    target, notes = readers[i](source)
                if notes is not None:
                    type_note = notes.get("type")
                    if type_note:
                        row_errors.append(error_entry("type-error", row, names[i], i + 1, source, type_note))
                    else:
                        for note in notes.values():
                            row_errors.append(error_entry("constraint-error", row, names[i], i + 1, source, note))
                        if target is None:
                            blank += 1
                elif target is None:
                    blank += 1
                if with_keys:
                    values[i] = target
                if source and not source.isascii():
                    if not is_nfc("NFC", source):
                        self._warn(result, "non-nfc-text", row, names[i], source)
                    if textual[i] and source[0] in FORMULA_START:
                        self._warn(result, "formula-injection", row, names[i], source)
                elif source and textual[i] and source[0] in FORMULA_START and not _NUMBER_LIKE.match(source):
                    self._warn(result, "formula-injection", row, names[i], source)
            for j in range(nfields, ncells):
                row_errors.append(error_entry("extra-cell", row, "", j + 1, cells[j], ""))
            for i in range(ncells, nfields):
                row_errors.append(error_entry("missing-cell", row, names[i], i + 1, "", ""))
            if blank == nfields:
                row_errors = [error_entry("blank-row", row, "", None, None, "")]
            for entry in row_errors:
                self._add(result, entry)
            if with_keys:
                for slot in unique:
                    if values[slot] is not None:
                        result.keys.append((row, slot, key_hash((values[slot],))))
                if primary:
                    pk = [values[i] for i in primary]
                    if all(v is None for v in pk):
                        self._add(result, error_entry("primary-key", row, "", None, None,
                                                      'cells composing the primary keys are all "None"'))
                    else:
                        result.keys.append((row, -1, key_hash(pk)))
        result.rows = row - first_row + 1
        return result


class KeyTracker:
    """Finds repeated primary keys and unique values across chunks, within a bounded memory."""

    def __init__(self, check: TableCheck, limit: int) -> None:
        self.check = check
        self.limit = limit
        self.seen: dict[int, int] = {}

    def feed(self, keys: Iterable[tuple[int, int, int]], offset: int) -> list[dict[str, Any]]:
        found = []
        seen = self.seen
        for row, slot, digest in keys:
            row += offset
            key = ((slot + 1) << 64) | digest
            first = seen.get(key)
            seen[key] = row
            if first is not None:
                note = "the same as in the row at position %s" % first
                if slot < 0:
                    found.append(error_entry("primary-key", row, "", None, None, note))
                else:
                    name = self.check.names[slot]
                    found.append(error_entry("unique-error", row, name, slot + 1, None, note))
            if len(seen) > self.limit:
                raise KeyLimitExceeded(self.limit)
        return found


class KeyLimitExceeded(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"more than {limit} distinct key values: the uniqueness check would exceed its memory budget"
        )
