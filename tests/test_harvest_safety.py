"""What a harvest must withstand: internal addresses, garbage, interruption, and stuck jobs."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ckan import model
from ckan.plugins import toolkit as tk

from ckanext.cityopendata.harvesters import runner
from ckanext.harvest.model import HarvestJob, HarvestObject
from tests.harvest_fixtures import (  # noqa: F401  (fixtures)
    _file_server, agency, field, file_server, harvested, last_report, make_source, run_harvest, shown,
)

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
