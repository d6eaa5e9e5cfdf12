"""What a harvest must withstand: internal addresses, garbage, hostile files, slow sources,
interruption, and stuck jobs."""
from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import openpyxl

import pytest
from ckan import model
from ckan.plugins import toolkit as tk

from ckanext.cityopendata.harvesters import runner, spreadsheet
from ckanext.harvest.model import HarvestJob, HarvestObject
from tests.harvest_fixtures import (  # noqa: F401  (fixtures)
    FileServer, _file_server, agency, field, file_server, harvested, last_report, make_source, run_harvest, shown,
)
from tests.validation_fixtures import rewrite_zip

CSV_TYPE = "text/csv"


def catalogue(n: int, prefix: str = "Bộ dữ liệu") -> str:
    lines = ["Mã,Tên dữ liệu,Chủ đề,Tệp dữ liệu"]
    lines += [f"ds-{i:03d},{prefix} số {i},Giao thông,https://example.org/{i}.csv" for i in range(n)]
    return "\n".join(lines) + "\n"


@pytest.mark.ckan_config("ckanext.cityopendata.fetch.allowed_hosts", "")
def test_a_source_on_an_internal_address_is_refused(agency, file_server):
    url = file_server.put("/danh-muc.csv", catalogue(2), CSV_TYPE)
    source = make_source(agency, "cityopendata_spreadsheet", url)
    summary = runner.run_source(runner.find_source(source["name"]))
    assert file_server.requests == []
    assert any("internal address" in e for e in summary.errors)
    assert harvested(source["id"]) == []
    assert HarvestJob.get(summary.job_id).status == "Finished"


@pytest.mark.parametrize("garbage, content_type", [
    (b"<html><body>502 Bad Gateway</body></html>", "text/html"),
    (b"\xff\xfe\x00garbage\x00\x00\xff", CSV_TYPE),
    (b"Cot A,Cot B\n1,2\n", CSV_TYPE),
])
def test_a_source_turned_to_garbage_leaves_the_harvested_datasets_intact(agency, file_server, garbage, content_type):
    url = file_server.put("/danh-muc.csv", catalogue(3), CSV_TYPE)
    source = make_source(agency, "cityopendata_spreadsheet", url)
    runner.run_source(runner.find_source(source["name"]))
    before = {d["id"]: d["metadata_modified"] for d in harvested(source["id"])}
    file_server.put("/danh-muc.csv", garbage, content_type)
    summary = runner.run_source(runner.find_source(source["name"]))
    assert summary.errors and summary.created == summary.updated == summary.deleted == 0
    after = {d["id"]: (d["metadata_modified"], d["private"]) for d in harvested(source["id"])}
    assert after == {i: (m, False) for i, m in before.items()}
    report = tk.get_action("cityopendata_harvest_job_report")({"ignore_auth": True}, {"id": summary.job_id})
    assert report["status"] == "Finished" and report["errors"]


def test_a_source_that_goes_away_leaves_the_datasets_intact(agency, file_server):
    url = file_server.put("/danh-muc.csv", catalogue(2), CSV_TYPE)
    source = make_source(agency, "cityopendata_spreadsheet", url)
    runner.run_source(runner.find_source(source["name"]))
    del file_server.files["/danh-muc.csv"]
    summary = runner.run_source(runner.find_source(source["name"]))
    assert any("404" in e for e in summary.errors)
    assert [d["private"] for d in harvested(source["id"])] == [False, False]


def test_one_dataset_the_database_refuses_fails_alone_and_the_rest_import(agency, file_server):
    items = [{"ma": f"ks-{i}", "ten": f"Khách sạn {i}", "mo_ta": "Mô tả"} for i in range(4)]
    items[1]["mo_ta"] = "Mô tả có ký tự NUL \u0000 mà PostgreSQL không nhận"
    url = file_server.put("/api", json.dumps({"items": items}, ensure_ascii=False), "application/json")
    source = make_source(agency, "cityopendata_jsonapi", url,
                         {"items": "$.items", "mapping": {"guid": "$.ma", "title": "$.ten", "notes": "$.mo_ta"}})
    summary = runner.run_source(runner.find_source(source["name"]))
    assert (summary.created, summary.failed) == (3, 1)
    assert sorted(field(d, "original_id") for d in harvested(source["id"])) == ["ks-0", "ks-2", "ks-3"]
    [error] = last_report(source["id"])["object_errors"]
    assert error["guid"] == "ks-1" and "ks-1" in error["message"]


