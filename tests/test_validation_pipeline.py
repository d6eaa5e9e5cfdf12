"""The validation pipeline offline: same errors as the frictionless CLI, Vietnamese files, hostile files."""
from __future__ import annotations

import io
import json
import random
import subprocess
import sys
import time
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from ckanext.cityopendata.validation import schema_source
from ckanext.cityopendata.validation.limits import Limits
from ckanext.cityopendata.validation.pipeline import validate_file
from tests.validation_fixtures import FIXTURES, rewrite_zip

SCHEMA = json.loads((FIXTURES / "bus_stops.schema.json").read_text(encoding="utf-8"))


def cli_errors(path: Path, schema: Path) -> tuple[set[tuple[Any, ...]], dict[str, int], int]:
    """What ``frictionless validate`` finds: (type, row, field number) of each error, counts, rows."""
    assert schema.parent == path.parent  # the CLI only reads relative paths under its working folder
    done = subprocess.run(
        [sys.executable, "-m", "frictionless", "validate", "--schema", schema.name, path.name, "--json"],
        capture_output=True, text=True, timeout=300, cwd=path.parent,
    )
    task = json.loads(done.stdout)["tasks"][0]
    found = {(e["type"], e.get("rowNumber"), e.get("fieldNumber")) for e in task["errors"]}
    counts: dict[str, int] = {}
    for e in task["errors"]:
        counts[e["type"]] = counts.get(e["type"], 0) + 1
    return found, counts, task["stats"]["rows"]


def ours(report: dict[str, Any]) -> set[tuple[Any, ...]]:
    return {(e["type"], e["row"], e["field_number"]) for e in report["errors"]}


def messy_table(rows: int, seed: int = 7) -> str:
    """A table with known errors of every kind, spread over many rows (and quoted newlines)."""
    rnd = random.Random(seed)
    districts = SCHEMA["fields"][2]["constraints"]["enum"]
    lines = ["mã,tên trạm,quận,ngày lắp đặt,chi phí"]
    for i in range(1, rows + 1):
        cells = [str(i), f"Trạm số {i}", rnd.choice(districts), f"{rnd.randint(1, 28):02d}/{rnd.randint(1, 12):02d}/2023",
                 f'"{rnd.randint(1, 9)}.{rnd.randint(100, 999)},{rnd.randint(0, 99):02d}"']
        roll = rnd.random()
        if roll < 0.002:
            cells[3] = "31/02/2023"
        elif roll < 0.004:
            cells[4] = "nhiều tiền"
        elif roll < 0.006:
            cells[0] = str(max(1, i - 5))  # a repeated key
        elif roll < 0.007:
            cells = cells[:3]
        elif roll < 0.008:
            cells.append("thừa")
        elif roll < 0.009:
            cells = ["", "", "", "", ""]
        elif roll < 0.010:
            cells[1] = '"Trạm có\nxuống dòng"'
        elif roll < 0.011:
            cells[2] = "Hòa Vang"
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("name", ["wrong_types.csv", "missing_column.csv", "duplicate_keys.csv", "valid.csv"])
def test_our_report_finds_the_same_errors_as_the_frictionless_cli(name: str) -> None:
    path = FIXTURES / name
    report = validate_file(path, "csv", SCHEMA, "test", Limits())
    expected, counts, rows = cli_errors(path, FIXTURES / "bus_stops.schema.json")
    assert ours(report) == expected
    assert report["error_counts"] == counts
    assert report["rows"] == rows
    assert report["status"] == ("success" if not expected else "failure")


def test_parallel_chunks_report_what_the_cli_and_a_single_pass_report(tmp_path: Path) -> None:
    path = tmp_path / "messy.csv"
    path.write_text(messy_table(20_000), encoding="utf-8")
    schema_path = tmp_path / "schema.json"
    schema_path.write_text(json.dumps(SCHEMA), encoding="utf-8")
    limits = Limits(max_errors=5000, workers=2, parallel_min_bytes=0, chunk_bytes=64 * 1024)
    parallel = validate_file(path, "csv", SCHEMA, "test", limits)
    serial = validate_file(path, "csv", SCHEMA, "test", Limits(max_errors=5000, workers=1))
    expected, counts, rows = cli_errors(path, schema_path)
    assert len(expected) > 100
    assert ours(parallel) == ours(serial) == expected
    assert parallel["error_counts"] == serial["error_counts"] == counts
    assert parallel["rows"] == serial["rows"] == rows


