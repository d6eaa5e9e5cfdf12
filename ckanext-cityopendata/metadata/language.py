"""The language labels are shown in: the request's, else the portal's default (vi)."""

from __future__ import annotations

from collections.abc import Mapping

from ckan.plugins import toolkit as tk


def current() -> str:
    try:
        lang = tk.h.lang()
    except Exception:  # no request (indexing, CLI, jobs): the portal's default language
        lang = None
    return "en" if (lang or tk.config.get("ckan.locale_default") or "vi").startswith("en") else "vi"


def pick(labels: Mapping[str, str], lang: str | None = None) -> str:
    """The label in ``lang`` (or the current language), falling back to Vietnamese."""
    lang = lang or current()
    return labels.get(lang) or labels.get("vi") or next(iter(labels.values()), "")
