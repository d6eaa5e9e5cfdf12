"""Harvesting an agency's own CKAN (a real, stock CKAN 2.12 run by the national_portal fixture)."""
from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from ckan import model
from ckan.tests import helpers

from ckanext.harvest.model import HarvestJob
from tests.harvest_fixtures import (  # noqa: F401  (fixtures)
    _file_server, agency, field, file_server, harvested, last_report, make_source, run_harvest, shown,
)

TITLES = ["Điểm dừng xe buýt Đà Nẵng", "Tuyến xe buýt nội thành", "Bãi đỗ xe công cộng"]


def _remote_agency(national: Any) -> dict[str, Any]:
    api = national.api()
    api.action.group_create(name="giao-thong", title="Giao thông")
    return api.action.organization_create(name="so-gtvt-goc", title="Sở GTVT (gốc)")


def _remote_dataset(national: Any, org: dict[str, Any], n: int, **extra: Any) -> dict[str, Any]:
    # titles go out decomposed (NFD) so the harvest has to normalise them
    return national.api().action.package_create(
        name=f"du-lieu-{n}", title=unicodedata.normalize("NFD", TITLES[n]), owner_org=org["id"],
        notes="Dữ liệu do Sở GTVT cung cấp", license_id="cc-by", maintainer="Phòng Quản lý vận tải",
        maintainer_email="qlvt@danang.gov.vn", tags=[{"name": "xe buýt"}], groups=[{"name": "giao-thong"}],
        resources=[{"url": f"http://example.org/{n}.csv", "name": "Dữ liệu CSV", "format": "CSV"}], **extra,
    )


@pytest.fixture
def ckan_source(agency: dict[str, Any], clean_national: Any) -> dict[str, Any]:
    org = _remote_agency(clean_national)
    for n in range(3):
        _remote_dataset(clean_national, org, n)
    source = make_source(agency, "cityopendata_ckan", clean_national.url)
    source["remote_org"] = org
    return source


def test_an_agency_ckan_is_harvested_into_the_city_schema_with_provenance(cli, ckan_source, agency, clean_national):
    output = run_harvest(cli, ckan_source["name"])
    assert "created 3, updated 0, unchanged 0, deleted 0, failed 0" in output
    datasets = harvested(ckan_source["id"])
    assert [d["title"] for d in datasets] == sorted(TITLES)
    remote = {d["name"]: d for d in clean_national.api().action.package_search(rows=10)["results"]}
    for dataset in datasets:
        assert unicodedata.is_normalized("NFC", dataset["title"])
        assert dataset["owner_org"] == agency["id"]
        assert not dataset["private"]
        assert field(dataset, "original_id") == remote[dataset["name"]]["id"]
        assert field(dataset, "original_url") == f"{clean_national.url}/dataset/{dataset['name']}"
        assert field(dataset, "harvested_at")
        assert field(dataset, "topics") == ["transport"]
        assert field(dataset, "contact_email") == "qlvt@danang.gov.vn"
        assert dataset["license_id"] == "cc-by"
        assert [r["url"] for r in dataset["resources"]][0].startswith("http://example.org/")


def test_reharvesting_an_unchanged_ckan_writes_nothing(cli, ckan_source):
    run_harvest(cli, ckan_source["name"])
    before = {d["id"]: shown(d["id"]) for d in harvested(ckan_source["id"])}
    activities = {i: len(helpers.call_action("package_activity_list", context={"ignore_auth": True}, id=i))
                  for i in before}
    output = run_harvest(cli, ckan_source["name"])
    assert "created 0, updated 0, unchanged 3, deleted 0, failed 0" in output
    for dataset_id, dataset in before.items():
        again = shown(dataset_id)
        assert again["metadata_modified"] == dataset["metadata_modified"]
        assert len(helpers.call_action("package_activity_list", context={"ignore_auth": True}, id=dataset_id)) \
            == activities[dataset_id]
    assert len(harvested(ckan_source["id"])) == 3


