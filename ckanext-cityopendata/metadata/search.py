"""Search: the facets with Vietnamese labels, and what a dataset is indexed by.

Lists go to ``vocab_*`` fields (CKAN's multi-valued, facetable strings, copied into the full text);
every name of the administrative units covered, current and pre-2025 and diacritic-free, goes to
``extras_admin_unit_names`` (full text), so "Hậu Giang" finds a dataset of Cần Thơ.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from . import admin_units, language, vocabularies

TOPICS = "vocab_topics"
UNITS = "vocab_admin_units"
FREQUENCY = "update_frequency"
LICENCE = "license_id"

_TITLES: dict[str, dict[str, str]] = {
    "organization": {"vi": "Cơ quan", "en": "Agency"},
    "res_format": {"vi": "Định dạng", "en": "Format"},
}


def _facet_titles() -> dict[str, dict[str, str]]:
    return {
        TOPICS: vocabularies.get("topics").title,
        "organization": _TITLES["organization"],
        UNITS: vocabularies.ADMIN_UNITS_TITLE,
        "res_format": _TITLES["res_format"],
        LICENCE: vocabularies.get("licences").title,
        FREQUENCY: vocabularies.get("update_frequencies").title,
    }


def dataset_facets(facets: OrderedDict[str, Any]) -> OrderedDict[str, Any]:
    """Our facets, in the reader's language, before whatever else the other plugins add."""
    ours = OrderedDict((field, language.pick(title)) for field, title in _facet_titles().items())
    for field, title in facets.items():
        if field not in ours and field != "groups":
            ours[field] = title
    return ours


def _loads(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str) and value:
        try:
            loaded = json.loads(value)
        except ValueError:
            return [value]
        return [str(v) for v in loaded] if isinstance(loaded, list) else [str(loaded)]
    return []


def index_fields(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    """Add the facet and full-text fields of our metadata to a dataset's index document."""
    topics = _loads(pkg_dict.get("topics"))
    codes = _loads(pkg_dict.get("admin_units"))
    originals = _loads(pkg_dict.get("admin_units_original"))
    if topics:
        pkg_dict[TOPICS] = topics
        labels = [vocabularies.get("topics").label(t, lang) for t in topics for lang in ("vi", "en")]
        pkg_dict["extras_topic_labels"] = " ".join(labels)
    if codes:
        register = admin_units.register()
        parents = [register.current[c].province_code for c in codes if c in register.current]
        pkg_dict[UNITS] = list(dict.fromkeys([*codes, *parents]))
    if codes or originals:
        pkg_dict["extras_admin_unit_names"] = " | ".join(admin_units.search_names(codes, originals))
    for key in ("topics", "admin_units", "admin_units_original"):
        pkg_dict.pop(key, None)  # JSON text in a single-valued string field helps nobody
    return pkg_dict


def label_facets(search_results: dict[str, Any]) -> dict[str, Any]:
    """Show facet items by their labels (vi or en) rather than their codes."""
    facets = search_results.get("search_facets") or {}
    labellers = {
        TOPICS: vocabularies.get("topics").label,
        FREQUENCY: vocabularies.get("update_frequencies").label,
        LICENCE: vocabularies.get("licences").label,
        UNITS: _unit_label,
    }
    lang = language.current()
    for field, labeller in labellers.items():
        facet = facets.get(field)
        if not facet:
            continue
        for item in facet.get("items", []):
            item["display_name"] = labeller(item["name"], lang)
    return search_results


def _unit_label(code: str, lang: str | None = None) -> str:
    unit = admin_units.get(code)
    return unit.name if unit else code
