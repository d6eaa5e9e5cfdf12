"""The portal as its users meet it: quality scores, home and dataset pages, dashboard, developer corner."""
from __future__ import annotations

import csv
import datetime as dt
import http.server
import io
import json
import threading
from pathlib import Path
from typing import Any, Iterator

import openpyxl
import pytest
from freezegun import freeze_time
from ckan import model
from ckan.plugins import toolkit as tk
from ckan.tests import factories, helpers

from ckanext.cityopendata.portal import exports, links, quality
from tests.portal_fixtures import bare_dataset, rich_dataset, submitted, synced, validated

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")
ANONYMOUS = {"user": "", "ignore_auth": False}


# --- quality score -------------------------------------------------------------------------------

def test_a_well_described_dataset_scores_high_and_each_point_has_its_reason() -> None:
    org = factories.Organization()
    dataset = rich_dataset(org, "diem-dung-xe-buyt", "Điểm dừng xe buýt Đà Nẵng")
    shown = helpers.call_action("cityopendata_quality_show", id=dataset["name"])
    reasons = {r["code"]: r for r in shown["reasons"]}
    assert set(reasons) == {c.code for c in quality.CRITERIA}
    for code in ("description_vi", "description_en", "open_licence", "temporal_coverage", "admin_units",
                 "update_frequency", "on_time", "open_formats", "reachable", "contact_point"):
        assert reasons[code]["met"], code
    # No Table Schema and no validation yet: those points are missing, and say so.
    assert not reasons["schema_valid"]["met"] and reasons["schema_valid"]["points"] == 0
    assert reasons["admin_units"]["detail"] == "Phường Hải Châu, Phường Hòa Cường"
    assert shown["score"] == 90 == sum(r["points"] for r in shown["reasons"])


def test_a_bare_dataset_scores_low_and_is_told_what_is_missing() -> None:
    org = factories.Organization()
    bare = bare_dataset(org, "ngan-sach", "Ngân sách")
    shown = helpers.call_action("cityopendata_quality_show", id=bare["id"])
    assert shown["score"] == 0
    assert all(not r["met"] for r in shown["reasons"])


def test_the_score_of_a_private_dataset_is_not_shown_to_outsiders() -> None:
    org = factories.Organization()
    secret = rich_dataset(org, "bi-mat", "Bí mật", private=True)
    with pytest.raises(tk.NotAuthorized):
        helpers.call_action("cityopendata_quality_show", context=dict(ANONYMOUS), id=secret["id"])
    outsider = factories.User()
    with pytest.raises(tk.NotAuthorized):
        helpers.call_action("cityopendata_quality_show", context={"user": outsider["name"], "ignore_auth": False},
                            id=secret["id"])


def test_valid_resources_against_their_table_schema_earn_the_schema_points() -> None:
    dataset = {"resources": [{"id": "r1", "format": "CSV", "table_schema": "bus-stops/1.0",
                              "validation_status": "success", "url_type": "upload"}]}
    reasons = {r.code: r for r in quality.assess(dataset)}
    assert reasons["schema_valid"].met
    dataset["resources"][0]["validation_status"] = "failure"
    assert not {r.code: r for r in quality.assess(dataset)}["schema_valid"].met


def test_a_dataset_past_its_declared_frequency_is_overdue() -> None:
    now = dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc)
    monthly = {"update_frequency": "monthly", "metadata_modified": "2026-03-01T00:00:00"}
    assert quality.is_overdue(monthly, now)
    assert not quality.is_overdue(dict(monthly, metadata_modified="2026-05-20T00:00:00"), now)
    assert not quality.is_overdue(dict(monthly, update_frequency="irregular"), now)


def test_search_sorts_and_facets_by_the_indexed_quality_score() -> None:
    org = factories.Organization()
    bare_dataset(org, "bare", "Dữ liệu sơ sài")
    rich_dataset(org, "rich", "Dữ liệu đầy đủ")
    found = helpers.call_action("package_search", q="*:*", sort="quality_score desc",
                                **{"facet.field": ["quality_score"]})
    assert [d["name"] for d in found["results"]] == ["rich", "bare"]
    values = {i["name"] for i in found["search_facets"]["quality_score"]["items"]}
    assert values == {"090", "000"}
    high = helpers.call_action("package_search", fq="quality_score:[050 TO 100]")
    assert [d["name"] for d in high["results"]] == ["rich"]


