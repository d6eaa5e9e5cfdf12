"""How a job's datasets land: imported by several processes, then handed to validation."""
from __future__ import annotations

import pytest
from ckan import model

from ckanext.cityopendata.harvesters import runner
from ckanext.harvest.model import HarvestObject
from tests.harvest_fixtures import (  # noqa: F401  (fixtures)
    _file_server, agency, field, file_server, harvested, make_source, run_harvest, shown,
)
from tests.publishing_fixtures import mailbox  # noqa: F401  (fixture)
from tests.validation_fixtures import run_validation_jobs  # noqa: F401  (fixture)

CSV_TYPE = "text/csv"


def catalogue(rows: list[tuple[str, str, str]]) -> str:
    lines = ["Mã,Tên dữ liệu,Chủ đề,Tệp dữ liệu,Định dạng"]
    lines += [f"{code},{title},Giao thông,{url},CSV" for code, title, url in rows]
    return "\n".join(lines) + "\n"


@pytest.mark.ckan_config("ckanext.cityopendata.harvest.parallel_threshold", "5")
def test_a_large_catalogue_is_imported_by_several_processes_once_each(cli, agency, file_server):
    rows = [(f"tuyen-{i:02d}", f"Tuyến xe buýt số {i}", f"https://example.org/tuyen-{i}.csv") for i in range(24)]
    # two agencies' rows with the same title, imported side by side, both need the same URL name
    rows[0] = ("trung-ten-a", "Điểm đỗ xe công cộng", "https://example.org/a.csv")
    rows[1] = ("trung-ten-b", "Điểm đỗ xe công cộng", "https://example.org/b.csv")
    source = make_source(agency, "cityopendata_spreadsheet", file_server.put("/danh-muc.csv", catalogue(rows), CSV_TYPE))

    output = run_harvest(cli, source["name"])  # default: one import process per core, at most 4
    assert "created 24, updated 0, unchanged 0, deleted 0, failed 0" in output

    datasets = harvested(source["id"])
    assert len(datasets) == 24
    assert len({d["name"] for d in datasets}) == 24
    assert sorted(field(d, "original_id") for d in datasets) == sorted(code for code, _, _ in rows)
    twins = [d for d in datasets if d["title"] == "Điểm đỗ xe công cộng"]
    assert len(twins) == 2 and twins[0]["name"] != twins[1]["name"]
    assert model.Session.query(model.Package).filter(model.Package.type == "dataset").count() == 24

    again = run_harvest(cli, source["name"])
    assert "created 0, updated 0, unchanged 24, deleted 0, failed 0" in again
    assert {d["id"]: d["metadata_modified"] for d in harvested(source["id"])} == {
        d["id"]: d["metadata_modified"] for d in datasets}


@pytest.mark.ckan_config("ckanext.cityopendata.harvest.parallel_threshold", "5")
def test_the_workers_option_sets_the_import_processes_and_bad_values_are_refused(cli, agency, file_server):
    from ckan.cli.cli import ckan

    rows = [(f"ds-{i}", f"Bãi đỗ xe {i}", f"https://example.org/{i}.csv") for i in range(6)]
    source = make_source(agency, "cityopendata_spreadsheet", file_server.put("/danh-muc.csv", catalogue(rows), CSV_TYPE))
    refused = cli.invoke(ckan, ["cityopendata", "harvest", "run", source["name"], "--workers", "0"])
    assert refused.exit_code != 0 and "--workers" in refused.output
    assert harvested(source["id"]) == []

    assert runner.import_workers(6, 2) == 2
    assert runner.import_workers(4, 2) == 1  # under the threshold: one process
    done = cli.invoke(ckan, ["cityopendata", "harvest", "run", source["name"], "--workers", "2"])
    assert done.exit_code == 0, done.output
    assert len(harvested(source["id"])) == 6
    states = {s for (s,) in model.Session.query(HarvestObject.state)}
    assert states == {"COMPLETE"}


def test_harvested_tabular_resources_are_validated_as_they_land(agency, file_server, run_validation_jobs):
    good = file_server.put("/diem-do.csv", "ma,ten,so_cho\n1,Bãi đỗ Bạch Đằng,120\n2,Bãi đỗ Hàn,80\n", CSV_TYPE)
    ragged = file_server.put("/tram-sac.csv", "ma,ten\n1,Trạm sạc Sơn Trà,thừa,cột\n2\n", CSV_TYPE)
    rows = [("do-xe", "Điểm đỗ xe", good), ("tram-sac", "Trạm sạc xe điện", ragged)]
    source = make_source(agency, "cityopendata_spreadsheet", file_server.put("/danh-muc.csv", catalogue(rows), CSV_TYPE))

    summary = runner.run_source(runner.find_source(source["name"]))
    assert summary.created == 2
    assert run_validation_jobs() == 2

    by_code = {field(d, "original_id"): shown(d["id"]) for d in harvested(source["id"])}
    assert by_code["do-xe"]["resources"][0]["validation_status"] == "success"
    assert by_code["tram-sac"]["resources"][0]["validation_status"] == "failure"

    # each dataset has one "new package" activity holding what was harvested (by the site user,
    # whose activities CKAN hides from the public stream by default)
    from ckan.tests import helpers

    activities = helpers.call_action("package_activity_list", context={"ignore_auth": True},
                                     id=by_code["do-xe"]["id"], include_hidden_activity=True)
    assert [a["activity_type"] for a in activities] == ["new package"]
    assert activities[0]["data"]["package"]["title"] == "Điểm đỗ xe"

    # an unchanged re-harvest queues nothing again
    runner.run_source(runner.find_source(source["name"]))
    assert run_validation_jobs() == 0


