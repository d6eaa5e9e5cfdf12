"""DCAT catalogues, DCAT-US data.json, spreadsheet catalogues and JSON APIs, served on 127.0.0.1."""
from __future__ import annotations

import io
import json
import unicodedata
from typing import Any

import openpyxl
import pytest

from ckanext.cityopendata.harvesters import runner
from tests.harvest_fixtures import (  # noqa: F401  (fixtures)
    _file_server, agency, field, file_server, harvested, last_report, make_source, run_harvest, shown,
)

TTL = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
<{base}/catalog> a dcat:Catalog ; dcat:dataset <{base}/ds/1> .
<{base}/page1> a hydra:PartialCollectionView ; hydra:next <{base}/page2.ttl> .
<{base}/ds/1> a dcat:Dataset ; dct:identifier "ds-1" ;
  dct:title "Điểm dừng xe buýt"@vi, "Bus stops"@en ; dct:description "Vị trí điểm dừng"@vi ;
  dcat:keyword "xe buýt" ;
  dcat:theme <http://publications.europa.eu/resource/authority/data-theme/TRAN> ;
  dct:accrualPeriodicity <http://publications.europa.eu/resource/authority/frequency/MONTHLY> ;
  dct:temporal [ a dct:PeriodOfTime ; dcat:startDate "2024-01-01" ; dcat:endDate "2024-12-31" ] ;
  dcat:contactPoint [ a vcard:Organization ; vcard:fn "Sở GTVT" ; vcard:hasEmail <mailto:sogtvt@danang.gov.vn> ] ;
  dcat:landingPage <{base}/trang/1> ;
  dcat:distribution [ a dcat:Distribution ; dct:title "Tệp CSV" ; dcat:downloadURL <http://example.org/diem-dung.csv> ;
     dct:format "CSV" ; dct:license <https://creativecommons.org/licenses/by/4.0/> ] .
"""
TTL_PAGE2 = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
<{base}/ds/2> a dcat:Dataset ; dct:identifier "ds-2" ; dct:title "Chất lượng không khí"@vi ;
  dcat:distribution [ a dcat:Distribution ; dcat:downloadURL <http://example.org/khong-khi.json> ; dct:format "JSON" ] .
"""
RDF_XML = """<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dcat="http://www.w3.org/ns/dcat#"
         xmlns:dct="http://purl.org/dc/terms/">
  <dcat:Dataset rdf:about="http://agency.test/ds/xml-1">
    <dct:identifier>xml-1</dct:identifier>
    <dct:title xml:lang="vi">Trường học trên địa bàn</dct:title>
    <dcat:distribution><dcat:Distribution><dcat:downloadURL rdf:resource="http://example.org/truong.csv"/>
      <dct:format>CSV</dct:format></dcat:Distribution></dcat:distribution>
  </dcat:Dataset>
</rdf:RDF>"""


def jsonld(context: Any) -> str:
    return json.dumps({
        "@context": context,
        "@graph": [{"@id": "http://agency.test/ds/jl-1", "@type": "dcat:Dataset", "dct:identifier": "jl-1",
                    "dct:title": {"@value": "Bệnh viện công lập", "@language": "vi"}}],
    }, ensure_ascii=False)


INLINE_CONTEXT = {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/"}


def test_a_paged_turtle_catalogue_is_harvested_with_vietnamese_text(agency, file_server):
    base = file_server.url
    url = file_server.put("/page1.ttl", TTL.format(base=base), "text/turtle")
    file_server.put("/page2.ttl", TTL_PAGE2.format(base=base), "text/turtle")
    source = make_source(agency, "cityopendata_dcat", url)
    summary = runner.run_source(runner.find_source(source["name"]))
    assert summary.line().endswith("created 2, updated 0, unchanged 0, deleted 0, failed 0")
    first, second = harvested(source["id"])[::-1]  # "Điểm …" sorts after "Chất …"
    assert first["title"] == "Điểm dừng xe buýt" and unicodedata.is_normalized("NFC", first["title"])
    assert field(first, "title_en") == "Bus stops"
    assert field(first, "topics") == ["transport"]
    assert field(first, "update_frequency") == "monthly"
    assert field(first, "temporal_start") == "2024-01-01"
    assert field(first, "contact_email") == "sogtvt@danang.gov.vn"
    assert field(first, "original_id") == "ds-1"
    assert field(first, "original_url") == f"{base}/trang/1"
    assert first["license_id"] == "cc-by"
    assert first["resources"][0]["url"] == "http://example.org/diem-dung.csv"
    assert second["title"] == "Chất lượng không khí"
    again = runner.run_source(runner.find_source(source["name"]))
    assert again.line().endswith("created 0, updated 0, unchanged 2, deleted 0, failed 0")


def test_rdf_xml_and_inline_json_ld_catalogues_are_harvested(agency, file_server):
    xml = make_source(agency, "cityopendata_dcat", file_server.put("/catalog.rdf", RDF_XML, "application/rdf+xml"),
                      name="nguon-xml")
    jl = make_source(agency, "cityopendata_dcat",
                     file_server.put("/catalog.jsonld", jsonld(INLINE_CONTEXT), "application/ld+json"), name="nguon-jsonld")
    runner.run_source(runner.find_source(xml["name"]))
    runner.run_source(runner.find_source(jl["name"]))
    assert [d["title"] for d in harvested(xml["id"])] == ["Trường học trên địa bàn"]
    assert [d["title"] for d in harvested(jl["id"])] == ["Bệnh viện công lập"]


def test_a_json_ld_context_pointing_elsewhere_causes_no_request(agency, file_server):
    remote_context = file_server.put("/context.jsonld", json.dumps({"@context": INLINE_CONTEXT}), "application/ld+json")
    url = file_server.put("/catalog.jsonld", jsonld(remote_context), "application/ld+json")
    source = make_source(agency, "cityopendata_dcat", url)
    summary = runner.run_source(runner.find_source(source["name"]))
    assert "/context.jsonld" not in file_server.requests
    assert any("@context" in e for e in summary.errors)
    assert harvested(source["id"]) == []


def test_a_dcat_us_data_json_is_harvested(agency, file_server):
    catalogue = {"conformsTo": "https://project-open-data.cio.gov/v1.1/schema", "dataset": [{
        "identifier": "dn-ngan-sach-2024", "title": "Ngân sách thành phố 2024", "description": "Dự toán ngân sách",
        "keyword": ["ngân sách"], "modified": "2024-06-01", "accrualPeriodicity": "R/P1Y",
        "temporal": "2024-01-01/2024-12-31", "license": "https://creativecommons.org/publicdomain/zero/1.0/",
        "contactPoint": {"fn": "Sở Tài chính", "hasEmail": "mailto:stc@danang.gov.vn"},
        "landingPage": "https://agency.test/ngan-sach", "programCode": ["015:001"],
        "distribution": [{"downloadURL": "https://example.org/ngan-sach.xlsx", "format": "XLSX", "title": "Dự toán"}],
    }]}
    source = make_source(agency, "cityopendata_dcat", file_server.put("/data.json", json.dumps(catalogue), "application/json"))
    runner.run_source(runner.find_source(source["name"]))
    [dataset] = harvested(source["id"])
    assert dataset["title"] == "Ngân sách thành phố 2024"
    assert field(dataset, "update_frequency") == "yearly"
    assert field(dataset, "temporal_end") == "2024-12-31"
    assert dataset["license_id"] == "cc-zero"
    assert field(dataset, "original_url") == "https://agency.test/ngan-sach"


def _xlsx(rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_a_spreadsheet_catalogue_in_the_vietnamese_template_is_harvested(agency, file_server):
    rows = [
        ["Mã", "Tên dữ liệu", "Mô tả", "Chủ đề", "Từ khóa", "Tần suất cập nhật", "Giấy phép", "Từ ngày",
         "Email liên hệ", "Tệp dữ liệu", "Định dạng", "Ghi chú nội bộ"],
        ["yt-01", "Danh sách bệnh viện", "Các bệnh viện công lập", "Y tế", "bệnh viện; y tế", "Hằng năm", "CC-BY",
         "01/01/2024", "syt@danang.gov.vn", "https://example.org/benh-vien.csv\nhttps://example.org/benh-vien.json",
         "CSV; JSON", "cần rà soát"],
        ["yt-02", "Nhà thuốc đạt chuẩn", "", "Chủ đề lạ", "", "Thỉnh thoảng", "", "", "", "", "", ""],
    ]
    source = make_source(agency, "cityopendata_spreadsheet", file_server.put("/danh-muc.xlsx", _xlsx(rows), XLSX_TYPE))
    summary = runner.run_source(runner.find_source(source["name"]))
    assert summary.created == 2 and summary.failed == 0
    by_id = {field(d, "original_id"): d for d in harvested(source["id"])}
    hospital = by_id["yt-01"]
    assert hospital["title"] == "Danh sách bệnh viện"
    assert field(hospital, "topics") == ["health"]
    assert field(hospital, "update_frequency") == "yearly"
    assert field(hospital, "temporal_start") == "2024-01-01"
    assert [(r["url"], r["format"]) for r in hospital["resources"]] == [
        ("https://example.org/benh-vien.csv", "CSV"), ("https://example.org/benh-vien.json", "JSON")]
    report = " ".join(e["message"] for e in last_report(source["id"])["object_errors"])
    for unmapped in ("Ghi chú nội bộ", "cần rà soát", "Chủ đề lạ", "Thỉnh thoảng"):
        assert unmapped in report


def test_a_csv_catalogue_with_english_headers_is_harvested(agency, file_server):
    csv_text = ("ID,Title,Description,Topic,File links,Format\n"
                "edu-1,Trường mầm non,Danh sách trường,Education,https://example.org/mam-non.csv,csv\n")
    source = make_source(agency, "cityopendata_spreadsheet", file_server.put("/catalogue.csv", csv_text, "text/csv"))
    runner.run_source(runner.find_source(source["name"]))
    [dataset] = harvested(source["id"])
    assert dataset["title"] == "Trường mầm non"
    assert field(dataset, "topics") == ["education"]
    assert dataset["resources"][0]["format"] == "CSV"


def test_the_shipped_template_harvests_as_is(agency, file_server):
    from pathlib import Path

    template = Path(__file__).resolve().parents[1] / "harvesters/catalogue_template/danh-muc-du-lieu.xlsx"
    source = make_source(agency, "cityopendata_spreadsheet",
                         file_server.put("/mau.xlsx", template.read_bytes(), XLSX_TYPE))
    summary = runner.run_source(runner.find_source(source["name"]))
    assert summary.created == 1 and summary.failed == 0
    assert last_report(source["id"])["object_errors"] == []


API_PAGE1 = {"data": {"items": [
    {"ma": "ks-1", "ten": "Khách sạn 5 sao", "mo_ta": "Danh sách khách sạn", "linh_vuc": ["Du lịch"],
     "tep": [{"duong_dan": "https://example.org/ks.csv", "dinh_dang": "CSV"}], "nguoi_nhap": "admin"},
]}, "links": {"next": "/api/page2"}}
API_PAGE2 = {"data": {"items": [
    {"ma": "ks-2", "ten": "Nhà hàng", "mo_ta": "", "linh_vuc": [], "tep": []},
]}, "links": {"next": None}}
API_CONFIG = {"items": "$.data.items", "next": "$.links.next", "mapping": {
    "guid": "$.ma", "title": "$.ten", "notes": "$.mo_ta", "topics": "$.linh_vuc[*]",
    "resources": {"each": "$.tep[*]", "url": "$.duong_dan", "format": "$.dinh_dang"}}}


def test_an_agency_json_api_is_harvested_through_its_mapping(agency, file_server):
    url = file_server.put("/api/page1", json.dumps(API_PAGE1, ensure_ascii=False), "application/json")
    file_server.put("/api/page2", json.dumps(API_PAGE2, ensure_ascii=False), "application/json")
    source = make_source(agency, "cityopendata_jsonapi", url, API_CONFIG)
    summary = runner.run_source(runner.find_source(source["name"]))
    assert summary.created == 2
    by_id = {field(d, "original_id"): d for d in harvested(source["id"])}
    assert by_id["ks-1"]["title"] == "Khách sạn 5 sao"
    assert field(by_id["ks-1"], "topics") == ["tourism"]
    assert by_id["ks-1"]["resources"][0]["url"] == "https://example.org/ks.csv"
    assert "nguoi_nhap" in " ".join(e["message"] for e in last_report(source["id"])["object_errors"])


def test_a_json_api_mapping_to_an_unknown_field_is_refused(agency):
    from ckan.plugins import toolkit as tk

    with pytest.raises(tk.ValidationError):
        make_source(agency, "cityopendata_jsonapi", "https://agency.test/api",
                    {"mapping": {"title": "$.ten", "mau_sac": "$.mau"}})


def test_source_credentials_must_come_from_the_environment_never_the_config(agency):
    from ckan.plugins import toolkit as tk

    with pytest.raises(tk.ValidationError) as error:
        make_source(agency, "cityopendata_jsonapi", "https://agency.test/api",
                    {"mapping": {"title": "$.ten"}, "headers": {"Authorization": "Bearer s3cr3t-token"}})
    assert "s3cr3t" not in str(error.value)
    source = make_source(agency, "cityopendata_jsonapi", "https://agency.test/api",
                         {"mapping": {"title": "$.ten"}, "headers": {"Authorization": "env:AGENCY_API_TOKEN"}})
    assert "env:AGENCY_API_TOKEN" in source["config"]


def test_the_new_source_form_offers_the_four_city_harvesters(app, agency):
    from ckan.tests import factories

    token = factories.APIToken(user=agency["sysadmin"])["token"]
    page = app.get("/harvest/new", headers={"Authorization": token})
    assert page.status_code == 200
    for source_type in ("cityopendata_ckan", "cityopendata_dcat", "cityopendata_spreadsheet", "cityopendata_jsonapi"):
        assert f'value="{source_type}"' in page.body
