"""The link with the national portal, against the real second CKAN: push and pull."""
from __future__ import annotations

import json
import logging

import pytest
from ckan.plugins import toolkit as tk
from ckan.tests import factories, helpers

from tests.national import NationalPortal
from tests.publishing_fixtures import (  # noqa: F401
    Agency, agency, as_user, city_fields, file_server, free_port, make_dataset, national, publish, served_portal,
)


def sync_all(cli) -> str:  # type: ignore[no-untyped-def]
    from ckan.cli.cli import ckan

    result = cli.invoke(ckan, ["cityopendata", "national", "sync", "--all"])
    return result.output


def national_datasets(national: NationalPortal, anonymous: bool = True) -> list[dict]:
    return national.api(anonymous=anonymous).action.package_search(q="*:*", rows=100)["results"]


def test_a_published_dataset_reaches_the_national_portal_and_follows_updates_and_withdrawal(
    agency: Agency, national: NationalPortal, file_server, cli  # type: ignore[no-untyped-def]
) -> None:
    base, _ = file_server
    dataset = make_dataset(agency, f"{base}/bus-stops.csv", **city_fields())
    helpers.call_action("cityopendata_workflow_transition", context=as_user(agency.editor), id=dataset["id"], to="submitted")
    helpers.call_action("cityopendata_workflow_transition", context=as_user(agency.reviewer), id=dataset["id"],
                        to="returned", reason="Bổ sung liên hệ")
    assert "synced 0" in sync_all(cli) and national_datasets(national) == []
    publish(agency, dataset)

    output = sync_all(cli)
    assert "synced 1" in output, output
    [remote] = national_datasets(national)
    assert remote["title"].encode("utf-8") == "Điểm dừng xe buýt Đà Nẵng".encode("utf-8")
    assert remote["organization"]["name"] == "so-gtvt"
    assert remote["organization"]["title"].encode("utf-8") == "Sở Giao thông Vận tải".encode("utf-8")
    extras = {e["key"]: e["value"] for e in remote["extras"]}
    assert extras["title_en"] == "Da Nang bus stops" and extras["city_dataset_id"] == dataset["id"]
    from ckanext.cityopendata.publishing.dcat_profile import _list
    from ckanext.cityopendata.publishing.fields import value_of

    shown = helpers.call_action("package_show", id=dataset["id"])
    assert extras["admin_units"].split(",") == _list(value_of(shown, "admin_units"))
    assert remote["maintainer_email"] == "vantai@danang.gov.vn"
    assert [r["url"] for r in remote["resources"]] == [f"{base}/bus-stops.csv"]

    assert "unchanged 1" in sync_all(cli)
    assert national.api().action.package_show(id=remote["id"])["metadata_modified"] == remote["metadata_modified"]

    helpers.call_action("package_patch", context=as_user(agency.editor), id=dataset["id"],
                        title="Điểm dừng xe buýt Đà Nẵng (cập nhật)")
    assert "synced 1" in sync_all(cli)
    [updated] = national_datasets(national)
    assert updated["id"] == remote["id"] and updated["title"] == "Điểm dừng xe buýt Đà Nẵng (cập nhật)"

    helpers.call_action("cityopendata_workflow_transition", context=as_user(agency.reviewer), id=dataset["id"],
                        to="withdrawn", reason="Dữ liệu sai")
    assert "withdrawn 1" in sync_all(cli)
    assert national_datasets(national) == []
    status = helpers.call_action("cityopendata_national_status", context={"user": factories.Sysadmin()["name"]})
    assert status["counts"]["withdrawn"] == 1


