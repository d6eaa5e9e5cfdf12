"""City schemas: datasets and agencies with the portal's metadata, through the API."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from ckan.plugins import toolkit as tk
from ckan.tests import factories, helpers

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


def _sysadmin() -> dict[str, Any]:
    return {"user": factories.Sysadmin()["name"], "ignore_auth": False}


def _create(**fields: Any) -> dict[str, Any]:
    org = fields.pop("owner_org", None) or factories.Organization()["id"]
    return helpers.call_action("package_create", context=_sysadmin(), owner_org=org, **fields)


def _titles(**search: Any) -> list[str]:
    return sorted(d["title"] for d in helpers.call_action("package_search", **search)["results"])


def test_plain_datasets_and_agencies_of_other_features_still_work() -> None:
    org = factories.Organization()
    dataset = factories.Dataset(owner_org=org["id"])
    shown = helpers.call_action("package_show", id=dataset["id"])
    assert shown["title"] == dataset["title"]
    assert helpers.call_action("organization_show", id=org["id"])["title"] == org["title"]


def test_an_agency_publishes_a_dataset_with_the_city_metadata() -> None:
    decomposed_title = unicodedata.normalize("NFD", "Điểm dừng xe buýt Đà Nẵng")
    dataset = _create(
        name="diem-dung-xe-buyt",
        title=decomposed_title,
        title_en="Bus stops of Da Nang",
        notes=unicodedata.normalize("NFD", "Danh sách điểm dừng"),
        topics=["transport"],
        tags=[{"name": unicodedata.normalize("NFD", "xe buýt")}],
        admin_units=["48", "20242"],
        temporal_start="01/07/2025",
        temporal_end="2025-12-31",
        update_frequency="monthly",
        license_id="cc-by",
        language="vi",
        contact_name="Phòng Quản lý vận tải",
        contact_email="vantai@danang.gov.vn",
        legal_basis="Quyết định 1234/QĐ-UBND",
        resources=[
            {
                "url": "http://example.com/stops.csv",
                "format": "CSV",
                "encoding": "UTF-8",
                "table_schema": "bus-stops/1.0",
            }
        ],
    )
    shown = helpers.call_action("package_show", id=dataset["id"])
    assert shown["title"] == "Điểm dừng xe buýt Đà Nẵng" and unicodedata.is_normalized("NFC", shown["title"])
    assert unicodedata.is_normalized("NFC", shown["notes"])
    assert [t["name"] for t in shown["tags"]] == ["xe buýt"]
    assert unicodedata.is_normalized("NFC", shown["tags"][0]["name"])
    assert shown["topics"] == ["transport"]
    assert shown["admin_units"] == ["48", "20242"]
    assert not shown.get("admin_units_original")
    assert (shown["temporal_start"], shown["temporal_end"]) == ("2025-07-01", "2025-12-31")
    assert (shown["update_frequency"], shown["license_id"], shown["language"]) == ("monthly", "cc-by", "vi")
    assert shown["contact_email"] == "vantai@danang.gov.vn"
    resource = shown["resources"][0]
    assert (resource["table_schema"], resource["encoding"]) == ("bus-stops/1.0", "utf-8")


def test_a_former_district_of_da_nang_is_stored_as_its_successor_communes_and_kept_as_given() -> None:
    dataset = _create(name="hai-chau", title="Chợ truyền thống", admin_units="Quận Hải Châu, Đà Nẵng")
    shown = helpers.call_action("package_show", id=dataset["id"])
    assert shown["admin_units"] == ["20242", "20257"]  # Phường Hải Châu, Phường Hòa Cường
    assert shown["admin_units_original"] == ["Quận Hải Châu, Đà Nẵng"]


def test_hau_giang_is_stored_as_can_tho_and_found_by_both_names() -> None:
    _create(name="lua-gao", title="Sản lượng lúa gạo", admin_units=["Hậu Giang"])
    _create(name="khac", title="Chất lượng nước sông Hồng", admin_units=["01"])
    shown = helpers.call_action("package_show", id="lua-gao")
    assert shown["admin_units"] == ["92"]
    assert shown["admin_units_original"] == ["Hậu Giang"]
    for query in ("Hậu Giang", "Hau Giang", "Cần Thơ", "Can Tho"):
        assert _titles(q=query) == ["Sản lượng lúa gạo"], query


def test_an_old_administrative_name_finds_the_dataset_tagged_with_its_successor() -> None:
    _create(name="ho-boi", title="Hồ bơi công cộng", admin_units=["20242"])  # Phường Hải Châu
    _create(name="cho", title="Chợ đầu mối", admin_units=["48"])  # Thành phố Đà Nẵng
    _create(name="khac", title="Bến xe", admin_units=["79"])
    assert _titles(q="Quận Hải Châu") == ["Hồ bơi công cộng"]
    assert _titles(q="Quảng Nam") == ["Chợ đầu mối"]  # merged into Đà Nẵng in 2025


def test_da_nang_without_diacritics_finds_the_datasets_of_da_nang() -> None:
    _create(name="cho", title="Chợ đầu mối", admin_units=["48"])
    _create(name="ho-boi", title="Hồ bơi công cộng", admin_units=["20242"])
    _create(name="khac", title="Bến xe", admin_units=["79"])
    assert _titles(q="Da Nang") == ["Chợ đầu mối", "Hồ bơi công cộng"]
    assert _titles(q="Đà Nẵng") == ["Chợ đầu mối", "Hồ bơi công cộng"]
    assert _titles(fq='vocab_admin_units:"48"') == ["Chợ đầu mối", "Hồ bơi công cộng"]


INVALID = [
    ("title", {"title": "", "title_en": "Bus stops"}, "Vietnamese title is required"),
    ("topics", {"topics": ["transport", "giao-thong"]}, "“giao-thong”"),
    ("admin_units", {"admin_units": ["99"]}, "Unknown administrative unit: “99”"),
    ("admin_units", {"admin_units": ["Phường Không Tồn Tại"]}, "Unknown administrative unit"),
    ("admin_units", {"admin_units": ["79", "20242"]}, "Phường Hải Châu is not in the chosen province"),
    ("admin_units", {"admin_units": ["Hải Châu"]}, "matches several units"),
    ("temporal_end", {"temporal_start": "2025-07-01", "temporal_end": "30/06/2025"}, "before the start date"),
    ("temporal_start", {"temporal_start": "31/02/2025"}, "Not a valid date"),
    ("update_frequency", {"update_frequency": "sometimes"}, "Unknown code “sometimes”"),
    ("license_id", {"license_id": "all-rights-reserved"}, "Unknown code “all-rights-reserved”"),
    ("contact_email", {"contact_email": "not an email"}, "Email"),
    ("title", {"title": "x" * 501}, "at most 500 characters"),
    ("admin_units", {"admin_units": ["48"] * 501}, "At most 500 units"),
]


@pytest.mark.parametrize(
    ("field", "values", "message"), INVALID, ids=[f"{f}-{i}" for i, (f, _, _) in enumerate(INVALID)]
)
def test_invalid_metadata_gets_an_error_on_its_field_and_nothing_is_saved(
    field: str, values: dict[str, Any], message: str
) -> None:
    fields = dict({"name": "bi-loi", "title": "Dữ liệu lỗi"}, **values)
    with pytest.raises(tk.ValidationError) as raised:
        _create(**fields)
    errors = raised.value.error_dict
    assert field in errors, errors
    assert any(message.lower() in str(m).lower() for m in errors[field]), errors[field]
    with pytest.raises(tk.ObjectNotFound):
        helpers.call_action("package_show", id="bi-loi")
    assert helpers.call_action("package_search", q="*:*", include_private=True)["count"] == 0


def test_a_resource_with_an_unknown_table_schema_is_refused_on_its_field() -> None:
    with pytest.raises(tk.ValidationError) as raised:
        _create(
            name="bi-loi",
            title="Dữ liệu lỗi",
            resources=[
                {"url": "http://example.com/a.csv", "table_schema": "bus-stops/9.9", "encoding": "utf-8"}
            ],
        )
    assert "Unknown Table Schema “bus-stops/9.9”" in str(raised.value.error_dict["resources"])
    with pytest.raises(tk.ValidationError) as raised:
        _create(
            name="bi-loi",
            title="Dữ liệu lỗi",
            resources=[{"url": "http://example.com/a.csv", "encoding": "klingon-8"}],
        )
    assert "Unknown character encoding" in str(raised.value.error_dict["resources"])


def test_updating_a_dataset_keeps_its_units_and_the_units_as_given() -> None:
    _create(name="lua-gao", title="Sản lượng lúa gạo", admin_units=["Hậu Giang"], topics="agriculture")
    shown = helpers.call_action("package_show", id="lua-gao")
    helpers.call_action("package_update", context=_sysadmin(), **dict(shown, title="Sản lượng lúa"))
    again = helpers.call_action("package_show", id="lua-gao")
    assert again["title"] == "Sản lượng lúa"
    assert again["admin_units"] == ["92"] and again["admin_units_original"] == ["Hậu Giang"]
    assert again["topics"] == ["agriculture"]


def test_an_agency_is_created_with_its_city_fields() -> None:
    org = helpers.call_action(
        "organization_create",
        context=_sysadmin(),
        name="so-xay-dung",
        title="Sở Xây dựng",
        title_en="Department of Construction",
        agency_type="department",
        province="Đà Nẵng",
        official_code="000.00.12.H17",
        contact_email="sxd@danang.gov.vn",
        website="https://sxd.danang.gov.vn",
    )
    shown = helpers.call_action("organization_show", id=org["id"])
    assert (shown["province"], shown["agency_type"], shown["title_en"]) == (
        "48",
        "department",
        "Department of Construction",
    )
    assert shown["official_code"] == "000.00.12.H17"


@pytest.mark.parametrize(
    ("field", "values", "message"),
    [
        ("province", {"province": "Quận Hải Châu"}, "Unknown province"),
        ("agency_type", {"agency_type": "ministry-of-magic"}, "Unknown code"),
        ("official_code", {"official_code": "<b>x</b>"}, "official code"),
        ("website", {"website": "javascript:alert(1)"}, "http://"),
        ("title", {"title": " "}, "Vietnamese title is required"),
    ],
)
def test_an_agency_with_invalid_fields_gets_field_errors_and_is_not_created(
    field: str, values: dict[str, Any], message: str
) -> None:
    with pytest.raises(tk.ValidationError) as raised:
        helpers.call_action(
            "organization_create",
            context=_sysadmin(),
            **dict({"name": "co-quan", "title": "Cơ quan"}, **values),
        )
    assert field in raised.value.error_dict, raised.value.error_dict
    assert message.lower() in str(raised.value.error_dict[field]).lower()
    with pytest.raises(tk.ObjectNotFound):
        helpers.call_action("organization_show", id="co-quan")


def test_a_former_province_is_accepted_as_an_agency_province() -> None:
    org = helpers.call_action(
        "organization_create", context=_sysadmin(), name="so-y-te-hg", title="Sở Y tế", province="Hậu Giang"
    )
    assert org["province"] == "92"


def test_the_demo_catalogue_shows_the_city_schemas() -> None:
    from ckanext.cityopendata import demo

    counts = demo.seed()
    assert counts["datasets_created"] >= 6
    air = helpers.call_action("package_show", id="chat-luong-khong-khi")
    assert air["topics"] == ["environment", "health"]
    assert "48" in air["admin_units"] and "Quận Hải Châu, Đà Nẵng" in air["admin_units_original"]
    assert air["resources"][0]["table_schema"] == "air-quality-readings/1.0"
    agency = helpers.call_action("organization_show", id="so-xay-dung")
    assert (agency["province"], agency["agency_type"]) == ("48", "department")
    assert _titles(q="Hội An") == ["Cơ sở lưu trú du lịch Đà Nẵng"]
    assert demo.seed()["datasets_created"] == 0  # idempotent
