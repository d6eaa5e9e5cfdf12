"""Template helpers of validation: the status of a resource or dataset, for badges and pages."""
from __future__ import annotations

from typing import Any

from ckan.plugins import toolkit as tk

__all__ = ["cityopendata_validation_label", "cityopendata_dataset_validation_status"]


def cityopendata_validation_label(status: str | None) -> str:
    labels = {
        "pending": tk._("Validating…"),
        "running": tk._("Validating…"),
        "success": tk._("Valid"),
        "failure": tk._("Invalid"),
        "error": tk._("Could not validate"),
    }
    return labels.get(status or "", tk._("Not validated"))


def cityopendata_dataset_validation_status(pkg_dict: dict[str, Any]) -> str:
    from ckanext.cityopendata.validation import store

    return store.dataset_status(r.get("validation_status") for r in pkg_dict.get("resources") or [])