def test_the_national_portal_being_down_marks_the_dataset_failed_and_a_later_run_completes_it(
    agency: Agency, national: NationalPortal, cli, app, monkeypatch  # type: ignore[no-untyped-def]
) -> None:
    dataset = publish(agency, make_dataset(agency))
    monkeypatch.setitem(tk.config, "ckanext.cityopendata.national.url", f"http://127.0.0.1:{free_port()}")
    output = sync_all(cli)
    assert "failed 1" in output, output
    admin = factories.Sysadmin()
    status = helpers.call_action("cityopendata_national_status", context={"user": admin["name"]})
    [row] = status["datasets"]
    assert row["status"] == "failed" and "cannot be reached" in row["error"] and row["attempts"] == 3  # one try and two quick retries
    assert row["next_attempt"]
    page = app.get("/ckan-admin/national-sync", headers={"Authorization": factories.APIToken(user=admin["name"])["token"]})
    assert 'data-status="failed"' in page.body and dataset["name"] in page.body

    monkeypatch.setitem(tk.config, "ckanext.cityopendata.national.url", national.url)
    assert "synced 1" in sync_all(cli)
    assert "unchanged 1" in sync_all(cli)
    assert [d["name"] for d in national_datasets(national)] == [dataset["name"]]


def test_a_push_interrupted_after_the_remote_create_does_not_duplicate(agency: Agency, national: NationalPortal, cli) -> None:  # type: ignore[no-untyped-def]
    from ckan import model

    from ckanext.cityopendata.publishing.model import NationalSync

    dataset = publish(agency, make_dataset(agency))
    assert "synced 1" in sync_all(cli)
    row = model.Session.get(NationalSync, dataset["id"])
    row.status, row.remote_id, row.payload_hash = "pending", None, None  # as if the job died before saving
    model.Session.commit()
    assert "synced 1" in sync_all(cli)
    assert len(national_datasets(national)) == 1


def test_the_api_token_never_appears_in_errors_logs_or_pages(
    agency: Agency, national: NationalPortal, cli, app, monkeypatch, caplog  # type: ignore[no-untyped-def]
) -> None:
    secret = "tok-" + "x" * 40
    monkeypatch.setitem(tk.config, "ckanext.cityopendata.national.api_token", secret)
    publish(agency, make_dataset(agency))
    with caplog.at_level(logging.DEBUG):
        output = sync_all(cli)
    assert "failed 1" in output
    admin = factories.Sysadmin()
    status = helpers.call_action("cityopendata_national_status", context={"user": admin["name"]})
    page = app.get("/ckan-admin/national-sync", headers={"Authorization": factories.APIToken(user=admin["name"])["token"]})
    assert status["datasets"][0]["error"]
    for text in (output, json.dumps(status), page.body, caplog.text):
        assert secret not in text


def test_only_site_administrators_see_the_sync_status(agency: Agency, app) -> None:  # type: ignore[no-untyped-def]
    for user in (agency.admin, agency.reviewer, None):
        with pytest.raises(tk.NotAuthorized):
            helpers.call_action("cityopendata_national_status", context=as_user(user))
    token = factories.APIToken(user=agency.admin["name"])["token"]
    assert app.get("/ckan-admin/national-sync", headers={"Authorization": token}).status_code == 403


def test_a_burst_of_edits_queues_one_push(agency: Agency, national: NationalPortal) -> None:
    from ckan.lib.jobs import get_queue

    from ckanext.cityopendata.publishing.national.sync import job_id

    queue = get_queue()
    queue.empty()
    dataset = publish(agency, make_dataset(agency))
    for n in range(3):
        helpers.call_action("package_patch", context=as_user(agency.editor), id=dataset["id"], notes=f"Bản sửa {n}")
    assert queue.job_ids.count(job_id(dataset["id"])) == 1
    queue.empty()


