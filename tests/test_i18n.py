"""The portal speaks Vietnamese: every string of ours is in a catalogue, translated, and shown in vi."""
from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from ckan.tests import factories, helpers

from ckanext.cityopendata.harvesters import runner
from ckanext.cityopendata.text import is_nfc
from tests.harvest_fixtures import _file_server, file_server, make_source  # noqa: F401  (fixtures)
from tests.publishing_fixtures import Agency, agency, as_user, make_dataset  # noqa: F401  (fixtures)

REPO = Path(__file__).resolve().parents[1]
MAIN_I18N = REPO / "ckanext-cityopendata" / "i18n"
# The sub-catalogues have no mapping file: all their Python and templates go in.
FOLDER_MAPPING = [("**.py", "python"), ("**/templates/**.html", "ckan")]


@dataclass(frozen=True)
class Domain:
    """A translation domain: the folders whose strings it holds and its Vietnamese catalogue."""

    name: str
    i18n: Path
    sources: tuple[str, ...]

    @property
    def po(self) -> Path:
        return self.i18n / "vi" / "LC_MESSAGES" / f"{self.name}.po"


MAIN = Domain("ckanext-cityopendata", MAIN_I18N, ("ckanext-cityopendata", "harvesters", "schemas"))
DOMAINS = [
    MAIN,
    Domain("ckanext-cityopendata_schemas", REPO / "ckanext-cityopendata" / "metadata" / "i18n",
           ("ckanext-cityopendata/metadata",)),
    Domain("ckanext-cityopendata_validation", REPO / "ckanext-cityopendata" / "validation" / "i18n",
           ("ckanext-cityopendata/validation",)),
]

