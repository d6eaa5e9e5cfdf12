"""Jobs asked for inside a dataset change go out only once the change commits, against the real
Redis queue and the real national CKAN: a worker can never push a state that is not committed."""
from __future__ import annotations

from typing import Any

import pytest
from ckan import model
from ckan.plugins import toolkit as tk
from ckan.tests import helpers

from tests.national import NationalPortal
from tests.publishing_fixtures import Agency, agency, as_user, make_dataset, national, publish  # noqa: F401


@pytest.fixture
def queue():  # type: ignore[no-untyped-def]
    from ckan.lib.jobs import get_queue

    found = get_queue()
    found.empty()
    yield found
    found.empty()


def run_worker(queue: Any) -> None:
    """What a background worker does: take every queued job and run it (in this process, so it
    sees the tests' configuration)."""
    from rq import SimpleWorker

    SimpleWorker([queue], connection=queue.connection).work(burst=True)


def edit_in_open_transaction(agency: Agency, dataset: dict[str, Any], **changes: Any) -> None:
    """A dataset change whose transaction stays open, as in a harvest import (CKAN keeps a
    deferred change only with ``return_id_only``) that commits, or rolls back, later."""
    context = dict(as_user(agency.editor), defer_commit=True, return_id_only=True)
    helpers.call_action("package_patch", context=context, id=dataset["id"], **changes)


def national_titles(national: NationalPortal) -> list[str]:
    found = national.api(anonymous=True).action.package_search(q="*:*", rows=100)["results"]
    return [d["title"] for d in found]


def test_the_national_push_is_queued_only_when_the_change_commits_and_pushes_what_was_committed(
    agency: Agency, national: NationalPortal, queue: Any
) -> None:
    from ckanext.cityopendata.jobs_after_commit import pending_job_ids
    from ckanext.cityopendata.publishing.national.sync import job_id

    dataset = publish(agency, make_dataset(agency))
    assert queue.job_ids == [job_id(dataset["id"])], "publishing (committed) queued the push"
    run_worker(queue)
    assert national_titles(national) == ["Điểm dừng xe buýt Đà Nẵng"]

    edit_in_open_transaction(agency, dataset, title="Điểm dừng xe buýt Đà Nẵng 2026")
    assert job_id(dataset["id"]) in pending_job_ids()
    assert queue.job_ids == [], "no job while the change is not committed"
    run_worker(queue)  # a worker polling now finds nothing to push
    assert national_titles(national) == ["Điểm dừng xe buýt Đà Nẵng"]

    model.Session.commit()
    assert queue.job_ids == [job_id(dataset["id"])]
    assert pending_job_ids() == []
    run_worker(queue)
    assert national_titles(national) == ["Điểm dừng xe buýt Đà Nẵng 2026"]


def test_a_change_that_fails_validation_and_rolls_back_leaves_no_job_and_nothing_pushed(
    agency: Agency, national: NationalPortal, queue: Any
) -> None:
    from ckanext.cityopendata.jobs_after_commit import pending_job_ids

    dataset = publish(agency, make_dataset(agency))
    run_worker(queue)
    edit_in_open_transaction(agency, dataset, title="Tiêu đề chưa lưu")
    assert pending_job_ids()
    with pytest.raises(tk.ValidationError):  # the next change of the same unit of work is refused
        edit_in_open_transaction(agency, dataset, name="Tên Có Dấu Không Hợp Lệ")
    model.Session.rollback()

    assert pending_job_ids() == [] and queue.job_ids == []
    model.Session.commit()  # a later commit of the same session does not bring the job back
    assert queue.job_ids == []
    assert helpers.call_action("package_show", id=dataset["id"])["title"] == "Điểm dừng xe buýt Đà Nẵng"
    assert national_titles(national) == ["Điểm dừng xe buýt Đà Nẵng"]


def test_a_withdrawal_reaches_the_national_portal_only_after_it_is_committed(
    agency: Agency, national: NationalPortal, queue: Any
) -> None:
    dataset = publish(agency, make_dataset(agency))
    run_worker(queue)
    context = dict(as_user(agency.admin), defer_commit=True, return_id_only=True)
    helpers.call_action("package_patch", context=context, id=dataset["id"], private=True)
    assert queue.job_ids == []
    model.Session.commit()
    run_worker(queue)
    assert national_titles(national) == []
    from ckanext.cityopendata.publishing.model import NationalSync

    assert model.Session.get(NationalSync, dataset["id"]).status == "withdrawn"


def test_a_job_asked_for_in_a_savepoint_that_rolls_back_is_dropped_and_the_others_kept(
    agency: Agency, national: NationalPortal, queue: Any
) -> None:
    from ckanext.cityopendata.publishing.national.sync import job_id

    first = publish(agency, make_dataset(agency, name="mot", title="Một"))
    second = publish(agency, make_dataset(agency, name="hai", title="Hai"))
    queue.empty()
    savepoint = model.Session.begin_nested()
    edit_in_open_transaction(agency, first, title="Một (bỏ)")
    savepoint.rollback()
    edit_in_open_transaction(agency, second, title="Hai (giữ)")
    model.Session.commit()
    assert queue.job_ids == [job_id(second["id"])]


def test_a_screening_asked_for_after_the_change_committed_is_queued_at_once(agency: Agency, queue: Any) -> None:
    dataset = make_dataset(agency)
    resource = helpers.call_action("resource_create", context=as_user(agency.editor), package_id=dataset["id"],
                                   name="Dữ liệu", url="http://127.0.0.1:1/bus-stops.csv", format="CSV")
    assert f"cityopendata-screening-{resource['id']}" in queue.job_ids


@pytest.mark.ckan_config("ckanext.cityopendata.portal.link_check", "true")
def test_the_link_check_of_a_changed_dataset_is_queued_when_the_change_commits(agency: Agency, queue: Any) -> None:
    from ckanext.cityopendata.jobs_after_commit import pending_job_ids

    dataset = make_dataset(agency)
    queue.empty()
    edit_in_open_transaction(agency, dataset, resources=[{"url": "https://example.org/tram-xe-buyt.csv",
                                                          "name": "Trạm xe buýt", "format": "CSV"}])
    check = f"cityopendata-link-check-{dataset['id']}"
    assert check in pending_job_ids() and check not in queue.job_ids
    model.Session.commit()
    assert check in queue.job_ids

    edit_in_open_transaction(agency, dataset, notes="Sẽ bị huỷ")
    queue.empty()
    model.Session.rollback()
    assert check not in queue.job_ids and pending_job_ids() == []
