"""Personal-data screening: citizens' IDs, phones, e-mails, dates of birth block publication."""
from __future__ import annotations

import shutil

import pytest
from ckan.plugins import toolkit as tk
from ckan.tests import helpers

from ckanext.cityopendata.publishing import screening
from tests.publishing_fixtures import FIXTURES, Agency, agency, as_user, file_server, make_dataset  # noqa: F401

RAW_VALUES = ("001085012345", "0905123456", "an.nguyen@example.vn", "12/03/1985")


def test_a_citizens_file_is_flagged_by_column_with_masked_samples_only() -> None:
    findings, rows = screening.screen_file(str(FIXTURES / "citizens.csv"), "csv", limit=1000)
    assert rows == 3
    found = {(f.column, f.kind): f for f in findings}
    assert set(found) == {("so_cccd", "citizen_id"), ("dien_thoai", "phone"), ("email", "email"),
                          ("ngay_sinh", "date_of_birth")}
    assert found[("so_cccd", "citizen_id")].count == 3
    assert found[("so_cccd", "citizen_id")].sample == "00********45"
    assert found[("email", "email")].sample == "a***@e***.vn"
    for finding in findings:
        assert not any(raw in finding.sample for raw in RAW_VALUES)


def test_ordinary_open_data_is_not_flagged() -> None:
    findings, _ = screening.screen_file(str(FIXTURES / "bus-stops.csv"), "csv", limit=1000)
    assert findings == []


def test_old_nine_digit_identity_cards_and_xlsx_files_are_screened(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Họ và tên", "Số CMND", "Mã số thuế"])
    for name, cmnd, tax in (("Phạm Văn Dũng", "201234567", "8012345678"), ("Võ Thị Hoa", "205678901", "8098765432")):
        sheet.append([name, cmnd, tax])
    path = tmp_path / "people.xlsx"
    book.save(path)
    findings, _ = screening.screen_file(str(path), "xlsx", limit=1000)
    assert {(f.column, f.kind) for f in findings} == {("Số CMND", "old_id"), ("Mã số thuế", "tax_code")}


def test_the_row_limit_bounds_what_is_read(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "big.csv"
    path.write_text("email\n" + "x@example.vn\n" * 5000, encoding="utf-8")
    findings, rows = screening.screen_file(str(path), "csv", limit=100)
    assert rows == 100 and findings[0].count == 100


def _publish_attempt(agency: Agency, dataset: dict) -> None:
    helpers.call_action("cityopendata_workflow_transition", context=as_user(agency.reviewer),
                        id=dataset["id"], to="published")


def test_a_resource_with_cccd_numbers_blocks_publication_until_a_reviewer_accepts(agency: Agency, file_server) -> None:
    base, _ = file_server
    dataset = make_dataset(agency, f"{base}/citizens.csv")
    helpers.call_action("cityopendata_workflow_transition", context=as_user(agency.editor), id=dataset["id"], to="submitted")
    with pytest.raises(tk.ValidationError) as refused:
        _publish_attempt(agency, dataset)
    message = " ".join(refused.value.error_dict["publication"])
    assert "so_cccd" in message and "00********45" in message
    assert not any(raw in message for raw in RAW_VALUES)

    findings = helpers.call_action("cityopendata_screening_show", context=as_user(agency.editor), id=dataset["id"])["findings"]
    with pytest.raises(tk.NotAuthorized):
        helpers.call_action("cityopendata_screening_accept", context=as_user(agency.editor),
                            id=findings[0]["id"], reason="tôi muốn")
    with pytest.raises(tk.ValidationError):
        helpers.call_action("cityopendata_screening_accept", context=as_user(agency.reviewer), id=findings[0]["id"])
    for finding in findings:
        helpers.call_action("cityopendata_screening_accept", context=as_user(agency.reviewer),
                            id=finding["id"], reason="Dữ liệu giả lập để kiểm thử")
    _publish_attempt(agency, dataset)
    accepted = helpers.call_action("cityopendata_screening_show", context=as_user(agency.admin), id=dataset["id"])["findings"]
    assert {(f["accepted_by"], f["accepted_reason"]) for f in accepted} == {("tham-dinh-vien", "Dữ liệu giả lập để kiểm thử")}
    assert helpers.call_action("package_show", context=as_user(None), id=dataset["id"])["workflow_state"] == "published"


def test_fixing_the_file_lifts_the_block(agency: Agency, file_server) -> None:
    base, folder = file_server
    shutil.copy(FIXTURES / "citizens.csv", folder / "fixable.csv")
    dataset = make_dataset(agency, f"{base}/fixable.csv")
    helpers.call_action("cityopendata_workflow_transition", context=as_user(agency.editor), id=dataset["id"], to="submitted")
    with pytest.raises(tk.ValidationError):
        _publish_attempt(agency, dataset)
    shutil.copy(FIXTURES / "bus-stops.csv", folder / "fixable.csv")
    resource = helpers.call_action("package_show", context=as_user(agency.editor), id=dataset["id"])["resources"][0]
    helpers.call_action("resource_patch", context=as_user(agency.editor), id=resource["id"],
                        description="Đã xoá dữ liệu cá nhân")
    _publish_attempt(agency, dataset)
    assert helpers.call_action("cityopendata_screening_show", context=as_user(agency.admin), id=dataset["id"])["findings"] == []


def test_an_agency_admin_cannot_make_a_dataset_with_personal_data_public_by_hand(agency: Agency, file_server) -> None:
    base, _ = file_server
    dataset = make_dataset(agency, f"{base}/citizens.csv")
    with pytest.raises(tk.ValidationError) as refused:
        helpers.call_action("package_patch", context=as_user(agency.admin), id=dataset["id"], private=False)
    assert "so_cccd" in " ".join(refused.value.error_dict["private"])
    assert helpers.call_action("package_search", context=as_user(None), q="*:*")["count"] == 0