# {name}, {0}, {n:,} and %(name)s, %s, %d; a literal "%" (as in "Share (%)") is none of them.
_PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\([^)]+\)[#0+-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|%[#0+-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


def placeholders(text: str) -> Counter[str]:
    return Counter(_PLACEHOLDER.findall(text))


@functools.cache
def extracted(domain: Domain) -> dict[str, list[str]]:
    """Every msgid the domain's sources mark for translation, with where it was found."""
    if domain is MAIN:
        with open(MAIN_I18N / "babel.cfg", encoding="utf-8") as fileobj:
            method_map, options_map = parse_mapping_cfg(fileobj, str(MAIN_I18N / "babel.cfg"))
    else:
        method_map, options_map = FOLDER_MAPPING, {}
    found: dict[str, list[str]] = {}
    for folder in domain.sources:
        for filename, lineno, message, _comments, _context in extract_from_dir(
            REPO / folder, method_map, options_map
        ):
            msgid = message if isinstance(message, str) else message[0]
            found.setdefault(msgid, []).append(f"{folder}/{filename}:{lineno}")
    return found


def catalogue(path: Path) -> Catalog:
    with open(path, "rb") as fileobj:
        return read_po(fileobj)


def test_the_catalogue_template_lists_exactly_the_strings_of_our_code_and_templates() -> None:
    in_pot = {m.id for m in catalogue(MAIN_I18N / "ckanext-cityopendata.pot") if m.id}
    in_code = extracted(MAIN)
    missing = {msgid: where for msgid, where in in_code.items() if msgid not in in_pot}
    gone = in_pot - set(in_code)
    assert not missing and not gone, (
        f"run scripts/i18n-update: not in the .pot {missing}; no longer in the code {sorted(gone)}"
    )


@pytest.mark.parametrize("domain", DOMAINS, ids=lambda d: d.name)
def test_every_string_has_a_vietnamese_translation_in_nfc(domain: Domain) -> None:
    po = catalogue(domain.po)
    if domain is MAIN:
        wanted = [m.id for m in catalogue(MAIN_I18N / "ckanext-cityopendata.pot") if m.id]
    else:
        wanted = list(extracted(domain))
    untranslated = [msgid for msgid in wanted if po.get(msgid) is None or not po.get(msgid).string]
    fuzzy = [msgid for msgid in wanted if po.get(msgid) is not None and po.get(msgid).fuzzy]
    not_nfc = [m.string for m in po if m.id and m.string and not is_nfc(m.string)]
    assert not untranslated and not fuzzy and not not_nfc, (
        f"{domain.po.name}: untranslated {untranslated}; fuzzy {fuzzy}; not NFC {not_nfc}"
    )


@pytest.mark.parametrize("domain", DOMAINS, ids=lambda d: d.name)
def test_every_translation_keeps_the_placeholders_of_its_message(domain: Domain) -> None:
    assert placeholders("{n} of {total}; %(x)s, %d, 100%") == Counter(["{n}", "{total}", "%(x)s", "%d"])
    assert placeholders("{n} trên {tổng}") != placeholders("{n} of {total}")
    wrong = [
        (m.id, m.string)
        for m in catalogue(domain.po)
        if m.id and m.string and placeholders(str(m.id)) != placeholders(str(m.string))
    ]
    assert not wrong, f"{domain.po.name}: placeholders differ in {wrong}"


# Pages in the portal's default language (ckan.locale_default = vi in scripts/ini.d/00-core.ini).


def _token(user: str) -> str:
    return factories.APIToken(user=user)["token"]


def _transition(user: dict, dataset: dict, to: str, reason: str = "") -> None:
    helpers.call_action("cityopendata_workflow_transition", context=as_user(user),
                        id=dataset["id"], to=to, reason=reason)


def assert_vietnamese(body: str, vietnamese: tuple[str, ...], english: tuple[str, ...]) -> None:
    """The page shows the Vietnamese texts and none of their English originals."""
    for text in vietnamese:
        assert text in body, text
    for text in english:
        assert text not in body, text


def test_an_agency_editor_reads_the_review_workflow_of_a_returned_dataset_in_vietnamese(
    agency: Agency, app  # type: ignore[no-untyped-def]
) -> None:
    dataset = make_dataset(agency)
    _transition(agency.editor, dataset, "submitted")
    _transition(agency.reviewer, dataset, "returned", "Cần bổ sung giấy phép")
    page = app.get(f"/dataset/{dataset['name']}", headers={"Authorization": _token(agency.editor["name"])})
    assert page.status_code == 200
    assert_vietnamese(page.body, ("Quy trình xét duyệt", "Trạng thái", "Chờ xét duyệt", "Trả lại để chỉnh sửa",
                                  "Lý do", "Gửi xét duyệt", "Cần bổ sung giấy phép"),
                      ("Review workflow", "Submitted for review", "Returned for changes", "Submit for review"))


def test_a_site_administrator_reads_the_national_sync_page_in_vietnamese(app) -> None:  # type: ignore[no-untyped-def]
    admin = factories.Sysadmin()
    page = app.get("/ckan-admin/national-sync", headers={"Authorization": _token(admin["name"])})
    assert page.status_code == 200
    assert "Đồng bộ với Cổng dữ liệu quốc gia" in page.body
    assert "National data portal sync" not in page.body


def test_an_agency_reads_its_harvest_job_report_in_vietnamese(app, clean_db, clean_index, file_server) -> None:  # type: ignore[no-untyped-def]
    sysadmin = factories.Sysadmin()
    org = helpers.call_action("organization_create", context={"user": sysadmin["name"]},
                              name="so-giao-thong-van-tai", title="Sở Giao thông Vận tải")
    url = file_server.put(
        "/danh-muc.csv",
        "Mã,Tên dữ liệu,Chủ đề,Tệp dữ liệu\nds-1,Điểm dừng xe buýt,Chủ đề không có,https://example.org/1.csv\n",
        "text/csv",
    )
    source = make_source(dict(org, sysadmin=sysadmin["name"]), "cityopendata_spreadsheet", url)
    summary = runner.run_source(runner.find_source(source["name"]))
    page = app.get(f"/harvest/job-report/{summary.job_id}", headers={"Authorization": _token(sysadmin["name"])})
    assert page.status_code == 200
    assert_vietnamese(page.body, ("Báo cáo đợt thu thập", "Đã hoàn thành", "Tạo mới", "Không thay đổi",
                                  "Lỗi bộ dữ liệu và giá trị chưa ánh xạ", "Nhập dữ liệu", "Chủ đề không có"),
                      ("Harvest job report", "Finished", "Unchanged", "Import</td>"))
