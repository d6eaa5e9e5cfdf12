"""Template helpers of the city schemas: vocabulary choices and labels for forms and pages."""

from __future__ import annotations

from typing import Any

from . import admin_units, language, paths, table_schemas, vocabularies

__all__ = [
    "cityopendata_vocabulary_choices",
    "cityopendata_vocabulary_label",
    "cityopendata_admin_unit_label",
    "cityopendata_topic_choices",
    "cityopendata_update_frequency_choices",
    "cityopendata_licence_choices",
    "cityopendata_language_choices",
    "cityopendata_agency_type_choices",
    "cityopendata_province_choices",
    "cityopendata_pick_label",
    "cityopendata_table_schema_page",
]


def cityopendata_vocabulary_choices(name: str) -> list[dict[str, str]]:
    return vocabularies.get(name).choices()


def cityopendata_vocabulary_label(name: str, code: str) -> str:
    return vocabularies.get(name).label(code)


def cityopendata_admin_unit_label(code: str) -> str:
    """ "Phường Hải Châu, Thành phố Đà Nẵng" for a commune code; the code itself if unknown."""
    unit = admin_units.get(code)
    return admin_units.label(unit) if unit else code


def cityopendata_pick_label(labels: dict[str, str]) -> str:
    return language.pick(labels)


# Scheming's choices_helper takes the field; one helper per vocabulary keeps the YAML readable.
def cityopendata_topic_choices(field: Any = None) -> list[dict[str, str]]:
    return vocabularies.get("topics").choices()


def cityopendata_update_frequency_choices(field: Any = None) -> list[dict[str, str]]:
    return vocabularies.get("update_frequencies").choices()


def cityopendata_licence_choices(field: Any = None) -> list[dict[str, str]]:
    return vocabularies.get("licences").choices()


def cityopendata_language_choices(field: Any = None) -> list[dict[str, str]]:
    return vocabularies.get("languages").choices()


def cityopendata_agency_type_choices(field: Any = None) -> list[dict[str, str]]:
    return vocabularies.get("agency_types").choices()


def cityopendata_province_choices(field: Any = None) -> list[dict[str, str]]:
    reg = admin_units.register()
    provinces = [u for u in reg.current.values() if u.level == admin_units.PROVINCE]
    return [{"value": u.code, "label": u.name} for u in sorted(provinces, key=lambda u: u.code)]


def cityopendata_table_schema_page(value: str) -> str | None:
    """The catalogue page of a Table Schema id, the URL itself for a remote schema, else None."""
    found = table_schemas.get(value) if value else None
    if found is not None:
        return f"{paths.PREFIX}/{found.name}/{found.version}"
    if value and value.startswith(("http://", "https://")):
        return value
    return None
