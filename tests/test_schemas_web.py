"""City schemas on the web: the dataset and agency forms, and the search facets with Vietnamese labels."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from ckan.plugins import toolkit as tk
from ckan.tests import factories, helpers

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

PASSWORD = "mat-khau-du-dai-123"
_TOKEN = re.compile(r'name="_csrf_token"\s+value="([^"]+)"')


def _form_post(app: Any, url: str, data: dict[str, Any]) -> Any:
    """Open the form as the session user, then post it with the CSRF token it carries."""
    form = app.get(url)
    assert form.status_code == 200
    match = _TOKEN.search(form.body)
    assert match, "the form carries no CSRF token"
    return app.post(url, data=dict(data, _csrf_token=match.group(1)), follow_redirects=False)


def _log_in(app: Any, user: dict[str, Any]) -> None:
    """Log in through the login form, as a person does."""
    response = _form_post(app, "/user/login", {"login": user["name"], "password": PASSWORD})
    assert response.status_code == 302, response.body
    assert "not-authed" not in app.get("/dataset/").body


@pytest.fixture
def editor(app: Any) -> dict[str, Any]:
    user = factories.User(password=PASSWORD)
    org = factories.Organization(
        name="so-xay-dung", title="Sở Xây dựng", users=[{"name": user["name"], "capacity": "editor"}]
    )
    _log_in(app, user)
    return {"user": user, "org": org}


def test_an_editor_creates_a_dataset_with_city_metadata_through_the_form(
    app: Any, editor: dict[str, Any]
) -> None:
    response = _form_post(
        app,
        "/dataset/new",
        {
            "name": "diem-dung-xe-buyt",
            "title": "Điểm dừng xe buýt",
            "title_en": "Bus stops",
            "owner_org": editor["org"]["id"],
            "topics": ["transport", "government"],
            "admin_units": "Quận Hải Châu, Đà Nẵng; 48",
            "temporal_start": "2025-07-01",
            "temporal_end": "2025-12-31",
            "update_frequency": "weekly",
            "license_id": "cc-by",
            "tag_string": "xe buýt,giao thông",
            "save": "go-resources",
        },
    )
    assert response.status_code == 302, response.body
    assert "/dataset/diem-dung-xe-buyt" in response.headers["Location"]
    shown = helpers.call_action("package_show", context={"ignore_auth": True}, id="diem-dung-xe-buyt")
    assert shown["topics"] == ["transport", "government"]
    assert shown["admin_units"] == ["20242", "20257", "48"]
    assert shown["admin_units_original"] == ["Quận Hải Châu, Đà Nẵng", "48"]
    assert (shown["update_frequency"], shown["license_id"], shown["temporal_end"]) == (
        "weekly",
        "cc-by",
        "2025-12-31",
    )
    assert sorted(t["name"] for t in shown["tags"]) == ["giao thông", "xe buýt"]

    edit = app.get("/dataset/edit/diem-dung-xe-buyt")
    assert 'value="20242; 20257; 48"' in edit.body  # the list field is edited as one line
    response = _form_post(
        app,
        "/dataset/edit/diem-dung-xe-buyt",
        {
            "name": "diem-dung-xe-buyt",
            "title": "Điểm dừng xe buýt (2025)",
            "owner_org": editor["org"]["id"],
            "admin_units": "20242; 20257; 48",
            "topics": ["transport"],
            "save": "",
        },
    )
    assert response.status_code == 302, response.body
    edited = helpers.call_action("package_show", context={"ignore_auth": True}, id="diem-dung-xe-buyt")
    assert edited["title"] == "Điểm dừng xe buýt (2025)" and edited["topics"] == ["transport"]
    assert edited["admin_units"] == ["20242", "20257", "48"]
    assert edited["admin_units_original"] == ["Quận Hải Châu, Đà Nẵng", "48"]  # kept through the edit


DATASET_FORM_ERRORS = {
    "": [
        "Cần nhập tiêu đề tiếng Việt",
        "Phường Hải Châu không thuộc tỉnh/thành phố đã chọn",
        "Ngày kết thúc (2025-01-01) trước ngày bắt đầu (2025-07-01)",
    ],
    "/en": [
        "A Vietnamese title is required",
        "Phường Hải Châu is not in the chosen province",
        "The end date (2025-01-01) is before the start date (2025-07-01)",
    ],
}


@pytest.mark.parametrize("locale", ["", "/en"], ids=["vi", "en"])
def test_a_dataset_form_with_invalid_metadata_shows_field_errors_and_saves_nothing(
    app: Any, editor: dict[str, Any], locale: str
) -> None:
    response = _form_post(
        app,
        f"{locale}/dataset/new",
        {
            "name": "bi-loi",
            "title": "",
            "title_en": "Broken",
            "owner_org": editor["org"]["id"],
            "admin_units": "79; 20242",
            "temporal_start": "2025-07-01",
            "temporal_end": "2025-01-01",
            "save": "go-resources",
        },
    )
    assert response.status_code == 200
    page = html.unescape(response.body)
    for message in DATASET_FORM_ERRORS[locale]:
        assert message in page, message
    with pytest.raises(tk.ObjectNotFound):
        helpers.call_action("package_show", context={"ignore_auth": True}, id="bi-loi")


def test_a_sysadmin_creates_an_agency_through_the_form(app: Any) -> None:
    _log_in(app, factories.Sysadmin(password=PASSWORD))
    response = _form_post(
        app,
        "/organization/new",
        {
            "name": "so-y-te",
            "title": "Sở Y tế",
            "title_en": "Department of Health",
            "agency_type": "department",
            "province": "48",
            "official_code": "000.00.15.H17",
            "website": "https://soyte.danang.gov.vn",
            "save": "",
        },
    )
    assert response.status_code == 302, response.body
    shown = helpers.call_action("organization_show", id="so-y-te")
    assert (shown["title"], shown["province"], shown["agency_type"]) == ("Sở Y tế", "48", "department")


def test_an_agency_form_with_invalid_fields_shows_errors_and_creates_nothing(app: Any) -> None:
    _log_in(app, factories.Sysadmin(password=PASSWORD))
    response = _form_post(
        app,
        "/organization/new",
        {
            "name": "so-y-te",
            "title": "Sở Y tế",
            "province": "Atlantis",
            "website": "ftp://x",
            "save": "",
        },
    )
    assert response.status_code == 200
    page = html.unescape(response.body)
    assert "Không có tỉnh/thành phố: “Atlantis”" in page and "Phải là địa chỉ http:// hoặc https://" in page
    with pytest.raises(tk.ObjectNotFound):
        helpers.call_action("organization_show", id="so-y-te")


def _seed_for_facets() -> None:
    sysadmin = {"user": factories.Sysadmin()["name"]}
    org = factories.Organization(name="so-xay-dung", title="Sở Xây dựng")
    for name, topics, frequency in (
        ("du-lieu-a", ["transport"], "daily"),
        ("du-lieu-b", ["transport", "health"], "monthly"),
    ):
        helpers.call_action(
            "package_create",
            context=dict(sysadmin),
            name=name,
            title=f"Dữ liệu {name[-1]}",
            owner_org=org["id"],
            topics=topics,
            update_frequency=frequency,
            license_id="cc-by",
            admin_units=["48"],
            resources=[{"url": f"http://example.com/{name}.csv", "format": "CSV"}],
        )


def test_search_facets_carry_vietnamese_labels() -> None:
    _seed_for_facets()
    found = helpers.call_action(
        "package_search",
        **{"facet.field": ["vocab_topics", "update_frequency", "license_id", "vocab_admin_units"]},
    )
    labels = {
        field: {i["name"]: i["display_name"] for i in facet["items"]}
        for field, facet in found["search_facets"].items()
    }
    assert labels["vocab_topics"] == {"transport": "Giao thông vận tải", "health": "Y tế"}
    assert labels["update_frequency"] == {"daily": "Hằng ngày", "monthly": "Hằng tháng"}
    assert labels["license_id"] == {"cc-by": "Creative Commons Ghi công (CC BY)"}
    assert labels["vocab_admin_units"] == {"48": "Thành phố Đà Nẵng"}
    assert _count(found, "vocab_topics", "transport") == 2


def _count(found: dict[str, Any], field: str, name: str) -> int:
    return next(i["count"] for i in found["search_facets"][field]["items"] if i["name"] == name)


def test_the_dataset_search_page_shows_the_facets_in_vietnamese(app: Any) -> None:
    _seed_for_facets()
    page = html.unescape(app.get("/dataset/").body)
    for title in ("Chủ đề", "Cơ quan", "Đơn vị hành chính", "Định dạng", "Giấy phép", "Tần suất cập nhật"):
        assert title in page, title
    for label in (
        "Giao thông vận tải",
        "Hằng tháng",
        "Thành phố Đà Nẵng",
        "Creative Commons Ghi công (CC BY)",
    ):
        assert label in page, label
    filtered = html.unescape(app.get("/dataset/", query_string={"vocab_topics": "health"}).body)
    assert "Dữ liệu b" in filtered and "Dữ liệu a" not in filtered


def test_the_dataset_page_shows_the_units_by_name(app: Any) -> None:
    _seed_for_facets()
    page = html.unescape(app.get("/dataset/du-lieu-a").body)
    assert "Thành phố Đà Nẵng" in page and "Giao thông vận tải" in page
    assert "Thời điểm thu thập" not in page  # empty fields (harvest provenance here) stay out


def test_a_resource_page_links_its_table_schema_to_the_catalogue(app: Any) -> None:
    org = factories.Organization()
    dataset = helpers.call_action(
        "package_create",
        context={"user": factories.Sysadmin()["name"]},
        name="diem-dung",
        title="Điểm dừng",
        owner_org=org["id"],
        resources=[{"url": "http://example.com/a.csv", "format": "CSV", "table_schema": "bus-stops/1.0"}],
    )
    page = app.get(f"/dataset/diem-dung/resource/{dataset['resources'][0]['id']}")
    assert 'href="/schemas/tables/bus-stops/1.0"' in page.body


def test_hostile_metadata_is_shown_escaped(app: Any) -> None:
    org = factories.Organization()
    helpers.call_action(
        "package_create",
        context={"user": factories.Sysadmin()["name"]},
        name="doc-hai",
        owner_org=org["id"],
        title="<script>alert(1)</script> Dữ liệu",
        title_en="<img src=x onerror=alert(1)>",
        contact_name="<b>x</b>",
        legal_basis="<iframe src=//evil>",
    )
    page = app.get("/dataset/doc-hai").body
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page and "<iframe" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Dữ liệu" in page


def test_an_agency_page_shows_the_facets_in_vietnamese(app: Any) -> None:
    _seed_for_facets()
    page = html.unescape(app.get("/organization/so-xay-dung").body)
    for text in ("Chủ đề", "Giao thông vận tải", "Tần suất cập nhật", "Hằng ngày"):
        assert text in page, text