def test_no_unpublished_or_private_dataset_leaks_anywhere(agency: Agency, national: NationalPortal, cli, app) -> None:  # type: ignore[no-untyped-def]
    def step(dataset: dict, to: str, user: dict, reason: str = "") -> None:
        helpers.call_action("cityopendata_workflow_transition", context=as_user(user), id=dataset["id"], to=to, reason=reason)

    make_dataset(agency, name="ban-nhap", title="Bí mật bản nháp")
    submitted = make_dataset(agency, name="cho-duyet", title="Bí mật chờ duyệt")
    step(submitted, "submitted", agency.editor)
    returned = make_dataset(agency, name="bi-tra-lai", title="Bí mật bị trả lại")
    step(returned, "submitted", agency.editor)
    step(returned, "returned", agency.reviewer, "Sai")
    withdrawn = publish(agency, make_dataset(agency, name="da-rut", title="Bí mật đã rút"))
    private_later = publish(agency, make_dataset(agency, name="rieng-tu", title="Bí mật riêng tư"))
    assert "synced 2" in sync_all(cli)
    step(withdrawn, "withdrawn", agency.reviewer, "Rút")
    helpers.call_action("package_patch", context=as_user(agency.admin), id=private_later["id"], private=True)
    publish(agency, make_dataset(agency, name="cong-khai", title="Công khai"))
    assert "synced 1" in sync_all(cli)

    outsiders = (None, agency.outsider)
    for user in outsiders:
        for params in ({}, {"include_private": True}, {"fq": "capacity:*"}, {"include_drafts": True},
                       {"fq": "workflow_state:*"}, {"facet.field": ["organization", "workflow_state"]}):
            found = helpers.call_action("package_search", context=as_user(user), q="*:*", **params)
            assert [d["name"] for d in found["results"]] == ["cong-khai"], (user, params)
            assert found["count"] == 1
        org = helpers.call_action("organization_show", context=as_user(user), id="so-gtvt")
        assert org["package_count"] == 1
        activity = helpers.call_action("organization_activity_list", context=as_user(user), id="so-gtvt")
        assert not any("Bí mật" in json.dumps(a, ensure_ascii=False) for a in activity), user
        for name in ("ban-nhap", "cho-duyet", "bi-tra-lai", "da-rut", "rieng-tu"):
            with pytest.raises((tk.NotAuthorized, tk.ObjectNotFound)):
                helpers.call_action("package_activity_list", context=as_user(user), id=name)
    catalogue = app.get("/catalog.ttl").body
    assert "Bí mật" not in catalogue and "Công khai" in catalogue
    assert [d["name"] for d in national_datasets(national, anonymous=False)] == ["cong-khai"]


def test_the_stock_harvesters_of_the_national_portal_import_our_published_datasets(
    agency: Agency, clean_national: NationalPortal, served_portal, file_server  # type: ignore[no-untyped-def]
) -> None:
    base, _ = file_server
    publish(agency, make_dataset(agency, f"{base}/bus-stops.csv", **city_fields()))
    make_dataset(agency, name="ban-nhap", title="Bí mật bản nháp")
    api = clean_national.api()
    owner = api.action.organization_create(name="thanh-pho-da-nang", title="Thành phố Đà Nẵng")
    sources = {
        "ckan": (served_portal.url, "{}"),
        "dcat_rdf": (f"{served_portal.url}/catalog.ttl", json.dumps({"rdf_format": "text/turtle"})),
    }
    for kind, (url, config) in sources.items():
        api.action.harvest_source_create(name=f"danang-{kind}".replace("_", "-"), title=f"Đà Nẵng ({kind})",
                                         url=url, source_type=kind, config=config, owner_org=owner["id"])
        # one job per source: a second run-test on one source hits the stock KeyError on source_type
        clean_national.ckan("harvester", "run-test", f"danang-{kind}".replace("_", "-"))
    found = national_datasets(clean_national, anonymous=False)
    assert len(found) == 2, [d["title"] for d in found]
    # the CKAN API harvester keeps our name and copies the Vietnamese title byte for byte
    [from_api] = [d for d in found if d["name"] == "diem-dung-xe-buyt"]
    assert from_api["title"].encode("utf-8") == "Điểm dừng xe buýt Đà Nẵng".encode("utf-8")
    # the RDF harvester picks, of our vi/en titles, the one in the national portal's language (en here)
    [from_rdf] = [d for d in found if d["name"] != "diem-dung-xe-buyt"]
    assert from_rdf["title"] in ("Da Nang bus stops", "Điểm dừng xe buýt Đà Nẵng")
    for dataset in found:
        assert [r["url"] for r in dataset["resources"]] == [f"{base}/bus-stops.csv"]
        assert "Bí mật" not in json.dumps(dataset, ensure_ascii=False)