def test_reviewers_get_one_digest_mail_for_a_harvest_waiting_for_review(agency, file_server, mailbox):
    from ckan.tests import factories, helpers

    admin = factories.User(name="truong-phong", email="truongphong@sogtvt.test")
    helpers.call_action("organization_member_create", context={"user": agency["sysadmin"]},
                        id=agency["id"], username=admin["name"], role="admin")
    rows = [(f"bai-do-{i}", f"Bãi đỗ xe quận {i}", f"https://example.org/{i}.csv") for i in range(6)]
    source = make_source(agency, "cityopendata_spreadsheet", file_server.put("/danh-muc.csv", catalogue(rows), CSV_TYPE),
                         config={"publish_policy": "review"})

    summary = runner.run_source(runner.find_source(source["name"]))
    assert summary.created == 6
    assert all(d["private"] for d in harvested(source["id"]))
    [mail] = mailbox.to("truongphong@sogtvt.test")
    assert "6" in str(mail["Subject"]) and source["title"] in str(mail["Subject"])
    body = mail.get_content()
    for i in range(6):
        assert f"Bãi đỗ xe quận {i}" in body

    runner.run_source(runner.find_source(source["name"]))  # nothing new: no new mail
    assert len(mailbox.to("truongphong@sogtvt.test")) == 1


def test_a_parallel_run_killed_half_way_stops_its_import_processes_and_a_rerun_completes(agency, file_server,
                                                                                         ckan_config):
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    rows = [(f"ds-{i:03d}", f"Cây xanh đường phố {i}", f"https://example.org/{i}.csv") for i in range(60)]
    source = make_source(agency, "cityopendata_spreadsheet", file_server.put("/danh-muc.csv", catalogue(rows), CSV_TYPE))
    ckan = str(Path(sys.executable).with_name("ckan"))
    process = subprocess.Popen([ckan, "-c", ckan_config["__file__"], "cityopendata", "harvest", "run", source["name"],
                                "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def imported() -> int:
        model.Session.remove()
        return model.Session.query(model.Package).filter(model.Package.type == "dataset").count()

    deadline = time.monotonic() + 120
    while imported() < 6 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    os.kill(process.pid, signal.SIGKILL)  # the run itself; its import processes are not signalled
    process.wait()
    time.sleep(1.5)  # each import process finishes the dataset in hand, then sees its run is gone
    stopped_at = imported()
    time.sleep(1.5)
    assert imported() == stopped_at < 60, "the orphaned import processes went on importing"

    summary = runner.run_source(runner.find_source(source["name"]))
    assert summary.failed == 0 and summary.created + summary.unchanged == 60
    datasets = harvested(source["id"])
    assert len(datasets) == 60 and len({field(d, "original_id") for d in datasets}) == 60


@pytest.mark.ckan_config("ckan.hide_activity_from_users", "nobody-at-all")  # show the harvest's activities
def test_the_activity_of_a_harvested_dataset_waiting_for_review_stays_private(agency, file_server):
    from ckan.tests import helpers

    rows = [("cho-duyet", "Danh sách trạm quan trắc", "https://example.org/tram.csv"),
            ("cong-khai", "Danh sách công viên", "https://example.org/cong-vien.csv")]
    waiting = make_source(agency, "cityopendata_spreadsheet", file_server.put("/a.csv", catalogue(rows[:1]), CSV_TYPE),
                          config={"publish_policy": "review"}, name="nguon-cho-duyet")
    public = make_source(agency, "cityopendata_spreadsheet", file_server.put("/b.csv", catalogue(rows[1:]), CSV_TYPE),
                         name="nguon-cong-khai")
    for source in (waiting, public):
        assert runner.run_source(runner.find_source(source["name"])).created == 1

    anonymous = {"user": "", "ignore_auth": False}
    titles = [a["data"]["package"]["title"] for a in helpers.call_action(
        "recently_changed_packages_activity_list", context=dict(anonymous), limit=100)]
    assert "Danh sách công viên" in titles
    assert "Danh sách trạm quan trắc" not in titles
    seen_by_agency = [a["data"]["package"]["title"] for a in helpers.call_action(
        "recently_changed_packages_activity_list", context={"user": agency["sysadmin"]}, limit=100)]
    assert "Danh sách trạm quan trắc" in seen_by_agency