def test_the_score_is_recomputed_when_the_dataset_changes() -> None:
    org = factories.Organization()
    bare = bare_dataset(org, "thay-doi", "Dữ liệu thay đổi")
    helpers.call_action("package_patch", context={"user": factories.Sysadmin()["name"]}, id=bare["id"],
                        contact_email="a@danang.gov.vn")
    found = helpers.call_action("package_search", fq="quality_score:010")
    assert [d["name"] for d in found["results"]] == ["thay-doi"]


# --- link checks ----------------------------------------------------------------------------------

@pytest.fixture
def link_server() -> Iterator[str]:
    """A real HTTP server on 127.0.0.1: /ok answers 200, anything else 404."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:  # noqa: N802
            self.send_response(200 if self.path == "/ok" else 404)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_reachable_links_earn_their_points_after_the_link_check(link_server: str) -> None:
    org = factories.Organization()
    dataset = factories.Dataset(owner_org=org["id"])
    good = factories.Resource(package_id=dataset["id"], url=f"{link_server}/ok", format="CSV")
    broken = factories.Resource(package_id=dataset["id"], url=f"{link_server}/gone", format="CSV")
    results = links.check_package(dataset["id"])
    assert results == {good["id"]: True, broken["id"]: False}
    reasons = {r["code"]: r for r in helpers.call_action("cityopendata_quality_show", id=dataset["id"])["reasons"]}
    assert not reasons["reachable"]["met"] and reasons["reachable"]["detail"] == "1/2"


def test_the_link_check_never_reaches_the_metadata_address() -> None:
    ok, detail = links.probe("http://169.254.169.254/latest/meta-data/")
    assert not ok
    ok, _ = links.probe("file:///etc/passwd")
    assert not ok


# --- home and dataset pages -------------------------------------------------------------------------

def test_home_page_in_vietnamese_shows_search_topics_newest_and_agencies(app) -> None:  # type: ignore[no-untyped-def]
    org = factories.Organization(name="so-xay-dung", title="Sở Xây dựng")
    rich_dataset(org, "xe-buyt", "Điểm dừng xe buýt Đà Nẵng")
    rich_dataset(org, "bai-do-xe", "Bãi đỗ xe", topics=["transport", "construction"])
    page = app.get("/").body
    assert 'lang="vi"' in page
    assert "Dữ liệu mở của Đà Nẵng" in page
    assert 'id="cod-home-q"' in page and "Tìm kiếm bộ dữ liệu" in page
    # Topic tiles by their Vietnamese names, each leading to the search filtered by that topic.
    assert "Chủ đề" in page and '/dataset/?vocab_topics=transport' in page
    assert '<span class="cod-count">2</span>Giao thông vận tải' in page
    assert '<span class="cod-count">1</span>Xây dựng và đô thị' in page
    assert "construction</a>" not in page
    assert "Bộ dữ liệu mới nhất" in page and "Bãi đỗ xe" in page
    assert '<span class="cod-count">2</span>Sở Xây dựng' in page


def test_home_page_switches_to_english(app) -> None:  # type: ignore[no-untyped-def]
    page = app.get("/").body
    assert 'href="/en/"' in page
    english = app.get("/en/").body
    assert 'lang="en"' in english and "Open data of Da Nang" in english and "Newest datasets" in english


def test_a_private_dataset_is_not_counted_on_the_home_page(app) -> None:  # type: ignore[no-untyped-def]
    org = factories.Organization(title="Sở Y tế")
    rich_dataset(org, "cong-khai", "Công khai")
    rich_dataset(org, "noi-bo", "Nội bộ", private=True)
    page = app.get("/").body
    assert '<span class="cod-count">1</span>Sở Y tế' in page
    assert "Nội bộ" not in page


def test_dataset_page_shows_score_reasons_units_validation_and_api_examples(app) -> None:  # type: ignore[no-untyped-def]
    org = factories.Organization()
    dataset = rich_dataset(org, "xe-buyt", "Điểm dừng xe buýt")
    page = app.get(f"/dataset/{dataset['name']}").body
    Path("/tmp/dataset_page.html").write_text(page)
    assert 'data-cod-score="90"' in page and "90/100" in page
    assert "Chất lượng dữ liệu" in page and 'data-cod-reason="schema_valid"' in page
    assert "Đơn vị hành chính:</strong> Phường Hải Châu, Thành phố Đà Nẵng; Phường Hòa Cường, Thành phố Đà Nẵng" in page
    # The validation feature queued the upload (no worker runs here): the badge says so.
    assert 'data-cod-validation="pending"' in page and "Đang chờ kiểm tra" in page
    assert "from ckanapi import RemoteCKAN" in page and "datastore_search" in page and "await fetch" in page


def test_validation_badge_and_schema_link_come_from_the_validation_keys(app) -> None:  # type: ignore[no-untyped-def]
    # The validation feature adds these keys; rendered here through the helper with a dict of that shape.
    with app.flask_app.test_request_context():
        badge = tk.h.cityopendata_portal_validation_badge("failure")
        assert badge["css"] == "bg-danger" and badge["status"] == "failure"
        link = tk.h.cityopendata_portal_table_schema_link("https://schemas.example.vn/bus.json")
        assert link["url"] == "https://schemas.example.vn/bus.json"
        # A catalogue id leads to its page in the city's Table Schema catalogue.
        link = tk.h.cityopendata_portal_table_schema_link("bus-stops/1.0")
        assert link == {"label": "bus-stops/1.0", "url": "/schemas/tables/bus-stops/1.0"}
        assert app.get(link["url"]).status_code == 200


def test_the_workflow_state_is_shown_to_editors_only(app) -> None:  # type: ignore[no-untyped-def]
    editor, member = factories.User(), factories.User()
    org = factories.Organization(users=[{"name": editor["name"], "capacity": "editor"},
                                        {"name": member["name"], "capacity": "member"}])
    dataset = rich_dataset(org, "quy-trinh", "Quy trình", private=True)
    submitted(dataset, editor)
    # A submitted dataset is private: members of the agency may read it, but see no workflow state.
    token = factories.APIToken(user=member["name"])["token"]
    page = app.get(f"/dataset/{dataset['name']}", headers={"Authorization": token}).body
    assert "Quy trình" in page and 'data-cod-workflow="submitted"' not in page
    token = factories.APIToken(user=editor["name"])["token"]
    page = app.get(f"/dataset/{dataset['name']}", headers={"Authorization": token}).body
    assert 'data-cod-workflow="submitted"' in page


def test_hostile_metadata_is_rendered_escaped(app) -> None:  # type: ignore[no-untyped-def]
    org = factories.Organization(title='<script>alert("x")</script>')
    dataset = rich_dataset(org, "doc-hai", "<img src=x onerror=alert(1)>")
    factories.Resource(package_id=dataset["id"], name='<b onmouseover="x">bảng</b>', format="CSV",
                       url="https://example.vn/x.csv", table_schema="bus-stops/1.0")
    home = app.get("/").body
    assert '<script>alert("x")</script>' not in home and "&lt;script&gt;" in home
    page = app.get("/dataset/doc-hai").body
    panel = page.split("data-cod-dataset-panel")[1].split("</section>")[0]
    assert "&lt;b onmouseover" in panel and 'href="/schemas/tables/bus-stops/1.0"' in panel
    assert "<img src=x onerror" not in page and '<b onmouseover' not in page


def test_the_quality_criteria_page_documents_every_criterion(app) -> None:  # type: ignore[no-untyped-def]
    page = app.get("/quality").body
    for c in quality.CRITERIA:
        assert f'id="criterion-{c.code}"' in page
    assert "Giấy phép mở" in page
    assert "Open licence" in app.get("/en/quality").body


# --- dashboard ------------------------------------------------------------------------------------------

def _dashboard_world() -> dict[str, Any]:
    sysadmin = factories.Sysadmin()
    publishing = factories.Organization(name="so-xay-dung", title="Sở Xây dựng")
    factories.Organization(name="so-du-lich", title="Sở Du lịch")  # publishes nothing
    on_time = rich_dataset(publishing, "dung-han", "Đúng hạn")
    validated(on_time)
    synced(on_time)
    with freeze_time("2020-01-01"):  # last updated long ago: overdue for a daily dataset
        rich_dataset(publishing, "hang-ngay", "Cập nhật hằng ngày", update_frequency="daily")
    editor = factories.User()
    helpers.call_action("organization_member_create", id=publishing["id"], username=editor["name"], role="editor")
    secret = rich_dataset(publishing, "bi-mat", "Bí mật", private=True)
    validated(secret)
    submitted(secret, editor)
    return {"sysadmin": sysadmin}


def test_the_public_dashboard_counts_only_published_datasets() -> None:
    _dashboard_world()
    board = helpers.call_action("cityopendata_dashboard_show", context=dict(ANONYMOUS))
    assert board["detail"] is False
    assert board["agencies_total"] == 2 and board["agencies_publishing"] == 1
    assert board["shares"]["agencies_publishing"] == 50.0
    assert board["datasets_published"] == 2 and board["datasets_valid"] == 1
    assert board["datasets_up_to_date"] == 1 and board["datasets_synced"] == 1
    row = next(a for a in board["agencies"] if a["name"] == "so-xay-dung")
    assert (row["published"], row["valid"], row["overdue"]) == (2, 1, 1)
    assert row["in_review"] is None and row["drafts"] is None and row["harvest"] is None


def test_sysadmins_see_the_dashboards_detail() -> None:
    world = _dashboard_world()
    board = helpers.call_action("cityopendata_dashboard_show", context={"user": world["sysadmin"]["name"]})
    assert board["detail"] is True
    row = next(a for a in board["agencies"] if a["name"] == "so-xay-dung")
    assert row["in_review"] == 1 and row["harvest"] == "none" and row["synced"] == 1
    # Public figures stay public figures, whoever looks.
    assert board["datasets_published"] == 2


def test_agency_members_without_editing_rights_get_the_public_summary() -> None:
    member, editor = factories.User(), factories.User()
    factories.Organization(users=[{"name": member["name"], "capacity": "member"},
                                  {"name": editor["name"], "capacity": "editor"}])
    with pytest.raises(tk.NotAuthorized):
        helpers.call_auth("cityopendata_dashboard_detail", context={"user": member["name"], "model": model})
    with pytest.raises(tk.NotAuthorized):
        helpers.call_auth("cityopendata_dashboard_detail", context={"user": "", "model": model})
    assert helpers.call_auth("cityopendata_dashboard_detail", context={"user": editor["name"], "model": model})


def test_dashboard_page_draws_charts_from_embedded_figures(app) -> None:  # type: ignore[no-untyped-def]
    _dashboard_world()
    page = app.get("/open-data").body
    assert 'id="cod-chart-shares"' in page and 'id="cod-chart-agencies"' in page
    assert "chart.umd" in page or "dashboard.js" in page or "-dashboard.js" in page
    data = json.loads(page.split('id="cod-dashboard-data">')[1].split("</script>")[0])
    assert data["shares"]["values"] == [50.0, 50.0, 50.0, 50.0]
    assert "Bí mật" not in page


def test_dashboard_tables_export_as_csv_and_xlsx_with_formulas_neutralised(app) -> None:  # type: ignore[no-untyped-def]
    factories.Organization(name="cong-thuc", title='=HYPERLINK("http://evil.example","x")')
    response = app.get("/open-data/export/agencies.csv")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.body.lstrip("\ufeff"))))
    assert rows[0][0] == "Cơ quan"
    assert rows[1][0] == "'=HYPERLINK(\"http://evil.example\",\"x\")"
    response = app.get("/open-data/export/agencies.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert sheet.cell(2, 1).value.startswith("'=") and sheet.cell(2, 1).data_type == "s"
    assert app.get("/open-data/export/nothing.csv", status=404)


def test_neutralise_covers_every_formula_start() -> None:
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert exports.neutralise(start + "1+1") == "'" + start + "1+1"
    assert exports.neutralise(-3) == -3 and exports.neutralise("Đà Nẵng") == "Đà Nẵng"


# --- the approved open-data list ------------------------------------------------------------------------

def test_the_approved_list_is_imported_and_tracked_against_what_is_published(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from ckan.cli.cli import ckan

    org = factories.Organization(name="so-xay-dung", title="Sở Xây dựng")
    rich_dataset(org, "xe-buyt", "Điểm dừng xe buýt")
    sheet = tmp_path / "danh-muc.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["Cơ quan", "Tên dữ liệu", "Mã dữ liệu", "Hạn công bố", "Hạn rà soát"])
    book.active.append(["so-xay-dung", "Điểm dừng xe buýt", "xe-buyt", "2026-01-01", "2027-01-01"])
    book.active.append(["so-xay-dung", "Bãi đỗ xe", "bai-do-xe", "2020-01-01", "2021-01-01"])
    book.active.append(["so-xay-dung", "Cây xanh", "cay-xanh", "2099-01-01", ""])
    book.save(sheet)
    result = cli.invoke(ckan, ["cityopendata", "import-open-data-list", str(sheet)])
    assert result.exit_code == 0, result.output
    assert "imported 3 committed datasets of 1 agencies" in result.output
    board = helpers.call_action("cityopendata_dashboard_show", context=dict(ANONYMOUS))
    status = {c["dataset_name"]: (c["status"], c["review_overdue"]) for c in board["commitments"]}
    assert status == {"xe-buyt": ("published", False), "bai-do-xe": ("late", True), "cay-xanh": ("planned", False)}
    row = next(a for a in board["agencies"] if a["name"] == "so-xay-dung")
    assert (row["committed"], row["committed_published"]) == (3, 1)


def test_a_bad_spreadsheet_is_refused_with_one_line(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from ckan.cli.cli import ckan

    sheet = tmp_path / "list.csv"
    sheet.write_text("agency,title\nkhong-ton-tai,Dữ liệu\n", encoding="utf-8")
    result = cli.invoke(ckan, ["cityopendata", "import-open-data-list", str(sheet)])
    assert result.exit_code != 0 and "unknown agency name(s): khong-ton-tai" in result.output
    sheet.write_text("title\nDữ liệu\n", encoding="utf-8")
    result = cli.invoke(ckan, ["cityopendata", "import-open-data-list", str(sheet)])
    assert result.exit_code != 0 and "missing column(s): agency" in result.output


# --- usage ---------------------------------------------------------------------------------------------------

def test_downloads_and_api_reads_are_counted_and_feed_most_used(app) -> None:  # type: ignore[no-untyped-def]
    org = factories.Organization()
    dataset = rich_dataset(org, "duoc-dung", "Được dùng nhiều")
    factories.Dataset(owner_org=org["id"], name="it-dung", title="Ít dùng")
    resource = dataset["resources"][0]
    link = factories.Resource(package_id=dataset["id"], url="https://example.vn/data.csv")
    app.get(f"/dataset/{dataset['id']}/resource/{link['id']}/download", follow_redirects=False)
    app.get("/api/3/action/package_show", query_string={"id": "duoc-dung"})
    app.post("/api/3/action/datastore_search", json={"resource_id": resource["id"]}, status=404)  # not counted
    shown = tk.h.cityopendata_portal_usage(dataset)
    assert shown == {"downloads": 1, "api_calls": 1}
    rows = model.Session.execute(model.meta.metadata.tables["cityopendata_usage"].select()).mappings().all()
    assert set(rows[0].keys()) == {"package_id", "day", "owner_org", "downloads", "api_calls"}  # nothing personal
    page = app.get("/").body
    most_used = page.split('id="cod-most-used"')[1].split("</section>")[0]
    assert "Được dùng nhiều" in most_used and "Ít dùng" not in most_used


def test_reads_of_a_private_dataset_are_not_counted(app) -> None:  # type: ignore[no-untyped-def]
    org = factories.Organization()
    secret = factories.Dataset(owner_org=org["id"], private=True)
    app.get("/api/3/action/package_show", query_string={"id": secret["id"]}, status=403)
    assert tk.h.cityopendata_portal_usage(secret) == {"downloads": 0, "api_calls": 0}


# --- developer corner -------------------------------------------------------------------------------------------

def test_the_catalogue_exports_as_csv_and_json_lines_without_private_datasets(app) -> None:  # type: ignore[no-untyped-def]
    one = factories.Organization(name="so-y-te")
    two = factories.Organization(name="so-du-lich")
    rich_dataset(one, "benh-vien", "=Bệnh viện")
    rich_dataset(two, "khach-san", "Khách sạn")
    rich_dataset(one, "noi-bo", "Nội bộ", private=True)
    body = app.get("/catalogue/export.csv").body.lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["name"] for r in rows] == ["benh-vien", "khach-san"]
    assert rows[0]["title"] == "'=Bệnh viện" and rows[0]["quality_score"] == "90"
    lines = app.get("/catalogue/export.jsonl").body.splitlines()
    assert [json.loads(line)["name"] for line in lines] == ["benh-vien", "khach-san"]
    agency = app.get("/catalogue/export.jsonl", query_string={"organization": "so-du-lich"}).body.splitlines()
    assert [json.loads(line)["name"] for line in agency] == ["khach-san"]
    app.get("/catalogue/export.csv", query_string={"organization": "khong-co"}, status=404)


def test_the_developers_page_explains_tokens_rate_limits_and_exports(app) -> None:  # type: ignore[no-untyped-def]
    factories.Organization(name="so-y-te", title="Sở Y tế")
    page = app.get("/developers").body
    assert "Mã truy cập API" in page and "60/minute" in page and "/catalogue/export.jsonl" in page
    assert '<label for="cod-export-agency">' in page


def test_the_showcase_lists_apps_added_from_the_cli(app, cli) -> None:  # type: ignore[no-untyped-def]
    from ckan.cli.cli import ckan

    org = factories.Organization()
    rich_dataset(org, "xe-buyt", "Xe buýt")
    result = cli.invoke(ckan, ["cityopendata", "showcase-add", "--title", "Bản đồ xe buýt",
                               "--url", "https://bando.example.vn", "--dataset", "xe-buyt"])
    assert result.exit_code == 0, result.output
    result = cli.invoke(ckan, ["cityopendata", "showcase-add", "--title", "x", "--url", "javascript:alert(1)"])
    assert result.exit_code != 0
    page = app.get("/showcase").body
    assert "Bản đồ xe buýt" in page and "javascript:" not in page


# --- translations --------------------------------------------------------------------------------------------------

def test_every_string_of_ours_is_translated_to_vietnamese() -> None:
    from babel.messages.pofile import read_po

    po = Path(__file__).resolve().parents[1] / "ckanext-cityopendata/i18n/vi/LC_MESSAGES/ckanext-cityopendata.po"
    with po.open("rb") as f:
        catalogue = read_po(f)
    untranslated = [m.id for m in catalogue if m.id and not (m.string if isinstance(m.string, str) else all(m.string))]
    assert untranslated == []


def test_the_catalogue_holds_every_string_the_portal_code_and_templates_use() -> None:
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parents[1] / "ckanext-cityopendata"
    method_map = [("**.py", "python"), ("templates/**.html", "ckan")]
    used = {message for _, _, message, _, _ in extract_from_dir(
        str(root / "portal"), method_map, options_map={}, keywords=DEFAULT_KEYWORDS)}
    with (root / "i18n/vi/LC_MESSAGES/ckanext-cityopendata.po").open("rb") as f:
        known = {m.id for m in read_po(f) if m.id}
    assert sorted(map(str, used - known)) == []