def test_a_changed_and_a_deleted_remote_dataset_update_and_withdraw_ours(cli, ckan_source, clean_national):
    run_harvest(cli, ckan_source["name"])
    api = clean_national.api()
    api.action.package_patch(id="du-lieu-0", notes="Đã cập nhật tháng 11")
    api.action.package_delete(id="du-lieu-2")
    output = run_harvest(cli, ckan_source["name"])
    assert "created 0, updated 1, unchanged 1, deleted 1, failed 0" in output
    by_name = {d["name"]: d for d in harvested(ckan_source["id"])}
    assert by_name["du-lieu-0"]["notes"] == "Đã cập nhật tháng 11"
    assert by_name["du-lieu-2"]["private"] is True  # withdrawn, not lost
    public = helpers.call_action("package_search", context={"user": "", "ignore_auth": False}, q="*:*")
    assert "du-lieu-2" not in [d["name"] for d in public["results"]]
    # it comes back when the source lists it again
    api.action.package_patch(id="du-lieu-2", state="active")
    run_harvest(cli, ckan_source["name"])
    assert shown("du-lieu-2")["private"] is False
    assert len(harvested(ckan_source["id"])) == 3


def test_a_source_configured_to_delete_deletes_what_is_gone(cli, agency, clean_national):
    org = _remote_agency(clean_national)
    _remote_dataset(clean_national, org, 0)
    _remote_dataset(clean_national, org, 1)
    source = make_source(agency, "cityopendata_ckan", clean_national.url, {"on_missing": "delete"})
    run_harvest(cli, source["name"])
    clean_national.api().action.dataset_purge(id="du-lieu-1")
    assert "deleted 1" in run_harvest(cli, source["name"])
    assert shown("du-lieu-1")["state"] == "deleted"
    assert [d["name"] for d in harvested(source["id"])] == ["du-lieu-0"]


def test_remote_organisations_map_to_agencies(cli, agency, clean_national):
    org = _remote_agency(clean_national)
    _remote_dataset(clean_national, org, 0)
    other = helpers.call_action("organization_create", context={"user": agency["sysadmin"]},
                                name="so-xay-dung", title="Sở Xây dựng")
    source = make_source(agency, "cityopendata_ckan", clean_national.url,
                         {"organization_mapping": {"so-gtvt-goc": "so-xay-dung"}})
    run_harvest(cli, source["name"])
    assert harvested(source["id"])[0]["owner_org"] == other["id"]


def test_unknown_remote_values_are_reported_not_dropped_silently(cli, agency, clean_national):
    org = _remote_agency(clean_national)
    _remote_dataset(clean_national, org, 0, extras=[{"key": "nguon_kinh_phi", "value": "Ngân sách thành phố"}],
                    version="2.1")
    source = make_source(agency, "cityopendata_ckan", clean_national.url)
    run_harvest(cli, source["name"])
    messages = " ".join(e["message"] for e in last_report(source["id"])["object_errors"])
    assert "nguon_kinh_phi" in messages and "Ngân sách thành phố" in messages
    assert "version" in messages


def test_two_sources_of_one_ckan_never_share_a_dataset(cli, agency, clean_national):
    org = _remote_agency(clean_national)
    _remote_dataset(clean_national, org, 0)
    first = make_source(agency, "cityopendata_ckan", clean_national.url, {}, name="nguon-mot")
    second = make_source(agency, "cityopendata_ckan", clean_national.url, {"fq": "organization:so-gtvt-goc"},
                         name="nguon-hai")
    run_harvest(cli, first["name"])
    run_harvest(cli, second["name"])
    mine, theirs = harvested(first["id"]), harvested(second["id"])
    assert len(mine) == len(theirs) == 1
    assert mine[0]["id"] != theirs[0]["id"]
    # re-running the first leaves the second's copy alone
    run_harvest(cli, first["name"])
    assert shown(theirs[0]["id"])["metadata_modified"] == theirs[0]["metadata_modified"]


def test_a_second_stock_run_test_and_our_run_leave_no_job_running(cli, ckan_source):
    """ckanext-harvest 1.6.3 on CKAN 2.12: harvest_source_show answered from the search cache
    without source_type after a job, so a second `ckan harvester run-test` died with KeyError and
    left its job Running. Our harvest_source_show reads the database."""
    from ckan.cli.cli import ckan

    for _ in range(2):
        result = cli.invoke(ckan, ["harvester", "run-test", ckan_source["name"]])
        assert result.exit_code == 0, result.output
        model.Session.remove()
    shown_source = helpers.call_action("harvest_source_show", context={"ignore_auth": True}, id=ckan_source["id"])
    assert shown_source["source_type"] == "cityopendata_ckan"
    run_harvest(cli, ckan_source["name"])
    jobs = model.Session.query(HarvestJob).filter_by(source_id=ckan_source["id"]).all()
    assert len(jobs) == 3
    assert {j.status for j in jobs} == {"Finished"}
    assert len(harvested(ckan_source["id"])) == 3
