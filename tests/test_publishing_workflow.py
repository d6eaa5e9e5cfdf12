"""The review workflow: an agency drafts and submits, a reviewer returns or publishes."""
from __future__ import annotations

import pytest
import sqlalchemy
from ckan import model
from ckan.plugins import toolkit as tk
from ckan.tests import factories, helpers

from tests.publishing_fixtures import Agency, agency, as_user, file_server, mailbox, make_dataset  # noqa: F401


def transition(user: dict, dataset: dict, to: str, reason: str = "") -> dict:
    return helpers.call_action("cityopendata_workflow_transition", context=as_user(user),
                               id=dataset["id"], to=to, reason=reason)


def anonymous_titles(**params) -> list[str]:
    found = helpers.call_action("package_search", context=as_user(None), q="*:*", **params)
    return [d["title"] for d in found["results"]]


def test_agency_drafts_submits_reviewer_returns_then_publishes(agency: Agency, mailbox, file_server) -> None:
    base, _ = file_server
    dataset = make_dataset(agency, f"{base}/bus-stops.csv")
    assert dataset["private"] is True
    assert dataset["workflow_state"] == "draft"
    assert anonymous_titles() == []

    transition(agency.editor, dataset, "submitted")
    subject = str(mailbox.to("admin@agency.test")[-1]["Subject"])
    assert subject.replace(" ", "").endswith("Điểm dừng xe buýt Đà Nẵng".replace(" ", ""))
    assert mailbox.to("reviewer@city.test"), "the city reviewer is told a dataset waits for review"
    queue = helpers.call_action("cityopendata_workflow_queue", context=as_user(agency.reviewer))
    assert [d["name"] for d in queue] == ["diem-dung-xe-buyt"]

    transition(agency.reviewer, dataset, "returned", "Thiếu mô tả các cột")
    returned_mail = mailbox.to("editor@agency.test")[-1]
    assert "Thiếu mô tả các cột" in returned_mail.get_content()
    assert anonymous_titles() == []

    transition(agency.editor, dataset, "submitted")
    transition(agency.admin, dataset, "published")
    shown = helpers.call_action("package_show", context=as_user(None), id=dataset["id"])
    assert shown["private"] is False and shown["workflow_state"] == "published"
    assert anonymous_titles() == ["Điểm dừng xe buýt Đà Nẵng"]
    assert anonymous_titles(fq="workflow_state:published") == ["Điểm dừng xe buýt Đà Nẵng"]

    workflow = helpers.call_action("cityopendata_workflow_show", context=as_user(agency.editor), id=dataset["id"])
    steps = [(s["from_state"], s["to_state"], s["user"], s["reason"]) for s in workflow["history"]]
    assert steps == [
        ("draft", "draft", "bien-tap-vien", ""),
        ("draft", "submitted", "bien-tap-vien", ""),
        ("submitted", "returned", "tham-dinh-vien", "Thiếu mô tả các cột"),
        ("returned", "submitted", "bien-tap-vien", ""),
        ("submitted", "published", "truong-phong", ""),
    ]
    assert all(s["created"] for s in workflow["history"])


def test_the_dataset_page_shows_the_state_and_history_to_the_agency(agency: Agency, app) -> None:  # type: ignore[no-untyped-def]
    dataset = make_dataset(agency)
    transition(agency.editor, dataset, "submitted")
    transition(agency.reviewer, dataset, "returned", "Cần bổ sung giấy phép")
    token = factories.APIToken(user=agency.editor["name"])["token"]
    page = app.get(f"/dataset/{dataset['name']}", headers={"Authorization": token})
    assert page.status_code == 200
    assert "cityopendata-workflow" in page.body
    assert "Cần bổ sung giấy phép" in page.body


def _returned_then_published(agency: Agency) -> dict:
    dataset = make_dataset(agency)
    transition(agency.editor, dataset, "submitted")
    transition(agency.reviewer, dataset, "returned", "Thiếu mô tả các cột")
    transition(agency.editor, dataset, "submitted")
    transition(agency.reviewer, dataset, "published")
    return dataset


