"""Controlled vocabularies: data files in ckanext.cityopendata.schemas/vocabularies, read once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml
from ckanext.cityopendata.text import nfc_deep

from . import admin_units, language

FILES = ("topics", "update_frequencies", "licences", "languages", "agency_types")
ADMIN_UNITS = "admin_units"


@dataclass(frozen=True)
class Vocabulary:
    name: str
    title: dict[str, str]
    source: str
    items: tuple[dict[str, Any], ...]

    def codes(self) -> list[str]:
        return [item["code"] for item in self.items]

    def item(self, code: str) -> dict[str, Any] | None:
        return next((i for i in self.items if i["code"] == code), None)

    def label(self, code: str, lang: str | None = None) -> str:
        item = self.item(code)
        return language.pick(item, lang) if item else code

    def choices(self) -> list[dict[str, str]]:
        """Scheming choices, labelled in the current language."""
        return [{"value": i["code"], "label": language.pick(i)} for i in self.items]


@cache
def get(name: str) -> Vocabulary:
    if name not in FILES:
        raise KeyError(name)
    path = resources.files("ckanext.cityopendata.schemas").joinpath(f"vocabularies/{name}.yaml")
    data = nfc_deep(yaml.safe_load(path.read_text(encoding="utf-8")))
    return Vocabulary(data["name"], data["title"], data["source"].strip(), tuple(data["items"]))


ADMIN_UNITS_TITLE = {"vi": "Đơn vị hành chính", "en": "Administrative unit"}
ADMIN_UNITS_SOURCE = (
    "vietnam-provinces (34 provinces and 3,321 communes after 1 July 2025, official codes) and "
    "vietnamadminunits (pre-2025 provinces, districts and wards and their successors)."
)


def names() -> list[str]:
    return [*FILES, ADMIN_UNITS]


def summary(name: str) -> dict[str, Any]:
    if name == ADMIN_UNITS:
        reg = admin_units.register()
        return {
            "name": name,
            "title": ADMIN_UNITS_TITLE,
            "source": ADMIN_UNITS_SOURCE,
            "count": len(reg.current),
        }
    vocab = get(name)
    return {"name": vocab.name, "title": vocab.title, "source": vocab.source, "count": len(vocab.items)}


def admin_unit_items(province: str | None = None) -> list[dict[str, Any]]:
    reg = admin_units.register()
    items = []
    for unit in reg.current.values():
        if province and unit.province_code != province:
            continue
        item: dict[str, Any] = {"code": unit.code, "vi": unit.name, "level": unit.level}
        if unit.level == admin_units.COMMUNE:
            item["province"] = unit.province_code
        former = sorted(reg.predecessors.get(unit.code, ()))
        if former:
            item["former_names"] = former
        items.append(item)
    return items