def test_an_interrupted_harvest_run_again_ends_complete_without_duplicates(agency, file_server, ckan_config):
    url = file_server.put("/danh-muc.csv", catalogue(30), CSV_TYPE)
    source = make_source(agency, "cityopendata_spreadsheet", url)
    ckan = str(Path(sys.executable).with_name("ckan"))
    process = subprocess.Popen([ckan, "-c", ckan_config["__file__"], "cityopendata", "harvest", "run", source["name"]],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        model.Session.remove()
        done = model.Session.query(HarvestObject).filter(
            HarvestObject.harvest_source_id == source["id"], HarvestObject.current == True).count()  # noqa: E712
        if done >= 5 or process.poll() is not None:
            break
        time.sleep(0.2)
    os.kill(process.pid, signal.SIGKILL)  # the process we started, killed half-way
    process.wait()
    model.Session.remove()
    assert model.Session.query(HarvestJob).filter_by(source_id=source["id"], status="Running").count() == 1
    partial = model.Session.query(model.Package).filter(model.Package.type == "dataset").count()
    assert 0 < partial < 30
    summary = runner.run_source(runner.find_source(source["name"]))
    assert summary.created + summary.unchanged == 30 and summary.failed == 0
    datasets = harvested(source["id"])
    assert len(datasets) == 30
    assert len({field(d, "original_id") for d in datasets}) == 30
    model.Session.remove()
    assert model.Session.query(HarvestJob).filter_by(source_id=source["id"]).filter(
        HarvestJob.status != "Finished").count() == 0
    again = runner.run_source(runner.find_source(source["name"]))
    assert again.unchanged == 30 and again.created == 0


def test_the_run_command_rejects_an_unknown_source_with_one_line(cli, agency):
    from ckan.cli.cli import ckan

    result = cli.invoke(ckan, ["cityopendata", "harvest", "run", "khong-co-nguon-nay"])
    assert result.exit_code != 0
    assert "No harvest source named khong-co-nguon-nay" in result.output


def test_the_job_report_page_shows_counts_and_errors_to_the_agency(app, agency, file_server):
    url = file_server.put("/danh-muc.csv", catalogue(2) + "ds-x,Dữ liệu lạ,Chủ đề không có,\n", CSV_TYPE)
    source = make_source(agency, "cityopendata_spreadsheet", url)
    summary = runner.run_source(runner.find_source(source["name"]))
    page = app.get(f"/harvest/job-report/{summary.job_id}", extra_environ={},
                   headers={"Authorization": _token(agency["sysadmin"])})
    assert page.status_code == 200
    assert "Chủ đề không có" in page.body
    anonymous = app.get(f"/harvest/job-report/{summary.job_id}")
    assert anonymous.status_code == 403


def _token(user: str) -> str:
    from ckan.tests import factories

    return factories.APIToken(user=user)["token"]


def test_the_whole_cli_run_reports_a_summary(cli, agency, file_server):
    url = file_server.put("/danh-muc.csv", catalogue(3), CSV_TYPE)
    source = make_source(agency, "cityopendata_spreadsheet", url)
    output = run_harvest(cli, source["name"])
    assert "created 3, updated 0, unchanged 0, deleted 0, failed 0" in output
    file_server.put("/danh-muc.csv", catalogue(2), CSV_TYPE)
    output = run_harvest(cli, source["name"])
    assert "created 0, updated 0, unchanged 2, deleted 1, failed 0" in output
    assert json.loads(json.dumps(last_report(source["id"])))["deleted"] == 1


# -- hostile files and slow sources: refused with one clear error, the harvested datasets untouched --

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RDF_TYPE = "application/rdf+xml"
PASSWD = "root:x:0:0"


def workbook(n: int) -> bytes:
    """The catalogue of ``catalogue(n)`` as an XLSX workbook (openpyxl writes inline strings)."""
    book = openpyxl.Workbook()
    for line in catalogue(n).splitlines():
        book.active.append(line.split(","))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def snapshot(source_id: str) -> dict[str, tuple[str, str, bool]]:
    return {d["id"]: (d["title"], d["metadata_modified"], d["private"]) for d in harvested(source_id)}


def assert_refused_and_intact(summary: runner.Summary, source_id: str, before: dict[str, Any], *phrases: str) -> None:
    """The job ended with an error naming ``phrases`` (in the run's summary and the job report),
    and changed no dataset of the source."""
    assert summary.created == summary.updated == summary.deleted == 0
    report = tk.get_action("cityopendata_harvest_job_report")({"ignore_auth": True}, {"id": summary.job_id})
    assert report["status"] == "Finished"
    for errors in (summary.errors, report["errors"]):
        assert any(all(p in e for p in phrases) for e in errors), errors
    assert snapshot(source_id) == before
    assert all(private is False for _title, _modified, private in before.values()) and before


def harvest_twice(agency: dict[str, Any], serve: Callable[[bytes | str, str], str], first: bytes | str,
                  first_type: str, then: bytes | str, then_type: str, source_type: str = "cityopendata_spreadsheet",
                  config: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, Any], runner.Summary]:
    """Harvest ``first`` from a source, then harvest it again once it serves ``then``."""
    source = make_source(agency, source_type, serve(first, first_type), config)
    done = runner.run_source(runner.find_source(source["name"]))
    assert done.created > 0 and not done.errors, done.errors
    before = snapshot(source["id"])
    serve(then, then_type)
    return source, before, runner.run_source(runner.find_source(source["name"]))