REVIEW_NOTES = ("Thiếu mô tả các cột", "tham-dinh-vien", "bien-tap-vien")


def test_the_public_and_other_agencies_do_not_see_who_reviewed_a_dataset_or_their_comments(agency: Agency, app) -> None:  # type: ignore[no-untyped-def]
    import json

    dataset = _returned_then_published(agency)
    outsider_token = factories.APIToken(user=agency.outsider["name"])["token"]
    for user, headers in ((None, {}), (agency.outsider, {"Authorization": outsider_token})):
        workflow = helpers.call_action("cityopendata_workflow_show", context=as_user(user), id=dataset["id"])
        assert workflow["state"] == "published" and workflow["published"]
        assert "history" not in workflow
        answer = app.get(f"/api/3/action/cityopendata_workflow_show?id={dataset['name']}", headers=headers)
        assert answer.status_code == 200
        assert answer.json["result"]["state"] == "published" and "history" not in answer.json["result"]
        page = app.get(f"/dataset/{dataset['name']}", headers=headers)
        assert page.status_code == 200 and "Điểm dừng xe buýt Đà Nẵng" in page.body
        for text in (json.dumps(workflow, ensure_ascii=False), answer.body, page.body):
            for note in REVIEW_NOTES:
                assert note not in text, (user, note)


def test_the_agency_and_the_reviewers_see_the_full_history_with_names_and_comments(agency: Agency, app) -> None:  # type: ignore[no-untyped-def]
    dataset = _returned_then_published(agency)
    sysadmin = factories.Sysadmin()
    for user in (agency.editor, agency.admin, agency.reviewer, sysadmin):
        workflow = helpers.call_action("cityopendata_workflow_show", context=as_user(user), id=dataset["id"])
        assert ("submitted", "returned", "tham-dinh-vien", "Thiếu mô tả các cột") in [
            (s["from_state"], s["to_state"], s["user"], s["reason"]) for s in workflow["history"]]
        token = factories.APIToken(user=user["name"])["token"]
        answer = app.get(f"/api/3/action/cityopendata_workflow_show?id={dataset['name']}",
                         headers={"Authorization": token})
        assert "Thiếu mô tả các cột" in [s["reason"] for s in answer.json["result"]["history"]]
    # submitted again after a return: the page's panel shows who asked for what
    draft = make_dataset(agency, name="ban-nhap-2", title="Bản nháp 2")
    transition(agency.editor, draft, "submitted")
    transition(agency.reviewer, draft, "returned", "Thiếu mô tả các cột")
    transition(agency.editor, draft, "submitted")
    for user in (agency.editor, agency.reviewer):
        token = factories.APIToken(user=user["name"])["token"]
        page = app.get(f"/dataset/{draft['name']}", headers={"Authorization": token})
        assert "Thiếu mô tả các cột" in page.body and "tham-dinh-vien" in page.body


def test_an_agency_editor_cannot_publish_a_dataset(agency: Agency) -> None:
    dataset = make_dataset(agency)
    transition(agency.editor, dataset, "submitted")
    with pytest.raises(tk.NotAuthorized):
        transition(agency.editor, dataset, "published")
    with pytest.raises(tk.ValidationError) as refused:
        helpers.call_action("package_patch", context=as_user(agency.editor), id=dataset["id"], private=False)
    assert "private" in refused.value.error_dict
    with pytest.raises(tk.ValidationError):
        helpers.call_action("package_create", context=as_user(agency.editor), name="cong-khai-ngay",
                            title="Công khai ngay", owner_org=agency.org["id"], private=False)
    assert anonymous_titles() == []