def test_errors_kept_are_the_first_ones_but_all_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "messy.csv"
    path.write_text(messy_table(20_000), encoding="utf-8")
    limits = Limits(max_errors=10, workers=2, parallel_min_bytes=0, chunk_bytes=64 * 1024)
    report = validate_file(path, "csv", SCHEMA, "test", limits)
    full = validate_file(path, "csv", SCHEMA, "test", Limits(max_errors=5000, workers=1))
    assert len(report["errors"]) == 10
    assert [e["row"] for e in report["errors"]] == [e["row"] for e in full["errors"][:10]]
    assert report["error_counts"] == full["error_counts"]


def test_semicolons_vietnamese_dates_and_decimals_pass_the_schema_that_declares_them() -> None:
    report = validate_file(FIXTURES / "semicolon.csv", "csv", SCHEMA, "test", Limits())
    assert (report["status"], report["delimiter"], report["rows"]) == ("success", ";", 4)


def test_decomposed_headers_still_match_and_non_nfc_text_and_formulas_are_flagged(tmp_path: Path) -> None:
    text = (FIXTURES / "valid.csv").read_text(encoding="utf-8")
    header, rest = text.split("\n", 1)
    path = tmp_path / "nfd.csv"
    path.write_text(unicodedata.normalize("NFD", header) + "\n" + rest
                    + '5,@SUM(A1:A2),Hải Châu,01/01/2024,"1,0"\n6,=cmd|calc,Hải Châu,01/01/2024,"1,0"\n',
                    encoding="utf-8")
    report = validate_file(path, "csv", SCHEMA, "test", Limits())
    assert report["status"] == "success", report["errors"]
    assert report["warnings"]["non-nfc-header"] == 5
    assert report["warnings"]["formula-injection"] == 2
    assert {e["row"] for e in report["warning_examples"]["formula-injection"]} == {6, 7}


def test_a_negative_number_in_a_number_column_is_not_taken_for_a_formula(tmp_path: Path) -> None:
    path = tmp_path / "neg.csv"
    path.write_text("a,b\n-5,-3\n", encoding="utf-8")
    schema = {"fields": [{"name": "a", "type": "integer"}, {"name": "b", "type": "string"}]}
    report = validate_file(path, "csv", schema, "test", Limits())
    assert report["status"] == "success" and report["warnings"] == {}


# Hostile files (SECURITY.md 9) ------------------------------------------------------------------

def test_a_huge_single_line_csv_fails_fast_with_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "one-line.csv"
    with open(path, "wb") as handle:
        for _ in range(40):
            handle.write(b"a," * 500_000)  # 40 MB, not one newline
    for limits in (Limits(), Limits(parallel_min_bytes=0)):
        started = time.monotonic()
        report = validate_file(path, "csv", None, "inferred", limits)
        assert report["status"] == "error"
        assert "longer than" in report["message"]
        assert time.monotonic() - started < 10


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_is_validated_by_frictionless_against_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "tram.xlsx"
    path.write_bytes(xlsx_bytes([["mã", "tên"], [1, "Trạm Bạch Đằng"], ["hai", "Trạm Sông Hàn"]]))
    schema = {"fields": [{"name": "mã", "type": "integer"}, {"name": "tên", "type": "string"}]}
    report = validate_file(path, "xlsx", schema, "test", Limits())
    assert report["status"] == "failure"
    assert ours(report) == {("type-error", 3, 1)}


def test_an_xlsx_zip_bomb_is_refused_before_it_inflates(tmp_path: Path) -> None:
    bomb = rewrite_zip(xlsx_bytes([["a"], [1]]), "xl/worksheets/sheet1.xml",
                       lambda content: content + b" " * (300 * 1024 * 1024))
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(bomb)
    assert path.stat().st_size < 2 * 1024 * 1024
    report = validate_file(path, "xlsx", None, "inferred", Limits())
    assert report["status"] == "error"
    assert "zip bomb" in report["message"]


@pytest.mark.parametrize("utf16", [False, True], ids=["utf-8", "utf-16"])
def test_an_xlsx_with_a_dtd_and_entities_is_refused(tmp_path: Path, utf16: bool) -> None:
    def with_entities(content: bytes) -> bytes:
        _, _, body = content.rpartition(b"?>")  # openpyxl writes sheets without an XML declaration
        document = (b'<?xml version="1.0" encoding="UTF-8"?>'
                    b'<!DOCTYPE lol [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>' + body)
        if utf16:  # invisible to a byte search for "<!DOCTYPE"; expat reads the declared encoding
            document = document.replace(b'"UTF-8"', b'"UTF-16"').decode("utf-8").encode("utf-16")
        return document

    path = tmp_path / "xxe.xlsx"
    path.write_bytes(rewrite_zip(xlsx_bytes([["a"], [1]]), "xl/worksheets/sheet1.xml", with_entities))
    report = validate_file(path, "xlsx", None, "inferred", Limits())
    assert report["status"] == "error"
    assert "DTD" in report["message"] and "sheet1.xml" in report["message"]