def no_dataset_holds(text: str) -> bool:
    return not any(text in json.dumps(shown(d["id"]), ensure_ascii=False) for d in harvested())


XXE = b'<!DOCTYPE worksheet [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
LAUGHS = (b'<!DOCTYPE worksheet [<!ENTITY x0 "ha">'
          + b"".join(b'<!ENTITY x%d "%s">' % (i, b"&x%d;" % (i - 1) * 10) for i in range(1, 10)) + b"]>")


def _with_dtd(dtd: bytes, reference: bytes, padding: bytes = b"", utf16: bool = False) -> Callable[[bytes], bytes]:
    def change(sheet: bytes) -> bytes:
        body = sheet.replace(b"<t>ds-000</t>", b"<t>" + reference + b"</t>")
        document = b'<?xml version="1.0" encoding="UTF-8"?>' + padding + dtd + body
        if utf16:  # a byte search for "<!DOCTYPE" does not see it; an XML parser does
            document = document.replace(b'"UTF-8"', b'"UTF-16"').decode("utf-8").encode("utf-16")
        return document
    return change


@pytest.mark.parametrize("change", [
    _with_dtd(XXE, b"&x;"),
    _with_dtd(LAUGHS, b"&x9;", padding=b"<!--" + b" " * 8192 + b"-->"),
    _with_dtd(XXE, b"&x;", utf16=True),
], ids=["external-entity", "billion-laughs-behind-a-comment", "utf-16"])
def test_a_workbook_declaring_a_dtd_is_refused_and_the_harvested_datasets_stay(agency, file_server, change):
    hostile = rewrite_zip(workbook(3), "xl/worksheets/sheet1.xml", change)
    source, before, summary = harvest_twice(
        agency, lambda body, kind: file_server.put("/danh-muc.xlsx", body, kind), workbook(2), XLSX_TYPE, hostile, XLSX_TYPE)
    assert_refused_and_intact(summary, source["id"], before, "DTD", "refused")
    assert no_dataset_holds(PASSWD) and no_dataset_holds("haha")


def test_a_zip_bomb_workbook_is_refused_and_the_harvested_datasets_stay(agency, file_server):
    padding = b" " * (spreadsheet.MAX_UNZIPPED + 1)  # whitespace between elements: valid XML
    bomb = rewrite_zip(workbook(3), "xl/worksheets/sheet1.xml", lambda xml: xml.replace(b"</sheetData>", b"</sheetData>" + padding))
    assert len(bomb) < 200_000  # what the agency's server sends: small
    source, before, summary = harvest_twice(
        agency, lambda body, kind: file_server.put("/danh-muc.xlsx", body, kind), workbook(2), XLSX_TYPE, bomb, XLSX_TYPE)
    assert_refused_and_intact(summary, source["id"], before, f"unpacks to more than {spreadsheet.MAX_UNZIPPED // 2**20} MB")


class RawServer:
    """An HTTP server on 127.0.0.1 written on bare sockets, to misbehave as real servers do: answer
    a byte at a time (headers included, if asked), or with no Content-Length."""

    def __init__(self) -> None:
        self.body = b""
        self.content_type = CSV_TYPE
        self.interval = 0.0
        self.trickle_headers = False
        self.declare_length = True
        self.requests = 0
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}/danh-muc"
        threading.Thread(target=self._accept, daemon=True).start()

    def serve(self, body: bytes | str, content_type: str) -> str:
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self.content_type = content_type
        return self.url

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        with connection:
            connection.recv(65536)  # one small GET
            self.requests += 1
            length = f"Content-Length: {len(self.body)}\r\n" if self.declare_length else ""
            head = f"HTTP/1.1 200 OK\r\nContent-Type: {self.content_type}\r\n{length}Connection: close\r\n\r\n"
            try:
                if not self.interval:
                    connection.sendall(head.encode() + self.body)
                    return
                data = head.encode() + self.body
                if not self.trickle_headers:
                    connection.sendall(head.encode())
                    data = self.body
                for i in range(len(data)):
                    connection.sendall(data[i:i + 1])
                    time.sleep(self.interval)
            except OSError:
                return  # the client gave up on us

    def stop(self) -> None:
        self._socket.shutdown(socket.SHUT_RDWR)
        self._socket.close()