def test_a_member_of_another_agency_cannot_submit_or_see_a_draft(agency: Agency) -> None:
    dataset = make_dataset(agency)
    with pytest.raises(tk.NotAuthorized):
        transition(agency.outsider, dataset, "submitted")
    with pytest.raises(tk.NotAuthorized):
        helpers.call_action("cityopendata_workflow_show", context=as_user(agency.outsider), id=dataset["id"])
    with pytest.raises(tk.NotAuthorized):
        helpers.call_action("cityopendata_workflow_show", context=as_user(None), id=dataset["id"])


def test_a_city_reviewer_reads_submitted_datasets_of_any_agency_but_not_drafts(agency: Agency) -> None:
    draft = make_dataset(agency, name="ban-nhap", title="Bản nháp")
    submitted = make_dataset(agency, name="cho-duyet", title="Chờ duyệt")
    transition(agency.editor, submitted, "submitted")
    assert helpers.call_action("package_show", context=as_user(agency.reviewer), id=submitted["id"])["name"] == "cho-duyet"
    with pytest.raises(tk.NotAuthorized):
        helpers.call_action("package_show", context=as_user(agency.reviewer), id=draft["id"])
    found = helpers.call_action("package_search", context=as_user(agency.reviewer), include_private=True, q="*:*")
    assert [d["name"] for d in found["results"]] == ["cho-duyet"]


def test_returning_or_withdrawing_needs_a_comment(agency: Agency) -> None:
    dataset = make_dataset(agency)
    transition(agency.editor, dataset, "submitted")
    with pytest.raises(tk.ValidationError) as refused:
        transition(agency.reviewer, dataset, "returned", "  ")
    assert "reason" in refused.value.error_dict
    with pytest.raises(tk.ValidationError):
        transition(agency.reviewer, dataset, "withdrawn", "not published yet")


def test_making_a_published_dataset_private_withdraws_it(agency: Agency) -> None:
    dataset = make_dataset(agency)
    transition(agency.editor, dataset, "submitted")
    transition(agency.admin, dataset, "published")
    helpers.call_action("package_patch", context=as_user(agency.admin), id=dataset["id"], private=True)
    workflow = helpers.call_action("cityopendata_workflow_show", context=as_user(agency.admin), id=dataset["id"])
    assert workflow["state"] == "withdrawn"
    assert workflow["history"][-1]["reason"] == "Made private"
    assert anonymous_titles() == []
    assert anonymous_titles(fq="workflow_state:withdrawn") == []


def test_the_bulk_make_public_of_the_organisation_page_does_not_bypass_review(agency: Agency) -> None:
    dataset = make_dataset(agency)
    with pytest.raises((tk.ValidationError, tk.NotAuthorized)):
        helpers.call_action("bulk_update_public", context=as_user(agency.editor),
                            datasets=[dataset["id"]], org_id=agency.org["id"])
    assert anonymous_titles() == []


@pytest.mark.parametrize("policy, state, private", [("publish", "published", False), ("review", "submitted", True)])
def test_harvested_datasets_follow_their_source_publish_policy(agency: Agency, policy: str, state: str, private: bool) -> None:
    import json
    import uuid

    from ckanext.harvest.model import HarvestJob, HarvestObject, HarvestSource

    source = HarvestSource(url=f"http://127.0.0.1:1/{policy}", type="ckan", title=f"Nguồn {policy}",
                           config=json.dumps({"publish_policy": policy}))
    source.save()
    job = HarvestJob(source=source)
    job.save()
    package_id = str(uuid.uuid4())
    harvest_object = HarvestObject(guid=package_id, job=job, package_id=package_id)
    harvest_object.add()
    # as the stock harvesters' import stage does before package_create
    model.Session.execute(sqlalchemy.text("SET CONSTRAINTS harvest_object_package_id_fkey DEFERRED"))
    model.Session.flush()
    site_user = helpers.call_action("get_site_user")["name"]
    created = helpers.call_action(
        "package_create", context={"user": site_user, "ignore_auth": True},
        id=package_id, name=f"thu-hoach-{policy}", title="Dữ liệu thu hoạch", owner_org=agency.org["id"],
    )
    assert (created["workflow_state"], created["private"]) == (state, private)
