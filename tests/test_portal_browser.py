"""A person's visit in real headless Chromium: Vietnamese home page, English, search, dataset, dashboard, export."""
from __future__ import annotations

import re
from typing import Any

import pytest
from ckan.tests import factories

from tests.portal_browser import artifacts_dir, browser, page, served_portal  # noqa: F401 - fixtures
from tests.portal_fixtures import bare_dataset, rich_dataset, validated

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


def _city() -> None:
    transport = factories.Organization(name="so-xay-dung", title="Sở Xây dựng thành phố Đà Nẵng")
    health = factories.Organization(name="so-y-te", title="Sở Y tế thành phố Đà Nẵng")
    factories.Organization(name="so-du-lich", title="Sở Du lịch thành phố Đà Nẵng")
    validated(rich_dataset(transport, "diem-dung-xe-buyt-da-nang", "Điểm dừng xe buýt Đà Nẵng"))
    rich_dataset(transport, "bai-do-xe", "Bãi đỗ xe công cộng", topics=["transport", "construction"])
    rich_dataset(health, "co-so-y-te", "Cơ sở khám chữa bệnh", topics=["health"])
    bare_dataset(health, "bao-cao-noi-bo", "Báo cáo nội bộ", private=True)


def test_a_visitor_reads_in_vietnamese_switches_to_english_finds_a_dataset_and_exports_the_dashboard(
    served_portal: str, page: Any  # noqa: F811
) -> None:
    _city()
    shots = artifacts_dir()

    # The home page, in Vietnamese by default.
    page.goto(served_portal + "/")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.locator("#cod-home-title").inner_text() == "Dữ liệu mở của Đà Nẵng"
    assert page.get_by_role("searchbox", name="Tìm kiếm bộ dữ liệu").is_visible()
    tiles = page.locator("section[aria-labelledby=cod-topics] .cod-tiles a")
    first = tiles.first.inner_text()
    assert tiles.count() == 3 and first.startswith("2") and first.endswith("Giao thông vận tải")
    page.screenshot(path=str(shots / "home.png"), full_page=True)

    # One click to English.
    page.get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r"/en/?$"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#cod-home-title").inner_text() == "Open data of Da Nang"

    # Search "Da Nang" (no diacritics) and open the dataset.
    page.get_by_role("searchbox", name="Search datasets").fill("Da Nang")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/en/dataset/?\?q=Da"))
    page.get_by_role("link", name="Điểm dừng xe buýt Đà Nẵng").first.click()
    page.wait_for_url(re.compile(r"/dataset/diem-dung-xe-buyt-da-nang$"))

    # Its validation badge and quality score with the reasons.
    assert page.locator("[data-cod-score]").inner_text() == "90/100"
    assert page.locator("[data-cod-validation=success]").inner_text() == "Valid"
    page.get_by_text("Why this score").click()
    assert page.locator("[data-cod-reason=open_licence]").is_visible()
    assert "Phường Hải Châu, Thành phố Đà Nẵng" in page.locator("[data-cod-dataset-panel]").inner_text()
    page.screenshot(path=str(shots / "dataset.png"), full_page=True)

    # The dashboard draws its charts with Chart.js.
    page.goto(served_portal + "/open-data")
    page.wait_for_selector("html[data-cod-charts='2']")
    drawn = page.evaluate("Array.from(document.querySelectorAll('canvas')).map(c => !!Chart.getChart(c) && c.width > 0)")
    assert drawn == [True, True]
    assert page.locator("[data-cod-figure=agencies_publishing]").inner_text() == "66.7%"
    assert "Báo cáo nội bộ" not in page.content()
    page.screenshot(path=str(shots / "dashboard.png"), full_page=True)

    # An export downloaded as a file.
    with page.expect_download() as download_info:
        page.locator("[data-cod-export=agencies-csv]").click()
    download = download_info.value
    saved = shots / download.suggested_filename
    download.save_as(str(saved))
    text = saved.read_text(encoding="utf-8-sig")
    assert text.startswith("Cơ quan,") and "Sở Xây dựng thành phố Đà Nẵng" in text


def test_the_home_page_fits_a_phone_and_is_usable_with_the_keyboard(served_portal: str, browser: Any) -> None:  # noqa: F811
    _city()
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(served_portal + "/")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        wide = page.evaluate("""Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).slice(0, 8).map(e => e.tagName + '.' + e.className + '#' + e.id)""")
        assert overflow <= 1, wide
        # Keyboard: the first Tab reaches the skip link, which leads to the content.
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.getAttribute('href')") == "#content"
        assert page.locator("#content").count() == 1
        # Every input has a label.
        unlabeled = page.evaluate(
            """Array.from(document.querySelectorAll('input:not([type=hidden])')).filter(i =>
                 !(i.labels && i.labels.length) && !i.getAttribute('aria-label')).length"""
        )
        assert unlabeled == 0
        page.screenshot(path=str(artifacts_dir() / "home-phone.png"), full_page=True)
    finally:
        context.close()