def test_empty_undecodable_and_binary_files_get_a_clear_error(tmp_path: Path) -> None:
    cases = {
        "empty.csv": (b"", "the file is empty"),
        "garbage.csv": (bytes(range(128, 256)) * 100, "neither UTF-8"),
        "binary.csv": (b"PK\x03\x04\x00\x00" + bytes(range(256)) * 10, "binary"),
        "broken-utf8.csv": (b"a,b\n" + "Đà Nẵng,1\n".encode() * 10000 + b"\xff\xfe,2\n", "cannot be decoded"),
    }
    for name, (data, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        report = validate_file(path, "csv", None, "inferred", Limits())
        assert report["status"] == "error", name
        assert message in report["message"], (name, report["message"])


def test_a_million_unique_keys_stop_within_the_memory_budget(tmp_path: Path) -> None:
    path = tmp_path / "keys.csv"
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("id\n")
        handle.writelines(f"{i}\n" for i in range(1_000_000))
    schema = {"fields": [{"name": "id", "type": "integer"}], "primaryKey": ["id"]}
    started = time.monotonic()
    report = validate_file(path, "csv", schema, "test", Limits(max_unique_keys=100_000))
    assert report["status"] == "error"
    assert "more than 100000 distinct key values" in report["message"]
    assert time.monotonic() - started < 20


def test_row_and_time_limits_stop_validation_with_the_limit_named(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text(messy_table(20_000), encoding="utf-8")
    report = validate_file(path, "csv", SCHEMA, "test", Limits(max_rows=1000))
    assert report["status"] == "error" and "more than 1000 rows" in report["message"]
    report = validate_file(path, "csv", SCHEMA, "test", Limits(max_seconds=0.0001))
    assert report["status"] == "error" and "longer than" in report["message"]


def test_user_options_can_only_lower_the_configured_limits() -> None:
    limits = Limits(max_rows=1000, max_errors=50)
    assert limits.bounded({"max_rows": 10, "max_errors": 10_000, "trusted": True}) == Limits(max_rows=10, max_errors=50)
    with pytest.raises(ValueError):
        limits.bounded({"max_rows": -1})


# Schemas -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("ref", ["file:///etc/passwd", "/etc/passwd", "../schema.json", "ftp://x/s.json"])
def test_local_paths_and_file_urls_are_refused_as_schemas(ref: str) -> None:
    with pytest.raises(schema_source.SchemaError, match="refused|not a catalogue id"):
        schema_source.resolve(ref)


def test_a_catalogue_id_loads_the_schema_of_that_version(tmp_path: Path) -> None:
    entry = tmp_path / "bus-stops" / "1.0"
    entry.mkdir(parents=True)
    (entry / "schema.json").write_text(json.dumps(SCHEMA), encoding="utf-8")
    assert schema_source.from_catalogue("bus-stops/1.0", root=tmp_path) == SCHEMA
    with pytest.raises(schema_source.SchemaError, match="not in the catalogue"):
        schema_source.from_catalogue("bus-stops/2.0", root=tmp_path)


def test_validate_file_prints_the_report_offline(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from ckan.cli.cli import ckan

    result = cli.invoke(ckan, ["cityopendata", "validate-file", str(FIXTURES / "wrong_types.csv"),
                               "--schema", str(FIXTURES / "bus_stops.schema.json")])
    assert result.exit_code == 1, result.output
    assert "failure: 4 rows" in result.output
    assert "row 3" in result.output and "type-error" in result.output
    result = cli.invoke(ckan, ["cityopendata", "validate-file", str(FIXTURES / "valid.csv"),
                               "--schema", str(FIXTURES / "bus_stops.schema.json"), "--json"])
    assert result.exit_code == 0
    printed = result.output[result.output.index("{\n"): result.output.rindex("\n}") + 2]
    assert json.loads(printed)["status"] == "success"
    result = cli.invoke(ckan, ["cityopendata", "validate-file", str(FIXTURES / "valid.csv"), "--schema", "khong/1.0"])
    assert result.exit_code != 0 and "not in the catalogue" in result.output


def test_a_json_table_is_validated_against_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "tram.json"
    path.write_text(json.dumps([["mã", "tên"], [1, "Trạm Bạch Đằng"], ["hai", "Trạm Sông Hàn"]], ensure_ascii=False),
                    encoding="utf-8")
    schema = {"fields": [{"name": "mã", "type": "integer"}, {"name": "tên", "type": "string"}]}
    report = validate_file(path, "json", schema, "test", Limits())
    assert report["status"] == "failure"
    assert ours(report) == {("type-error", 3, 1)}
