"""Template helpers."""
from __future__ import annotations

from ckan.plugins import toolkit as tk

__all__ = ["cityopendata_city_name"]


def cityopendata_city_name() -> str:
    """The city's name in the current UI language."""
    if tk.h.lang() == "en":
        return tk.config.get("ckanext.cityopendata.city_name_en")
    return tk.config.get("ckanext.cityopendata.city_name")
