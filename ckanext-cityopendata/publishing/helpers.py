"""Template helpers of publishing."""
from __future__ import annotations

from typing import Any, Optional

from ckan.plugins import toolkit as tk

__all__ = ["cityopendata_workflow", "cityopendata_screening", "cityopendata_workflow_label"]

LABELS = {
    "draft": "Draft",
    "submitted": "Submitted for review",
    "returned": "Returned for changes",
    "published": "Published",
    "withdrawn": "Withdrawn",
}


def cityopendata_workflow_label(state: str) -> str:
    return tk._(LABELS.get(state, state))


def cityopendata_workflow(package_id: str) -> Optional[dict[str, Any]]:
    """The workflow panel's data, or None when the user may not see it."""
    try:
        return tk.get_action("cityopendata_workflow_show")({"user": tk.current_user.name if tk.current_user else ""},
                                                           {"id": package_id})
    except (tk.NotAuthorized, tk.ObjectNotFound):
        return None


def cityopendata_screening(package_id: str) -> Optional[dict[str, Any]]:
    try:
        return tk.get_action("cityopendata_screening_show")({"user": tk.current_user.name if tk.current_user else ""},
                                                            {"id": package_id})
    except (tk.NotAuthorized, tk.ObjectNotFound):
        return None
