"""Code lists a harvested value is matched against: topics, update frequencies, licences.

Matching folds Vietnamese (``text.fold``) so "Giao thông", "giao thong" and "transport" all give
``transport``. A value that matches nothing is returned as ``None`` and reported by the caller.
"""
from __future__ import annotations

from typing import Optional

from ckanext.cityopendata.text import fold

# code -> labels (vi and en) that mean it; codes as in schemas/vocabularies/*.yaml
TOPICS: dict[str, tuple[str, ...]] = {
    "agriculture": ("Nông nghiệp", "Nông nghiệp và phát triển nông thôn", "Agriculture"),
    "culture": ("Văn hóa", "Văn hoá", "Văn hóa và thể thao", "Culture", "Culture and sport"),
    "economy": ("Kinh tế", "Kinh tế và doanh nghiệp", "Economy", "Economy and business"),
    "education": ("Giáo dục", "Giáo dục và đào tạo", "Education"),
    "energy": ("Năng lượng", "Energy"),
    "environment": ("Môi trường", "Tài nguyên và môi trường", "Environment"),
    "finance": ("Tài chính", "Ngân sách", "Finance", "Budget"),
    "government": ("Chính quyền", "Hành chính", "Government", "Public administration"),
    "health": ("Y tế", "Sức khỏe", "Sức khoẻ", "Health"),
    "construction": ("Xây dựng", "Xây dựng và đô thị", "Nhà ở", "Đô thị", "Construction", "Housing"),
    "population": ("Dân số", "Dân cư", "Dân cư và xã hội", "Xã hội", "Lao động", "Population", "Society"),
    "public-safety": ("An ninh", "An toàn", "Trật tự an toàn", "Public safety"),
    "technology": ("Khoa học", "Công nghệ", "Khoa học và công nghệ", "Science", "Technology"),
    "tourism": ("Du lịch", "Tourism"),
    "transport": ("Giao thông", "Giao thông vận tải", "Transport", "Transportation"),
    "land-planning": ("Quy hoạch", "Đất đai", "Đất đai và quy hoạch", "Quy hoạch đô thị", "Urban planning",
                      "Land and planning"),
}

FREQUENCIES: dict[str, tuple[str, ...]] = {
    "realtime": ("Thời gian thực", "Liên tục", "Real time", "Realtime", "continuous"),
    "hourly": ("Hằng giờ", "Hàng giờ", "Hourly"),
    "semiannual": ("Sáu tháng một lần", "Nửa năm", "Every six months", "Semiannual"),
    "never": ("Không cập nhật", "Not updated", "Never"),
    "daily": ("Hằng ngày", "Hàng ngày", "Daily"),
    "weekly": ("Hằng tuần", "Hàng tuần", "Weekly"),
    "monthly": ("Hằng tháng", "Hàng tháng", "Monthly"),
    "quarterly": ("Hằng quý", "Hàng quý", "Quarterly"),
    "yearly": ("Hằng năm", "Hàng năm", "Yearly", "Annual", "Annually"),
    "irregular": ("Không định kỳ", "Không thường xuyên", "Irregular", "As needed"),
}

# EU / DCAT-AP frequency URIs end with these words
_EU_FREQUENCIES = {
    "UPDATE_CONT": "realtime", "CONT": "realtime", "HOURLY": "hourly", "BIANNUAL": "semiannual", "NEVER": "never", "DAILY": "daily", "WEEKLY": "weekly",
    "MONTHLY": "monthly", "QUARTERLY": "quarterly", "ANNUAL": "yearly", "IRREG": "irregular",
}
# ISO 8601 durations as DCAT-US data.json writes them (accrualPeriodicity)
_ISO_FREQUENCIES = {"R/PT1S": "realtime", "R/P1D": "daily", "R/P1W": "weekly", "R/P1M": "monthly",
                    "R/P3M": "quarterly", "R/P1Y": "yearly", "irregular": "irregular"}

LICENSES: dict[str, tuple[str, ...]] = {
    "cc-by": ("CC-BY", "CC BY", "CC-BY-4.0", "Creative Commons Attribution",
              "https://creativecommons.org/licenses/by/4.0/"),
    "cc-by-sa": ("CC-BY-SA", "CC BY-SA", "CC-BY-SA-4.0", "https://creativecommons.org/licenses/by-sa/4.0/"),
    "cc-zero": ("CC0", "CC0-1.0", "CC-Zero", "https://creativecommons.org/publicdomain/zero/1.0/"),
    "odc-by": ("ODC-BY",),
    "odc-odbl": ("ODbL", "ODC-ODbL"),
    "odc-pddl": ("PDDL", "ODC-PDDL"),
    "other-open": ("Other (Open)", "Giấy phép mở khác"),
    "notspecified": ("License not specified", "Chưa xác định"),
}


def _key(value: str) -> str:
    return fold(value.replace("-", " ").replace("_", " "))


def _index(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    index: dict[str, str] = {}
    for code, labels in table.items():
        index[_key(code)] = code
        for label in labels:
            index[_key(label)] = code
    return index


_TOPIC_INDEX = _index(TOPICS)
_FREQUENCY_INDEX = _index(FREQUENCIES)
_LICENSE_INDEX = _index(LICENSES)


# EU data themes (dcat:theme URIs of DCAT-AP catalogues) that have a city topic
_EU_THEMES = {
    "AGRI": "agriculture", "ECON": "economy", "EDUC": "education", "ENER": "energy",
    "ENVI": "environment", "GOVE": "government", "HEAL": "health", "JUST": "public-safety",
    "REGI": "land-planning", "SOCI": "population", "TECH": "technology", "TRAN": "transport",
}
_LANGUAGES = {"mul": "mul", "vi": "vi", "vie": "vi", "vietnamese": "vi", "tieng viet": "vi",
              "en": "en", "eng": "en", "english": "en", "tieng anh": "en"}


def topic_code(value: str) -> Optional[str]:
    """The topic code for a label or code in vi or en, or an EU data-theme URI, or None."""
    tail = value.rstrip("/").rsplit("/", 1)[-1]
    if value.startswith("http") and tail in _EU_THEMES:
        return _EU_THEMES[tail]
    return _TOPIC_INDEX.get(_key(value))


def language_code(value: str) -> Optional[str]:
    """"vi" or "en" for a code, a name or an EU language URI, or None."""
    return _LANGUAGES.get(_key(value.rstrip("/").rsplit("/", 1)[-1]))


def frequency_code(value: str) -> Optional[str]:
    """The update frequency code for a label, an EU frequency URI or an ISO 8601 repeat, or None."""
    if value in _ISO_FREQUENCIES:
        return _ISO_FREQUENCIES[value]
    tail = value.rstrip("/").rsplit("/", 1)[-1]
    if tail in _EU_FREQUENCIES:
        return _EU_FREQUENCIES[tail]
    return _FREQUENCY_INDEX.get(_key(value))


def license_code(value: str) -> Optional[str]:
    """The CKAN licence id for a licence id, title or URL, or None."""
    return _LICENSE_INDEX.get(_key(value)) or _LICENSE_INDEX.get(_key(value.rstrip("/") + "/"))