@pytest.fixture
def raw_server() -> Iterator[RawServer]:
    server = RawServer()
    yield server
    server.stop()


@pytest.mark.ckan_config("ckanext.cityopendata.fetch.max_bytes", "20000")
@pytest.mark.parametrize("declared", [True, False], ids=["content-length-declared", "streamed-without-length"])
def test_a_catalogue_over_the_size_cap_is_refused_and_the_harvested_datasets_stay(agency, raw_server, declared):
    raw_server.declare_length = declared
    big = catalogue(400)
    assert len(catalogue(3).encode()) < 20_000 < len(big.encode())
    source, before, summary = harvest_twice(agency, raw_server.serve, catalogue(3), CSV_TYPE, big, CSV_TYPE)
    assert_refused_and_intact(summary, source["id"], before, "over the limit of 20000")


@pytest.mark.parametrize("trickle_headers", [False, True], ids=["body-a-byte-at-a-time", "headers-a-byte-at-a-time"])
def test_a_source_that_trickles_its_answer_fails_on_its_timeout_and_the_datasets_stay(agency, raw_server, trickle_headers):
    source = make_source(agency, "cityopendata_spreadsheet", raw_server.serve(catalogue(2), CSV_TYPE), {"timeout": 1})
    assert runner.run_source(runner.find_source(source["name"])).created == 2
    before = snapshot(source["id"])
    raw_server.interval, raw_server.trickle_headers = 0.5, trickle_headers
    requests_before = raw_server.requests
    started = time.monotonic()
    summary = runner.run_source(runner.find_source(source["name"]))
    elapsed = time.monotonic() - started
    assert_refused_and_intact(summary, source["id"], before, "took longer than 1 s")
    # cut off at the source's 1 s timeout (plus at most one interval), and not tried again: a
    # source too slow once holds the job one timeout, not RETRIES of them
    assert elapsed < 1 + raw_server.interval + 1.5, elapsed
    assert raw_server.requests == requests_before + 1


def rdf_xml(dtd: str, title: str, notes: str) -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
{dtd}
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dcat="http://www.w3.org/ns/dcat#"
         xmlns:dct="http://purl.org/dc/terms/">
  <dcat:Dataset rdf:about="http://agency.test/ds/xml-1">
    <dct:identifier>xml-1</dct:identifier>
    <dct:title xml:lang="vi">{title}</dct:title>
    <dct:description xml:lang="vi">{notes}</dct:description>
  </dcat:Dataset>
</rdf:RDF>"""


@pytest.fixture
def spy_server() -> Iterator[FileServer]:
    """A second local server, which records whether anything asked it for anything."""
    server = FileServer()
    server.put("/bi-mat", "SECRET-OF-THE-INTRANET", "text/plain")
    server.put("/bi-mat.dtd", '<!ENTITY x "SECRET-OF-THE-INTRANET">', "application/xml-dtd")
    yield server
    server.stop()


@pytest.mark.parametrize("dtd, reference", [
    ('<!DOCTYPE rdf:RDF [<!ENTITY x SYSTEM "file:///etc/passwd">]>', "&x;"),
    ('<!DOCTYPE rdf:RDF [<!ENTITY x SYSTEM "{spy}/bi-mat">]>', "&x;"),
    ('<!DOCTYPE rdf:RDF [<!ENTITY % p SYSTEM "{spy}/bi-mat.dtd"> %p;]>', "&x;"),
    ('<!DOCTYPE rdf:RDF SYSTEM "{spy}/bi-mat.dtd">', "&x;"),
], ids=["file-entity", "http-entity", "http-parameter-entity", "external-dtd"])
def test_an_rdf_xml_catalogue_with_external_entities_leaks_nothing_and_asks_nothing(
    agency, file_server, spy_server, dtd, reference
):
    good = rdf_xml("", "Trường học trên địa bàn", "Danh sách trường học")
    hostile = rdf_xml(dtd.replace("{spy}", spy_server.url), f"Trường học {reference}", reference)
    source, before, summary = harvest_twice(
        agency, lambda body, kind: file_server.put("/catalog.rdf", body, kind), good, RDF_TYPE, hostile, RDF_TYPE,
        source_type="cityopendata_dcat")
    assert spy_server.requests == []
    assert no_dataset_holds(PASSWD) and no_dataset_holds("SECRET-OF-THE-INTRANET")
    assert_refused_and_intact(summary, source["id"], before, "DTD", "refused")
