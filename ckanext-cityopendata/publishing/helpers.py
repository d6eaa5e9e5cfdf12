"""Template helpers of publishing."""
from __future__ import annotations

from typing import Any, Optional

from ckan.plugins import toolkit as tk

__all__ = [
    "cityopendata_workflow",
    "cityopendata_screening",
    "cityopendata_workflow_label",
    "cityopendata_screening_kind_label",
    "cityopendata_sync_status_label",
]


def N_(message: str) -> str:
    """Mark a string for the catalogue (Babel's default keyword); it is translated where shown."""
    return message


LABELS = {
    "draft": N_("Draft"),
    "submitted": N_("Submitted for review"),
    "returned": N_("Returned for changes"),
    "published": N_("Published"),
    "withdrawn": N_("Withdrawn"),
}
SYNC_STATUS_LABELS = {
    "pending": N_("Waiting to sync"),
    "synced": N_("Synced"),
    "failed": N_("Sync failed"),
    "withdrawn": N_("Withdrawn from the national portal"),
}


def cityopendata_workflow_label(state: str) -> str:
    return tk._(LABELS.get(state, state))


def cityopendata_screening_kind_label(kind: str) -> str:
    """The kind of personal data a screening finding is about, in the user's language."""
    from ckanext.cityopendata.publishing.screening import KINDS

    return tk._(KINDS.get(kind, kind))


def cityopendata_sync_status_label(status: str) -> str:
    """A national sync status (pending, synced, failed, withdrawn) in the user's language."""
    return tk._(SYNC_STATUS_LABELS.get(status, status))


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
